//! Creating units, one or up to 500 at once: all or nothing in one transaction, inserted with
//! multi-row statements, one audit entry per unit.

use std::collections::HashSet;

use lintel_domain::portfolio::{NewUnit, Unit};
use lintel_domain::{Actor, Cap, FieldError, OrgId, PropertyId, Timestamp, UnitId};
use lintel_domain::{EventKind, Limit};
use sea_query::{Alias, Expr, Order, Query, SimpleExpr};

use crate::db::{Count, Tx};
use crate::error::{Result, StoreError};
use crate::events::{self, Change};
use crate::locks;
use crate::portfolio::schema::Units as U;
use crate::portfolio::unit_counts;
use crate::portfolio::unit_keys;
use crate::portfolio::units::{select, UnitRepo, UnitRow, COLUMNS};
use crate::scope;

/// Rows per multi-row `INSERT` (20 unit columns: 2,000 bound values per statement).
const CHUNK: usize = 100;

/// What a name + suite already used in the property answers, on its field.
const NAME_TAKEN: &str = "already exists in this property";

/// The error for a name + suite already used in the property, on `field`.
pub(crate) fn name_taken(field: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, NAME_TAKEN)])
}

#[derive(serde::Deserialize)]
struct KeyRow {
    name_key: String,
    suite_key: Option<String>,
}

/// The indexes of `names` (name, suite) already used by a unit of `property` (other than
/// `except`), compared as the unique index does: on the names' keys (case and Unicode
/// composition do not matter), a missing suite the same as an empty one.
pub(crate) async fn taken(
    tx: &mut Tx,
    org: OrgId,
    property: PropertyId,
    except: Option<UnitId>,
    names: &[(String, Option<String>)],
) -> Result<Vec<usize>> {
    let wanted: Vec<(String, String)> = names
        .iter()
        .map(|(n, s)| {
            let (n, s) = unit_keys::keys(n, s.as_deref());
            (n, s.unwrap_or_default())
        })
        .collect();
    let mut name_keys: Vec<&str> = wanted.iter().map(|(n, _)| n.as_str()).collect();
    name_keys.sort_unstable();
    name_keys.dedup();
    let mut existing: HashSet<(String, String)> = HashSet::new();
    for chunk in name_keys.chunks(500) {
        let mut q = scope::select::<U>(org);
        q.columns([U::NameKey, U::SuiteKey])
            .and_where(Expr::col(U::PropertyId).eq(property.to_string()))
            .and_where(Expr::col(U::NameKey).is_in(chunk.iter().copied()));
        if let Some(id) = except {
            q.and_where(Expr::col(U::Id).ne(id.to_string()));
        }
        let rows: Vec<KeyRow> = tx.all(&q).await?;
        existing.extend(
            rows.into_iter()
                .map(|r| (r.name_key, r.suite_key.unwrap_or_default())),
        );
    }
    Ok(wanted
        .iter()
        .enumerate()
        .filter(|(_, key)| existing.contains(key))
        .map(|(i, _)| i)
        .collect())
}

/// Counts every unit of the organisation inside `tx`.
pub(crate) async fn org_units(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let c: Count = tx
        .one(
            &scope::select::<U>(org)
                .expr_as(Expr::col(U::Id).count(), Alias::new("n"))
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
    let (name_key, suite_key) = unit_keys::keys(&u.name, u.suite.as_deref());
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
        name_key.into(),
        suite_key.into(),
    ]
}

/// One `unit.create` audit entry per unit, written in multi-row statements.
async fn audit_created(tx: &mut Tx, org: OrgId, actor: &Actor, units: &[Unit]) -> Result<()> {
    let ids: Vec<String> = units.iter().map(|u| u.id.to_string()).collect();
    let changes: Vec<Change<(), Unit>> = units
        .iter()
        .zip(&ids)
        .map(|(u, id)| Change {
            kind: EventKind::UnitCreated,
            entity_id: id,
            before: None,
            after: Some(u),
        })
        .collect();
    events::emit_many(tx, org, actor, &changes).await
}

/// The 422 for the rows at `clashes`, each on its own field.
fn names_taken(clashes: Vec<usize>, field: &impl Fn(usize) -> String) -> StoreError {
    let errors = clashes
        .into_iter()
        .map(|i| FieldError::new(field(i), NAME_TAKEN))
        .collect();
    StoreError::Invalid(errors)
}

impl UnitRepo<'_> {
    /// The answer when an insert failed after the name check passed: if the unique index
    /// refused it, a concurrent request took a name meanwhile, which is reported exactly as the
    /// check reports it (a 422 on the clashing rows' `name`), found by checking again.
    pub(crate) async fn lost_race(
        &self,
        e: StoreError,
        property: PropertyId,
        keys: &[(String, Option<String>)],
        field: &impl Fn(usize) -> String,
    ) -> StoreError {
        if !matches!(e, StoreError::Conflict(_)) {
            return e;
        }
        let mut tx = match self.db.begin().await {
            Ok(tx) => tx,
            Err(e) => return e,
        };
        match taken(&mut tx, self.org, property, None, keys).await {
            Ok(clashes) if clashes.is_empty() => names_taken(vec![0], field),
            Ok(clashes) => names_taken(clashes, field),
            Err(e) => e,
        }
    }

    /// Creates one unit in `property`; `limit` is the plan's cap on the organisation's units.
    /// A name + suite already used in the property is reported on `name`.
    pub async fn create(
        &self,
        actor: &Actor,
        property: PropertyId,
        new: NewUnit,
        cap: Cap,
    ) -> Result<Unit> {
        let mut out = self
            .insert(actor, property, vec![new], cap, |_| "name".to_string())
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
        cap: Cap,
    ) -> Result<Vec<Unit>> {
        self.insert(actor, property, rows, cap, |i| format!("units[{i}].name"))
            .await
    }

    async fn insert(
        &self,
        actor: &Actor,
        property: PropertyId,
        rows: Vec<NewUnit>,
        cap: Cap,
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
                if cap.is_limited() {
                    locks::precheck_property(&mut tx, self.org, property).await?;
                }
                check_unit_cap(&mut tx, self.org, cap, rows.len()).await?;
                locks::writable_property(&mut tx, self.org, property).await?;
                let keys: Vec<(String, Option<String>)> = rows
                    .iter()
                    .map(|u| (u.name.clone(), u.suite.clone()))
                    .collect();
                let clashes = taken(&mut tx, self.org, property, None, &keys).await?;
                if !clashes.is_empty() {
                    return Err(names_taken(clashes, field));
                }
                match insert_rows(&mut tx, self.org, actor, property, rows).await {
                    Ok(created) => {
                        tx.commit().await?;
                        Ok(created)
                    }
                    Err(e @ StoreError::Conflict(_)) => {
                        drop(tx);
                        Err(self.lost_race(e, property, &keys, field).await)
                    }
                    Err(e) => Err(e),
                }
            })
            .await
    }
}

/// Refuses `adding` more units past the plan's cap, under the organisation's lock (tier 1 of
/// [`crate::locks`]).
pub(crate) async fn check_unit_cap(tx: &mut Tx, org: OrgId, cap: Cap, adding: usize) -> Result<()> {
    if cap.is_limited() {
        locks::org(tx, org).await?;
        let existing = org_units(tx, org).await?;
        if let Some(max) = cap.exceeded_by(existing, adding as u64) {
            return Err(StoreError::LimitReached {
                limit: Limit::Units,
                max,
            });
        }
    }
    Ok(())
}

/// Inserts `rows` as units of `property` inside `tx` (whose checks are done), keeps the
/// counters in step and emits their events; answers them as stored.
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    property: PropertyId,
    rows: &[NewUnit],
) -> Result<Vec<Unit>> {
    // IDs are monotonic, so the units sort in input order.
    let ids: Vec<UnitId> = rows.iter().map(|_| UnitId::new()).collect();
    let now = Timestamp::now().0;
    for (chunk_ids, chunk) in ids.chunks(CHUNK).zip(rows.chunks(CHUNK)) {
        let mut q = Query::insert();
        q.into_table(U::Table)
            .columns(COLUMNS.into_iter().chain([U::NameKey, U::SuiteKey]));
        for (id, u) in chunk_ids.iter().zip(chunk) {
            q.values_panic(row_values(*id, org, property, u, now));
        }
        tx.exec(&q).await?;
    }
    let mut created = Vec::with_capacity(ids.len());
    for chunk_ids in ids.chunks(CHUNK) {
        // By primary key (these IDs were generated in this transaction), scoped like every
        // statement on units.
        let mut q = select(org);
        q.and_where(Expr::col((U::Table, U::Id)).is_in(chunk_ids.iter().map(|i| i.to_string())))
            .order_by((U::Table, U::Id), Order::Asc);
        let found: Vec<UnitRow> = tx.all(&q).await?;
        for r in found {
            created.push(r.into_unit()?.0);
        }
    }
    let deltas: Vec<_> = created.iter().map(|u| (property, u.status, 1)).collect();
    unit_counts::apply(tx, org, &deltas).await?;
    audit_created(tx, org, actor, &created).await?;
    Ok(created)
}
