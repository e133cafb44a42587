//! API keys (F1.4): create (the secret is shown once), list, revoke. Admin only, BUSINESS plan
//! only. A key is sent as `Authorization: Bearer lk_…` and acts with the role it was given.

use crate::contract::endpoints;
use axum::extract::State;
use lintel_domain::identity::access::{ApiKey, NewApiKeyInput};
use lintel_domain::pagination::API_KEYS_PAGE;
use lintel_domain::{ApiKeyKind, Page};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{issue_api_key, AdminOnly, ApiAccessPlan, Auth};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::query::PageQuery;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

/// A new key and its secret. The secret is shown only in this answer; it is stored hashed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// Send it as `Authorization: Bearer <secret>`. It cannot be shown again.
    #[schema(example = "lk_3Fq9xJ2mVbT0sLkQe8Wc1nYpRz5uHd7aGf4iOj6tKvE")]
    pub secret: String,
}

/// Creates an API key with a role. The answer carries the secret, shown this once.
/// Admin only; BUSINESS plan (else 403 PLAN_UPGRADE_REQUIRED).
#[utoipa::path(post, path = "/api/api-keys", tag = "API keys",
    request_body = NewApiKeyInput,
    responses((status = 201, body = Envelope<CreatedApiKey>), BodyErrors))]
async fn create(
    auth: Auth<AdminOnly, ApiAccessPlan>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewApiKeyInput>,
) -> ApiResult<Created<CreatedApiKey>> {
    let (name, role) = input.validate().map_err(ApiError::Validation)?;
    let (api_key, secret) =
        issue_api_key(&state.store, &auth.actor(), auth.org, name, role).await?;
    Ok(Created(CreatedApiKey { api_key, secret }))
}

/// Lists the organisation's API keys (revoked ones included), newest first. Never shows a
/// secret. Admin only; BUSINESS plan.
#[utoipa::path(get, path = "/api/api-keys", tag = "API keys",
    params(PageQuery),
    responses((status = 200, body = Envelope<Page<ApiKey>>), ReadErrors))]
async fn list(
    auth: Auth<AdminOnly, ApiAccessPlan>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Success<Page<ApiKey>>> {
    let page = q.request(API_KEYS_PAGE)?;
    let keys = state.store.org(auth.org).api_keys().list(page).await;
    Ok(Success(
        keys.map_err(|e| ApiError::from_store(Entity::ApiKey, e))?,
    ))
}

/// Revokes an API key: it answers 401 from then on. Answers 200 with the revoked key;
/// revoking twice keeps the first revocation time. Admin only; BUSINESS plan.
#[utoipa::path(delete, path = "/api/api-keys/{id}", tag = "API keys",
    params(("id" = lintel_domain::ApiKeyId, Path, description = "API key ID")),
    responses((status = 200, body = Envelope<ApiKey>, description = "The revoked key"), WriteErrors))]
async fn revoke(
    auth: Auth<AdminOnly, ApiAccessPlan>,
    State(state): State<AppState>,
    PathId(id): PathId<ApiKeyKind>,
) -> ApiResult<Success<ApiKey>> {
    let key = state
        .store
        .org(auth.org)
        .api_keys()
        .revoke(&auth.actor(), id)
        .await;
    Ok(Success(
        key.map_err(|e| ApiError::from_store(Entity::ApiKey, e))?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(revoke))
}
