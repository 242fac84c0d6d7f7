//! In-process tests through the whole router, plus a few against a real socket. One binary, so
//! the crate graph links once.

mod developer;
mod either_way;
#[path = "../common/export.rs"]
mod export;
mod helpers;
mod import;
mod json;
mod limits;
mod metrics;
mod oathtool;
mod phone;
mod props;
mod protection;
mod sealed;
#[path = "../common/server.rs"]
mod server;
mod socket;
mod twilio;
#[path = "../common/twilio_call.rs"]
mod twilio_call;
mod vectors;
mod verify_mode;
mod yemot;
#[path = "../common/yemot_call.rs"]
mod yemot_call;
