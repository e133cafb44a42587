//! Lintel's HTTP API: the router, its OpenAPI document, the envelope and one module per resource.
//!
//! Handlers are thin: extract (typed, enveloped errors), authorise (the [`auth::Auth`] type names
//! the minimum role), call the store, map the answer. Routes are registered through utoipa-axum,
//! so a route cannot exist without its OpenAPI entry.

pub mod auth;
pub mod client_ip;
pub mod config;
pub mod contract;
pub mod docs;
pub mod entity;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod idempotency;
mod identity;
pub mod json;
pub mod metrics;
pub mod middleware;
mod multipart;
pub mod named_schemas;
mod platform;
mod portfolio;
pub mod query;
pub mod ratelimit;
pub mod request_id;
pub mod responses;
mod routes;
pub mod server;

use std::sync::Arc;

use axum::Router;
use lintel_store::Store;

pub use config::ApiConfig;
pub use error::{ApiError, ApiResult};

/// What every handler can reach. One `Arc`, so the per-request clones (every layer and
/// extractor that takes the state) cost one atomic increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Store,
    pub config: Arc<ApiConfig>,
    pub limiter: Arc<ratelimit::RateLimiter>,
    pub metrics: Arc<metrics::Metrics>,
    /// Document bytes, and the key that signs their local download links.
    pub blobs: lintel_blobs::Blobs,
    pub links: lintel_blobs::LinkSigner,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Builds the state; connects to Redis when `config.redis_url` is set.
    pub async fn new(store: Store, config: ApiConfig) -> anyhow::Result<AppState> {
        let limiter =
            ratelimit::RateLimiter::new(&config.rate_limits, config.redis_url.as_deref()).await?;
        // The dummy hash unknown emails are checked against is made now, not by the first
        // sign-in with an unknown email (which would then take twice as long as any other).
        lintel_app::identity::passwords::prepare().await?;
        let docs = &config.documents;
        let blobs = lintel_blobs::Blobs::open(&docs.backend)
            .map_err(|e| anyhow::anyhow!("document storage: {e}"))?;
        let links = match &docs.link_key_file {
            Some(path) => lintel_blobs::LinkSigner::load_or_create(path)
                .map_err(|e| anyhow::anyhow!("download link key {}: {e}", path.display()))?,
            None => lintel_blobs::LinkSigner::random(),
        };
        Ok(AppState(Arc::new(Shared {
            store,
            config: Arc::new(config),
            limiter: Arc::new(limiter),
            metrics: Arc::new(metrics::Metrics::new()),
            blobs,
            links,
        })))
    }
}

/// The whole application, layered and ready to serve.
pub fn router(state: AppState) -> middleware::App {
    let (api, _) = routes::api().split_for_parts();
    let app = Router::new()
        .merge(api)
        .merge(docs::router())
        .merge(routes::pages(state.config.metrics_on_api))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .with_state(state.clone());
    middleware::App::new(app, state)
}

/// `/metrics` alone, for its own listener (`metrics_bind`): requests there are not counted in
/// the API's rate limits or metrics, and a configured `metrics_token` is still required.
pub fn metrics_router(state: AppState) -> Router {
    metrics::router()
        .fallback(middleware::not_found)
        .with_state(state)
}

/// The OpenAPI 3.1 document, as committed in `openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes::api().split_for_parts();
    responses::register_schemas(&mut api);
    named_schemas::apply(docs::finish(api))
}

/// The OpenAPI document as pretty JSON (what `lintel openapi` prints and CI compares).
pub fn openapi_json() -> String {
    let s = openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    let mut s = docs::sort_extensions(&s);
    s.push('\n');
    s
}

// Contexts still to come (empty until their issues).
mod brokerage;
pub mod comms;
mod documents;
mod insight;
mod leasing;
mod ledger;
mod maintenance;
