//! The one error type of the `dime` tool and the exit codes it maps to.

use std::io;
use std::path::PathBuf;

use dime_signet::SignetError;
use dime_signet::record::RecordError;

/// Exit code of success: the command did its work, or what it checked is valid.
pub const EXIT_OK: u8 = 0;
/// Exit code of a check that ran and failed: a signature, custody chain or TLS certificate
/// that does not verify.
pub const EXIT_INVALID: u8 = 1;
/// Exit code of bad input or usage: unreadable or malformed files, bad arguments.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Why a command failed. [`CliError::exit_code`] says which exit code each cause gives.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("{}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file is larger than the limit for what it should hold.
    #[error("{}: larger than the limit of {limit} bytes", .path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// A file could not be written.
    #[error("{}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// An output file exists and `--force` was not given.
    #[error("{}: already exists (use --force to overwrite)", .path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A file does not hold a well-formed signet, request or key file.
    #[error("{}: malformed: {source}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: SignetError,
    },
    /// A file holds a well-formed object of the wrong kind.
    #[error("{}: expected {expected}, found {found}", .path.display())]
    WrongObject {
        /// The file.
        path: PathBuf,
        /// What the option needs.
        expected: &'static str,
        /// What the file holds.
        found: &'static str,
    },
    /// An address that is not `local@domain` with a dot-atom local part and a valid host name.
    #[error("invalid address {address:?}: expected local@domain")]
    InvalidAddress {
        /// The text given.
        address: String,
    },
    /// The address to issue a signet for is outside the organization's domain.
    #[error("address {address} is not in the organization's domain {domain}")]
    ForeignAddress {
        /// The address given.
        address: String,
        /// The org signet's identifier.
        domain: String,
    },
    /// The organizational signet given to sign with does not validate to the crypto state.
    #[error("{}: the organizational signet is {state}: {problem}", .path.display())]
    OrgSignetRejected {
        /// The org signet file.
        path: PathBuf,
        /// The state it reached.
        state: &'static str,
        /// Why.
        problem: SignetError,
    },
    /// The signing request does not validate (its own signature, or its custody chain).
    #[error("{}: the signing request is {state}: {problem}", .path.display())]
    RequestRejected {
        /// The request file.
        path: PathBuf,
        /// The state it reached.
        state: &'static str,
        /// Why.
        problem: SignetError,
    },
    /// Building, signing or issuing a signet failed.
    #[error("{0}")]
    Signet(#[from] SignetError),
    /// A management record does not parse or cannot be built.
    #[error("invalid management record: {0}")]
    Record(#[source] RecordError),
    /// A certificate file is not a DER or PEM certificate.
    #[error("{}: {source}", .path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: RecordError,
    },
    /// No `tls` value of the record verifies over the certificate.
    #[error("{0}")]
    TlsMismatch(#[source] RecordError),
    /// Standard output could not be written.
    #[error("standard output: {0}")]
    Stdout(#[source] io::Error),
}

impl CliError {
    /// The process exit code for this error: [`EXIT_INVALID`] for checks that ran and failed,
    /// [`EXIT_BAD_INPUT`] for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::OrgSignetRejected { .. } | CliError::RequestRejected { .. } | CliError::TlsMismatch(_) => {
                EXIT_INVALID
            }
            _ => EXIT_BAD_INPUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_checks_exit_1_and_bad_input_exits_2() {
        let rejected = CliError::RequestRejected {
            path: "r.ssr".into(),
            state: "invalid",
            problem: SignetError::BadSignature { id: 5 },
        };
        assert_eq!(rejected.exit_code(), EXIT_INVALID);
        assert_eq!(rejected.to_string(), "r.ssr: the signing request is invalid: signature field 5 does not verify");
        assert_eq!(CliError::TlsMismatch(RecordError::TlsCertificateMismatch).exit_code(), EXIT_INVALID);
        assert_eq!(CliError::Record(RecordError::MissingPok).exit_code(), EXIT_BAD_INPUT);
        assert_eq!(CliError::Exists { path: "a.key".into() }.exit_code(), EXIT_BAD_INPUT);
        assert_eq!(
            CliError::Exists { path: "a.key".into() }.to_string(),
            "a.key: already exists (use --force to overwrite)"
        );
    }
}
