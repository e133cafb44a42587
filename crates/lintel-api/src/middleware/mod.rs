//! What every request passes through, as one service around the router ([`App`]): the body-read
//! deadline and unread-body handling, request ID and log span, timing headers, security headers,
//! panic containment, metrics, rate limits and CORS; inside routing, one stateless layer
//! ([`route::RouteLayer`]) and the body limit.
//!
//! One service rather than a stack of `from_fn` layers on every route: a layered route is cloned
//! whole for each request and every `from_fn` layer boxes its inner service and its future, which
//! was about fifty allocations per request before any handler ran (docs/benchmarks.md).

mod context;
pub mod route;

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::future::Either;
use futures::FutureExt;
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

use crate::error::ApiError;
use crate::ratelimit::Gate;
use crate::server::body::{self, BodyPolicy};
use crate::AppState;

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
    let origins: Arc<[HeaderValue]> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    // A predicate over a shared list rather than `AllowOrigin::list`, whose list is copied
    // whenever the service is cloned.
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origins.contains(origin)
        }))
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

/// The application: the router inside the request layer. Cheap to clone (two `Arc`s and the
/// CORS settings, which are shared).
#[derive(Clone)]
pub struct App {
    router: Router,
    /// The router behind CORS, for requests that can be CORS requests (see [`App::route`]).
    cors: Arc<Cors<Router>>,
    shared: Arc<Outer>,
}

/// What CORS puts in `Vary` on every answer (tower-http's default list), for the answers that
/// do not pass through it.
const VARY: &str = "origin, access-control-request-method, access-control-request-headers";

struct Outer {
    state: AppState,
    body: BodyPolicy,
}

impl App {
    /// Wraps `router` (with its state applied) in the request layer; the route layer and the
    /// body limit go on every route.
    pub fn new(router: Router, state: AppState) -> App {
        let body = BodyPolicy {
            timeout: state.config.server.body_read_timeout(),
            limit: state.config.body_limit,
        };
        let router = router
            .layer(DefaultBodyLimit::max(state.config.body_limit))
            .layer(route::RouteLayer);
        App {
            cors: Arc::new(cors(&state).layer(router.clone())),
            router,
            shared: Arc::new(Outer { state, body }),
        }
    }

    /// Routes the request. Only a request with an `Origin` header, or a preflight, can be a
    /// CORS request (browsers always send `Origin` on those), so only those pass through CORS;
    /// every other answer gets the same `Vary` that CORS would have added and nothing else CORS
    /// adds, which a non-CORS request does not read. Both routers are always ready.
    fn route(&self, req: Request) -> impl Future<Output = Response> + Send + 'static {
        let cors = req.method() == Method::OPTIONS || req.headers().contains_key(header::ORIGIN);
        let routed = if cors {
            Either::Left(Cors::clone(&self.cors).call(req))
        } else {
            Either::Right(self.router.clone().call(req))
        };
        async move {
            let mut res = match routed.await {
                Ok(res) => res,
                Err(never) => match never {},
            };
            let h = res.headers_mut();
            // Room for what the layers add (rate limits, IDs, timings, security headers) at
            // once, rather than the map growing and rehashing twice on the way.
            h.reserve(16);
            if !cors {
                h.append(header::VARY, HeaderValue::from_static(VARY));
            }
            res
        }
    }
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl tower::Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    /// Outermost first: the body guard, the request context, panic containment, metrics, the
    /// rate-limit gate, CORS, then routing. Everything before the first await happens here, and
    /// the router is called here too: routing only picks the route, and its handler does not
    /// start until the returned future is polled, after the rate-limit gate let it through.
    fn call(&mut self, req: Request) -> Answer {
        let shared = self.shared.clone();
        let (mut req, body) = body::watch(shared.body, req);
        let begun = context::Begun::start(&shared.state, &mut req);
        let gate = Gate::open(&shared.state, &mut req);
        let method = req.method().clone();
        // Boxed on its own: the routed future is large, and every layer of the answer below
        // holds it by value, so unboxed it was copied whole from layer to layer (an 8 KB answer
        // future, moved eight times per request; one allocation is far cheaper).
        let routed = Box::pin(self.route(req));
        let fut = async move {
            let guarded = async move {
                match gate {
                    Some(gate) => gate.around(routed).await,
                    None => routed.await,
                }
            };
            let res = begun
                .run(AssertUnwindSafe(guarded).catch_unwind())
                .await
                .unwrap_or_else(panic_response);
            let route = res.extensions().get::<route::RouteLabel>();
            let route = route.map_or("unmatched", |r| r.0.as_str());
            let seconds = begun.started.elapsed().as_secs_f64();
            shared
                .state
                .metrics
                .record(&method, route, res.status(), seconds);
            let res = begun.finish(res);
            Ok(match body {
                Some(body) => body.finish(res).await,
                None => res,
            })
        };
        Box::pin(fut)
    }
}
