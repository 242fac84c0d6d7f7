//! Helpers shared by the test binaries that play whole calls: the Yemot call simulator and
//! protocol checker of `../shared/yemot-call`, and oathtool as the independent source of codes.
//! Both are required in CI (`.ci/run` has them); elsewhere, without them, a test says loudly
//! that it skipped.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// `../shared/yemot-call`, beside this repository.
pub fn yemot_call_path() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/yemot-call");
    if path.exists() && Command::new("python3").arg("--version").output().is_ok() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared/yemot-call and python3 are required in CI"
    );
    eprintln!(
        "\n*** SKIPPED: calls were not played: ../shared/yemot-call or python3 is missing ***\n"
    );
    None
}

/// Whether oathtool can be run.
pub fn oathtool_available() -> bool {
    if Command::new("oathtool").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "oathtool is required in CI (apt-get install oathtool)"
    );
    eprintln!("\n*** SKIPPED: oathtool is not installed (apt-get install oathtool) ***\n");
    false
}

/// The code oathtool gives for a base32 `key` at Unix time `at`.
pub fn oathtool(key: &str, digits: u8, algorithm: &str, period: u64, at: u64) -> String {
    let out = Command::new("oathtool")
        .arg(format!("--totp={}", algorithm.to_lowercase()))
        .args(["-d", &digits.to_string(), "-s", &format!("{period}s")])
        .args(["-N", &format!("@{at}"), "-b", key])
        .output()
        .expect("oathtool runs");
    assert!(
        out.status.success(),
        "oathtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// One call played by yemot-call.
#[derive(Debug)]
pub struct Played {
    /// Each answer, the hang-up notice last.
    pub turns: Vec<Value>,
    /// Protocol violations: must be none.
    pub violations: Vec<String>,
}

impl Played {
    /// Every run of digits the caller heard, turn by turn.
    pub fn digits(&self) -> Vec<String> {
        self.turns
            .iter()
            .flat_map(|t| t["digits"].as_array().cloned().unwrap_or_default())
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect()
    }

    /// Everything the caller heard, turn by turn.
    pub fn heard(&self) -> String {
        self.turns
            .iter()
            .filter_map(|t| t["heard"].as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Where the last answer sent the caller.
    pub fn ended(&self) -> &str {
        self.turns
            .iter()
            .rev()
            .find_map(|t| t["then"].as_str())
            .unwrap_or("")
    }
}

/// Plays one call against `url` with yemot-call's own arguments (`--add`, `--press`, `--raw`,
/// `--get`, `--phone` …).
pub fn play(tool: &PathBuf, url: &str, args: &[String]) -> Played {
    let out = Command::new("python3")
        .arg(tool)
        .arg(url)
        .arg("--json")
        .args(args)
        .output()
        .expect("yemot-call runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|_| {
        panic!(
            "yemot-call said: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Played {
        turns: json["turns"].as_array().cloned().unwrap_or_default(),
        violations: json["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    }
}
