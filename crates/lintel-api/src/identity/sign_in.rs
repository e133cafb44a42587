//! Signing in, shared by the JSON API, the `/login` form and invitations: checking a password
//! (always against a hash, so an unknown email costs what a known one does), the per-account
//! limit on failed attempts, choosing the organisation, and starting a session with its cookies.
//!
//! A session sets two cookies: `lintel_session` (HttpOnly, the credential) and `lintel_csrf`
//! (readable by the page's own scripts, SameSite=Strict) holding the CSRF token, so a browser
//! page — the API explorer included — can send it back as `X-CSRF-Token` on writes. The server
//! stores only SHA-256 digests of both tokens and checks the header against the session's digest.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lintel_domain::identity::{Login, Organisation, User};
use lintel_domain::{OrgId, SessionId, Timestamp, UserId};
use lintel_store::identity::{Account, NewSession};
use lintel_store::StoreError;
use serde::Serialize;

use lintel_app::identity::passwords;

use crate::auth::{secrets, CSRF_COOKIE, SESSION_COOKIE};
use crate::client_ip::ClientIp;
use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::{account_key, RateSlot, Scope};
use crate::AppState;

/// The one answer to a failed sign-in, whether or not the email exists.
pub(super) const INVALID_CREDENTIALS: &str = "Invalid email or password.";
/// Longest user agent kept with a session.
const USER_AGENT_MAX: usize = 512;

/// Who is signing in from where: the `User-Agent` header and the client's address.
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
        let peer = parts.extensions.get::<ClientIp>().and_then(|c| c.0);
        Ok(ClientMeta { user_agent, peer })
    }
}

/// What a sign-in answers: the user, their organisation and the CSRF token for writes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    /// The person, as a member of `organisation`.
    pub user: User,
    /// The organisation the session works in (switch with `POST /api/auth/switch-organisation`).
    pub organisation: Organisation,
    /// Send it as `X-CSRF-Token` on every state-changing request made with the session cookie.
    /// Shown only here (and in the `lintel_csrf` cookie): it is stored hashed.
    pub csrf_token: String,
    pub session_id: SessionId,
}

/// Checks `password` against `hash` (a dummy one when there is no account: both cost one Argon2
/// verification), counting the check in the metrics from inside it.
async fn verify(state: &AppState, password: String, hash: Option<String>) -> ApiResult<bool> {
    let metrics = state.metrics.clone();
    let checked = move || metrics.password_checked();
    Ok(passwords::verify(password, hash, checked).await?)
}

/// 429 when `email` has used up its failed sign-ins for the window (whether or not an account
/// has that email); the answer carries that bucket's headers.
pub(super) async fn guard_account(state: &AppState, slot: &RateSlot, email: &str) -> ApiResult<()> {
    let d = state
        .limiter
        .peek(Scope::LoginAccount, &account_key(email))
        .await;
    match d {
        Some(d) if !d.allowed => {
            slot.record(Some(d));
            Err(ApiError::RateLimited {
                retry_after_secs: d.retry_after_secs,
            })
        }
        _ => Ok(()),
    }
}

/// Counts one failed sign-in against `email`.
pub(super) async fn count_failure(state: &AppState, email: &str) {
    state
        .limiter
        .check(Scope::LoginAccount, &account_key(email))
        .await;
}

/// Checks a password for `email` under the per-account limit: the account when it matches.
pub(super) async fn check_credentials(
    state: &AppState,
    slot: &RateSlot,
    email: &str,
    password: String,
) -> ApiResult<Account> {
    guard_account(state, slot, email).await?;
    let account = state.store.credentials().login(email).await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    if verify(state, password, hash).await? {
        if let Some(account) = account {
            return Ok(account);
        }
    }
    count_failure(state, email).await;
    Err(ApiError::InvalidCredentials)
}

/// Checks an email and password and starts a session in the organisation asked for, else the
/// one used last.
pub(super) async fn sign_in(
    state: &AppState,
    login: Login,
    meta: ClientMeta,
    slot: &RateSlot,
) -> ApiResult<Started> {
    let account = check_credentials(state, slot, &login.email, login.password).await?;
    let org = state
        .store
        .accounts()
        .landing_org(&account, login.organisation)
        .await;
    let org = match org {
        Ok(Some(org)) => org,
        // An account that belongs to no organisation cannot work anywhere.
        Ok(None) => return Err(ApiError::InvalidCredentials),
        Err(StoreError::NotFound) => {
            return Err(ApiError::Forbidden(
                "You are not a member of that organisation.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    start_session(state, account.id, org, meta).await
}

/// A started session: the answer body and the two `Set-Cookie` values.
pub(super) struct Started {
    pub body: SignedIn,
    pub cookies: [HeaderValue; 2],
}

impl Started {
    /// The answer in the envelope with both cookies set.
    pub fn into_response(self, status: StatusCode) -> Response {
        let body = axum::Json(Envelope {
            success: true,
            data: self.body,
        });
        let mut res = (status, body).into_response();
        for c in self.cookies {
            res.headers_mut().append(header::SET_COOKIE, c);
        }
        res
    }
}

fn cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> ApiResult<HeaderValue> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let kind = if name == SESSION_COOKIE {
        "HttpOnly; SameSite=Lax"
    } else {
        "SameSite=Strict"
    };
    let attrs = format!("Path=/; Max-Age={max_age}; {kind}{secure}");
    HeaderValue::from_str(&format!("{name}={value}; {attrs}")).map_err(ApiError::internal)
}

/// The `Set-Cookie` values that remove both session cookies.
pub(super) fn clear_cookies(state: &AppState) -> [HeaderValue; 2] {
    [SESSION_COOKIE, CSRF_COOKIE].map(|name| {
        cookie(state, name, "", 0)
            .unwrap_or_else(|_| HeaderValue::from_static("lintel_session=; Path=/; Max-Age=0"))
    })
}

/// Starts a session for `user` in `org` (of which they must be a member).
pub(super) async fn start_session(
    state: &AppState,
    user: UserId,
    org: OrgId,
    meta: ClientMeta,
) -> ApiResult<Started> {
    let token = secrets::random_token();
    let csrf = secrets::random_token();
    let ttl = state.config.session_ttl_secs.max(1);
    let new = NewSession {
        user_id: user,
        token_hash: secrets::lookup_hash(&token),
        csrf_hash: secrets::lookup_hash(&csrf),
        user_agent: meta.user_agent,
        ip: meta.peer.map(|p| p.to_string()),
        expires_at: Timestamp(Timestamp::now().0.saturating_add(ttl.saturating_mul(1000))),
    };
    let scope = state.store.org(org);
    let session_id = scope.sessions().create(new).await?;
    let user = scope.members().get(user).await?;
    let organisation = state.store.orgs().get(org).await?;
    let cookies = [
        cookie(state, SESSION_COOKIE, &token, ttl)?,
        cookie(state, CSRF_COOKIE, &csrf, ttl)?,
    ];
    let body = SignedIn {
        user,
        organisation,
        csrf_token: csrf,
        session_id,
    };
    Ok(Started { body, cookies })
}
