//! Renewal offers: new terms offered on a lease in force, answered by its tenants. Accepting
//! creates the successor lease and marks the original `renewed`, together.

use serde::{Deserialize, Serialize};

use crate::id::{LeaseId, OrgId, RenewalId};
use crate::money::{Money, MoneyDto};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldError, Validator};

pub const RENEWAL_MESSAGE_MAX: usize = 2000;
pub const RENEWAL_COMMENT_MAX: usize = 1000;

/// Seconds between two reminders of one offer.
pub const REMINDER_INTERVAL_MS: i64 = 24 * 60 * 60 * 1000;

crate::string_enum! {
    /// Where an offer stands. `expired` is a pending offer whose `offerExpiresOn` has passed
    /// (in the organisation's time zone).
    RenewalStatus {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
        Expired => "expired",
        Withdrawn => "withdrawn",
    }
}

crate::string_enum! {
    /// A tenant's answer to an offer.
    RenewalDecision {
        Accept => "accept",
        Decline => "decline",
    }
}

/// A renewal offer as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Renewal {
    pub id: RenewalId,
    pub organisation_id: OrgId,
    pub lease_id: LeaseId,
    pub status: RenewalStatus,
    pub rent: MoneyDto,
    pub start_date: Date,
    /// `null`: the new lease is periodic.
    pub end_date: Option<Date>,
    /// The last day the offer can be answered.
    pub offer_expires_on: Date,
    pub message: Option<String>,
    pub response_comment: Option<String>,
    /// Who answered (a user or API key ID).
    pub responded_by: Option<String>,
    pub responded_at: Option<Timestamp>,
    /// The lease created when the offer was accepted.
    pub successor_lease_id: Option<LeaseId>,
    pub last_reminder_at: Option<Timestamp>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /api/lease-renewals`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenewalInput {
    /// An `active` or `renewed` lease with an end date.
    #[schema(required = true, value_type = LeaseId)]
    pub lease_id: Option<String>,
    /// The new rent, in the lease's currency.
    #[schema(required = true, value_type = MoneyDto)]
    pub rent: Option<MoneyDto>,
    /// After the lease's end; default the day after it.
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<String>,
    /// After `startDate`; leave out for a periodic lease.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<String>,
    /// The last day to answer: today or later, on or before the new start.
    #[schema(required = true, value_type = String, format = Date)]
    pub offer_expires_on: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub message: Option<String>,
}

/// A checked offer; the rules that need the lease are checked with it.
#[derive(Debug, Clone)]
pub struct NewRenewal {
    pub lease_id: LeaseId,
    pub rent: Money,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub offer_expires_on: Date,
    pub message: Option<String>,
}

impl RenewalInput {
    pub fn validate(self) -> Result<NewRenewal, Vec<FieldError>> {
        let mut v = Validator::new();
        let lease_id = v
            .required("leaseId", self.lease_id.as_deref())
            .and_then(|l| {
                l.parse::<LeaseId>()
                    .map_err(|e| v.error("leaseId", e.to_string()))
                    .ok()
            });
        let rent = v
            .required("rent", self.rent.as_ref())
            .and_then(|r| Money::validate_non_negative(&mut v, "rent", r));
        let start_date = v.date("startDate", self.start_date.as_deref());
        let end_date = v.date("endDate", self.end_date.as_deref());
        let offer_expires_on = v
            .required("offerExpiresOn", self.offer_expires_on.as_deref())
            .and_then(|d| v.date("offerExpiresOn", Some(d)));
        let message = v.opt_multiline("message", self.message.as_deref(), RENEWAL_MESSAGE_MAX);
        v.finish(|| NewRenewal {
            lease_id: lease_id.unwrap(),
            rent: rent.unwrap(),
            start_date,
            end_date,
            offer_expires_on: offer_expires_on.unwrap(),
            message,
        })
    }
}

impl NewRenewal {
    /// The rules against the lease's end date and currency and today: the field errors, and
    /// the start date to use.
    pub fn check(
        &self,
        lease_end: Date,
        currency: &str,
        today: Date,
    ) -> Result<Date, Vec<FieldError>> {
        let mut errs = Vec::new();
        let start = self.start_date.unwrap_or(lease_end.succ());
        if start <= lease_end {
            errs.push(FieldError::new(
                "startDate",
                "must be after the lease's end date",
            ));
        }
        if self.end_date.is_some_and(|e| e <= start) {
            errs.push(FieldError::new("endDate", "must be after startDate"));
        }
        if self.rent.currency.code() != currency {
            errs.push(FieldError::new(
                "rent.currency",
                format!("must be the lease's currency, {currency}"),
            ));
        }
        if self.offer_expires_on < today {
            errs.push(FieldError::new("offerExpiresOn", "must not be in the past"));
        } else if self.offer_expires_on > start {
            errs.push(FieldError::new(
                "offerExpiresOn",
                "must be on or before the new start date",
            ));
        }
        if errs.is_empty() {
            Ok(start)
        } else {
            Err(errs)
        }
    }
}

/// `POST /api/lease-renewals/{id}/respond`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenewalResponseInput {
    #[schema(required = true, value_type = RenewalDecision)]
    pub decision: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub comment: Option<String>,
}

/// A checked answer.
#[derive(Debug, Clone)]
pub struct RenewalResponse {
    pub decision: RenewalDecision,
    pub comment: Option<String>,
}

impl RenewalResponseInput {
    pub fn validate(self) -> Result<RenewalResponse, Vec<FieldError>> {
        let mut v = Validator::new();
        let decision = v
            .required("decision", self.decision.as_deref())
            .and_then(|d| v.parse_enum::<RenewalDecision>("decision", d.trim()));
        let comment = v.opt_multiline("comment", self.comment.as_deref(), RENEWAL_COMMENT_MAX);
        v.finish(|| RenewalResponse {
            decision: decision.unwrap(),
            comment,
        })
    }
}

/// The answer to `POST /api/lease-renewals/{id}/reminders`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReminderQueued {
    pub renewal_id: RenewalId,
    /// How many of the lease's tenants (those with an account) were notified.
    pub recipients: usize,
    pub sent_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn the_offer_is_checked_against_its_lease() {
        let offer =
            |start: Option<&str>, end: Option<&str>, expires: &str, currency: &str| NewRenewal {
                lease_id: LeaseId::new(),
                rent: Money {
                    amount_minor: 190000,
                    currency: crate::money::Currency::parse(currency).unwrap(),
                },
                start_date: start.map(d),
                end_date: end.map(d),
                offer_expires_on: d(expires),
                message: None,
            };
        let today = d("2026-11-30");
        let ok = offer(None, Some("2028-08-31"), "2027-01-15", "CAD");
        assert_eq!(ok.check(d("2027-08-31"), "CAD", today), Ok(d("2027-09-01")));
        let bad = offer(Some("2027-08-31"), Some("2027-08-01"), "2026-11-29", "USD");
        let errs = bad.check(d("2027-08-31"), "CAD", today).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["startDate", "endDate", "rent.currency", "offerExpiresOn"]
        );
        let late = offer(None, None, "2027-09-02", "CAD");
        let errs = late.check(d("2027-08-31"), "CAD", today).unwrap_err();
        assert_eq!(errs[0].message, "must be on or before the new start date");
    }
}
