//! A turn's outcome ([`crate::call::Outcome`]) written as Yemot commands: speech as a message
//! list, a question as a `read` under the name its answer comes back with
//! ([`super::request::question_name`]), the end as `go_to_folder`.

use crate::call::{Item, Next, Outcome, Question, Speech};

use super::reply::{Messages, Read, Reply};
use super::request::question_name;

/// The reply that says and does what `outcome` decided.
pub fn render(outcome: &Outcome<'_>) -> Reply {
    match outcome {
        Outcome::Say(speech, next) => {
            let target = match next {
                Next::Hangup => "hangup",
                Next::Go(target) => target,
            };
            Reply::say_then_go(messages(speech), target)
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
            Reply::read(messages(speech), &read)
        }
    }
}

/// `speech` as a message list: words as `t-` (made speakable), numbers as `n-`, keys and codes
/// digit by digit.
pub fn messages(speech: &Speech<'_>) -> Messages {
    let mut messages = Messages::new();
    for item in speech.items() {
        match item {
            Item::Text(text) => {
                messages.text(text);
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
