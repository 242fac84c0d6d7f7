//! What one turn of a Twilio call passes to the next. Twilio posts a `<Gather>`'s keys to its
//! `action` URL and nothing else of the call's past, so that URL carries the state: which
//! question was asked, the menu choice, and whether the PIN was passed. Never a PIN, a code or
//! a key: only what a `<Gather>` asked and what the server decided.
//!
//! A caller, or anyone who reads the URL in Twilio's request log, could change it, so it
//! travels as a ticket the server authenticates: an HMAC-SHA256 under a key every replica
//! shares ([`TicketKeys`]), over the state, its expiry, the call's `CallSid` and the Voice URL's
//! own options. A ticket changed in any byte, taken to another call or to other accounts, or
//! older than [`TICKET_SECONDS`], opens as nothing, and the call starts over: the PIN is asked
//! again. Within its call and lifetime a ticket can be replayed, which gains nothing: every PIN
//! and code is counted in the store (`crate::call::guard`) whatever the ticket says of the
//! call's own attempts.

use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::call::Question;
use crate::otp::seal::SealKeys;

/// How long a ticket stays good: the longest a caller takes to answer one question (a menu
/// said twice, a slow PIN, a code looked up in an app), with room to spare.
pub const TICKET_SECONDS: u64 = 300;

/// The bytes of the tag kept: 128 bits, as an AEAD's.
const TAG_LEN: usize = 16;
/// The bytes of the state: question, round, choice, admitted, expiry.
const STATE_LEN: usize = 12;
/// What each MAC begins with, so that a ticket's key signs nothing else.
const DOMAIN: &[u8] = b"yemot-2fa:twilio-ticket:v1";

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

/// What a ticket is bound to besides itself.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// The call's `CallSid`.
    pub call: &'a str,
    /// The Voice URL's own query (every pair but the ticket), which names the accounts.
    pub options: &'a str,
}

/// The keys tickets are made with: the first makes them, any opens them.
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
    /// answers every turn of a call. On another replica the ticket opens as nothing and the
    /// call starts over, which is safe and only slower.
    ///
    /// # Errors
    ///
    /// When the system has no randomness to give.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut key[..])?;
        Ok(Self(vec![key]))
    }

    /// The ticket that carries `ticket`, bound to `binding`, good until `expires` (Unix time).
    pub fn issue(&self, ticket: &Ticket, binding: Binding<'_>, expires: u64) -> String {
        let state = state_bytes(ticket, expires);
        let tag = mac(&self.0[0], &state, binding).finalize().into_bytes();
        let mut wire = [0u8; STATE_LEN + TAG_LEN];
        wire[..STATE_LEN].copy_from_slice(&state);
        wire[STATE_LEN..].copy_from_slice(&tag[..TAG_LEN]);
        BASE64URL_NOPAD.encode(&wire)
    }

    /// The state `text` carries, if one of these keys made it for `binding` and it has not
    /// expired at `now`; else nothing, whatever was wrong with it. The tag is compared in
    /// constant time.
    pub fn open(&self, text: &str, binding: Binding<'_>, now: u64) -> Option<Ticket> {
        let mut wire = [0u8; STATE_LEN + TAG_LEN];
        if BASE64URL_NOPAD.decode_len(text.len()).ok()? != wire.len() {
            return None;
        }
        BASE64URL_NOPAD
            .decode_mut(text.as_bytes(), &mut wire)
            .ok()?;
        let (state, tag) = wire.split_at(STATE_LEN);
        let genuine = self
            .0
            .iter()
            .any(|key| mac(key, state, binding).verify_truncated_left(tag).is_ok());
        if !genuine {
            return None;
        }
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
}

fn state_bytes(ticket: &Ticket, expires: u64) -> [u8; STATE_LEN] {
    let mut state = [0u8; STATE_LEN];
    state[..2].copy_from_slice(&ticket.asked.to_bytes());
    state[2] = ticket.choice.unwrap_or(0);
    state[3] = u8::from(ticket.admitted);
    state[4..].copy_from_slice(&expires.to_be_bytes());
    state
}

/// The MAC of `state` and `binding` under `key`, not yet finished. Each bound text is preceded
/// by its length, so that no two bindings write the same bytes.
fn mac(key: &[u8; 32], state: &[u8], binding: Binding<'_>) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(DOMAIN);
    for text in [binding.call, binding.options] {
        mac.update(&(text.len() as u64).to_be_bytes());
        mac.update(text.as_bytes());
    }
    mac.update(state);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";
    const NOW: u64 = 1_800_000_000;
    const BOUND: Binding<'static> = Binding {
        call: "CA0123456789abcdef0123456789abcdef",
        options: "sealed=v1.k1.abc&lang=en",
    };
    const TICKET: Ticket = Ticket {
        asked: Asked::Repeat(2),
        choice: Some(3),
        admitted: true,
    };

    fn keys(list: &str) -> TicketKeys {
        TicketKeys::from_seal_keys(&SealKeys::parse(list).unwrap().unwrap())
    }

    #[test]
    fn a_ticket_opens_as_it_was_issued_until_it_expires() {
        let keys = keys(K1);
        let text = keys.issue(&TICKET, BOUND, NOW + TICKET_SECONDS);
        assert_eq!(text.len(), 38, "{text}");
        assert_eq!(keys.open(&text, BOUND, NOW), Some(TICKET));
        assert_eq!(keys.open(&text, BOUND, NOW + TICKET_SECONDS), Some(TICKET));
        assert_eq!(keys.open(&text, BOUND, NOW + TICKET_SECONDS + 1), None);
        for asked in [Asked::Pin(3), Asked::Menu, Asked::Code(1)] {
            let ticket = Ticket {
                asked,
                choice: None,
                admitted: false,
            };
            let text = keys.issue(&ticket, BOUND, NOW);
            assert_eq!(keys.open(&text, BOUND, NOW), Some(ticket));
        }
    }

    #[test]
    fn a_ticket_changed_or_moved_opens_as_nothing() {
        let keys = keys(K1);
        let text = keys.issue(&TICKET, BOUND, NOW + 60);
        // Every bit of every byte, flipped one at a time.
        let mut wire = BASE64URL_NOPAD.decode(text.as_bytes()).unwrap();
        for i in 0..wire.len() * 8 {
            wire[i / 8] ^= 1 << (i % 8);
            let changed = BASE64URL_NOPAD.encode(&wire);
            assert_eq!(keys.open(&changed, BOUND, NOW), None, "bit {i}");
            wire[i / 8] ^= 1 << (i % 8);
        }
        let elsewhere = [
            Binding {
                call: "CA0123456789abcdef0123456789abcdee",
                ..BOUND
            },
            Binding {
                options: "sealed=v1.k1.abd&lang=en",
                ..BOUND
            },
            // The same bytes split between the two another way.
            Binding {
                call: "CA0123456789abcdef0123456789abcdefsealed=v1.k1.abc",
                options: "&lang=en",
            },
        ];
        for binding in elsewhere {
            assert_eq!(keys.open(&text, binding, NOW), None, "{binding:?}");
        }
        assert_eq!(self::keys(K2).open(&text, BOUND, NOW), None, "another key");
        let random = TicketKeys::random().unwrap();
        assert_eq!(random.open(&text, BOUND, NOW), None);
        for junk in ["", "a", "!!!!", &text[1..], &format!("{text}A")] {
            assert_eq!(keys.open(junk, BOUND, NOW), None, "{junk:?}");
        }
    }

    #[test]
    fn a_ticket_made_under_the_old_key_opens_while_it_is_listed() {
        let old = keys(K1).issue(&TICKET, BOUND, NOW + 60);
        let rotated = keys(&format!("{K2},{K1}"));
        assert_eq!(rotated.open(&old, BOUND, NOW), Some(TICKET));
        let new = rotated.issue(&TICKET, BOUND, NOW + 60);
        assert_eq!(keys(K1).open(&new, BOUND, NOW), None);
        assert_eq!(format!("{rotated:?}"), "TicketKeys(2 hidden)");
    }
}
