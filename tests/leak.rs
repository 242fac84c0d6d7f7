//! No secret, code, PIN or caller number reaches a log line or a reply, on any path, with logging
//! at its most verbose (`trace`, every crate). Its own binary: it installs the global logger.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use yemot_2fa::{AppState, app, otp::Clock, telemetry};

/// A valid base32 key that cannot occur by chance in a log (16 letters, 80 bits).
const SENTINEL: &str = "SENTINELSECRETQQ";
/// A caller number that must not be logged either.
const PHONE: &str = "0529876543";
/// A PIN that must not be logged (12 digits: no timestamp holds it by chance).
const PIN: &str = "975318642097";
/// An access token that must not be logged.
const TOKEN: &str = "TOKENSENTINEL-7f3a9c2e41b8";
/// The pinned time; the sentinel's 8-digit code at this time must not be logged.
const T: u64 = 1_800_000_000;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn requests() -> Vec<Request<Body>> {
    let call = format!("ApiCallId=abc&ApiPhone={PHONE}&ApiExtension=2");
    let form = |body: String| {
        Request::post("/api/2fa")
            .header(header::USER_AGENT, "yemot-core-api/1.0")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let form_to = |path: &str, body: String| {
        Request::post(path)
            .header(header::USER_AGENT, "yemot-core-api/1.0")
            .body(Body::from(body))
            .unwrap()
    };
    let twilio = |query: String, digits: &str| {
        Request::post(format!("/api/twilio?{query}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "CallSid=CA0123&From={PHONE}&Digits={digits}"
            )))
            .unwrap()
    };
    let uri = format!("otpauth%3A%2F%2Ftotp%2FBank%3Ame%3Fsecret%3D{SENTINEL}%26digits%3D8");
    // Wrong PINs and codes until the account locks, then the right ones against the lock.
    let guesses = (0..6).flat_map(|n| {
        [
            form(format!(
                "{call}&secret={SENTINEL}&pin={PIN}&pin1=00000000000{n}"
            )),
            Request::post("/api/verify")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(format!(
                    r#"{{"secret":"{SENTINEL}","code":"00000{n}"}}"#
                )))
                .unwrap(),
        ]
    });
    let locked = [
        form(format!("{call}&secret={SENTINEL}&pin={PIN}&pin1={PIN}")),
        Request::post("/api/verify")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(format!(
                "secret={SENTINEL}&code=123456&ApiPhone={PHONE}"
            )))
            .unwrap(),
    ];
    guesses
        .chain(locked)
        .chain([
            form(format!("{call}&secret={SENTINEL}&digits=8")),
            form(format!("{call}&secret={}", SENTINEL.to_lowercase())),
            form(format!("{call}&secret={uri}")),
            form(format!("{call}&secret={SENTINEL}!&digits=8")),
            form(format!("{call}&secret=otpauth%3A%2F%2Fhotp%2F{SENTINEL}")),
            form(format!("{call}&secret={SENTINEL}&digits=12")),
            form(format!(
                "{call}&secret={SENTINEL}&hangup=yes&ApiHangupExtension=/2"
            )),
            form(format!(
                "{call}&secret={SENTINEL}&pad={}",
                "x".repeat(20_000)
            )),
            Request::get(format!("/api/2fa?{call}&secret={SENTINEL}&digits=8"))
                .body(Body::empty())
                .unwrap(),
            Request::get(format!("/api/2fa?secret={SENTINEL}&digits=8"))
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
            Request::post("/api/2fa")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(format!(
                    r#"{{"secret":"{SENTINEL}","digits":8}}"#
                )))
                .unwrap(),
            Request::post("/api/2fa")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(format!(r#"{{"secret":"{SENTINEL}""#)))
                .unwrap(),
            Request::post(format!("/nowhere?secret={SENTINEL}"))
                .header(header::USER_AGENT, "yemot-core-api/1.0")
                .body(Body::from(format!("secret={SENTINEL}")))
                .unwrap(),
            Request::delete(format!("/api/2fa?secret={SENTINEL}"))
                .body(Body::empty())
                .unwrap(),
            Request::post("/api/verify")
                .body(Body::from(format!(
                    "secret={SENTINEL}&code=123456&digits=6"
                )))
                .unwrap(),
            Request::post("/api/verify")
                .body(Body::from(format!("secret={SENTINEL}&code={SENTINEL}")))
                .unwrap(),
            form_to(
                "/api/verify",
                format!("{call}&secret={SENTINEL}&code=12345678&digits=8"),
            ),
            Request::post("/api/secret")
                .body(Body::from(format!("issuer={SENTINEL}:x&account={PHONE}")))
                .unwrap(),
            // Twilio: a plain key and PIN in the Voice URL, the PIN typed; and a forged ticket.
            twilio(format!("secret={SENTINEL}&digits=8&pin={PIN}"), ""),
            twilio(format!("secret={SENTINEL}&digits=8&pin={PIN}"), PIN),
            twilio(format!("secret={SENTINEL}&ticket={SENTINEL}"), PIN),
            twilio(
                format!("secret={SENTINEL}&mode=verify&then=https%3A%2F%2Fexample.com%2F"),
                "",
            ),
            Request::post("/api/verify")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .body(Body::from(format!("--x\r\nsecret={SENTINEL}\r\n--x--")))
                .unwrap(),
        ])
        .collect()
}

#[tokio::test]
async fn nothing_secret_is_logged_or_echoed_at_trace_level() {
    let capture = Capture::default();
    telemetry::init(EnvFilter::new("trace"), capture.clone(), false).unwrap();
    let code = {
        // The code that must not be logged, computed by the service itself.
        let req = Request::get(format!("/api/2fa?secret={SENTINEL}&digits=8"))
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap();
        let response = app(AppState::with_clock(Clock::manual(T)))
            .oneshot(req)
            .await
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json["code"].as_str().unwrap().to_owned()
    };
    assert_eq!(code.len(), 8);

    // In process, every path.
    let router = app(AppState::with_clock(Clock::manual(T)));
    for req in requests() {
        let what = format!("{} {}", req.method(), req.uri().path());
        let response = router.clone().oneshot(req).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        for needle in [SENTINEL, &SENTINEL.to_lowercase(), PHONE, PIN] {
            assert!(!body.contains(needle), "{what} echoed {needle}: {body}");
        }
    }

    // What every path above left in /metrics: counts under fixed labels, nothing they carried.
    let metrics = router
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let metrics = metrics.into_body().collect().await.unwrap().to_bytes();
    let metrics = String::from_utf8(metrics.to_vec()).unwrap();
    assert!(
        metrics.contains(r#"outcome="locked""#),
        "the lockouts above were counted:\n{metrics}"
    );
    for needle in [SENTINEL, &SENTINEL.to_lowercase(), PHONE, PIN, &code] {
        assert!(!metrics.contains(needle), "{needle} reached /metrics");
    }

    // Limits: too many parameters, and a request shed while another holds the only place.
    let too_many = format!("{}secret={SENTINEL}", "k&".repeat(300));
    for req in [
        Request::post("/api/2fa")
            .body(Body::from(too_many.clone()))
            .unwrap(),
        Request::post("/api/2fa")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(too_many))
            .unwrap(),
    ] {
        let response = router.clone().oneshot(req).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!String::from_utf8_lossy(&body).contains(SENTINEL));
    }
    // The only place held by a request whose PIN check waits on an attempt store that never
    // answers (REDIS_URL at a listener that accepts and stays silent).
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let store_url = format!("redis://{}", silent.local_addr().unwrap());
    let quiet = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let narrow = app(AppState::with_clock(Clock::manual(T))
        .with_limits(yemot_2fa::http::Limits {
            max_concurrent: 1,
            ..Default::default()
        })
        .with_store(yemot_2fa::store::Store::redis(&store_url).unwrap()));
    let holder = tokio::spawn(
        narrow.clone().oneshot(
            Request::post("/api/2fa")
                .body(Body::from(format!(
                    "ApiPhone={PHONE}&secret={SENTINEL}&pin={PIN}&pin1={PIN}"
                )))
                .unwrap(),
        ),
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let shed = narrow
        .clone()
        .oneshot(
            Request::post("/api/2fa")
                .body(Body::from(format!(
                    "ApiPhone={PHONE}&secret={SENTINEL}&pin={PIN}"
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    let body = shed.into_body().collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&body).contains("עמוס"),
        "shed, and said so"
    );
    let held = holder.await.unwrap().unwrap();
    let body = held.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("id_list_message=t-") && !body.contains(SENTINEL),
        "{body}"
    );
    quiet.abort();

    // With ACCESS_TOKEN set: wrong tokens in every place a token can go, and the right one.
    let tokens = yemot_2fa::http::AccessTokens::parse(TOKEN).unwrap();
    let gated = app(AppState::with_clock(Clock::manual(T)).with_tokens(tokens));
    for req in [
        Request::post("/api/2fa")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}x"))
            .body(Body::from(format!("secret={SENTINEL}")))
            .unwrap(),
        Request::post("/api/2fa")
            .body(Body::from(format!("secret={SENTINEL}&token={TOKEN}y")))
            .unwrap(),
        Request::post("/api/secret")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(format!("token={TOKEN}")))
            .unwrap(),
        Request::post("/api/verify")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::from(format!("secret={SENTINEL}&code=1234")))
            .unwrap(),
    ] {
        let response = gated.clone().oneshot(req).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert!(!body.contains(TOKEN) && !body.contains(SENTINEL), "{body}");
    }

    // Over a real socket: hyper's own logging, a well-formed request and a malformed one.
    let server = common::TestServer::start_router(router, yemot_2fa::ServeLimits::default()).await;
    let addr = server.addr;

    let form = format!("secret={SENTINEL}&digits=8&ApiPhone={PHONE}");
    for raw in [
        format!(
            "POST /api/2fa HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
        format!(
            "GET /api/2fa?secret={SENTINEL} x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET /api/2fa?secret={SENTINEL}&digits=8 HTTP/1.1\r\nHost: x\r\nX-Secret: {SENTINEL}\r\nConnection: close\r\n\r\n"
        ),
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
        assert_eq!(
            answer.matches("HTTP/1.1 ").count(),
            1,
            "one request, one answer: {answer}"
        );
        assert!(!answer.contains(SENTINEL), "{answer}");
    }
    server.shutdown().await;

    // A panic carrying the secret is answered as internal_error, and only its location is logged.
    let default_hook = std::panic::take_hook();
    telemetry::quiet_panics();
    let boom = yemot_2fa::http::App::from(axum::Router::new().route(
        "/boom",
        axum::routing::get(|| async {
            if SENTINEL.len() > 1 {
                panic!("key {SENTINEL} code {PHONE}");
            }
            "unreachable"
        }),
    ));
    let phone = boom
        .clone()
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let json = boom
        .oneshot(
            Request::get("/boom")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    std::panic::set_hook(default_hook);
    assert_eq!(phone.status(), 200, "a phone hears an apology, not M1607");
    let spoken = phone.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&spoken).starts_with("id_list_message=t-"));
    assert_eq!(json.status(), 500);
    let json = json.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["error"], "internal_error");

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("finished processing request") && log.contains(r#"route="/api/2fa""#),
        "the capture works and request events were logged:\n{log}"
    );
    for needle in [SENTINEL, &SENTINEL.to_lowercase(), PHONE, PIN, TOKEN, &code] {
        assert!(!log.contains(needle), "{needle} reached the log:\n{log}");
    }
    assert!(!log.contains("d-"), "a spoken reply reached the log");
    assert!(
        log.contains("panic caught") && log.contains("tests/leak.rs"),
        "{log}"
    );
}
