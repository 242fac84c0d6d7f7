//! The developer API: `/api/verify`, `/api/secret`, `/openapi.json`, the access token and
//! content negotiation.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, header};
use yemot_2fa::error::Error;
use yemot_2fa::http::AccessTokens;
use yemot_2fa::http::Route;
use yemot_2fa::{AppState, ROUTES, app, otp::Clock};

use crate::helpers::*;

/// RFC 6238 SHA1, 8 digits: 89005924 is the code of step 41152263 (t = 1234567890).
const T: u64 = 1234567890;
const STEP: u64 = 41152263;

fn post(path: &str, json: serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json.to_string()))
        .unwrap()
}

async fn verify_at(time: u64, json: serde_json::Value) -> serde_json::Value {
    let answer = send(&app_at(time), post("/api/verify", json)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn verify_accepts_the_window_and_reports_step_and_drift() {
    let base = serde_json::json!({"secret": RFC_SHA1, "digits": 8, "code": "89005924"});
    assert_eq!(
        verify_at(T, base.clone()).await,
        serde_json::json!({"valid": true, "step": STEP, "drift": 0})
    );
    assert_eq!(
        verify_at(T + 30, base.clone()).await,
        serde_json::json!({"valid": true, "step": STEP, "drift": -1})
    );
    assert_eq!(
        verify_at(T - 30, base.clone()).await,
        serde_json::json!({"valid": true, "step": STEP, "drift": 1})
    );
    assert_eq!(
        verify_at(T + 60, base.clone()).await,
        serde_json::json!({"valid": false})
    );

    let mut wide = base.clone();
    wide["window"] = 2.into();
    assert_eq!(verify_at(T + 60, wide).await["drift"], -2);
    let mut exact = base.clone();
    exact["window"] = "0".into();
    assert_eq!(
        verify_at(T + 30, exact).await,
        serde_json::json!({"valid": false})
    );
}

#[tokio::test]
async fn verify_refuses_a_replay_with_after_step() {
    let mut request = serde_json::json!({"secret": RFC_SHA1, "digits": 8, "code": "89005924", "after_step": STEP});
    assert_eq!(verify_at(T, request.clone()).await["valid"], false);
    request["after_step"] = (STEP - 1).into();
    assert_eq!(verify_at(T, request).await["valid"], true);
}

#[tokio::test]
async fn verify_reads_keypad_input_and_every_vector() {
    for (time, code) in [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (2000000000, "279037"),
    ] {
        let typed = format!("{} {}#", &code[..3], &code[3..]);
        let json = verify_at(time, serde_json::json!({"secret": RFC_SHA1, "code": typed})).await;
        assert_eq!(json["valid"], true, "{code} at {time}");
    }
    // A form body works as well as JSON, and a URI as well as bare base32.
    let req = Request::post("/api/verify")
        .body(Body::from(format!(
            "secret={}&code=*287082",
            enc(&format!("otpauth://totp/x?secret={RFC_SHA1}"))
        )))
        .unwrap();
    let answer = send(&app_at(59), req).await;
    assert_eq!(
        answer.json()["valid"],
        true,
        "JSON is the default here: {}",
        answer.body
    );
    // Steam codes, any case.
    let json = verify_at(
        59,
        serde_json::json!({"secret": RFC_SHA1, "kind": "steam", "code": "pv9m4"}),
    )
    .await;
    assert_eq!(json["valid"], true);
}

#[tokio::test]
async fn verify_bad_input_is_a_400_with_a_stable_code() {
    let cases = [
        (serde_json::json!({"secret": RFC_SHA1}), "invalid_code"),
        (
            serde_json::json!({"secret": RFC_SHA1, "code": "12345"}),
            "invalid_code",
        ),
        (
            serde_json::json!({"secret": RFC_SHA1, "code": "12345a"}),
            "invalid_code",
        ),
        (serde_json::json!({"code": "123456"}), "missing_secret"),
        (
            serde_json::json!({"secret": RFC_SHA1, "code": "123456", "window": 11}),
            "invalid_window",
        ),
        (
            serde_json::json!({"secret": RFC_SHA1, "code": "123456", "after_step": "-1"}),
            "invalid_after_step",
        ),
    ];
    for (json, code) in cases {
        let answer = send(&app_at(T), post("/api/verify", json.clone())).await;
        assert_eq!(answer.status, 400, "{json}");
        assert_eq!(answer.json()["error"], code, "{json}");
    }
}

#[tokio::test]
async fn verify_from_a_yemot_extension_is_spoken() {
    let req = |code: &str| yemot_post_to("/api/verify", &format!("secret={RFC_SHA1}&code={code}"));
    let right = send(&app_at(59), req("287082")).await.yemot();
    assert_eq!(right.text(), "הקוד נכון");
    let wrong = send(&app_at(59), req("287083")).await.yemot();
    assert_eq!(wrong.text(), "הקוד שגוי");
}

fn yemot_post_to(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::USER_AGENT, "yemot-core-api/1.0")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A plain RFC 4648 decoder for the test, independent of the service's lenient one.
fn base32_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {c}"),
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// Decodes a `data:image/png;base64,` QR image back to its text, with a QR reader.
fn read_qr(data_uri: &str) -> String {
    let b64 = data_uri
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URI");
    let png_bytes = data_encoding::BASE64.decode(b64.as_bytes()).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn new_secrets_have_the_asked_length_and_their_uri_and_qr_give_the_same_code() {
    for (request, bytes) in [
        (serde_json::json!({}), 20),
        (
            serde_json::json!({"bytes": 10, "issuer": "ACME Co", "account": "john@x.com"}),
            10,
        ),
        (
            serde_json::json!({"bytes": "64", "algorithm": "sha512", "digits": 8, "period": 60}),
            64,
        ),
    ] {
        let answer = send(&app_at(T), post("/api/secret", request.clone())).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let json = answer.json();
        let secret = json["secret"].as_str().unwrap();
        assert_eq!(base32_decode(secret).len(), bytes, "{request}");
        assert_eq!(
            json["secret_grouped"].as_str().unwrap().replace(' ', ""),
            secret
        );
        let uri = json["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")));
        assert_eq!(
            read_qr(json["qr_png"].as_str().unwrap()),
            uri,
            "the QR holds the URI"
        );
        assert!(json["qr_svg"].as_str().unwrap().contains("<svg"));

        let with = |key: &str| {
            let mut q = serde_json::json!({"secret": key});
            for k in ["digits", "algorithm", "period"] {
                if let Some(v) = request.get(k) {
                    q[k] = v.clone();
                }
            }
            q
        };
        let by_secret = send(&app_at(T), post("/api/2fa", with(secret)))
            .await
            .json();
        let by_uri = send(
            &app_at(T),
            post("/api/2fa", serde_json::json!({"secret": uri})),
        )
        .await
        .json();
        assert_eq!(by_secret["code"], by_uri["code"], "{uri}");
        assert_eq!(by_secret["digits"], json["digits"]);
    }
    let a = send(&app_at(T), post("/api/secret", serde_json::json!({})))
        .await
        .json();
    let b = send(&app_at(T), post("/api/secret", serde_json::json!({})))
        .await
        .json();
    assert_ne!(a["secret"], b["secret"], "random each time");
}

#[tokio::test]
async fn new_secret_bad_input_and_phones() {
    for (json, code) in [
        (serde_json::json!({"bytes": 9}), "invalid_bytes"),
        (serde_json::json!({"bytes": 65}), "invalid_bytes"),
        (serde_json::json!({"issuer": "a:b"}), "invalid_label"),
        (serde_json::json!({"digits": 9}), "invalid_digits"),
        (
            serde_json::json!({"algorithm": "steam"}),
            "invalid_algorithm",
        ),
    ] {
        let answer = send(&app_at(T), post("/api/secret", json.clone())).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()["error"].as_str()),
            (400, Some(code)),
            "{json}"
        );
    }
    let phone = send(&app_at(T), yemot_post_to("/api/secret", "bytes=20"))
        .await
        .yemot();
    assert!(phone.hangs_up() && phone.codes().is_empty());
}

#[tokio::test]
async fn openapi_describes_every_route_and_error_code() {
    let answer = send(
        &app_at(T),
        Request::get("/openapi.json").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/json");
    let spec = answer.json();
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));

    let mut described = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    assert_eq!(
        described, routed,
        "openapi.json and ROUTES list the same routes"
    );

    // Each listed route exists in the router: not a 404 or 405.
    for &Route { method, path, .. } in ROUTES {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap();
        let status = send(&app_at(T), req).await.status.as_u16();
        assert!(
            status != 404 && status != 405,
            "{method} {path} answered {status}"
        );
    }

    let listed: BTreeSet<&str> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let codes: BTreeSet<&str> = Error::ALL.iter().map(Error::code).collect();
    assert_eq!(
        listed, codes,
        "every error code is documented, and nothing else"
    );

    // Every $ref points at a schema that exists.
    let text = answer.body.as_str();
    for piece in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(
            spec["components"]["schemas"].get(name).is_some(),
            "dangling $ref {name}"
        );
    }
}

const TOKEN: &str = "test-access-token-0123456789";

fn gated() -> yemot_2fa::http::App {
    let tokens = AccessTokens::parse(&format!("another-token-abcdefghij,{TOKEN}")).unwrap();
    app(AppState::with_clock(Clock::manual(T)).with_tokens(tokens))
}

#[tokio::test]
async fn the_access_token_gates_every_api_route() {
    let router = gated();
    let bodies = [
        ("/api/2fa", format!(r#"{{"secret":"{RFC_SHA1}"}}"#)),
        (
            "/api/verify",
            format!(r#"{{"secret":"{RFC_SHA1}","code":"123456"}}"#),
        ),
        ("/api/secret", "{}".to_owned()),
    ];
    for (path, body) in &bodies {
        let request = |auth: Option<&str>, body: String| {
            let mut r = Request::post(*path).header(header::CONTENT_TYPE, "application/json");
            if let Some(a) = auth {
                r = r.header(header::AUTHORIZATION, a);
            }
            r.body(Body::from(body)).unwrap()
        };
        for auth in [
            None,
            Some("Bearer wrong-token-0123456789"),
            Some(&format!("Basic {TOKEN}")[..]),
        ] {
            let answer = send(&router, request(auth, body.clone())).await;
            assert_eq!(answer.status, 401, "{path} with {auth:?}");
            assert_eq!(answer.json()["error"], "unauthorized");
            assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
        }
        let bearer = send(
            &router,
            request(Some(&format!("Bearer {TOKEN}")), body.clone()),
        )
        .await;
        assert_eq!(
            bearer.status, 200,
            "{path} with a bearer token: {}",
            bearer.body
        );
        let mut with_param: serde_json::Value = serde_json::from_str(body).unwrap();
        with_param["token"] = TOKEN.into();
        let param = send(&router, request(None, with_param.to_string())).await;
        assert_eq!(param.status, 200, "{path} with token=: {}", param.body);
    }
    for open in ["/health", "/openapi.json"] {
        let answer = send(&router, Request::get(open).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, 200, "{open} needs no token");
    }
}

#[tokio::test]
async fn a_yemot_extension_without_the_token_hears_a_refusal() {
    let router = gated();
    let refused = send(
        &router,
        yemot_post(&format!("{CALL_PARAMS}&secret={RFC_SHA1}")),
    )
    .await
    .yemot();
    assert!(refused.codes().is_empty() && refused.hangs_up());
    assert!(refused.text().contains("אסימון גישה"), "{}", refused.text());
    let english = send(&router, yemot_post(&format!("secret={RFC_SHA1}&lang=en")))
        .await
        .yemot();
    assert!(
        english
            .text()
            .starts_with("The server requires an access token")
    );
    let allowed = send(
        &router,
        yemot_post(&format!("{CALL_PARAMS}&secret={RFC_SHA1}&token={TOKEN}")),
    )
    .await
    .yemot();
    assert_eq!(allowed.codes()[0], "005924");
    for body in [&refused.commands, &allowed.commands] {
        assert!(!body.iter().any(|(_, v)| v.contains(TOKEN)));
    }
}

#[tokio::test]
async fn every_error_status_uses_the_json_error_shape() {
    let cases = [
        (
            Request::get("/api/verify").body(Body::empty()).unwrap(),
            405,
            "method_not_allowed",
        ),
        (
            Request::get("/api/secret").body(Body::empty()).unwrap(),
            405,
            "method_not_allowed",
        ),
        (
            Request::get("/api/nothing").body(Body::empty()).unwrap(),
            404,
            "not_found",
        ),
        (
            Request::post("/api/verify")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .body(Body::from("--x--"))
                .unwrap(),
            415,
            "unsupported_media_type",
        ),
        (
            Request::post("/api/secret")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(format!(
                    "{{\"pad\":\"{}\"}}",
                    "x".repeat(17_000)
                )))
                .unwrap(),
            413,
            "payload_too_large",
        ),
    ];
    for (req, status, code) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let answer = send(&app_at(T), req).await;
        assert_eq!(answer.status.as_u16(), status, "{what}");
        assert_eq!(answer.content_type(), "application/json", "{what}");
        assert_eq!(answer.json()["error"], code, "{what}");
        assert!(answer.json()["message"].is_string());
    }
}

#[tokio::test]
async fn the_setup_page_and_its_assets_are_served_with_strict_headers() {
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
        ("/assets/jsQR.js", "text/javascript; charset=utf-8"),
    ] {
        let answer = send(&app_at(T), Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.content_type(), content_type, "{path}");
        let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self';")
                && csp.contains("connect-src 'self'"),
            "{csp}"
        );
        assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(answer.headers[header::REFERRER_POLICY], "no-referrer");
        assert!(
            !answer.body.contains("https://") || path == "/assets/jsQR.js",
            "{path} names no other origin"
        );
    }
    let info = send(
        &app_at(T),
        Request::get("/setup.json")
            .header(header::HOST, "codes.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    // Without PUBLIC_URL the page writes its own origin: no Host or proxy header decides it.
    assert_eq!(
        info,
        serde_json::json!({"public_url": null, "sealing": false, "access_token": false, "twilio_signed": false})
    );
    let pinned = app(AppState::with_clock(Clock::manual(T))
        .with_public_url(Some("https://codes.example".into())));
    let info = send(
        &pinned,
        Request::get("/setup.json").body(Body::empty()).unwrap(),
    )
    .await
    .json();
    assert_eq!(info["public_url"], "https://codes.example");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Any issuer and account within the documented bound (100 bytes, no colon, no control
    /// character) get a secret whose QR code holds its URI; past the bound, `invalid_label`.
    /// Never a 5xx: the bound is checked before any drawing.
    #[test]
    fn every_label_within_the_bound_gets_its_qr_code_and_none_gets_a_5xx(
        issuer in "[^:\\p{Cc}]{0,40}",
        account in "[^:\\p{Cc}]{1,40}",
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let json = serde_json::json!({"issuer": issuer, "account": account, "bytes": 64, "digits": 8});
        let answer = runtime.block_on(send(&app_at(T), post("/api/secret", json)));
        let fits = |label: &str| label.trim().len() <= yemot_2fa::otp::enroll::MAX_LABEL_BYTES;
        if fits(&issuer) && fits(&account) {
            proptest::prop_assert_eq!(answer.status, 200, "{}", answer.body);
            let json = answer.json();
            proptest::prop_assert_eq!(read_qr(json["qr_png"].as_str().unwrap()), json["uri"].as_str().unwrap());
        } else {
            proptest::prop_assert_eq!(answer.status, 400, "{}", answer.body);
            let error = answer.json()["error"].clone();
            proptest::prop_assert_eq!(error.as_str(), Some("invalid_label"));
        }
    }
}

#[tokio::test]
async fn the_longest_labels_there_are_still_get_their_qr_code() {
    // 100 bytes each: 25 four-byte emoji, 50 Hebrew letters, 100 ASCII letters; with the
    // longest key and 8 digits. The issue that set the bound answered 500 to 100 emoji.
    let emoji = "😀".repeat(25);
    let hebrew = "א".repeat(50);
    let ascii = "A".repeat(100);
    for (issuer, account) in [(&emoji, &emoji), (&hebrew, &emoji), (&ascii, &hebrew)] {
        let json = serde_json::json!({"issuer": issuer, "account": account, "bytes": 64, "digits": 8, "algorithm": "SHA512"});
        let answer = send(&app_at(T), post("/api/secret", json)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let json = answer.json();
        assert_eq!(
            read_qr(json["qr_png"].as_str().unwrap()),
            json["uri"].as_str().unwrap()
        );
    }
    let over = serde_json::json!({"issuer": "😀".repeat(26)});
    let answer = send(&app_at(T), post("/api/secret", over)).await;
    assert_eq!(
        (answer.status.as_u16(), answer.json()["error"].as_str()),
        (400, Some("invalid_label"))
    );
}
