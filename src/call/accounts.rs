//! The accounts of a request: one, or several for a phone menu, each plain or sealed, opened
//! from what the edge read ([`super::request::Accounts`]); and the sealing of a new token.

use crate::error::Error;
use crate::otp::account::{Account, Options, Protection};
use crate::otp::seal::{SealError, SealKeys, SealedAccount};
use crate::store::Identity;
use smallvec::SmallVec;

use super::request::{AccountRequest, Accounts, SealRequest, Source};

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

/// Opens one account: a sealed token with the server's keys (everything about its code and
/// its protection from inside it, defaults included), or a plain key with its own options over
/// `defaults`.
///
/// # Errors
///
/// [`Error::Sealed`] for a token that does not open; whatever is wrong with a plain key.
pub fn open(
    request: &AccountRequest<'_>,
    defaults: &Options<'_>,
    keys: Option<&SealKeys>,
) -> Result<Entry, Error> {
    Ok(match request.source {
        Source::Sealed(token) => {
            let keys = keys.ok_or(Error::Sealed(SealError::NoKeys))?;
            let opened = keys.open(token)?;
            Entry {
                key: request.key,
                account: opened.account,
                sealed: true,
                protection: opened.protection,
            }
        }
        Source::Plain { key, own } => Entry {
            key: request.key,
            account: Account::parse(key, &own, defaults)?,
            sealed: false,
            protection: Protection::default(),
        },
    })
}

/// Opens every account, in menu order: every token present is opened, so a broken one is never
/// silently skipped. Most extensions hold one account: it is kept inline, without an
/// allocation of its own.
///
/// # Errors
///
/// The first account that cannot be opened.
pub fn open_all(
    accounts: &Accounts<'_>,
    keys: Option<&SealKeys>,
) -> Result<SmallVec<[Entry; 1]>, Error> {
    accounts
        .list
        .iter()
        .map(|request| open(request, &accounts.defaults, keys))
        .collect()
}

/// Seals what `request` describes with the first of `keys`, after checking it as if an owner
/// had written it, so that no token is made for a key that would not work.
///
/// # Errors
///
/// [`Error::Sealed`] without keys or for a payload too long; whatever is wrong with the key.
pub fn seal(request: &SealRequest<'_>, keys: Option<&SealKeys>) -> Result<String, Error> {
    let keys = keys.ok_or(Error::Sealed(SealError::NoKeys))?;
    let sealed = SealedAccount {
        account: Account::parse(request.key.0, &request.options, &Options::default())?,
        protection: Protection {
            pin: request.pin.clone(),
            allow: request.allow.clone(),
        },
    };
    Ok(keys.seal(&sealed)?)
}
