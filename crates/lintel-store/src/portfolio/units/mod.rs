//! Units: the lettable parts of a property. Creation (one or in bulk) lives in [`crate::portfolio::units::bulk`].

pub(crate) mod bulk;

use lintel_domain::portfolio::{Unit, UnitPatch, UnitStatus};
use lintel_domain::EventKind;
use lintel_domain::{Actor, KeyPart, ListRequest, OrgId, Page, PropertyId, Timestamp, UnitId};
use sea_query::{Expr, LockType, SelectStatement, SimpleExpr};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::list;
use crate::locks;
use crate::portfolio::schema::Units as U;
use crate::portfolio::unit_counts;
use crate::portfolio::unit_keys;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

pub(crate) const COLUMNS: [U; 20] = [
    U::Id,
    U::OrgId,
    U::PropertyId,
    U::Name,
    U::Suite,
    U::UnitType,
    U::Bedrooms,
    U::Bathrooms,
    U::AreaSqft,
    U::RentMinor,
    U::RentCurrency,
    U::Furnishing,
    U::Storage,
    U::ParkingStalls,
    U::MaxOccupancy,
    U::MaxOccupancySet,
    U::Status,
    U::Description,
    U::CreatedAt,
    U::UpdatedAt,
];

#[derive(serde::Deserialize)]
pub(crate) struct UnitRow {
    id: String,
    org_id: String,
    property_id: String,
    name: String,
    suite: Option<String>,
    unit_type: String,
    bedrooms: f64,
    bathrooms: f64,
    area_sqft: Option<i64>,
    rent_minor: Option<i64>,
    rent_currency: Option<String>,
    furnishing: String,
    storage: String,
    parking_stalls: Option<i64>,
    max_occupancy: i64,
    max_occupancy_set: i64,
    status: String,
    description: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl UnitRow {
    /// The unit, and whether its max occupancy was pinned (rather than following the bedrooms).
    pub(crate) fn into_unit(self) -> Result<(Unit, bool)> {
        let rent = match (self.rent_minor, self.rent_currency) {
            (Some(amount_minor), Some(currency)) => Some(lintel_domain::money::MoneyDto {
                amount_minor,
                currency,
            }),
            _ => None,
        };
        let unit = Unit {
            id: parse_col("units.id", &self.id)?,
            organisation_id: parse_col("units.org_id", &self.org_id)?,
            property_id: parse_col("units.property_id", &self.property_id)?,
            name: self.name,
            suite: self.suite,
            unit_type: parse_col("units.unit_type", &self.unit_type)?,
            bedrooms: self.bedrooms,
            bathrooms: self.bathrooms,
            area_sqft: self.area_sqft,
            rent,
            furnishing: parse_col("units.furnishing", &self.furnishing)?,
            storage: parse_col("units.storage", &self.storage)?,
            parking_stalls: self.parking_stalls,
            max_occupancy: self.max_occupancy,
            status: parse_col("units.status", &self.status)?,
            description: self.description,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        };
        Ok((unit, self.max_occupancy_set != 0))
    }
}

/// The organisation's units, with every column a [`Unit`] needs.
pub(crate) fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<U>(org)
        .columns(COLUMNS.map(|c| (U::Table, c)))
        .to_owned()
}

/// `GET /api/units`: filter 0 is the property, 1 the status (its total is kept by
/// [`unit_counts`]).
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<U>(OrgRef::Slot),
    |q, on| {
        if on.has(0) {
            q.and_where(Expr::col((U::Table, U::PropertyId)).eq(list::On::slot(0)));
        }
        if on.has(1) {
            q.and_where(Expr::col((U::Table, U::Status)).eq(list::On::slot(1)));
        }
    },
);

/// One record by id: `[organisation, id]`.
static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(by_id);

fn by_id() -> SelectStatement {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((U::Table, U::Id)).eq(slot(1)));
    q
}

async fn get_in(tx: &mut Tx, org: OrgId, id: UnitId) -> Result<(Unit, bool)> {
    let row: UnitRow = tx.one(&BY_ID.with(key(org, id))).await?;
    row.into_unit()
}

/// The same, locked until the transaction ends (tier 3 of [`crate::locks`]: after its property).
static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = by_id();
    q.lock(LockType::NoKeyUpdate);
    q
});

async fn get_locked(tx: &mut Tx, org: OrgId, id: UnitId) -> Result<(Unit, bool)> {
    let row: UnitRow = tx.one(&BY_ID_LOCKED.with(key(org, id))).await?;
    row.into_unit()
}

#[derive(serde::Deserialize)]
struct PropertyOf {
    property_id: String,
}

/// Locks a unit's property (writable: NotFound, else Archived), then reads the unit under its
/// own lock. A unit never moves to another property, so its property is looked up first without
/// a lock.
pub(crate) async fn lock_unit(tx: &mut Tx, org: OrgId, id: UnitId) -> Result<(Unit, bool)> {
    let (unit, archived) = lock_unit_any(tx, org, id).await?;
    if archived {
        return Err(crate::error::StoreError::Archived);
    }
    Ok(unit)
}

/// As [`lock_unit`], also in an archived property; answers whether it is archived.
pub(crate) async fn lock_unit_any(
    tx: &mut Tx,
    org: OrgId,
    id: UnitId,
) -> Result<((Unit, bool), bool)> {
    let row: PropertyOf = tx
        .one(
            &scope::select::<U>(org)
                .column(U::PropertyId)
                .and_where(Expr::col(U::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
    let property = parse_col("units.property_id", &row.property_id)?;
    let archived = locks::property(tx, org, property).await?;
    Ok((get_locked(tx, org, id).await?, archived))
}

/// Moves a unit between status counters when its status changed.
async fn recount(tx: &mut Tx, org: OrgId, before: &Unit, after: &Unit) -> Result<()> {
    if before.status == after.status {
        return Ok(());
    }
    let deltas = [
        (before.property_id, before.status, -1),
        (after.property_id, after.status, 1),
    ];
    unit_counts::apply(tx, org, &deltas).await
}

/// Filters of `GET /api/units`.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub property_id: Option<PropertyId>,
    pub status: Option<UnitStatus>,
}

/// The units of one organisation.
pub struct UnitRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl UnitRepo<'_> {
    pub async fn get(&self, id: UnitId) -> Result<Unit> {
        let row: UnitRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        Ok(row.into_unit()?.0)
    }

    /// Units in ID (creation) order. Another organisation's property simply matches nothing.
    pub async fn list(&self, f: &UnitFilter, req: impl Into<ListRequest>) -> Result<Page<Unit>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(p) = f.property_id {
            filters.set(0, p.to_string());
        }
        if let Some(s) = f.status {
            filters.set(1, s.as_str());
        }
        let total = unit_counts::total(self.db, self.org, f.property_id, f.status).await?;
        let order = list::Order::by_key("id", U::Table, U::Id, false);
        let key = |r: &UnitRow| vec![KeyPart::Text(r.id.clone())];
        let unit = |r: UnitRow| r.into_unit().map(|(u, _)| u);
        list::page(
            self.db,
            LIST.with(filters),
            &order,
            &req.into(),
            total,
            key,
            unit,
        )
        .await
    }

    /// Applies a patch. The property must be writable; a name + suite already used by another
    /// unit of the property is reported on `name`.
    pub async fn update(&self, actor: &Actor, id: UnitId, patch: UnitPatch) -> Result<Unit> {
        let patch = &patch;
        self.db
            .write(move |mut tx| async move {
                let (before, set) = lock_unit(&mut tx, self.org, id).await?;
                let mut after = before.clone();
                let set = patch.clone().apply(&mut after, set);
                let renamed = after.name != before.name || after.suite != before.suite;
                let mut values: Vec<(U, SimpleExpr)> = Vec::new();
                if renamed {
                    let key = [(after.name.clone(), after.suite.clone())];
                    let taken = crate::portfolio::units::bulk::taken(
                        &mut tx,
                        self.org,
                        before.property_id,
                        Some(id),
                        &key,
                    )
                    .await?;
                    if !taken.is_empty() {
                        return Err(crate::portfolio::units::bulk::name_taken("name"));
                    }
                    // Only a new name or suite gets new keys: an older unit whose key was made
                    // unique by migration 0003 keeps it through unrelated changes.
                    let (name_key, suite_key) =
                        unit_keys::keys(&after.name, after.suite.as_deref());
                    values.extend([
                        (U::NameKey, name_key.into()),
                        (U::SuiteKey, suite_key.into()),
                    ]);
                }
                let rent = after.rent.as_ref();
                values.extend([
                    (U::Name, after.name.clone().into()),
                    (U::Suite, after.suite.clone().into()),
                    (U::UnitType, after.unit_type.as_str().into()),
                    (U::Bedrooms, after.bedrooms.into()),
                    (U::Bathrooms, after.bathrooms.into()),
                    (U::AreaSqft, after.area_sqft.into()),
                    (U::RentMinor, rent.map(|r| r.amount_minor).into()),
                    (U::RentCurrency, rent.map(|r| r.currency.clone()).into()),
                    (U::Furnishing, after.furnishing.as_str().into()),
                    (U::Storage, after.storage.as_str().into()),
                    (U::ParkingStalls, after.parking_stalls.into()),
                    (U::MaxOccupancy, after.max_occupancy.into()),
                    (U::MaxOccupancySet, i64::from(set).into()),
                    (U::Status, after.status.as_str().into()),
                    (U::Description, after.description.clone().into()),
                    (U::UpdatedAt, Timestamp::now().0.into()),
                ]);
                let updated = tx
                    .exec(
                        &scope::update::<U>(self.org)
                            .values(values)
                            .and_where(Expr::col(U::Id).eq(id.to_string()))
                            .to_owned(),
                    )
                    .await;
                if let Err(StoreError::Conflict(_)) = updated {
                    // Another request took the name since the check: the check's answer.
                    return Err(crate::portfolio::units::bulk::name_taken("name"));
                }
                updated?;
                let (after, _) = get_in(&mut tx, self.org, id).await?;
                recount(&mut tx, self.org, &before, &after).await?;
                self.finish(tx, actor, EventKind::UnitUpdated, &before, &after)
                    .await?;
                Ok(after)
            })
            .await
    }

    /// Sets a unit's status; setting the status it already has changes (and records) nothing.
    pub async fn set_status(&self, actor: &Actor, id: UnitId, status: UnitStatus) -> Result<Unit> {
        self.db
            .write(move |mut tx| async move {
                let (before, _) = lock_unit(&mut tx, self.org, id).await?;
                let after = write_status(&mut tx, self.org, actor, &before, status).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    async fn finish(
        &self,
        mut tx: Tx,
        actor: &Actor,
        kind: EventKind,
        before: &Unit,
        after: &Unit,
    ) -> Result<()> {
        let change = Change {
            kind,
            entity_id: &after.id.to_string(),
            before: Some(before),
            after: Some(after),
        };
        events::emit(&mut tx, self.org, actor, change).await?;
        tx.commit().await
    }
}

/// Sets the status of a unit locked with [`lock_unit`], keeping the counters in step, and emits
/// `unit.status`; the status it already has changes (and records) nothing.
pub(crate) async fn write_status(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    before: &Unit,
    status: UnitStatus,
) -> Result<Unit> {
    if before.status == status {
        return Ok(before.clone());
    }
    tx.exec(
        &scope::update::<U>(org)
            .values([
                (U::Status, status.as_str().into()),
                (U::UpdatedAt, Timestamp::now().0.into()),
            ])
            .and_where(Expr::col(U::Id).eq(before.id.to_string()))
            .to_owned(),
    )
    .await?;
    let (after, _) = get_in(tx, org, before.id).await?;
    recount(tx, org, before, &after).await?;
    let change = Change {
        kind: EventKind::UnitStatusChanged,
        entity_id: &after.id.to_string(),
        before: Some(before),
        after: Some(&after),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(after)
}

impl<'a> crate::OrgScope<'a> {
    pub fn units(&self) -> UnitRepo<'a> {
        UnitRepo {
            db: self.db,
            org: self.org,
        }
    }
}
