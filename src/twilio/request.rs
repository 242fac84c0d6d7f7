//! A Twilio webhook read into one turn of the call ([`crate::call::request::Turn`]), and the
//! `action` URL that carries the call to its next turn.
//!
//! The owner's options come from the Voice URL's query on the first turn, and from the ticket
//! after ([`super::ticket`]), which carries them since Twilio does not; they are named as for
//! Yemot and `/api/2fa` (`crate::yemot::request` reads them), and `then` alone is written
//! Twilio's way, as a URL. Twilio's own fields are `From` (the caller) and `Digits` (the keys
//! pressed, empty for silence). Everything earlier in the call comes from the ticket, never
//! from a field a client could write.

use zeroize::Zeroizing;

use crate::call::request::{Answer, Answers, Caller, Turn};
use crate::call::{Outcome, Question};
use crate::error::Error;
use crate::yemot::{Fields, request as options};

use super::ticket::{Asked, IssueError, TICKET_SECONDS, Ticket, TicketKeys};

/// The query parameter the ticket travels in.
pub const TICKET: &str = "ticket";

/// The longest `then` accepted.
const MAX_THEN: usize = 1000;

/// Each menu key as the text a caller types.
const KEYS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Where a call stands when a webhook arrives: the Voice URL's options, and the state the
/// last turn left.
#[derive(Debug)]
pub struct Call<'q> {
    /// The Voice URL's query: as it came on the first turn, from the ticket after.
    options: Options<'q>,
    /// The call's `CallSid`.
    sid: &'q str,
    /// The state the last turn left; none on the first turn, or when the ticket was kept too
    /// long (then the call starts over).
    pub ticket: Option<Ticket>,
}

/// Where a call's options came from.
enum Options<'q> {
    /// The Voice URL's own query, on the first turn.
    Voice(&'q str),
    /// Out of the ticket.
    Ticket(Zeroizing<String>),
}

// The options may hold a key or a PIN: never printed.
impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Voice(_) => "Voice(..)",
            Self::Ticket(_) => "Ticket(..)",
        })
    }
}

impl<'q> Call<'q> {
    /// Reads the call from the request's `query` and `fields`, opening its ticket with `keys`
    /// at `now`: a first turn has none, and its query is the Voice URL's.
    ///
    /// # Errors
    ///
    /// [`Error::TicketInvalid`] for a ticket these keys did not seal in this call: changed,
    /// moved, or sealed by a server with other keys.
    pub fn read(
        query: Option<&'q str>,
        fields: &'q Fields,
        keys: &TicketKeys,
        now: u64,
    ) -> Result<Self, Error> {
        let query = query.unwrap_or("");
        let sid = fields.get("CallSid").unwrap_or("");
        let ticket = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .rfind(|(name, _)| *name == TICKET);
        let Some((_, text)) = ticket else {
            return Ok(Self {
                options: Options::Voice(query),
                sid,
                ticket: None,
            });
        };
        let opened = keys.open(text, sid, now).ok_or(Error::TicketInvalid)?;
        Ok(Self {
            options: Options::Ticket(opened.options),
            sid,
            ticket: opened.ticket,
        })
    }

    /// The Voice URL's query, which names the accounts and options.
    pub fn options(&self) -> &str {
        match &self.options {
            Options::Voice(query) => query,
            Options::Ticket(options) => options,
        }
    }

    /// The URL the answer to `outcome`'s question is posted to: this `path` again, with only
    /// the next ticket in its query, its state good for [`TICKET_SECONDS`] after `now`.
    /// `typed` is what this turn's keys were. `None` when nothing is asked.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyParams`] for a Voice URL too long to carry
    /// ([`super::ticket::MAX_OPTIONS`]), or [`Error::Internal`] when the system gives no
    /// randomness.
    pub fn next_action(
        &self,
        path: &str,
        outcome: &Outcome<'_>,
        typed: &str,
        keys: &TicketKeys,
        now: u64,
    ) -> Result<Option<String>, Error> {
        let Outcome::Ask(_, question) = outcome else {
            return Ok(None);
        };
        let next = next_ticket(self.ticket.as_ref(), typed, question);
        let ticket = keys
            .issue(&next, self.options(), self.sid, now + TICKET_SECONDS)
            .map_err(|e| match e {
                IssueError::TooLong => Error::TooManyParams,
                IssueError::NoRandomness => Error::Internal,
            })?;
        Ok(Some(format!("{path}?{TICKET}={ticket}")))
    }
}

/// The ticket of a turn that asks `question`, after one that left `before` and heard `typed`.
/// The PIN is passed once a question about the code is asked: the call flow asks one only of a
/// caller it let through (`crate::call::flow`). A pass holds for the choice it was made under
/// and no other: never across a menu.
fn next_ticket(before: Option<&Ticket>, typed: &str, question: &Question) -> Ticket {
    let chose_now = matches!(before, Some(b) if b.asked == Asked::Menu);
    let choice = match before {
        Some(_) if chose_now => menu_key(typed),
        Some(before) => before.choice,
        None => None,
    };
    let asked = Asked::of(question);
    let about_the_code = matches!(asked, Asked::Repeat(_) | Asked::Code(_));
    let kept = before.is_some_and(|b| b.admitted) && !chose_now && asked != Asked::Menu;
    Ticket {
        asked,
        choice,
        admitted: about_the_code || kept,
    }
}

/// The menu key `typed` chooses, if it is one key from 1 to 9.
fn menu_key(typed: &str) -> Option<u8> {
    match typed.trim().as_bytes() {
        [key @ b'1'..=b'9'] => Some(key - b'0'),
        _ => None,
    }
}

/// The keys this webhook posted: `Digits`, empty for silence.
pub fn typed(fields: &Fields) -> &str {
    fields.get("Digits").unwrap_or("")
}

/// One turn of a Twilio call: the owner's options from `options` (the Voice URL's query, read),
/// the caller from Twilio's `fields`, and the answers from `ticket` and the keys just pressed.
///
/// # Errors
///
/// As for Yemot (`crate::yemot::request::turn`), with [`Error::ThenUrl`] for a `then` that is
/// not a URL Twilio can go to.
pub fn turn<'f>(
    options: &'f Fields,
    fields: &'f Fields,
    ticket: Option<&Ticket>,
) -> Result<Turn<'f>, Error> {
    Ok(Turn {
        settings: options::settings(options, then_url)?,
        plain: options::plain_protection(options)?,
        accounts: options::accounts(options)?,
        caller: caller(fields),
        answers: answers(ticket, typed(fields)),
    })
}

/// The caller's number as Twilio reports it (`From`). A withheld number comes as a word
/// (`anonymous`, or a fixed number with no digits in some regions' forms), which is no number.
fn caller(fields: &Fields) -> Caller<'_> {
    Caller {
        number: fields
            .get("From")
            .filter(|n| n.bytes().any(|b| b.is_ascii_digit())),
    }
}

/// The answers a turn has: the choice and the PIN passed from the ticket, and `typed` as the
/// answer to the question the ticket says was asked. Without a ticket, none: the call starts.
fn answers<'t>(ticket: Option<&Ticket>, typed: &'t str) -> Answers<'t> {
    let Some(ticket) = ticket else {
        return Answers::default();
    };
    let mut answers = Answers {
        choice: ticket.choice.map(|key| Answer {
            round: 1,
            typed: KEYS[usize::from(key)],
        }),
        admitted: ticket.admitted,
        ..Answers::default()
    };
    let answer = |round: u8| {
        Some(Answer {
            round: u32::from(round),
            typed,
        })
    };
    match ticket.asked {
        Asked::Pin(attempt) => answers.pin = answer(attempt),
        Asked::Menu => answers.choice = answer(1),
        Asked::Repeat(round) => answers.repeat = answer(round),
        Asked::Code(attempt) => answers.code = answer(attempt),
    }
    answers
}

/// `then` on Twilio: `hangup`, or an `http(s)` URL the call is redirected to (a TwiML Bin, a
/// Studio flow, the owner's own server). Never this service's `/api/twilio`: the call would
/// start over for ever.
fn then_url(then: Option<&str>) -> Result<Option<String>, Error> {
    let Some(then) = then.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if then.eq_ignore_ascii_case("hangup") {
        return Ok(None);
    }
    let url = url::Url::parse(then).map_err(|_| Error::ThenUrl)?;
    let web = matches!(url.scheme(), "http" | "https") && url.host().is_some();
    if !web || then.len() > MAX_THEN || url.path().trim_end_matches('/').ends_with("/api/twilio") {
        return Err(Error::ThenUrl);
    }
    Ok(Some(url.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn then_is_hangup_or_a_web_address_elsewhere() {
        assert_eq!(then_url(None), Ok(None));
        assert_eq!(then_url(Some(" HangUp ")), Ok(None));
        assert_eq!(
            then_url(Some("https://handler.twilio.com/twiml/EH123?a=1")),
            Ok(Some("https://handler.twilio.com/twiml/EH123?a=1".into()))
        );
        for bad in [
            "/1/2",
            "ftp://example.com/x",
            "https://",
            "mailto:a@example.com",
            "https://me.example/api/twilio",
            "https://me.example/api/twilio/?sealed=x",
        ] {
            assert_eq!(then_url(Some(bad)), Err(Error::ThenUrl), "{bad}");
        }
    }

    #[test]
    fn the_keys_answer_the_question_the_ticket_asked() {
        let ticket = |asked, choice, admitted| Ticket {
            asked,
            choice,
            admitted,
        };
        assert!(answers(None, "1234").pin.is_none(), "no ticket, no answer");
        let a = answers(Some(&ticket(Asked::Pin(2), Some(3), false)), "1234");
        let shape = |a: Option<Answer<'_>>| a.map(|a| (a.round, a.typed.to_owned()));
        assert_eq!(shape(a.pin), Some((2, "1234".into())));
        assert_eq!(shape(a.choice), Some((1, "3".into())));
        assert!(!a.admitted && a.repeat.is_none() && a.code.is_none());
        let a = answers(Some(&ticket(Asked::Menu, None, false)), "2");
        assert_eq!(shape(a.choice), Some((1, "2".into())));
        let a = answers(Some(&ticket(Asked::Code(3), Some(1), true)), "");
        assert_eq!(shape(a.code), Some((3, String::new())));
        assert!(a.admitted);
    }

    #[test]
    fn the_pin_is_passed_only_once_the_code_is_asked_about() {
        let repeat = Question::Repeat { round: 1 };
        let pin = Question::Pin { attempt: 2 };
        let menu_answered = Ticket {
            asked: Asked::Menu,
            choice: None,
            admitted: false,
        };
        let asked_pin = next_ticket(Some(&menu_answered), "4", &pin);
        assert_eq!(asked_pin.choice, Some(4));
        assert!(!asked_pin.admitted);
        let passed = next_ticket(Some(&asked_pin), "7351", &repeat);
        assert_eq!((passed.choice, passed.admitted), (Some(4), true));
        assert!(next_ticket(None, "", &repeat).admitted);
        // A pass never outlives the choice it was made under.
        let odd = Ticket {
            asked: Asked::Menu,
            choice: Some(1),
            admitted: true,
        };
        assert!(!next_ticket(Some(&odd), "2", &pin).admitted);
        let passed_then_menu = next_ticket(
            Some(&passed),
            "",
            &Question::Menu {
                keys: [1, 2].into_iter().collect(),
            },
        );
        assert!(!passed_then_menu.admitted);
        assert_eq!(next_ticket(Some(&menu_answered), "0", &pin).choice, None);
        assert_eq!(next_ticket(Some(&menu_answered), "12", &pin).choice, None);
    }
}
