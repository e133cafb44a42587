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
    let (mut balance, mut due_now, mut deposit) = (0i64, 0i64, 0i64);
    let mut lines = Vec::new();
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
        if r.system_key.as_deref() == Some(SystemAccount::SecurityDepositsHeld.as_str()) {
            deposit -= signed;
            continue;
        }
        balance += signed;
        if date <= today {
            due_now += signed;
        }
        let source: EntrySource = parse_col("journal_entries.source", &r.source)?;
        lines.push(LeaseLedgerLine {
            entry_id: parse_col("journal_lines.entry_id", &r.entry_id)?,
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
    })
}
