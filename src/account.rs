//! One account: a key and how to make its codes, assembled from the request's parameters.
//!
//! `secret` holds bare base32 or a whole `otpauth://totp/…` URI; `digits`, `algorithm` and
//! `period` beside it override what the URI says, so an owner can correct a URI whose site
//! lied about its settings without editing the URI.

use crate::error::Error;
use crate::otpauth::KeyUri;
use crate::request::Fields;
use crate::secret::Secret;
use crate::totp::{Algorithm, Params};

/// A key with everything needed to compute its codes.
#[derive(Debug)]
pub struct Account {
    /// The key.
    pub secret: Secret,
    /// Hash, digits, period.
    pub params: Params,
    /// Who issued the key, when a URI says so.
    pub issuer: Option<String>,
}

impl Account {
    /// Reads `secret`, `digits`, `algorithm` and `period` from the request.
    ///
    /// # Errors
    ///
    /// [`Error::MissingSecret`] when there is no `secret`; otherwise whatever is wrong with the
    /// key, the URI or a parameter. Explicit parameters are checked even when the URI sets the
    /// same one, so a typo in ext.ini is never silently ignored.
    pub fn from_fields(fields: &Fields) -> Result<Self, Error> {
        let text = fields.get_non_empty("secret").ok_or(Error::MissingSecret)?;
        let (secret, mut params, issuer) = if KeyUri::is_uri(text) {
            let uri = KeyUri::parse(text)?;
            let params = Params {
                algorithm: uri.algorithm.unwrap_or_default(),
                digits: uri.digits.unwrap_or(Params::default().digits),
                period: uri.period.unwrap_or(Params::default().period),
            };
            (uri.secret, params, uri.issuer)
        } else {
            (Secret::from_base32(text)?, Params::default(), None)
        };
        if let Some(digits) = fields.get_non_empty("digits") {
            params.digits = Params::parse_digits(digits)?;
        }
        if let Some(algorithm) = fields.get_non_empty("algorithm") {
            params.algorithm = algorithm.parse::<Algorithm>()?;
        }
        if let Some(period) = fields.get_non_empty("period") {
            params.period = Params::parse_period(period)?;
        }
        Ok(Self {
            secret,
            params,
            issuer,
        })
    }
}
