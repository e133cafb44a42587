//! Creating units, one or up to 500 at once: all or nothing in one transaction, inserted with
//! multi-row statements, one audit entry per unit.

use std::collections::HashSet;

use lintel_domain::portfolio::{NewUnit, Unit};
use lintel_domain::{Actor, FieldError, OrgId, PropertyId, Timestamp, UnitId};
use sea_query::{Alias, Expr, Order, Query, SimpleExpr};

use crate::audit::{self, Change};
use crate::db::{Count, Tx};
use crate::error::{Result, StoreError};
use crate::locks;
use crate::schema::Units as U;
use crate::unit_counts;
use crate::units::{columns, UnitRepo, UnitRow, COLUMNS};

/// Rows per multi-row `INSERT` (20 unit columns: 2,000 bound values per statement).
const CHUNK: usize = 100;

/// The error for a name + suite already used in the property, on `field`.
pub(crate) fn name_taken(field: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(
        field,
        "already exists in this property",
    )])
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    name: String,
    suite: Option<String>,
}

/// The indexes of `keys` (name, suite) already used by a unit of `property` (other than
/// `except`), compared as the unique index does: exact name, missing suite = empty suite.
pub(crate) async fn taken(
    tx: &mut Tx,
    property: PropertyId,
    except: Option<UnitId>,
    keys: &[(String, Option<String>)],
) -> Result<Vec<usize>> {
    let mut names: Vec<&str> = keys.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut existing: HashSet<(String, String)> = HashSet::new();
    for chunk in names.chunks(500) {
        let mut q = Query::select();
        q.columns([U::Name, U::Suite])
            .from(U::Table)
            .and_where(Expr::col(U::PropertyId).eq(property.to_string()))
            .and_where(Expr::col(U::Name).is_in(chunk.iter().copied()));
        if let Some(id) = except {
            q.and_where(Expr::col(U::Id).ne(id.to_string()));
        }
        let rows: Vec<KeyRow> = tx.all(&q).await?;
        existing.extend(
            rows.into_iter()
                .map(|r| (r.name, r.suite.unwrap_or_default())),
        );
    }
    Ok(keys
        .iter()
        .enumerate()
        .filter(|(_, (n, s))| existing.contains(&(n.clone(), s.clone().unwrap_or_default())))
        .map(|(i, _)| i)
        .collect())
}

/// Counts every unit of the organisation inside `tx`.
async fn org_units(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let c: Count = tx
        .one(
            &Query::select()
                .expr_as(Expr::col(U::Id).count(), Alias::new("n"))
                .from(U::Table)
                .and_where(Expr::col(U::OrgId).eq(org.to_string()))
                .to_owned(),
        )
        .await?;
    Ok(c.n as u64)
}

fn row_values(
    id: UnitId,
    org: OrgId,
    property: PropertyId,
    u: &NewUnit,
    now: i64,
) -> Vec<SimpleExpr> {
    vec![
        id.to_string().into(),
        org.to_string().into(),
        property.to_string().into(),
        u.name.clone().into(),
        u.suite.clone().into(),
        u.unit_type.as_str().into(),
        u.bedrooms.into(),
        u.bathrooms.into(),
        u.area_sqft.into(),
        u.rent.map(|r| r.amount_minor).into(),
        u.rent.map(|r| r.currency.code().to_string()).into(),
        u.furnishing.as_str().into(),
        u.storage.as_str().into(),
        u.parking_stalls.into(),
        u.max_occupancy.into(),
        i64::from(u.max_occupancy_set).into(),
        u.status.as_str().into(),
        u.description.clone().into(),
        now.into(),
        now.into(),
    ]
}

/// One `unit.create` audit entry per unit, written in multi-row statements.
async fn audit_created(tx: &mut Tx, org: OrgId, actor: &Actor, units: &[Unit]) -> Result<()> {
    let ids: Vec<String> = units.iter().map(|u| u.id.to_string()).collect();
    let changes: Vec<Change<(), Unit>> = units
        .iter()
        .zip(&ids)
        .map(|(u, id)| Change {
            action: "unit.create",
            entity_type: "unit",
            entity_id: id,
            before: None,
            after: Some(u),
        })
        .collect();
    audit::record_many(tx, org, actor, &changes).await
}

impl UnitRepo<'_> {
    /// Creates one unit in `property`; `limit` is the plan's cap on the organisation's units.
    /// A name + suite already used in the property is reported on `name`.
    pub async fn create(
        &self,
        actor: &Actor,
        property: PropertyId,
        new: NewUnit,
        limit: Option<u64>,
    ) -> Result<Unit> {
        let mut out = self
            .insert(actor, property, vec![new], limit, |_| "name".to_string())
            .await?;
        out.pop().ok_or(StoreError::NotFound)
    }

    /// Creates many units in `property`, all or none, in input order (their IDs sort the same
    /// way). Rows whose name + suite already exist in the property are reported as
    /// `units[i].name`; the plan's cap counts the whole batch.
    pub async fn create_many(
        &self,
        actor: &Actor,
        property: PropertyId,
        rows: Vec<NewUnit>,
        limit: Option<u64>,
    ) -> Result<Vec<Unit>> {
        self.insert(actor, property, rows, limit, |i| format!("units[{i}].name"))
            .await
    }

    async fn insert(
        &self,
        actor: &Actor,
        property: PropertyId,
        rows: Vec<NewUnit>,
        limit: Option<u64>,
        field: impl Fn(usize) -> String,
    ) -> Result<Vec<Unit>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let (rows, field) = (&rows, &field);
        self.db
            .write(move |mut tx| async move {
                // The lock order of crate::locks: the organisation (for the cap), then the
                // property. An unknown or archived property still answers before the cap does.
                if let Some(max) = limit {
                    locks::precheck_property(&mut tx, self.org, property).await?;
                    locks::org(&mut tx, self.org).await?;
                    if org_units(&mut tx, self.org).await? + rows.len() as u64 > max {
                        return Err(StoreError::LimitReached { limit: max });
                    }
                }
                locks::writable_property(&mut tx, self.org, property).await?;
                let keys: Vec<(String, Option<String>)> = rows
                    .iter()
                    .map(|u| (u.name.clone(), u.suite.clone()))
                    .collect();
                let clashes = taken(&mut tx, property, None, &keys).await?;
                if !clashes.is_empty() {
                    let errors = clashes
                        .into_iter()
                        .map(|i| FieldError::new(field(i), "already exists in this property"))
                        .collect();
                    return Err(StoreError::Invalid(errors));
                }
                // IDs are monotonic, so the units sort in input order.
                let ids: Vec<UnitId> = rows.iter().map(|_| UnitId::new()).collect();
                let now = Timestamp::now().0;
                for (chunk_ids, chunk) in ids.chunks(CHUNK).zip(rows.chunks(CHUNK)) {
                    let mut q = Query::insert();
                    q.into_table(U::Table).columns(COLUMNS);
                    for (id, u) in chunk_ids.iter().zip(chunk) {
                        q.values_panic(row_values(*id, self.org, property, u, now));
                    }
                    tx.exec(&q).await?;
                }
                let mut created = Vec::with_capacity(ids.len());
                for chunk_ids in ids.chunks(CHUNK) {
                    // By primary key alone: these IDs were generated in this transaction, and an
                    // `org_id` condition lets a planner with stale statistics scan the organisation.
                    let mut q = columns();
                    q.and_where(
                        Expr::col((U::Table, U::Id)).is_in(chunk_ids.iter().map(|i| i.to_string())),
                    )
                    .order_by((U::Table, U::Id), Order::Asc);
                    let found: Vec<UnitRow> = tx.all(&q).await?;
                    for r in found {
                        created.push(r.into_unit()?.0);
                    }
                }
                let deltas: Vec<_> = created.iter().map(|u| (property, u.status, 1)).collect();
                unit_counts::apply(&mut tx, self.org, &deltas).await?;
                audit_created(&mut tx, self.org, actor, &created).await?;
                tx.commit().await?;
                Ok(created)
            })
            .await
    }
}
