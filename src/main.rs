//! The `yemot-2fa` binary: the server by default, or `seal` / `keygen` (see [`yemot_2fa::cli`]).

use std::process::ExitCode;

use clap::Parser;
use yemot_2fa::cli::{self, Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        None | Some(Command::Serve) => cli::serve_main(),
        Some(Command::Seal(args)) => cli::seal_main(&args),
        Some(Command::Keygen { id }) => cli::keygen_main(&id),
        Some(Command::Import { link }) => cli::import_main(link.as_deref()),
    }
}
