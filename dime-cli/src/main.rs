//! `dime`: the DIME command-line tool.
//!
//! `main` parses the arguments, runs one command, prints what it returns and turns the result
//! into the exit code: 0 success or valid, 1 invalid, 2 bad input or usage. Errors go to
//! standard error as `dime: <message>`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod address;
mod cli;
mod error;
mod files;
mod folder;
mod headers;
mod key;
mod keygen;
mod message;
mod output;
mod record;
mod signet;
mod views;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command, KeyCommand, KeygenCommand, MessageCommand, RecordCommand, SignetCommand};
use crate::error::{CliError, EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK};

/// Whether what a command checked holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done, or valid: exit 0.
    Ok,
    /// Checked and found invalid: exit 1.
    Invalid,
}

/// What a command that ran to the end gives back: its standard output and its status.
#[derive(Debug)]
pub struct Outcome {
    /// Text for standard output.
    pub stdout: String,
    /// The status.
    pub status: Status,
}

impl Outcome {
    /// A successful outcome printing `stdout`.
    pub fn ok(stdout: String) -> Outcome {
        Outcome { stdout, status: Status::Ok }
    }
}

/// Runs one command.
fn run(command: &Command) -> Result<Outcome, CliError> {
    match command {
        Command::Keygen(KeygenCommand::Org(args)) => keygen::org(args),
        Command::Keygen(KeygenCommand::User(args)) => keygen::user(args),
        Command::Key(KeyCommand::Inspect(args)) => key::inspect(args),
        Command::Signet(SignetCommand::Sign(args)) => signet::sign(args),
        Command::Signet(SignetCommand::Inspect(args)) => signet::inspect(args),
        Command::Signet(SignetCommand::Verify(args)) => signet::verify(args),
        Command::Record(RecordCommand::Generate(args)) => record::generate(args),
        Command::Record(RecordCommand::Check(args)) => record::check(args),
        Command::Record(RecordCommand::VerifyTls(args)) => record::verify_tls(args),
        Command::Message(MessageCommand::Encrypt(args)) => message::encrypt(args),
        Command::Message(MessageCommand::Open(args)) => message::open(args),
        Command::Message(MessageCommand::Inspect(args)) => message::inspect(args),
    }
}

/// Prints `message` on standard error as `dime: <message>`.
fn report(message: &str) {
    // Nothing sensible is left to do when standard error itself fails.
    let _ = writeln!(std::io::stderr(), "dime: {}", message.trim_end());
}

/// Handles what clap refused or answered itself: help and version go to standard output with
/// exit 0, usage errors to standard error with exit 2.
fn usage(error: &clap::Error) -> ExitCode {
    let text = error.render().to_string();
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let written = std::io::stdout().write_all(text.as_bytes());
        return ExitCode::from(if written.is_ok() { EXIT_OK } else { EXIT_BAD_INPUT });
    }
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // A bare group (`dime signet`): its help, on standard error since it is a usage error.
        let _ = std::io::stderr().write_all(text.as_bytes());
    } else {
        report(text.strip_prefix("error: ").unwrap_or(&text));
    }
    ExitCode::from(EXIT_BAD_INPUT)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    let outcome = run(&cli.command).and_then(|outcome| {
        std::io::stdout().write_all(outcome.stdout.as_bytes()).map_err(CliError::Stdout)?;
        Ok(outcome.status)
    });
    match outcome {
        Ok(Status::Ok) => ExitCode::from(EXIT_OK),
        Ok(Status::Invalid) => ExitCode::from(EXIT_INVALID),
        Err(error) => {
            report(&error.to_string());
            ExitCode::from(error.exit_code())
        }
    }
}
