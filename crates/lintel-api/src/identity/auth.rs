//! Sign-up, sign-in and sessions (F1.2, F1.5): register, login, the current session, sign-out,
//! the user's own sessions and the external-provider callback.
//!
//! A successful sign-in sets the HttpOnly, SameSite=Lax `lintel_session` cookie and returns the
//! CSRF token that cookie-authenticated writes must send as `X-CSRF-Token` (also set in the
//! `lintel_csrf` cookie for the browser's own pages). Only SHA-256 hashes of both tokens are
//! stored. The sign-in machinery itself is in [`super::sign_in`].

use crate::contract::{endpoints, public};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lintel_app::AppError;
use lintel_domain::identity::access::SessionInfo;
use lintel_domain::identity::{LoginInput, Organisation, RegisterInput, User};
use lintel_domain::{Role, SessionId, SessionKind};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use super::sign_in::{clear_cookies, sign_in, start_session, ClientMeta, SignedIn};
use crate::auth::{secrets, Auth, SessionAuth, SESSION_COOKIE};
use crate::entity::Entity;
use crate::envelope::{Envelope, Success};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, PathId};
use crate::ratelimit::RateSlot;
use crate::responses::{ReadErrors, WriteErrors};
use crate::AppState;

/// A redirect, optionally setting cookies.
pub(super) fn redirect(status: StatusCode, to: &str, cookies: &[HeaderValue]) -> Response {
    let mut res = status.into_response();
    let h = res.headers_mut();
    if let Some(v) = Some(to)
        .filter(|t| !t.is_empty())
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        h.insert(header::LOCATION, v);
    }
    for c in cookies {
        h.append(header::SET_COOKIE, c.clone());
    }
    res
}

/// The caller as `GET /api/auth/session` sees them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentSession {
    /// The signed-in user; `null` when the caller is an API key.
    pub user: Option<User>,
    pub organisation: Organisation,
    /// The session the request came in on; `null` for API keys.
    pub session_id: Option<SessionId>,
    /// The caller's role (the user's, or the API key's).
    pub role: Role,
}

/// Creates an account and an organisation on the FREE plan with the caller as its admin, and
/// signs them in (the same cookies and body as login). An email that already has an account
/// answers 409 ACCOUNT_EXISTS: sign in and create the organisation with `POST
/// /api/organisations`. No authentication.
#[utoipa::path(post, path = "/api/auth/register", tag = "Auth",
    request_body = RegisterInput,
    responses(
        (status = 201, body = Envelope<SignedIn>, description = "Registered and signed in",
            headers(("Set-Cookie" = String, description = "lintel_session; HttpOnly; SameSite=Lax"))),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR: malformed JSON"),
        (status = 408, body = ErrorBody, description = "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed"),
        (status = 409, body = ErrorBody, description = "ACCOUNT_EXISTS: the email has an account; sign in and create the organisation with POST /api/organisations"),
        (status = 422, body = ErrorBody, description = "VALIDATION_ERROR: every bad field listed"),
        (status = 415, body = ErrorBody, description = "UNSUPPORTED_MEDIA_TYPE: the body must be sent with Content-Type: application/json"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED: 5 registrations a minute per IP"),
        (status = 500, body = ErrorBody, description = "INTERNAL_ERROR: opaque, quotes the request ID"),
    ))]
async fn register(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<Response, ApiError> {
    let reg = input.validate().map_err(ApiError::Validation)?;
    let created = lintel_app::identity::register(&state.store, reg).await;
    let (org, user) = created.map_err(|e| match e {
        AppError::Store(e) => ApiError::from_store(Entity::Account, e),
        e => ApiError::from(e),
    })?;
    let started = start_session(&state, user.id, org.id, meta).await?;
    Ok(started.into_response(StatusCode::CREATED))
}

/// Signs in with email and password: sets the session cookie and returns the CSRF token. The
/// session works in `organisationId` when given (403 if the person is not a member), otherwise
/// in the organisation they used last. A wrong password and an unknown email answer the same
/// 401 and take the same time. Limits: 5 attempts a minute per client IP, and 10 failed attempts
/// per account (email) in 15 minutes. No authentication.
#[utoipa::path(post, path = "/api/auth/login", tag = "Auth",
    request_body = LoginInput,
    responses(
        (status = 200, body = Envelope<SignedIn>, description = "Signed in",
            headers(("Set-Cookie" = String, description = "lintel_session; HttpOnly; SameSite=Lax"))),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR: malformed JSON"),
        (status = 408, body = ErrorBody, description = "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed"),
        (status = 401, body = ErrorBody, description = "UNAUTHORIZED: Invalid email or password."),
        (status = 403, body = ErrorBody, description = "FORBIDDEN: not a member of organisationId"),
        (status = 422, body = ErrorBody, description = "VALIDATION_ERROR: email or password missing"),
        (status = 415, body = ErrorBody, description = "UNSUPPORTED_MEDIA_TYPE: the body must be sent with Content-Type: application/json"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED: 5 attempts a minute per IP, or 10 failures per account in 15 minutes"),
        (status = 500, body = ErrorBody, description = "INTERNAL_ERROR: opaque, quotes the request ID"),
    ))]
async fn login(
    State(state): State<AppState>,
    meta: ClientMeta,
    slot: RateSlot,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<Response, ApiError> {
    let login = input.validate().map_err(ApiError::Validation)?;
    let started = sign_in(&state, login, meta, &slot).await?;
    Ok(started.into_response(StatusCode::OK))
}

/// The current caller. Session callers get their user and session; API-key callers get their
/// organisation and role with `user` and `sessionId` null. Requires tenant or higher (any
/// member or API key).
#[utoipa::path(get, path = "/api/auth/session", tag = "Auth",
    responses((status = 200, body = Envelope<CurrentSession>), ReadErrors))]
async fn session(auth: Auth, State(state): State<AppState>) -> ApiResult<Success<CurrentSession>> {
    let organisation = state
        .store
        .orgs()
        .get(auth.org)
        .await
        .map_err(ApiError::from)?;
    let user = match auth.user {
        Some(u) => Some(state.store.org(auth.org).members().get(u).await),
        None => None,
    };
    let user = user
        .transpose()
        .map_err(|e| ApiError::from_store(Entity::User, e))?;
    let (session_id, role) = (auth.session_id(), auth.role);
    Ok(Success(CurrentSession {
        user,
        organisation,
        session_id,
        role,
    }))
}

/// Signs out: ends the session named by the cookie (if any), clears the cookie and always
/// redirects (302) to `/login`. Accepts GET or POST; needs no CSRF token.
#[utoipa::path(method(get, post), path = "/api/auth/signout", tag = "Auth",
    responses((status = 302, description = "Redirect to /login; the session cookie is cleared",
        headers(("Location" = String), ("Set-Cookie" = String)))))]
async fn signout(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&headers);
    let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
    if let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 256) {
        let ended = state
            .store
            .credentials()
            .end_session(&secrets::lookup_hash(&token))
            .await;
        if let Err(e) = ended {
            tracing::warn!(error = %e, "could not end the session at sign-out");
        }
    }
    redirect(StatusCode::FOUND, "/login", &clear_cookies(&state))
}

/// The signed-in user's unexpired sessions, newest first; `current` marks this one.
/// Sessions belong to users: API keys get 403 NOT_APPLICABLE. Requires tenant or higher.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "Auth",
    responses((status = 200, body = Envelope<Vec<SessionInfo>>), ReadErrors))]
async fn list_sessions(
    auth: SessionAuth,
    State(state): State<AppState>,
) -> Result<Success<Vec<SessionInfo>>, ApiError> {
    let repo = state.store.org(auth.org).sessions();
    let sessions = repo.list_for(auth.user, Some(auth.session)).await;
    Ok(Success(sessions.map_err(ApiError::from)?))
}

/// Ends one of the user's own sessions (204). Another user's session is 404. Ending the
/// current session also clears its cookie. Requires tenant or higher.
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "Auth",
    params(("id" = SessionId, Path, description = "Session ID")),
    responses((status = 204, description = "Session ended"), WriteErrors))]
async fn revoke_session(
    auth: SessionAuth,
    State(state): State<AppState>,
    PathId(id): PathId<SessionKind>,
) -> Result<Response, ApiError> {
    let repo = state.store.org(auth.org).sessions();
    let done = repo.revoke(auth.user, id).await;
    done.map_err(|e| ApiError::from_store(Entity::Session, e))?;
    if auth.session == id {
        return Ok(redirect(StatusCode::NO_CONTENT, "", &clear_cookies(&state)));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Query of `GET /api/auth/callback`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Authorization or email-verification code from an external provider.
    code: Option<String>,
}

/// OAuth / email-verification callback. Lintel has no external identity provider yet, so no
/// code can be exchanged: without `code` it redirects (302) to `/login?error=missing_code`,
/// with one to `/login?error=invalid_code`. No authentication.
#[utoipa::path(get, path = "/api/auth/callback", tag = "Auth",
    params(CallbackQuery),
    responses((status = 302, description = "Redirect to the sign-in page with an error indicator",
        headers(("Location" = String)))))]
async fn callback(RawQuery(raw): RawQuery) -> Response {
    // A query that does not parse still redirects (never a failure response).
    let q = serde_urlencoded::from_str::<CallbackQuery>(raw.as_deref().unwrap_or_default());
    let to: &str = match q.map(|q| q.code) {
        Ok(None) => "/login?error=missing_code",
        Ok(Some(c)) if c.trim().is_empty() => "/login?error=missing_code",
        _ => "/login?error=invalid_code",
    };
    redirect(StatusCode::FOUND, to, &[])
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(public!(register))
        .routes(public!(login))
        .routes(endpoints!(session))
        .routes(public!(signout))
        .routes(endpoints!(list_sessions))
        .routes(endpoints!(revoke_session))
        .routes(public!(callback))
}
