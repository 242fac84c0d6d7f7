//! `GET|POST /api/2fa`: the current code, spoken for Yemot or as JSON for a developer.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::extract::{Api, Format, Phones};
use super::respond::Failure;
use crate::call::guard::{self, Client};
use crate::call::{self, accounts, texts::HE};
use crate::otp::code::{Code, Params, code_at};

/// Answers a turn of a call, or gives a JSON client the code of the one account it names.
pub async fn two_fa(
    State(state): State<AppState>,
    request: Api<Phones>,
) -> Result<Response, Failure> {
    let cx = state.context();
    let fields = &request.fields;
    if request.format == Format::Phone {
        return call::turn(fields, &cx)
            .await
            .map(IntoResponse::into_response)
            .map_err(|e| request.fail(e));
    }
    let entry = accounts::single(fields, cx.keys).map_err(|e| request.fail(e))?;
    guard::admit_client(&entry, fields.get("pin"), Client::Http, &cx)
        .await
        .map_err(|e| request.fail(e))?;
    let now = state.clock.now().map_err(|e| request.fail(e))?;
    let params = entry.account.params;
    let code = code_at(&entry.account.secret, &params, now);
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
            id_list_message: call::code_messages(code, HE.intro, &HE).as_str().to_owned(),
        }
    }
}
