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
//! - [`setup`]: the setup page for extension owners, its embedded assets.
//! - [`routes`]: the handlers.
//! - [`guard`]: around every route: panics caught, load shed.
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
pub mod guard;
pub mod otpauth;
pub mod phone;
pub mod request;
pub mod routes;
pub mod seal;
pub mod secret;
pub mod setup;
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
    /// Per-request bounds: body size and time, parameters, requests in flight.
    pub limits: request::Limits,
}

impl axum::extract::FromRef<AppState> for request::Limits {
    fn from_ref(state: &AppState) -> Self {
        state.limits
    }
}

impl AppState {
    /// State reading time from `clock`, with no access token required.
    pub fn with_clock(clock: Clock) -> Self {
        Self {
            clock,
            tokens: None,
            seal_keys: None,
            public_url: None,
            limits: request::Limits::default(),
        }
    }

    /// The same state with other per-request bounds.
    pub fn with_limits(self, limits: request::Limits) -> Self {
        Self { limits, ..self }
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
    ("GET", "/"),
    ("GET", "/setup.json"),
    ("GET", "/assets/app.js"),
    ("GET", "/assets/style.css"),
    ("GET", "/assets/jsQR.js"),
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
        .route("/", get(setup::index))
        .route("/setup.json", get(setup::info))
        .route("/assets/app.js", get(setup::app_js))
        .route("/assets/style.css", get(setup::style))
        .route("/assets/jsQR.js", get(setup::jsqr))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(guard::GuardLayer::new(state.limits.max_concurrent))
        .with_state(state);
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

/// How the server treats connections; every bound has an environment override (see
/// [`config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a client may take to send a request's headers, counted from when the server
    /// starts waiting for them, so it is also how long an idle keep-alive connection stays open.
    /// A slowloris client trickling bytes is closed after this.
    pub header_timeout: Duration,
    /// How long requests in flight may take to finish after a shutdown signal.
    pub drain_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(config::DEFAULT_HEADER_TIMEOUT_SECS),
            drain_timeout: Duration::from_secs(config::DEFAULT_DRAIN_SECS),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight finish
/// for at most [`ServeLimits::drain_timeout`] and closes idle connections.
///
/// HTTP/1.1 only (what Yemot, proxies and curl speak), on hyper directly because `axum::serve`
/// does not expose hyper's header read timeout, the defence against slowloris clients.
///
/// # Errors
///
/// None today; the `Result` leaves room for listener faults that should stop the server.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::error!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // One small answer per request: send it at once rather than wait on Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is not a server fault: nothing to log.
            let _ = connection.await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("requests still running after the drain timeout were cut off");
        }
    }
    Ok(())
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
