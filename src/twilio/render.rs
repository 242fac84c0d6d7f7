//! A turn's outcome ([`crate::call::Outcome`]) written as TwiML: speech as `<Say>` in the call's
//! language (Hebrew in a Google voice, since Twilio's default voices speak none), a question as
//! a `<Gather>` of keypad digits posted to the next turn's URL, the end as `<Hangup/>` or a
//! `<Redirect>` to the owner's `then`.
//!
//! Silence is an answer too: a `<Gather>` posts to its action even when no key was pressed
//! (`actionOnEmptyResult`), so that the call flow decides what silence means, as it does for
//! Yemot, rather than Twilio going on to whatever follows.

use std::fmt::Write as _;

use crate::call::{Item, Lang, Next, Outcome, Speech};

/// The TwiML document that says and does what `outcome` decided, in the voice of `lang`.
/// `action` is the URL a question's answer is posted to: the next turn, with its state.
pub fn render(outcome: &Outcome<'_>, lang: Lang, action: &str) -> String {
    let mut xml = String::with_capacity(512);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#);
    match outcome {
        Outcome::Say(speech, next) => {
            say(&mut xml, speech, lang);
            match next {
                Next::Hangup => xml.push_str("<Hangup/>"),
                Next::Go(target) => {
                    xml.push_str(r#"<Redirect method="POST">"#);
                    escape(&mut xml, target);
                    xml.push_str("</Redirect>");
                }
            }
        }
        Outcome::Ask(speech, question) => {
            xml.push_str(r#"<Gather input="dtmf" method="POST" actionOnEmptyResult="true""#);
            let (fewest, most) = question.keys();
            if fewest == most {
                let _ = write!(xml, r#" numDigits="{most}""#);
            }
            let _ = write!(xml, r#" timeout="{}" action=""#, question.wait_seconds());
            escape(&mut xml, action);
            xml.push_str(r#"">"#);
            for _ in 0..question.prompts() {
                say(&mut xml, speech, lang);
            }
            xml.push_str("</Gather>");
            // Reached only if Twilio could not post the answer: end rather than fall silent.
            xml.push_str("<Hangup/>");
        }
    }
    xml.push_str("</Response>");
    xml
}

/// One `<Say>` of `speech`: its parts a pause apart, keys and codes one character at a time.
fn say(xml: &mut String, speech: &Speech<'_>, lang: Lang) {
    // Twilio's default voice speaks no Hebrew: a Hebrew `<Say>` names one that does.
    xml.push_str(match lang {
        Lang::He => r#"<Say language="he-IL" voice="Google.he-IL-Standard-A">"#,
        Lang::En => r#"<Say language="en-US">"#,
    });
    for (i, item) in speech.items().iter().enumerate() {
        if i > 0 {
            xml.push_str(", ");
        }
        match item {
            Item::Text(words) => escape(xml, words),
            Item::Fixed(words) => escape(xml, words),
            Item::Number(n) => {
                let _ = write!(xml, "{n}");
            }
            Item::Key(key) => xml.push(char::from(b'0' + key % 10)),
            Item::Code(code) => {
                let code = code.as_str();
                let half = code.len() / 2;
                for (i, c) in code.chars().enumerate() {
                    if i > 0 {
                        xml.push_str(if i == half { ", " } else { " " });
                    }
                    // Steam codes hold letters; said one by one in capitals.
                    xml.push(c.to_ascii_uppercase());
                }
            }
        }
    }
    xml.push_str("</Say>");
}

/// `text` as XML character data or an attribute value.
fn escape(xml: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => xml.push_str("&amp;"),
            '<' => xml.push_str("&lt;"),
            '>' => xml.push_str("&gt;"),
            '"' => xml.push_str("&quot;"),
            '\'' => xml.push_str("&apos;"),
            // Not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => xml.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Question;
    use crate::otp::{Params, Secret, code::code_at};

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#;

    #[test]
    fn a_code_is_said_digit_by_digit_then_the_call_ends() {
        // RFC 6238's SHA1 seed at 1234567890: 005924 (oathtool -N @1234567890).
        let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let code = code_at(&secret, &Params::default(), 1_234_567_890);
        let mut speech = Speech::new();
        speech.text("Your code is").code(&code);
        assert_eq!(
            render(&Outcome::end(speech.clone()), Lang::En, "unused"),
            format!(
                r#"{HEAD}<Say language="en-US">Your code is, 0 0 5, 9 2 4</Say><Hangup/></Response>"#
            )
        );
        assert_eq!(
            render(
                &Outcome::Say(speech, Next::Go("https://example.com/next?a=1&b=2")),
                Lang::He,
                "unused"
            ),
            format!(
                r#"{HEAD}<Say language="he-IL" voice="Google.he-IL-Standard-A">Your code is, 0 0 5, 9 2 4</Say><Redirect method="POST">https://example.com/next?a=1&amp;b=2</Redirect></Response>"#
            )
        );
    }

    #[test]
    fn a_question_gathers_keys_and_posts_silence_too() {
        let mut speech = Speech::new();
        speech.text("Press").key(1).text("<again> & \"more\"\u{7}");
        let xml = render(
            &Outcome::Ask(speech.clone(), Question::Repeat { round: 1 }),
            Lang::En,
            "/api/twilio?sealed=v1.k.x&t=abc",
        );
        assert_eq!(
            xml,
            format!(
                r#"{HEAD}<Gather input="dtmf" method="POST" actionOnEmptyResult="true" numDigits="1" timeout="7" action="/api/twilio?sealed=v1.k.x&amp;t=abc"><Say language="en-US">Press, 1, &lt;again&gt; &amp; &quot;more&quot;</Say></Gather><Hangup/></Response>"#
            )
        );
        // A PIN has no fixed length: it ends with # or the time-out; a menu is said twice.
        let pin = render(
            &Outcome::Ask(speech.clone(), Question::Pin { attempt: 1 }),
            Lang::He,
            "/a",
        );
        assert!(
            pin.contains(r#"actionOnEmptyResult="true" timeout="15""#),
            "{pin}"
        );
        let menu = render(
            &Outcome::Ask(
                speech,
                Question::Menu {
                    keys: [1, 2].into_iter().collect(),
                },
            ),
            Lang::He,
            "/a",
        );
        assert_eq!(menu.matches("<Say ").count(), 2, "{menu}");
    }
}
