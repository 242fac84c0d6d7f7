//! Micro-benchmarks of the request's hot path, each piece alone and one whole in-process call.
//! `cargo bench`; the HTTP-level figures against the reference servers come from
//! `bench/bench.sh`.

use std::hint::black_box;

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;
use yemot_2fa::call::{self, Lang, Outcome, Question, texts::HE};
use yemot_2fa::otp::code::{self as totp, Params};
use yemot_2fa::otp::{Clock, Secret};
use yemot_2fa::yemot::{self, Fields};
use yemot_2fa::{AppState, app};

fn secret_parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("secret");
    for (name, text) in [
        ("github_16", "JBSWY3DPEHPK3PXP"),
        ("google_spaced", "qlt6 vmy6 svfx 4bt4 rpmi saiy ol6h ihca"),
        (
            "aws_64",
            "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSAIJCEMSCKJRH",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| Secret::from_base32(black_box(text)).unwrap())
        });
    }
    group.finish();
}

fn code_computation(c: &mut Criterion) {
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    let params = Params::default();
    c.bench_function("code_at/sha1_6", |b| {
        b.iter(|| totp::code_at(&secret, &params, black_box(1_234_567_890)))
    });
    let generator = totp::Generator::new(&secret, &params);
    c.bench_function("generator/code_at", |b| {
        b.iter(|| generator.code_at(black_box(1_234_567_890)))
    });
}

fn reply_rendering(c: &mut Criterion) {
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    let code = totp::code_at(&secret, &Params::default(), 1_234_567_890);
    c.bench_function("reply/read", |b| {
        b.iter(|| {
            let mut speech = call::code_speech(black_box(&code), None, &HE);
            speech.fixed(HE.repeat_prompt);
            yemot::render(
                &Outcome::Ask(speech, Question::Repeat { round: 1 }),
                Lang::He,
            )
        })
    });
    let state = AppState::with_clock(Clock::manual(1_234_567_890));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function("phone/answer", |b| {
        b.to_async(&runtime).iter(|| async {
            let fields = Fields::from_form(black_box(b"secret=JBSWY3DPEHPK3PXP"));
            let turn = yemot::request::turn(&fields).unwrap();
            let outcome = call::turn(&turn, &state.context()).await.unwrap();
            yemot::render(&outcome, Lang::He)
        })
    });
}

fn router_call(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let router = app(AppState::with_clock(Clock::manual(1_234_567_890)));
    c.bench_function("router/post_form", |b| {
        b.to_async(&runtime).iter(|| async {
            let req = Request::post("/api/2fa")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("secret=JBSWY3DPEHPK3PXP"))
                .unwrap();
            let response = router.clone().oneshot(req).await.unwrap();
            response.into_body().collect().await.unwrap().to_bytes()
        })
    });
}

criterion_group!(
    benches,
    secret_parsing,
    code_computation,
    reply_rendering,
    router_call
);
criterion_main!(benches);
