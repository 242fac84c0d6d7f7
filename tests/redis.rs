//! Two replicas sharing one real `redis-server` (`REDIS_URL`): the lockout holds across them,
//! a code that opened the way on one is used on the other, and when Redis goes away a protected
//! account stays closed while unprotected ones still read.
//!
//! The test starts its own `redis-server` on a free loopback port. CI installs it
//! (`apt-get install redis-server`) and this test fails there without it; elsewhere, without it,
//! it says loudly that it skipped.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use yemot_2fa::otp::{Clock, SealKeys};
use yemot_2fa::store::Store;
use yemot_2fa::{AppState, ServeLimits, app, serve};

const REDIS_SERVER: &str = "redis-server";
const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const T: u64 = 1234567890;

/// A `redis-server` of the test's own, stopped when dropped.
struct RedisServer {
    process: Child,
    url: String,
}

impl RedisServer {
    fn start() -> Option<Self> {
        let found = Command::new(REDIS_SERVER)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is required in CI (apt-get install redis-server)"
            );
            eprintln!(
                "\n*** SKIPPED: the shared Redis store was not tested: install redis-server ***\n"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self {
            process,
            url: format!("redis://127.0.0.1:{port}"),
        })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// One replica on a real socket, keeping its attempts in `store`.
async fn replica(store: Store) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::with_clock(Clock::manual(T))
        .with_seal_keys(SealKeys::parse(K1).unwrap())
        .with_store(store);
    tokio::spawn(serve(
        listener,
        app(state),
        std::future::pending(),
        ServeLimits::default(),
    ));
    addr
}

async fn post_json(addr: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn phone(addr: SocketAddr, form: &str) -> String {
    reqwest::Client::new()
        .post(format!("http://{addr}/api/2fa"))
        .header("User-Agent", "yemot-core-api/1.0")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_lockout_and_fail_closed_without_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = replica(Store::redis(&redis.url).unwrap()).await;
    let b = replica(Store::redis(&redis.url).unwrap()).await;
    let (_, sealed) = post_json(a, "/api/seal", json!({"secret": RFC_SHA1, "pin": "4321"})).await;
    let token = sealed["token"].as_str().unwrap().to_owned();

    // Five wrong PINs spread over both replicas, as a load balancer would spread them.
    for (i, guess) in ["0000", "1111", "2222", "3333", "5555"].iter().enumerate() {
        let replica = if i % 2 == 0 { a } else { b };
        let (status, body) =
            post_json(replica, "/api/2fa", json!({"sealed": token, "pin": guess})).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("pin_required"))
        );
    }
    for replica in [a, b] {
        let (status, body) =
            post_json(replica, "/api/2fa", json!({"sealed": token, "pin": "4321"})).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (429, Some("locked")),
            "{replica}"
        );
        let call = phone(replica, &format!("sealed={token}&pin1=4321")).await;
        assert!(call.contains("הגישה נחסמה זמנית"), "{call}");
    }

    // mode=verify: a code that opened the way on one replica is used on the other.
    let verify = |code: &str| {
        format!("mode=verify&then=/5&secret=JBSWY3DPEHPK3PXP&ApiExtension=2&code1={code}")
    };
    // oathtool --totp -b JBSWY3DPEHPK3PXP -N @1234567890
    let first = phone(a, &verify("742275")).await;
    assert!(first.ends_with("go_to_folder=/5"), "{first}");
    let again = phone(b, &verify("742275")).await;
    assert!(
        again.contains("כבר שימש") && !again.contains("go_to_folder=/5"),
        "{again}"
    );

    // Redis goes away: a PIN-protected account is not opened (fail closed), while an account
    // without protection, which needs no store, still reads.
    drop(redis);
    let started = Instant::now();
    let (status, body) = post_json(a, "/api/2fa", json!({"sealed": token, "pin": "4321"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("store_unavailable"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let call = phone(b, &format!("sealed={token}&pin1=4321")).await;
    assert!(
        call.contains("נא לנסות שוב") && !call.contains("d-"),
        "{call}"
    );
    let open = phone(b, &format!("secret={RFC_SHA1}&digits=8")).await;
    assert!(open.contains("d-8900.d-5924"), "{open}");
}
