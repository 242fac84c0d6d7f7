//! What a turn of a call decides, in no phone system's language: words and numbers to say
//! ([`Speech`]), then a question to ask ([`Question`]) or where the call goes next ([`Next`]).
//! A renderer beside this layer writes it in its system's wire language (`crate::yemot`);
//! a second IVR needs a renderer of its own and no change here.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::otp::code::Code;

/// One thing said.
#[derive(Clone)]
pub enum Item<'a> {
    /// Words, spoken by text to speech.
    Text(Cow<'a, str>),
    /// One of this layer's own fixed texts (`super::texts`), which a test proves every
    /// renderer's rules allow as they are: said without being checked again.
    Fixed(&'static str),
    /// A quantity ("twenty-three").
    Number(u64),
    /// One keypad key, said as a digit ("press 2").
    Key(u8),
    /// A code, said character by character in two groups.
    Code(Spoken),
}

/// A code's characters, without the rest of [`Code`]: what is said is all a speech keeps, so
/// that it stays small to move.
#[derive(Clone, Copy)]
pub struct Spoken {
    chars: [u8; 10],
    len: u8,
}

impl Spoken {
    fn of(code: &Code) -> Self {
        let text = code.as_str().as_bytes();
        let mut chars = [0u8; 10];
        let len = text.len().min(chars.len());
        chars[..len].copy_from_slice(&text[..len]);
        Self {
            chars,
            len: len as u8,
        }
    }

    /// The characters, as the code had them (ASCII letters and digits).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.chars[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// What the caller hears, in order: inline up to a code read twice with its intro, "again"
/// and the question after it, so the usual answer allocates nothing here.
#[derive(Clone, Default)]
pub struct Speech<'a> {
    items: SmallVec<[Item<'a>; 5]>,
}

impl<'a> Speech<'a> {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds words.
    pub fn text(&mut self, text: impl Into<Cow<'a, str>>) -> &mut Self {
        self.items.push(Item::Text(text.into()));
        self
    }

    /// Adds one of this layer's fixed texts (`super::texts`).
    pub fn fixed(&mut self, text: &'static str) -> &mut Self {
        self.items.push(Item::Fixed(text));
        self
    }

    /// Adds a quantity.
    pub fn number(&mut self, n: u64) -> &mut Self {
        self.items.push(Item::Number(n));
        self
    }

    /// Adds a keypad key.
    pub fn key(&mut self, key: u8) -> &mut Self {
        self.items.push(Item::Key(key));
        self
    }

    /// Adds a code.
    pub fn code(&mut self, code: &Code) -> &mut Self {
        self.items.push(Item::Code(Spoken::of(code)));
        self
    }

    /// What is said, in order.
    pub fn items(&self) -> &[Item<'a>] {
        &self.items
    }
}

// A speech holds codes: not printed.
impl std::fmt::Debug for Speech<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Speech({} items)", self.items.len())
    }
}

/// What the caller is asked; each question is asked under its own round, so that the answer
/// of every turn comes back beside the earlier ones and no server needs to remember a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// The PIN, attempt `attempt` (1 for the first).
    Pin {
        /// 1 to [`super::guard::MAX_PIN_ATTEMPTS`].
        attempt: u32,
    },
    /// Which account, one key of `keys`.
    Menu {
        /// The keys the menu lists, in order.
        keys: SmallVec<[u8; 9]>,
    },
    /// "Press 1 to hear it again", round `round` (1 for the first).
    Repeat {
        /// 1 to [`super::flow::MAX_REPEATS`].
        round: u32,
    },
    /// The code from the caller's app, try `attempt`, of `digits` digits.
    Code {
        /// 1 to [`super::verify::MAX_TRIES`].
        attempt: u32,
        /// Digits the code has.
        digits: u8,
    },
}

impl Question {
    /// Fewest and most keys an answer has.
    pub fn keys(&self) -> (u8, u8) {
        match self {
            Self::Pin { .. } => (1, 12),
            Self::Menu { .. } | Self::Repeat { .. } => (1, 1),
            Self::Code { digits, .. } => (*digits, *digits),
        }
    }

    /// Seconds to wait for the first key: typing up to 12 digits of a PIN takes longer than a
    /// menu key, and finding a code in an app longer still.
    pub fn wait_seconds(&self) -> u8 {
        match self {
            Self::Pin { .. } => 15,
            Self::Menu { .. } | Self::Repeat { .. } => 7,
            Self::Code { .. } => 20,
        }
    }

    /// How many times the question is said before silence counts as the answer: the menu
    /// once more, for a caller still deciding.
    pub fn prompts(&self) -> u8 {
        match self {
            Self::Menu { .. } => 2,
            Self::Pin { .. } | Self::Repeat { .. } | Self::Code { .. } => 1,
        }
    }
}

/// Where the call goes once everything is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next<'a> {
    /// Hang up.
    Hangup,
    /// The owner's `then`: a place in their phone system, written as that system writes it.
    Go(&'a str),
}

/// One turn's answer.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// Say this, then go on.
    Say(Speech<'a>, Next<'a>),
    /// Say this, then ask.
    Ask(Speech<'a>, Question),
}

impl<'a> Outcome<'a> {
    /// Says `speech` and hangs up.
    pub fn end(speech: Speech<'a>) -> Self {
        Self::Say(speech, Next::Hangup)
    }

    /// Says one text and hangs up.
    pub fn end_with(text: impl Into<Cow<'a, str>>) -> Self {
        let mut speech = Speech::new();
        speech.text(text);
        Self::end(speech)
    }
}
