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

/// Whether `c` must not reach a `t-` item as it is.
fn forbidden(c: char) -> bool {
    (c.is_ascii() && FORBIDDEN_ASCII.contains(&(c as u8)))
        || c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{2013}' | '\u{2014}')
}

/// Whether `text` can be sent in a `t-` item as it is: not blank, and nothing [`sanitize_text`]
/// would change but runs of spaces. Scans ASCII bytes and looks at characters only when the
/// text has others.
pub fn is_clean_text(text: &str) -> bool {
    let mut wide = false;
    for b in text.bytes() {
        if b >= 0x80 {
            wide = true;
        } else if b < 0x20 || b == 0x7f || FORBIDDEN_ASCII.contains(&b) {
            return false;
        }
    }
    !(text.trim().is_empty() || wide && text.chars().any(forbidden))
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
}
