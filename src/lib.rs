//! yemot-2fa: reads two-factor (TOTP) codes aloud over the phone.
//!
//! A Yemot Hamashiach extension of `type=api` calls `/api/2fa` with the caller's TOTP secret
//! each time someone enters it; we answer with the plain-text commands that make the phone say
//! the current code. Developers get the same code as JSON. Nothing is stored: every request
//! carries all it needs.
//!
//! # Layout
//!
//! - [`secret`]: decoding base32 keys the way people paste them; the redacted [`Secret`](secret::Secret).
//! - [`otpauth`]: `otpauth://totp/…` key URIs.
//! - [`totp`]: code computation, a pure function of the time.
//! - [`account`]: keys and their settings (one, or several for a menu) from request parameters.
//! - [`request`]: gathering parameters from query and body; phone or JSON answer.
//! - [`phone`]: the call itself: PIN, allow-list, account menu, repeat and rollover.
//! - [`yemot`]: Yemot's reply language and every spoken text, in Hebrew and English.
//! - [`error`]: every failure, spoken for a phone or as a JSON error code.
//! - [`verify`]: checking a typed code, with replay protection kept by the caller.
//! - [`enroll`]: new random secrets with their URI and QR code.
//! - [`auth`]: the optional access token.
//! - [`seal`]: sealed tokens that stand in ext.ini instead of the raw key.
//! - [`routes`]: the handlers.
//! - [`clock`]: the injectable time source.
//! - [`config`], [`telemetry`]: settings from the environment, and quiet logging.
//! - [`cli`]: the command line (`serve`, `seal`, `keygen`).
//!
//! [`app`] builds the router that `main` serves and the tests call in-process; [`serve`] runs
//! it on a listener until a shutdown future completes.

#![forbid(unsafe_code)]

pub mod account;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod enroll;
pub mod error;
pub mod otpauth;
pub mod phone;
pub mod request;
pub mod routes;
pub mod seal;
pub mod secret;
pub mod telemetry;
pub mod totp;
pub mod verify;
pub mod yemot;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::LatencyUnit;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use std::sync::Arc;

use crate::auth::AccessTokens;
use crate::clock::Clock;
use crate::seal::SealKeys;

/// How long a request body may take to arrive before the request is answered with `timeout`.
/// Our own work takes microseconds and never waits; only a slow client can be slow.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler shares.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    /// Where "now" comes from: the system clock, or a test's.
    pub clock: Clock,
    /// `ACCESS_TOKEN`: when set, every `/api/*` request must present one of these.
    pub tokens: Option<Arc<AccessTokens>>,
    /// `SEAL_KEYS`: the keys that open (and the first that seals) sealed secrets.
    pub seal_keys: Option<Arc<SealKeys>>,
    /// `PUBLIC_URL`: this server's address as Yemot reaches it, for ext.ini lines.
    pub public_url: Option<Arc<str>>,
}

impl AppState {
    /// State reading time from `clock`, with no access token required.
    pub fn with_clock(clock: Clock) -> Self {
        Self {
            clock,
            tokens: None,
            seal_keys: None,
            public_url: None,
        }
    }

    /// The same state, opening and sealing with `keys`.
    pub fn with_seal_keys(self, keys: Option<SealKeys>) -> Self {
        Self {
            seal_keys: keys.map(Arc::new),
            ..self
        }
    }

    /// The same state, writing `url` into ext.ini lines.
    pub fn with_public_url(self, url: Option<String>) -> Self {
        Self {
            public_url: url.map(Into::into),
            ..self
        }
    }

    /// The same state, requiring one of `tokens` on every `/api/*` request.
    pub fn with_tokens(self, tokens: Option<AccessTokens>) -> Self {
        Self {
            tokens: tokens.map(Arc::new),
            ..self
        }
    }
}

/// Every route, as (method, path): the list `/openapi.json` must describe, checked by a test.
/// A route added to [`app`] belongs here too.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/2fa"),
    ("POST", "/api/2fa"),
    ("POST", "/api/verify"),
    ("POST", "/api/secret"),
    ("POST", "/api/seal"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
];

/// Builds the whole service: routes, fallbacks and middleware.
///
/// Request logging (method, route, status, latency: never contents) costs a clock read and a
/// span per request, so its layer is added only when the logger in place at this call would
/// print it (`RUST_LOG=debug` or finer for `tower_http`).
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/api/2fa", get(routes::two_fa).post(routes::two_fa))
        .route("/api/verify", post(routes::verify))
        .route("/api/secret", post(routes::secret))
        .route("/api/seal", post(routes::seal))
        .route("/health", get(routes::health))
        .route("/openapi.json", get(routes::openapi))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(routes::GuardLayer);
    if tracing::enabled!(target: "tower_http::trace::on_response", Level::DEBUG) {
        router.layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::make_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::DEBUG)
                        .latency_unit(LatencyUnit::Micros),
                )
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
    } else {
        router
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight finish.
///
/// # Errors
///
/// An I/O error from the listener.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // One small answer per request: send it at once rather than wait on Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM (what Render and Docker send to stop a service).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
