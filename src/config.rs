//! Configuration from the environment, read once at start. A bad value stops the server at once
//! with a message that names the variable (never its value).

use std::net::IpAddr;
use std::time::Duration;

use crate::auth::AccessTokens;
use crate::seal::SealKeys;

/// Port used when `PORT` is unset. Render and most hosts set `PORT` themselves.
pub const DEFAULT_PORT: u16 = 3000;
/// Address used when `HOST` is unset: every interface, as a container needs.
pub const DEFAULT_HOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// `HEADER_TIMEOUT_SECS` when unset: also how long an idle keep-alive connection stays open.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 30;
/// `REQUEST_TIMEOUT_SECS` when unset: how long a request body may take to arrive.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 10;
/// `DRAIN_SECS` when unset: how long requests in flight may finish after SIGTERM.
pub const DEFAULT_DRAIN_SECS: u64 = 10;
/// `MAX_BODY_BYTES` when unset.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;
/// `MAX_PARAMS` when unset: a Yemot request with a long history has a few dozen.
pub const DEFAULT_MAX_PARAMS: usize = 256;
/// `MAX_CONCURRENT` when unset: requests in flight at once before new ones are shed with 503.
pub const DEFAULT_MAX_CONCURRENT: usize = 1024;

/// The server's settings. `Debug` shows how many tokens and which key ids there are, never a
/// token or a key.
#[derive(Debug)]
pub struct Config {
    /// `HOST`: the address to listen on.
    pub host: IpAddr,
    /// `PORT`: the TCP port to listen on (0 lets the system pick one).
    pub port: u16,
    /// `ACCESS_TOKEN`: when set, every `/api/*` request needs one of these tokens.
    pub access_tokens: Option<AccessTokens>,
    /// `SEAL_KEYS`: keys for sealed secrets, newest (sealing) first.
    pub seal_keys: Option<SealKeys>,
    /// `PUBLIC_URL`: this server's address as Yemot reaches it, without a trailing slash.
    pub public_url: Option<String>,
    /// Per-request bounds.
    pub limits: crate::request::Limits,
    /// Per-connection bounds.
    pub serve: crate::ServeLimits,
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
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let port = match get("PORT") {
            None => DEFAULT_PORT,
            Some(v) => v.trim().parse().map_err(|_| ConfigError {
                variable: "PORT",
                expected: "a TCP port number from 0 to 65535",
            })?,
        };
        let host = match get("HOST") {
            None => DEFAULT_HOST,
            Some(v) => v.trim().parse().map_err(|_| ConfigError {
                variable: "HOST",
                expected: "an IP address such as 0.0.0.0, 127.0.0.1 or ::",
            })?,
        };
        let access_tokens = match lookup("ACCESS_TOKEN") {
            None => None,
            Some(v) => AccessTokens::parse(&v).map_err(|expected| ConfigError {
                variable: "ACCESS_TOKEN",
                expected,
            })?,
        };
        let seal_keys = match lookup("SEAL_KEYS") {
            None => None,
            Some(v) => SealKeys::parse(&v).map_err(|expected| ConfigError {
                variable: "SEAL_KEYS",
                expected,
            })?,
        };
        let public_url = match get("PUBLIC_URL") {
            None => None,
            Some(v) => Some(parse_public_url(&v).ok_or(ConfigError {
                variable: "PUBLIC_URL",
                expected: "an http:// or https:// address such as https://my-2fa.onrender.com",
            })?),
        };
        let number = |name: &'static str,
                      default: u64,
                      range: std::ops::RangeInclusive<u64>,
                      expected: &'static str| {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or(ConfigError {
                        variable: name,
                        expected,
                    }),
            }
        };
        let limits = crate::request::Limits {
            max_body: number(
                "MAX_BODY_BYTES",
                DEFAULT_MAX_BODY_BYTES as u64,
                256..=1 << 20,
                "a number of bytes from 256 to 1048576",
            )? as usize,
            max_params: number(
                "MAX_PARAMS",
                DEFAULT_MAX_PARAMS as u64,
                8..=10_000,
                "a number from 8 to 10000",
            )? as usize,
            body_timeout: Duration::from_secs(number(
                "REQUEST_TIMEOUT_SECS",
                DEFAULT_REQUEST_TIMEOUT_SECS,
                1..=300,
                "seconds from 1 to 300",
            )?),
            max_concurrent: number(
                "MAX_CONCURRENT",
                DEFAULT_MAX_CONCURRENT as u64,
                1..=100_000,
                "a number from 1 to 100000",
            )? as usize,
        };
        let serve = crate::ServeLimits {
            header_timeout: Duration::from_secs(number(
                "HEADER_TIMEOUT_SECS",
                DEFAULT_HEADER_TIMEOUT_SECS,
                1..=3600,
                "seconds from 1 to 3600",
            )?),
            drain_timeout: Duration::from_secs(number(
                "DRAIN_SECS",
                DEFAULT_DRAIN_SECS,
                0..=600,
                "seconds from 0 to 600",
            )?),
        };
        Ok(Self {
            host,
            port,
            access_tokens,
            seal_keys,
            public_url,
            limits,
            serve,
        })
    }
}

/// An absolute http(s) URL with a host and no query, without its trailing slash.
fn parse_public_url(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
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
    pub expected: &'static str,
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
    fn access_tokens_are_read_and_a_weak_one_fails_without_being_shown() {
        let config = from(&[("ACCESS_TOKEN", "0123456789abcdef,fedcba9876543210")]).unwrap();
        assert!(
            config
                .access_tokens
                .unwrap()
                .allows(Some("fedcba9876543210"))
        );
        let err = from(&[("ACCESS_TOKEN", "tiny-token")]).unwrap_err();
        assert_eq!(err.variable, "ACCESS_TOKEN");
        assert!(!err.to_string().contains("tiny-token"));
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
        assert_eq!(config.seal_keys.unwrap().sealing_id(), "k1");
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://my-2fa.onrender.com")
        );
        let err = from(&[("SEAL_KEYS", "k1:c2VjcmV0")]).unwrap_err();
        assert_eq!(err.variable, "SEAL_KEYS");
        assert!(!err.to_string().contains("c2VjcmV0"));
        for bad in ["my-2fa.onrender.com", "ftp://x", "https://x/?a=b"] {
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
        assert_eq!(config.limits, crate::request::Limits::default());
        assert_eq!(config.serve, crate::ServeLimits::default());
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
