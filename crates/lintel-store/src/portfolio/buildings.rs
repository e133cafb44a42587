//! Buildings: named structures properties link to, with amenities and a count of their properties.

use lintel_domain::portfolio::{Address, Amenity, Building, BuildingPatch, NewBuilding};
use lintel_domain::EventKind;
use lintel_domain::{Actor, BuildingId, KeyPart, ListRequest, OrgId, Page, Timestamp};
use sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr, SubQueryStatement};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::list;
use crate::locks;
use crate::portfolio::properties::{like, like_pattern};
use crate::portfolio::schema::{Buildings as B, Properties as P};
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

#[derive(serde::Deserialize)]
struct BuildingRow {
    id: String,
    org_id: String,
    name: String,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    number_of_units: Option<i64>,
    description: Option<String>,
    amenities_json: String,
    created_at: i64,
    updated_at: i64,
    properties_count: i64,
}

impl BuildingRow {
    fn into_building(self) -> Result<Building> {
        let address = Address::from_parts(
            self.address_line1,
            self.address_line2,
            self.city,
            self.region,
            self.postal_code,
            self.country,
        );
        let amenities: Vec<Amenity> = serde_json::from_str(&self.amenities_json)
            .map_err(|e| StoreError::Corrupt(format!("buildings.amenities_json: {e}")))?;
        Ok(Building {
            id: parse_col("buildings.id", &self.id)?,
            organisation_id: parse_col("buildings.org_id", &self.org_id)?,
            name: self.name,
            address,
            number_of_units: self.number_of_units,
            description: self.description,
            amenities,
            properties_count: self.properties_count,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

/// `(SELECT COUNT(*) FROM properties WHERE properties.building_id = buildings.id)`.
fn properties_count() -> SimpleExpr {
    let q = scope::select_with::<P, B>()
        .expr(Expr::col((P::Table, P::Id)).count())
        .and_where(Expr::col((P::Table, P::BuildingId)).equals((B::Table, B::Id)))
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}

/// The organisation's buildings, with every column a [`Building`] needs.
/// `GET /api/buildings`: filter 0 is the search text's `LIKE` pattern.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<B>(OrgRef::Slot),
    |q, on| {
        if on.has(0) {
            // Lower-cased in Rust on write, so the match is Unicode-aware on both backends.
            q.and_where(Expr::col((B::Table, B::SearchName)).like(like(list::On::slot(0))));
        }
    },
);

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<B>(org)
        .columns(
            [
                B::Id,
                B::OrgId,
                B::Name,
                B::AddressLine1,
                B::AddressLine2,
                B::City,
                B::Region,
                B::PostalCode,
                B::Country,
                B::NumberOfUnits,
                B::Description,
                B::AmenitiesJson,
                B::CreatedAt,
                B::UpdatedAt,
            ]
            .map(|c| (B::Table, c)),
        )
        .expr_as(properties_count(), Alias::new("properties_count"))
        .to_owned()
}

fn amenities_json(list: &[Amenity]) -> Result<String> {
    serde_json::to_string(list).map_err(|e| StoreError::Corrupt(format!("amenities: {e}")))
}

/// The address columns, all `NULL` when there is no address.
fn address_values(a: Option<&Address>) -> [(B, sea_query::Value); 6] {
    let cols = [
        B::AddressLine1,
        B::AddressLine2,
        B::City,
        B::Region,
        B::PostalCode,
        B::Country,
    ];
    let mut parts = Address::parts(a).into_iter();
    cols.map(|c| (c, parts.next().flatten().into()))
}

/// Filters of `GET /api/buildings`.
#[derive(Debug, Clone, Default)]
pub struct BuildingFilter {
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

/// The buildings of one organisation.
pub struct BuildingRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

/// One record by id: `[organisation, id]`.
static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((B::Table, B::Id)).eq(slot(1)));
    q
});

async fn get_in(tx: &mut Tx, org: OrgId, id: BuildingId) -> Result<Building> {
    let row: BuildingRow = tx.one(&BY_ID.with(key(org, id))).await?;
    row.into_building()
}

impl BuildingRepo<'_> {
    pub async fn get(&self, id: BuildingId) -> Result<Building> {
        let row: BuildingRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_building()
    }

    /// The building named exactly `name`, if any (names are unique per organisation).
    pub async fn find_by_name(&self, name: &str) -> Result<Option<Building>> {
        let row: Option<BuildingRow> = self
            .db
            .opt(
                &select(self.org)
                    .and_where(Expr::col((B::Table, B::Name)).eq(name.trim()))
                    .to_owned(),
            )
            .await?;
        row.map(BuildingRow::into_building).transpose()
    }

    /// Buildings by name, then ID.
    pub async fn list(
        &self,
        f: &BuildingFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Building>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(text) = f.q.as_deref() {
            filters.set(0, like_pattern(text));
        }
        let order = list::Order::by_column("name", B::Table, B::Name, B::Id, false);
        let key =
            |r: &BuildingRow| vec![KeyPart::Text(r.name.clone()), KeyPart::Text(r.id.clone())];
        let map = BuildingRow::into_building;
        list::counted(self.db, LIST.with(filters), &order, &req.into(), key, map).await
    }

    /// Creates a building. A name already used in the organisation is a [`StoreError::Conflict`].
    pub async fn create(&self, actor: &Actor, new: NewBuilding) -> Result<Building> {
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                let id = BuildingId::new();
                let now = Timestamp::now().0;
                let mut cols = vec![B::Id, B::OrgId, B::Name, B::SearchName];
                let mut vals: Vec<SimpleExpr> = vec![
                    id.to_string().into(),
                    self.org.to_string().into(),
                    new.name.clone().into(),
                    new.name.to_lowercase().into(),
                ];
                for (c, v) in address_values(new.address.as_ref()) {
                    cols.push(c);
                    vals.push(v.into());
                }
                cols.extend([
                    B::NumberOfUnits,
                    B::Description,
                    B::AmenitiesJson,
                    B::CreatedAt,
                    B::UpdatedAt,
                ]);
                vals.extend([
                    new.number_of_units.into(),
                    new.description.clone().into(),
                    amenities_json(&new.amenities)?.into(),
                    now.into(),
                    now.into(),
                ]);
                tx.exec(
                    &Query::insert()
                        .into_table(B::Table)
                        .columns(cols)
                        .values_panic(vals)
                        .to_owned(),
                )
                .await?;
                let created = get_in(&mut tx, self.org, id).await?;
                let change = Change::<(), _> {
                    kind: EventKind::BuildingCreated,
                    entity_id: &created.id.to_string(),
                    before: None,
                    after: Some(&created),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(created)
            })
            .await
    }

    /// Applies a patch. Renaming onto another building's name is a [`StoreError::Conflict`].
    pub async fn update(
        &self,
        actor: &Actor,
        id: BuildingId,
        patch: BuildingPatch,
    ) -> Result<Building> {
        let patch = &patch;
        self.db
            .write(move |mut tx| async move {
                locks::building(&mut tx, self.org, id).await?;
                let before = get_in(&mut tx, self.org, id).await?;
                let mut after = before.clone();
                patch.clone().apply(&mut after);
                let mut values: Vec<(B, SimpleExpr)> = vec![
                    (B::Name, after.name.clone().into()),
                    (B::SearchName, after.name.to_lowercase().into()),
                ];
                values.extend(
                    address_values(after.address.as_ref())
                        .into_iter()
                        .map(|(c, v)| (c, v.into())),
                );
                values.extend([
                    (B::NumberOfUnits, after.number_of_units.into()),
                    (B::Description, after.description.clone().into()),
                    (B::AmenitiesJson, amenities_json(&after.amenities)?.into()),
                    (B::UpdatedAt, Timestamp::now().0.into()),
                ]);
                tx.exec(
                    &scope::update::<B>(self.org)
                        .values(values)
                        .and_where(Expr::col(B::Id).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                let after = get_in(&mut tx, self.org, id).await?;
                let change = Change {
                    kind: EventKind::BuildingUpdated,
                    entity_id: &after.id.to_string(),
                    before: Some(&before),
                    after: Some(&after),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn buildings(&self) -> BuildingRepo<'a> {
        BuildingRepo {
            db: self.db,
            org: self.org,
        }
    }
}
