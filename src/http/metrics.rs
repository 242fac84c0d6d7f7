//! `/metrics`: what the server does, in the Prometheus text format (prometheus-client).
//!
//! Labels are route templates and fixed outcome words only: never a secret, a code, a PIN, a
//! phone number or anything else a request carries. An outcome is `ok`, or the stable code of
//! the error the request was answered with (spoken or JSON), a bounded set.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;

/// How a request was answered: `ok`, or an error code. Set on a response by whoever decides it.
#[derive(Debug, Clone, Copy)]
pub struct Outcome(pub &'static str);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOutcome {
    route: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: &'static str,
}

/// Every metric the server keeps; shared by all requests.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteOutcome, Counter>,
    latency: Family<Route, Histogram>,
    /// Each route's histogram and `ok` counter, found once: a request that goes well costs no
    /// lookup in the families (and a route never answered `ok` shows no `ok` row).
    per_route: Vec<(&'static str, OnceLock<Histogram>, OnceLock<Counter>)>,
    in_flight: Gauge,
    shed: Counter,
    refused: Arc<AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("yemot_2fa");
        let requests = Family::<RouteOutcome, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by route template and outcome (ok, or the error code)",
            requests.clone(),
        );
        let latency = Family::<Route, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.000_05, 2.0, 16))) as fn() -> Histogram,
        );
        registry.register(
            "request_duration_seconds",
            "Time from routing to the answer, by route template",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("in_flight", "Requests being handled now", in_flight.clone());
        let shed = Counter::default();
        registry.register(
            "shed",
            "Requests refused at once because MAX_CONCURRENT were being handled",
            shed.clone(),
        );
        let per_route = super::ROUTES
            .iter()
            .map(|r| r.path)
            .chain(["unmatched"])
            .map(|path| (path, OnceLock::new(), OnceLock::new()))
            .collect();
        Self {
            registry,
            requests,
            latency,
            per_route,
            in_flight,
            shed,
            refused: Arc::default(),
        }
    }
}

impl Metrics {
    /// A request starts being handled.
    pub fn started(&self) {
        self.in_flight.inc();
    }

    /// A request on `route` was answered with `outcome` after `seconds`.
    pub fn finished(&self, route: &'static str, outcome: &'static str, seconds: f64) {
        self.in_flight.dec();
        let slot = self.per_route.iter().find(|(path, ..)| *path == route);
        let Some((_, latency, ok)) = slot else {
            return;
        };
        latency
            .get_or_init(|| self.latency.get_or_create_owned(&Route { route }))
            .observe(seconds);
        if outcome == "ok" {
            ok.get_or_init(|| {
                self.requests.get_or_create_owned(&RouteOutcome {
                    route,
                    outcome: "ok",
                })
            })
            .inc();
        } else {
            self.requests
                .get_or_create(&RouteOutcome { route, outcome })
                .inc();
        }
    }

    /// A request was shed (`overloaded`).
    pub fn shed(&self) {
        self.shed.inc();
    }

    /// The count of connections refused at `MAX_CONNECTIONS`, kept by the serve loop.
    pub fn refused_connections(&self) -> Arc<AtomicU64> {
        self.refused.clone()
    }

    /// Everything, in the Prometheus text format, with the attempt store's counts.
    pub fn render(&self, store: &crate::store::Store) -> String {
        let mut text = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        let text = text.trim_end_matches("# EOF\n").to_owned();
        let stats = store.stats();
        let refused = self.refused.load(Ordering::Relaxed);
        let mut text = text;
        for (name, help, value) in [
            (
                "yemot_2fa_connections_refused",
                "Connections closed at once because MAX_CONNECTIONS were open",
                refused,
            ),
            (
                "yemot_2fa_attempt_failures",
                "Wrong PINs and codes counted by this process",
                stats.failures,
            ),
            (
                "yemot_2fa_lockouts",
                "Failures that locked an account, counted by this process",
                stats.lockouts,
            ),
            (
                "yemot_2fa_store_errors",
                "Times the attempt store could not be reached (REDIS_URL)",
                stats.errors,
            ),
        ] {
            let _ = fmt::Write::write_fmt(
                &mut text,
                format_args!(
                    "# HELP {name} {help}.\n# TYPE {name} counter\n{name}_total {value}\n"
                ),
            );
        }
        text.push_str("# EOF\n");
        text
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        state.metrics.render(&state.store),
    )
        .into_response()
}
