//! The HTTP layer, and the only top-level module that names axum, hyper, tower or tower-http.
//!
//! [`app()`] builds the service ([`App`]) from the one route table, [`ROUTES`]; [`serve()`]
//! runs it. Each handler reads "extract → domain → render": [`extract::Api`] turns a request
//! into fields and an answer format, the call or OTP layer does the work, and [`respond`] tells
//! errors the one way they are told. A new endpoint is a handler in the file of its group and a
//! row in [`ROUTES`] (and `openapi.json`, which a test keeps equal to the table).

pub mod app;
pub mod auth;
pub mod conn;
pub mod developer;
pub mod extract;
pub mod guard;
pub mod meta;
pub mod metrics;
pub mod params;
pub mod phone;
pub mod respond;
pub mod seal;
pub mod serve;
pub mod setup;
pub mod twilio;
pub mod wake;

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::routing::{MethodRouter, get, post};
use tokio::sync::Semaphore;
use tower_http::LatencyUnit;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

pub use app::App;
pub use auth::AccessTokens;
pub use extract::Limits;
pub use metrics::Metrics;
pub use serve::{ServeLimits, serve, serve_counting, shutdown_signal};

use crate::call::Context;
use crate::otp::clock::Clock;
use crate::otp::seal::SealKeys;
use crate::store::Store;
use crate::twilio::signature::AuthTokens;
use crate::twilio::ticket::TicketKeys;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Where "now" comes from: the system clock, or a test's.
    pub clock: Clock,
    /// `ACCESS_TOKEN`: when set, every `/api/*` request must present one of these.
    pub tokens: Option<Arc<AccessTokens>>,
    /// `SEAL_KEYS`: the keys that open (and the first that seals) sealed secrets.
    pub seal_keys: Option<Arc<SealKeys>>,
    /// `PUBLIC_URL`: this server's address as Yemot reaches it, for ext.ini lines.
    pub public_url: Option<Arc<str>>,
    /// `TWILIO_AUTH_TOKEN`: when set, every `/api/twilio` request must be signed with one.
    pub twilio_tokens: Option<Arc<AuthTokens>>,
    /// What a Twilio call's tickets are made with: derived from `SEAL_KEYS`, shared by every
    /// replica; without them, this process's own.
    pub tickets: Arc<TicketKeys>,
    /// Per-request bounds: body size and time, parameters, requests in flight.
    pub limits: Limits,
    /// Failed attempts and used codes: in memory, or in Redis with `REDIS_URL`.
    pub store: Store,
    /// Places for requests being handled (`MAX_CONCURRENT`), taken once the body is in.
    pub places: Arc<Semaphore>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Whether the main router serves `/metrics` (`METRICS`, `METRICS_ADDR`).
    pub metrics_route: bool,
    /// Turns at drawing QR codes, off the async workers: [`DRAWING_AT_ONCE`] at a time.
    pub drawing: Arc<Semaphore>,
}

/// QR codes drawn at once: each takes a blocking thread for milliseconds.
pub const DRAWING_AT_ONCE: usize = 2;

impl Default for AppState {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            clock: Clock::default(),
            tokens: None,
            seal_keys: None,
            public_url: None,
            twilio_tokens: None,
            // Without randomness the server cannot run at all: the Tokio runtime needs it too.
            tickets: Arc::new(TicketKeys::random().expect("the system gives random bytes")),
            places: Arc::new(Semaphore::new(limits.max_concurrent)),
            limits,
            store: Store::default(),
            metrics: Arc::default(),
            metrics_route: true,
            drawing: Arc::new(Semaphore::new(DRAWING_AT_ONCE)),
        }
    }
}

impl AppState {
    /// State reading time from `clock`, with no access token required.
    pub fn with_clock(clock: Clock) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    /// The same state with other per-request bounds.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self {
            places: Arc::new(Semaphore::new(limits.max_concurrent)),
            limits,
            ..self
        }
    }

    /// The same state, opening and sealing with `keys`.
    pub fn with_seal_keys(self, keys: Option<SealKeys>) -> Self {
        let tickets = match &keys {
            Some(keys) => Arc::new(TicketKeys::from_seal_keys(keys)),
            None => self.tickets.clone(),
        };
        Self {
            seal_keys: keys.map(Arc::new),
            tickets,
            ..self
        }
    }

    /// The same state, requiring a Twilio signature under one of `tokens` on `/api/twilio`.
    pub fn with_twilio_tokens(self, tokens: Option<AuthTokens>) -> Self {
        Self {
            twilio_tokens: tokens.map(Arc::new),
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

    /// The same state, keeping attempts in `store`.
    pub fn with_store(self, store: Store) -> Self {
        Self { store, ..self }
    }

    /// The same state, serving `/metrics` on the main router or not.
    pub fn with_metrics_route(self, metrics_route: bool) -> Self {
        Self {
            metrics_route,
            ..self
        }
    }

    /// What the call and OTP layers need of this state.
    pub fn context(&self) -> Context<'_> {
        Context {
            keys: self.seal_keys.as_deref(),
            clock: &self.clock,
            store: &self.store,
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

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, as served and as `openapi.json` lists it.
    pub path: &'static str,
    /// Makes the method router that serves it.
    handler: fn() -> MethodRouter<AppState>,
    /// The same handler, called without the router: for the routes every call takes (see
    /// [`app::App`]).
    direct: Option<app::Direct>,
}

/// The label of `path` (its row's path, or `unmatched`) and the direct way for `method` there.
fn route_of(method: &str, path: &str) -> (&'static str, Option<app::Direct>) {
    let mut label = "unmatched";
    for route in ROUTES.iter().filter(|r| r.path == path) {
        label = route.path;
        if route.method == method {
            return (label, route.direct);
        }
    }
    (label, None)
}

/// Every route: the router is built from this table, and a test holds `openapi.json` to it.
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/api/2fa",
        handler: || get(phone::two_fa),
        direct: Some(phone::two_fa_direct),
    },
    Route {
        method: "POST",
        path: "/api/2fa",
        handler: || post(phone::two_fa),
        direct: Some(phone::two_fa_direct),
    },
    Route {
        method: "GET",
        path: extract::TWILIO_ROUTE,
        handler: || get(twilio::twilio),
        direct: None,
    },
    Route {
        method: "POST",
        path: extract::TWILIO_ROUTE,
        handler: || post(twilio::twilio),
        direct: None,
    },
    Route {
        method: "POST",
        path: "/api/verify",
        handler: || post(developer::verify),
        direct: None,
    },
    Route {
        method: "POST",
        path: "/api/secret",
        handler: || post(developer::secret),
        direct: None,
    },
    Route {
        method: "POST",
        path: "/api/import",
        handler: || post(developer::import),
        direct: None,
    },
    Route {
        method: "POST",
        path: "/api/seal",
        handler: || post(seal::seal),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/health",
        handler: || get(meta::health),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/openapi.json",
        handler: || get(meta::openapi),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/metrics",
        handler: || get(metrics::metrics),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/",
        handler: || get(setup::index),
        direct: None,
    },
    Route {
        method: "POST",
        path: "/",
        handler: || post(setup::root_post),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/setup.json",
        handler: || get(setup::info),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/assets/app.js",
        handler: || get(setup::app_js),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/assets/style.css",
        handler: || get(setup::style),
        direct: None,
    },
    Route {
        method: "GET",
        path: "/assets/jsQR.js",
        handler: || get(setup::jsqr),
        direct: None,
    },
];

/// `/metrics` alone, for `METRICS_ADDR`: a port of its own that only the operator reaches.
pub fn metrics_app(state: AppState) -> App {
    App::from(
        Router::new()
            .route("/metrics", get(metrics::metrics))
            .with_state(state),
    )
}

/// Builds the whole service: routes, fallbacks, the guard, and the direct ways (see [`App`]).
///
/// Request logging (method, route, status, latency: never contents) costs a clock read and a
/// span per request, so its layer is added only when the logger in place at this call would
/// print it (`RUST_LOG=debug` or finer for `tower_http`); then every request goes through the
/// router, where that layer is.
pub fn app(state: AppState) -> App {
    let router = ROUTES
        .iter()
        .filter(|route| state.metrics_route || route.path != "/metrics")
        .fold(Router::new(), |router, route| {
            // Two rows with one path (GET and POST) merge into one method router.
            router.route(route.path, (route.handler)())
        })
        .fallback(meta::not_found)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .with_state(state.clone());
    if tracing::enabled!(target: "tower_http::trace::on_response", Level::DEBUG) {
        let router = router.layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::DEBUG)
                        .latency_unit(LatencyUnit::Micros),
                )
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        );
        App::new(router, state, false)
    } else {
        App::new(router, state, true)
    }
}

/// The span of one request: method and route template (`/api/2fa`), never the URI, whose query
/// holds the secret (tower-http's default span records it whole).
fn make_span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::debug_span!("request", method = %req.method(), route)
}

/// This server's address as Yemot should call it: `PUBLIC_URL`, else the scheme and host the
/// request came through (`X-Forwarded-Proto`/`-Host` from a proxy such as Render's, or RFC
/// 7239's `Forwarded: proto=…;host=…`, then `Host`).
pub fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    // `X-Forwarded-Proto: HTTPS` or `Forwarded: for=…;proto=https` from a TLS proxy.
    let forwarded_https = first("forwarded").is_some_and(|f| {
        f.split(';')
            .any(|part| part.trim().eq_ignore_ascii_case("proto=https"))
    });
    let scheme = match first("x-forwarded-proto") {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        _ if forwarded_https => "https",
        _ => "http",
    };
    let forwarded_host = first("forwarded").and_then(|f| {
        f.split(';').find_map(|part| {
            let (key, value) = part.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("host")
                .then(|| value.trim().trim_matches('"'))
        })
    });
    let host = first("x-forwarded-host")
        .or(forwarded_host)
        .or_else(|| first("host"))
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("YOUR-SERVER");
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_proxy_is_recognised_however_it_says_so() {
        let state = AppState::default();
        let base = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, value.parse().unwrap());
            }
            public_base(&state, &headers)
        };
        assert_eq!(base(&[("host", "x.example")]), "http://x.example");
        for https in [
            &[("host", "x.example"), ("x-forwarded-proto", "https")][..],
            &[("host", "x.example"), ("x-forwarded-proto", "HTTPS")][..],
            &[
                ("host", "x.example"),
                ("forwarded", "for=1.2.3.4;Proto=https"),
            ][..],
        ] {
            assert_eq!(base(https), "https://x.example", "{https:?}");
        }
        assert_eq!(
            base(&[
                ("host", "internal:8080"),
                (
                    "forwarded",
                    "for=1.2.3.4;proto=https;host=\"a.example\", for=5.6.7.8"
                ),
            ]),
            "https://a.example",
            "RFC 7239's host, quoted or not"
        );
        assert_eq!(
            base(&[("host", "internal"), ("forwarded", "host=b.example")]),
            "http://b.example"
        );
        let pinned = AppState::default().with_public_url(Some("https://pinned.example".into()));
        assert_eq!(
            public_base(&pinned, &HeaderMap::new()),
            "https://pinned.example"
        );
    }
}
