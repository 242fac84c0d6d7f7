//! `POST /api/twilio` played as Twilio plays it (`twilio_call`): every flow over signed
//! webhooks, turn by turn through the `<Gather>` actions; then the attacker's side: unsigned,
//! mis-signed and replayed requests, and tickets changed, moved or kept too long.
//!
//! Codes are the RFC 6238 vectors (`oathtool --totp -d 8 -N @1234567890` on the RFC seed:
//! 89005924; 6 digits: 005924), said digit by digit in two halves.

use axum::body::Body;
use axum::http::Request;
use yemot_2fa::call::texts::{EN, HE};
use yemot_2fa::call::{Lang, texts::spoken};
use yemot_2fa::error::Error;
use yemot_2fa::http::App;
use yemot_2fa::otp::{Clock, SealKeys};
use yemot_2fa::twilio::signature::AuthTokens;
use yemot_2fa::{AppState, app};

use crate::helpers::*;
use crate::twilio_call::{End, Heard, PUBLIC, TwilioCall, sign};

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const T: u64 = 1_234_567_890;
/// The auth token the tests' Twilio account signs with.
const AUTH: &str = "twilio-auth-token-of-the-tests";
/// 89005924 and 005924, as a `<Say>` says them.
const SAID_8: &str = "8 9 0 0, 5 9 2 4";
const SAID_6: &str = "0 0 5, 9 2 4";
const CALLER: &str = "+15551230001";

fn state(clock: Clock) -> AppState {
    AppState::with_clock(clock)
        .with_seal_keys(SealKeys::parse(K1).unwrap())
        .with_twilio_tokens(AuthTokens::parse(AUTH))
}

fn server() -> App {
    app(state(Clock::manual(T)))
}

/// A call to `app`, signed as the tests' Twilio account signs.
fn call(app: &App) -> TwilioCall<App> {
    TwilioCall::new(app.clone(), CALLER, Some(AUTH))
}

/// A sealed token for `form`, made by `app`.
async fn token(app: &App, form: &str) -> String {
    let req = Request::post("/api/seal")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let answer = send(app, req).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["token"].as_str().unwrap().to_owned()
}

/// The next turn's URL is this path with a ticket and nothing else, and the ticket shows no
/// key, PIN or code: they travel sealed, if at all.
fn only_a_ticket(heard: &Heard, secrets: &[&str]) {
    let End::Gather { action, .. } = &heard.end else {
        panic!("not a question: {}", heard.text());
    };
    let ticket = action
        .strip_prefix("/api/twilio?ticket=")
        .unwrap_or_else(|| panic!("{action}"));
    assert!(
        ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{ticket}"
    );
    for secret in secrets {
        assert!(!action.contains(secret), "{secret} in {action}");
    }
}

#[test]
fn the_simulator_signs_as_twilio_publishes() {
    // The example several of Twilio's SDKs publish for their validators (token 12345).
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .map(|(n, v)| (n.to_owned(), v.to_owned()));
    assert_eq!(
        sign(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params
        ),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
}

#[tokio::test]
async fn a_read_out_repeats_the_code_then_says_goodbye() {
    let app = server();
    let sealed = token(&app, &format!("secret={RFC_SHA1}&digits=8")).await;
    let voice = format!("/api/twilio?sealed={sealed}");
    let mut call = call(&app);
    let first = call.dial(&voice).await;
    assert_eq!(first.lang, "he-IL");
    assert_eq!(first.said.iter().filter(|s| s.contains(SAID_8)).count(), 1);
    assert!(first.says(HE.repeat_prompt), "{}", first.text());
    assert!(matches!(
        first.end,
        End::Gather {
            num_digits: Some(1),
            ..
        }
    ));
    only_a_ticket(&first, &[&sealed]);
    for _ in 0..2 {
        let again = call.press("1").await;
        assert!(again.says(SAID_8) && again.asks(), "{}", again.text());
        only_a_ticket(&again, &[&sealed]);
    }
    let bye = call.press("2").await;
    assert_eq!(bye.text(), HE.goodbye);
    assert_eq!(bye.end, End::Hangup);
}

#[tokio::test]
async fn a_menu_in_english_asks_the_sealed_pin_again_after_a_wrong_one_then_never_again() {
    let app = server();
    let mail = token(&app, &format!("secret={RFC_SHA1}&name=Mail")).await;
    let bank = token(
        &app,
        &format!("secret={RFC_SHA1}&digits=8&pin=4321&name=Bank"),
    )
    .await;
    let voice = format!("/api/twilio?sealed_1={mail}&sealed_2={bank}&lang=en");
    let mut call = call(&app);
    let menu = call.dial(&voice).await;
    assert_eq!(menu.lang, "en-US");
    assert!(menu.says("Mail") && menu.says("Bank"), "{}", menu.text());
    assert!(matches!(
        menu.end,
        End::Gather {
            num_digits: Some(1),
            ..
        }
    ));
    only_a_ticket(&menu, &[&mail, &bank]);

    let pin = call.press("2").await;
    assert_eq!(pin.text(), EN.pin_prompt);
    assert!(
        matches!(
            pin.end,
            End::Gather {
                num_digits: None,
                ..
            }
        ),
        "a PIN ends with #"
    );
    let wrong = call.press("1111").await;
    assert!(
        wrong.says(EN.pin_wrong) && wrong.says(EN.pin_prompt),
        "{}",
        wrong.text()
    );
    only_a_ticket(&wrong, &[&bank, "1111", "4321"]);
    let code = call.press("4321").await;
    assert!(code.says(SAID_8) && code.says(EN.intro), "{}", code.text());
    assert!(!code.says(SAID_6), "the bank's 8 digits, not the mail's 6");
    // Hearing it again does not ask the PIN again, nor count it.
    let again = call.press("1").await;
    assert!(
        again.says(SAID_8) && !again.says(EN.pin_prompt),
        "{}",
        again.text()
    );
    assert_eq!(call.press("").await.text(), EN.goodbye);

    // The account without a PIN reads at once.
    let mut call = self::call(&app);
    call.dial(&voice).await;
    let mail = call.press("1").await;
    assert!(mail.says(SAID_6), "{}", mail.text());
}

#[tokio::test]
async fn a_verify_door_redirects_on_the_right_code_and_refuses_it_used_or_wrong() {
    let app = server();
    let then = "https://example.com/after?door=1";
    let voice = format!(
        "/api/twilio?secret={RFC_SHA1}&mode=verify&then={}",
        form_urlencoded::byte_serialize(then.as_bytes()).collect::<String>()
    );
    let mut call = call(&app);
    let ask = call.dial(&voice).await;
    assert!(ask.says(HE.verify_prompt), "{}", ask.text());
    assert!(matches!(
        ask.end,
        End::Gather {
            num_digits: Some(6),
            ..
        }
    ));
    let opened = call.press("005924").await;
    assert_eq!(opened.text(), HE.verified);
    assert_eq!(opened.end, End::Redirect(then.into()));
    assert!(
        opened.twiml.contains("door=1</Redirect>") && opened.twiml.contains("after?door"),
        "{}",
        opened.twiml
    );

    // The same code in a second call: used, and asked again.
    let mut call = self::call(&app);
    call.dial(&voice).await;
    let used = call.press("005924").await;
    assert!(used.says(HE.verify_used) && used.asks(), "{}", used.text());

    // Three wrong codes: the way stays closed and the call ends.
    let mut call = self::call(&app);
    call.dial(&voice).await;
    for _ in 0..2 {
        let wrong = call.press("111111").await;
        assert!(
            wrong.says(HE.verify_wrong) && wrong.asks(),
            "{}",
            wrong.text()
        );
    }
    let closed = call.press("222222").await;
    assert_eq!(closed.text(), HE.verify_failed);
    assert_eq!(closed.end, End::Hangup);
}

#[tokio::test]
async fn silence_ends_every_question() {
    let app = server();
    let pinned = token(&app, &format!("secret={RFC_SHA1}&pin=4321")).await;
    let flows = [
        format!("/api/twilio?secret={RFC_SHA1}"),
        format!("/api/twilio?secret_1={RFC_SHA1}&secret_2={RFC_SHA1}&lang=en"),
        format!("/api/twilio?sealed={pinned}"),
        format!("/api/twilio?secret={RFC_SHA1}&mode=verify&then=https%3A%2F%2Fexample.com%2F"),
    ];
    for voice in flows {
        let mut call = call(&app);
        let first = call.dial(&voice).await;
        assert!(first.asks(), "{voice}: {}", first.text());
        let silences = call.silent_until_the_end(5).await;
        assert!(silences <= 3, "{voice}: {silences}");
        let last = call.turns.last().unwrap();
        assert_eq!(last.end, End::Hangup, "{voice}");
    }
}

#[tokio::test]
async fn errors_are_spoken_in_twiml_never_a_status_twilio_would_announce() {
    let app = server();
    for (voice, error, lang) in [
        ("/api/twilio", Error::MissingSecret, Lang::He),
        ("/api/twilio?lang=en", Error::MissingSecret, Lang::En),
        (
            "/api/twilio?secret=JBSWY3DPEHPK3PXP&then=/1/2",
            Error::ThenUrl,
            Lang::He,
        ),
        (
            "/api/twilio?secret=JBSWY3DPEHPK3PXP&then=https%3A%2F%2F2fa.example.com%2Fapi%2Ftwilio",
            Error::ThenUrl,
            Lang::He,
        ),
        (
            "/api/twilio?secret=JBSWY3DPEHPK3PXP&lang=fr",
            Error::Lang,
            Lang::He,
        ),
        (
            "/api/twilio?sealed=v1.k1.forged",
            Error::Sealed(yemot_2fa::otp::seal::SealError::Invalid),
            Lang::He,
        ),
    ] {
        let mut call = call(&app);
        let heard = call.dial(voice).await;
        assert_eq!(heard.text(), spoken(error, lang), "{voice}");
        assert_eq!(heard.end, End::Hangup, "{voice}");
    }
}

#[tokio::test]
async fn a_request_not_signed_for_this_url_and_body_is_refused_with_403() {
    let app = server();
    let voice = format!("/api/twilio?secret={RFC_SHA1}");
    let call = call(&app);
    let params = call.params(None);
    let url = format!("{PUBLIC}{voice}");

    // Signed right: answered.
    let (status, _, body) = call.send(&voice, &params, None).await;
    assert_eq!(status, 200, "{body}");
    // The same address written with its port, as Twilio may sign it.
    let with_port = sign(
        AUTH,
        &format!("https://2fa.example.com:443{voice}"),
        &params,
    );
    assert_eq!(call.send(&voice, &params, Some(with_port)).await.0, 200);

    let signed = sign(AUTH, &url, &params);
    let mut changed = params.clone();
    changed.push(("Digits".into(), "1".into()));
    let refusals = [
        (
            "no signature",
            voice.clone(),
            params.clone(),
            Some(String::new()),
        ),
        (
            "another token",
            voice.clone(),
            params.clone(),
            Some(sign("not-the-token", &url, &params)),
        ),
        (
            "replayed to another URL",
            format!("{voice}&lang=en"),
            params.clone(),
            Some(signed.clone()),
        ),
        (
            "a parameter added",
            voice.clone(),
            changed,
            Some(signed.clone()),
        ),
        (
            "garbage",
            voice.clone(),
            params.clone(),
            Some("not base64 at all".into()),
        ),
    ];
    for (why, path, params, signature) in refusals {
        let (status, _, body) = call.send(&path, &params, signature).await;
        assert_eq!((status, body.as_str()), (403, ""), "{why}");
    }
    // No header at all.
    let unsigned = TwilioCall::new(app.clone(), CALLER, None);
    let (status, _, body) = unsigned.send(&voice, &params, None).await;
    assert_eq!((status, body.as_str()), (403, ""));

    // Behind PUBLIC_URL, that address is the one signed, whatever Host says.
    let pinned =
        app_with(state(Clock::manual(T)).with_public_url(Some("https://calls.example.org".into())));
    let call = self::call(&pinned);
    assert_eq!(
        call.send(&voice, &params, None).await.0,
        403,
        "signed for Host"
    );
    let right = sign(AUTH, &format!("https://calls.example.org{voice}"), &params);
    assert_eq!(call.send(&voice, &params, Some(right)).await.0, 200);

    // Without TWILIO_AUTH_TOKEN the endpoint is open (README says so).
    let open = app_with(AppState::with_clock(Clock::manual(T)));
    let (status, _, _) = TwilioCall::new(open, CALLER, None)
        .send(&voice, &params, None)
        .await;
    assert_eq!(status, 200);
}

fn app_with(state: AppState) -> App {
    app(state)
}

#[tokio::test]
async fn a_ticket_changed_moved_or_expired_never_skips_the_pin() {
    // No signatures here: the ticket must hold on its own, on a server left open.
    let clock = Clock::manual(T);
    let keys = || SealKeys::parse(K1).unwrap();
    let app = app(AppState::with_clock(clock.clone()).with_seal_keys(keys()));
    // A plain key and PIN in the Voice URL: neither may reach an action URL.
    let voice = format!("/api/twilio?secret={RFC_SHA1}&digits=8&pin=4321");
    let mut call = TwilioCall::new(app.clone(), CALLER, None);
    let pin = call.dial(&voice).await;
    only_a_ticket(&pin, &[RFC_SHA1, "4321"]);
    let code = call.press("4321").await;
    assert!(code.says(SAID_8), "{}", code.text());
    only_a_ticket(&code, &[RFC_SHA1, "4321"]);
    let action = call.action().unwrap().to_owned();
    let params = call.params(Some("1"));
    let hears = |answer: (u16, String, String)| {
        assert_eq!(answer.0, 200);
        crate::twilio_call::check(&answer.2).unwrap()
    };

    let (before, ticket) = action.rsplit_once("ticket=").unwrap();
    let mut tampered: Vec<char> = ticket.chars().collect();
    tampered[40] = if tampered[40] == 'A' { 'B' } else { 'A' };
    let tampered = format!(
        "{before}ticket={}",
        tampered.into_iter().collect::<String>()
    );
    let mut elsewhere = params.clone();
    for (name, value) in &mut elsewhere {
        if name == "CallSid" {
            *value = "CA99999999999999999999999999999999".into();
        }
    }
    // A server with other SEAL_KEYS cannot open it either.
    let other = app_with(AppState::with_clock(clock.clone()).with_seal_keys(
        SealKeys::parse("k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8").unwrap(),
    ));
    let stranger = TwilioCall::new(other, CALLER, None);
    let cases = [
        (
            "a changed ticket",
            hears(call.send(&tampered, &params, None).await),
        ),
        (
            "another call",
            hears(call.send(&action, &elsewhere, None).await),
        ),
        (
            "another server",
            hears(stranger.send(&action, &params, None).await),
        ),
    ];
    for (why, heard) in cases {
        assert_eq!(
            heard.text(),
            spoken(Error::TicketInvalid, Lang::He),
            "{why}"
        );
        assert_eq!(heard.end, End::Hangup, "{why}");
    }
    // Options written beside a good ticket are not read: the ticket's own are.
    let beside = action.replace("?ticket=", "?secret=JBSWY3DPEHPK3PXP&ticket=");
    let heard = hears(call.send(&beside, &params, None).await);
    assert!(heard.says(SAID_8), "{}", heard.text());
    // Unchanged and in time, it goes on without the PIN.
    let heard = hears(call.send(&action, &params, None).await);
    assert!(
        heard.says(SAID_8) && !heard.says(HE.pin_prompt),
        "{}",
        heard.text()
    );
    // Five minutes on, its state has expired: the call starts over, at the PIN.
    clock.set(T + 301);
    let heard = hears(call.send(&action, &params, None).await);
    assert_eq!(heard.text(), HE.pin_prompt);
}

#[tokio::test]
async fn wrong_pins_on_twilio_lock_the_same_caller_on_yemot() {
    let app = server();
    let pinned = token(&app, &format!("secret={RFC_SHA1}&digits=8&pin=4321")).await;
    let voice = format!("/api/twilio?sealed={pinned}");
    // Five wrong PINs over two Twilio calls from +972 50-123-4567.
    let mut told = Vec::new();
    for wrongs in [3, 2] {
        let mut call = TwilioCall::new(app.clone(), "+972501234567", Some(AUTH));
        call.dial(&voice).await;
        for _ in 0..wrongs {
            told.push(call.press("0000").await.text());
        }
    }
    assert!(told[4].contains(HE.locked), "{told:?}");
    // The same number written Yemot's way, with the right PIN: locked too.
    let yemot = send(
        &app,
        yemot_post(&format!("{CALL_PARAMS}&sealed={pinned}&pin1=4321")),
    )
    .await
    .yemot();
    assert!(yemot.text().contains(HE.locked), "{}", yemot.text());
}

#[tokio::test]
async fn with_an_access_token_the_voice_url_carries_it_and_every_turn_holds_it() {
    const ACCESS: &str = "test-access-token-0123456789";
    let app = app_with(
        state(Clock::manual(T)).with_tokens(yemot_2fa::http::AccessTokens::parse(ACCESS).unwrap()),
    );
    let mut call = call(&app);
    let refused = call.dial(&format!("/api/twilio?secret={RFC_SHA1}")).await;
    assert_eq!(refused.text(), spoken(Error::Unauthorized, Lang::He));
    let mut call = self::call(&app);
    let code = call
        .dial(&format!(
            "/api/twilio?secret={RFC_SHA1}&token={ACCESS}&lang=en"
        ))
        .await;
    assert!(code.says(SAID_6), "{}", code.text());
    only_a_ticket(&code, &[ACCESS]);
    // The next turn has only the ticket in its query: the token comes out of it.
    let again = call.press("1").await;
    assert!(again.says(SAID_6), "{}", again.text());
}

#[tokio::test]
async fn a_voice_url_set_to_get_is_answered_and_the_call_goes_on_by_post() {
    let app = server();
    let call = call(&app);
    // Twilio's GET: its parameters appended to the Voice URL's query, the whole URL signed.
    let query: String = call
        .params(None)
        .iter()
        .map(|(n, v)| {
            format!(
                "&{n}={}",
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let path = format!("/api/twilio?secret={RFC_SHA1}&pin=4321{query}");
    let get = |signature: String| {
        Request::get(path.as_str())
            .header("host", "2fa.example.com")
            .header("x-forwarded-proto", "https")
            .header("x-twilio-signature", signature)
            .body(Body::empty())
            .unwrap()
    };
    let unsigned = send(&app, get("AAAA".into())).await;
    assert_eq!(unsigned.status, 403);
    let answer = send(&app, get(sign(AUTH, &format!("{PUBLIC}{path}"), &[]))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let heard = crate::twilio_call::check(&answer.body).unwrap();
    assert_eq!(heard.text(), HE.pin_prompt);
    only_a_ticket(&heard, &[RFC_SHA1, "4321"]);
    // The rest of the call is posted to the action, as any other.
    let End::Gather { action, .. } = heard.end else {
        unreachable!()
    };
    let mut rest = TwilioCall::new(app.clone(), CALLER, Some(AUTH));
    rest.sid = call.sid.clone();
    let params = rest.params(Some("4321"));
    let code = rest.post(&action, &params).await;
    assert!(code.says(SAID_6), "{}", code.text());
}
