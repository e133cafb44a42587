//! Sign-up, sign-in and sessions (F1.2, F1.5): register, login, the current session, sign-out,
//! the user's own sessions and the external-provider callback.
//!
//! A successful sign-in sets the HttpOnly, SameSite=Lax `lintel_session` cookie and returns the
//! CSRF token that cookie-authenticated writes must send as `X-CSRF-Token`. Only SHA-256 hashes
//! of both tokens are stored.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lintel_domain::access::SessionInfo;
use lintel_domain::identity::{LoginInput, Organisation, RegisterInput, User};
use lintel_domain::{Plan, Role, SessionId, SessionKind, Timestamp};
use lintel_store::identity::{NewSession, NewUserRecord};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{hash_password, secrets, verify_password, Auth, SESSION_COOKIE};
use crate::envelope::{Envelope, Ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, PathId};
use crate::responses::{ReadErrors, WriteErrors};
use crate::AppState;

/// The one answer to a failed sign-in, whether or not the email exists.
pub(super) const INVALID_CREDENTIALS: &str = "Invalid email or password.";
/// Why API keys cannot list or end sessions.
const KEYS_HAVE_NO_SESSIONS: &str = "Sessions belong to users; API keys have none.";
/// Longest user agent kept with a session.
const USER_AGENT_MAX: usize = 512;

/// Who is signing in from where: the `User-Agent` header and the peer address, when known.
pub(super) struct ClientMeta {
    pub user_agent: Option<String>,
    pub peer: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ua = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        let user_agent = ua.map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        let peer = peer.map(|c| c.0.ip().to_canonical());
        Result::Ok(ClientMeta { user_agent, peer })
    }
}

/// What a sign-in answers: the user, their organisation and the CSRF token for writes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub user: User,
    pub organisation: Organisation,
    /// Send it as `X-CSRF-Token` on every state-changing request made with the session cookie.
    /// Shown only here: it is stored hashed.
    pub csrf_token: String,
    pub session_id: SessionId,
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

/// Runs CPU-heavy work (Argon2) off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

/// An Argon2id hash of a new password, computed off the async workers.
pub(super) async fn hash_new_password(password: String) -> ApiResult<String> {
    let hashed = blocking(move || hash_password(&password)).await?;
    hashed.map_err(ApiError::internal)
}

/// A redirect, optionally setting a cookie.
pub(super) fn redirect(
    status: StatusCode,
    to: &'static str,
    cookie: Option<HeaderValue>,
) -> Response {
    let location = [(header::LOCATION, HeaderValue::from_static(to))];
    match cookie {
        Some(c) => (status, location, [(header::SET_COOKIE, c)]).into_response(),
        None => (status, location).into_response(),
    }
}

/// A started session: the answer body and the `Set-Cookie` value carrying its token.
pub(super) struct Started {
    pub body: SignedIn,
    pub cookie: HeaderValue,
}

fn cookie_value(state: &AppState, token: &str, max_age: i64) -> ApiResult<HeaderValue> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let attrs = format!("Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; {attrs}")).map_err(ApiError::internal)
}

/// The `Set-Cookie` value that removes the session cookie.
pub(super) fn clear_cookie(state: &AppState) -> HeaderValue {
    let fallback = HeaderValue::from_static("lintel_session=; Path=/; Max-Age=0");
    cookie_value(state, "", 0).unwrap_or(fallback)
}

async fn start_session(state: &AppState, user: User, meta: ClientMeta) -> ApiResult<Started> {
    let token = secrets::random_token();
    let csrf = secrets::random_token();
    let ttl = state.config.session_ttl_secs.max(1);
    let new = NewSession {
        user_id: user.id,
        token_hash: secrets::lookup_hash(&token),
        csrf_hash: secrets::lookup_hash(&csrf),
        user_agent: meta.user_agent,
        ip: meta.peer.map(|p| p.to_string()),
        expires_at: Timestamp(Timestamp::now().0.saturating_add(ttl.saturating_mul(1000))),
    };
    let org = user.organisation_id;
    let session_id = state.store.org(org).sessions().create(new).await;
    let session_id = session_id.map_err(ApiError::from)?;
    let organisation = state.store.orgs().get(org).await.map_err(ApiError::from)?;
    let cookie = cookie_value(state, &token, ttl)?;
    let body = SignedIn {
        user,
        organisation,
        csrf_token: csrf,
        session_id,
    };
    Result::Ok(Started { body, cookie })
}

/// Checks an email and password and starts a session. Unknown emails are verified against a
/// dummy hash, so both failures cost the same and answer the same.
pub(super) async fn sign_in(
    state: &AppState,
    email: String,
    password: String,
    meta: ClientMeta,
) -> Result<Started, ApiError> {
    let record = state.store.credentials().login(&email).await;
    let record = record.map_err(ApiError::from)?;
    let hash = record.as_ref().map(|r| r.password_hash.clone());
    let ok = blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => verify_password(&password, secrets::dummy_hash()),
    });
    match record {
        Some(r) if ok.await? => Result::Ok(start_session(state, r.user, meta).await?),
        _ => Err(ApiError::InvalidCredentials),
    }
}

fn with_cookie(status: StatusCode, started: Started) -> Response {
    let body = axum::Json(Envelope {
        success: true,
        data: started.body,
    });
    (status, [(header::SET_COOKIE, started.cookie)], body).into_response()
}

/// Creates an organisation on the FREE plan with the caller as its admin, and signs them in
/// (the same cookie and body as login). No authentication.
#[utoipa::path(post, path = "/api/auth/register", tag = "Auth",
    extensions(("x-public" = json!(true))), request_body = RegisterInput,
    responses(
        (status = 201, body = Envelope<SignedIn>, description = "Registered and signed in",
            headers(("Set-Cookie" = String, description = "lintel_session; HttpOnly; SameSite=Lax"))),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR: malformed JSON"),
        (status = 408, body = ErrorBody, description = "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed"),
        (status = 409, body = ErrorBody, description = "EMAIL_TAKEN"),
        (status = 422, body = ErrorBody, description = "VALIDATION_ERROR: every bad field listed"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED: 5 registrations a minute per IP"),
        (status = 500, body = ErrorBody, description = "INTERNAL_ERROR: opaque, quotes the request ID"),
    ))]
async fn register(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<Response, ApiError> {
    let reg = input.validate().map_err(ApiError::Validation)?;
    let password_hash = hash_new_password(reg.password).await?;
    let email = reg.email.as_str().to_string();
    let admin = NewUserRecord {
        email,
        name: reg.name,
        password_hash,
    };
    let orgs = state.store.orgs();
    let created = orgs
        .create_with_admin(&reg.organisation_name, Plan::Free, admin, None)
        .await;
    let (_, user) = created.map_err(|e| ApiError::from_store("User", e))?;
    let started = start_session(&state, user, meta).await?;
    Result::Ok(with_cookie(StatusCode::CREATED, started))
}

/// Signs in with email and password: sets the session cookie and returns the CSRF token.
/// A wrong password and an unknown email answer the same 401. No authentication.
#[utoipa::path(post, path = "/api/auth/login", tag = "Auth",
    extensions(("x-public" = json!(true))), request_body = LoginInput,
    responses(
        (status = 200, body = Envelope<SignedIn>, description = "Signed in",
            headers(("Set-Cookie" = String, description = "lintel_session; HttpOnly; SameSite=Lax"))),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR: malformed JSON"),
        (status = 408, body = ErrorBody, description = "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed"),
        (status = 401, body = ErrorBody, description = "UNAUTHORIZED: Invalid email or password."),
        (status = 422, body = ErrorBody, description = "VALIDATION_ERROR: email or password missing"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED: 5 attempts a minute per IP"),
        (status = 500, body = ErrorBody, description = "INTERNAL_ERROR: opaque, quotes the request ID"),
    ))]
async fn login(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<Response, ApiError> {
    let (email, password) = input.validate().map_err(ApiError::Validation)?;
    let started = sign_in(&state, email, password, meta).await?;
    Result::Ok(with_cookie(StatusCode::OK, started))
}

/// The current caller. Session callers get their user and session; API-key callers get their
/// organisation and role with `user` and `sessionId` null.
#[utoipa::path(get, path = "/api/auth/session", tag = "Auth",
    extensions(("x-required-role" = json!("tenant"))),
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    responses((status = 200, body = Envelope<CurrentSession>), ReadErrors))]
async fn session(auth: Auth, State(state): State<AppState>) -> ApiResult<Ok<CurrentSession>> {
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
        .map_err(|e| ApiError::from_store("User", e))?;
    let (session_id, role) = (auth.session_id(), auth.role);
    Result::Ok(Ok(CurrentSession {
        user,
        organisation,
        session_id,
        role,
    }))
}

/// Signs out: ends the session named by the cookie (if any), clears the cookie and always
/// redirects (302) to `/login`. Accepts GET or POST; needs no CSRF token.
#[utoipa::path(method(get, post), path = "/api/auth/signout", tag = "Auth",
    extensions(("x-public" = json!(true))),
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
    redirect(StatusCode::FOUND, "/login", Some(clear_cookie(&state)))
}

/// The signed-in user's unexpired sessions, newest first; `current` marks this one.
/// Sessions belong to users: API keys get 403 NOT_APPLICABLE.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "Auth",
    extensions(("x-required-role" = json!("tenant"))), security(("sessionCookie" = [])),
    responses((status = 200, body = Envelope<Vec<SessionInfo>>), ReadErrors))]
async fn list_sessions(
    auth: Auth,
    State(state): State<AppState>,
) -> Result<Ok<Vec<SessionInfo>>, ApiError> {
    let user = auth
        .user
        .ok_or(ApiError::NotApplicable(KEYS_HAVE_NO_SESSIONS))?;
    let repo = state.store.org(auth.org).sessions();
    let sessions = repo.list_for(user, auth.session_id()).await;
    Result::Ok(Ok(sessions.map_err(ApiError::from)?))
}

/// Ends one of the user's own sessions (204). Another user's session is 404. Ending the
/// current session also clears its cookie.
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "Auth",
    extensions(("x-required-role" = json!("tenant"))), security(("sessionCookie" = [])),
    params(("id" = SessionId, Path, description = "Session ID")),
    responses((status = 204, description = "Session ended"), WriteErrors))]
async fn revoke_session(
    auth: Auth,
    State(state): State<AppState>,
    PathId(id): PathId<SessionKind>,
) -> Result<Response, ApiError> {
    let user = auth
        .user
        .ok_or(ApiError::NotApplicable(KEYS_HAVE_NO_SESSIONS))?;
    let repo = state.store.org(auth.org).sessions();
    let done = repo.revoke(user, id).await;
    done.map_err(|e| ApiError::from_store("Session", e))?;
    if auth.session_id() == Some(id) {
        let clear = [(header::SET_COOKIE, clear_cookie(&state))];
        return Result::Ok((StatusCode::NO_CONTENT, clear).into_response());
    }
    Result::Ok(StatusCode::NO_CONTENT.into_response())
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
    extensions(("x-public" = json!(true))), params(CallbackQuery),
    responses((status = 302, description = "Redirect to the sign-in page with an error indicator",
        headers(("Location" = String)))))]
async fn callback(RawQuery(raw): RawQuery) -> Response {
    // A query that does not parse still redirects (never a failure response).
    let q = serde_urlencoded::from_str::<CallbackQuery>(raw.as_deref().unwrap_or_default());
    let to = match q.map(|q| q.code) {
        Result::Ok(None) => "/login?error=missing_code",
        Result::Ok(Some(c)) if c.trim().is_empty() => "/login?error=missing_code",
        _ => "/login?error=invalid_code",
    };
    redirect(StatusCode::FOUND, to, None)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(session))
        .routes(routes!(signout))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(callback))
}
