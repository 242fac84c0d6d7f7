//! The `yemot-2fa` server: configuration from the environment, then [`yemot_2fa::serve`].

use std::process::ExitCode;

use yemot_2fa::{AppState, app, config::Config, serve, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
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
    tracing::info!(%address, version = env!("CARGO_PKG_VERSION"), access_token, "yemot-2fa listening");
    let state = AppState::default().with_tokens(config.access_tokens);
    if let Err(e) = serve(listener, app(state), shutdown_signal()).await {
        return fail(&format!("server error: {e}"));
    }
    tracing::info!("yemot-2fa stopped");
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("yemot-2fa: {message}");
    ExitCode::FAILURE
}
