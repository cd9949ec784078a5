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
    /// A `SEARCH` has more keys than the limit, or nests them deeper than allowed.
    #[error("search has more than {limit} keys or nests deeper than {depth}")]
    TooManySearchKeys {
        /// The most keys allowed.
        limit: usize,
        /// The deepest nesting allowed.
        depth: usize,
    },
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
    /// The `_dx` record lookup behind [`crate::driver::SignetTrust::Dns`] failed (feature
    /// `dns`).
    #[cfg(feature = "dns")]
    #[error(transparent)]
    Dns(#[from] dime_signet::dns::DnsError),
    /// The store has no such mailbox (`NO [NONEXISTENT]`, `NO [TRYCREATE]` for APPEND).
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// The mailbox already exists (`NO [ALREADYEXISTS]`, RFC 5530).
    #[error("mailbox already exists")]
    MailboxExists,
    /// The store has no message with that UID (`NO [NONEXISTENT]`).
    #[error("no such message")]
    NoSuchMessage,
    /// The store will never do this (a policy refusal); the text is shown to the user
    /// (`NO [CANNOT] text`).
    #[error("refused: {0}")]
    StoreRefused(String),
    /// The store cannot serve the request now, e.g. its database is down
    /// (`NO [UNAVAILABLE] text`).
    #[error("unavailable: {0}")]
    StoreUnavailable(String),
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
    /// The client refused to log in over a connection that TLS does not protect.
    #[error(
        "AUTHENTICATE STACIE refused: the connection is not protected by TLS (see ClientSession::allow_insecure_auth)"
    )]
    InsecureAuth,
    /// A command or response is longer than the message limit.
    #[error("message longer than {limit} bytes")]
    MessageTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The application answered something the session is not waiting for.
    #[error("the session is not waiting for {0}")]
    NotWaiting(&'static str),
    /// The session is over (LOGOUT, BYE or a closed connection).
    #[error("the session is closed")]
    Closed,
    /// A transport error in the tokio driver.
    #[error("I/O error: {0}")]
    Io(String),
    /// The tokio driver waited longer than its deadline: for a TCP connect, a TLS handshake, or
    /// the server's next bytes.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// The deadline it had.
        after: core::time::Duration,
    },
    /// A TLS error in the tokio driver.
    #[error("TLS error: {0}")]
    Tls(String),
}

/// Result with this crate's [`DmapError`].
pub type Result<T, E = DmapError> = core::result::Result<T, E>;
