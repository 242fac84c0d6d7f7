//! What is not an answer about a code: `GET /health`, `GET /openapi.json`, and the answers to
//! unknown paths and methods.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::extract::Format;
use super::respond::Failure;
use crate::error::Error;

/// The OpenAPI 3.1 description of every endpoint, kept equal to [`super::ROUTES`] and to every
/// error code by `tests/api/developer.rs`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /health`: liveness, the server's clock and version. A wrong clock means wrong codes, so
/// operators must be able to see it.
pub async fn health(State(state): State<AppState>) -> Result<Response, Failure> {
    #[derive(Serialize)]
    struct Health {
        status: &'static str,
        time: u64,
        version: &'static str,
    }
    let time = state
        .clock
        .now()
        .map_err(|e| Failure::new(e.into(), Format::Json))?;
    Ok(Json(Health {
        status: "ok",
        time,
        version: env!("CARGO_PKG_VERSION"),
    })
    .into_response())
}

/// Unknown paths. A Yemot extension whose `api_link` has a typo hears what to fix instead of
/// M1607; everyone else gets a JSON 404.
pub async fn not_found(req: Request) -> Failure {
    Failure::new(Error::NotFound, Format::for_developers(req.headers()))
}

/// Known paths with an unknown method, answered like [`not_found`].
pub async fn method_not_allowed(req: Request) -> Failure {
    Failure::new(
        Error::MethodNotAllowed,
        Format::for_developers(req.headers()),
    )
}
