//! `mode=verify`: the caller types the code from their authenticator app, and only a valid one
//! opens the way to `then`. A guard in front of a folder (a voicemail box, an admin menu, a
//! door): the code is never said aloud.
//!
//! | step | asks with | the next request carries |
//! | --- | --- | --- |
//! | the code, try N (1..=3) | `codeN` | `code1=…`, …, `codeN=…` |
//!
//! A wrong code is asked again, three tries in a call, and every try is counted before it is
//! compared ([`super::guard::count`]), so that many short calls cannot guess it. A code that
//! opened the way once is used: its step is claimed in the store, atomically, shared by every
//! replica with `REDIS_URL`, and told as used if typed again, which is no guess and is not
//! counted. Silence ends the call and counts nothing.

use crate::error::Error;
use crate::otp::verify::{self, Verdict};
use crate::store::Target;
use crate::yemot::{Fields, Messages, Read, Reply};

use super::accounts::Entry;
use super::guard::{self, Client, Context, end, is_silence};
use super::settings::Settings;

/// Most tries in one call.
pub const MAX_TRIES: u32 = 3;
/// Seconds to type a code: finding it in the app takes a moment.
const CODE_WAIT_SECONDS: u8 = 20;

/// Answers one turn of a verifying call for `entry`, once the caller has been let through.
///
/// # Errors
///
/// [`Error::NotTypable`] for Steam Guard codes, [`Error::Locked`] for a caller or account that
/// may not guess now or the wrong code that locks it, [`Error::StoreUnavailable`] when the guess
/// cannot be counted or the used code cannot be claimed (the way stays closed).
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
    let client = Client::Phone(fields.caller());
    let Some((try_number, typed)) = fields.latest_round("code", MAX_TRIES) else {
        // Nothing typed yet: a caller who may not guess now is told so before typing.
        if let Some(retry_after) = guard::locked(id, Target::Code, client, cx, now).await? {
            return Err(Error::Locked { retry_after });
        }
        return Ok(ask(1, None, settings, params.digits));
    };
    if is_silence(typed) {
        return Ok(end(texts.goodbye));
    }
    let counted = guard::count(id, Target::Code, client, cx, now).await?;
    let verdict = verify::normalize_code(typed.trim(), &params).map_or(
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
    if let (true, Some(step)) = (verdict.valid, verdict.step) {
        // Used until it can no longer be accepted: `window` steps past its own, and one more.
        let ttl = (2 * settings.window + 2) * params.period;
        let claimed = cx.store.claim(&id, step, ttl, now).await;
        // A valid code is no guess, whether it opens now or opened the door before: only
        // someone with the key can type it. Its place is given back even when the claim could
        // not be taken, so that a full room of used steps does not fill the counts too.
        counted.right(cx).await?;
        let fresh = claimed?;
        if fresh {
            let mut messages = Messages::new();
            messages.text(settings.success.as_deref().unwrap_or(texts.verified));
            return Ok(Reply::say_then(messages, &settings.then));
        }
        if try_number >= MAX_TRIES {
            let mut messages = Messages::new();
            messages.text(texts.verify_used).text(texts.goodbye);
            return Ok(Reply::say_then_hangup(messages));
        }
        return Ok(ask(
            try_number + 1,
            Some(texts.verify_used),
            settings,
            params.digits,
        ));
    }
    if let Some(retry_after) = counted.wrong(cx) {
        return Err(Error::Locked { retry_after });
    }
    if try_number >= MAX_TRIES {
        return Ok(end(texts.verify_failed));
    }
    Ok(ask(
        try_number + 1,
        Some(texts.verify_wrong),
        settings,
        params.digits,
    ))
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
