//! Every ext.ini example in README.md, played as Yemot plays it by the project's own call
//! simulator (`common::yemot_call`): the `api_add` values sent as a form POST and as a GET, each
//! both percent-encoded and joined raw (ASCII as written, Hebrew encoded), against the server on
//! a real socket. Each call must keep the protocol (0 violations) and the caller must hear
//! oathtool's code for the account (`common::VECTORS`); with `mode=verify`, typing oathtool's
//! code must open `then`. Nothing outside the repository is needed.

mod common;

use std::collections::HashMap;

use yemot_2fa::AppState;
use yemot_2fa::otp::Clock;

/// The pinned time: every turn of every call computes at it, as oathtool did for the vectors.
const T: u64 = common::VECTORS_AT;

/// One ```ini block's `api_add` values, in order.
struct Example {
    line: usize,
    adds: Vec<(String, String)>,
}

impl Example {
    fn get(&self, name: &str) -> Option<&str> {
        self.adds
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn examples() -> Vec<Example> {
    let readme = include_str!("../README.md");
    let mut examples = Vec::new();
    let mut current: Option<Example> = None;
    for (i, line) in readme.lines().enumerate() {
        match (&mut current, line.trim()) {
            (None, "```ini") => {
                current = Some(Example {
                    line: i + 1,
                    adds: Vec::new(),
                })
            }
            (Some(_), "```") => examples.extend(current.take()),
            (Some(example), line) => {
                if let Some(rest) = line.strip_prefix("api_add_")
                    && let Some((_, add)) = rest.split_once('=')
                    && let Some((name, value)) = add.split_once('=')
                {
                    example.adds.push((name.to_owned(), value.to_owned()));
                }
            }
            _ => {}
        }
    }
    examples
}

/// What the caller types, and the code they must hear (or, with `mode=verify`, type): the last
/// account of a menu is chosen.
fn plan(example: &Example) -> (Vec<String>, String) {
    let numbered: Vec<u8> = (1..=9)
        .filter(|n| example.get(&format!("secret_{n}")).is_some())
        .collect();
    let suffix = numbered.last().map(|n| format!("_{n}")).unwrap_or_default();
    let option = |name: &str| {
        example
            .get(&format!("{name}{suffix}"))
            .or_else(|| example.get(name))
    };
    let key = example
        .get(&format!("secret{suffix}"))
        .unwrap_or_else(|| panic!("README line {}: no key", example.line));
    let digits = option("digits").map_or(6, |d| d.parse().unwrap());
    let algorithm = option("algorithm").unwrap_or("SHA1");
    let period = option("period").map_or(30, |p| p.parse().unwrap());
    let code = common::vector(key, digits, algorithm, period);
    // The menu choice first, then the PIN of the chosen account.
    let mut presses = Vec::new();
    if let Some(n) = numbered.last() {
        presses.push(n.to_string());
    }
    if let Some(pin) = example.get("pin") {
        presses.push(pin.to_owned());
    }
    if example.get("mode") == Some("verify") {
        presses.push(code.clone());
    } else if example.get("repeat") != Some("no") {
        presses.push("none".to_owned());
    }
    (presses, code)
}

/// A server on a real socket, its clock pinned at [`T`]; the address of `/api/2fa`.
async fn start() -> String {
    let server = common::TestServer::start(AppState::with_clock(Clock::manual(T))).await;
    format!("http://{}/api/2fa", server.keep())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ext_ini_example_in_readme_reads_the_right_code_raw_or_encoded() {
    let examples = examples();
    assert!(
        examples.len() >= 10,
        "README has {} ini blocks",
        examples.len()
    );
    let mut played = HashMap::new();
    for example in &examples {
        let (presses, code) = plan(example);
        let mut args: Vec<String> = Vec::new();
        for (name, value) in &example.adds {
            args.extend(["--add".to_owned(), format!("{name}={value}")]);
        }
        for keys in &presses {
            args.extend(["--press".to_owned(), keys.clone()]);
        }
        if let Some(allowed) = example.get("allow") {
            let first = allowed.split(',').next().unwrap();
            args.extend(["--phone".to_owned(), first.to_owned()]);
        }
        for shape in [
            &[][..],
            &["--raw"][..],
            &["--get"][..],
            &["--raw", "--get"][..],
        ] {
            let mut args = args.clone();
            args.extend(shape.iter().map(|s| (*s).to_owned()));
            // A server of its own: a code that opened a door once is used on that server.
            let url = start().await;
            let call = tokio::task::spawn_blocking(move || common::play(&url, &args))
                .await
                .unwrap();
            let what = format!("README line {} {shape:?}", example.line);
            assert!(call.violations.is_empty(), "{what}: {:?}", call.violations);
            let heard = call.digits();
            if let Some(then) = example
                .get("then")
                .filter(|_| example.get("mode") == Some("verify"))
            {
                // The door opens on oathtool's code, and no code is said.
                assert_eq!(
                    call.ended(),
                    format!("go to folder {then}"),
                    "{what}: {}",
                    call.heard()
                );
                assert!(heard.iter().all(|d| d.len() < 6), "{what}: said {heard:?}");
            } else {
                assert!(
                    heard.iter().filter(|d| **d == code).count() >= 2,
                    "{what}: heard {heard:?} ({}), oathtool says {code}",
                    call.heard()
                );
            }
            played.insert(what, call.ended().to_owned());
        }
    }
    assert_eq!(played.len(), examples.len() * 4);
}
