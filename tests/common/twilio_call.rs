//! A Twilio call simulator and TwiML checker of the tests' own, written from Twilio's public
//! documentation and not from the code under test.
//!
//! It plays one call as Twilio would: the first webhook to the Voice URL, then each `<Gather>`'s
//! keys posted to its `action` (resolved against the URL just called), every request carrying
//! the call's parameters and, when given a token, an `X-Twilio-Signature` made the documented
//! way (HMAC-SHA1 of the full URL and the sorted form parameters, in base64). Each answer must
//! be 200 `text/xml`, well-formed, and use only the verbs and attributes this service is meant
//! to use, with their documented values.

#![allow(dead_code)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::Request;
use data_encoding::BASE64;
use http_body_util::BodyExt;
use tower::ServiceExt;
use yemot_2fa::http::App;

/// How a request reaches the server: in process, or over a real socket.
pub trait Line {
    /// POSTs `body` (a form) to `path` (with its query) with `headers`: status, content type,
    /// body.
    fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> impl std::future::Future<Output = (u16, String, String)>;
}

/// What every request of the simulator carries besides its own headers: a form, and the headers
/// of the TLS proxy in front of the server, which make its public address [`PUBLIC`].
const HEADERS: [(&str, &str); 3] = [
    ("content-type", "application/x-www-form-urlencoded"),
    ("host", "2fa.example.com"),
    ("x-forwarded-proto", "https"),
];

/// [`HEADERS`], then `headers`.
fn all_headers<'h>(headers: &'h [(&str, String)]) -> impl Iterator<Item = (&'h str, &'h str)> {
    HEADERS
        .into_iter()
        .chain(headers.iter().map(|(n, v)| (*n, v.as_str())))
}

impl Line for App {
    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> (u16, String, String) {
        let mut req = Request::post(path);
        for (name, value) in all_headers(headers) {
            req = req.header(name, value);
        }
        let response = self
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let kind = content_type(response.headers());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, kind, String::from_utf8(bytes.to_vec()).unwrap())
    }
}

impl Line for SocketAddr {
    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> (u16, String, String) {
        let mut req = reqwest::Client::new().post(format!("http://{self}{path}"));
        for (name, value) in all_headers(headers) {
            req = req.header(name, value);
        }
        let response = req.body(body).send().await.unwrap();
        let status = response.status().as_u16();
        let kind = content_type(response.headers());
        (status, kind, response.text().await.unwrap())
    }
}

/// Replicas behind a load balancer that sends each request to the next one in turn.
pub struct Alternating {
    replicas: Vec<SocketAddr>,
    sent: std::sync::atomic::AtomicUsize,
}

impl Alternating {
    /// Turns spread over `replicas`, the first request to the first.
    pub fn new(replicas: &[SocketAddr]) -> Self {
        Self {
            replicas: replicas.to_vec(),
            sent: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl Line for Alternating {
    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> (u16, String, String) {
        let n = self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let replica = self.replicas[n % self.replicas.len()];
        replica.post(path, headers, body).await
    }
}

fn content_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The address Twilio is told to call, as the tests' servers see it behind a TLS proxy
/// (`Host: 2fa.example.com`, `X-Forwarded-Proto: https`).
pub const PUBLIC: &str = "https://2fa.example.com";

/// How a turn ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// A question: keys go to `action`.
    Gather {
        /// Where the keys are posted (as written, XML-unescaped).
        action: String,
        /// `numDigits`, when fixed.
        num_digits: Option<u8>,
    },
    /// The call goes to this URL.
    Redirect(String),
    /// The call is over.
    Hangup,
}

/// One turn as the caller met it.
#[derive(Debug, Clone)]
pub struct Heard {
    /// Each `<Say>`'s text, in order.
    pub said: Vec<String>,
    /// The `language` of the `<Say>`s.
    pub lang: String,
    /// What follows.
    pub end: End,
    /// The TwiML, whole.
    pub twiml: String,
}

impl Heard {
    /// Everything said, one text.
    pub fn text(&self) -> String {
        self.said.join(" | ")
    }

    /// Whether anything said contains `words`.
    pub fn says(&self, words: &str) -> bool {
        self.said.iter().any(|s| s.contains(words))
    }

    /// Whether this turn asks a question.
    pub fn asks(&self) -> bool {
        matches!(self.end, End::Gather { .. })
    }
}

/// One call in progress.
pub struct TwilioCall<L> {
    line: L,
    /// The auth token requests are signed with; unsigned without one.
    token: Option<String>,
    /// `CallSid`.
    pub sid: String,
    /// `From`.
    pub from: String,
    /// Where the next keys go (path and query), once a question was asked.
    next: Option<String>,
    /// Every turn so far.
    pub turns: Vec<Heard>,
}

impl<L: Line> TwilioCall<L> {
    /// A call from `from` over `line`, signed with `token` if given.
    pub fn new(line: L, from: &str, token: Option<&str>) -> Self {
        static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self {
            line,
            token: token.map(str::to_owned),
            sid: format!(
                "CA{:032x}",
                0x5eed_0000_u64 + u64::from(n) + u64::from(std::process::id()) * 1000
            ),
            from: from.to_owned(),
            next: None,
            turns: Vec::new(),
        }
    }

    /// The call's parameters as Twilio posts them, with `Digits` when keys were pressed.
    pub fn params(&self, digits: Option<&str>) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = [
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", self.sid.as_str()),
            ("CallStatus", "in-progress"),
            ("Called", "+15005550006"),
            ("Caller", self.from.as_str()),
            ("Direction", "inbound"),
            ("From", self.from.as_str()),
            ("To", "+15005550006"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
        if let Some(digits) = digits {
            params.push(("Digits".into(), digits.into()));
            params.push(("FinishedOnKey".into(), String::new()));
        }
        params
    }

    /// The first webhook: the call reaches the Voice URL `voice` (path and query).
    pub async fn dial(&mut self, voice: &str) -> Heard {
        let params = self.params(None);
        self.post(voice, &params).await
    }

    /// The caller presses `keys` (empty: stays silent) for the question just asked.
    pub async fn press(&mut self, keys: &str) -> Heard {
        let action = self
            .next
            .clone()
            .unwrap_or_else(|| panic!("nothing was asked: {:?}", self.turns.last()));
        let params = self.params(Some(keys));
        self.post(&action, &params).await
    }

    /// Posts `params` to `path` as Twilio would, and checks the answer.
    pub async fn post(&mut self, path: &str, params: &[(String, String)]) -> Heard {
        let (status, kind, body) = self.send(path, params, None).await;
        assert_eq!(status, 200, "Twilio needs 200: {body}");
        assert_eq!(kind, "text/xml; charset=utf-8", "{body}");
        let heard = check(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        self.next = match &heard.end {
            End::Gather { action, .. } => Some(resolve(path, action)),
            _ => None,
        };
        self.turns.push(heard.clone());
        heard
    }

    /// Sends `params` to `path`, signed under the call's token (or `signature` as given), and
    /// returns status, content type and body unchecked: for tests of refusals.
    pub async fn send(
        &self,
        path: &str,
        params: &[(String, String)],
        signature: Option<String>,
    ) -> (u16, String, String) {
        let body = params
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = Vec::new();
        let signature = signature.or_else(|| {
            let token = self.token.as_deref()?;
            Some(sign(token, &format!("{PUBLIC}{path}"), params))
        });
        if let Some(signature) = signature {
            headers.push(("x-twilio-signature", signature));
        }
        self.line.post(path, &headers, body).await
    }

    /// Where the next keys would go (path and query).
    pub fn action(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// Stays silent at every question until the call ends; how many silences it took.
    pub async fn silent_until_the_end(&mut self, most: usize) -> usize {
        for n in 0..=most {
            if !self.turns.last().is_some_and(Heard::asks) {
                return n;
            }
            self.press("").await;
        }
        panic!(
            "still asking after {most} silences: {:?}",
            self.turns.last()
        );
    }
}

/// `action` resolved against `current` (path and query), as Twilio resolves a relative URL.
fn resolve(current: &str, action: &str) -> String {
    if let Some(rest) = action.strip_prefix(PUBLIC) {
        return rest.to_owned();
    }
    if action.starts_with('/') {
        return action.to_owned();
    }
    let path = current.split('?').next().unwrap_or("/");
    if let Some(query) = action.strip_prefix('?') {
        return format!("{path}?{query}");
    }
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    format!("{dir}{action}")
}

/// Twilio's signature of `url` and `params` under `token`: HMAC-SHA1 over the URL followed by
/// each parameter, sorted by name, as name then value, in base64.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = <Hmac<sha1::Sha1>>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(&mac.finalize().into_bytes())
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The verbs this service may answer with, each with the attributes it may carry.
const VERBS: [(&str, &[&str]); 4] = [
    ("Say", &["language", "voice"]),
    (
        "Gather",
        &[
            "input",
            "method",
            "actionOnEmptyResult",
            "numDigits",
            "timeout",
            "action",
        ],
    ),
    ("Redirect", &["method"]),
    ("Hangup", &[]),
];

/// Reads `twiml` as Twilio would, refusing anything outside what is documented and expected.
pub fn check(twiml: &str) -> Result<Heard, String> {
    let doc = roxmltree::Document::parse(twiml).map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Response" || root.attributes().len() != 0 {
        return Err("the root must be a bare <Response>".into());
    }
    let mut said = Vec::new();
    let mut lang = String::new();
    let mut end = None;
    for node in root.children() {
        if node.is_text() {
            if node.text().is_some_and(|t| !t.trim().is_empty()) {
                return Err("text outside a verb".into());
            }
            continue;
        }
        if !node.is_element() {
            continue;
        }
        if matches!(end, Some(End::Hangup | End::Redirect(_))) {
            return Err("a verb after the call left".into());
        }
        let name = node.tag_name().name();
        let allowed = VERBS
            .iter()
            .find(|(verb, _)| *verb == name)
            .ok_or_else(|| format!("<{name}> is not a verb this service uses"))?
            .1;
        for attribute in node.attributes() {
            if !allowed.contains(&attribute.name()) {
                return Err(format!("<{name} {}> is not expected", attribute.name()));
            }
        }
        match name {
            "Say" => say(node, &mut said, &mut lang)?,
            "Gather" => {
                if end.is_some() {
                    return Err("two questions in one answer".into());
                }
                let attr = |a| node.attribute(a);
                if attr("input") != Some("dtmf") || attr("method") != Some("POST") {
                    return Err("a <Gather> must take keys, posted".into());
                }
                // Silence must reach the server too, or the call falls through unasked.
                if attr("actionOnEmptyResult") != Some("true") {
                    return Err("a <Gather> must post silence too".into());
                }
                let timeout: u32 = attr("timeout")
                    .and_then(|t| t.parse().ok())
                    .ok_or("a <Gather> needs a whole timeout")?;
                if !(1..=60).contains(&timeout) {
                    return Err(format!("timeout {timeout}"));
                }
                let num_digits = match attr("numDigits") {
                    None => None,
                    Some(n) => Some(
                        n.parse::<u8>()
                            .ok()
                            .filter(|n| (1..=20).contains(n))
                            .ok_or("numDigits")?,
                    ),
                };
                let action = attr("action").ok_or("a <Gather> needs an action")?;
                if action.is_empty() {
                    return Err("an empty action".into());
                }
                for child in node.children().filter(roxmltree::Node::is_element) {
                    if child.tag_name().name() != "Say"
                        || child
                            .attributes()
                            .any(|a| !["language", "voice"].contains(&a.name()))
                    {
                        return Err("a <Gather> holds only <Say>".into());
                    }
                    say(child, &mut said, &mut lang)?;
                }
                end = Some(End::Gather {
                    action: action.to_owned(),
                    num_digits,
                });
            }
            "Redirect" => {
                if node
                    .attribute("method")
                    .is_some_and(|m| m != "POST" && m != "GET")
                {
                    return Err("method".into());
                }
                let url = node.text().unwrap_or("").trim();
                if !(url.starts_with("https://")
                    || url.starts_with("http://")
                    || url.starts_with('/'))
                {
                    return Err(format!("<Redirect> to {url:?}"));
                }
                end = Some(End::Redirect(url.to_owned()));
            }
            "Hangup" => {
                if node.has_children() {
                    return Err("<Hangup> is empty".into());
                }
                // After a question, the hang-up is reached only if Twilio could not post.
                if end.is_none() {
                    end = Some(End::Hangup);
                }
            }
            _ => unreachable!(),
        }
    }
    let end = end.ok_or("the answer neither asks nor ends: Twilio would hang up unasked")?;
    if said.is_empty() {
        return Err("nothing is said".into());
    }
    Ok(Heard {
        said,
        lang,
        end,
        twiml: twiml.to_owned(),
    })
}

/// One `<Say>`: a documented language, a voice that speaks it, and words.
fn say(
    node: roxmltree::Node<'_, '_>,
    said: &mut Vec<String>,
    lang: &mut String,
) -> Result<(), String> {
    let language = node.attribute("language").unwrap_or("en-US");
    match (language, node.attribute("voice")) {
        // The default voices speak no Hebrew: a Google voice does.
        ("he-IL", Some(voice)) if voice.starts_with("Google.he-IL-") => {}
        ("en-US", None) => {}
        other => return Err(format!("<Say> in {other:?}")),
    }
    if !lang.is_empty() && lang != language {
        return Err("two languages in one turn".into());
    }
    *lang = language.to_owned();
    let text = node.text().unwrap_or("").trim().to_owned();
    if text.is_empty() || node.children().any(|c| c.is_element()) {
        return Err("a <Say> holds words only".into());
    }
    said.push(text);
    Ok(())
}
