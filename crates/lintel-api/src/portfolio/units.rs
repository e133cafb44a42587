//! Units (F2.3): list, retrieve, create (one or in bulk) under a property, update, set status.

use crate::contract::endpoints;
use axum::extract::State;
use lintel_domain::pagination::UNITS_PAGE;
use lintel_domain::portfolio::{
    BulkUnitsInput, Unit, UnitInput, UnitPatchInput, UnitStatus, UnitStatusInput,
};
use lintel_domain::{Limit, Page, PropertyId, PropertyKind, UnitId, UnitKind};
use lintel_store::portfolio::units::UnitFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, LandlordUp, ManagerUp};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId, QueryCheck};
use crate::query::list_query;
use crate::responses::{BodyErrors, ReadErrors};
use crate::AppState;

list_query! {
    /// Query parameters of `GET /api/units`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// Only the units of this property.
        #[param(value_type = Option<PropertyId>)]
        property_id: Option<String>,
        #[param(value_type = Option<UnitStatus>)]
        status: Option<String>,
    }
}

/// Lists the organisation's units in creation order. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/units", tag = "Units",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Unit>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Unit>>> {
    let mut check = QueryCheck::new();
    let property_id = check.id::<PropertyKind>("propertyId", q.property_id.as_deref());
    let status = check.choice("status", q.status.as_deref());
    let page = q.paged(&mut check, UNITS_PAGE);
    let page = check.finish(page)?;
    let filter = UnitFilter {
        property_id,
        status,
    };
    let page = state.store.org(auth.org).units().list(&filter, page).await;
    Ok(Success(page.map_err(auth.failed(Entity::Unit, &state))?))
}

/// Retrieves one unit. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/units/{id}", tag = "Units",
    params(("id" = UnitId, Path, description = "Unit ID")),
    responses((status = 200, body = Envelope<Unit>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<UnitKind>,
) -> ApiResult<Success<Unit>> {
    let u = state.store.org(auth.org).units().get(id).await;
    Ok(Success(u.map_err(auth.failed(Entity::Unit, &state))?))
}

/// Creates a unit in a property. Requires landlord or higher; counts against the plan's unit
/// limit. An archived property is read-only (409).
#[utoipa::path(post, path = "/api/properties/{id}/units", tag = "Units",
    params(("id" = PropertyId, Path, description = "Property ID")),
    request_body = UnitInput,
    responses((status = 201, body = Envelope<Unit>), BodyErrors))]
async fn create(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(property): PathId<PropertyKind>,
    ApiJson(input): ApiJson<UnitInput>,
) -> ApiResult<Created<Unit>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let repo = state.store.org(auth.org).units();
    let u = repo
        .create(&auth.actor(), property, new, auth.cap(Limit::Units))
        .await;
    Ok(Created(u.map_err(auth.failed(Entity::Property, &state))?))
}

/// Creates 1–500 units in a property at once, all or nothing: every failing row is listed as
/// `units[i].field`, including names already used in the property. Requires landlord or higher;
/// the whole batch counts against the plan's unit limit.
#[utoipa::path(post, path = "/api/properties/{id}/units/bulk", tag = "Units",
    params(("id" = PropertyId, Path, description = "Property ID")),
    request_body = BulkUnitsInput,
    responses((status = 201, body = Envelope<Vec<Unit>>), BodyErrors))]
async fn create_bulk(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(property): PathId<PropertyKind>,
    ApiJson(input): ApiJson<BulkUnitsInput>,
) -> ApiResult<Created<Vec<Unit>>> {
    let rows = input.validate().map_err(ApiError::Validation)?;
    let repo = state.store.org(auth.org).units();
    let out = repo
        .create_many(&auth.actor(), property, rows, auth.cap(Limit::Units))
        .await;
    Ok(Created(out.map_err(auth.failed(Entity::Property, &state))?))
}

/// Changes a unit: only the fields sent change; `null` clears an optional field, and
/// `maxOccupancy: null` returns it to the bedrooms default. Requires landlord or higher.
#[utoipa::path(patch, path = "/api/units/{id}", tag = "Units",
    params(("id" = UnitId, Path, description = "Unit ID")),
    request_body = UnitPatchInput,
    responses((status = 200, body = Envelope<Unit>), BodyErrors))]
async fn update(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<UnitKind>,
    ApiJson(input): ApiJson<UnitPatchInput>,
) -> ApiResult<Success<Unit>> {
    let patch = input.validate().map_err(ApiError::Validation)?;
    let repo = state.store.org(auth.org).units();
    let u = repo.update(&auth.actor(), id, patch).await;
    Ok(Success(u.map_err(auth.failed(Entity::Unit, &state))?))
}

/// Sets a unit's status (`vacant`, `occupied`, `maintenance`, `unavailable`). Requires landlord
/// or higher.
#[utoipa::path(patch, path = "/api/units/{id}/status", tag = "Units",
    params(("id" = UnitId, Path, description = "Unit ID")),
    request_body = UnitStatusInput,
    responses((status = 200, body = Envelope<Unit>), BodyErrors))]
async fn set_status(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<UnitKind>,
    ApiJson(input): ApiJson<UnitStatusInput>,
) -> ApiResult<Success<Unit>> {
    let status = input.validate().map_err(ApiError::Validation)?;
    let repo = state.store.org(auth.org).units();
    let u = repo.set_status(&auth.actor(), id, status).await;
    Ok(Success(u.map_err(auth.failed(Entity::Unit, &state))?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list))
        .routes(endpoints!(get, update))
        .routes(endpoints!(set_status))
        .routes(endpoints!(create))
        .routes(endpoints!(create_bulk))
}
