//! `ashiato`: the one binary. `ashiato serve` runs the site; the other subcommands are for
//! operators (and for tests, which drive the real binary).

mod backup;
mod cli;
mod demo;
mod error;
mod logging;
mod mail;
mod ops;
mod seed;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match ops::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, no secrets: every error type here prints redacted text.
            eprintln!("ashiato: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
