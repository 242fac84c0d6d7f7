//! Enrolment: a new random secret with its `otpauth://` URI and the QR code an authenticator app
//! scans. The QR is drawn here (SVG and PNG), so no secret is ever sent to a third-party QR
//! service. Nothing is stored.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use qrcode::{Color, EcLevel, QrCode};
use serde::Serialize;
use zeroize::Zeroizing;

use super::code::{Algorithm, DEFAULT_DIGITS, DEFAULT_PERIOD, Params};

/// Random bytes in a new secret by default: 160 bits, the HMAC-SHA1 output size RFC 4226 advises.
pub const DEFAULT_BYTES: usize = 20;
/// Fewest random bytes allowed: the 80 bits real sites still issue.
pub const MIN_BYTES: usize = 10;
/// Most random bytes allowed: the SHA-512 block size.
pub const MAX_BYTES: usize = 64;
/// The longest issuer or account name, in bytes of UTF-8 (100 ASCII letters, 50 Hebrew ones,
/// 25 emoji). Checked before any work: with both at their longest, percent-encoded, the URI
/// still fits a QR code with room to spare, so every label within the bound gets its QR code.
pub const MAX_LABEL_BYTES: usize = 100;
/// The account name used when none is given; the Key URI format requires one.
pub const DEFAULT_ACCOUNT: &str = "yemot-2fa";

/// What `/api/secret` is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// How many random bytes.
    pub bytes: usize,
    /// How codes are made.
    pub params: Params,
    /// Shown in the authenticator app above the account.
    pub issuer: Option<String>,
    /// The account name.
    pub account: String,
}

impl Default for Request {
    fn default() -> Self {
        Self {
            bytes: DEFAULT_BYTES,
            params: Params::default(),
            issuer: None,
            account: DEFAULT_ACCOUNT.to_owned(),
        }
    }
}

/// Why no secret was made. Fixed texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrollError {
    /// An issuer or account name with a colon, a control character, or too long.
    #[error(
        "issuer and account must be at most 100 bytes (100 letters A-Z, 50 Hebrew letters), without a colon"
    )]
    Label,
    /// The operating system gave no random bytes, or the QR code could not be drawn: a fault
    /// of the server, not of the request.
    #[error("the secret could not be made")]
    Internal,
}

/// Checks an issuer or account name: the Key URI format forbids a colon in either.
///
/// # Errors
///
/// [`EnrollError::Label`] for a colon, a control character or more than [`MAX_LABEL_BYTES`]
/// bytes.
pub fn parse_label(text: &str) -> Result<String, EnrollError> {
    let text = text.trim();
    if text.len() > MAX_LABEL_BYTES || text.contains(':') || text.chars().any(char::is_control) {
        return Err(EnrollError::Label);
    }
    Ok(text.to_owned())
}

/// A new secret, ready to show to a person.
#[derive(Serialize)]
pub struct Enrollment {
    /// Unpadded upper-case base32, what to paste.
    pub secret: String,
    /// The same in groups of four, what to read or type by hand.
    pub secret_grouped: String,
    /// The `otpauth://totp/…` URI inside the QR code.
    pub uri: String,
    /// Digits per code.
    pub digits: u8,
    /// The HMAC.
    pub algorithm: &'static str,
    /// Seconds per code.
    pub period: u64,
    /// The issuer, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The account name.
    pub account: String,
    /// The QR code of `uri` as an SVG document.
    pub qr_svg: String,
    /// The QR code of `uri` as a PNG `data:` URI, for an `<img src>`.
    pub qr_png: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment").finish_non_exhaustive()
    }
}

/// Makes a new secret from the operating system's CSPRNG.
///
/// # Errors
///
/// [`EnrollError::Internal`] if the OS has no randomness to give (logged by the caller as a
/// fault), or if a QR code cannot hold the URI.
pub fn enroll(request: &Request) -> Result<Enrollment, EnrollError> {
    let mut bytes = Zeroizing::new(vec![0u8; request.bytes]);
    getrandom::fill(&mut bytes).map_err(|_| EnrollError::Internal)?;
    let secret = data_encoding::BASE32_NOPAD.encode(&bytes);
    let secret_grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ");
    let uri = key_uri(&secret, request);
    let qr = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)
        .map_err(|_| EnrollError::Internal)?;
    Ok(Enrollment {
        qr_svg: qr
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(256, 256)
            .build(),
        qr_png: png_data_uri(&qr)?,
        secret,
        secret_grouped,
        uri,
        digits: request.params.digits,
        algorithm: request.params.algorithm.as_str(),
        period: request.params.period,
        issuer: request.issuer.clone(),
        account: request.account.clone(),
    })
}

/// Everything but letters, digits and `-._~` is percent-encoded in the label and the issuer.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…`, with `algorithm`, `digits` and `period`
/// only when they differ from SHA1/6/30: several apps misread them, so a default key stays plain.
fn key_uri(secret: &str, request: &Request) -> String {
    let account = utf8_percent_encode(&request.account, LABEL);
    let mut uri = match &request.issuer {
        Some(issuer) => {
            let issuer = utf8_percent_encode(issuer, LABEL).to_string();
            format!("otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}")
        }
        None => format!("otpauth://totp/{account}?secret={secret}"),
    };
    let params = &request.params;
    if params.algorithm != Algorithm::SHA1 {
        uri.push_str("&algorithm=");
        uri.push_str(params.algorithm.as_str());
    }
    if params.digits != DEFAULT_DIGITS {
        uri.push_str(&format!("&digits={}", params.digits));
    }
    if params.period != DEFAULT_PERIOD {
        uri.push_str(&format!("&period={}", params.period));
    }
    uri
}

/// Pixels per QR module in the PNG, and modules of white border (the QR standard's quiet zone).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// Draws `qr` as an 8-bit greyscale PNG and wraps it in a `data:` URI.
fn png_data_uri(qr: &QrCode) -> Result<String, EnrollError> {
    let modules = qr.width();
    let colors = qr.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| EnrollError::Internal)?;
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|_| EnrollError::Internal)?;
    writer
        .write_image_data(&pixels)
        .map_err(|_| EnrollError::Internal)?;
    writer.finish().map_err(|_| EnrollError::Internal)?;
    Ok(format!(
        "data:image/png;base64,{}",
        data_encoding::BASE64.encode(&png)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_carry_only_non_default_settings_and_encode_labels() {
        let plain = key_uri("ABC", &Request::default());
        assert_eq!(plain, "otpauth://totp/yemot-2fa?secret=ABC");
        let request = Request {
            issuer: Some("ACME Co".into()),
            account: "john@x.com".into(),
            params: Params {
                algorithm: Algorithm::SHA256,
                digits: 8,
                period: 60,
            },
            ..Request::default()
        };
        assert_eq!(
            key_uri("ABC", &request),
            "otpauth://totp/ACME%20Co:john%40x.com?secret=ABC&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"
        );
    }

    #[test]
    fn the_longest_labels_still_make_a_qr_code() {
        let request = Request {
            bytes: MAX_BYTES,
            issuer: Some("😀".repeat(25)),
            account: "%".repeat(MAX_LABEL_BYTES),
            ..Request::default()
        };
        let enrollment = enroll(&request).unwrap();
        assert!(enrollment.qr_png.starts_with("data:image/png;base64,"));
    }

    #[test]
    fn labels_are_checked() {
        assert_eq!(parse_label(" Bank "), Ok("Bank".into()));
        assert_eq!(parse_label("a:b"), Err(EnrollError::Label));
        assert_eq!(parse_label(&"x".repeat(101)), Err(EnrollError::Label));
        assert!(parse_label(&"😀".repeat(25)).is_ok());
        assert_eq!(parse_label(&"😀".repeat(26)), Err(EnrollError::Label));
    }
}
