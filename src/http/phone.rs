//! `GET|POST /api/2fa`: the current code, spoken for Yemot or as JSON for a developer.

use axum::Json;
use axum::extract::State;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::app::{Answer, DirectFuture, RequestBody};
use super::extract::{Api, Format, Phones};
use super::params;
use super::respond::Failure;
use crate::call::{self, Lang, texts::HE};
use crate::otp::code::{Code, Params};
use crate::yemot;

/// Answers a turn of a call, or gives a JSON client the code of the one account it names.
pub async fn two_fa(State(state): State<AppState>, request: Api<Phones>) -> Result<TwoFa, Failure> {
    let cx = state.context();
    let fail = |error| request.fail(error);
    if request.format == Format::Phone {
        let turn = yemot::request::turn(&request.fields).map_err(fail)?;
        let outcome = call::turn(&turn, &cx).await.map_err(fail)?;
        return Ok(TwoFa::Spoken(yemot::render(&outcome, turn.settings.lang)));
    }
    let asked = params::code(&request.fields).map_err(fail)?;
    let (code, params) = call::read_code(&asked, &cx).await.map_err(fail)?;
    Ok(TwoFa::Json(
        Json(CodeBody::new(&code, &params)).into_response(),
    ))
}

/// [`two_fa`] on the direct way (`super::app`): the same extractor, handler and answer.
pub fn two_fa_direct(req: Request<RequestBody>, state: AppState) -> DirectFuture {
    Box::pin(async move {
        let (parts, body) = req.into_parts();
        match Api::<Phones>::read(&parts, body, &state).await {
            Ok(request) => two_fa(State(state), request).await.into_direct(),
            Err(refusal) => refusal.into_direct(),
        }
    })
}

/// What [`two_fa`] answers.
#[derive(Debug)]
pub enum TwoFa {
    /// A reply for Yemot.
    Spoken(yemot::Reply),
    /// The JSON code.
    Json(Response),
}

impl IntoResponse for TwoFa {
    fn into_response(self) -> Response {
        match self {
            Self::Spoken(reply) => reply.into_response(),
            Self::Json(response) => response,
        }
    }
}

impl Answer for TwoFa {
    fn into_direct(self) -> axum::http::Response<super::app::ResponseBody> {
        match self {
            Self::Spoken(reply) => reply.into_direct(),
            Self::Json(response) => response.map(Into::into),
        }
    }
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
