//! The `yemot-2fa` binary: the server by default, or `seal` / `keygen` (see [`yemot_2fa::cli`]).

use std::process::ExitCode;

use clap::Parser;
use yemot_2fa::cli::{self, Cli, Command, fail};
use yemot_2fa::{AppState, app, config::Config, serve, shutdown_signal, telemetry};

fn main() -> ExitCode {
    match Cli::parse().command {
        None | Some(Command::Serve) => run_server(),
        Some(Command::Seal(args)) => cli::seal_main(&args),
        Some(Command::Keygen { id }) => cli::keygen_main(&id),
    }
}

#[tokio::main]
async fn run_server() -> ExitCode {
    let filter = match telemetry::filter_from_env() {
        Ok(filter) => filter,
        Err(message) => return fail(&message),
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if telemetry::init(filter, std::io::stdout, ansi).is_err() {
        return fail("logging could not be initialised");
    }
    telemetry::quiet_panics();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    let listener = match tokio::net::TcpListener::bind((config.host, config.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            return fail(&format!(
                "cannot listen on {}:{}: {e}",
                config.host, config.port
            ));
        }
    };
    let address = listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());
    let access_token = config.access_tokens.is_some();
    let seal_key = config.seal_keys.as_ref().map(|k| k.sealing_id().to_owned());
    tracing::info!(%address, version = env!("CARGO_PKG_VERSION"), access_token, seal_key, "yemot-2fa listening");
    let state = AppState::default()
        .with_tokens(config.access_tokens)
        .with_seal_keys(config.seal_keys)
        .with_public_url(config.public_url)
        .with_limits(config.limits);
    if let Err(e) = serve(listener, app(state), shutdown_signal(), config.serve).await {
        return fail(&format!("server error: {e}"));
    }
    tracing::info!("yemot-2fa stopped");
    ExitCode::SUCCESS
}
