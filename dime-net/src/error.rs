use std::time::Duration;

use crate::dial::Phase;

/// Why a connect or a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The phase did not finish before its deadline.
    #[error("{phase} timed out after {after:?}")]
    Timeout {
        /// What was running.
        phase: Phase,
        /// The deadline it had.
        after: Duration,
    },
    /// The socket or the handshake failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        match error {
            Error::Io(error) => error,
            timeout @ Error::Timeout { .. } => std::io::Error::new(std::io::ErrorKind::TimedOut, timeout),
        }
    }
}
