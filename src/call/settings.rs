//! The extension's flow settings: how the call sounds and where it ends. The owner's values
//! that apply to every account of the extension, sealed or plain, typed.

use crate::error::Error;
use crate::otp::verify::DEFAULT_WINDOW;

use super::say::Next;
use super::texts::Lang;

/// Below this many seconds left, the caller is warned and offered the next code.
pub const DEFAULT_WARN_BELOW: u64 = 7;
/// The largest warning accepted.
pub const MAX_WARN_BELOW: u64 = 60;

/// What the extension does with a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The default: say the account's current code.
    Read,
    /// Ask the caller for the code from their app, and only a valid one goes on to `then`.
    Verify,
}

/// The flow settings of one extension.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The voice and every text.
    pub lang: Lang,
    /// Replaces "the code is".
    pub intro: Option<String>,
    /// Where the caller goes at the end, written as the phone system writes a place (checked
    /// by the edge that read it); hang up when unset.
    pub then: Option<String>,
    /// Seconds left below which the caller is warned.
    pub warn_below: u64,
    /// Always say the seconds left.
    pub always_seconds: bool,
    /// Off: one answer with the code, then `then`, no question asked.
    pub repeat: bool,
    /// Read the code, or verify one the caller types.
    pub mode: Mode,
    /// Replaces "the code is correct" in verify mode.
    pub success: Option<String>,
    /// In verify mode, steps on each side of now a typed code may come from.
    pub window: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: Lang::He,
            intro: None,
            then: None,
            warn_below: DEFAULT_WARN_BELOW,
            always_seconds: false,
            repeat: true,
            mode: Mode::Read,
            success: None,
            window: DEFAULT_WINDOW,
        }
    }
}

impl Settings {
    /// Checks what no single value can: a verify mode must lead somewhere.
    ///
    /// # Errors
    ///
    /// [`Error::ThenRequired`] for verify mode without `then`: opening the way to nowhere.
    pub fn checked(self) -> Result<Self, Error> {
        if self.mode == Mode::Verify && self.then.is_none() {
            return Err(Error::ThenRequired);
        }
        Ok(self)
    }

    /// Where the call goes at its end.
    pub fn next(&self) -> Next<'_> {
        self.then.as_deref().map_or(Next::Hangup, Next::Go)
    }
}
