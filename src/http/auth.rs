//! The optional access token (`ACCESS_TOKEN`): when set, every `/api/*` request must carry one of
//! the tokens, as `token=` (an `api_add` line for Yemot) or `Authorization: Bearer`.
//!
//! Tokens are kept only as SHA-256 digests and compared digest to digest in constant time, so
//! neither the comparison's timing nor a memory dump of the comparison shows a token's length or
//! text. They are never logged.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The fewest characters in a token: guessing must stay hopeless over a public URL.
pub const MIN_TOKEN_LEN: usize = 16;

/// The accepted tokens, as digests.
#[derive(Clone)]
pub struct AccessTokens(Vec<[u8; 32]>);

impl AccessTokens {
    /// Parses `ACCESS_TOKEN`: one or more tokens separated by commas. `None` when empty.
    ///
    /// # Errors
    ///
    /// A fixed message (never a token) when a token is shorter than [`MIN_TOKEN_LEN`] or holds a
    /// space or a non-printable character.
    pub fn parse(text: &str) -> Result<Option<Self>, &'static str> {
        let mut digests = Vec::new();
        for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(
                    "each token must be at least 16 printable characters without spaces, tokens separated by commas",
                );
            }
            digests.push(digest(token));
        }
        Ok((!digests.is_empty()).then_some(Self(digests)))
    }

    /// Whether `presented` is one of the tokens. Every token is compared, whatever matches.
    pub fn allows(&self, presented: Option<&str>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        let presented = digest(presented.trim());
        self.0
            .iter()
            .fold(subtle::Choice::from(0), |any, token| {
                any | token.ct_eq(&presented)
            })
            .into()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessTokens({} tokens)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_matched_exactly_and_never_shown() {
        let tokens = AccessTokens::parse(" first-token-0123456789 ,second-token-abcdefgh,")
            .unwrap()
            .unwrap();
        assert!(tokens.allows(Some("first-token-0123456789")));
        assert!(tokens.allows(Some("second-token-abcdefgh")));
        for wrong in ["first-token-012345678", "", "second-token-abcdefgH"] {
            assert!(!tokens.allows(Some(wrong)), "{wrong}");
        }
        assert!(!tokens.allows(None));
        assert_eq!(format!("{tokens:?}"), "AccessTokens(2 tokens)");
    }

    #[test]
    fn weak_or_empty_settings() {
        assert!(AccessTokens::parse("").unwrap().is_none());
        assert!(AccessTokens::parse(" , ").unwrap().is_none());
        let err = AccessTokens::parse("short").unwrap_err();
        assert!(!err.contains("short"));
        assert!(AccessTokens::parse("has a space in it here").is_err());
    }
}
