//! The one place where an error becomes an answer: a status and `{"error": "<code>",
//! "message": "…"}` for a JSON client, or a short spoken sentence with HTTP 200 for a phone
//! (any other status makes Yemot play M1607 "no answer from API server"). Server faults are
//! logged here, with their code only; a sender's mistakes are not logged at all.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::app::{Answer, ResponseBody, Text, text_answer};
use super::extract::Format;
use super::metrics::Outcome;
use crate::call::{self, Lang};
use crate::error::Error;
use crate::otp::seal::SealError;
use crate::twilio;
use crate::yemot::{self, Reply};

/// The HTTP status a JSON client gets for `error`.
pub fn status(error: &Error) -> StatusCode {
    match error {
        Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::PinRequired | Error::PhoneOnly | Error::BadSignature => StatusCode::FORBIDDEN,
        Error::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Sealed(SealError::NoKeys) | Error::Overloaded | Error::StoreUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Error::Timeout => StatusCode::REQUEST_TIMEOUT,
        Error::Clock | Error::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // Named one by one, so that a new variant must be given its status here.
        Error::MissingSecret
        | Error::Account(_)
        | Error::Pin
        | Error::Allow
        | Error::Then
        | Error::Mode
        | Error::ThenRequired
        | Error::NotTypable
        | Error::Repeat
        | Error::ThenLoop
        | Error::ThenUrl
        | Error::TicketInvalid
        | Error::SplitLink { .. }
        | Error::Lang
        | Error::WarnBelow
        | Error::InvalidCode
        | Error::Window
        | Error::AfterStep
        | Error::Bytes
        | Error::Label
        | Error::InvalidExport
        | Error::NotForPhone
        | Error::Sealed(SealError::Invalid | SealError::TooLong)
        | Error::TooManyParams
        | Error::InvalidJson
        | Error::BadRequest => StatusCode::BAD_REQUEST,
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
        let mut response = match self.format {
            Format::Phone => {
                yemot::render(&call::spoken_error(self.error, self.lang), self.lang).into_response()
            }
            // Not Twilio's, or not for this server: no TwiML at all.
            Format::Twiml if self.error == Error::BadSignature => {
                (StatusCode::FORBIDDEN, "").into_response()
            }
            Format::Twiml => {
                let said = call::spoken_error(self.error, self.lang);
                Twiml(twilio::render(&said, self.lang, "")).into_response()
            }
            Format::Json => {
                let body = ErrorBody {
                    error: self.error.code(),
                    message: self.error.to_string(),
                };
                let mut response = (status(&self.error), Json(body)).into_response();
                let headers = response.headers_mut();
                match self.error {
                    Error::Unauthorized => {
                        headers
                            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                    }
                    Error::Locked { retry_after } => {
                        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                    }
                    _ => {}
                }
                response
            }
        };
        response.extensions_mut().insert(Outcome(self.error.code()));
        response
    }
}

/// A TwiML document, for Twilio.
pub struct Twiml(pub String);

// It says the code: only its length is shown.
impl std::fmt::Debug for Twiml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Twiml({} bytes)", self.0.len())
    }
}

/// TwiML's `Content-Type`.
const TWIML_TYPE: HeaderValue = HeaderValue::from_static("text/xml; charset=utf-8");

impl IntoResponse for Twiml {
    /// Always 200: any other status makes Twilio play its own "application error" message.
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, TWIML_TYPE)],
            axum::body::Body::from(self.0),
        )
            .into_response()
    }
}

impl Answer for Twiml {}

/// Every reply's `Content-Type`.
const REPLY_TYPE: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

impl IntoResponse for Reply {
    /// Always 200 and `text/plain; charset=utf-8`: any other status makes Yemot play M1607.
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, REPLY_TYPE)],
            axum::body::Body::from(self.into_bytes()),
        )
            .into_response()
    }
}

impl Answer for Reply {
    /// As [`IntoResponse`], the reply's own buffer as the body.
    fn into_direct(self) -> axum::http::Response<ResponseBody> {
        let (buffer, start) = self.into_buffer();
        text_answer(Text::new(buffer, start), REPLY_TYPE)
    }
}

impl Answer for Failure {}

impl Answer for super::extract::Refusal {}

impl<T: Answer, E: Answer> Answer for Result<T, E> {
    fn into_direct(self) -> axum::http::Response<ResponseBody> {
        match self {
            Ok(answer) => answer.into_direct(),
            Err(answer) => answer.into_direct(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::code::ParamError;
    use crate::otp::otpauth::UriError;
    use crate::otp::secret::SecretError;

    #[test]
    fn statuses_match_the_documented_ones() {
        let cases = [
            (Error::MissingSecret, "missing_secret", 400),
            (SecretError::Empty.into(), "missing_secret", 400),
            (SecretError::NotBase32.into(), "invalid_secret", 400),
            (SecretError::TooShort.into(), "secret_too_short", 400),
            (
                UriError::Secret(SecretError::TooLong).into(),
                "secret_too_long",
                400,
            ),
            (
                UriError::Param(ParamError::Digits).into(),
                "invalid_digits",
                400,
            ),
            (ParamError::Period.into(), "invalid_period", 400),
            (ParamError::Algorithm.into(), "invalid_algorithm", 400),
            (UriError::Malformed.into(), "invalid_uri", 400),
            (
                UriError::UnsupportedType.into(),
                "unsupported_uri_type",
                400,
            ),
            (Error::PayloadTooLarge, "payload_too_large", 413),
            (Error::NotFound, "not_found", 404),
            (Error::MethodNotAllowed, "method_not_allowed", 405),
            (Error::Clock, "clock_error", 500),
            (Error::Locked { retry_after: 9 }, "locked", 429),
            (Error::StoreUnavailable, "store_unavailable", 503),
        ];
        for (error, code, want) in cases {
            assert_eq!(error.code(), code);
            assert_eq!(status(&error).as_u16(), want, "{code}");
        }
    }
}
