//! `mode=verify`: the caller types the code from their authenticator app, and only a valid one
//! opens the way to `then`. A guard in front of a folder (a voicemail box, an admin menu, a
//! door): the code is never said aloud.
//!
//! | step | asks with | the next request carries |
//! | --- | --- | --- |
//! | the code, try N (1..=3) | `codeN` | `code1=…`, …, `codeN=…` |
//!
//! A wrong code is asked again, three tries in a call, and every wrong one also counts in the
//! account's lockout ([`crate::store`]), so that many short calls cannot guess it. A code that
//! opened the way once is used: its step is claimed in the store, atomically, shared by every
//! replica with `REDIS_URL`, and refused if typed again. Silence ends the call.

use crate::error::Error;
use crate::otp::verify::{self, Verdict};
use crate::store::Status;
use crate::yemot::{Fields, Messages, Read, Reply};

use super::accounts::Entry;
use super::guard::{Context, end};
use super::settings::Settings;

/// Most tries in one call.
pub const MAX_TRIES: u32 = 3;
/// Seconds to type a code: finding it in the app takes a moment.
const CODE_WAIT_SECONDS: u8 = 20;

/// Answers one turn of a verifying call for `entry`, once the caller has been let through.
///
/// # Errors
///
/// [`Error::NotTypable`] for Steam Guard codes, [`Error::Locked`] for a locked account or the
/// wrong code that locks it, [`Error::StoreUnavailable`] when the lockout or the used codes
/// cannot be checked (the way stays closed).
pub async fn turn(
    entry: &Entry,
    settings: &Settings,
    fields: &Fields,
    cx: &Context<'_>,
    now: u64,
) -> Result<Reply, Error> {
    let params = entry.account.params;
    if params.algorithm.is_steam() {
        return Err(Error::NotTypable);
    }
    let texts = settings.lang.texts();
    let id = entry.identity();
    if let Status::Locked { retry_after } = cx.store.status(&id, now).await? {
        return Err(Error::Locked { retry_after });
    }
    let Some((try_number, typed)) = fields.latest_round("code", MAX_TRIES) else {
        return Ok(ask(1, None, settings, params.digits));
    };
    let typed = typed.trim();
    if typed.is_empty() || typed.eq_ignore_ascii_case("none") {
        return Ok(end(texts.goodbye));
    }
    let verdict = verify::normalize_code(typed, &params).map_or(
        Verdict {
            valid: false,
            step: None,
            drift: None,
        },
        |code| {
            verify::verify(
                &entry.account.secret,
                &params,
                &code,
                now,
                settings.window,
                None,
            )
        },
    );
    let mut wrong = texts.verify_wrong;
    if let (true, Some(step)) = (verdict.valid, verdict.step) {
        // Used until it can no longer be accepted: `window` steps past its own, and one more.
        let ttl = (2 * settings.window + 2) * params.period;
        if cx.store.claim(&id, step, ttl).await? {
            let mut messages = Messages::new();
            messages.text(settings.success.as_deref().unwrap_or(texts.verified));
            return Ok(Reply::say_then(messages, &settings.then));
        }
        wrong = texts.verify_used;
    }
    if let Status::Locked { retry_after } = cx.store.fail(&id, now).await? {
        return Err(Error::Locked { retry_after });
    }
    if try_number >= MAX_TRIES {
        return Ok(end(texts.verify_failed));
    }
    Ok(ask(try_number + 1, Some(wrong), settings, params.digits))
}

/// Asks for try `number`, after `before` (why the last one failed), for a code of `digits`.
fn ask(number: u32, before: Option<&str>, settings: &Settings, digits: u8) -> Reply {
    let texts = settings.lang.texts();
    let mut messages = Messages::new();
    if let Some(before) = before {
        messages.text(before);
    }
    messages.text(settings.intro.as_deref().unwrap_or(texts.verify_prompt));
    let name = format!("code{number}");
    let read = Read::new(&name)
        .keys(digits, digits)
        .wait(CODE_WAIT_SECONDS);
    Reply::read(messages, &read)
}
