//! Properties (F2.1): list, retrieve, create, update, archive, restore, compare.

use crate::contract::endpoints;
use axum::extract::State;
use lintel_domain::pagination::PROPERTIES_PAGE;
use lintel_domain::portfolio::{
    Availability, Property, PropertyComparison, PropertyInput, PropertyPatchInput, PropertySort,
};
use lintel_domain::{Cap, FieldError, Limit, Page, PropertyId, PropertyKind};
use lintel_store::portfolio::properties::PropertyFilter;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, LandlordUp, ManagerUp};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId, QueryCheck};
use crate::query::list_query;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

/// Longest accepted search text.
pub(super) const SEARCH_MAX: usize = 200;

list_query! {
    /// Query parameters of `GET /api/properties`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 12).",
        /// `active` (default) or `archived`.
        #[param(value_type = Option<Availability>)]
        availability: Option<String>,
        #[param(value_type = Option<lintel_domain::portfolio::PropertyStatus>)]
        status: Option<String>,
        #[serde(rename = "type")]
        #[param(rename = "type", value_type = Option<lintel_domain::portfolio::PropertyType>)]
        kind: Option<String>,
        /// Case-insensitive search in name and address: at most 200 characters, no control
        /// characters; blank means no search.
        #[param(
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
        )]
        q: Option<String>,
        /// Sort order (default `name`).
        #[param(value_type = Option<PropertySort>)]
        sort: Option<String>,
    }
}

/// Lists the organisation's properties. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/properties", tag = "Properties",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Property>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Property>>> {
    let mut check = QueryCheck::new();
    let availability = check.choice("availability", q.availability.as_deref());
    let status = check.choice("status", q.status.as_deref());
    let kind = check.choice("type", q.kind.as_deref());
    let sort = check.choice("sort", q.sort.as_deref());
    let search = check.text("q", q.q.as_deref(), SEARCH_MAX);
    let page = q.paged(&mut check, PROPERTIES_PAGE);
    let page = check.finish(page)?;
    let filter = PropertyFilter {
        availability: availability.unwrap_or(Availability::Active),
        status,
        kind,
        q: search,
        sort: sort.unwrap_or(PropertySort::Name),
    };
    let org = state.store.org(auth.org);
    let page = org
        .properties()
        .list(&filter, page)
        .await
        .map_err(auth.failed(Entity::Property, &state))?;
    Ok(Success(page))
}

/// Retrieves one property. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/properties/{id}", tag = "Properties",
    params(("id" = PropertyId, Path, description = "Property ID")),
    responses((status = 200, body = Envelope<Property>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<PropertyKind>,
) -> ApiResult<Success<Property>> {
    let p = state.store.org(auth.org).properties().get(id).await;
    Ok(Success(p.map_err(auth.failed(Entity::Property, &state))?))
}

/// Creates a property. Requires landlord or higher; counts against the plan's property limit.
#[utoipa::path(post, path = "/api/properties", tag = "Properties",
    request_body = PropertyInput,
    responses((status = 201, body = Envelope<Property>), BodyErrors))]
async fn create(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PropertyInput>,
) -> ApiResult<Created<Property>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let repo = state.store.org(auth.org).properties();
    let p = repo
        .create(&auth.actor(), new, auth.cap(Limit::Properties))
        .await;
    Ok(Created(p.map_err(auth.failed(Entity::Property, &state))?))
}

/// Changes a property: only the fields sent change; `null` clears an optional field.
/// Archived properties are read-only (409) until restored. Requires landlord or higher.
#[utoipa::path(patch, path = "/api/properties/{id}", tag = "Properties",
    params(("id" = PropertyId, Path, description = "Property ID")),
    request_body = PropertyPatchInput,
    responses((status = 200, body = Envelope<Property>), BodyErrors))]
async fn update(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<PropertyKind>,
    ApiJson(input): ApiJson<PropertyPatchInput>,
) -> ApiResult<Success<Property>> {
    let patch = input.validate().map_err(ApiError::Validation)?;
    let p = state
        .store
        .org(auth.org)
        .properties()
        .update(&auth.actor(), id, patch)
        .await;
    Ok(Success(p.map_err(auth.failed(Entity::Property, &state))?))
}

/// Archives a property: it leaves the default list and becomes read-only. Idempotent. Requires
/// landlord or higher.
#[utoipa::path(post, path = "/api/properties/{id}/archive", tag = "Properties",
    params(("id" = PropertyId, Path, description = "Property ID")),
    responses((status = 200, body = Envelope<Property>), WriteErrors))]
async fn archive(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<PropertyKind>,
) -> ApiResult<Success<Property>> {
    let repo = state.store.org(auth.org).properties();
    let p = repo
        .set_archived(&auth.actor(), id, true, Cap::Unlimited)
        .await;
    Ok(Success(p.map_err(auth.failed(Entity::Property, &state))?))
}

/// Restores an archived property; counts against the plan's property limit. Idempotent.
/// Requires landlord or higher.
#[utoipa::path(post, path = "/api/properties/{id}/restore", tag = "Properties",
    params(("id" = PropertyId, Path, description = "Property ID")),
    responses((status = 200, body = Envelope<Property>), WriteErrors))]
async fn restore(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<PropertyKind>,
) -> ApiResult<Success<Property>> {
    let repo = state.store.org(auth.org).properties();
    let p = repo
        .set_archived(&auth.actor(), id, false, auth.cap(Limit::Properties))
        .await;
    Ok(Success(p.map_err(auth.failed(Entity::Property, &state))?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// 2 to 5 different property IDs, comma-separated, nothing else (no spaces, no empty
    /// entries).
    #[param(required = true, value_type = String,
        pattern = r"^(?!.*(prop_.{26}).*\1)prop_[0-7][0-9a-hjkmnp-tv-z]{25}(,prop_[0-7][0-9a-hjkmnp-tv-z]{25}){1,4}$",
        example = "prop_01jd9x4m2k8q7v5t3r1n0p6w8y,prop_01jd9x4m2k8q7v5t3r1n0p6w8z")]
    ids: Option<String>,
}

/// Compares 2–5 properties side by side: units, occupancy, vacancy rate, asking rent, area.
/// Requires property_manager or higher.
#[utoipa::path(get, path = "/api/properties/compare", tag = "Properties",
    params(CompareQuery),
    responses((status = 200, body = Envelope<Vec<PropertyComparison>>), ReadErrors))]
async fn compare(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> ApiResult<Success<Vec<PropertyComparison>>> {
    let invalid = |m: &str| ApiError::Validation(vec![FieldError::new("ids", m)]);
    // Taken exactly as documented: no trimming, and an empty entry is not a property ID.
    let raw = q.ids.unwrap_or_default();
    let parts: Vec<&str> = raw.split(',').collect();
    if raw.is_empty() || !(2..=5).contains(&parts.len()) {
        return Err(invalid(
            "must list between 2 and 5 property IDs, comma-separated",
        ));
    }
    let mut ids: Vec<PropertyId> = Vec::with_capacity(parts.len());
    for p in parts {
        let id: PropertyId = p
            .parse()
            .map_err(|_| invalid("must contain only property IDs (prop_…)"))?;
        if ids.contains(&id) {
            return Err(invalid("must not repeat a property"));
        }
        ids.push(id);
    }
    let out = state.store.org(auth.org).properties().compare(&ids).await;
    Ok(Success(out.map_err(auth.failed(Entity::Property, &state))?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(compare))
        .routes(endpoints!(get, update))
        .routes(endpoints!(archive))
        .routes(endpoints!(restore))
}
