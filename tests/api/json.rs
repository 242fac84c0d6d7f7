//! The developer's side: JSON in and out, status codes, `/health`.

use axum::body::Body;
use axum::http::{Request, header};

use crate::helpers::*;

#[tokio::test]
async fn json_body_gets_the_full_json_answer() {
    let answer = send(
        &app_at(59),
        json_post(&format!(r#"{{"secret":"{RFC_SHA1}","digits":8}}"#)),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/json");
    let json = answer.json();
    assert_eq!(json["code"], "94287082");
    assert_eq!(json["digits"], 8);
    assert_eq!(json["period"], 30);
    assert_eq!(json["algorithm"], "SHA1");
    assert_eq!(json["step"], 1);
    assert_eq!(json["ttl"], 1);
    assert_eq!(json["valid_until"], 60);
    assert_eq!(
        json["id_list_message"],
        "t-הקוד הוא.d-9428.d-7082.t-שוב.d-9428.d-7082"
    );
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "{keys:?}");
}

#[tokio::test]
async fn accept_json_turns_a_form_or_query_request_into_json() {
    let req = Request::post("/api/2fa")
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("secret={RFC_SHA1}")))
        .unwrap();
    let answer = send(&app_at(1111111109), req).await;
    assert_eq!(answer.json()["code"], "081804");
    let answer = send(&app_at(1111111109), json_get(&format!("secret={RFC_SHA1}"))).await;
    assert_eq!(answer.json()["code"], "081804");
}

#[tokio::test]
async fn json_numbers_and_strings_are_both_accepted() {
    let body =
        format!(r#"{{"secret":"{RFC_SHA256}","digits":"8","algorithm":"sha256","period":30}}"#);
    let answer = send(&app_at(59), json_post(&body)).await;
    assert_eq!(answer.json()["code"], "46119246");
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_stable_code() {
    for body in [
        "{",
        "[1,2]",
        r#""secret""#,
        r#"{"secret":{"nested":1}}"#,
        "secret=JBSWY3DPEHPK3PXP",
    ] {
        let answer = send(&app_at(59), json_post(body)).await;
        assert_eq!(answer.status, 400, "{body}");
        let json = answer.json();
        assert_eq!(json["error"], "invalid_json", "{body}");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn missing_secret_is_a_400() {
    let answer = send(&app_at(59), json_post("{}")).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "missing_secret");
}

#[tokio::test]
async fn health_reports_the_server_clock_and_version() {
    let answer = send(
        &app_at(1_800_000_000),
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200);
    let json = answer.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["time"], 1_800_000_000u64);
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn wrong_method_is_a_json_405() {
    for (method, path) in [
        ("DELETE", "/api/2fa"),
        ("PUT", "/api/2fa"),
        ("POST", "/health"),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let answer = send(&app_at(59), req).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.json()["error"], "method_not_allowed");
    }
}
