//! The setup page at `/`: an extension owner pastes a key or picks a QR screenshot, checks the
//! live code against their authenticator app, and copies working ext.ini lines. Every asset is
//! embedded in the binary, so the page makes no request to any other origin; a strict
//! Content-Security-Policy makes sure of it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::extract::Format;
use super::respond::Failure;
use crate::error::Error;

const INDEX: &str = include_str!("../../assets/index.html");
const APP_JS: &str = include_str!("../../assets/app.js");
const STYLE: &str = include_str!("../../assets/style.css");
/// jsQR 1.4.0 (Apache-2.0), vendored unmodified: see `assets/vendor/README.md`.
const JSQR: &str = include_str!("../../assets/vendor/jsQR.js");

/// Only this origin, for scripts, styles, fetches and images (`data:`/`blob:` for the QR
/// screenshot read in the browser); no frames, no forms posted anywhere, no plugins.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

fn page(content_type: &'static str, body: &'static str, cache: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    (StatusCode::OK, headers, body).into_response()
}

/// `GET /`: the page; or, when Yemot asks (an owner pasted the page's own address as
/// `api_link`), the spoken hint to fix the address, with 200: HTML would make Yemot play "no
/// answer from the API server" (M1607).
pub async fn index(uri: Uri, headers: HeaderMap) -> Response {
    if from_yemot(&uri, &headers) {
        return Failure::new(Error::NotFound, Format::Phone).into_response();
    }
    page("text/html; charset=utf-8", INDEX, "no-store")
}

/// `POST /`: the same spoken hint, for Yemot with `api_url_post=yes` and the page's address.
/// Nothing else posts to the page, so whoever does hears the same.
pub async fn root_post() -> Response {
    Failure::new(Error::NotFound, Format::Phone).into_response()
}

/// Whether Yemot sent this: its call parameters (`ApiCallId`, `ApiPhone`, …) in the query, or
/// its User-Agent.
fn from_yemot(uri: &Uri, headers: &HeaderMap) -> bool {
    let api_fields = uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("Api")));
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("yemot"));
    api_fields || user_agent
}

/// `GET /assets/app.js`.
pub async fn app_js() -> Response {
    page("text/javascript; charset=utf-8", APP_JS, "no-cache")
}

/// `GET /assets/style.css`.
pub async fn style() -> Response {
    page("text/css; charset=utf-8", STYLE, "no-cache")
}

/// `GET /assets/jsQR.js`.
pub async fn jsqr() -> Response {
    page(
        "text/javascript; charset=utf-8",
        JSQR,
        "public, max-age=86400",
    )
}

/// `GET /setup.json`: what the page needs to know of this server. Nothing secret: whether it
/// seals, whether it wants a token, whether it checks Twilio's signature, and `PUBLIC_URL` when
/// set. Without it the page writes its own origin into `api_link`: the address the owner reached
/// it by, `https` included, which no proxy header can get wrong.
pub async fn info(State(state): State<AppState>) -> Response {
    #[derive(Serialize)]
    struct Info {
        public_url: Option<String>,
        sealing: bool,
        access_token: bool,
        twilio_signed: bool,
    }
    let mut response = axum::Json(Info {
        public_url: state.public_url.as_deref().map(str::to_owned),
        sealing: state.seal_keys.is_some(),
        access_token: state.tokens.is_some(),
        twilio_signed: state.twilio_tokens.is_some(),
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
