//! One module per resource; each exposes a `routes()` registered through utoipa-axum.

mod account;
mod account_page;
mod api_keys;
mod audit;
mod auth;
mod buildings;
mod health;
mod html;
mod invitations;
mod invite_page;
mod login_page;
mod members;
mod properties;
mod sign_in;
mod units;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every API route with its OpenAPI entry.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::routes())
        .merge(properties::routes())
        .merge(buildings::routes())
        .merge(units::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(api_keys::routes())
        .merge(members::routes())
        .merge(invitations::routes())
        .merge(audit::routes())
}

/// Server-rendered pages and non-API endpoints; `/metrics` only when configured for this port.
pub fn pages(metrics: bool) -> axum::Router<AppState> {
    let pages = axum::Router::new();
    let pages = if metrics {
        pages.merge(crate::metrics::router())
    } else {
        pages
    };
    pages
        .merge(login_page::routes())
        .merge(account_page::routes())
        .merge(invite_page::routes())
}
