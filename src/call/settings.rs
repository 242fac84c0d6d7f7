//! The extension's flow settings: how the call sounds and where it ends. Plain ext.ini values
//! that apply to every account of the extension, sealed or plain.

use crate::error::Error;
use crate::otp::verify::{DEFAULT_WINDOW, MAX_WINDOW};
use crate::yemot::speak::sanitize_text;
use crate::yemot::{Fields, Folder};

use super::texts::Lang;

/// Below this many seconds left, the caller is warned and offered the next code (`warn_below`).
pub const DEFAULT_WARN_BELOW: u64 = 7;
/// The largest `warn_below` accepted.
pub const MAX_WARN_BELOW: u64 = 60;

/// What the extension does with a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `mode=read` (the default): say the account's current code.
    Read,
    /// `mode=verify`: ask the caller for the code from their app, and only a valid one goes on
    /// to `then`.
    Verify,
}

/// The flow settings of one extension.
#[derive(Debug)]
pub struct Settings {
    /// `lang`: the voice and every text.
    pub lang: Lang,
    /// `text`: replaces "the code is", already made speakable.
    pub intro: Option<String>,
    /// `then`: where the caller goes at the end.
    pub then: Folder,
    /// `warn_below`: seconds.
    pub warn_below: u64,
    /// `seconds=yes`: always say the seconds left.
    pub always_seconds: bool,
    /// `repeat=no` turns this off: one answer with the code, then `then`, no question asked.
    pub repeat: bool,
    /// `mode`: read the code, or verify one the caller types.
    pub mode: Mode,
    /// `success`: replaces "the code is correct" in `mode=verify`, already made speakable.
    pub success: Option<String>,
    /// `window`: in `mode=verify`, steps on each side of now a typed code may come from.
    pub window: u64,
}

impl Settings {
    /// Reads the settings from the fields, each with its default.
    ///
    /// # Errors
    ///
    /// [`Error::Lang`], [`Error::Then`], [`Error::ThenLoop`], [`Error::WarnBelow`],
    /// [`Error::Repeat`], [`Error::Mode`], [`Error::ThenRequired`] or [`Error::Window`] for a
    /// value that cannot be used.
    pub fn read(fields: &Fields) -> Result<Self, Error> {
        let [
            lang,
            text,
            then,
            warn_below,
            seconds,
            repeat,
            mode,
            success,
            window,
        ] = fields.last_of([
            "lang",
            "text",
            "then",
            "warn_below",
            "seconds",
            "repeat",
            "mode",
            "success",
            "window",
        ]);
        let lang = lang.map_or(Ok(Lang::He), Lang::parse)?;
        let intro = text.map(sanitize_text).filter(|t| !t.is_empty());
        let then = then.map_or(Ok(Folder::HANGUP), Folder::parse)?;
        if then.leads_into(fields.get("ApiExtension")) {
            return Err(Error::ThenLoop);
        }
        let warn_below = match warn_below {
            None => DEFAULT_WARN_BELOW,
            Some(v) => crate::bounded::parse(v, 0..=MAX_WARN_BELOW).ok_or(Error::WarnBelow)?,
        };
        let always_seconds = seconds.is_some_and(|v| yes_or_no(v) == Some(true));
        let repeat = match repeat {
            None => true,
            Some(v) => yes_or_no(v).ok_or(Error::Repeat)?,
        };
        let mode = match mode.map(str::trim) {
            None => Mode::Read,
            Some(m) if m.eq_ignore_ascii_case("read") => Mode::Read,
            Some(m) if m.eq_ignore_ascii_case("verify") => Mode::Verify,
            Some(_) => return Err(Error::Mode),
        };
        if mode == Mode::Verify && then == Folder::HANGUP {
            // Opening the way to nowhere: the owner forgot where a valid code leads.
            return Err(Error::ThenRequired);
        }
        let window = match window {
            None => DEFAULT_WINDOW,
            Some(w) => crate::bounded::parse(w, 0..=MAX_WINDOW).ok_or(Error::Window)?,
        };
        Ok(Self {
            lang,
            intro,
            then,
            warn_below,
            always_seconds,
            repeat,
            mode,
            success: success.map(sanitize_text).filter(|t| !t.is_empty()),
            window,
        })
    }
}

/// `yes`, `true`, `1` or `no`, `false`, `0`, any case.
fn yes_or_no(text: &str) -> Option<bool> {
    let text = text.trim();
    let is = |words: [&str; 3]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
    if is(["yes", "true", "1"]) {
        Some(true)
    } else if is(["no", "false", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// The voice for errors: `lang` when it is valid, else Hebrew. Read on its own, so that a call
/// whose other settings are broken still hears what to fix in the owner's language.
pub fn lang_of(fields: &Fields) -> Lang {
    fields
        .get_non_empty("lang")
        .and_then(|l| Lang::parse(l).ok())
        .unwrap_or_default()
}
