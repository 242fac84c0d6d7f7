//! A few tests against a real socket: bind port 0 before spawning (no sleep needed), talk HTTP,
//! then shut down through the same future `main` uses.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use yemot_2fa::{AppState, app, clock::Clock, serve};

use crate::helpers::*;

struct TestServer {
    base: String,
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(at: u64) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let router = app(AppState::with_clock(Clock::manual(at)));
    let task = tokio::spawn(serve(listener, router, async {
        let _ = stopped.await;
    }));
    TestServer {
        base: format!("http://{addr}"),
        addr,
        stop,
        task,
    }
}

impl TestServer {
    /// Stops the server and proves it finished cleanly and in time.
    async fn shutdown(self) {
        self.stop.send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the server stops within 5 s");
        result.unwrap().unwrap();
        assert!(
            tokio::net::TcpStream::connect(self.addr).await.is_err(),
            "nothing listens after shutdown"
        );
    }
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
        ["94287082", "94287082"]
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
        assert_eq!(Yemot::parse(&body).unwrap().codes()[0], "287082");
    }
    // An idle keep-alive connection is open now; graceful shutdown must still finish.
    server.shutdown().await;
}
