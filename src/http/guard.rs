//! The guard around every request: panics caught and answered, and every request counted for
//! `/metrics` (in flight, by route and outcome, and how long it took).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{Request, Response};
use axum::response::IntoResponse;
use futures_util::FutureExt as _;

use super::app::ResponseBody;
use super::extract::Format;
use super::metrics::{Metrics, Outcome};
use super::respond::Failure;
use crate::error::Error;

/// The last line of defence, around every request whichever way it is served (see
/// [`super::App`]). A panic is answered in the sender's language (a spoken apology for a
/// phone, since any non-200 makes Yemot play M1607) instead of a bare 500 or a dropped
/// connection; tower-http's `CatchPanicLayer` cannot see the request it answers.
///
/// Shedding load is not done here but once a request's body is in (`extract::Api`): a client
/// that stalls its body must not hold a place a caller needs.
pub fn enter<B, F>(
    metrics: &Arc<Metrics>,
    route: &'static str,
    req: Request<B>,
    serve: impl FnOnce(Request<B>) -> F,
) -> GuardFuture<F>
where
    F: std::future::Future<Output = Response<ResponseBody>>,
{
    let format = Format::guess(req.headers(), route);
    let counting = Counting {
        metrics: metrics.clone(),
        route,
        started: Instant::now(),
    };
    metrics.started();
    // A panic while the request merely starts is caught here too.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve(req))) {
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

/// What a request's count needs once it is answered.
struct Counting {
    metrics: Arc<Metrics>,
    route: &'static str,
    started: Instant,
}

impl Counting {
    fn finish(self, response: &Response<ResponseBody>) {
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

pin_project_lite::pin_project! {
    /// The future [`enter`] returns.
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

impl<F> std::future::Future for GuardFuture<F>
where
    F: std::future::Future<Output = Response<ResponseBody>>,
{
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let (response, counting) = match self.project() {
            GuardProj::Running {
                future,
                format,
                counting,
            } => match future.poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(response)) => (response, counting),
                Poll::Ready(Err(_panic)) => (apology(*format), counting),
            },
            GuardProj::Panicked { format, counting } => (apology(*format), counting),
        };
        if let Some(counting) = counting.take() {
            counting.finish(&response);
        }
        Poll::Ready(Ok(response))
    }
}

/// What a panic is answered with.
fn apology(format: Format) -> Response<ResponseBody> {
    Failure::new(Error::Internal, format)
        .into_response()
        .map(ResponseBody::from)
}
