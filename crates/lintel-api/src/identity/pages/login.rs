//! The server-rendered sign-in page (F1.5): `GET /login` shows a plain HTML form that works
//! without JavaScript; `POST /login` signs in through the same code as `POST /api/auth/login`
//! and redirects (303) to the API docs, or back here with an error code.
//!
//! Nothing from the request is echoed raw: error codes map to fixed texts, and the only echoed
//! value (an `email` to prefill) is HTML-escaped. The page runs no scripts; its CSP allows only
//! its own inline style (by hash) and form posts to itself.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lintel_domain::identity::LoginInput;
use serde::Deserialize;

use super::html::{banners, escape, page, Banner};
use crate::error::ApiError;
use crate::extract::RawBody;
use crate::identity::auth::redirect;
use crate::identity::sign_in::{sign_in, ClientMeta, INVALID_CREDENTIALS};
use crate::ratelimit::{RateSlot, Scope};
use crate::AppState;

/// Where a successful sign-in lands: the page that shows who is signed in.
pub const AFTER_SIGN_IN: &str = "/account";
/// The seed's degraded-service banner.
pub const UNAVAILABLE: &str = "Sign-in is temporarily unavailable. Please try again in a minute.";

/// The text shown for an `?error=` code; unknown codes get a generic text, never the code.
fn error_text(code: &str) -> &'static str {
    match code {
        "invalid_credentials" => INVALID_CREDENTIALS,
        "invalid_request" => "Please enter your email address and password.",
        "missing_code" => "The sign-in link was incomplete. Please sign in again.",
        "invalid_code" => {
            "That sign-in link is invalid or has expired. Please sign in with your email and password."
        }
        "rate_limited" => "Too many sign-in attempts. Please wait a minute and try again.",
        "session_expired" => "Your session has ended. Please sign in again.",
        "temporarily_unavailable" => UNAVAILABLE,
        _ => "Sign-in failed. Please try again.",
    }
}

#[derive(Default, Deserialize)]
struct PageQuery {
    error: Option<String>,
    auth: Option<String>,
    email: Option<String>,
}

fn render(status: StatusCode, list: &[Banner], email: Option<&str>) -> Response {
    let email: String = email.unwrap_or_default().chars().take(254).collect();
    let main = format!(
        "<h1>Sign in to Lintel</h1>\n{}\
<form method=\"post\" action=\"/login\">\n\
<label for=\"email\">Email</label>\n\
<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required maxlength=\"254\" value=\"{}\">\n\
<label for=\"password\">Password</label>\n\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\">\n\
<button type=\"submit\">Sign in</button>\n</form>\n\
<p class=\"hint\">No account yet? Create one with <code>POST /api/auth/register</code> \
(see the <a href=\"/api/docs/ui\">API documentation</a>).</p>\n",
        banners(list),
        escape(&email)
    );
    page(status, "Sign in", false, &main)
}

/// `GET /login`: the form, with a banner for `?error=…` and the degraded-service banner for
/// `?auth=temporarily_unavailable`.
async fn form(RawQuery(raw): RawQuery) -> Response {
    let q: PageQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let mut banners = Vec::new();
    if q.auth.as_deref() == Some("temporarily_unavailable") {
        banners.push(Banner::Warning(UNAVAILABLE));
    }
    if let Some(code) = q.error.as_deref() {
        banners.push(Banner::Error(error_text(code)));
    }
    render(StatusCode::OK, &banners, q.email.as_deref())
}

fn see_other(to: &'static str) -> Response {
    redirect(StatusCode::SEE_OTHER, to, &[])
}

/// The 429 page; the `X-RateLimit-*` headers of the bucket that refused are added by the
/// rate-limit layer from the request's slot.
fn too_many(retry_after_secs: u64) -> Response {
    let banners = [Banner::Error(error_text("rate_limited"))];
    let mut res = render(StatusCode::TOO_MANY_REQUESTS, &banners, None);
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[derive(Deserialize)]
struct LoginForm {
    email: Option<String>,
    password: Option<String>,
}

/// `POST /login` (form-urlencoded `email`, `password`): signs in and redirects (303) to the
/// account page; on failure back to `/login?error=…`. Counts against the per-IP login limit and
/// the per-account failure limit (429 page with that limit's headers).
async fn submit(
    State(state): State<AppState>,
    meta: ClientMeta,
    slot: RateSlot,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    // Login CSRF: a browser posting this form from another site says so; refuse it.
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return see_other("/login?error=invalid_request");
    }
    let d = state
        .limiter
        .check(Scope::Login, &crate::ratelimit::ip_key(meta.peer))
        .await;
    slot.record(d);
    if let Some(d) = d.filter(|d| !d.allowed) {
        return too_many(d.retry_after_secs);
    }
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return see_other("/login?error=invalid_request");
    };
    let input = LoginInput {
        email: form.email.filter(|e| !e.trim().is_empty()),
        password: form.password,
        organisation_id: None,
    };
    let Ok(login) = input.validate() else {
        return see_other("/login?error=invalid_request");
    };
    match sign_in(&state, login, meta, &slot).await {
        Ok(s) => redirect(StatusCode::SEE_OTHER, AFTER_SIGN_IN, &s.cookies),
        Err(ApiError::InvalidCredentials) => see_other("/login?error=invalid_credentials"),
        Err(ApiError::RateLimited { retry_after_secs }) => too_many(retry_after_secs),
        Err(ApiError::NotApplicable(_) | ApiError::Forbidden(_)) => {
            see_other("/login?error=invalid_request")
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in form failed");
            see_other("/login?auth=temporarily_unavailable")
        }
    }
}

/// `GET /login` and `POST /login` (not part of the API or its OpenAPI document).
pub fn routes() -> Router<AppState> {
    Router::new().route("/login", get(form).post(submit))
}
