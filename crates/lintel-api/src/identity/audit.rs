//! The audit log (F1.7): every write, who made it, when, and the entity before and after.
//! Admin only; a fixed page size of 25 that cannot be chosen (`pageSize` is a 422).

use crate::contract::endpoints;
use axum::extract::State;
use lintel_domain::pagination::AUDIT_PAGE;
use lintel_domain::{AuditEntry, Page};
use lintel_store::audit::AuditFilter;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth};
use crate::entity::Entity;
use crate::envelope::{Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, QueryCheck};
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
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000000)]
    page: Option<String>,
    /// Not documented: the page size is fixed at 25, and any `pageSize` is a 422.
    #[param(ignore)]
    page_size: Option<String>,
    /// The `nextCursor` of the previous page, instead of `page` (same filters, sort and size):
    /// the page then costs what the first does, however deep.
    #[param(value_type = Option<String>, max_length = 512)]
    cursor: Option<String>,
    /// Only entries about this kind of entity, e.g. `property`, `user`, `api_key`: at most 100
    /// characters, no control characters.
    #[param(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "property"
    )]
    entity_type: Option<String>,
    /// Only entries about this entity ID: at most 100 characters, no control characters.
    #[param(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "prop_01jd9x4m2k8q7v5t3r1n0p6w8y"
    )]
    entity_id: Option<String>,
}

/// The organisation's audit trail, newest first, 25 entries a page. Admin only.
#[utoipa::path(get, path = "/api/audit-log", tag = "Audit log",
    params(AuditQuery),
    responses((status = 200, body = Envelope<Page<AuditEntry>>), ReadErrors))]
async fn list(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Success<Page<AuditEntry>>> {
    let mut check = QueryCheck::new();
    let entity_type = check.text("entityType", q.entity_type.as_deref(), FILTER_MAX);
    let entity_id = check.text("entityId", q.entity_id.as_deref(), FILTER_MAX);
    let page = check.list(
        AUDIT_PAGE,
        q.page.as_deref(),
        q.page_size.as_deref(),
        q.cursor.as_deref(),
    );
    let page = check.finish(page)?;
    let filter = AuditFilter {
        entity_type,
        entity_id,
    };
    let entries = state.store.org(auth.org).audit().list(&filter, page).await;
    Ok(Success(entries.map_err(|e| {
        ApiError::from_store(Entity::AuditEntry, e)
    })?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(endpoints!(list))
}
