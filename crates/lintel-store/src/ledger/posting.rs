//! Posting a balanced entry: its accounts checked, its lines sent first and the entry last, so
//! the database checks them as a whole (`setup.rs`), and its event recorded.

use lintel_domain::ledger::{BalancedEntry, EntrySource, JournalEntry, JournalLine, SystemAccount};
use lintel_domain::{
    AccountId, Actor, Date, EventKind, FieldError, JournalEntryId, OrgId, Timestamp,
};
use sea_query::{Expr, Query};

use super::journal::{JournalEntries as E, JournalLines as L, ENTRY_COLUMNS};
use super::Accounts as A;
use crate::db::Tx;
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::scope;

/// What a new entry records besides its lines.
pub(crate) struct Posting<'a> {
    pub date: Date,
    pub memo: Option<&'a str>,
    pub source: EntrySource,
    pub source_id: Option<String>,
    pub reversal_of: Option<JournalEntryId>,
    /// Every account of the entry was read with [`system_accounts`] in this transaction: the
    /// organisation's own, and never archived (`AccountRepo::archive` refuses them), so they
    /// are not checked again.
    pub system_accounts: bool,
}

#[derive(serde::Deserialize)]
struct AccountState {
    id: String,
    archived_at: Option<i64>,
}

/// Checks that every account of `entry` is the organisation's and open.
async fn open_accounts(tx: &mut Tx, org: OrgId, entry: &BalancedEntry) -> Result<()> {
    let ids: Vec<String> = entry
        .lines()
        .iter()
        .map(|l| l.account.to_string())
        .collect();
    let accounts: Vec<AccountState> = tx
        .all(
            &scope::select::<A>(org)
                .columns([A::Id, A::ArchivedAt])
                .and_where(Expr::col(A::Id).is_in(ids.clone()))
                .to_owned(),
        )
        .await?;
    let mut errors = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match accounts.iter().find(|a| &a.id == id) {
            None => return Err(StoreError::Missing("Account")),
            Some(a) if a.archived_at.is_some() => {
                errors.push(FieldError::new(
                    format!("lines[{i}].accountId"),
                    "is archived",
                ));
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    Ok(())
}

/// Posts `entry` inside `tx`: its accounts must be the organisation's and open (checked unless
/// [`Posting::system_accounts`]); lines are written first and the entry last, so the database
/// checks them as a whole.
pub(crate) async fn post(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    p: Posting<'_>,
    entry: &BalancedEntry,
) -> Result<JournalEntry> {
    if !p.system_accounts {
        open_accounts(tx, org, entry).await?;
    }
    let id = JournalEntryId::new();
    let date = p.date.to_string();
    let mut lines = Query::insert()
        .into_table(L::Table)
        .columns([
            L::Id,
            L::OrgId,
            L::EntryId,
            L::Position,
            L::AccountId,
            L::Side,
            L::AmountMinor,
            L::Currency,
            L::PropertyId,
            L::UnitId,
            L::LeaseId,
            L::TenantId,
            L::EntryDate,
        ])
        .to_owned();
    for (i, l) in entry.lines().iter().enumerate() {
        let d = &l.dims;
        lines.values_panic([
            format!("{id}_{i}").into(),
            org.to_string().into(),
            id.to_string().into(),
            (i as i64).into(),
            l.account.to_string().into(),
            l.side.as_str().into(),
            l.amount.amount_minor.into(),
            l.amount.currency.code().into(),
            d.property_id.map(|x| x.to_string()).into(),
            d.unit_id.map(|x| x.to_string()).into(),
            d.lease_id.map(|x| x.to_string()).into(),
            d.tenant_id.map(|x| x.to_string()).into(),
            date.clone().into(),
        ]);
    }
    // Sent now, not deferred: the entry's trigger must see its lines, and the parts of one
    // combined PostgreSQL statement see only the snapshot from before it (`pg_tx.rs`).
    tx.exec(&lines).await?;
    tx.defer(day_totals(org, &id, &date, entry)).await?;
    let now = Timestamp::now();
    tx.defer(
        Query::insert()
            .into_table(E::Table)
            .columns(ENTRY_COLUMNS)
            .values_panic([
                id.to_string().into(),
                org.to_string().into(),
                date.into(),
                p.memo.map(str::to_string).into(),
                p.source.as_str().into(),
                p.source_id.clone().into(),
                p.reversal_of.map(|r| r.to_string()).into(),
                actor.id.clone().into(),
                now.0.into(),
            ])
            .to_owned(),
    )
    .await?;
    let posted = JournalEntry {
        id,
        organisation_id: org,
        entry_date: p.date,
        memo: p.memo.map(str::to_string),
        source: p.source,
        source_id: p.source_id,
        reversal_of_id: p.reversal_of,
        reversed_by_id: None,
        lines: entry
            .lines()
            .iter()
            .map(|l| JournalLine {
                account_id: l.account,
                side: l.side,
                amount: l.amount.to_dto(),
                dims: l.dims,
            })
            .collect(),
        created_by: actor.id.clone(),
        created_at: now,
    };
    let change = Change::<(), _> {
        kind: EventKind::EntryPosted,
        entity_id: &id.to_string(),
        before: None,
        after: Some(&posted),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(posted)
}

#[derive(serde::Deserialize)]
struct SystemRow {
    id: String,
    system_key: Option<String>,
}

/// The organisation's system accounts `wanted`, in the same order.
pub(crate) async fn system_accounts<const N: usize>(
    tx: &mut Tx,
    org: OrgId,
    wanted: [SystemAccount; N],
) -> Result<[AccountId; N]> {
    let keys: Vec<&str> = wanted.iter().map(|s| s.as_str()).collect();
    let rows: Vec<SystemRow> = tx
        .all(
            &scope::select::<A>(org)
                .columns([A::Id, A::SystemKey])
                .and_where(Expr::col(A::SystemKey).is_in(keys))
                .to_owned(),
        )
        .await?;
    let mut out = [AccountId::new(); N];
    for (slot, s) in out.iter_mut().zip(wanted) {
        let row = rows
            .iter()
            .find(|r| r.system_key.as_deref() == Some(s.as_str()))
            .ok_or_else(|| StoreError::Corrupt(format!("organisation {org} has no {s} account")))?;
        *slot = parse_col("accounts.id", &row.id)?;
    }
    Ok(out)
}

crate::iden::table! {
    pub enum OrgCounters = "org_counters" {
        OrgId = "org_id",
        Name = "name",
        Last = "last",
    }
}

impl scope::OrgTable for OrgCounters {
    const TABLE: Self = OrgCounters::Table;
    const ORG: Self = OrgCounters::OrgId;
    const ID: Self = OrgCounters::Name;
}

#[derive(serde::Deserialize)]
struct Last {
    last: i64,
}

/// Adds `by` to the organisation's series `name` (created at `by` on first use) and answers its
/// new last number; the counter row stays locked until the transaction ends.
async fn advance(tx: &mut Tx, org: OrgId, name: &str, by: i64) -> Result<i64> {
    use OrgCounters as N;
    let q = Query::insert()
        .into_table(N::Table)
        .columns([N::OrgId, N::Name, N::Last])
        .values_panic([org.to_string().into(), name.into(), by.into()])
        .on_conflict(
            sea_query::OnConflict::columns([N::OrgId, N::Name])
                .value(N::Last, Expr::col((N::Table, N::Last)).add(by))
                .to_owned(),
        )
        .returning_col(N::Last)
        .to_owned();
    let row: Last = tx.one(&q).await?;
    Ok(row.last)
}

/// The next number of the organisation's series `name` (receipts, invoices), taken inside the
/// transaction that uses it: the counter row stays locked until it commits, so a series has no
/// gaps and no repeats.
pub(crate) async fn next_number(tx: &mut Tx, org: OrgId, name: &str) -> Result<i64> {
    advance(tx, org, name, 1).await
}

/// The last number taken in the organisation's series `name`, its counter row locked until the
/// transaction ends (created at 0 on first use). A plain locking read when the row exists, so
/// a transaction that then writes nothing commits nothing.
pub(crate) async fn lock_series(tx: &mut Tx, org: OrgId, name: &str) -> Result<i64> {
    use OrgCounters as N;
    let held: Option<Last> = tx
        .opt(
            &scope::select::<N>(org)
                .column(N::Last)
                .and_where(Expr::col(N::Name).eq(name))
                .lock(sea_query::LockType::Update)
                .to_owned(),
        )
        .await?;
    match held {
        Some(l) => Ok(l.last),
        None => advance(tx, org, name, 0).await,
    }
}

/// Sets the organisation's series `name` to `last` (its row locked by [`lock_series`]).
pub(crate) async fn set_series(tx: &mut Tx, org: OrgId, name: &str, last: i64) -> Result<()> {
    use OrgCounters as N;
    tx.defer(
        scope::update::<N>(org)
            .value(N::Last, last)
            .and_where(Expr::col(N::Name).eq(name))
            .to_owned(),
    )
    .await
}

/// How many rows a day's totals of one account are split over.
const SHARDS: u8 = 16;

/// The entry's lines added to their accounts' totals for the day: one row per account and
/// currency, in account order (so that concurrent postings take the rows in one order), in the
/// shard the entry's ID picks.
fn day_totals(
    org: OrgId,
    entry: &JournalEntryId,
    date: &str,
    lines: &BalancedEntry,
) -> sea_query::InsertStatement {
    use super::journal::AccountDayTotals as T;
    let mut sums: std::collections::BTreeMap<(String, &str), (i64, i64)> = Default::default();
    for l in lines.lines() {
        let s = sums
            .entry((l.account.to_string(), l.amount.currency.code()))
            .or_default();
        match l.side {
            lintel_domain::ledger::Side::Debit => s.0 += l.amount.amount_minor,
            lintel_domain::ledger::Side::Credit => s.1 += l.amount.amount_minor,
        }
    }
    let shard = i64::from(entry.to_string().bytes().last().unwrap_or(0) % SHARDS);
    let mut q = Query::insert()
        .into_table(T::Table)
        .columns([
            T::OrgId,
            T::AccountId,
            T::Currency,
            T::EntryDate,
            T::Shard,
            T::DebitsMinor,
            T::CreditsMinor,
        ])
        .to_owned();
    for ((account, currency), (debits, credits)) in sums {
        q.values_panic([
            org.to_string().into(),
            account.into(),
            currency.into(),
            date.into(),
            shard.into(),
            debits.into(),
            credits.into(),
        ]);
    }
    let add =
        |c: T, name: &str| Expr::col((T::Table, c)).add(Expr::cust(format!("excluded.{name}")));
    q.on_conflict(
        sea_query::OnConflict::columns([
            T::OrgId,
            T::AccountId,
            T::Currency,
            T::EntryDate,
            T::Shard,
        ])
        .value(T::DebitsMinor, add(T::DebitsMinor, "debits_minor"))
        .value(T::CreditsMinor, add(T::CreditsMinor, "credits_minor"))
        .to_owned(),
    );
    q
}
