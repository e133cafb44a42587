//! Writing properties: create, update, archive and restore, each one transaction run through
//! [`Db::write`](crate::db::Db::write) that takes its locks in the order of [`crate::locks`].

use lintel_domain::portfolio::{
    property_search_text, NewProperty, NewUnit, Property, PropertyPatch, Unit,
};
use lintel_domain::{Actor, BuildingId, Cap, FieldError, OrgId, PropertyId, Timestamp};
use lintel_domain::{EventKind, Limit};
use sea_query::{Alias, Expr, InsertStatement};

use crate::db::{Count, Tx};
use crate::error::{Result, StoreError};
use crate::events::{self, Change};
use crate::locks;
use crate::portfolio::properties::{get_in, PropertyRepo};
use crate::portfolio::schema::{Buildings, Properties as P};
use crate::portfolio::units::bulk as units_bulk;
use crate::prepared::{insert_row, Prepared};
use crate::scope;

/// Checks that a building reference names a building of the organisation.
async fn check_building(tx: &mut Tx, org: OrgId, id: BuildingId) -> Result<()> {
    let found: Option<Count> = tx
        .opt(
            &scope::select::<Buildings>(org)
                .expr_as(Expr::col(Buildings::Id).count(), Alias::new("n"))
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
pub(crate) async fn active_count(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let c: Count = tx
        .one(
            &scope::select::<P>(org)
                .expr_as(Expr::col(P::Id).count(), Alias::new("n"))
                .and_where(Expr::col(P::ArchivedAt).is_null())
                .to_owned(),
        )
        .await?;
    Ok(c.n as u64)
}

/// Refuses when the organisation already has `limit` active properties. The caller holds the
/// organisation's lock ([`locks::org`]), so the count sees every committed competitor.
async fn check_limit(tx: &mut Tx, org: OrgId, cap: Cap) -> Result<()> {
    if !cap.is_limited() {
        return Ok(());
    }
    match cap.exceeded_by(active_count(tx, org).await?, 1) {
        Some(max) => Err(StoreError::LimitReached {
            limit: Limit::Properties,
            max,
        }),
        None => Ok(()),
    }
}

/// Tier 1 of the lock order, for writes that check the plan's cap on active properties.
async fn lock_for_limit(tx: &mut Tx, org: OrgId, cap: Cap) -> Result<()> {
    match cap {
        Cap::AtMost(_) => locks::org(tx, org).await,
        Cap::Unlimited => Ok(()),
    }
}

/// A new property's row, rendered once (see [`insert_row`]).
static INSERT: Prepared<InsertStatement, 16> = Prepared::new(|| {
    insert_row(
        P::Table,
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
            P::SearchText,
            P::CreatedAt,
            P::UpdatedAt,
        ],
    )
});

/// Inserts a property inside `tx` (the cap checked under the organisation's lock) and emits
/// its event.
pub(crate) async fn insert_property(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    new: &NewProperty,
    cap: Cap,
) -> Result<Property> {
    lock_for_limit(tx, org, cap).await?;
    check_limit(tx, org, cap).await?;
    if let Some(b) = new.building_id {
        check_building(tx, org, b).await?;
    }
    let created = new
        .clone()
        .into_property(PropertyId::new(), org, Timestamp::now());
    let (p, a) = (&created, &created.address);
    tx.defer(INSERT.with([
        p.id.to_string().into(),
        org.to_string().into(),
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
    ]))
    .await?;
    let change = Change::<(), _> {
        kind: EventKind::PropertyCreated,
        entity_id: &created.id.to_string(),
        before: None,
        after: Some(&created),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(created)
}

impl PropertyRepo<'_> {
    /// Creates a property; `cap` is the plan's cap on active properties.
    pub async fn create(&self, actor: &Actor, new: NewProperty, cap: Cap) -> Result<Property> {
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                let created = insert_property(&mut tx, self.org, actor, new, cap).await?;
                tx.commit().await?;
                Ok(created)
            })
            .await
    }

    /// Creates a property with its first units in one transaction: all or nothing. The caps
    /// are the plan's on active properties and on units.
    pub async fn create_with_units(
        &self,
        actor: &Actor,
        new: NewProperty,
        units: Vec<NewUnit>,
        caps: (Cap, Cap),
    ) -> Result<(Property, Vec<Unit>)> {
        let (new, units) = (&new, &units);
        self.db
            .write(move |mut tx| async move {
                let property = insert_property(&mut tx, self.org, actor, new, caps.0).await?;
                let org = self.org;
                units_bulk::check_unit_cap(&mut tx, org, caps.1, units.len()).await?;
                let created = units_bulk::insert_rows(&mut tx, org, actor, property.id, units);
                let created = created.await?;
                tx.commit().await?;
                Ok((property, created))
            })
            .await
    }

    /// Applies a patch; archived properties are read-only.
    pub async fn update(
        &self,
        actor: &Actor,
        id: PropertyId,
        patch: PropertyPatch,
    ) -> Result<Property> {
        let patch = &patch;
        self.db
            .write(move |mut tx| async move {
                locks::writable_property(&mut tx, self.org, id).await?;
                let before = get_in(&mut tx, self.org, id).await?;
                if let Some(Some(b)) = patch.building_id {
                    check_building(&mut tx, self.org, b).await?;
                }
                let mut after = before.clone();
                patch.clone().apply(&mut after);
                let a = &after.address;
                tx.exec(
                    &scope::update::<P>(self.org)
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
                        .and_where(Expr::col(P::Id).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                let after = get_in(&mut tx, self.org, id).await?;
                self.finish(tx, actor, EventKind::PropertyUpdated, &before, &after)
                    .await?;
                Ok(after)
            })
            .await
    }

    /// Archives (`archive = true`) or restores a property. Restoring counts against the plan.
    pub async fn set_archived(
        &self,
        actor: &Actor,
        id: PropertyId,
        archive: bool,
        cap: Cap,
    ) -> Result<Property> {
        // Only a restore counts against the plan.
        let cap = if archive { Cap::Unlimited } else { cap };
        self.db
            .write(move |mut tx| async move {
                lock_for_limit(&mut tx, self.org, cap).await?;
                locks::property(&mut tx, self.org, id).await?;
                let before = get_in(&mut tx, self.org, id).await?;
                if before.archived_at.is_some() == archive {
                    tx.commit().await?;
                    return Ok(before);
                }
                check_limit(&mut tx, self.org, cap).await?;
                let now = Timestamp::now().0;
                tx.exec(
                    &scope::update::<P>(self.org)
                        .values([
                            (P::ArchivedAt, archive.then_some(now).into()),
                            (P::UpdatedAt, now.into()),
                        ])
                        .and_where(Expr::col(P::Id).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                let after = get_in(&mut tx, self.org, id).await?;
                let action = if archive {
                    EventKind::PropertyArchived
                } else {
                    EventKind::PropertyRestored
                };
                self.finish(tx, actor, action, &before, &after).await?;
                Ok(after)
            })
            .await
    }

    async fn finish(
        &self,
        mut tx: Tx,
        actor: &Actor,
        kind: EventKind,
        before: &Property,
        after: &Property,
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
