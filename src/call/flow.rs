//! One turn of a phone call: caller protection, the account menu, and the code with repeat and
//! rollover.
//!
//! Stateless: the state of a call lives in the field names Yemot re-sends after each `read`.
//! Every question uses a fresh name, so no answer ever needs the server to remember anything,
//! and any replica can take any turn:
//!
//! | step | asks with | the next request carries |
//! | --- | --- | --- |
//! | menu | `acct` | `acct=K` |
//! | PIN, attempt N (1..=3) | `pinN` | `pin1=…`, …, `pinN=…` |
//! | repeat, round N (1..=5) | `repN` | `rep1=1`, …, `repN=<key or None>` |
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

use crate::error::Error;
use crate::otp::account::Account;
use crate::otp::code::{Code, Generator};
use crate::yemot::speak::sanitize_text;
use crate::yemot::{Fields, Messages, Read, Reply};

use super::accounts::{self, Entry};
use super::guard::{self, Context, Gate, end, is_silence};
use super::settings::{Mode, Settings};
use super::texts::{Lang, Texts};

/// Most "press 1 to hear it again" rounds in one call.
pub const MAX_REPEATS: u32 = 5;
/// Times the menu plays before silence counts: once more for a caller still deciding.
const MENU_PROMPTS: u8 = 2;

/// A spoken error, then hang up.
pub fn spoken_error(error: Error, lang: Lang) -> Reply {
    let mut messages = Messages::new();
    if let Error::SplitLink { account } = error {
        // The one error that names a number: which account's line to change.
        let texts = lang.texts();
        let mut key = itoa::Buffer::new();
        messages
            .text(texts.split_link_before)
            .digits(key.format(account));
        messages.text(texts.split_link_after);
    } else {
        messages.text(super::texts::spoken(error, lang));
    }
    Reply::say_then_hangup(messages)
}

/// The message list that reads a code: intro, the code, "I repeat", the code again.
pub fn code_messages(code: &Code, intro: &str, texts: &Texts) -> Messages {
    let mut messages = Messages::new();
    messages
        .text(intro)
        .code(code.as_str())
        .text(texts.again)
        .code(code.as_str());
    messages
}

/// Answers one turn of a call: what the caller hears next.
///
/// # Errors
///
/// Whatever keeps the call from going on (a setting that cannot be used, a key that does not
/// work, the store out of reach): tell it with [`spoken_error`], in the voice of
/// [`lang_of`]`(fields)`.
pub async fn turn(fields: &Fields, cx: &Context<'_>) -> Result<Reply, Error> {
    let settings = Settings::read(fields)?;
    let texts = settings.lang.texts();
    let plain = accounts::plain_protection(fields)?;
    let entries = accounts::read(fields, cx.keys)?;
    let now = cx.clock.now()?;
    let all_plain = entries.iter().all(|e| !e.sealed);
    // A stranger outside the extension's allow-list does not even hear the menu.
    if all_plain && let Some(reply) = guard::refused(&plain, fields, texts) {
        return Ok(reply);
    }
    let mut entries = entries;
    let entry = match choose(&entries, fields, texts, &settings) {
        Ok(index) => entries.swap_remove(index),
        Err(reply) => return Ok(reply),
    };
    // The PIN is asked once the account is known, and counts against that account alone.
    let own = if entry.sealed {
        &entry.protection
    } else {
        &plain
    };
    if !own.is_open()
        && let Gate::Answer(reply) =
            guard::admit(own, entry.identity(), fields, texts, cx, now).await?
    {
        return Ok(reply);
    }
    if settings.mode == Mode::Verify {
        return super::verify::turn(&entry, &settings, fields, cx, now).await;
    }
    let round = match last_repeat(fields) {
        None => 0,
        Some((n, pressed)) if pressed.trim() == "1" => n,
        Some(_) => return Ok(Reply::say_then(say(texts.goodbye), &settings.then)),
    };
    Ok(reading(entry.account, &settings, round, now))
}

/// One text, as a message list.
fn say(text: &str) -> Messages {
    let mut messages = Messages::new();
    messages.text(text);
    messages
}

/// The account this turn is about: the only one, or the caller's menu choice; else the menu,
/// goodbye to a caller who stayed silent through it, or the end of a call whose choice matches
/// nothing.
fn choose(
    entries: &[Entry],
    fields: &Fields,
    texts: &Texts,
    settings: &Settings,
) -> Result<usize, Reply> {
    if let [_only] = entries {
        return Ok(0);
    }
    let Some(choice) = fields.get("acct") else {
        return Err(menu(entries, texts));
    };
    let choice = choice.trim();
    if is_silence(choice) {
        return Err(Reply::say_then(say(texts.goodbye), &settings.then));
    }
    entries
        .iter()
        .position(|e| choice.len() == 1 && choice.as_bytes()[0] == b'0' + e.key)
        .ok_or_else(|| end(texts.choice_invalid))
}

/// One reading of the code. `round` is how many times the caller already pressed 1.
fn reading(account: Account, settings: &Settings, round: u32, now: u64) -> Reply {
    let texts = settings.lang.texts();
    let intro = settings.intro.as_deref().unwrap_or(texts.intro);
    let generator = Generator::from_secret(account.secret, &account.params);
    let code = generator.code_at(now);
    // Warn when the code is about to change.
    let low = code.ttl < settings.warn_below;

    let mut prompt = texts.repeat_prompt;
    let mut messages;
    if low && round > 0 {
        // The caller was warned and pressed 1: read the next code, which starts in `ttl`
        // seconds, rather than one about to expire.
        let next: Code = generator.code_at(code.valid_until);
        messages = Messages::new();
        messages
            .text(texts.next_code_before)
            .number(code.ttl)
            .text(texts.next_code_after)
            .code(next.as_str())
            .text(texts.again)
            .code(next.as_str());
    } else {
        messages = code_messages(&code, intro, texts);
        if low {
            seconds_left(&mut messages, texts, code.ttl);
            prompt = texts.next_prompt;
        } else if settings.always_seconds {
            seconds_left(&mut messages, texts, code.ttl);
        }
    }

    if !settings.repeat {
        // One answer and done: the next code too, if this one is about to change.
        if low {
            let next = generator.code_at(code.valid_until);
            messages
                .text(texts.next_code_before)
                .number(code.ttl)
                .text(texts.next_code_after)
                .code(next.as_str())
                .text(texts.again)
                .code(next.as_str());
        }
        return Reply::say_then(messages, &settings.then);
    }
    if round >= MAX_REPEATS {
        messages.text(texts.goodbye);
        return Reply::say_then(messages, &settings.then);
    }
    messages.text(prompt);
    // `rep1` … `rep5`: written without formatting, one digit (MAX_REPEATS is 5).
    const _: () = assert!(MAX_REPEATS < 9);
    let name = [b'r', b'e', b'p', b'1' + round as u8];
    Reply::read(
        messages,
        &Read::new(std::str::from_utf8(&name).unwrap_or("rep1")),
    )
}

fn seconds_left(messages: &mut Messages, texts: &Texts, ttl: u64) {
    messages
        .text(texts.seconds_left_before)
        .number(ttl)
        .text(texts.seconds_left_after);
}

/// "For Google press 1, for the bank press 2": a key per account, the keys it lists allowed.
fn menu(entries: &[Entry], texts: &Texts) -> Reply {
    let mut messages = Messages::new();
    let mut allowed = String::new();
    for entry in entries {
        let key_text = entry.key.to_string();
        let name = match &entry.account.name {
            Some(name) if !sanitize_text(name).is_empty() => name.clone(),
            _ => format!("{} {key_text}", texts.account),
        };
        messages
            .text(&format!(
                "{} {name} {}",
                texts.menu_before, texts.menu_press
            ))
            .digits(&key_text);
        allowed.push_str(&key_text);
    }
    let read = Read::new("acct").only(&allowed).prompts(MENU_PROMPTS);
    Reply::read(messages, &read)
}

/// The latest repeat round Yemot reported: its number and the key pressed (`None` for none).
fn last_repeat(fields: &Fields) -> Option<(u32, &str)> {
    fields.latest_round("rep", MAX_REPEATS)
}
