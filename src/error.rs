//! Every way a request can fail, and how each is told: a short spoken message for a phone caller
//! (always HTTP 200, since any other status makes Yemot play M1607 "no answer from API server"),
//! or a 4xx/5xx with `{"error": "<stable_code>", "message": "…"}` for a JSON client.
//!
//! No variant carries input: messages are fixed texts, so a secret cannot reach a reply or a log
//! through an error.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::otpauth::UriError;
use crate::request::Format;
use crate::seal::SealError;
use crate::secret::SecretError;
use crate::totp::ParamError;
use crate::yemot::{self, Lang};

/// A failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 400 `missing_secret`: no `secret` parameter.
    #[error("no secret was given: send secret=<base32 key or otpauth:// URI>")]
    MissingSecret,
    /// 400 `invalid_secret`, `secret_too_short` or `secret_too_long`.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// 400 `invalid_uri` or `unsupported_uri_type`; a bad key inside maps like [`Error::Secret`].
    #[error(transparent)]
    Uri(#[from] UriError),
    /// 400 `invalid_digits`, `invalid_period` or `invalid_algorithm`.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// 400 `invalid_kind`: `kind` is not `totp` or `steam`.
    #[error("kind must be totp or steam")]
    Kind,
    /// 400 `invalid_pin`: the extension's `pin` is not 4 to 12 digits.
    #[error("pin must be 4 to 12 digits")]
    Pin,
    /// 400 `invalid_allow`: `allow` holds no phone number.
    #[error("allow must list phone numbers, separated by commas")]
    Allow,
    /// 400 `invalid_then`: `then` is not `hangup` or a folder path.
    #[error("then must be hangup or a folder path such as /1/2")]
    Then,
    /// 400 `invalid_lang`: `lang` is not `he` or `en`.
    #[error("lang must be he or en")]
    Lang,
    /// 400 `invalid_warn_below`: `warn_below` is not a whole number of seconds from 0 to 60.
    #[error("warn_below must be a whole number of seconds from 0 to 60")]
    WarnBelow,
    /// 400 `invalid_code`: `code` is missing or not `digits` digits (5 characters for Steam).
    #[error("code must be the digits of the code (spaces, #, * and - are ignored)")]
    InvalidCode,
    /// 400 `invalid_window`: `window` is not 0 to 10.
    #[error("window must be a whole number of steps from 0 to 10")]
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
    /// 401 `unauthorized`: the server has `ACCESS_TOKEN` set and the request's token is missing
    /// or wrong.
    #[error("a valid access token is required: token=<token> or Authorization: Bearer <token>")]
    Unauthorized,
    /// 415 `unsupported_media_type`: a multipart body, which no endpoint reads.
    #[error("send the parameters as a form (application/x-www-form-urlencoded) or as JSON")]
    UnsupportedMediaType,
    /// 400 `not_for_phone`: a phone reached an endpoint made for developers.
    #[error("this endpoint answers developers, not phones")]
    NotForPhone,
    /// 400 `invalid_sealed` (a token this server cannot open, whatever the reason) or
    /// 503 `no_seal_key` (the server has no `SEAL_KEYS`).
    #[error(transparent)]
    Sealed(SealError),
    /// 403 `pin_required`: a sealed secret with a PIN, asked for without the right `pin`.
    #[error("this sealed secret has a PIN: send it as pin")]
    PinRequired,
    /// 403 `phone_only`: a sealed secret with an allow-list, asked for by a JSON client.
    #[error("this sealed secret is read only to allowed callers on the phone")]
    PhoneOnly,
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
    /// 413 `payload_too_large`.
    #[error("the request body is larger than 16 KiB")]
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
        Self::Secret(SecretError::NotBase32),
        Self::Secret(SecretError::TooShort),
        Self::Secret(SecretError::TooLong),
        Self::Uri(UriError::Malformed),
        Self::Uri(UriError::UnsupportedType),
        Self::Param(ParamError::Digits),
        Self::Param(ParamError::Period),
        Self::Param(ParamError::Algorithm),
        Self::Kind,
        Self::Pin,
        Self::Allow,
        Self::Then,
        Self::Lang,
        Self::WarnBelow,
        Self::InvalidCode,
        Self::Window,
        Self::AfterStep,
        Self::Bytes,
        Self::Label,
        Self::Unauthorized,
        Self::UnsupportedMediaType,
        Self::NotForPhone,
        Self::Sealed(SealError::Invalid),
        Self::Sealed(SealError::NoKeys),
        Self::PinRequired,
        Self::PhoneOnly,
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
            Self::Secret(e) | Self::Uri(UriError::Secret(e)) => match e {
                SecretError::Empty => "missing_secret",
                SecretError::NotBase32 => "invalid_secret",
                SecretError::TooShort => "secret_too_short",
                SecretError::TooLong => "secret_too_long",
            },
            Self::Uri(UriError::Param(e)) | Self::Param(e) => match e {
                ParamError::Digits => "invalid_digits",
                ParamError::Period => "invalid_period",
                ParamError::Algorithm => "invalid_algorithm",
            },
            Self::Uri(UriError::UnsupportedType) => "unsupported_uri_type",
            Self::Uri(UriError::MissingSecret | UriError::Malformed) => "invalid_uri",
            Self::Kind => "invalid_kind",
            Self::Pin => "invalid_pin",
            Self::Allow => "invalid_allow",
            Self::Then => "invalid_then",
            Self::Lang => "invalid_lang",
            Self::WarnBelow => "invalid_warn_below",
            Self::InvalidCode => "invalid_code",
            Self::Window => "invalid_window",
            Self::AfterStep => "invalid_after_step",
            Self::Bytes => "invalid_bytes",
            Self::Label => "invalid_label",
            Self::Unauthorized => "unauthorized",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotForPhone => "not_for_phone",
            Self::Sealed(SealError::Invalid) => "invalid_sealed",
            Self::Sealed(SealError::NoKeys) => "no_seal_key",
            Self::PinRequired => "pin_required",
            Self::PhoneOnly => "phone_only",
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

    /// The HTTP status a JSON client gets.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::PinRequired | Self::PhoneOnly => StatusCode::FORBIDDEN,
            Self::Sealed(SealError::NoKeys) | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Clock | Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether this is our fault rather than the sender's: only these are logged. Shedding
    /// load and lacking a seal key are states, not faults.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::Clock | Self::Internal)
    }
}

/// An error together with the language it must be told in.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// Whom to tell.
    pub format: Format,
    /// The voice, for a phone.
    pub lang: Lang,
}

impl Failure {
    /// Pairs an error with the format of the request it answers (a phone hears Hebrew).
    pub fn new(error: Error, format: Format) -> Self {
        Self {
            error,
            format,
            lang: Lang::He,
        }
    }

    /// The same failure, spoken in `lang` to a phone.
    pub fn in_lang(self, lang: Lang) -> Self {
        Self { lang, ..self }
    }
}

/// The JSON error body.
#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.error.is_server_fault() {
            // The error text is fixed; nothing of the request is logged.
            tracing::error!(
                error = self.error.code(),
                "request failed on the server side"
            );
        }
        match self.format {
            Format::Phone => yemot::Reply::error(self.error, self.lang).into_response(),
            Format::Json => {
                let body = ErrorBody {
                    error: self.error.code(),
                    message: self.error.to_string(),
                };
                let mut response = (self.error.status(), Json(body)).into_response();
                if self.error == Error::Unauthorized {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                response
            }
        }
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
        assert_eq!(before, 37);
    }

    #[test]
    fn codes_are_stable_and_statuses_match() {
        let cases = [
            (Error::MissingSecret, "missing_secret", 400),
            (Error::Secret(SecretError::Empty), "missing_secret", 400),
            (Error::Secret(SecretError::NotBase32), "invalid_secret", 400),
            (
                Error::Secret(SecretError::TooShort),
                "secret_too_short",
                400,
            ),
            (
                Error::Uri(UriError::Secret(SecretError::TooLong)),
                "secret_too_long",
                400,
            ),
            (
                Error::Uri(UriError::Param(ParamError::Digits)),
                "invalid_digits",
                400,
            ),
            (Error::Param(ParamError::Period), "invalid_period", 400),
            (
                Error::Param(ParamError::Algorithm),
                "invalid_algorithm",
                400,
            ),
            (Error::Uri(UriError::Malformed), "invalid_uri", 400),
            (
                Error::Uri(UriError::UnsupportedType),
                "unsupported_uri_type",
                400,
            ),
            (Error::PayloadTooLarge, "payload_too_large", 413),
            (Error::NotFound, "not_found", 404),
            (Error::MethodNotAllowed, "method_not_allowed", 405),
            (Error::Clock, "clock_error", 500),
        ];
        for (error, code, status) in cases {
            assert_eq!(error.code(), code);
            assert_eq!(error.status().as_u16(), status, "{code}");
        }
    }
}
