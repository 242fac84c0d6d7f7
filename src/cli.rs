//! The command line, and the wiring of the layers: `yemot-2fa` (or `yemot-2fa serve`) runs the
//! server; `yemot-2fa seal` seals a secret offline; `yemot-2fa keygen` makes a key for
//! `SEAL_KEYS`.
//!
//! `seal` reads the secret (and the PIN) from standard input only: arguments show up in process
//! lists and shell history, so a secret given as an argument is refused.

use std::io::Read as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::call::accounts;
use crate::call::request::{SealRequest, Secret};
use crate::config::{Config, ConfigError, Hidden};
use crate::error::Error;
use crate::http::{AccessTokens, AppState};
use crate::http::{app, metrics_app, serve, serve_counting, shutdown_signal};
use crate::otp::account::{AllowList, OptionTexts, Pin, Protection};
use crate::otp::code::Algorithm;
use crate::otp::seal::{self, SealError, SealKeys, SealedAccount};
use crate::store::Store;
use crate::telemetry;
use crate::twilio::signature::AuthTokens;
use crate::yemot::ext_ini;

/// Reads two-factor (TOTP) codes aloud over the phone through a Yemot Hamashiach API extension.
#[derive(Parser)]
#[command(name = "yemot-2fa", version, about, long_about = None)]
pub struct Cli {
    /// What to do; the server when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default). Settings come from the environment: PORT, HOST,
    /// RUST_LOG, ACCESS_TOKEN, SEAL_KEYS, PUBLIC_URL.
    Serve,
    /// Seal a secret for ext.ini with the first key of SEAL_KEYS. The secret (base32 or an
    /// otpauth:// link) is read from the first line of standard input, never from arguments.
    Seal(SealArgs),
    /// Turn a Google Authenticator export ("Transfer accounts") into ext.ini lines: a menu of its
    /// time-based accounts, sealed with SEAL_KEYS when it is set. The QR codes' texts
    /// (otpauth-migration://…) are read from standard input, one per line.
    Import {
        /// Print the whole ext.ini block for the server at this address.
        #[arg(long, value_name = "URL")]
        link: Option<String>,
    },
    /// Print a new random key entry for SEAL_KEYS, e.g. `k1:3q2+7w…`.
    Keygen {
        /// The key's id, written before the colon.
        #[arg(default_value = "k1")]
        id: String,
    },
}

/// Options of `seal`. No `Debug`: a refused secret argument could be in it.
#[derive(Args)]
pub struct SealArgs {
    /// Digits per code (6, 7 or 8).
    #[arg(long)]
    pub digits: Option<String>,
    /// SHA1, SHA256 or SHA512.
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Seconds per code (1 to 300).
    #[arg(long)]
    pub period: Option<String>,
    /// `steam` for Steam Guard codes.
    #[arg(long)]
    pub kind: Option<String>,
    /// The name said in a phone menu.
    #[arg(long)]
    pub name: Option<String>,
    /// Also seal a PIN, read from the second line of standard input.
    #[arg(long)]
    pub pin: bool,
    /// Caller numbers allowed to hear codes, comma-separated.
    #[arg(long)]
    pub allow: Option<String>,
    /// Print the whole ext.ini block for the server at this address (e.g. https://x.onrender.com).
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
    /// Refused: a secret must come on standard input.
    #[arg(hide = true)]
    pub secret_argument: Option<String>,
    /// Refused: a secret must come on standard input.
    #[arg(long = "secret", hide = true)]
    pub secret_option: Option<String>,
}

/// Seals what `stdin` and `args` describe; the text to print, or the message to show.
///
/// # Errors
///
/// A fixed message: a secret given as an argument, nothing on standard input, no seal key, or
/// whatever is wrong with the secret or an option (never the secret itself).
pub fn seal(args: &SealArgs, stdin: &str, keys: Option<&SealKeys>) -> Result<String, String> {
    if args.secret_argument.is_some() || args.secret_option.is_some() {
        return Err(
            "do not pass the secret as an argument (it would stay in the process list and \
                    shell history): pipe it on standard input, e.g. `yemot-2fa seal < secret.txt`"
                .to_owned(),
        );
    }
    let mut lines = stdin.lines().map(str::trim).filter(|l| !l.is_empty());
    let secret = lines
        .next()
        .ok_or("no secret on standard input: type it, then press Enter and Ctrl-D")?;
    let pin = if args.pin {
        Some(
            lines
                .next()
                .ok_or("--pin: put the PIN on the second line of standard input")?,
        )
    } else {
        None
    };
    if lines.next().is_some() {
        // Never drop what was given: a PIN without --pin would otherwise be silently unsealed.
        return Err(if args.pin {
            "standard input has more than two lines: the secret on the first, the PIN on the second"
        } else {
            "standard input has more than one line: the secret alone, or add --pin to seal a PIN given on the second line"
        }
        .to_owned());
    }
    let keys = keys.ok_or_else(|| SealError::NoKeys.to_string())?;
    fn given(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.trim().is_empty())
    }
    let texts = OptionTexts {
        digits: given(&args.digits),
        algorithm: given(&args.algorithm),
        period: given(&args.period),
        kind: given(&args.kind),
        name: given(&args.name),
    };
    let error = |e: Error| e.to_string();
    let request = SealRequest {
        key: Secret(secret),
        options: texts.parse().map_err(|e| error(e.into()))?,
        pin: pin
            .map(Pin::parse)
            .transpose()
            .map_err(|e| error(e.into()))?,
        allow: given(&args.allow)
            .map(AllowList::parse)
            .transpose()
            .map_err(|e| error(e.into()))?,
    };
    let token = accounts::seal(&request, Some(keys)).map_err(error)?;
    Ok(match &args.link {
        Some(base) => ext_ini::sealed_block(base, &token, false),
        None => format!("{token}\n"),
    })
}

/// Runs the server: logging and settings from the environment, then serve until SIGTERM.
#[tokio::main]
pub async fn serve_main() -> ExitCode {
    if let Err(message) = telemetry::init_from_env() {
        return fail(&message);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    let (host, port) = (config.host, config.port);
    let listener = match tokio::net::TcpListener::bind((host, port)).await {
        Ok(listener) => listener,
        Err(e) => return fail(&format!("cannot listen on {host}:{port}: {e}")),
    };
    let (limits, metrics_addr) = (config.serve, config.metrics.then_some(config.metrics_addr));
    let state = match wire(config) {
        Ok(state) => state,
        Err(e) => return fail(&e.to_string()),
    };
    if let Err(e) = state.store.check_at_start().await {
        return fail(&e.to_string());
    }
    log_start(&state, listener.local_addr().ok());
    if let Some(Some(addr)) = metrics_addr {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(metrics) => {
                let router = metrics_app(state.clone());
                tokio::spawn(serve(metrics, router, shutdown_signal(), limits));
            }
            Err(e) => return fail(&format!("cannot listen on METRICS_ADDR {addr}: {e}")),
        }
    }
    let refused = state.metrics.refused_connections();
    let served = serve_counting(listener, app(state), shutdown_signal(), limits, refused);
    if let Err(e) = served.await {
        return fail(&format!("server error: {e}"));
    }
    tracing::info!("yemot-2fa stopped");
    ExitCode::SUCCESS
}

/// The state every handler shares, wired from `config`: the tokens, seal keys and store it
/// names, parsed now, so that a bad one stops the server at start with the variable's name.
/// Within a Tokio runtime: the Redis connection, when there is one, is prepared on it (and
/// made on first use).
///
/// # Errors
///
/// [`ConfigError`] for a token, key or Redis address that cannot be used.
pub fn wire(config: Config) -> Result<AppState, ConfigError> {
    let hidden = |value: &Option<Hidden>| value.as_ref().map(|h| h.0.clone()).unwrap_or_default();
    let named = |variable: &'static str| {
        move |expected: &'static str| ConfigError {
            variable,
            expected: expected.into(),
        }
    };
    let tokens =
        AccessTokens::parse(&hidden(&config.access_tokens)).map_err(named("ACCESS_TOKEN"))?;
    let seal_keys = SealKeys::parse(&hidden(&config.seal_keys)).map_err(named("SEAL_KEYS"))?;
    let store = match &config.redis_url {
        Some(url) => Store::redis(&url.0).map_err(named("REDIS_URL"))?,
        None => Store::memory(config.limiter_capacity),
    };
    let twilio = config
        .twilio_auth_tokens
        .as_ref()
        .map(|list| AuthTokens::parse(&list.0).ok_or("one or more auth tokens, comma-separated"))
        .transpose()
        .map_err(named("TWILIO_AUTH_TOKEN"))?;
    Ok(AppState::default()
        .with_tokens(tokens)
        .with_seal_keys(seal_keys)
        .with_twilio_tokens(twilio)
        .with_public_url(config.public_url)
        .with_limits(config.limits)
        .with_store(store)
        .with_metrics_route(config.metrics && config.metrics_addr.is_none()))
}

/// The ext.ini lines for a Google Authenticator export read from `stdin` (one QR code's text
/// per line): a menu of its time-based accounts (sealed with `keys` when given), and the notes
/// to show beside it (accounts left out, QR codes missing).
///
/// # Errors
///
/// A fixed message: no export, a text that is not one, more accounts than a menu holds.
pub fn import(
    stdin: &str,
    keys: Option<&SealKeys>,
    link: Option<&str>,
) -> Result<(String, Vec<String>), String> {
    use crate::otp::migration::Refused;
    let imported =
        crate::call::import::import(stdin.split_whitespace()).map_err(|e| e.to_string())?;
    let mut notes = Vec::new();
    if (imported.read.len() as u32) < imported.parts {
        notes.push(format!(
            "read {} of the export's {} QR codes: give the others too, or these accounts only are written",
            imported.read.len(),
            imported.parts
        ));
    }
    let mut adds: Vec<String> = Vec::new();
    let mut key = 0;
    for exported in imported.accounts {
        let mut account = match exported.outcome {
            Ok(account) => account,
            Err(why) => {
                let why = match why {
                    Refused::Hotp => "a counter-based (HOTP) code needs state kept on the server",
                    Refused::Unusable => "its algorithm or key cannot be used",
                };
                notes.push(format!("left out {}: {why}", exported.label));
                continue;
            }
        };
        key += 1;
        if key > 9 {
            return Err(
                "a menu holds at most 9 accounts: split the export over several extensions".into(),
            );
        }
        let name = ext_ini::safe_name(&exported.label);
        let params = account.params;
        if let Some(keys) = keys {
            account.name = (!name.is_empty()).then_some(name);
            let sealed = SealedAccount {
                account,
                protection: Protection::default(),
            };
            let token = keys.seal(&sealed).map_err(|e| e.to_string())?;
            adds.push(format!("sealed_{key}={token}"));
            continue;
        }
        let secret = data_encoding::BASE32_NOPAD.encode(account.secret.as_bytes());
        adds.push(format!("secret_{key}={secret}"));
        if params.digits != 6 {
            adds.push(format!("digits_{key}={}", params.digits));
        }
        if params.algorithm != Algorithm::SHA1 {
            adds.push(format!("algorithm_{key}={}", params.algorithm.as_str()));
        }
        if !name.is_empty() {
            adds.push(format!("name_{key}={name}"));
        }
    }
    if adds.is_empty() {
        return Err("the export holds no time-based account".into());
    }
    Ok((ext_ini::menu_block(link, &adds), notes))
}

/// `SEAL_KEYS` and the whole standard input (wiped on drop), or the failure to report.
fn keys_and_stdin() -> Result<(Option<SealKeys>, zeroize::Zeroizing<String>), ExitCode> {
    let keys = SealKeys::parse(&std::env::var("SEAL_KEYS").unwrap_or_default())
        .map_err(|expected| fail(&format!("SEAL_KEYS: expected {expected}")))?;
    let mut stdin = zeroize::Zeroizing::new(String::new());
    if std::io::stdin().read_to_string(&mut stdin).is_err() {
        return Err(fail("standard input is not readable text"));
    }
    Ok((keys, stdin))
}

/// Runs `import` against the real standard input and `SEAL_KEYS`.
pub fn import_main(link: Option<&str>) -> ExitCode {
    let (keys, stdin) = match keys_and_stdin() {
        Ok(read) => read,
        Err(code) => return code,
    };
    match import(&stdin, keys.as_ref(), link) {
        Ok((lines, notes)) => {
            print!("{lines}");
            for note in notes {
                eprintln!("yemot-2fa: {note}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

/// The one line logged once the server is ready: where, which version, whether tokens and seal
/// keys are set, where attempts are kept (never a token, a key or the Redis address).
fn log_start(state: &AppState, address: Option<SocketAddr>) {
    let address = address.map_or_else(|| "?".into(), |a| a.to_string());
    let seal_key = state.seal_keys.as_ref().map(|k| k.sealing_id().to_owned());
    let (access_token, attempts) = (state.tokens.is_some(), state.store.kind());
    let twilio_signed = state.twilio_tokens.is_some();
    tracing::info!(%address, version = env!("CARGO_PKG_VERSION"), access_token, seal_key, twilio_signed, attempts, "yemot-2fa listening");
}

/// Runs `seal` against the real standard input and `SEAL_KEYS`.
pub fn seal_main(args: &SealArgs) -> ExitCode {
    let (keys, stdin) = match keys_and_stdin() {
        Ok(read) => read,
        Err(code) => return code,
    };
    match seal(args, &stdin, keys.as_ref()) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

/// Prints a new `SEAL_KEYS` entry.
pub fn keygen_main(id: &str) -> ExitCode {
    match seal::generate_key(id) {
        Ok(entry) if SealKeys::parse(&entry).is_ok() => {
            println!("{entry}");
            ExitCode::SUCCESS
        }
        Ok(_) => fail("a key id must be 1 to 16 letters, digits, _ or -"),
        Err(_) => fail("the operating system gave no random bytes"),
    }
}

/// Prints `message` to standard error and returns failure.
pub fn fail(message: &str) -> ExitCode {
    eprintln!("yemot-2fa: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_bad_token_key_or_redis_address_names_its_variable_and_not_its_value() {
        for (variable, value) in [
            ("ACCESS_TOKEN", "tiny-token"),
            ("SEAL_KEYS", "k1:c2VjcmV0"),
            ("REDIS_URL", "http://not-redis.example"),
        ] {
            let error = wire(config(&[(variable, value)])).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(!error.to_string().contains(value), "{error}");
        }
        let state = wire(config(&[
            ("ACCESS_TOKEN", "0123456789abcdef,fedcba9876543210"),
            (
                "SEAL_KEYS",
                "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
            ("REDIS_URL", "redis://127.0.0.1:1"),
        ]))
        .unwrap();
        assert!(state.tokens.unwrap().allows(Some("fedcba9876543210")));
        assert_eq!(state.seal_keys.unwrap().sealing_id(), "k1");
        assert_eq!(state.store.kind(), "redis");
    }
}
