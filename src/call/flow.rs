//! One turn of a phone call: caller protection, the account menu, and the code with repeat and
//! rollover.
//!
//! Stateless: the state of a call lives in the field names Yemot re-sends after each `read`.
//! Every question uses a fresh name, so no answer ever needs the server to remember anything,
//! and any replica can take any turn:
//!
//! | step | asks with | the next request carries |
//! | --- | --- | --- |
//! | PIN, attempt N (1..=3) | `pinN` | `pin1=…`, …, `pinN=…` |
//! | menu | `acct` | `acct=K` |
//! | repeat, round N (1..=5) | `repN` | `rep1=1`, …, `repN=<key or None>` |
//!
//! Each turn re-checks everything from the start (allow-list, the latest PIN attempt, the
//! menu choice), so a later turn cannot skip an earlier one.

use crate::error::Error;
use crate::otp::account::{Account, Pin, Protection};
use crate::otp::clock::Clock;
use crate::otp::code::{Code, Generator};
use crate::otp::seal::SealKeys;
use crate::yemot::speak::sanitize_text;
use crate::yemot::{Fields, Messages, Read, Reply};

use super::accounts::{self, Entry};
use super::settings::{Settings, lang_of};
use super::texts::{Lang, Texts};

/// Most "press 1 to hear it again" rounds in one call.
pub const MAX_REPEATS: u32 = 5;
/// Most PIN attempts in one call.
pub const MAX_PIN_ATTEMPTS: u32 = 3;
/// Seconds Yemot waits for a key after a prompt.
const WAIT_SECONDS: u8 = 7;
/// Seconds Yemot waits for a PIN: typing up to 12 digits takes longer.
const PIN_WAIT_SECONDS: u8 = 15;

/// Answers one turn of a call. Never fails: every problem becomes a spoken message.
pub fn answer(fields: &Fields, keys: Option<&SealKeys>, clock: &Clock) -> Reply {
    turn(fields, keys, clock).unwrap_or_else(|error| spoken_error(error, lang_of(fields)))
}

/// A spoken error, then hang up.
pub fn spoken_error(error: Error, lang: Lang) -> Reply {
    let mut messages = Messages::new();
    messages.text(super::texts::spoken(error, lang));
    Reply::say_then_hangup(&messages)
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

/// The protection that guards the whole call: the sealed PIN of any token (two different ones
/// are refused), else the plain `pin`; every sealed allow-list together, else the plain `allow`.
fn call_guard(entries: &[Entry], plain: Protection) -> Result<Protection, Error> {
    let mut guard = Protection::default();
    for entry in entries {
        if let Some(pin) = &entry.protection.pin {
            match &guard.pin {
                Some(other) if other != pin => return Err(Error::Pin),
                _ => guard.pin = Some(pin.clone()),
            }
        }
        if let Some(allow) = &entry.protection.allow {
            match &mut guard.allow {
                Some(all) => all.extend(allow),
                None => guard.allow = Some(allow.clone()),
            }
        }
    }
    Ok(Protection {
        pin: guard.pin.or(plain.pin),
        allow: guard.allow.or(plain.allow),
    })
}

fn turn(fields: &Fields, keys: Option<&SealKeys>, clock: &Clock) -> Result<Reply, Error> {
    let settings = Settings::read(fields)?;
    let texts = settings.lang.texts();
    let plain = accounts::plain_protection(fields)?;
    let entries = accounts::read(fields, keys)?;
    let guard = call_guard(&entries, plain)?;
    let account = match admit(&guard, fields, texts).and_then(|()| choose(&entries, fields, texts))
    {
        Ok(account) => account,
        Err(reply) => return Ok(reply),
    };
    let round = match last_repeat(fields) {
        None => 0,
        Some((n, pressed)) if pressed.trim() == "1" => n,
        Some(_) => return Ok(Reply::say_then(&say(texts.goodbye), &settings.then)),
    };
    let now = clock.now()?;
    Ok(reading(account, &settings, round, now))
}

/// One text, as a message list.
fn say(text: &str) -> Messages {
    let mut messages = Messages::new();
    messages.text(text);
    messages
}

/// Says `text` and hangs up.
fn end(text: &str) -> Reply {
    Reply::say_then_hangup(&say(text))
}

/// Lets the caller on, or answers instead: the allow-list first, then the PIN (asked, re-asked
/// after a wrong attempt, or the call ended after the last).
fn admit(guard: &Protection, fields: &Fields, texts: &Texts) -> Result<(), Reply> {
    if let Some(allow) = &guard.allow {
        match fields.caller() {
            None => return Err(end(texts.caller_unknown)),
            Some(phone) if !allow.contains(phone) => return Err(end(texts.caller_refused)),
            Some(_) => {}
        }
    }
    let Some(pin) = &guard.pin else {
        return Ok(());
    };
    match check_pin(pin, fields) {
        PinCheck::Passed => Ok(()),
        PinCheck::Locked => Err(end(texts.pin_locked)),
        PinCheck::Ask { attempt } => {
            let mut messages = Messages::new();
            if attempt > 1 {
                messages.text(texts.pin_wrong);
            }
            messages.text(texts.pin_prompt);
            let name = format!("pin{attempt}");
            Err(Reply::read(
                &messages,
                &Read {
                    name: &name,
                    max: 12,
                    min: 1,
                    wait: PIN_WAIT_SECONDS,
                    allowed: "",
                    allow_empty: true,
                },
            ))
        }
    }
}

/// The account this turn is about: the only one, or the caller's menu choice; else the menu,
/// or the end of a call whose choice matches nothing.
fn choose<'e>(entries: &'e [Entry], fields: &Fields, texts: &Texts) -> Result<&'e Account, Reply> {
    if let [only] = entries {
        return Ok(&only.account);
    }
    let Some(choice) = fields.get_non_empty("acct") else {
        return Err(menu(entries, texts));
    };
    let choice = choice.trim();
    entries
        .iter()
        .find(|e| choice == e.key.to_string())
        .map(|e| &e.account)
        .ok_or_else(|| end(texts.choice_invalid))
}

/// One reading of the code. `round` is how many times the caller already pressed 1.
fn reading(account: &Account, settings: &Settings, round: u32, now: u64) -> Reply {
    let texts = settings.lang.texts();
    let intro = settings.intro.as_deref().unwrap_or(texts.intro);
    let generator = Generator::new(&account.secret, &account.params);
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

    if round >= MAX_REPEATS {
        messages.text(texts.goodbye);
        return Reply::say_then(&messages, &settings.then);
    }
    messages.text(prompt);
    let name = format!("rep{}", round + 1);
    Reply::read(
        &messages,
        &Read {
            name: &name,
            max: 1,
            min: 1,
            wait: WAIT_SECONDS,
            allowed: "",
            allow_empty: true,
        },
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
    Reply::read(
        &messages,
        &Read {
            name: "acct",
            max: 1,
            min: 1,
            wait: WAIT_SECONDS,
            allowed: &allowed,
            allow_empty: false,
        },
    )
}

/// The latest repeat round Yemot reported: its number and the key pressed (`None` for none).
fn last_repeat(fields: &Fields) -> Option<(u32, &str)> {
    fields.latest_round("rep", MAX_REPEATS)
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
    /// Every attempt was wrong.
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
}
