//! Hostile and odd input, every bound, and time at its edges: never a panic, never a 5xx that is
//! not ours, never a reply holding the secret; a phone always hears something.

use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use proptest::prelude::*;
use yemot_2fa::http::Limits;
use yemot_2fa::{AppState, app, otp::Clock};

use crate::helpers::*;

fn raw_post(body: Vec<u8>, json: bool) -> Request<Body> {
    let mut req = Request::post("/api/2fa");
    if json {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    req.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn invalid_utf8_and_nul_bytes() {
    let router = app_at(59);
    for body in [
        b"secret=\xff\xfe\xfd".to_vec(),
        b"secret=JBSW%00Y3DPEHPK3PXP".to_vec(),
        b"secret=JBSWY3DPEHPK3PXP\x00".to_vec(),
        b"\x00\x00\x00".to_vec(),
        b"secret=%E0%A4%A".to_vec(),
    ] {
        let reply = send(&router, raw_post(body.clone(), false)).await.yemot();
        assert!(reply.hangs_up() || reply.read().is_some(), "{body:?}");
        let json = send(&router, raw_post(body.clone(), true)).await;
        assert_eq!(json.status, 400, "{body:?}");
    }
    let req = Request::get("/api/2fa?secret=%ff%fe&x=%00")
        .body(Body::empty())
        .unwrap();
    assert!(send(&router, req).await.yemot().codes().is_empty());
}

#[tokio::test]
async fn ten_thousand_parameters_are_refused() {
    let router = app_at(59);
    // 10,000 parameters fit in a query string (a body that large is refused for its size).
    let many: String = "k&".repeat(10_000) + "secret=" + RFC_SHA1;
    let phone = send(&router, yemot_get(&many)).await.yemot();
    assert!(phone.codes().is_empty() && phone.hangs_up());
    let json = send(&router, json_get(&many)).await;
    assert_eq!(
        (json.status.as_u16(), json.json()["error"].as_str()),
        (400, Some("too_many_parameters"))
    );
    let body: String = (0..2_000).map(|_| "k=v&").collect::<String>() + "secret=" + RFC_SHA1;
    assert!(
        send(&router, yemot_post(&body))
            .await
            .yemot()
            .codes()
            .is_empty()
    );
    // Up to the limit is fine.
    let some: String =
        (0..200).map(|i| format!("k{i}=v&")).collect::<String>() + "secret=" + RFC_SHA1;
    assert_eq!(
        send(&router, yemot_post(&some)).await.yemot().codes()[0],
        HEARD_AT_59
    );
}

#[tokio::test]
async fn a_one_megabyte_body_and_a_long_query() {
    let router = app_at(59);
    let big = vec![b'a'; 1 << 20];
    let phone = send(&router, raw_post(big.clone(), false)).await.yemot();
    assert!(phone.codes().is_empty());
    let json = send(&router, raw_post(big, true)).await;
    assert_eq!(json.status, 413);
    // The longest URI the http crate represents; hyper answers longer ones itself (tests/api/socket.rs).
    let long_secret = format!("/api/2fa?secret={}", "A".repeat(60_000));
    let req = Request::get(long_secret)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let answer = send(&router, req).await;
    assert_eq!(answer.json()["error"], "secret_too_long");
    assert!(answer.body.len() < 200, "nothing echoed");
}

#[tokio::test]
async fn deep_json_duplicate_keys_and_odd_json() {
    let router = app_at(59);
    let deep = "[".repeat(5_000) + &"]".repeat(5_000);
    let answer = send(&router, json_post(&format!(r#"{{"secret":{deep}}}"#))).await;
    assert_eq!(answer.json()["error"], "invalid_json");
    let answer = send(
        &router,
        json_post(&format!(r#"{{"secret":"bad","secret":"{RFC_SHA1}"}}"#)),
    )
    .await;
    assert_eq!(answer.json()["code"], "287082", "the last duplicate wins");
    for odd in [
        "",
        "null",
        "1",
        "\"x\"",
        "{\"secret\":1e999}",
        "{\"a\":\"\\ud800\"}",
    ] {
        let answer = send(&router, json_post(odd)).await;
        assert_eq!(answer.status, 400, "{odd}");
    }
}

#[tokio::test]
async fn codes_change_exactly_at_step_boundaries() {
    for period in [30u64, 60, 10, 1] {
        for k in [2u64, 41152263, 66666666] {
            let boundary = k * period;
            let at = |t: u64| async move {
                let query = format!("secret={RFC_SHA1}&period={period}&digits=8");
                send(&app_at(t), json_get(&query)).await.json()
            };
            let before = at(boundary - 1).await;
            let first = at(boundary).await;
            let start_of_before = at(boundary - period).await;
            assert_eq!(before["ttl"], 1, "period {period}");
            assert_eq!(first["ttl"], period, "period {period}");
            assert_eq!(
                before["code"], start_of_before["code"],
                "one code through a step"
            );
            assert_ne!(
                before["code"], first["code"],
                "a new code at k·period (period {period}, k {k})"
            );
            assert_eq!(first["step"], k);
            assert_eq!(first["valid_until"], boundary + period);
        }
    }
}

#[tokio::test]
async fn far_future_times_work_and_a_clock_before_1970_is_a_clear_fault() {
    // Year 2603 (RFC 6238 vector) and beyond 64-bit seconds' comfortable range.
    let answer = send(
        &app_at(20_000_000_000),
        json_get(&format!("secret={RFC_SHA1}&digits=8")),
    )
    .await;
    assert_eq!(answer.json()["code"], "65353130");
    let answer = send(
        &app_at(i64::MAX as u64),
        json_get(&format!("secret={RFC_SHA1}&period=7")),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let clock = Clock::manual(0);
    clock.set_signed(-86_400);
    let router = app(AppState::with_clock(clock));
    let json = send(&router, json_get(&format!("secret={RFC_SHA1}"))).await;
    assert_eq!(
        (json.status.as_u16(), json.json()["error"].as_str()),
        (500, Some("clock_error"))
    );
    let phone = send(&router, yemot_post(&format!("secret={RFC_SHA1}")))
        .await
        .yemot();
    assert!(
        phone.codes().is_empty() && phone.text().contains("שעון השרת"),
        "{}",
        phone.text()
    );
    let health = send(
        &router,
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(health.status, 500);
}

#[tokio::test]
async fn past_max_concurrent_requests_new_ones_are_shed_at_once() {
    // A request whose handling waits holds the only place: a PIN check against an attempt
    // store (REDIS_URL) that accepts connections and never answers, up to its deadline.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", silent.local_addr().unwrap());
    let held_sockets = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let limits = Limits {
        max_concurrent: 1,
        ..Limits::default()
    };
    let router = app(AppState::with_clock(Clock::manual(59))
        .with_limits(limits)
        .with_store(yemot_2fa::store::Store::redis(&url).unwrap()));
    let held = tokio::spawn({
        let router = router.clone();
        async move {
            send(
                &router,
                yemot_post(&format!("secret={RFC_SHA1}&pin=4321&pin1=4321")),
            )
            .await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let shed = send(&router, json_get(&format!("secret={RFC_SHA1}"))).await;
    assert_eq!(
        (shed.status.as_u16(), shed.json()["error"].as_str()),
        (503, Some("overloaded"))
    );
    let phone = send(&router, yemot_post(&format!("secret={RFC_SHA1}")))
        .await
        .yemot();
    assert!(
        phone.codes().is_empty() && phone.text().contains("עמוס"),
        "a phone hears an apology"
    );

    // The store's deadline ends the wait: the PIN-protected call stays closed, and says so.
    let held = held.await.unwrap().yemot();
    assert!(
        held.codes().is_empty() && held.text().contains("נא לנסות שוב"),
        "{}",
        held.text()
    );
    assert_eq!(
        send(&router, yemot_post(&format!("secret={RFC_SHA1}")))
            .await
            .yemot()
            .codes()[0],
        HEARD_AT_59,
        "the place is free again"
    );
    held_sockets.abort();
}

#[tokio::test]
async fn a_stalled_body_holds_no_place() {
    let limits = Limits {
        max_concurrent: 1,
        ..Limits::default()
    };
    let router = app(AppState::with_clock(Clock::manual(59)).with_limits(limits));
    // A request whose body never finishes: it waits for its body, outside the places.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let stalled = tokio::spawn({
        let router = router.clone();
        let body = Body::from_stream(tokio_stream_from(receiver));
        async move { send(&router, Request::post("/api/2fa").body(body).unwrap()).await }
    });
    sender
        .send(Ok(Bytes::from_static(b"secret=")))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    for _ in 0..3 {
        let answered = send(&router, yemot_post(&format!("secret={RFC_SHA1}")))
            .await
            .yemot();
        assert_eq!(
            answered.codes()[0],
            HEARD_AT_59,
            "a caller is answered meanwhile"
        );
    }
    sender.send(Ok(Bytes::from(RFC_SHA1))).await.unwrap();
    drop(sender);
    assert_eq!(stalled.await.unwrap().yemot().codes()[0], HEARD_AT_59);
}

fn tokio_stream_from(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

/// One random request: method, path, headers, query and body from small alphabets that reach
/// every branch (JSON or form, Yemot or not, tokens, hang-ups, sealed, menus) and raw bytes.
fn any_request() -> impl Strategy<Value = (String, String, Vec<(String, String)>, String, Vec<u8>)>
{
    let method = prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH",
    ]);
    let path = prop::sample::select(vec![
        "/api/2fa",
        "/api/verify",
        "/api/secret",
        "/api/seal",
        "/health",
        "/openapi.json",
        "/",
        "/api",
        "/api/2fa/x",
    ]);
    let header = (
        prop::sample::select(vec![
            "content-type",
            "accept",
            "user-agent",
            "authorization",
            "x-forwarded-host",
            "host",
        ]),
        prop::sample::select(vec![
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
            "yemot-core-api/1.0",
            "Bearer x",
            "*/*",
            "",
            "a,b;q=0",
        ]),
    );
    // The sentinel key goes only where a key belongs; spoken texts (`text`, `name`) may be
    // anything else, since whatever an owner writes there is meant to be heard.
    let key_field = prop::sample::select(vec!["secret", "sealed", "secret_2", "code"]);
    let sentinel = prop_oneof![
        Just(SENTINEL.to_owned()),
        Just(SENTINEL.to_lowercase()),
        Just(format!("otpauth://totp/x?secret={SENTINEL}&digits=8")),
    ];
    let key = prop::sample::select(vec![
        "secret",
        "sealed",
        "digits",
        "period",
        "algorithm",
        "kind",
        "pin",
        "pin1",
        "acct",
        "rep1",
        "allow",
        "lang",
        "then",
        "warn_below",
        "code",
        "window",
        "after_step",
        "bytes",
        "hangup",
        "secret_2",
        "token",
        "text",
        "name",
    ]);
    let value = prop_oneof!["[ -~]{0,12}", "\\PC{0,8}"];
    let pairs = (
        proptest::collection::vec((key_field, sentinel), 0..2),
        proptest::collection::vec((key, value), 0..5),
    )
        // Other values are at most 12 characters: they cannot hold the 16-letter sentinel.
        .prop_map(|(mut secrets, others)| {
            secrets.extend(others);
            secrets
        });
    (
        method.prop_map(str::to_owned),
        path.prop_map(str::to_owned),
        proptest::collection::vec(header.prop_map(|(k, v)| (k.to_owned(), v.to_owned())), 0..4),
        pairs
            .clone()
            .prop_map(|p| serde_urlencoded::to_string(p).unwrap()),
        prop_oneof![
            pairs
                .clone()
                .prop_map(|p| serde_urlencoded::to_string(p).unwrap().into_bytes()),
            pairs.prop_map(|p| serde_json::to_vec(
                &p.into_iter().collect::<std::collections::BTreeMap<_, _>>()
            )
            .unwrap()),
            proptest::collection::vec(any::<u8>(), 0..64),
        ],
    )
}

/// A valid key that can be spotted in any reply.
const SENTINEL: &str = "SENTINELSECRETQQ";

fn check_one(
    rt: &tokio::runtime::Runtime,
    router: &yemot_2fa::http::App,
    (method, path, headers, query, body): (String, String, Vec<(String, String)>, String, Vec<u8>),
) -> Result<(), TestCaseError> {
    let mut req = Request::builder()
        .method(method.as_str())
        .uri(format!("{path}?{query}"));
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let Ok(req) = req.body(Body::from(body)) else {
        return Ok(()); // not a representable HTTP request
    };
    let answer = rt.block_on(send(router, req));
    prop_assert!(
        !answer.status.is_server_error() || answer.status == 503,
        "{} {path}: {}",
        answer.status,
        answer.body
    );
    prop_assert!(
        !answer.body.contains(SENTINEL) && !answer.body.contains(&SENTINEL.to_lowercase()),
        "echoed: {}",
        answer.body
    );
    if answer.content_type().starts_with("text/plain") && !answer.body.is_empty() {
        Yemot::parse(&answer.body).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

fn router_for_props() -> yemot_2fa::http::App {
    let keys =
        yemot_2fa::otp::SealKeys::parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    app(AppState::with_clock(Clock::manual(1_234_567_890)).with_seal_keys(keys))
}

/// Random requests through the router: 512 in the normal test run; the long run is
/// `ROUTER_FUZZ_CASES=1000000 cargo test --release --test api random_requests`.
#[test]
fn random_requests_get_an_answer_without_a_fault_or_the_secret() {
    let cases: u32 = std::env::var("ROUTER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let router = router_for_props();
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    runner
        .run(&any_request(), |request| check_one(&rt, &router, request))
        .unwrap();
    if cases > 512 {
        eprintln!("{cases} random requests: no fault, no secret echoed");
    }
}
