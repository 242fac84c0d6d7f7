//! Code computation: RFC 6238 TOTP on top of totp-rs, as a pure function of the time.
//!
//! Nothing here reads the clock, logs or allocates more than the code itself; the caller passes
//! the Unix time in, which is what makes every HTTP test deterministic.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::secret::Secret;

/// The HMAC behind the code. RFC 6238 allows the first three; SHA1 is what nearly every site
/// uses. Steam Guard is HMAC-SHA1 too, but writes the code as 5 characters of its own alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Algorithm {
    /// HMAC-SHA1, the default.
    #[default]
    SHA1,
    /// HMAC-SHA256.
    SHA256,
    /// HMAC-SHA512.
    SHA512,
    /// Steam Guard: HMAC-SHA1, 5 characters from `23456789BCDFGHJKMNPQRTVWXY`.
    Steam,
}

impl Algorithm {
    /// The canonical name, as in `otpauth://` URIs and our JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SHA1 => "SHA1",
            Self::SHA256 => "SHA256",
            Self::SHA512 => "SHA512",
            Self::Steam => "STEAM",
        }
    }

    /// Whether codes are Steam Guard letters rather than digits.
    pub fn is_steam(self) -> bool {
        self == Self::Steam
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Self::SHA1 => totp_rs::Algorithm::SHA1,
            Self::SHA256 => totp_rs::Algorithm::SHA256,
            Self::SHA512 => totp_rs::Algorithm::SHA512,
            Self::Steam => totp_rs::Algorithm::Steam,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ParamError;

    /// Any case, with or without a hyphen or underscore, with or without an `HMAC` prefix:
    /// `sha1`, `SHA-256`, `hmac-sha512` all work.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut name = [0u8; 16];
        let mut len = 0;
        for b in s
            .trim()
            .bytes()
            .filter(|b| !matches!(b, b'-' | b'_' | b' '))
        {
            if len == name.len() {
                return Err(ParamError::Algorithm);
            }
            name[len] = b.to_ascii_uppercase();
            len += 1;
        }
        let name = name[..len].strip_prefix(b"HMAC").unwrap_or(&name[..len]);
        match name {
            b"SHA1" => Ok(Self::SHA1),
            b"SHA256" => Ok(Self::SHA256),
            b"SHA512" => Ok(Self::SHA512),
            b"STEAM" => Ok(Self::Steam),
            _ => Err(ParamError::Algorithm),
        }
    }
}

/// Fewest digits in a code. RFC 4226 requires at least 6.
pub const MIN_DIGITS: u8 = 6;
/// Most digits in a code. RFC 6238's reference uses 8; 9 and more are not used by any site.
pub const MAX_DIGITS: u8 = 8;
/// Shortest period, in seconds. 1 lets RFC 4226 HOTP vectors run as TOTP with time = counter.
pub const MIN_PERIOD: u64 = 1;
/// Longest period, in seconds: five minutes, well past the 60 s that the longest real tokens use.
pub const MAX_PERIOD: u64 = 300;
/// The period nearly every site uses.
pub const DEFAULT_PERIOD: u64 = 30;
/// The digit count nearly every site uses.
pub const DEFAULT_DIGITS: u8 = 6;
/// Characters in a Steam Guard code.
pub const STEAM_DIGITS: u8 = 5;

/// How codes are made from a secret: the hash, the length and the time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The HMAC hash.
    pub algorithm: Algorithm,
    /// Digits in the code, [`MIN_DIGITS`]..=[`MAX_DIGITS`] ([`STEAM_DIGITS`] for Steam).
    pub digits: u8,
    /// Seconds per step, [`MIN_PERIOD`]..=[`MAX_PERIOD`].
    pub period: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::SHA1,
            digits: DEFAULT_DIGITS,
            period: DEFAULT_PERIOD,
        }
    }
}

impl Params {
    /// Steam Guard's fixed settings: 5 characters, 30 s.
    pub const STEAM: Self = Self {
        algorithm: Algorithm::Steam,
        digits: STEAM_DIGITS,
        period: DEFAULT_PERIOD,
    };

    /// Parses a digit count given as text.
    ///
    /// # Errors
    ///
    /// [`ParamError::Digits`] unless it is a whole number in [`MIN_DIGITS`]..=[`MAX_DIGITS`].
    pub fn parse_digits(text: &str) -> Result<u8, ParamError> {
        crate::bounded::parse(text, MIN_DIGITS..=MAX_DIGITS).ok_or(ParamError::Digits)
    }

    /// Parses a period in seconds given as text.
    ///
    /// # Errors
    ///
    /// [`ParamError::Period`] unless it is a whole number in [`MIN_PERIOD`]..=[`MAX_PERIOD`].
    pub fn parse_period(text: &str) -> Result<u64, ParamError> {
        crate::bounded::parse(text, MIN_PERIOD..=MAX_PERIOD).ok_or(ParamError::Period)
    }

    /// Checks a digit count that came as a number.
    ///
    /// # Errors
    ///
    /// [`ParamError::Digits`] outside [`MIN_DIGITS`]..=[`MAX_DIGITS`].
    pub fn check_digits(digits: u8) -> Result<u8, ParamError> {
        (MIN_DIGITS..=MAX_DIGITS)
            .contains(&digits)
            .then_some(digits)
            .ok_or(ParamError::Digits)
    }

    /// Checks a period that came as a number.
    ///
    /// # Errors
    ///
    /// [`ParamError::Period`] outside [`MIN_PERIOD`]..=[`MAX_PERIOD`].
    pub fn check_period(period: u64) -> Result<u64, ParamError> {
        (MIN_PERIOD..=MAX_PERIOD)
            .contains(&period)
            .then_some(period)
            .ok_or(ParamError::Period)
    }
}

/// A parameter outside what we can compute. Fixed texts: nothing of the input is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// `digits` is not 6, 7 or 8.
    #[error("digits must be 6, 7 or 8")]
    Digits,
    /// `period` is not a whole number of seconds from 1 to 300.
    #[error("period must be a whole number of seconds from 1 to 300")]
    Period,
    /// `algorithm` is not SHA1, SHA256, SHA512 or STEAM.
    #[error("algorithm must be SHA1, SHA256 or SHA512 (or STEAM)")]
    Algorithm,
}

/// One computed code with the time facts a caller needs to use it.
#[derive(Clone)]
pub struct Code {
    /// The code, zero-padded to `digits` characters (Steam: 5 letters and digits), ASCII.
    digits: [u8; MAX_DIGITS as usize],
    /// How many of `digits` are the code.
    len: u8,
    /// The step counter: `time / period`.
    pub step: u64,
    /// Seconds left before the next code, 1..=period.
    pub ttl: u64,
    /// Unix time of the first second of the next step.
    pub valid_until: u64,
}

impl Code {
    /// The code's characters, leading zeros kept.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and letters are ever written.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("digits", &"REDACTED")
            .field("step", &self.step)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.digits);
    }
}

impl fmt::Write for Code {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let at = usize::from(self.len);
        let room = self.digits.get_mut(at..at + s.len()).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len += s.len() as u8;
        Ok(())
    }
}

/// A code generator for one key and its settings, built once per request so that checking a
/// window of steps, or reading the next code, does not rebuild it each time.
pub struct Generator {
    totp: totp_rs::Totp,
    period: u64,
}

impl Generator {
    /// Prepares codes of `secret` with `params`, taking the key itself rather than a copy:
    /// for a request that computes its codes once.
    pub fn from_secret(secret: Secret, params: &Params) -> Self {
        Self::build(secret.into_inner(), params)
    }

    /// Prepares codes of `secret` with `params`.
    ///
    /// `params` must already be within bounds ([`Params::parse_digits`],
    /// [`Params::parse_period`], [`Params::STEAM`]): totp-rs' unchecked builder is used because
    /// it alone accepts the 80-bit keys real sites issue, and it would panic on a zero period or
    /// ten digits.
    pub fn new(secret: &Secret, params: &Params) -> Self {
        Self::build(totp_rs::Secret::from(secret.as_bytes()), params)
    }

    fn build(secret: totp_rs::Secret, params: &Params) -> Self {
        debug_assert!(
            (MIN_DIGITS..=MAX_DIGITS).contains(&params.digits)
                || (params.algorithm.is_steam() && params.digits == STEAM_DIGITS)
        );
        debug_assert!((MIN_PERIOD..=MAX_PERIOD).contains(&params.period));
        let totp = totp_rs::Builder::new()
            .with_algorithm(params.algorithm.to_totp_rs())
            .with_digits(params.digits)
            .with_step_duration(params.period)
            .with_secret(secret)
            .build_noncompliant();
        Self {
            totp,
            period: params.period,
        }
    }

    /// The code at Unix time `now`.
    pub fn code_at(&self, now: u64) -> Code {
        use std::fmt::Write as _;
        let step = now / self.period;
        let mut code = Code {
            digits: [0; MAX_DIGITS as usize],
            len: 0,
            step,
            ttl: self.period - now % self.period,
            valid_until: (step + 1) * self.period,
        };
        // totp-rs writes its token only through Display: into the code's own bytes.
        let _ = write!(code, "{}", self.totp.generate(now));
        code
    }
}

/// Computes the code of `secret` at Unix time `now` (see [`Generator`] for several times).
pub fn code_at(secret: &Secret, params: &Params, now: u64) -> Code {
    Generator::new(secret, params).code_at(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_read_loosely() {
        for (text, want) in [
            ("SHA1", Algorithm::SHA1),
            ("sha1", Algorithm::SHA1),
            ("SHA-1", Algorithm::SHA1),
            ("sha256", Algorithm::SHA256),
            ("SHA-256", Algorithm::SHA256),
            ("HmacSHA512", Algorithm::SHA512),
            (" sha_512 ", Algorithm::SHA512),
        ] {
            assert_eq!(text.parse::<Algorithm>(), Ok(want), "{text}");
        }
        assert_eq!("steam".parse::<Algorithm>(), Ok(Algorithm::Steam));
        for bad in ["", "MD5", "SHA3", "SHA-1-SHA-1-SHA-1-SHA1", "sha 384"] {
            assert_eq!(
                bad.parse::<Algorithm>(),
                Err(ParamError::Algorithm),
                "{bad}"
            );
        }
    }

    #[test]
    fn digits_and_period_are_bounded() {
        assert_eq!(Params::parse_digits("6"), Ok(6));
        assert_eq!(Params::parse_digits(" 8 "), Ok(8));
        for bad in ["5", "9", "10", "-6", "six", "", "6.0"] {
            assert_eq!(Params::parse_digits(bad), Err(ParamError::Digits), "{bad}");
        }
        assert_eq!(Params::parse_period("1"), Ok(1));
        assert_eq!(Params::parse_period("300"), Ok(300));
        for bad in ["0", "301", "-30", "30s", "", "99999999999999999999999"] {
            assert_eq!(Params::parse_period(bad), Err(ParamError::Period), "{bad}");
        }
    }

    #[test]
    fn time_facts_follow_the_step() {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        let params = Params::default();
        let code = code_at(&secret, &params, 59);
        assert_eq!((code.step, code.ttl, code.valid_until), (1, 1, 60));
        let code = code_at(&secret, &params, 60);
        assert_eq!((code.step, code.ttl, code.valid_until), (2, 30, 90));
        assert_eq!(code.as_str().len(), 6);
        assert!(!format!("{code:?}").contains(code.as_str()));
    }

    #[test]
    fn steam_codes_match_pyotp_contrib_steam() {
        // The RFC 6238 SHA1 seed, cross-checked with pyotp 2.12's contrib.Steam.
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        for (time, want) in [
            (59, "PV9M4"),
            (1111111109, "PY4YB"),
            (1234567890, "VHHQY"),
            (2000000000, "9N776"),
        ] {
            assert_eq!(
                code_at(&secret, &Params::STEAM, time).as_str(),
                want,
                "t={time}"
            );
        }
    }
}
