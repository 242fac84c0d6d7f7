//! Google Authenticator's "Transfer accounts" export: a QR code (or several, for a long list)
//! holding `otpauth-migration://offline?data=…`, the base64 of a protobuf list of accounts, each
//! with its key, name, issuer, algorithm, digit count and kind. What someone giving up their
//! smartphone actually has: every account in one step.
//!
//! The message layout (`MigrationPayload` and its `OtpParameters`) is the one Google
//! Authenticator writes; decoded with prost. A time-based account becomes an [`Account`]; a
//! counter-based (HOTP) one is listed and refused, since its counter would have to be kept on
//! the server.

use std::fmt;

use prost::Message;

use super::account::{Account, Options};
use super::code::{Algorithm, Params};
use super::secret::Secret;

/// `MigrationPayload`.
#[derive(Clone, PartialEq, Message)]
struct Payload {
    #[prost(message, repeated, tag = "1")]
    otp_parameters: Vec<Parameters>,
    #[prost(int32, tag = "2")]
    version: i32,
    #[prost(int32, tag = "3")]
    batch_size: i32,
    #[prost(int32, tag = "4")]
    batch_index: i32,
    #[prost(int32, tag = "5")]
    batch_id: i32,
}

/// `MigrationPayload.OtpParameters`. Enumerations travel as their numbers.
#[derive(Clone, PartialEq, Message)]
struct Parameters {
    #[prost(bytes = "vec", tag = "1")]
    secret: Vec<u8>,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, tag = "3")]
    issuer: String,
    /// 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5.
    #[prost(int32, tag = "4")]
    algorithm: i32,
    /// 0 unspecified, 1 six, 2 eight.
    #[prost(int32, tag = "5")]
    digits: i32,
    /// 0 unspecified, 1 HOTP, 2 TOTP.
    #[prost(int32, tag = "6")]
    kind: i32,
    #[prost(int64, tag = "7")]
    counter: i64,
}

/// Why an exported account cannot be read over the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A counter-based (HOTP) code: the counter would have to be kept on the server.
    Hotp,
    /// An algorithm no site uses with a phone (MD5), or a key that is not one.
    Unusable,
}

/// One account of an export.
pub struct Exported {
    /// What the account is called: its issuer, else its name before any `:`.
    pub label: String,
    /// The account name as the app showed it (often an e-mail address).
    pub account: String,
    /// The account, or why it cannot be read.
    pub outcome: Result<Account, Refused>,
}

// The key must never be printed.
impl fmt::Debug for Exported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exported")
            .field("label", &self.label)
            .field("refused", &self.outcome.as_ref().err())
            .finish_non_exhaustive()
    }
}

/// One QR code of an export: which of how many, and its accounts.
#[derive(Debug)]
pub struct Batch {
    /// 0 for the first QR code.
    pub index: u32,
    /// How many QR codes the export has.
    pub size: u32,
    /// The same for every QR code of one export.
    pub id: i32,
    /// The accounts of this QR code.
    pub accounts: Vec<Exported>,
}

/// A text that is not an export this can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a Google Authenticator export (otpauth-migration://offline?data=…)")]
pub struct InvalidExport;

/// Reads one QR code's link.
///
/// # Errors
///
/// [`InvalidExport`] for anything but an `otpauth-migration://offline` link with data.
pub fn parse(link: &str) -> Result<Batch, InvalidExport> {
    let url = url::Url::parse(link.trim()).map_err(|_| InvalidExport)?;
    if !url.scheme().eq_ignore_ascii_case("otpauth-migration") {
        return Err(InvalidExport);
    }
    let data = url
        .query_pairs()
        .find(|(name, _)| name == "data")
        .map(|(_, value)| value)
        .ok_or(InvalidExport)?;
    // `+` that was not percent-encoded arrives as a space after form decoding.
    let data: String = data
        .chars()
        .map(|c| if c == ' ' { '+' } else { c })
        .filter(|c| !c.is_whitespace())
        .collect();
    let trimmed = data.trim_end_matches('=');
    let bytes = data_encoding::BASE64_NOPAD
        .decode(trimmed.as_bytes())
        .map_err(|_| InvalidExport)?;
    let payload = Payload::decode(bytes.as_slice()).map_err(|_| InvalidExport)?;
    Ok(Batch {
        index: u32::try_from(payload.batch_index).unwrap_or(0),
        size: u32::try_from(payload.batch_size).unwrap_or(1).max(1),
        id: payload.batch_id,
        accounts: payload.otp_parameters.into_iter().map(exported).collect(),
    })
}

fn exported(p: Parameters) -> Exported {
    let label = if p.issuer.trim().is_empty() {
        p.name.split(':').next().unwrap_or("").trim().to_owned()
    } else {
        p.issuer.trim().to_owned()
    };
    let account = p.name.rsplit(':').next().unwrap_or("").trim().to_owned();
    Exported {
        outcome: account_of(&p),
        label,
        account,
    }
}

fn account_of(p: &Parameters) -> Result<Account, Refused> {
    if p.kind == 1 {
        return Err(Refused::Hotp);
    }
    let algorithm = match p.algorithm {
        0 | 1 => Algorithm::SHA1,
        2 => Algorithm::SHA256,
        3 => Algorithm::SHA512,
        _ => return Err(Refused::Unusable),
    };
    let digits = if p.digits == 2 { 8 } else { 6 };
    let secret = Secret::from_bytes(&p.secret).map_err(|_| Refused::Unusable)?;
    // The app makes every code from 30 s steps; the export has no period.
    let options = Options {
        digits: Some(digits),
        algorithm: Some(algorithm),
        period: Some(Params::default().period),
        ..Options::default()
    };
    Ok(Account::with_secret(secret, &options))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export written by hand, field by field (protobuf's wire format), independent of the
    /// decoder: one TOTP account (RFC 6238's SHA1 seed, 8 digits) and one HOTP account.
    fn export() -> String {
        fn field(tag: u8, bytes: &[u8]) -> Vec<u8> {
            let mut out = vec![(tag << 3) | 2, bytes.len() as u8];
            out.extend_from_slice(bytes);
            out
        }
        fn number(tag: u8, n: u8) -> Vec<u8> {
            vec![tag << 3, n]
        }
        let totp = [
            field(1, b"12345678901234567890"),
            field(2, b"Bank:me@example.com"),
            field(3, b"Bank"),
            number(4, 1),
            number(5, 2),
            number(6, 2),
        ]
        .concat();
        let hotp = [
            field(1, b"abcdefghijklmnop"),
            field(2, b"Old"),
            number(6, 1),
        ]
        .concat();
        let payload = [
            field(1, &totp),
            field(1, &hotp),
            number(2, 1),
            number(3, 2),
            number(4, 1),
            number(5, 7),
        ]
        .concat();
        let data = data_encoding::BASE64.encode(&payload);
        format!(
            "otpauth-migration://offline?data={}",
            data.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        )
    }

    #[test]
    fn an_export_becomes_accounts_and_an_hotp_one_is_refused() {
        let batch = parse(&export()).unwrap();
        assert_eq!((batch.index, batch.size, batch.id), (1, 2, 7));
        let [bank, old] = &batch.accounts[..] else {
            panic!("two accounts")
        };
        assert_eq!(
            (bank.label.as_str(), bank.account.as_str()),
            ("Bank", "me@example.com")
        );
        let account = bank.outcome.as_ref().unwrap();
        assert_eq!(account.params.digits, 8);
        assert_eq!(account.secret.as_bytes(), b"12345678901234567890");
        // RFC 6238 at 59 s, 8 digits: 94287082.
        let code = crate::otp::code::code_at(&account.secret, &account.params, 59);
        assert_eq!(code.as_str(), "94287082");
        assert_eq!(old.label, "Old");
        assert_eq!(old.outcome.as_ref().err(), Some(&Refused::Hotp));
        assert!(!format!("{bank:?}").contains("1234567890"));
    }

    #[test]
    fn what_is_not_an_export_is_refused() {
        for bad in [
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
            "otpauth-migration://offline",
            "otpauth-migration://offline?data=%%%",
            "otpauth-migration://offline?data=AAAA",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
