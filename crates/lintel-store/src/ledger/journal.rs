//! The journal: posting balanced entries (lines first, the entry last, as the database's
//! triggers require), reading them back, reversing them, and the balances they add up to.

use std::collections::BTreeMap;

use lintel_domain::ledger::{
    BalancedEntry, Dimensions, EntrySource, JournalEntry, JournalLine, Line,
};
use lintel_domain::money::{Currency, Money, MoneyDto};
use lintel_domain::{Actor, Date, JournalEntryId, KeyPart, ListRequest, OrgId, Page, Timestamp};
use sea_query::{Expr, Order, SelectStatement};

use super::posting::{post, Posting};
use crate::db::Db;
use crate::error::{parse_col, Conflict, Result, StoreError};
use crate::list;
use crate::scope::{self, OrgRef};

crate::iden::table! {
    pub enum JournalEntries = "journal_entries" {
        Id = "id",
        OrgId = "org_id",
        EntryDate = "entry_date",
        Memo = "memo",
        Source = "source",
        SourceId = "source_id",
        ReversalOf = "reversal_of",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
    }
}

crate::iden::table! {
    pub enum JournalLines = "journal_lines" {
        Id = "id",
        OrgId = "org_id",
        EntryId = "entry_id",
        Position = "position",
        AccountId = "account_id",
        Side = "side",
        AmountMinor = "amount_minor",
        Currency = "currency",
        PropertyId = "property_id",
        UnitId = "unit_id",
        LeaseId = "lease_id",
        TenantId = "tenant_id",
        EntryDate = "entry_date",
    }
}

crate::iden::table! {
    /// Each account's debits and credits per currency and day, in shards (`posting.rs`).
    pub enum AccountDayTotals = "account_day_totals" {
        OrgId = "org_id",
        AccountId = "account_id",
        Currency = "currency",
        EntryDate = "entry_date",
        Shard = "shard",
        DebitsMinor = "debits_minor",
        CreditsMinor = "credits_minor",
    }
}

crate::scope::org_tables!(JournalEntries, JournalLines);

/// Org-owned; rows are keyed by account, currency, day and shard, never by one ID column.
impl crate::scope::OrgTable for AccountDayTotals {
    const TABLE: Self = AccountDayTotals::Table;
    const ORG: Self = AccountDayTotals::OrgId;
    const ID: Self = AccountDayTotals::AccountId;
}

use JournalEntries as E;
use JournalLines as L;

pub(crate) const ENTRY_COLUMNS: [E; 9] = [
    E::Id,
    E::OrgId,
    E::EntryDate,
    E::Memo,
    E::Source,
    E::SourceId,
    E::ReversalOf,
    E::CreatedBy,
    E::CreatedAt,
];

#[derive(serde::Deserialize)]
struct EntryRow {
    id: String,
    org_id: String,
    entry_date: String,
    memo: Option<String>,
    source: String,
    source_id: Option<String>,
    reversal_of: Option<String>,
    created_by: Option<String>,
    created_at: i64,
}

#[derive(serde::Deserialize)]
struct LineRow {
    entry_id: String,
    account_id: String,
    side: String,
    amount_minor: i64,
    currency: String,
    property_id: Option<String>,
    unit_id: Option<String>,
    lease_id: Option<String>,
    tenant_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct Reversal {
    id: String,
    reversal_of: Option<String>,
}

fn opt<T: std::str::FromStr>(col: &str, raw: Option<&str>) -> Result<Option<T>> {
    raw.map(|r| parse_col(col, r)).transpose()
}

impl LineRow {
    fn into_line(self) -> Result<JournalLine> {
        Ok(JournalLine {
            account_id: parse_col("journal_lines.account_id", &self.account_id)?,
            side: parse_col("journal_lines.side", &self.side)?,
            amount: MoneyDto {
                amount_minor: self.amount_minor,
                currency: self.currency,
            },
            dims: Dimensions {
                property_id: opt("journal_lines.property_id", self.property_id.as_deref())?,
                unit_id: opt("journal_lines.unit_id", self.unit_id.as_deref())?,
                lease_id: opt("journal_lines.lease_id", self.lease_id.as_deref())?,
                tenant_id: opt("journal_lines.tenant_id", self.tenant_id.as_deref())?,
            },
        })
    }
}

fn entry_select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<E>(org)
        .columns(ENTRY_COLUMNS.map(|c| (E::Table, c)))
        .to_owned()
}

/// Fills in the lines and reversals of entry rows.
async fn complete(db: &Db, org: OrgId, rows: Vec<EntryRow>) -> Result<Vec<JournalEntry>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let lines: Vec<LineRow> = db
        .all(
            &scope::select::<L>(org)
                .columns([
                    L::EntryId,
                    L::AccountId,
                    L::Side,
                    L::AmountMinor,
                    L::Currency,
                    L::PropertyId,
                    L::UnitId,
                    L::LeaseId,
                    L::TenantId,
                ])
                .and_where(Expr::col(L::EntryId).is_in(ids.clone()))
                .order_by(L::EntryId, Order::Asc)
                .order_by(L::Position, Order::Asc)
                .to_owned(),
        )
        .await?;
    let reversals: Vec<Reversal> = db
        .all(
            &scope::select::<E>(org)
                .columns([E::Id, E::ReversalOf])
                .and_where(Expr::col(E::ReversalOf).is_in(ids))
                .to_owned(),
        )
        .await?;
    let mut by_entry: BTreeMap<String, Vec<JournalLine>> = BTreeMap::new();
    for l in lines {
        by_entry
            .entry(l.entry_id.clone())
            .or_default()
            .push(l.into_line()?);
    }
    rows.into_iter()
        .map(|r| {
            let reversed_by = reversals
                .iter()
                .find(|x| x.reversal_of.as_deref() == Some(r.id.as_str()));
            Ok(JournalEntry {
                id: parse_col("journal_entries.id", &r.id)?,
                organisation_id: parse_col("journal_entries.org_id", &r.org_id)?,
                entry_date: crate::leasing::leases::date_col(
                    "journal_entries.entry_date",
                    &r.entry_date,
                )?,
                memo: r.memo,
                source: parse_col("journal_entries.source", &r.source)?,
                source_id: r.source_id,
                reversal_of_id: opt("journal_entries.reversal_of", r.reversal_of.as_deref())?,
                reversed_by_id: opt("journal_entries.id", reversed_by.map(|x| x.id.as_str()))?,
                lines: by_entry.remove(&r.id).unwrap_or_default(),
                created_by: r.created_by,
                created_at: Timestamp(r.created_at),
            })
        })
        .collect()
}

/// `GET /api/journal-entries`: filter 0 from (a day), 1 to (a day), 2 an account, 3 a property,
/// 4 a lease, 5 a tenant, 6 the source.
static LIST: list::List = list::List::new(
    || entry_select(OrgRef::Slot),
    || scope::count::<E>(OrgRef::Slot),
    |q, on| {
        on.between(q, (E::Table, E::EntryDate), 0, 1);
        for (i, col) in [
            (2, L::AccountId),
            (3, L::PropertyId),
            (4, L::LeaseId),
            (5, L::TenantId),
        ] {
            if on.has(i) {
                let with = scope::select::<L>(OrgRef::Slot)
                    .column(L::EntryId)
                    .and_where(Expr::col(col).eq(list::On::slot(i)))
                    .to_owned();
                q.and_where(Expr::col((E::Table, E::Id)).in_subquery(with));
            }
        }
        if on.has(6) {
            q.and_where(Expr::col((E::Table, E::Source)).eq(list::On::slot(6)));
        }
    },
);

/// Filters of `GET /api/journal-entries`.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub account_id: Option<String>,
    pub property_id: Option<String>,
    pub lease_id: Option<String>,
    pub tenant_id: Option<String>,
    pub source: Option<EntrySource>,
}

/// The journal of one organisation.
pub struct JournalRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl JournalRepo<'_> {
    pub async fn get(&self, id: JournalEntryId) -> Result<JournalEntry> {
        let row: EntryRow = self
            .db
            .one(
                &entry_select(self.org)
                    .and_where(Expr::col((E::Table, E::Id)).eq(id.to_string()))
                    .to_owned(),
            )
            .await?;
        Ok(complete(self.db, self.org, vec![row]).await?.remove(0))
    }

    /// Entries, newest first.
    pub async fn list(
        &self,
        f: &EntryFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<JournalEntry>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(d) = f.from {
            filters.set(0, d.to_string());
        }
        if let Some(d) = f.to {
            filters.set(1, d.to_string());
        }
        for (i, v) in [
            (2, &f.account_id),
            (3, &f.property_id),
            (4, &f.lease_id),
            (5, &f.tenant_id),
        ] {
            if let Some(v) = v {
                filters.set(i, v.clone());
            }
        }
        if let Some(s) = f.source {
            filters.set(6, s.as_str());
        }
        let order = list::Order::by_key("-id", E::Table, E::Id, true);
        let key = |r: &EntryRow| vec![KeyPart::Text(r.id.clone())];
        let mut page =
            list::counted(self.db, LIST.with(filters), &order, &req.into(), key, Ok).await?;
        let rows = std::mem::take(&mut page.items);
        let items = complete(self.db, self.org, rows).await?;
        Ok(Page {
            items,
            page: page.page,
            page_size: page.page_size,
            total: page.total,
            total_pages: page.total_pages,
            next_cursor: page.next_cursor,
        })
    }

    /// Posts an admin's balanced entry.
    pub async fn post_manual(
        &self,
        actor: &Actor,
        date: Date,
        memo: Option<&str>,
        entry: &BalancedEntry,
    ) -> Result<JournalEntry> {
        self.db
            .write(move |mut tx| async move {
                let p = Posting {
                    date,
                    memo,
                    source: EntrySource::Manual,
                    source_id: None,
                    reversal_of: None,
                    system_accounts: false,
                };
                let posted = post(&mut tx, self.org, actor, p, entry).await?;
                tx.commit().await?;
                Ok(posted)
            })
            .await
    }

    /// Posts the mirror of entry `id`, dated today in the organisation's time zone. An entry is
    /// reversed once; a reversal is not reversed (post a new entry instead).
    pub async fn reverse(&self, actor: &Actor, id: JournalEntryId) -> Result<JournalEntry> {
        let original = self.get(id).await?;
        if original.reversal_of_id.is_some() {
            return Err(StoreError::Refused(
                "A reversal cannot be reversed: post a new entry.".into(),
            ));
        }
        if original.reversed_by_id.is_some() {
            return Err(already_reversed());
        }
        if original.source != EntrySource::Manual {
            return Err(StoreError::Refused(format!(
                "This entry was posted by a {}: correct it there (void the charge).",
                original.source
            )));
        }
        let entry = mirror_of(&original)?;
        let entry = &entry;
        let memo = format!("Reversal of {id}");
        let memo = memo.as_str();
        self.db
            .write(move |mut tx| async move {
                let date = crate::leasing::leases::today(&mut tx, self.org).await?;
                let p = Posting {
                    date,
                    memo: Some(memo),
                    source: EntrySource::Reversal,
                    source_id: Some(id.to_string()),
                    reversal_of: Some(id),
                    system_accounts: false,
                };
                let posted = post(&mut tx, self.org, actor, p, entry).await?;
                tx.commit().await?;
                Ok(posted)
            })
            .await
            .map_err(|e| match e {
                // Two reversals raced: the unique index on `reversal_of` let one through.
                StoreError::Conflict(Conflict::Unique(_)) => already_reversed(),
                e => e,
            })
    }
}

/// The entry that undoes a posted one: its lines, each on the other side.
pub(crate) fn mirror_of(posted: &JournalEntry) -> Result<BalancedEntry> {
    let id = posted.id;
    let lines = posted
        .lines
        .iter()
        .map(|l| {
            let currency = Currency::parse(&l.amount.currency)
                .ok_or_else(|| StoreError::Corrupt(format!("entry {id}: currency")))?;
            Ok(Line {
                account: l.account_id,
                side: l.side,
                amount: Money {
                    amount_minor: l.amount.amount_minor,
                    currency,
                },
                dims: l.dims,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let entry =
        BalancedEntry::new(lines).map_err(|e| StoreError::Corrupt(format!("entry {id}: {e}")))?;
    Ok(entry.reversed())
}

fn already_reversed() -> StoreError {
    StoreError::Refused("This entry has already been reversed.".into())
}

impl<'a> crate::OrgScope<'a> {
    pub fn journal(&self) -> JournalRepo<'a> {
        JournalRepo {
            db: self.db,
            org: self.org,
        }
    }
}
