//! Stripe webhook events: each processed once. The event's row and its effect are written in
//! one transaction, so a redelivery (Stripe retries until it gets a 2xx, and may deliver twice)
//! finds the row and changes nothing, and a crash leaves neither.

use lintel_domain::{Actor, OrgId, Plan, Timestamp};
use sea_query::{Query, SimpleExpr};

use crate::error::Result;

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
    /// A subscription started, changed or ended: the organisation's plan.
    Plan { org: OrgId, plan: Plan },
    /// Nothing Lintel acts on (kept so that its redelivery is recognised too).
    Nothing,
}

/// Whether the event was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
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
            StripeEffect::Nothing => None,
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
                    StripeEffect::Plan { org, plan } => {
                        let actor = Actor::system();
                        match crate::identity::set_plan_in(&mut tx, &actor, *org, *plan).await {
                            // An organisation that is not (or no longer) here: recorded only.
                            Err(crate::StoreError::NotFound) => {}
                            other => {
                                other?;
                            }
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
