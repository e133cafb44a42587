//! Buildings (F2.2): list, retrieve, create, update. Properties link to them by `buildingId`.

use crate::contract::endpoints;
use axum::extract::State;
use lintel_domain::pagination::BUILDINGS_PAGE;
use lintel_domain::portfolio::{Building, BuildingInput, BuildingPatchInput};
use lintel_domain::{BuildingId, BuildingKind, Page};
use lintel_store::portfolio::buildings::BuildingFilter;
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
    /// Query parameters of `GET /api/buildings`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// Case-insensitive search in the name: at most 200 characters, no control characters;
        /// blank means no search.
        #[param(
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
        )]
        q: Option<String>,
    }
}

/// Lists the organisation's buildings by name. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/buildings", tag = "Buildings",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Building>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Building>>> {
    let mut check = QueryCheck::new();
    let search = check.text("q", q.q.as_deref(), super::properties::SEARCH_MAX);
    let page = q.paged(&mut check, BUILDINGS_PAGE);
    let page = check.finish(page)?;
    let filter = BuildingFilter { q: search };
    let page = state
        .store
        .org(auth.org)
        .buildings()
        .list(&filter, page)
        .await;
    Ok(Success(
        page.map_err(|e| ApiError::from_store(Entity::Building, e))?,
    ))
}

/// Retrieves one building. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/buildings/{id}", tag = "Buildings",
    params(("id" = BuildingId, Path, description = "Building ID")),
    responses((status = 200, body = Envelope<Building>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<BuildingKind>,
) -> ApiResult<Success<Building>> {
    let b = state.store.org(auth.org).buildings().get(id).await;
    Ok(Success(
        b.map_err(|e| ApiError::from_store(Entity::Building, e))?,
    ))
}

/// Creates a building; names are unique within the organisation (409 otherwise).
/// Requires landlord or higher.
#[utoipa::path(post, path = "/api/buildings", tag = "Buildings",
    request_body = BuildingInput,
    responses((status = 201, body = Envelope<Building>), BodyErrors))]
async fn create(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<BuildingInput>,
) -> ApiResult<Created<Building>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let b = state
        .store
        .org(auth.org)
        .buildings()
        .create(&auth.actor(), new)
        .await;
    Ok(Created(
        b.map_err(|e| ApiError::from_store(Entity::Building, e))?,
    ))
}

/// Changes a building: only the fields sent change; `null` clears an optional field and
/// `amenities` replaces the whole list. Requires landlord or higher.
#[utoipa::path(patch, path = "/api/buildings/{id}", tag = "Buildings",
    params(("id" = BuildingId, Path, description = "Building ID")),
    request_body = BuildingPatchInput,
    responses((status = 200, body = Envelope<Building>), BodyErrors))]
async fn update(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<BuildingKind>,
    ApiJson(input): ApiJson<BuildingPatchInput>,
) -> ApiResult<Success<Building>> {
    let patch = input.validate().map_err(ApiError::Validation)?;
    let b = state
        .store
        .org(auth.org)
        .buildings()
        .update(&auth.actor(), id, patch)
        .await;
    Ok(Success(
        b.map_err(|e| ApiError::from_store(Entity::Building, e))?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get, update))
}
