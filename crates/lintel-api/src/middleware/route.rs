//! The one layer inside routing: it knows the matched route, so it refuses query parameters on
//! operations that declare none and labels the answer with its route template for the metrics.
//! It holds no state and allocates nothing, so the per-request clone of a route stays as cheap
//! as the handler's own.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tower::{Layer, Service};

/// The route template that answered, in the response's extensions (absent when no route
/// matched: the 404 fallback).
#[derive(Clone)]
pub struct RouteLabel(pub MatchedPath);

/// Wraps every route (see the module documentation).
#[derive(Clone, Copy, Default)]
pub struct RouteLayer;

impl<S> Layer<S> for RouteLayer {
    type Service = Routed<S>;

    fn layer(&self, inner: S) -> Routed<S> {
        Routed(inner)
    }
}

/// A route wrapped by [`RouteLayer`].
#[derive(Clone)]
pub struct Routed<S>(S);

impl<S> Service<Request> for Routed<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Labelled<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let route = req.extensions().get::<MatchedPath>().cloned();
        if let Some(refused) = crate::query::undeclared(&req, route.as_ref()) {
            return Labelled::Refused {
                answer: Some(refused),
            };
        }
        Labelled::Running {
            fut: self.0.call(req),
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// The route's answer, labelled with its template.
    #[project = LabelledProj]
    pub enum Labelled<F> {
        Running { #[pin] fut: F, route: Option<MatchedPath> },
        Refused { answer: Option<Response> },
    }
}

impl<F> Future for Labelled<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LabelledProj::Running { fut, route } => {
                let mut res = match fut.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(res)) => res,
                    Poll::Ready(Err(never)) => match never {},
                };
                if let Some(route) = route.take() {
                    res.extensions_mut().insert(RouteLabel(route));
                }
                Poll::Ready(Ok(res))
            }
            LabelledProj::Refused { answer } => Poll::Ready(Ok(answer
                .take()
                .expect("a refused request's future is polled once"))),
        }
    }
}
