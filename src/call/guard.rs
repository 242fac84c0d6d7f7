//! What stands between someone and an account's codes: the allow-list, the PIN, and the lockout
//! that holds across calls, requests and replicas ([`crate::store`]).
//!
//! The call's own three PIN attempts live in the fields Yemot re-sends, so a script can always
//! start a fresh "call"; the lockout is what stops it. Every wrong PIN and every wrong code
//! counts against the account (its [`Identity`]), whoever sends it and however; a locked account
//! opens for nobody, not even with the right PIN or code, until the lock ends.

use crate::error::Error;
use crate::otp::account::{Pin, Protection};
use crate::otp::clock::Clock;
use crate::otp::seal::SealKeys;
use crate::otp::verify::{self, Verdict};
use crate::store::{Identity, Status, Store};
use crate::yemot::{Fields, Messages, Read, Reply};

use super::accounts::Entry;
use super::texts::Texts;

/// Most PIN attempts in one call.
pub const MAX_PIN_ATTEMPTS: u32 = 3;
/// Seconds Yemot waits for a PIN: typing up to 12 digits takes longer than a menu key.
const PIN_WAIT_SECONDS: u8 = 15;

/// What a request is answered with: the server's keys, clock and attempt store.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// `SEAL_KEYS`, to open sealed tokens.
    pub keys: Option<&'a SealKeys>,
    /// Where "now" comes from.
    pub clock: &'a Clock,
    /// Failed attempts and used codes.
    pub store: &'a Store,
}

/// What a protection check says about a phone turn.
pub enum Gate {
    /// Go on.
    Open,
    /// Answer this instead: a question, or the end of the call.
    Answer(Reply),
}

/// Says `text` and hangs up.
pub fn end(text: &str) -> Reply {
    let mut messages = Messages::new();
    messages.text(text);
    Reply::say_then_hangup(messages)
}

/// Checks a phone caller against `protection`, which guards the accounts `ids`: the caller's
/// number first, then the lockout, then the PIN (asked, asked again after a wrong attempt,
/// the call ended after the last). A wrong PIN counts against every one of `ids`.
///
/// # Errors
///
/// [`Error::Locked`] (spoken like any error, and counted under its code) for a locked account
/// or the wrong PIN that locks it; [`Error::StoreUnavailable`] when the lockout cannot be
/// checked: the account stays closed.
pub async fn admit(
    protection: &Protection,
    ids: &[Identity],
    fields: &Fields,
    texts: &Texts,
    cx: &Context<'_>,
    now: u64,
) -> Result<Gate, Error> {
    if let Some(allow) = &protection.allow {
        match fields.caller() {
            None => return Ok(Gate::Answer(end(texts.caller_unknown))),
            Some(phone) if !allow.contains(phone) => {
                return Ok(Gate::Answer(end(texts.caller_refused)));
            }
            Some(_) => {}
        }
    }
    let Some(pin) = &protection.pin else {
        return Ok(Gate::Open);
    };
    if let Some(retry_after) = any_locked(ids, cx.store, now).await? {
        return Err(Error::Locked { retry_after });
    }
    let check = check_pin(pin, fields);
    if check != PinCheck::Passed && latest_is_a_guess(fields) {
        // Counted on the turn that judges the attempt; a caller who typed nothing guessed
        // nothing.
        if let Some(retry_after) = fail_all(ids, cx.store, now).await? {
            return Err(Error::Locked { retry_after });
        }
    }
    Ok(match check {
        PinCheck::Passed => Gate::Open,
        PinCheck::Locked => Gate::Answer(end(texts.pin_locked)),
        PinCheck::Ask { attempt } => {
            let mut messages = Messages::new();
            if attempt > 1 && latest_is_a_guess(fields) {
                messages.text(texts.pin_wrong);
            }
            messages.text(texts.pin_prompt);
            let name = format!("pin{attempt}");
            let read = Read::new(&name).keys(1, 12).wait(PIN_WAIT_SECONDS);
            Gate::Answer(Reply::read(messages, &read))
        }
    })
}

/// Who asks, when it is not a phone call's turn: an HTTP client, or Yemot calling a developer
/// endpoint with the caller's number.
#[derive(Debug, Clone, Copy)]
pub enum Client<'a> {
    /// A program: no caller number it could be trusted with, no keypad.
    Http,
    /// Yemot, with the caller's number (`ApiPhone`) if it sent one.
    Phone(Option<&'a str>),
}

/// Checks a client that is not in a phone call against the account's protection: an
/// allow-list needs a phone caller on it; a PIN must come as `pin`, and a wrong one counts.
///
/// # Errors
///
/// [`Error::PhoneOnly`], [`Error::PinRequired`], [`Error::Locked`], or
/// [`Error::StoreUnavailable`].
pub async fn admit_client(
    entry: &Entry,
    pin: Option<&str>,
    client: Client<'_>,
    cx: &Context<'_>,
) -> Result<(), Error> {
    let protection = &entry.protection;
    if let Some(allow) = &protection.allow {
        match client {
            Client::Phone(Some(phone)) if allow.contains(phone) => {}
            _ => return Err(Error::PhoneOnly),
        }
    }
    let Some(sealed) = &protection.pin else {
        return Ok(());
    };
    let now = cx.clock.now()?;
    let id = entry.identity();
    if let Status::Locked { retry_after } = cx.store.status(&id, now).await? {
        return Err(Error::Locked { retry_after });
    }
    if sealed.matches(pin.unwrap_or("")) {
        return Ok(());
    }
    if pin.is_some_and(is_guess) {
        cx.store.fail(&id, now).await?;
    }
    Err(Error::PinRequired)
}

/// Checks a typed code against the account within `window` steps (and after `after_step`),
/// counting a wrong one; a locked account refuses every code.
///
/// # Errors
///
/// [`Error::InvalidCode`] for text that cannot be a code (not counted: it is not a guess),
/// [`Error::Locked`], or [`Error::StoreUnavailable`].
pub async fn verify_code(
    entry: &Entry,
    typed: &str,
    window: u64,
    after_step: Option<u64>,
    cx: &Context<'_>,
) -> Result<Verdict, Error> {
    let params = entry.account.params;
    let code = verify::normalize_code(typed, &params)?;
    let now = cx.clock.now()?;
    let id = entry.identity();
    if let Status::Locked { retry_after } = cx.store.status(&id, now).await? {
        return Err(Error::Locked { retry_after });
    }
    let verdict = verify::verify(
        &entry.account.secret,
        &params,
        &code,
        now,
        window,
        after_step,
    );
    if !verdict.valid {
        cx.store.fail(&id, now).await?;
    }
    Ok(verdict)
}

/// Whether any of `ids` is locked at `now`: for how many seconds more, if so.
async fn any_locked(ids: &[Identity], store: &Store, now: u64) -> Result<Option<u64>, Error> {
    for id in ids {
        if let Status::Locked { retry_after } = store.status(id, now).await? {
            return Ok(Some(retry_after));
        }
    }
    Ok(None)
}

/// Counts a failure against each of `ids`; whether that locked any of them, and for how long.
async fn fail_all(ids: &[Identity], store: &Store, now: u64) -> Result<Option<u64>, Error> {
    let mut locked = None;
    for id in ids {
        if let Status::Locked { retry_after } = store.fail(id, now).await? {
            locked = locked.max(Some(retry_after));
        }
    }
    Ok(locked)
}

/// What the PIN check says about this turn.
#[derive(Debug, PartialEq, Eq)]
enum PinCheck {
    /// The latest attempt was right.
    Passed,
    /// Ask for attempt number `attempt`.
    Ask {
        /// 1 for the first prompt.
        attempt: u32,
    },
    /// Every attempt of this call was wrong.
    Locked,
}

/// Judges the latest attempt Yemot reported (`pin1` … `pin3`).
fn check_pin(pin: &Pin, fields: &Fields) -> PinCheck {
    match fields.latest_round("pin", MAX_PIN_ATTEMPTS) {
        None => PinCheck::Ask { attempt: 1 },
        Some((_, typed)) if pin.matches(typed) => PinCheck::Passed,
        Some((n, _)) if n < MAX_PIN_ATTEMPTS => PinCheck::Ask { attempt: n + 1 },
        Some(_) => PinCheck::Locked,
    }
}

/// Whether the latest PIN attempt was typed digits (a guess) rather than silence.
fn latest_is_a_guess(fields: &Fields) -> bool {
    fields
        .latest_round("pin", MAX_PIN_ATTEMPTS)
        .is_some_and(|(_, typed)| is_guess(typed))
}

fn is_guess(typed: &str) -> bool {
    let typed = typed.trim();
    !typed.is_empty() && typed.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_attempts_are_counted_from_the_names_yemot_re_sends() {
        let pin = Pin::parse("4321").unwrap();
        let check = |form: &str| check_pin(&pin, &Fields::from_form(form.as_bytes()));
        assert_eq!(check(""), PinCheck::Ask { attempt: 1 });
        assert_eq!(check("pin1=1111"), PinCheck::Ask { attempt: 2 });
        assert_eq!(check("pin1=1111&pin2=4321"), PinCheck::Passed);
        assert_eq!(check("pin1=1&pin2=2&pin3=None"), PinCheck::Locked);
        // Only the latest attempt counts: an early right one does not unlock a later wrong one.
        assert_eq!(check("pin1=4321&pin2=0"), PinCheck::Ask { attempt: 3 });
    }

    #[test]
    fn silence_is_not_a_guess() {
        let guess = |form: &str| latest_is_a_guess(&Fields::from_form(form.as_bytes()));
        assert!(guess("pin1=1234"));
        assert!(!guess("pin1=1234&pin2=None"));
        assert!(!guess("pin1="));
        assert!(!guess(""));
    }
}
