//! Prometheus metrics: request counts and latencies per method, route template and status,
//! served at `GET /metrics` in the text exposition format.
//!
//! Metrics are not part of the public API. They are served only when configured: on a separate
//! address (`metrics_bind`, e.g. a private interface; see [`crate::metrics_router`]), or on the
//! API's own port behind a bearer token (`metrics_token`). A configured token is required
//! wherever they are served.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::error::ApiError;
use crate::AppState;

const LABELS: [&str; 3] = ["method", "route", "status"];

/// The registry and the HTTP series.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    password_checks: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("lintel_http_requests_total", "HTTP requests handled."),
            &LABELS,
        )
        .expect("valid counter");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "lintel_http_request_duration_seconds",
                "Time to handle an HTTP request, in seconds.",
            ),
            &LABELS,
        )
        .expect("valid histogram");
        registry
            .register(Box::new(requests.clone()))
            .expect("register counter");
        registry
            .register(Box::new(duration.clone()))
            .expect("register histogram");
        let password_checks = IntCounter::new(
            "lintel_password_verifications_total",
            "Password hashes verified (sign-ins, including those for unknown emails).",
        )
        .expect("valid counter");
        registry
            .register(Box::new(password_checks.clone()))
            .expect("register counter");
        Metrics {
            registry,
            requests,
            duration,
            password_checks,
        }
    }

    /// Records one handled request. `route` must be a route template (bounded cardinality).
    pub fn record(&self, method: &Method, route: &str, status: StatusCode, seconds: f64) {
        let status = status.as_str();
        let labels = [method_label(method), route, status];
        self.requests.with_label_values(&labels).inc();
        self.duration.with_label_values(&labels).observe(seconds);
    }

    /// Counts one Argon2 verification (called from inside the verifying task, so a verification
    /// that never runs is never counted).
    pub fn password_checked(&self) {
        self.password_checks.inc();
    }

    /// Argon2 verifications so far.
    pub fn password_checks(&self) -> u64 {
        self.password_checks.get()
    }

    /// Everything in the registry, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "could not encode metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Standard methods by name; anything else is `OTHER`, so clients cannot mint label values.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The middleware: times the request and records it under its matched route template.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.record(&method, &route, res.status(), seconds);
    res
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in constant time).
fn authorised(headers: &HeaderMap, token: &str) -> bool {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let hash = crate::auth::secrets::lookup_hash;
    sent.is_some_and(|t| crate::auth::secrets::same_hash(&hash(t), &hash(token)))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = state.config.metrics_token.as_deref() {
        if !authorised(&headers, token) {
            let mut res = ApiError::Unauthorized.into_response();
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return res;
        }
    }
    let ct = [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)];
    (ct, state.metrics.render()).into_response()
}

/// `GET /metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_recorded_series() {
        let m = Metrics::new();
        m.record(&Method::GET, "/api/properties/{id}", StatusCode::OK, 0.012);
        m.record(&Method::GET, "/api/properties/{id}", StatusCode::OK, 0.2);
        m.record(
            &Method::from_bytes(b"BREW").unwrap(),
            "unmatched",
            StatusCode::NOT_FOUND,
            0.001,
        );
        let text = m.render();
        assert!(
            text.contains(
                r#"lintel_http_requests_total{method="GET",route="/api/properties/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(
            r#"lintel_http_requests_total{method="OTHER",route="unmatched",status="404"} 1"#
        ));
        assert!(text.contains(
            r#"lintel_http_request_duration_seconds_count{method="GET",route="/api/properties/{id}",status="200"} 2"#
        ));
        assert!(text.contains("# TYPE lintel_http_request_duration_seconds histogram"));
    }
}
