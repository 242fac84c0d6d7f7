//! The fields of a request: what Yemot (or a developer) sent, from the query string and the body,
//! as one list of name/value pairs in the order sent.
//!
//! Yemot sends a GET with a query string by default and a form-encoded POST with
//! `api_url_post=yes`; it re-sends every value collected so far, so names repeat and the *last*
//! one is current. A struct deserializer would fail on such duplicates (and its errors quote the
//! input), so the pairs are kept raw and each layer above reads and checks the few it needs.
//!
//! Each pair is a pair of ranges into one text. When the body is the whole request and needs no
//! decoding (a form without `%` or `+`, as Yemot's own fields and base32 secrets are), that text
//! is the body itself, shared with the buffer it arrived in: no copy and no allocation. Else
//! every name and value is decoded into one string, back to back. The pairs are held inline.
//!
//! # Raw-joined values
//!
//! Yemot most likely joins ext.ini `api_add` values into the request as written, percent-encoding
//! only non-ASCII text. A pasted `otpauth://` link then splits: `secret_2=otpauth://totp/Bank:me?
//! secret=X&digits=8&issuer=Bank` arrives as `secret_2=otpauth://totp/Bank:me?secret=X`,
//! `digits=8`, `issuer=Bank`. A link whose `://` arrived unencoded was joined raw, so the pairs
//! right after it that name link parameters it does not have yet are its own: they are put back
//! into it ([`LINK_PARAMETERS`]). Those that an owner could also have written as a line of their
//! own (`digits`, `algorithm`, `period`) and that no link-only parameter (`issuer`, …) follows
//! are remembered ([`Fields::rejoined`]), so that the call can tell when putting them back may
//! have taken another account's setting.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use bytestring::ByteString;
use smallvec::SmallVec;

/// Why a request's fields could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldsError {
    /// More pairs than the server allows.
    #[error("too many parameters")]
    TooMany,
    /// A JSON body that is not one flat object of strings, numbers and booleans.
    #[error("the JSON body must be one object with string or number values")]
    InvalidJson,
}

/// The parameters of an `otpauth://` link, put back into a link that raw joining split.
pub const LINK_PARAMETERS: [&str; 10] = [
    "secret",
    "issuer",
    "algorithm",
    "digits",
    "period",
    "counter",
    "image",
    "encoder",
    "icon",
    "color",
];

/// What Yemot sends with every request that nothing here reads (its call ids, numbers dialled,
/// folder on hang-up, clock, ID login; `docs/YEMOT.md`). They are
/// counted against the bound on parameters but not kept, so that every lookup runs over the
/// few pairs that can matter. `ApiPhone` and `ApiExtension` are read, and kept.
pub const UNREAD: [&str; 8] = [
    "ApiCallId",
    "ApiYFCallId",
    "ApiDID",
    "ApiRealDID",
    "ApiTime",
    "ApiEnterID",
    "ApiEnterIDName",
    "ApiHangupExtension",
];

/// Whether `name` is one of [`UNREAD`]: a `match`, which compares lengths before bytes.
fn is_unread(name: &str) -> bool {
    matches!(
        name,
        "ApiCallId"
            | "ApiYFCallId"
            | "ApiDID"
            | "ApiRealDID"
            | "ApiTime"
            | "ApiEnterID"
            | "ApiEnterIDName"
            | "ApiHangupExtension"
    )
}

/// Link parameters that are also options an owner may write on a line of their own.
const AMBIGUOUS: [&str; 3] = ["digits", "algorithm", "period"];

/// Where the pairs' text is.
enum Text {
    /// The request body, as it arrived.
    Shared(ByteString),
    /// What was decoded: a copy of the body first, if pairs were found in it before.
    Owned(String),
}

impl Default for Text {
    fn default() -> Self {
        Self::Owned(String::new())
    }
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Self::Shared(shared) => shared,
            Self::Owned(owned) => owned,
        }
    }
}

/// All fields of one request, query first, then body, in the order sent.
#[derive(Default)]
pub struct Fields {
    text: Text,
    /// Once [`UNREAD`] is left out, a Yemot request has a handful: held inline, without an
    /// allocation of their own.
    pairs: SmallVec<[(Range<u32>, Range<u32>); 16]>,
    /// Pairs sent but not kept ([`UNREAD`]).
    unread: usize,
    /// Links that raw joining split, by pair index, with the ambiguous options put back.
    rejoined: Vec<(u32, Vec<&'static str>)>,
}

impl Fields {
    /// Reads a query string (if any) and a body: form-encoded, or a JSON object when `json`.
    ///
    /// # Errors
    ///
    /// [`FieldsError::TooMany`] past `max_pairs`, [`FieldsError::InvalidJson`] for a JSON body
    /// that is not one flat object.
    pub fn parse(
        query: Option<&str>,
        body: &Bytes,
        json: bool,
        max_pairs: usize,
    ) -> Result<Self, FieldsError> {
        // A form body alone, in UTF-8: its pairs are ranges into the body itself.
        let shared = match (query, json) {
            (None, false) => ByteString::try_from(body.clone()).ok(),
            _ => None,
        };
        let mut fields = Self {
            text: match &shared {
                Some(shared) => Text::Shared(shared.clone()),
                None => Text::Owned(String::with_capacity(
                    query.map_or(0, str::len) + body.len(),
                )),
            },
            pairs: SmallVec::new(),
            unread: 0,
            rejoined: Vec::new(),
        };
        if let Some(query) = query {
            fields.add_query(query);
        }
        if json {
            fields.add_json(body)?;
        } else if let Some(shared) = &shared {
            fields.add_form_text(shared);
        } else {
            fields.add_form(body);
        }
        if fields.pairs.len() + fields.unread > max_pairs {
            return Err(FieldsError::TooMany);
        }
        Ok(fields)
    }

    /// Reads form-encoded bytes alone, without a bound: for tests and tools.
    pub fn from_form(body: &[u8]) -> Self {
        let mut fields = Self::default();
        fields.add_form(body);
        fields
    }

    fn push(&mut self, name: &str, value: &str) {
        if is_unread(name) {
            self.unread += 1;
            return;
        }
        let name = self.span(name);
        let value = self.span(value);
        self.pairs.push((name, value));
    }

    /// Where `s` is in the text: found in place when it is a piece of the shared body, else
    /// added to the owned text (which starts as a copy of the body, so that the ranges found
    /// in place so far still hold).
    fn span(&mut self, s: &str) -> Range<u32> {
        let owned = match &mut self.text {
            Text::Shared(shared) => {
                let base = shared.as_ptr() as usize;
                let at = s.as_ptr() as usize;
                if at >= base && at + s.len() <= base + shared.len() {
                    let start = (at - base) as u32;
                    return start..start + s.len() as u32;
                }
                let mut owned = String::with_capacity(shared.len() + s.len());
                owned.push_str(shared);
                self.text = Text::Owned(owned);
                let Text::Owned(owned) = &mut self.text else {
                    unreachable!("just set");
                };
                owned
            }
            Text::Owned(owned) => owned,
        };
        let start = owned.len() as u32;
        owned.push_str(s);
        start..owned.len() as u32
    }

    /// Adds `application/x-www-form-urlencoded` pairs. Never fails: invalid UTF-8 and stray
    /// percent signs are decoded lossily, and the layers above refuse what makes no sense.
    fn add_form(&mut self, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.add_form_text(text),
            Err(_) => self.add_pieces(bytes.split(|&b| b == b'&').map(Piece::Encoded)),
        }
    }

    /// Form pairs in valid UTF-8. Most requests hold neither `%` nor `+` (Yemot's own fields,
    /// a base32 secret): then every piece is read as sent, without decoding or copying first.
    fn add_form_text(&mut self, text: &str) {
        if memchr::memchr2(b'%', b'+', text.as_bytes()).is_none() {
            self.add_pieces(plain_pieces(text));
        } else {
            self.add_pieces(text.as_bytes().split(|&b| b == b'&').map(Piece::Encoded));
        }
    }

    /// Adds a query string's pairs. A raw `?` inside it separates pairs like `&`: when
    /// `api_link` already holds a query, Yemot appends its own parameters after a second `?`
    /// (and a value that really holds a `?` arrives percent-encoded). Only the first `?` of a
    /// raw `otpauth:` link is the link's own.
    fn add_query(&mut self, query: &str) {
        if !query.contains('?') {
            return self.add_form_text(query);
        }
        let mut pieces = Vec::new();
        for piece in query.as_bytes().split(|&b| b == b'&') {
            let mut rest = piece;
            let link = value_of(piece).filter(|v| starts_with_ignore_case(v, b"otpauth"));
            if let Some(value) = link
                && let Some(own) = value.iter().position(|&b| b == b'?')
            {
                let after = piece.len() - value.len() + own + 1;
                let end = piece[after..]
                    .iter()
                    .position(|&b| b == b'?')
                    .map_or(piece.len(), |i| after + i);
                pieces.push(&piece[..end]);
                rest = piece.get(end + 1..).unwrap_or_default();
            }
            pieces.extend(rest.split(|&b| b == b'?'));
        }
        self.add_pieces(pieces.into_iter().map(Piece::Encoded));
    }

    /// Adds raw `name=value` pieces in order, putting back into a raw-joined link the pieces
    /// that raw joining split off it.
    fn add_pieces<'b>(&mut self, pieces: impl Iterator<Item = Piece<'b>>) {
        let mut pieces = pieces.filter(|p| !p.is_empty()).peekable();
        while let Some(piece) = pieces.next() {
            let (name, value) = piece.decode();
            let raw_link = piece.raw_value().is_some_and(|v| {
                starts_with_ignore_case(v, b"otpauth") && v.windows(3).any(|w| w == b"://")
            });
            if !raw_link {
                self.push(&name, &value);
                continue;
            }
            let name = self.span(&name);
            let mut link = value.into_owned();
            let mut ambiguous = Vec::new();
            while let Some(next) = pieces.peek() {
                let (param, part) = next.decode();
                let Some(&param) = LINK_PARAMETERS.iter().find(|p| **p == param) else {
                    break;
                };
                if link_has(&link, param) {
                    break; // A link names each parameter once: this one is a line of its own.
                }
                link.push('&');
                link.push_str(param);
                link.push('=');
                link.push_str(&part);
                if AMBIGUOUS.contains(&param) {
                    ambiguous.push(param);
                } else {
                    // Only a link has this one: what came before it was the link's too, since
                    // an owner's line cannot sit between two pieces of one value.
                    ambiguous.clear();
                }
                pieces.next();
            }
            let value = self.span(&link);
            let index = self.pairs.len() as u32;
            self.pairs.push((name, value));
            if !ambiguous.is_empty() {
                self.rejoined.push((index, ambiguous));
            }
        }
    }

    /// Adds a JSON object's members, in the order sent: strings as they are, numbers and
    /// booleans as their text, `null` as absent. Read straight into the pairs, without a map
    /// or a string of its own for each name and value.
    fn add_json(&mut self, bytes: &[u8]) -> Result<(), FieldsError> {
        use serde::de::DeserializeSeed as _;
        let mut json = serde_json::Deserializer::from_slice(bytes);
        json::Object(self)
            .deserialize(&mut json)
            .and_then(|()| json.end())
            .map_err(|_| FieldsError::InvalidJson)
    }

    fn str_at(&self, range: &Range<u32>) -> &str {
        &self.text.as_str()[range.start as usize..range.end as usize]
    }

    /// Every pair, in the order sent.
    pub fn pairs(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(name, value)| (self.str_at(name), self.str_at(value)))
    }

    /// How many pairs there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The last value sent under `name`: Yemot re-sends collected values, so the last is current.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_suffixed(name, "")
    }

    /// What [`get_non_empty`](Self::get_non_empty) gives for each of `names`, found in one
    /// pass from the end: what a layer reads when it needs several fields at once.
    pub fn last_of<const N: usize>(&self, names: [&str; N]) -> [Option<&str>; N] {
        let mut last: [Option<&str>; N] = [None; N];
        let mut missing = N;
        for (name, value) in self.pairs().rev() {
            if missing == 0 {
                break;
            }
            if let Some(i) = names.iter().position(|n| *n == name)
                && last[i].is_none()
            {
                last[i] = Some(value);
                missing -= 1;
            }
        }
        last.map(|v| v.filter(|v| !v.trim().is_empty()))
    }

    /// Like [`get`](Self::get), but an empty or blank value counts as absent: an ext.ini line
    /// `api_add_1=digits=` means "not set", not "invalid".
    pub fn get_non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// The last value of the field named `name` followed by `suffix` (`secret` + `_2`,
    /// `rep` + `3`), without building the name.
    pub fn get_suffixed(&self, name: &str, suffix: &str) -> Option<&str> {
        let len = (name.len() + suffix.len()) as u32;
        self.pairs
            .iter()
            .rev()
            .filter(|(k, _)| k.end - k.start == len) // most names fail here, without a compare
            .map(|(k, v)| (self.str_at(k), v))
            .find(|(k, _)| k.starts_with(name) && k.ends_with(suffix))
            .map(|(_, v)| self.str_at(v))
    }

    /// Like [`get_suffixed`](Self::get_suffixed), an empty or blank value counting as absent.
    pub fn get_suffixed_non_empty(&self, name: &str, suffix: &str) -> Option<&str> {
        self.get_suffixed(name, suffix)
            .filter(|v| !v.trim().is_empty())
    }

    /// The largest `n` in 1..=`max` for which `name{n}` was sent, with its last value: the
    /// latest round of a question asked under fresh names (`rep1`, `rep2`, …).
    pub fn latest_round(&self, name: &str, max: u32) -> Option<(u32, &str)> {
        let [latest] = self.latest_rounds([(name, max)]);
        latest
    }

    /// [`Fields::latest_round`] for several questions at once, in one pass over the fields.
    pub fn latest_rounds<const N: usize>(
        &self,
        questions: [(&str, u32); N],
    ) -> [Option<(u32, &str)>; N] {
        let mut latest: [Option<(u32, &str)>; N] = [None; N];
        for (key, value) in self.pairs() {
            for ((name, max), latest) in questions.iter().zip(&mut latest) {
                let Some(n) = key.strip_prefix(name).and_then(|n| n.parse::<u32>().ok()) else {
                    continue;
                };
                // `parse` accepts `+1` and `01`; only the names we ask under count.
                let canonical = key.len() == name.len() + digit_count(n);
                if canonical && (1..=*max).contains(&n) && latest.is_none_or(|(m, _)| n >= m) {
                    *latest = Some((n, value));
                }
            }
        }
        latest
    }

    /// The options that were put back into the link of the last `name{suffix}` field after raw
    /// joining split them off, among `digits`, `algorithm` and `period` (see the module
    /// documentation): an owner could also have meant them as lines of their own.
    pub fn rejoined(&self, name: &str, suffix: &str) -> &[&'static str] {
        let Some(index) = self
            .pairs
            .iter()
            .rposition(|(k, _)| self.str_at(k).strip_prefix(name) == Some(suffix))
        else {
            return &[];
        };
        self.rejoined
            .iter()
            .find(|(i, _)| *i as usize == index)
            .map_or(&[], |(_, options)| options)
    }

    /// Whether this is Yemot's hang-up notice, sent after the caller has gone.
    pub fn is_hangup(&self) -> bool {
        self.get("hangup")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    }

    /// The caller's number as Yemot reports it (`ApiPhone`). Anyone can send this field: it
    /// identifies a phone caller, never an HTTP client.
    pub fn caller(&self) -> Option<&str> {
        self.get("ApiPhone")
    }
}

/// The raw value of a `name=value` piece, if it has one.
/// One `name=value` piece of a form, as sent.
#[derive(Clone, Copy)]
enum Piece<'b> {
    /// Held neither `%` nor `+`: its name and value as sent, split at the first `=`.
    Plain(&'b str, Option<&'b str>),
    /// May need decoding.
    Encoded(&'b [u8]),
}

/// The pieces of form text that holds neither `%` nor `+`, split at `&` and at each piece's
/// first `=`.
fn plain_pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let ends = memchr::memchr_iter(b'&', text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    let pieces = ends.map(move |end| {
        // `&` is ASCII: every index here falls on a character boundary.
        let piece = &text[start..end];
        start = end + 1;
        piece
    });
    pieces.map(|piece| match memchr::memchr(b'=', piece.as_bytes()) {
        // `=` is ASCII: the index falls on a character boundary.
        Some(e) => Piece::Plain(&piece[..e], Some(&piece[e + 1..])),
        None => Piece::Plain(piece, None),
    })
}

impl<'b> Piece<'b> {
    fn is_empty(self) -> bool {
        match self {
            Self::Plain(name, value) => name.is_empty() && value.is_none(),
            Self::Encoded(bytes) => bytes.is_empty(),
        }
    }

    /// The value as sent, before decoding: `None` without an `=`.
    fn raw_value(self) -> Option<&'b [u8]> {
        match self {
            Self::Plain(_, value) => value.map(str::as_bytes),
            Self::Encoded(bytes) => value_of(bytes),
        }
    }

    /// The name and value, decoded as `application/x-www-form-urlencoded`.
    fn decode(self) -> (Cow<'b, str>, Cow<'b, str>) {
        match self {
            Self::Plain(name, value) => (Cow::Borrowed(name), Cow::Borrowed(value.unwrap_or(""))),
            Self::Encoded(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) if memchr::memchr2(b'%', b'+', bytes).is_none() => {
                    let (name, value) = text.split_once('=').unwrap_or((text, ""));
                    (Cow::Borrowed(name), Cow::Borrowed(value))
                }
                _ => form_urlencoded::parse(bytes).next().unwrap_or_default(),
            },
        }
    }
}

fn value_of(piece: &[u8]) -> Option<&[u8]> {
    piece
        .iter()
        .position(|&b| b == b'=')
        .map(|at| &piece[at + 1..])
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|b| b.eq_ignore_ascii_case(prefix))
}

/// Whether the link's query already names `param`.
fn link_has(link: &str, param: &str) -> bool {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .any(|pair| pair.split('=').next() == Some(param))
}

fn digit_count(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// A flat JSON object read into [`Fields`].
mod json {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

    use super::Fields;

    /// Reads one object into the fields it holds.
    pub(super) struct Object<'f>(pub(super) &'f mut Fields);

    impl<'de> DeserializeSeed<'de> for Object<'_> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Object<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("one object")
        }

        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
            while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
                match map.next_value::<Scalar<'de>>()? {
                    Scalar::Text(value) => self.0.push(&name, &value),
                    Scalar::Number(number) => self.0.push(&name, &number.to_string()),
                    Scalar::Bool(b) => self.0.push(&name, if b { "true" } else { "false" }),
                    Scalar::Null => {}
                }
            }
            Ok(())
        }
    }

    /// A string, borrowed from the body when it holds no escape.
    struct Text<'de>(std::borrow::Cow<'de, str>);

    impl<'de> de::Deserialize<'de> for Text<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(TextVisitor)
        }
    }

    struct TextVisitor;

    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Text<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
            Ok(Text(s.into()))
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
            Ok(Text(s.to_owned().into()))
        }
    }

    /// A member's value: anything but an array or an object.
    enum Scalar<'de> {
        Text(std::borrow::Cow<'de, str>),
        Number(serde_json::Number),
        Bool(bool),
        Null,
    }

    impl<'de> de::Deserialize<'de> for Scalar<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(ScalarVisitor)
        }
    }

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number, a boolean or null")
        }

        fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Text(s.into()))
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Text(s.to_owned().into()))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Number(n.into()))
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Number(n.into()))
        }

        fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
            serde_json::Number::from_f64(n)
                .map(Scalar::Number)
                .ok_or_else(|| E::custom("not a finite number"))
        }

        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Bool(b))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Null)
        }
    }
}

// A custom Debug: the values hold secrets, PINs and the caller's number.
impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fields")
            .field("count", &self.pairs.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(text: &str) -> Fields {
        Fields::from_form(text.as_bytes())
    }

    /// `body` read as a request's only text, the way the server reads it.
    fn body(text: &'static str) -> Fields {
        Fields::parse(None, &Bytes::from_static(text.as_bytes()), false, 100).unwrap()
    }

    #[test]
    fn a_body_read_in_place_reads_as_one_copied() {
        for text in [
            "secret=JBSWY3DPEHPK3PXP&ApiPhone=0501234567&name=a",
            // Decoding starts after pairs were found in place: those ranges must still hold.
            "a=1&name=%D7%91%D7%A0%D7%A7&b=x+y&c=3",
            // A raw-joined link is put back together after pairs found in place.
            "pin=1&secret_2=otpauth://totp/Bank:me?secret=X&digits=8&issuer=Bank&z=9",
            "",
            "&&=&x",
        ] {
            let shared = body(text);
            let copied = form(text);
            assert_eq!(
                shared.pairs().collect::<Vec<_>>(),
                copied.pairs().collect::<Vec<_>>(),
                "{text}"
            );
            assert_eq!(shared.rejoined, copied.rejoined, "{text}");
        }
        assert!(matches!(body("a=1&b=2").text, Text::Shared(_)));
        assert_eq!(body("a=1&n=x+y").get("n"), Some("x y"));
    }

    #[test]
    fn last_repeated_key_wins_and_blank_counts_as_absent() {
        let fields = form("rep=1&secret=A&rep=2&digits=+&ApiPhone=050");
        assert_eq!(fields.get("rep"), Some("2"));
        assert_eq!(fields.get("digits"), Some(" "));
        assert_eq!(fields.get_non_empty("digits"), None);
        assert_eq!(fields.get("missing"), None);
        assert_eq!(fields.caller(), Some("050"));
    }

    #[test]
    fn several_names_at_once_read_like_get_non_empty() {
        let fields = form("a=1&b=2&a=3&c=&b=%20&c=4");
        assert_eq!(
            fields.last_of(["a", "b", "c", "d"]),
            [Some("3"), None, Some("4"), None],
            "a blank last value is unset, as with get_non_empty"
        );
    }

    #[test]
    fn suffixed_names_and_rounds_need_no_allocation() {
        let fields = form("secret_2=a&rep1=1&rep2=1&rep02=x&rep+3=y&rep10=z&rep2=None&secret=b");
        assert_eq!(fields.get_suffixed("secret", "_2"), Some("a"));
        assert_eq!(fields.get_suffixed("secret", ""), Some("b"));
        assert_eq!(fields.get_suffixed("secret", "_3"), None);
        assert_eq!(fields.latest_round("rep", 5), Some((2, "None")));
        assert_eq!(fields.latest_round("rep", 10), Some((10, "z")));
        assert_eq!(fields.latest_round("pin", 3), None);
    }

    #[test]
    fn a_second_question_mark_separates_pairs() {
        let fields = Fields::parse(
            Some("secret=JBSWY3DPEHPK3PXP?ApiExtension=abc&ApiPhone=050"),
            &Bytes::new(),
            false,
            10,
        )
        .unwrap();
        let pairs: Vec<_> = fields.pairs().collect();
        assert_eq!(pairs[0], ("secret", "JBSWY3DPEHPK3PXP"));
        assert_eq!(pairs[1], ("ApiExtension", "abc"));
    }

    #[test]
    fn what_nothing_reads_is_counted_but_not_kept() {
        let sent = "secret=A&ApiCallId=1&ApiYFCallId=2&ApiDID=3&ApiRealDID=4&ApiTime=5\
                    &ApiEnterID=6&ApiEnterIDName=7&ApiHangupExtension=8&ApiPhone=050&ApiExtension=2";
        let fields = Fields::parse(None, &Bytes::from_static(sent.as_bytes()), false, 11).unwrap();
        assert_eq!(
            fields.pairs().collect::<Vec<_>>(),
            [("secret", "A"), ("ApiPhone", "050"), ("ApiExtension", "2")]
        );
        assert_eq!(
            Fields::parse(None, &Bytes::from_static(sent.as_bytes()), false, 10).unwrap_err(),
            FieldsError::TooMany,
            "the bound counts them"
        );
        assert!(UNREAD.iter().all(|name| is_unread(name)));
        assert!(!is_unread("ApiPhone") && !is_unread("ApiExtension") && !is_unread("Api"));
    }

    #[test]
    fn a_link_split_by_raw_joining_is_put_back_together() {
        let fields = form(
            "ApiPhone=050&secret_2=otpauth://totp/Bank:me?secret=AAA&digits=8&issuer=Bank&name_2=X",
        );
        assert_eq!(
            fields.get("secret_2"),
            Some("otpauth://totp/Bank:me?secret=AAA&digits=8&issuer=Bank")
        );
        assert_eq!((fields.get("digits"), fields.get("issuer")), (None, None));
        assert_eq!(fields.get("name_2"), Some("X"));
        assert!(
            fields.rejoined("secret", "_2").is_empty(),
            "issuer after digits: both were the link's"
        );
        let trailing = form("secret_2=otpauth://totp/B:me?issuer=B&secret=AAA&period=60&digits=8");
        assert_eq!(trailing.rejoined("secret", "_2"), ["period", "digits"]);
        assert!(trailing.rejoined("secret", "_1").is_empty());
    }

    #[test]
    fn an_encoded_link_was_not_split_and_takes_nothing() {
        let fields = form("secret=otpauth%3A%2F%2Ftotp%2FX%3Fsecret%3DAAA&digits=8");
        assert_eq!(fields.get("secret"), Some("otpauth://totp/X?secret=AAA"));
        assert_eq!(fields.get("digits"), Some("8"));
        assert!(fields.rejoined("secret", "").is_empty());
    }

    #[test]
    fn a_parameter_the_link_already_has_is_a_line_of_its_own() {
        let fields = form("secret=otpauth://totp/X?secret=AAA&digits=8&digits=6&period=60");
        assert_eq!(
            fields.get("secret"),
            Some("otpauth://totp/X?secret=AAA&digits=8")
        );
        assert_eq!(
            (fields.get("digits"), fields.get("period")),
            (Some("6"), Some("60"))
        );
    }

    #[test]
    fn a_raw_link_in_a_query_keeps_its_own_question_mark_only() {
        let fields = Fields::parse(
            Some("secret_2=otpauth://totp/B:me?secret=AAA&digits=8?ApiExtension=1&ApiPhone=050"),
            &Bytes::new(),
            false,
            10,
        )
        .unwrap();
        assert_eq!(
            fields.get("secret_2"),
            Some("otpauth://totp/B:me?secret=AAA&digits=8")
        );
        assert_eq!(
            (fields.get("ApiExtension"), fields.get("ApiPhone")),
            (Some("1"), Some("050"))
        );
    }

    #[test]
    fn invalid_utf8_and_stray_percents_do_not_fail() {
        assert_eq!(Fields::from_form(b"a=%ff%fe&b=100%&c=\xff").len(), 3);
    }

    #[test]
    fn json_values_become_text() {
        let fields = Fields::parse(
            None,
            &Bytes::from_static(br#"{"secret":"X","digits":8,"hangup":null,"x":true}"#),
            true,
            10,
        )
        .unwrap();
        let pairs: Vec<_> = fields.pairs().collect();
        assert_eq!(pairs, [("secret", "X"), ("digits", "8"), ("x", "true")]);
        let fields = Fields::parse(
            None,
            &Bytes::from_static(br#" {"name":"a\"b\u05d0","n":-3,"f":1.5,"e":1e2,"name":"last"} "#),
            true,
            10,
        )
        .unwrap();
        assert_eq!(
            fields.pairs().collect::<Vec<_>>(),
            [
                ("name", "a\"b\u{5d0}"),
                ("n", "-3"),
                ("f", "1.5"),
                ("e", "100.0"),
                ("name", "last")
            ]
        );
        assert_eq!(
            fields.get("name"),
            Some("last"),
            "the last of a repeated name"
        );
        for bad in [
            &b"[1,2]"[..],
            br#"{"a":{"b":1}}"#,
            br#"{"a":[1]}"#,
            b"secret=X",
            br#"{"a":1} x"#,
            br#"{"a":1"#,
            b"",
        ] {
            assert_eq!(
                Fields::parse(None, &Bytes::copy_from_slice(bad), true, 10).unwrap_err(),
                FieldsError::InvalidJson
            );
        }
    }

    #[test]
    fn query_then_body_within_the_bound() {
        let fields = Fields::parse(
            Some("digits=7&secret=A"),
            &Bytes::from_static(b"digits=8"),
            false,
            3,
        )
        .unwrap();
        assert_eq!(
            fields.get("digits"),
            Some("8"),
            "the body comes last and wins"
        );
        assert_eq!(
            Fields::parse(Some("a=1&b=2"), &Bytes::from_static(b"c=3&d=4"), false, 3).unwrap_err(),
            FieldsError::TooMany
        );
        assert_eq!(format!("{fields:?}"), "Fields { count: 3, .. }");
    }

    proptest::proptest! {
        /// The shortcut for pieces that need no decoding reads exactly what the
        /// `form_urlencoded` crate reads, for any bytes at all.
        #[test]
        fn pieces_decode_like_form_urlencoded(
            piece in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(b"=%+&aZ09\x80\xd7".to_vec()),
                    proptest::num::u8::ANY,
                ],
                1..24,
            )
        ) {
            proptest::prop_assume!(!piece.contains(&b'&'));
            let expected = form_urlencoded::parse(&piece).next().unwrap_or_default();
            proptest::prop_assert_eq!(Piece::Encoded(&piece).decode(), expected.clone());
            if let Ok(text) = std::str::from_utf8(&piece)
                && !text.contains(['%', '+'])
            {
                let pieces: Vec<_> = plain_pieces(text).collect();
                proptest::prop_assert_eq!(pieces.len(), 1);
                proptest::prop_assert_eq!(pieces[0].decode(), expected);
                proptest::prop_assert_eq!(pieces[0].raw_value(), value_of(&piece));
            }
        }

        /// A whole form reads as the `form_urlencoded` crate reads it, pair for pair, whichever
        /// way [`Fields::from_form`] takes through it (links aside: those are put back together).
        #[test]
        fn forms_read_like_form_urlencoded(
            body in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(b"&&==%+aZ09\x80\xd7".to_vec()),
                    proptest::num::u8::ANY,
                ],
                0..40,
            )
        ) {
            // As generated (mostly with `%` or `+`), and without those (the plain way).
            let plain: Vec<u8> = body.iter().copied().filter(|b| !b"%+".contains(b)).collect();
            for body in [body, plain] {
                let fields = Fields::from_form(&body);
                let ours: Vec<(&str, &str)> = fields.pairs().collect();
                let theirs: Vec<_> = form_urlencoded::parse(&body).collect();
                let theirs: Vec<(&str, &str)> = theirs.iter().map(|(n, v)| (&**n, &**v)).collect();
                proptest::prop_assert_eq!(ours, theirs);
            }
        }
    }
}
