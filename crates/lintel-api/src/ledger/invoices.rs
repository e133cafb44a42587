//! Invoices (F4.5): open charges of a lease grouped under a number, issued, voided, printed.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use lintel_app::AppError;
use lintel_domain::ledger::{Invoice, InvoiceInput, InvoiceStatus};
use lintel_domain::pagination::INVOICES_PAGE;
use lintel_domain::{InvoiceId, InvoiceKind, LeaseId, LeaseKind, Page, TenantId, TenantKind};
use lintel_store::ledger::invoices::InvoiceFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, ManagerUp};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, PathId, QueryCheck};
use crate::idempotency::{Idem, IdemErrors, IdemJson, IdempotencyHeader};
use crate::query::list_query;
use crate::responses::{PrintErrors, ReadErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Invoice");

/// Groups open charges of one lease (named, or the one lease in force of the tenant named)
/// into a draft invoice numbered from the organisation's series (`INV-000001`, no gaps, in
/// order of creation): the charges named in `chargeIds`, or every open charge of the lease
/// that is on no other invoice. A charge is on at most one invoice that is not void. Send an
/// `Idempotency-Key` to retry safely. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/invoices", tag = "Invoices",
    params(IdempotencyHeader),
    request_body = InvoiceInput,
    responses((status = 201, body = Envelope<Invoice>), IdemErrors))]
async fn create(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    req: IdemJson<InvoiceInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let new = req.body?.validate().map_err(ApiError::Validation)?;
        let created = s.store.org(p.org).invoices().create(&p.actor(), &new).await;
        Ok::<_, ApiError>(Created(created.map_err(p.failed(ENTITY, &s))?))
    };
    req.idem.run(&auth, &state, op).await
}

list_query! {
    /// Query parameters of `GET /api/invoices`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// `overdue`: issued, not paid in full, past its due date (today in the organisation's
        /// time zone); `issued` and `partially_paid` are those not overdue.
        #[param(value_type = Option<InvoiceStatus>)]
        status: Option<String>,
        #[param(value_type = Option<LeaseId>)]
        lease_id: Option<String>,
        #[param(value_type = Option<TenantId>)]
        tenant_id: Option<String>,
    }
}

/// Lists invoices, newest first, each with its charges and what is paid towards them.
/// Requires property_manager or higher.
#[utoipa::path(get, path = "/api/invoices", tag = "Invoices",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Invoice>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Invoice>>> {
    let mut check = QueryCheck::new();
    let filter = InvoiceFilter {
        status: check.choice::<InvoiceStatus>("status", q.status.as_deref()),
        lease_id: check
            .id::<LeaseKind>("leaseId", q.lease_id.as_deref())
            .map(|i| i.to_string()),
        tenant_id: check
            .id::<TenantKind>("tenantId", q.tenant_id.as_deref())
            .map(|i| i.to_string()),
    };
    let page = q.paged(&mut check, INVOICES_PAGE);
    let page = check.finish(page)?;
    let found = state
        .store
        .org(auth.org)
        .invoices()
        .list(&filter, page)
        .await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves an invoice with its charges, total, paid and balance. Requires property_manager
/// or higher.
#[utoipa::path(get, path = "/api/invoices/{id}", tag = "Invoices",
    params(("id" = InvoiceId, Path, description = "Invoice ID")),
    responses((status = 200, body = Envelope<Invoice>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<InvoiceKind>,
) -> ApiResult<Success<Invoice>> {
    let i = state.store.org(auth.org).invoices().get(id).await;
    Ok(Success(i.map_err(auth.failed(ENTITY, &state))?))
}

/// An invoice as a PDF: number, dates, status, who it is for, each charge with what is paid
/// towards it, the total and the balance due. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/invoices/{id}/pdf", tag = "Invoices",
    params(("id" = InvoiceId, Path, description = "Invoice ID")),
    responses(
        (status = 200, description = "The invoice", content_type = "application/pdf", body = Vec<u8>),
        PrintErrors))]
async fn pdf(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<InvoiceKind>,
) -> ApiResult<Response> {
    let bytes = lintel_app::ledger::invoice_pdf(&state.store, auth.org, id).await;
    let bytes = bytes.map_err(|e| match e {
        AppError::Store(e) => auth.failed(ENTITY, &state)(e),
        other => other.into(),
    })?;
    Ok(pdf_response(bytes, &format!("invoice-{id}.pdf")))
}

/// PDF bytes as an inline download named `name`, never cached by shared caches.
pub(super) fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

/// Issues a draft invoice: from then on its status follows the payments applied to its
/// charges (`issued`, `partially_paid`, `paid`; `overdue` past its due date). An invoice
/// already issued or void is a 409. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/invoices/{id}/issue", tag = "Invoices",
    params(("id" = InvoiceId, Path, description = "Invoice ID"), IdempotencyHeader),
    responses((status = 200, body = Envelope<Invoice>), IdemErrors))]
async fn issue(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<InvoiceKind>,
    idem: Idem,
) -> Response {
    act(auth, state, id, idem, false).await
}

/// Issues (or voids) invoice `id`, retried safely under an `Idempotency-Key`.
async fn act(
    auth: Auth<ManagerUp>,
    state: AppState,
    id: InvoiceId,
    idem: Idem,
    void: bool,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let repo = s.store.org(p.org).invoices();
        let i = if void {
            repo.void(&p.actor(), id).await
        } else {
            repo.issue(&p.actor(), id).await
        };
        Ok::<_, ApiError>(Success(i.map_err(p.failed(ENTITY, &s))?))
    };
    idem.run(&auth, &state, op).await
}

/// Voids an invoice: it keeps its number, its charges stand and may go on another invoice.
/// An invoice already void is a 409. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/invoices/{id}/void", tag = "Invoices",
    params(("id" = InvoiceId, Path, description = "Invoice ID"), IdempotencyHeader),
    responses((status = 200, body = Envelope<Invoice>), IdemErrors))]
async fn void(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<InvoiceKind>,
    idem: Idem,
) -> Response {
    act(auth, state, id, idem, true).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(create))
        .routes(endpoints!(list))
        .routes(endpoints!(get))
        .routes(endpoints!(pdf))
        .routes(endpoints!(issue))
        .routes(endpoints!(void))
}
