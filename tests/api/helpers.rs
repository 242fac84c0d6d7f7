//! Shared test helpers: in-process requests, and a test-side reader of Yemot replies that checks
//! the protocol's grammar independently of the code under test (docs/YEMOT.md).

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use yemot_2fa::http::App;
use yemot_2fa::{AppState, app, otp::Clock};

/// The RFC 6238 SHA1 seed, ASCII `12345678901234567890`, in base32.
pub const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// The RFC 6238 SHA256 seed (32 bytes).
pub const RFC_SHA256: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
/// The RFC 6238 SHA512 seed (64 bytes).
pub const RFC_SHA512: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

/// The service with its clock pinned at `unix` seconds.
pub fn app_at(unix: u64) -> App {
    app(AppState::with_clock(Clock::manual(unix)))
}

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts this is a well-formed Yemot answer (200, text/plain, grammar) and reads it.
    pub fn yemot(&self) -> Yemot {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "Yemot needs 200: {}",
            self.body
        );
        assert_eq!(self.content_type(), "text/plain; charset=utf-8");
        Yemot::parse(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Sends one request through the router, in process.
pub async fn send(app: &App, req: Request<Body>) -> Answer {
    let response = app
        .clone()
        .oneshot(req)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8(bytes.to_vec()).expect("answers are UTF-8");
    Answer {
        status,
        headers,
        body,
    }
}

/// The parameters Yemot sends on every request (`yemot-protocol.md` §2.2).
/// At t = 59 one second of the step is left, too few to hear a code and type it: a caller
/// hears the next one (`oathtool --totp -N @60` on the RFC seed; 8 digits: `-d 8`).
pub const HEARD_AT_59: &str = "359152";
/// See [`HEARD_AT_59`].
pub const HEARD_AT_59_8: &str = "37359152";

pub const CALL_PARAMS: &str = "ApiCallId=0637ded3ada490d8854e3b03c674b4ff924a948c\
    &ApiYFCallId=5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b&ApiDID=0771234567&ApiRealDID=0771234567\
    &ApiPhone=0501234567&ApiExtension=2&ApiTime=1683594518";

/// A POST the way Yemot sends it with `api_url_post=yes`.
pub fn yemot_post(body: &str) -> Request<Body> {
    Request::post("/api/2fa")
        .header(header::USER_AGENT, "yemot-core-api/1.0")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A GET the way Yemot sends it by default.
pub fn yemot_get(query: &str) -> Request<Body> {
    Request::get(format!("/api/2fa?{query}"))
        .header(header::USER_AGENT, "yemot-core-api/1.0")
        .body(Body::empty())
        .unwrap()
}

/// A developer's POST with a JSON body.
pub fn json_post(body: &str) -> Request<Body> {
    Request::post("/api/2fa")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A developer's GET asking for JSON.
pub fn json_get(query: &str) -> Request<Body> {
    Request::get(format!("/api/2fa?{query}"))
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap()
}

/// Percent-encodes a value for a query string or form body.
pub fn enc(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).unwrap()[2..].to_owned()
}

/// Plain RFC 4648 base32, upper case, no padding. Written here so tests that need to encode a
/// key do not lean on the decoder under test.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// One message item of `id_list_message` or of a `read`'s prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Text(String),
    Digits(String),
    Other(String),
}

/// A Yemot answer read back into commands and message items.
#[derive(Debug)]
pub struct Yemot {
    pub commands: Vec<(String, String)>,
}

// The protocol's tables, as the call simulator keeps them (docs/YEMOT.md).
use crate::yemot_call::{CHAINABLE, COMMANDS, PREFIXES, TEXT_FORBIDDEN};

impl Yemot {
    /// Parses and checks a reply: known commands, chaining only after `id_list_message`,
    /// message items with known prefixes, `t-` text free of forbidden characters, `d-` digits.
    pub fn parse(body: &str) -> Result<Self, String> {
        if body.starts_with('\u{feff}') {
            return Err("BOM".into());
        }
        if body.trim().is_empty() {
            return Err("empty answer: Yemot plays M1607".into());
        }
        let mut commands: Vec<(String, String)> = Vec::new();
        for part in body.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or(format!("no '=' in {part:?}"))?;
            if !COMMANDS.contains(&key) {
                return Err(format!("unknown command {key:?}"));
            }
            if let Some((prev, _)) = commands.last()
                && !CHAINABLE.contains(&prev.as_str())
            {
                return Err(format!("{key} follows {prev}"));
            }
            let messages = match key {
                "id_list_message" => Some(value),
                "read" => Some(value.split_once('=').ok_or("read without options")?.0),
                _ => None,
            };
            if let Some(messages) = messages {
                Self::items_of(messages)?;
            }
            if key == "go_to_folder"
                && !(value == "hangup"
                    || value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/._".contains(c)))
            {
                return Err(format!("go_to_folder {value:?}"));
            }
            commands.push((key.to_owned(), value.to_owned()));
        }
        Ok(Self { commands })
    }

    fn items_of(list: &str) -> Result<Vec<Item>, String> {
        let mut items = Vec::new();
        for item in list.split('.') {
            let (prefix, data) = item
                .split_once('-')
                .ok_or(format!("item {item:?} has no prefix"))?;
            if !PREFIXES.contains(&prefix) {
                return Err(format!("unknown prefix in {item:?}"));
            }
            match prefix {
                // As the call simulator (tests/common/yemot_call.rs) checks: no separator, no control or line separator.
                "t" if data.trim().is_empty()
                    || data.contains(|c| TEXT_FORBIDDEN.contains(c))
                    || data
                        .chars()
                        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) =>
                {
                    return Err(format!("bad text item {data:?}"));
                }
                "t" => items.push(Item::Text(data.to_owned())),
                "d" if data.is_empty() || !data.bytes().all(|b| b.is_ascii_digit()) => {
                    return Err(format!("d- item {data:?} is not digits"));
                }
                "d" => items.push(Item::Digits(data.to_owned())),
                _ => items.push(Item::Other(item.to_owned())),
            }
        }
        Ok(items)
    }

    /// Every message item the caller hears, in order.
    pub fn items(&self) -> Vec<Item> {
        let mut all = Vec::new();
        for (key, value) in &self.commands {
            let list = match key.as_str() {
                "id_list_message" => value.as_str(),
                "read" => value.split_once('=').unwrap().0,
                _ => continue,
            };
            all.extend(Self::items_of(list).unwrap());
        }
        all
    }

    /// Each run of consecutive `d-` items, joined: the codes the caller hears.
    pub fn codes(&self) -> Vec<String> {
        let mut codes = Vec::new();
        let mut run = String::new();
        for item in self.items() {
            match item {
                Item::Digits(d) => run.push_str(&d),
                _ if !run.is_empty() => codes.push(std::mem::take(&mut run)),
                _ => {}
            }
        }
        if !run.is_empty() {
            codes.push(run);
        }
        codes
    }

    /// All spoken text, joined by ` | `.
    pub fn text(&self) -> String {
        self.items()
            .into_iter()
            .filter_map(|i| match i {
                Item::Text(t) => Some(t),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The value of `command`, if present.
    pub fn command(&self, command: &str) -> Option<&str> {
        self.commands
            .iter()
            .find(|(k, _)| k == command)
            .map(|(_, v)| v.as_str())
    }

    /// The option fields of a `read`, if the reply asks for keys (field 1 is the name).
    pub fn read(&self) -> Option<Vec<String>> {
        let value = self.command("read")?;
        let options = value.split_once('=').unwrap().1;
        Some(options.split(',').map(str::to_owned).collect())
    }

    /// Whether the call ends here with a hang-up.
    pub fn hangs_up(&self) -> bool {
        self.command("go_to_folder") == Some("hangup")
    }
}

#[test]
fn the_grammar_checker_itself_rejects_bad_replies() {
    for bad in [
        "",
        "id_list_message=t-a.b",
        "id_list_message=t-a\u{2028}b",
        "id_list_message=t-a\u{0}b",
        "id_list_message=t-",
        "id_list_message=d-12a",
        "id_list_message=x-1",
        "hello",
        "go_to_folder=hangup&id_list_message=t-a",
        "read=t-a=x&id_list_message=t-b",
        "{\"id_list_message\":1}",
    ] {
        assert!(Yemot::parse(bad).is_err(), "{bad:?} should be refused");
    }
    let ok = Yemot::parse("id_list_message=t-a.d-012.d-345.t-b.d-012.d-345&go_to_folder=hangup")
        .unwrap();
    assert_eq!(ok.codes(), ["012345", "012345"]);
    assert!(ok.hangs_up());
}
