//! The HTTP handlers. They stay thin: extract, compute, render.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::account::Account;
use crate::error::{Error, Failure};
use crate::phone;
use crate::request::{Fields, Format};
use crate::totp::{self, Code, Params};
use crate::yemot::texts::HE;
use crate::yemot::{self, Reply};

/// `GET|POST /api/2fa`: the current code of `secret`, spoken for Yemot or as JSON.
pub async fn two_fa(State(state): State<AppState>, fields: Fields) -> Result<Response, Failure> {
    // Sent after the caller has gone, with the secret in it: answer at once, compute nothing.
    if fields.is_hangup() {
        return Ok(Reply::hangup_ack().into_response());
    }
    match fields.format {
        Format::Phone => Ok(phone::answer(&fields, &state.clock).into_response()),
        Format::Json => {
            let fail = |error: Error| Failure::new(error, Format::Json);
            let account = Account::from_fields(&fields).map_err(fail)?;
            let now = state.clock.now().map_err(|e| fail(e.into()))?;
            let code = totp::code_at(&account.secret, &account.params, now);
            Ok(Json(CodeBody::new(&code, &account.params)).into_response())
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
            id_list_message: yemot::code_messages(code, HE.intro, &HE)
                .as_str()
                .to_owned(),
        }
    }
}

/// `GET /health`: liveness, the server's clock and version. A wrong clock means wrong codes, so
/// operators must be able to see it.
pub async fn health(State(state): State<AppState>) -> Result<Response, Failure> {
    #[derive(Serialize)]
    struct Health {
        status: &'static str,
        time: u64,
        version: &'static str,
    }
    let time = state
        .clock
        .now()
        .map_err(|e| Failure::new(e.into(), Format::Json))?;
    Ok(Json(Health {
        status: "ok",
        time,
        version: env!("CARGO_PKG_VERSION"),
    })
    .into_response())
}

/// Unknown paths. A Yemot extension whose `api_link` has a typo hears what to fix instead of
/// M1607; everyone else gets a JSON 404.
pub async fn not_found(req: Request) -> Failure {
    Failure::new(Error::NotFound, fallback_format(&req))
}

/// Known paths with an unknown method, answered like [`not_found`].
pub async fn method_not_allowed(req: Request) -> Failure {
    Failure::new(Error::MethodNotAllowed, fallback_format(&req))
}

/// For requests outside `/api/2fa`, only a sender that says it is Yemot gets phone text.
fn fallback_format(req: &Request) -> Format {
    let from_yemot = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("yemot"));
    if from_yemot && Format::of(req.headers()) == Format::Phone {
        Format::Phone
    } else {
        Format::Json
    }
}

/// The last line of defence, around every route: a panic or a request slower than
/// [`crate::REQUEST_TIMEOUT`] is answered in the sender's language (a spoken apology for a
/// phone, since any non-200 makes Yemot play M1607) instead of a bare 500 or 408.
pub async fn guard(req: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    let format = Format::of(req.headers());
    let run = std::panic::AssertUnwindSafe(next.run(req)).catch_unwind();
    match tokio::time::timeout(crate::REQUEST_TIMEOUT, run).await {
        Ok(Ok(response)) => response,
        Ok(Err(_panic)) => Failure::new(Error::Internal, format).into_response(),
        Err(_elapsed) => Failure::new(Error::Timeout, format).into_response(),
    }
}
