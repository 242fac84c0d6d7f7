//! A Yemot call, played as Yemot plays it, and every answer judged against the rules in
//! docs/YEMOT.md: the call's details and the owner's `api_add` values (percent-encoded, or
//! joined raw as they stand in ext.ini), everything collected so far re-sent each turn, the keys
//! a caller types at each `read`, re-entries of the extension followed, and the hang-up notice
//! last. Blocking I/O on a plain socket (run it in `spawn_blocking`): a raw value may hold a
//! space, which no HTTP client library will send in a request line.

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// Commands Yemot understands in an answer.
pub const COMMANDS: [&str; 9] = [
    "id_list_message",
    "read",
    "go_to_folder",
    "go_to_folder_and_play",
    "routing_yemot",
    "routing",
    "music_on_hold",
    "credit_card",
    "noop",
];
/// Commands that another may follow.
pub const CHAINABLE: [&str; 2] = ["id_list_message", "music_on_hold"];
/// Prefixes of `id_list_message` items.
pub const PREFIXES: [&str; 12] = [
    "t", "f", "d", "n", "a", "s", "m", "z", "date", "dateH", "g", "h",
];
/// Characters that break a `t-` item.
pub const TEXT_FORBIDDEN: &str = ".-&=\"'|\r\n\t";
/// Playback modes of `read` field 6.
const PLAYBACK: [&str; 16] = [
    "no",
    "number",
    "digits",
    "price",
    "time",
    "date",
    "hebrewdate",
    "teudatzehut",
    "phone",
    "alpha",
    "hebrewkeyboard",
    "englishkeyboard",
    "emailkeyboard",
    "digitskeyboard",
    "file",
    "tts",
];

/// One call to play: where, how, with what values, and what the caller types.
#[derive(Debug, Clone)]
pub struct Call {
    /// Replicas of the server; turns go round robin (a call must not need sticky sessions).
    pub urls: Vec<String>,
    /// A GET with a query string (`api_url_post` unset), else a form POST.
    pub get: bool,
    /// `api_add` values as they stand in ext.ini: ASCII unencoded, the rest percent-encoded.
    pub raw: bool,
    /// `ApiPhone`.
    pub phone: String,
    /// `ApiExtension`.
    pub extension: String,
    /// Whether the `Api*` call details are sent.
    pub call_params: bool,
    /// The ext.ini `api_add_N` values, in order.
    pub adds: Vec<(String, String)>,
    /// What the caller types at each `read`, in order: keys, or `none` for silence.
    pub presses: Vec<String>,
    /// Turns before the call is judged a loop.
    pub max_turns: usize,
}

impl Call {
    /// A POST call to `url` from 0501234567 on extension 2, nothing typed.
    pub fn new(url: &str) -> Self {
        Self {
            urls: vec![url.to_owned()],
            get: false,
            raw: false,
            phone: "0501234567".into(),
            extension: "2".into(),
            call_params: true,
            adds: Vec::new(),
            presses: Vec::new(),
            max_turns: 12,
        }
    }

    /// A call described with yemot-call's own arguments: `--add NAME=VALUE`, `--press KEYS`,
    /// `--get`, `--raw`, `--phone`, `--extension`, `--also URL`, `--no-call-params`.
    pub fn from_args(url: &str, args: &[String]) -> Self {
        let mut call = Self::new(url);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().expect("a value after the option").clone();
            match arg.as_str() {
                "--add" => {
                    let add = value();
                    let (name, value) = add.split_once('=').expect("--add NAME=VALUE");
                    call.adds.push((name.to_owned(), value.to_owned()));
                }
                "--press" => call.presses.push(value()),
                "--phone" => call.phone = value(),
                "--extension" => call.extension = value(),
                "--also" => call.urls.push(value()),
                "--get" => call.get = true,
                "--raw" => call.raw = true,
                "--no-call-params" => call.call_params = false,
                other => panic!("yemot_call: unknown argument {other}"),
            }
        }
        call
    }

    /// Plays the call to its end, hang-up notice included.
    pub fn play(self) -> Played {
        Player::new(self).run()
    }
}

/// One answer of the server.
#[derive(Debug, Clone)]
pub struct Turn {
    /// 1 for the first, 0 for the hang-up notice.
    pub number: usize,
    /// HTTP status.
    pub status: u16,
    /// The answer as sent.
    pub body: String,
    /// What the caller hears, items joined by ` | `.
    pub heard: String,
    /// Each run of digits said with `d-` items side by side.
    pub digits: Vec<String>,
    /// What happened next.
    pub then: String,
}

/// A whole call: its answers, and whatever broke the protocol.
#[derive(Debug, Clone)]
pub struct Played {
    /// Each answer, the hang-up notice last.
    pub turns: Vec<Turn>,
    /// Protocol violations: must be none.
    pub violations: Vec<String>,
    /// Things Yemot tolerates but that are better avoided.
    pub warnings: Vec<String>,
}

impl Played {
    /// Every run of digits the caller heard, turn by turn.
    pub fn digits(&self) -> Vec<String> {
        self.turns
            .iter()
            .filter(|t| t.number > 0)
            .flat_map(|t| t.digits.clone())
            .collect()
    }

    /// Everything the caller heard, turn by turn.
    pub fn heard(&self) -> String {
        self.turns
            .iter()
            .filter(|t| t.number > 0)
            .map(|t| t.heard.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Where the last answer sent the caller.
    pub fn ended(&self) -> &str {
        self.turns
            .iter()
            .rev()
            .find(|t| t.number > 0)
            .map_or("", |t| t.then.as_str())
    }

    /// The answer to the hang-up notice.
    pub fn hangup(&self) -> Option<&Turn> {
        self.turns.last().filter(|t| t.number == 0)
    }
}

struct Player {
    call: Call,
    /// Everything sent on each turn, in order, duplicates kept.
    params: Vec<(String, String)>,
    /// Where the `api_add` values start in `params`.
    first_add: usize,
    sent: usize,
    played: Played,
}

impl Player {
    fn new(call: Call) -> Self {
        let mut params = Vec::new();
        if call.call_params {
            params.extend(
                [
                    ("ApiCallId", "0637ded3ada490d8854e3b03c674b4ff924a948c"),
                    ("ApiYFCallId", "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"),
                    ("ApiDID", "0771234567"),
                    ("ApiRealDID", "0771234567"),
                    ("ApiPhone", &call.phone),
                    ("ApiExtension", &call.extension),
                    ("ApiTime", "1683594518"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
        }
        let first_add = params.len();
        params.extend(call.adds.iter().cloned());
        Self {
            call,
            params,
            first_add,
            sent: 0,
            played: Played {
                turns: Vec::new(),
                violations: Vec::new(),
                warnings: Vec::new(),
            },
        }
    }

    fn violation(&mut self, turn: usize, what: String) {
        let turn = if turn == 0 {
            "hangup".into()
        } else {
            turn.to_string()
        };
        self.played.violations.push(format!("turn {turn}: {what}"));
    }

    /// The query or body for `params`.
    fn encode(&self, params: &[(String, String)]) -> String {
        let adds = self.first_add..self.first_add + self.call.adds.len();
        params
            .iter()
            .enumerate()
            .map(|(i, (name, value))| {
                if self.call.raw && adds.contains(&i) {
                    let mut out = format!("{name}=");
                    for c in value.chars() {
                        if c.is_ascii() {
                            out.push(c);
                        } else {
                            let mut bytes = [0; 4];
                            for b in c.encode_utf8(&mut bytes).bytes() {
                                out.push_str(&format!("%{b:02X}"));
                            }
                        }
                    }
                    out
                } else {
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair(name, value)
                        .finish()
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// One request, written by hand; its status, content type and body.
    fn send(&mut self, params: &[(String, String)]) -> (u16, String, Vec<u8>) {
        let url = self.call.urls[self.sent % self.call.urls.len()].clone();
        self.sent += 1;
        let rest = url.strip_prefix("http://").expect("an http:// URL");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let body = self.encode(params);
        let (target, payload) = if self.call.get {
            let join = if path.contains('?') { '&' } else { '?' };
            (format!("{path}{join}{body}"), String::new())
        } else {
            (path.to_owned(), body)
        };
        let method = if self.call.get { "GET" } else { "POST" };
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: yemot-core-api/1.0\r\n"
        );
        if !self.call.get {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", payload.len()));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(host).expect("the server answers");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(payload.as_bytes()).unwrap();
        let mut data = Vec::new();
        stream.read_to_end(&mut data).expect("an answer");
        parse_response(&data)
    }

    fn run(mut self) -> Played {
        let mut presses = std::mem::take(&mut self.call.presses).into_iter();
        let mut reentered_bodies: Vec<String> = Vec::new();
        let mut finished = false;
        for number in 1..=self.call.max_turns {
            let params = self.params.clone();
            let (status, content_type, raw) = self.send(&params);
            let body = self.check_envelope(number, status, &content_type, &raw);
            let commands = self.parse(number, &body);
            let (heard, digits) = heard(&commands);
            let mut turn = Turn {
                number,
                status,
                body: body.clone(),
                heard,
                digits,
                then: String::new(),
            };
            let ask = commands.iter().find(|(k, _)| k == "read").map(|(_, v)| v);
            let Some(ask) = ask else {
                turn.then = describe_exit(&commands);
                let target = commands
                    .iter()
                    .find(|(k, _)| k == "go_to_folder")
                    .map(|(_, v)| v.clone());
                if let Some(target) = target.filter(|t| self.is_self(t)) {
                    if reentered_bodies.contains(&body)
                        || self.played.turns.iter().any(|t| t.body == body)
                    {
                        self.violation(
                            number,
                            format!("go_to_folder {target:?} re-enters this extension and brings back an answer already given: the call loops"),
                        );
                        self.played.turns.push(turn);
                        finished = true;
                        break;
                    }
                    reentered_bodies.push(body);
                    turn.then.push_str(" (this extension again)");
                    self.played.turns.push(turn);
                    continue;
                }
                self.played.turns.push(turn);
                finished = true;
                break;
            };
            let ask = ask.clone();
            match self.answer_read(number, &ask, &mut presses) {
                None => {
                    turn.then = "caller hung up while asked for input".into();
                    self.played.turns.push(turn);
                    finished = true;
                    break;
                }
                Some((name, value)) => {
                    turn.then = format!("caller typed {value:?} as {name}");
                    self.played.turns.push(turn);
                    self.params.push((name, value));
                }
            }
        }
        if !finished {
            let max = self.call.max_turns;
            self.violation(
                max,
                format!("still asking for input after {max} turns (a loop?)"),
            );
        }
        self.hangup_notice();
        self.played
    }

    fn is_self(&self, target: &str) -> bool {
        let target = target.trim();
        target == "."
            || (target.starts_with('/')
                && target.trim_matches('/') == self.call.extension.trim_matches('/'))
    }

    fn check_envelope(
        &mut self,
        turn: usize,
        status: u16,
        content_type: &str,
        raw: &[u8],
    ) -> String {
        if status != 200 {
            self.violation(
                turn,
                format!("HTTP {status}: Yemot plays M1607 'no answer from API server'"),
            );
        }
        if !content_type.to_ascii_lowercase().starts_with("text/plain") {
            self.played.warnings.push(format!(
                "turn {turn}: Content-Type {content_type:?}, expected text/plain; charset=utf-8"
            ));
        }
        if raw.starts_with(b"\xef\xbb\xbf") {
            self.violation(turn, "body starts with a UTF-8 BOM".into());
        }
        let body = match std::str::from_utf8(raw) {
            Ok(body) => body.to_owned(),
            Err(_) => {
                self.violation(turn, "body is not UTF-8".into());
                String::from_utf8_lossy(raw).into_owned()
            }
        };
        if body.trim().is_empty() {
            self.violation(turn, "empty body: Yemot plays M1607".into());
        }
        if body.trim_start().starts_with(['{', '[']) {
            self.violation(
                turn,
                "JSON body: Yemot cannot read it and plays M1607".into(),
            );
        }
        body
    }

    fn parse(&mut self, turn: usize, body: &str) -> Vec<(String, String)> {
        let mut parts: Vec<&str> = body.trim().split('&').filter(|p| !p.is_empty()).collect();
        if parts.first() == Some(&"api_log_no") {
            parts.remove(0);
        }
        let mut commands: Vec<(String, String)> = Vec::new();
        for part in parts {
            let Some((key, value)) = part.split_once('=').filter(|(k, _)| COMMANDS.contains(k))
            else {
                let shown: String = part.chars().take(40).collect();
                self.violation(turn, format!("unknown command {shown:?}"));
                continue;
            };
            if let Some((last, _)) = commands.last()
                && !CHAINABLE.contains(&last.as_str())
            {
                self.violation(
                    turn,
                    format!(
                        "{key:?} follows {last:?}: only id_list_message and music_on_hold chain"
                    ),
                );
            }
            commands.push((key.to_owned(), value.to_owned()));
            match key {
                "id_list_message" => self.check_messages(turn, value),
                "read" => match value.split_once('=') {
                    Some((messages, _)) => self.check_messages(turn, messages),
                    None => {
                        self.violation(turn, "read without '=' between messages and options".into())
                    }
                },
                "go_to_folder" if !is_folder(value) => {
                    self.violation(turn, format!("go_to_folder {value:?} is not a path"));
                }
                _ => {}
            }
        }
        commands
    }

    fn check_messages(&mut self, turn: usize, value: &str) {
        let items: Vec<&str> = value.split('.').collect();
        for (i, item) in items.iter().enumerate() {
            if item.starts_with("noop") {
                continue;
            }
            let shown: String = item.chars().take(40).collect();
            let Some((prefix, data)) = item.split_once('-').filter(|(p, _)| PREFIXES.contains(p))
            else {
                self.violation(
                    turn,
                    format!("message item {shown:?} has no known prefix (t-, d-, n-, f-, m-, ...)"),
                );
                continue;
            };
            match prefix {
                "t" => {
                    let bad = data.chars().any(|c| {
                        TEXT_FORBIDDEN.contains(c)
                            || c.is_control()
                            || matches!(c, '\u{2028}' | '\u{2029}')
                    });
                    if bad || data.trim().is_empty() {
                        self.violation(
                            turn,
                            format!("t- item {shown:?} is empty or holds a forbidden character"),
                        );
                    }
                }
                "d" | "n" | "m" if data.is_empty() || !data.bytes().all(|b| b.is_ascii_digit()) => {
                    self.violation(turn, format!("{prefix}- item {shown:?} is not digits"));
                }
                "g" if i + 1 != items.len() => {
                    self.violation(turn, "g- item is not last: nothing after it plays".into());
                }
                _ => {}
            }
        }
    }

    /// What the caller types at a `read` of `value`: its name and the value Yemot sends, or
    /// `None` when the caller hangs up.
    fn answer_read(
        &mut self,
        turn: usize,
        value: &str,
        presses: &mut impl Iterator<Item = String>,
    ) -> Option<(String, String)> {
        let options = value.split_once('=').map_or("", |(_, o)| o);
        let mut f: Vec<&str> = options.split(',').collect();
        f.resize(15.max(f.len()), "");
        let name = f[0].to_owned();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.violation(
                turn,
                format!("read: field 1 (name) {name:?} is not a plain name"),
            );
        }
        if matches!(f[2], "record" | "voice") {
            self.violation(turn, format!("read: mode {:?} cannot be simulated", f[2]));
            return None;
        }
        if f[3].is_empty() || f[4].is_empty() || f[5].is_empty() {
            self.played.warnings.push(format!(
                "turn {turn}: read fields 4-6 left empty: write them out"
            ));
        }
        if f[1] == "yes" && self.params.iter().any(|(n, _)| *n == name) {
            self.violation(
                turn,
                format!("read: field 2 = yes on existing {name:?}: Yemot re-sends the old value at once, a loop"),
            );
        }
        if !f[5].is_empty() && !PLAYBACK.contains(&f[5].to_ascii_lowercase().as_str()) {
            self.violation(turn, format!("read: field 6 playback {:?} unknown", f[5]));
        }
        let max: Option<usize> = f[2].parse().ok();
        let min: usize = f[3].parse().unwrap_or(1);
        let allowed: Option<Vec<String>> = match f[9] {
            "" => None,
            list if list.contains('.') => Some(list.split('.').map(str::to_owned).collect()),
            list => Some(list.chars().map(String::from).collect()),
        };
        for keys in presses.by_ref() {
            if keys == "none" {
                if f[11] == "Ok" {
                    let silence = if f[12].is_empty() { "None" } else { f[12] };
                    return Some((name, silence.to_owned()));
                }
                self.violation(
                    turn,
                    format!("read {name:?} does not accept silence (field 12 is not Ok): Yemot asks a silent caller again and again (M1002) and the call never ends"),
                );
                return None;
            }
            let keys: String = match max {
                Some(max) => keys.chars().take(max).collect(),
                None => keys,
            };
            if keys.chars().count() < min {
                continue; // M1035: too few digits, asked again
            }
            if allowed.as_ref().is_some_and(|a| !a.contains(&keys)) {
                continue; // M1224: invalid choice, asked again
            }
            return Some((name, keys));
        }
        None
    }

    fn hangup_notice(&mut self) {
        let mut params = self.params.clone();
        params.push(("hangup".into(), "yes".into()));
        params.push((
            "ApiHangupExtension".into(),
            format!("/{}", self.call.extension),
        ));
        let (status, _, raw) = self.send(&params);
        let body = String::from_utf8_lossy(&raw).into_owned();
        if status != 200 {
            self.played.warnings.push(format!(
                "hang-up notice answered HTTP {status}; 200 is expected"
            ));
        }
        let says_digits = body.match_indices("d-").any(|(i, _)| {
            (i == 0 || matches!(body.as_bytes()[i - 1], b'=' | b'.'))
                && body.as_bytes().get(i + 2).is_some_and(u8::is_ascii_digit)
        });
        if says_digits {
            self.violation(
                0,
                "the hang-up notice was answered with a code: nobody is listening".into(),
            );
        }
        self.played.turns.push(Turn {
            number: 0,
            status,
            body,
            heard: String::new(),
            digits: Vec::new(),
            then: String::new(),
        });
    }
}

/// Whether `value` is a path `go_to_folder` takes.
fn is_folder(value: &str) -> bool {
    if value == "hangup" {
        return true;
    }
    let word = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b >= 0x80)
    };
    if let Some(rest) = value.strip_prefix("..").or_else(|| value.strip_prefix('.')) {
        return rest.is_empty()
            || rest
                .strip_prefix('/')
                .is_some_and(|r| r.split('/').all(|s| !s.is_empty() && word(s)));
    }
    value.split('/').all(|s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
    })
}

/// What the caller hears, and each run of digits said with `d-` items side by side.
fn heard(commands: &[(String, String)]) -> (String, Vec<String>) {
    let mut words = Vec::new();
    let mut digits = Vec::new();
    for (key, value) in commands {
        let list = match key.as_str() {
            "id_list_message" => value.as_str(),
            "read" => value.split_once('=').map_or(value.as_str(), |(m, _)| m),
            _ => continue,
        };
        let mut run = String::new();
        for item in list.split('.') {
            let (prefix, data) = item.split_once('-').unwrap_or((item, ""));
            if prefix == "d" && !data.is_empty() && data.bytes().all(|b| b.is_ascii_digit()) {
                words.push(data.chars().map(String::from).collect::<Vec<_>>().join(" "));
                run.push_str(data);
                continue;
            }
            if !run.is_empty() {
                digits.push(std::mem::take(&mut run));
            }
            match prefix {
                "t" => {
                    // An English call's codes are read inside its text ("0 0 5, 9 2 4").
                    digits.extend(digit_runs(data));
                    words.push(data.to_owned());
                }
                "n" => words.push(format!("<number {data}>")),
                "m" => words.push(format!("<system message M{data}>")),
                "" => {}
                _ => words.push(format!("<{item}>")),
            }
        }
        if !run.is_empty() {
            digits.push(run);
        }
    }
    (words.join(" | "), digits)
}

/// Runs of digits written apart by spaces and commas, of at least 4: codes said in words.
fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else if !matches!(c, ' ' | ',') {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs.push(run);
    runs.retain(|r| r.len() >= 4);
    runs
}

fn describe_exit(commands: &[(String, String)]) -> String {
    for (key, value) in commands {
        if key == "go_to_folder" {
            return if value == "hangup" {
                "hang up".into()
            } else {
                format!("go to folder {value}")
            };
        }
        if !CHAINABLE.contains(&key.as_str()) && key != "noop" {
            return key.clone();
        }
    }
    "caller leaves the extension (api_end_goto or one level back)".into()
}

/// Status, content type and body of a whole HTTP/1.1 response (`Connection: close`).
fn parse_response(data: &[u8]) -> (u16, String, Vec<u8>) {
    let split = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&data[..split]);
    let mut rest = data[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut content_type = String::new();
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => content_type = value.trim().to_owned(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
    }
    if chunked {
        let mut body = Vec::new();
        let mut at = 0;
        while let Some(end) = rest[at..].windows(2).position(|w| w == b"\r\n") {
            let size_line = String::from_utf8_lossy(&rest[at..at + end]).into_owned();
            let size =
                usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16).unwrap_or(0);
            at += end + 2;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
        rest = body;
    }
    (status, content_type, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_itself_flags_what_breaks_a_call() {
        let mut player = Player::new(Call::new("http://127.0.0.1:1/"));
        player.parse(1, "id_list_message=t-a.b&go_to_folder=hangup&read=t-x=n");
        player.check_messages(1, "t-.d-12a.g-1.t-x");
        player.answer_read(
            1,
            "t-x=acct,no,1,1,7,No,no,no,,12,2,,None,,no",
            &mut ["none".to_owned()].into_iter(),
        );
        assert_eq!(
            player.played.violations.len(),
            6,
            "{:?}",
            player.played.violations
        );
    }
}
