//! Receipts (F4.4): a payment's receipt as a PDF, by its path or by query.

use axum::extract::State;
use axum::response::Response;
use lintel_app::AppError;
use lintel_domain::{PaymentId, PaymentKind};
use utoipa_axum::router::OpenApiRouter;

use super::payments::reader;
use crate::auth::{AnyMember, Auth, Principal};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, PathId, QueryCheck};
use crate::responses::PrintErrors;
use crate::AppState;

const ENTITY: Entity = Entity::Record("Payment");

async fn receipt_of(auth: &Principal, state: &AppState, id: PaymentId) -> ApiResult<Response> {
    if let Some(own) = reader(auth, state).await? {
        let Some(own) = own else {
            return Err(ApiError::NotFound("Payment"));
        };
        let mine = state
            .store
            .org(auth.org)
            .payments()
            .visible_to(id, own)
            .await;
        if !mine.map_err(auth.failed(ENTITY, state))? {
            return Err(ApiError::NotFound("Payment"));
        }
    }
    let pdf = lintel_app::ledger::receipt_pdf(&state.store, auth.org, id).await;
    let pdf = pdf.map_err(|e| match e {
        AppError::Store(e) => auth.failed(ENTITY, state)(e),
        other => other.into(),
    })?;
    Ok(super::invoices::pdf_response(
        pdf,
        &format!("receipt-{id}.pdf"),
    ))
}

/// A payment's receipt as a PDF: the organisation, the tenant, the property and unit, the
/// amount in figures and in words, the method, the date, the charges it paid, the running
/// balance, any refunds since, and the receipt number. Only for a payment that succeeded
/// (also once refunded in part or whole); a pending, failed or returned payment is a 409.
/// Requires tenant or higher: a tenant reads only their own payments' receipts (another's is
/// not found); brokers have no access.
#[utoipa::path(get, path = "/api/payments/{id}/receipt", tag = "Payments",
    params(("id" = PaymentId, Path, description = "Payment ID")),
    responses(
        (status = 200, description = "The receipt", content_type = "application/pdf", body = Vec<u8>),
        PrintErrors))]
async fn receipt(
    auth: Auth<AnyMember>,
    State(state): State<AppState>,
    PathId(id): PathId<PaymentKind>,
) -> ApiResult<Response> {
    receipt_of(&auth, &state, id).await
}

/// Query parameters of `GET /api/payments/receipt`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// The payment whose receipt to print.
    #[param(required = true, value_type = PaymentId)]
    payment_id: Option<String>,
}

/// A payment's receipt as a PDF, the payment named by `paymentId`: the same document as
/// `GET /api/payments/{id}/receipt`. Requires tenant or higher (a tenant: their own only).
#[utoipa::path(get, path = "/api/payments/receipt", tag = "Payments",
    params(ReceiptQuery),
    responses(
        (status = 200, description = "The receipt", content_type = "application/pdf", body = Vec<u8>),
        PrintErrors))]
async fn receipt_by_query(
    auth: Auth<AnyMember>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReceiptQuery>,
) -> ApiResult<Response> {
    let mut check = QueryCheck::new();
    if q.payment_id.is_none() {
        check.fail("paymentId", "is required");
    }
    let id = check.id::<PaymentKind>("paymentId", q.payment_id.as_deref());
    receipt_of(&auth, &state, check.finish(id)?).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(receipt))
        .routes(endpoints!(receipt_by_query))
}
