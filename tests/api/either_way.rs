//! The direct way and the router's way answer alike (src/http/app.rs): every route of the table,
//! and `/api/2fa`'s flows and refusals, sent to the service as served and to the same service
//! with every request through the router, each with a state of its own.

use axum::body::Body;
use axum::http::{Method, Request, header};
use yemot_2fa::{AppState, ROUTES, app, otp::Clock, otp::seal::SealKeys};

use super::helpers::{CALL_PARAMS, RFC_SHA1, send};

const T: u64 = 1_234_567_890;
const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn state() -> AppState {
    AppState::with_clock(Clock::manual(T)).with_seal_keys(SealKeys::parse(K1).unwrap())
}

/// One request, built afresh for each way.
struct Case {
    method: Method,
    uri: String,
    headers: Vec<(header::HeaderName, &'static str)>,
    body: String,
}

impl Case {
    fn new(method: Method, uri: &str) -> Self {
        Self {
            method,
            uri: uri.to_owned(),
            headers: Vec::new(),
            body: String::new(),
        }
    }

    fn form(mut self, body: &str) -> Self {
        self.headers
            .push((header::CONTENT_TYPE, "application/x-www-form-urlencoded"));
        self.body = body.to_owned();
        self
    }

    fn json(mut self, body: &str) -> Self {
        self.headers
            .push((header::CONTENT_TYPE, "application/json"));
        self.body = body.to_owned();
        self
    }

    fn header(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn request(&self) -> Request<Body> {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(&self.uri);
        for (name, value) in &self.headers {
            request = request.header(name, *value);
        }
        request.body(Body::from(self.body.clone())).unwrap()
    }
}

fn cases() -> Vec<Case> {
    let post = || Case::new(Method::POST, "/api/2fa");
    let yemot = |extra: &str| {
        post()
            .form(&format!("{extra}&{CALL_PARAMS}"))
            .header(header::USER_AGENT, "yemot-core-api/1.0")
    };
    let mut cases = vec![
        post().form(&format!("secret={RFC_SHA1}")),
        yemot(&format!("secret={RFC_SHA1}")),
        yemot(&format!("secret={RFC_SHA1}&rep=1")),
        yemot(&format!("secret={RFC_SHA1}&lang=en")),
        yemot(&format!("secret={RFC_SHA1}&mode=verify")),
        yemot(&format!("secret={RFC_SHA1}&mode=verify&code=123456")),
        yemot(&format!(
            "secret={RFC_SHA1}&secret_1={RFC_SHA1}&name=a&name_1=b"
        )),
        yemot(&format!("secret={RFC_SHA1}&pin=1234")),
        yemot("hangup=yes"),
        yemot("secret=not-base32!"),
        yemot(""),
        post().json(&format!("{{\"secret\":\"{RFC_SHA1}\"}}")),
        post().json("{\"secret\":"),
        post()
            .form(&format!("secret={RFC_SHA1}"))
            .header(header::ACCEPT, "application/json"),
        post()
            .form("x=1")
            .header(header::CONTENT_TYPE, "multipart/form-data"),
        post().form(&"a=1&".repeat(2_000)),
        Case::new(
            Method::GET,
            &format!("/api/2fa?secret={RFC_SHA1}&{CALL_PARAMS}"),
        ),
        Case::new(Method::GET, &format!("/api/2fa?secret={RFC_SHA1}"))
            .header(header::ACCEPT, "application/json"),
        Case::new(Method::HEAD, &format!("/api/2fa?secret={RFC_SHA1}")),
        Case::new(Method::PUT, "/api/2fa"),
        Case::new(Method::POST, "/api/2fa/"),
        Case::new(Method::POST, "/nowhere"),
    ];
    // Every row of the table, as the simplest request its method takes.
    for route in ROUTES {
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let case = Case::new(method.clone(), route.path);
        cases.push(if method == Method::POST {
            case.form(&format!("secret={RFC_SHA1}"))
        } else {
            case
        });
    }
    cases
}

#[tokio::test]
async fn every_route_answers_the_same_through_either_way() {
    let direct = app(state());
    let routed = app(state()).through_router();
    for case in cases() {
        let a = send(&direct, case.request()).await;
        let b = send(&routed, case.request()).await;
        let what = format!(
            "{} {}",
            case.method,
            case.uri.get(..40).unwrap_or(&case.uri)
        );
        assert_eq!(a.status, b.status, "{what}");
        // The router writes Content-Length into the map; on the direct way hyper writes it on
        // the wire from the body's exact size (the test below). A HEAD answer has no body.
        let (mut a_headers, mut b_headers) = (a.headers.clone(), b.headers.clone());
        for (headers, body) in [(&mut a_headers, &a.body), (&mut b_headers, &b.body)] {
            let length = headers.remove(header::CONTENT_LENGTH);
            if let Some(length) = length.filter(|_| case.method != Method::HEAD) {
                assert_eq!(length.to_str().unwrap(), body.len().to_string(), "{what}");
            }
        }
        assert_eq!(a_headers, b_headers, "{what}");
        // /metrics counts the requests each way saw, timings included; /api/secret makes a new
        // random key and /api/seal a new random nonce each time. Every other body is equal.
        if !["/metrics", "/api/secret", "/api/seal"].contains(&case.uri.as_str()) {
            assert_eq!(a.body, b.body, "{what}");
        }
    }
}

#[tokio::test]
async fn both_ways_are_counted_under_the_routes_label() {
    // The guard is outside both ways, so /metrics cannot tell them apart.
    let state = state();
    let direct = app(state.clone());
    for app in [direct.clone(), direct.through_router()] {
        let answer = send(
            &app,
            Case::new(Method::POST, "/api/2fa")
                .form(&format!("secret={RFC_SHA1}"))
                .request(),
        )
        .await;
        assert_eq!(answer.status, 200);
    }
    let scraped = send(&app(state), Case::new(Method::GET, "/metrics").request()).await;
    assert!(
        scraped
            .body
            .contains("route=\"/api/2fa\",outcome=\"ok\"} 2"),
        "both ways counted under the route's label: {}",
        scraped.body
    );
}

#[tokio::test]
async fn the_direct_way_sends_its_length_on_the_wire() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = super::server::TestServer::start(state()).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let body = format!("secret={RFC_SHA1}");
    stream
        .write_all(
            format!(
                "POST /api/2fa HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, spoken) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("\r\ncontent-length: {}\r\n", spoken.len())),
        "{head}"
    );
    assert!(spoken.starts_with("read=t-"), "{spoken}");
}
