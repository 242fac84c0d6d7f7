//! Every way a request can fail, with its stable machine-readable code: the one error type the
//! call flow and the HTTP layer share. Each layer below has its own small error (a bad key, a
//! bad token, a bad field list), and each converts into a variant here.
//!
//! How an error is told is not decided here: `http::respond` gives a JSON client a status and
//! `{"error": "<code>", "message": "…"}`, and a phone caller a spoken sentence from
//! `call::texts`, always with HTTP 200.
//!
//! No variant carries input: messages are fixed texts, so a secret cannot reach a reply or a log
//! through an error.

use crate::otp::account::{AccountError, InvalidAllow, InvalidPin, KeyOrOption};
use crate::otp::clock::ClockError;
use crate::otp::code::ParamError;
use crate::otp::enroll::EnrollError;
use crate::otp::otpauth::UriError;
use crate::otp::seal::SealError;
use crate::otp::secret::SecretError;
use crate::otp::verify::{InvalidCode, MAX_WINDOW};

/// A failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 400 `missing_secret`: no `secret` parameter.
    #[error("no secret was given: a base32 key or an otpauth:// link is needed")]
    MissingSecret,
    /// 400: the account cannot be used: `invalid_secret`, `secret_too_short`,
    /// `secret_too_long` (the key), `invalid_uri`, `unsupported_uri_type` (the `otpauth://`
    /// link), `invalid_digits`, `invalid_period`, `invalid_algorithm` or `invalid_kind` (an
    /// option).
    #[error(transparent)]
    Account(#[from] AccountError),
    /// 400 `invalid_pin`: the extension's `pin` is not 4 to 12 digits.
    #[error("pin must be 4 to 12 digits")]
    Pin,
    /// 400 `invalid_allow`: `allow` holds no phone number.
    #[error("allow must list phone numbers, separated by commas")]
    Allow,
    /// 400 `invalid_then`: `then` is not `hangup` or a folder path.
    #[error("then must be hangup or a folder path such as /1/2")]
    Then,
    /// 400 `invalid_mode`: `mode` is not `read` or `verify`.
    #[error("mode must be read or verify")]
    Mode,
    /// 400 `then_required`: `mode=verify` without `then`: a valid code must lead somewhere.
    #[error("verify mode needs a folder for a valid code to lead to")]
    ThenRequired,
    /// 400 `code_not_typable`: `mode=verify` for a Steam Guard account, whose codes have
    /// letters that a phone keypad cannot type.
    #[error("Steam Guard codes have letters and cannot be typed on a phone")]
    NotTypable,
    /// 400 `invalid_repeat`: `repeat` is not `yes` or `no`.
    #[error("repeat must be yes or no")]
    Repeat,
    /// 400 `then_loops`: `then` leads back into this same extension (`.`, or its own path),
    /// which Yemot would enter again and again.
    #[error("then leads back into this extension: set hangup or another folder")]
    ThenLoop,
    /// 400 `invalid_then_url`: on Twilio, `then` is not `hangup` or the web address of another
    /// service (`http://` or `https://`, not `/api/twilio` again).
    #[error("then must be hangup or an http(s) address other than /api/twilio")]
    ThenUrl,
    /// 400 `invalid_ticket`: on Twilio, the `ticket` of an `action` URL was not sealed by this
    /// server's keys in this call: changed, moved to another call, or from another server.
    #[error("the call's ticket is not one this server made for this call")]
    TicketInvalid,
    /// 403 `bad_signature`: `TWILIO_AUTH_TOKEN` is set and the request's `X-Twilio-Signature`
    /// is missing or does not sign this URL and these parameters.
    #[error("the request is not signed by the Twilio account this server trusts")]
    BadSignature,
    /// 400 `split_link`: in a menu, account `account`'s `otpauth://` link arrived split into
    /// pieces (Yemot joins ext.ini values unencoded), and a piece could be another account's
    /// setting: the owner must write the key and its settings on lines of their own.
    #[error(
        "the otpauth link of account {account} arrived split: give its key and each of its settings a line of their own"
    )]
    SplitLink {
        /// The menu key of the account.
        account: u8,
    },
    /// 400 `invalid_lang`: `lang` is not `he` or `en`.
    #[error("lang must be he or en")]
    Lang,
    /// 400 `invalid_warn_below`: `warn_below` is not a whole number of seconds from 0 to 60.
    #[error("warn_below must be a whole number of seconds from 0 to 60")]
    WarnBelow,
    /// 400 `invalid_code`: `code` is missing or not `digits` digits (5 characters for Steam).
    #[error("code must be the digits of the code (spaces, #, * and - are ignored)")]
    InvalidCode,
    /// 400 `invalid_window`: `window` is not 0 to [`MAX_WINDOW`].
    #[error("window must be a whole number of steps from 0 to {MAX_WINDOW}")]
    Window,
    /// 400 `invalid_after_step`: `after_step` is not a whole number.
    #[error("after_step must be a whole number (a step returned by an earlier verify)")]
    AfterStep,
    /// 400 `invalid_bytes`: `bytes` is not 10 to 64.
    #[error("bytes must be a whole number from 10 to 64")]
    Bytes,
    /// 400 `invalid_label`: `issuer` or `account` holds a colon or is longer than 100 characters.
    #[error("issuer and account must be at most 100 characters, without a colon")]
    Label,
    /// 400 `invalid_export`: `/api/import` was given something other than a Google
    /// Authenticator export (`otpauth-migration://offline?data=…`).
    #[error("not a Google Authenticator export (otpauth-migration://offline?data=…)")]
    InvalidExport,
    /// 401 `unauthorized`: the server has `ACCESS_TOKEN` set and the request's token is missing
    /// or wrong.
    #[error("a valid access token is required")]
    Unauthorized,
    /// 415 `unsupported_media_type`: a multipart body, which no endpoint reads.
    #[error("send the parameters as a form (application/x-www-form-urlencoded) or as JSON")]
    UnsupportedMediaType,
    /// 400 `not_for_phone`: a phone reached an endpoint made for developers.
    #[error("this endpoint answers developers, not phones")]
    NotForPhone,
    /// 400 `invalid_sealed` (a token this server cannot open, whatever the reason),
    /// 400 `sealed_too_long` (the name or allow-list is too long to seal into a token every
    /// request can carry) or 503 `no_seal_key` (the server has no `SEAL_KEYS`).
    #[error(transparent)]
    Sealed(#[from] SealError),
    /// 403 `pin_required`: a sealed secret with a PIN, asked for without the right `pin`.
    #[error("this sealed secret has a PIN: the right PIN is needed")]
    PinRequired,
    /// 403 `phone_only`: a sealed secret with an allow-list, asked for by a JSON client.
    #[error("this sealed secret is read only to allowed callers on the phone")]
    PhoneOnly,
    /// 429 `locked`: too many wrong PINs or codes for this account; nothing opens it, not even
    /// the right one, for `retry_after` more seconds (also sent as `Retry-After`).
    #[error("too many wrong attempts for this account; try again later")]
    Locked {
        /// Seconds until the lock ends.
        retry_after: u64,
    },
    /// 503 `store_unavailable`: the attempt store cannot count this guess (Redis unreachable,
    /// slow, full or read-only; the memory store full), so it is not judged.
    #[error("the attempt store cannot count this attempt now; try again in a moment")]
    StoreUnavailable,
    /// 400 `too_many_parameters`: more parameters than `MAX_PARAMS`.
    #[error("too many parameters")]
    TooManyParams,
    /// 503 `overloaded`: more requests in flight than `MAX_CONCURRENT`; retry shortly.
    #[error("the server is busy; try again in a moment")]
    Overloaded,
    /// 400 `invalid_json`: a JSON body that is not one flat object.
    #[error("the JSON body must be one object with string or number values")]
    InvalidJson,
    /// 400 `bad_request`: the body could not be read.
    #[error("the request body could not be read")]
    BadRequest,
    /// 413 `payload_too_large`: a body over the server's bound (`MAX_BODY_BYTES`).
    #[error("the request body is larger than this server accepts")]
    PayloadTooLarge,
    /// 404 `not_found`.
    #[error("no such endpoint")]
    NotFound,
    /// 405 `method_not_allowed`.
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
    /// 408 `timeout`: the request took longer than the server allows.
    #[error("the request took too long")]
    Timeout,
    /// 500 `clock_error`: the server's clock reads before 1970, so no code would be right.
    #[error("the server clock is wrong; codes cannot be computed")]
    Clock,
    /// 500 `internal_error`: a fault of ours, logged without the request.
    #[error("internal error")]
    Internal,
}

impl Error {
    /// One of each kind of error (each distinct `code()`), for docs and exhaustive tests.
    pub const ALL: &'static [Error] = &[
        Self::MissingSecret,
        Self::Account(AccountError::Secret(SecretError::NotBase32)),
        Self::Account(AccountError::Secret(SecretError::TooShort)),
        Self::Account(AccountError::Secret(SecretError::TooLong)),
        Self::Account(AccountError::Uri(UriError::Malformed)),
        Self::Account(AccountError::Uri(UriError::UnsupportedType)),
        Self::Account(AccountError::Param(ParamError::Digits)),
        Self::Account(AccountError::Param(ParamError::Period)),
        Self::Account(AccountError::Param(ParamError::Algorithm)),
        Self::Account(AccountError::Kind),
        Self::Pin,
        Self::Allow,
        Self::Then,
        Self::SplitLink { account: 1 },
        Self::ThenLoop,
        Self::ThenUrl,
        Self::TicketInvalid,
        Self::BadSignature,
        Self::Repeat,
        Self::Mode,
        Self::ThenRequired,
        Self::NotTypable,
        Self::Lang,
        Self::WarnBelow,
        Self::InvalidCode,
        Self::Window,
        Self::AfterStep,
        Self::Bytes,
        Self::Label,
        Self::InvalidExport,
        Self::Unauthorized,
        Self::UnsupportedMediaType,
        Self::NotForPhone,
        Self::Sealed(SealError::Invalid),
        Self::Sealed(SealError::NoKeys),
        Self::PinRequired,
        Self::PhoneOnly,
        Self::Locked { retry_after: 1 },
        Self::StoreUnavailable,
        Self::Sealed(SealError::TooLong),
        Self::TooManyParams,
        Self::Overloaded,
        Self::InvalidJson,
        Self::BadRequest,
        Self::PayloadTooLarge,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Timeout,
        Self::Clock,
        Self::Internal,
    ];

    /// The stable, machine-readable code of this error, documented in README.md.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingSecret => "missing_secret",
            Self::Account(e) => match e.key_or_option() {
                KeyOrOption::Key(SecretError::Empty) => "missing_secret",
                KeyOrOption::Key(SecretError::NotBase32) => "invalid_secret",
                KeyOrOption::Key(SecretError::TooShort) => "secret_too_short",
                KeyOrOption::Key(SecretError::TooLong) => "secret_too_long",
                KeyOrOption::Option(ParamError::Digits) => "invalid_digits",
                KeyOrOption::Option(ParamError::Period) => "invalid_period",
                KeyOrOption::Option(ParamError::Algorithm) => "invalid_algorithm",
                KeyOrOption::Kind => "invalid_kind",
                KeyOrOption::Uri(UriError::UnsupportedType) => "unsupported_uri_type",
                KeyOrOption::Uri(_) => "invalid_uri",
            },
            Self::Pin => "invalid_pin",
            Self::Allow => "invalid_allow",
            Self::Then => "invalid_then",
            Self::SplitLink { .. } => "split_link",
            Self::ThenLoop => "then_loops",
            Self::ThenUrl => "invalid_then_url",
            Self::TicketInvalid => "invalid_ticket",
            Self::BadSignature => "bad_signature",
            Self::Repeat => "invalid_repeat",
            Self::Mode => "invalid_mode",
            Self::ThenRequired => "then_required",
            Self::NotTypable => "code_not_typable",
            Self::Lang => "invalid_lang",
            Self::WarnBelow => "invalid_warn_below",
            Self::InvalidCode => "invalid_code",
            Self::Window => "invalid_window",
            Self::AfterStep => "invalid_after_step",
            Self::Bytes => "invalid_bytes",
            Self::Label => "invalid_label",
            Self::InvalidExport => "invalid_export",
            Self::Unauthorized => "unauthorized",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotForPhone => "not_for_phone",
            Self::Sealed(SealError::Invalid) => "invalid_sealed",
            Self::Sealed(SealError::TooLong) => "sealed_too_long",
            Self::Sealed(SealError::NoKeys) => "no_seal_key",
            Self::PinRequired => "pin_required",
            Self::PhoneOnly => "phone_only",
            Self::Locked { .. } => "locked",
            Self::StoreUnavailable => "store_unavailable",
            Self::TooManyParams => "too_many_parameters",
            Self::Overloaded => "overloaded",
            Self::InvalidJson => "invalid_json",
            Self::BadRequest => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Timeout => "timeout",
            Self::Clock => "clock_error",
            Self::Internal => "internal_error",
        }
    }

    /// Whether this is our fault rather than the sender's: only these are logged. Shedding
    /// load and lacking a seal key are states, not faults.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::Clock | Self::Internal)
    }
}

/// Each error of the account's parts is an account error: `SecretError::TooShort.into()`.
macro_rules! account_part {
    ($($part:ty),*) => {$(
        impl From<$part> for Error {
            fn from(error: $part) -> Self {
                Self::Account(error.into())
            }
        }
    )*};
}
account_part!(SecretError, UriError, ParamError);

impl From<EnrollError> for Error {
    fn from(error: EnrollError) -> Self {
        match error {
            EnrollError::Label => Self::Label,
            EnrollError::Internal => Self::Internal,
        }
    }
}

impl From<InvalidPin> for Error {
    fn from(_: InvalidPin) -> Self {
        Self::Pin
    }
}

impl From<InvalidAllow> for Error {
    fn from(_: InvalidAllow) -> Self {
        Self::Allow
    }
}

impl From<InvalidCode> for Error {
    fn from(_: InvalidCode) -> Self {
        Self::InvalidCode
    }
}

impl From<crate::store::Unavailable> for Error {
    fn from(_: crate::store::Unavailable) -> Self {
        Self::StoreUnavailable
    }
}

impl From<crate::otp::migration::InvalidExport> for Error {
    fn from(_: crate::otp::migration::InvalidExport) -> Self {
        Self::InvalidExport
    }
}

impl From<ClockError> for Error {
    fn from(_: ClockError) -> Self {
        Self::Clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_each_code_once() {
        let mut codes: Vec<&str> = Error::ALL.iter().map(Error::code).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before, "a code listed twice");
        assert_eq!(before, 50);
    }

    #[test]
    fn codes_are_stable() {
        let cases = [
            (Error::MissingSecret, "missing_secret"),
            (SecretError::Empty.into(), "missing_secret"),
            (SecretError::NotBase32.into(), "invalid_secret"),
            (SecretError::TooShort.into(), "secret_too_short"),
            (
                UriError::Secret(SecretError::TooLong).into(),
                "secret_too_long",
            ),
            (UriError::Param(ParamError::Digits).into(), "invalid_digits"),
            (ParamError::Period.into(), "invalid_period"),
            (ParamError::Algorithm.into(), "invalid_algorithm"),
            (UriError::Malformed.into(), "invalid_uri"),
            (UriError::UnsupportedType.into(), "unsupported_uri_type"),
            (Error::PayloadTooLarge, "payload_too_large"),
            (Error::NotFound, "not_found"),
            (Error::MethodNotAllowed, "method_not_allowed"),
            (Error::Clock, "clock_error"),
            (AccountError::Kind.into(), "invalid_kind"),
            (UriError::MissingSecret.into(), "invalid_uri"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code);
        }
    }
}
