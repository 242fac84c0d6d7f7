//! One turn of a phone call: caller protection, the account menu, and the code with repeat and
//! rollover.
//!
//! Stateless: every question is asked in a round of its own ([`Question`]), and the phone
//! system brings every earlier answer back with the next request ([`super::request::Answers`]),
//! so no answer ever needs the server to remember anything, and any replica can take any turn:
//! the menu choice, PIN attempt N (1..=3), repeat round N (1..=5), typed code N (1..=3).
//!
//! Each turn re-checks everything from the start (allow-list, lockout, the latest PIN attempt,
//! the menu choice), so a later turn cannot skip an earlier one.
//!
//! Who guards what: a sealed account's PIN and allow-list are its own, checked once it is
//! chosen (at once when it is the only one). The extension's plain `pin` and `allow` guard its
//! plain accounts; its allow-list is checked before the menu when every account is plain. A PIN
//! is always asked after the choice, so that its guesses count against the chosen account
//! alone and a lock on one account never closes the others. Only one PIN is ever asked in a
//! call.
//!
//! A question about the code ([`Question::Repeat`], [`Question::Code`]) is only ever asked of a
//! caller the guard let through: an edge that keeps its own state between turns may take it as
//! proof that the PIN was passed, and say so on the next turn ([`super::request::Answers`]'s
//! `admitted`).

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::error::Error;
use crate::otp::account::Account;
use crate::otp::code::{Code, Generator};

use super::accounts::{self, Entry};
use super::guard::{self, Context, Gate};
use super::request::{Answer, Turn};
use super::say::{Outcome, Question, Speech};
use super::settings::{Mode, Settings};
use super::texts::{Lang, Texts};

/// Most "press 1 to hear it again" rounds in one call.
pub const MAX_REPEATS: u32 = 5;

/// A spoken error, then hang up.
pub fn spoken_error<'o>(error: Error, lang: Lang) -> Outcome<'o> {
    let mut speech = Speech::new();
    if let Error::SplitLink { account } = error {
        // The one error that names a number: which account's line to change.
        let texts = lang.texts();
        speech
            .text(texts.split_link_before)
            .key(account)
            .text(texts.split_link_after);
    } else {
        speech.text(super::texts::spoken(error, lang));
    }
    Outcome::end(speech)
}

/// What reads a code: the intro (the owner's, or the fixed one), the code, "again", the code
/// again.
pub fn code_speech<'a>(code: &Code, intro: Option<&'a str>, texts: &'static Texts) -> Speech<'a> {
    let mut speech = Speech::new();
    match intro {
        Some(intro) => speech.text(intro),
        None => speech.fixed(texts.intro),
    };
    speech.code(code).fixed(texts.again).code(code);
    speech
}

/// Answers one turn of a call: what the caller hears next.
///
/// # Errors
///
/// Whatever keeps the call from going on (a setting that cannot be used, a key that does not
/// work, the store out of reach): tell it with [`spoken_error`] in the call's language.
pub async fn turn<'t>(request: &'t Turn<'_>, cx: &Context<'_>) -> Result<Outcome<'t>, Error> {
    let settings = &request.settings;
    let texts = settings.lang.texts();
    let mut entries = accounts::open_all(&request.accounts, cx.keys)?;
    let now = cx.clock.now()?;
    let all_plain = entries.iter().all(|e| !e.sealed);
    // A stranger outside the extension's allow-list does not even hear the menu.
    if all_plain && let Some(outcome) = guard::refused(&request.plain, request.caller, texts) {
        return Ok(outcome);
    }
    let entry = match choose(&entries, request.answers.choice, texts, settings) {
        Ok(index) => entries.swap_remove(index),
        Err(outcome) => return Ok(outcome),
    };
    // The PIN is asked once the account is known, and counts against that account alone.
    let own = if entry.sealed {
        &entry.protection
    } else {
        &request.plain
    };
    if !own.is_open() && request.answers.admitted {
        // Through the PIN already: the allow-list, which counts nothing, still holds.
        if let Some(outcome) = guard::refused(own, request.caller, texts) {
            return Ok(outcome);
        }
    } else if !own.is_open() {
        let latest = request.answers.pin;
        let gate = guard::admit(
            own,
            entry.identity(),
            request.caller,
            latest,
            texts,
            cx,
            now,
        );
        if let Gate::Answer(outcome) = gate.await? {
            return Ok(outcome);
        }
    }
    if settings.mode == Mode::Verify {
        let typed = request.answers.code;
        return super::verify::turn(&entry, settings, request.caller, typed, cx, now).await;
    }
    let round = match request.answers.repeat {
        None => 0,
        Some(Answer { round, typed }) if typed.trim() == "1" => round.min(MAX_REPEATS),
        Some(_) => return Ok(goodbye(settings)),
    };
    Ok(reading(entry.account, settings, round, now))
}

/// Goodbye, then wherever the extension sends callers at the end.
fn goodbye(settings: &Settings) -> Outcome<'_> {
    let mut speech = Speech::new();
    speech.text(settings.lang.texts().goodbye);
    Outcome::Say(speech, settings.next())
}

/// The account this turn is about: the only one, or the caller's menu choice; else the menu,
/// goodbye to a caller who stayed silent through it, or the end of a call whose choice matches
/// nothing.
// The outcome is returned once and moved once: boxing it would spend the allocation its inline
// speech saves.
#[allow(clippy::result_large_err)]
fn choose<'s>(
    entries: &[Entry],
    choice: Option<Answer<'_>>,
    texts: &'static Texts,
    settings: &'s Settings,
) -> Result<usize, Outcome<'s>> {
    if let [_only] = entries {
        return Ok(0);
    }
    let Some(choice) = choice else {
        return Err(menu(entries, texts));
    };
    if choice.is_silence() {
        return Err(goodbye(settings));
    }
    let choice = choice.typed.trim();
    entries
        .iter()
        .position(|e| choice.len() == 1 && choice.as_bytes()[0] == b'0' + e.key)
        .ok_or_else(|| Outcome::end_with(texts.choice_invalid))
}

/// One reading of the code. `round` is how many times the caller already pressed 1.
fn reading(account: Account, settings: &Settings, round: u32, now: u64) -> Outcome<'_> {
    let texts = settings.lang.texts();
    let intro = settings.intro.as_deref();
    let generator = Generator::from_secret(account.secret, &account.params);
    let code = generator.code_at(now);
    // Fewer seconds are left than a caller needs to hear this code and type it: the next
    // code, and when it starts, instead of one that will have expired.
    let mut speech = if code.ttl < settings.warn_below {
        let mut speech = Speech::new();
        next_code(
            &mut speech,
            texts,
            code.ttl,
            &generator.code_at(code.valid_until),
        );
        speech
    } else {
        let mut speech = code_speech(&code, intro, texts);
        if settings.always_seconds {
            seconds_left(&mut speech, texts, code.ttl);
        }
        speech
    };
    if !settings.repeat {
        return Outcome::Say(speech, settings.next());
    }
    if round >= MAX_REPEATS {
        speech.fixed(texts.goodbye);
        return Outcome::Say(speech, settings.next());
    }
    speech.fixed(texts.repeat_prompt);
    Outcome::Ask(speech, Question::Repeat { round: round + 1 })
}

/// "The next code, valid in N seconds, is …", twice.
fn next_code(speech: &mut Speech<'_>, texts: &'static Texts, ttl: u64, next: &Code) {
    speech
        .fixed(texts.next_code_before)
        .number(ttl)
        .fixed(texts.next_code_after)
        .code(next)
        .fixed(texts.again)
        .code(next);
}

fn seconds_left(speech: &mut Speech<'_>, texts: &'static Texts, ttl: u64) {
    speech
        .fixed(texts.seconds_left_before)
        .number(ttl)
        .fixed(texts.seconds_left_after);
}

/// "For Google press 1, for the bank press 2": a key per account, the keys it lists allowed.
fn menu<'o>(entries: &[Entry], texts: &'static Texts) -> Outcome<'o> {
    let mut speech = Speech::new();
    let mut keys = SmallVec::new();
    for entry in entries {
        // A name with nothing a voice can say (only symbols, say) is replaced by its number.
        let name: Cow<'_, str> = match &entry.account.name {
            Some(name) if name.chars().any(char::is_alphanumeric) => name.as_str().into(),
            _ => format!("{} {}", texts.account, entry.key).into(),
        };
        speech
            .text(format!("{} {name} {}", texts.menu_before, texts.menu_press))
            .key(entry.key);
        keys.push(entry.key);
    }
    Outcome::Ask(speech, Question::Menu { keys })
}
