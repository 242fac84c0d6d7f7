//! The extension's flow settings: how the call sounds and where it ends. Plain ext.ini values
//! that apply to every account of the extension, sealed or plain.

use crate::error::Error;
use crate::yemot::speak::sanitize_text;
use crate::yemot::{Fields, Folder};

use super::texts::Lang;

/// Below this many seconds left, the caller is warned and offered the next code (`warn_below`).
pub const DEFAULT_WARN_BELOW: u64 = 7;
/// The largest `warn_below` accepted.
pub const MAX_WARN_BELOW: u64 = 60;

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
}

impl Settings {
    /// Reads the settings from the fields, each with its default.
    ///
    /// # Errors
    ///
    /// [`Error::Lang`], [`Error::Then`] or [`Error::WarnBelow`] for a value that cannot be used.
    pub fn read(fields: &Fields) -> Result<Self, Error> {
        let [lang, text, then, warn_below, seconds] =
            fields.last_of(["lang", "text", "then", "warn_below", "seconds"]);
        let lang = lang.map_or(Ok(Lang::He), Lang::parse)?;
        let intro = text.map(sanitize_text).filter(|t| !t.is_empty());
        let then = then.map_or(Ok(Folder::HANGUP), Folder::parse)?;
        let warn_below = match warn_below {
            None => DEFAULT_WARN_BELOW,
            Some(v) => crate::bounded::parse(v, 0..=MAX_WARN_BELOW).ok_or(Error::WarnBelow)?,
        };
        let always_seconds = seconds.is_some_and(|v| {
            ["yes", "true", "1"]
                .iter()
                .any(|yes| v.trim().eq_ignore_ascii_case(yes))
        });
        Ok(Self {
            lang,
            intro,
            then,
            warn_below,
            always_seconds,
        })
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
