//! One module per resource; each exposes a `routes()` registered through utoipa-axum.

mod api_keys;
mod audit;
mod auth;
mod buildings;
mod health;
mod login_page;
mod members;
mod properties;
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
        .merge(api_keys::routes())
        .merge(members::routes())
        .merge(audit::routes())
}

/// Server-rendered pages and non-API endpoints.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(crate::metrics::router())
        .merge(login_page::routes())
}
