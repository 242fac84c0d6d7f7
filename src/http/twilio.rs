//! `POST /api/twilio`: a turn of a Twilio call, answered in TwiML.
//!
//! The signature was checked as the request was read (`super::extract::Twilio`). The Voice
//! URL's query names the accounts and options, as for `/api/2fa`, on the first turn; after it
//! they come sealed in the ticket of the `action` URL the last turn gave, with the call's state
//! so far (`crate::twilio::ticket`), and this turn's answer gives the next one.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;

use super::AppState;
use super::extract::{Api, Format, Twilio};
use super::respond::{Failure, Twiml};
use crate::call;
use crate::error::Error;
use crate::twilio::{self, request::Call};
use crate::yemot::{self, Fields};

/// Answers one turn of a Twilio call: what the caller hears, and where their keys go next.
pub async fn twilio(
    State(state): State<AppState>,
    uri: Uri,
    request: Api<Twilio>,
) -> Result<Twiml, Failure> {
    let cx = state.context();
    let now = cx.clock.now().map_err(|e| request.fail(e))?;
    let fields = &request.fields;
    let progress =
        Call::read(uri.query(), fields, &state.tickets, now).map_err(|e| request.fail(e))?;
    let max = state.limits.max_params;
    let options = Fields::parse(Some(progress.options()), &Bytes::new(), false, max)
        .map_err(|e| request.fail(e))?;
    let lang = yemot::request::lang(&options);
    let fail = |error: Error| Failure::new(error, Format::Twiml).in_lang(lang);
    if let Some(tokens) = &state.tokens {
        let presented = options.get("token").filter(|t| !t.trim().is_empty());
        if !tokens.allows(presented) {
            return Err(fail(Error::Unauthorized));
        }
    }
    let ticket = progress.ticket.as_ref();
    let turn = twilio::request::turn(&options, fields, ticket).map_err(fail)?;
    let outcome = call::turn(&turn, &cx).await.map_err(fail)?;
    let typed = twilio::request::typed(fields);
    let action = progress
        .next_action(uri.path(), &outcome, typed, &state.tickets, now)
        .map_err(fail)?
        .unwrap_or_default();
    Ok(Twiml(twilio::render(&outcome, turn.settings.lang, &action)))
}
