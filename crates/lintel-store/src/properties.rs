//! Properties: one organisation's portfolio entries, with unit counts computed on read.

use lintel_domain::portfolio::{
    average_minor, property_search_text, vacancy_rate, Address, Availability, NewProperty,
    Property, PropertyComparison, PropertyPatch, PropertySort, PropertyStatus, PropertyType,
    RentSummary, UnitStatus,
};
use lintel_domain::{
    Actor, BuildingId, FieldError, OrgId, Page, PageRequest, PropertyId, Timestamp,
};
use sea_query::{Alias, Cond, Expr, Func, LikeExpr, Order, Query, SelectStatement};

use crate::audit::{self, Change};
use crate::db::{Count, Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::prepared::{key, slot, Prepared};
use crate::schema::{Buildings, Properties as P, Units as U};
use crate::tenancy::lock_org;
use crate::unit_counts;

#[derive(sqlx::FromRow)]
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
fn select(org: impl ToString) -> SelectStatement {
    Query::select()
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
        .from(P::Table)
        .and_where(Expr::col((P::Table, P::OrgId)).eq(org.to_string()))
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

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE`.
pub(crate) fn like_contains(text: &str) -> LikeExpr {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    LikeExpr::new(p).escape('\\')
}

/// The properties of one organisation.
pub struct PropertyRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

/// One record by id: `[organisation, id]`.
static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(slot(0));
    q.and_where(Expr::col((P::Table, P::Id)).eq(slot(1)));
    q
});

async fn get_in(tx: &mut Tx, org: OrgId, id: PropertyId) -> Result<Property> {
    let row: PropertyRow = tx.one(&BY_ID.with(key(org, id))).await?;
    row.into_property()
}

/// Checks that a building reference names a building of the organisation.
pub(crate) async fn check_building(tx: &mut Tx, org: OrgId, id: BuildingId) -> Result<()> {
    let found: Option<Count> = tx
        .opt(
            &Query::select()
                .expr_as(Expr::col(Buildings::Id).count(), Alias::new("n"))
                .from(Buildings::Table)
                .and_where(Expr::col(Buildings::OrgId).eq(org.to_string()))
                .and_where(Expr::col(Buildings::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
    if found.is_some_and(|c| c.n > 0) {
        Ok(())
    } else {
        Err(StoreError::Invalid(vec![FieldError::new(
            "buildingId",
            "does not name a building in this organisation",
        )]))
    }
}

/// Counts the organisation's active (not archived) properties inside `tx`.
async fn active_count(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let c: Count = tx
        .one(
            &Query::select()
                .expr_as(Expr::col(P::Id).count(), Alias::new("n"))
                .from(P::Table)
                .and_where(Expr::col(P::OrgId).eq(org.to_string()))
                .and_where(Expr::col(P::ArchivedAt).is_null())
                .to_owned(),
        )
        .await?;
    Ok(c.n as u64)
}

async fn check_limit(tx: &mut Tx, org: OrgId, limit: Option<u64>) -> Result<()> {
    if let Some(max) = limit {
        lock_org(tx, org).await?;
        if active_count(tx, org).await? >= max {
            return Err(StoreError::LimitReached { limit: max });
        }
    }
    Ok(())
}

impl PropertyRepo<'_> {
    pub async fn get(&self, id: PropertyId) -> Result<Property> {
        let row: PropertyRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_property()
    }

    pub async fn list(&self, f: &PropertyFilter, page: PageRequest) -> Result<Page<Property>> {
        let mut cond = Cond::all().add(Expr::col((P::Table, P::OrgId)).eq(self.org.to_string()));
        cond = match f.availability {
            Availability::Active => cond.add(Expr::col((P::Table, P::ArchivedAt)).is_null()),
            Availability::Archived => cond.add(Expr::col((P::Table, P::ArchivedAt)).is_not_null()),
        };
        if let Some(s) = f.status {
            cond = cond.add(Expr::col((P::Table, P::Status)).eq(s.as_str()));
        }
        if let Some(k) = f.kind {
            cond = cond.add(Expr::col((P::Table, P::Kind)).eq(k.as_str()));
        }
        if let Some(q) = f.q.as_deref() {
            cond = cond.add(Expr::col((P::Table, P::SearchText)).like(like_contains(q)));
        }
        let total: Count = self
            .db
            .one(
                &Query::select()
                    .expr_as(Expr::col((P::Table, P::Id)).count(), Alias::new("n"))
                    .from(P::Table)
                    .cond_where(cond.clone())
                    .to_owned(),
            )
            .await?;
        let mut q = select(self.org);
        q.cond_where(cond);
        let (col, order) = match f.sort {
            PropertySort::Name => (P::Name, Order::Asc),
            PropertySort::NameDesc => (P::Name, Order::Desc),
            PropertySort::CreatedAt => (P::CreatedAt, Order::Asc),
            PropertySort::CreatedAtDesc => (P::CreatedAt, Order::Desc),
            PropertySort::UpdatedAt => (P::UpdatedAt, Order::Asc),
            PropertySort::UpdatedAtDesc => (P::UpdatedAt, Order::Desc),
        };
        q.order_by((P::Table, col), order.clone())
            .order_by((P::Table, P::Id), order)
            .limit(page.limit())
            .offset(page.offset());
        let rows: Vec<PropertyRow> = self.db.all(&q).await?;
        let items = rows
            .into_iter()
            .map(PropertyRow::into_property)
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, total.n as u64))
    }

    /// Creates a property; `limit` is the plan's cap on active properties.
    pub async fn create(
        &self,
        actor: &Actor,
        new: NewProperty,
        limit: Option<u64>,
    ) -> Result<Property> {
        let mut tx = self.db.begin().await?;
        check_limit(&mut tx, self.org, limit).await?;
        if let Some(b) = new.building_id {
            check_building(&mut tx, self.org, b).await?;
        }
        let created = new.into_property(PropertyId::new(), self.org, Timestamp::now());
        let (p, a) = (&created, &created.address);
        tx.exec(
            &Query::insert()
                .into_table(P::Table)
                .columns([
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
                    P::SearchText,
                    P::CreatedAt,
                    P::UpdatedAt,
                ])
                .values_panic([
                    p.id.to_string().into(),
                    self.org.to_string().into(),
                    p.building_id.map(|b| b.to_string()).into(),
                    p.name.clone().into(),
                    p.kind.as_str().into(),
                    p.status.as_str().into(),
                    a.line1.clone().into(),
                    a.line2.clone().into(),
                    a.city.clone().into(),
                    a.region.clone().into(),
                    a.postal_code.clone().into(),
                    a.country.clone().into(),
                    p.description.clone().into(),
                    property_search_text(&p.name, a).into(),
                    p.created_at.0.into(),
                    p.updated_at.0.into(),
                ])
                .to_owned(),
        )
        .await?;
        let change = Change::<(), _> {
            action: "property.create",
            entity_type: "property",
            entity_id: &created.id.to_string(),
            before: None,
            after: Some(&created),
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Applies a patch; archived properties are read-only.
    pub async fn update(
        &self,
        actor: &Actor,
        id: PropertyId,
        patch: PropertyPatch,
    ) -> Result<Property> {
        let mut tx = self.db.begin().await?;
        let before = get_in(&mut tx, self.org, id).await?;
        if before.archived_at.is_some() {
            return Err(StoreError::Archived);
        }
        if let Some(Some(b)) = patch.building_id {
            check_building(&mut tx, self.org, b).await?;
        }
        let mut after = before.clone();
        patch.apply(&mut after);
        let a = &after.address;
        tx.exec(
            &Query::update()
                .table(P::Table)
                .values([
                    (
                        P::BuildingId,
                        after.building_id.map(|b| b.to_string()).into(),
                    ),
                    (P::Name, after.name.clone().into()),
                    (P::Kind, after.kind.as_str().into()),
                    (P::Status, after.status.as_str().into()),
                    (P::AddressLine1, a.line1.clone().into()),
                    (P::AddressLine2, a.line2.clone().into()),
                    (P::City, a.city.clone().into()),
                    (P::Region, a.region.clone().into()),
                    (P::PostalCode, a.postal_code.clone().into()),
                    (P::Country, a.country.clone().into()),
                    (P::Description, after.description.clone().into()),
                    (P::SearchText, property_search_text(&after.name, a).into()),
                    (P::UpdatedAt, Timestamp::now().0.into()),
                ])
                .and_where(Expr::col(P::OrgId).eq(self.org.to_string()))
                .and_where(Expr::col(P::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        let after = get_in(&mut tx, self.org, id).await?;
        self.finish(tx, actor, "property.update", &before, &after)
            .await?;
        Ok(after)
    }

    /// Archives (`archive = true`) or restores a property. Restoring counts against the plan.
    pub async fn set_archived(
        &self,
        actor: &Actor,
        id: PropertyId,
        archive: bool,
        limit: Option<u64>,
    ) -> Result<Property> {
        let mut tx = self.db.begin().await?;
        let before = get_in(&mut tx, self.org, id).await?;
        if before.archived_at.is_some() == archive {
            tx.commit().await?;
            return Ok(before);
        }
        if !archive {
            check_limit(&mut tx, self.org, limit).await?;
        }
        let now = Timestamp::now().0;
        tx.exec(
            &Query::update()
                .table(P::Table)
                .values([
                    (P::ArchivedAt, archive.then_some(now).into()),
                    (P::UpdatedAt, now.into()),
                ])
                .and_where(Expr::col(P::OrgId).eq(self.org.to_string()))
                .and_where(Expr::col(P::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        let after = get_in(&mut tx, self.org, id).await?;
        let action = if archive {
            "property.archive"
        } else {
            "property.restore"
        };
        self.finish(tx, actor, action, &before, &after).await?;
        Ok(after)
    }

    async fn finish(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: &str,
        before: &Property,
        after: &Property,
    ) -> Result<()> {
        let change = Change {
            action,
            entity_type: "property",
            entity_id: &after.id.to_string(),
            before: Some(before),
            after: Some(after),
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await
    }

    /// Side-by-side figures for 2–5 properties, in the order asked. Any unknown ID is NotFound.
    pub async fn compare(&self, ids: &[PropertyId]) -> Result<Vec<PropertyComparison>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let p = self.get(*id).await?;
            let rents: Vec<RentRow> = self
                .db
                .all(
                    &Query::select()
                        .column(U::RentCurrency)
                        .expr_as(Expr::col(U::Id).count(), Alias::new("units"))
                        .expr_as(
                            Func::cast_as(Func::sum(Expr::col(U::RentMinor)), Alias::new("BIGINT")),
                            Alias::new("total"),
                        )
                        .from(U::Table)
                        .and_where(Expr::col(U::OrgId).eq(self.org.to_string()))
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
                    &Query::select()
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
                        .from(U::Table)
                        .and_where(Expr::col(U::OrgId).eq(self.org.to_string()))
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

#[derive(sqlx::FromRow)]
struct RentRow {
    rent_currency: String,
    units: i64,
    total: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AreaRow {
    area: i64,
}
