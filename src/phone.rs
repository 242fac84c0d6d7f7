//! The phone call: caller protection, the account menu, and the code with repeat and rollover.
//!
//! Stateless: the state of a call lives in the parameter names Yemot re-sends after each `read`
//! (`shared/yemot-protocol.md` §2.5, §5.5). Every question uses a fresh name, so no answer ever
//! needs the server to remember anything, and any replica can take any turn:
//!
//! | step | asks with | the next request carries |
//! | --- | --- | --- |
//! | PIN, attempt N (1..=3) | `pinN` | `pin1=…`, …, `pinN=…` |
//! | menu | `acct` | `acct=K` |
//! | repeat, round N (1..=5) | `repN` | `rep1=1`, …, `repN=<key or None>` |
//!
//! Each turn re-checks everything from the start (allow-list, the latest PIN attempt, the
//! menu choice), so a later turn cannot skip an earlier one.

use std::fmt;

use subtle::ConstantTimeEq;

use crate::account::Account;
use crate::clock::Clock;
use crate::error::Error;
use crate::request::Fields;
use crate::totp::{self, Code};
use crate::yemot::{self, Folder, Lang, Messages, Read, Reply, Texts};

/// Most "press 1 to hear it again" rounds in one call.
pub const MAX_REPEATS: u32 = 5;
/// Most PIN attempts in one call.
pub const MAX_PIN_ATTEMPTS: u32 = 3;
/// Below this many seconds left, the caller is warned and offered the next code (`warn_below`).
pub const DEFAULT_WARN_BELOW: u64 = 7;
/// The largest `warn_below` accepted.
pub const MAX_WARN_BELOW: u64 = 60;
/// Seconds Yemot waits for a key after a prompt.
const WAIT_SECONDS: u8 = 7;
/// Seconds Yemot waits for a PIN: typing up to 12 digits takes longer.
const PIN_WAIT_SECONDS: u8 = 15;

/// Answers one turn of a call. Never fails: every problem becomes a spoken message.
pub fn answer(fields: &Fields, clock: &Clock) -> Reply {
    turn(fields, clock).unwrap_or_else(|error| Reply::error(error, lang_of(fields)))
}

/// The voice for errors: `lang` when it is valid, else Hebrew.
pub fn lang_of(fields: &Fields) -> Lang {
    fields
        .get_non_empty("lang")
        .and_then(|l| Lang::parse(l).ok())
        .unwrap_or_default()
}

fn turn(fields: &Fields, clock: &Clock) -> Result<Reply, Error> {
    let options = Options::from_fields(fields)?;
    let texts = options.lang.texts();
    let end = |text: &str| {
        let mut messages = Messages::new();
        messages.text(text);
        Reply::say_then_hangup(&messages)
    };

    if let Some(allow) = &options.allow {
        match fields.get("ApiPhone") {
            None => return Ok(end(texts.caller_unknown)),
            Some(phone) if !allow.contains(phone) => return Ok(end(texts.caller_refused)),
            Some(_) => {}
        }
    }

    if let Some(pin) = &options.pin {
        match pin.check(fields) {
            PinCheck::Passed => {}
            PinCheck::Locked => return Ok(end(texts.pin_locked)),
            PinCheck::Ask { attempt } => {
                let mut messages = Messages::new();
                if attempt > 1 {
                    messages.text(texts.pin_wrong);
                }
                messages.text(texts.pin_prompt);
                let name = format!("pin{attempt}");
                return Ok(Reply::read(
                    &messages,
                    &Read {
                        name: &name,
                        max: 12,
                        min: 1,
                        wait: PIN_WAIT_SECONDS,
                        allowed: "",
                        allow_empty: true,
                    },
                ));
            }
        }
    }

    let accounts = Account::all_from_fields(fields)?;
    let account = match accounts.as_slice() {
        [(_, only)] => only,
        _ => match fields.get_non_empty("acct") {
            None => return Ok(menu(&accounts, texts)),
            Some(choice) => {
                let choice = choice.trim();
                match accounts.iter().find(|(key, _)| choice == key.to_string()) {
                    Some((_, account)) => account,
                    None => return Ok(end(texts.choice_invalid)),
                }
            }
        },
    };

    let round = match last_repeat(fields) {
        None => 0,
        Some((n, pressed)) if pressed.trim() == "1" => n,
        Some(_) => {
            let mut messages = Messages::new();
            messages.text(texts.goodbye);
            return Ok(Reply::say_then(&messages, &options.then));
        }
    };
    let now = clock.now()?;
    Ok(reading(account, &options, round, now))
}

/// One reading of the code. `round` is how many times the caller already pressed 1.
fn reading(account: &Account, options: &Options, round: u32, now: u64) -> Reply {
    let texts = options.lang.texts();
    let intro = options.intro.as_deref().unwrap_or(texts.intro);
    let generator = totp::Generator::new(&account.secret, &account.params);
    let code = generator.code_at(now);
    // Warn when the code is about to change.
    let low = code.ttl < options.warn_below;

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
        messages = yemot::code_messages(&code, intro, texts);
        if low {
            seconds_left(&mut messages, texts, code.ttl);
            prompt = texts.next_prompt;
        } else if options.always_seconds {
            seconds_left(&mut messages, texts, code.ttl);
        }
    }

    if round >= MAX_REPEATS {
        messages.text(texts.goodbye);
        return Reply::say_then(&messages, &options.then);
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
fn menu(accounts: &[(u8, Account)], texts: &Texts) -> Reply {
    let mut messages = Messages::new();
    let mut allowed = String::new();
    for (key, account) in accounts {
        let key_text = key.to_string();
        let name = match &account.name {
            Some(name) if !yemot::sanitize_text(name).is_empty() => name.clone(),
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

/// The phone-only options of an extension.
struct Options {
    lang: Lang,
    /// `text`: replaces "the code is".
    intro: Option<String>,
    /// `then`: where the caller goes at the end.
    then: Folder,
    /// `warn_below`: seconds.
    warn_below: u64,
    /// `seconds=yes`: always say the seconds left.
    always_seconds: bool,
    pin: Option<Pin>,
    allow: Option<AllowList>,
}

impl Options {
    fn from_fields(fields: &Fields) -> Result<Self, Error> {
        let lang = fields
            .get_non_empty("lang")
            .map_or(Ok(Lang::He), Lang::parse)?;
        let intro = fields
            .get_non_empty("text")
            .map(yemot::sanitize_text)
            .filter(|t| !t.is_empty());
        let then = fields
            .get_non_empty("then")
            .map_or(Ok(Folder::HANGUP), Folder::parse)?;
        let warn_below = match fields.get_non_empty("warn_below") {
            None => DEFAULT_WARN_BELOW,
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .filter(|s| *s <= MAX_WARN_BELOW)
                .ok_or(Error::WarnBelow)?,
        };
        let always_seconds = fields.get_non_empty("seconds").is_some_and(|v| {
            matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1")
        });
        let pin = fields.get_non_empty("pin").map(Pin::parse).transpose()?;
        let allow = fields
            .get_non_empty("allow")
            .map(AllowList::parse)
            .transpose()?;
        Ok(Self {
            lang,
            intro,
            then,
            warn_below,
            always_seconds,
            pin,
            allow,
        })
    }
}

/// The extension's PIN: 4 to 12 digits, compared in constant time, never printed.
pub struct Pin {
    /// Length, then the digits, zero-padded: a fixed size, so comparing leaks no length.
    bytes: [u8; 13],
}

/// What the PIN check says about this turn.
#[derive(Debug, PartialEq, Eq)]
pub enum PinCheck {
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

impl Pin {
    /// Parses the extension's `pin`.
    ///
    /// # Errors
    ///
    /// [`Error::Pin`] unless it is 4 to 12 ASCII digits.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if !(4..=12).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Pin);
        }
        Ok(Self {
            bytes: Self::fixed(text),
        })
    }

    /// `typed` as the same fixed-size array; anything that is not 1 to 12 digits gets length 0,
    /// which no PIN has.
    fn fixed(typed: &str) -> [u8; 13] {
        let mut bytes = [0u8; 13];
        let typed = typed.trim();
        if (1..=12).contains(&typed.len()) && typed.bytes().all(|b| b.is_ascii_digit()) {
            bytes[0] = typed.len() as u8;
            bytes[1..=typed.len()].copy_from_slice(typed.as_bytes());
        }
        bytes
    }

    /// Whether the caller typed this PIN, in constant time.
    pub fn matches(&self, typed: &str) -> bool {
        self.bytes.ct_eq(&Self::fixed(typed)).into()
    }

    /// Judges the latest attempt Yemot reported (`pin1` … `pin3`).
    pub fn check(&self, fields: &Fields) -> PinCheck {
        match fields.latest_round("pin", MAX_PIN_ATTEMPTS) {
            None => PinCheck::Ask { attempt: 1 },
            Some((_, typed)) if self.matches(typed) => PinCheck::Passed,
            Some((n, _)) if n < MAX_PIN_ATTEMPTS => PinCheck::Ask { attempt: n + 1 },
            Some(_) => PinCheck::Locked,
        }
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(REDACTED)")
    }
}

/// The callers allowed to hear codes. `+972 50…`, `972-50…` and `050…` are the same number.
pub struct AllowList(Vec<String>);

impl AllowList {
    /// Parses numbers separated by commas, semicolons, spaces or newlines.
    ///
    /// # Errors
    ///
    /// [`Error::Allow`] when an entry holds something other than digits, `+`, `-`, `(`, `)`,
    /// or when no number is listed.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut numbers = Vec::new();
        for entry in text.split([',', ';', '\n', '\r', '\t', '|']) {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            if !entry
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
            {
                return Err(Error::Allow);
            }
            let number = normalize_phone(entry);
            if number.len() < 3 {
                return Err(Error::Allow);
            }
            numbers.push(number);
        }
        if numbers.is_empty() {
            return Err(Error::Allow);
        }
        Ok(Self(numbers))
    }

    /// Whether `phone` (as Yemot sent it in `ApiPhone`) is listed.
    pub fn contains(&self, phone: &str) -> bool {
        let phone = normalize_phone(phone);
        !phone.is_empty() && self.0.contains(&phone)
    }
}

impl fmt::Debug for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AllowList({} numbers)", self.0.len())
    }
}

/// Digits only, with Israel's country code turned into the trunk `0`: `+972-50-123-4567`,
/// `972501234567` and `00972501234567` all become `0501234567`.
fn normalize_phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    for prefix in ["00972", "972"] {
        if let Some(rest) = digits.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let rest = rest.strip_prefix('0').unwrap_or(rest);
            return format!("0{rest}");
        }
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Format;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            Format::Phone,
        )
    }

    #[test]
    fn phone_numbers_in_every_israeli_form_are_one_number() {
        let allow = AllowList::parse("+972-50-123-4567; 03 555 1234,\n972527654321").unwrap();
        for same in [
            "0501234567",
            "972501234567",
            "+972501234567",
            "00972501234567",
            "+972 (0)50 1234567",
        ] {
            assert!(allow.contains(same), "{same}");
        }
        assert!(allow.contains("035551234"));
        assert!(allow.contains("0527654321"));
        assert!(!allow.contains("0501234568"));
        assert!(!allow.contains(""));
        assert!(!allow.contains("Anonymous"));
        for bad in ["", " , ", "050abc", "12"] {
            assert_eq!(
                AllowList::parse(bad).map(|_| ()),
                Err(Error::Allow),
                "{bad:?}"
            );
        }
        assert_eq!(format!("{allow:?}"), "AllowList(3 numbers)");
    }

    #[test]
    fn pins_are_digits_and_compare_exactly() {
        let pin = Pin::parse("04321").unwrap();
        assert!(pin.matches("04321"));
        assert!(pin.matches(" 04321 "));
        for wrong in ["4321", "043210", "04322", "", "None", "0432a", "04321#"] {
            assert!(!pin.matches(wrong), "{wrong}");
        }
        for bad in ["123", "1234567890123", "12a4", "", "12 34"] {
            assert_eq!(Pin::parse(bad).map(|_| ()), Err(Error::Pin), "{bad:?}");
        }
        assert_eq!(format!("{pin:?}"), "Pin(REDACTED)");
    }

    #[test]
    fn pin_attempts_are_counted_from_the_names_yemot_re_sends() {
        let pin = Pin::parse("4321").unwrap();
        assert_eq!(pin.check(&fields(&[])), PinCheck::Ask { attempt: 1 });
        assert_eq!(
            pin.check(&fields(&[("pin1", "1111")])),
            PinCheck::Ask { attempt: 2 }
        );
        assert_eq!(
            pin.check(&fields(&[("pin1", "1111"), ("pin2", "4321")])),
            PinCheck::Passed
        );
        assert_eq!(
            pin.check(&fields(&[("pin1", "1"), ("pin2", "2"), ("pin3", "None")])),
            PinCheck::Locked
        );
        // Only the latest attempt counts: an early right one does not unlock a later wrong one.
        assert_eq!(
            pin.check(&fields(&[("pin1", "4321"), ("pin2", "0")])),
            PinCheck::Ask { attempt: 3 }
        );
    }
}
