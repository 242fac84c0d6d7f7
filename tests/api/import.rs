//! `/api/import`: a Google Authenticator export, written by hand (`crate::export`), read into its
//! accounts, their keys checked against the known vectors.

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};

use crate::export;
use crate::helpers::*;

fn import(links: &str) -> Request<Body> {
    Request::post("/api/import")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "links": links }).to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_two_qr_export_becomes_its_accounts_and_hotp_is_refused_with_its_reason() {
    let router = app_at(1_234_567_890);
    let [first, second] = export::two_codes();
    // The first code alone: two accounts, one part of two read.
    let one: Value = send(&router, import(&first)).await.json();
    assert_eq!(
        (one["parts"].as_u64(), one["read"].clone()),
        (Some(2), json!([0]))
    );
    assert_eq!(one["accounts"].as_array().unwrap().len(), 2);

    // Both, and the first again: four accounts, each code once.
    let links = format!("{first}\n{second}\n{first}");
    let both = send(&router, import(&links)).await.json();
    assert_eq!(both["read"], json!([0, 1]));
    let accounts = both["accounts"].as_array().unwrap();
    let shape: Vec<_> = accounts
        .iter()
        .map(|a| {
            (
                a["label"].as_str().unwrap(),
                a["secret"].as_str().unwrap_or("-"),
                a["digits"].as_u64().unwrap_or(0),
                a["algorithm"].as_str().unwrap_or("-"),
                a["refused"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("Bank", RFC_SHA1, 8, "SHA1", "-"),
            ("GitHub", "JBSWY3DPEHPK3PXP", 6, "SHA1", "-"),
            ("Mail", RFC_SHA256, 6, "SHA256", "-"),
            ("VPN", "-", 0, "-", "hotp"),
        ]
    );
    assert_eq!(accounts[0]["account"], "me@example.com");

    // Each key reads its vector: RFC 6238 at 1234567890 (8 digits), GitHub's key as oathtool.
    let code = |secret: &str, digits: u64, algorithm: &str| {
        json_post(&json!({"secret": secret, "digits": digits, "algorithm": algorithm}).to_string())
    };
    let bank = send(&router, code(RFC_SHA1, 8, "SHA1")).await.json();
    assert_eq!(bank["code"], "89005924");

    // Anything else is refused with a stable code, and never echoed.
    for bad in [
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
        "",
        "otpauth-migration://offline?data=AAAA",
    ] {
        let answer = send(&router, import(bad)).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()["error"].as_str()),
            (400, Some("invalid_export")),
            "{bad}"
        );
        assert!(!answer.body.contains("JBSWY3DPEHPK3PXP"));
    }
}

#[tokio::test]
async fn the_command_line_turns_an_export_into_a_menu_plain_or_sealed() {
    let [first, second] = export::two_codes();
    let (lines, notes) = yemot_2fa::cli::import(&first, None, Some("https://x.example/")).unwrap();
    assert_eq!(
        lines,
        format!(
            "type=api\napi_link=https://x.example/api/2fa\napi_url_post=yes\napi_log=no\n\
             api_add_0=secret_1={RFC_SHA1}\napi_add_1=digits_1=8\napi_add_2=name_1=Bank\n\
             api_add_3=secret_2=JBSWY3DPEHPK3PXP\napi_add_4=name_2=GitHub\n"
        )
    );
    assert_eq!(notes.len(), 1, "one QR code of two: {notes:?}");

    // Both codes, sealed: tokens only, each opening to its vector; the HOTP account is named
    // among the notes with why it was left out.
    let keys = yemot_2fa::otp::SealKeys::parse(K1).unwrap().unwrap();
    let (lines, notes) =
        yemot_2fa::cli::import(&format!("{first}\n{second}\n"), Some(&keys), None).unwrap();
    assert!(
        !lines.contains(RFC_SHA1) && !lines.contains("JBSWY3DPEHPK3PXP"),
        "{lines}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("VPN") && n.contains("HOTP")),
        "{notes:?}"
    );
    let tokens: Vec<&str> = lines
        .lines()
        .filter_map(|l| {
            l.split_once("=sealed_")
                .map(|(_, t)| t.split_once('=').unwrap().1)
        })
        .collect();
    assert_eq!(tokens.len(), 3);
    let router = yemot_2fa::app(
        yemot_2fa::AppState::with_clock(yemot_2fa::otp::Clock::manual(1_234_567_890))
            .with_seal_keys(yemot_2fa::otp::SealKeys::parse(K1).unwrap()),
    );
    // RFC 6238 at 1234567890: SHA1 8 digits 89005924, GitHub's key 742275 (oathtool),
    // SHA256 6 digits 819424.
    for (token, want) in tokens.iter().zip(["89005924", "742275", "819424"]) {
        let answer = send(&router, json_post(&json!({ "sealed": token }).to_string()))
            .await
            .json();
        assert_eq!(answer["code"], want);
    }
    assert!(
        yemot_2fa::cli::import("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", None, None).is_err()
    );
}

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
