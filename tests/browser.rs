//! The setup page in a real headless browser (Debian's chromium driven through chromedriver by
//! fantoccini): paste a key and a URI, pick a QR image, compare the code shown
//! with `/api/2fa`, read the ext.ini lines, switch the language, prove that no request left the
//! origin, and save screenshots under `target/screenshots/`.
//!
//! CI installs chromium and chromedriver (`.ci/run`) and this test fails there without them;
//! elsewhere, without them, it says loudly that it skipped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use yemot_2fa::AppState;
use yemot_2fa::otp::Clock;
use yemot_2fa::otp::SealKeys;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const KEY: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn browser_available() -> bool {
    let found =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium and chromedriver are required in CI (apt-get install chromium chromium-driver)"
        );
        // Written past the test harness's capture, which would hide it.
        let _ = std::io::Write::write_all(
&mut std::io::stderr(),
"\n*** SKIPPED: the setup page was not tested in a browser: install chromium and chromium-driver ***\n".as_bytes(),
);
    }
    found
}

/// A headless Chromium, driven through chromedriver with fantoccini. [`Browser::run`] ends the
/// WebDriver session and stops chromedriver whatever the test does, a failed assertion included.
struct Browser {
    client: Client,
}

/// Stops chromedriver when dropped, on every path out of a test.
struct Chromedriver(Child);

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a browser set to Hebrew, as most owners' are, runs `test` with
    /// it, then always closes the session and stops chromedriver before passing on `test`'s
    /// panic, if any.
    async fn run<F, Fut>(test: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        Self::run_in("he-IL", test).await;
    }

    /// As [`Browser::run`], with the browser's language set to `lang`.
    async fn run_in<F, Fut>(lang: &str, test: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        use futures_util::FutureExt as _;
        let port = common::free_port();
        let _driver = Chromedriver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let profile = std::env::temp_dir().join(format!("yemot-2fa-chrome-{port}"));
        let options = json!({"binary": CHROMIUM, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1280,900",
            format!("--user-data-dir={}", profile.display()), format!("--lang={lang}"),
        ], "prefs": {"intl.accept_languages": lang}});
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => panic!("chromedriver did not answer: {e}"),
            }
        };
        let outcome = std::panic::AssertUnwindSafe(test(Browser {
            client: client.clone(),
        }))
        .catch_unwind()
        .await;
        let _ = client.close().await;
        let _ = std::fs::remove_dir_all(profile);
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("the page loads");
    }

    async fn run_js(&self, script: &str, args: Value) -> Value {
        let args = args.as_array().cloned().unwrap_or_default();
        self.client
            .execute(script, args)
            .await
            .expect("the script runs")
    }

    async fn element(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        element.clear().await.expect("cleared");
        element.send_keys(text).await.expect("typed");
    }

    async fn click(&self, css: &str) {
        self.element(css).await.click().await.expect("clicked");
    }

    async fn text(&self, css: &str) -> String {
        self.run_js(
            "return document.querySelector(arguments[0]).textContent",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Waits until `script` returns something truthy; returns it.
    async fn wait_for(&self, script: &str, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self.run_js(script, json!([])).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resized");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

async fn start_server(keys: Option<&str>) -> common::TestServer {
    start_server_with(AppState::default(), keys).await
}

async fn start_server_with(state: AppState, keys: Option<&str>) -> common::TestServer {
    let state = state.with_seal_keys(keys.map(|k| SealKeys::parse(k).unwrap().unwrap()));
    common::TestServer::start(state).await
}

/// POSTs `body` as JSON to the server at `base`, and reads the JSON answer.
async fn post_json(base: &str, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The code the server gives for `secret` now, and its step.
async fn api_code(base: &str, secret: &str) -> (String, u64) {
    let v = post_json(base, "/api/2fa", json!({"secret": secret})).await;
    (
        v["code"].as_str().unwrap().to_owned(),
        v["step"].as_u64().unwrap(),
    )
}

/// The page comes to show the code the API gives for `secret` (it refreshes after each change,
/// and at each step: compared again until they agree, for at most 10 s).
async fn page_code_matches(driver: &Browser, base: &str, secret: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = driver
            .run_js(
                "return document.getElementById('code').dataset.code || ''",
                json!([]),
            )
            .await;
        let (want, _) = api_code(base, secret).await;
        if shown.as_str() == Some(want.as_str()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the page shows {shown}, the server says {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_page_works_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let mut server = start_server(Some(KEY)).await;
    let addr = server.addr;
    let base = format!("http://{addr}");
    Browser::run(|driver| async move {
    driver.goto(&format!("{base}/")).await;
    driver
        .wait_for(
            "return document.readyState === 'complete' && window.jsQR !== undefined",
            "the page",
        )
        .await;
    assert_eq!(
        driver
            .run_js(
                "return [document.documentElement.lang, document.documentElement.dir]",
                json!([])
            )
            .await,
        json!(["he", "rtl"])
    );
    assert!(driver.text("#warning").await.contains("כל מי שמחייג"));

    // 1. A pasted key: the code matches the API, the ext.ini is sealed.
    driver.type_into("#secret", &RFC_SHA1.to_lowercase()).await;
    page_code_matches(&driver, &base, RFC_SHA1).await;
    let ext = driver.wait_for("const t = document.getElementById('extini').textContent; return t.includes('sealed=v1.') && t", "sealed ext.ini").await;
    let ext = ext.as_str().unwrap();
    assert!(ext.starts_with(&format!("type=api\napi_link={base}/api/2fa\napi_url_post=yes\napi_log=no\napi_add_0=sealed=v1.k1.")), "{ext}");
    assert!(
        !ext.to_uppercase().contains(RFC_SHA1),
        "the key itself is not in the sealed lines"
    );
    driver.screenshot("setup-he-desktop", 1280, 1900).await;

    // The sealed line really opens to the same key.
    let token = ext
        .lines()
        .find_map(|l| l.strip_prefix("api_add_0=sealed="))
        .unwrap();
    let (by_token, _) = api_code(&base, RFC_SHA1).await;
    let via_token: Value = post_json(&base, "/api/2fa", json!({"sealed": token})).await;
    assert_eq!(via_token["code"].as_str(), Some(by_token.as_str()));

    // A PIN makes the warning go away (and is sealed, so not written beside the token).
    driver.type_into("#pin", "482913").await;
    driver
        .wait_for(
            "return document.getElementById('warning').hidden",
            "the warning to go",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ext = driver.text("#extini").await;
    assert!(
        ext.contains("sealed=v1.") && !ext.contains("482913"),
        "{ext}"
    );

    // 2. A URI fills digits and algorithm from itself.
    let uri =
        format!("otpauth://totp/Bank:me?secret={RFC_SHA1}&issuer=Bank&digits=8&algorithm=SHA256");
    driver.type_into("#secret", &uri).await;
    driver.wait_for("return document.getElementById('digits').value === '8' && document.getElementById('algorithm').value === 'SHA256'", "options from the URI").await;
    assert_eq!(
        driver
            .run_js("return document.getElementById('name').value", json!([]))
            .await,
        "Bank"
    );
    page_code_matches(&driver, &base, &uri).await;

    // 3. A QR image made by the server's own /api/secret, picked from disk, decoded in the page.
    let enrolled: Value = post_json(
        &base,
        "/api/secret",
        json!({"issuer": "QR", "account": "test"}),
    )
    .await;
    let png = data_encoding::BASE64
        .decode(
            enrolled["qr_png"]
                .as_str()
                .unwrap()
                .trim_start_matches("data:image/png;base64,")
                .as_bytes(),
        )
        .unwrap();
    let qr_path = std::env::temp_dir().join(format!("yemot-2fa-qr-{}.png", addr.port()));
    std::fs::write(&qr_path, png).unwrap();
    driver
        .run_js(
            "document.getElementById('secret').value=''; document.getElementById('name').value=''",
            json!([]),
        )
        .await;
    driver
        .element("#qr")
        .await
        .send_keys(&qr_path.display().to_string())
        .await
        .expect("the file is picked");
    let decoded = driver
        .wait_for(
            "return document.getElementById('secret').value",
            "the QR to decode",
        )
        .await;
    assert_eq!(
        decoded.as_str(),
        enrolled["uri"].as_str(),
        "the page decoded the QR to the URI"
    );
    page_code_matches(&driver, &base, enrolled["uri"].as_str().unwrap()).await;

    // The English switch.
    driver.click("#lang-toggle").await;
    assert_eq!(
        driver
            .run_js(
                "return [document.documentElement.lang, document.documentElement.dir]",
                json!([])
            )
            .await,
        json!(["en", "ltr"])
    );
    assert_eq!(driver.text("h1").await, "Two-factor codes on the phone");
    assert_eq!(driver.text("#qr-status").await, "QR code decoded");
    driver.screenshot("setup-en-desktop", 1280, 1900).await;
    driver.screenshot("setup-en-phone", 390, 844).await;
    driver.click("#lang-toggle").await;
    driver.screenshot("setup-he-phone", 390, 844).await;

    // No request left the origin.
    let resources = driver
        .run_js(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            json!([]),
        )
        .await;
    let resources = resources.as_array().unwrap();
    assert!(resources.len() >= 4, "{resources:?}");
    for url in resources {
        assert!(
            url.as_str().unwrap().starts_with(&base),
            "a request left the origin: {url}"
        );
    }
    let _ = std::fs::remove_file(qr_path);
    })
    .await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_seal_keys_the_page_writes_the_key_and_the_options() {
    if !browser_available() {
        return;
    }
    let mut server = start_server(None).await;
    let addr = server.addr;
    let base = format!("http://{addr}");
    Browser::run(|driver| async move {
    driver.goto(&format!("{base}/")).await;
    driver
        .wait_for("return document.readyState === 'complete'", "the page")
        .await;
    driver.type_into("#secret", RFC_SHA1).await;
    driver.type_into("#pin", "4321").await;
    driver.type_into("#name", "Google").await;
    driver.click("#add-account").await;
    driver.type_into("#secret", "JBSWY3DPEHPK3PXP").await;
    let ext = driver.wait_for("const t = document.getElementById('extini').textContent; return t.includes('secret_2') && t", "a menu").await;
    assert_eq!(
        ext.as_str().unwrap(),
        format!(
            "type=api\napi_link={base}/api/2fa\napi_url_post=yes\napi_log=no\napi_add_0=secret_1={RFC_SHA1}\napi_add_1=name_1=Google\napi_add_2=secret_2=JBSWY3DPEHPK3PXP\napi_add_3=pin=4321\n"
        )
    );
    })
    .await;
    server.stop();
}

/// The `api_add` values of an ext.ini text, as `name=value`.
fn api_adds(ext_ini: &str) -> Vec<String> {
    ext_ini
        .lines()
        .filter_map(|l| l.strip_prefix("api_add_"))
        .filter_map(|l| l.split_once('=').map(|(_, add)| add.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_text_never_writes_a_line_of_its_own_and_every_line_survives_raw_joining() {
    if !browser_available() {
        return;
    }
    const T: u64 = 1_800_000_000;
    let mut server = start_server_with(AppState::with_clock(Clock::manual(T)), None).await;
    let addr = server.addr;
    let base = format!("http://{addr}");
    Browser::run(|driver| async move {
        driver.goto(&format!("{base}/")).await;
        driver
            .wait_for("return document.readyState === 'complete'", "the page")
            .await;
        let ext_ini = "document.getElementById('extini').textContent";

        // A newline and a line of the paster's choosing: not a key, so nothing is written.
        driver
            .type_into("#secret", "JBSWY3DPEHPK3PXP\napi_hangup_link=http://evil.example/")
            .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(driver.run_js(&format!("return {ext_ini}"), json!([])).await, "");
        assert!(driver.text("#code-status").await.contains("המפתח אינו תקין"));

        // A link with its settings: they become lines of their own, with a name that reads
        // the same however it travels.
        let link = format!(
            "otpauth://totp/Bank%20%26%20Co:me?secret={}&issuer=Bank%20%26%20Co&digits=8&algorithm=SHA256",
            RFC_SHA1.to_lowercase()
        );
        driver.type_into("#secret", &link).await;
        let lines = driver
            .wait_for(
                &format!("return {ext_ini}.includes('digits') && {ext_ini}"),
                "the link's lines",
            )
            .await;
        let adds = api_adds(lines.as_str().unwrap());
        assert_eq!(
            adds,
            [
                format!("secret={RFC_SHA1}"),
                "digits=8".into(),
                "algorithm=SHA256".into(),
                "name=Bank_Co".into()
            ],
            "{lines}"
        );

        // Every line the page wrote, joined raw as Yemot most likely sends it: oathtool's code.
        if common::oathtool_available() {
            let want = common::oathtool(RFC_SHA1, 8, "SHA256", 30, T);
            for shape in [&["--raw"][..], &["--raw", "--get"][..]] {
                let mut args: Vec<String> =
                    adds.iter().flat_map(|a| ["--add".into(), a.clone()]).collect();
                args.extend(["--press".into(), "none".into()]);
                args.extend(shape.iter().map(|s| (*s).to_owned()));
                let url = format!("{base}/api/2fa");
                let call = tokio::task::spawn_blocking(move || common::play(&url, &args))
                    .await
                    .unwrap();
                assert!(call.violations.is_empty(), "{:?}", call.violations);
                assert_eq!(&call.digits()[..2], [want.clone(), want.clone()], "{shape:?}");
            }
        }

        // A new paste replaces what the last one filled in; a broken escape in a label is
        // dropped rather than keeping the previous key.
        driver
            .type_into("#secret", "otpauth://totp/Bad%E0%A4%:me?secret=JBSWY3DPEHPK3PXP")
            .await;
        let lines = driver
            .wait_for(
                &format!("return !{ext_ini}.includes('digits') && {ext_ini}.includes('JBSWY3DPEHPK3PXP') && {ext_ini}"),
                "the second link's lines",
            )
            .await;
        assert_eq!(api_adds(lines.as_str().unwrap()), ["secret=JBSWY3DPEHPK3PXP"]);
        page_code_matches(&driver, &base, "JBSWY3DPEHPK3PXP").await;

        // A paste that cannot be read clears everything the last one filled in.
        driver.type_into("#secret", "not a key at all!").await;
        driver
            .wait_for(&format!("return {ext_ini} === ''"), "the lines to go")
            .await;
        assert_eq!(
            driver
                .run_js("return [digits.value, algorithm.value, period.value, document.getElementById('name').value]", json!([]))
                .await,
            json!(["6", "SHA1", "30", ""])
        );

        // "Guard a folder": the caller types the code and a valid one opens the folder.
        driver.type_into("#secret", "JBSWY3DPEHPK3PXP").await;
        driver
            .run_js(
                "const m = document.getElementById('mode'); m.value = 'verify'; m.dispatchEvent(new Event('input'))",
                json!([]),
            )
            .await;
        driver.type_into("#then", "/7").await;
        let lines = driver
            .wait_for(
                &format!("return {ext_ini}.includes('then=/7') && {ext_ini}"),
                "the guard's lines",
            )
            .await;
        let adds = api_adds(lines.as_str().unwrap());
        assert_eq!(adds, ["secret=JBSWY3DPEHPK3PXP", "mode=verify", "then=/7"]);
        if common::oathtool_available() {
            let code = common::oathtool("JBSWY3DPEHPK3PXP", 6, "SHA1", 30, T);
            let mut args: Vec<String> =
                adds.iter().flat_map(|a| ["--add".into(), a.clone()]).collect();
            args.extend(["--raw".into(), "--press".into(), code]);
            let url = format!("{base}/api/2fa");
            let call = tokio::task::spawn_blocking(move || common::play(&url, &args))
                .await
                .unwrap();
            assert!(call.violations.is_empty(), "{:?}", call.violations);
            assert_eq!(call.ended(), "go to folder /7", "{}", call.heard());
        }
    })
    .await;
    server.stop();
}

/// Whether the element `id` is shown, as the browser lays it out (not only its attribute).
fn shown(id: &str) -> String {
    format!("return getComputedStyle(document.getElementById('{id}')).display !== 'none'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_does_what_it_shows() {
    if !browser_available() {
        return;
    }
    let mut server = start_server(None).await;
    let base = server.base.clone();
    // A browser set to English opens the page in English.
    let english = base.clone();
    Browser::run_in("en-US", |driver| async move {
        driver.goto(&format!("{english}/")).await;
        let heading = driver
            .wait_for("return document.documentElement.lang === 'en' && document.querySelector('h1').textContent", "English")
            .await;
        assert_eq!(heading, json!("Two-factor codes on the phone"));
    })
    .await;
    Browser::run(|driver| async move {
        driver.goto(&format!("{base}/")).await;
        let ext_ini = "document.getElementById('extini').textContent";
        driver.wait_for("return document.getElementById('then-label').textContent !== ''", "the page").await;
        // Hidden means hidden: no token is asked on this server.
        assert_eq!(driver.run_js(&shown("token-box"), json!([])).await, json!(false));
        // `otpauth://` reads left to right inside the right-to-left label.
        let label = driver.text("label[for=secret]").await;
        assert!(label.contains("\u{2066}otpauth://\u{2069}"), "{label}");

        // Reading the code: the folder at the end is offered, and reaches the lines.
        driver.type_into("#secret", "JBSWY3DPEHPK3PXP").await;
        assert_eq!(driver.run_js(&shown("then-box"), json!([])).await, json!(true));
        driver.type_into("#then", "..").await;
        let lines = driver
            .wait_for(&format!("return {ext_ini}.includes('then=..') && {ext_ini}"), "then=..")
            .await;
        assert!(api_adds(lines.as_str().unwrap()).contains(&"then=..".to_owned()));
        assert_eq!(driver.run_js(&shown("warning"), json!([])).await, json!(true));
        // Served over plain http on loopback: flagged before the owner copies the lines.
        driver
            .wait_for("return [...document.querySelectorAll('#explain li.warning')].some(li => li.textContent.includes('https'))", "the http warning")
            .await;

        // Guarding a folder: no code is said, so the warning about strangers hearing it goes.
        driver
            .run_js("const m = document.getElementById('mode'); m.value = 'verify'; m.dispatchEvent(new Event('input'))", json!([]))
            .await;
        driver
            .wait_for(&format!("return {ext_ini}.includes('mode=verify')"), "verify lines")
            .await;
        assert_eq!(driver.run_js(&shown("warning"), json!([])).await, json!(false));

        // One account in the menu is one, not "1 accounts".
        driver.click("#add-account").await;
        let count = driver
            .wait_for("return document.getElementById('accounts').textContent", "the count")
            .await;
        assert_eq!(count, json!("בתפריט: חשבון אחד"));

        // An HOTP link and a transfer code are told what they are.
        for (paste, says) in [
            ("otpauth://hotp/Bank:me?secret=JBSWY3DPEHPK3PXP&counter=1", "HOTP"),
            ("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8", "Google Authenticator"),
        ] {
            driver.type_into("#secret", paste).await;
            driver
                .wait_for(
                    &format!("return document.getElementById('code-status').textContent.includes('{says}')"),
                    says,
                )
                .await;
        }
    })
    .await;
    server.stop();
}

/// A PNG of `text` as a QR code, written with the qrcode and png crates (as a phone's
/// screenshot of the export would be): black modules 8 pixels wide, a quiet zone of 4.
fn qr_png(text: &str, path: &std::path::Path) {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let (width, scale, quiet) = (code.width(), 8, 4);
    let size = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; size * size];
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % width + quiet) * scale, (i / width + quiet) * scale);
            for row in y..y + scale {
                pixels[row * size + x..row * size + x + scale].fill(0);
            }
        }
    }
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut encoder = png::Encoder::new(file, size as u32, size as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&pixels)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_google_authenticator_export_in_two_qr_codes_becomes_a_menu() {
    if !browser_available() {
        return;
    }
    const T: u64 = 1_800_000_000;
    let mut server = start_server_with(AppState::with_clock(Clock::manual(T)), None).await;
    let base = server.base.clone();
    let codes = common::export::two_codes();
    let paths: Vec<_> = (0..2)
        .map(|i| {
            std::env::temp_dir().join(format!("yemot-2fa-export-{}-{i}.png", server.addr.port()))
        })
        .collect();
    for (code, path) in codes.iter().zip(&paths) {
        qr_png(code, path);
    }
    let (shots, expected) = (paths.clone(), base.clone());
    Browser::run(|driver| async move {
        driver.goto(&format!("{base}/")).await;
        driver.wait_for("return document.readyState === 'complete'", "the page").await;
        // The first QR code: half the export, and the page says so.
        driver.element("#qr").await.send_keys(&shots[0].display().to_string()).await.unwrap();
        driver
            .wait_for("return document.getElementById('import-status').textContent.includes('1 מתוך 2')", "one of two")
            .await;
        // Rename one and leave GitHub out, as an owner types and clicks: kept when the list is
        // drawn again for the next code.
        driver.type_into("#import-name-0", "הבנק שלי").await;
        driver.click("#import-1").await;
        // The second: every account, the counter-based one refused with its reason.
        driver.element("#qr").await.send_keys(&shots[1].display().to_string()).await.unwrap();
        driver
            .wait_for("return document.querySelectorAll('#import-list li').length === 4", "four accounts")
            .await;
        let refused = driver.text("#import-list li:nth-child(4)").await;
        assert!(refused.contains("HOTP") && refused.contains("מונה"), "{refused}");
        assert_eq!(
            driver.run_js("return document.getElementById('import-3').disabled", json!([])).await,
            json!(true)
        );
        let kept = driver
            .run_js("return [document.getElementById('import-name-0').value, document.getElementById('import-1').checked]", json!([]))
            .await;
        assert_eq!(kept, json!(["הבנק שלי", false]), "the owner's edits survive the redraw");
        // A code that cannot be read is said so, and the list stays.
        driver.type_into("#secret", "otpauth-migration://offline?data=AAAA").await;
        driver
            .wait_for("return document.getElementById('import-status').textContent.includes('אינו קוד העברה תקין')", "the bad code")
            .await;
        assert_eq!(
            driver.run_js("return document.querySelectorAll('#import-list li').length", json!([])).await,
            json!(4)
        );
        // The rest to the menu.
        driver.run_js("document.getElementById('import').scrollIntoView()", json!([])).await;
        driver.screenshot("setup-import-he", 900, 700).await;
        driver.click("#import-add").await;
        let ext_ini = "document.getElementById('extini').textContent";
        let lines = driver
            .wait_for(&format!("return {ext_ini}.includes('secret_2') && {ext_ini}"), "the menu's lines")
            .await;
        let adds = api_adds(lines.as_str().unwrap());
        assert_eq!(
            adds,
            [
                format!("secret_1={RFC_SHA1}"),
                "digits_1=8".to_owned(),
                "name_1=הבנק_שלי".to_owned(),
                "secret_2=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA".to_owned(),
                "algorithm_2=SHA256".to_owned(),
                "name_2=Mail".to_owned(),
            ],
            "{expected}"
        );
        assert_eq!(driver.run_js(&shown("import"), json!([])).await, json!(false), "the list is gone");

        // Each account of the menu, chosen on a call, reads oathtool's code.
        if common::oathtool_available() {
            for (key, secret, digits, algorithm) in [
                ("1", RFC_SHA1, 8, "SHA1"),
                ("2", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", 6, "SHA256"),
            ] {
                let want = common::oathtool(secret, digits, algorithm, 30, T);
                let mut args: Vec<String> = adds.iter().flat_map(|a| ["--add".into(), a.clone()]).collect();
                args.extend(["--raw".into(), "--press".into(), key.into(), "--press".into(), "none".into()]);
                let url = format!("{expected}/api/2fa");
                let call = tokio::task::spawn_blocking(move || common::play(&url, &args)).await.unwrap();
                assert!(call.violations.is_empty(), "{:?}", call.violations);
                let heard = call.digits();
                assert!(
                    heard.windows(2).any(|pair| pair == [want.clone(), want.clone()]),
                    "account {key}: heard {heard:?}, oathtool says {want}: {}",
                    call.heard()
                );
            }
        }
    })
    .await;
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
    server.stop();
}

/// The token the Twilio test's server checks signatures with.
const TWILIO_AUTH: &str = "twilio-auth-token-of-the-tests";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_twilio_choice_gives_a_sealed_voice_url_that_plays_as_twilio_would() {
    use common::twilio_call::{End, TwilioCall};
    if !browser_available() {
        return;
    }
    // The pinned time of the oathtool vectors: JBSWY3DPEHPK3PXP reads 309848.
    let state = AppState::with_clock(Clock::manual(common::VECTORS_AT))
        .with_twilio_tokens(yemot_2fa::twilio::signature::AuthTokens::parse(TWILIO_AUTH));
    let mut server = start_server_with(state, Some(KEY)).await;
    let (base, addr) = (server.base.clone(), server.addr);
    let code = common::vector("JBSWY3DPEHPK3PXP", 6, "SHA1", 30);
    Browser::run(|driver| async move {
        driver.goto(&format!("{base}/")).await;
        driver
            .wait_for("return document.readyState === 'complete'", "the page")
            .await;
        let choose = |id: &'static str, value: &'static str| {
            format!("const s = document.getElementById('{id}'); s.value = '{value}'; s.dispatchEvent(new Event('input'))")
        };
        driver.run_js(&choose("system", "twilio"), json!([])).await;
        driver.type_into("#secret", "JBSWY3DPEHPK3PXP").await;
        driver.type_into("#pin", "4321").await;
        let url_now = "const t = document.getElementById('extini').textContent.trim(); return t.includes('/api/twilio?') && t";
        let read = driver.wait_for(url_now, "the Voice URL").await;
        let read = read.as_str().unwrap().to_owned();
        assert_eq!(driver.text("#step3-title").await, "מדביקים את הכתובת ב־Twilio");
        assert!(driver.text("#sealed-note").await.contains("בכתובת יש רק אסימון"));
        driver.screenshot("setup-twilio-he", 900, 1500).await;
        let path = read.strip_prefix(&base).unwrap().to_owned();
        assert!(path.starts_with("/api/twilio?sealed=v1.k1."), "{read}");
        // Sealed: neither the key nor the PIN is in the URL Twilio's log will show.
        assert!(!read.contains("JBSWY3DPEHPK3PXP") && !read.contains("4321"), "{read}");
        let explain = driver.text("#explain").await;
        assert!(explain.contains("Voice Configuration"), "{explain}");
        assert!(!explain.contains("TWILIO_AUTH_TOKEN"), "this server checks signatures: {explain}");

        // Played as Twilio plays it, signed: the PIN, then oathtool's code.
        let mut call = TwilioCall::new(addr, "+15551230009", Some(TWILIO_AUTH));
        call.dial(&path).await;
        let said = call.press("4321").await;
        let spoken = format!("{} {} {}, {} {} {}", &code[0..1], &code[1..2], &code[2..3], &code[3..4], &code[4..5], &code[5..6]);
        assert!(said.says(&spoken), "{}", said.text());

        // Guarding a door: the URL a correct code leads to goes into the query, encoded.
        driver.run_js(&choose("mode", "verify"), json!([])).await;
        driver.type_into("#then", "https://example.com/door?x=1&y=2").await;
        let guarded = driver
            .wait_for("const t = document.getElementById('extini').textContent.trim(); return t.includes('then=') && t", "then")
            .await;
        let guarded = guarded.as_str().unwrap().to_owned();
        assert!(guarded.contains("&mode=verify&then=https%3A%2F%2Fexample.com%2Fdoor%3Fx%3D1%26y%3D2"), "{guarded}");
        let mut call = TwilioCall::new(addr, "+15551230010", Some(TWILIO_AUTH));
        call.dial(guarded.strip_prefix(&base).unwrap()).await;
        call.press("4321").await;
        let opened = call.press(&code).await;
        assert_eq!(opened.end, End::Redirect("https://example.com/door?x=1&y=2".into()));

        // This service's own Twilio address is no place to go: flagged, and left out.
        driver.type_into("#then", &format!("{base}/api/twilio")).await;
        driver
            .wait_for("return [...document.querySelectorAll('#explain li.warning')].some(li => li.textContent.includes('של שירות אחר'))", "the then warning")
            .await;
        let lines = driver.text("#extini").await;
        assert!(!lines.contains("then=") && lines.contains("mode=verify"), "{lines}");
    })
    .await;
    server.stop();
}
