//! `/api/import` and `yemot-2fa import`: a Google Authenticator export, one QR code or several
//! of one batch, read into the accounts it holds (`crate::otp::migration`), time-based ones ready
//! for a menu and counter-based ones listed with why they cannot be read.

use crate::error::Error;
use crate::otp::migration::{self, Exported};

/// Everything read from the QR codes given.
#[derive(Debug, Default)]
pub struct Imported {
    /// Every account, in the order of the codes given.
    pub accounts: Vec<Exported>,
    /// How many QR codes the export has.
    pub parts: u32,
    /// Which of them were given (0 for the first), each once.
    pub read: Vec<u32>,
}

/// Reads every export link in `links`; a QR code given twice counts once.
///
/// # Errors
///
/// [`Error::InvalidExport`] when there is no link, or one is not an export.
pub fn import<'a>(links: impl IntoIterator<Item = &'a str>) -> Result<Imported, Error> {
    let mut imported = Imported::default();
    let mut seen = Vec::new();
    for link in links {
        let batch = migration::parse(link)?;
        if seen.contains(&(batch.id, batch.index)) {
            continue;
        }
        seen.push((batch.id, batch.index));
        imported.parts = imported.parts.max(batch.size);
        imported.read.push(batch.index);
        imported.accounts.extend(batch.accounts);
    }
    if seen.is_empty() {
        return Err(Error::InvalidExport);
    }
    imported.read.sort_unstable();
    Ok(imported)
}
