//! A few tests against a real socket: bind port 0 before spawning (no sleep needed), talk HTTP,
//! then shut down through the same future `main` uses.

use std::time::Duration;

use yemot_2fa::{AppState, app, otp::Clock};

use crate::helpers::*;
use crate::server::TestServer;

async fn start(at: u64) -> TestServer {
    TestServer::start(AppState::with_clock(Clock::manual(at))).await
}

async fn start_with(at: u64, limits: yemot_2fa::ServeLimits) -> TestServer {
    TestServer::start_router(app(AppState::with_clock(Clock::manual(at))), limits).await
}

#[tokio::test]
async fn yemot_form_post_over_a_real_socket() {
    let server = start(59).await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/api/2fa", server.base))
        .header("User-Agent", "yemot-core-api/1.0")
        .form(&[
            ("ApiPhone", "0501234567"),
            ("secret", RFC_SHA1),
            ("digits", "8"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert_eq!(
        Yemot::parse(&body).unwrap().codes(),
        [HEARD_AT_59_8, HEARD_AT_59_8]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn json_get_health_and_errors_over_a_real_socket() {
    let server = start(1234567890).await;
    let client = reqwest::Client::new();
    let json: serde_json::Value = client
        .get(format!(
            "{}/api/2fa?secret={RFC_SHA1}&digits=8",
            server.base
        ))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["code"], "89005924");

    let health = client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["time"], 1234567890u64);

    let bad = client
        .post(format!("{}/api/2fa", server.base))
        .json(&serde_json::json!({"secret": "JBSW1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(bad["error"], "invalid_secret");
    server.shutdown().await;
}

#[tokio::test]
async fn developer_endpoints_over_a_real_socket() {
    let server = start(1234567890).await;
    let client = reqwest::Client::new();
    let enrolled: serde_json::Value = client
        .post(format!("{}/api/secret", server.base))
        .form(&[("issuer", "Bank"), ("account", "me")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = enrolled["secret"].as_str().unwrap();
    let code: serde_json::Value = client
        .post(format!("{}/api/2fa", server.base))
        .json(&serde_json::json!({"secret": enrolled["uri"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verdict: serde_json::Value = client
        .post(format!("{}/api/verify", server.base))
        .form(&[("secret", secret), ("code", code["code"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["step"], code["step"]);
    let spec = client
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(spec.status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn keep_alive_connection_serves_many_requests_and_shutdown_closes_it() {
    let server = start(59).await;
    let client = reqwest::Client::new();
    for _ in 0..20 {
        let body = client
            .post(format!("{}/api/2fa", server.base))
            .form(&[("secret", RFC_SHA1)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(Yemot::parse(&body).unwrap().codes()[0], HEARD_AT_59);
    }
    // An idle keep-alive connection is open now; graceful shutdown must still finish.
    server.shutdown().await;
}

/// A client that sends its headers a byte at a time (slowloris) is cut off by the header
/// timeout, while other clients are served as usual.
#[tokio::test]
async fn a_slowloris_client_is_closed_by_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = yemot_2fa::ServeLimits {
        header_timeout: Duration::from_millis(500),
        ..yemot_2fa::ServeLimits::default()
    };
    let server = start_with(59, limits).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let started = std::time::Instant::now();
    let trickle = b"POST /api/2fa HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let mut closed = false;
    for byte in trickle.iter().cycle().take(400) {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        // Meanwhile, a normal client is answered.
        if started.elapsed() < Duration::from_millis(200) {
            let body = reqwest::Client::new()
                .post(format!("{}/api/2fa", server.base))
                .form(&[("secret", RFC_SHA1)])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(Yemot::parse(&body).unwrap().codes()[0], HEARD_AT_59);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut probe = [0u8; 64];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            // EOF, or hyper's own 408 before closing.
            if n == 0 || probe.starts_with(b"HTTP/1.1 408") {
                closed = true;
                break;
            }
        }
    }
    assert!(closed, "the slow connection was not closed");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(450) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    server.shutdown().await;
}

/// A query too long for any parameter (100 KB) is refused by hyper itself, and the server goes on.
#[tokio::test]
async fn a_hundred_kilobyte_query_is_refused_without_harm() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start(59).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /api/2fa?secret={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "A".repeat(100_000)
    );
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let status = String::from_utf8_lossy(&answer[..answer.len().min(12)]).to_string();
    assert!(
        status.is_empty() || status.starts_with("HTTP/1.1 4"),
        "{status}"
    );
    let ok = reqwest::get(format!("{}/health", server.base))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    server.shutdown().await;
}

/// A request already accepted when the shutdown signal comes gets its full answer.
#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut server = start(59).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let body = format!("secret={RFC_SHA1}");
    let head = format!(
        "POST /api/2fa HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let reply = answer.split("\r\n\r\n").nth(1).unwrap();
    assert_eq!(Yemot::parse(reply).unwrap().codes()[0], HEARD_AT_59);
    server.finished().await;
}
