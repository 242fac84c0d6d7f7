//! The phone flow: a request's fields become accounts, settings and protection, and one turn of
//! the call is answered with what the caller hears next.
//!
//! Depends on the layers below it ([`crate::otp`] for keys and codes, [`crate::yemot`] for the
//! wire language, [`crate::error`]) and on nothing above: no HTTP type appears here. Every
//! spoken word, in Hebrew and English, is in [`texts`].

pub mod accounts;
pub mod flow;
pub mod guard;
pub mod settings;
pub mod texts;
pub mod verify;

pub use flow::{code_messages, spoken_error, turn};
pub use guard::Context;
pub use settings::lang_of;
pub use texts::{Lang, Texts};
