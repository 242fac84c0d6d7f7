//! The endpoints made for developers: `POST /api/verify` checks a typed code, `POST /api/secret`
//! makes a new one. Both answer JSON unless Yemot itself asks.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{Api, Developers, Format};
use super::respond::Failure;
use crate::bounded;
use crate::call::accounts;
use crate::call::guard::{self, Client};
use crate::error::Error;
use crate::otp::code::{Algorithm, ParamError, Params};
use crate::otp::enroll;
use crate::otp::verify::{DEFAULT_WINDOW, MAX_WINDOW};
use crate::yemot::{Messages, Reply};

/// `POST /api/verify`: whether `code` is a current code of the account. Everything sealed in a
/// token holds here as on the phone: its allow-list, its PIN, and the lockout that every wrong
/// code counts towards.
pub async fn verify(
    State(state): State<AppState>,
    request: Api<Developers>,
) -> Result<Response, Failure> {
    let cx = state.context();
    let fields = &request.fields;
    let fail = |error: Error| request.fail(error);
    let entry = accounts::single(fields, cx.keys).map_err(fail)?;
    let window = match fields.get_non_empty("window") {
        None => DEFAULT_WINDOW,
        Some(w) => bounded::parse(w, 0..=MAX_WINDOW).ok_or(fail(Error::Window))?,
    };
    let after_step = fields
        .get_non_empty("after_step")
        .map(|a| bounded::parse(a, 0..=u64::MAX).ok_or(fail(Error::AfterStep)))
        .transpose()?;
    let client = match request.format {
        Format::Phone => Client::Phone(fields.caller()),
        Format::Json => Client::Http,
    };
    guard::admit_client(&entry, fields.get("pin"), client, &cx)
        .await
        .map_err(fail)?;
    let typed = fields.get("code").unwrap_or("");
    let verdict = guard::verify_code(&entry, typed, window, after_step, client, &cx)
        .await
        .map_err(fail)?;
    Ok(match request.format {
        Format::Json => Json(verdict).into_response(),
        Format::Phone => {
            let texts = request.lang.texts();
            let mut messages = Messages::new();
            messages.text(if verdict.valid {
                texts.code_valid
            } else {
                texts.code_invalid
            });
            Reply::say_then_hangup(messages).into_response()
        }
    })
}

/// How long a request waits for its turn to draw a QR code.
const DRAWING_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `POST /api/secret`: a new random secret, its URI and QR code. Nothing is stored.
///
/// Drawing a QR code costs milliseconds of CPU: it runs off the async workers, a few at a
/// time (`AppState::drawing`), so that it never holds up the requests beside it.
pub async fn secret(
    State(state): State<AppState>,
    request: Api<Developers>,
) -> Result<Response, Failure> {
    let fields = &request.fields;
    let fail = |error: Error| request.fail(error);
    if request.format == Format::Phone {
        return Err(fail(Error::NotForPhone));
    }
    let mut wanted = enroll::Request::default();
    if let Some(bytes) = fields.get_non_empty("bytes") {
        wanted.bytes = bounded::parse(bytes, enroll::MIN_BYTES..=enroll::MAX_BYTES)
            .ok_or(fail(Error::Bytes))?;
    }
    if let Some(digits) = fields.get_non_empty("digits") {
        wanted.params.digits = Params::parse_digits(digits).map_err(|e| fail(e.into()))?;
    }
    if let Some(algorithm) = fields.get_non_empty("algorithm") {
        let algorithm: Algorithm = algorithm.parse().map_err(|e: ParamError| fail(e.into()))?;
        if algorithm.is_steam() {
            return Err(fail(ParamError::Algorithm.into()));
        }
        wanted.params.algorithm = algorithm;
    }
    if let Some(period) = fields.get_non_empty("period") {
        wanted.params.period = Params::parse_period(period).map_err(|e| fail(e.into()))?;
    }
    if let Some(issuer) = fields.get_non_empty("issuer") {
        wanted.issuer = Some(enroll::parse_label(issuer).map_err(|e| fail(e.into()))?);
    }
    if let Some(account) = fields.get_non_empty("account") {
        wanted.account = enroll::parse_label(account).map_err(|e| fail(e.into()))?;
    }
    let turn = tokio::time::timeout(DRAWING_WAIT, state.drawing.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or(fail(Error::Overloaded))?;
    let enrollment = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        enroll::enroll(&wanted)
    })
    .await
    .map_err(|_| fail(Error::Internal))?
    .map_err(|e| fail(e.into()))?;
    Ok(Json(enrollment).into_response())
}
