//! What each endpoint is asked, typed: read once at the edge (`crate::yemot::request` for a
//! phone turn, `crate::http::params` for the JSON endpoints) and handed to the use cases
//! below. Nothing here knows a parameter's name. Texts are borrowed from the request, so
//! reading them costs no copy.

use std::fmt;

use crate::otp::account::{AllowList, Options, Pin, Protection};

use super::settings::Settings;

/// Where one account comes from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A sealed token, opened with the server's keys: everything about the account and its
    /// protection comes from inside it.
    Sealed(&'a str),
    /// A plain key (base32 or an `otpauth://` link) with the options written beside it.
    Plain {
        /// The key text.
        key: &'a str,
        /// Its own options.
        own: Options<'a>,
    },
}

// The key and the token are secrets: never printed.
impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sealed(_) => "Sealed(..)",
            Self::Plain { .. } => "Plain(..)",
        })
    }
}

/// One account of a request, with the key a caller presses for it in a menu.
#[derive(Debug, Clone, Copy)]
pub struct AccountRequest<'a> {
    /// 1 to 9; 1 for a single account.
    pub key: u8,
    /// Its key or token.
    pub source: Source<'a>,
}

/// The accounts of a request: one, or a menu of up to nine.
#[derive(Debug, Clone)]
pub struct Accounts<'a> {
    /// In menu order; one, the usual case, without an allocation.
    pub list: smallvec::SmallVec<[AccountRequest<'a>; 1]>,
    /// Options every plain account of a menu inherits unless it has its own.
    pub defaults: Options<'a>,
}

/// One answer the caller gave: which round it was asked in, and what was typed (`None`, or
/// nothing, for silence).
#[derive(Clone, Copy)]
pub struct Answer<'a> {
    /// 1 for the first time the question was asked in this call.
    pub round: u32,
    /// The keys, as the phone system sent them.
    pub typed: &'a str,
}

impl Answer<'_> {
    /// Whether the caller typed nothing.
    pub fn is_silence(&self) -> bool {
        is_silence(self.typed)
    }
}

/// Whether `typed` says nothing was typed: empty, or `None` (what Yemot sends for silence).
pub fn is_silence(typed: &str) -> bool {
    let typed = typed.trim();
    typed.is_empty() || typed.eq_ignore_ascii_case("none")
}

// What was typed may be a PIN or a code: never printed.
impl fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Answer(round {})", self.round)
    }
}

/// The caller's answers so far in this call: the latest of each question.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answers<'a> {
    /// The latest PIN attempt.
    pub pin: Option<Answer<'a>>,
    /// The menu choice.
    pub choice: Option<Answer<'a>>,
    /// The latest "hear it again" round.
    pub repeat: Option<Answer<'a>>,
    /// The latest typed code.
    pub code: Option<Answer<'a>>,
    /// The caller already gave the right PIN earlier in this call, for this same choice of
    /// account: it is not asked (nor counted) again. Only an edge whose state between turns is
    /// authenticated by the server itself and bound to the call may say so; an edge whose
    /// earlier answers a client can write (Yemot re-sends them as fields) leaves it `false`,
    /// and the PIN is judged again on every turn.
    pub admitted: bool,
}

/// The caller, as the phone system reported them.
#[derive(Clone, Copy, Default)]
pub struct Caller<'a> {
    /// Their number, if it was sent.
    pub number: Option<&'a str>,
}

// A phone number is personal data: never printed.
impl fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.number.is_some() {
            "Caller(..)"
        } else {
            "Caller(no number)"
        })
    }
}

/// One turn of a phone call.
#[derive(Debug)]
pub struct Turn<'a> {
    /// How the call sounds and where it ends.
    pub settings: Settings,
    /// The extension's own PIN and allow-list, for its plain accounts.
    pub plain: Protection,
    /// The accounts.
    pub accounts: Accounts<'a>,
    /// Who is calling.
    pub caller: Caller<'a>,
    /// What they answered so far.
    pub answers: Answers<'a>,
}

/// `/api/2fa` for a program: the code of one account.
#[derive(Debug)]
pub struct CodeRequest<'a> {
    /// The account.
    pub account: AccountRequest<'a>,
    /// The PIN a client presents for a token with a sealed PIN.
    pub pin: Option<Secret<'a>>,
}

/// Who checks a code with `/api/verify`.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// A program.
    Http,
    /// A phone system calling on a caller's behalf.
    Phone(Caller<'a>),
}

/// `/api/verify`: whether a typed code is current.
#[derive(Debug)]
pub struct VerifyRequest<'a> {
    /// The account.
    pub account: AccountRequest<'a>,
    /// The PIN a client presents for a token with a sealed PIN.
    pub pin: Option<Secret<'a>>,
    /// What was typed.
    pub code: Secret<'a>,
    /// Steps accepted on each side of now.
    pub window: u64,
    /// Only steps after this one are accepted (replay protection kept by the client).
    pub after_step: Option<u64>,
    /// Who asks.
    pub asker: Asker<'a>,
}

/// Text that must not be printed: a typed code or PIN.
#[derive(Clone, Copy)]
pub struct Secret<'a>(pub &'a str);

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

/// `/api/seal` and `yemot-2fa seal`: what a new token holds.
#[derive(Debug)]
pub struct SealRequest<'a> {
    /// The key (base32 or an `otpauth://` link).
    pub key: Secret<'a>,
    /// How its codes are made and its name.
    pub options: Options<'a>,
    /// The PIN to seal with it.
    pub pin: Option<Pin>,
    /// The callers to seal with it.
    pub allow: Option<AllowList>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_request_prints_a_pin_a_code_a_key_or_a_number() {
        let account = AccountRequest {
            key: 1,
            source: Source::Plain {
                key: "JBSWY3DPEHPK3PXP",
                own: Options::default(),
            },
        };
        let code = CodeRequest {
            account,
            pin: Some(Secret("7351")),
        };
        let verify = VerifyRequest {
            account,
            pin: Some(Secret("7351")),
            code: Secret("005924"),
            window: 1,
            after_step: None,
            asker: Asker::Phone(Caller {
                number: Some("0501234567"),
            }),
        };
        let answers = Answers {
            pin: Some(Answer {
                round: 1,
                typed: "7351",
            }),
            ..Answers::default()
        };
        let shown = format!("{code:?} {verify:?} {answers:?}");
        for secret in ["7351", "005924", "JBSWY3DPEHPK3PXP", "0501234567"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
