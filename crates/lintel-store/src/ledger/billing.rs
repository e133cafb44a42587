//! Billing: posting a lease's rent periods, its deposit and its late fees, each exactly once.
//! Every charge billing posts carries a key (`rent:<period start>`, `deposit`,
//! `late_fee:<charge>`), unique per lease in the database; a run locks the lease, reads the keys
//! already posted and posts the rest, so runs at the same time or one after another post each
//! charge once.

use std::collections::HashSet;

use lintel_domain::leasing::{Lease, LeaseStatus};
use lintel_domain::ledger::billing::{late_fee, rent_periods};
use lintel_domain::ledger::{BillingRun, Charge, ChargeKind, ChargeStatus, NewCharge};
use lintel_domain::money::{Currency, Money};
use lintel_domain::{Actor, Date, LeaseId, OrgId};
use sea_query::{Expr, Order};

use super::charges::{post_charge, Charges as C};
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::leasing::schema::Leases as L;
use crate::scope;

/// What to bill besides the rent due.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Billing {
    /// The deposit, on activation.
    pub deposit: bool,
    /// Late fees on rent left unpaid past the grace days.
    pub late_fees: bool,
}

#[derive(serde::Deserialize)]
struct KeyRow {
    billing_key: Option<String>,
}

#[derive(serde::Deserialize)]
struct UnpaidRent {
    id: String,
    amount_minor: i64,
    due_date: String,
}

async fn posted_keys(tx: &mut Tx, org: OrgId, lease: LeaseId) -> Result<HashSet<String>> {
    let rows: Vec<KeyRow> = tx
        .all(
            &scope::select::<C>(org)
                .column(C::BillingKey)
                .and_where(Expr::col(C::LeaseId).eq(lease.to_string()))
                .and_where(Expr::col(C::BillingKey).is_not_null())
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.billing_key).collect())
}

async fn unpaid_rent(tx: &mut Tx, org: OrgId, lease: LeaseId) -> Result<Vec<UnpaidRent>> {
    tx.all(
        &scope::select::<C>(org)
            .columns([C::Id, C::AmountMinor, C::DueDate])
            .and_where(Expr::col(C::LeaseId).eq(lease.to_string()))
            .and_where(Expr::col(C::Kind).eq(ChargeKind::Rent.as_str()))
            .and_where(Expr::col(C::Status).is_in([
                ChargeStatus::Open.as_str(),
                ChargeStatus::PartiallyPaid.as_str(),
            ]))
            .order_by(C::DueDate, Order::Asc)
            .order_by(C::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

/// Posts what lease `l` (read locked in `tx`, in force) owes through `through` and has not been
/// billed yet: its deposit when asked, each rent period due, and each late fee earned. Answers
/// the charges posted, oldest due first.
pub(crate) async fn bill_lease(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    l: &Lease,
    through: Date,
    what: Billing,
) -> Result<Vec<Charge>> {
    let currency = Currency::parse(&l.rent.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("leases.currency: {}", l.rent.currency)))?;
    let money = |amount_minor| Money {
        amount_minor,
        currency,
    };
    let mut keys = posted_keys(tx, org, l.id).await?;
    let mut posted = Vec::new();
    let post = async |tx: &mut Tx, keys: &mut HashSet<String>, new: NewCharge| {
        let key = new.billing_key.clone().expect("billing charges have a key");
        if keys.contains(&key) {
            return Ok::<_, StoreError>(None);
        }
        let c = post_charge(tx, org, actor, l, &new).await?;
        keys.insert(key);
        Ok(Some(c))
    };
    if what.deposit {
        if let Some(d) = l.deposit.as_ref().filter(|d| d.amount_minor > 0) {
            let new = NewCharge {
                kind: ChargeKind::Deposit,
                amount: money(d.amount_minor),
                due_date: l.start_date,
                description: Some("Security deposit".into()),
                billing_key: Some("deposit".into()),
                period_end: None,
            };
            posted.extend(post(tx, &mut keys, new).await?);
        }
    }
    let periods = rent_periods(
        l.start_date,
        l.end_date,
        l.rent.amount_minor,
        l.rent_frequency,
        l.rent_due_day,
        through,
    );
    for p in periods.into_iter().filter(|p| p.amount_minor > 0) {
        let last = p.end.add_days(-1);
        let prorated = if p.prorated { ", prorated" } else { "" };
        let new = NewCharge {
            kind: ChargeKind::Rent,
            amount: money(p.amount_minor),
            due_date: p.start,
            description: Some(format!("Rent {} to {last}{prorated}", p.start)),
            billing_key: Some(format!("rent:{}", p.start)),
            period_end: Some(last),
        };
        posted.extend(post(tx, &mut keys, new).await?);
    }
    if let Some(fee) = l.late_fee.as_ref().filter(|_| what.late_fees) {
        for rent in unpaid_rent(tx, org, l.id).await? {
            let due = crate::leasing::leases::date_col("charges.due_date", &rent.due_date)?;
            let Some((amount, applies)) = late_fee(fee, rent.amount_minor, due) else {
                continue;
            };
            if applies > through {
                continue;
            }
            let new = NewCharge {
                kind: ChargeKind::LateFee,
                amount: money(amount),
                due_date: applies,
                description: Some(format!("Late fee on rent due {due}")),
                billing_key: Some(format!("late_fee:{}", rent.id)),
                period_end: None,
            };
            posted.extend(post(tx, &mut keys, new).await?);
        }
    }
    posted.sort_by_key(|c| c.due_date);
    Ok(posted)
}

#[derive(serde::Deserialize)]
struct IdRow {
    id: String,
}

/// Bills every lease of `org` in force through `through`: rent due and late fees earned, one
/// transaction per lease.
pub(crate) async fn run(db: &Db, org: OrgId, actor: &Actor, through: Date) -> Result<BillingRun> {
    let in_force = LeaseStatus::in_force_names();
    let ids: Vec<IdRow> = db
        .all(
            &scope::select::<L>(org)
                .column(L::Id)
                .and_where(Expr::col(L::Status).is_in(in_force))
                .order_by(L::StartDate, Order::Asc)
                .order_by(L::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut report = BillingRun {
        through: Some(through),
        ..BillingRun::default()
    };
    for row in ids {
        let id: LeaseId = parse_col("leases.id", &row.id)?;
        let posted = db
            .write(move |mut tx| async move {
                let l = crate::leasing::leases::get_in(&mut tx, org, id, true).await?;
                if !l.status.is_in_force() {
                    return Ok(None);
                }
                let what = Billing {
                    deposit: false,
                    late_fees: true,
                };
                let posted = bill_lease(&mut tx, org, actor, &l, through, what).await?;
                tx.commit().await?;
                Ok(Some(posted))
            })
            .await?;
        if let Some(posted) = posted {
            report.add(posted);
        }
    }
    Ok(report)
}

impl crate::OrgScope<'_> {
    /// `POST /api/billing/run`: every lease in force billed through `through`.
    pub async fn run_billing(&self, actor: &Actor, through: Date) -> Result<BillingRun> {
        run(self.db, self.org, actor, through).await
    }

    /// Today in the organisation's time zone.
    pub async fn today(&self) -> Result<Date> {
        crate::leasing::leases::today_in(self.db, self.org).await
    }
}
