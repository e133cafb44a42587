//! Liveness and readiness.

use crate::contract::public;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

use crate::envelope::Success;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: 200 while the process runs. No authentication.
#[utoipa::path(get, path = "/api/health", tag = "System",
    responses((status = 200, description = "The server is running", body = crate::envelope::Envelope<Health>)))]
async fn health() -> Success<Health> {
    Success(Health { status: "ok" })
}

/// Readiness: 200 only when the database answers, else 503. No authentication.
#[utoipa::path(get, path = "/api/ready", tag = "System",
    responses(
        (status = 200, description = "Ready to serve", body = crate::envelope::Envelope<Health>),
        (status = 503, description = "The database does not answer", body = crate::error::ErrorBody),
    ))]
async fn ready(State(state): State<AppState>) -> ApiResult<Success<Health>> {
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(Success(Health { status: "ok" })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable("Database unavailable.".into()))
        }
        Err(_) => Err(ApiError::Unavailable(
            "Database did not answer in time.".into(),
        )),
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(public!(health))
        .routes(public!(ready))
}
