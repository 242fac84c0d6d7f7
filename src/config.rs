//! Configuration from the environment, read once at start: values only, and a leaf that imports
//! no other layer. A bad value stops the server at once with a message that names the variable
//! (never its value). Tokens, keys and the Redis address stay text here; `crate::cli` parses
//! them as it wires the layers together, with the same kind of message.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

/// Port used when `PORT` is unset. Render and most hosts set `PORT` themselves.
pub const DEFAULT_PORT: u16 = 3000;
/// Address used when `HOST` is unset: every interface, as a container needs.
pub const DEFAULT_HOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// The server's settings. `Debug` never shows a token, a key or the Redis address.
#[derive(Debug)]
pub struct Config {
    /// `HOST`: the address to listen on.
    pub host: IpAddr,
    /// `PORT`: the TCP port to listen on (0 lets the system pick one).
    pub port: u16,
    /// `ACCESS_TOKEN`: when set, every `/api/*` request needs one of these tokens.
    pub access_tokens: Option<Hidden>,
    /// `SEAL_KEYS`: keys for sealed secrets, newest (sealing) first.
    pub seal_keys: Option<Hidden>,
    /// `PUBLIC_URL`: this server's address as Yemot reaches it, without a trailing slash.
    pub public_url: Option<String>,
    /// `TWILIO_AUTH_TOKEN`: the auth tokens (comma-separated, for rotation) whose signature
    /// every `/api/twilio` request must carry.
    pub twilio_auth_tokens: Option<Hidden>,
    /// Per-request bounds.
    pub limits: Limits,
    /// Per-connection bounds.
    pub serve: ServeLimits,
    /// `REDIS_URL`: where guesses and used codes are kept when replicas must share them; in
    /// this process's memory when unset. It may hold a password.
    pub redis_url: Option<Hidden>,
    /// `LIMITER_CAPACITY`: records of each kind the in-memory store keeps; full, it refuses.
    pub limiter_capacity: u64,
    /// `METRICS`: whether `/metrics` is served at all.
    pub metrics: bool,
    /// `METRICS_ADDR`: serve `/metrics` on this address alone, not on the main port.
    pub metrics_addr: Option<SocketAddr>,
}

/// A variable's value that must not be printed: a token, a key, an address with a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(..)")
    }
}

/// Bounds on one request; every one has an environment override (README, Configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest body read, in bytes. A Yemot request with every call parameter and a long
    /// history is well under 2 KiB; a JSON client sends less.
    pub max_body: usize,
    /// The most parameters, query and body together.
    pub max_params: usize,
    /// How long the body may take to arrive.
    pub body_timeout: Duration,
    /// The most requests in flight at once; past it, new ones are shed with `overloaded`.
    pub max_concurrent: usize,
}

impl Limits {
    /// `MAX_BODY_BYTES` when unset.
    pub const DEFAULT_MAX_BODY: usize = 16 * 1024;
    /// `MAX_PARAMS` when unset: a Yemot request with a long history has a few dozen.
    pub const DEFAULT_MAX_PARAMS: usize = 256;
    /// `REQUEST_TIMEOUT_SECS` when unset: how long a request body may take to arrive.
    pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 10;
    /// `MAX_CONCURRENT` when unset: requests in flight at once before new ones are shed.
    pub const DEFAULT_MAX_CONCURRENT: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: Self::DEFAULT_MAX_BODY,
            max_params: Self::DEFAULT_MAX_PARAMS,
            body_timeout: Duration::from_secs(Self::DEFAULT_BODY_TIMEOUT_SECS),
            max_concurrent: Self::DEFAULT_MAX_CONCURRENT,
        }
    }
}

/// How the server treats connections; every bound has an environment override (README,
/// Configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a connection may go without an answer: from its start, or from its last
    /// answer. A slowloris client trickling a header is closed after this, and so is an idle
    /// keep-alive connection.
    pub header_timeout: Duration,
    /// How long requests in flight may take to finish after a shutdown signal.
    pub drain_timeout: Duration,
    /// The most connections open at once; past it, new ones get a bare 503 and are closed.
    pub max_connections: usize,
}

impl ServeLimits {
    /// `HEADER_TIMEOUT_SECS` when unset.
    pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 30;
    /// `DRAIN_SECS` when unset.
    pub const DEFAULT_DRAIN_SECS: u64 = 10;
    /// `MAX_CONNECTIONS` when unset: room for 10,000 idle keep-alive connections and a flood
    /// of stalled ones besides.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 16_384;
    /// The most a connection buffers of a request's head (request line and headers): the
    /// largest legitimate one, a GET carrying a menu of nine sealed tokens in its query, is
    /// about 10 KB. A larger head is answered 431 and the connection closed.
    pub const MAX_HEAD_BYTES: usize = 32 * 1024;
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(Self::DEFAULT_HEADER_TIMEOUT_SECS),
            drain_timeout: Duration::from_secs(Self::DEFAULT_DRAIN_SECS),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Records of each kind the in-memory attempt store keeps when `LIMITER_CAPACITY` is unset.
pub const DEFAULT_LIMITER_CAPACITY: u64 = 100_000;

/// One numeric variable: its name, its default, the values it may take, and their unit.
struct Number {
    variable: &'static str,
    default: u64,
    range: RangeInclusive<u64>,
    unit: &'static str,
}

// Every numeric variable, with its bounds.
const MAX_BODY: Number = Number::new("MAX_BODY_BYTES", Limits::DEFAULT_MAX_BODY, 256, 1 << 20);
const MAX_PARAMS: Number = Number::new("MAX_PARAMS", Limits::DEFAULT_MAX_PARAMS, 8, 10_000);
const MAX_CONCURRENT: Number =
    Number::new("MAX_CONCURRENT", Limits::DEFAULT_MAX_CONCURRENT, 1, 100_000);
const BODY_SECS: Number = Number::secs(
    "REQUEST_TIMEOUT_SECS",
    Limits::DEFAULT_BODY_TIMEOUT_SECS,
    1,
    300,
);
const HEADER_SECS: Number = Number::secs(
    "HEADER_TIMEOUT_SECS",
    ServeLimits::DEFAULT_HEADER_TIMEOUT_SECS,
    1,
    3600,
);
const DRAIN_SECS: Number = Number::secs("DRAIN_SECS", ServeLimits::DEFAULT_DRAIN_SECS, 0, 600);
const MAX_CONNECTIONS: Number = Number::new(
    "MAX_CONNECTIONS",
    ServeLimits::DEFAULT_MAX_CONNECTIONS,
    16,
    1_000_000,
);
const LIMITER_CAPACITY: Number = Number::new(
    "LIMITER_CAPACITY",
    DEFAULT_LIMITER_CAPACITY as usize,
    100,
    10_000_000,
);

impl Number {
    /// A count (of bytes, parameters or requests).
    const fn new(variable: &'static str, default: usize, min: u64, max: u64) -> Self {
        Self {
            variable,
            default: default as u64,
            range: min..=max,
            unit: "a number",
        }
    }

    /// A number of seconds.
    const fn secs(variable: &'static str, default: u64, min: u64, max: u64) -> Self {
        Self {
            variable,
            default,
            range: min..=max,
            unit: "seconds",
        }
    }
}

/// Reads settings through a lookup: an empty value counts as unset.
struct Env<F>(F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// A variable parsed by `parse`, or `None` when unset.
    fn parsed<T>(
        &self,
        variable: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Result<Option<T>, &'static str>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(variable) {
            None => Ok(None),
            Some(v) => parse(&v).map_err(|detail| ConfigError {
                variable,
                expected: if detail.is_empty() { expected } else { detail }.into(),
            }),
        }
    }

    fn number(&self, n: &Number) -> Result<u64, ConfigError> {
        match self.get(n.variable) {
            None => Ok(n.default),
            Some(v) => crate::bounded::parse(&v, n.range.clone()).ok_or_else(|| ConfigError {
                variable: n.variable,
                expected: format!("{} from {} to {}", n.unit, n.range.start(), n.range.end())
                    .into(),
            }),
        }
    }

    fn seconds(&self, n: &Number) -> Result<Duration, ConfigError> {
        self.number(n).map(Duration::from_secs)
    }
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first variable with a bad value.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    /// An empty value counts as unset.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first variable with a bad value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(lookup);
        let port = env.parsed("PORT", "a TCP port number from 0 to 65535", |v| {
            v.trim().parse().map(Some).map_err(|_| "")
        })?;
        let host = env.parsed(
            "HOST",
            "an IP address such as 0.0.0.0, 127.0.0.1 or ::",
            |v| v.trim().parse().map(Some).map_err(|_| ""),
        )?;
        let public_url = env.parsed(
            "PUBLIC_URL",
            "an origin (scheme, host, port; no path) such as https://my-2fa.onrender.com",
            |v| parse_public_url(v).map(Some).ok_or(""),
        )?;
        // Tokens, keys and the Redis address: parsed when the layers are wired (`crate::cli`).
        let hidden = |name| env.get(name).map(Hidden);
        let (access_tokens, seal_keys) = (hidden("ACCESS_TOKEN"), hidden("SEAL_KEYS"));
        let redis_url = hidden("REDIS_URL");
        let twilio_auth_tokens = hidden("TWILIO_AUTH_TOKEN");
        Ok(Self {
            host: host.unwrap_or(DEFAULT_HOST),
            port: port.unwrap_or(DEFAULT_PORT),
            access_tokens,
            seal_keys,
            public_url,
            twilio_auth_tokens,
            limits: Limits {
                max_body: env.number(&MAX_BODY)? as usize,
                max_params: env.number(&MAX_PARAMS)? as usize,
                body_timeout: env.seconds(&BODY_SECS)?,
                max_concurrent: env.number(&MAX_CONCURRENT)? as usize,
            },
            serve: ServeLimits {
                header_timeout: env.seconds(&HEADER_SECS)?,
                drain_timeout: env.seconds(&DRAIN_SECS)?,
                max_connections: env.number(&MAX_CONNECTIONS)? as usize,
            },
            metrics: env
                .parsed("METRICS", "on or off", |v| {
                    match v.trim().to_ascii_lowercase().as_str() {
                        "on" | "yes" | "true" | "1" => Ok(Some(true)),
                        "off" | "no" | "false" | "0" => Ok(Some(false)),
                        _ => Err(""),
                    }
                })?
                .unwrap_or(true),
            metrics_addr: env.parsed(
                "METRICS_ADDR",
                "an address and port such as 127.0.0.1:9100",
                |v| v.trim().parse().map(Some).map_err(|_| ""),
            )?,
            redis_url,
            limiter_capacity: env.number(&LIMITER_CAPACITY)?,
        })
    }
}

/// An origin: `http` or `https`, a host and maybe a port, nothing else (a path would be written
/// before `/api/2fa` and break every `api_link`), without its trailing slash.
fn parse_public_url(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path() == "/"
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    ok.then(|| url.as_str().trim_end_matches('/').to_owned())
}

/// A variable with a value we cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: expected {expected}")]
pub struct ConfigError {
    /// The variable's name.
    pub variable: &'static str,
    /// What it should hold.
    pub expected: std::borrow::Cow<'static, str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        for pairs in [
            &[][..],
            &[("PORT", ""), ("HOST", " "), ("ACCESS_TOKEN", "")][..],
        ] {
            let config = from(pairs).unwrap();
            assert_eq!((config.host, config.port), (DEFAULT_HOST, DEFAULT_PORT));
            assert!(config.access_tokens.is_none());
        }
    }

    #[test]
    fn tokens_keys_and_the_redis_address_are_kept_and_never_shown() {
        let config = from(&[
            ("ACCESS_TOKEN", "0123456789abcdef"),
            ("SEAL_KEYS", "k1:c2VjcmV0"),
            ("REDIS_URL", "redis://:password@host"),
            ("TWILIO_AUTH_TOKEN", "twilio-token-1,twilio-token-2"),
        ])
        .unwrap();
        let shown = format!("{config:?}");
        for secret in ["0123456789abcdef", "c2VjcmV0", "password", "twilio-token"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn values_are_read() {
        let config = from(&[("PORT", "10000"), ("HOST", "127.0.0.1")]).unwrap();
        assert!(config.access_tokens.is_none());
        assert_eq!(
            (config.host.to_string(), config.port),
            ("127.0.0.1".into(), 10000)
        );
        assert!(from(&[("HOST", "::")]).unwrap().host.is_ipv6());
    }

    #[test]
    fn seal_keys_and_public_url() {
        let config = from(&[
            (
                "SEAL_KEYS",
                "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
            ("PUBLIC_URL", "https://my-2fa.onrender.com/"),
        ])
        .unwrap();
        assert!(config.seal_keys.is_some());
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://my-2fa.onrender.com")
        );
        for bad in [
            "my-2fa.onrender.com",
            "ftp://x",
            "https://x/?a=b",
            "https://a.example/api/2fa",
            "https://a.example/prefix/",
            "https://user:pw@a.example",
        ] {
            assert_eq!(
                from(&[("PUBLIC_URL", bad)]).unwrap_err().variable,
                "PUBLIC_URL",
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_have_defaults_and_bounds() {
        let config = from(&[]).unwrap();
        assert_eq!(config.limits, Limits::default());
        assert_eq!(config.serve, ServeLimits::default());
        let config = from(&[
            ("MAX_BODY_BYTES", "4096"),
            ("HEADER_TIMEOUT_SECS", "5"),
            ("MAX_CONCURRENT", "64"),
        ])
        .unwrap();
        assert_eq!(config.limits.max_body, 4096);
        assert_eq!(config.limits.max_concurrent, 64);
        assert_eq!(config.serve.header_timeout, Duration::from_secs(5));
        for (name, bad) in [
            ("MAX_BODY_BYTES", "10"),
            ("MAX_PARAMS", "x"),
            ("REQUEST_TIMEOUT_SECS", "0"),
            ("DRAIN_SECS", "-1"),
            ("MAX_CONCURRENT", "0"),
            ("HEADER_TIMEOUT_SECS", "99999"),
        ] {
            assert_eq!(
                from(&[(name, bad)]).unwrap_err().variable,
                name,
                "{name}={bad}"
            );
        }
    }

    #[test]
    fn bad_values_name_the_variable_but_not_the_value() {
        let err = from(&[("PORT", "http")]).unwrap_err();
        assert_eq!(err.variable, "PORT");
        assert!(!err.to_string().contains("http"));
        assert_eq!(from(&[("PORT", "70000")]).unwrap_err().variable, "PORT");
        assert_eq!(from(&[("HOST", "localhost")]).unwrap_err().variable, "HOST");
    }
}
