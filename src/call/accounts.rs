//! The accounts of a request: one, or several for a phone menu, each plain or sealed.
//!
//! An extension names one account with `secret` (or `sealed`), or a menu with `secret_1` …
//! `secret_9` (or `sealed_1` … `sealed_9`). A plain account takes its options from the fields
//! beside it: `digits_N`, `algorithm_N`, `period_N`, `kind_N` and `name_N`, with the unnumbered
//! `digits`, `algorithm`, `period` and `kind` as defaults for every account of a menu. A sealed
//! account takes everything about its code and its protection from its token.

use std::ops::RangeInclusive;

use crate::error::Error;
use crate::otp::account::{Account, AllowList, Pin, Protection};
use crate::otp::seal::{SealError, SealKeys, SealedAccount};
use crate::store::Identity;
use crate::yemot::Fields;

/// The menu keys an account can have.
pub const MENU_KEYS: RangeInclusive<u8> = 1..=9;

/// The name suffix of each menu key: `secret_1`, `name_1`, `sealed_1`, ….
pub const MENU_SUFFIXES: [&str; 9] = ["_1", "_2", "_3", "_4", "_5", "_6", "_7", "_8", "_9"];

/// One account of a request.
#[derive(Debug)]
pub struct Entry {
    /// The key a caller presses for it in a menu (1 for a single account).
    pub key: u8,
    /// The key, its settings and its name.
    pub account: Account,
    /// Whether it came from a sealed token.
    pub sealed: bool,
    /// What its token sealed with it; empty for a plain account, which the extension's plain
    /// `pin` and `allow` guard.
    pub protection: Protection,
}

impl Entry {
    /// The account's name in the attempt store.
    pub fn identity(&self) -> Identity {
        Identity::of_key(self.account.secret.as_bytes())
    }
}

/// The extension's plain `pin` and `allow`, when set.
///
/// # Errors
///
/// [`Error::Pin`] or [`Error::Allow`] for a setting that cannot be used.
pub fn plain_protection(fields: &Fields) -> Result<Protection, Error> {
    let [pin, allow] = fields.last_of(["pin", "allow"]);
    Ok(Protection {
        pin: pin.map(Pin::parse).transpose()?,
        allow: allow.map(AllowList::parse).transpose()?,
    })
}

/// Reads every account of a request, in menu order: `sealed_N` / `secret_N` for N in 1..=9, or
/// the single `sealed` / `secret` (key 1) when none is numbered. A sealed token wins over a
/// plain key in the same place.
///
/// # Errors
///
/// [`Error::MissingSecret`] when there is no account at all; [`Error::Sealed`] for a token
/// that does not open (every token present is opened, so a broken one is never silently
/// skipped); otherwise the first bad account.
pub fn read(fields: &Fields, keys: Option<&SealKeys>) -> Result<Vec<Entry>, Error> {
    // Most requests have one account: skip the menu scan unless a numbered name is there.
    let menu = fields
        .pairs()
        .any(|(name, _)| name.starts_with("secret_") || name.starts_with("sealed_"));
    if !menu {
        return Ok(vec![single(fields, keys)?]);
    }
    let mut entries = Vec::new();
    for (key, suffix) in MENU_KEYS.zip(MENU_SUFFIXES) {
        let own = |name: &str| fields.get_suffixed_non_empty(name, suffix);
        let defaults = |name: &str| fields.get_non_empty(name);
        if let Some(entry) = read_one(keys, key, own, defaults)? {
            entries.push(entry);
        }
    }
    if entries.is_empty() {
        entries.push(single(fields, keys)?);
    } else {
        check_rejoined(fields, &entries)?;
    }
    Ok(entries)
}

/// Refuses a menu where putting a raw-split link back together may have taken another account's
/// setting: `secret_1=otpauth://…?secret=X&digits=8` joined raw cannot be told apart from a link
/// followed by a line `digits=8` meant for every account. It matters only when another plain
/// account would take the unnumbered setting (it has neither its own nor one in its link).
fn check_rejoined(fields: &Fields, entries: &[Entry]) -> Result<(), Error> {
    let suffix = |key: u8| MENU_SUFFIXES[usize::from(key - 1)];
    for entry in entries.iter().filter(|e| !e.sealed) {
        for option in fields.rejoined("secret", suffix(entry.key)) {
            let another_takes_it = entries.iter().any(|other| {
                !other.sealed
                    && other.key != entry.key
                    && fields
                        .get_suffixed_non_empty(option, suffix(other.key))
                        .is_none()
                    && !fields
                        .get_suffixed_non_empty("secret", suffix(other.key))
                        .is_some_and(|key| key.contains(&format!("{option}=")))
            });
            if another_takes_it {
                return Err(Error::SplitLink { account: entry.key });
            }
        }
    }
    Ok(())
}

/// The account whose fields `own` finds, if one is there: the sealed token if any, else the
/// plain key.
fn read_one<'f>(
    keys: Option<&SealKeys>,
    key: u8,
    own: impl Fn(&str) -> Option<&'f str>,
    defaults: impl Fn(&str) -> Option<&'f str>,
) -> Result<Option<Entry>, Error> {
    if let Some(token) = own("sealed") {
        let keys = keys.ok_or(Error::Sealed(SealError::NoKeys))?;
        // Everything about its code and its protection comes from the token, defaults
        // included: nothing written beside it changes them.
        let opened = keys.open(token)?;
        return Ok(Some(Entry {
            key,
            account: opened.account,
            sealed: true,
            protection: opened.protection,
        }));
    }
    let Some(text) = own("secret") else {
        return Ok(None);
    };
    Ok(Some(Entry {
        key,
        account: Account::parse(text, own, defaults)?,
        sealed: false,
        protection: Protection::default(),
    }))
}

/// The account a client without a phone asks about: `sealed`, else `secret`, with the options
/// beside it.
///
/// # Errors
///
/// As [`read`].
pub fn single(fields: &Fields, keys: Option<&SealKeys>) -> Result<Entry, Error> {
    const NAMES: [&str; 7] = [
        "sealed",
        "secret",
        "digits",
        "algorithm",
        "period",
        "kind",
        "name",
    ];
    let found = fields.last_of(NAMES);
    let own = |name: &str| NAMES.iter().position(|n| *n == name).and_then(|i| found[i]);
    read_one(keys, 1, own, |_| None)?.ok_or(Error::MissingSecret)
}

/// What a sealed token for `secret` (base32 or a URI) will hold: the account with its options
/// (`digits`, `algorithm`, `period`, `kind`, `name`) and its protection (`pin`, `allow`), all
/// looked up through `option` and checked first, so that no token is made for a key that would
/// not work.
///
/// # Errors
///
/// Whatever is wrong with the key or an option.
pub fn to_seal<'f>(
    secret: &str,
    option: impl Fn(&str) -> Option<&'f str>,
) -> Result<SealedAccount, Error> {
    let account = Account::parse(secret, &option, |_| None)?;
    let protection = Protection {
        pin: option("pin").map(Pin::parse).transpose()?,
        allow: option("allow").map(AllowList::parse).transpose()?,
    };
    Ok(SealedAccount {
        account,
        protection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_menu_reads_numbered_accounts_with_unnumbered_defaults() {
        let fields = Fields::from_form(
            b"secret_1=JBSWY3DPEHPK3PXP&secret_3=JBSWY3DPEHPK3PXP&digits_3=8&digits=7&name_1=A",
        );
        let entries = read(&fields, None).unwrap();
        let shape: Vec<_> = entries
            .iter()
            .map(|e| (e.key, e.account.params.digits, e.account.name.as_deref()))
            .collect();
        assert_eq!(shape, [(1, 7, Some("A")), (3, 8, None)]);
    }

    #[test]
    fn without_any_key_the_secret_is_missing() {
        for body in [&b""[..], b"secret=", b"secret_1=%20", b"digits=8"] {
            assert_eq!(
                read(&Fields::from_form(body), None).unwrap_err(),
                Error::MissingSecret
            );
        }
        assert_eq!(
            read(&Fields::from_form(b"sealed=v1.k1.x"), None).unwrap_err(),
            Error::Sealed(SealError::NoKeys)
        );
    }
}
