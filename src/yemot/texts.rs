//! Everything the caller hears in words, in one place, so wording is reviewed together and the
//! test below can prove that no text holds a character Yemot's message language forbids.

use crate::error::Error;
use crate::otpauth::UriError;
use crate::secret::SecretError;
use crate::totp::ParamError;

/// Said before the code.
pub const INTRO: &str = "הקוד הוא";
/// Said before the code's second reading.
pub const AGAIN: &str = "אני חוזר";

/// What the caller hears when a request fails. Errors in the extension's settings name what the
/// extension owner must fix: on a fresh setup the owner is the first caller.
pub fn spoken(error: Error) -> &'static str {
    match error {
        Error::MissingSecret
        | Error::Secret(SecretError::Empty)
        | Error::Uri(UriError::MissingSecret) => {
            "לא הוגדר מפתח סודי בשלוחה, על מנהל השלוחה להוסיף את המפתח בהגדרות השלוחה"
        }
        Error::Secret(SecretError::NotBase32)
        | Error::Uri(UriError::Secret(SecretError::NotBase32 | SecretError::Empty)) => {
            "המפתח הסודי שהוגדר בשלוחה שגוי, יש להעתיק אותו שוב מהאתר, מותרות רק אותיות באנגלית וספרות מ 2 עד 7"
        }
        Error::Secret(SecretError::TooShort)
        | Error::Uri(UriError::Secret(SecretError::TooShort)) => {
            "המפתח הסודי שהוגדר בשלוחה קצר מדי, יש להעתיק את המפתח המלא מהאתר"
        }
        Error::Secret(SecretError::TooLong)
        | Error::Uri(UriError::Secret(SecretError::TooLong)) => {
            "המפתח הסודי שהוגדר בשלוחה ארוך מדי, יש להעתיק אותו שוב מהאתר"
        }
        Error::Uri(UriError::Malformed) => {
            "קישור המפתח שהוגדר בשלוחה שגוי, יש להעתיק אותו שוב במלואו"
        }
        Error::Uri(UriError::UnsupportedType) => {
            "סוג המפתח שהוגדר בשלוחה אינו נתמך, נתמכים רק קודים מתחלפים לפי זמן"
        }
        Error::Param(ParamError::Digits) | Error::Uri(UriError::Param(ParamError::Digits)) => {
            "מספר הספרות שהוגדר בשלוחה שגוי, יש להגדיר 6, 7 או 8 ספרות"
        }
        Error::Param(ParamError::Period) | Error::Uri(UriError::Param(ParamError::Period)) => {
            "זמן התחלפות הקוד שהוגדר בשלוחה שגוי, יש להגדיר מספר שניות בין 1 ל 300"
        }
        Error::Param(ParamError::Algorithm)
        | Error::Uri(UriError::Param(ParamError::Algorithm)) => {
            "סוג האלגוריתם שהוגדר בשלוחה שגוי, יש להגדיר SHA1, SHA256 או SHA512"
        }
        Error::NotFound | Error::MethodNotAllowed => {
            "כתובת השרת שהוגדרה בשלוחה שגויה, יש לבדוק את כתובת השרת בהגדרות השלוחה"
        }
        Error::InvalidJson | Error::BadRequest | Error::PayloadTooLarge => {
            "הבקשה שהגיעה לשרת שגויה, נא לפנות למנהל השלוחה"
        }
        Error::Timeout => "השרת עמוס כעת, נא לנסות שוב בעוד מספר דקות",
        Error::Clock => "שעון השרת שגוי ולכן לא ניתן לחשב את הקוד, נא לפנות למנהל השרת",
        Error::Internal => "אירעה שגיאה בשרת, נא לנסות שוב מאוחר יותר",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yemot::is_clean_text;

    #[test]
    fn every_text_is_safe_for_yemot() {
        let errors = [
            Error::MissingSecret,
            Error::Secret(SecretError::Empty),
            Error::Secret(SecretError::NotBase32),
            Error::Secret(SecretError::TooShort),
            Error::Secret(SecretError::TooLong),
            Error::Uri(UriError::Malformed),
            Error::Uri(UriError::UnsupportedType),
            Error::Uri(UriError::MissingSecret),
            Error::Param(ParamError::Digits),
            Error::Param(ParamError::Period),
            Error::Param(ParamError::Algorithm),
            Error::NotFound,
            Error::InvalidJson,
            Error::Timeout,
            Error::Clock,
            Error::Internal,
        ];
        for text in errors.map(spoken).iter().chain(&[INTRO, AGAIN]) {
            assert!(is_clean_text(text), "{text}");
        }
    }
}
