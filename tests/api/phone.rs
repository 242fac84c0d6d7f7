//! The phone flow, turn by turn, with a clock the test moves: repeat and rollover, the
//! low-seconds warning, the account menu, PIN and allow-list, English, Steam, hang-up at every
//! step. Every reply passes the test-side grammar check (`Answer::yemot`).

use axum::body::Body;
use axum::http::Request;
use yemot_2fa::http::App;
use yemot_2fa::{AppState, app, otp::Clock};

use crate::helpers::*;

/// RFC seed, 8 digits: t=1234567890 → 89005924 (30 s left); t=2000000000 → 69279037.
const FRESH: u64 = 1234567890;

/// One call: the parameters Yemot would re-send, growing with each answer.
struct Call {
    router: App,
    clock: Clock,
    params: Vec<(String, String)>,
}

impl Call {
    fn new(at: u64, adds: &[(&str, &str)]) -> Self {
        let clock = Clock::manual(at);
        let mut params: Vec<(String, String)> = serde_urlencoded::from_str(CALL_PARAMS).unwrap();
        params.extend(adds.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Self {
            router: app(AppState::with_clock(clock.clone())),
            clock,
            params,
        }
    }

    async fn turn(&self) -> Yemot {
        let body = serde_urlencoded::to_string(&self.params).unwrap();
        send(&self.router, yemot_post(&body)).await.yemot()
    }

    /// The caller types `keys` at the `read` of `reply`; returns the next reply.
    async fn press(&mut self, reply: &Yemot, keys: &str) -> Yemot {
        let name = reply.read().expect("the server asked for keys")[0].clone();
        self.params.push((name, keys.to_owned()));
        self.turn().await
    }

    async fn hang_up(&mut self) {
        self.params.push(("hangup".into(), "yes".into()));
        self.params.push(("ApiHangupExtension".into(), "/2".into()));
        let body = serde_urlencoded::to_string(&self.params).unwrap();
        let answer = send(&self.router, yemot_post(&body)).await;
        assert_eq!((answer.status.as_u16(), answer.body.as_str()), (200, ""));
    }
}

#[tokio::test]
async fn pressing_one_repeats_and_a_rollover_gives_the_new_code() {
    let mut call = Call::new(FRESH, &[("secret", RFC_SHA1), ("digits", "8")]);
    let first = call.turn().await;
    assert_eq!(first.codes(), ["89005924", "89005924"]);
    assert_eq!(first.read().unwrap()[0], "rep1");

    call.clock.set(FRESH + 10);
    let second = call.press(&first, "1").await;
    assert_eq!(second.codes()[0], "89005924", "same step, same code");
    assert_eq!(second.read().unwrap()[0], "rep2", "a fresh name per round");

    call.clock.set(2000000000);
    let third = call.press(&second, "1").await;
    assert_eq!(
        third.codes(),
        ["69279037", "69279037"],
        "recomputed after the rollover"
    );
    call.hang_up().await;
}

#[tokio::test]
async fn any_other_key_or_silence_says_goodbye_and_ends() {
    for keys in ["2", "*", "None"] {
        let mut call = Call::new(FRESH, &[("secret", RFC_SHA1)]);
        let first = call.turn().await;
        let end = call.press(&first, keys).await;
        assert!(end.codes().is_empty(), "{keys}");
        assert_eq!(end.text(), "להתראות");
        assert!(end.hangs_up());
    }
}

#[tokio::test]
async fn repeats_are_capped_at_five() {
    let mut call = Call::new(FRESH, &[("secret", RFC_SHA1)]);
    let mut reply = call.turn().await;
    for round in 1..=5 {
        assert_eq!(reply.read().unwrap()[0], format!("rep{round}"));
        reply = call.press(&reply, "1").await;
    }
    assert!(reply.read().is_none(), "no sixth prompt");
    assert_eq!(
        reply.codes().len(),
        2,
        "the last reading still says the code"
    );
    assert!(reply.text().ends_with("להתראות") && reply.hangs_up());
}

#[tokio::test]
async fn near_a_steps_end_the_caller_hears_the_next_code_and_when_it_starts() {
    // 5 s before 1234567890: the current code would expire before it could be typed, so it is
    // never said; the next one is, and when it starts.
    let mut call = Call::new(FRESH - 5, &[("secret", RFC_SHA1), ("digits", "8")]);
    let first = call.turn().await;
    assert_eq!(
        first.text(),
        "הקוד הבא, שיתחיל לפעול בעוד | שניות, הוא | שוב | לשמיעה חוזרת הקישו 1"
    );
    assert_eq!(
        first.codes(),
        ["89005924", "89005924"],
        "the RFC vector of the next step, and nothing else"
    );
    assert!(first.items().contains(&Item::Other("n-5".into())));

    // Two seconds later the caller presses 1: the next code again, 3 s before it starts.
    call.clock.set(FRESH - 3);
    let next = call.press(&first, "1").await;
    assert_eq!(
        next.codes(),
        ["89005924", "89005924"],
        "the RFC vector of the next step"
    );
    assert!(
        next.text()
            .starts_with("הקוד הבא, שיתחיל לפעול בעוד | שניות, הוא"),
        "{}",
        next.text()
    );
    assert!(next.items().contains(&Item::Other("n-3".into())));
    assert_eq!(next.read().unwrap()[0], "rep2");
}

#[tokio::test]
async fn warning_threshold_and_always_seconds_are_settable() {
    let silent = Call::new(FRESH - 5, &[("secret", RFC_SHA1), ("warn_below", "0")])
        .turn()
        .await;
    assert_eq!(silent.text(), "הקוד הוא | שוב | לשמיעה חוזרת הקישו 1");

    let early = Call::new(FRESH - 20, &[("secret", RFC_SHA1), ("warn_below", "25")])
        .turn()
        .await;
    assert!(early.text().starts_with("הקוד הבא"), "{}", early.text());
    assert_eq!(early.codes(), ["005924", "005924"]);

    let always = Call::new(FRESH - 20, &[("secret", RFC_SHA1), ("seconds", "yes")])
        .turn()
        .await;
    assert_eq!(
        always.text(),
        "הקוד הוא | שוב | לקוד הזה נותרו | שניות | לשמיעה חוזרת הקישו 1"
    );
    assert!(always.items().contains(&Item::Other("n-20".into())));

    let bad = Call::new(FRESH, &[("secret", RFC_SHA1), ("warn_below", "soon")])
        .turn()
        .await;
    assert!(bad.codes().is_empty() && bad.hangs_up());
}

#[tokio::test]
async fn several_accounts_get_a_menu_and_the_repeat_stays_on_the_choice() {
    let google_uri =
        format!("otpauth://totp/Bank:me?secret={RFC_SHA256}&issuer=Bank&algorithm=SHA256");
    let mut call = Call::new(
        FRESH,
        &[
            ("secret_1", "JBSWY3DPEHPK3PXP"),
            ("name_1", "גוגל"),
            ("secret_2", &google_uri),
            ("digits_2", "8"),
            ("secret_4", RFC_SHA512),
            ("algorithm", "SHA512"),
        ],
    );
    let menu = call.turn().await;
    assert_eq!(
        menu.codes(),
        ["1", "2", "4"],
        "only the menu keys, no code before the choice"
    );
    assert_eq!(
        menu.text(),
        "לקוד של גוגל הקישו | לקוד של Bank הקישו | לקוד של חשבון 4 הקישו"
    );
    let read = menu.read().unwrap();
    assert_eq!(
        (read[0].as_str(), read[9].as_str()),
        ("acct", "124"),
        "only listed keys"
    );
    assert_eq!(
        (read[10].as_str(), read[11].as_str()),
        ("2", "Ok"),
        "the menu plays twice, then silence is an answer"
    );

    let chosen = call.press(&menu, "2").await;
    // Account 2: the RFC SHA256 seed, 8 digits by digits_2, at 1234567890.
    assert_eq!(chosen.codes(), ["91819424", "91819424"]);
    let again = call.press(&chosen, "1").await;
    assert_eq!(
        again.codes()[0],
        "91819424",
        "the repeat reads the chosen account"
    );
    call.hang_up().await;

    // Account 4 takes the unnumbered algorithm=SHA512 (6 digits: the last six of 93441116).
    let mut call = Call::new(
        FRESH,
        &[
            ("secret_1", RFC_SHA1),
            ("secret_4", RFC_SHA512),
            ("algorithm_1", "SHA1"),
            ("algorithm", "SHA512"),
        ],
    );
    let menu = call.turn().await;
    assert_eq!(call.press(&menu, "4").await.codes()[0], "441116");
    assert_eq!(call.press(&menu, "1").await.codes()[0], "005924");
}

#[tokio::test]
async fn a_menu_choice_that_matches_no_account_ends_the_call() {
    let mut call = Call::new(FRESH, &[("secret_1", RFC_SHA1), ("secret_2", RFC_SHA1)]);
    let menu = call.turn().await;
    let reply = call.press(&menu, "7").await;
    assert_eq!(reply.text(), "הבחירה שגויה, להתראות");
    assert!(reply.codes().is_empty() && reply.hangs_up());
}

#[tokio::test]
async fn a_bad_account_in_the_menu_is_spoken() {
    let reply = Call::new(FRESH, &[("secret_1", RFC_SHA1), ("secret_2", "JBSW1")])
        .turn()
        .await;
    assert!(reply.text().contains("המפתח הסודי שהוגדר בשלוחה שגוי") && reply.hangs_up());
}

#[tokio::test]
async fn the_pin_is_asked_first_and_three_wrong_attempts_end_the_call_without_a_digit() {
    let mut call = Call::new(FRESH, &[("secret", RFC_SHA1), ("pin", "4321")]);
    let mut replies = vec![call.turn().await];
    for attempt in 1..=3 {
        let reply = replies.last().unwrap();
        let read = reply.read().expect("asked for the PIN");
        assert_eq!(read[0], format!("pin{attempt}"));
        assert_eq!(read[5], "No", "typed digits are not played back");
        assert_eq!(read[14], "no", "no confirmation prompt");
        let next = call.press(reply, "1111").await;
        replies.push(next);
    }
    assert_eq!(replies[0].text(), "נא להקיש את הקוד האישי ובסיומו סולמית");
    assert_eq!(
        replies[1].text(),
        "הקוד האישי שגוי, נא לנסות שוב | נא להקיש את הקוד האישי ובסיומו סולמית"
    );
    assert_eq!(replies[3].text(), "הקוד האישי שגוי, להתראות");
    assert!(replies[3].hangs_up() && replies[3].read().is_none());
    for reply in &replies {
        assert!(
            reply.codes().is_empty(),
            "no digit of a code is said: {reply:?}"
        );
    }
    call.hang_up().await;
}

#[tokio::test]
async fn the_right_pin_opens_the_code_and_stays_checked_on_every_turn() {
    let mut call = Call::new(
        FRESH,
        &[("secret", RFC_SHA1), ("digits", "8"), ("pin", "04321")],
    );
    let ask = call.turn().await;
    assert!(ask.codes().is_empty());
    let wrong = call.press(&ask, "4321").await;
    assert!(wrong.codes().is_empty(), "leading zero matters");
    let code = call.press(&wrong, "04321").await;
    assert_eq!(code.codes(), ["89005924", "89005924"]);
    let again = call.press(&code, "1").await;
    assert_eq!(again.codes()[0], "89005924");
    for reply in [&ask, &wrong, &code, &again] {
        assert!(
            !reply.commands.iter().any(|(_, v)| v.contains("4321")),
            "the PIN is never said"
        );
    }
    // Silence takes one of the call's three attempts rather than looping, and is not wrong.
    let mut call = Call::new(FRESH, &[("secret", RFC_SHA1), ("pin", "4321")]);
    let ask = call.turn().await;
    let again = call.press(&ask, "None").await;
    assert_eq!(again.read().unwrap()[0], "pin2");
    assert!(!again.text().contains("שגוי"), "{}", again.text());
}

#[tokio::test]
async fn a_bad_pin_setting_is_spoken_without_the_pin() {
    let reply = Call::new(FRESH, &[("secret", RFC_SHA1), ("pin", "12a45")])
        .turn()
        .await;
    assert!(reply.text().contains("הקוד האישי שהוגדר בשלוחה שגוי"));
    assert!(!reply.commands.iter().any(|(_, v)| v.contains("12a45")));
}

#[tokio::test]
async fn only_allowed_callers_hear_codes() {
    let allow = ("allow", "+972-50-123-4567, 0527654321");
    // CALL_PARAMS says ApiPhone=0501234567.
    let allowed = Call::new(FRESH, &[("secret", RFC_SHA1), allow])
        .turn()
        .await;
    assert_eq!(allowed.codes()[0], "005924");

    let mut stranger = Call::new(FRESH, &[("secret", RFC_SHA1), allow]);
    stranger
        .params
        .push(("ApiPhone".into(), "0509999999".into()));
    let refused = stranger.turn().await;
    assert!(refused.codes().is_empty() && refused.hangs_up());
    assert_eq!(
        refused.text(),
        "מספר הטלפון שממנו התקשרתם אינו מורשה לשמוע קודים, להתראות"
    );
    assert!(
        !refused
            .commands
            .iter()
            .any(|(_, v)| v.contains("0527654321") || v.contains("0509999999"))
    );

    let mut unknown = Call::new(FRESH, &[("secret", RFC_SHA1), allow]);
    unknown.params.retain(|(k, _)| k != "ApiPhone");
    let reply = unknown.turn().await;
    assert!(reply.codes().is_empty());
    assert!(
        reply.text().contains("לאפשר שליחת מספר המתקשר"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn allow_list_and_pin_combine() {
    let stranger = Call::new(
        FRESH,
        &[
            ("secret", RFC_SHA1),
            ("allow", "0527654321"),
            ("pin", "4321"),
        ],
    );
    let refused = stranger.turn().await;
    assert!(
        refused.read().is_none(),
        "a stranger is refused before being asked for the PIN"
    );

    let mut owner = Call::new(
        FRESH,
        &[
            ("secret", RFC_SHA1),
            ("allow", "0501234567"),
            ("pin", "4321"),
        ],
    );
    let ask = owner.turn().await;
    assert_eq!(ask.read().unwrap()[0], "pin1");
    assert_eq!(owner.press(&ask, "4321").await.codes()[0], "005924");
}

#[tokio::test]
async fn menu_then_pin_then_repeat() {
    let mut call = Call::new(
        FRESH,
        &[
            ("secret_1", RFC_SHA1),
            ("name_1", "Google"),
            ("secret_2", RFC_SHA256),
            ("algorithm_2", "SHA256"),
            ("digits", "8"),
            ("pin", "2468"),
        ],
    );
    // The choice comes first, so that the PIN counts against the chosen account alone.
    let menu = call.turn().await;
    assert_eq!(menu.read().unwrap()[0], "acct");
    assert!(
        menu.codes().iter().all(|key| key.len() == 1),
        "only menu keys"
    );
    let ask = call.press(&menu, "2").await;
    assert_eq!(ask.read().unwrap()[0], "pin1");
    let code = call.press(&ask, "2468").await;
    assert_eq!(code.codes()[0], "91819424");
    let again = call.press(&code, "1").await;
    assert_eq!(again.codes()[0], "91819424");
    let end = call.press(&again, "None").await;
    assert!(end.hangs_up() && end.codes().is_empty());
    call.hang_up().await;
}

#[tokio::test]
async fn hang_up_at_every_step_is_answered_empty() {
    let adds = [
        ("secret_1", RFC_SHA1),
        ("secret_2", RFC_SHA1),
        ("pin", "4321"),
    ];
    let presses = ["1", "4321", "1"];
    for stop_after in 0..=presses.len() {
        let mut call = Call::new(FRESH, &adds);
        let mut reply = call.turn().await;
        for keys in &presses[..stop_after] {
            reply = call.press(&reply, keys).await;
        }
        call.hang_up().await;
    }
}

#[tokio::test]
async fn english_voice_custom_intro_and_end_folder() {
    let mut call = Call::new(
        FRESH,
        &[("secret", RFC_SHA1), ("lang", "en"), ("then", "/1/2")],
    );
    let first = call.turn().await;
    // One English text item, the code's digits in it: Yemot reads `d-` items with its Hebrew
    // recordings, and a text that begins in English with an English voice.
    assert_eq!(
        first.text(),
        "The code is, 0 0 5, 9 2 4, Again, 0 0 5, 9 2 4, To hear it again, press 1"
    );
    assert!(first.codes().is_empty(), "no Hebrew digit recordings");
    let end = call.press(&first, "9").await;
    assert_eq!(end.text(), "Goodbye");
    assert_eq!(end.command("go_to_folder"), Some("/1/2"));

    let custom = Call::new(
        FRESH,
        &[
            ("secret", RFC_SHA1),
            ("text", "הקוד לבנק - \"הפועלים\" הוא."),
        ],
    )
    .turn()
    .await;
    assert!(
        custom.text().starts_with("הקוד לבנק הפועלים הוא | "),
        "{}",
        custom.text()
    );

    let english_pin = Call::new(
        FRESH,
        &[("secret", RFC_SHA1), ("lang", "en"), ("pin", "1234")],
    )
    .turn()
    .await;
    assert_eq!(
        english_pin.text(),
        "Please enter your PIN and press the pound key"
    );

    let english_error = Call::new(FRESH, &[("secret", "JBSW1"), ("lang", "en")])
        .turn()
        .await;
    assert!(
        english_error
            .text()
            .starts_with("The secret key of this extension is wrong")
    );

    for (key, value) in [("then", "/1&x=y"), ("lang", "fr")] {
        let bad = Call::new(FRESH, &[("secret", RFC_SHA1), (key, value)])
            .turn()
            .await;
        assert!(bad.codes().is_empty() && bad.hangs_up(), "{key}={value}");
    }
}

#[tokio::test]
async fn steam_codes_are_spelled_character_by_character() {
    // pyotp contrib.Steam, RFC SHA1 seed, t=1234567890: VHHQY.
    for adds in [
        vec![("secret", RFC_SHA1), ("kind", "steam")],
        vec![(
            "secret",
            "otpauth://steam/Steam:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        )],
        vec![(
            "secret",
            "otpauth://totp/Steam:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Steam",
        )],
    ] {
        let reply = Call::new(FRESH, &adds).turn().await;
        let letters: Vec<Item> = reply
            .items()
            .into_iter()
            .filter(|i| matches!(i, Item::Other(_)))
            .collect();
        let want = ["a-v", "a-h", "a-h", "a-q", "a-y"].map(|s| Item::Other(s.into()));
        assert_eq!(letters[..5], want, "{adds:?}");
    }
    let json = send(
        &app_at(59),
        json_get(&format!("secret={RFC_SHA1}&kind=steam")),
    )
    .await
    .json();
    assert_eq!(
        (
            json["code"].as_str(),
            json["digits"].as_u64(),
            json["algorithm"].as_str()
        ),
        (Some("PV9M4"), Some(5), Some("STEAM"))
    );
}

#[tokio::test]
async fn silence_ends_every_question() {
    // The menu: played twice by Yemot itself, then silence says goodbye.
    let mut call = Call::new(
        FRESH,
        &[("secret_1", RFC_SHA1), ("secret_2", "JBSWY3DPEHPK3PXP")],
    );
    let menu = call.turn().await;
    let bye = call.press(&menu, "None").await;
    assert!(bye.codes().is_empty() && bye.hangs_up(), "{}", bye.text());
    assert_eq!(bye.text(), "להתראות");

    // The PIN: a silent caller is asked again (not told the PIN was wrong), three times at most.
    let mut call = Call::new(FRESH, &[("secret", RFC_SHA1), ("pin", "4321")]);
    let mut reply = call.turn().await;
    for attempt in 2..=3 {
        reply = call.press(&reply, "None").await;
        assert_eq!(reply.read().unwrap()[0], format!("pin{attempt}"));
        assert!(!reply.text().contains("שגוי"), "{}", reply.text());
    }
    let end = call.press(&reply, "None").await;
    assert!(end.read().is_none() && end.hangs_up() && end.codes().is_empty());
    assert_eq!(end.text(), "להתראות", "silence is never called a wrong PIN");

    // Every read of every flow accepts silence (field 12 `Ok`).
    for read in [&menu].iter().filter_map(|r| r.read()) {
        assert_eq!(read[11], "Ok");
    }
}

#[tokio::test]
async fn a_then_that_leads_back_into_the_extension_is_refused() {
    // CALL_PARAMS say ApiExtension=2.
    for then in [".", "/2", "../2"] {
        let call = Call::new(FRESH, &[("secret", RFC_SHA1), ("then", then)]);
        let reply = call.turn().await;
        assert!(reply.codes().is_empty() && reply.hangs_up(), "{then}");
        assert!(
            reply.text().contains("השלוחה הזאת עצמה"),
            "{then}: {}",
            reply.text()
        );
    }
    let call = Call::new(
        FRESH,
        &[("secret", RFC_SHA1), ("then", "/3"), ("repeat", "no")],
    );
    assert_eq!(call.turn().await.command("go_to_folder"), Some("/3"));
}

#[tokio::test]
async fn repeat_no_answers_once_and_moves_on() {
    let call = Call::new(
        FRESH,
        &[("secret", RFC_SHA1), ("digits", "8"), ("repeat", "no")],
    );
    let once = call.turn().await;
    assert_eq!(once.codes(), ["89005924", "89005924"]);
    assert!(once.read().is_none() && once.hangs_up());
    assert_eq!(once.text(), "הקוד הוא | שוב");

    // About to change: the next code instead, since the caller cannot ask for it.
    let call = Call::new(
        FRESH - 3,
        &[("secret", RFC_SHA1), ("digits", "8"), ("repeat", "NO")],
    );
    let low = call.turn().await;
    assert_eq!(low.codes(), ["89005924", "89005924"], "{}", low.text());
    assert!(low.read().is_none() && low.hangs_up());

    let bad = Call::new(FRESH, &[("secret", RFC_SHA1), ("repeat", "sometimes")])
        .turn()
        .await;
    assert!(bad.codes().is_empty() && bad.text().contains("yes או no"));
}

#[tokio::test]
async fn names_and_issuers_are_made_speakable() {
    let dirty_link = format!(
        "otpauth://totp/Bad%00Bank%E2%80%A8:me?secret={RFC_SHA1}&issuer=Bad%1B%5B31mBank%C2%85"
    );
    let mut call = Call::new(
        FRESH,
        &[
            ("secret_1", &dirty_link),
            ("secret_2", "JBSWY3DPEHPK3PXP"),
            ("name_2", "בנק\u{2028}הדואר\u{0}_שלי"),
        ],
    );
    let menu = call.turn().await; // the grammar check refuses control and line separators
    assert_eq!(
        menu.text(),
        "לקוד של Bad [31mBank הקישו | לקוד של בנק הדואר שלי הקישו",
        "every character that would break a t- item became a space"
    );
    let chosen = call.press(&menu, "1").await;
    assert_eq!(chosen.codes()[0], "005924");
}

#[tokio::test]
async fn a_link_split_by_raw_joining_reads_the_right_code() {
    // As Yemot most likely sends ext.ini values: ASCII unencoded, so the link's own `&` splits it.
    let raw = format!(
        "{CALL_PARAMS}&secret_1=JBSWY3DPEHPK3PXP&name_1=Mail\
         &secret_2=otpauth://totp/Bank:me?secret={RFC_SHA1}&digits=8&issuer=Bank&name_2=Bank"
    );
    let menu = send(&app_at(FRESH), yemot_post(&raw)).await.yemot();
    assert_eq!(menu.text(), "לקוד של Mail הקישו | לקוד של Bank הקישו");
    let bank = send(&app_at(FRESH), yemot_post(&format!("{raw}&acct=2")))
        .await
        .yemot();
    assert_eq!(bank.codes(), ["89005924", "89005924"]);
    let mail = send(&app_at(FRESH), yemot_post(&format!("{raw}&acct=1")))
        .await
        .yemot();
    assert_eq!(
        mail.codes()[0].len(),
        6,
        "the link's digits=8 is not the menu's default"
    );
    // The same by GET, where Yemot may add its parameters after a second `?`.
    let get = Request::get(format!("/api/2fa?{raw}&acct=2?ApiTime=1"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app_at(FRESH), get).await.yemot().codes()[0],
        "89005924"
    );

    // Put back, `digits=8` could as well have been a line for every account, and account 2
    // has none of its own: the owner hears which line to change rather than a wrong code.
    let ambiguous = format!(
        "{CALL_PARAMS}&secret_1=otpauth://totp/Bank:me?secret={RFC_SHA1}&digits=8&secret_2=JBSWY3DPEHPK3PXP"
    );
    let reply = send(&app_at(FRESH), yemot_post(&format!("{ambiguous}&acct=2")))
        .await
        .yemot();
    assert!(
        reply.codes() == ["1"] && reply.hangs_up(),
        "{}",
        reply.text()
    );
    assert!(
        reply.text().starts_with("הקישור של חשבון"),
        "{}",
        reply.text()
    );
}
