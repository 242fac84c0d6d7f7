//! The guard around every route: panics caught and answered, load shed past a bound.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::extract::Format;
use super::respond::Failure;
use crate::error::Error;

/// The last line of defence, around every route. A panic is answered in the sender's language
/// (a spoken apology for a phone, since any non-200 makes Yemot play M1607) instead of a bare
/// 500 or a dropped connection; and past `max_concurrent` requests in flight, a new one is shed
/// at once with `overloaded` rather than queued without end. A hand-written layer rather than
/// `from_fn`, so a request costs no boxing; tower-http's `CatchPanicLayer` cannot see the
/// request it answers.
#[derive(Debug, Clone)]
pub struct GuardLayer {
    permits: Arc<Semaphore>,
}

impl GuardLayer {
    /// A guard letting at most `max_concurrent` requests run at once.
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent)),
        }
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guard {
            inner,
            permits: self.permits.clone(),
        }
    }
}

/// The service made by [`GuardLayer`].
#[derive(Debug, Clone)]
pub struct Guard<S> {
    inner: S,
    permits: Arc<Semaphore>,
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
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return GuardFuture::Refused {
                error: Error::Overloaded,
                format,
            };
        };
        // A panic while the inner service merely starts the request is caught here too.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(future) => GuardFuture::Running {
                future: std::panic::AssertUnwindSafe(future).catch_unwind(),
                format,
                _permit: permit,
            },
            Err(_) => GuardFuture::Refused {
                error: Error::Internal,
                format,
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Guard`].
    #[project = GuardProj]
    pub enum GuardFuture<F> {
        /// The inner service's future, unwinding caught, holding its place among the requests
        /// in flight until it ends.
        Running {
            #[pin]
            future: futures_util::future::CatchUnwind<std::panic::AssertUnwindSafe<F>>,
            format: Format,
            _permit: OwnedSemaphorePermit,
        },
        /// Answered at once: too many requests in flight, or a panic before the inner service
        /// returned a future.
        Refused { error: Error, format: Format },
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
        match self.project() {
            GuardProj::Running { future, format, .. } => match future.poll(cx) {
                Poll::Ready(Ok(result)) => Poll::Ready(result),
                Poll::Ready(Err(_panic)) => {
                    Poll::Ready(Ok(Failure::new(Error::Internal, *format).into_response()))
                }
                Poll::Pending => Poll::Pending,
            },
            GuardProj::Refused { error, format } => {
                Poll::Ready(Ok(Failure::new(*error, *format).into_response()))
            }
        }
    }
}
