//! `GET|POST /api/2fa`: the current code, spoken for Yemot or as JSON for a developer.

use axum::extract::State;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::app::{Answer, DirectFuture, RequestBody, ResponseBody, Text, text_answer};
use super::extract::{Api, Format, Phones};
use super::params;
use super::respond::Failure;
use crate::call::{self, Lang, texts::HE};
use crate::otp::code::{Code, Params};
use crate::yemot::{self, reply::Messages};

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
    let spoken = yemot::render::messages(&call::code_speech(&code, None, &HE), Lang::He);
    Ok(TwoFa::Json(json(&CodeBody::new(&code, &params, &spoken))))
}

/// `body` serialized as axum's `Json` would, into one buffer with room for a code's answer.
fn json(body: &impl Serialize) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(320);
    // Serializing plain structs of strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut buffer, body);
    buffer
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
pub enum TwoFa {
    /// A reply for Yemot.
    Spoken(yemot::Reply),
    /// The code as JSON, serialized.
    Json(Vec<u8>),
}

// Both hold a code: only the kind and the length are shown.
impl std::fmt::Debug for TwoFa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spoken(reply) => write!(f, "Spoken({reply:?})"),
            Self::Json(body) => write!(f, "Json({} bytes)", body.len()),
        }
    }
}

/// The `Content-Type` of a JSON answer, as axum's `Json` writes it.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

impl IntoResponse for TwoFa {
    fn into_response(self) -> Response {
        match self {
            Self::Spoken(reply) => reply.into_response(),
            Self::Json(body) => ([(header::CONTENT_TYPE, JSON)], body).into_response(),
        }
    }
}

impl Answer for TwoFa {
    fn into_direct(self) -> axum::http::Response<ResponseBody> {
        match self {
            Self::Spoken(reply) => reply.into_direct(),
            Self::Json(body) => text_answer(Text::new(body, 0), JSON),
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
    id_list_message: &'a str,
}

impl<'a> CodeBody<'a> {
    fn new(code: &'a Code, params: &Params, spoken: &'a Messages) -> Self {
        Self {
            code: code.as_str(),
            digits: params.digits,
            period: params.period,
            algorithm: params.algorithm.as_str(),
            step: code.step,
            ttl: code.ttl,
            valid_until: code.valid_until,
            id_list_message: spoken.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Speech;
    use crate::otp::{Secret, code::code_at};

    #[test]
    fn debug_of_an_answer_does_not_say_the_code() {
        // RFC 6238's SHA1 seed at 1234567890: 005924 (oathtool -N @1234567890).
        let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let code = code_at(&secret, &Params::default(), 1_234_567_890);
        assert_eq!(code.as_str(), "005924");
        let mut speech = Speech::new();
        speech.code(&code);
        let spoken = yemot::render::messages(&speech, Lang::He);
        let json = json(&CodeBody::new(&code, &Params::default(), &spoken));
        let said = call::Outcome::end(speech);
        let reply = yemot::render(&said, Lang::He);
        let (buffer, start) = yemot::render(&said, Lang::He).into_buffer();
        assert!(String::from_utf8_lossy(&buffer).contains("d-005.d-924"));
        for shown in [
            format!("{:?}", TwoFa::Json(json)),
            format!("{:?}", TwoFa::Spoken(reply)),
            format!(
                "{:?}",
                super::super::app::Chunk::Text(Text::new(buffer.clone(), start))
            ),
            format!(
                "{:?}",
                super::super::app::Chunk::Bytes(bytes::Bytes::from(buffer.clone()))
            ),
            format!("{:?}", Text::new(buffer, start)),
        ] {
            // Neither as text nor as bytes ("0" "0" "5" is 48, 48, 53).
            assert!(!shown.contains("005") && !shown.contains("924"), "{shown}");
            assert!(!shown.contains("48, 48, 53"), "{shown}");
        }
    }
}
