//! Checking a code someone typed, without keeping state: the caller passes the last step it
//! accepted (`after_step`) and gets back the step that matched, so replay protection lives with
//! whoever stores the user (RFC 6238 §5.2; totp-rs #63/#75 for the same design).

use serde::Serialize;
use subtle::ConstantTimeEq;

use super::code::{Generator, Params};
use super::secret::Secret;

/// Steps accepted on each side of the current one when `window` is not given: RFC 6238's
/// recommended network-delay allowance, and what Google, Authelia and Twilio accept.
pub const DEFAULT_WINDOW: u64 = 1;
/// The widest `window`: ±2 steps (±1 minute at 30 s), what Twilio Verify allows at most. A
/// wider window multiplies the codes a guess can hit.
pub const MAX_WINDOW: u64 = 2;
/// The longest `code` text looked at, before stripping keypad characters.
const MAX_CODE_TEXT: usize = 64;

/// The answer of `/api/verify`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the code matched a step in the window (and after `after_step`).
    pub valid: bool,
    /// The step that matched; store it and send it back as `after_step` next time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// The matched step minus the current one: negative for a code from the past.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<i64>,
}

/// A typed code that cannot be a code of these settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("code must be the digits of the code (spaces, #, * and - are ignored)")]
pub struct InvalidCode;

/// Strips what phone keypads and people add (spaces, `-`, `#`, `*`) and checks the shape:
/// `digits` ASCII digits, or 5 Steam characters (any case).
///
/// # Errors
///
/// [`InvalidCode`] for anything else.
pub fn normalize_code(text: &str, params: &Params) -> Result<String, InvalidCode> {
    if text.len() > MAX_CODE_TEXT {
        return Err(InvalidCode);
    }
    let code: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '#' | '*')))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let shape_ok = if params.algorithm.is_steam() {
        code.bytes().all(|b| b.is_ascii_alphanumeric())
    } else {
        code.bytes().all(|b| b.is_ascii_digit())
    };
    if shape_ok && code.len() == usize::from(params.digits) {
        Ok(code)
    } else {
        Err(InvalidCode)
    }
}

/// Checks `code` against every step within `window` of `now`, skipping steps at or before
/// `after_step`. Every step is computed and compared in constant time, whatever matches, so the
/// time taken says nothing about the code; among matches the one nearest `now` wins.
pub fn verify(
    secret: &Secret,
    params: &Params,
    code: &str,
    now: u64,
    window: u64,
    after_step: Option<u64>,
) -> Verdict {
    let current = now / params.period;
    let first = current.saturating_sub(window);
    let last = current.saturating_add(window);
    let generator = Generator::new(secret, params);
    let mut best: Option<u64> = None;
    for step in first..=last {
        let Some(time) = step.checked_mul(params.period) else {
            break;
        };
        let candidate = generator.code_at(time);
        let matched: bool = candidate.as_str().as_bytes().ct_eq(code.as_bytes()).into();
        let fresh = after_step.is_none_or(|after| step > after);
        if matched && fresh && best.is_none_or(|b| step.abs_diff(current) < b.abs_diff(current)) {
            best = Some(step);
        }
    }
    match best {
        Some(step) => Verdict {
            valid: true,
            step: Some(step),
            drift: Some(step as i64 - current as i64),
        },
        None => Verdict {
            valid: false,
            step: None,
            drift: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_characters_are_stripped_and_shape_checked() {
        let p = Params::default();
        assert_eq!(normalize_code(" 123 456#", &p).as_deref(), Ok("123456"));
        assert_eq!(normalize_code("*123-456", &p).as_deref(), Ok("123456"));
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
            assert_eq!(normalize_code(bad, &p), Err(InvalidCode), "{bad}");
        }
        assert_eq!(
            normalize_code("pv9m4", &Params::STEAM).as_deref(),
            Ok("PV9M4")
        );
    }

    #[test]
    fn window_and_replay_rules() {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        let p = Params {
            digits: 8,
            ..Params::default()
        };
        // 89005924 is the code of step 41152263 (t = 1234567890).
        let now = 1234567890;
        let v = verify(&secret, &p, "89005924", now, 1, None);
        assert_eq!((v.valid, v.step, v.drift), (true, Some(41152263), Some(0)));
        let late = verify(&secret, &p, "89005924", now + 30, 1, None);
        assert_eq!(late.drift, Some(-1));
        assert!(!verify(&secret, &p, "89005924", now + 60, 1, None).valid);
        assert!(verify(&secret, &p, "89005924", now + 60, 2, None).valid);
        assert!(!verify(&secret, &p, "89005924", now + 30, 0, None).valid);
        assert!(
            !verify(&secret, &p, "89005924", now, 1, Some(41152263)).valid,
            "replayed"
        );
        assert!(verify(&secret, &p, "89005924", now, 1, Some(41152262)).valid);
        assert!(!verify(&secret, &p, "89005925", now, 1, None).valid);
    }
}
