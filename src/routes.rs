//! The HTTP handlers. They stay thin: extract, compute, render.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::account::Account;
use crate::error::{Error, Failure};
use crate::phone;
use crate::request::{Fields, Format, Rejection};
use crate::totp::{self, Algorithm, Code, ParamError, Params};
use crate::yemot::texts::HE;
use crate::yemot::{self, Reply};
use crate::{enroll, seal, verify};

/// Refuses a request without a valid access token, when the server has `ACCESS_TOKEN`.
fn authorize(state: &AppState, fields: &Fields, format: Format) -> Result<(), Failure> {
    match &state.tokens {
        Some(tokens) if !tokens.allows(fields.token()) => {
            Err(Failure::new(Error::Unauthorized, format).in_lang(phone::lang_of(fields)))
        }
        _ => Ok(()),
    }
}

/// `GET|POST /api/2fa`: the current code of `secret`, spoken for Yemot or as JSON.
pub async fn two_fa(
    State(state): State<AppState>,
    mut fields: Fields,
) -> Result<Response, Failure> {
    // Sent after the caller has gone, with the secret in it: answer at once, compute nothing.
    if fields.is_hangup() {
        return Ok(Reply::hangup_ack().into_response());
    }
    let format = fields.format;
    authorize(&state, &fields, format)?;
    let lang = phone::lang_of(&fields);
    let protection = seal::expand(&mut fields, state.seal_keys.as_deref())
        .map_err(|error| Failure::new(error, format).in_lang(lang))?;
    match format {
        Format::Phone => {
            protection.apply_to_call(&mut fields);
            Ok(phone::answer(&fields, &state.clock).into_response())
        }
        Format::Json => {
            let fail = |error: Error| Failure::new(error, Format::Json);
            protection.check_developer(&fields).map_err(fail)?;
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

/// `POST /api/verify`: whether `code` is a current code of `secret`.
pub async fn verify(
    State(state): State<AppState>,
    fields: Result<Fields, Rejection>,
) -> Result<Response, Failure> {
    let mut fields = fields.map_err(Rejection::for_developer)?;
    if fields.is_hangup() {
        return Ok(Reply::hangup_ack().into_response());
    }
    let format = fields.developer_format();
    let lang = phone::lang_of(&fields);
    let fail = |error: Error| Failure::new(error, format).in_lang(lang);
    authorize(&state, &fields, format)?;
    // Verifying needs no PIN or caller check: whoever asks already holds the code.
    seal::expand(&mut fields, state.seal_keys.as_deref()).map_err(fail)?;
    let account = Account::from_fields(&fields).map_err(fail)?;
    let code =
        verify::normalize_code(fields.get("code").unwrap_or(""), &account.params).map_err(fail)?;
    let window = fields
        .get_non_empty("window")
        .map_or(Ok(verify::DEFAULT_WINDOW), verify::parse_window)
        .map_err(fail)?;
    let after_step = fields
        .get_non_empty("after_step")
        .map(verify::parse_after_step)
        .transpose()
        .map_err(fail)?;
    let now = state.clock.now().map_err(|e| fail(e.into()))?;
    let verdict = verify::verify(
        &account.secret,
        &account.params,
        &code,
        now,
        window,
        after_step,
    );
    Ok(match format {
        Format::Json => Json(verdict).into_response(),
        Format::Phone => {
            let texts = lang.texts();
            let mut messages = yemot::Messages::new();
            messages.text(if verdict.valid {
                texts.code_valid
            } else {
                texts.code_invalid
            });
            Reply::say_then_hangup(&messages).into_response()
        }
    })
}

/// `POST /api/secret`: a new random secret, its URI and QR code. Nothing is stored.
pub async fn secret(
    State(state): State<AppState>,
    fields: Result<Fields, Rejection>,
) -> Result<Response, Failure> {
    let fields = fields.map_err(Rejection::for_developer)?;
    if fields.is_hangup() {
        return Ok(Reply::hangup_ack().into_response());
    }
    let format = fields.developer_format();
    let fail = |error: Error| Failure::new(error, format).in_lang(phone::lang_of(&fields));
    authorize(&state, &fields, format)?;
    if format == Format::Phone {
        return Err(fail(Error::NotForPhone));
    }
    let mut request = enroll::Request::default();
    if let Some(bytes) = fields.get_non_empty("bytes") {
        request.bytes = enroll::parse_bytes(bytes).map_err(fail)?;
    }
    if let Some(digits) = fields.get_non_empty("digits") {
        request.params.digits = Params::parse_digits(digits).map_err(|e| fail(e.into()))?;
    }
    if let Some(algorithm) = fields.get_non_empty("algorithm") {
        let algorithm: Algorithm = algorithm.parse().map_err(|e: ParamError| fail(e.into()))?;
        if algorithm.is_steam() {
            return Err(fail(Error::Param(ParamError::Algorithm)));
        }
        request.params.algorithm = algorithm;
    }
    if let Some(period) = fields.get_non_empty("period") {
        request.params.period = Params::parse_period(period).map_err(|e| fail(e.into()))?;
    }
    if let Some(issuer) = fields.get_non_empty("issuer") {
        request.issuer = Some(enroll::parse_label(issuer).map_err(fail)?);
    }
    if let Some(account) = fields.get_non_empty("account") {
        request.account = enroll::parse_label(account).map_err(fail)?;
    }
    let enrollment = enroll::enroll(&request).map_err(fail)?;
    Ok(Json(enrollment).into_response())
}

/// `POST /api/seal`: a sealed token for a secret and its options, and the ext.ini lines.
pub async fn seal(
    State(state): State<AppState>,
    headers: HeaderMap,
    fields: Result<Fields, Rejection>,
) -> Result<Response, Failure> {
    #[derive(Serialize)]
    struct Sealed {
        token: String,
        key_id: String,
        ext_ini: String,
    }
    let fields = fields.map_err(Rejection::for_developer)?;
    let format = fields.developer_format();
    let fail = |error: Error| Failure::new(error, format).in_lang(phone::lang_of(&fields));
    authorize(&state, &fields, format)?;
    if format == Format::Phone {
        return Err(fail(Error::NotForPhone));
    }
    let keys = state.seal_keys.as_deref();
    let token = seal::seal_fields(&fields, keys).map_err(fail)?;
    let base = public_base(&state, &headers);
    Ok(Json(Sealed {
        ext_ini: seal::ext_ini(&base, &token, state.tokens.is_some()),
        key_id: keys.map(|k| k.sealing_id().to_owned()).unwrap_or_default(),
        token,
    })
    .into_response())
}

/// This server's address as Yemot should call it: `PUBLIC_URL`, else the scheme and host the
/// request came through (`X-Forwarded-Proto`/`-Host` from a proxy such as Render's, then `Host`).
pub fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = match first("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let host = first("x-forwarded-host")
        .or_else(|| first("host"))
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("YOUR-SERVER");
    format!("{scheme}://{host}")
}

/// The OpenAPI 3.1 description of every endpoint, kept true by `tests/api/openapi.rs`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
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
    Format::for_developer(Format::of(req.headers()), req.headers())
}
