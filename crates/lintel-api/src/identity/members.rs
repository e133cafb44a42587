//! Members (F1.1–F1.3): the users of an organisation and their roles. Listing and reading need
//! property_manager or higher; adding, changing roles and removing are admin only. The store
//! keeps at least one admin (422 on `role`) and counts members against the plan's cap.

use crate::contract::endpoints;
use axum::extract::State;
use axum::http::StatusCode;
use lintel_domain::identity::{MemberPatchInput, NewMemberInput, User};
use lintel_domain::pagination::MEMBERS_PAGE;
use lintel_domain::{Limit, Page, UserId, UserKind};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth, ManagerUp};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::query::PageQuery;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

/// Lists the organisation's members, oldest first. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/members", tag = "Members",
    params(PageQuery),
    responses((status = 200, body = Envelope<Page<User>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Success<Page<User>>> {
    let page = q.request(MEMBERS_PAGE)?;
    let users = state.store.org(auth.org).members().list(page).await;
    Ok(Success(users.map_err(auth.failed(Entity::User, &state))?))
}

/// Retrieves one member. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/members/{id}", tag = "Members",
    params(("id" = UserId, Path, description = "User ID")),
    responses((status = 200, body = Envelope<User>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<UserKind>,
) -> ApiResult<Success<User>> {
    let user = state.store.org(auth.org).members().get(id).await;
    Ok(Success(user.map_err(auth.failed(Entity::User, &state))?))
}

/// Creates an account for someone new and adds them with a role and an initial password. Admin
/// only; counts against the plan's member limit (403 PLAN_LIMIT_EXCEEDED). An email that already
/// has an account is 409 EMAIL_TAKEN: invite that person instead (`POST
/// /api/members/invitations`), so they join with the password they have.
#[utoipa::path(post, path = "/api/members", tag = "Members",
    request_body = NewMemberInput,
    responses((status = 201, body = Envelope<User>), BodyErrors))]
async fn add(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewMemberInput>,
) -> ApiResult<Created<User>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let added = lintel_app::identity::add_member(
        &state.store,
        &auth.actor(),
        auth.org,
        new,
        auth.cap(Limit::Members),
    )
    .await;
    let user = added.map_err(|e| match e {
        lintel_app::AppError::Store(e) => auth.failed(Entity::User, &state)(e),
        e => ApiError::from(e),
    });
    Ok(Created(user?))
}

/// Changes a member's role; takes effect on their next request, for their sessions and for the
/// API keys they own (a key never acts above its owner's role). The organisation must keep at
/// least one admin (422 on `role`). Admin only.
#[utoipa::path(patch, path = "/api/members/{id}", tag = "Members",
    params(("id" = UserId, Path, description = "User ID")),
    request_body = MemberPatchInput,
    responses((status = 200, body = Envelope<User>), BodyErrors))]
async fn update(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<UserKind>,
    ApiJson(input): ApiJson<MemberPatchInput>,
) -> ApiResult<Success<User>> {
    let role = input.validate().map_err(ApiError::Validation)?;
    let user = state
        .store
        .org(auth.org)
        .members()
        .set_role(&auth.actor(), id, role)
        .await;
    Ok(Success(user.map_err(auth.failed(Entity::User, &state))?))
}

/// Removes a member (204): ends their sessions in this organisation and revokes the API keys
/// they own here (each revocation in the audit log). Their account stays for their other
/// organisations, and is deleted if this was the last. The last admin cannot be removed (422
/// on `role`); an admin may remove themselves while another admin remains. Admin only.
#[utoipa::path(delete, path = "/api/members/{id}", tag = "Members",
    params(("id" = UserId, Path, description = "User ID")),
    responses((status = 204, description = "Member removed"), WriteErrors))]
async fn remove(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<UserKind>,
) -> ApiResult<StatusCode> {
    let done = state
        .store
        .org(auth.org)
        .members()
        .remove(&auth.actor(), id)
        .await;
    done.map_err(auth.failed(Entity::User, &state))?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, add))
        .routes(endpoints!(get, update, remove))
}
