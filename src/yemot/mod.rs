//! Yemot's wire language, and nothing else: the fields a `type=api` extension sends
//! ([`fields`]) read into the call's typed requests ([`request`]), the commands it understands
//! in reply ([`reply`]) written from the call's outcome ([`render`](mod@render)), text made safe to speak
//! ([`speak`]), and the ext.ini lines an owner pastes ([`ext_ini`]).
//!
//! Knows nothing of HTTP. The call flow (`crate::call`) decides what to say and ask in no wire
//! language; this layer alone says it to Yemot.

pub mod ext_ini;
pub mod fields;
pub mod render;
pub mod reply;
pub mod request;
pub mod speak;

pub use fields::{Fields, FieldsError};
pub use render::render;
pub use reply::{Folder, InvalidFolder, Messages, Read, Reply};
