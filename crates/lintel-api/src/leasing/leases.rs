//! Leases (F3.2): create, list, retrieve with tenants, unit, property and history, change terms
//! while unsigned, and move the status through the one state machine.

use axum::extract::State;
use lintel_domain::leasing::{
    Lease, LeaseDetail, LeaseInput, LeasePatchInput, LeaseStatus, LeaseStatusInput,
};
use lintel_domain::pagination::LEASES_PAGE;
use lintel_domain::{
    LeaseId, LeaseKind, Limit, Page, PropertyId, PropertyKind, Role, TenantId, TenantKind, UnitId,
    UnitKind,
};
use lintel_store::leasing::leases::{LeaseFilter, LeaseSort};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, ManagerUp, Principal};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId, QueryCheck};
use crate::query::list_query;
use crate::responses::{BodyErrors, ReadErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Lease");

/// Whose leases the caller may read: all of the organisation's (broker and up), or only those
/// of their own tenant profile (a tenant; `None` inside when they have none).
enum Reader {
    All,
    Tenant(Option<TenantId>),
}

async fn reader(auth: &Principal, state: &AppState) -> ApiResult<Reader> {
    match auth.role {
        Role::Tenant => Ok(Reader::Tenant(super::own_tenant(auth, state).await?)),
        _ => Ok(Reader::All),
    }
}

list_query! {
    /// Query parameters of `GET /api/leases`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        #[param(value_type = Option<LeaseStatus>)]
        status: Option<String>,
        #[param(value_type = Option<PropertyId>)]
        property_id: Option<String>,
        #[param(value_type = Option<UnitId>)]
        unit_id: Option<String>,
        /// Leases this tenant is on.
        #[param(value_type = Option<TenantId>)]
        tenant_id: Option<String>,
        /// Leases in force on this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        active_on: Option<String>,
        /// Leases with an end date before this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        expiring_before: Option<String>,
        /// `startDate`, `-startDate` (default, newest first), `endDate` or `-endDate` (periodic
        /// leases, with no end, sort last going up).
        #[param(value_type = Option<String>, pattern = "^-?(startDate|endDate)$")]
        sort: Option<String>,
    }
}

fn sort(check: &mut QueryCheck, raw: Option<&str>) -> LeaseSort {
    match raw {
        None | Some("-startDate") => LeaseSort::StartDateDesc,
        Some("startDate") => LeaseSort::StartDate,
        Some("endDate") => LeaseSort::EndDate,
        Some("-endDate") => LeaseSort::EndDateDesc,
        Some(_) => {
            check.fail(
                "sort",
                "must be one of: startDate, -startDate, endDate, -endDate",
            );
            LeaseSort::StartDateDesc
        }
    }
}

/// Lists leases, newest start first. Requires tenant or higher: brokers and up see the
/// organisation's leases, a tenant only the leases they are on.
#[utoipa::path(get, path = "/api/leases", tag = "Leases",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Lease>>), ReadErrors))]
async fn list(
    auth: Auth,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Lease>>> {
    let who = reader(&auth, &state).await?;
    let mut check = QueryCheck::new();
    let status = check.choice::<LeaseStatus>("status", q.status.as_deref());
    let property = check.id::<PropertyKind>("propertyId", q.property_id.as_deref());
    let unit = check.id::<UnitKind>("unitId", q.unit_id.as_deref());
    let tenant = check.id::<TenantKind>("tenantId", q.tenant_id.as_deref());
    let active_on = check.date("activeOn", q.active_on.as_deref());
    let expiring_before = check.date("expiringBefore", q.expiring_before.as_deref());
    let order = sort(&mut check, q.sort.as_deref());
    let page = q.paged(&mut check, LEASES_PAGE);
    let page = check.finish(page)?;
    let mut filter = LeaseFilter {
        status,
        property_id: property.map(|p| p.to_string()),
        unit_id: unit.map(|u| u.to_string()),
        tenant_id: tenant.map(|t| t.to_string()),
        active_on,
        expiring_before,
        sort: order,
    };
    if let Reader::Tenant(own) = who {
        match own {
            // Another tenant's leases are not there for them.
            Some(own) if tenant.is_none_or(|t| t == own) => {
                filter.tenant_id = Some(own.to_string())
            }
            _ => filter.tenant_id = Some(TenantId::from_ulid(Default::default()).to_string()),
        }
    }
    let leases = state.store.org(auth.org).leases().list(&filter, page).await;
    Ok(Success(leases.map_err(auth.failed(ENTITY, &state))?))
}

/// Creates a lease as `draft` for a unit and 1–6 tenants (the first is the primary tenant).
/// Every failing field is listed (end before start, due day out of range, a currency that is
/// not the unit's, a unit of an archived property); a unit, tenant or document that is not in
/// the organisation is a 404. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/leases", tag = "Leases",
    request_body = LeaseInput,
    responses((status = 201, body = Envelope<Lease>), BodyErrors))]
async fn create(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LeaseInput>,
) -> ApiResult<Created<Lease>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let l = state
        .store
        .org(auth.org)
        .leases()
        .create(&auth.actor(), &new)
        .await;
    Ok(Created(l.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves a lease with its tenants, unit and property summaries and its status history.
/// Requires tenant or higher: a tenant reads only a lease they are on (404 otherwise).
#[utoipa::path(get, path = "/api/leases/{id}", tag = "Leases",
    params(("id" = LeaseId, Path, description = "Lease ID")),
    responses((status = 200, body = Envelope<LeaseDetail>), ReadErrors))]
async fn get(
    auth: Auth,
    State(state): State<AppState>,
    PathId(id): PathId<LeaseKind>,
) -> ApiResult<Success<LeaseDetail>> {
    let who = reader(&auth, &state).await?;
    let detail = state.store.org(auth.org).leases().detail(id).await;
    let detail = detail.map_err(auth.failed(ENTITY, &state))?;
    if let Reader::Tenant(own) = who {
        if !own.is_some_and(|t| detail.lease.tenant_ids.contains(&t)) {
            return Err(ApiError::NotFound("Lease"));
        }
    }
    Ok(Success(detail))
}

/// Changes the terms of a lease while it is `draft` or `pending_signature` (409 after): only
/// the fields sent change; the terms are checked together again. Requires property_manager or
/// higher.
#[utoipa::path(patch, path = "/api/leases/{id}", tag = "Leases",
    params(("id" = LeaseId, Path, description = "Lease ID")),
    request_body = LeasePatchInput,
    responses((status = 200, body = Envelope<Lease>), BodyErrors))]
async fn update(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<LeaseKind>,
    ApiJson(input): ApiJson<LeasePatchInput>,
) -> ApiResult<Success<Lease>> {
    let patch = input.validate().map_err(ApiError::Validation)?;
    let l = state
        .store
        .org(auth.org)
        .leases()
        .update(&auth.actor(), id, &patch)
        .await;
    Ok(Success(l.map_err(auth.failed(ENTITY, &state))?))
}

/// Moves a lease to another status through its state machine:
/// `draft → pending_signature | active | cancelled`; `pending_signature → draft | active |
/// cancelled`; `active → renewed | notice_given | terminated | ended`; `renewed →
/// notice_given | terminated | ended`; `notice_given → ended | active`; `ended`, `terminated`
/// and `cancelled` are final. The same status is 409 `ALREADY_IN_STATUS` ("Lease is already in
/// this status."); any other move 409 `INVALID_STATUS_TRANSITION` ("Invalid status transition:
/// {from} -> {to}"). Coming into force over another lease of the unit in force is 409
/// `LEASE_OVERLAP`; the FREE plan allows 10 leases in force (403 `PLAN_LIMIT_EXCEEDED`).
/// `effectiveDate` defaults to today in the organisation's time zone. Activating a lease whose
/// start has come makes its unit `occupied`; ending or terminating it makes the unit `vacant`.
/// Requires property_manager or higher.
#[utoipa::path(patch, path = "/api/leases/{id}/status", tag = "Leases",
    params(("id" = LeaseId, Path, description = "Lease ID")),
    request_body = LeaseStatusInput,
    responses((status = 200, body = Envelope<Lease>), BodyErrors))]
async fn status(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<LeaseKind>,
    ApiJson(input): ApiJson<LeaseStatusInput>,
) -> ApiResult<Success<Lease>> {
    let req = input.validate().map_err(ApiError::Validation)?;
    let cap = auth.cap(Limit::LeasesInForce);
    let l = state
        .store
        .org(auth.org)
        .leases()
        .change_status(&auth.actor(), id, &req, cap)
        .await;
    Ok(Success(l.map_err(auth.failed(ENTITY, &state))?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get, update))
        .routes(endpoints!(status))
}
