//! What one turn of a Twilio call passes to the next. Twilio posts a `<Gather>`'s keys to its
//! `action` URL and nothing else of the call's past, not even the Voice URL's own query, so that
//! URL carries it all in one ticket: the owner's options (the Voice URL's query), which question
//! was asked, the menu choice, and whether the PIN was passed. Nothing a caller typed.
//!
//! A caller, or anyone who reads the URL in Twilio's request log, could change it or read it,
//! and the options may hold a plain key or PIN, so the ticket is sealed: XChaCha20-Poly1305
//! under a key every replica shares ([`TicketKeys`]), with the call's `CallSid` as associated
//! data. A ticket changed in any byte, made under another key or taken to another call opens as
//! nothing. One older than [`TICKET_SECONDS`] gives back its options but not its state, so the
//! call starts over: the PIN is asked again. Within its call and lifetime a ticket can be
//! replayed, which gains nothing: every PIN and code is counted in the store
//! (`crate::call::guard`) whatever the ticket says of the call's own attempts.

use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64URL_NOPAD;
use zeroize::Zeroizing;

use crate::call::Question;
use crate::otp::seal::SealKeys;

/// How long a ticket's state stays good: the longest a caller takes to answer one question (a
/// menu said twice, a slow PIN, a code looked up in an app), with room to spare.
pub const TICKET_SECONDS: u64 = 300;

/// The most bytes of options a ticket carries: a menu of nine sealed tokens of the usual length
/// (about 150 characters each) with every option, several times over.
pub const MAX_OPTIONS: usize = 4096;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The bytes of the state: question, round, choice, admitted, expiry.
const STATE_LEN: usize = 12;
/// What each ticket's associated data begins with, so that its key seals nothing else.
const DOMAIN: &[u8] = b"yemot-2fa:twilio-ticket:v1:";

/// The question a ticket's `<Gather>` asked, and its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// PIN attempt N.
    Pin(u8),
    /// The menu.
    Menu,
    /// "Press 1 to hear it again", round N.
    Repeat(u8),
    /// Typed code, try N.
    Code(u8),
}

impl Asked {
    /// What `question` is, for the ticket of the turn that asks it.
    pub fn of(question: &Question) -> Self {
        let round = |n: &u32| u8::try_from(*n).unwrap_or(u8::MAX);
        match question {
            Question::Pin { attempt } => Self::Pin(round(attempt)),
            Question::Menu { .. } => Self::Menu,
            Question::Repeat { round: n } => Self::Repeat(round(n)),
            Question::Code { attempt, .. } => Self::Code(round(attempt)),
        }
    }

    fn to_bytes(self) -> [u8; 2] {
        match self {
            Self::Pin(n) => [1, n],
            Self::Menu => [2, 0],
            Self::Repeat(n) => [3, n],
            Self::Code(n) => [4, n],
        }
    }

    fn from_bytes(kind: u8, round: u8) -> Option<Self> {
        Some(match kind {
            1 => Self::Pin(round),
            2 => Self::Menu,
            3 => Self::Repeat(round),
            4 => Self::Code(round),
            _ => return None,
        })
    }
}

/// The state one turn hands the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// What the keys posted with it answer.
    pub asked: Asked,
    /// The menu key chosen earlier in the call (1 to 9).
    pub choice: Option<u8>,
    /// The PIN was passed earlier in the call, for this choice.
    pub admitted: bool,
}

/// What an authentic ticket gives back.
pub struct Opened {
    /// The Voice URL's query it carries.
    pub options: Zeroizing<String>,
    /// Its state, unless it expired.
    pub ticket: Option<Ticket>,
}

// The options may hold a key or a PIN: never printed.
impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("options", &format_args!("{} bytes", self.options.len()))
            .field("ticket", &self.ticket)
            .finish()
    }
}

/// Why a ticket was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The options are longer than [`MAX_OPTIONS`].
    #[error("the Voice URL's options are too long for a ticket")]
    TooLong,
    /// The system gave no random nonce.
    #[error("no randomness for a nonce")]
    NoRandomness,
}

/// The keys tickets are sealed with: the first seals them, any opens them.
pub struct TicketKeys(Vec<Zeroizing<[u8; 32]>>);

// Keys are never printed.
impl std::fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TicketKeys({} hidden)", self.0.len())
    }
}

impl TicketKeys {
    /// Keys derived from `SEAL_KEYS`, the same on every replica that shares them; rotating
    /// the seal keys rotates these (a call in progress started under the old key goes on while
    /// the old key is still listed).
    pub fn from_seal_keys(keys: &SealKeys) -> Self {
        Self(keys.derive("twilio-ticket"))
    }

    /// A key of this process alone, for a server without `SEAL_KEYS`: good while one replica
    /// answers every turn of a call. Another replica cannot open its tickets.
    ///
    /// # Errors
    ///
    /// When the system has no randomness to give.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut key[..])?;
        Ok(Self(vec![key]))
    }

    /// The ticket that carries `ticket` and `options` in the call `call`, its state good until
    /// `expires` (Unix time).
    ///
    /// # Errors
    ///
    /// [`IssueError`]: options too long, or no randomness.
    pub fn issue(
        &self,
        ticket: &Ticket,
        options: &str,
        call: &str,
        expires: u64,
    ) -> Result<String, IssueError> {
        if options.len() > MAX_OPTIONS {
            return Err(IssueError::TooLong);
        }
        let mut plain = Zeroizing::new(Vec::with_capacity(STATE_LEN + options.len()));
        plain.extend_from_slice(&state_bytes(ticket, expires));
        plain.extend_from_slice(options.as_bytes());
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| IssueError::NoRandomness)?;
        let aad = associated_data(call);
        let sealed = cipher(&self.0[0])
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| IssueError::TooLong)?;
        let mut wire = Vec::with_capacity(NONCE_LEN + sealed.len());
        wire.extend_from_slice(&nonce);
        wire.extend_from_slice(&sealed);
        Ok(BASE64URL_NOPAD.encode(&wire))
    }

    /// What `text` carries, if one of these keys sealed it in the call `call`: its options,
    /// and its state unless it expired before `now`. Nothing at all for anything else.
    pub fn open(&self, text: &str, call: &str, now: u64) -> Option<Opened> {
        let longest = BASE64URL_NOPAD.encode_len(NONCE_LEN + STATE_LEN + MAX_OPTIONS + TAG_LEN);
        if text.len() > longest {
            return None;
        }
        let wire = BASE64URL_NOPAD.decode(text.as_bytes()).ok()?;
        if wire.len() < NONCE_LEN + TAG_LEN + STATE_LEN {
            return None;
        }
        let (nonce, sealed) = wire.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        let aad = associated_data(call);
        let payload = || Payload {
            msg: sealed,
            aad: &aad,
        };
        let plain = Zeroizing::new(
            self.0
                .iter()
                .find_map(|key| cipher(key).decrypt(&nonce, payload()).ok())?,
        );
        let (state, options) = plain.split_at(STATE_LEN);
        let options = Zeroizing::new(std::str::from_utf8(options).ok()?.to_owned());
        Some(Opened {
            options,
            ticket: ticket_of(state, now),
        })
    }
}

fn cipher(key: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.into())
}

fn associated_data(call: &str) -> Vec<u8> {
    [DOMAIN, call.as_bytes()].concat()
}

fn state_bytes(ticket: &Ticket, expires: u64) -> [u8; STATE_LEN] {
    let mut state = [0u8; STATE_LEN];
    state[..2].copy_from_slice(&ticket.asked.to_bytes());
    state[2] = ticket.choice.unwrap_or(0);
    state[3] = u8::from(ticket.admitted);
    state[4..].copy_from_slice(&expires.to_be_bytes());
    state
}

/// The state `state` holds, unless it expired before `now` (or, which only this server could
/// have caused, it holds a value it never writes).
fn ticket_of(state: &[u8], now: u64) -> Option<Ticket> {
    let expires = u64::from_be_bytes(state[4..12].try_into().ok()?);
    if now > expires {
        return None;
    }
    let choice = match state[2] {
        0 => None,
        key @ 1..=9 => Some(key),
        _ => return None,
    };
    Some(Ticket {
        asked: Asked::from_bytes(state[0], state[1])?,
        choice,
        admitted: match state[3] {
            0 => false,
            1 => true,
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";
    const NOW: u64 = 1_800_000_000;
    const CALL: &str = "CA0123456789abcdef0123456789abcdef";
    const OPTIONS: &str = "secret=JBSWY3DPEHPK3PXP&pin=7351&lang=en";
    const TICKET: Ticket = Ticket {
        asked: Asked::Repeat(2),
        choice: Some(3),
        admitted: true,
    };

    fn keys(list: &str) -> TicketKeys {
        TicketKeys::from_seal_keys(&SealKeys::parse(list).unwrap().unwrap())
    }

    fn opened(
        keys: &TicketKeys,
        text: &str,
        call: &str,
        now: u64,
    ) -> Option<(String, Option<Ticket>)> {
        keys.open(text, call, now)
            .map(|o| (o.options.to_string(), o.ticket))
    }

    #[test]
    fn a_ticket_opens_as_it_was_issued_and_hides_what_it_carries() {
        let keys = keys(K1);
        let text = keys
            .issue(&TICKET, OPTIONS, CALL, NOW + TICKET_SECONDS)
            .unwrap();
        for secret in ["JBSWY3DPEHPK3PXP", "7351", "secret", "pin"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let whole = Some((OPTIONS.to_owned(), Some(TICKET)));
        assert_eq!(opened(&keys, &text, CALL, NOW), whole);
        assert_eq!(opened(&keys, &text, CALL, NOW + TICKET_SECONDS), whole);
        // Late: the options still, the state no more.
        assert_eq!(
            opened(&keys, &text, CALL, NOW + TICKET_SECONDS + 1),
            Some((OPTIONS.to_owned(), None))
        );
        for asked in [Asked::Pin(3), Asked::Menu, Asked::Code(1)] {
            let ticket = Ticket {
                asked,
                choice: None,
                admitted: false,
            };
            let text = keys.issue(&ticket, "", CALL, NOW).unwrap();
            assert_eq!(
                opened(&keys, &text, CALL, NOW),
                Some((String::new(), Some(ticket)))
            );
        }
        // Two tickets of the same state differ: a fresh nonce each.
        assert_ne!(
            text,
            keys.issue(&TICKET, OPTIONS, CALL, NOW + TICKET_SECONDS)
                .unwrap()
        );
        let long = "x".repeat(MAX_OPTIONS + 1);
        assert_eq!(
            keys.issue(&TICKET, &long, CALL, NOW),
            Err(IssueError::TooLong)
        );
    }

    #[test]
    fn a_ticket_changed_moved_or_sealed_elsewhere_opens_as_nothing() {
        let keys = keys(K1);
        let text = keys.issue(&TICKET, OPTIONS, CALL, NOW + 60).unwrap();
        // Every bit of every byte, flipped one at a time.
        let mut wire = BASE64URL_NOPAD.decode(text.as_bytes()).unwrap();
        for i in 0..wire.len() * 8 {
            wire[i / 8] ^= 1 << (i % 8);
            let changed = BASE64URL_NOPAD.encode(&wire);
            assert!(keys.open(&changed, CALL, NOW).is_none(), "bit {i}");
            wire[i / 8] ^= 1 << (i % 8);
        }
        assert!(
            keys.open(&text, "CA0123456789abcdef0123456789abcdee", NOW)
                .is_none()
        );
        assert!(keys.open(&text, "", NOW).is_none());
        assert!(
            self::keys(K2).open(&text, CALL, NOW).is_none(),
            "another key"
        );
        assert!(
            TicketKeys::random()
                .unwrap()
                .open(&text, CALL, NOW)
                .is_none()
        );
        for junk in [
            "",
            "a",
            "!!!!",
            &text[1..],
            &format!("{text}A"),
            &"A".repeat(5000),
        ] {
            assert!(keys.open(junk, CALL, NOW).is_none(), "{junk:?}");
        }
    }

    #[test]
    fn a_ticket_sealed_under_the_old_key_opens_while_it_is_listed() {
        let old = keys(K1).issue(&TICKET, OPTIONS, CALL, NOW + 60).unwrap();
        let rotated = keys(&format!("{K2},{K1}"));
        assert!(rotated.open(&old, CALL, NOW).is_some());
        let new = rotated.issue(&TICKET, OPTIONS, CALL, NOW + 60).unwrap();
        assert!(keys(K1).open(&new, CALL, NOW).is_none());
        assert_eq!(format!("{rotated:?}"), "TicketKeys(2 hidden)");
        let shown = format!("{:?}", rotated.open(&new, CALL, NOW).unwrap());
        assert!(
            !shown.contains("7351") && !shown.contains("JBSWY"),
            "{shown}"
        );
    }
}
