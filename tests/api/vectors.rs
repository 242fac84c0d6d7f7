//! Published vectors through the whole HTTP stack, with the clock pinned: RFC 6238 Appendix B,
//! RFC 4226 Appendix D, and vectors and secret shapes as people paste them, each cross-checked
//! when it was written down (oathtool 2.6.7 = pyotp 2.12.0 = an HMAC by hand).

use crate::helpers::*;

/// RFC 6238 Appendix B: (time, SHA1, SHA256, SHA512), 8 digits, 30 s.
const RFC6238: [(u64, &str, &str, &str); 6] = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

/// The code a JSON client gets for `query` at `time`.
async fn json_code(time: u64, query: &str) -> String {
    let answer = send(&app_at(time), json_get(query)).await;
    assert_eq!(answer.status, 200, "{query} at {time}: {}", answer.body);
    answer.json()["code"].as_str().unwrap().to_owned()
}

/// The codes a phone caller hears for `query` at `time` (twice, the same), asking for the code
/// of that very second even when it is about to change (`warn_below=0`).
async fn phone_code(time: u64, query: &str) -> String {
    let query = format!("{query}&warn_below=0");
    let reply = send(&app_at(time), yemot_get(&query)).await.yemot();
    let codes = reply.codes();
    assert_eq!(codes.len(), 2, "the code is said twice: {codes:?}");
    assert_eq!(codes[0], codes[1]);
    codes[0].clone()
}

#[tokio::test]
async fn rfc6238_appendix_b_all_eighteen() {
    for (time, sha1, sha256, sha512) in RFC6238 {
        for (seed, algorithm, want) in [
            (RFC_SHA1, "SHA1", sha1),
            (RFC_SHA256, "SHA256", sha256),
            (RFC_SHA512, "SHA512", sha512),
        ] {
            let query = format!("secret={seed}&algorithm={algorithm}&digits=8");
            assert_eq!(
                json_code(time, &query).await,
                want,
                "{algorithm} at {time} (JSON)"
            );
            assert_eq!(
                phone_code(time, &query).await,
                want,
                "{algorithm} at {time} (phone)"
            );
        }
    }
}

#[tokio::test]
async fn rfc6238_padded_seeds_and_hyphenated_algorithm_names() {
    let padded_256 = format!("{RFC_SHA256}====");
    let padded_512 = format!("{RFC_SHA512}=");
    let q = |seed: &str, alg: &str| format!("secret={}&algorithm={alg}&digits=8", enc(seed));
    assert_eq!(json_code(59, &q(&padded_256, "sha-256")).await, "46119246");
    assert_eq!(json_code(59, &q(&padded_512, "Sha512")).await, "90693936");
}

#[tokio::test]
async fn rfc4226_appendix_d_as_totp_with_a_one_second_step() {
    let hotp = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (count, want) in hotp.iter().enumerate() {
        let query = format!("secret={RFC_SHA1}&period=1");
        assert_eq!(
            json_code(count as u64, &query).await,
            *want,
            "count {count}"
        );
    }
}

const TIMES: [u64; 4] = [59, 1111111109, 1234567890, 2000000000];

#[tokio::test]
async fn reference_section_4_3_vectors() {
    let key_uri_secret = "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ";
    let cases: [(&str, &str, [&str; 4]); 7] = [
        (key_uri_secret, "", ["320382", "362012", "566657", "998128"]),
        (
            key_uri_secret,
            "&algorithm=SHA256&digits=8&period=60",
            ["65469948", "95713611", "67500123", "36239770"],
        ),
        (
            key_uri_secret,
            "&algorithm=SHA512&digits=8",
            ["90950657", "78619027", "75008811", "12223525"],
        ),
        (
            "JBSWY3DPEHPK3PXP",
            "",
            ["996554", "071271", "742275", "890699"],
        ),
        (
            "jbsw y3dp ehpk 3pxp",
            "",
            ["996554", "071271", "742275", "890699"],
        ),
        (
            "GEZDGNBVGY3TQOJQGEZDGNBVGY======",
            "",
            ["970934", "383666", "886215", "094972"],
        ),
        (
            "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSAIJCEMSCKJRH",
            "",
            ["928121", "425479", "837173", "635464"],
        ),
    ];
    for (secret, extra, want) in cases {
        for (time, want) in TIMES.iter().zip(want) {
            let query = format!("secret={}{extra}", enc(secret));
            assert_eq!(
                json_code(*time, &query).await,
                want,
                "{secret}{extra} at {time}"
            );
        }
    }
}

/// What people paste, by site (`totp-reference.md` §3). Expected codes from oathtool 2.6.7
/// (`oathtool --totp -b -N @TIME SECRET`), except the URIs, which hold the same keys.
#[tokio::test]
async fn every_secret_shape_people_paste() {
    let shapes: [(&str, &str, [&str; 4]); 10] = [
        (
            "Google: lower case in groups of four",
            "qlt6 vmy6 svfx 4bt4 rpmi saiy ol6h ihca",
            ["770834", "931770", "999077", "010528"],
        ),
        (
            "Google: the same key without spaces",
            "qlt6vmy6svfx4bt4rpmisaiyol6hihca",
            ["770834", "931770", "999077", "010528"],
        ),
        (
            "Microsoft: 16 lower-case characters (80 bits)",
            "jbswy3dpehpk3pxp",
            ["996554", "071271", "742275", "890699"],
        ),
        (
            "GitHub, Discord, PayPal: 16 characters (80 bits)",
            "JBSWY3DPEHPK3PXP",
            ["996554", "071271", "742275", "890699"],
        ),
        (
            "AWS: 64 upper-case characters (40 bytes)",
            "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSAIJCEMSCKJRH",
            ["928121", "425479", "837173", "635464"],
        ),
        (
            "Dropbox: 26 characters, trailing bits set",
            "GEZDGNBVGY3TQOJQGEZDGNBVGZ",
            ["970934", "383666", "886215", "094972"],
        ),
        (
            "52 lower-case characters, trailing bits set",
            "mrswmz3infvgw3dnnzxxa4lson2hk5txpb4xu634pv7h7aebqkbq",
            ["388111", "786093", "472672", "113733"],
        ),
        (
            "padded export",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY======",
            ["970934", "383666", "886215", "094972"],
        ),
        (
            "retyped with hyphens",
            "JBSW-Y3DP-EHPK-3PXP",
            ["996554", "071271", "742275", "890699"],
        ),
        (
            "copied from a web page with non-breaking spaces",
            "JBSW\u{a0}Y3DP\u{a0}EHPK\u{a0}3PXP",
            ["996554", "071271", "742275", "890699"],
        ),
    ];
    assert_cases(&shapes).await;
}

#[tokio::test]
async fn otpauth_uris_as_sites_issue_them() {
    let uris: [(&str, &str, [&str; 4]); 4] = [
        (
            "Google QR: lower-case secret, %3A label",
            "otpauth://totp/Google%3Aalice%40gmail.com?secret=qlt6vmy6svfx4bt4rpmisaiyol6hihca&issuer=Google",
            ["770834", "931770", "999077", "010528"],
        ),
        (
            "Microsoft: tenant in the label, issuer=Microsoft",
            "otpauth://totp/Contoso+Ltd:bob@contoso.com?secret=jbswy3dpehpk3pxp&issuer=Microsoft",
            ["996554", "071271", "742275", "890699"],
        ),
        (
            "padded %3D secret, upper-case scheme",
            "OTPAUTH://TOTP/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY%3D%3D%3D%3D%3D%3D",
            ["970934", "383666", "886215", "094972"],
        ),
        (
            "Key URI spec example with options",
            "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60",
            ["65469948", "95713611", "67500123", "36239770"],
        ),
    ];
    assert_cases(&uris).await;
}

/// Each `(why, secret, codes at TIMES)`: JSON clients and phone callers get those codes.
async fn assert_cases(cases: &[(&str, &str, [&str; 4])]) {
    for (why, secret, want) in cases {
        for (time, want) in TIMES.iter().zip(want) {
            let query = format!("secret={}", enc(secret));
            assert_eq!(json_code(*time, &query).await, *want, "{why} at {time}");
            let heard = phone_code(*time, &query).await;
            assert_eq!(heard, *want, "{why} at {time} (phone)");
        }
    }
}

#[tokio::test]
async fn explicit_parameters_override_the_uri() {
    // The Key URI example says SHA256/8/60; explicit SHA1/6/30 gives the plain vector instead.
    let uri = "otpauth://totp/ACME:john?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&algorithm=SHA256&digits=8&period=60";
    let query = format!("secret={}&algorithm=sha1&digits=6&period=30", enc(uri));
    assert_eq!(json_code(59, &query).await, "320382");
    let answer = send(&app_at(59), json_get(&query)).await.json();
    assert_eq!(answer["algorithm"], "SHA1");
    assert_eq!(answer["digits"], 6);
    assert_eq!(answer["period"], 30);
}

#[tokio::test]
async fn seven_digit_codes_and_short_periods() {
    // oathtool --totp -b -d 7 -s 20 -N @TIME JBSWY3DPEHPK3PXP
    let want = ["2730792", "1613996", "7978300", "1570207"];
    for (time, want) in TIMES.iter().zip(want) {
        let query = "secret=JBSWY3DPEHPK3PXP&algorithm=SHA256&digits=7&period=20";
        assert_eq!(json_code(*time, query).await, want, "at {time}");
        assert_eq!(phone_code(*time, query).await, want, "at {time} (phone)");
    }
}
