//! The phone flows the count of guesses changed, played as Yemot plays them by the project's own
//! call simulator (`common::yemot_call`), each with its values percent-encoded and joined raw,
//! by POST and by GET, against a server on a real socket: the menu before a plain PIN, silence
//! at the PIN, a code that already opened the door typed again. Codes come from oathtool's
//! vectors (`common::VECTORS`).

mod common;

use yemot_2fa::AppState;
use yemot_2fa::otp::Clock;

const SHAPES: [&[&str]; 4] = [&[], &["--raw"], &["--get"], &["--raw", "--get"]];

/// A server of its own, its clock at the vectors' time; the address of `/api/2fa`.
async fn server() -> String {
    let server =
        common::TestServer::start(AppState::with_clock(Clock::manual(common::VECTORS_AT))).await;
    format!("http://{}/api/2fa", server.keep())
}

/// Plays `args` (yemot-call's own) in every shape against `url`, and checks the protocol.
async fn play(url: &str, args: &[&str], shape: &[&str]) -> common::Played {
    let args: Vec<String> = args.iter().chain(shape).map(|a| (*a).to_owned()).collect();
    let url = url.to_owned();
    let call = tokio::task::spawn_blocking(move || common::play(&url, &args))
        .await
        .unwrap();
    assert!(
        call.violations.is_empty(),
        "{shape:?}: {:?}",
        call.violations
    );
    call
}

fn heard_twice(call: &common::Played, code: &str) -> bool {
    call.digits()
        .windows(2)
        .any(|pair| pair[0] == code && pair[1] == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_menu_then_its_pin_with_a_wrong_try_raw_or_encoded() {
    let code = common::vector("JBSWY3DPEHPK3PXP", 8, "SHA1", 30);
    for shape in SHAPES {
        let url = server().await;
        let call = play(
            &url,
            &[
                "--add",
                "secret_1=QLT6VMY6SVFX4BT4RPMISAIYOL6HIHCA",
                "--add",
                "secret_2=otpauth://totp/Bank:me?secret=JBSWY3DPEHPK3PXP&digits=8&issuer=Bank",
                "--add",
                "pin=4321",
                "--press",
                "2",
                "--press",
                "1111",
                "--press",
                "4321",
                "--press",
                "1",
                "--press",
                "none",
            ],
            shape,
        )
        .await;
        assert!(heard_twice(&call, &code), "{shape:?}: {}", call.heard());
        assert!(
            call.heard().contains("הקוד האישי שגוי, נא לנסות שוב"),
            "{shape:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_at_the_pin_ends_in_goodbye_and_counts_nothing_raw_or_encoded() {
    for shape in SHAPES {
        let url = server().await;
        let silent = ["--add", "secret=JBSWY3DPEHPK3PXP", "--add", "pin=4321"];
        for _ in 0..3 {
            let args: Vec<&str> = silent
                .iter()
                .copied()
                .chain(["--press", "none", "--press", "none", "--press", "none"])
                .collect();
            let call = play(&url, &args, shape).await;
            assert!(
                call.heard().ends_with("להתראות"),
                "{shape:?}: {}",
                call.heard()
            );
            assert!(
                !call.heard().contains("שגוי"),
                "{shape:?}: never called wrong"
            );
        }
        // Nine silences later the right PIN still opens: none of them was counted.
        let args: Vec<&str> = silent
            .iter()
            .copied()
            .chain(["--press", "4321", "--press", "none"])
            .collect();
        let call = play(&url, &args, shape).await;
        let code = common::vector("JBSWY3DPEHPK3PXP", 6, "SHA1", 30);
        assert!(heard_twice(&call, &code), "{shape:?}: {}", call.heard());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_code_typed_again_is_told_so_raw_or_encoded() {
    let code = common::vector("JBSWY3DPEHPK3PXP", 6, "SHA1", 30);
    for shape in SHAPES {
        let url = server().await;
        let door = [
            "--add",
            "secret=JBSWY3DPEHPK3PXP",
            "--add",
            "mode=verify",
            "--add",
            "then=/7",
        ];
        let args: Vec<&str> = door
            .iter()
            .copied()
            .chain(["--press", code.as_str()])
            .collect();
        let first = play(&url, &args, shape).await;
        assert_eq!(
            first.ended(),
            "go to folder /7",
            "{shape:?}: {}",
            first.heard()
        );
        let args: Vec<&str> = door
            .iter()
            .copied()
            .chain(["--press", code.as_str(), "--press", "none"])
            .collect();
        let again = play(&url, &args, shape).await;
        assert_eq!(again.ended(), "hang up", "{shape:?}");
        assert!(
            again.heard().contains("הקוד הזה כבר שימש"),
            "{shape:?}: {}",
            again.heard()
        );
    }
}
