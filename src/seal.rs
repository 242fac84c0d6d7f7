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
//! be moved to another key or version. The plaintext is a [postcard] encoding of [`Payload`]: the
//! key and what belongs with it (digits, algorithm, period, kind, spoken name, PIN, allow-list).
//!
//! Every failure to open (garbage, truncation, a flipped bit, an unknown or rotated-out key) is
//! the same [`SealError::Invalid`], so the service is not an oracle.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload as AeadPayload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::account::{Account, MENU_SUFFIXES};
use crate::error::Error;
use crate::phone::{AllowList, Pin};
use crate::request::Fields;

/// The token version written and accepted.
const VERSION: &str = "v1";
/// Bytes of nonce at the start of the sealed bytes.
const NONCE_LEN: usize = 24;
/// Bytes of Poly1305 tag at the end.
const TAG_LEN: usize = 16;
/// The longest token looked at: room for every option at its largest.
pub const MAX_TOKEN_TEXT: usize = 4096;

/// What a sealed token holds. Options left out are taken from beside the token, or defaults.
/// `Debug` shows which options are set, never the key, the PIN or the numbers.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Payload {
    /// The TOTP key, raw bytes.
    pub secret: Vec<u8>,
    /// Digits per code.
    pub digits: Option<u8>,
    /// `SHA1`, `SHA256`, `SHA512` or `STEAM`.
    pub algorithm: Option<String>,
    /// Seconds per code.
    pub period: Option<u64>,
    /// `steam` or `totp`.
    pub kind: Option<String>,
    /// The name said in a menu.
    pub name: Option<String>,
    /// The PIN the caller must type.
    pub pin: Option<String>,
    /// Caller numbers allowed to hear codes, as the `allow` option writes them.
    pub allow: Option<String>,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field(
                "secret",
                &format_args!("REDACTED, {} bytes", self.secret.len()),
            )
            .field("digits", &self.digits)
            .field("algorithm", &self.algorithm)
            .field("period", &self.period)
            .field("kind", &self.kind)
            .field("name", &self.name.as_ref().map(|_| "…"))
            .field("pin", &self.pin.as_ref().map(|_| "REDACTED"))
            .field("allow", &self.allow.as_ref().map(|_| "REDACTED"))
            .finish()
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

    /// Seals `payload` under the first key.
    ///
    /// # Errors
    ///
    /// [`SealError::Invalid`] if the OS has no randomness or the payload cannot be encoded.
    pub fn seal(&self, payload: &Payload) -> Result<String, SealError> {
        let key = &self.0[0];
        let plaintext =
            Zeroizing::new(postcard::to_allocvec(payload).map_err(|_| SealError::Invalid)?);
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
        Ok(format!(
            "{VERSION}.{}.{}",
            key.id,
            BASE64URL_NOPAD.encode(&bytes)
        ))
    }

    /// Opens a token sealed under any of the keys.
    ///
    /// # Errors
    ///
    /// [`SealError::Invalid`] for anything that is not a token sealed by one of these keys.
    pub fn open(&self, token: &str) -> Result<Payload, SealError> {
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
        postcard::from_bytes(&plaintext).map_err(|_| SealError::Invalid)
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

/// The call-wide protection that sealed tokens carry, kept apart from the fields so that each
/// kind of client can enforce it in its own way.
#[derive(Default)]
pub struct Protection {
    /// The sealed PIN, if any token has one.
    pub pin: Option<Zeroizing<String>>,
    /// The sealed allow-list, if any token has one.
    pub allow: Option<String>,
}

impl Protection {
    /// For a phone: the sealed PIN and allow-list become the call's, whatever stands beside.
    pub fn apply_to_call(self, fields: &mut Fields) {
        if let Some(pin) = &self.pin {
            fields.push("pin", pin.as_str());
        }
        if let Some(allow) = &self.allow {
            fields.push("allow", allow);
        }
    }

    /// For a JSON client, who has no caller number and no keypad: a sealed allow-list refuses
    /// it, and a sealed PIN must come as `pin`.
    ///
    /// # Errors
    ///
    /// [`Error::PhoneOnly`] or [`Error::PinRequired`].
    pub fn check_developer(&self, fields: &Fields) -> Result<(), Error> {
        if self.allow.is_some() {
            return Err(Error::PhoneOnly);
        }
        if let Some(pin) = &self.pin {
            let pin = Pin::parse(pin).map_err(|_| Error::PinRequired)?;
            if !pin.matches(fields.get("pin").unwrap_or("")) {
                return Err(Error::PinRequired);
            }
        }
        Ok(())
    }
}

/// Opens every `sealed` / `sealed_N` token in the request and appends what it holds as ordinary
/// parameters (`secret_N`, `digits_N`, …) after all the others: the last value wins, so sealed
/// options beat ones an ext.ini editor puts beside the token. The PIN and allow-list come back
/// as [`Protection`] for the caller to enforce.
///
/// # Errors
///
/// [`Error::Sealed`] for a token that cannot be opened or a server without keys, and
/// [`Error::Pin`] when two tokens carry different PINs.
pub fn expand(fields: &mut Fields, keys: Option<&SealKeys>) -> Result<Protection, Error> {
    let mut protection = Protection::default();
    if !fields.has_key_starting_with("sealed") {
        return Ok(protection);
    }
    let mut opened = Vec::new();
    // `sealed`, or `sealed_1` … `sealed_9` in a menu.
    for suffix in std::iter::once("").chain(MENU_SUFFIXES) {
        if let Some(token) = fields.get_suffixed_non_empty("sealed", suffix) {
            let keys = keys.ok_or(Error::Sealed(SealError::NoKeys))?;
            opened.push((suffix, keys.open(token).map_err(Error::Sealed)?));
        }
    }
    for (suffix, payload) in opened {
        let field = |name: &str| format!("{name}{suffix}");
        fields.push(
            &field("secret"),
            &data_encoding::BASE32_NOPAD.encode(&payload.secret),
        );
        if let Some(digits) = payload.digits {
            fields.push(&field("digits"), &digits.to_string());
        }
        if let Some(algorithm) = &payload.algorithm {
            fields.push(&field("algorithm"), algorithm);
        }
        if let Some(period) = payload.period {
            fields.push(&field("period"), &period.to_string());
        }
        if let Some(kind) = &payload.kind {
            fields.push(&field("kind"), kind);
        }
        if let Some(name) = &payload.name {
            fields.push(&field("name"), name);
        }
        if let Some(pin) = &payload.pin {
            match &protection.pin {
                Some(other) if other.as_str() != pin.as_str() => return Err(Error::Pin),
                _ => protection.pin = Some(Zeroizing::new(pin.clone())),
            }
        }
        if let Some(allow) = &payload.allow {
            protection.allow = Some(match protection.allow.take() {
                Some(before) => format!("{before},{allow}"),
                None => allow.clone(),
            });
        }
    }
    Ok(protection)
}

/// Seals what a request describes: `secret` (base32 or URI) with `digits`, `algorithm`,
/// `period`, `kind` and `name`, plus `pin` and `allow`. Everything is checked first, so no
/// token is ever made for a key that would not work.
///
/// # Errors
///
/// Whatever is wrong with the key or an option, or [`Error::Sealed`] without keys.
pub fn seal_fields(fields: &Fields, keys: Option<&SealKeys>) -> Result<String, Error> {
    let keys = keys.ok_or(Error::Sealed(SealError::NoKeys))?;
    let account = Account::from_fields(fields)?;
    let pin = fields
        .get_non_empty("pin")
        .map(|p| Pin::parse(p).map(|_| p.trim().to_owned()))
        .transpose()?;
    let allow = fields
        .get_non_empty("allow")
        .map(|a| AllowList::parse(a).map(|_| a.trim().to_owned()))
        .transpose()?;
    let params = account.params;
    let payload = Payload {
        secret: account.secret.as_bytes().to_vec(),
        digits: Some(params.digits),
        algorithm: Some(params.algorithm.as_str().to_owned()),
        period: Some(params.period),
        kind: params.algorithm.is_steam().then(|| "steam".to_owned()),
        name: account.name.clone(),
        pin,
        allow,
    };
    keys.seal(&payload).map_err(Error::Sealed)
}

/// The ext.ini block for a sealed token, for the server at `base` (e.g. `https://x.onrender.com`).
pub fn ext_ini(base: &str, token: &str, access_token: bool) -> String {
    let mut lines = format!(
        "type=api\napi_link={}/api/2fa\napi_url_post=yes\napi_log=no\napi_add_0=sealed={token}\n",
        base.trim_end_matches('/')
    );
    if access_token {
        lines.push_str("api_add_1=token=YOUR_ACCESS_TOKEN\n");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

    fn payload() -> Payload {
        Payload {
            secret: b"12345678901234567890".to_vec(),
            digits: Some(8),
            algorithm: Some("SHA256".into()),
            period: Some(60),
            kind: None,
            name: Some("הבנק".into()),
            pin: Some("4321".into()),
            allow: Some("0501234567".into()),
        }
    }

    #[test]
    fn round_trip_and_rotation() {
        let old = SealKeys::parse(K1).unwrap().unwrap();
        let token = old.seal(&payload()).unwrap();
        assert!(token.starts_with("v1.k1."));
        assert_eq!(old.open(&token).unwrap(), payload());

        let rotated = SealKeys::parse(&format!("{K2},{K1}")).unwrap().unwrap();
        assert_eq!(rotated.sealing_id(), "k2");
        assert_eq!(
            rotated.open(&token).unwrap(),
            payload(),
            "the old key still opens"
        );
        let new_token = rotated.seal(&payload()).unwrap();
        assert!(new_token.starts_with("v1.k2."));
        assert_eq!(
            old.open(&new_token),
            Err(SealError::Invalid),
            "k1 alone cannot open k2"
        );
    }

    #[test]
    fn every_flipped_bit_and_every_truncation_is_refused() {
        let keys = SealKeys::parse(K1).unwrap().unwrap();
        let token = keys.seal(&payload()).unwrap();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= 1 << bit;
                if let Ok(text) = std::str::from_utf8(&flipped) {
                    assert_eq!(
                        keys.open(text),
                        Err(SealError::Invalid),
                        "flip at {i}.{bit}"
                    );
                }
            }
        }
        for len in 0..token.len() {
            assert_eq!(
                keys.open(&token[..len]),
                Err(SealError::Invalid),
                "truncated to {len}"
            );
        }
    }

    #[test]
    fn a_token_moved_to_another_key_id_is_refused() {
        let keys = SealKeys::parse(&format!(
            "{K1},k9:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
        ))
        .unwrap()
        .unwrap();
        let token = keys.seal(&payload()).unwrap();
        let moved = token.replacen("v1.k1.", "v1.k9.", 1);
        assert_eq!(
            keys.open(&moved),
            Err(SealError::Invalid),
            "same key bytes, other id"
        );
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
        let shown = format!("{:?}", payload());
        assert!(
            !shown.contains("49, 50, 51")
                && !shown.contains("4321")
                && !shown.contains("0501234567"),
            "{shown}"
        );
        assert!(shown.contains("REDACTED, 20 bytes"));
    }

    #[test]
    fn generated_keys_parse() {
        let entry = generate_key("k3").unwrap();
        assert!(SealKeys::parse(&entry).unwrap().is_some());
    }
}
