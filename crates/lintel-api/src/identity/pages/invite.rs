//! `GET /invite/{token}`: the page an invitation link opens. It names the organisation and the
//! role, and asks someone new for their name and a password, or someone with an account for
//! their password. `POST /invite/{token}` (form-urlencoded `name`, `password`) accepts through
//! the same code as `POST /api/auth/accept-invite` and lands on `/account`, signed in.
//! Not part of the API or its OpenAPI document.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lintel_domain::identity::{AcceptInvitationInput, InvitationStatus};
use serde::Deserialize;

use super::html::{banners, escape, page, Banner};
use super::login::AFTER_SIGN_IN;
use crate::auth::secrets;
use crate::error::ApiError;
use crate::extract::RawBody;
use crate::identity::auth::redirect;
use crate::identity::invitations::accept_invitation;
use crate::identity::sign_in::ClientMeta;
use crate::ratelimit::{ip_key, RateSlot, Scope};
use crate::AppState;

const NOT_FOUND: &str = "This invitation link is not valid. Check that you copied all of it.";

fn gone(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Accepted => "This invitation has already been accepted. Sign in instead.",
        InvitationStatus::Revoked => "This invitation was withdrawn. Ask for a new one.",
        _ => "This invitation has expired. Ask for a new one.",
    }
}

fn message(status: StatusCode, text: &'static str) -> Response {
    let main = format!(
        "<h1>Invitation</h1>\n{}<p><a href=\"/login\">Sign in</a></p>\n",
        banners(&[Banner::Error(text)])
    );
    page(status, "Invitation", false, &main)
}

/// The invitation and its form, with `errors` (already escaped lines) above it.
async fn render(state: &AppState, token: &str, errors: &[String], status: StatusCode) -> Response {
    if token.is_empty() || token.len() > 128 {
        return message(StatusCode::NOT_FOUND, NOT_FOUND);
    }
    let found = state
        .store
        .invites()
        .by_token(&secrets::lookup_hash(token))
        .await;
    let found = match found {
        Ok(Some(f)) => f,
        Ok(None) => return message(StatusCode::NOT_FOUND, NOT_FOUND),
        Err(e) => {
            tracing::warn!(error = %e, "invitation page: lookup failed");
            let text = "Lintel is temporarily unavailable. Please try again in a minute.";
            return message(StatusCode::SERVICE_UNAVAILABLE, text);
        }
    };
    let inv = &found.invitation;
    if inv.status != InvitationStatus::Pending {
        return message(StatusCode::GONE, gone(inv.status));
    }
    let has_account = matches!(
        state.store.credentials().login(&inv.email).await,
        Ok(Some(_))
    );
    let fields = if has_account {
        "<p>You already have a Lintel account: enter its password to join.</p>\n\
<label for=\"password\">Password</label>\n\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\">\n"
    } else {
        "<label for=\"name\">Your name</label>\n\
<input id=\"name\" name=\"name\" autocomplete=\"name\" required maxlength=\"120\">\n\
<label for=\"password\">Choose a password</label>\n\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"10\" maxlength=\"256\">\n\
<p class=\"hint\">At least 10 characters, not a common password.</p>\n"
    };
    let errors: String = errors
        .iter()
        .map(|e| format!("<p class=\"banner error\" role=\"alert\">{e}</p>\n"))
        .collect();
    let main = format!(
        "<h1>Join {}</h1>\n<p>You are invited as <strong>{}</strong> ({}).</p>\n{errors}\
<form method=\"post\" action=\"/invite/{}\">\n{fields}<button type=\"submit\">Join</button>\n</form>\n",
        escape(&found.organisation_name),
        inv.role,
        escape(&inv.email),
        escape(token),
    );
    page(status, "Invitation", false, &main)
}

async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    render(&state, &token, &[], StatusCode::OK).await
}

#[derive(Deserialize)]
struct AcceptForm {
    name: Option<String>,
    password: Option<String>,
}

async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    meta: ClientMeta,
    slot: RateSlot,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        let errors = ["Please submit the form from this page.".to_string()];
        return render(&state, &token, &errors, StatusCode::FORBIDDEN).await;
    }
    let d = state.limiter.check(Scope::Login, &ip_key(meta.peer)).await;
    slot.record(d);
    if d.is_some_and(|d| !d.allowed) {
        let errors = ["Too many attempts. Please wait a minute and try again.".to_string()];
        return render(&state, &token, &errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let form = serde_urlencoded::from_bytes::<AcceptForm>(&body).unwrap_or(AcceptForm {
        name: None,
        password: None,
    });
    let input = AcceptInvitationInput {
        token: Some(token.clone()),
        password: form.password,
        name: form.name.filter(|n| !n.trim().is_empty()),
    };
    let outcome = match input.validate() {
        Ok(a) => accept_invitation(&state, a, meta, &slot).await,
        Err(e) => Err(ApiError::Validation(e)),
    };
    let (status, errors) = match outcome {
        Ok(started) => return redirect(StatusCode::SEE_OTHER, AFTER_SIGN_IN, &started.cookies),
        Err(ApiError::Validation(details)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            details
                .iter()
                .map(|d| format!("{}: {}", escape(&d.field), escape(&d.message)))
                .collect(),
        ),
        Err(ApiError::InvalidCredentials) => (
            StatusCode::UNAUTHORIZED,
            vec!["That is not the password of this account.".to_string()],
        ),
        Err(ApiError::RateLimited { .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            vec!["Too many attempts. Please wait and try again.".to_string()],
        ),
        Err(ApiError::PlanLimitExceeded { .. }) => (
            StatusCode::FORBIDDEN,
            vec!["The organisation has no room for another member on its plan.".to_string()],
        ),
        Err(e) => {
            if matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)) {
                tracing::error!(error = %e, "invitation page: acceptance failed");
            }
            // Not found / gone / conflict: the page itself says what is wrong with the link.
            (StatusCode::OK, Vec::new())
        }
    };
    render(&state, &token, &errors, status).await
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/invite/{token}", get(show).post(submit))
}
