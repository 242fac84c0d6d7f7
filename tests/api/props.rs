//! Property tests through the router: arbitrary input never breaks the phone protocol, never
//! causes a server error and is never echoed; every way of writing one key gives one code.

use proptest::prelude::*;

use crate::helpers::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_secret_text_gets_a_valid_phone_reply_and_is_never_echoed(
        secret in "\\PC{0,300}",
        digits in proptest::option::of("[0-9a-z]{0,3}"),
        time in 0u64..40_000_000_000,
    ) {
        let rt = runtime();
        let mut body = format!("secret={}", enc(&secret));
        if let Some(d) = &digits {
            body.push_str(&format!("&digits={}", enc(d)));
        }
        let phone = rt.block_on(send(&app_at(time), yemot_post(&body)));
        prop_assert_eq!(phone.status, 200);
        let reply = Yemot::parse(&phone.body).map_err(TestCaseError::fail)?;
        prop_assert!(reply.hangs_up());
        if secret.trim().chars().count() >= 6 {
            prop_assert!(!phone.body.contains(secret.trim()), "echoed: {}", phone.body);
        }
        let json = rt.block_on(send(&app_at(time), json_get(&body)));
        prop_assert!(json.status == 200 || json.status == 400, "{}", json.status);
        if secret.trim().chars().count() >= 6 {
            prop_assert!(!json.body.contains(secret.trim()));
        }
    }

    #[test]
    fn every_way_of_writing_a_key_gives_the_same_code(
        bytes in proptest::collection::vec(any::<u8>(), 10..=64),
        time in 0u64..40_000_000_000,
        digits in 6u8..=8,
        algorithm in prop::sample::select(vec!["SHA1", "SHA256", "SHA512"]),
    ) {
        let rt = runtime();
        let canonical = base32(&bytes);
        let grouped = canonical
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>();
        let padding = "=".repeat((8 - canonical.len() % 8) % 8);
        let variants = [
            canonical.to_lowercase(),
            grouped.join(" ").to_lowercase(),
            grouped.join("-"),
            format!("{canonical}{padding}"),
            format!(" {}\n", grouped.join("\u{a0}")),
            format!("otpauth://totp/Site:me?secret={}&issuer=Site", canonical.to_lowercase()),
        ];
        let code_of = |secret: &str| {
            let query = format!("secret={}&digits={digits}&algorithm={algorithm}", enc(secret));
            rt.block_on(send(&app_at(time), json_get(&query))).json()["code"]
                .as_str()
                .map(str::to_owned)
        };
        let want = code_of(&canonical).expect("a canonical key always works");
        prop_assert_eq!(want.len(), usize::from(digits));
        prop_assert!(want.bytes().all(|b| b.is_ascii_digit()));
        for variant in &variants {
            let got = code_of(variant);
            prop_assert_eq!(got.as_deref(), Some(want.as_str()), "{:?}", variant);
        }
    }
}
