//! `GET /account`: where a browser sign-in lands. Shows who is signed in, in which organisation
//! and with what role, the organisations they can switch to, and how writes made with this
//! session must carry the CSRF token (shown here, from the `lintel_csrf` cookie). Not signed in:
//! a redirect to `/login`. Not part of the API or its OpenAPI document.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;

use super::html::{escape, page};
use crate::auth::{authenticate, CSRF_COOKIE};
use crate::error::ApiError;
use crate::identity::auth::redirect;
use crate::AppState;

async fn account(State(state): State<AppState>, parts: Parts) -> Response {
    let principal = match authenticate(&parts, &state).await {
        Ok(p) if p.user.is_some() => p,
        Ok(_) | Err(ApiError::Unauthorized) => {
            return redirect(StatusCode::SEE_OTHER, "/login", &[]);
        }
        Err(e) => {
            tracing::warn!(error = %e, "account page: cannot read the session");
            return redirect(
                StatusCode::SEE_OTHER,
                "/login?auth=temporarily_unavailable",
                &[],
            );
        }
    };
    let Some(user) = principal.user else {
        return redirect(StatusCode::SEE_OTHER, "/login", &[]);
    };
    let member = state.store.org(principal.org).members().get(user).await;
    let orgs = state.store.accounts().memberships(user).await;
    let (Ok(member), Ok(orgs)) = (member, orgs) else {
        return redirect(
            StatusCode::SEE_OTHER,
            "/login?auth=temporarily_unavailable",
            &[],
        );
    };
    let csrf = CookieJar::from_headers(&parts.headers)
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_string());
    let mut rows = String::new();
    for m in &orgs {
        let here = if m.organisation.id == principal.org {
            " (current)"
        } else {
            ""
        };
        rows.push_str(&format!(
            "<tr><td>{}{here}</td><td>{}</td><td><code>{}</code></td></tr>\n",
            escape(&m.organisation.name),
            m.role,
            m.organisation.id
        ));
    }
    let current = orgs.iter().find(|m| m.organisation.id == principal.org);
    let org_name = current.map(|m| m.organisation.name.as_str()).unwrap_or("");
    let plan = current.map(|m| m.organisation.plan.label()).unwrap_or("");
    let token = match &csrf {
        Some(t) => format!(
            "<p>This session's CSRF token (send it as <code>X-CSRF-Token</code> with every \
             POST, PATCH, PUT and DELETE made with this session):</p>\n<pre>{}</pre>\n",
            escape(t)
        ),
        None => {
            "<p>This session's CSRF token was returned when it started (<code>csrfToken</code> \
                 in the sign-in answer); send it as <code>X-CSRF-Token</code> with every write."
                .to_string()
        }
    };
    let main = format!(
        "<h1>Signed in to Lintel</h1>\n<dl>\n<dt>Name</dt><dd>{}</dd>\n<dt>Email</dt><dd>{}</dd>\n\
<dt>Organisation</dt><dd>{} <code>{}</code> ({plan} plan)</dd>\n<dt>Role</dt><dd>{}</dd>\n</dl>\n\
{token}<p>The <a href=\"/api/docs/ui\">API explorer</a> sends it for you: its \"Try it out\" \
requests use this session.</p>\n<h2>Your organisations</h2>\n<table>\n<tr><th>Name</th><th>Role</th>\
<th>ID</th></tr>\n{rows}</table>\n<p class=\"hint\">Switch with <code>POST \
/api/auth/switch-organisation</code> <code>{{\"organisationId\": \"org_…\"}}</code>; start another \
with <code>POST /api/organisations</code>.</p>\n<p><a href=\"/api/auth/signout\">Sign out</a></p>\n",
        escape(&member.name),
        escape(&member.email),
        escape(org_name),
        principal.org,
        member.role,
    );
    page(StatusCode::OK, "Account", true, &main)
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/account", get(account))
}
