//! yemot-2fa: reads two-factor (TOTP) codes aloud over the phone, and checks codes that callers
//! type.
//!
//! A Yemot Hamashiach extension of `type=api` calls `/api/2fa` with the caller's TOTP secret
//! each time someone enters it; we answer with the plain-text commands that make the phone say
//! the current code. Developers get the same code as JSON. No secret is stored: every request
//! carries all it needs.
//!
//! # Layout
//!
//! Layers, each importing only those above it in this list:
//!
//! - [`bounded`]: one parser for whole numbers within a range, used by every layer.
//! - [`otp`]: the TOTP core: keys, `otpauth://` URIs, codes, verification, enrolment, the
//!   clock, accounts and their protection, sealed tokens. No HTTP, no Yemot.
//! - [`yemot`]: Yemot's wire language: the fields it sends, the replies it understands, text
//!   made speakable, ext.ini lines.
//! - [`twilio`]: Twilio's wire language, not served yet: the webhook signature and TwiML.
//! - [`store`]: what is kept between requests: failed attempts and used codes per account,
//!   keyed by a hash of the key, in memory or in Redis.
//! - [`error`]: every way a request can fail, with its stable code; no framework type.
//! - [`call`]: the phone flow: accounts, settings, PIN and allow-list, menu, repeat and rollover,
//!   and every spoken text in Hebrew and English.
//! - [`http`]: the router, the serve loop, extractors, the one error-to-answer mapping, the
//!   access token, the setup page. The only module that names axum, hyper or tower.
//! - [`config`], [`telemetry`], [`cli`]: settings from the environment, quiet logging, and the
//!   command line that `main` wires together.

#![forbid(unsafe_code)]

pub mod bounded;
pub mod call;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod otp;
pub mod store;
pub mod telemetry;
pub mod twilio;
pub mod yemot;

pub use http::{AppState, ROUTES, ServeLimits, app, serve, shutdown_signal};
