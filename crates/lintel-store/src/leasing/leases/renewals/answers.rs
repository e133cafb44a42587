//! The life of an offer after it is made: withdrawn by the organisation, answered by a tenant
//! (accepting creates the successor lease in the same transaction), reminded once a day.

use lintel_domain::comms::{NewNotification, NotificationType};
use lintel_domain::leasing::renewal::REMINDER_INTERVAL_MS;
use lintel_domain::leasing::{
    LeaseStatus, NewLease, Renewal, RenewalDecision, RenewalResponse, RenewalStatus,
    StatusChangeRequest,
};
use lintel_domain::{Actor, Cap, EventKind, LeaseId, RenewalId, Timestamp, UserId};

use super::super::status::move_status;
use super::super::writes::{insert_lease, lock_unit_of};
use super::super::{get_in, tell_tenants};
use super::{check_open, locked, money, no_longer_open, save, RenewalRepo, RenewalRow, BY_ID};
use crate::error::{parse_col, Result, StoreError};
use crate::prepared::key;

impl RenewalRepo<'_> {
    /// Withdraws an open offer.
    pub async fn withdraw(&self, actor: &Actor, id: RenewalId) -> Result<Renewal> {
        self.db
            .write(move |mut tx| async move {
                let before = locked(&mut tx, self.org, id).await?;
                if before.status != RenewalStatus::Pending {
                    return Err(no_longer_open());
                }
                let mut after = before.clone();
                after.status = RenewalStatus::Withdrawn;
                save(
                    &mut tx,
                    actor,
                    EventKind::RenewalWithdrawn,
                    &before,
                    &mut after,
                )
                .await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    /// Records an answer. Accepting creates the successor lease (same unit and tenants, the
    /// offer's terms, `pending_signature`) and moves an `active` original to `renewed`.
    pub async fn respond(
        &self,
        actor: &Actor,
        id: RenewalId,
        answer: &RenewalResponse,
    ) -> Result<Renewal> {
        self.db
            .write(move |mut tx| async move {
                let unlocked: RenewalRow = tx.one(&BY_ID.with(key(self.org, id))).await?;
                let lease_id: LeaseId = parse_col("lease_renewals.lease_id", &unlocked.lease_id)?;
                let first = get_in(&mut tx, self.org, lease_id, false).await?;
                let (unit, _) = lock_unit_of(&mut tx, self.org, first.unit_id).await?;
                let lease = get_in(&mut tx, self.org, lease_id, true).await?;
                let before = locked(&mut tx, self.org, id).await?;
                check_open(&before)?;
                let mut after = before.clone();
                after.response_comment = answer.comment.clone();
                after.responded_by = actor.id.clone();
                after.responded_at = Some(Timestamp::now());
                match answer.decision {
                    RenewalDecision::Decline => after.status = RenewalStatus::Declined,
                    RenewalDecision::Accept => {
                        after.status = RenewalStatus::Accepted;
                        let mut terms = lease.terms().ok_or_else(|| {
                            StoreError::Corrupt(format!("lease {lease_id}: currency"))
                        })?;
                        terms.start_date = before.start_date;
                        terms.end_date = before.end_date;
                        terms.rent.amount_minor = before.rent.amount_minor;
                        let new = NewLease {
                            unit_id: lease.unit_id,
                            tenant_ids: lease.tenant_ids.clone(),
                            terms,
                            notes: None,
                            document_ids: Vec::new(),
                        };
                        let status = LeaseStatus::PendingSignature;
                        let successor =
                            insert_lease(&mut tx, actor, &unit, &new, status, Some(lease.id))
                                .await?;
                        after.successor_lease_id = Some(successor.id);
                        if lease.status == LeaseStatus::Active {
                            let req = StatusChangeRequest {
                                status: LeaseStatus::Renewed,
                                reason: Some(format!("Renewal offer {id} accepted.")),
                                effective_date: None,
                            };
                            move_status(&mut tx, actor, lease.clone(), &unit, &req, Cap::Unlimited)
                                .await?;
                        }
                    }
                }
                save(
                    &mut tx,
                    actor,
                    EventKind::RenewalAnswered,
                    &before,
                    &mut after,
                )
                .await?;
                if let Some(by) = before
                    .created_by
                    .as_deref()
                    .and_then(|b| b.parse::<UserId>().ok())
                {
                    let note = NewNotification {
                        kind: NotificationType::RenewalAnswered,
                        title: format!("Renewal offer {}", after.status),
                        body: format!("The offer on lease {} was {}.", lease.id, after.status),
                        entity_type: Some("lease_renewal"),
                        entity_id: Some(id.to_string()),
                    };
                    crate::comms::notify(&mut tx, self.org, &[by], &note).await?;
                }
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    /// Reminds the lease's tenants of an open offer, at most once a day: `TooSoon` with the
    /// seconds to wait otherwise. Answers the offer and how many were reminded.
    pub async fn remind(&self, actor: &Actor, id: RenewalId) -> Result<(Renewal, usize)> {
        self.db
            .write(move |mut tx| async move {
                let before = locked(&mut tx, self.org, id).await?;
                check_open(&before)?;
                let now = Timestamp::now();
                if let Some(last) = before.last_reminder_at {
                    let wait = last.0 + REMINDER_INTERVAL_MS - now.0;
                    if wait > 0 {
                        return Err(StoreError::TooSoon((wait as u64).div_ceil(1000)));
                    }
                }
                let lease = get_in(&mut tx, self.org, before.lease_id, false).await?;
                let mut after = before.clone();
                after.last_reminder_at = Some(now);
                save(
                    &mut tx,
                    actor,
                    EventKind::RenewalReminded,
                    &before,
                    &mut after,
                )
                .await?;
                let note = NewNotification {
                    kind: NotificationType::RenewalReminder,
                    title: "Reminder: renewal offer for your lease".into(),
                    body: format!(
                        "The offer of new terms from {} (rent {}) is open until {}.",
                        after.start_date,
                        money(&after.rent),
                        after.offer_expires_on
                    ),
                    entity_type: Some("lease_renewal"),
                    entity_id: Some(id.to_string()),
                };
                let sent = tell_tenants(&mut tx, &lease, note).await?;
                tx.commit().await?;
                Ok((after, sent))
            })
            .await
    }
}
