//! The integrity check's rules on money between charges and payments: every running total kept
//! beside its rows (a charge's paid total and status, a payment's applied and refunded totals
//! and status, a lease's credit held) recomputed from those rows and from the journal.

use std::collections::HashMap;

use lintel_domain::ledger::{ChargeStatus, Discrepancy, DiscrepancyKind, SystemAccount};
use lintel_domain::OrgId;
use sea_query::{Alias, Expr};

use super::charges::Charges as C;
use super::journal::JournalLines as L;
use super::payments::{PaymentAllocations as PA, PaymentRefunds as PR, PaymentRow};
use super::Accounts as A;
use crate::db::Db;
use crate::error::Result;
use crate::scope;

#[derive(serde::Deserialize)]
struct ChargeTotals {
    id: String,
    amount_minor: i64,
    paid_minor: i64,
    status: String,
}

#[derive(serde::Deserialize)]
struct Sum {
    id: Option<String>,
    total: i64,
}

fn sum_of(col: &str) -> sea_query::SimpleExpr {
    Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"))
}

fn finding(kind: DiscrepancyKind, record: &str, detail: String) -> Discrepancy {
    Discrepancy {
        kind,
        entry_id: None,
        line_id: None,
        account_id: None,
        record_id: Some(record.to_string()),
        detail,
    }
}

async fn sums_by(db: &Db, q: sea_query::SelectStatement) -> Result<HashMap<String, i64>> {
    let rows: Vec<Sum> = db.all(&q).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.id?, r.total)))
        .collect())
}

/// Adds the findings on charges, payments and credit to `out`.
pub(crate) async fn check(db: &Db, org: OrgId, out: &mut Vec<Discrepancy>) -> Result<()> {
    let by_charge = sums_by(
        db,
        scope::select::<PA>(org)
            .expr_as(Expr::col(PA::ChargeId), Alias::new("id"))
            .expr_as(sum_of("amount_minor"), Alias::new("total"))
            .group_by_col(PA::ChargeId)
            .to_owned(),
    )
    .await?;
    let charges: Vec<ChargeTotals> = db
        .all(
            &scope::select::<C>(org)
                .columns([C::Id, C::AmountMinor, C::PaidMinor, C::Status])
                .to_owned(),
        )
        .await?;
    for c in &charges {
        let paid = by_charge.get(&c.id).copied().unwrap_or(0);
        let status = if c.status == ChargeStatus::Void.as_str() {
            ChargeStatus::Void
        } else if paid == 0 {
            ChargeStatus::Open
        } else if paid == c.amount_minor {
            ChargeStatus::Paid
        } else {
            ChargeStatus::PartiallyPaid
        };
        if paid != c.paid_minor || status.as_str() != c.status || paid > c.amount_minor {
            out.push(finding(
                DiscrepancyKind::ChargePaidMismatch,
                &c.id,
                format!(
                    "records {} paid ({}) of {}; its allocations add up to {paid} ({status})",
                    c.paid_minor, c.status, c.amount_minor
                ),
            ));
        }
    }

    let by_payment = sums_by(
        db,
        scope::select::<PA>(org)
            .expr_as(Expr::col(PA::PaymentId), Alias::new("id"))
            .expr_as(sum_of("amount_minor"), Alias::new("total"))
            .group_by_col(PA::PaymentId)
            .to_owned(),
    )
    .await?;
    let refunds = sums_by(
        db,
        scope::select::<PR>(org)
            .expr_as(Expr::col(PR::PaymentId), Alias::new("id"))
            .expr_as(sum_of("amount_minor"), Alias::new("total"))
            .group_by_col(PR::PaymentId)
            .to_owned(),
    )
    .await?;
    let payments: Vec<PaymentRow> = db.all(&super::payments::select(org)).await?;
    let mut credit_by_lease: HashMap<String, i64> = HashMap::new();
    for p in &payments {
        let applied = by_payment.get(&p.id).copied().unwrap_or(0);
        let refunded = refunds.get(&p.id).copied().unwrap_or(0);
        let mut wrong = Vec::new();
        if applied != p.applied_minor {
            wrong.push(format!(
                "applied {} but its allocations add up to {applied}",
                p.applied_minor
            ));
        }
        if refunded != p.refunded_minor {
            wrong.push(format!(
                "refunded {} but its refunds add up to {refunded}",
                p.refunded_minor
            ));
        }
        let expected = match p.status.as_str() {
            "refunded" => refunded == p.amount_minor,
            "partially_refunded" => refunded > 0 && refunded < p.amount_minor,
            "succeeded" => refunded == 0 && p.entry_id.is_some(),
            _ => true,
        };
        if !expected {
            wrong.push(format!("is {} with {refunded} refunded", p.status));
        }
        if p.credit() < 0 {
            wrong.push(format!("has {} applied beyond its amount", -p.credit()));
        }
        if !wrong.is_empty() {
            out.push(finding(
                DiscrepancyKind::PaymentTotalsMismatch,
                &p.id,
                wrong.join("; "),
            ));
        }
        *credit_by_lease.entry(p.lease_id.clone()).or_default() += p.credit();
    }

    // Credit held per lease in prepaid rent, from the journal.
    let held = sums_by(
        db,
        scope::select::<L>(org)
            .expr_as(Expr::col((L::Table, L::LeaseId)), Alias::new("id"))
            .expr_as(
                Expr::cust(
                    "CAST(COALESCE(SUM(CASE WHEN journal_lines.side = 'credit' \
                     THEN journal_lines.amount_minor ELSE -journal_lines.amount_minor END), 0) \
                     AS BIGINT)",
                ),
                Alias::new("total"),
            )
            .inner_join(
                A::Table,
                Expr::col((A::Table, A::Id)).equals((L::Table, L::AccountId)),
            )
            .and_where(Expr::col((A::Table, A::SystemKey)).eq(SystemAccount::PrepaidRent.as_str()))
            .group_by_col((L::Table, L::LeaseId))
            .to_owned(),
    )
    .await?;
    let mut leases: Vec<&String> = held.keys().chain(credit_by_lease.keys()).collect();
    leases.sort();
    leases.dedup();
    for lease in leases {
        let journal = held.get(lease).copied().unwrap_or(0);
        let payments = credit_by_lease.get(lease).copied().unwrap_or(0);
        if journal != payments {
            out.push(finding(
                DiscrepancyKind::CreditMismatch,
                lease,
                format!(
                    "prepaid rent holds {journal} for the lease; its payments leave {payments} \
                     unapplied"
                ),
            ));
        }
    }
    Ok(())
}
