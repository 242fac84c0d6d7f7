//! A turn's outcome ([`crate::call::Outcome`]) written as Yemot commands: speech as a message
//! list, a question as a `read` under the name its answer comes back with
//! ([`super::request::question_name`]), the end as `go_to_folder`.
//!
//! Yemot reads `d-` and `n-` items with its Hebrew recordings, and a `t-` item that begins in
//! English with an English voice (docs/YEMOT.md). So a Hebrew call says codes digit by digit
//! with `d-`, and an English call gets one English `t-` item with its numbers, keys and codes
//! written in it, a code's digits apart and its two halves a pause apart.

use std::fmt::Write as _;

use crate::call::{Item, Lang, Next, Outcome, Question, Speech};

use super::reply::{Messages, Read, Reply};
use super::request::question_name;

/// The reply that says and does what `outcome` decided, in the voice of `lang`.
pub fn render(outcome: &Outcome<'_>, lang: Lang) -> Reply {
    match outcome {
        Outcome::Say(speech, next) => {
            let target = match next {
                Next::Hangup => "hangup",
                Next::Go(target) => target,
            };
            Reply::say_then_go(messages(speech, lang), target)
        }
        Outcome::Ask(speech, question) => {
            let mut name = [0u8; 8];
            let name = question_name(question, &mut name);
            let (min, max) = question.keys();
            let mut only = String::new();
            if let Question::Menu { keys } = question {
                only.extend(keys.iter().map(|k| char::from(b'0' + k % 10)));
            }
            let read = Read::new(name)
                .keys(min, max)
                .wait(question.wait_seconds())
                .only(&only)
                .prompts(question.prompts());
            Reply::read(messages(speech, lang), &read)
        }
    }
}

/// `speech` as a message list: in Hebrew, words as `t-` (made speakable), numbers as `n-`,
/// keys and codes digit by digit as `d-`; in English, one `t-` item.
pub fn messages(speech: &Speech<'_>, lang: Lang) -> Messages {
    let mut messages = Messages::new();
    if lang == Lang::En {
        messages.text(&english(speech));
        return messages;
    }
    for item in speech.items() {
        match item {
            Item::Text(text) => {
                messages.text(text);
            }
            Item::Fixed(text) => {
                messages.fixed_text(text);
            }
            Item::Number(n) => {
                messages.number(*n);
            }
            Item::Key(key) => {
                let digit = [b'0' + key % 10];
                messages.digits(std::str::from_utf8(&digit).unwrap_or("0"));
            }
            Item::Code(code) => {
                messages.code(code.as_str());
            }
        }
    }
    messages
}

/// `speech` as one English sentence: pauses (commas) between its parts, a code's characters
/// one by one.
fn english(speech: &Speech<'_>) -> String {
    let mut text = String::with_capacity(160);
    for item in speech.items() {
        if !text.is_empty() {
            text.push_str(", ");
        }
        match item {
            Item::Text(words) => text.push_str(words),
            Item::Fixed(words) => text.push_str(words),
            Item::Number(n) => {
                let _ = write!(text, "{n}");
            }
            Item::Key(key) => text.push(char::from(b'0' + key % 10)),
            Item::Code(code) => {
                let code = code.as_str();
                let half = if code.bytes().all(|b| b.is_ascii_digit()) {
                    code.len() / 2
                } else {
                    code.len()
                };
                for (i, c) in code.chars().enumerate() {
                    if i > 0 {
                        text.push_str(if i == half { ", " } else { " " });
                    }
                    text.push(c.to_ascii_uppercase());
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::texts::EN;
    use crate::otp::{Params, Secret, code::code_at};

    #[test]
    fn an_english_call_hears_its_code_in_english_words_and_a_hebrew_one_in_digits() {
        let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        // RFC 6238 at 1234567890: 005924 (6 digits).
        let code = code_at(&secret, &Params::default(), 1_234_567_890);
        let speech = crate::call::code_speech(&code, None, &EN);
        assert_eq!(
            messages(&speech, Lang::En).as_str(),
            "t-The code is, 0 0 5, 9 2 4, Again, 0 0 5, 9 2 4"
        );
        assert_eq!(
            messages(&speech, Lang::He).as_str(),
            "t-The code is.d-005.d-924.t-Again.d-005.d-924"
        );
    }
}
