//! Charges (F4): posted on a lease, listed, voided while unpaid.

use axum::extract::State;
use axum::response::Response;
use lintel_domain::ledger::{Charge, ChargeInput, ChargeKind, ChargeStatus, LeaseLedger};
use lintel_domain::pagination::CHARGES_PAGE;
use lintel_domain::{
    ChargeId, ChargeIdKind, LeaseId, LeaseKind, Page, PropertyId, PropertyKind, TenantId,
    TenantKind,
};
use lintel_store::ledger::charges::ChargeFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, ManagerUp};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, PathId, QueryCheck};
use crate::idempotency::{Idem, IdemErrors, IdemJson, IdempotencyHeader};
use crate::query::list_query;
use crate::responses::{ReadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Charge");

/// Posts a charge on a lease that is or was in force: rent, a deposit, a late fee, a utility, a
/// fee or other (receivables debited, the income or, for a deposit, deposits held credited), or
/// a credit note (the other way round). In the lease's currency, more than zero. The charge and
/// its journal entry are written together. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/leases/{id}/charges", tag = "Charges",
    params(("id" = LeaseId, Path, description = "Lease ID"), IdempotencyHeader),
    request_body = ChargeInput,
    responses((status = 201, body = Envelope<Charge>), IdemErrors))]
async fn create(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(lease): PathId<LeaseKind>,
    req: IdemJson<ChargeInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let new = req.body?.validate().map_err(ApiError::Validation)?;
        let c = s
            .store
            .org(p.org)
            .charges()
            .create(&p.actor(), lease, &new)
            .await;
        Ok::<_, ApiError>(Created(c.map_err(p.failed(ENTITY, &s))?))
    };
    req.idem.run(&auth, &state, op).await
}

list_query! {
    /// Query parameters of `GET /api/charges`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        #[param(value_type = Option<LeaseId>)]
        lease_id: Option<String>,
        #[param(value_type = Option<TenantId>)]
        tenant_id: Option<String>,
        #[param(value_type = Option<PropertyId>)]
        property_id: Option<String>,
        #[param(value_type = Option<ChargeKind>)]
        kind: Option<String>,
        #[param(value_type = Option<ChargeStatus>)]
        status: Option<String>,
        /// Due on or after this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        due_from: Option<String>,
        /// Due on or before this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        due_to: Option<String>,
    }
}

/// Lists charges, latest due first. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/charges", tag = "Charges",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Charge>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Charge>>> {
    let mut check = QueryCheck::new();
    let filter = ChargeFilter {
        lease_id: check
            .id::<LeaseKind>("leaseId", q.lease_id.as_deref())
            .map(|i| i.to_string()),
        tenant_id: check
            .id::<TenantKind>("tenantId", q.tenant_id.as_deref())
            .map(|i| i.to_string()),
        property_id: check
            .id::<PropertyKind>("propertyId", q.property_id.as_deref())
            .map(|i| i.to_string()),
        kind: check.choice::<ChargeKind>("kind", q.kind.as_deref()),
        status: check.choice::<ChargeStatus>("status", q.status.as_deref()),
        due_from: check.date("dueFrom", q.due_from.as_deref()),
        due_to: check.date("dueTo", q.due_to.as_deref()),
    };
    let page = q.paged(&mut check, CHARGES_PAGE);
    let page = check.finish(page)?;
    let found = state
        .store
        .org(auth.org)
        .charges()
        .list(&filter, page)
        .await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves a charge. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/charges/{id}", tag = "Charges",
    params(("id" = ChargeId, Path, description = "Charge ID")),
    responses((status = 200, body = Envelope<Charge>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<ChargeIdKind>,
) -> ApiResult<Success<Charge>> {
    let c = state.store.org(auth.org).charges().get(id).await;
    Ok(Success(c.map_err(auth.failed(ENTITY, &state))?))
}

/// Voids a charge nothing is paid towards (409 otherwise): its entry is reversed, today in the
/// organisation's time zone. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/charges/{id}/void", tag = "Charges",
    params(("id" = ChargeId, Path, description = "Charge ID"), IdempotencyHeader),
    responses((status = 200, body = Envelope<Charge>), WriteErrors))]
async fn void(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<ChargeIdKind>,
    idem: Idem,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let c = s.store.org(p.org).charges().void(&p.actor(), id).await;
        Ok::<_, ApiError>(Success(c.map_err(p.failed(ENTITY, &s))?))
    };
    idem.run(&auth, &state, op).await
}

/// A lease's account: every charge, credit, payment and reversal posted on it, oldest first,
/// with a running balance; what is owed in all and what is due now (today in the
/// organisation's time zone); the deposit held. Computed from the journal on every read.
/// Requires property_manager or higher.
#[utoipa::path(get, path = "/api/leases/{id}/ledger", tag = "Charges",
    params(("id" = LeaseId, Path, description = "Lease ID")),
    responses((status = 200, body = Envelope<LeaseLedger>), ReadErrors))]
async fn lease_ledger(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(lease): PathId<LeaseKind>,
) -> ApiResult<Success<LeaseLedger>> {
    let l = state
        .store
        .org(auth.org)
        .charges()
        .lease_ledger(lease)
        .await;
    Ok(Success(
        l.map_err(auth.failed(Entity::Record("Lease"), &state))?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(create))
        .routes(endpoints!(list))
        .routes(endpoints!(get))
        .routes(endpoints!(void))
        .routes(endpoints!(lease_ledger))
}
