//! Payments (F4.1, F4.2, F4.6): recorded by cash, cheque, bank transfer or card, applied to
//! charges, refunded, returned unpaid; listed and read (tenants: their own only). Every POST
//! takes an `Idempotency-Key`.

use axum::extract::State;
use axum::response::Response;
use lintel_domain::ledger::{
    Payment, PaymentInput, PaymentMethod, PaymentStatus, RefundInput, ReturnInput, REFERENCE_MAX,
};
use lintel_domain::pagination::PAYMENTS_PAGE;
use lintel_domain::{
    LeaseId, LeaseKind, Page, PaymentId, PaymentKind, PropertyId, PropertyKind, Role, TenantId,
    TenantKind,
};
use lintel_store::ledger::payments::PaymentFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AnyMember, Auth, ManagerUp, Principal};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, PathId, QueryCheck};
use crate::idempotency::{IdemErrors, IdemJson};
use crate::query::list_query;
use crate::responses::ReadErrors;
use crate::AppState;

const ENTITY: Entity = Entity::Record("Payment");

/// Whose payments the caller reads: all (property_manager and up), or those on the leases of
/// their own tenant profile (a tenant). Brokers read none.
pub(super) async fn reader(
    auth: &Principal,
    state: &AppState,
) -> ApiResult<Option<Option<TenantId>>> {
    match auth.role {
        Role::Tenant => Ok(Some(crate::leasing::own_tenant(auth, state).await?)),
        Role::Broker => Err(ApiError::RoleTooLow(Role::PropertyManager)),
        _ => Ok(None),
    }
}

/// Records a payment received for a lease (named, or the one lease in force of the tenant
/// named): it succeeds at once and posts its entry, debiting undeposited funds (cash, cheque)
/// or the bank (transfer, card) and crediting receivables. It pays the charges in
/// `allocations`, or else the oldest open charges first; whatever is left is held as the
/// tenants' credit and applied to the next charges as they post. A cheque needs its number.
/// Send an `Idempotency-Key` to retry safely. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/payments", tag = "Payments",
    params(crate::idempotency::IdempotencyHeader),
    request_body = PaymentInput,
    responses((status = 201, body = Envelope<Payment>), IdemErrors))]
async fn create(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    req: IdemJson<PaymentInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let new = req.body?.validate().map_err(ApiError::Validation)?;
        let created = s.store.org(p.org).payments().create(&p.actor(), &new).await;
        Ok::<_, ApiError>(Created(created.map_err(p.failed(ENTITY, &s))?))
    };
    req.idem.run(&auth, &state, op).await
}

list_query! {
    /// Query parameters of `GET /api/payments`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// Received on or after this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        from: Option<String>,
        /// Received on or before this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        to: Option<String>,
        #[param(value_type = Option<PaymentStatus>)]
        status: Option<String>,
        #[param(value_type = Option<PropertyId>)]
        property_id: Option<String>,
        #[param(value_type = Option<LeaseId>)]
        lease_id: Option<String>,
        /// Paid by this tenant.
        #[param(value_type = Option<TenantId>)]
        tenant_id: Option<String>,
        #[param(value_type = Option<PaymentMethod>)]
        method: Option<String>,
        /// Exactly this reference (as recorded with the payment: a transfer's or a cheque's
        /// reference), e.g. to find what a request whose answer was lost recorded: at most 200
        /// characters, no control characters; blank means any.
        #[param(
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
        )]
        reference: Option<String>,
    }
}

/// Lists payments, latest received first. Requires tenant or higher: a tenant sees only the
/// payments on their own leases; brokers have no access.
#[utoipa::path(get, path = "/api/payments", tag = "Payments",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Payment>>), ReadErrors))]
async fn list(
    auth: Auth<AnyMember>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Payment>>> {
    let mut check = QueryCheck::new();
    let filter = PaymentFilter {
        lease_id: check
            .id::<LeaseKind>("leaseId", q.lease_id.as_deref())
            .map(|i| i.to_string()),
        tenant_id: check
            .id::<TenantKind>("tenantId", q.tenant_id.as_deref())
            .map(|i| i.to_string()),
        property_id: check
            .id::<PropertyKind>("propertyId", q.property_id.as_deref())
            .map(|i| i.to_string()),
        status: check.choice::<PaymentStatus>("status", q.status.as_deref()),
        method: check.choice::<PaymentMethod>("method", q.method.as_deref()),
        from: check.date("from", q.from.as_deref()),
        to: check.date("to", q.to.as_deref()),
        visible_to: None,
        reference: check.text("reference", q.reference.as_deref(), REFERENCE_MAX),
    };
    let page = q.paged(&mut check, PAYMENTS_PAGE);
    let page = check.finish(page)?;
    let mut filter = filter;
    match reader(&auth, &state).await? {
        None => {}
        // No tenant profile: nothing is theirs.
        Some(own) => {
            filter.visible_to = Some(own.unwrap_or_else(|| TenantId::from_ulid(Default::default())))
        }
    }
    let found = state
        .store
        .org(auth.org)
        .payments()
        .list(&filter, page)
        .await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves a payment with what it paid, its refunds and its return. Requires tenant or
/// higher: a tenant reads only the payments on their own leases (another's is not found);
/// brokers have no access.
#[utoipa::path(get, path = "/api/payments/{id}", tag = "Payments",
    params(("id" = PaymentId, Path, description = "Payment ID")),
    responses((status = 200, body = Envelope<Payment>), ReadErrors))]
async fn get(
    auth: Auth<AnyMember>,
    State(state): State<AppState>,
    PathId(id): PathId<PaymentKind>,
) -> ApiResult<Success<Payment>> {
    let repo = state.store.org(auth.org).payments();
    match reader(&auth, &state).await? {
        None => {}
        Some(None) => return Err(ApiError::NotFound("Payment")),
        Some(Some(own)) => {
            let mine = repo.visible_to(id, own).await;
            if !mine.map_err(auth.failed(ENTITY, &state))? {
                return Err(ApiError::NotFound("Payment"));
            }
        }
    }
    let p = repo.get(id).await;
    Ok(Success(p.map_err(auth.failed(ENTITY, &state))?))
}

/// Refunds part or all of a succeeded payment (never more than is left to refund), today in
/// the organisation's time zone: first from the credit the payment still holds, then from what
/// it paid, the most recent charges first, which open again. Send an `Idempotency-Key` to
/// retry safely. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/payments/{id}/refund", tag = "Payments",
    params(("id" = PaymentId, Path, description = "Payment ID"),
        crate::idempotency::IdempotencyHeader),
    request_body = RefundInput,
    responses((status = 200, body = Envelope<Payment>), IdemErrors))]
async fn refund(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<PaymentKind>,
    req: IdemJson<RefundInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let new = req.body?.validate().map_err(ApiError::Validation)?;
        let done = s
            .store
            .org(p.org)
            .payments()
            .refund(&p.actor(), id, &new)
            .await;
        Ok::<_, ApiError>(Success(done.map_err(p.failed(ENTITY, &s))?))
    };
    req.idem.run(&auth, &state, op).await
}

/// Records that a cheque bounced or a bank transfer failed, today in the organisation's time
/// zone: the payment becomes `failed`, what it paid opens again, the credit it held is
/// withdrawn, and a returned-payment fee (`feeAmount`) is charged on the lease if given. Send
/// an `Idempotency-Key` to retry safely. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/payments/{id}/return", tag = "Payments",
    params(("id" = PaymentId, Path, description = "Payment ID"),
        crate::idempotency::IdempotencyHeader),
    request_body = ReturnInput,
    responses((status = 200, body = Envelope<Payment>), IdemErrors))]
async fn return_unpaid(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<PaymentKind>,
    req: IdemJson<ReturnInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let new = req.body?.validate().map_err(ApiError::Validation)?;
        let done = s
            .store
            .org(p.org)
            .payments()
            .return_unpaid(&p.actor(), id, &new)
            .await;
        Ok::<_, ApiError>(Success(done.map_err(p.failed(ENTITY, &s))?))
    };
    req.idem.run(&auth, &state, op).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(create))
        .routes(endpoints!(list))
        .routes(endpoints!(get))
        .routes(endpoints!(refund))
        .routes(endpoints!(return_unpaid))
}
