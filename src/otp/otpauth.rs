//! `otpauth://totp/…` key URIs, the text inside every authenticator QR code.
//!
//! We parse these ourselves instead of with totp-rs' `from_url`: that one refuses what real sites
//! issue (lower-case and 80-bit Microsoft keys, a label issuer that differs from `issuer=`, padded
//! secrets) and its unchecked variant accepts values that later panic (`period=0`, `digits=10`).
//!
//! # Format
//!
//! ```text
//! otpauth://totp/[ISSUER:]ACCOUNT?secret=BASE32[&issuer=..][&algorithm=..][&digits=..][&period=..]
//! ```
//!
//! Scheme and type are matched in any case. Unknown parameters are ignored; a repeated one keeps
//! its last value, as everywhere else in this service.

use percent_encoding::percent_decode_str;

use super::code::{Algorithm, ParamError, Params};
use super::secret::{Secret, SecretError};

/// The longest URI we look at, in bytes: a 128-byte key plus a long label and issuer.
pub const MAX_URI_TEXT: usize = 2048;

/// What a key URI says about one account.
#[derive(Debug)]
pub struct KeyUri {
    /// The decoded key.
    pub secret: Secret,
    /// `algorithm=`, if given.
    pub algorithm: Option<Algorithm>,
    /// `digits=`, if given.
    pub digits: Option<u8>,
    /// `period=`, if given.
    pub period: Option<u64>,
    /// The issuer: the `issuer=` parameter, else the label's prefix. Shown to people, never
    /// checked against anything: Microsoft puts the tenant in the label and `Microsoft` in the
    /// parameter.
    pub issuer: Option<String>,
    /// The account name from the label, if any.
    pub account: Option<String>,
    /// A Steam Guard key: host `steam`, `issuer=Steam` or `encoder=steam` (as totp-rs, pyotp and
    /// Steam exporters write it).
    pub steam: bool,
}

impl KeyUri {
    /// Whether `text` looks like a key URI rather than bare base32.
    pub fn is_uri(text: &str) -> bool {
        // `otpauth:` and `otpauth-migration:`; a base32 key cannot hold `:` or `-` there.
        let text = text.trim_start().as_bytes();
        text.len() >= 8
            && text[..7].eq_ignore_ascii_case(b"otpauth")
            && matches!(text[7], b':' | b'-')
    }

    /// Parses an `otpauth://totp/` (or `otpauth://steam/`) URI.
    ///
    /// # Errors
    ///
    /// [`UriError::Malformed`] for text that is not such a URI, [`UriError::UnsupportedType`] for
    /// `hotp` and `otpauth-migration` exports, [`UriError::MissingSecret`],
    /// [`UriError::Secret`] for a bad key and [`UriError::Param`] for a bad `algorithm`,
    /// `digits` or `period`. No error carries any part of the URI.
    pub fn parse(text: &str) -> Result<Self, UriError> {
        if text.len() > MAX_URI_TEXT {
            return Err(UriError::Malformed);
        }
        let url = url::Url::parse(text.trim()).map_err(|_| UriError::Malformed)?;
        if !url.scheme().eq_ignore_ascii_case("otpauth") {
            // `otpauth-migration://offline?data=…` is Google Authenticator's bulk export.
            return Err(if url.scheme().starts_with("otpauth") {
                UriError::UnsupportedType
            } else {
                UriError::Malformed
            });
        }
        let mut steam = match url.host_str() {
            Some(host) if host.eq_ignore_ascii_case("totp") => false,
            Some(host) if host.eq_ignore_ascii_case("steam") => true,
            Some(host) if host.eq_ignore_ascii_case("hotp") => {
                return Err(UriError::UnsupportedType);
            }
            _ => return Err(UriError::Malformed),
        };

        let (label_issuer, account) = split_label(url.path());
        let mut secret = None;
        let mut issuer = None;
        let (mut algorithm, mut digits, mut period) = (None, None, None);
        for (key, value) in url.query_pairs() {
            match &*key {
                "secret" => secret = Some(value),
                "issuer" => issuer = non_empty(value.trim()),
                "algorithm" => algorithm = Some(value.parse::<Algorithm>()?),
                "digits" => digits = Some(Params::parse_digits(&value)?),
                "period" => period = Some(Params::parse_period(&value)?),
                "encoder" => steam |= value.eq_ignore_ascii_case("steam"),
                _ => {}
            }
        }
        let secret = secret.ok_or(UriError::MissingSecret)?;
        let secret = Secret::from_base32(&secret).map_err(|e| match e {
            SecretError::Empty => UriError::MissingSecret,
            other => UriError::Secret(other),
        })?;
        let issuer = issuer.or(label_issuer);
        steam |= issuer
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case("steam"));
        steam |= algorithm == Some(Algorithm::Steam);
        Ok(Self {
            secret,
            algorithm,
            digits,
            period,
            issuer,
            account,
            steam,
        })
    }
}

/// Splits `/Issuer:account` at the first `:` (or `%3A`), percent-decoding each half once and
/// reading `+` as a space (Microsoft writes tenant names that way).
fn split_label(path: &str) -> (Option<String>, Option<String>) {
    let label = path.strip_prefix('/').unwrap_or(path).replace('+', " ");
    let label = percent_decode_str(&label).decode_utf8_lossy();
    match label.split_once(':') {
        Some((issuer, account)) => (non_empty(issuer.trim()), non_empty(account.trim())),
        None => (None, non_empty(label.trim())),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Why a key URI was refused. Fixed texts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Not an `otpauth://totp/…` URI at all.
    #[error("the otpauth URI is malformed")]
    Malformed,
    /// A counter-based (`hotp`) or bulk-export (`otpauth-migration`) URI.
    #[error("only time-based otpauth://totp/ URIs are supported")]
    UnsupportedType,
    /// No `secret=` in the URI.
    #[error("the otpauth URI has no secret")]
    MissingSecret,
    /// The URI's `secret=` is not a usable key.
    #[error(transparent)]
    Secret(SecretError),
    /// A bad `algorithm`, `digits` or `period`.
    #[error(transparent)]
    Param(#[from] ParamError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_style_uri_with_lower_case_secret() {
        let uri = KeyUri::parse(
            "otpauth://totp/Google%3Aalice%40gmail.com?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq&issuer=Google",
        )
        .unwrap();
        assert_eq!(uri.secret.as_bytes(), b"12345678901234567890");
        assert_eq!(uri.issuer.as_deref(), Some("Google"));
        assert_eq!(uri.account.as_deref(), Some("alice@gmail.com"));
        assert_eq!((uri.algorithm, uri.digits, uri.period), (None, None, None));
    }

    #[test]
    fn microsoft_style_uri_with_mismatched_issuer() {
        let uri = KeyUri::parse(
            "otpauth://totp/Contoso+Ltd:bob@contoso.com?secret=jbswy3dpehpk3pxp&issuer=Microsoft",
        )
        .unwrap();
        assert_eq!(uri.secret.len(), 10);
        assert_eq!(uri.issuer.as_deref(), Some("Microsoft"));
        assert_eq!(uri.account.as_deref(), Some("bob@contoso.com"));
    }

    #[test]
    fn label_issuer_is_used_when_the_parameter_is_absent() {
        let uri =
            KeyUri::parse("OTPAUTH://TOTP/ACME%20Co:john?secret=JBSWY3DPEHPK3PXP%3D%3D%3D%3D")
                .unwrap();
        assert_eq!(uri.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(uri.account.as_deref(), Some("john"));
    }

    #[test]
    fn options_are_read_and_checked() {
        let uri = KeyUri::parse(
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=sha256&digits=8&period=60",
        )
        .unwrap();
        assert_eq!(uri.algorithm, Some(Algorithm::SHA256));
        assert_eq!((uri.digits, uri.period), (Some(8), Some(60)));

        let bad = [
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
                UriError::Param(ParamError::Period),
            ),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=10",
                UriError::Param(ParamError::Digits),
            ),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
                UriError::Param(ParamError::Algorithm),
            ),
            (
                "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1",
                UriError::UnsupportedType,
            ),
            (
                "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8",
                UriError::UnsupportedType,
            ),
            ("otpauth://totp/x?issuer=A", UriError::MissingSecret),
            ("otpauth://totp/x?secret=", UriError::MissingSecret),
            (
                "otpauth://totp/x?secret=JBSW1",
                UriError::Secret(SecretError::NotBase32),
            ),
            ("otpauth:nothing", UriError::Malformed),
            ("otpauth://", UriError::Malformed),
            (
                "https://totp/x?secret=JBSWY3DPEHPK3PXP",
                UriError::Malformed,
            ),
        ];
        for (text, want) in bad {
            assert_eq!(KeyUri::parse(text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn steam_is_recognised_three_ways() {
        for text in [
            "otpauth://steam/Steam:me?secret=JBSWY3DPEHPK3PXP",
            "otpauth://totp/Steam:me?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
            "otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&encoder=steam",
        ] {
            assert!(KeyUri::parse(text).unwrap().steam, "{text}");
        }
        assert!(
            !KeyUri::parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP")
                .unwrap()
                .steam
        );
    }

    #[test]
    fn uri_detection() {
        assert!(KeyUri::is_uri("otpauth://totp/x?secret=A"));
        assert!(KeyUri::is_uri("  OTPAUTH://TOTP/x"));
        assert!(!KeyUri::is_uri("JBSWY3DPEHPK3PXP"));
        assert!(KeyUri::is_uri("otpauth-migration://offline?data=x"));
        assert!(!KeyUri::is_uri("otp"));
        assert!(!KeyUri::is_uri("OTPAUTHAJBSWY3DPEHPK3PXP"));
    }
}
