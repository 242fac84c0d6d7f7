//! Replies: the plain-text commands a `type=api` extension speaks.
//!
//! # Format
//!
//! ```text
//! id_list_message=t-הקוד הוא.d-123.d-456.t-אני חוזר.d-123.d-456&go_to_folder=hangup
//! ```
//!
//! A reply is `command=value` pairs joined by `&`; only `id_list_message` (and music on hold)
//! may be followed by another command. A message list is `type-data` items joined by `.`:
//! `t-` is text to speech, `d-` reads digits one by one, so a code's leading zeros survive.
//! Inside `t-` text, `.` and `-` are documented as forbidden, `&` and `=` are structural, and
//! every Yemot library also strips `"`, `'` and `|`: [`Messages::text`] cleans every text
//! through [`super::speak`].

use super::speak::{is_clean_text, sanitize_text};

/// A message list under construction (`t-….d-…`).
///
/// The list is written once, into the buffer the reply goes out in: it starts with room for
/// the longest command name (`id_list_message=`), which [`Reply`] fills in front of it.
#[derive(Clone)]
pub struct Messages {
    buf: String,
}

/// Bytes kept free before the list for the command that carries it.
const HEADROOM: usize = "id_list_message=".len();

impl Default for Messages {
    fn default() -> Self {
        // Room for a code read twice with its prompts and a `read`'s options: one allocation.
        let mut buf = String::with_capacity(320);
        buf.extend(std::iter::repeat_n(' ', HEADROOM));
        Self { buf }
    }
}

impl Messages {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    fn item(&mut self, prefix: &str, data: &str) -> &mut Self {
        if self.buf.len() > HEADROOM {
            self.buf.push('.');
        }
        self.buf.push_str(prefix);
        self.buf.push_str(data);
        self
    }

    /// Adds a text-to-speech item. Text that is not clean is sanitized; text that is empty
    /// after that adds nothing (an empty `t-` item breaks the reply).
    pub fn text(&mut self, text: &str) -> &mut Self {
        if is_clean_text(text) {
            self.item("t-", text)
        } else {
            let clean = sanitize_text(text);
            if !clean.is_empty() {
                self.item("t-", &clean);
            }
            self
        }
    }

    /// Adds a text the caller's layer proved clean once for all (its fixed texts: a test in
    /// [`super::speak`] reads every one), without checking it on every request.
    pub fn fixed_text(&mut self, text: &'static str) -> &mut Self {
        debug_assert!(is_clean_text(text), "{text}");
        self.item("t-", text)
    }

    /// Adds a digits item, read one digit at a time. `digits` must be ASCII digits.
    pub fn digits(&mut self, digits: &str) -> &mut Self {
        debug_assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        self.item("d-", digits)
    }

    /// Adds a number item, read as a quantity ("twenty-three").
    pub fn number(&mut self, n: u64) -> &mut Self {
        let mut buffer = itoa::Buffer::new();
        self.item("n-", buffer.format(n))
    }

    /// Adds a code. Digits go in two groups with a pause between them (6 as 3+3, 7 as 3+4,
    /// 8 as 4+4); a Steam code is read one character at a time, letters with `a-`.
    pub fn code(&mut self, code: &str) -> &mut Self {
        if code.bytes().all(|b| b.is_ascii_digit()) {
            let (first, second) = code.split_at(code.len() / 2);
            return self.digits(first).digits(second);
        }
        for c in code.chars() {
            let mut buffer = [0u8; 4];
            let one = c.to_ascii_lowercase().encode_utf8(&mut buffer);
            if c.is_ascii_digit() {
                self.item("d-", one);
            } else if c.is_ascii_alphabetic() {
                self.item("a-", one);
            }
        }
        self
    }

    /// The list as text.
    pub fn as_str(&self) -> &str {
        &self.buf[HEADROOM..]
    }

    /// The buffer with `command=` written right before the list; where the reply starts.
    fn into_command(mut self, command: &str) -> (String, usize) {
        let start = HEADROOM - command.len() - 1;
        self.buf.replace_range(start..HEADROOM - 1, command);
        self.buf.replace_range(HEADROOM - 1..HEADROOM, "=");
        (self.buf, start)
    }
}

/// A `go_to_folder` target that is neither `hangup` nor a folder path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("then must be hangup or a folder path such as /1/2")]
pub struct InvalidFolder;

/// Where the caller goes at the end: `go_to_folder=hangup` (the default) or a folder path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder(String);

impl Default for Folder {
    fn default() -> Self {
        Self::HANGUP
    }
}

impl Folder {
    /// Hang up.
    pub const HANGUP: Self = Self(String::new());

    /// Parses `hangup` or a Yemot folder path: `/1/2` from the root, `3` below this extension,
    /// `.`, `..`, `../2` relative (Yemot's `go_to_folder` path syntax).
    ///
    /// # Errors
    ///
    /// [`InvalidFolder`] for anything else, so nothing structural reaches the reply.
    pub fn parse(text: &str) -> Result<Self, InvalidFolder> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("hangup") {
            return Ok(Self::HANGUP);
        }
        if text.len() <= 100 && is_folder_path(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidFolder)
        }
    }

    fn as_command(&self) -> &str {
        if self.0.is_empty() { "hangup" } else { &self.0 }
    }

    /// The path to go to; `None` to hang up.
    pub fn into_target(self) -> Option<String> {
        (!self.0.is_empty()).then_some(self.0)
    }

    /// Whether going here from the extension at `extension` (`ApiExtension`: `""` for the root,
    /// `2`, `2/1`, no leading slash) enters that same extension again: Yemot would call the
    /// server again with everything collected so far, and the call would go round for ever.
    /// `.` always does; other paths are resolved against `extension` when Yemot sent it.
    pub fn leads_into(&self, extension: Option<&str>) -> bool {
        if self.0 == "." {
            return true;
        }
        let (Some(here), false) = (extension, self.0.is_empty()) else {
            return false;
        };
        let here: Vec<&str> = here.split('/').filter(|p| !p.is_empty()).collect();
        let mut there: Vec<&str> = if self.0.starts_with('/') {
            Vec::new()
        } else {
            here.clone()
        };
        for part in self.0.split('/').filter(|p| !p.is_empty()) {
            if part == ".." {
                there.pop();
            } else {
                there.push(part);
            }
        }
        there == here
    }
}

/// `/`, `.`, `/a/b`, `a/b`, `../a`, `../../a`, `..`: names of letters, digits and `_`.
fn is_folder_path(text: &str) -> bool {
    let name_ok = |part: &str| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if text == "/" || text == "." {
        return true;
    }
    if let Some(absolute) = text.strip_prefix('/') {
        return absolute.split('/').all(name_ok);
    }
    let mut seen_name = false;
    for part in text.split('/') {
        if part == ".." && !seen_name {
            continue;
        }
        if !name_ok(part) {
            return false;
        }
        seen_name = true;
    }
    true
}

/// The options of a `read` command that collects keys (tap mode): fields 1 to 15 of Yemot's
/// `read`, of which these are the ones that vary. Every `read` accepts silence (field 12 `Ok`,
/// the value `None`): a question that does not would be asked of a silent caller again and
/// again, and the call would never end. What silence means is the asker's to decide.
#[derive(Debug, Clone)]
pub struct Read<'a> {
    /// Field 1: the parameter name the value comes back under. Must be new in this call.
    pub name: &'a str,
    /// Field 3: most keys.
    pub max: u8,
    /// Field 4: fewest keys.
    pub min: u8,
    /// Field 5: seconds to wait.
    pub wait: u8,
    /// Field 10: allowed keys, written together (`13`); empty for any.
    pub allowed: &'a str,
    /// Field 11: how many times the prompt plays before silence counts as the answer.
    pub prompts: u8,
}

impl<'a> Read<'a> {
    /// One key, any key, 7 seconds, one prompt: the usual question.
    pub fn new(name: &'a str) -> Self {
        Self {
            name,
            max: 1,
            min: 1,
            wait: 7,
            allowed: "",
            prompts: 1,
        }
    }

    /// From `min` to `max` keys.
    pub fn keys(self, min: u8, max: u8) -> Self {
        Self { min, max, ..self }
    }

    /// Waits `seconds` for the first key.
    pub fn wait(self, seconds: u8) -> Self {
        Self {
            wait: seconds,
            ..self
        }
    }

    /// Only these keys (single-key answers, written together).
    pub fn only(self, allowed: &'a str) -> Self {
        Self { allowed, ..self }
    }

    /// Plays the prompt `times` before silence counts.
    pub fn prompts(self, times: u8) -> Self {
        Self {
            prompts: times,
            ..self
        }
    }
}

/// A complete answer to Yemot. `Debug` shows its length only: the body may speak a code.
pub struct Reply {
    body: String,
    start: usize,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reply({} bytes)", self.as_str().len())
    }
}

impl Reply {
    /// Plays `messages`, then hangs up. Ending explicitly keeps the caller from being sent "one
    /// level back" (Yemot's default after a message with nothing after it), a place the owner
    /// may not have thought about.
    pub fn say_then_hangup(messages: Messages) -> Self {
        Self::say_then(messages, &Folder::HANGUP)
    }

    /// Plays `messages`, then goes to `folder`.
    pub fn say_then(messages: Messages, folder: &Folder) -> Self {
        Self::say_then_go(messages, folder.as_command())
    }

    /// Plays `messages`, then goes to `target`: `hangup`, or a path a [`Folder`] was read
    /// from.
    pub fn say_then_go(messages: Messages, target: &str) -> Self {
        let (mut body, start) = messages.into_command("id_list_message");
        body.push_str("&go_to_folder=");
        body.push_str(target);
        Self { body, start }
    }

    /// Plays `messages` and collects keys; Yemot then calls again with everything so far plus
    /// `name=<keys>`, or `name=None` after silence. Every field is written out (an empty `wait`
    /// was seen to hang up at once), the keys are not played back (field 6 `No`) and no
    /// confirmation is asked (field 15).
    pub fn read(messages: Messages, read: &Read<'_>) -> Self {
        let (mut body, start) = messages.into_command("read");
        let mut number = itoa::Buffer::new();
        body.push('=');
        body.push_str(read.name);
        body.push_str(",no,");
        body.push_str(number.format(read.max));
        body.push(',');
        body.push_str(number.format(read.min));
        body.push(',');
        body.push_str(number.format(read.wait));
        body.push_str(",No,no,no,,");
        body.push_str(read.allowed);
        body.push(',');
        body.push_str(number.format(read.prompts));
        body.push_str(",Ok,None,,no");
        Self { body, start }
    }

    /// The answer to a hang-up notice: empty. Nobody is listening, so nothing is computed.
    pub fn hangup_ack() -> Self {
        Self {
            body: String::new(),
            start: 0,
        }
    }

    /// The reply text.
    pub fn as_str(&self) -> &str {
        &self.body[self.start..]
    }

    /// The reply, as the bytes that go on the wire (no copy).
    pub fn into_bytes(self) -> bytes::Bytes {
        bytes::Bytes::from(self.body.into_bytes()).slice(self.start..)
    }

    /// The buffer the reply was written into, and where in it the reply starts: the reply
    /// without a copy, nor the shared header [`Self::into_bytes`] allocates.
    pub fn into_buffer(self) -> (Vec<u8>, usize) {
        (self.body.into_bytes(), self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_for_listening() {
        for (code, want) in [
            ("012345", "d-012.d-345"),
            ("0123456", "d-012.d-3456"),
            ("01234567", "d-0123.d-4567"),
        ] {
            assert_eq!(Messages::new().code(code).as_str(), want);
        }
    }

    #[test]
    fn debug_of_a_reply_does_not_say_the_code() {
        let mut m = Messages::new();
        m.code("012345");
        let shown = format!("{:?}", Reply::say_then_hangup(m));
        assert!(
            !shown.contains("012") && shown.starts_with("Reply("),
            "{shown}"
        );
    }

    #[test]
    fn steam_codes_are_spelled() {
        assert_eq!(
            Messages::new().code("PV9M4").as_str(),
            "a-p.a-v.d-9.a-m.d-4"
        );
    }

    #[test]
    fn folders_are_validated() {
        for ok in [
            "hangup",
            "HANGUP",
            "/",
            "/1",
            "/1/2",
            "3",
            "..",
            ".",
            "../2",
            "../../2",
            "/main_menu",
        ] {
            assert!(Folder::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "/1/", "1//2", "/1&x=y", "a b", "/1.2", "/../1", "1/..x", "./../x/.", "t-x",
        ] {
            assert_eq!(Folder::parse(bad), Err(InvalidFolder), "{bad}");
        }
        assert_eq!(Folder::parse("hangup").unwrap().as_command(), "hangup");
        assert_eq!(Folder::parse("/1/2").unwrap().as_command(), "/1/2");
    }

    #[test]
    fn a_folder_that_leads_back_into_the_extension_is_recognised() {
        let into = |then: &str, ext: Option<&str>| Folder::parse(then).unwrap().leads_into(ext);
        assert!(into(".", None) && into(".", Some("2")));
        assert!(into("/2", Some("2")) && into("/2/1", Some("2/1")));
        assert!(into("../2", Some("2")) && into("../1", Some("2/1")));
        assert!(
            into("/", Some("")) && into("..", Some("")),
            "the root's parent is the root"
        );
        for (then, ext) in [
            ("hangup", Some("2")),
            ("/3", Some("2")),
            ("3", Some("2")),
            ("..", Some("2")),
            ("/", Some("2")),
            ("/2", None),
            ("../2", None),
        ] {
            assert!(!into(then, ext), "{then} from {ext:?}");
        }
    }

    #[test]
    fn read_writes_every_field() {
        let mut m = Messages::new();
        m.text("x");
        assert_eq!(
            Reply::read(m.clone(), &Read::new("rep1")).as_str(),
            "read=t-x=rep1,no,1,1,7,No,no,no,,,1,Ok,None,,no"
        );
        let read = Read::new("acct").only("13").prompts(2);
        assert_eq!(
            Reply::read(m.clone(), &read).as_str(),
            "read=t-x=acct,no,1,1,7,No,no,no,,13,2,Ok,None,,no"
        );
        let read = Read::new("pin1").keys(1, 12).wait(15);
        assert_eq!(
            Reply::read(m.clone(), &read).as_str(),
            "read=t-x=pin1,no,12,1,15,No,no,no,,,1,Ok,None,,no"
        );
    }

    #[test]
    fn unclean_and_empty_texts_are_handled() {
        let mut m = Messages::new();
        m.text("a.b").text("..").digits("1");
        assert_eq!(m.as_str(), "t-a b.d-1");
    }
}
