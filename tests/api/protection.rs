//! Protection as an attacker meets it: someone who holds a sealed token (or only the URL) and
//! scripts raw HTTP with forged `Api*` fields, starting as many fresh "calls" as they like. Each
//! test tries one way around a protection and shows that it fails.

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::json;
use yemot_2fa::call::texts::HE;
use yemot_2fa::http::App;
use yemot_2fa::otp::SealKeys;
use yemot_2fa::{AppState, app, otp::Clock};

use crate::helpers::*;

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// RFC seed at 1234567890: 89005924 (8 digits).
const T: u64 = 1234567890;
const CODE: &str = "89005924";

fn server() -> (App, Clock) {
    let clock = Clock::manual(T);
    let keys = SealKeys::parse(K1).unwrap();
    let router = app(AppState::with_clock(clock.clone()).with_seal_keys(keys));
    (router, clock)
}

async fn token(router: &App, form: &str) -> String {
    let answer = send(
        router,
        Request::post("/api/seal")
            .body(Body::from(form.to_owned()))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200, "{form}: {}", answer.body);
    answer.json()["token"].as_str().unwrap().to_owned()
}

fn json_to(path: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The spoken text of a reply that ends the call because the caller or account is locked.
const LOCKED: &str = HE.locked;

/// A phone turn from `phone` that types `pin` for `sealed`, as a fresh call.
fn pin_call(sealed: &str, phone: &str, pin: &str) -> Request<Body> {
    let params = CALL_PARAMS.replace("ApiPhone=0501234567", &format!("ApiPhone={phone}"));
    yemot_post(&format!("{params}&sealed={sealed}&pin1={pin}"))
}

fn retry_after(answer: &Answer) -> u64 {
    answer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_sealed_pin_cannot_be_brute_forced_by_starting_fresh_calls() {
    let (router, clock) = server();
    let sealed = token(&router, &format!("secret={RFC_SHA1}&digits=8&pin=7351")).await;
    // Every guess is a new "call" from the same number: nothing of the earlier ones is sent
    // again. The right PIN comes at guess 7351, long after the lock.
    let (mut heard_code, mut wrong, mut locked) = (0, 0, 0);
    for guess in 0..=9999u32 {
        let reply = send(
            &router,
            pin_call(&sealed, "0529999999", &format!("{guess:04}")),
        )
        .await
        .yemot();
        if reply.codes().iter().any(|c| c == CODE) {
            heard_code += 1;
        } else if reply.text().contains(LOCKED) {
            locked += 1;
        } else {
            wrong += 1;
        }
    }
    assert_eq!(
        (heard_code, wrong, locked),
        (0, 4, 9996),
        "four wrong guesses are told so, the fifth locks that number, and then nothing opens \
         it, not even the right PIN"
    );

    // The stranger has not locked the owner out: another number with the right PIN hears it.
    let owner = send(&router, pin_call(&sealed, "0501234567", "7351"))
        .await
        .yemot();
    assert_eq!(owner.codes(), [CODE, CODE], "{}", owner.text());

    // A new number for every guess (ApiPhone is forged at will): the account-wide bound holds.
    // 5 of the day's 20 places went to the first number; the owner's right PIN gave its own back.
    let mut judged = 0;
    for guess in 0..1000u32 {
        let reply = send(&router, pin_call(&sealed, &format!("05{guess:08}"), "0000"))
            .await
            .yemot();
        if !reply.text().contains(LOCKED) {
            judged += 1;
        }
    }
    assert_eq!(
        judged, 14,
        "15 more guesses reach 20: the 20th is told it locked"
    );
    // Now nobody gets in, the owner neither, by phone or by JSON, until the day is over.
    let owner = send(&router, pin_call(&sealed, "0501234567", "7351"))
        .await
        .yemot();
    assert!(owner.codes().is_empty() && owner.text().contains(LOCKED));
    let right = json_to("/api/2fa", json!({"sealed": sealed, "pin": "7351"}));
    let answer = send(&router, right).await;
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.json()["error"], "locked");
    let retry = retry_after(&answer);
    assert!(retry > 86_000 && retry <= 86_400, "{retry}");

    // When the day has passed, the right PIN opens again.
    clock.set(T + retry);
    let open = send(&router, pin_call(&sealed, "0501234567", "7351"))
        .await
        .yemot();
    assert_eq!(open.codes().len(), 2, "{}", open.text());
    assert_eq!(open.codes()[0].len(), 8);
}

#[tokio::test]
async fn each_failure_after_a_lock_locks_its_source_longer_and_the_right_pin_clears_it() {
    let (router, clock) = server();
    let sealed = token(&router, &format!("secret={RFC_SHA1}&digits=8&pin=7351")).await;
    let json = |pin: &str| json_to("/api/2fa", json!({"sealed": sealed, "pin": pin}));
    for guess in ["0000", "1111", "2222", "3333", "5555"] {
        assert_eq!(send(&router, json(guess)).await.status, 403);
    }
    let first = send(&router, json("7351")).await;
    assert_eq!(first.status, 429);
    assert_eq!(retry_after(&first), 300);
    clock.set(T + 300);
    assert_eq!(send(&router, json("6666")).await.status, 403);
    let longer = send(&router, json("7351")).await;
    assert_eq!(
        retry_after(&longer),
        600,
        "each further failure locks longer"
    );
    clock.set(T + 900);
    assert_eq!(send(&router, json("7351")).await.status, 200);
    // The right PIN cleared this source's failures: one slip no longer locks at once.
    assert_eq!(send(&router, json("0000")).await.status, 403);
    assert_eq!(send(&router, json("7351")).await.status, 200);
}

#[tokio::test]
async fn json_pin_guesses_count_and_lock_with_429() {
    let (router, _) = server();
    let sealed = token(&router, &format!("secret={RFC_SHA1}&pin=4321")).await;
    for guess in ["0000", "1111", "2222", "3333", "5555"] {
        let answer = send(
            &router,
            json_to("/api/2fa", json!({"sealed": sealed, "pin": guess})),
        )
        .await;
        assert_eq!(answer.json()["error"], "pin_required", "{guess}");
    }
    let right = send(
        &router,
        json_to("/api/2fa", json!({"sealed": sealed, "pin": "4321"})),
    )
    .await;
    assert_eq!(
        (right.status.as_u16(), right.json()["error"].as_str()),
        (429, Some("locked"))
    );
    // HTTP clients are one source: they locked themselves, not the owner's phone.
    let call = send(
        &router,
        yemot_post(&format!("{CALL_PARAMS}&sealed={sealed}&pin1=4321")),
    )
    .await
    .yemot();
    assert_eq!(call.codes().len(), 2, "{}", call.text());
}

#[tokio::test]
async fn one_tokens_lock_never_touches_another() {
    let (router, _) = server();
    let victim = token(&router, &format!("secret={RFC_SHA1}&pin=4321")).await;
    let other = token(&router, "secret=JBSWY3DPEHPK3PXP&pin=4321").await;
    for guess in ["0000", "1111", "2222", "3333", "5555", "6666"] {
        send(
            &router,
            json_to("/api/2fa", json!({"sealed": victim, "pin": guess})),
        )
        .await;
    }
    let answer = send(
        &router,
        json_to("/api/2fa", json!({"sealed": other, "pin": "4321"})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn verify_is_no_side_door_around_a_sealed_pin_or_allow_list() {
    let (router, _) = server();
    let with_pin = token(&router, &format!("secret={RFC_SHA1}&digits=8&pin=4321")).await;
    let verify = |body: serde_json::Value| {
        let router = router.clone();
        async move { send(&router, json_to("/api/verify", body)).await }
    };
    let no_pin = verify(json!({"sealed": with_pin, "code": CODE})).await;
    assert_eq!(
        (no_pin.status.as_u16(), no_pin.json()["error"].as_str()),
        (403, Some("pin_required"))
    );
    let ok = verify(json!({"sealed": with_pin, "pin": "4321", "code": CODE})).await;
    assert_eq!(ok.json()["valid"], true);

    let wide = verify(json!({"sealed": with_pin, "pin": "4321", "code": CODE, "window": 10})).await;
    assert_eq!(
        wide.json()["error"],
        "invalid_window",
        "the window has a small cap"
    );

    // Guessing codes: five wrong ones, then even the right code is refused.
    for guess in ["00000000", "11111111", "22222222", "33333333", "44444444"] {
        let answer = verify(json!({"sealed": with_pin, "pin": "4321", "code": guess})).await;
        assert_eq!(answer.json()["valid"], false, "{guess}");
    }
    let locked = verify(json!({"sealed": with_pin, "pin": "4321", "code": CODE})).await;
    assert_eq!(
        (locked.status.as_u16(), locked.json()["error"].as_str()),
        (429, Some("locked"))
    );

    // A plain secret's codes are counted too: guessing through verify locks it.
    for guess in ["000000", "111111", "222222", "333333", "444444"] {
        verify(json!({"secret": RFC_SHA1, "code": guess})).await;
    }
    let plain = verify(json!({"secret": RFC_SHA1, "code": "005924"})).await;
    assert_eq!(plain.status, 429);

    // An allow-listed token: no JSON client is on the list; Yemot with a listed caller is.
    let listed = token(&router, "secret=JBSWY3DPEHPK3PXP&allow=0501234567").await;
    let json = verify(json!({"sealed": listed, "code": "123456"})).await;
    assert_eq!(
        (json.status.as_u16(), json.json()["error"].as_str()),
        (403, Some("phone_only"))
    );
    let yemot = |phone: &str| {
        Request::post("/api/verify")
            .header(header::USER_AGENT, "yemot-core-api/1.0")
            .body(Body::from(format!(
                "sealed={listed}&code=123456&ApiPhone={phone}"
            )))
            .unwrap()
    };
    let stranger = send(&router, yemot("0529999999")).await.yemot();
    assert!(stranger.text().contains("נחסמה"), "{}", stranger.text());
    let owner = send(&router, yemot("0501234567")).await.yemot();
    assert_eq!(owner.text(), "הקוד שגוי", "checked, not refused");
}

#[tokio::test]
async fn a_token_sealed_by_the_attacker_reveals_nothing_of_the_victims_pin() {
    let (router, _) = server();
    // Two victims whose PINs differ; the attacker's own token has PIN 1111, the first victim's.
    let victim_a = token(&router, &format!("secret={RFC_SHA1}&pin=1111")).await;
    let victim_b = token(&router, &format!("secret={RFC_SHA1}&pin=2222")).await;
    let own = token(&router, "secret=JBSWY3DPEHPK3PXP&pin=1111").await;
    for shape in [
        "sealed={v}&sealed_1={own}",
        "sealed_1={v}&sealed_2={own}",
        "sealed_1={v}&sealed_2={own}&acct=2",
        "sealed_1={v}&sealed_2={own}&acct=2&pin1=1111",
        "sealed_1={v}&sealed_2={own}&acct=1",
        "sealed_1={own}&sealed_2={v}&acct=1&pin1=1111",
    ] {
        let body = |victim: &str| {
            let adds = shape.replace("{v}", victim).replace("{own}", &own);
            format!("{CALL_PARAMS}&{adds}")
        };
        let a = send(&router, yemot_post(&body(&victim_a))).await.body;
        let b = send(&router, yemot_post(&body(&victim_b))).await.body;
        assert_eq!(a, b, "{shape}: the answer differs with the victim's PIN");
    }
}

#[tokio::test]
async fn nothing_written_beside_a_token_changes_its_code_or_its_protection() {
    let (router, _) = server();
    let sealed = token(&router, &format!("secret={RFC_SHA1}&digits=8")).await;
    // Options a stranger might add beside the token, single and in a menu.
    let beside = "digits=6&algorithm=SHA256&period=60&kind=steam&secret=JBSWY3DPEHPK3PXP";
    let single = send(
        &router,
        yemot_post(&format!("{CALL_PARAMS}&sealed={sealed}&{beside}")),
    )
    .await
    .yemot();
    assert_eq!(single.codes(), [CODE, CODE]);
    let menu = format!(
        "{CALL_PARAMS}&sealed_1={sealed}&digits_1=6&kind_1=steam&secret_2=JBSWY3DPEHPK3PXP&{beside}&acct=1"
    );
    let chosen = send(&router, yemot_post(&menu)).await.yemot();
    assert_eq!(chosen.codes(), [CODE, CODE]);

    // A sealed allow-list belongs to its account alone: a caller allowed for B does not hear A.
    let a = token(
        &router,
        &format!("secret={RFC_SHA1}&digits=8&allow=0501111111"),
    )
    .await;
    let b = token(&router, "secret=JBSWY3DPEHPK3PXP&allow=0502222222").await;
    let call =
        |acct: &str, phone: &str| format!("sealed_1={a}&sealed_2={b}&acct={acct}&ApiPhone={phone}");
    let b_caller_on_a = send(&router, yemot_post(&call("1", "0502222222")))
        .await
        .yemot();
    assert!(b_caller_on_a.codes().is_empty(), "{}", b_caller_on_a.text());
    let a_caller_on_a = send(&router, yemot_post(&call("1", "0501111111")))
        .await
        .yemot();
    assert_eq!(a_caller_on_a.codes(), [CODE, CODE]);
}

#[tokio::test]
async fn every_token_sealing_hands_out_opens_and_too_long_ones_are_refused() {
    let (router, _) = server();
    let long_name = "ש".repeat(2000);
    let refused = send(
        &router,
        Request::post("/api/seal")
            .body(Body::from(format!(
                "secret={RFC_SHA1}&name={}",
                enc(&long_name)
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(
        (refused.status.as_u16(), refused.json()["error"].as_str()),
        (400, Some("sealed_too_long"))
    );

    // The longest tokens sealing gives: a 128-byte key, the longest name that fits, a list of
    // numbers. Nine of them make a menu, by POST and by GET: every one opens.
    let key = base32(&[7u8; 128]);
    let mut name_len = 700;
    let big = loop {
        let form = format!(
            "secret={key}&name={}&allow=0501234567,0527654321,0541111111&pin=12345678",
            "n".repeat(name_len)
        );
        let answer = send(
            &router,
            Request::post("/api/seal").body(Body::from(form)).unwrap(),
        )
        .await;
        if answer.status == 200 {
            break answer.json()["token"].as_str().unwrap().to_owned();
        }
        name_len -= 10;
    };
    assert!(big.len() > 1000 && big.len() <= 1024, "{}", big.len());
    let menu: String = (1..=9).map(|n| format!("&sealed_{n}={big}")).collect();
    let post = send(
        &router,
        yemot_post(&format!("{CALL_PARAMS}{menu}&acct=9&pin1=12345678")),
    )
    .await
    .yemot();
    assert_eq!(post.codes().len(), 2, "{}", post.text());
    let get = send(
        &router,
        yemot_get(&format!("{CALL_PARAMS}{menu}&acct=9&pin1=12345678")),
    )
    .await
    .yemot();
    assert_eq!(get.codes().len(), 2, "{}", get.text());
}

#[tokio::test]
async fn silence_at_the_pin_is_never_counted() {
    let (router, _) = server();
    let sealed = token(&router, &format!("secret={RFC_SHA1}&digits=8&pin=7351")).await;
    for _ in 0..10 {
        let silent = format!("{CALL_PARAMS}&sealed={sealed}&pin1=None&pin2=&pin3=None");
        let bye = send(&router, yemot_post(&silent)).await.yemot();
        assert!(bye.hangs_up() && bye.codes().is_empty());
        assert_eq!(bye.text(), HE.goodbye, "never called a wrong PIN");
    }
    let mut heard = Vec::new();
    for guess in ["0000", "1111", "2222", "3333", "5555"] {
        let reply = send(&router, pin_call(&sealed, "0501234567", guess))
            .await
            .yemot();
        heard.push(reply.text().contains(LOCKED));
    }
    assert_eq!(
        heard,
        [false, false, false, false, true],
        "all five failures were left"
    );
}

#[tokio::test]
async fn a_plain_pin_before_a_menu_counts_against_the_chosen_account_alone() {
    let (router, _) = server();
    // The RFC key is locked for this caller, from another extension where it stands alone.
    for guess in ["0000", "1111", "2222", "3333", "5555"] {
        let body = format!("{CALL_PARAMS}&secret={RFC_SHA1}&pin=2468&pin1={guess}");
        send(&router, yemot_post(&body)).await;
    }
    let menu =
        format!("{CALL_PARAMS}&secret_1={RFC_SHA1}&digits_1=8&secret_2=JBSWY3DPEHPK3PXP&pin=2468");
    // The other account of the menu still opens with the PIN.
    let other = send(&router, yemot_post(&format!("{menu}&acct=2&pin1=2468")))
        .await
        .yemot();
    assert_eq!(other.codes(), ["742275", "742275"], "{}", other.text());
    let locked = send(&router, yemot_post(&format!("{menu}&acct=1&pin1=2468")))
        .await
        .yemot();
    assert!(locked.text().contains(LOCKED), "{}", locked.text());
    // A wrong PIN typed for account 2 is only wrong: it counts against account 2 alone.
    let wrong = send(&router, yemot_post(&format!("{menu}&acct=2&pin1=9999")))
        .await
        .yemot();
    assert!(!wrong.text().contains(LOCKED), "{}", wrong.text());
}

#[tokio::test]
async fn only_the_latest_pin_attempt_is_judged() {
    let (router, _) = server();
    let sealed = token(&router, &format!("secret={RFC_SHA1}&digits=8&pin=7351")).await;
    let turn = |attempts: &str| yemot_post(&format!("{CALL_PARAMS}&sealed={sealed}&{attempts}"));
    // An early right attempt does not unlock a later wrong one.
    let later_wrong = send(&router, turn("pin1=7351&pin2=0000")).await.yemot();
    assert!(later_wrong.codes().is_empty(), "{}", later_wrong.text());
    assert_eq!(later_wrong.read().unwrap()[0], "pin3");
    let later_right = send(&router, turn("pin1=0000&pin2=7351")).await.yemot();
    assert_eq!(later_right.codes(), [CODE, CODE]);
    // Names Yemot was never asked under are not attempts.
    let odd = send(&router, turn("pin01=7351&pin+1=7351&pin4=7351"))
        .await
        .yemot();
    assert!(odd.codes().is_empty() && odd.read().unwrap()[0] == "pin1");
}
