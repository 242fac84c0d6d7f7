//! Everything the caller hears in words, in Hebrew and English, in one place: wording is reviewed
//! together, and the tests below prove that no text holds a character Yemot's message language
//! forbids and that both languages have every text.

use crate::error::Error;
use crate::otp::account::{AccountError, KeyOrOption};
use crate::otp::code::ParamError;
use crate::otp::otpauth::UriError;
use crate::otp::seal::SealError;
use crate::otp::secret::SecretError;

/// The language the caller hears, from `lang=he` (the default) or `lang=en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Hebrew.
    #[default]
    He,
    /// English. Yemot reads a `t-` item that begins in English with an English voice.
    En,
}

impl Lang {
    /// Parses `he` or `en` (any case; `iw`, `hebrew`, `english` too).
    ///
    /// # Errors
    ///
    /// [`Error::Lang`] for anything else.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "he" | "iw" | "hebrew" | "heb" => Ok(Self::He),
            "en" | "english" | "eng" => Ok(Self::En),
            _ => Err(Error::Lang),
        }
    }

    /// This language's texts.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::He => &HE,
            Self::En => &EN,
        }
    }
}

/// The fixed texts of one language. Numbers are spoken by separate `n-`/`d-` items between
/// the `…_before` and `…_after` halves, so each language keeps its own word order.
pub struct Texts {
    /// Before the code.
    pub intro: &'static str,
    /// Before the code's second reading.
    pub again: &'static str,
    /// After the code, inviting a repeat.
    pub repeat_prompt: &'static str,
    /// "This code has" … N … "seconds left".
    pub seconds_left_before: &'static str,
    /// See [`seconds_left_before`](Self::seconds_left_before).
    pub seconds_left_after: &'static str,
    /// "The next code, valid in" … N … "seconds, is".
    pub next_code_before: &'static str,
    /// See [`next_code_before`](Self::next_code_before).
    pub next_code_after: &'static str,
    /// The end of a call.
    pub goodbye: &'static str,
    /// Asks for the PIN.
    pub pin_prompt: &'static str,
    /// A wrong PIN, with attempts left.
    pub pin_wrong: &'static str,
    /// A wrong PIN, no attempts left.
    pub pin_locked: &'static str,
    /// "For the code of" … name … "press" … key.
    pub menu_before: &'static str,
    /// See [`menu_before`](Self::menu_before).
    pub menu_press: &'static str,
    /// An account's name when it has none: "account" … key.
    pub account: &'static str,
    /// A menu key that matches no account.
    pub choice_invalid: &'static str,
    /// A caller outside the allow-list.
    pub caller_refused: &'static str,
    /// `allow` is set but Yemot did not send the caller's number.
    pub caller_unknown: &'static str,
    /// `/api/verify` from a phone: the code is right.
    pub code_valid: &'static str,
    /// `/api/verify` from a phone: the code is wrong.
    pub code_invalid: &'static str,
    /// Too many wrong PINs or codes: the account is locked for a while.
    pub locked: &'static str,
    /// "The link of account" … N … "arrived cut: write its key and settings on lines of their
    /// own": a menu link that raw joining split where putting it back is ambiguous.
    pub split_link_before: &'static str,
    /// See [`split_link_before`](Self::split_link_before).
    pub split_link_after: &'static str,
    /// `mode=verify`: asks for the code from the caller's app.
    pub verify_prompt: &'static str,
    /// `mode=verify`: a wrong code, with tries left.
    pub verify_wrong: &'static str,
    /// `mode=verify`: a code that already opened the way once.
    pub verify_used: &'static str,
    /// `mode=verify`: the code is right; the call goes on to `then`.
    pub verified: &'static str,
    /// `mode=verify`: every try was wrong.
    pub verify_failed: &'static str,
}

/// Hebrew.
pub static HE: Texts = Texts {
    intro: "הקוד הוא",
    again: "שוב",
    repeat_prompt: "לשמיעה חוזרת הקישו 1",
    seconds_left_before: "לקוד הזה נותרו",
    seconds_left_after: "שניות",
    next_code_before: "הקוד הבא, שיתחיל לפעול בעוד",
    next_code_after: "שניות, הוא",
    goodbye: "להתראות",
    pin_prompt: "נא להקיש את הקוד האישי ובסיומו סולמית",
    pin_wrong: "הקוד האישי שגוי, נא לנסות שוב",
    pin_locked: "הקוד האישי שגוי, להתראות",
    menu_before: "לקוד של",
    menu_press: "הקישו",
    account: "חשבון",
    choice_invalid: "הבחירה שגויה, להתראות",
    caller_refused: "מספר הטלפון שממנו התקשרתם אינו מורשה לשמוע קודים, להתראות",
    caller_unknown: "מספר המתקשר לא נשלח לשרת, על מנהל השלוחה לאפשר שליחת מספר המתקשר",
    code_valid: "הקוד נכון",
    code_invalid: "הקוד שגוי",
    locked: "הגישה נחסמה זמנית בגלל ניסיונות שגויים, נא לנסות שוב מאוחר יותר, להתראות",
    verify_prompt: "נא להקיש את הקוד שמופיע באפליקציית האימות",
    verify_wrong: "הקוד שגוי, נא לנסות שוב",
    verify_used: "הקוד הזה כבר שימש, נא להמתין לקוד הבא ולהקיש אותו",
    verified: "הקוד אומת בהצלחה",
    verify_failed: "הקוד שגוי, להתראות",
    split_link_before: "הקישור של חשבון",
    split_link_after: "הגיע חתוך, יש לכתוב את המפתח ואת ההגדרות בשורות נפרדות",
};

/// English.
pub static EN: Texts = Texts {
    intro: "The code is",
    again: "Again",
    repeat_prompt: "To hear it again, press 1",
    seconds_left_before: "This code has",
    seconds_left_after: "seconds left",
    next_code_before: "The next code, valid in",
    next_code_after: "seconds, is",
    goodbye: "Goodbye",
    pin_prompt: "Please enter your PIN and press the pound key",
    pin_wrong: "Wrong PIN, please try again",
    pin_locked: "Wrong PIN, goodbye",
    menu_before: "For the code of",
    menu_press: "press",
    account: "account",
    choice_invalid: "Invalid choice, goodbye",
    caller_refused: "This phone number is not allowed to hear codes, goodbye",
    caller_unknown: "The caller number was not sent, the extension owner must enable sending it",
    code_valid: "The code is correct",
    code_invalid: "The code is wrong",
    locked: "Access is locked for a while after wrong attempts, please try again later, goodbye",
    verify_prompt: "Please enter the code shown in your authenticator app",
    verify_wrong: "Wrong code, please try again",
    verify_used: "This code was already used, please wait for the next code and enter it",
    verified: "The code is verified",
    verify_failed: "Wrong code, goodbye",
    split_link_before: "Account",
    split_link_after: "link arrived cut, put its key and settings on separate lines",
};

/// What the caller hears when a request fails. Errors in the extension's settings name what the
/// extension owner must fix: on a fresh setup the owner is the first caller.
pub fn spoken(error: Error, lang: Lang) -> &'static str {
    let (he, en) = match error {
        Error::MissingSecret
        | Error::Account(AccountError::Secret(SecretError::Empty))
        | Error::Account(AccountError::Uri(UriError::MissingSecret)) => (
            "לא הוגדר מפתח סודי בשלוחה, על מנהל השלוחה להוסיף את המפתח בהגדרות השלוחה",
            "No secret key is set for this extension, the owner must add it to the extension settings",
        ),
        Error::Account(e) => match e.key_or_option() {
            KeyOrOption::Key(SecretError::NotBase32 | SecretError::Empty) => (
                "המפתח הסודי שהוגדר בשלוחה שגוי, יש להעתיק אותו שוב מהאתר, מותרות רק אותיות באנגלית והספרות שתיים עד שבע",
                "The secret key of this extension is wrong, copy it again from the website, only letters and the digits two to seven are allowed",
            ),
            KeyOrOption::Key(SecretError::TooShort) => (
                "המפתח הסודי שהוגדר בשלוחה קצר מדי, יש להעתיק את המפתח המלא מהאתר",
                "The secret key of this extension is too short, copy the whole key from the website",
            ),
            KeyOrOption::Key(SecretError::TooLong) => (
                "המפתח הסודי שהוגדר בשלוחה ארוך מדי, יש להעתיק אותו שוב מהאתר",
                "The secret key of this extension is too long, copy it again from the website",
            ),
            KeyOrOption::Uri(UriError::UnsupportedType) => (
                "סוג המפתח שהוגדר בשלוחה אינו נתמך, נתמכים רק קודים מתחלפים לפי זמן",
                "This kind of key is not supported, only time based codes are",
            ),
            KeyOrOption::Uri(_) => (
                "קישור המפתח שהוגדר בשלוחה שגוי, יש להעתיק אותו שוב במלואו",
                "The key link of this extension is broken, copy the whole link again",
            ),
            KeyOrOption::Option(ParamError::Digits) => (
                "מספר הספרות שהוגדר בשלוחה שגוי, יש להגדיר 6, 7 או 8 ספרות",
                "The number of digits set for this extension is wrong, set 6, 7 or 8",
            ),
            KeyOrOption::Option(ParamError::Period) => (
                "זמן התחלפות הקוד שהוגדר בשלוחה שגוי, יש להגדיר מספר שניות בין אחת לשלוש מאות",
                "The code period set for this extension is wrong, set a number of seconds from 1 to 300",
            ),
            KeyOrOption::Option(ParamError::Algorithm) => (
                "סוג האלגוריתם שהוגדר בשלוחה שגוי, יש להגדיר SHA1, SHA256 או SHA512",
                "The algorithm set for this extension is wrong, set SHA1, SHA256 or SHA512",
            ),
            KeyOrOption::Kind => (
                "סוג הקוד שהוגדר בשלוחה שגוי, יש להגדיר totp או steam",
                "The code kind set for this extension is wrong, set totp or steam",
            ),
        },
        Error::Pin => (
            "הקוד האישי שהוגדר בשלוחה שגוי, יש להגדיר בין ארבע לשתים עשרה ספרות",
            "The PIN set for this extension is wrong, set 4 to 12 digits",
        ),
        Error::Allow => (
            "רשימת המספרים המורשים שהוגדרה בשלוחה שגויה",
            "The list of allowed phone numbers set for this extension is wrong",
        ),
        Error::SplitLink { .. } => (HE.split_link_after, EN.split_link_after),
        Error::Window => (
            "מספר הקודים הסמוכים שיתקבלו, כפי שהוגדר בשלוחה, שגוי, יש להגדיר 0, 1 או 2",
            "The number of nearby codes accepted is wrong, set 0, 1 or 2",
        ),
        Error::Mode => (
            "מצב השלוחה שהוגדר שגוי, יש להגדיר read או verify",
            "The way this extension works is set wrong, set read or verify",
        ),
        Error::ThenRequired => (
            "במצב אימות יש להגדיר את השלוחה שאליה עוברים אחרי קוד נכון",
            "In verify mode the owner must set the folder a correct code leads to",
        ),
        Error::NotTypable => (
            "קודי Steam Guard כוללים אותיות ואי אפשר להקיש אותם בטלפון",
            "Steam Guard codes have letters and cannot be typed on a phone",
        ),
        Error::Repeat => (
            "הגדרת השמיעה החוזרת שגויה, יש להגדיר yes או no",
            "The setting for hearing the code again is wrong, set yes or no",
        ),
        Error::ThenLoop => (
            "השלוחה שאליה יש לעבור בסיום היא השלוחה הזאת עצמה, על מנהל השלוחה להגדיר hangup או שלוחה אחרת",
            "The folder to go to at the end is this extension itself, the owner must set hangup or another folder",
        ),
        Error::ThenUrl => (
            "הכתובת שאליה יש לעבור בסיום שגויה, יש להגדיר hangup או כתובת אינטרנט של שירות אחר",
            "The address to go to at the end is wrong, set hangup or the web address of another service",
        ),
        Error::TicketInvalid => (
            "השיחה לא יכולה להימשך, נא להתקשר שוב",
            "This call cannot go on, please call again",
        ),
        Error::BadSignature => (
            "הבקשה לא נחתמה על ידי חשבון טוויליו של השירות",
            "The request is not signed by the Twilio account of this service",
        ),
        Error::Then => (
            "השלוחה שאליה יש לעבור בסיום שגויה, יש להגדיר hangup או נתיב שלוחה",
            "The folder to go to at the end is wrong, set hangup or a folder path",
        ),
        Error::Lang => (
            "השפה שהוגדרה בשלוחה שגויה, יש להגדיר he או en",
            "The language set for this extension is wrong, set he or en",
        ),
        Error::WarnBelow => (
            "מספר השניות לאזהרה שהוגדר בשלוחה שגוי, יש להגדיר מספר בין אפס לשישים",
            "The warning seconds set for this extension are wrong, set a number from 0 to 60",
        ),
        Error::InvalidCode => ("הקוד שהוקש אינו תקין", "The code you entered is not valid"),
        Error::Sealed(SealError::Invalid) => (
            "המפתח החתום שהוגדר בשלוחה אינו תקין, יש להעתיק אותו שוב במלואו",
            "The sealed key of this extension is not valid, copy it again in full",
        ),
        Error::Sealed(SealError::NoKeys) => (
            "השרת אינו מוגדר לפתיחת מפתחות חתומים, נא לפנות למנהל השרת",
            "The server has no seal key, please contact the server owner",
        ),
        Error::PinRequired | Error::PhoneOnly => {
            ("הגישה לקוד הזה נחסמה", "Access to this code is blocked")
        }
        Error::Locked { .. } => (HE.locked, EN.locked),
        Error::StoreUnavailable => (
            "השרת אינו יכול לבדוק את הגישה כעת, נא לנסות שוב בעוד מספר דקות",
            "The server cannot check access right now, please try again in a few minutes",
        ),
        Error::Sealed(SealError::TooLong) => (
            "השם או רשימת המספרים ארוכים מדי לחתימה",
            "The name or the list of numbers is too long to seal",
        ),
        Error::Unauthorized => (
            "השרת דורש אסימון גישה, על מנהל השלוחה להוסיף אותו בהגדרות השלוחה",
            "The server requires an access token, the extension owner must add it to the extension settings",
        ),
        Error::NotFound | Error::MethodNotAllowed | Error::NotForPhone => (
            "כתובת השרת שהוגדרה בשלוחה שגויה, יש לבדוק את כתובת השרת בהגדרות השלוחה",
            "The server address of this extension is wrong, check it in the extension settings",
        ),
        Error::InvalidJson
        | Error::BadRequest
        | Error::PayloadTooLarge
        | Error::UnsupportedMediaType
        | Error::AfterStep
        | Error::Bytes
        | Error::Label
        | Error::InvalidExport => (
            "הבקשה שהגיעה לשרת שגויה, נא לפנות למנהל השלוחה",
            "The server received a bad request, please contact the extension owner",
        ),
        Error::TooManyParams => (
            "הבקשה שהגיעה לשרת ארוכה מדי, נא לפנות למנהל השלוחה",
            "The server received too long a request, please contact the extension owner",
        ),
        Error::Timeout | Error::Overloaded => (
            "השרת עמוס כעת, נא לנסות שוב בעוד מספר דקות",
            "The server is busy, please try again in a few minutes",
        ),
        Error::Clock => (
            "שעון השרת שגוי ולכן לא ניתן לחשב את הקוד, נא לפנות למנהל השרת",
            "The server clock is wrong so the code cannot be computed, please contact the server owner",
        ),
        Error::Internal => (
            "אירעה שגיאה בשרת, נא לנסות שוב מאוחר יותר",
            "A server error occurred, please try again later",
        ),
    };
    match lang {
        Lang::He => he,
        Lang::En => en,
    }
}

impl Texts {
    /// Every fixed text, for the checks that each is speakable.
    pub fn all(&self) -> [&'static str; 27] {
        let t = self;
        [
            t.intro,
            t.again,
            t.repeat_prompt,
            t.seconds_left_before,
            t.seconds_left_after,
            t.next_code_before,
            t.next_code_after,
            t.goodbye,
            t.pin_prompt,
            t.pin_wrong,
            t.pin_locked,
            t.menu_before,
            t.menu_press,
            t.account,
            t.choice_invalid,
            t.caller_refused,
            t.caller_unknown,
            t.code_valid,
            t.code_invalid,
            t.locked,
            t.split_link_before,
            t.split_link_after,
            t.verify_prompt,
            t.verify_wrong,
            t.verify_used,
            t.verified,
            t.verify_failed,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_texts_start_in_english_and_hebrew_ones_in_hebrew() {
        let hebrew = |s: &str| {
            s.chars()
                .next()
                .is_some_and(|c| ('\u{5d0}'..='\u{5ea}').contains(&c))
        };
        for (he, en) in HE.all().into_iter().zip(EN.all()) {
            assert!(hebrew(he), "{he}");
            assert!(en.starts_with(|c: char| c.is_ascii_alphabetic()), "{en}");
        }
        for &error in Error::ALL {
            assert!(hebrew(spoken(error, Lang::He)));
            assert!(spoken(error, Lang::En).starts_with(|c: char| c.is_ascii_alphabetic()));
        }
    }

    /// Every sentence a caller can hear, in `lang`: the fixed texts and every error's, the
    /// split-link one whole (its number counted as a word).
    fn every_sentence(lang: Lang) -> Vec<String> {
        let texts = lang.texts();
        let mut all: Vec<String> = texts.all().iter().map(|t| (*t).to_owned()).collect();
        all.extend(Error::ALL.iter().map(|&e| spoken(e, lang).to_owned()));
        all.push(format!(
            "{} 2 {}",
            texts.split_link_before, texts.split_link_after
        ));
        all
    }

    fn words(text: &str) -> Vec<&str> {
        text.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect()
    }

    #[test]
    fn every_text_can_be_said_by_a_voice_in_both_languages() {
        // Names of settings, which mean nothing to a caller and which a voice mangles.
        const SETTINGS: [&str; 18] = [
            "secret",
            "sealed",
            "digits",
            "algorithm",
            "period",
            "kind",
            "pin",
            "allow",
            "lang",
            "text",
            "then",
            "mode",
            "repeat",
            "warn_below",
            "seconds",
            "success",
            "window",
            "acct",
        ];
        // In English, those of them that are not plain English words.
        const NOT_ENGLISH: [&str; 5] = ["lang", "then", "warn_below", "window", "acct"];
        for lang in [Lang::He, Lang::En] {
            for sentence in every_sentence(lang) {
                let words = words(&sentence);
                assert!(words.len() <= 25, "{} words: {sentence}", words.len());
                for word in &words {
                    let lower = word.to_lowercase();
                    let banned = match lang {
                        Lang::He => word.is_ascii() && SETTINGS.contains(&lower.as_str()),
                        Lang::En => NOT_ENGLISH.contains(&lower.as_str()) || word.contains('_'),
                    };
                    assert!(!banned, "a setting's name, {word}: {sentence}");
                    // A one-letter prefix (and, from, to, in, as, the…) written alone before a
                    // number or a Latin word is read by its letter's name.
                    let lone_prefix = word.chars().count() == 1 && "ובכלמשה".contains(*word);
                    assert!(!lone_prefix, "a lone prefix letter: {sentence}");
                }
            }
        }
        for lang in [Lang::He, Lang::En] {
            let texts = lang.texts();
            let split = format!("{} 2 {}", texts.split_link_before, texts.split_link_after);
            assert!(words(&split).len() < 15, "{split}");
        }
    }

    #[test]
    fn speech_is_gender_neutral() {
        for sentence in every_sentence(Lang::He) {
            for masculine in ["אני חוזר", "אני חוזרת", "הקש ", "הקישי"] {
                assert!(!sentence.contains(masculine), "{sentence}");
            }
        }
    }

    #[test]
    fn languages_parse() {
        assert_eq!(Lang::parse("he"), Ok(Lang::He));
        assert_eq!(Lang::parse(" EN "), Ok(Lang::En));
        assert_eq!(Lang::parse("fr"), Err(Error::Lang));
    }
}
