//! A lease's account: its lines on receivables, in order with a running balance, what is due
//! now, and the deposit held for it — all read from the journal.

use lintel_domain::ledger::{EntrySource, LeaseLedger, LeaseLedgerLine, SystemAccount};
use lintel_domain::{LeaseId, OrgId};
use sea_query::{Expr, Order};

use super::journal::{JournalEntries as E, JournalLines as L};
use super::Accounts as A;
use crate::db::Db;
use crate::error::{parse_col, Result, StoreError};
use crate::scope;

#[derive(serde::Deserialize)]
struct Row {
    entry_id: String,
    entry_date: String,
    side: String,
    amount_minor: i64,
    system_key: Option<String>,
    source: String,
    source_id: Option<String>,
    memo: Option<String>,
}

/// The lease's account (the lease must be the organisation's: the caller has read it).
pub(crate) async fn of_lease(
    db: &Db,
    org: OrgId,
    lease: LeaseId,
    currency: String,
) -> Result<LeaseLedger> {
    let systems = [
        SystemAccount::AccountsReceivable.as_str(),
        SystemAccount::PrepaidRent.as_str(),
        SystemAccount::SecurityDepositsHeld.as_str(),
    ];
    let rows: Vec<Row> = db
        .all(
            &scope::select::<L>(org)
                .columns([
                    (L::Table, L::EntryId),
                    (L::Table, L::EntryDate),
                    (L::Table, L::Side),
                    (L::Table, L::AmountMinor),
                ])
                .column((A::Table, A::SystemKey))
                .columns([
                    (E::Table, E::Source),
                    (E::Table, E::SourceId),
                    (E::Table, E::Memo),
                ])
                .inner_join(
                    A::Table,
                    Expr::col((A::Table, A::Id)).equals((L::Table, L::AccountId)),
                )
                .inner_join(
                    E::Table,
                    Expr::col((E::Table, E::Id)).equals((L::Table, L::EntryId)),
                )
                .and_where(Expr::col((L::Table, L::LeaseId)).eq(lease.to_string()))
                .and_where(Expr::col((A::Table, A::SystemKey)).is_in(systems))
                .order_by((L::Table, L::EntryDate), Order::Asc)
                .order_by((L::Table, L::EntryId), Order::Asc)
                .to_owned(),
        )
        .await?;
    let today = crate::leasing::leases::today_in(db, org).await?;
    let (mut balance, mut due_now, mut deposit, mut credit) = (0i64, 0i64, 0i64, 0i64);
    let mut lines: Vec<LeaseLedgerLine> = Vec::new();
    for r in rows {
        let debit = match r.side.as_str() {
            "debit" => true,
            "credit" => false,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "journal_lines.side: {other:?}"
                )))
            }
        };
        let signed = if debit {
            r.amount_minor
        } else {
            -r.amount_minor
        };
        let date = crate::leasing::leases::date_col("journal_lines.entry_date", &r.entry_date)?;
        match r.system_key.as_deref() {
            Some(k) if k == SystemAccount::SecurityDepositsHeld.as_str() => {
                deposit -= signed;
                continue;
            }
            Some(k) if k == SystemAccount::PrepaidRent.as_str() => credit -= signed,
            _ => {}
        }
        balance += signed;
        if date <= today {
            due_now += signed;
        }
        let entry_id = parse_col("journal_lines.entry_id", &r.entry_id)?;
        // One line per entry: a payment's lines on receivables and on prepaid rent together.
        if let Some(last) = lines.last_mut().filter(|l| l.entry_id == entry_id) {
            last.amount_minor += signed;
            last.balance_minor = balance;
            continue;
        }
        let source: EntrySource = parse_col("journal_entries.source", &r.source)?;
        lines.push(LeaseLedgerLine {
            entry_id,
            date,
            source,
            source_id: r.source_id,
            memo: r.memo,
            amount_minor: signed,
            balance_minor: balance,
        });
    }
    Ok(LeaseLedger {
        lease_id: lease,
        currency,
        lines,
        balance_minor: balance,
        due_now_minor: due_now,
        deposit_held_minor: deposit,
        credit_held_minor: credit,
    })
}

/// Debits less credits of the lines selected: what is owed on receivables and prepaid rent.
fn owed_sum() -> sea_query::SimpleExpr {
    Expr::cust(
        "CAST(COALESCE(SUM(CASE WHEN journal_lines.side = 'debit' \
         THEN journal_lines.amount_minor ELSE -journal_lines.amount_minor END), 0) AS BIGINT)",
    )
}

#[derive(serde::Deserialize)]
struct Owing {
    currency: String,
    owed: i64,
}

/// What the tenants of the leases `tenant` is on owe, per currency (negative when in credit):
/// receivables less the credit held, from the journal.
pub(crate) async fn of_tenant(
    db: &Db,
    org: OrgId,
    tenant: lintel_domain::TenantId,
) -> Result<Vec<lintel_domain::money::MoneyDto>> {
    use crate::leasing::schema::LeaseTenants as LT;
    let systems = [
        SystemAccount::AccountsReceivable.as_str(),
        SystemAccount::PrepaidRent.as_str(),
    ];
    let rows: Vec<Owing> = db
        .all(
            &scope::select::<L>(org)
                .column((L::Table, L::Currency))
                .expr_as(owed_sum(), sea_query::Alias::new("owed"))
                .inner_join(
                    A::Table,
                    Expr::col((A::Table, A::Id)).equals((L::Table, L::AccountId)),
                )
                .and_where(Expr::col((A::Table, A::SystemKey)).is_in(systems))
                .and_where(
                    Expr::col((L::Table, L::LeaseId)).in_subquery(
                        scope::select_with::<LT, L>()
                            .column((LT::Table, LT::LeaseId))
                            .and_where(Expr::col((LT::Table, LT::TenantId)).eq(tenant.to_string()))
                            .to_owned(),
                    ),
                )
                .group_by_col((L::Table, L::Currency))
                .order_by((L::Table, L::Currency), Order::Asc)
                .to_owned(),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| lintel_domain::money::MoneyDto {
            amount_minor: r.owed,
            currency: r.currency,
        })
        .collect())
}

#[derive(serde::Deserialize)]
struct Due {
    owed: i64,
}

/// What the lease owes on `today` (receivables due by then, less the credit held), read inside
/// `tx`: the same figure as [`LeaseLedger::due_now_minor`].
pub(crate) async fn due_on(
    tx: &mut crate::db::Tx,
    org: OrgId,
    lease: LeaseId,
    today: lintel_domain::Date,
) -> Result<i64> {
    let systems = [
        SystemAccount::AccountsReceivable.as_str(),
        SystemAccount::PrepaidRent.as_str(),
    ];
    let due: Due = tx
        .one(
            &scope::select::<L>(org)
                .expr_as(owed_sum(), sea_query::Alias::new("owed"))
                .inner_join(
                    A::Table,
                    Expr::col((A::Table, A::Id)).equals((L::Table, L::AccountId)),
                )
                .and_where(Expr::col((A::Table, A::SystemKey)).is_in(systems))
                .and_where(Expr::col((L::Table, L::LeaseId)).eq(lease.to_string()))
                .and_where(Expr::col((L::Table, L::EntryDate)).lte(today.to_string()))
                .to_owned(),
        )
        .await?;
    Ok(due.owed)
}
