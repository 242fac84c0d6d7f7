//! `POST /api/twilio`: a turn of a Twilio call, answered in TwiML.
//!
//! The Voice URL's query names the accounts and options, as for `/api/2fa`; the signature was
//! checked as the request was read (`super::extract::Twilio`); the call's state so far comes in
//! the ticket of the `action` URL the last turn gave (`crate::twilio::ticket`), and this turn's
//! answer gives the next one.

use axum::extract::State;
use axum::http::Uri;

use super::AppState;
use super::extract::{Api, Twilio};
use super::respond::{Failure, Twiml};
use crate::call;
use crate::twilio::{self, request::Call};

/// Answers one turn of a Twilio call: what the caller hears, and where their keys go next.
pub async fn twilio(
    State(state): State<AppState>,
    uri: Uri,
    request: Api<Twilio>,
) -> Result<Twiml, Failure> {
    let cx = state.context();
    let fail = |error| request.fail(error);
    let now = cx.clock.now().map_err(|e| fail(e.into()))?;
    let fields = &request.fields;
    let progress = Call::read(uri.query(), fields, &state.tickets, now);
    let turn = twilio::request::turn(fields, progress.ticket.as_ref()).map_err(fail)?;
    let outcome = call::turn(&turn, &cx).await.map_err(fail)?;
    let typed = twilio::request::typed(fields);
    let action = progress
        .next_action(uri.path(), &outcome, typed, &state.tickets, now)
        .unwrap_or_default();
    Ok(Twiml(twilio::render(&outcome, turn.settings.lang, &action)))
}
