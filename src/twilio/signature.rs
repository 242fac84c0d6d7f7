//! `X-Twilio-Signature`: how a webhook proves it comes from the Twilio account that owns the
//! number. Twilio takes the full URL it called (scheme, host, path and query, as it wrote
//! them), appends every POST parameter sorted by name, each name immediately followed by its
//! value, signs the result with HMAC-SHA1 keyed by the account's auth token, and sends it in
//! base64. Several tokens may be accepted at once, so that a token can be rotated.

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// The auth tokens a signature may be made with. Never shown: not in `Debug`, not in errors.
pub struct AuthTokens(Vec<Vec<u8>>);

impl std::fmt::Debug for AuthTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthTokens({} hidden)", self.0.len())
    }
}

impl AuthTokens {
    /// Reads a comma-separated list (`TWILIO_AUTH_TOKEN=new,old`); `None` when it holds none.
    pub fn parse(list: &str) -> Option<Self> {
        let tokens: Vec<Vec<u8>> = list
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.as_bytes().to_vec())
            .collect();
        (!tokens.is_empty()).then_some(Self(tokens))
    }

    /// Whether `signature` (the header's value) signs `url` and `params` under one of the
    /// tokens. Each comparison takes the same time however many bytes match.
    pub fn verify<'p>(
        &self,
        signature: &str,
        url: &str,
        params: impl IntoIterator<Item = (&'p str, &'p str)>,
    ) -> bool {
        let Ok(claimed) = BASE64.decode(signature.trim().as_bytes()) else {
            return false;
        };
        let mut params: Vec<(&str, &str)> = params.into_iter().collect();
        // By name; a repeated name by value, as Twilio's own libraries sort.
        params.sort_unstable();
        self.0
            .iter()
            .any(|token| signer(token, url, &params).verify_slice(&claimed).is_ok())
    }
}

/// The HMAC of `url` and the sorted `params` under `token`, not yet finished.
fn signer(token: &[u8], url: &str, params: &[(&str, &str)]) -> Hmac<Sha1> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(token)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(url.as_bytes());
    for (name, value) in params {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The signature Twilio would send for `url` and `params` under `token`: for tests and for a
/// simulator that plays Twilio.
pub fn sign<'p>(
    token: &str,
    url: &str,
    params: impl IntoIterator<Item = (&'p str, &'p str)>,
) -> String {
    let mut params: Vec<(&str, &str)> = params.into_iter().collect();
    params.sort_unstable();
    BASE64.encode(
        &signer(token.as_bytes(), url, &params)
            .finalize()
            .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example Twilio's SDKs publish for this scheme (token `12345`).
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const PARAMS: [(&str, &str); 5] = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ];
    const SIGNED: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    #[test]
    fn the_published_example_signs_and_verifies() {
        assert_eq!(sign("12345", URL, PARAMS), SIGNED);
        let mut shuffled = PARAMS;
        shuffled.reverse();
        let tokens = AuthTokens::parse(" new-token , 12345 ").unwrap();
        assert!(
            tokens.verify(SIGNED, URL, shuffled),
            "any order, either token"
        );
    }

    #[test]
    fn anything_changed_fails() {
        let tokens = AuthTokens::parse("12345").unwrap();
        let mut changed = PARAMS;
        changed[2] = ("Digits", "1235");
        assert!(!tokens.verify(SIGNED, URL, changed), "a parameter");
        assert!(
            !tokens.verify(
                SIGNED,
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                PARAMS
            ),
            "the URL's query"
        );
        assert!(
            !tokens.verify(SIGNED, URL, PARAMS.into_iter().take(4)),
            "a parameter left out"
        );
        assert!(
            !AuthTokens::parse("1234")
                .unwrap()
                .verify(SIGNED, URL, PARAMS),
            "the token"
        );
        for bad in ["", "not base64!", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", "AAAA"] {
            assert!(!tokens.verify(bad, URL, PARAMS), "{bad:?}");
        }
        assert!(AuthTokens::parse(" , ").is_none());
        assert_eq!(format!("{tokens:?}"), "AuthTokens(1 hidden)");
    }
}
