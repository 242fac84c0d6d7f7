//! [`App`]: the whole service as one hyper and tower service, the guard around every request,
//! and a shorter way through for the routes every call takes.
//!
//! # Two ways through, one service
//!
//! axum's `Router` wraps every route in its layers and boxes: per request it clones a boxed
//! service three times, boxes three futures (the handler's, of several KB, is moved into the
//! heap), and inserts `MatchedPath` and URL parameters into the request's extensions: half the
//! instructions and most of the allocations of a whole `/api/2fa` answer (`bench/count.py`).
//! A row of [`super::ROUTES`] may therefore name a `direct` way too: the same handler, called
//! through axum's own `Handler::call` with the same extractors and the same `IntoResponse`, only
//! without the router's matching and layers. Everything else, and every method or path the
//! table does not match exactly, goes through the router as before. Both ways are inside the
//! one guard ([`super::guard::enter`]: panics, metrics), and `tests/api/either_way.rs` sends
//! every route's requests both ways and compares the answers.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;

use super::AppState;
use super::guard::{self, GuardFuture};
use super::metrics::Metrics;

/// A route's handler called directly: `Handler::call` of an `async fn` handler, whose future is
/// this boxed one.
pub type Direct = fn(Request<Body>, AppState) -> DirectFuture;

/// The future of a [`Direct`] handler.
pub type DirectFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// The service: the router, the direct ways of the routes that have one, and the guard.
#[derive(Clone)]
pub struct App {
    router: Router,
    metrics: Arc<Metrics>,
    /// The state direct handlers are given; `None` sends every request through the router.
    direct: Option<AppState>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("direct", &self.direct.is_some())
            .finish_non_exhaustive()
    }
}

impl App {
    /// `router` (built from [`super::ROUTES`] with `state`), taking the direct ways when `direct`.
    pub(super) fn new(router: Router, state: AppState, direct: bool) -> Self {
        Self {
            router,
            metrics: state.metrics.clone(),
            direct: direct.then_some(state),
        }
    }

    /// The same service with every request through the router: what the direct ways are
    /// compared with.
    #[must_use]
    pub fn through_router(self) -> Self {
        Self {
            direct: None,
            ..self
        }
    }

    fn call_guarded<B>(&self, req: Request<B>) -> GuardFuture<Dispatched>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let (route, direct) = super::route_of(req.method().as_str(), req.uri().path());
        guard::enter(&self.metrics, route, req, |req| {
            match (direct, &self.direct) {
                (Some(direct), Some(state)) => Dispatched::Direct {
                    future: direct(req.map(Body::new), state.clone()),
                },
                _ => Dispatched::Routed {
                    future: tower::Service::call(&mut self.router.clone(), req),
                },
            }
        })
    }
}

/// Any router as a service of its own, guarded, with no direct ways: for `/metrics` on its
/// own port, and for tests that serve a router of their own.
impl From<Router> for App {
    fn from(router: Router) -> Self {
        Self {
            router,
            metrics: Arc::default(),
            direct: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer on its way, by either way.
    #[project = DispatchedProj]
    pub enum Dispatched {
        /// A direct handler's future.
        Direct { #[pin] future: DirectFuture },
        /// The router's.
        Routed { #[pin] future: RouteFuture<Infallible> },
    }
}

impl Future for Dispatched {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project() {
            DispatchedProj::Direct { future } => future.poll(cx),
            DispatchedProj::Routed { future } => future.poll(cx).map(|Ok(response)| response),
        }
    }
}

impl<B> tower::Service<Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<Dispatched>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.call_guarded(req)
    }
}

/// What the serve loop calls: by reference, so a request clones nothing of the service.
impl hyper::service::Service<Request<hyper::body::Incoming>> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<Dispatched>;

    fn call(&self, req: Request<hyper::body::Incoming>) -> Self::Future {
        self.call_guarded(req)
    }
}
