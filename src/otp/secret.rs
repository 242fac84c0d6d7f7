//! The TOTP shared secret: decoding base32 the way people actually paste it.
//!
//! Websites show the same key in many shapes: Google in lower case, in groups of four separated
//! by spaces; GitHub and Microsoft as 16 characters (80 bits); password-manager exports with `=`
//! padding; people retype it with hyphens. totp-rs' own decoder rejects most of these and accepts
//! garbage lengths (lower case, spaces and padding refused; `A` and `ABC` accepted as 0 and 1
//! bytes), so we decode here with a lenient data-encoding specification and hand totp-rs raw
//! bytes.
//!
//! A [`Secret`] never prints its bytes: its `Debug` says `REDACTED`, it has no `Display`, and the
//! bytes are wiped from memory when it is dropped (totp-rs' `zeroize` feature).

use std::fmt;
use std::sync::LazyLock;

use data_encoding::{BitOrder, Encoding, Specification};
use zeroize::{Zeroize, Zeroizing};

/// The fewest decoded bytes we accept: 80 bits, what GitHub, Microsoft, Discord and PayPal issue.
///
/// RFC 4226 asks for 128 bits, but refusing the keys real websites hand out would only lock
/// people out; the shorter key is their site's choice, not ours.
pub const MIN_SECRET_BYTES: usize = 10;

/// The most decoded bytes we accept. HMAC keys longer than the hash block are hashed down anyway;
/// 128 bytes covers every real key (the largest seen, SHA-512 test seeds, are 64 bytes).
pub const MAX_SECRET_BYTES: usize = 128;

/// The longest secret text we look at, in bytes. Room for 128 bytes of base32 (205 characters)
/// with a separator after every character and padding, and still a bound on work per request.
pub const MAX_SECRET_TEXT: usize = 512;

/// Lenient RFC 4648 base32: upper or lower case, spaces, tabs, newlines, hyphens and `=` ignored
/// anywhere, trailing bits not checked (keys made of random *characters* often have them set,
/// and oathtool, pyotp and totp-rs all accept them).
static LENIENT_BASE32: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    spec.bit_order = BitOrder::MostSignificantFirst;
    spec.check_trailing_bits = false;
    spec.padding = None;
    spec.ignore.push_str(" \t\r\n-=");
    spec.translate.from.push_str("abcdefghijklmnopqrstuvwxyz");
    spec.translate.to.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    spec.encoding()
        .expect("the lenient base32 specification is valid")
});

/// A decoded TOTP key, 10 to 128 bytes.
pub struct Secret(totp_rs::Secret);

impl Secret {
    /// Decodes base32 text as people paste it.
    ///
    /// Accepted: upper or lower case; spaces, tabs, newlines, hyphens and `=` anywhere (so
    /// `qlt6 vmy6 …`, `JBSW-Y3DP-…` and padded `…GY======` all work); copy-paste leftovers from
    /// web pages (non-breaking and other Unicode spaces, zero-width characters, Unicode dashes).
    ///
    /// # Errors
    ///
    /// [`SecretError::Empty`] when nothing is left after the separators,
    /// [`SecretError::NotBase32`] for a character outside the base32 alphabet or a length no
    /// base32 text can have, [`SecretError::TooShort`] and [`SecretError::TooLong`] for keys
    /// outside [`MIN_SECRET_BYTES`]..=[`MAX_SECRET_BYTES`]. No error carries the input.
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        if text.len() > MAX_SECRET_TEXT {
            return Err(SecretError::TooLong);
        }
        // The common case is plain ASCII, decoded in place. Text copied from a web page may
        // carry Unicode separators; drop those first rather than calling the key invalid.
        let cleaned: Zeroizing<String>;
        let ascii = if text.is_ascii() {
            text.as_bytes()
        } else {
            cleaned = Zeroizing::new(text.chars().filter(|c| !is_unicode_separator(*c)).collect());
            cleaned.as_bytes()
        };
        let encoding = &*LENIENT_BASE32;
        let max = encoding
            .decode_len(ascii.len())
            .map_err(|_| SecretError::NotBase32)?;
        // On the stack, and only the part written is wiped (a volatile wipe of the whole
        // buffer costs more than the HMAC): the only heap copy is the one totp-rs keeps.
        let mut buffer = [0u8; MAX_SECRET_TEXT * 5 / 8];
        let output = buffer.get_mut(..max).ok_or(SecretError::TooLong)?;
        let decoded = encoding
            .decode_mut(ascii, output)
            .map_err(|_| SecretError::NotBase32)
            .and_then(|len| Self::from_bytes(&output[..len]));
        output.zeroize();
        decoded
    }

    /// Takes raw key bytes, checking only the length.
    ///
    /// # Errors
    ///
    /// [`SecretError::Empty`], [`SecretError::TooShort`] or [`SecretError::TooLong`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        match bytes.len() {
            0 => Err(SecretError::Empty),
            n if n < MIN_SECRET_BYTES => Err(SecretError::TooShort),
            n if n > MAX_SECRET_BYTES => Err(SecretError::TooLong),
            // Copies into an exact-size allocation owned (and wiped on drop) by totp-rs.
            _ => Ok(Self(totp_rs::Secret::from(bytes))),
        }
    }

    /// The key as totp-rs keeps it, for computing codes without a copy.
    pub(crate) fn into_inner(self) -> totp_rs::Secret {
        self.0
    }

    /// The key bytes, for computing codes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// How many bytes the key has. Not secret: the length shows in the pasted text anyway.
    pub fn len(&self) -> usize {
        self.0.as_bytes().len()
    }

    /// Never true: a `Secret` holds at least [`MIN_SECRET_BYTES`].
    pub fn is_empty(&self) -> bool {
        self.0.as_bytes().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(REDACTED, {} bytes)", self.len())
    }
}

/// Characters that web pages and messaging apps put into copied text: Unicode spaces
/// (non-breaking, thin, ideographic…), zero-width characters and the BOM, and Unicode dashes.
fn is_unicode_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// Why a secret was refused. Each variant is a fixed fact about the input, never the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No secret at all, or only separators.
    #[error("the secret is empty")]
    Empty,
    /// A character outside the base32 alphabet (A–Z, 2–7), or an impossible length.
    #[error("the secret is not valid base32 (letters A-Z and digits 2-7)")]
    NotBase32,
    /// Fewer than [`MIN_SECRET_BYTES`] bytes once decoded.
    #[error("the secret is too short: at least 16 base32 characters (80 bits) are needed")]
    TooShort,
    /// More than [`MAX_SECRET_BYTES`] bytes once decoded, or more than [`MAX_SECRET_TEXT`] of text.
    #[error("the secret is too long: at most 128 bytes (205 base32 characters)")]
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn the_shapes_people_paste_decode_to_the_same_bytes() {
        let shapes = [
            ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "plain upper case"),
            ("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "lower case (Google)"),
            (
                "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
                "groups of four (Google)",
            ),
            ("GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ", "hyphens"),
            (
                " GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
                "surrounding white space",
            ),
            (
                "GEZD\u{00A0}GNBV\u{200B}GY3T\u{2013}QOJQGEZDGNBVGY3TQOJQ",
                "web-page separators",
            ),
        ];
        for (text, why) in shapes {
            let secret = Secret::from_base32(text).unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!(secret.as_bytes(), RFC_SEED, "{why}");
        }
    }

    #[test]
    fn padding_is_optional() {
        for text in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY======",
        ] {
            assert_eq!(
                Secret::from_base32(text).unwrap().as_bytes(),
                b"1234567890123456"
            );
        }
    }

    #[test]
    fn eighty_bit_keys_are_accepted_and_shorter_ones_refused() {
        assert_eq!(Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap().len(), 10);
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3P").unwrap_err(),
            SecretError::NotBase32,
            "14 characters is not a base32 length"
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3A").map(|_| ()),
            Err(SecretError::NotBase32)
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK").unwrap_err(),
            SecretError::TooShort,
            "12 characters = 7 bytes"
        );
    }

    #[test]
    fn bad_input_is_named_without_echoing_it() {
        let cases = [
            ("", SecretError::Empty),
            ("  - = ", SecretError::Empty),
            ("JBSWY3DPEHPK3PX1", SecretError::NotBase32),
            ("JBSWY3DPEHPK3PXP!", SecretError::NotBase32),
            ("ABC", SecretError::NotBase32),
            ("שלום", SecretError::NotBase32),
        ];
        for (text, want) in cases {
            let got = Secret::from_base32(text).unwrap_err();
            assert_eq!(got, want, "{text:?}");
            assert!(text.trim().is_empty() || !got.to_string().contains(text));
        }
        let long = "A".repeat(MAX_SECRET_TEXT + 8);
        assert_eq!(
            Secret::from_base32(&long).unwrap_err(),
            SecretError::TooLong
        );
        let decoded_too_long = "A".repeat(216); // 135 bytes
        assert_eq!(
            Secret::from_base32(&decoded_too_long).unwrap_err(),
            SecretError::TooLong
        );
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let shown = format!("{secret:?}");
        assert_eq!(shown, "Secret(REDACTED, 10 bytes)");
    }
}
