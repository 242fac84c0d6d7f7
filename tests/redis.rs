//! The count of guesses as an attacker meets it, with a real `redis-server` shared by two
//! replicas (`REDIS_URL`) and with the memory store: parallel guesses, a Redis that cannot
//! write (full, read-only, stopped), floods of the attacker's own keys, an evicting policy.
//! Each test tries one way around the count over real HTTP and shows that it fails.
//!
//! The tests start their own `redis-server`s on free loopback ports. CI installs it
//! (`apt-get install redis-server`) and these tests fail there without it; elsewhere, without
//! it, they say loudly that they skipped.

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yemot_2fa::AppState;
use yemot_2fa::call::Lang;
use yemot_2fa::call::texts::{HE, spoken};
use yemot_2fa::error::Error;
use yemot_2fa::otp::{Clock, SealKeys};
use yemot_2fa::store::{StartError, Store};
use yemot_2fa::twilio::signature::AuthTokens;

use common::twilio_call::{Alternating, End, TwilioCall};

const REDIS_SERVER: &str = "redis-server";
const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// oathtool --totp -b JBSWY3DPEHPK3PXP -N @1234567890
const GITHUB_KEY: &str = "JBSWY3DPEHPK3PXP";
const GITHUB_CODE: &str = "742275";
const T: u64 = 1234567890;
/// Keys of their own, so that one test's count never meets another's.
const OTHER_KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
const THIRD_KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// What a locked caller hears.
const LOCKED: &str = HE.locked;
/// What a caller hears of a code already used.
const USED: &str = HE.verify_used;
/// What a caller hears when the count cannot be taken.
fn try_later() -> &'static str {
    spoken(Error::StoreUnavailable, Lang::He)
}

/// The figures of `store::Policy::DEFAULT`, as README states them.
const PER_SOURCE: usize = 5;
const PER_ACCOUNT: usize = 20;

/// A `redis-server` of the test's own, stopped when dropped.
struct RedisServer {
    process: Child,
    url: String,
}

impl RedisServer {
    /// A fresh server with `extra` settings; `None` (said loudly) where none is installed.
    fn start(extra: &[&str]) -> Option<Self> {
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
            // Written past the test harness's capture, which would hide it.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                "\n*** SKIPPED: the shared Redis store was not tested: install redis-server ***\n"
                    .as_bytes(),
            );
            return None;
        }
        let port = common::free_port();
        let process = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(extra)
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

    /// A server that keeps every key: what the service asks of an operator.
    fn safe() -> Option<Self> {
        Self::start(&["--maxmemory-policy", "noeviction"])
    }

    /// Runs one command on the server, as an operator (or an attacker with its address)
    /// would.
    fn command<T: redis::FromRedisValue>(&self, args: &[&str]) -> T {
        let mut connection = redis::Client::open(self.url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command.query(&mut connection).unwrap()
    }

    /// Memory in use, from `INFO memory`.
    fn used_memory(&self) -> u64 {
        let info: String = self.command(&["INFO", "memory"]);
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// One replica on a real socket, keeping its counts in `store`.
async fn replica(store: Store) -> SocketAddr {
    let state = AppState::with_clock(Clock::manual(T))
        .with_seal_keys(SealKeys::parse(K1).unwrap())
        .with_store(store);
    common::TestServer::start(state).await.keep()
}

/// Two replicas sharing the Redis at `url`.
async fn replicas(url: &str) -> [SocketAddr; 2] {
    [
        replica(Store::redis(url).unwrap()).await,
        replica(Store::redis(url).unwrap()).await,
    ]
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

/// A sealed token for the RFC key with `pin`, made on `addr`.
async fn sealed_with_pin(addr: SocketAddr, pin: &str) -> String {
    sealed_for(addr, RFC_SHA1, pin).await
}

/// A sealed 8-digit token for `key` with `pin`, made on `addr`.
async fn sealed_for(addr: SocketAddr, key: &str, pin: &str) -> String {
    let (status, sealed) = post_json(
        addr,
        "/api/seal",
        json!({"secret": key, "digits": 8, "pin": pin}),
    )
    .await;
    assert_eq!(status, 200, "{sealed}");
    sealed["token"].as_str().unwrap().to_owned()
}

/// A phone turn that types `pin` for `token`, from `caller`.
fn pin_turn(token: &str, caller: &str, pin: &str) -> String {
    format!("ApiPhone={caller}&ApiExtension=2&sealed={token}&pin1={pin}")
}

/// A phone turn of `mode=verify` on `key` that types `code`, from `caller`.
fn verify_turn(key: &str, caller: &str, code: &str) -> String {
    format!("ApiPhone={caller}&ApiExtension=2&mode=verify&then=/5&secret={key}&code1={code}")
}

/// The auth token the Twilio replicas check signatures with.
const TWILIO_AUTH: &str = "twilio-auth-token-of-the-tests";

/// Two replicas sharing the Redis at `url`, `SEAL_KEYS` and a Twilio auth token.
async fn twilio_replicas(url: &str) -> [SocketAddr; 2] {
    let one = || async {
        let state = AppState::with_clock(Clock::manual(T))
            .with_seal_keys(SealKeys::parse(K1).unwrap())
            .with_twilio_tokens(AuthTokens::parse(TWILIO_AUTH))
            .with_store(Store::redis(url).unwrap());
        common::TestServer::start(state).await.keep()
    };
    [one().await, one().await]
}

/// Sends every request of `requests` at once, each to the replica it names; the answers in
/// order.
async fn all_at_once<F, R>(requests: Vec<(SocketAddr, F)>) -> Vec<R>
where
    F: FnOnce(SocketAddr) -> std::pin::Pin<Box<dyn Future<Output = R> + Send>> + Send + 'static,
    R: Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(addr, request)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                request(addr).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

/// Sends every phone turn of `forms` at once, turn by turn to the two replicas in turn.
async fn phones_at_once(
    replicas: [SocketAddr; 2],
    forms: impl Iterator<Item = String>,
) -> Vec<String> {
    let requests = forms
        .enumerate()
        .map(|(i, form)| {
            let request = move |addr: SocketAddr| {
                Box::pin(async move { phone(addr, &form).await })
                    as std::pin::Pin<Box<dyn Future<Output = String> + Send>>
            };
            (replicas[i % 2], request)
        })
        .collect();
    all_at_once(requests).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_count_and_fail_closed_without_redis() {
    let Some(redis) = RedisServer::safe() else {
        return;
    };
    let [a, b] = replicas(&redis.url).await;
    let token = sealed_with_pin(a, "4321").await;

    // Five wrong PINs from HTTP clients spread over both replicas, as a load balancer would.
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
        // HTTP clients locked themselves: the owner's phone still gets in.
        let call = phone(replica, &pin_turn(&token, "0501234567", "4321")).await;
        assert!(call.contains("d-8900.d-5924"), "{call}");
    }

    // mode=verify: a code that opened the way on one replica is used on the other.
    let first = phone(a, &verify_turn(GITHUB_KEY, "0501234567", GITHUB_CODE)).await;
    assert!(first.ends_with("go_to_folder=/5"), "{first}");
    let again = phone(b, &verify_turn(GITHUB_KEY, "0501234567", GITHUB_CODE)).await;
    assert!(
        again.contains(USED) && !again.contains("go_to_folder=/5"),
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
    let call = phone(b, &pin_turn(&token, "0501234567", "4321")).await;
    assert!(call.contains(try_later()) && !call.contains("d-"), "{call}");
    let open = phone(b, &format!("secret={RFC_SHA1}&digits=8")).await;
    assert!(open.contains("d-8900.d-5924"), "{open}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twilio_call_goes_on_across_replicas_and_a_used_code_is_used_on_both() {
    let Some(redis) = RedisServer::safe() else {
        return;
    };
    let [a, b] = twilio_replicas(&redis.url).await;
    let token = sealed_with_pin(a, "4321").await;

    // One call whose turns a load balancer spreads over both replicas: the ticket made on one
    // opens on the other (its key comes from the shared SEAL_KEYS), so the PIN passed on B is
    // not asked again on A.
    let mut call = TwilioCall::new(Alternating::new(&[a, b]), "+15551230002", Some(TWILIO_AUTH));
    let pin = call.dial(&format!("/api/twilio?sealed={token}")).await;
    assert_eq!(pin.text(), HE.pin_prompt);
    let code = call.press("4321").await;
    assert!(code.says("8 9 0 0, 5 9 2 4"), "{}", code.text());
    let again = call.press("1").await;
    assert!(
        again.says("8 9 0 0, 5 9 2 4") && !again.says(HE.pin_prompt),
        "{}",
        again.text()
    );

    // mode=verify: a code that opened the way in a call on A is used in a call on B.
    let voice = format!(
        "/api/twilio?secret={GITHUB_KEY}&mode=verify&then=https%3A%2F%2Fexample.com%2Fdoor"
    );
    let mut first = TwilioCall::new(a, "+15551230003", Some(TWILIO_AUTH));
    first.dial(&voice).await;
    let opened = first.press(GITHUB_CODE).await;
    assert_eq!(opened.end, End::Redirect("https://example.com/door".into()));
    let mut second = TwilioCall::new(b, "+15551230003", Some(TWILIO_AUTH));
    second.dial(&voice).await;
    let used = second.press(GITHUB_CODE).await;
    assert!(used.says(USED) && used.asks(), "{}", used.text());
    assert!(!matches!(used.end, End::Redirect(_)));
}

/// Every four-digit PIN, the right one among them, sent to replicas whose store cannot take
/// the count: not one is judged, so every answer is the same.
async fn every_pin_gets_one_answer(replicas: [SocketAddr; 2], token: &str, guesses: u32) {
    let client = reqwest::Client::new();
    let mut answers = std::collections::BTreeMap::<(u16, String), u32>::new();
    let mut spoken = std::collections::BTreeSet::new();
    let guesses: Vec<u32> = (0..guesses).chain([4321]).collect();
    for chunk in guesses.chunks(64) {
        let mut tasks = Vec::new();
        for &guess in chunk {
            let (client, token) = (client.clone(), token.to_owned());
            let replica = replicas[guess as usize % 2];
            tasks.push(tokio::spawn(async move {
                let response = client
                    .post(format!("http://{replica}/api/2fa"))
                    .json(&json!({"sealed": token, "pin": format!("{guess:04}")}))
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }));
        }
        for task in tasks {
            *answers.entry(task.await.unwrap()).or_default() += 1;
        }
    }
    for guess in [1234, 4321] {
        spoken.insert(
            phone(
                replicas[0],
                &pin_turn(token, "0501234567", &format!("{guess}")),
            )
            .await,
        );
    }
    assert_eq!(
        answers.len(),
        1,
        "the answer depends on the PIN: {answers:?}"
    );
    let ((status, body), _) = answers.first_key_value().unwrap();
    assert_eq!(*status, 503, "{body}");
    assert!(body.contains("store_unavailable"), "{body}");
    assert_eq!(spoken.len(), 1, "{spoken:?}");
    let spoken = spoken.first().unwrap();
    assert!(
        spoken.contains(try_later()) && !spoken.contains("d-"),
        "{spoken}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_cannot_write_judges_no_pin() {
    // Full under noeviction (anyone with the URL can fill it).
    let Some(full) = RedisServer::safe() else {
        return;
    };
    let replicas_full = replicas(&full.url).await;
    let token = sealed_with_pin(replicas_full[0], "4321").await;
    let (status, _) = post_json(
        replicas_full[0],
        "/api/2fa",
        json!({"sealed": token, "pin": "4321"}),
    )
    .await;
    assert_eq!(status, 200, "the policy is checked and the store works");
    let _: String = full.command(&["CONFIG", "SET", "maxmemory", "1"]);
    every_pin_gets_one_answer(replicas_full, &token, 10_000).await;

    // A read-only replica (after a failover, say).
    let dead_primary = common::free_port().to_string();
    let Some(read_only) = RedisServer::start(&[
        "--maxmemory-policy",
        "noeviction",
        "--replicaof",
        "127.0.0.1",
        &dead_primary,
    ]) else {
        return;
    };
    every_pin_gets_one_answer(replicas(&read_only.url).await, &token, 10_000).await;

    // Stopped: every command waits for its deadline, so fewer guesses.
    let stopped = replicas(&full.url).await;
    drop(full);
    every_pin_gets_one_answer(stopped, &token, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_judged_at_most_the_allowed_number_of_times() {
    let Some(redis) = RedisServer::safe() else {
        return;
    };
    let [a, b] = replicas(&redis.url).await;
    let memory = replica(Store::memory(10_000)).await;
    for (shared, spread) in [
        ([a, b], "two replicas on Redis"),
        ([memory, memory], "memory"),
    ] {
        // 200 wrong PINs at once from HTTP clients, then the right one.
        let token = sealed_with_pin(shared[0], "4321").await;
        let requests = (0..200)
            .map(|i| {
                let token = token.clone();
                let request = move |addr: SocketAddr| {
                    Box::pin(async move {
                        let pin = format!("{:04}", 5000 + i);
                        post_json(addr, "/api/2fa", json!({"sealed": token, "pin": pin}))
                            .await
                            .0
                    }) as std::pin::Pin<Box<dyn Future<Output = u16> + Send>>
                };
                (shared[i % 2], request)
            })
            .collect();
        let statuses = all_at_once(requests).await;
        let judged = statuses.iter().filter(|s| **s == 403).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(
            (judged, refused),
            (PER_SOURCE, 200 - PER_SOURCE),
            "{spread}"
        );
        let (status, _) = post_json(
            shared[1],
            "/api/2fa",
            json!({"sealed": token, "pin": "4321"}),
        )
        .await;
        assert_eq!(status, 429, "{spread}: the right PIN, last, is refused");

        // 200 at once from 200 forged caller numbers: the account-wide bound.
        let token = sealed_for(shared[0], OTHER_KEY, "4321").await;
        let forms = (0..200).map(|i| pin_turn(&token, &format!("05{i:08}"), "0000"));
        let replies = phones_at_once(shared, forms).await;
        let judged = replies.iter().filter(|r| !r.contains(LOCKED)).count();
        assert_eq!(
            judged,
            PER_ACCOUNT - 1,
            "{spread}: the 20th is told it locked"
        );
        let owner = phone(shared[1], &pin_turn(&token, "0501234567", "4321")).await;
        assert!(owner.contains(LOCKED), "{spread}: {owner}");

        // /api/verify and mode=verify: wrong codes at once, each on a key of its own.
        let key = GITHUB_KEY;
        let requests = (0..200)
            .map(|i| {
                let request = move |addr: SocketAddr| {
                    Box::pin(async move {
                        let code = format!("{:06}", 100_000 + i);
                        let (status, body) =
                            post_json(addr, "/api/verify", json!({"secret": key, "code": code}))
                                .await;
                        (status, body["valid"] == false)
                    })
                        as std::pin::Pin<Box<dyn Future<Output = (u16, bool)> + Send>>
                };
                (shared[i % 2], request)
            })
            .collect();
        let answers = all_at_once(requests).await;
        let judged = answers
            .iter()
            .filter(|(s, wrong)| *s == 200 && *wrong)
            .count();
        assert_eq!(judged, PER_SOURCE, "{spread}: /api/verify");
        let forms =
            (0..200).map(|i| verify_turn(THIRD_KEY, "0529999999", &format!("{:06}", 100_000 + i)));
        let replies = phones_at_once(shared, forms).await;
        let judged = replies.iter().filter(|r| !r.contains(LOCKED)).count();
        assert_eq!(
            judged,
            PER_SOURCE - 1,
            "{spread}: mode=verify, the 5th locks"
        );
        assert!(replies.iter().all(|r| !r.contains("go_to_folder=/5")));
    }
}

/// Locks the RFC key's PIN for HTTP clients and uses GitHub's current code, on `addr`; the
/// token.
async fn lock_and_use(addr: SocketAddr) -> String {
    let token = sealed_with_pin(addr, "4321").await;
    for guess in ["0000", "1111", "2222", "3333", "5555"] {
        post_json(addr, "/api/2fa", json!({"sealed": token, "pin": guess})).await;
    }
    let opened = phone(addr, &verify_turn(GITHUB_KEY, "0501234567", GITHUB_CODE)).await;
    assert!(opened.ends_with("go_to_folder=/5"), "{opened}");
    token
}

/// The lock and the used code of [`lock_and_use`] are still in place.
async fn still_in_place(addr: SocketAddr, token: &str) {
    let (status, body) = post_json(addr, "/api/2fa", json!({"sealed": token, "pin": "4321"})).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("locked")));
    let again = phone(addr, &verify_turn(GITHUB_KEY, "0501234567", GITHUB_CODE)).await;
    assert!(
        again.contains(USED) && !again.contains("go_to_folder=/5"),
        "{again}"
    );
}

/// Floods `addr` with `count` valid claims on keys of the attacker's own; how many were
/// refused.
async fn flood_claims(addr: SocketAddr, count: usize) -> usize {
    let mut refused = 0;
    for n in 0..count {
        let key = format!("{GITHUB_KEY}{}", base32_of(n));
        let (_, code) = post_json(addr, "/api/2fa", json!({"secret": key})).await;
        let code = code["code"].as_str().unwrap();
        let reply = phone(addr, &verify_turn(&key, "0501234567", code)).await;
        refused += usize::from(reply.contains(try_later()));
    }
    refused
}

/// Floods `addr` with `count` wrong guesses on keys of the attacker's own; how many were
/// refused.
async fn flood_guesses(addr: SocketAddr, count: usize) -> usize {
    let mut refused = 0;
    for n in 0..count {
        let key = format!("{GITHUB_KEY}{}", base32_of(n));
        let (status, _) = post_json(
            addr,
            "/api/verify",
            json!({"secret": key, "code": "000000"}),
        )
        .await;
        refused += usize::from(status == 503);
    }
    refused
}

/// The lock and the used code stay closed, whatever the store says now.
async fn nothing_opens(addr: SocketAddr, token: &str) {
    let (status, _) = post_json(addr, "/api/2fa", json!({"sealed": token, "pin": "4321"})).await;
    assert!(status == 429 || status == 503, "{status}");
    let again = phone(addr, &verify_turn(GITHUB_KEY, "0501234567", GITHUB_CODE)).await;
    assert!(!again.contains("go_to_folder=/5"), "{again}");
}

/// `n` in eight base32 letters, to make distinct keys of a valid length.
fn base32_of(mut n: usize) -> String {
    (0..8)
        .map(|_| {
            let letter = char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[n % 32]);
            n /= 32;
            letter
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_the_attackers_own_keys_leaves_every_lock_and_used_code_in_place() {
    // Memory, with room for 300 records of each kind: floods of ten times that. Claims fill
    // the room for used steps (a claim's count is given back), wrong guesses the rooms for
    // counts; each full room refuses, and keeps what it has.
    let memory = replica(Store::memory(300)).await;
    let token = lock_and_use(memory).await;
    let refused = flood_claims(memory, 3_000).await;
    assert!(refused > 2_600, "{refused}");
    still_in_place(memory, &token).await;
    let refused = flood_guesses(memory, 3_000).await;
    assert!(refused > 2_600, "{refused}");
    nothing_opens(memory, &token).await;

    // Redis under noeviction, with little room left: it fills and refuses, and forgets nothing.
    let Some(redis) = RedisServer::safe() else {
        return;
    };
    let [a, b] = replicas(&redis.url).await;
    let token = lock_and_use(a).await;
    let room = (redis.used_memory() + 150_000).to_string();
    let _: String = redis.command(&["CONFIG", "SET", "maxmemory", &room]);
    let refused = flood_claims(b, 2_000).await + flood_guesses(b, 2_000).await;
    assert!(refused > 2_000, "{refused}");
    nothing_opens(a, &token).await;
    // Once it has room again, both are still there: nothing was evicted.
    let _: String = redis.command(&["CONFIG", "SET", "maxmemory", "0"]);
    still_in_place(a, &token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_may_evict_is_refused_at_start() {
    let Some(redis) = RedisServer::start(&["--maxmemory-policy", "allkeys-lru"]) else {
        return;
    };
    let store = Store::redis(&redis.url).unwrap();
    assert_eq!(
        store.check_at_start().await,
        Err(StartError::EvictingPolicy("allkeys-lru".into()))
    );
    // A replica that started while Redis could not be reached counts nothing on it either.
    let addr = replica(Store::redis(&redis.url).unwrap()).await;
    let token = sealed_with_pin(addr, "4321").await;
    let (status, _) = post_json(addr, "/api/2fa", json!({"sealed": token, "pin": "4321"})).await;
    assert_eq!(status, 503);

    // The server itself refuses to start, and says what to change.
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_yemot-2fa"))
        .env("REDIS_URL", &redis.url)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("maxmemory-policy is allkeys-lru") && stderr.contains("noeviction"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    for policy in ["volatile-lru", "allkeys-random", "volatile-ttl"] {
        let _: String = redis.command(&["CONFIG", "SET", "maxmemory-policy", policy]);
        let store = Store::redis(&redis.url).unwrap();
        assert!(store.check_at_start().await.is_err(), "{policy}");
    }
    let _: String = redis.command(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    assert_eq!(
        Store::redis(&redis.url).unwrap().check_at_start().await,
        Ok(())
    );
}
