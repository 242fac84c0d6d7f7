//! `POST /api/seal`: a sealed token for an account and its protection, with the ext.ini lines
//! that use it.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::extract::{Api, Developers, Format};
use super::params;
use super::respond::Failure;
use super::{AppState, public_base};
use crate::call::accounts;
use crate::error::Error;
use crate::yemot::ext_ini;

/// The JSON answer.
#[derive(Serialize)]
struct Sealed {
    token: String,
    key_id: String,
    ext_ini: String,
}

/// Seals `secret` with its options, `pin` and `allow`.
pub async fn seal(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Api<Developers>,
) -> Result<Response, Failure> {
    let fail = |error: Error| request.fail(error);
    if request.format == Format::Phone {
        return Err(fail(Error::NotForPhone));
    }
    let keys = state.seal_keys.as_deref();
    let asked = params::seal(&request.fields).map_err(fail)?;
    let token = accounts::seal(&asked, keys).map_err(fail)?;
    let base = public_base(&state, &headers);
    Ok(Json(Sealed {
        ext_ini: ext_ini::sealed_block(&base, &token, state.tokens.is_some()),
        key_id: keys.map(|k| k.sealing_id().to_owned()).unwrap_or_default(),
        token,
    })
    .into_response())
}
