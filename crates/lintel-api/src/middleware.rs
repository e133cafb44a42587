//! The layers every request passes through: the body-read deadline and unread-body handling,
//! request ID and log span, timing headers, security headers, CORS, metrics, rate limits, the
//! body limit and panic containment.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use crate::client_ip::{self, ClientIp};
use crate::error::ApiError;
use crate::server::body::BodyPolicy;
use crate::{request_id, AppState};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_RESPONSE_TIME: HeaderName = HeaderName::from_static("x-response-time-ms");
pub const X_DB_TIME: HeaderName = HeaderName::from_static("x-db-query-time-ms");
pub const X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

/// Unknown routes: 404 in the envelope.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("Route")
}

/// Known route, wrong method: 405 in the envelope.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn millis_header(micros: u64) -> HeaderValue {
    let ms = micros as f64 / 1000.0;
    HeaderValue::from_str(&format!("{ms:.3}")).unwrap_or(HeaderValue::from_static("0"))
}

/// Gives the request its ID, correlation ID, client address and span, and times it and its
/// database work.
async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id::generate();
    let correlation = request_id::correlation_from(
        req.headers()
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok()),
    );
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = client_ip::resolve(peer, req.headers(), &state.config.trusted_proxies);
    req.extensions_mut().insert(ClientIp(client));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        correlation_id = correlation.as_deref().unwrap_or(""),
        method = %req.method(),
        path = %req.uri().path(),
    );
    let db_micros = Arc::new(AtomicU64::new(0));
    let ids = request_id::RequestIds {
        request_id: id.clone(),
        correlation_id: correlation.clone(),
    };
    let fut = lintel_store::timing::scope(db_micros.clone(), request_id::scope(ids, next.run(req)));
    let mut res = fut.instrument(span.clone()).await;
    let total = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(X_REQUEST_ID, v);
    }
    if let Some(v) = correlation.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(X_CORRELATION_ID, v);
    }
    h.insert(X_RESPONSE_TIME, millis_header(total));
    h.insert(X_DB_TIME, millis_header(db_micros.load(Ordering::Relaxed)));
    security_headers(h);
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = total as f64 / 1000.0,
            "handled"
        )
    });
    res
}

/// Security headers on every response (panics included); a route that set its own (the docs
/// UI) keeps them.
fn security_headers(h: &mut HeaderMap) {
    const DEFAULTS: [(HeaderName, &str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in DEFAULTS {
        if let header::Entry::Vacant(e) = h.entry(name) {
            e.insert(HeaderValue::from_static(value));
        }
    }
}

/// A panic becomes an opaque 500 in the envelope; the detail goes to the log only.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into());
    ApiError::Internal(format!("handler panicked: {detail}")).into_response()
}

fn cors(state: &AppState) -> CorsLayer {
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::PATCH,
            axum::http::Method::PUT,
            axum::http::Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(crate::auth::CSRF_HEADER),
            X_REQUEST_ID,
        ])
        .expose_headers([
            X_REQUEST_ID,
            X_CORRELATION_ID,
            X_RESPONSE_TIME,
            X_DB_TIME,
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
            header::RETRY_AFTER,
        ])
        .allow_credentials(!state.config.cors_origins.is_empty())
}

/// Wraps the application in every layer, outermost first: the request-body guard (read deadline;
/// an unread body discarded or the connection closed, see [`crate::server::body`]), request
/// context (with the security headers), panic containment, metrics, rate limits, CORS (so preflight answers carry rate-limit headers
/// too), body limit.
pub fn layer(app: Router, state: AppState) -> Router {
    let body_policy = BodyPolicy {
        timeout: state.config.server.body_read_timeout(),
        limit: state.config.body_limit,
    };
    app.layer(from_fn(crate::query::no_undeclared_parameters))
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(cors(&state))
        .layer(from_fn_with_state(state.clone(), crate::ratelimit::layer))
        .layer(from_fn_with_state(state.clone(), crate::metrics::layer))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state, request_context))
        .layer(from_fn_with_state(body_policy, crate::server::body::guard))
}
