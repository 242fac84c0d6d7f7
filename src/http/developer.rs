//! The endpoints made for developers: `POST /api/verify` checks a typed code, `POST /api/secret`
//! makes a new one. Both answer JSON unless Yemot itself asks.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{Api, Developers, Format};
use super::params;
use super::respond::Failure;
use crate::call;
use crate::error::Error;
use crate::otp::enroll;
use crate::yemot;

/// `POST /api/verify`: whether `code` is a current code of the account. Everything sealed in a
/// token holds here as on the phone: its allow-list, its PIN, and the count of guesses.
pub async fn verify(
    State(state): State<AppState>,
    request: Api<Developers>,
) -> Result<Response, Failure> {
    let fail = |error| request.fail(error);
    let asked = params::verify(&request.fields, request.format).map_err(fail)?;
    let verdict = call::verify::check(&asked, &state.context())
        .await
        .map_err(fail)?;
    Ok(match request.format {
        Format::Json => Json(verdict).into_response(),
        Format::Phone => {
            yemot::render(&call::verify::told(&verdict, request.lang), request.lang).into_response()
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
    let fail = |error: Error| request.fail(error);
    if request.format == Format::Phone {
        return Err(fail(Error::NotForPhone));
    }
    let wanted = params::enrollment(&request.fields).map_err(fail)?;
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
