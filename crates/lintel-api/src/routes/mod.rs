//! One module per resource; each exposes a `routes()` registered through utoipa-axum.

mod health;
mod properties;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every API route with its OpenAPI entry.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::routes())
        .merge(properties::routes())
}

/// Server-rendered pages and non-API endpoints.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().merge(crate::metrics::router())
}
