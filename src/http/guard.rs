//! The guard around every route: panics caught and answered, and every request counted for
//! `/metrics` (in flight, by route and outcome, and how long it took).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;

use super::extract::Format;
use super::metrics::{Metrics, Outcome};
use super::respond::Failure;
use crate::error::Error;

/// The last line of defence, around every route. A panic is answered in the sender's language
/// (a spoken apology for a phone, since any non-200 makes Yemot play M1607) instead of a bare
/// 500 or a dropped connection. A hand-written layer rather than `from_fn`, so a request costs
/// no boxing; tower-http's `CatchPanicLayer` cannot see the request it answers.
///
/// Shedding load is not done here but once a request's body is in (`extract::Api`): a client
/// that stalls its body must not hold a place a caller needs.
#[derive(Debug, Clone)]
pub struct GuardLayer {
    metrics: Arc<Metrics>,
}

impl GuardLayer {
    /// A guard counting into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guard {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service made by [`GuardLayer`].
#[derive(Debug, Clone)]
pub struct Guard<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

/// What a request's count needs once it is answered.
struct Counting {
    metrics: Arc<Metrics>,
    route: &'static str,
    started: Instant,
}

impl Counting {
    fn finish(self, response: &Response) {
        let outcome = response.extensions().get::<Outcome>().map_or_else(
            || match response.status().as_u16() {
                200..=399 => "ok",
                400..=499 => "client_error",
                _ => "server_error",
            },
            |o| o.0,
        );
        self.metrics
            .finished(self.route, outcome, self.started.elapsed().as_secs_f64());
    }
}

/// A route template as a `'static` label: one of the table's, or `unmatched`.
fn route_label(req: &Request) -> &'static str {
    let Some(path) = req.extensions().get::<MatchedPath>() else {
        return "unmatched";
    };
    super::ROUTES
        .iter()
        .find(|r| r.path == path.as_str())
        .map_or("unmatched", |r| r.path)
}

impl<S> tower::Service<Request> for Guard<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let format = Format::guess(req.headers());
        let counting = Counting {
            metrics: self.metrics.clone(),
            route: route_label(&req),
            started: Instant::now(),
        };
        self.metrics.started();
        // A panic while the inner service merely starts the request is caught here too.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(future) => GuardFuture::Running {
                future: std::panic::AssertUnwindSafe(future).catch_unwind(),
                format,
                counting: Some(counting),
            },
            Err(_) => GuardFuture::Panicked {
                format,
                counting: Some(counting),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Guard`].
    #[project = GuardProj]
    pub enum GuardFuture<F> {
        /// The inner service's future, unwinding caught.
        Running {
            #[pin]
            future: futures_util::future::CatchUnwind<std::panic::AssertUnwindSafe<F>>,
            format: Format,
            counting: Option<Counting>,
        },
        /// A panic before the inner service returned a future.
        Panicked { format: Format, counting: Option<Counting> },
    }
}

impl<F, E> std::future::Future for GuardFuture<F>
where
    F: std::future::Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let (result, counting) = match self.project() {
            GuardProj::Running {
                future,
                format,
                counting,
            } => match future.poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(result)) => (result, counting),
                Poll::Ready(Err(_panic)) => (
                    Ok(Failure::new(Error::Internal, *format).into_response()),
                    counting,
                ),
            },
            GuardProj::Panicked { format, counting } => (
                Ok(Failure::new(Error::Internal, *format).into_response()),
                counting,
            ),
        };
        if let (Ok(response), Some(counting)) = (&result, counting.take()) {
            counting.finish(response);
        }
        Poll::Ready(result)
    }
}
