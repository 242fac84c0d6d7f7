//! The edge: an HTTP request becomes the fields the layers below read, with the language its
//! answer must be in. Every `/api/*` handler shares this preamble through one extractor, [`Api`]:
//! the body is read within its own bounds (a declared size over the limit is refused before a
//! byte is read), then the request takes its place among those being handled (or is shed at
//! once), query and body become [`Fields`], the answer format is picked once, the access token
//! is checked, and Yemot's hang-up notice is answered at once.
//!
//! The place is taken only once the body is in: a client that sends its headers and then
//! stalls holds a connection and a small buffer, never a place a caller needs.
//!
//! axum's own `Form<Struct>` would fail on Yemot's repeated names and its rejections quote the
//! input; here nothing of the request reaches an error.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use http_body::Body as HttpBody;
use tokio::sync::OwnedSemaphorePermit;

use super::AppState;
use super::respond::Failure;
use crate::call::Lang;
use crate::error::Error;
use crate::yemot::{self, Fields, Reply};

pub use crate::config::Limits;

/// Which language the answer must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Yemot's plain-text command language (`id_list_message=…`).
    Phone,
    /// JSON.
    Json,
    /// TwiML, for Twilio: spoken too, with HTTP 200.
    Twiml,
}

impl Format {
    /// The format of `/api/2fa`, made for phones: JSON only for a JSON body or an `Accept` that
    /// names JSON. Yemot sends no `Accept` header, so anything that is not clearly a JSON client
    /// is treated as a phone.
    fn for_phones(headers: &HeaderMap) -> Self {
        Self::from_parts(Body::of(headers) == Body::Json, headers)
    }

    fn from_parts(json_body: bool, headers: &HeaderMap) -> Self {
        if json_body || accepts_json(headers) {
            Self::Json
        } else {
            Self::Phone
        }
    }

    /// The format of an endpoint made for developers: JSON, unless Yemot itself is asking and
    /// nothing asks for JSON (a phone must never get JSON: it would play M1607).
    pub fn for_developers(headers: &HeaderMap) -> Self {
        Self::developers_from(Self::for_phones(headers), headers)
    }

    fn developers_from(for_phones: Self, headers: &HeaderMap) -> Self {
        if for_phones == Self::Phone && says_yemot(headers) {
            Self::Phone
        } else {
            Self::Json
        }
    }

    /// The format of a request to `route` none of whose fields are read yet: the guard's
    /// refusals.
    pub fn guess(headers: &HeaderMap, route: &str) -> Self {
        if route == TWILIO_ROUTE {
            Self::Twiml
        } else {
            Self::for_phones(headers)
        }
    }
}

/// The route Twilio calls, whose every answer is TwiML.
pub const TWILIO_ROUTE: &str = "/api/twilio";

/// Who an endpoint is made for, which decides the answer format when the request does not.
pub trait Audience {
    /// The answer format, given the body's kind and the headers.
    fn format(json_body: bool, headers: &HeaderMap) -> Format;

    /// Whether the request, its body read, may be answered at all: checked before it takes a
    /// place or its fields are read.
    ///
    /// # Errors
    ///
    /// The error it is refused with.
    fn admit(_parts: &Parts, _body: &Bytes, _state: &AppState) -> Result<(), Error> {
        Ok(())
    }

    /// Whether the access token is checked here, from the request's own fields; an audience
    /// whose options arrive otherwise checks it itself.
    const TOKEN_IN_FIELDS: bool = true;
}

/// `/api/twilio`: Twilio, whose requests are signed.
#[derive(Debug)]
pub struct Twilio;

impl Audience for Twilio {
    /// After the first turn the options, the token among them, come sealed in the ticket
    /// (`super::twilio`).
    const TOKEN_IN_FIELDS: bool = false;

    fn format(_json_body: bool, _headers: &HeaderMap) -> Format {
        Format::Twiml
    }

    /// With `TWILIO_AUTH_TOKEN` set, only a request whose `X-Twilio-Signature` signs the URL
    /// Twilio called (this server's public address, then the path and query as they came) and
    /// the form parameters of its body.
    fn admit(parts: &Parts, body: &Bytes, state: &AppState) -> Result<(), Error> {
        let Some(tokens) = &state.twilio_tokens else {
            return Ok(());
        };
        let signature = parts
            .headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::BadSignature)?;
        let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let base = super::public_base(state, &parts.headers);
        let params: Vec<_> = form_urlencoded::parse(body).collect();
        let signs = |url: &str| {
            let pairs = params.iter().map(|(n, v)| (n.as_ref(), v.as_ref()));
            tokens.verify(signature, url, pairs)
        };
        // Twilio may sign an address with or without its scheme's own port.
        let signed = signs(&format!("{base}{path}"))
            || other_port_form(&base).is_some_and(|base| signs(&format!("{base}{path}")));
        signed.then_some(()).ok_or(Error::BadSignature)
    }
}

/// `base` (`scheme://host[:port]`) written the other way for its scheme's own port: with
/// `:443` or `:80` when it has no port, without when it has that one; `None` for another port.
fn other_port_form(base: &str) -> Option<String> {
    let (scheme, port) = if base.starts_with("https://") {
        ("https://", ":443")
    } else {
        ("http://", ":80")
    };
    let host = base.strip_prefix(scheme)?;
    if let Some(bare) = host.strip_suffix(port) {
        return Some(format!("{scheme}{bare}"));
    }
    // A host with a port of its own ends in `:digits` (an IPv6 address ends in `]`).
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (!has_port).then(|| format!("{base}{port}"))
}

/// `/api/2fa`: phones first.
#[derive(Debug)]
pub struct Phones;

impl Audience for Phones {
    fn format(json_body: bool, headers: &HeaderMap) -> Format {
        Format::from_parts(json_body, headers)
    }
}

/// `/api/verify`, `/api/secret`, `/api/seal`: developers first.
#[derive(Debug)]
pub struct Developers;

impl Audience for Developers {
    fn format(json_body: bool, headers: &HeaderMap) -> Format {
        Format::developers_from(Format::from_parts(json_body, headers), headers)
    }
}

/// What the body is, by its `Content-Type`: read once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// `application/json`.
    Json,
    /// `multipart/…`, which no endpoint reads.
    Multipart,
    /// Anything else, read as a form.
    Form,
}

impl Body {
    fn of(headers: &HeaderMap) -> Self {
        let Some(media) = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim())
        else {
            return Self::Form;
        };
        if media.eq_ignore_ascii_case("application/json") {
            Self::Json
        } else if media
            .get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"))
        {
            Self::Multipart
        } else {
            Self::Form
        }
    }
}

/// One `/api/*` request, read and admitted.
pub struct Api<A> {
    /// Query and body.
    pub fields: Fields,
    /// The language of the answer.
    pub format: Format,
    /// The voice for a spoken answer (`lang`, else Hebrew).
    pub lang: Lang,
    /// This request's place among those being handled, given back when the handler returns.
    _place: OwnedSemaphorePermit,
    audience: PhantomData<A>,
}

impl<A> Api<A> {
    /// Wraps `error` as this request must be told it.
    pub fn fail(&self, error: impl Into<Error>) -> Failure {
        Failure::new(error.into(), self.format).in_lang(self.lang)
    }
}

// The fields hold secrets: only their count is shown.
impl<A> std::fmt::Debug for Api<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("fields", &self.fields)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Why a request never reached its handler.
#[derive(Debug)]
pub enum Refusal {
    /// Yemot's hang-up notice, sent after the caller has gone: answered empty, nothing computed.
    Hangup,
    /// Anything else, told in the request's format.
    Failed(Failure),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Hangup => Reply::hangup_ack().into_response(),
            Self::Failed(failure) => failure.into_response(),
        }
    }
}

impl<A: Audience + Send> FromRequest<AppState> for Api<A> {
    type Rejection = Refusal;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        Self::read(&parts, body, state).await
    }
}

impl<A: Audience> Api<A> {
    /// Reads and admits a request from its head and body: what the router's extraction and a
    /// direct handler (`super::app`) both do, whatever the body's type.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] the request is answered with.
    pub async fn read<B>(parts: &Parts, body: B, state: &AppState) -> Result<Self, Refusal>
    where
        B: HttpBody<Data = Bytes>,
    {
        let headers = &parts.headers;
        let body_kind = Body::of(headers);
        let json = body_kind == Body::Json;
        let format = A::format(json, headers);
        let fail = |error: Error| Refusal::Failed(Failure::new(error, format));
        if body_kind == Body::Multipart {
            return Err(fail(Error::UnsupportedMediaType));
        }
        if declared_length(headers).is_some_and(|n| n > state.limits.max_body as u64) {
            return Err(fail(Error::PayloadTooLarge));
        }
        let body = read_body(body, &state.limits).await.map_err(fail)?;
        A::admit(parts, &body, state).map_err(fail)?;
        let Ok(place) = state.places.clone().try_acquire_owned() else {
            state.metrics.shed();
            return Err(fail(Error::Overloaded));
        };
        let fields = Fields::parse(parts.uri.query(), &body, json, state.limits.max_params)
            .map_err(|e| fail(e.into()))?;
        // Yemot's notice; Twilio tells of a hang-up to a status callback, never here.
        if format != Format::Twiml && fields.is_hangup() {
            return Err(Refusal::Hangup);
        }
        let lang = yemot::request::lang(&fields);
        if let Some(tokens) = state.tokens.as_ref().filter(|_| A::TOKEN_IN_FIELDS) {
            let presented = fields
                .get("token")
                .filter(|t| !t.trim().is_empty())
                .or_else(|| bearer_token(headers));
            if !tokens.allows(presented) {
                return Err(Refusal::Failed(
                    Failure::new(Error::Unauthorized, format).in_lang(lang),
                ));
            }
        }
        Ok(Self {
            fields,
            format,
            lang,
            _place: place,
            audience: PhantomData,
        })
    }
}

/// The body size a request declares (`Content-Length`), if it declares one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
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
fn says_yemot(headers: &HeaderMap) -> bool {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("yemot"))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Reads the whole body, within the size and time [`Limits`].
async fn read_body<B: HttpBody<Data = Bytes>>(body: B, limits: &Limits) -> Result<Bytes, Error> {
    use futures_util::FutureExt as _;
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let mut read = std::pin::pin!(collect(body, limits.max_body));
    // A small body is usually in hyper's buffer already: take it without arming a timer.
    match read.as_mut().now_or_never() {
        Some(bytes) => bytes,
        None => tokio::time::timeout(limits.body_timeout, read)
            .await
            .map_err(|_| Error::Timeout)?,
    }
}

/// The body's data frames, at most `max` bytes in all. A body that comes in one frame (most
/// do) is that frame's bytes, neither copied nor gathered into a list first.
async fn collect<B: HttpBody<Data = Bytes>>(body: B, max: usize) -> Result<Bytes, Error> {
    use http_body_util::BodyExt as _;
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined = Vec::new();
    let mut length = 0usize;
    while let Some(frame) = body.frame().await {
        // A body cut off or malformed on the wire.
        let frame = frame.map_err(|_| Error::BadRequest)?;
        let Ok(data) = frame.into_data() else {
            continue; // Trailers: nothing reads them.
        };
        length = length.saturating_add(data.len());
        if length > max {
            return Err(Error::PayloadTooLarge);
        }
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            earlier => {
                joined.extend_from_slice(&earlier.unwrap_or_default());
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_content_type_and_accept() {
        let mut headers = HeaderMap::new();
        assert_eq!(Format::for_phones(&headers), Format::Phone);
        assert_eq!(Format::for_developers(&headers), Format::Json);
        headers.insert(
            header::ACCEPT,
            "text/html, application/json;q=0.9".parse().unwrap(),
        );
        assert_eq!(Format::for_phones(&headers), Format::Json);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(Format::for_phones(&headers), Format::Json);
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(Format::for_phones(&headers), Format::Phone);
        headers.insert(header::USER_AGENT, "yemot-core-api/1.0".parse().unwrap());
        assert_eq!(Format::for_developers(&headers), Format::Phone);
    }
}
