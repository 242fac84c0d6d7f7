//! The use cases, one per endpoint, in no wire language: a phone turn ([`turn`]), a code for a
//! program ([`read_code`]), a typed code checked ([`verify::check`]), a new token
//! ([`accounts::seal`]). Each takes a typed request ([`request`]), read once at the edge, and
//! returns a typed outcome: for a phone, what to say and ask ([`say`]), which a renderer beside
//! this layer (`crate::yemot`) writes in its system's language.
//!
//! Depends on [`crate::otp`] for keys and codes, [`crate::store`] for the count of guesses and
//! [`crate::error`]; no HTTP type and no parameter name appears here. Every spoken word, in
//! Hebrew and English, is in [`texts`].

pub mod accounts;
pub mod code;
pub mod flow;
pub mod guard;
pub mod import;
pub mod request;
pub mod say;
pub mod settings;
pub mod texts;
pub mod verify;

pub use code::read_code;
pub use flow::{code_speech, spoken_error, turn};
pub use guard::Context;
pub use say::{Item, Next, Outcome, Question, Speech};
pub use texts::{Lang, Texts};
