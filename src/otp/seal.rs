//! Sealed secrets: an opaque token in ext.ini instead of the raw TOTP key.
//!
//! An owner who pastes a raw key into ext.ini leaves it in every backup of the extension and,
//! unless `api_log=no`, in Yemot's own request log; whoever reads it can add the account to their
//! own authenticator forever. A sealed token is useless without this server's key.
//!
//! # Format
//!
//! ```text
//! v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>
//! ```
//!
//! XChaCha20-Poly1305 with a random 192-bit nonce (random nonces are safe at this size) under the
//! key named by `key id`; the version and key id are bound as associated data, so a token cannot
//! be moved to another key or version. The plaintext is a [postcard] encoding of the v1 wire
//! record (`Wire`): the key and what belongs with it, options as the text an owner would write.
//! Code outside this module sees only the typed [`SealedAccount`].
//!
//! Every failure to open (garbage, truncation, a flipped bit, an unknown or rotated-out key) is
//! the same [`SealError::Invalid`], so the service is not an oracle.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload as AeadPayload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::account::{Account, AllowList, OptionTexts, Options, Pin, Protection};
use super::code::Params;
use super::secret::Secret;

/// The token version written and accepted.
const VERSION: &str = "v1";
/// Bytes of nonce at the start of the sealed bytes.
const NONCE_LEN: usize = 24;
/// Bytes of Poly1305 tag at the end.
const TAG_LEN: usize = 16;
/// The longest token looked at. Tokens of the first release could be this long.
pub const MAX_TOKEN_TEXT: usize = 4096;
/// The longest token handed out: a 128-byte key with a long name and a dozen numbers fits, and
/// a menu of nine such tokens stays within the default request body (16 KiB).
pub const MAX_SEALED_TEXT: usize = 1024;

/// What a sealed token holds: an account and its protection. Both are the token's alone:
/// nothing written beside the token in ext.ini changes them.
#[derive(Debug)]
pub struct SealedAccount {
    /// The key, its settings and its name.
    pub account: Account,
    /// The PIN and allow-list sealed with it.
    pub protection: Protection,
}

/// The v1 plaintext, field for field as the first tokens were written: options as text, unset
/// ones absent. Kept private and unchanged so that every token ever handed out still opens.
#[derive(Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Wire {
    secret: Vec<u8>,
    digits: Option<u8>,
    algorithm: Option<String>,
    period: Option<u64>,
    kind: Option<String>,
    name: Option<String>,
    pin: Option<String>,
    allow: Option<String>,
}

impl Wire {
    fn from_sealed(sealed: &SealedAccount) -> Self {
        let params = sealed.account.params;
        let steam = params.algorithm.is_steam();
        Self {
            secret: sealed.account.secret.as_bytes().to_vec(),
            digits: (!steam).then_some(params.digits),
            algorithm: Some(params.algorithm.as_str().to_owned()),
            period: Some(params.period),
            kind: steam.then(|| "steam".to_owned()),
            name: sealed.account.name.clone(),
            pin: sealed
                .protection
                .pin
                .as_ref()
                .map(|p| p.digits().to_owned()),
            allow: sealed.protection.allow.as_ref().map(AllowList::to_setting),
        }
    }

    /// The typed account, every option checked as if an owner had written it. Steam's fixed
    /// settings ignore a stored digit count.
    fn into_sealed(self) -> Result<SealedAccount, SealError> {
        fn invalid<E>(_: E) -> SealError {
            SealError::Invalid
        }
        let secret = Secret::from_bytes(&self.secret).map_err(invalid)?;
        let options = OptionTexts {
            algorithm: self.algorithm.as_deref(),
            kind: self.kind.as_deref(),
            name: self.name.as_deref(),
            ..OptionTexts::default()
        }
        .parse()
        .map_err(invalid)?;
        let steam = options.steam == Some(true) || options.algorithm.is_some_and(|a| a.is_steam());
        let options = Options {
            digits: if steam { None } else { self.digits },
            period: self.period,
            ..options
        };
        // Checked as if an owner had written them.
        if let Some(digits) = options.digits {
            Params::check_digits(digits).map_err(invalid)?;
        }
        if let Some(period) = options.period {
            Params::check_period(period).map_err(invalid)?;
        }
        let account = Account::with_secret(secret, &options);
        let protection = Protection {
            pin: self
                .pin
                .as_deref()
                .map(Pin::parse)
                .transpose()
                .map_err(invalid)?,
            allow: self
                .allow
                .as_deref()
                .map(AllowList::parse)
                .transpose()
                .map_err(invalid)?,
        };
        Ok(SealedAccount {
            account,
            protection,
        })
    }
}

/// Why a token could not be opened or made. Deliberately uninformative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The server has no `SEAL_KEYS`.
    #[error("the server has no seal key (SEAL_KEYS)")]
    NoKeys,
    /// The token is not one this server can open, for whatever reason.
    #[error("the sealed secret is not valid")]
    Invalid,
    /// Sealing would make a token longer than [`MAX_SEALED_TEXT`].
    #[error("the name or the allow-list is too long to seal")]
    TooLong,
}

/// One named 256-bit key.
#[derive(Zeroize, ZeroizeOnDrop)]
struct SealKey {
    #[zeroize(skip)]
    id: String,
    key: [u8; 32],
}

/// The server's seal keys: the first seals, all open.
pub struct SealKeys(Vec<SealKey>);

impl SealKeys {
    /// Parses `SEAL_KEYS`: `id:base64key` entries separated by commas, newest first. An id is
    /// 1 to 16 letters, digits, `_` or `-`; a key is 32 bytes in base64 (standard or URL-safe,
    /// padded or not). `None` when empty.
    ///
    /// # Errors
    ///
    /// A fixed message (never a key) for a malformed entry or a repeated id.
    pub fn parse(text: &str) -> Result<Option<Self>, &'static str> {
        let mut keys: Vec<SealKey> = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or("each entry must be id:base64key, e.g. k1:<32 bytes in base64>")?;
            let id = id.trim();
            if id.is_empty()
                || id.len() > 16
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err("a key id must be 1 to 16 letters, digits, _ or -");
            }
            if keys.iter().any(|k| k.id == id) {
                return Err("each key id must appear once");
            }
            let key = decode_key(encoded.trim()).ok_or("each key must be 32 bytes in base64")?;
            keys.push(SealKey {
                id: id.to_owned(),
                key: *key,
            });
        }
        Ok((!keys.is_empty()).then_some(Self(keys)))
    }

    /// The id of the key that seals.
    pub fn sealing_id(&self) -> &str {
        &self.0[0].id
    }

    /// Seals `sealed` under the first key.
    ///
    /// # Errors
    ///
    /// [`SealError::Invalid`] if the OS has no randomness or the payload cannot be encoded.
    pub fn seal(&self, sealed: &SealedAccount) -> Result<String, SealError> {
        let key = &self.0[0];
        let wire = Wire::from_sealed(sealed);
        let plaintext =
            Zeroizing::new(postcard::to_allocvec(&wire).map_err(|_| SealError::Invalid)?);
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Invalid)?;
        let cipher = XChaCha20Poly1305::new((&key.key).into());
        let aad = associated_data(&key.id);
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                AeadPayload {
                    msg: &plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealError::Invalid)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        let token = format!("{VERSION}.{}.{}", key.id, BASE64URL_NOPAD.encode(&bytes));
        if token.len() > MAX_SEALED_TEXT {
            return Err(SealError::TooLong);
        }
        Ok(token)
    }

    /// A key for `purpose` from each seal key, in the same order (the first is the newest):
    /// HMAC-SHA256 of the purpose's name under the seal key. Every replica with the same
    /// `SEAL_KEYS` derives the same keys, and none of them opens a token.
    pub fn derive(&self, purpose: &str) -> Vec<Zeroizing<[u8; 32]>> {
        use hmac::{Hmac, KeyInit as _, Mac as _};
        self.0
            .iter()
            .map(|key| {
                let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(&key.key)
                    .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
                mac.update(b"yemot-2fa:derive:");
                mac.update(purpose.as_bytes());
                Zeroizing::new(mac.finalize().into_bytes().into())
            })
            .collect()
    }

    /// Opens a token sealed under any of the keys.
    ///
    /// # Errors
    ///
    /// [`SealError::Invalid`] for anything that is not a token sealed by one of these keys, or
    /// whose contents are not a usable account.
    pub fn open(&self, token: &str) -> Result<SealedAccount, SealError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN_TEXT {
            return Err(SealError::Invalid);
        }
        let mut parts = token.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Invalid);
        };
        let key = self
            .0
            .iter()
            .find(|k| k.id == id)
            .ok_or(SealError::Invalid)?;
        let bytes = BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| SealError::Invalid)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Invalid);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Invalid)?;
        let cipher = XChaCha20Poly1305::new((&key.key).into());
        let aad = associated_data(&key.id);
        let plaintext = Zeroizing::new(
            cipher
                .decrypt(
                    &nonce,
                    AeadPayload {
                        msg: sealed,
                        aad: aad.as_bytes(),
                    },
                )
                .map_err(|_| SealError::Invalid)?,
        );
        let wire: Wire = postcard::from_bytes(&plaintext).map_err(|_| SealError::Invalid)?;
        wire.into_sealed()
    }
}

impl fmt::Debug for SealKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.0.iter().map(|k| k.id.as_str()).collect();
        write!(f, "SealKeys({ids:?})")
    }
}

fn associated_data(id: &str) -> String {
    format!("yemot-2fa:{VERSION}:{id}")
}

/// Decodes a 32-byte key written in any common base64 flavour.
fn decode_key(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let unpadded = text.trim_end_matches('=');
    let url_safe = unpadded.replace('+', "-").replace('/', "_");
    let bytes = Zeroizing::new(BASE64URL_NOPAD.decode(url_safe.as_bytes()).ok()?);
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != key.len() {
        return None;
    }
    key.copy_from_slice(&bytes);
    Some(key)
}

/// A new random key entry for `SEAL_KEYS`, e.g. `k1:3q2+7w…`.
///
/// # Errors
///
/// When the OS has no randomness.
pub fn generate_key(id: &str) -> Result<String, getrandom::Error> {
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::fill(key.as_mut())?;
    Ok(format!(
        "{id}:{}",
        data_encoding::BASE64.encode(key.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::code::{Algorithm, Params};

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

    #[test]
    fn derived_keys_are_hmac_sha256_of_the_purpose_newest_first() {
        let keys = SealKeys::parse(&format!("{K1},{K2}")).unwrap().unwrap();
        let derived = keys.derive("twilio-ticket");
        assert_eq!(derived.len(), 2);
        // Python: hmac.new(bytes(range(32)), b"yemot-2fa:derive:twilio-ticket", sha256).
        assert_eq!(
            data_encoding::HEXLOWER.encode(&derived[0][..]),
            "64c98da804b7c7616b0eb99d960d232b87dcde2e5e7b2085aa6582d414c94572"
        );
        assert_ne!(derived[0], derived[1]);
        assert_ne!(keys.derive("another")[0], derived[0]);
    }

    /// Sealed under K1 by the first release (`yemot-2fa seal --pin --digits 8 --algorithm
    /// SHA256 --period 60 --name הבנק --allow 0501234567`, PIN 4321, the RFC SHA1 seed).
    const FIRST_RELEASE: &str = "v1.k1.Jf0Q_vecTNa38PFWaV96UZ45Wrq1nQ3PyjwayzkYD9iiZBBm9aGPewDraO3_v-mIMCaYg9z2jacjRaXPuf60CrSJDrafOnAnx0DJxMoaMiH1UUGn5d3OjyymyS3FuK0w6du5xKoJ";
    /// Sealed under K1 by the first release with `--kind steam`: it could not be opened then.
    const FIRST_RELEASE_STEAM: &str = "v1.k1.fBTEXEIYxIei0k4O__rSvWNMJWyDVF7nHMddMh4iqgmffrkDvItW5QICuPXO3QazcqrXR-3F664XYVV-ajj-2Bf-KggWkYxlJ7WVJAeHUwdglw";

    fn sealed() -> SealedAccount {
        SealedAccount {
            account: Account {
                secret: Secret::from_bytes(b"12345678901234567890").unwrap(),
                params: Params {
                    algorithm: Algorithm::SHA256,
                    digits: 8,
                    period: 60,
                },
                name: Some("הבנק".into()),
            },
            protection: Protection {
                pin: Some(Pin::parse("4321").unwrap()),
                allow: Some(AllowList::parse("0501234567").unwrap()),
            },
        }
    }

    /// Everything a sealed account holds, comparable.
    fn shape(s: &SealedAccount) -> (Vec<u8>, Params, Option<String>, bool, bool) {
        (
            s.account.secret.as_bytes().to_vec(),
            s.account.params,
            s.account.name.clone(),
            s.protection.pin.as_ref().is_some_and(|p| p.matches("4321")),
            s.protection
                .allow
                .as_ref()
                .is_some_and(|a| a.contains("+972501234567")),
        )
    }

    fn refused(keys: &SealKeys, token: &str) -> bool {
        matches!(keys.open(token), Err(SealError::Invalid))
    }

    #[test]
    fn round_trip_and_rotation() {
        let old = SealKeys::parse(K1).unwrap().unwrap();
        let token = old.seal(&sealed()).unwrap();
        assert!(token.starts_with("v1.k1."));
        assert_eq!(shape(&old.open(&token).unwrap()), shape(&sealed()));

        let rotated = SealKeys::parse(&format!("{K2},{K1}")).unwrap().unwrap();
        assert_eq!(rotated.sealing_id(), "k2");
        assert_eq!(
            shape(&rotated.open(&token).unwrap()),
            shape(&sealed()),
            "the old key still opens"
        );
        let new_token = rotated.seal(&sealed()).unwrap();
        assert!(new_token.starts_with("v1.k2."));
        assert!(refused(&old, &new_token), "k1 alone cannot open k2");
    }

    #[test]
    fn tokens_of_the_first_release_still_open() {
        let keys = SealKeys::parse(K1).unwrap().unwrap();
        assert_eq!(shape(&keys.open(FIRST_RELEASE).unwrap()), shape(&sealed()));
        let steam = keys.open(FIRST_RELEASE_STEAM).unwrap();
        assert_eq!(steam.account.params, Params::STEAM);
        assert!(steam.protection.is_open());
    }

    #[test]
    fn every_flipped_bit_and_every_truncation_is_refused() {
        let keys = SealKeys::parse(K1).unwrap().unwrap();
        let token = keys.seal(&sealed()).unwrap();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= 1 << bit;
                if let Ok(text) = std::str::from_utf8(&flipped) {
                    assert!(refused(&keys, text), "flip at {i}.{bit}");
                }
            }
        }
        for len in 0..token.len() {
            assert!(refused(&keys, &token[..len]), "truncated to {len}");
        }
    }

    #[test]
    fn a_token_moved_to_another_key_id_is_refused() {
        let keys = SealKeys::parse(&format!(
            "{K1},k9:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
        ))
        .unwrap()
        .unwrap();
        let token = keys.seal(&sealed()).unwrap();
        let moved = token.replacen("v1.k1.", "v1.k9.", 1);
        assert!(refused(&keys, &moved), "same key bytes, other id");
    }

    #[test]
    fn malformed_settings_fail_without_showing_a_key() {
        for bad in [
            "k1",
            "k1:short",
            ":AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "k 1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            &format!("{K1},{K1}"),
        ] {
            let err = SealKeys::parse(bad).unwrap_err();
            assert!(!err.contains("AAEC"), "{err}");
        }
        assert!(SealKeys::parse(" , ").unwrap().is_none());
        let keys = SealKeys::parse(K1).unwrap().unwrap();
        assert_eq!(format!("{keys:?}"), "SealKeys([\"k1\"])");
    }

    #[test]
    fn debug_shows_no_key_pin_or_number() {
        let shown = format!("{:?}", sealed());
        assert!(
            !shown.contains("49, 50, 51")
                && !shown.contains("4321")
                && !shown.contains("0501234567"),
            "{shown}"
        );
        assert!(shown.contains("REDACTED, 20 bytes"), "{shown}");
    }

    #[test]
    fn generated_keys_parse() {
        let entry = generate_key("k3").unwrap();
        assert!(SealKeys::parse(&entry).unwrap().is_some());
    }
}
