//! The identity context's HTTP surface: sign-up and sign-in, sessions, the person's account and
//! organisations, members and invitations, API keys, the audit log, and the server-rendered
//! sign-in, account and invitation pages.

mod account;
mod api_keys;
mod audit;
mod auth;
pub(crate) mod invitations;
mod members;
mod pages;
mod plan;
mod sign_in;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The context's API routes, each with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(account::routes())
        .merge(api_keys::routes())
        .merge(members::routes())
        .merge(invitations::routes())
        .merge(audit::routes())
        .merge(plan::routes())
}

/// The context's server-rendered pages (not in the API document).
pub fn pages() -> axum::Router<AppState> {
    pages::routes()
}
