//! Twilio's wire language, beside [`crate::yemot`]: the signature every webhook carries
//! ([`signature`]), a webhook read into a turn of the call ([`request`]), the options and state
//! one turn passes the next in its `action` URL ([`ticket`]), and TwiML, the XML a call is
//! answered with ([`render`](mod@render)).
//!
//! Knows nothing of HTTP. The call flow (`crate::call`) decides; this layer says it to Twilio.
//! The owner's options are named once, for every phone system, in `crate::yemot::request`,
//! which this layer reads them with.

pub mod render;
pub mod request;
pub mod signature;
pub mod ticket;

pub use render::render;
