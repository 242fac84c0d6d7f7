//! `mode=verify`: the caller types the code from their app, and only a valid one opens `then`.
//! Turn by turn, with the clock pinned; the codes typed are RFC 6238's own vectors.

use yemot_2fa::call::texts::HE;
use yemot_2fa::http::App;
use yemot_2fa::otp::{Clock, SealKeys};
use yemot_2fa::{AppState, app};

use crate::helpers::*;

/// RFC seed, SHA1: at 1234567890 the code is 89005924 (8 digits), 005924 (6); the step before
/// (1234567860) gives 980357 and two steps before (1234567830) 186057 (oathtool, 6 digits).
const T: u64 = 1234567890;
const NOW: &str = "005924";
const PREVIOUS: &str = "980357";
const TWO_STEPS_OLD: &str = "186057";
const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// One router (one attempt store) for several calls, as one server is.
fn server() -> App {
    app(AppState::with_clock(Clock::manual(T)).with_seal_keys(SealKeys::parse(K1).unwrap()))
}

/// One call: the fields Yemot sends, growing with each answer.
struct Call<'r> {
    router: &'r App,
    body: String,
}

impl<'r> Call<'r> {
    fn new(router: &'r App, adds: &str) -> Self {
        Self {
            router,
            body: format!("{CALL_PARAMS}&mode=verify&then=/5&{adds}"),
        }
    }

    async fn turn(&self) -> Yemot {
        send(self.router, yemot_post(&self.body)).await.yemot()
    }

    /// Types `keys` at the `read` of `reply`.
    async fn press(&mut self, reply: &Yemot, keys: &str) -> Yemot {
        let name = reply.read().expect("asked for keys")[0].clone();
        self.body.push_str(&format!("&{name}={keys}"));
        self.turn().await
    }
}

fn opened(reply: &Yemot) -> bool {
    reply.command("go_to_folder") == Some("/5")
}

#[tokio::test]
async fn the_current_code_opens_then_and_no_code_is_ever_said() {
    let router = server();
    let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = call.turn().await;
    let read = ask.read().unwrap();
    assert_eq!(
        (read[0].as_str(), read[2].as_str(), read[3].as_str()),
        ("code1", "6", "6"),
        "six keys, no more, no less"
    );
    assert_eq!(ask.text(), "נא להקיש את הקוד שמופיע באפליקציית האימות");
    let open = call.press(&ask, NOW).await;
    assert!(opened(&open), "{:?}", open.commands);
    assert_eq!(open.text(), "הקוד אומת בהצלחה");
    assert!(
        open.codes().is_empty() && ask.codes().is_empty(),
        "never said aloud"
    );
}

#[tokio::test]
async fn a_code_that_opened_once_does_not_open_again() {
    let router = server();
    let mut first = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = first.turn().await;
    assert!(opened(&first.press(&ask, NOW).await));
    let mut again = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = again.turn().await;
    let refused = again.press(&ask, NOW).await;
    assert!(!opened(&refused));
    assert!(
        refused.text().contains(HE.verify_used),
        "{}",
        refused.text()
    );
    assert_eq!(refused.read().unwrap()[0], "code2");
}

#[tokio::test]
async fn three_wrong_codes_end_the_call_and_wrong_then_right_opens() {
    let router = server();
    let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let mut reply = call.turn().await;
    for (try_number, wrong) in ["111111", "222222"].iter().enumerate() {
        reply = call.press(&reply, wrong).await;
        assert_eq!(reply.read().unwrap()[0], format!("code{}", try_number + 2));
        assert!(reply.text().starts_with("הקוד שגוי, נא לנסות שוב"));
    }
    let end = call.press(&reply, "333333").await;
    assert!(end.read().is_none() && end.hangs_up() && !opened(&end));
    assert_eq!(end.text(), "הקוד שגוי, להתראות");

    let router = server();
    let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = call.turn().await;
    let retry = call.press(&ask, "111111").await;
    assert!(
        opened(&call.press(&retry, PREVIOUS).await),
        "a step back is within the window"
    );
}

#[tokio::test]
async fn a_code_two_steps_old_does_not_open() {
    let router = server();
    let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = call.turn().await;
    assert!(!opened(&call.press(&ask, TWO_STEPS_OLD).await));
    // With window=2 the owner allows it, and no more: 3 is refused when the call starts.
    let mut wide = Call::new(&router, &format!("secret={RFC_SHA1}&window=2"));
    let ask = wide.turn().await;
    assert!(opened(&wide.press(&ask, TWO_STEPS_OLD).await));
    let too_wide = Call::new(&router, &format!("secret={RFC_SHA1}&window=3"))
        .turn()
        .await;
    assert!(too_wide.read().is_none() && too_wide.text().contains("0, 1 או 2"));
}

#[tokio::test]
async fn a_sealed_eight_digit_sha256_token_verifies_after_its_pin() {
    let router = server();
    let sealed = send(
        &router,
        axum::http::Request::post("/api/seal")
            .body(axum::body::Body::from(format!(
                "secret={RFC_SHA256}&digits=8&algorithm=SHA256&pin=4321"
            )))
            .unwrap(),
    )
    .await
    .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut call = Call::new(&router, &format!("sealed={sealed}"));
    let pin = call.turn().await;
    assert_eq!(pin.read().unwrap()[0], "pin1", "the PIN first");
    let ask = call.press(&pin, "4321").await;
    assert_eq!(ask.read().unwrap()[2], "8");
    // RFC 6238 SHA256 at 1234567890: 91819424.
    assert!(opened(&call.press(&ask, "91819424").await));
}

#[tokio::test]
async fn silence_a_menu_and_steam() {
    let router = server();
    let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = call.turn().await;
    let bye = call.press(&ask, "None").await;
    assert!(bye.hangs_up() && bye.text() == "להתראות");

    let mut menu = Call::new(
        &router,
        &format!("secret_1=JBSWY3DPEHPK3PXP&secret_2={RFC_SHA1}&digits_2=8"),
    );
    let choose = menu.turn().await;
    let ask = menu.press(&choose, "2").await;
    assert_eq!(ask.read().unwrap()[2], "8");
    assert!(opened(&menu.press(&ask, "89005924").await));

    let steam = Call::new(&router, &format!("secret={RFC_SHA1}&kind=steam"))
        .turn()
        .await;
    assert!(
        steam.hangs_up() && steam.text().contains("אותיות"),
        "{}",
        steam.text()
    );
}

#[tokio::test]
async fn verify_mode_needs_a_then_that_does_not_loop() {
    let router = server();
    for (then, says) in [
        ("", "במצב אימות"),
        ("&then=.", "עצמה"),
        ("&then=/2", "עצמה"),
    ] {
        let body = format!("{CALL_PARAMS}&mode=verify&secret={RFC_SHA1}{then}");
        let reply = send(&router, yemot_post(&body)).await.yemot();
        assert!(
            reply.read().is_none() && reply.text().contains(says),
            "{then}: {}",
            reply.text()
        );
    }
    let typo = send(
        &router,
        yemot_post(&format!("mode=verfy&then=/5&secret={RFC_SHA1}")),
    )
    .await
    .yemot();
    assert!(typo.text().contains("read או verify"), "{}", typo.text());
}

#[tokio::test]
async fn many_short_calls_cannot_guess_a_code() {
    let router = server();
    // Each guess in a fresh call: the fifth wrong one locks the account, for every call and
    // for the right code too.
    let mut outcomes = Vec::new();
    for guess in ["000001", "000002", "000003", "000004", "000005", NOW] {
        let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
        let ask = call.turn().await;
        if ask.read().is_none() {
            assert!(ask.text().contains(HE.locked), "{}", ask.text());
            outcomes.push("locked before asking");
            continue;
        }
        let reply = call.press(&ask, guess).await;
        outcomes.push(if opened(&reply) {
            "open"
        } else if reply.text().contains(HE.locked) {
            "locked"
        } else {
            "wrong"
        });
    }
    assert_eq!(
        outcomes,
        [
            "wrong",
            "wrong",
            "wrong",
            "wrong",
            "locked",
            "locked before asking"
        ]
    );
}

#[tokio::test]
async fn a_used_code_and_silence_are_not_guesses() {
    let router = server();
    let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
    let ask = call.turn().await;
    assert!(opened(&call.press(&ask, NOW).await));
    // The caller's app still shows the code: typed again, three tries a call, three calls.
    for _ in 0..3 {
        let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
        let mut reply = call.turn().await;
        for _ in 0..3 {
            reply = call.press(&reply, NOW).await;
            assert!(!opened(&reply));
            assert!(reply.text().contains(HE.verify_used), "{}", reply.text());
            assert!(!reply.text().contains("שגוי"), "never called wrong");
        }
        assert!(reply.hangs_up() && reply.read().is_none());
    }
    // Silence, in ten calls.
    for _ in 0..10 {
        let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
        let ask = call.turn().await;
        let bye = call.press(&ask, "None").await;
        assert!(
            bye.hangs_up() && !bye.text().contains("שגוי"),
            "{}",
            bye.text()
        );
    }
    // None of that was counted: four wrong codes are still only wrong, the fifth locks.
    let mut outcomes = Vec::new();
    for guess in ["000001", "000002", "000003", "000004", "000005"] {
        let mut call = Call::new(&router, &format!("secret={RFC_SHA1}"));
        let ask = call.turn().await;
        let reply = call.press(&ask, guess).await;
        outcomes.push(if reply.text().contains(HE.locked) {
            "locked"
        } else {
            "wrong"
        });
    }
    assert_eq!(outcomes, ["wrong", "wrong", "wrong", "wrong", "locked"]);
}
