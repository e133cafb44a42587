//! How invoices hold charges: which charges can go on one, the paid totals and statuses that
//! follow the charges, and the invoice that holds a charge.

use lintel_domain::ledger::{ChargeStatus, InvoiceStatus};
use lintel_domain::{ChargeId, FieldError, OrgId, Timestamp};
use sea_query::{Expr, Order};

use super::{InvoiceCharges as IC, Invoices as I};
use crate::db::Tx;
use crate::error::{parse_col, Result, StoreError};
use crate::ledger::charges::Charges as C;
use crate::scope;

#[derive(Clone, serde::Deserialize)]
pub(super) struct Openish {
    pub id: String,
    lease_id: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    status: String,
    kind: String,
}

#[derive(serde::Deserialize)]
struct Taken {
    charge_id: String,
}

/// The charges of `lease` that are open and on no invoice that is not void, locked: those
/// `asked` for (each checked), or all of them.
pub(super) async fn invoiceable(
    tx: &mut Tx,
    org: OrgId,
    lease: &str,
    asked: Option<&[ChargeId]>,
) -> Result<Vec<Openish>> {
    let mut q = scope::select::<C>(org)
        .columns([
            C::Id,
            C::LeaseId,
            C::AmountMinor,
            C::PaidMinor,
            C::Status,
            C::Kind,
        ])
        .order_by(C::DueDate, Order::Asc)
        .order_by(C::Id, Order::Asc)
        .lock(sea_query::LockType::NoKeyUpdate)
        .to_owned();
    match asked {
        Some(ids) => q.and_where(Expr::col(C::Id).is_in(ids.iter().map(|i| i.to_string()))),
        None => q
            .and_where(Expr::col(C::LeaseId).eq(lease))
            .and_where(Expr::col(C::Status).is_in([
                ChargeStatus::Open.as_str(),
                ChargeStatus::PartiallyPaid.as_str(),
            ]))
            .and_where(Expr::col(C::Kind).ne("credit")),
    };
    let rows: Vec<Openish> = tx.all(&q).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let taken: Vec<Taken> = tx
        .all(
            &scope::select::<IC>(org)
                .column(IC::ChargeId)
                .and_where(Expr::col(IC::ChargeId).is_in(ids))
                .and_where(Expr::col(IC::Active).eq(1))
                .to_owned(),
        )
        .await?;
    let is_taken = |id: &str| taken.iter().any(|t| t.charge_id == id);
    let Some(asked) = asked else {
        return Ok(rows.into_iter().filter(|r| !is_taken(&r.id)).collect());
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, id) in asked.iter().enumerate() {
        let field = format!("chargeIds[{i}]");
        let id = id.to_string();
        match rows.iter().position(|r| r.id == id) {
            None => errors.push(FieldError::new(field, "Charge not found.")),
            Some(at) => {
                let r = &rows[at];
                let open = r.status == ChargeStatus::Open.as_str()
                    || r.status == ChargeStatus::PartiallyPaid.as_str();
                if r.lease_id != lease {
                    errors.push(FieldError::new(field, "is a charge of another lease"));
                } else if !open || r.kind == "credit" {
                    errors.push(FieldError::new(field, "is not an open charge"));
                } else if is_taken(&id) {
                    errors.push(FieldError::new(field, "is on another invoice"));
                } else {
                    out.push(r.clone());
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(StoreError::Invalid(errors))
    }
}

#[derive(serde::Deserialize)]
struct Totals {
    invoice_id: String,
    status: String,
    total_minor: i64,
    paid: Option<i64>,
}

/// Brings the paid totals (and, once issued, the statuses) of the invoices that are not void
/// and hold any of `charges` in line with the charges, inside the transaction that changed them.
pub(crate) async fn follow_charges(tx: &mut Tx, org: OrgId, charges: &[ChargeId]) -> Result<()> {
    let ids: Vec<String> = charges.iter().map(ChargeId::to_string).collect();
    let holding = scope::select::<IC>(org)
        .column(IC::InvoiceId)
        .and_where(Expr::col(IC::ChargeId).is_in(ids))
        .and_where(Expr::col(IC::Active).eq(1))
        .to_owned();
    let totals: Vec<Totals> = tx
        .all(
            &scope::select::<IC>(org)
                .column((IC::Table, IC::InvoiceId))
                .column((I::Table, I::Status))
                .column((I::Table, I::TotalMinor))
                .expr_as(
                    Expr::cust("CAST(SUM(charges.paid_minor) AS BIGINT)"),
                    sea_query::Alias::new("paid"),
                )
                .inner_join(
                    C::Table,
                    Expr::col((C::Table, C::Id)).equals((IC::Table, IC::ChargeId)),
                )
                .inner_join(
                    I::Table,
                    Expr::col((I::Table, I::Id)).equals((IC::Table, IC::InvoiceId)),
                )
                .and_where(Expr::col((IC::Table, IC::InvoiceId)).in_subquery(holding))
                .and_where(Expr::col((IC::Table, IC::Active)).eq(1))
                .group_by_col((IC::Table, IC::InvoiceId))
                .group_by_col((I::Table, I::Status))
                .group_by_col((I::Table, I::TotalMinor))
                .to_owned(),
        )
        .await?;
    for t in totals {
        let paid = t.paid.unwrap_or(0);
        let stored: InvoiceStatus = parse_col("invoices.status", &t.status)?;
        let mut values = vec![(I::PaidMinor, paid.into())];
        if !matches!(stored, InvoiceStatus::Draft | InvoiceStatus::Void) {
            let status = InvoiceStatus::from_totals(t.total_minor, paid);
            values.push((I::Status, status.as_str().into()));
        }
        values.push((I::UpdatedAt, Timestamp::now().0.into()));
        tx.exec(
            &scope::update::<I>(org)
                .values(values)
                .and_where(Expr::col(I::Id).eq(t.invoice_id.as_str()))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct NumberRow {
    number: String,
}

/// The number of the invoice that is not void and holds `charge`, if any.
pub(crate) async fn invoice_holding(
    tx: &mut Tx,
    org: OrgId,
    charge: ChargeId,
) -> Result<Option<String>> {
    let rows: Vec<NumberRow> = tx
        .all(
            &scope::select::<IC>(org)
                .column((I::Table, I::Number))
                .inner_join(
                    I::Table,
                    Expr::col((I::Table, I::Id)).equals((IC::Table, IC::InvoiceId)),
                )
                .and_where(Expr::col((IC::Table, IC::ChargeId)).eq(charge.to_string()))
                .and_where(Expr::col((IC::Table, IC::Active)).eq(1))
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().next().map(|r| r.number))
}
