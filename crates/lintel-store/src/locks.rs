//! Row locks, and the one order every write transaction takes them in.
//!
//! Two PostgreSQL transactions that lock the same rows in opposite orders deadlock, and one of
//! them is rolled back. Every write here takes its locks in this global order, skipping tiers it
//! does not need but never going back to an earlier one:
//!
//! 1. **The organisation row** ([`org`]), only when the write checks an organisation-wide rule:
//!    a plan limit (active properties, units, members) or "keep one admin". The count that
//!    follows then sees every committed change it competes with.
//! 2. **The record written, or the parent of the rows written**: a property ([`property`],
//!    [`writable_property`]), a building ([`building`]), an API key ([`api_key`]), the
//!    organisation itself for a plan change. It is locked *before* it is read, so the `before` of
//!    the change and every check on it see the latest committed state.
//! 3. **Children of that parent**: a unit, after its property (`units::get_locked`).
//! 4. **Counter rows**, last: `unit_counts` by (property, status), then `org_unit_counts` by
//!    status (`unit_counts::apply` sorts them).
//!
//! Every lock is `FOR NO KEY UPDATE`: it keeps other writers of the row out, but not the
//! `FOR KEY SHARE` lock an `INSERT` takes on the row its foreign key names (each `audit_log`
//! entry names the organisation, each unit its property), so inserting a child or an audit
//! entry never waits for whoever holds the parent.
//!
//! SQLite runs one write transaction at a time (`BEGIN IMMEDIATE` behind the writer slot) and
//! has no row locks; sea-query renders no locking clause for it. There the organisation, building
//! and API-key locks are skipped and the property lock is the plain read of its state.

use lintel_domain::{ApiKeyId, BuildingId, OrgId, PropertyId};
use sea_query::{Expr, Iden, LockType, Query, SelectStatement};

use crate::db::{Backend, Tx};
use crate::error::{Result, StoreError};
use crate::identity::schema::{ApiKeys as K, Organisations as O};
use crate::portfolio::schema::{Buildings as B, Properties as P};
use crate::prepared::{key, slot, Prepared};

/// `SELECT col FROM table WHERE org_id = slot 0 AND id = slot 1`.
fn by_key<T: Iden + Copy + 'static>(table: T, org: T, id: T, col: T) -> SelectStatement {
    Query::select()
        .column(col)
        .from(table)
        .and_where(Expr::col(org).eq(slot(0)))
        .and_where(Expr::col(id).eq(slot(1)))
        .to_owned()
}

/// The same, `FOR NO KEY UPDATE`.
fn lock_by_key<T: Iden + Copy + 'static>(table: T, org: T, id: T, col: T) -> SelectStatement {
    by_key(table, org, id, col)
        .lock(LockType::NoKeyUpdate)
        .to_owned()
}

static ORG: Prepared<SelectStatement, 1> = Prepared::new(|| {
    Query::select()
        .column(O::Id)
        .from(O::Table)
        .and_where(Expr::col(O::Id).eq(slot(0)))
        .lock(LockType::NoKeyUpdate)
        .to_owned()
});
static PROPERTY: Prepared<SelectStatement, 2> =
    Prepared::new(|| lock_by_key(P::Table, P::OrgId, P::Id, P::ArchivedAt));
static PROPERTY_UNLOCKED: Prepared<SelectStatement, 2> =
    Prepared::new(|| by_key(P::Table, P::OrgId, P::Id, P::ArchivedAt));
static BUILDING: Prepared<SelectStatement, 2> =
    Prepared::new(|| lock_by_key(B::Table, B::OrgId, B::Id, B::Id));
static API_KEY: Prepared<SelectStatement, 2> =
    Prepared::new(|| lock_by_key(K::Table, K::OrgId, K::Id, K::Id));

#[derive(serde::Deserialize)]
struct Locked {
    #[allow(dead_code)]
    id: String,
}

#[derive(serde::Deserialize)]
struct PropertyState {
    archived_at: Option<i64>,
}

/// Tier 1: locks the organisation's row until `tx` ends (PostgreSQL; a no-op on SQLite).
pub(crate) async fn org(tx: &mut Tx, org: OrgId) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        let _: Option<Locked> = tx.opt(&ORG.with([org.to_string().into()])).await?;
    }
    Ok(())
}

/// Tier 2: locks one of the organisation's properties; answers whether it is archived.
/// NotFound when the organisation has no such property.
pub(crate) async fn property(tx: &mut Tx, org: OrgId, id: PropertyId) -> Result<bool> {
    let row: PropertyState = tx.one(&PROPERTY.with(key(org, id))).await?;
    Ok(row.archived_at.is_some())
}

/// Tier 2: locks a property that children are about to be written under: NotFound, else
/// Archived when it is read-only.
pub(crate) async fn writable_property(tx: &mut Tx, org: OrgId, id: PropertyId) -> Result<()> {
    writable(property(tx, org, id).await?)
}

/// The same check without the lock, for a write that must lock the organisation first but
/// answer an unknown or archived property before a plan limit; it locks and checks again after.
pub(crate) async fn precheck_property(tx: &mut Tx, org: OrgId, id: PropertyId) -> Result<()> {
    let row: PropertyState = tx.one(&PROPERTY_UNLOCKED.with(key(org, id))).await?;
    writable(row.archived_at.is_some())
}

fn writable(archived: bool) -> Result<()> {
    match archived {
        true => Err(StoreError::Archived),
        false => Ok(()),
    }
}

/// Tier 2: locks one of the organisation's buildings (the read that follows reports NotFound).
pub(crate) async fn building(tx: &mut Tx, org: OrgId, id: BuildingId) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        let _: Option<Locked> = tx.opt(&BUILDING.with(key(org, id))).await?;
    }
    Ok(())
}

/// Tier 2: locks one of the organisation's API keys (the read that follows reports NotFound).
pub(crate) async fn api_key(tx: &mut Tx, org: OrgId, id: ApiKeyId) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        let _: Option<Locked> = tx.opt(&API_KEY.with(key(org, id))).await?;
    }
    Ok(())
}
