//! Stripe webhook events: each processed once. The event's row and its effect are written in
//! one transaction, so a redelivery (Stripe retries until it gets a 2xx, and may deliver twice)
//! finds the row and changes nothing, and a crash leaves neither.

use lintel_domain::ledger::CardReport;
use lintel_domain::{Actor, OrgId, PaymentId, Plan, Timestamp};
use sea_query::{Query, SimpleExpr};

use crate::error::Result;

crate::iden::table! {
    pub enum SubscriptionState = "stripe_subscription_state" {
        OrgId = "org_id",
        EventCreated = "event_created",
    }
}

#[derive(serde::Deserialize)]
struct Latest {
    event_created: i64,
}

crate::iden::table! {
    pub enum StripeEvents = "stripe_events" {
        Id = "id",
        Type = "type",
        OrgId = "org_id",
        ReceivedAt = "received_at",
    }
}

/// What an event does to Lintel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeEffect {
    /// A subscription started, changed or ended: the organisation's plan, as of the event's
    /// `created` time (Unix seconds).
    Plan {
        org: OrgId,
        plan: Plan,
        created: i64,
    },
    /// A report on a card payment made through Checkout, found by `metadata.paymentId` or,
    /// failing that, by its PaymentIntent (`pi_…`, noted on the payment when first seen).
    Card {
        payment: Option<PaymentId>,
        intent: Option<String>,
        report: CardReport,
    },
    /// Nothing Lintel acts on (kept so that its redelivery is recognised too).
    Nothing,
}

/// Whether the event was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// Older than what was applied already: recorded, nothing changed.
    Stale,
}

/// Whether a subscription event created at `created` is at least as new as the last one
/// applied to `org`; if so it becomes the last one. Locks the organisation's row first.
async fn newer(tx: &mut crate::db::Tx, org: OrgId, created: i64) -> Result<bool> {
    use SubscriptionState as S;
    crate::locks::org(tx, org).await?;
    // across organisations: the row is keyed by the organisation itself.
    let rows: Vec<Latest> = tx
        .all(
            &Query::select()
                .column(S::EventCreated)
                .from(S::Table)
                .and_where(sea_query::Expr::col(S::OrgId).eq(org.to_string()))
                .to_owned(),
        )
        .await?;
    if rows.first().is_some_and(|r| r.event_created > created) {
        return Ok(false);
    }
    tx.exec(
        &Query::insert()
            .into_table(S::Table)
            .columns([S::OrgId, S::EventCreated])
            .values_panic([org.to_string().into(), created.into()])
            .on_conflict(
                sea_query::OnConflict::column(S::OrgId)
                    .update_column(S::EventCreated)
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    Ok(true)
}

impl crate::identity::Orgs<'_> {
    /// Records Stripe event `id` of `kind` and applies `effect`, once: a second delivery of the
    /// same event is a [`Processed::Duplicate`] and changes nothing.
    pub async fn stripe_event(
        &self,
        id: &str,
        kind: &str,
        effect: &StripeEffect,
    ) -> Result<Processed> {
        let org = match effect {
            StripeEffect::Plan { org, .. } => Some(*org),
            StripeEffect::Card { .. } | StripeEffect::Nothing => None,
        };
        let done = self
            .db
            .write(move |mut tx| async move {
                // across organisations: an event is recorded before it is known to concern one.
                let insert = Query::insert()
                    .into_table(StripeEvents::Table)
                    .columns([
                        StripeEvents::Id,
                        StripeEvents::Type,
                        StripeEvents::OrgId,
                        StripeEvents::ReceivedAt,
                    ])
                    .values_panic([
                        id.into(),
                        kind.into(),
                        org.map(|o| o.to_string()).into(),
                        SimpleExpr::from(Timestamp::now().0),
                    ])
                    .on_conflict(
                        sea_query::OnConflict::column(StripeEvents::Id)
                            .do_nothing()
                            .to_owned(),
                    )
                    .to_owned();
                if tx.exec(&insert).await? == 0 {
                    return Ok(Processed::Duplicate);
                }
                match effect {
                    StripeEffect::Plan { org, plan, created } => {
                        if !newer(&mut tx, *org, *created).await? {
                            tx.commit().await?;
                            return Ok(Processed::Stale);
                        }
                        let actor = Actor::system();
                        match crate::identity::set_plan_in(&mut tx, &actor, *org, *plan).await {
                            // An organisation that is not (or no longer) here: recorded only.
                            Err(crate::StoreError::NotFound) => {}
                            other => {
                                other?;
                            }
                        }
                    }
                    StripeEffect::Card {
                        payment,
                        intent,
                        report,
                    } => {
                        let found = crate::ledger::payments::card_report(
                            &mut tx,
                            *payment,
                            intent.as_deref(),
                            report,
                        )
                        .await?;
                        if let Some(org) = found {
                            // across organisations: the event's row, keyed by Stripe's ID.
                            tx.exec(
                                &Query::update()
                                    .table(StripeEvents::Table)
                                    .value(StripeEvents::OrgId, org.to_string())
                                    .and_where(sea_query::Expr::col(StripeEvents::Id).eq(id))
                                    .to_owned(),
                            )
                            .await?;
                        }
                    }
                    StripeEffect::Nothing => {}
                }
                tx.commit().await?;
                Ok(Processed::Applied)
            })
            .await?;
        if done == Processed::Applied && org.is_some() {
            self.keys.clear();
        }
        Ok(done)
    }
}
