//! An account: a key, how to make its codes, the name it is known by, and what stands between a
//! caller and its codes (a PIN, an allow-list of phone numbers).
//!
//! The key is bare base32 or a whole `otpauth://totp/…` URI; `digits`, `algorithm`, `period`
//! and `kind` options override what the URI says, so an owner can correct a URI whose site lied
//! about its settings without editing the URI. `kind=steam` (or a Steam URI) makes Steam Guard
//! codes. Options are typed ([`Options`]): whoever reads them from a request, the command line
//! or a token turns their text into values first ([`OptionTexts`]), so the same rules serve
//! them all.

use std::fmt;

use subtle::ConstantTimeEq;

use super::code::{Algorithm, ParamError, Params};
use super::otpauth::{KeyUri, UriError};
use super::secret::{Secret, SecretError};

/// A key with everything needed to compute its codes.
#[derive(Debug)]
pub struct Account {
    /// The key.
    pub secret: Secret,
    /// Hash, digits, period.
    pub params: Params,
    /// The name to say in a menu: `name`, else the URI's issuer.
    pub name: Option<String>,
}

/// Why an account could not be built. Fixed facts, never the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The key text is not a usable key.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The key URI is not usable.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// A bad `digits`, `algorithm` or `period` option.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// `kind` is not `totp` or `steam`.
    #[error("kind must be totp or steam")]
    Kind,
}

/// What an [`AccountError`] is about, with the key's error found wherever it sits (a bare key,
/// or the `secret=` of a link): so that a short key is told the same way in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrOption {
    /// The key itself.
    Key(SecretError),
    /// The link, apart from its key and options.
    Uri(UriError),
    /// `digits`, `algorithm` or `period`, beside the key or inside the link.
    Option(ParamError),
    /// `kind`.
    Kind,
}

impl AccountError {
    /// What this error is about.
    pub fn key_or_option(self) -> KeyOrOption {
        match self {
            Self::Secret(e) | Self::Uri(UriError::Secret(e)) => KeyOrOption::Key(e),
            Self::Param(e) | Self::Uri(UriError::Param(e)) => KeyOrOption::Option(e),
            Self::Uri(e) => KeyOrOption::Uri(e),
            Self::Kind => KeyOrOption::Kind,
        }
    }
}

/// How an account's codes are made and what it is called, each unset unless written: typed,
/// whoever wrote them (an ext.ini line, an API parameter, the command line, a sealed token).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options<'a> {
    /// Digits per code.
    pub digits: Option<u8>,
    /// The hash.
    pub algorithm: Option<Algorithm>,
    /// Seconds per code.
    pub period: Option<u64>,
    /// Steam Guard codes (`Some(true)`), or plain TOTP (`Some(false)`).
    pub steam: Option<bool>,
    /// The name to say in a menu.
    pub name: Option<&'a str>,
}

/// The options as an owner writes them, each text unset when absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionTexts<'a> {
    /// `6` to `8`.
    pub digits: Option<&'a str>,
    /// `SHA1`, `SHA256`, `SHA512` or `steam`.
    pub algorithm: Option<&'a str>,
    /// `1` to `300`.
    pub period: Option<&'a str>,
    /// `totp` or `steam`.
    pub kind: Option<&'a str>,
    /// Any text.
    pub name: Option<&'a str>,
}

impl<'a> OptionTexts<'a> {
    /// The typed options.
    ///
    /// # Errors
    ///
    /// The first option that cannot be used.
    pub fn parse(self) -> Result<Options<'a>, AccountError> {
        Ok(Options {
            digits: self.digits.map(Params::parse_digits).transpose()?,
            algorithm: self.algorithm.map(str::parse::<Algorithm>).transpose()?,
            period: self.period.map(Params::parse_period).transpose()?,
            steam: self.kind.map(parse_kind).transpose()?,
            name: self.name,
        })
    }
}

impl Options<'_> {
    /// Applies `digits`, `algorithm` and `period` to `params`.
    fn apply(&self, params: &mut Params) {
        params.digits = self.digits.unwrap_or(params.digits);
        params.algorithm = self.algorithm.unwrap_or(params.algorithm);
        params.period = self.period.unwrap_or(params.period);
    }
}

impl Account {
    /// Builds one account from its key text, its own options and the defaults it inherits.
    /// The order, weakest first: built-in defaults, `defaults` (the unnumbered options of a
    /// menu), the URI's own settings, `own` (the options beside this key).
    ///
    /// # Errors
    ///
    /// Whatever is wrong with the key or the URI.
    pub fn parse(
        text: &str,
        own: &Options<'_>,
        defaults: &Options<'_>,
    ) -> Result<Self, AccountError> {
        let mut params = Params::default();
        defaults.apply(&mut params);
        let mut steam = defaults.steam.unwrap_or(false);
        let (secret, name) = if KeyUri::is_uri(text) {
            let uri = KeyUri::parse(text)?;
            params.algorithm = uri.algorithm.unwrap_or(params.algorithm);
            params.digits = uri.digits.unwrap_or(params.digits);
            params.period = uri.period.unwrap_or(params.period);
            steam |= uri.steam;
            (uri.secret, uri.issuer)
        } else {
            (Secret::from_base32(text)?, None)
        };
        Ok(Self::finish(secret, params, steam, name, own))
    }

    /// Builds an account from a decoded key and its own options alone: no URI, no defaults.
    /// What a sealed token holds.
    pub fn with_secret(secret: Secret, own: &Options<'_>) -> Self {
        Self::finish(secret, Params::default(), false, None, own)
    }

    /// Applies `own` over what the key and the defaults said.
    fn finish(
        secret: Secret,
        mut params: Params,
        steam: bool,
        name: Option<String>,
        own: &Options<'_>,
    ) -> Self {
        own.apply(&mut params);
        if own.steam.unwrap_or(steam) || params.algorithm.is_steam() {
            params = Params::STEAM;
        }
        Self {
            secret,
            params,
            name: own.name.map(|n| n.trim().to_owned()).or(name),
        }
    }
}

/// `steam` → true, `totp` → false, any case.
fn parse_kind(kind: &str) -> Result<bool, AccountError> {
    match kind.trim().to_ascii_lowercase().as_str() {
        "steam" => Ok(true),
        "totp" => Ok(false),
        _ => Err(AccountError::Kind),
    }
}

/// What protects an account's codes from a caller: both optional, both checked on every turn.
#[derive(Debug, Default)]
pub struct Protection {
    /// Digits the caller must type first.
    pub pin: Option<Pin>,
    /// The only caller numbers that may hear codes.
    pub allow: Option<AllowList>,
}

impl Protection {
    /// Whether nothing protects the account.
    pub fn is_open(&self) -> bool {
        self.pin.is_none() && self.allow.is_none()
    }
}

/// A PIN that is not 4 to 12 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("pin must be 4 to 12 digits")]
pub struct InvalidPin;

/// A PIN: 4 to 12 digits, compared in constant time, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin {
    /// Length, then the digits, zero-padded: a fixed size, so comparing leaks no length.
    bytes: [u8; 13],
}

impl Pin {
    /// Parses a PIN setting.
    ///
    /// # Errors
    ///
    /// [`InvalidPin`] unless it is 4 to 12 ASCII digits.
    pub fn parse(text: &str) -> Result<Self, InvalidPin> {
        let text = text.trim();
        if !(4..=12).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidPin);
        }
        Ok(Self {
            bytes: Self::fixed(text),
        })
    }

    /// `typed` as the same fixed-size array; anything that is not 1 to 12 digits gets length 0,
    /// which no PIN has.
    fn fixed(typed: &str) -> [u8; 13] {
        let mut bytes = [0u8; 13];
        let typed = typed.trim();
        if (1..=12).contains(&typed.len()) && typed.bytes().all(|b| b.is_ascii_digit()) {
            bytes[0] = typed.len() as u8;
            bytes[1..=typed.len()].copy_from_slice(typed.as_bytes());
        }
        bytes
    }

    /// Whether the caller typed this PIN, in constant time.
    pub fn matches(&self, typed: &str) -> bool {
        self.bytes.ct_eq(&Self::fixed(typed)).into()
    }

    /// The digits, for sealing them into a token.
    pub fn digits(&self) -> &str {
        let len = usize::from(self.bytes[0]);
        // Only ASCII digits were ever stored.
        std::str::from_utf8(&self.bytes[1..=len]).unwrap_or_default()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(REDACTED)")
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

/// An allow-list that holds something other than phone numbers, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("allow must list phone numbers, separated by commas")]
pub struct InvalidAllow;

/// The callers allowed to hear codes. `+972 50…`, `972-50…` and `050…` are the same number.
#[derive(Clone, PartialEq, Eq)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// Parses numbers separated by commas, semicolons, spaces or newlines.
    ///
    /// # Errors
    ///
    /// [`InvalidAllow`] when an entry holds something other than digits, `+`, `-`, `(`, `)`,
    /// or when no number is listed.
    pub fn parse(text: &str) -> Result<Self, InvalidAllow> {
        let mut numbers = Vec::new();
        for entry in text.split([',', ';', '\n', '\r', '\t', '|']) {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            if !entry
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
            {
                return Err(InvalidAllow);
            }
            let number = normalize_phone(entry);
            if number.len() < 3 {
                return Err(InvalidAllow);
            }
            numbers.push(number);
        }
        if numbers.is_empty() {
            return Err(InvalidAllow);
        }
        Ok(Self(numbers))
    }

    /// Whether `phone` (as the phone system reported the caller) is listed.
    pub fn contains(&self, phone: &str) -> bool {
        let phone = normalize_phone(phone);
        !phone.is_empty() && self.0.contains(&phone)
    }

    /// The numbers, normalized, comma-separated: what a sealed token stores.
    pub fn to_setting(&self) -> String {
        self.0.join(",")
    }
}

impl fmt::Debug for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AllowList({} numbers)", self.0.len())
    }
}

/// Digits only, with Israel's country code turned into the trunk `0`: `+972-50-123-4567`,
/// `972501234567` and `00972501234567` all become `0501234567`. Also how a caller is told apart
/// from another in the attempt store.
pub fn normalize_phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    for prefix in ["00972", "972"] {
        if let Some(rest) = digits.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let rest = rest.strip_prefix('0').unwrap_or(rest);
            return format!("0{rest}");
        }
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_every_israeli_form_are_one_number() {
        let allow = AllowList::parse("+972-50-123-4567; 03 555 1234,\n972527654321").unwrap();
        for same in [
            "0501234567",
            "972501234567",
            "+972501234567",
            "00972501234567",
            "+972 (0)50 1234567",
        ] {
            assert!(allow.contains(same), "{same}");
        }
        assert!(allow.contains("035551234"));
        assert!(allow.contains("0527654321"));
        assert!(!allow.contains("0501234568"));
        assert!(!allow.contains(""));
        assert!(!allow.contains("Anonymous"));
        for bad in ["", " , ", "050abc", "12"] {
            assert_eq!(
                AllowList::parse(bad).map(|_| ()),
                Err(InvalidAllow),
                "{bad:?}"
            );
        }
        assert_eq!(format!("{allow:?}"), "AllowList(3 numbers)");
        assert_eq!(
            AllowList::parse(&allow.to_setting()).unwrap(),
            allow,
            "the setting form reads back the same"
        );
    }

    #[test]
    fn pins_are_digits_and_compare_exactly() {
        let pin = Pin::parse("04321").unwrap();
        assert!(pin.matches("04321"));
        assert!(pin.matches(" 04321 "));
        for wrong in ["4321", "043210", "04322", "", "None", "0432a", "04321#"] {
            assert!(!pin.matches(wrong), "{wrong}");
        }
        for bad in ["123", "1234567890123", "12a4", "", "12 34"] {
            assert_eq!(Pin::parse(bad).map(|_| ()), Err(InvalidPin), "{bad:?}");
        }
        assert_eq!(format!("{pin:?}"), "Pin(REDACTED)");
        assert_eq!(pin.digits(), "04321");
    }

    #[test]
    fn options_override_the_uri_and_defaults_give_way_to_it() {
        let uri = "otpauth://totp/Bank:me?secret=JBSWY3DPEHPK3PXP&digits=8&issuer=Bank";
        let none = Options::default();
        let account = Account::parse(uri, &none, &none).unwrap();
        assert_eq!(
            (account.params.digits, account.name.as_deref()),
            (8, Some("Bank"))
        );
        let seven = Options {
            digits: Some(7),
            ..Options::default()
        };
        assert_eq!(Account::parse(uri, &seven, &none).unwrap().params.digits, 7);
        assert_eq!(
            Account::parse(uri, &none, &seven).unwrap().params.digits,
            8,
            "a default does not beat the URI"
        );
        let steam = OptionTexts {
            kind: Some("Steam"),
            ..OptionTexts::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            Account::parse("JBSWY3DPEHPK3PXP", &steam, &none)
                .unwrap()
                .params,
            Params::STEAM
        );
        let bad = OptionTexts {
            kind: Some("hotp"),
            ..OptionTexts::default()
        };
        assert_eq!(bad.parse().unwrap_err(), AccountError::Kind);
        let digits = OptionTexts {
            digits: Some("9"),
            ..OptionTexts::default()
        };
        assert_eq!(
            digits.parse().unwrap_err(),
            AccountError::Param(ParamError::Digits)
        );
    }
}
