//! The developer endpoints' parameters read into the call's typed requests: the names of the
//! JSON API (`secret`, `sealed`, `pin`, `code`, `window`, `after_step`, `bytes` …), each read
//! once. A phone turn is read by `crate::yemot::request`, which also reads the one account a
//! request names ([`single`]), the same way for both.

use crate::bounded;
use crate::call::request::{Asker, CodeRequest, SealRequest, Secret, VerifyRequest};
use crate::error::Error;
use crate::otp::account::{AllowList, Pin};
use crate::otp::code::{Algorithm, ParamError, Params};
use crate::otp::enroll;
use crate::otp::verify::{DEFAULT_WINDOW, MAX_WINDOW};
use crate::yemot::Fields;
use crate::yemot::request::{caller, option_texts, single};

use super::extract::Format;

/// `/api/2fa` asked for JSON.
///
/// # Errors
///
/// No account, or a bad option.
pub fn code(fields: &Fields) -> Result<CodeRequest<'_>, Error> {
    Ok(CodeRequest {
        account: single(fields)?,
        pin: fields.get("pin").map(Secret),
    })
}

/// `/api/verify`, from a program (`format` JSON) or from Yemot (the caller's number counts).
///
/// # Errors
///
/// No account, a bad option, [`Error::Window`] or [`Error::AfterStep`].
pub fn verify(fields: &Fields, format: Format) -> Result<VerifyRequest<'_>, Error> {
    let [window, after_step] = fields.last_of(["window", "after_step"]);
    Ok(VerifyRequest {
        account: single(fields)?,
        pin: fields.get("pin").map(Secret),
        code: Secret(fields.get("code").unwrap_or("")),
        window: match window {
            None => DEFAULT_WINDOW,
            Some(w) => bounded::parse(w, 0..=MAX_WINDOW).ok_or(Error::Window)?,
        },
        after_step: after_step
            .map(|a| bounded::parse(a, 0..=u64::MAX).ok_or(Error::AfterStep))
            .transpose()?,
        asker: match format {
            Format::Phone => Asker::Phone(caller(fields)),
            // Never TwiML here (`extract::Developers`); were it, the narrower client.
            Format::Json | Format::Twiml => Asker::Http,
        },
    })
}

/// `/api/seal`: a key, its options, and the PIN and callers to seal with it.
///
/// # Errors
///
/// [`Error::MissingSecret`], a bad option, [`Error::Pin`] or [`Error::Allow`].
pub fn seal(fields: &Fields) -> Result<SealRequest<'_>, Error> {
    let [secret, pin, allow] = fields.last_of(["secret", "pin", "allow"]);
    Ok(SealRequest {
        key: Secret(secret.ok_or(Error::MissingSecret)?),
        options: option_texts(|name| fields.get_non_empty(name)).parse()?,
        pin: pin.map(Pin::parse).transpose()?,
        allow: allow.map(AllowList::parse).transpose()?,
    })
}

/// `/api/secret`: what the new secret and its QR code should be.
///
/// # Errors
///
/// [`Error::Bytes`], a bad `digits`, `algorithm` (Steam codes are not made here) or
/// `period`, or [`Error::Label`].
pub fn enrollment(fields: &Fields) -> Result<enroll::Request, Error> {
    let [bytes, digits, algorithm, period, issuer, account] = fields.last_of([
        "bytes",
        "digits",
        "algorithm",
        "period",
        "issuer",
        "account",
    ]);
    let mut wanted = enroll::Request::default();
    if let Some(bytes) = bytes {
        wanted.bytes =
            bounded::parse(bytes, enroll::MIN_BYTES..=enroll::MAX_BYTES).ok_or(Error::Bytes)?;
    }
    if let Some(digits) = digits {
        wanted.params.digits = Params::parse_digits(digits)?;
    }
    if let Some(algorithm) = algorithm {
        let algorithm: Algorithm = algorithm.parse()?;
        if algorithm.is_steam() {
            return Err(ParamError::Algorithm.into());
        }
        wanted.params.algorithm = algorithm;
    }
    if let Some(period) = period {
        wanted.params.period = Params::parse_period(period)?;
    }
    if let Some(issuer) = issuer {
        wanted.issuer = Some(enroll::parse_label(issuer)?);
    }
    if let Some(account) = account {
        wanted.account = enroll::parse_label(account)?;
    }
    Ok(wanted)
}

/// `/api/import`: the QR codes' texts, one export link per line (or space apart).
pub fn import_links(fields: &Fields) -> Vec<&str> {
    fields
        .pairs()
        .filter(|(name, _)| *name == "links" || *name == "link")
        .flat_map(|(_, value)| value.split_whitespace())
        .collect()
}
