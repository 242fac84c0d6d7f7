//! `GET|POST /api/2fa`: the current code, spoken for Yemot or as JSON for a developer.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::extract::{Api, Format, Phones};
use super::params;
use super::respond::Failure;
use crate::call::{self, Lang, texts::HE};
use crate::otp::code::{Code, Params};
use crate::yemot;

/// Answers a turn of a call, or gives a JSON client the code of the one account it names.
pub async fn two_fa(
    State(state): State<AppState>,
    request: Api<Phones>,
) -> Result<Response, Failure> {
    let cx = state.context();
    let fail = |error| request.fail(error);
    if request.format == Format::Phone {
        let turn = yemot::request::turn(&request.fields).map_err(fail)?;
        let outcome = call::turn(&turn, &cx).await.map_err(fail)?;
        return Ok(yemot::render(&outcome, turn.settings.lang).into_response());
    }
    let asked = params::code(&request.fields).map_err(fail)?;
    let (code, params) = call::read_code(&asked, &cx).await.map_err(fail)?;
    Ok(Json(CodeBody::new(&code, &params)).into_response())
}

/// The JSON answer of `/api/2fa`.
#[derive(Serialize)]
struct CodeBody<'a> {
    /// The code, leading zeros kept (Steam: 5 letters and digits).
    code: &'a str,
    digits: u8,
    period: u64,
    algorithm: &'static str,
    /// `time / period`: the counter the code was made from.
    step: u64,
    /// Seconds until the next code.
    ttl: u64,
    /// Unix time at which this code stops being current.
    valid_until: u64,
    /// What Yemot would be told to say, for clients that relay it.
    id_list_message: String,
}

impl<'a> CodeBody<'a> {
    fn new(code: &'a Code, params: &Params) -> Self {
        Self {
            code: code.as_str(),
            digits: params.digits,
            period: params.period,
            algorithm: params.algorithm.as_str(),
            step: code.step,
            ttl: code.ttl,
            valid_until: code.valid_until,
            id_list_message: yemot::render::messages(&call::code_speech(code, None, &HE), Lang::He)
                .as_str()
                .to_owned(),
        }
    }
}
