//! The Yemot language: the plain-text commands a `type=api` extension speaks.
//!
//! # Format
//!
//! ```text
//! id_list_message=t-הקוד הוא.d-123.d-456.t-אני חוזר.d-123.d-456&go_to_folder=hangup
//! ```
//!
//! A reply is `command=value` pairs joined by `&`; only `id_list_message` (and music on hold)
//! may be followed by another command. A message list is `type-data` items joined by `.`:
//! `t-` is text to speech, `d-` reads digits one by one, so a code's leading zeros survive.
//! Inside `t-` text, `.` and `-` are documented as forbidden, `&` and `=` are structural, and
//! every library also strips `"`, `'` and `|` (`shared/yemot-protocol.md` §3, §4).

pub mod texts;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::totp::Code;

/// Characters that must never reach a `t-` item.
const FORBIDDEN_IN_TEXT: &[char] = &[
    '.', '-', '\u{2013}', '\u{2014}', '&', '=', '"', '\'', '|', '\r', '\n', '\t',
];

/// Whether `text` can be sent in a `t-` item as it is: non-empty, no forbidden character.
pub fn is_clean_text(text: &str) -> bool {
    !text.trim().is_empty() && !text.contains(FORBIDDEN_IN_TEXT)
}

/// Makes any text safe for a `t-` item: each forbidden character becomes a space, runs of
/// spaces collapse, and the ends are trimmed. Commas stay: they are a natural pause.
pub fn sanitize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if FORBIDDEN_IN_TEXT.contains(&c) || c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c != ' ' || !(out.is_empty() || out.ends_with(' ')) {
            out.push(c);
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// A message list under construction (`t-….d-…`).
#[derive(Default)]
pub struct Messages {
    list: String,
}

impl Messages {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    fn separator(&mut self) {
        if !self.list.is_empty() {
            self.list.push('.');
        }
    }

    /// Adds a text-to-speech item. Text that is not clean is sanitized; text that is empty
    /// after that adds nothing (an empty `t-` item breaks the reply).
    pub fn text(&mut self, text: &str) -> &mut Self {
        if is_clean_text(text) {
            self.separator();
            self.list.push_str("t-");
            self.list.push_str(text);
        } else {
            let clean = sanitize_text(text);
            if !clean.is_empty() {
                self.separator();
                self.list.push_str("t-");
                self.list.push_str(&clean);
            }
        }
        self
    }

    /// Adds a digits item, read one digit at a time. `digits` must be ASCII digits.
    pub fn digits(&mut self, digits: &str) -> &mut Self {
        debug_assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        self.separator();
        self.list.push_str("d-");
        self.list.push_str(digits);
        self
    }

    /// Adds a code in two groups with a pause between them: 6 digits as 3+3, 7 as 3+4, 8 as 4+4.
    pub fn code(&mut self, code: &str) -> &mut Self {
        let (first, second) = code.split_at(code.len() / 2);
        self.digits(first).digits(second)
    }

    /// The list as text.
    pub fn as_str(&self) -> &str {
        &self.list
    }
}

/// A complete answer to Yemot.
#[derive(Debug)]
pub struct Reply {
    body: String,
}

impl Reply {
    /// Plays `messages`, then hangs up. Ending explicitly keeps the caller from being sent "one
    /// level back" by a default the owner may not have thought about (`yemot-protocol.md` §3.3).
    pub fn say_then_hangup(messages: &Messages) -> Self {
        let mut body = String::with_capacity(messages.as_str().len() + 40);
        body.push_str("id_list_message=");
        body.push_str(messages.as_str());
        body.push_str("&go_to_folder=hangup");
        Self { body }
    }

    /// The code read twice, then hang up.
    pub fn code(code: &Code) -> Self {
        Self::say_then_hangup(&code_messages(code))
    }

    /// A spoken error, then hang up.
    pub fn error(error: Error) -> Self {
        let mut messages = Messages::new();
        messages.text(texts::spoken(error));
        Self::say_then_hangup(&messages)
    }

    /// The answer to a hang-up notice: empty. Nobody is listening, so nothing is computed.
    pub fn hangup_ack() -> Self {
        Self {
            body: String::new(),
        }
    }

    /// The reply text.
    pub fn as_str(&self) -> &str {
        &self.body
    }
}

/// The message list that reads a code: intro, the code, "I repeat", the code again.
pub fn code_messages(code: &Code) -> Messages {
    let mut messages = Messages::new();
    messages
        .text(texts::INTRO)
        .code(code.as_str())
        .text(texts::AGAIN)
        .code(code.as_str());
    messages
}

impl IntoResponse for Reply {
    /// Always 200 and `text/plain; charset=utf-8`: any other status makes Yemot play M1607.
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            self.body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_removes_every_forbidden_character() {
        assert_eq!(
            sanitize_text("  צה\"ל.  בנק-הפועלים & co = 'x' | y\r\n–—z "),
            "צה ל בנק הפועלים co x y z"
        );
        assert_eq!(sanitize_text(". - &"), "");
        assert_eq!(sanitize_text("שלום, עולם"), "שלום, עולם");
    }

    #[test]
    fn codes_are_grouped_for_listening() {
        for (code, want) in [
            ("012345", "d-012.d-345"),
            ("0123456", "d-012.d-3456"),
            ("01234567", "d-0123.d-4567"),
        ] {
            assert_eq!(Messages::new().code(code).as_str(), want);
        }
    }

    #[test]
    fn unclean_and_empty_texts_are_handled() {
        let mut m = Messages::new();
        m.text("a.b").text("..").digits("1");
        assert_eq!(m.as_str(), "t-a b.d-1");
    }
}
