//! The audit log (F1.7): every write, who made it, when, and the entity before and after.
//! Admin only; a fixed page size of 25 that cannot be chosen (`pageSize` is a 422).

use axum::extract::State;
use lintel_domain::pagination::AUDIT_PAGE;
use lintel_domain::{AuditEntry, FieldError, Page};
use lintel_store::audit::AuditFilter;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::members::page_of;
use crate::auth::{AdminOnly, Auth};
use crate::envelope::{Envelope, Ok};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::responses::ReadErrors;
use crate::AppState;

/// Longest accepted filter value.
const FILTER_MAX: usize = 100;

/// Query parameters of `GET /api/audit-log`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page number, from 1. Pages hold 25 entries; the size cannot be set (`pageSize` is a 422).
    #[param(value_type = Option<i64>, minimum = 1)]
    page: Option<String>,
    /// Not accepted: the audit log's page size is fixed at 25.
    #[param(value_type = Option<i64>)]
    page_size: Option<String>,
    /// Only entries about this kind of entity, e.g. `property`, `user`, `api_key`.
    #[param(example = "property")]
    entity_type: Option<String>,
    /// Only entries about this entity ID.
    #[param(example = "prop_01jd9x4m2k8q7v5t3r1n0p6w8y")]
    entity_id: Option<String>,
}

fn filter_value(errors: &mut Vec<FieldError>, field: &str, raw: Option<String>) -> Option<String> {
    let v = raw
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())?;
    if v.chars().count() > FILTER_MAX || v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {FILTER_MAX} printable characters"),
        ));
        return None;
    }
    Some(v)
}

/// The organisation's audit trail, newest first, 25 entries a page. Admin only.
#[utoipa::path(get, path = "/api/audit-log", tag = "Audit log",
    extensions(("x-required-role" = json!("admin"))), params(AuditQuery),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
    responses((status = 200, body = Envelope<Page<AuditEntry>>), ReadErrors))]
async fn list(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Ok<Page<AuditEntry>>> {
    let mut errors = Vec::new();
    let entity_type = filter_value(&mut errors, "entityType", q.entity_type);
    let entity_id = filter_value(&mut errors, "entityId", q.entity_id);
    let page = page_of(
        AUDIT_PAGE,
        q.page.as_deref(),
        q.page_size.as_deref(),
        errors,
    )?;
    let filter = AuditFilter {
        entity_type,
        entity_id,
    };
    let entries = state.store.org(auth.org).audit().list(&filter, page).await;
    Result::Ok(Ok(
        entries.map_err(|e| ApiError::from_store("Audit entry", e))?
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
