//! Request parameters: what Yemot (or a developer) sent, gathered from the query string and the
//! body into one list, and which kind of answer the sender expects.
//!
//! Yemot sends a GET with a query string by default and a form-encoded POST with
//! `api_url_post=yes`; it re-sends every value collected so far, so keys repeat and the *last*
//! one is current (`shared/yemot-protocol.md` §2.1, §2.5). axum's `Form<Struct>` would fail on
//! such duplicates and its rejections quote the input, so this extractor keeps raw pairs and
//! lets the domain code validate the few it needs.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};

use crate::error::{Error, Failure};

/// Bounds on one request, from the environment (see [`crate::config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest body read, in bytes. A Yemot request with every call parameter and a long
    /// history is well under 2 KiB; a JSON client sends less.
    pub max_body: usize,
    /// The most parameters, query and body together.
    pub max_params: usize,
    /// How long the body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Requests in flight at once; more are shed at once with `overloaded`.
    pub max_concurrent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        use crate::config as c;
        Self {
            max_body: c::DEFAULT_MAX_BODY_BYTES,
            max_params: c::DEFAULT_MAX_PARAMS,
            body_timeout: std::time::Duration::from_secs(c::DEFAULT_REQUEST_TIMEOUT_SECS),
            max_concurrent: c::DEFAULT_MAX_CONCURRENT,
        }
    }
}

/// Which language the answer must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Yemot's plain-text command language (`id_list_message=…`). The default: Yemot sends no
    /// `Accept` header, and anything that is not clearly a JSON client is treated as a phone.
    Phone,
    /// JSON, for a request with a JSON body or `Accept: application/json`.
    Json,
}

impl Format {
    /// The answer language of an endpoint made for developers: JSON, unless Yemot itself is
    /// asking and nothing asks for JSON (a phone must never get JSON: it would play M1607).
    pub fn for_developer(format: Self, headers: &HeaderMap) -> Self {
        if format == Self::Phone && says_yemot(headers) {
            Self::Phone
        } else {
            Self::Json
        }
    }

    /// Reads the format off the headers: a JSON body or an `Accept` that names JSON.
    pub fn of(headers: &HeaderMap) -> Self {
        Self::from_parts(is_json_body(media_type(headers)), headers)
    }

    fn from_parts(json_body: bool, headers: &HeaderMap) -> Self {
        if json_body || accepts_json(headers) {
            Self::Json
        } else {
            Self::Phone
        }
    }
}

/// The media type of the body (`application/json` of `application/json; charset=utf-8`).
fn media_type(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or("").trim())
}

fn is_json_body(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| m.eq_ignore_ascii_case("application/json"))
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("application/json"))
        })
}

/// Whether the sender says it is Yemot (`User-Agent: yemot-core-api/1.0`). Not proof of
/// anything, anyone can send it; it only picks the answer language where nothing else does.
pub fn says_yemot(headers: &HeaderMap) -> bool {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("yemot"))
}

/// All parameters of one request, query first, then body, in the order sent.
pub struct Fields {
    pairs: Vec<(String, String)>,
    /// The answer language this request expects.
    pub format: Format,
    /// The answer language of a developer endpoint.
    developer_format: Format,
    /// The `Authorization: Bearer` token, if any.
    bearer: Option<String>,
}

impl Fields {
    /// Builds fields from pairs, for callers that already have them.
    pub fn from_pairs(pairs: Vec<(String, String)>, format: Format) -> Self {
        Self {
            pairs,
            format,
            developer_format: Format::Json,
            bearer: None,
        }
    }

    /// The answer language of an endpoint made for developers ([`Format::for_developer`]).
    pub fn developer_format(&self) -> Format {
        self.developer_format
    }

    /// The access token presented: `token=` (an `api_add` line for Yemot), else the
    /// `Authorization: Bearer` header.
    pub fn token(&self) -> Option<&str> {
        self.get_non_empty("token").or(self.bearer.as_deref())
    }

    /// The last value sent under `name`: Yemot re-sends collected values, so the last is current.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_suffixed(name, "")
    }

    /// Whether any parameter's name starts with `prefix`.
    pub fn has_key_starting_with(&self, prefix: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k.starts_with(prefix))
    }

    /// The last value of the parameter named `name` followed by `suffix` (`secret` + `_2`,
    /// `rep` + `3`), without building the name.
    pub fn get_suffixed(&self, name: &str, suffix: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k.strip_prefix(name) == Some(suffix))
            .map(|(_, v)| v.as_str())
    }

    /// Like [`get_suffixed`](Self::get_suffixed), an empty or blank value counting as absent.
    pub fn get_suffixed_non_empty(&self, name: &str, suffix: &str) -> Option<&str> {
        self.get_suffixed(name, suffix)
            .filter(|v| !v.trim().is_empty())
    }

    /// The largest `n` in 1..=`max` for which `name{n}` was sent, with its last value: the
    /// latest round of a question asked under fresh names (`rep1`, `rep2`, …).
    pub fn latest_round(&self, name: &str, max: u32) -> Option<(u32, &str)> {
        let mut latest: Option<(u32, &str)> = None;
        for (key, value) in &self.pairs {
            let Some(n) = key.strip_prefix(name).and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            // `parse` accepts `+1` and `01`; only the names we ask under count.
            let canonical = key.len() == name.len() + digit_count(n);
            if canonical && (1..=max).contains(&n) && latest.is_none_or(|(m, _)| n >= m) {
                latest = Some((n, value));
            }
        }
        latest
    }

    /// Like [`get`](Self::get), but an empty or blank value counts as absent: an ext.ini line
    /// `api_add_1=digits=` means "not set", not "invalid".
    pub fn get_non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// Appends a pair after every other, so it wins over any earlier value of `name`.
    pub fn push(&mut self, name: &str, value: &str) {
        self.pairs.push((name.to_owned(), value.to_owned()));
    }

    /// Whether this is Yemot's hang-up notice, sent after the caller has gone.
    pub fn is_hangup(&self) -> bool {
        self.get("hangup")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    }
}

// A custom Debug: the pairs hold the secret, the bearer a token.
impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fields")
            .field("count", &self.pairs.len())
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Why the parameters could not be read, with the answer language of either kind of endpoint:
/// `/api/2fa` answers phones by default, the developer endpoints JSON.
#[derive(Debug)]
pub struct Rejection {
    /// What went wrong.
    pub error: Error,
    /// The format `/api/2fa` answers in.
    pub format: Format,
    /// The format a developer endpoint answers in (see [`Fields::developer_format`]).
    pub developer_format: Format,
}

impl Rejection {
    /// The failure as a developer endpoint tells it.
    pub fn for_developer(self) -> Failure {
        Failure::new(self.error, self.developer_format)
    }
}

impl axum::response::IntoResponse for Rejection {
    fn into_response(self) -> axum::response::Response {
        Failure::new(self.error, self.format).into_response()
    }
}

impl<S> FromRequest<S> for Fields
where
    S: Send + Sync,
    Limits: axum::extract::FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limits = <Limits as axum::extract::FromRef<S>>::from_ref(state);
        let media_type = media_type(req.headers());
        let json_body = is_json_body(media_type);
        let multipart = media_type.is_some_and(|m| {
            m.get(..10)
                .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"))
        });
        let format = Format::from_parts(json_body, req.headers());
        let developer_format = Format::for_developer(format, req.headers());
        let fail = |error| Rejection {
            error,
            format,
            developer_format,
        };
        if multipart {
            return Err(fail(Error::UnsupportedMediaType));
        }
        let bearer = bearer_token(req.headers());
        let (parts, body) = req.into_parts();

        let mut pairs = match parts.uri.query() {
            Some(query) => parse_query(query),
            None => Vec::new(),
        };
        let body = read_body(body, &limits).await.map_err(fail)?;
        if json_body {
            pairs.extend(parse_json(&body).map_err(fail)?);
        } else if !body.is_empty() {
            pairs.extend(parse_form(&body));
        }
        if pairs.len() > limits.max_params {
            return Err(fail(Error::TooManyParams));
        }
        Ok(Self {
            pairs,
            format,
            developer_format,
            bearer,
        })
    }
}

fn digit_count(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Reads the whole body, within the size and time [`Limits`].
async fn read_body(body: Body, limits: &Limits) -> Result<axum::body::Bytes, Error> {
    use http_body::Body as _;
    if body.is_end_stream() {
        return Ok(axum::body::Bytes::new());
    }
    use futures_util::FutureExt as _;
    let mut read = std::pin::pin!(axum::body::to_bytes(body, limits.max_body));
    // A small body is usually in hyper's buffer already: take it without arming a timer.
    let bytes = match read.as_mut().now_or_never() {
        Some(bytes) => bytes,
        None => tokio::time::timeout(limits.body_timeout, read)
            .await
            .map_err(|_| Error::Timeout)?,
    };
    bytes.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            Error::PayloadTooLarge
        } else {
            Error::BadRequest
        }
    })
}

/// Parses `application/x-www-form-urlencoded` bytes. Never fails: invalid UTF-8 and stray
/// percent signs are decoded lossily, and the domain code then refuses what makes no sense.
fn parse_form(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(bytes).unwrap_or_default()
}

/// Parses a query string. A raw `?` inside it separates pairs like `&`: when `api_link` already
/// holds a query, Yemot appends its own parameters after a second `?` (`yemot-protocol.md` §2.1),
/// and a value that really holds a `?` arrives percent-encoded.
fn parse_query(query: &str) -> Vec<(String, String)> {
    if query.contains('?') {
        parse_form(query.replace('?', "&").as_bytes())
    } else {
        parse_form(query.as_bytes())
    }
}

/// Parses a JSON object body: string values as they are, numbers and booleans as their text,
/// `null` as absent.
fn parse_json(bytes: &[u8]) -> Result<Vec<(String, String)>, Error> {
    use serde_json::Value;
    let object: serde_json::Map<String, Value> =
        serde_json::from_slice(bytes).map_err(|_| Error::InvalidJson)?;
    let mut pairs = Vec::with_capacity(object.len());
    for (key, value) in object {
        let value = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => return Err(Error::InvalidJson),
        };
        pairs.push((key, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_repeated_key_wins_and_blank_counts_as_absent() {
        let fields = Fields::from_pairs(
            parse_form(b"rep=1&secret=A&rep=2&digits=+&ApiPhone=050"),
            Format::Phone,
        );
        assert_eq!(fields.get("rep"), Some("2"));
        assert_eq!(fields.get("digits"), Some(" "));
        assert_eq!(fields.get_non_empty("digits"), None);
        assert_eq!(fields.get("missing"), None);
    }

    #[test]
    fn suffixed_names_and_rounds_need_no_allocation() {
        let fields = Fields::from_pairs(
            parse_form(b"secret_2=a&rep1=1&rep2=1&rep02=x&rep+3=y&rep10=z&rep2=None&secret=b"),
            Format::Phone,
        );
        assert_eq!(fields.get_suffixed("secret", "_2"), Some("a"));
        assert_eq!(fields.get_suffixed("secret", ""), Some("b"));
        assert_eq!(fields.get_suffixed("secret", "_3"), None);
        assert_eq!(fields.latest_round("rep", 5), Some((2, "None")));
        assert_eq!(fields.latest_round("rep", 10), Some((10, "z")));
        assert_eq!(fields.latest_round("pin", 3), None);
    }

    #[test]
    fn a_second_question_mark_separates_pairs() {
        let pairs = parse_query("secret=JBSWY3DPEHPK3PXP?ApiCallId=abc&ApiPhone=050");
        assert_eq!(pairs[0], ("secret".into(), "JBSWY3DPEHPK3PXP".into()));
        assert_eq!(pairs[1], ("ApiCallId".into(), "abc".into()));
    }

    #[test]
    fn invalid_utf8_and_stray_percents_do_not_fail() {
        let pairs = parse_form(b"a=%ff%fe&b=100%&c=\xff");
        assert_eq!(pairs.len(), 3);
    }

    #[test]
    fn json_values_become_text() {
        let mut pairs = parse_json(br#"{"secret":"X","digits":8,"hangup":null,"x":true}"#).unwrap();
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                ("digits".into(), "8".into()),
                ("secret".into(), "X".into()),
                ("x".into(), "true".into())
            ]
        );
        assert!(parse_json(b"[1,2]").is_err());
        assert!(parse_json(br#"{"a":{"b":1}}"#).is_err());
        assert!(parse_json(b"secret=X").is_err());
    }

    #[test]
    fn format_follows_content_type_and_accept() {
        let mut headers = HeaderMap::new();
        assert_eq!(Format::of(&headers), Format::Phone);
        headers.insert(
            header::ACCEPT,
            "text/html, application/json;q=0.9".parse().unwrap(),
        );
        assert_eq!(Format::of(&headers), Format::Json);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(Format::of(&headers), Format::Json);
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(Format::of(&headers), Format::Phone);
    }
}
