//! What Yemot really sends, and what the caller hears (docs/YEMOT.md).

use axum::body::Body;
use axum::http::{Request, header};

use crate::helpers::*;

/// At t = 59 the RFC SHA1 seed gives 94287082 (8 digits) and 287082 (6 digits); with one second
/// left, a caller hears the next code ([`HEARD_AT_59`]).
const T: u64 = 59;
/// At t = 1234567890, a fresh step (30 s left), it gives 89005924 and 005924.
const FRESH: u64 = 1234567890;

#[tokio::test]
async fn form_post_with_call_parameters_reads_the_code_twice_and_offers_a_repeat() {
    let body = format!("{CALL_PARAMS}&secret={RFC_SHA1}");
    let reply = send(&app_at(FRESH), yemot_post(&body)).await.yemot();
    assert_eq!(reply.codes(), ["005924", "005924"]);
    assert_eq!(reply.text(), "הקוד הוא | שוב | לשמיעה חוזרת הקישו 1");
    assert_eq!(
        reply.command("read"),
        Some(
            "t-הקוד הוא.d-005.d-924.t-שוב.d-005.d-924.t-לשמיעה חוזרת הקישו 1=rep1,no,1,1,7,No,no,no,,,1,Ok,None,,no"
        ),
        "digit groups of three, leading zeros kept; any key or none comes back as rep1"
    );
}

#[tokio::test]
async fn get_with_query_string_works_the_same() {
    let query = format!("{CALL_PARAMS}&secret={RFC_SHA1}&digits=8");
    let reply = send(&app_at(FRESH), yemot_get(&query)).await.yemot();
    assert_eq!(reply.codes(), ["89005924", "89005924"]);
    assert!(
        reply
            .command("read")
            .unwrap()
            .starts_with("t-הקוד הוא.d-8900.d-5924.t-שוב.d-8900.d-5924."),
        "eight digits are read as 4+4"
    );
}

#[tokio::test]
async fn repeated_keys_take_the_last_value() {
    let body = format!("secret=WRONG1&digits=9&{CALL_PARAMS}&secret={RFC_SHA1}&digits=8");
    let reply = send(&app_at(T), yemot_post(&body)).await.yemot();
    assert_eq!(reply.codes()[0], HEARD_AT_59_8);
}

#[tokio::test]
async fn body_is_read_as_a_form_whatever_the_content_type_says() {
    for content_type in [None, Some("text/plain"), Some("application/octet-stream")] {
        let mut req = Request::post("/api/2fa");
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req.body(Body::from(format!("secret={RFC_SHA1}"))).unwrap();
        let reply = send(&app_at(T), req).await.yemot();
        assert_eq!(reply.codes()[0], HEARD_AT_59, "{content_type:?}");
    }
}

#[tokio::test]
async fn query_and_body_merge_and_the_body_wins() {
    let req = Request::post(format!("/api/2fa?secret={RFC_SHA1}&digits=7"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("digits=8"))
        .unwrap();
    assert_eq!(
        send(&app_at(T), req).await.yemot().codes()[0],
        HEARD_AT_59_8
    );
}

#[tokio::test]
async fn a_second_question_mark_from_yemot_is_a_separator() {
    // api_link=https://host/api/2fa?secret=X makes Yemot append "?ApiCallId=…".
    let req = Request::get(format!("/api/2fa?secret={RFC_SHA1}?{CALL_PARAMS}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app_at(T), req).await.yemot().codes()[0], HEARD_AT_59);
}

#[tokio::test]
async fn a_uri_pasted_unencoded_into_ext_ini_still_works() {
    // Yemot may send an api_add value as it is: the URI's own & splits it into top-level pairs.
    let body = format!(
        "{CALL_PARAMS}&secret=otpauth://totp/Site:me?secret={RFC_SHA1}&digits=8&issuer=Site"
    );
    let reply = send(&app_at(T), yemot_post(&body)).await.yemot();
    assert_eq!(reply.codes()[0], HEARD_AT_59_8);
    let body =
        format!("secret=otpauth://totp/Site:me?issuer=Site&secret={RFC_SHA1}&algorithm=SHA1");
    let reply = send(&app_at(T), yemot_post(&body)).await.yemot();
    assert_eq!(reply.codes()[0], HEARD_AT_59);
}

#[tokio::test]
async fn secret_with_plus_for_spaces_decodes() {
    let body = "secret=GEZD+GNBV+GY3T+QOJQ+GEZD+GNBV+GY3T+QOJQ";
    assert_eq!(
        send(&app_at(T), yemot_post(body)).await.yemot().codes()[0],
        HEARD_AT_59
    );
}

#[tokio::test]
async fn hangup_notice_is_answered_empty_without_computing() {
    for body in [
        format!("{CALL_PARAMS}&secret={RFC_SHA1}&hangup=yes&ApiHangupExtension=/2"),
        format!("{CALL_PARAMS}&secret=not-a-secret!&hangup=yes"),
        "hangup=yes".to_owned(),
    ] {
        let answer = send(&app_at(T), yemot_post(&body)).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type(), "text/plain; charset=utf-8");
        assert_eq!(answer.body, "", "{body}");
    }
}

/// Every bad input: HTTP 200, a spoken Hebrew message that names the problem, a hang-up, no
/// digits, no echo of the input. The JSON error code proves each is told apart.
#[tokio::test]
async fn bad_input_is_spoken_with_200_and_never_echoed() {
    let cases = [
        ("", "missing_secret", "לא הוגדר מפתח"),
        ("secret=", "missing_secret", "לא הוגדר מפתח"),
        ("secret=+++", "missing_secret", "לא הוגדר מפתח"),
        ("secret=JBSWY3DPEHPK3PX1", "invalid_secret", "שגוי"),
        ("secret=Hello%20World%21%21%21%21", "invalid_secret", "שגוי"),
        ("secret=JBSWY3DPEHPK", "secret_too_short", "קצר מדי"),
        (
            "secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "secret_too_long",
            "ארוך מדי",
        ),
        (
            "secret=JBSWY3DPEHPK3PXP&digits=5",
            "invalid_digits",
            "מספר הספרות",
        ),
        (
            "secret=JBSWY3DPEHPK3PXP&digits=9",
            "invalid_digits",
            "מספר הספרות",
        ),
        (
            "secret=JBSWY3DPEHPK3PXP&digits=six",
            "invalid_digits",
            "מספר הספרות",
        ),
        (
            "secret=JBSWY3DPEHPK3PXP&period=0",
            "invalid_period",
            "זמן התחלפות",
        ),
        (
            "secret=JBSWY3DPEHPK3PXP&period=86400",
            "invalid_period",
            "זמן התחלפות",
        ),
        (
            "secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            "invalid_algorithm",
            "האלגוריתם",
        ),
        (
            "secret=otpauth%3A%2F%2Ftotp%2Fx%3Fissuer%3DA",
            "invalid_uri",
            "לא הוגדר מפתח",
        ),
        ("secret=otpauth%3Ajunk", "invalid_uri", "קישור המפתח"),
        (
            "secret=otpauth%3A%2F%2Fhotp%2Fx%3Fsecret%3DJBSWY3DPEHPK3PXP%26counter%3D1",
            "unsupported_uri_type",
            "אינו נתמך",
        ),
        (
            "secret=otpauth%3A%2F%2Ftotp%2Fx%3Fsecret%3DJBSWY3DPEHPK3PXP%26digits%3D10",
            "invalid_digits",
            "מספר הספרות",
        ),
        (
            "secret=otpauth%3A%2F%2Ftotp%2Fx%3Fsecret%3DJBSWY3DPEHPK3PXP%26period%3D0",
            "invalid_period",
            "זמן התחלפות",
        ),
    ];
    for (body, code, words) in cases {
        let phone = send(&app_at(T), yemot_post(body)).await;
        let reply = phone.yemot();
        assert!(reply.codes().is_empty(), "{body}: no digits on an error");
        assert!(reply.hangs_up(), "{body}");
        assert!(
            reply.text().contains(words),
            "{body}: heard {:?}",
            reply.text()
        );
        if let Some((_, value)) = body.split_once("secret=") {
            let value = value.split('&').next().unwrap();
            assert!(
                value.len() < 4 || !phone.body.contains(value),
                "{body}: echoed"
            );
        }
        let json = send(&app_at(T), json_post(&body_to_json(body))).await;
        assert_eq!(json.status, 400, "{body}: {}", json.body);
        assert_eq!(json.json()["error"], code, "{body}");
    }
}

fn body_to_json(form: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(form).unwrap();
    let object: serde_json::Map<String, serde_json::Value> =
        pairs.into_iter().map(|(k, v)| (k, v.into())).collect();
    serde_json::to_string(&object).unwrap()
}

#[tokio::test]
async fn unknown_path_from_yemot_is_spoken_and_from_others_is_json_404() {
    let req = Request::post("/api/2FA")
        .header(header::USER_AGENT, "yemot-core-api/1.0")
        .body(Body::from(format!("secret={RFC_SHA1}")))
        .unwrap();
    let reply = send(&app_at(T), req).await.yemot();
    assert!(reply.text().contains("כתובת השרת"), "{}", reply.text());

    let answer = send(
        &app_at(T),
        Request::get("/nope").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["error"], "not_found");
}

#[tokio::test]
async fn too_large_a_body_is_spoken_for_a_phone_and_413_for_json() {
    let big = format!("secret={RFC_SHA1}&pad={}", "x".repeat(20_000));
    let reply = send(&app_at(T), yemot_post(&big)).await.yemot();
    assert!(reply.codes().is_empty() && reply.hangs_up());
    let req = Request::post("/api/2fa")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            "{{\"pad\":\"{}\"}}",
            "x".repeat(20_000)
        )))
        .unwrap();
    let answer = send(&app_at(T), req).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["error"], "payload_too_large");
}

#[tokio::test]
async fn the_pages_own_address_pasted_as_api_link_says_how_to_fix_it() {
    let router = app_at(FRESH);
    let hint = "כתובת השרת שהוגדרה בשלוחה שגויה";
    let get = Request::get(format!("/?{CALL_PARAMS}&secret={RFC_SHA1}"))
        .body(Body::empty())
        .unwrap();
    let post = Request::post("/")
        .header(header::USER_AGENT, "yemot-core-api/1.0")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("{CALL_PARAMS}&secret={RFC_SHA1}")))
        .unwrap();
    for request in [get, post] {
        let answer = send(&router, request).await;
        assert_eq!(answer.status, 200, "Yemot would play M1607 otherwise");
        assert!(answer.content_type().starts_with("text/plain"));
        let reply = answer.yemot();
        assert!(reply.text().starts_with(hint), "{}", reply.text());
        assert!(reply.codes().is_empty() && reply.hangs_up());
    }
    // A browser still gets the page.
    let page = send(&router, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(page.content_type().starts_with("text/html"));
}
