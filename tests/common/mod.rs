//! Helpers shared by the test binaries that play whole calls: a Yemot call simulator and
//! protocol checker of the project's own ([`yemot_call`]), and codes from oathtool, the
//! independent source, as a table of vectors that needs nothing installed and is checked
//! against oathtool itself wherever it is (CI installs it).

#![allow(dead_code)]

pub mod export;
pub mod server;
pub mod twilio_call;
pub mod yemot_call;

use std::process::Command;

pub use server::TestServer;
pub use yemot_call::{Call, Played};

/// A loopback port free at this moment, for a helper process (Redis, chromedriver) to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Codes oathtool gives at [`VECTORS_AT`]: `(key, digits, algorithm, period, code)`, each made
/// with `oathtool --totp=ALGORITHM -d DIGITS -s PERIODs -N @1800000000 -b KEY`.
pub const VECTORS: [(&str, u8, &str, u64, &str); 4] = [
    ("JBSWY3DPEHPK3PXP", 6, "SHA1", 30, "309848"),
    ("JBSWY3DPEHPK3PXP", 8, "SHA1", 30, "07309848"),
    ("JBSWY3DPEHPK3PXP", 8, "SHA256", 60, "10154161"),
    ("QLT6VMY6SVFX4BT4RPMISAIYOL6HIHCA", 6, "SHA1", 30, "219027"),
];
/// The Unix time of [`VECTORS`].
pub const VECTORS_AT: u64 = 1_800_000_000;

/// oathtool's code for a base32 `key` at [`VECTORS_AT`], from [`VECTORS`]; checked against
/// oathtool when it is installed. A key missing from the table fails with the command that
/// gives its line.
pub fn vector(key: &str, digits: u8, algorithm: &str, period: u64) -> String {
    let found = VECTORS
        .iter()
        .find(|v| (v.0, v.1, v.2, v.3) == (key, digits, algorithm, period))
        .map(|v| v.4.to_owned())
        .unwrap_or_else(|| {
            panic!(
                "no vector for {key} {digits} {algorithm} {period}: add the line that `oathtool \
                 --totp={} -d {digits} -s {period}s -N @{VECTORS_AT} -b {key}` gives to VECTORS \
                 in tests/common/mod.rs",
                algorithm.to_lowercase()
            )
        });
    if oathtool_installed() {
        assert_eq!(
            oathtool(key, digits, algorithm, period, VECTORS_AT),
            found,
            "VECTORS disagrees with oathtool"
        );
    }
    found
}

fn oathtool_installed() -> bool {
    Command::new("oathtool").arg("--version").output().is_ok()
}

/// Whether oathtool can be run.
pub fn oathtool_available() -> bool {
    if oathtool_installed() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "oathtool is required in CI (apt-get install oathtool)"
    );
    // Written past the test harness's capture, which would hide it.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        "\n*** SKIPPED: oathtool is not installed (apt-get install oathtool) ***\n".as_bytes(),
    );
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

/// Plays one call against `url`, described with yemot-call's own arguments (`--add`,
/// `--press`, `--raw`, `--get`, `--phone` …).
pub fn play(url: &str, args: &[String]) -> Played {
    Call::from_args(url, args).play()
}
