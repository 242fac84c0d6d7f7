//! A request's fields read into the call's typed requests ([`crate::call::request`]): the one
//! place that knows the names, of the owner's ext.ini values (`secret_1`, `digits`, `then` …),
//! of Yemot's own fields (`ApiPhone`, `ApiExtension`) and of the answers to the questions this
//! service asks, each in a round of its own (`pin2`, `acct`, `rep3`, `code1`; see
//! [`question_name`]). Read once per request, borrowing the texts. The owner's options are the
//! same on every phone system, so `crate::twilio::request` reads them here too ([`settings`],
//! [`plain_protection`], [`accounts`]), with its own reader of `then`.

use crate::call::flow::MAX_REPEATS;
use crate::call::guard::MAX_PIN_ATTEMPTS;
use crate::call::request::{AccountRequest, Accounts, Answer, Answers, Caller, Source, Turn};
use crate::call::settings::{DEFAULT_WARN_BELOW, MAX_WARN_BELOW, Mode, Settings};
use crate::call::verify::MAX_TRIES;
use crate::call::{Lang, Question};
use crate::error::Error;
use crate::otp::account::{AllowList, OptionTexts, Options, Pin, Protection};
use crate::otp::verify::{DEFAULT_WINDOW, MAX_WINDOW};

use super::fields::{Fields, FieldsError};
use super::reply::{Folder, InvalidFolder};
use super::speak::sanitize_text;

/// The menu keys an account can have.
pub const MENU_KEYS: std::ops::RangeInclusive<u8> = 1..=9;

/// The name suffix of each menu key: `secret_1`, `name_1`, `sealed_1`, ….
pub const MENU_SUFFIXES: [&str; 9] = ["_1", "_2", "_3", "_4", "_5", "_6", "_7", "_8", "_9"];

/// The name an answer to each question comes back under: a fresh one for every round, so
/// that Yemot re-sends every earlier answer beside it.
const PIN: &str = "pin";
const MENU: &str = "acct";
const REPEAT: &str = "rep";
const CODE: &str = "code";

/// The field `question`'s answer comes back under, written into `buf`: `pin2`, `acct`, `rep3`,
/// `code1`.
pub fn question_name<'b>(question: &Question, buf: &'b mut [u8; 8]) -> &'b str {
    let (prefix, round) = match question {
        Question::Pin { attempt } => (PIN, Some(*attempt)),
        Question::Menu { .. } => (MENU, None),
        Question::Repeat { round } => (REPEAT, Some(*round)),
        Question::Code { attempt, .. } => (CODE, Some(*attempt)),
    };
    let mut number = itoa::Buffer::new();
    let digits = round.map_or("", |n| number.format(n.min(99)));
    let len = prefix.len() + digits.len();
    buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
    buf[prefix.len()..len].copy_from_slice(digits.as_bytes());
    std::str::from_utf8(&buf[..len]).unwrap_or(prefix)
}

/// The voice for errors: `lang` when it is valid, else Hebrew. Read on its own, so that a call
/// whose other settings are broken still hears what to fix in the owner's language.
pub fn lang(fields: &Fields) -> Lang {
    fields
        .get_non_empty("lang")
        .and_then(|l| Lang::parse(l).ok())
        .unwrap_or_default()
}

/// One turn of a phone call.
///
/// # Errors
///
/// The first setting, option or link that cannot be used, in the order the caller should hear
/// of them: flow settings, the extension's protection, the accounts.
pub fn turn(fields: &Fields) -> Result<Turn<'_>, Error> {
    Ok(Turn {
        settings: settings(fields, |then| {
            let then = then.map_or(Ok(Folder::HANGUP), Folder::parse)?;
            if then.leads_into(fields.get("ApiExtension")) {
                return Err(Error::ThenLoop);
            }
            Ok(then.into_target())
        })?,
        plain: plain_protection(fields)?,
        accounts: accounts(fields)?,
        caller: caller(fields),
        answers: answers(fields),
    })
}

/// The latest answer to each question, read in one pass over the fields.
fn answers(fields: &Fields) -> Answers<'_> {
    fn answer(latest: Option<(u32, &str)>) -> Option<Answer<'_>> {
        latest.map(|(round, typed)| Answer { round, typed })
    }
    let [pin, repeat, code] = fields.latest_rounds([
        (PIN, MAX_PIN_ATTEMPTS),
        (REPEAT, MAX_REPEATS),
        (CODE, MAX_TRIES),
    ]);
    Answers {
        pin: answer(pin),
        choice: fields.get(MENU).map(|typed| Answer { round: 1, typed }),
        repeat: answer(repeat),
        code: answer(code),
        // Anyone can write these fields: the PIN is judged again on every turn.
        admitted: false,
    }
}

/// The caller's number as Yemot reports it (`ApiPhone`). Anyone can send this field: it
/// identifies a phone caller, never an HTTP client.
pub fn caller(fields: &Fields) -> Caller<'_> {
    Caller {
        number: fields.get("ApiPhone"),
    }
}

/// The flow settings, each with its default. `then` is written as the phone system writes a
/// place (a Yemot folder, a Twilio URL), so `place` reads it: the owner's text, or `None`, into
/// the place to go (`None` to hang up).
///
/// # Errors
///
/// Whatever `place` refuses ([`Error::Then`], [`Error::ThenLoop`]), then [`Error::Lang`],
/// [`Error::WarnBelow`], [`Error::Repeat`], [`Error::Mode`], [`Error::ThenRequired`] or
/// [`Error::Window`].
pub fn settings(
    fields: &Fields,
    place: impl FnOnce(Option<&str>) -> Result<Option<String>, Error>,
) -> Result<Settings, Error> {
    let [
        lang,
        text,
        then,
        warn_below,
        seconds,
        repeat,
        mode,
        success,
        window,
    ] = fields.last_of([
        "lang",
        "text",
        "then",
        "warn_below",
        "seconds",
        "repeat",
        "mode",
        "success",
        "window",
    ]);
    let then = place(then)?;
    Settings {
        lang: lang.map_or(Ok(Lang::He), Lang::parse)?,
        intro: spoken(text),
        then,
        warn_below: match warn_below {
            None => DEFAULT_WARN_BELOW,
            Some(v) => crate::bounded::parse(v, 0..=MAX_WARN_BELOW).ok_or(Error::WarnBelow)?,
        },
        always_seconds: seconds.is_some_and(|v| yes_or_no(v) == Some(true)),
        repeat: match repeat {
            None => true,
            Some(v) => yes_or_no(v).ok_or(Error::Repeat)?,
        },
        mode: match mode.map(str::trim) {
            None => Mode::Read,
            Some(m) if m.eq_ignore_ascii_case("read") => Mode::Read,
            Some(m) if m.eq_ignore_ascii_case("verify") => Mode::Verify,
            Some(_) => return Err(Error::Mode),
        },
        success: spoken(success),
        window: match window {
            None => DEFAULT_WINDOW,
            Some(w) => crate::bounded::parse(w, 0..=MAX_WINDOW).ok_or(Error::Window)?,
        },
    }
    .checked()
}

/// An owner's text to be said, made speakable; unset when nothing speakable is left.
fn spoken(text: Option<&str>) -> Option<String> {
    text.map(sanitize_text).filter(|t| !t.is_empty())
}

/// `yes`, `true`, `1` or `no`, `false`, `0`, any case.
fn yes_or_no(text: &str) -> Option<bool> {
    let text = text.trim();
    let is = |words: [&str; 3]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
    if is(["yes", "true", "1"]) {
        Some(true)
    } else if is(["no", "false", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// The extension's plain `pin` and `allow`, when set.
///
/// # Errors
///
/// [`Error::Pin`] or [`Error::Allow`] for a setting that cannot be used.
pub fn plain_protection(fields: &Fields) -> Result<Protection, Error> {
    let [pin, allow] = fields.last_of(["pin", "allow"]);
    Ok(Protection {
        pin: pin.map(Pin::parse).transpose()?,
        allow: allow.map(AllowList::parse).transpose()?,
    })
}

/// Every account of a request, in menu order: `sealed_N` / `secret_N` for N in 1..=9, or the
/// single `sealed` / `secret` (key 1) when none is numbered. A sealed token wins over a plain key
/// in the same place. The unnumbered options are defaults for every plain account of a menu.
///
/// # Errors
///
/// [`Error::MissingSecret`] when there is no account at all; a bad option;
/// [`Error::SplitLink`] for a link whose raw pieces may belong to another account.
pub fn accounts(fields: &Fields) -> Result<Accounts<'_>, Error> {
    // Most requests have one account: skip the menu scan unless a numbered name is there.
    let menu = fields
        .pairs()
        .any(|(name, _)| name.starts_with("secret_") || name.starts_with("sealed_"));
    let mut list: smallvec::SmallVec<[AccountRequest<'_>; 1]> = smallvec::SmallVec::new();
    if menu {
        for (key, suffix) in MENU_KEYS.zip(MENU_SUFFIXES) {
            let own = |name: &str| fields.get_suffixed_non_empty(name, suffix);
            if let Some(source) = source(own)? {
                list.push(AccountRequest { key, source });
            }
        }
    }
    if list.is_empty() {
        return Ok(Accounts {
            list: smallvec::smallvec![single(fields)?],
            defaults: Options::default(),
        });
    }
    let any_plain = list
        .iter()
        .any(|a| matches!(a.source, Source::Plain { .. }));
    // Defaults are read only when a plain account takes them: nothing changes a token.
    let defaults = if any_plain {
        option_texts(|name| fields.get_non_empty(name)).parse()?
    } else {
        Options::default()
    };
    check_rejoined(fields, &list)?;
    Ok(Accounts { list, defaults })
}

/// The account a request without a menu names: `sealed`, else `secret`, with the options
/// beside it.
///
/// # Errors
///
/// [`Error::MissingSecret`] when neither is there; a bad option.
pub fn single(fields: &Fields) -> Result<AccountRequest<'_>, Error> {
    const NAMES: [&str; 7] = [
        "sealed",
        "secret",
        "digits",
        "algorithm",
        "period",
        "kind",
        "name",
    ];
    let found = fields.last_of(NAMES);
    let own = |name: &str| NAMES.iter().position(|n| *n == name).and_then(|i| found[i]);
    let source = source(own)?.ok_or(Error::MissingSecret)?;
    Ok(AccountRequest { key: 1, source })
}

/// The account whose values `own` finds, if one is there: the sealed token if any (nothing
/// written beside it is read), else the plain key and its options.
fn source<'f>(own: impl Fn(&str) -> Option<&'f str>) -> Result<Option<Source<'f>>, Error> {
    if let Some(token) = own("sealed") {
        return Ok(Some(Source::Sealed(token)));
    }
    let Some(key) = own("secret") else {
        return Ok(None);
    };
    Ok(Some(Source::Plain {
        key,
        own: option_texts(own).parse()?,
    }))
}

/// The options `option` finds under their names.
pub fn option_texts<'f>(option: impl Fn(&str) -> Option<&'f str>) -> OptionTexts<'f> {
    OptionTexts {
        digits: option("digits"),
        algorithm: option("algorithm"),
        period: option("period"),
        kind: option("kind"),
        name: option("name"),
    }
}

/// Refuses a menu where putting a raw-split link back together may have taken another account's
/// setting: `secret_1=otpauth://…?secret=X&digits=8` joined raw cannot be told apart from a link
/// followed by a line `digits=8` meant for every account. It matters only when another plain
/// account would take the unnumbered setting (it has neither its own nor one in its link).
fn check_rejoined(fields: &Fields, list: &[AccountRequest<'_>]) -> Result<(), Error> {
    let suffix = |key: u8| MENU_SUFFIXES[usize::from(key - 1)];
    let plain = || {
        list.iter()
            .filter(|a| matches!(a.source, Source::Plain { .. }))
    };
    for account in plain() {
        for option in fields.rejoined("secret", suffix(account.key)) {
            let another_takes_it = plain().any(|other| {
                other.key != account.key
                    && fields
                        .get_suffixed_non_empty(option, suffix(other.key))
                        .is_none()
                    && !fields
                        .get_suffixed_non_empty("secret", suffix(other.key))
                        .is_some_and(|key| key.contains(&format!("{option}=")))
            });
            if another_takes_it {
                return Err(Error::SplitLink {
                    account: account.key,
                });
            }
        }
    }
    Ok(())
}

impl From<FieldsError> for Error {
    fn from(error: FieldsError) -> Self {
        match error {
            FieldsError::TooMany => Self::TooManyParams,
            FieldsError::InvalidJson => Self::InvalidJson,
        }
    }
}

impl From<InvalidFolder> for Error {
    fn from(_: InvalidFolder) -> Self {
        Self::Then
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_menu_reads_numbered_accounts_with_unnumbered_defaults() {
        let fields = Fields::from_form(
            b"secret_1=JBSWY3DPEHPK3PXP&secret_3=JBSWY3DPEHPK3PXP&digits_3=8&digits=7&name_1=A",
        );
        let accounts = accounts(&fields).unwrap();
        let shape: Vec<_> = accounts
            .list
            .iter()
            .map(|a| match a.source {
                Source::Plain { own, .. } => (a.key, own.digits, own.name),
                Source::Sealed(_) => panic!("plain"),
            })
            .collect();
        assert_eq!(shape, [(1, None, Some("A")), (3, Some(8), None)]);
        assert_eq!(accounts.defaults.digits, Some(7));
    }

    #[test]
    fn without_any_key_the_secret_is_missing() {
        for body in [&b""[..], b"secret=", b"secret_1=%20", b"digits=8"] {
            assert_eq!(
                accounts(&Fields::from_form(body)).unwrap_err(),
                Error::MissingSecret
            );
        }
    }

    #[test]
    fn answers_come_back_under_the_names_questions_are_asked_with() {
        let mut buf = [0u8; 8];
        assert_eq!(
            question_name(&Question::Pin { attempt: 2 }, &mut buf),
            "pin2"
        );
        let menu = Question::Menu {
            keys: [1, 2].into_iter().collect(),
        };
        assert_eq!(question_name(&menu, &mut buf), "acct");
        assert_eq!(
            question_name(&Question::Repeat { round: 5 }, &mut buf),
            "rep5"
        );
        let code = Question::Code {
            attempt: 3,
            digits: 6,
        };
        assert_eq!(question_name(&code, &mut buf), "code3");

        let fields =
            Fields::from_form(b"secret=JBSWY3DPEHPK3PXP&pin1=1111&pin2=4321&acct=2&rep1=1&code1=5");
        let turn = turn(&fields).unwrap();
        fn round<'a>(a: Option<Answer<'a>>) -> Option<(u32, &'a str)> {
            a.map(|a| (a.round, a.typed))
        }
        assert_eq!(round(turn.answers.pin), Some((2, "4321")));
        assert_eq!(round(turn.answers.choice), Some((1, "2")));
        assert_eq!(round(turn.answers.repeat), Some((1, "1")));
        assert_eq!(round(turn.answers.code), Some((1, "5")));
        // Names Yemot was never asked under are not answers.
        let odd = Fields::from_form(b"secret=JBSWY3DPEHPK3PXP&pin01=1&pin4=2&rep9=1");
        let odd = turn_of(&odd);
        assert!(odd.answers.pin.is_none() && odd.answers.repeat.is_none());
    }

    fn turn_of(fields: &Fields) -> Turn<'_> {
        turn(fields).unwrap()
    }
}
