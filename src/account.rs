//! Accounts: a key and how to make its codes, assembled from the request's parameters.
//!
//! `secret` holds bare base32 or a whole `otpauth://totp/…` URI; `digits`, `algorithm` and
//! `period` beside it override what the URI says, so an owner can correct a URI whose site
//! lied about its settings without editing the URI. `kind=steam` (or a Steam URI) makes Steam
//! Guard codes.
//!
//! One extension may hold several accounts for a phone menu: `secret_1` … `secret_9`, each with
//! its own optional `name_N`, `digits_N`, `algorithm_N`, `period_N` and `kind_N`. There the
//! unnumbered options are defaults: a URI's own settings and the numbered options win over them.

use crate::error::Error;
use crate::otpauth::KeyUri;
use crate::request::Fields;
use crate::secret::Secret;
use crate::totp::{Algorithm, Params};

/// The menu keys an account can have.
pub const MENU_KEYS: std::ops::RangeInclusive<u8> = 1..=9;

/// The name suffix of each menu key: `secret_1`, `name_1`, `sealed_1`, ….
pub const MENU_SUFFIXES: [&str; 9] = ["_1", "_2", "_3", "_4", "_5", "_6", "_7", "_8", "_9"];

/// A key with everything needed to compute its codes.
#[derive(Debug)]
pub struct Account {
    /// The key.
    pub secret: Secret,
    /// Hash, digits, period.
    pub params: Params,
    /// The name to say in a menu: `name_N`, else the URI's issuer.
    pub name: Option<String>,
}

impl Account {
    /// Reads the single account of a request: `secret` and its options.
    ///
    /// # Errors
    ///
    /// [`Error::MissingSecret`] when there is no `secret`; otherwise whatever is wrong with the
    /// key, the URI or a parameter. Explicit parameters are checked even when the URI sets the
    /// same one, so a typo in ext.ini is never silently ignored.
    pub fn from_fields(fields: &Fields) -> Result<Self, Error> {
        let text = fields.get_non_empty("secret").ok_or(Error::MissingSecret)?;
        Self::parse(text, |name| fields.get_non_empty(name), |_| None)
    }

    /// Reads every account of a request, with its menu key: `secret_1` … `secret_9`, or the
    /// single `secret` (key 1) when none is numbered.
    ///
    /// # Errors
    ///
    /// [`Error::MissingSecret`] when there is no secret at all; otherwise the first bad account.
    pub fn all_from_fields(fields: &Fields) -> Result<Vec<(u8, Self)>, Error> {
        let mut accounts = Vec::new();
        // Most requests have one account: skip the menu scan unless a numbered key is there.
        if fields.has_key_starting_with("secret_") {
            for (key, suffix) in MENU_KEYS.zip(MENU_SUFFIXES) {
                if let Some(text) = fields.get_suffixed_non_empty("secret", suffix) {
                    let own = |name: &str| fields.get_suffixed_non_empty(name, suffix);
                    let defaults = |name: &str| fields.get_non_empty(name);
                    accounts.push((key, Self::parse(text, own, defaults)?));
                }
            }
        }
        if accounts.is_empty() {
            accounts.push((1, Self::from_fields(fields)?));
        }
        Ok(accounts)
    }

    /// Builds one account from its key text, its own options and the defaults it inherits.
    /// The order, weakest first: built-in defaults, `defaults` (the unnumbered options of a
    /// menu), the URI's own settings, `own` (the options beside this key).
    fn parse<'f>(
        text: &str,
        own: impl Fn(&str) -> Option<&'f str>,
        defaults: impl Fn(&str) -> Option<&'f str>,
    ) -> Result<Self, Error> {
        let mut params = Params::default();
        let mut steam = apply_options(&mut params, &defaults)?.unwrap_or(false);
        let (secret, mut name) = if KeyUri::is_uri(text) {
            let uri = KeyUri::parse(text)?;
            params.algorithm = uri.algorithm.unwrap_or(params.algorithm);
            params.digits = uri.digits.unwrap_or(params.digits);
            params.period = uri.period.unwrap_or(params.period);
            steam |= uri.steam;
            (uri.secret, uri.issuer)
        } else {
            (Secret::from_base32(text)?, None)
        };
        if let Some(kind) = apply_options(&mut params, &own)? {
            steam = kind;
        }
        if steam || params.algorithm.is_steam() {
            params = Params::STEAM;
        }
        if let Some(spoken) = own("name") {
            name = Some(spoken.trim().to_owned());
        }
        Ok(Self {
            secret,
            params,
            name,
        })
    }
}

/// Applies `digits`, `algorithm` and `period` from `option` to `params`, and returns what
/// `kind` says about Steam, if it is set.
fn apply_options<'f>(
    params: &mut Params,
    option: &impl Fn(&str) -> Option<&'f str>,
) -> Result<Option<bool>, Error> {
    if let Some(digits) = option("digits") {
        params.digits = Params::parse_digits(digits)?;
    }
    if let Some(algorithm) = option("algorithm") {
        params.algorithm = algorithm.parse::<Algorithm>()?;
    }
    if let Some(period) = option("period") {
        params.period = Params::parse_period(period)?;
    }
    option("kind")
        .map(|kind| match kind.trim().to_ascii_lowercase().as_str() {
            "steam" => Ok(true),
            "totp" => Ok(false),
            _ => Err(Error::Kind),
        })
        .transpose()
}
