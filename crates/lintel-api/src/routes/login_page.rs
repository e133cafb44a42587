//! The server-rendered sign-in page (F1.5): `GET /login` shows a plain HTML form that works
//! without JavaScript; `POST /login` signs in through the same code as `POST /api/auth/login`
//! and redirects (303) to the API docs, or back here with an error code.
//!
//! Nothing from the request is echoed raw: error codes map to fixed texts, and the only echoed
//! value (an `email` to prefill) is HTML-escaped. The page runs no scripts; its CSP allows only
//! its own inline style (by hash) and form posts to itself.

use std::sync::OnceLock;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lintel_domain::identity::LoginInput;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::auth::{redirect, sign_in, ClientMeta, INVALID_CREDENTIALS};
use crate::error::ApiError;
use crate::extract::RawBody;
use crate::ratelimit::Scope;
use crate::AppState;

/// Where a successful sign-in lands.
pub const AFTER_SIGN_IN: &str = "/api/docs/ui";
/// The seed's degraded-service banner.
pub const UNAVAILABLE: &str = "Sign-in is temporarily unavailable. Please try again in a minute.";

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}\
main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:1.4rem;margin-top:0}\
label{display:block;margin-top:1rem;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}\
button{margin-top:1.5rem;width:100%;padding:.6rem;font-size:1rem;background:#1d4ed8;color:#fff;\
border:0;border-radius:4px;cursor:pointer}.banner{padding:.75rem;border-radius:4px}\
.error{background:#fde8e8;color:#8a1c1c}.warning{background:#fff4d6;color:#7a5200}\
.hint{font-size:.85rem;color:#555;margin-top:1.5rem}";

/// The page's Content-Security-Policy: no scripts, no external loads, its one style by hash.
fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

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

enum Banner {
    Error(&'static str),
    Warning(&'static str),
}

fn render(status: StatusCode, banners: &[Banner], email: Option<&str>) -> Response {
    let mut notes = String::new();
    for b in banners {
        let (class, text) = match b {
            Banner::Error(t) => ("error", t),
            Banner::Warning(t) => ("warning", t),
        };
        notes.push_str(&format!(
            "<p class=\"banner {class}\" role=\"alert\">{}</p>\n",
            escape(text)
        ));
    }
    let email: String = email.unwrap_or_default().chars().take(254).collect();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n<title>Sign in · Lintel</title>\n<style>{STYLE}</style>\n\
</head>\n<body>\n<main>\n<h1>Sign in to Lintel</h1>\n{notes}\
<form method=\"post\" action=\"/login\">\n\
<label for=\"email\">Email</label>\n\
<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required maxlength=\"254\" value=\"{}\">\n\
<label for=\"password\">Password</label>\n\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\">\n\
<button type=\"submit\">Sign in</button>\n</form>\n\
<p class=\"hint\">No account yet? Create one with <code>POST /api/auth/register</code> \
(see the <a href=\"/api/docs/ui\">API documentation</a>).</p>\n</main>\n</body>\n</html>\n",
        escape(&email)
    );
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp()),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (status, headers, html).into_response()
}

/// `GET /login`: the form, with a banner for `?error=…` and the degraded-service banner for
/// `?auth=temporarily_unavailable`.
async fn page(RawQuery(raw): RawQuery) -> Response {
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
    redirect(StatusCode::SEE_OTHER, to, None)
}

#[derive(Deserialize)]
struct LoginForm {
    email: Option<String>,
    password: Option<String>,
}

/// `POST /login` (form-urlencoded `email`, `password`): signs in and redirects (303) to the docs;
/// on failure back to `/login?error=…`. Counts against the per-IP login limit (429 page).
async fn submit(
    State(state): State<AppState>,
    meta: ClientMeta,
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
    if let Some(d) = state
        .limiter
        .check(Scope::Login, &crate::ratelimit::ip_key(meta.peer))
        .await
    {
        if !d.allowed {
            let banners = [Banner::Error(error_text("rate_limited"))];
            let mut res = render(StatusCode::TOO_MANY_REQUESTS, &banners, None);
            d.apply(res.headers_mut());
            if let Result::Ok(v) = HeaderValue::from_str(&d.retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
    }
    let Result::Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return see_other("/login?error=invalid_request");
    };
    let input = LoginInput {
        email: form.email.filter(|e| !e.trim().is_empty()),
        password: form.password,
    };
    let Result::Ok((email, password)) = input.validate() else {
        return see_other("/login?error=invalid_request");
    };
    match sign_in(&state, email, password, meta).await {
        Result::Ok(s) => redirect(StatusCode::SEE_OTHER, AFTER_SIGN_IN, Some(s.cookie)),
        Err(ApiError::InvalidCredentials) => see_other("/login?error=invalid_credentials"),
        Err(ApiError::NotApplicable(_)) => see_other("/login?error=invalid_request"),
        Err(e) => {
            tracing::error!(error = %e, "sign-in form failed");
            see_other("/login?auth=temporarily_unavailable")
        }
    }
}

/// `GET /login` and `POST /login` (not part of the API or its OpenAPI document).
pub fn routes() -> Router<AppState> {
    Router::new().route("/login", get(page).post(submit))
}
