//! Member invitations (F1.1): an admin invites an email address with a role; the answer carries
//! a single-use link, valid for seven days, to hand to the person (emailed once outgoing email
//! exists). Following it (`GET /invite/{token}`) or calling `POST /api/auth/accept-invite`, the
//! person joins: someone new chooses their name and password, someone with an account confirms
//! it with their current password. Either way they are signed in to the organisation.

use crate::contract::{endpoints, public};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use lintel_domain::identity::{
    AcceptInvitationInput, Invitation, InvitationStatus, NewInvitationInput,
};
use lintel_domain::pagination::MEMBERS_PAGE;
use lintel_domain::{InvitationKind, Limit, Page};
use lintel_store::identity::{Joiner, NewInvitation};
use lintel_store::StoreError;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

use super::sign_in::{check_credentials, start_session, ClientMeta, SignedIn};
use crate::auth::{secrets, AdminOnly, Auth};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::query::PageQuery;
use crate::ratelimit::RateSlot;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

/// A new invitation and its link. The token is shown only in this answer; it is stored hashed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInvitation {
    pub invitation: Invitation,
    /// The secret of the link; send it to the person and to no one else.
    pub token: String,
    /// The link to hand to the person: `/invite/{token}`, absolute when `public_url` is set.
    #[schema(
        example = "https://lintel.example.com/invite/pV3x9Qk0nYJ0rQ2lZ7bW8cE1fG4hT6uI5oP3aS9dF2g"
    )]
    pub url: String,
}

/// The link of an invitation token.
pub(crate) fn invite_url(state: &AppState, token: &str) -> String {
    let base = state.config.public_url.as_deref().unwrap_or("");
    format!("{}/invite/{token}", base.trim_end_matches('/'))
}

/// Invites `email` to the organisation with `role`. Answers the invitation with its single-use
/// link (valid 7 days); a newer invitation to the same email replaces a pending one. Someone
/// already a member: 409 CONFLICT. Members and pending invitations together count against the
/// plan's member limit (403 PLAN_LIMIT_EXCEEDED). Admin only.
#[utoipa::path(post, path = "/api/members/invitations", tag = "Members",
    request_body = NewInvitationInput,
    responses((status = 201, body = Envelope<CreatedInvitation>), BodyErrors))]
async fn create(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewInvitationInput>,
) -> ApiResult<Created<CreatedInvitation>> {
    let (email, role) = input.validate().map_err(ApiError::Validation)?;
    let token = secrets::random_token();
    let new = NewInvitation {
        email: email.as_str().to_string(),
        role,
        token_hash: secrets::lookup_hash(&token),
        tenant: None,
    };
    let repo = state.store.org(auth.org).invitations();
    let invitation = repo
        .create(&auth.actor(), new, auth.cap(Limit::Members))
        .await
        .map_err(auth.failed(Entity::Invitation, &state))?;
    let url = invite_url(&state, &token);
    Ok(Created(CreatedInvitation {
        invitation,
        token,
        url,
    }))
}

/// The organisation's invitations, newest first, whatever their status. Never shows a token.
/// Admin only.
#[utoipa::path(get, path = "/api/members/invitations", tag = "Members",
    params(PageQuery),
    responses((status = 200, body = Envelope<Page<Invitation>>), ReadErrors))]
async fn list(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Success<Page<Invitation>>> {
    let page = q.request(MEMBERS_PAGE)?;
    let found = state.store.org(auth.org).invitations().list(page).await;
    Ok(Success(found.map_err(|e| {
        ApiError::from_store(Entity::Invitation, e)
    })?))
}

/// One invitation. Admin only.
#[utoipa::path(get, path = "/api/members/invitations/{id}", tag = "Members",
    params(("id" = lintel_domain::InvitationId, Path, description = "Invitation ID")),
    responses((status = 200, body = Envelope<Invitation>), ReadErrors))]
async fn get(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<InvitationKind>,
) -> ApiResult<Success<Invitation>> {
    let found = state.store.org(auth.org).invitations().get(id).await;
    Ok(Success(found.map_err(|e| {
        ApiError::from_store(Entity::Invitation, e)
    })?))
}

/// Withdraws an invitation: its link stops working. Answers the revoked invitation; revoking
/// twice keeps the first revocation; an accepted invitation cannot be revoked (409 — remove the
/// member instead). Admin only.
#[utoipa::path(delete, path = "/api/members/invitations/{id}", tag = "Members",
    params(("id" = lintel_domain::InvitationId, Path, description = "Invitation ID")),
    responses((status = 200, body = Envelope<Invitation>, description = "The revoked invitation"), WriteErrors))]
async fn revoke(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<InvitationKind>,
) -> ApiResult<Success<Invitation>> {
    let repo = state.store.org(auth.org).invitations();
    let done = repo.revoke(&auth.actor(), id).await;
    let done = done.map_err(|e| ApiError::from_store(Entity::Invitation, e))?;
    Ok(Success(done))
}

/// Accepts an invitation and signs in to its organisation (the same cookies and body as
/// login). Someone without an account gives `name` and a new `password` (registration rules);
/// someone with an account gives their current `password` (`name` is ignored) and keeps their
/// role in any organisation they already belong to. Unknown token: 404; accepted, revoked or
/// expired: 410 INVITATION_UNAVAILABLE. Counts against the sign-in limits. No authentication.
#[utoipa::path(post, path = "/api/auth/accept-invite", tag = "Auth",
    request_body = AcceptInvitationInput,
    responses(
        (status = 200, body = Envelope<SignedIn>, description = "Joined and signed in",
            headers(("Set-Cookie" = String, description = "lintel_session; HttpOnly; SameSite=Lax"))),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR: malformed JSON"),
        (status = 401, body = ErrorBody, description = "UNAUTHORIZED: wrong password for the existing account"),
        (status = 408, body = ErrorBody, description = "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed"),
        (status = 403, body = ErrorBody, description = "PLAN_LIMIT_EXCEEDED: the organisation is full"),
        (status = 404, body = ErrorBody, description = "NOT_FOUND: no such invitation"),
        (status = 410, body = ErrorBody, description = "INVITATION_UNAVAILABLE: accepted, revoked or expired"),
        (status = 415, body = ErrorBody, description = "UNSUPPORTED_MEDIA_TYPE: the body must be sent with Content-Type: application/json"),
        (status = 422, body = ErrorBody, description = "VALIDATION_ERROR: every bad field listed"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED: the sign-in limits"),
        (status = 500, body = ErrorBody, description = "INTERNAL_ERROR: opaque, quotes the request ID"),
    ))]
async fn accept(
    State(state): State<AppState>,
    meta: ClientMeta,
    slot: RateSlot,
    ApiJson(input): ApiJson<AcceptInvitationInput>,
) -> ApiResult<Response> {
    let a = input.validate().map_err(ApiError::Validation)?;
    let started = accept_invitation(&state, a, meta, &slot).await?;
    Ok(started.into_response(StatusCode::OK))
}

/// The acceptance shared by the API and the invitation page.
pub(super) async fn accept_invitation(
    state: &AppState,
    a: lintel_domain::identity::AcceptInvitation,
    meta: ClientMeta,
    slot: &RateSlot,
) -> ApiResult<super::sign_in::Started> {
    let token_hash = secrets::lookup_hash(&a.token);
    let found = state.store.invites().by_token(&token_hash).await?;
    let inv = found
        .ok_or(ApiError::NotFound(Entity::Invitation.name()))?
        .invitation;
    if inv.status != InvitationStatus::Pending {
        return Err(ApiError::InvitationUnavailable(inv.status.to_string()));
    }
    let joiner = match state.store.credentials().login(&inv.email).await? {
        Some(_) => {
            let account = check_credentials(state, slot, &inv.email, a.password).await?;
            Joiner::Existing(account.id)
        }
        None => {
            let name = a.new_account().map_err(ApiError::Validation)?;
            let password_hash = lintel_app::identity::passwords::hash(a.password).await?;
            Joiner::New {
                name,
                password_hash,
            }
        }
    };
    let org = inv.organisation_id;
    let member = match state.store.invites().accept(&token_hash, joiner).await {
        Ok(m) => m,
        Err(StoreError::LimitReached { limit, max }) => {
            let plan = state.store.orgs().get(org).await?.plan;
            return Err(ApiError::PlanLimitExceeded {
                resource: limit.noun(),
                limit: max,
                plan,
                upgrade_url: state.config.upgrade_url.clone(),
            });
        }
        Err(e) => return Err(ApiError::from_store(Entity::Invitation, e)),
    };
    start_session(state, member.id, org, meta).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get, revoke))
        .routes(public!(accept))
}
