//! Twilio's wire language, beside [`crate::yemot`]: the signature every webhook carries
//! ([`signature`]) and TwiML, the XML a call is answered with ([`render`]).
//!
//! Groundwork for a `POST /api/twilio` endpoint that is not served yet: nothing in `http`
//! uses this module so far. It reads no request fields of its own; the endpoint will build a
//! [`crate::call::request::Turn`] as `yemot::request` does, and answer with [`render::render`].

pub mod render;
pub mod signature;
