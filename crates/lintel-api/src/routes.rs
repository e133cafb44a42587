//! The router lists contexts, not resources: each context exposes one `routes()` (and, with
//! server-rendered pages, one `pages()`).

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every API route with its OpenAPI entry.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crate::platform::routes())
        .merge(crate::portfolio::routes())
        .merge(crate::identity::routes())
        .merge(crate::documents::routes())
        .merge(crate::leasing::routes())
        .merge(crate::comms::routes())
        .merge(crate::ledger::routes())
}

/// Server-rendered pages and non-API endpoints; `/metrics` only when configured for this port.
pub fn pages(metrics: bool) -> axum::Router<AppState> {
    let pages = crate::identity::pages();
    if metrics {
        pages.merge(crate::metrics::router())
    } else {
        pages
    }
}
