//! The one error type of `dime-dmap`.

use crate::codec::types::Code;
use crate::codec::types::StatusKind;

/// Everything that can go wrong in the DMAP codec, the sessions, the store and the driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DmapError {
    /// The bytes do not follow the grammar at `offset` (counted from the start of the message).
    #[error("syntax error at byte {offset}: expected {expected}")]
    Syntax {
        /// Offset of the first byte that does not fit.
        offset: usize,
        /// What the grammar wanted there.
        expected: &'static str,
    },
    /// A command name this implementation does not know.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// A line (without its literals) is longer than the limit.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// A literal announces more bytes than the limit allows.
    #[error("literal of {size} bytes is over the limit of {limit}")]
    LiteralTooLarge {
        /// Bytes announced.
        size: u64,
        /// The limit in force.
        limit: usize,
    },
    /// A whole command or response (lines and literals) is larger than the limit.
    #[error("message larger than {limit} bytes")]
    MessageTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// A sequence set has more ranges than the limit.
    #[error("sequence set of more than {limit} ranges")]
    TooManyRanges {
        /// The limit in force.
        limit: usize,
    },
    /// A value that must be text (mailbox name, address, date) is not valid UTF-8.
    #[error("{what} is not valid UTF-8")]
    NotUtf8 {
        /// What was decoded.
        what: &'static str,
    },
    /// A STACIE message of the `AUTHENTICATE STACIE` exchange has the wrong size.
    #[error("STACIE {what} has {len} bytes, expected {expected}")]
    SaslLength {
        /// Which message.
        what: &'static str,
        /// Bytes received.
        len: usize,
        /// Bytes required.
        expected: usize,
    },
    /// A shared building block refused a value (base64, STACIE sizes, envelopes).
    #[error(transparent)]
    Core(#[from] dime_core::Error),
    /// A signet or signing request was refused.
    #[error(transparent)]
    Signet(#[from] dime_signet::SignetError),
    /// The mailbox store refused an operation.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The server completed a command with `NO` or `BAD` (client side).
    #[error("server answered {kind:?}{}: {text}", code.as_ref().map(|c| format!(" [{}]", c.name())).unwrap_or_default())]
    Rejected {
        /// `No` or `Bad`.
        kind: StatusKind,
        /// The response code, if any.
        code: Option<Code>,
        /// The human-readable text.
        text: String,
    },
    /// The peer sent something the session cannot accept at this point (client side).
    #[error("unexpected response: {0}")]
    Unexpected(&'static str),
    /// The client asked for something the session's state does not allow.
    #[error("{command} is not allowed in the {state} state")]
    WrongState {
        /// The command.
        command: &'static str,
        /// The session state.
        state: &'static str,
    },
    /// The session is over (LOGOUT, BYE or a closed connection).
    #[error("the session is closed")]
    Closed,
    /// A transport error in the tokio driver.
    #[error("I/O error: {0}")]
    Io(String),
    /// A TLS error in the tokio driver.
    #[error("TLS error: {0}")]
    Tls(String),
}

/// Why the application's mailbox store refused an operation. The server turns each variant into
/// one fixed tagged response (see `docs/dmap.md` §7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The mailbox does not exist.
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// The message (UID) does not exist.
    #[error("no such message")]
    NoSuchMessage,
    /// The store will never accept this (e.g. a policy refusal); the text is shown to the user.
    #[error("refused: {0}")]
    Refused(String),
    /// The store cannot serve the request now (e.g. a database is down).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A signing request could not be turned into a signet.
    #[error("signet: {0}")]
    Signet(dime_signet::SignetError),
}

/// Result with this crate's [`DmapError`].
pub type Result<T, E = DmapError> = core::result::Result<T, E>;
