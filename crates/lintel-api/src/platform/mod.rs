//! What every deployment has whatever the contexts: health and readiness (the API document,
//! its UI and metrics are in `crate::docs` and `crate::metrics`).

mod health;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    health::routes()
}
