//! Card payments made through Stripe Checkout: created `pending` (no entry, no receipt) before
//! the payer is sent to Stripe, then moved by what Stripe reports — confirmed (its entry posted
//! and applied to the lease's oldest open charges), failed, or refunded — forward only
//! ([`card_step`]).

use lintel_domain::ledger::{
    apply_in_order, card_step, CardReport, CardStep, NewCardCheckout, NewRefund, Payment,
    PaymentMethod, PaymentStatus,
};
use lintel_domain::money::Money;
use lintel_domain::{Actor, EventKind, OrgId, PaymentId, TenantId, Timestamp};
use sea_query::{Expr, Query};

use super::writes::{self, Fresh};
use super::{PaymentRepo, PaymentRow, Payments as P};
use crate::db::Tx;
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::leasing::leases::{for_money, get_in, today};
use crate::ledger::lease_ledger;
use crate::ledger::settle;
use crate::scope;

impl PaymentRepo<'_> {
    /// A pending card payment on `new.lease` for the amount given or, without one, what the
    /// lease owes now (nothing owed and no amount: a field error). `payer`, when a tenant pays,
    /// must be on the lease (another's lease is not found).
    pub async fn start_card(
        &self,
        actor: &Actor,
        new: &NewCardCheckout,
        payer: Option<TenantId>,
    ) -> Result<Payment> {
        let org = self.org;
        let id = self
            .db
            .write(move |mut tx| async move {
                let missing = |e: StoreError| match e {
                    StoreError::NotFound => StoreError::Missing("Lease"),
                    other => other,
                };
                let (lease, today) = for_money(&mut tx, org, new.lease).await.map_err(missing)?;
                if payer.is_some_and(|t| !lease.tenant_ids.contains(&t)) {
                    return Err(StoreError::Missing("Lease"));
                }
                let currency = writes::payable(&lease, new.amount)?;
                let amount = match new.amount {
                    Some(a) => a,
                    None => {
                        let due = lease_ledger::due_on(&mut tx, org, lease.id, today).await?;
                        if due <= 0 {
                            return Err(StoreError::Invalid(vec![lintel_domain::FieldError::new(
                                "amount",
                                "is required: the lease owes nothing now",
                            )]));
                        }
                        Money {
                            amount_minor: due,
                            currency,
                        }
                    }
                };
                let id = PaymentId::new();
                let fresh = Fresh {
                    id,
                    tenant: payer.unwrap_or(lease.primary_tenant_id),
                    amount,
                    method: PaymentMethod::Card,
                    status: PaymentStatus::Pending,
                    received_on: today,
                    reference: None,
                    cheque_number: None,
                    applied: 0,
                    entry: None,
                };
                writes::insert(&mut tx, org, actor, &lease, fresh).await?;
                tx.commit().await?;
                Ok(id)
            })
            .await?;
        self.get(id).await
    }

    /// Notes the Checkout Session that collects pending card payment `id`.
    pub async fn checkout_opened(&self, id: PaymentId, session: &str) -> Result<Payment> {
        let org = self.org;
        self.db
            .write(move |mut tx| async move {
                tx.exec(
                    &scope::update_one::<P, _>(org, id)
                        .value(P::StripeSessionId, session)
                        .value(P::UpdatedAt, Timestamp::now().0)
                        .to_owned(),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            })
            .await?;
        self.get(id).await
    }

    /// Fails pending card payment `id`: its checkout could not be started.
    pub async fn checkout_failed(&self, actor: &Actor, id: PaymentId, reason: &str) -> Result<()> {
        let org = self.org;
        self.db
            .write(move |mut tx| async move {
                let (row, _) = writes::locked(&mut tx, org, id).await?;
                fail(&mut tx, org, actor, &row, reason).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }
}

/// A card payment's row failed with `reason`, if it is pending.
async fn fail(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    row: &PaymentRow,
    reason: &str,
) -> Result<()> {
    if row.status()? != PaymentStatus::Pending {
        return Ok(());
    }
    let id: PaymentId = parse_col("payments.id", &row.id)?;
    tx.exec(
        &scope::update_one::<P, _>(org, id)
            .value(P::Status, PaymentStatus::Failed.as_str())
            .value(P::FailureReason, reason)
            .value(P::UpdatedAt, Timestamp::now().0)
            .to_owned(),
    )
    .await?;
    let change = Change::<(), _> {
        kind: EventKind::PaymentFailed,
        entity_id: &row.id,
        before: None,
        after: Some(&serde_json::json!({ "reason": reason })),
    };
    events::emit(tx, org, actor, change).await
}

/// Confirms a pending (or failed) card payment: received today, its entry posted, applied to
/// the lease's oldest open charges, the rest held as credit, its receipt numbered.
async fn confirm(tx: &mut Tx, org: OrgId, actor: &Actor, row: &PaymentRow) -> Result<()> {
    let id: PaymentId = parse_col("payments.id", &row.id)?;
    let lease = get_in(
        tx,
        org,
        parse_col("payments.lease_id", &row.lease_id)?,
        true,
    )
    .await?;
    let received_on = today(tx, org).await?;
    let (owed, charges) = writes::owed(tx, org, &lease).await?;
    let moves = apply_in_order(&owed, row.amount_minor).0;
    let got = writes::receive(
        tx,
        org,
        actor,
        &lease,
        id,
        PaymentMethod::Card,
        received_on,
        row.amount_minor,
        &moves,
    )
    .await?;
    tx.exec(
        &scope::update_one::<P, _>(org, id)
            .values([
                (P::Status, PaymentStatus::Succeeded.as_str().into()),
                (P::ReceivedOn, received_on.to_string().into()),
                (P::EntryId, got.entry.to_string().into()),
                (P::FailureReason, Option::<String>::None.into()),
                (P::UpdatedAt, Timestamp::now().0.into()),
            ])
            .to_owned(),
    )
    .await?;
    let moved = settle::record(tx, org, id, got.entry, &moves, &charges).await?;
    settle::add_applied(tx, org, id, moved).await?;
    let change = Change::<(), _> {
        kind: EventKind::PaymentSucceeded,
        entity_id: &row.id,
        before: None,
        after: Some(&serde_json::json!({
            "leaseId": lease.id,
            "amount": {"amountMinor": row.amount_minor, "currency": row.currency},
            "method": PaymentMethod::Card,
            "receivedOn": received_on,
            "appliedMinor": moved,
            "creditMinor": got.credit,
        })),
    };
    events::emit(tx, org, actor, change).await?;
    writes::number_pending(tx, org, false).await.map(drop)
}

#[derive(serde::Deserialize)]
struct Found {
    id: String,
    org_id: String,
}

/// The Checkout-made payment a Stripe report is about: by `metadata.paymentId`, else by its
/// PaymentIntent.
async fn find(
    tx: &mut Tx,
    payment: Option<PaymentId>,
    intent: Option<&str>,
) -> Result<Option<Found>> {
    // across organisations: Stripe's events name the payment, not the organisation.
    let mut q = Query::select()
        .columns([P::Id, P::OrgId])
        .from(P::Table)
        .and_where(Expr::col(P::StripeSessionId).is_not_null())
        .to_owned();
    match (payment, intent) {
        (Some(p), _) => q.and_where(Expr::col(P::Id).eq(p.to_string())),
        (None, Some(i)) => q.and_where(Expr::col(P::StripePaymentIntent).eq(i)),
        (None, None) => return Ok(None),
    };
    tx.opt(&q).await
}

/// Applies what Stripe reports about a card payment made through Checkout, inside `tx`;
/// answers the organisation it concerned (`None`: no such payment here, nothing done).
pub(crate) async fn card_report(
    tx: &mut Tx,
    payment: Option<PaymentId>,
    intent: Option<&str>,
    report: &CardReport,
) -> Result<Option<OrgId>> {
    let Some(found) = find(tx, payment, intent).await? else {
        return Ok(None);
    };
    let org: OrgId = parse_col("payments.org_id", &found.org_id)?;
    let id: PaymentId = parse_col("payments.id", &found.id)?;
    let actor = Actor::system();
    let (row, _) = writes::locked(tx, org, id).await?;
    if let (Some(i), None) = (intent, &row.stripe_payment_intent) {
        tx.exec(
            &scope::update_one::<P, _>(org, id)
                .value(P::StripePaymentIntent, i)
                .to_owned(),
        )
        .await?;
    }
    let currency = row_currency(&row)?;
    let refund = |amount: i64| NewRefund {
        amount: Money {
            amount_minor: amount,
            currency,
        },
        reason: Some("Refunded in Stripe".into()),
    };
    match card_step(row.status()?, row.amount_minor, row.refunded_minor, report) {
        CardStep::Nothing => {}
        CardStep::Confirm => confirm(tx, org, &actor, &row).await?,
        CardStep::Fail => {
            let reason = match report {
                CardReport::Failed(r) => r.as_str(),
                _ => "failed",
            };
            fail(tx, org, &actor, &row, reason).await?;
        }
        CardStep::Refund(amount) => {
            writes::refund_in(tx, org, &actor, id, &refund(amount), true).await?;
        }
        CardStep::ConfirmThenRefund(amount) => {
            confirm(tx, org, &actor, &row).await?;
            writes::refund_in(tx, org, &actor, id, &refund(amount), true).await?;
        }
    }
    Ok(Some(org))
}

fn row_currency(row: &PaymentRow) -> Result<lintel_domain::money::Currency> {
    lintel_domain::money::Currency::parse(&row.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("payments.currency: {}", row.currency)))
}
