//! What stands between someone and an account's codes: the allow-list, the PIN, and the count
//! of guesses that holds across calls, requests and replicas ([`crate::store`]).
//!
//! The call's own three PIN attempts live in the answers the phone system re-sends, so a script
//! can always start a fresh "call"; the count is what stops it. Every PIN and every typed code goes through
//! [`count`] before it is compared: it takes its place in the count first, atomically, and is
//! judged only if it got one. A right one gives its place back ([`Counted::right`]); a wrong
//! one stays counted ([`Counted::wrong`]). Silence, and a code that already opened the door,
//! are not guesses and are never counted.
//!
//! Failures lock the source they came from (the caller's number, every call without one, every
//! HTTP client): a stranger cannot lock the owner out. Every account also has one bound over
//! all its sources, which no forged number gets around.

use crate::error::Error;
use crate::otp::account::{Protection, normalize_phone};
use crate::otp::clock::Clock;
use crate::otp::seal::SealKeys;
use crate::otp::verify::{self, Verdict};
use crate::store::{Attempt, Guess, Identity, Source, Store, Target};

use super::accounts::Entry;
use super::request::{Answer, Caller, is_silence};
use super::say::{Outcome, Question, Speech};
use super::texts::Texts;

/// Most PIN attempts in one call.
pub const MAX_PIN_ATTEMPTS: u32 = 3;

/// What a request is answered with: the server's keys, clock and attempt store.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// `SEAL_KEYS`, to open sealed tokens.
    pub keys: Option<&'a SealKeys>,
    /// Where "now" comes from.
    pub clock: &'a Clock,
    /// Counted guesses and used codes.
    pub store: &'a Store,
}

/// What a protection check says about a phone turn.
// Returned once per turn and moved once: boxing the outcome would spend the allocation its
// inline speech saves.
#[allow(clippy::large_enum_variant)]
pub enum Gate<'o> {
    /// Go on.
    Open,
    /// Answer this instead: a question, or the end of the call.
    Answer(Outcome<'o>),
}

/// Who is guessing, for the count.
#[derive(Debug, Clone, Copy)]
pub enum Client<'a> {
    /// A program: no caller number it could be trusted with, no keypad.
    Http,
    /// A phone call (or Yemot calling a developer endpoint), with the caller's number
    /// (`ApiPhone`) if it sent one.
    Phone(Option<&'a str>),
}

impl Client<'_> {
    /// The guess at `account`'s `target` this client makes. The number is normalized first, so
    /// that one caller written two ways is one source.
    fn guess(self, account: Identity, target: Target) -> Guess {
        match self {
            Client::Http => Guess::new(account, target, Source::Http),
            Client::Phone(number) => {
                let number = number.map(normalize_phone).unwrap_or_default();
                let source = if number.is_empty() {
                    Source::NoNumber
                } else {
                    Source::Caller(&number)
                };
                Guess::new(account, target, source)
            }
        }
    }
}

/// A guess that has its place in the count and may now be judged.
#[must_use = "a counted guess is judged, then reported right or wrong"]
pub struct Counted {
    guess: Guess,
    attempt: Attempt,
}

/// Counts a guess at `account`'s `target` by `client`, before anything is compared: the one
/// protection check every PIN and typed code goes through.
///
/// # Errors
///
/// [`Error::Locked`] when the source or the account may not guess now (the guess is neither
/// counted nor judged); [`Error::StoreUnavailable`] when the count cannot be taken: the guess
/// must not be judged, so the answer cannot depend on it.
pub async fn count(
    account: Identity,
    target: Target,
    client: Client<'_>,
    cx: &Context<'_>,
    now: u64,
) -> Result<Counted, Error> {
    let guess = client.guess(account, target);
    match cx.store.begin(&guess, now).await? {
        Attempt::Locked { retry_after } => Err(Error::Locked { retry_after }),
        attempt @ Attempt::Judge { .. } => Ok(Counted { guess, attempt }),
    }
}

/// Seconds `client` stays locked out of `account`'s `target` after `now`, if it is; counts
/// nothing.
///
/// # Errors
///
/// [`Error::StoreUnavailable`] when the store cannot answer.
pub async fn locked(
    account: Identity,
    target: Target,
    client: Client<'_>,
    cx: &Context<'_>,
    now: u64,
) -> Result<Option<u64>, Error> {
    Ok(cx.store.locked(&client.guess(account, target), now).await?)
}

impl Counted {
    /// The guess was right (or a code already used): its place is given back, and its
    /// source's failures are forgotten.
    ///
    /// # Errors
    ///
    /// [`Error::StoreUnavailable`]: the door stays closed, as for any guess the store could
    /// not settle.
    pub async fn right(self, cx: &Context<'_>) -> Result<(), Error> {
        cx.store.right(&self.guess).await?;
        Ok(())
    }

    /// The guess was wrong: it stays counted. How long it locked its source or account, if it
    /// did.
    pub fn wrong(self, cx: &Context<'_>) -> Option<u64> {
        cx.store.wrong(self.attempt);
        match self.attempt {
            Attempt::Judge { locks_for } => locks_for,
            Attempt::Locked { retry_after } => Some(retry_after),
        }
    }
}

/// The allow-list's answer to a phone caller: `None` to go on, else the end of the call.
pub fn refused<'o>(
    protection: &Protection,
    caller: Caller<'_>,
    texts: &'static Texts,
) -> Option<Outcome<'o>> {
    let allow = protection.allow.as_ref()?;
    match caller.number {
        None => Some(Outcome::end_with(texts.caller_unknown)),
        Some(phone) if !allow.contains(phone) => Some(Outcome::end_with(texts.caller_refused)),
        Some(_) => None,
    }
}

/// Checks a phone caller against `protection`, which guards the account `id`: the caller's
/// number first, then the PIN (asked, asked again after a wrong attempt, the call ended after
/// the last). Silence is asked again and counts nothing.
///
/// # Errors
///
/// [`Error::Locked`] (spoken like any error, and counted under its code) for a caller or
/// account that may not guess now, or the wrong PIN that locks it; [`Error::StoreUnavailable`]
/// when the guess cannot be counted: it is not judged.
pub async fn admit<'o>(
    protection: &Protection,
    id: Identity,
    caller: Caller<'_>,
    latest: Option<Answer<'_>>,
    texts: &'static Texts,
    cx: &Context<'_>,
    now: u64,
) -> Result<Gate<'o>, Error> {
    if let Some(outcome) = refused(protection, caller, texts) {
        return Ok(Gate::Answer(outcome));
    }
    let Some(pin) = &protection.pin else {
        return Ok(Gate::Open);
    };
    let client = Client::Phone(caller.number);
    let Some(latest) = latest.filter(|a| (1..=MAX_PIN_ATTEMPTS).contains(&a.round)) else {
        // Nothing typed yet: a caller who may not guess now is told so before typing.
        if let Some(retry_after) = locked(id, Target::Pin, client, cx, now).await? {
            return Err(Error::Locked { retry_after });
        }
        return Ok(Gate::Answer(ask_pin(1, None, texts)));
    };
    let attempt = latest.round;
    if latest.is_silence() {
        // Not a guess: asked again, never called wrong, and goodbye after the last.
        return Ok(Gate::Answer(if attempt >= MAX_PIN_ATTEMPTS {
            Outcome::end_with(texts.goodbye)
        } else {
            ask_pin(attempt + 1, None, texts)
        }));
    }
    let counted = count(id, Target::Pin, client, cx, now).await?;
    if pin.matches(latest.typed) {
        counted.right(cx).await?;
        return Ok(Gate::Open);
    }
    if let Some(retry_after) = counted.wrong(cx) {
        return Err(Error::Locked { retry_after });
    }
    Ok(Gate::Answer(if attempt >= MAX_PIN_ATTEMPTS {
        Outcome::end_with(texts.pin_locked)
    } else {
        ask_pin(attempt + 1, Some(texts.pin_wrong), texts)
    }))
}

/// Asks for PIN attempt `attempt`, after `before` (why the last one failed).
fn ask_pin<'o>(attempt: u32, before: Option<&'static str>, texts: &'static Texts) -> Outcome<'o> {
    let mut speech = Speech::new();
    if let Some(before) = before {
        speech.text(before);
    }
    speech.text(texts.pin_prompt);
    Outcome::Ask(speech, Question::Pin { attempt })
}

/// Checks a client that is not in a phone call against the account's protection: an
/// allow-list needs a phone caller on it; a PIN must come as `pin`, and is counted before it
/// is compared.
///
/// # Errors
///
/// [`Error::PhoneOnly`], [`Error::PinRequired`] (no PIN, or a wrong one), [`Error::Locked`],
/// or [`Error::StoreUnavailable`].
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
    let Some(typed) = pin.filter(|typed| !is_silence(typed)) else {
        return Err(Error::PinRequired);
    };
    let now = cx.clock.now()?;
    let counted = count(entry.identity(), Target::Pin, client, cx, now).await?;
    if sealed.matches(typed) {
        counted.right(cx).await?;
        return Ok(());
    }
    // The wrong guess that locks is told as wrong; the next one hears of the lock.
    let _ = counted.wrong(cx);
    Err(Error::PinRequired)
}

/// Checks a typed code against the account within `window` steps (and after `after_step`),
/// counted before it is compared.
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
    client: Client<'_>,
    cx: &Context<'_>,
) -> Result<Verdict, Error> {
    let params = entry.account.params;
    let code = verify::normalize_code(typed, &params)?;
    let now = cx.clock.now()?;
    let counted = count(entry.identity(), Target::Code, client, cx, now).await?;
    let verdict = verify::verify(
        &entry.account.secret,
        &params,
        &code,
        now,
        window,
        after_step,
    );
    if verdict.valid {
        counted.right(cx).await?;
    } else {
        let _ = counted.wrong(cx);
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_what_yemot_sends_for_no_keys() {
        let answer = |typed| Answer { round: 1, typed };
        for silent in ["", " ", "None", "none", "NONE"] {
            assert!(answer(silent).is_silence(), "{silent:?}");
        }
        for typed in ["0", "1234", "*"] {
            assert!(!answer(typed).is_silence(), "{typed:?}");
        }
    }

    #[test]
    fn one_caller_written_two_ways_is_one_source() {
        let id = Identity::of_key(b"an account of ten bytes");
        let guess = |client: Client<'_>| client.guess(id, Target::Pin);
        let a = guess(Client::Phone(Some("+972-50-123-4567")));
        assert_eq!(a, guess(Client::Phone(Some("0501234567"))));
        assert_ne!(a, guess(Client::Phone(Some("0501234568"))));
        assert_eq!(guess(Client::Phone(None)), guess(Client::Phone(Some(""))));
        assert_ne!(guess(Client::Phone(None)), guess(Client::Http));
        assert_ne!(a, Client::Phone(Some("0501234567")).guess(id, Target::Code));
    }
}
