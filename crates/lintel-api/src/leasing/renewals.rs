//! Lease renewals (F3.3): offers on leases in force, the tenants' answers, withdrawals and
//! reminders.

use axum::extract::State;
use axum::http::StatusCode;
use lintel_domain::leasing::renewal::ReminderQueued;
use lintel_domain::leasing::{Renewal, RenewalInput, RenewalResponseInput, RenewalStatus};
use lintel_domain::pagination::RENEWALS_PAGE;
use lintel_domain::{LeaseId, LeaseKind, Page, RenewalId, RenewalKind, Role, TenantId};
use lintel_store::leasing::leases::renewals::RenewalFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, ManagerUp, Principal};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId, QueryCheck};
use crate::query::list_query;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Renewal offer");

/// A caller who answers or reads only as a tenant: their own tenant profile (`None` when they
/// have none). Property managers and up act on the organisation's behalf (`Ok(None)` outside).
async fn as_tenant(auth: &Principal, state: &AppState) -> ApiResult<Option<Option<TenantId>>> {
    if auth.role.at_least(Role::PropertyManager) {
        return Ok(None);
    }
    Ok(Some(super::own_tenant(auth, state).await?))
}

/// Whether `tenant` is on the offer's lease.
async fn on_lease(
    auth: &Principal,
    state: &AppState,
    r: &Renewal,
    tenant: Option<TenantId>,
) -> ApiResult<bool> {
    let Some(tenant) = tenant else {
        return Ok(false);
    };
    let lease = state.store.org(auth.org).leases().get(r.lease_id).await;
    Ok(lease
        .map_err(auth.failed(ENTITY, state))?
        .tenant_ids
        .contains(&tenant))
}

/// Offers new terms on an `active` or `renewed` lease with an end date: `startDate` defaults
/// to the day after the lease ends; one open offer per lease (409 otherwise). The lease's
/// tenants with an account are notified. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/lease-renewals", tag = "Lease renewals",
    request_body = RenewalInput,
    responses((status = 201, body = Envelope<Renewal>), BodyErrors))]
async fn create(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RenewalInput>,
) -> ApiResult<Created<Renewal>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let r = state
        .store
        .org(auth.org)
        .renewals()
        .create(&auth.actor(), &new)
        .await;
    Ok(Created(r.map_err(auth.failed(ENTITY, &state))?))
}

list_query! {
    /// Query parameters of `GET /api/lease-renewals`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        #[param(value_type = Option<RenewalStatus>)]
        status: Option<String>,
        #[param(value_type = Option<LeaseId>)]
        lease_id: Option<String>,
    }
}

/// Lists renewal offers, newest first. Requires tenant or higher: brokers and up see the
/// organisation's, a tenant the offers on their own leases.
#[utoipa::path(get, path = "/api/lease-renewals", tag = "Lease renewals",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Renewal>>), ReadErrors))]
async fn list(
    auth: Auth,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Renewal>>> {
    let mut check = QueryCheck::new();
    let status = check.choice::<RenewalStatus>("status", q.status.as_deref());
    let lease_id = check.id::<LeaseKind>("leaseId", q.lease_id.as_deref());
    let page = q.paged(&mut check, RENEWALS_PAGE);
    let page = check.finish(page)?;
    let mut filter = RenewalFilter {
        status,
        lease_id,
        tenant: None,
    };
    if auth.role == Role::Tenant {
        let own = super::own_tenant(&auth, &state).await?;
        filter.tenant = Some(own.unwrap_or_else(|| TenantId::from_ulid(Default::default())));
    }
    let found = state
        .store
        .org(auth.org)
        .renewals()
        .list(&filter, page)
        .await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves a renewal offer. Requires tenant or higher (a tenant: an offer on their own lease,
/// 404 otherwise).
#[utoipa::path(get, path = "/api/lease-renewals/{id}", tag = "Lease renewals",
    params(("id" = RenewalId, Path, description = "Renewal offer ID")),
    responses((status = 200, body = Envelope<Renewal>), ReadErrors))]
async fn get(
    auth: Auth,
    State(state): State<AppState>,
    PathId(id): PathId<RenewalKind>,
) -> ApiResult<Success<Renewal>> {
    let r = state.store.org(auth.org).renewals().get(id).await;
    let r = r.map_err(auth.failed(ENTITY, &state))?;
    if auth.role == Role::Tenant {
        let own = super::own_tenant(&auth, &state).await?;
        if !on_lease(&auth, &state, &r, own).await? {
            return Err(ApiError::NotFound(ENTITY.name()));
        }
    }
    Ok(Success(r))
}

/// Withdraws an open offer (409 `Renewal offer is no longer open.` otherwise). Requires
/// property_manager or higher.
#[utoipa::path(post, path = "/api/lease-renewals/{id}/withdraw", tag = "Lease renewals",
    params(("id" = RenewalId, Path, description = "Renewal offer ID")),
    responses((status = 200, body = Envelope<Renewal>), WriteErrors))]
async fn withdraw(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<RenewalKind>,
) -> ApiResult<Success<Renewal>> {
    let r = state
        .store
        .org(auth.org)
        .renewals()
        .withdraw(&auth.actor(), id)
        .await;
    Ok(Success(r.map_err(auth.failed(ENTITY, &state))?))
}

/// Answers an offer: `accept` or `decline`, with a comment. Requires tenant or higher: a tenant
/// on the lease (another caller: 404 `Lease not found for current tenant.`), or a property
/// manager and up on their behalf. A second answer is 409 `Renewal offer already processed.`;
/// a withdrawn offer, or one past `offerExpiresOn`, 409 `Renewal offer is no longer open.`.
/// Accepting creates the successor lease (same unit and tenants, the offer's terms,
/// `pending_signature`, `renewalOfLeaseId` set) and moves an active lease to `renewed`, in one
/// transaction.
#[utoipa::path(post, path = "/api/lease-renewals/{id}/respond", tag = "Lease renewals",
    params(("id" = RenewalId, Path, description = "Renewal offer ID")),
    request_body = RenewalResponseInput,
    responses((status = 200, body = Envelope<Renewal>), BodyErrors))]
async fn respond(
    auth: Auth,
    State(state): State<AppState>,
    PathId(id): PathId<RenewalKind>,
    ApiJson(input): ApiJson<RenewalResponseInput>,
) -> ApiResult<Success<Renewal>> {
    let answer = input.validate().map_err(ApiError::Validation)?;
    let repo = state.store.org(auth.org).renewals();
    if let Some(own) = as_tenant(&auth, &state).await? {
        let r = repo.get(id).await.map_err(auth.failed(ENTITY, &state))?;
        if !on_lease(&auth, &state, &r, own).await? {
            return Err(ApiError::Absent("Lease not found for current tenant."));
        }
    }
    let r = repo.respond(&auth.actor(), id, &answer).await;
    Ok(Success(r.map_err(auth.failed(ENTITY, &state))?))
}

/// Reminds the lease's tenants (those with an account) of an open offer with an in-app
/// notification: at most once a day per offer (429 with `Retry-After` otherwise). Requires
/// property_manager or higher.
#[utoipa::path(post, path = "/api/lease-renewals/{id}/reminders", tag = "Lease renewals",
    params(("id" = RenewalId, Path, description = "Renewal offer ID")),
    responses((status = 202, body = Envelope<ReminderQueued>), WriteErrors))]
async fn remind(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<RenewalKind>,
) -> ApiResult<(StatusCode, Success<ReminderQueued>)> {
    let done = state
        .store
        .org(auth.org)
        .renewals()
        .remind(&auth.actor(), id)
        .await;
    let (r, recipients) = done.map_err(auth.failed(ENTITY, &state))?;
    let queued = ReminderQueued {
        renewal_id: r.id,
        recipients,
        sent_at: r.last_reminder_at.unwrap_or(r.updated_at),
    };
    Ok((StatusCode::ACCEPTED, Success(queued)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get))
        .routes(endpoints!(withdraw))
        .routes(endpoints!(respond))
        .routes(endpoints!(remind))
}
