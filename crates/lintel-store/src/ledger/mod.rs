//! The ledger context's tables: the chart of accounts and the append-only journal
//! (`journal_entries`, `journal_lines`), which the database itself keeps balanced and unchanged
//! (`setup.rs`, decision 0015). So far: the accounts.

mod balances;
pub(crate) mod billing;
pub mod charges;
mod integrity;
mod integrity_money;
pub mod invoices;
pub mod journal;
mod lease_ledger;
pub mod payments;
mod posting;
mod settle;
pub(crate) mod setup;

use lintel_domain::ledger::{Account, AccountPatch, NewAccount, SystemAccount};
use lintel_domain::{AccountId, Actor, EventKind, KeyPart, ListRequest, OrgId, Page, Timestamp};
use sea_query::{Expr, Query, SelectStatement};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::list;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

crate::iden::table! {
    pub enum Accounts = "accounts" {
        Id = "id",
        OrgId = "org_id",
        Code = "code",
        Name = "name",
        Type = "type",
        SystemKey = "system_key",
        ArchivedAt = "archived_at",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::scope::org_tables!(Accounts);

use Accounts as A;

const COLUMNS: [A; 9] = [
    A::Id,
    A::OrgId,
    A::Code,
    A::Name,
    A::Type,
    A::SystemKey,
    A::ArchivedAt,
    A::CreatedAt,
    A::UpdatedAt,
];

#[derive(serde::Deserialize)]
struct AccountRow {
    id: String,
    org_id: String,
    code: String,
    name: String,
    r#type: String,
    system_key: Option<String>,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl AccountRow {
    fn into_account(self) -> Result<Account> {
        Ok(Account {
            id: parse_col("accounts.id", &self.id)?,
            organisation_id: parse_col("accounts.org_id", &self.org_id)?,
            code: self.code,
            name: self.name,
            kind: parse_col("accounts.type", &self.r#type)?,
            system: self
                .system_key
                .as_deref()
                .map(|s| parse_col("accounts.system_key", s))
                .transpose()?,
            archived_at: self.archived_at.map(Timestamp),
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<A>(org)
        .columns(COLUMNS.map(|c| (A::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((A::Table, A::Id)).eq(slot(1)));
    q
});

static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((A::Table, A::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// Inserts one account row.
async fn insert(tx: &mut Tx, a: &Account) -> Result<()> {
    tx.defer(
        Query::insert()
            .into_table(A::Table)
            .columns(COLUMNS)
            .values_panic([
                a.id.to_string().into(),
                a.organisation_id.to_string().into(),
                a.code.clone().into(),
                a.name.clone().into(),
                a.kind.as_str().into(),
                a.system.map(|s| s.as_str()).into(),
                a.archived_at.map(|t| t.0).into(),
                a.created_at.0.into(),
                a.updated_at.0.into(),
            ])
            .to_owned(),
    )
    .await
}

/// Gives a new organisation the system accounts of the chart, inside its creation.
pub(crate) async fn insert_chart(tx: &mut Tx, org: OrgId) -> Result<()> {
    let now = Timestamp::now();
    for system in SystemAccount::ALL {
        let (code, name, kind) = system.chart();
        let a = Account {
            id: AccountId::new(),
            organisation_id: org,
            code: code.into(),
            name: name.into(),
            kind,
            system: Some(*system),
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        insert(tx, &a).await?;
    }
    Ok(())
}

/// The accounts of one organisation.
pub struct AccountRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

/// `GET /api/accounts`: no filters.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<A>(OrgRef::Slot),
    list::no_filters,
);

fn code_taken(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict(_) => {
            StoreError::Refused("An account with this code already exists.".into())
        }
        e => e,
    }
}

impl AccountRepo<'_> {
    pub async fn get(&self, id: AccountId) -> Result<Account> {
        let row: AccountRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_account()
    }

    /// Every account of the chart, by code.
    pub async fn all(&self) -> Result<Vec<Account>> {
        let rows: Vec<AccountRow> = self
            .db
            .all(
                &select(self.org)
                    .order_by((A::Table, A::Code), sea_query::Order::Asc)
                    .to_owned(),
            )
            .await?;
        rows.into_iter().map(AccountRow::into_account).collect()
    }

    /// The chart, by code.
    pub async fn list(&self, req: impl Into<ListRequest>) -> Result<Page<Account>> {
        let order = list::Order::by_column("code", A::Table, A::Code, A::Id, false);
        let key = |r: &AccountRow| vec![KeyPart::Text(r.code.clone()), KeyPart::Text(r.id.clone())];
        let filters = list::Filters::new(self.org);
        list::counted(
            self.db,
            LIST.with(filters),
            &order,
            &req.into(),
            key,
            AccountRow::into_account,
        )
        .await
    }

    /// Adds a custom account; a code in use is refused.
    pub async fn create(&self, actor: &Actor, new: &NewAccount) -> Result<Account> {
        self.db
            .write(move |mut tx| async move {
                let now = Timestamp::now();
                let a = Account {
                    id: AccountId::new(),
                    organisation_id: self.org,
                    code: new.code.clone(),
                    name: new.name.clone(),
                    kind: new.kind,
                    system: None,
                    archived_at: None,
                    created_at: now,
                    updated_at: now,
                };
                insert(&mut tx, &a).await?;
                let change = Change::<(), _> {
                    kind: EventKind::AccountCreated,
                    entity_id: &a.id.to_string(),
                    before: None,
                    after: Some(&a),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await.map_err(code_taken)?;
                Ok(a)
            })
            .await
            .map_err(code_taken)
    }

    /// Renames or recodes an account (never its type).
    pub async fn update(
        &self,
        actor: &Actor,
        id: AccountId,
        patch: &AccountPatch,
    ) -> Result<Account> {
        self.change(actor, id, EventKind::AccountUpdated, |a| {
            if let Some(c) = &patch.code {
                a.code = c.clone();
            }
            if let Some(n) = &patch.name {
                a.name = n.clone();
            }
            Ok(())
        })
        .await
    }

    /// Archives a custom account: it takes no new lines; system accounts cannot be archived.
    pub async fn archive(&self, actor: &Actor, id: AccountId) -> Result<Account> {
        self.change(actor, id, EventKind::AccountArchived, |a| {
            if a.system.is_some() {
                return Err(StoreError::Refused(
                    "System accounts cannot be archived.".into(),
                ));
            }
            if a.archived_at.is_none() {
                a.archived_at = Some(Timestamp::now());
            }
            Ok(())
        })
        .await
    }

    async fn change(
        &self,
        actor: &Actor,
        id: AccountId,
        kind: EventKind,
        edit: impl Fn(&mut Account) -> Result<()>,
    ) -> Result<Account> {
        let edit = &edit;
        self.db
            .write(move |mut tx| async move {
                let row: AccountRow = tx.one(&BY_ID_LOCKED.with(key(self.org, id))).await?;
                let before = row.into_account()?;
                let mut after = before.clone();
                edit(&mut after)?;
                after.updated_at = Timestamp::now();
                tx.exec(
                    &scope::update_one::<A, _>(self.org, id)
                        .values([
                            (A::Code, after.code.clone().into()),
                            (A::Name, after.name.clone().into()),
                            (A::ArchivedAt, after.archived_at.map(|t| t.0).into()),
                            (A::UpdatedAt, after.updated_at.0.into()),
                        ])
                        .to_owned(),
                )
                .await?;
                let change = Change {
                    kind,
                    entity_id: &id.to_string(),
                    before: Some(&before),
                    after: Some(&after),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
            .map_err(code_taken)
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn accounts(&self) -> AccountRepo<'a> {
        AccountRepo {
            db: self.db,
            org: self.org,
        }
    }
}
