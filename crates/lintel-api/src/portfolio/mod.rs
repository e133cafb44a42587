//! The portfolio context's HTTP surface: buildings, properties and units.

mod buildings;
mod properties;
mod units;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The context's API routes, each with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(properties::routes())
        .merge(buildings::routes())
        .merge(units::routes())
}
