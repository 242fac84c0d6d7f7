//! Hostile traffic against the server binary, over real sockets: stalled bodies, unfinished
//! giant headers, impossible body sizes, SIGTERM under a burst. Each check is bounded in time,
//! and measures the server process itself (its memory from `/proc`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The server binary on a free loopback port, stopped when dropped.
struct Server {
    process: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Self {
        let _ = rlimit::increase_nofile_limit(u64::MAX);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(env!("CARGO_BIN_EXE_yemot-2fa"))
            .env_clear()
            .envs([
                ("HOST", "127.0.0.1"),
                ("PORT", &port.to_string()),
                ("RUST_LOG", "error"),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Self { process, addr }
    }

    /// Resident memory of the server process, in MB.
    fn rss_mb(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.process.id())).unwrap();
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        kb / 1024.0
    }

    /// One request on a new connection; the whole answer, or what came before it failed.
    fn ask(&self, request: &str) -> Result<String, String> {
        let mut stream = TcpStream::connect(self.addr).map_err(|e| format!("connect: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(request.as_bytes())
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .map_err(|e| format!("read: {e} after {}", String::from_utf8_lossy(&answer)))?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn post(body: &str, extra_headers: &str) -> String {
    format!(
        "POST /api/2fa HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn callers_are_answered_while_1500_bodies_stall() {
    let server = Server::start(&[]);
    // Each sends its headers and a part of the body it promised, then nothing.
    let stalled: Vec<TcpStream> = (0..1500)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"POST /api/2fa HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nsecret=")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for i in 0..30 {
        let answer = server
            .ask(&post(&format!("secret={RFC_SHA1}"), ""))
            .unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.contains("d-"),
            "caller {i}: {answer}"
        );
    }
    drop(stalled);
}

#[test]
fn unfinished_giant_headers_cost_little_memory() {
    let server = Server::start(&[]);
    let before = server.rss_mb();
    let line = vec![b'a'; 400 * 1024];
    let mut open = Vec::new();
    for i in 0..300 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_write_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        // Half the clients trickle a giant request line, half a giant header: none ends it.
        let start: &[u8] = if i % 2 == 0 {
            b"GET /api/2fa?secret="
        } else {
            b"GET /api/2fa HTTP/1.1\r\nX-Long: "
        };
        let _ = s.write_all(start);
        let _ = s.write_all(&line);
        open.push(s);
    }
    std::thread::sleep(Duration::from_millis(500));
    let growth = server.rss_mb() - before;
    assert!(
        growth <= 40.0,
        "300 unfinished 400 KB heads grew the server by {growth:.1} MB"
    );
    // And a caller is still answered.
    let answer = server
        .ask(&post(&format!("secret={RFC_SHA1}"), ""))
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    println!("memory growth with 300 unfinished 400 KB heads: {growth:.1} MB");
}

#[test]
fn an_impossible_body_size_is_refused_at_once() {
    let server = Server::start(&[]);
    for (accept, want) in [("Accept: application/json\r\n", "413"), ("", "200")] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .write_all(
                format!("POST /api/2fa HTTP/1.1\r\nHost: x\r\n{accept}Content-Length: 99999999999\r\n\r\nsecret=")
                    .as_bytes(),
            )
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = [0u8; 512];
        let n = stream.read(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with(&format!("HTTP/1.1 {want}")), "{answer}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        if want == "200" {
            assert!(
                answer.contains("id_list_message=t-"),
                "a phone hears why: {answer}"
            );
        }
    }
}

#[test]
fn sigterm_under_a_burst_answers_every_connection_the_kernel_accepted() {
    let server = Server::start(&[("DRAIN_SECS", "10")]);
    let addr = server.addr;
    // A burst: 1,500 connections at once, each with one request; SIGTERM while most of them
    // still wait in the accept backlog.
    let clients: Vec<_> = (0..1500)
        .map(|_| {
            std::thread::spawn(move || {
                let Ok(mut stream) = TcpStream::connect(addr) else {
                    return "refused";
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
                let request = post(&format!("secret={RFC_SHA1}"), "");
                if stream.write_all(request.as_bytes()).is_err() {
                    return "reset";
                }
                let mut answer = Vec::new();
                match stream.read_to_end(&mut answer) {
                    Ok(_) if answer.starts_with(b"HTTP/1.1 200") => "answered",
                    _ => "reset",
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let killed = Command::new("kill")
        .args(["-TERM", &server.process.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let outcomes: Vec<&str> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let count = |what| outcomes.iter().filter(|o| **o == what).count();
    println!(
        "SIGTERM during a burst of 1500: {} answered, {} refused at connect, {} reset",
        count("answered"),
        count("refused"),
        count("reset")
    );
    assert_eq!(
        count("reset"),
        0,
        "a connection the kernel accepted went unanswered"
    );
    assert!(count("answered") > 0);
}
