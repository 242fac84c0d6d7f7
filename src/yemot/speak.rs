//! Text made speakable: the one sanitizer every `t-` item goes through.
//!
//! In Yemot's message language `.` separates items and `-` separates an item's type from its
//! data, so both are documented as forbidden inside text; `&` separates commands and `=` splits
//! a `read`; every Yemot library also strips `"`, `'` and `|`. Control characters (NUL, ESC …)
//! and line or paragraph separators (CR, LF, U+0085, U+2028, U+2029) break the reply too. `_`
//! is read as a space: ext.ini values written for raw joining use it where a space would not
//! survive (`name_1=בנק_הפועלים`).
//!
//! Every text the caller hears goes through here: fixed texts, owners' `text=`, account names,
//! issuers from links.

/// ASCII characters that must never reach a `t-` item (besides control characters).
const FORBIDDEN_ASCII: &[u8] = b".-&=\"'|_";

/// ASCII that must not reach a `t-` item as it is, by code: control characters and
/// [`FORBIDDEN_ASCII`].
const BAD_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = b < 0x20 || b == 0x7f;
        b += 1;
    }
    let mut i = 0;
    while i < FORBIDDEN_ASCII.len() {
        table[FORBIDDEN_ASCII[i] as usize] = true;
        i += 1;
    }
    table
};

/// Whether `c` must not reach a `t-` item as it is.
fn forbidden(c: char) -> bool {
    if c.is_ascii() {
        return BAD_ASCII[c as usize];
    }
    if ('\u{05D0}'..='\u{05EA}').contains(&c) {
        return false; // Hebrew letters, most of what is spoken: no table lookup.
    }
    c.is_control() || c.is_whitespace() || matches!(c, '\u{2013}' | '\u{2014}')
}

/// Whether `text` can be sent in a `t-` item as it is: not blank, and nothing [`sanitize_text`]
/// would change but runs of spaces. One pass; only characters outside ASCII and the Hebrew
/// letters are looked up in Unicode's tables.
pub fn is_clean_text(text: &str) -> bool {
    let mut blank = true;
    for c in text.chars() {
        if forbidden(c) {
            return false;
        }
        blank &= c == ' '; // any other blank character is forbidden
    }
    !blank
}

/// Makes any text safe for a `t-` item: each forbidden character becomes a space, runs of
/// spaces collapse, and the ends are trimmed. Commas stay: they are a natural pause.
pub fn sanitize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if forbidden(c) || c.is_whitespace() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::texts::spoken;
    use crate::call::{Lang, Texts};
    use crate::error::Error;

    #[test]
    fn every_text_the_call_says_is_safe_for_yemot_in_both_languages() {
        for lang in [Lang::He, Lang::En] {
            let texts: &Texts = lang.texts();
            for text in texts.all() {
                assert!(is_clean_text(text), "{text}");
            }
            for &error in Error::ALL {
                assert!(is_clean_text(spoken(error, lang)), "{error:?}");
            }
        }
    }

    #[test]
    fn sanitizer_removes_every_forbidden_character() {
        assert_eq!(
            sanitize_text("  צה\"ל.  בנק-הפועלים & co = 'x' | y\r\n–—z "),
            "צה ל בנק הפועלים co x y z"
        );
        assert_eq!(sanitize_text(". - &"), "");
        assert_eq!(sanitize_text("שלום, עולם"), "שלום, עולם");
        assert_eq!(sanitize_text("בנק_הפועלים"), "בנק הפועלים");
    }

    #[test]
    fn control_and_separator_characters_never_pass_as_clean() {
        for dirty in [
            "a\0b",
            "a\u{1b}[31mb",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{85}b",
            "a\u{7f}b",
            "a\tb",
            "בנק\u{2028}",
            "a_b",
            "x–y",
        ] {
            assert!(!is_clean_text(dirty), "{dirty:?}");
            let clean = sanitize_text(dirty);
            assert!(is_clean_text(&clean), "{dirty:?} -> {clean:?}");
        }
        for clean in ["שלום, עולם", "Bank 2", "ספר 📖"] {
            assert!(is_clean_text(clean), "{clean:?}");
            assert_eq!(sanitize_text(clean), clean);
        }
    }

    proptest::proptest! {
        /// "Clean" means exactly "the sanitizer would change nothing but runs of spaces", and
        /// whatever the sanitizer gives is clean or empty.
        #[test]
        fn clean_means_nothing_left_to_sanitize(
            text in "[ -~\u{80}-\u{a0}\u{5d0}-\u{5ea}\u{2000}-\u{202f}\u{1F4D6}]{0,12}"
        ) {
            let collapsed = text.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
            let sanitized = sanitize_text(&text);
            proptest::prop_assert_eq!(
                is_clean_text(&text),
                sanitized == collapsed && !collapsed.is_empty()
            );
            proptest::prop_assert!(sanitized.is_empty() || is_clean_text(&sanitized));
        }
    }
}
