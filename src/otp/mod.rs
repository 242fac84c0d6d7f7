//! The TOTP core: keys as people paste them, `otpauth://` URIs, code computation, verification,
//! enrolment, the clock, accounts with their protection, and sealed tokens.
//!
//! The bottom layer: it knows nothing of HTTP or of Yemot, and every error here is a fixed fact
//! about the input, never the input itself. Codes are a pure function of the time passed in.

pub mod account;
pub mod clock;
pub mod code;
pub mod enroll;
pub mod migration;
pub mod otpauth;
pub mod seal;
pub mod secret;
pub mod verify;

pub use account::{Account, AccountError, AllowList, OptionTexts, Options, Pin, Protection};
pub use clock::Clock;
pub use code::{Algorithm, Code, Generator, ParamError, Params};
pub use seal::{SealError, SealKeys, SealedAccount};
pub use secret::{Secret, SecretError};
