//! [`App`]: the whole service as one hyper and tower service, the guard around every request,
//! and a shorter way through for the routes every call takes.
//!
//! # Two ways through, one service
//!
//! axum's `Router` wraps every route in its layers and boxes: per request it clones a boxed
//! service three times, boxes three futures (the handler's, of several KB, is moved into the
//! heap), and inserts `MatchedPath` and URL parameters into the request's extensions: half the
//! instructions and most of the allocations of a whole `/api/2fa` answer (`bench/count.py`).
//! A row of [`super::ROUTES`] may therefore name a `direct` way too: the same extractor
//! (`extract::Api::read`, which the router's extraction calls as well), the same handler, and
//! the same answer ([`Answer`]: axum's `IntoResponse` for the router, [`Answer::into_direct`]
//! here, which sends a reply in the buffer it was written into), only without the router's
//! matching, layers and boxes. Everything else, and every method or path the table does not
//! match exactly, goes through the router as before. Both ways are inside the one guard
//! ([`super::guard::enter`]: panics, metrics), and `tests/api/either_way.rs` sends every
//! route's requests both ways and compares the answers.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Response, header};
use axum::response::IntoResponse;
use axum::routing::future::RouteFuture;
use bytes::Buf;
use http_body::Frame;

use super::AppState;
use super::guard::{self, GuardFuture};
use super::metrics::Metrics;

/// A route's handler called directly: the handler's own function, with the same extractor and
/// the same answer as through the router, given the body as hyper hands it over (no box) and
/// answering with a body that needs none either.
pub type Direct = fn(Request<RequestBody>, AppState) -> DirectFuture;

/// The future of a [`Direct`] handler.
pub type DirectFuture = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;

/// A request's body on the direct way: hyper's own from the serve loop, or any other body
/// (boxed, as the router boxes it) from a test calling the service in process.
pub type RequestBody = http_body_util::Either<hyper::body::Incoming, Body>;

/// An answer both ways can send: through the router as axum's response, and on the direct way
/// as [`ResponseBody`], whose text needs no box or shared buffer of its own.
pub trait Answer: IntoResponse + Sized {
    /// This answer on the direct way. By default, axum's response with its body wrapped.
    fn into_direct(self) -> Response<ResponseBody> {
        self.into_response().map(ResponseBody::from)
    }
}

/// A text answer's buffer, sent from `at` on: the buffer the reply was written into, whole.
pub struct Text {
    bytes: Vec<u8>,
    at: usize,
}

impl Text {
    /// `bytes[at..]`, without copying them.
    pub fn new(bytes: Vec<u8>, at: usize) -> Self {
        debug_assert!(at <= bytes.len());
        Self { bytes, at }
    }
}

// It holds a code: only its length is shown.
impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Text({} bytes)", self.remaining())
    }
}

impl Buf for Text {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn chunk(&self) -> &[u8] {
        &self.bytes[self.at..]
    }

    fn advance(&mut self, n: usize) {
        assert!(n <= self.remaining(), "advance past the end of a text");
        self.at += n;
    }
}

/// A 200 answer of `text` as `content_type`: how a direct handler sends a buffer of its own.
pub fn text_answer(text: Text, content_type: HeaderValue) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::from(text));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// A piece of an answer's body: a text's buffer, or axum's bytes.
pub enum Chunk {
    /// A [`Text`] answer, whole.
    Text(Text),
    /// A frame of an axum body.
    Bytes(Bytes),
}

// Either may hold a code: only the length is shown.
impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chunk({} bytes)", self.remaining())
    }
}

impl Buf for Chunk {
    fn remaining(&self) -> usize {
        match self {
            Self::Text(text) => text.remaining(),
            Self::Bytes(bytes) => bytes.remaining(),
        }
    }

    fn chunk(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.chunk(),
            Self::Bytes(bytes) => bytes.chunk(),
        }
    }

    fn advance(&mut self, n: usize) {
        match self {
            Self::Text(text) => text.advance(n),
            Self::Bytes(bytes) => bytes.advance(n),
        }
    }
}

pin_project_lite::pin_project! {
    /// The body of every answer of [`App`].
    #[project = ResponseBodyProj]
    pub enum ResponseBody {
        /// A text sent whole, once.
        Text { text: Option<Text> },
        /// Any body axum makes.
        Axum { #[pin] body: Body },
    }
}

impl From<Body> for ResponseBody {
    fn from(body: Body) -> Self {
        Self::Axum { body }
    }
}

impl From<Text> for ResponseBody {
    fn from(text: Text) -> Self {
        Self::Text { text: Some(text) }
    }
}

impl http_body::Body for ResponseBody {
    type Data = Chunk;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Chunk>, axum::Error>>> {
        match self.project() {
            ResponseBodyProj::Text { text } => {
                Poll::Ready(text.take().map(|text| Ok(Frame::data(Chunk::Text(text)))))
            }
            ResponseBodyProj::Axum { body } => body
                .poll_frame(cx)
                .map(|frame| frame.map(|frame| frame.map(|f| f.map_data(Chunk::Bytes)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Text { text } => text.is_none(),
            Self::Axum { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Self::Text { text } => {
                http_body::SizeHint::with_exact(text.as_ref().map_or(0, |t| t.remaining() as u64))
            }
            Self::Axum { body } => body.size_hint(),
        }
    }
}

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

    /// Serves `req`, whose body becomes a direct handler's by `direct_body`.
    fn call_guarded<B>(
        &self,
        req: Request<B>,
        direct_body: fn(B) -> RequestBody,
    ) -> GuardFuture<Dispatched>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let (route, direct) = super::route_of(req.method().as_str(), req.uri().path());
        guard::enter(&self.metrics, route, req, |req| {
            match (direct, &self.direct) {
                (Some(direct), Some(state)) => Dispatched::Direct {
                    future: direct(req.map(direct_body), state.clone()),
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
    type Output = Response<ResponseBody>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            DispatchedProj::Direct { future } => future.poll(cx),
            DispatchedProj::Routed { future } => future
                .poll(cx)
                .map(|Ok(response)| response.map(ResponseBody::from)),
        }
    }
}

impl<B> tower::Service<Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = GuardFuture<Dispatched>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.call_guarded(req, |body| http_body_util::Either::Right(Body::new(body)))
    }
}

/// What the serve loop calls: by reference, so a request clones nothing of the service.
impl hyper::service::Service<Request<hyper::body::Incoming>> for App {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = GuardFuture<Dispatched>;

    fn call(&self, req: Request<hyper::body::Incoming>) -> Self::Future {
        self.call_guarded(req, http_body_util::Either::Left)
    }
}
