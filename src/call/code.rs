//! `/api/2fa` for a program: the current code of one account, behind its sealed PIN and
//! allow-list like any phone caller.

use crate::error::Error;
use crate::otp::code::{Code, Generator, Params};

use super::accounts;
use super::guard::{self, Client, Context};
use super::request::CodeRequest;

/// The current code of the account `request` names, with how it was made.
///
/// # Errors
///
/// Whatever keeps the account from opening, or its PIN from being counted.
pub async fn read_code(
    request: &CodeRequest<'_>,
    cx: &Context<'_>,
) -> Result<(Code, Params), Error> {
    let entry = accounts::open(&request.account, &Default::default(), cx.keys)?;
    guard::admit_client(&entry, request.pin.map(|pin| pin.0), Client::Http, cx).await?;
    let now = cx.clock.now()?;
    let params = entry.account.params;
    // The key is used once: it moves into the generator rather than being copied.
    Ok((
        Generator::from_secret(entry.account.secret, &params).code_at(now),
        params,
    ))
}
