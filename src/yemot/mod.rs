//! Yemot's wire language, and nothing else: the fields a `type=api` extension sends
//! ([`fields`]), the commands it understands in reply ([`reply`]), text made safe to speak
//! ([`speak`]), and the ext.ini lines an owner pastes ([`ext_ini`]).
//!
//! Knows nothing of HTTP, of TOTP or of the call flow; the layers above decide what to say.

pub mod ext_ini;
pub mod fields;
pub mod reply;
pub mod speak;

pub use fields::{Fields, FieldsError};
pub use reply::{Folder, InvalidFolder, Messages, Read, Reply};
