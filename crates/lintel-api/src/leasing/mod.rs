//! The leasing context's HTTP surface: tenants, leases and renewal offers.

mod leases;
mod tenants;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The context's API routes, each with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tenants::routes())
        .merge(leases::routes())
}
