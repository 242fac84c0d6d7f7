//! Text made speakable: the one sanitizer every `t-` item goes through.
//!
//! In Yemot's message language `.` separates items and `-` separates an item's type from its
//! data, so both are documented as forbidden inside text; `&` separates commands and `=` splits
//! a `read`; every Yemot library also strips `"`, `'` and `|`. Line breaks and tabs break the
//! reply too.

/// Characters that must never reach a `t-` item.
const FORBIDDEN_IN_TEXT: &[char] = &[
    '.', '-', '\u{2013}', '\u{2014}', '&', '=', '"', '\'', '|', '\r', '\n', '\t',
];

/// Whether `text` can be sent in a `t-` item as it is: non-empty, no forbidden character.
/// Scans bytes: every forbidden character is ASCII but the two dashes, whose UTF-8 starts 0xE2.
pub fn is_clean_text(text: &str) -> bool {
    let mut wide = false;
    for b in text.bytes() {
        match b {
            b'.' | b'-' | b'&' | b'=' | b'"' | b'\'' | b'|' | b'\r' | b'\n' | b'\t' => {
                return false;
            }
            0xE2 => wide = true,
            _ => {}
        }
    }
    !(text.trim().is_empty() || wide && text.contains(['\u{2013}', '\u{2014}']))
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
}
