//! Logging. Startup and server faults only: no request contents, query strings or bodies at any
//! level, because every Yemot request carries a secret. (The optional per-request line, method,
//! route, status and latency, is the HTTP layer's own span.)

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter when `RUST_LOG` is unset: startup lines and faults.
pub const DEFAULT_FILTER: &str = "info";

/// The server's logging: `RUST_LOG` (or [`DEFAULT_FILTER`]) to standard output, colours on a
/// terminal, panics reported by location only.
///
/// # Errors
///
/// A message for a bad `RUST_LOG`, or when logging is already initialised.
pub fn init_from_env() -> Result<(), String> {
    let filter = filter_from_env()?;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    init(filter, std::io::stdout, ansi)
        .map_err(|_| "logging could not be initialised".to_owned())?;
    quiet_panics();
    Ok(())
}

/// Reads `RUST_LOG` (or [`DEFAULT_FILTER`]).
///
/// # Errors
///
/// A message naming `RUST_LOG` when its value is not a valid filter.
pub fn filter_from_env() -> Result<EnvFilter, String> {
    match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(value).map_err(|_| {
            "RUST_LOG: not a valid log filter (e.g. info, debug, yemot_2fa=debug)".to_owned()
        }),
        _ => Ok(EnvFilter::new(DEFAULT_FILTER)),
    }
}

/// Installs the global subscriber writing to `writer`: standard output in production, a buffer
/// in the tests that check no secret is ever logged. Colours only when `ansi` (a terminal).
///
/// # Errors
///
/// When a global subscriber is already installed.
pub fn init<W>(
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(ansi),
        )
        .try_init()
}

/// Replaces the panic message printer: a panic payload is arbitrary text, so only its location
/// is logged.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic caught; the request was answered with internal_error");
    }));
}
