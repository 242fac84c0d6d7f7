//! Sealed secrets through the router: the token stands in for the key everywhere, sealed
//! options beat ones beside them, every bad token gets one and the same answer, and rotation
//! keeps old tokens working. Plus the `seal` command line.

use axum::body::Body;
use axum::http::{Request, header};
use proptest::prelude::*;
use yemot_2fa::http::App;
use yemot_2fa::otp::SealKeys;
use yemot_2fa::{AppState, app, otp::Clock};

use crate::helpers::*;

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";
/// RFC seed at 1234567890: 89005924 (8 digits), 005924 (6), SHA256 8 digits 91819424.
const T: u64 = 1234567890;

fn server(keys: &str) -> App {
    let keys = SealKeys::parse(keys).unwrap();
    app(AppState::with_clock(Clock::manual(T)).with_seal_keys(keys))
}

async fn seal(router: &App, form: &str) -> serde_json::Value {
    let req = Request::post("/api/seal")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let answer = send(router, req).await;
    assert_eq!(answer.status, 200, "{form}: {}", answer.body);
    answer.json()
}

async fn token(router: &App, form: &str) -> String {
    seal(router, form).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_sealed_token_alone_reads_the_code() {
    let router = server(K1);
    let sealed = token(
        &router,
        &format!("secret={}&digits=8", enc(&RFC_SHA1.to_lowercase())),
    )
    .await;
    let phone = send(
        &router,
        yemot_post(&format!("{CALL_PARAMS}&sealed={sealed}")),
    )
    .await
    .yemot();
    assert_eq!(phone.codes(), ["89005924", "89005924"]);
    let json = send(&router, json_post(&format!(r#"{{"sealed":"{sealed}"}}"#)))
        .await
        .json();
    assert_eq!(json["code"], "89005924");
    let get = send(&router, yemot_get(&format!("sealed={sealed}")))
        .await
        .yemot();
    assert_eq!(get.codes()[0], "89005924");
}

#[tokio::test]
async fn the_seal_answer_has_ready_ext_ini_lines_without_the_secret() {
    let router = server(K1);
    let req = Request::post("/api/seal")
        .header("x-forwarded-proto", "https")
        .header(header::HOST, "my-2fa.onrender.com")
        .body(Body::from(format!("secret={RFC_SHA1}")))
        .unwrap();
    let json = send(&router, req).await.json();
    let token = json["token"].as_str().unwrap();
    assert_eq!(json["key_id"], "k1");
    assert_eq!(
        json["ext_ini"],
        format!(
            "type=api\napi_link=https://my-2fa.onrender.com/api/2fa\napi_url_post=yes\napi_log=no\napi_add_0=sealed={token}\n"
        )
    );
    let with_url = app(AppState::with_clock(Clock::manual(T))
        .with_seal_keys(SealKeys::parse(K1).unwrap())
        .with_public_url(Some("https://codes.example.org".into())));
    let json = seal(&with_url, &format!("secret={RFC_SHA1}")).await;
    assert!(
        json["ext_ini"]
            .as_str()
            .unwrap()
            .contains("api_link=https://codes.example.org/api/2fa\n")
    );
}

#[tokio::test]
async fn a_token_never_holds_the_secret_in_any_encoding() {
    let router = server(K1);
    let raw = b"12345678901234567890";
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let forms = [
        RFC_SHA1.to_owned(),
        RFC_SHA1.to_lowercase(),
        hex.clone(),
        hex.to_uppercase(),
        data_encoding::BASE64.encode(raw),
        data_encoding::BASE64URL_NOPAD.encode(raw),
        String::from_utf8(raw.to_vec()).unwrap(),
    ];
    for _ in 0..20 {
        let json = seal(
            &router,
            &format!("secret={RFC_SHA1}&pin=4321&allow=0501234567&name=Bank"),
        )
        .await;
        for part in ["token", "ext_ini"] {
            let text = json[part].as_str().unwrap();
            for form in &forms {
                // Any 8-character window of an encoding would be a leak.
                for window in form.as_bytes().windows(8) {
                    let window = std::str::from_utf8(window).unwrap();
                    assert!(!text.contains(window), "{part} holds {window} of {form}");
                }
            }
            if part == "ext_ini" {
                assert!(
                    !text.contains("pin") && !text.contains("allow"),
                    "sealed, not beside"
                );
            }
        }
    }
}

#[tokio::test]
async fn sealed_options_win_over_the_ones_beside_the_token() {
    let router = server(K1);
    let sealed = token(
        &router,
        &format!("secret={RFC_SHA256}&algorithm=SHA256&digits=8&pin=4321"),
    )
    .await;
    // An ext.ini editor adds weaker settings beside the token: they are ignored.
    let beside =
        format!("{CALL_PARAMS}&sealed={sealed}&digits=6&algorithm=SHA1&pin=0000&secret={RFC_SHA1}");
    let ask = send(&router, yemot_post(&beside)).await.yemot();
    assert_eq!(ask.read().unwrap()[0], "pin1", "the sealed PIN is asked");
    let wrong = send(&router, yemot_post(&format!("{beside}&pin1=0000")))
        .await
        .yemot();
    assert_eq!(
        wrong.read().unwrap()[0],
        "pin2",
        "the PIN beside does not open it"
    );
    let open = send(&router, yemot_post(&format!("{beside}&pin1=4321")))
        .await
        .yemot();
    assert_eq!(open.codes()[0], "91819424", "sealed SHA256, 8 digits");
}

#[tokio::test]
async fn a_sealed_allow_list_and_a_menu_of_sealed_accounts() {
    let router = server(K1);
    let bank = token(
        &router,
        &format!("secret={RFC_SHA1}&digits=8&name=הבנק&allow=0501234567"),
    )
    .await;
    let mail = token(
        &router,
        &format!(
            "secret={}&name=Mail",
            enc("otpauth://totp/Mail:me?secret=JBSWY3DPEHPK3PXP")
        ),
    )
    .await;
    let adds = format!("sealed_1={bank}&sealed_2={mail}");
    let menu = send(&router, yemot_post(&format!("{CALL_PARAMS}&{adds}")))
        .await
        .yemot();
    assert_eq!(menu.text(), "לקוד של הבנק הקישו | לקוד של Mail הקישו");
    let chosen = send(&router, yemot_post(&format!("{CALL_PARAMS}&{adds}&acct=1")))
        .await
        .yemot();
    assert_eq!(chosen.codes()[0], "89005924");
    // Each token's allow-list is its own: a stranger hears the menu, may read the account
    // with no allow-list, and is refused the one whose token lists other numbers.
    let stranger = |choice: &str| {
        let router = router.clone();
        let body = format!("{adds}&ApiPhone=0529999999{choice}");
        async move { send(&router, yemot_post(&body)).await.yemot() }
    };
    assert_eq!(
        stranger("").await.codes(),
        ["1", "2"],
        "the menu keys, no code"
    );
    let refused = stranger("&acct=1").await;
    assert!(refused.codes().is_empty() && refused.text().contains("אינו מורשה"));
    let mail = stranger("&acct=2").await;
    assert_eq!(
        mail.codes().len(),
        2,
        "Mail has no allow-list: {}",
        mail.text()
    );
}

#[tokio::test]
async fn json_clients_must_bring_a_sealed_pin_and_cannot_use_an_allow_list() {
    let router = server(K1);
    let with_pin = token(&router, &format!("secret={RFC_SHA1}&pin=4321")).await;
    let without = send(&router, json_post(&format!(r#"{{"sealed":"{with_pin}"}}"#))).await;
    assert_eq!(
        (without.status.as_u16(), without.json()["error"].as_str()),
        (403, Some("pin_required"))
    );
    let wrong = send(
        &router,
        json_post(&format!(r#"{{"sealed":"{with_pin}","pin":"1234"}}"#)),
    )
    .await;
    assert_eq!(wrong.status, 403);
    let right = send(
        &router,
        json_post(&format!(r#"{{"sealed":"{with_pin}","pin":"4321"}}"#)),
    )
    .await;
    assert_eq!(right.json()["code"], "005924");

    let with_allow = token(&router, &format!("secret={RFC_SHA1}&allow=0501234567")).await;
    let refused = send(
        &router,
        json_post(&format!(r#"{{"sealed":"{with_allow}"}}"#)),
    )
    .await;
    assert_eq!(
        (refused.status.as_u16(), refused.json()["error"].as_str()),
        (403, Some("phone_only"))
    );
}

#[tokio::test]
async fn every_bad_token_gets_the_same_answer() {
    let old = server(K2);
    let router = server(K1);
    let good = token(&router, &format!("secret={RFC_SHA1}")).await;
    let foreign = token(&old, &format!("secret={RFC_SHA1}")).await;
    let mut flipped = good.clone().into_bytes();
    let last = flipped.len() - 5;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let bad = [
        "garbage".to_owned(),
        good[..good.len() - 3].to_owned(),
        String::from_utf8(flipped).unwrap(),
        foreign,
        good.replacen("v1.", "v2.", 1),
        format!("{good}x"),
    ];
    let mut phone_bodies = Vec::new();
    let mut json_bodies = Vec::new();
    for token in &bad {
        let phone = send(&router, yemot_post(&format!("sealed={}", enc(token)))).await;
        let reply = phone.yemot();
        assert!(reply.codes().is_empty() && reply.hangs_up());
        phone_bodies.push(phone.body);
        let json = send(
            &router,
            json_post(&format!(
                r#"{{"sealed":{}}}"#,
                serde_json::Value::from(token.as_str())
            )),
        )
        .await;
        assert_eq!(
            (json.status.as_u16(), json.json()["error"].as_str()),
            (400, Some("invalid_sealed")),
            "{token}"
        );
        json_bodies.push(json.body);
    }
    phone_bodies.dedup();
    json_bodies.dedup();
    assert_eq!(
        (phone_bodies.len(), json_bodies.len()),
        (1, 1),
        "one answer whatever the cause"
    );
}

#[tokio::test]
async fn rotation_keeps_old_tokens_working() {
    let before = server(K1);
    let old_token = token(&before, &format!("secret={RFC_SHA1}&digits=8")).await;
    let after = server(&format!("{K2},{K1}"));
    let phone = send(&after, yemot_post(&format!("sealed={old_token}")))
        .await
        .yemot();
    assert_eq!(phone.codes()[0], "89005924", "the old key still opens");
    let new_token = token(&after, &format!("secret={RFC_SHA1}")).await;
    assert!(new_token.starts_with("v1.k2."), "the first key seals");
}

#[tokio::test]
async fn without_seal_keys_a_sealed_request_is_told_so() {
    let router = app_at(T);
    let phone = send(&router, yemot_post("sealed=v1.k1.abc")).await.yemot();
    assert!(
        phone.text().contains("אינו מוגדר לפתיחת מפתחות חתומים"),
        "{}",
        phone.text()
    );
    let json = send(&router, json_post(r#"{"sealed":"v1.k1.abc"}"#)).await;
    assert_eq!(
        (json.status.as_u16(), json.json()["error"].as_str()),
        (503, Some("no_seal_key"))
    );
    let seal = send(
        &router,
        Request::post("/api/seal")
            .body(Body::from(format!("secret={RFC_SHA1}")))
            .unwrap(),
    )
    .await;
    assert_eq!(seal.status, 503);
}

#[tokio::test]
async fn seal_checks_everything_before_sealing() {
    let router = server(K1);
    for (form, code) in [
        ("secret=JBSW1".to_owned(), "invalid_secret"),
        (format!("secret={RFC_SHA1}&pin=12"), "invalid_pin"),
        (format!("secret={RFC_SHA1}&allow=abc"), "invalid_allow"),
        (format!("secret={RFC_SHA1}&digits=9"), "invalid_digits"),
        (String::new(), "missing_secret"),
    ] {
        let answer = send(
            &router,
            Request::post("/api/seal")
                .body(Body::from(form.clone()))
                .unwrap(),
        )
        .await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()["error"].as_str()),
            (400, Some(code)),
            "{form}"
        );
    }
    let phone = send(
        &router,
        Request::post("/api/seal")
            .header(header::USER_AGENT, "yemot-core-api/1.0")
            .body(Body::from(format!("secret={RFC_SHA1}")))
            .unwrap(),
    )
    .await;
    assert!(phone.yemot().codes().is_empty());
}

#[tokio::test]
async fn verify_accepts_a_sealed_secret() {
    let router = server(K1);
    let sealed = token(&router, &format!("secret={RFC_SHA1}&digits=8")).await;
    let req = Request::post("/api/verify")
        .body(Body::from(format!("sealed={sealed}&code=89005924")))
        .unwrap();
    assert_eq!(send(&router, req).await.json()["valid"], true);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_tokens_never_open_or_break_the_reply(
        junk in proptest::collection::vec(any::<u8>(), 0..200),
        text in "[A-Za-z0-9._-]{0,120}",
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let router = server(K1);
        for token in [format!("v1.k1.{}", data_encoding::BASE64URL_NOPAD.encode(&junk)), text] {
            let phone = rt.block_on(send(&router, yemot_post(&format!("sealed={}", enc(&token)))));
            let reply = Yemot::parse(&phone.body).map_err(TestCaseError::fail)?;
            prop_assert!(reply.codes().is_empty());
            let json = rt.block_on(send(&router, json_post(&format!(r#"{{"sealed":{}}}"#, serde_json::Value::from(token.as_str())))));
            prop_assert!(json.status == 400, "{}", json.status);
        }
    }
}

/// The `seal` command: the secret on standard input, never as an argument.
mod command_line {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;

    fn run(args: &[&str], stdin: &str) -> (bool, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yemot-2fa"))
            .args(args)
            .env("SEAL_KEYS", K1)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    #[tokio::test]
    async fn seal_reads_stdin_and_the_server_opens_the_token() {
        let (ok, out, err) = run(
            &["seal", "--digits", "8", "--pin"],
            &format!("{}\n4321\n", RFC_SHA1.to_lowercase()),
        );
        assert!(ok, "{err}");
        let token = out.trim();
        assert!(token.starts_with("v1.k1.") && !token.contains(RFC_SHA1));
        let router = server(K1);
        let open = send(&router, yemot_post(&format!("sealed={token}&pin1=4321")))
            .await
            .yemot();
        assert_eq!(open.codes()[0], "89005924");

        let (ok, out, _) = run(
            &["seal", "--link", "https://x.example"],
            &format!("{RFC_SHA1}\n"),
        );
        assert!(ok);
        assert!(
            out.starts_with("type=api\napi_link=https://x.example/api/2fa\n")
                && out.contains("api_add_0=sealed=v1.k1.")
        );
    }

    #[test]
    fn seal_refuses_a_secret_argument_without_repeating_it() {
        for args in [
            &["seal", RFC_SHA1][..],
            &["seal", "--secret", RFC_SHA1][..],
            &["seal", "--digits", "8", RFC_SHA1][..],
        ] {
            let (ok, out, err) = run(args, "");
            assert!(!ok, "{args:?}");
            assert!(out.is_empty());
            assert!(
                err.contains("standard input") && !err.contains(RFC_SHA1),
                "{err}"
            );
        }
        let (ok, _, err) = run(&["seal"], "");
        assert!(!ok && err.contains("no secret on standard input"));
        let (ok, _, err) = run(&["seal"], "JBSW1\n");
        assert!(!ok && err.contains("base32") && !err.contains("JBSW1"));
    }

    #[test]
    fn seal_never_drops_input_and_never_hands_out_a_token_the_server_refuses() {
        // A PIN on a second line without --pin would be left out of the token: refused.
        let (ok, out, err) = run(&["seal"], &format!("{RFC_SHA1}\n4321\n"));
        assert!(!ok && out.is_empty(), "{out}");
        assert!(err.contains("--pin") && !err.contains("4321"), "{err}");
        let (ok, _, err) = run(&["seal", "--pin"], &format!("{RFC_SHA1}\n4321\n9999\n"));
        assert!(!ok && err.contains("more than two lines"), "{err}");
        // A name too long for a token that every request can carry: refused, not truncated.
        let long = "x".repeat(2000);
        let (ok, out, err) = run(&["seal", "--name", &long], &format!("{RFC_SHA1}\n"));
        assert!(!ok && out.is_empty() && err.contains("too long"), "{err}");
    }

    #[test]
    fn keygen_prints_a_usable_key() {
        let (ok, out, _) = run(&["keygen", "k7"], "");
        assert!(ok);
        assert!(
            SealKeys::parse(out.trim())
                .unwrap()
                .is_some_and(|k| k.sealing_id() == "k7")
        );
    }
}
