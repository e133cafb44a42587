//! A lease's status and the moves between them.

use crate::lifecycle::Lifecycle;

crate::string_enum! {
    /// Where a lease is in its life. `draft` and `pending_signature` can still change terms;
    /// `active`, `renewed` and `notice_given` are in force (they occupy the unit and count
    /// against the plan); `ended`, `terminated` and `cancelled` are final.
    LeaseStatus {
        Draft => "draft",
        PendingSignature => "pending_signature",
        Active => "active",
        /// In force, with a successor lease agreed.
        Renewed => "renewed",
        NoticeGiven => "notice_given",
        Ended => "ended",
        Terminated => "terminated",
        Cancelled => "cancelled",
    }
}

impl LeaseStatus {
    /// In force: the lease occupies its unit for its dates.
    pub fn is_in_force(self) -> bool {
        matches!(
            self,
            LeaseStatus::Active | LeaseStatus::Renewed | LeaseStatus::NoticeGiven
        )
    }

    /// The names of the statuses in force, for a query's `IN (…)`.
    pub fn in_force_names() -> Vec<&'static str> {
        LeaseStatus::ALL
            .iter()
            .filter(|s| s.is_in_force())
            .map(|s| s.as_str())
            .collect()
    }

    /// Its terms (rent, dates, tenants) may still be changed.
    pub fn terms_editable(self) -> bool {
        matches!(self, LeaseStatus::Draft | LeaseStatus::PendingSignature)
    }
}

impl Lifecycle for LeaseStatus {
    const ALREADY: &'static str = "Lease is already in this status.";

    fn next(self) -> &'static [LeaseStatus] {
        use LeaseStatus::*;
        match self {
            Draft => &[PendingSignature, Active, Cancelled],
            PendingSignature => &[Draft, Active, Cancelled],
            Active => &[Renewed, NoticeGiven, Terminated, Ended],
            Renewed => &[NoticeGiven, Terminated, Ended],
            // Notice withdrawn: back to active.
            NoticeGiven => &[Ended, Active],
            Ended | Terminated | Cancelled => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Refused;

    /// The rules as written in the lease issue, one line per allowed move, read independently
    /// of `next`.
    const ALLOWED: &str = "
        draft -> pending_signature
        draft -> active
        draft -> cancelled
        pending_signature -> draft
        pending_signature -> active
        pending_signature -> cancelled
        active -> renewed
        active -> notice_given
        active -> terminated
        active -> ended
        renewed -> notice_given
        renewed -> terminated
        renewed -> ended
        notice_given -> ended
        notice_given -> active
    ";

    fn allowed(from: LeaseStatus, to: LeaseStatus) -> bool {
        let line = format!("{from} -> {to}");
        ALLOWED.lines().any(|l| l.trim() == line)
    }

    /// Every ordered pair of statuses (64): the same status is `ALREADY_IN_STATUS`, a listed
    /// move passes, anything else is `INVALID_STATUS_TRANSITION` with the seed's text.
    #[test]
    fn every_pair_of_statuses_is_judged_by_the_rules() {
        let mut passed = 0;
        for &from in LeaseStatus::ALL {
            for &to in LeaseStatus::ALL {
                let got = from.check(to);
                if from == to {
                    let e = got.unwrap_err();
                    assert_eq!(e, Refused::AlreadyInStatus(from));
                    assert_eq!(e.code(), "ALREADY_IN_STATUS");
                    assert_eq!(e.to_string(), "Lease is already in this status.");
                } else if allowed(from, to) {
                    assert_eq!(got, Ok(()), "{from} -> {to}");
                    passed += 1;
                } else {
                    let e = got.unwrap_err();
                    assert_eq!(e, Refused::InvalidTransition { from, to });
                    assert_eq!(e.code(), "INVALID_STATUS_TRANSITION");
                    assert_eq!(
                        e.to_string(),
                        format!("Invalid status transition: {from} -> {to}")
                    );
                }
            }
        }
        assert_eq!(
            passed,
            ALLOWED.lines().filter(|l| !l.trim().is_empty()).count()
        );
    }

    #[test]
    fn final_in_force_and_editable_statuses() {
        use LeaseStatus::*;
        let which = |f: fn(LeaseStatus) -> bool| -> Vec<LeaseStatus> {
            LeaseStatus::ALL.iter().copied().filter(|s| f(*s)).collect()
        };
        assert_eq!(which(LeaseStatus::is_final), [Ended, Terminated, Cancelled]);
        assert_eq!(
            which(LeaseStatus::is_in_force),
            [Active, Renewed, NoticeGiven]
        );
        assert_eq!(
            which(LeaseStatus::terms_editable),
            [Draft, PendingSignature]
        );
        assert_eq!(
            "notice_given".parse::<LeaseStatus>(),
            Ok(LeaseStatus::NoticeGiven)
        );
        assert!("expired".parse::<LeaseStatus>().is_err());
    }
}
