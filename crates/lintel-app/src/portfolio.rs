//! Portfolio use cases: operations on properties and units of more than one step.

use lintel_domain::portfolio::{NewProperty, NewUnit, Property, Unit};
use lintel_domain::{Actor, Limit, OrgId, Plan};
use lintel_store::Store;

use crate::AppResult;

/// Creates a property with its first units, all or nothing: a unit the plan's cap refuses, or
/// a property past the cap on active properties, leaves neither behind. Both caps come from
/// `plan`.
pub async fn create_property_with_units(
    store: &Store,
    actor: &Actor,
    org: OrgId,
    plan: Plan,
    property: NewProperty,
    units: Vec<NewUnit>,
) -> AppResult<(Property, Vec<Unit>)> {
    let caps = (plan.cap(Limit::Properties), plan.cap(Limit::Units));
    let scope = store.org(org);
    let created = scope
        .properties()
        .create_with_units(actor, property, units, caps)
        .await?;
    Ok(created)
}
