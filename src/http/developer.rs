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
        // A developers' endpoint is never answered in TwiML (`extract::Developers`).
        Format::Json | Format::Twiml => Json(verdict).into_response(),
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

/// `POST /api/import`: a Google Authenticator export (`links`: one QR code's text per line, one
/// or more of a batch) read into its accounts. Time-based ones come with their key in base32 and
/// settings, as a menu of the setup page takes them; counter-based ones are listed and refused.
/// Nothing is kept.
pub async fn import(request: Api<Developers>) -> Result<Response, Failure> {
    let fail = |error: Error| request.fail(error);
    if request.format == Format::Phone {
        return Err(fail(Error::NotForPhone));
    }
    let imported = call::import::import(params::import_links(&request.fields)).map_err(fail)?;
    Ok(Json(ImportBody::new(&imported)).into_response())
}

/// The JSON answer of `/api/import`.
#[derive(serde::Serialize)]
struct ImportBody {
    accounts: Vec<ImportedAccount>,
    /// How many QR codes the export has, and which were read (0 for the first).
    parts: u32,
    read: Vec<u32>,
}

#[derive(serde::Serialize)]
struct ImportedAccount {
    label: String,
    account: String,
    usable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digits: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    algorithm: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u64>,
    /// `hotp` (a counter-based code) or `unusable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<&'static str>,
}

impl ImportBody {
    fn new(imported: &call::import::Imported) -> Self {
        use crate::otp::migration::Refused;
        let accounts = imported
            .accounts
            .iter()
            .map(|a| {
                let mut out = ImportedAccount {
                    label: a.label.clone(),
                    account: a.account.clone(),
                    usable: a.outcome.is_ok(),
                    secret: None,
                    digits: None,
                    algorithm: None,
                    period: None,
                    refused: None,
                };
                match &a.outcome {
                    Ok(account) => {
                        let params = account.params;
                        out.secret =
                            Some(data_encoding::BASE32_NOPAD.encode(account.secret.as_bytes()));
                        out.digits = Some(params.digits);
                        out.algorithm = Some(params.algorithm.as_str());
                        out.period = Some(params.period);
                    }
                    Err(Refused::Hotp) => out.refused = Some("hotp"),
                    Err(Refused::Unusable) => out.refused = Some("unusable"),
                }
                out
            })
            .collect();
        Self {
            accounts,
            parts: imported.parts,
            read: imported.read.clone(),
        }
    }
}
