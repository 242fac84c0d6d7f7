//! `mode=verify`: the caller types the code from their authenticator app, and only a valid one
//! opens the way to `then`. A guard in front of a folder (a voicemail box, an admin menu, a
//! door): the code is never said aloud.
//!
//! A wrong code is asked again, three tries in a call, and every try is counted before it is
//! compared ([`super::guard::count`]), so that many short calls cannot guess it. A code that
//! opened the way once is used: its step is claimed in the store, atomically, shared by every
//! replica with `REDIS_URL`, and told as used if typed again, which is no guess and is not
//! counted. Silence ends the call and counts nothing.

use crate::error::Error;
use crate::otp::verify::{self, Verdict};
use crate::store::Target;

use super::accounts::{self, Entry};
use super::guard::{self, Client, Context};
use super::request::{Answer, Asker, Caller, VerifyRequest};
use super::say::{Outcome, Question, Speech};
use super::settings::Settings;
use super::texts::Lang;

/// Most tries in one call.
pub const MAX_TRIES: u32 = 3;

/// Answers one turn of a verifying call for `entry`, once the caller has been let through;
/// `typed` is the latest code the caller typed in this call.
///
/// # Errors
///
/// [`Error::NotTypable`] for Steam Guard codes, [`Error::Locked`] for a caller or account that
/// may not guess now or the wrong code that locks it, [`Error::StoreUnavailable`] when the guess
/// cannot be counted or the used code cannot be claimed (the way stays closed).
pub async fn turn<'s>(
    entry: &Entry,
    settings: &'s Settings,
    caller: Caller<'_>,
    typed: Option<Answer<'_>>,
    cx: &Context<'_>,
    now: u64,
) -> Result<Outcome<'s>, Error> {
    let params = entry.account.params;
    if params.algorithm.is_steam() {
        return Err(Error::NotTypable);
    }
    let texts = settings.lang.texts();
    let id = entry.identity();
    let client = Client::Phone(caller.number);
    let Some(typed) = typed.filter(|a| (1..=MAX_TRIES).contains(&a.round)) else {
        // Nothing typed yet: a caller who may not guess now is told so before typing.
        if let Some(retry_after) = guard::locked(id, Target::Code, client, cx, now).await? {
            return Err(Error::Locked { retry_after });
        }
        return Ok(ask(1, None, settings, params.digits));
    };
    let try_number = typed.round;
    if typed.is_silence() {
        return Ok(Outcome::end_with(texts.goodbye));
    }
    let counted = guard::count(id, Target::Code, client, cx, now).await?;
    let verdict = judge(entry, typed.typed, settings.window, now);
    if let (true, Some(step)) = (verdict.valid, verdict.step) {
        // Used until it can no longer be accepted: `window` steps past its own, and one more.
        let ttl = (2 * settings.window + 2) * params.period;
        let claimed = cx.store.claim(&id, step, ttl, now).await;
        // A valid code is no guess, whether it opens now or opened the door before: only
        // someone with the key can type it. Its place is given back even when the claim could
        // not be taken, so that a full room of used steps does not fill the counts too.
        counted.right(cx).await?;
        if claimed? {
            let mut speech = Speech::new();
            speech.text(settings.success.as_deref().unwrap_or(texts.verified));
            return Ok(Outcome::Say(speech, settings.next()));
        }
        return Ok(used(try_number, settings, params.digits));
    }
    if let Some(retry_after) = counted.wrong(cx) {
        return Err(Error::Locked { retry_after });
    }
    if try_number >= MAX_TRIES {
        return Ok(Outcome::end_with(texts.verify_failed));
    }
    Ok(ask(
        try_number + 1,
        Some(texts.verify_wrong),
        settings,
        params.digits,
    ))
}

/// Whether `typed` is a code of `entry` within `window` steps of `now`; text that cannot be a
/// code is simply not one.
fn judge(entry: &Entry, typed: &str, window: u64, now: u64) -> Verdict {
    let params = &entry.account.params;
    match verify::normalize_code(typed.trim(), params) {
        Ok(code) => verify::verify(&entry.account.secret, params, &code, now, window, None),
        Err(_) => Verdict {
            valid: false,
            step: None,
            drift: None,
        },
    }
}

/// A valid code that already opened the door: told so, and asked again while tries are left.
fn used(try_number: u32, settings: &Settings, digits: u8) -> Outcome<'_> {
    let texts = settings.lang.texts();
    if try_number >= MAX_TRIES {
        let mut speech = Speech::new();
        speech.text(texts.verify_used).text(texts.goodbye);
        return Outcome::end(speech);
    }
    ask(try_number + 1, Some(texts.verify_used), settings, digits)
}

/// Asks for try `attempt`, after `before` (why the last one failed), for a code of `digits`.
fn ask<'s>(
    attempt: u32,
    before: Option<&'static str>,
    settings: &'s Settings,
    digits: u8,
) -> Outcome<'s> {
    let texts = settings.lang.texts();
    let mut speech = Speech::new();
    if let Some(before) = before {
        speech.text(before);
    }
    speech.text(settings.intro.as_deref().unwrap_or(texts.verify_prompt));
    Outcome::Ask(speech, Question::Code { attempt, digits })
}

/// `/api/verify`: whether a typed code is a current code of the account. Everything sealed in
/// a token holds here as on the phone: its allow-list, its PIN, and the count of guesses.
///
/// # Errors
///
/// Whatever keeps the account from opening or the check from being counted.
pub async fn check(request: &VerifyRequest<'_>, cx: &Context<'_>) -> Result<Verdict, Error> {
    let entry = accounts::open(&request.account, &Default::default(), cx.keys)?;
    let client = match request.asker {
        Asker::Http => Client::Http,
        Asker::Phone(caller) => Client::Phone(caller.number),
    };
    guard::admit_client(&entry, request.pin.map(|pin| pin.0), client, cx).await?;
    let (window, after) = (request.window, request.after_step);
    guard::verify_code(&entry, request.code.0, window, after, client, cx).await
}

/// What a caller hears of a [`check`] made on their behalf by the phone system: valid or not,
/// then the end of the call.
pub fn told<'o>(verdict: &Verdict, lang: Lang) -> Outcome<'o> {
    let texts = lang.texts();
    Outcome::end_with(if verdict.valid {
        texts.code_valid
    } else {
        texts.code_invalid
    })
}
