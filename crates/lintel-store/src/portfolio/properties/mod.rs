//! Properties: one organisation's portfolio entries, with unit counts computed on read. Writes
//! (create, update, archive, restore) live in [`crate::portfolio::properties::writes`].

mod writes;
pub(crate) use writes::active_count;

use lintel_domain::portfolio::{
    average_minor, vacancy_rate, Address, Availability, Property, PropertyComparison, PropertySort,
    PropertyStatus, PropertyType, RentSummary, UnitStatus,
};
use lintel_domain::{KeyPart, ListRequest, OrgId, Page, PropertyId, Timestamp};
use sea_query::{Alias, Expr, Func, LikeExpr, Order, SelectStatement};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result};
use crate::list;
use crate::portfolio::schema::{Properties as P, Units as U};
use crate::portfolio::unit_counts;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

#[derive(serde::Deserialize)]
struct PropertyRow {
    id: String,
    org_id: String,
    building_id: Option<String>,
    name: String,
    kind: String,
    status: String,
    address_line1: String,
    address_line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: Option<String>,
    country: String,
    description: Option<String>,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    units_count: i64,
    occupied_units: i64,
}

impl PropertyRow {
    fn into_property(self) -> Result<Property> {
        Ok(Property {
            id: parse_col("properties.id", &self.id)?,
            organisation_id: parse_col("properties.org_id", &self.org_id)?,
            building_id: self
                .building_id
                .map(|b| parse_col("properties.building_id", &b))
                .transpose()?,
            name: self.name,
            kind: parse_col("properties.kind", &self.kind)?,
            status: parse_col("properties.status", &self.status)?,
            address: Address {
                line1: self.address_line1,
                line2: self.address_line2,
                city: self.city,
                region: self.region,
                postal_code: self.postal_code,
                country: self.country,
            },
            description: self.description,
            units_count: self.units_count,
            occupied_units: self.occupied_units,
            archived_at: self.archived_at.map(Timestamp),
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

/// The organisation's properties, with every column a [`Property`] needs.
fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<P>(org)
        .columns(
            [
                P::Id,
                P::OrgId,
                P::BuildingId,
                P::Name,
                P::Kind,
                P::Status,
                P::AddressLine1,
                P::AddressLine2,
                P::City,
                P::Region,
                P::PostalCode,
                P::Country,
                P::Description,
                P::ArchivedAt,
                P::CreatedAt,
                P::UpdatedAt,
            ]
            .map(|c| (P::Table, c)),
        )
        .expr_as(unit_counts::of_property(None), Alias::new("units_count"))
        .expr_as(
            unit_counts::of_property(Some(UnitStatus::Occupied)),
            Alias::new("occupied_units"),
        )
        .to_owned()
}

/// Filters of `GET /api/properties`.
#[derive(Debug, Clone)]
pub struct PropertyFilter {
    pub availability: Availability,
    pub status: Option<PropertyStatus>,
    pub kind: Option<PropertyType>,
    pub q: Option<String>,
    pub sort: PropertySort,
}

/// `LIKE pattern ESCAPE '\\'`.
pub(crate) fn like(pattern: impl Into<String>) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

/// `%text%`, lower-cased, for [`like`]: `%`, `_` and `\\` are escaped so user text matches
/// literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The properties of one organisation.
pub struct PropertyRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

/// `GET /api/properties`: filter 0 is "archived" (else active), 1 the status, 2 the kind, 3 the
/// search text's `LIKE` pattern.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<P>(OrgRef::Slot),
    |q, on| {
        q.and_where(if on.has(0) {
            Expr::col((P::Table, P::ArchivedAt)).is_not_null()
        } else {
            Expr::col((P::Table, P::ArchivedAt)).is_null()
        });
        if on.has(1) {
            q.and_where(Expr::col((P::Table, P::Status)).eq(list::On::slot(1)));
        }
        if on.has(2) {
            q.and_where(Expr::col((P::Table, P::Kind)).eq(list::On::slot(2)));
        }
        if on.has(3) {
            q.and_where(Expr::col((P::Table, P::SearchText)).like(like(list::On::slot(3))));
        }
    },
);

/// One record by id: `[organisation, id]`.
static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((P::Table, P::Id)).eq(slot(1)));
    q
});

pub(crate) async fn get_in(tx: &mut Tx, org: OrgId, id: PropertyId) -> Result<Property> {
    let row: PropertyRow = tx.one(&BY_ID.with(key(org, id))).await?;
    row.into_property()
}

impl PropertyRepo<'_> {
    pub async fn get(&self, id: PropertyId) -> Result<Property> {
        let row: PropertyRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_property()
    }

    pub async fn list(
        &self,
        f: &PropertyFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Property>> {
        let mut filters = list::Filters::new(self.org);
        if f.availability == Availability::Archived {
            filters.flag(0);
        }
        if let Some(s) = f.status {
            filters.set(1, s.as_str());
        }
        if let Some(k) = f.kind {
            filters.set(2, k.as_str());
        }
        if let Some(q) = f.q.as_deref() {
            filters.set(3, like_pattern(q));
        }
        let (col, desc) = match f.sort {
            PropertySort::Name => (P::Name, false),
            PropertySort::NameDesc => (P::Name, true),
            PropertySort::CreatedAt => (P::CreatedAt, false),
            PropertySort::CreatedAtDesc => (P::CreatedAt, true),
            PropertySort::UpdatedAt => (P::UpdatedAt, false),
            PropertySort::UpdatedAtDesc => (P::UpdatedAt, true),
        };
        let order = list::Order::by_column(f.sort.as_str(), P::Table, col, P::Id, desc);
        let key = |r: &PropertyRow| {
            let by = match col {
                P::Name => KeyPart::Text(r.name.clone()),
                P::CreatedAt => KeyPart::Int(r.created_at),
                _ => KeyPart::Int(r.updated_at),
            };
            vec![by, KeyPart::Text(r.id.clone())]
        };
        let map = PropertyRow::into_property;
        list::counted(self.db, LIST.with(filters), &order, &req.into(), key, map).await
    }

    /// Side-by-side figures for 2–5 properties, in the order asked. Any unknown ID is NotFound.
    pub async fn compare(&self, ids: &[PropertyId]) -> Result<Vec<PropertyComparison>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let p = self.get(*id).await?;
            let rents: Vec<RentRow> = self
                .db
                .all(
                    &scope::select::<U>(self.org)
                        .column(U::RentCurrency)
                        .expr_as(Expr::col(U::Id).count(), Alias::new("units"))
                        .expr_as(
                            Func::cast_as(Func::sum(Expr::col(U::RentMinor)), Alias::new("BIGINT")),
                            Alias::new("total"),
                        )
                        .and_where(Expr::col(U::PropertyId).eq(id.to_string()))
                        .and_where(Expr::col(U::RentCurrency).is_not_null())
                        .group_by_col(U::RentCurrency)
                        .order_by(U::RentCurrency, Order::Asc)
                        .to_owned(),
                )
                .await?;
            let area: AreaRow = self
                .db
                .one(
                    &scope::select::<U>(self.org)
                        .expr_as(
                            Func::cast_as(
                                Func::coalesce([
                                    Func::sum(Expr::col(U::AreaSqft)).into(),
                                    Expr::val(0).into(),
                                ]),
                                Alias::new("BIGINT"),
                            ),
                            Alias::new("area"),
                        )
                        .and_where(Expr::col(U::PropertyId).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
            let vacant = unit_counts::total(self.db, self.org, Some(*id), Some(UnitStatus::Vacant))
                .await? as i64;
            out.push(PropertyComparison {
                id: p.id,
                name: p.name,
                kind: p.kind,
                status: p.status,
                units_count: p.units_count,
                occupied_units: p.occupied_units,
                vacant_units: vacant,
                vacancy_rate: vacancy_rate(p.units_count, vacant),
                rent: rents
                    .into_iter()
                    .map(|r| RentSummary {
                        currency: r.rent_currency,
                        units: r.units,
                        total_asking_rent_minor: r.total.unwrap_or(0),
                        average_asking_rent_minor: average_minor(r.total.unwrap_or(0), r.units),
                    })
                    .collect(),
                total_area_sqft: area.area,
            });
        }
        Ok(out)
    }
}

#[derive(serde::Deserialize)]
struct RentRow {
    rent_currency: String,
    units: i64,
    total: Option<i64>,
}

#[derive(serde::Deserialize)]
struct AreaRow {
    area: i64,
}

impl<'a> crate::OrgScope<'a> {
    pub fn properties(&self) -> PropertyRepo<'a> {
        PropertyRepo {
            db: self.db,
            org: self.org,
        }
    }
}
