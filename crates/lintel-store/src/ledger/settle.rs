//! Money between payments and charges: allocations recorded (signed, append-only), the charges'
//! paid totals and statuses and the payments' applied totals kept in step, and a tenant's
//! credit applied to new charges.

use lintel_domain::ledger::{
    apply_in_order, BalancedEntry, ChargeKind, ChargeStatus, Dimensions, EntrySource, Line, Side,
    SystemAccount,
};
use lintel_domain::money::{Currency, Money};
use lintel_domain::{Actor, ChargeId, Date, EventKind, JournalEntryId, LeaseId, OrgId, PaymentId};
use sea_query::{Expr, Order, Query};

use super::charges::Charges as C;
use super::payments::{PaymentAllocations as PA, PaymentRow, Payments as P};
use super::posting::{post, system_accounts, Posting};
use crate::db::Tx;
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::scope;

#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct Owed {
    pub id: String,
    pub lease_id: String,
    pub kind: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub status: String,
}

impl Owed {
    pub(crate) fn outstanding(&self) -> i64 {
        self.amount_minor - self.paid_minor
    }

    pub(crate) fn charge_id(&self) -> Result<ChargeId> {
        parse_col("charges.id", &self.id)
    }
}

const OWED_COLUMNS: [C; 6] = [
    C::Id,
    C::LeaseId,
    C::Kind,
    C::AmountMinor,
    C::PaidMinor,
    C::Status,
];

/// The lease's charges that can still be paid (not void, not credit notes, not fully paid),
/// oldest due first, locked.
pub(crate) async fn open_charges(tx: &mut Tx, org: OrgId, lease: LeaseId) -> Result<Vec<Owed>> {
    tx.all(
        &scope::select::<C>(org)
            .columns(OWED_COLUMNS)
            .and_where(Expr::col(C::LeaseId).eq(lease.to_string()))
            .and_where(Expr::col(C::Status).is_in([
                ChargeStatus::Open.as_str(),
                ChargeStatus::PartiallyPaid.as_str(),
            ]))
            .and_where(Expr::col(C::Kind).ne(ChargeKind::Credit.as_str()))
            .order_by(C::DueDate, Order::Asc)
            .order_by(C::CreatedAt, Order::Asc)
            .order_by(C::Id, Order::Asc)
            .lock(sea_query::LockType::NoKeyUpdate)
            .to_owned(),
    )
    .await
}

/// The charges `ids`, locked, in the order of `ids` (`None` for one that is not the
/// organisation's).
pub(crate) async fn charges_by_id(
    tx: &mut Tx,
    org: OrgId,
    ids: &[ChargeId],
) -> Result<Vec<Option<Owed>>> {
    let rows: Vec<Owed> = tx
        .all(
            &scope::select::<C>(org)
                .columns(OWED_COLUMNS)
                .and_where(Expr::col(C::Id).is_in(ids.iter().map(|i| i.to_string())))
                .order_by(C::Id, Order::Asc)
                .lock(sea_query::LockType::NoKeyUpdate)
                .to_owned(),
        )
        .await?;
    Ok(ids
        .iter()
        .map(|id| rows.iter().find(|r| r.id == id.to_string()).cloned())
        .collect())
}

/// Records `moves` (charge, signed amount) of `payment` made by `entry`: allocation rows, each
/// charge's paid total and status. The charges must have been read locked in this
/// transaction; those in `known` (rows read so, unchanged since) are not read again. Answers
/// the total moved.
pub(crate) async fn record(
    tx: &mut Tx,
    org: OrgId,
    payment: PaymentId,
    entry: JournalEntryId,
    moves: &[(ChargeId, i64)],
    known: &[Owed],
) -> Result<i64> {
    if moves.is_empty() {
        return Ok(0);
    }
    let now = lintel_domain::Timestamp::now();
    let mut rows = Query::insert()
        .into_table(PA::Table)
        .columns([
            PA::Id,
            PA::OrgId,
            PA::PaymentId,
            PA::ChargeId,
            PA::AmountMinor,
            PA::EntryId,
            PA::CreatedAt,
        ])
        .to_owned();
    for (i, (charge, amount)) in moves.iter().enumerate() {
        rows.values_panic([
            format!("{entry}_{i}").into(),
            org.to_string().into(),
            payment.to_string().into(),
            charge.to_string().into(),
            (*amount).into(),
            entry.to_string().into(),
            now.0.into(),
        ]);
    }
    tx.defer(rows).await?;
    let ids: Vec<ChargeId> = moves.iter().map(|(c, _)| *c).collect();
    let find = |c: &ChargeId| known.iter().find(|o| o.id == c.to_string()).cloned();
    let current = if ids.iter().all(|c| find(c).is_some()) {
        ids.iter().map(find).collect()
    } else {
        charges_by_id(tx, org, &ids).await?
    };
    for ((charge, amount), row) in moves.iter().zip(current) {
        let row = row.ok_or(StoreError::Missing("Charge"))?;
        let paid = row.paid_minor + amount;
        if paid < 0 || paid > row.amount_minor {
            return Err(StoreError::Corrupt(format!(
                "charge {charge} would have {paid} paid of {}",
                row.amount_minor
            )));
        }
        let status = if paid == 0 {
            ChargeStatus::Open
        } else if paid == row.amount_minor {
            ChargeStatus::Paid
        } else {
            ChargeStatus::PartiallyPaid
        };
        // Deferred (each charge once: `moves` names a charge at most once), and sent with the
        // allocations before the invoices' totals are read below.
        tx.defer(
            scope::update_one::<C, _>(org, *charge)
                .values([
                    (C::PaidMinor, paid.into()),
                    (C::Status, status.as_str().into()),
                    (C::UpdatedAt, now.0.into()),
                ])
                .to_owned(),
        )
        .await?;
    }
    super::invoices::follow_charges(tx, org, &ids).await?;
    Ok(moves.iter().map(|(_, a)| a).sum())
}

/// Adds `delta` to a payment's applied total.
pub(crate) async fn add_applied(
    tx: &mut Tx,
    org: OrgId,
    payment: PaymentId,
    delta: i64,
) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    tx.exec(
        &scope::update_one::<P, _>(org, payment)
            .value(P::AppliedMinor, Expr::col(P::AppliedMinor).add(delta))
            .value(P::UpdatedAt, lintel_domain::Timestamp::now().0)
            .to_owned(),
    )
    .await
    .map(drop)
}

/// The lease's payments holding credit, oldest received first, locked.
async fn payments_with_credit(tx: &mut Tx, org: OrgId, lease: LeaseId) -> Result<Vec<PaymentRow>> {
    let rows: Vec<PaymentRow> = tx
        .all(
            &super::payments::select(org)
                .and_where(Expr::col((P::Table, P::LeaseId)).eq(lease.to_string()))
                .and_where(Expr::col((P::Table, P::EntryId)).is_not_null())
                .and_where(
                    Expr::col((P::Table, P::AmountMinor)).gt(Expr::col((
                        P::Table,
                        P::AppliedMinor,
                    ))
                    .add(Expr::col((P::Table, P::RefundedMinor)))
                    .add(Expr::col((P::Table, P::ReturnedMinor)))),
                )
                .order_by((P::Table, P::ReceivedOn), Order::Asc)
                .order_by((P::Table, P::Id), Order::Asc)
                .lock(sea_query::LockType::NoKeyUpdate)
                .to_owned(),
        )
        .await?;
    Ok(rows)
}

/// Applies the lease's credit (payments not yet applied, oldest first) to its open charges,
/// oldest due first: one entry moving the credit from prepaid rent to receivables, dated
/// `date`. Answers the amount applied.
pub(crate) async fn apply_credit(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    lease: &lintel_domain::leasing::Lease,
    date: Date,
) -> Result<i64> {
    let payments = payments_with_credit(tx, org, lease.id).await?;
    if payments.is_empty() {
        return Ok(0);
    }
    let open = open_charges(tx, org, lease.id).await?;
    let mut owed: Vec<(ChargeId, i64)> = Vec::with_capacity(open.len());
    for o in &open {
        owed.push((o.charge_id()?, o.outstanding()));
    }
    let mut plan: Vec<(PaymentId, Vec<(ChargeId, i64)>)> = Vec::new();
    for p in &payments {
        let (applied, _) = apply_in_order(&owed, p.credit());
        if applied.is_empty() {
            break;
        }
        for (c, a) in &applied {
            if let Some(o) = owed.iter_mut().find(|(id, _)| id == c) {
                o.1 -= a;
            }
        }
        plan.push((parse_col("payments.id", &p.id)?, applied));
    }
    let total: i64 = plan
        .iter()
        .flat_map(|(_, m)| m.iter().map(|(_, a)| a))
        .sum();
    if total == 0 {
        return Ok(0);
    }
    let currency = Currency::parse(&lease.rent.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("lease {} currency", lease.id)))?;
    let [prepaid, receivable] = system_accounts(
        tx,
        org,
        [
            SystemAccount::PrepaidRent,
            SystemAccount::AccountsReceivable,
        ],
    )
    .await?;
    let dims = lease_dims(lease);
    let amount = Money {
        amount_minor: total,
        currency,
    };
    let entry = BalancedEntry::transfer(prepaid, receivable, amount, dims)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let posting = Posting {
        date,
        memo: Some("Tenant credit applied"),
        source: EntrySource::CreditApplied,
        source_id: Some(lease.id.to_string()),
        reversal_of: None,
        system_accounts: true,
    };
    let posted = post(tx, org, actor, posting, &entry).await?;
    for (payment, moves) in &plan {
        let moved = record(tx, org, *payment, posted.id, moves, &[]).await?;
        add_applied(tx, org, *payment, moved).await?;
        let change = Change::<(), _> {
            kind: EventKind::PaymentCreditApplied,
            entity_id: &payment.to_string(),
            before: None,
            after: Some(&serde_json::json!({
                "entryId": posted.id,
                "appliedMinor": moved,
            })),
        };
        events::emit(tx, org, actor, change).await?;
    }
    Ok(total)
}

/// The dimensions of a lease's lines: its property, unit, itself and its primary tenant.
pub(crate) fn lease_dims(lease: &lintel_domain::leasing::Lease) -> Dimensions {
    Dimensions {
        property_id: Some(lease.property_id),
        unit_id: Some(lease.unit_id),
        lease_id: Some(lease.id),
        tenant_id: Some(lease.primary_tenant_id),
    }
}

/// A line of `amount` minor units in `currency`, skipped when zero.
pub(crate) fn line(
    lines: &mut Vec<Line>,
    account: lintel_domain::AccountId,
    side: Side,
    amount: i64,
    currency: Currency,
    dims: Dimensions,
) {
    if amount > 0 {
        lines.push(Line {
            account,
            side,
            amount: Money {
                amount_minor: amount,
                currency,
            },
            dims,
        });
    }
}
