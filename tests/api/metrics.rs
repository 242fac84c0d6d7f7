//! `/metrics`: counts that add up, labels from a closed set (so nothing a request carries can
//! become one), and the switch that moves it off the main router.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use yemot_2fa::error::Error;
use yemot_2fa::http::App;
use yemot_2fa::http::metrics_app;
use yemot_2fa::{AppState, ROUTES, app, otp::Clock};

use crate::helpers::{CALL_PARAMS, RFC_SHA1, json_post, send, yemot_post};

const T: u64 = 1_700_000_000;

async fn scrape(app: &App) -> String {
    let answer = send(app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .content_type()
            .starts_with("application/openmetrics-text"),
        "{}",
        answer.content_type()
    );
    assert!(answer.body.ends_with("# EOF\n"), "{}", answer.body);
    answer.body
}

/// The value of the sample named `name` with exactly `labels` (`""` for none).
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{labels}}}")
    };
    text.lines()
        .find_map(|line| line.strip_prefix(&key)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

/// Every `name="value"` label in the text.
fn labels(text: &str) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, rest)) = line.split_once('{') else {
            continue;
        };
        let inside = &rest[..rest.find('}').unwrap()];
        for pair in inside.split(',') {
            let (name, value) = pair.split_once('=').unwrap();
            found.insert((name.to_owned(), value.trim_matches('"').to_owned()));
        }
    }
    found
}

#[tokio::test]
async fn requests_are_counted_by_route_and_outcome() {
    let app = app_at(T);
    for _ in 0..3 {
        send(
            &app,
            yemot_post(&format!("{CALL_PARAMS}&secret={RFC_SHA1}")),
        )
        .await;
    }
    // Two spoken errors and one JSON error, each counted under its stable code.
    for _ in 0..2 {
        send(
            &app,
            yemot_post(&format!("{CALL_PARAMS}&secret=NOT!BASE32")),
        )
        .await;
    }
    let json = send(&app, json_post(r#"{"secret":"NOT!BASE32"}"#)).await;
    let code = json.json()["error"].as_str().unwrap().to_owned();
    send(&app, Request::get("/nowhere").body(Body::empty()).unwrap()).await;

    let text = scrape(&app).await;
    let count = |route: &str, outcome: &str| {
        sample(
            &text,
            "yemot_2fa_requests_total",
            &format!(r#"route="{route}",outcome="{outcome}""#),
        )
    };
    assert_eq!(count("/api/2fa", "ok"), Some(3.0), "{text}");
    assert_eq!(count("/api/2fa", &code), Some(3.0), "{text}");
    assert_eq!(count("unmatched", "not_found"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "yemot_2fa_request_duration_seconds_count",
            r#"route="/api/2fa""#
        ),
        Some(6.0),
        "every request on the route is timed:\n{text}"
    );
    assert_eq!(
        sample(&text, "yemot_2fa_in_flight", ""),
        Some(1.0),
        "only the scrape itself is in flight:\n{text}"
    );
    for name in [
        "yemot_2fa_shed_total",
        "yemot_2fa_connections_refused_total",
        "yemot_2fa_lockouts_total",
        "yemot_2fa_store_errors_total",
    ] {
        assert_eq!(sample(&text, name, ""), Some(0.0), "{name}:\n{text}");
    }
}

#[tokio::test]
async fn labels_come_from_a_closed_set_whatever_requests_carry() {
    let app = app_at(T);
    let pin = "864209";
    let phone = "0549876543";
    for n in 0..7 {
        // Wrong PINs until the account locks, from a caller whose number must not show.
        let body = format!(
            "ApiCallId=x{n}&ApiPhone={phone}&secret={RFC_SHA1}&pin={pin}&pin1=11111{n}&name=Bank_Leumi"
        );
        send(&app, yemot_post(&body)).await;
    }
    send(
        &app,
        Request::post(format!("/api/{RFC_SHA1}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let text = scrape(&app).await;

    let routes: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).chain(["unmatched"]).collect();
    let outcomes: BTreeSet<&str> = Error::ALL.iter().map(Error::code).chain(["ok"]).collect();
    for (name, value) in labels(&text) {
        match name.as_str() {
            "route" => assert!(routes.contains(value.as_str()), "route {value:?}"),
            "outcome" => assert!(outcomes.contains(value.as_str()), "outcome {value:?}"),
            "le" => assert!(
                value == "+Inf" || value.parse::<f64>().is_ok(),
                "le {value}"
            ),
            other => panic!("unexpected label {other}={value}"),
        }
    }
    assert!(text.contains(r#"outcome="locked""#), "{text}");
    assert_eq!(sample(&text, "yemot_2fa_lockouts_total", ""), Some(1.0));
    assert!(sample(&text, "yemot_2fa_attempt_failures_total", "").unwrap() >= 5.0);
    for needle in [RFC_SHA1, pin, phone, "Bank", "Leumi"] {
        assert!(!text.contains(needle), "{needle} reached /metrics:\n{text}");
    }
}

#[tokio::test]
async fn metrics_can_leave_the_main_router_for_a_port_of_their_own() {
    let state = AppState::with_clock(Clock::manual(T)).with_metrics_route(false);
    let main = app(state.clone());
    send(&main, yemot_post(&format!("secret={RFC_SHA1}"))).await;
    let answer = send(&main, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    let own = metrics_app(state);
    let text = scrape(&own).await;
    assert_eq!(
        sample(
            &text,
            "yemot_2fa_requests_total",
            r#"route="/api/2fa",outcome="ok""#
        ),
        Some(1.0),
        "the other port counts the main router's requests:\n{text}"
    );
}

fn app_at(unix: u64) -> App {
    app(AppState::with_clock(Clock::manual(unix)))
}
