//! Google Authenticator exports written by hand, byte by byte in protobuf's wire format, so that
//! tests check the service's decoder against something it did not make.

#![allow(dead_code)]

/// One account of an export.
pub struct Entry<'a> {
    pub secret: &'a [u8],
    pub name: &'a str,
    pub issuer: &'a str,
    /// 1 SHA1, 2 SHA256, 3 SHA512.
    pub algorithm: u8,
    /// 1 six, 2 eight.
    pub digits: u8,
    /// 1 HOTP, 2 TOTP.
    pub kind: u8,
}

fn field(tag: u8, bytes: &[u8]) -> Vec<u8> {
    assert!(bytes.len() < 128, "one-byte lengths only");
    let mut out = vec![(tag << 3) | 2, bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

fn number(tag: u8, n: u8) -> Vec<u8> {
    vec![tag << 3, n]
}

/// The link of QR code `index` of `size` in export `id`, holding `entries`.
pub fn link(entries: &[Entry<'_>], index: u8, size: u8, id: u8) -> String {
    let mut payload = Vec::new();
    for e in entries {
        let params = [
            field(1, e.secret),
            field(2, e.name.as_bytes()),
            field(3, e.issuer.as_bytes()),
            number(4, e.algorithm),
            number(5, e.digits),
            number(6, e.kind),
        ]
        .concat();
        payload.extend(field(1, &params));
    }
    payload.extend(
        [
            number(2, 1),
            number(3, size),
            number(4, index),
            number(5, id),
        ]
        .concat(),
    );
    let data = data_encoding::BASE64.encode(&payload);
    let data = data
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    format!("otpauth-migration://offline?data={data}")
}

/// A two-QR export: RFC 6238's SHA1 seed (8 digits) and GitHub's example key in the first
/// code, RFC 6238's SHA256 seed and a counter-based account in the second.
pub fn two_codes() -> [String; 2] {
    let first = link(
        &[
            Entry {
                secret: b"12345678901234567890",
                name: "Bank:me@example.com",
                issuer: "Bank",
                algorithm: 1,
                digits: 2,
                kind: 2,
            },
            Entry {
                secret: b"Hello!\xde\xad\xbe\xef",
                name: "GitHub:me",
                issuer: "",
                algorithm: 1,
                digits: 1,
                kind: 2,
            },
        ],
        0,
        2,
        42,
    );
    let second = link(
        &[
            Entry {
                secret: b"12345678901234567890123456789012",
                name: "Mail:me",
                issuer: "Mail",
                algorithm: 2,
                digits: 1,
                kind: 2,
            },
            Entry {
                secret: b"abcdefghijklmnopqrst",
                name: "Old VPN",
                issuer: "VPN",
                algorithm: 1,
                digits: 1,
                kind: 1,
            },
        ],
        1,
        2,
        42,
    );
    [first, second]
}
