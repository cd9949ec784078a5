//! The one error type of `dime-dmtp`.

use crate::wire::{Reply, Verb};

/// Everything that can go wrong in DMTP: parsing a command or a reply, driving a session,
/// resolving a signet, or (with the driver features) the network underneath.
///
/// Parse faults of a command map one-to-one to the reply the server sends for them (see
/// [`crate::server`]); faults of a reply end the client session that read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DmtpError {
    // ---- command lines -------------------------------------------------------------------
    /// A command line holds nothing before its CRLF.
    #[error("empty command line")]
    EmptyLine,
    /// A line is longer than the limit (its CRLF included).
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// A line ends in a bare LF (DMTP lines end in CRLF only).
    #[error("line ends in a bare LF")]
    BareLineFeed,
    /// The first word is no DMTP verb.
    #[error("unknown command verb")]
    UnknownVerb,
    /// An SMTP-style command (HELO, `EHLO host` without brackets, bare STARTTLS, an SMTP-only verb).
    #[error("SMTP-style command")]
    SmtpCommand,
    /// A known verb whose arguments do not follow the grammar.
    #[error("bad {} syntax", .verb.name())]
    CommandSyntax {
        /// The verb.
        verb: Verb,
    },
    /// A known verb with a well-formed but invalid argument value (a fingerprint that does not
    /// decode, a size that is not a number, a wrong parameter value).
    #[error("invalid {} parameter", .verb.name())]
    InvalidParameter {
        /// The verb.
        verb: Verb,
    },
    /// A domain argument that is not a valid host name (EHLO, STARTTLS).
    #[error("invalid {} domain", .verb.name())]
    InvalidDomain {
        /// The verb.
        verb: Verb,
    },
    /// A `MAIL FROM` parameter name this implementation does not know.
    #[error("unsupported {} parameter", .verb.name())]
    UnsupportedParameter {
        /// The verb.
        verb: Verb,
    },

    // ---- reply lines ---------------------------------------------------------------------
    /// A reply line that is not `NNN SP text` or `NNN-text` with printable ASCII text.
    #[error("malformed reply line")]
    ReplySyntax,
    /// A continuation line of a multi-line reply carries another code.
    #[error("multi-line reply changes code from {first} to {found}")]
    ReplyCodeMismatch {
        /// Code of the first line.
        first: u16,
        /// Code of the offending line.
        found: u16,
    },
    /// A multi-line reply has more lines than the limit.
    #[error("reply has more than {limit} lines")]
    ReplyTooManyLines {
        /// The limit.
        limit: usize,
    },
    /// A multi-line reply is larger than the limit in total.
    #[error("reply is larger than {limit} bytes")]
    ReplyTooLarge {
        /// The limit.
        limit: usize,
    },

    // ---- sessions ------------------------------------------------------------------------
    /// A received message object does not open as the destination.
    #[error("invalid message object: {reason}")]
    InvalidObject {
        /// Why.
        reason: String,
    },
    /// An answer names a request the session is not waiting for.
    #[error("no pending request with id {id}")]
    UnknownRequest {
        /// The id given.
        id: u64,
    },
    /// An answer of the wrong kind for the pending request.
    #[error("answer does not fit request {id}")]
    WrongAnswer {
        /// The id given.
        id: u64,
    },
    /// The session is closed, or was never told that TLS is up when it had to be.
    #[error("session is in the wrong state for this call")]
    WrongState,
    /// The server refused a command; the reply is kept whole.
    #[error("{} refused: {reply}", .verb.name())]
    Rejected {
        /// The command that was refused.
        verb: Verb,
        /// The server's reply.
        reply: Reply,
    },
    /// The server answered with a reply that does not fit the command.
    #[error("unexpected reply to {}: {reply}", .verb.name())]
    UnexpectedReply {
        /// The command it answers.
        verb: Verb,
        /// The server's reply.
        reply: Reply,
    },
    /// The banner is not `220` with a `DMTPv1` token.
    #[error("the server is not a DMTPv1 server: {reply}")]
    NotDmtp {
        /// The banner.
        reply: Reply,
    },
    /// The `354` reply echoes another hash than the one sent.
    #[error("the server echoed another message hash")]
    HashEchoMismatch,
    /// The object is larger than the server's advertised `SIZE` limit.
    #[error("object of {size} bytes exceeds the server's limit of {limit}")]
    MessageTooLarge {
        /// Object size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A payload in brackets (signet, fingerprint, nonce, transaction id) does not decode.
    #[error("reply payload does not decode: {what}")]
    ReplyPayload {
        /// What was being decoded.
        what: &'static str,
    },
    /// A deadline passed; the phase says what was awaited.
    #[error("timed out waiting for {phase}")]
    Timeout {
        /// What was awaited: the connection, the TLS handshake, the greeting, a command's
        /// reply, or the whole attempt.
        phase: TimeoutPhase,
    },
    /// The connection closed before the request completed.
    #[error("connection closed")]
    ConnectionClosed,

    // ---- resolution ----------------------------------------------------------------------
    /// A management record fault (parse, DNSSEC policy, `tls=` check).
    #[error(transparent)]
    Record(#[from] dime_signet::RecordError),
    /// A signet fault (parse or key decoding).
    #[error(transparent)]
    Signet(#[from] dime_signet::SignetError),
    /// A signet validated below the state resolution demands.
    #[error("signet validates only as {state}{}", .reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    SignetState {
        /// The state reached.
        state: dime_signet::SignetState,
        /// Why, when validation said.
        reason: Option<String>,
    },
    /// A signet of the wrong kind (an org signet where a user signet was asked for, ...).
    #[error("signet is of the wrong kind")]
    SignetKind,
    /// The signet's identifier (field 254) names another domain or address.
    #[error("signet identifier {found:?} does not match {expected:?}")]
    IdentifierMismatch {
        /// The name asked for.
        expected: String,
        /// The identifier in the signet.
        found: String,
    },
    /// The signet has none of the fingerprints asked for.
    #[error("signet does not have the requested fingerprint")]
    FingerprintMismatch,
    /// A HIST chain is empty, does not start at the requested signet, or breaks custody.
    #[error("signet history is broken at element {index}")]
    HistoryBroken {
        /// Index of the first bad element.
        index: usize,
    },
    /// The DX certificate is not acceptable; the reason says which rule refused it.
    #[error("DX certificate refused: {reason}")]
    CertificateRefused {
        /// Which rule refused it.
        reason: &'static str,
    },
    /// A DNS answer besides the `_dx` record that the resolution may not use: bogus, or not
    /// secure under a secure record that does not pin what it leads to
    /// ([`crate::resolve::check_answer`]).
    #[error("{rtype} answer for {name} refused: {reason}")]
    AnswerRefused {
        /// The record types asked for (`MX`, `A/AAAA`).
        rtype: &'static str,
        /// The name asked about.
        name: String,
        /// Which rule refused it.
        reason: &'static str,
    },
    /// No DX host could be reached for a domain.
    #[error("no DX host reachable for {domain}")]
    NoDxHost {
        /// The domain.
        domain: String,
    },
    /// A name that is neither a domain nor a `user@domain` address.
    #[error("invalid signet name {0:?}")]
    InvalidName(String),

    // ---- sending -------------------------------------------------------------------------
    /// A key file is of the wrong owner or does not hold the keys of its signet.
    #[error("the {what} key file does not hold the keys of the {what} signet")]
    KeyMismatch {
        /// Whose (`organisation`, `author`).
        what: &'static str,
    },
    /// Composing or countersigning the message object failed.
    #[error(transparent)]
    Message(#[from] dime_message::MessageError),

    // ---- drivers -------------------------------------------------------------------------
    /// A socket error (driver only).
    #[error("i/o: {text}")]
    Io {
        /// What kind of failure (`ConnectionRefused`, `ConnectionReset`, ...).
        kind: std::io::ErrorKind,
        /// The OS error as text.
        text: String,
    },
    /// A TLS error (driver only).
    #[error("tls: {0}")]
    Tls(String),
    /// A DNS query failed (driver only).
    #[error("dns: {text}")]
    Dns {
        /// No such record, a timeout, or another failure.
        kind: DnsErrorKind,
        /// The resolver's error as text.
        text: String,
    },
}

/// What a DMTP client was waiting for when its deadline passed ([`DmtpError::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// The TCP connection (`ClientOptions::connect_timeout`, driver).
    Connect,
    /// The TLS handshake, at the start in native mode or after `STARTTLS` in dual mode
    /// (`ClientOptions::handshake_timeout` in the driver, the reply timeout in the session).
    TlsHandshake,
    /// The server's `220` greeting (the banner, or in dual mode the confirmation after TLS).
    Greeting,
    /// The reply to a command (`ClientConfig::reply_timeout`).
    Reply(Verb),
    /// The final reply after the message object was sent (`DATA`'s second reply).
    Data,
    /// The whole attempt on a destination: every target together
    /// (`ClientOptions::targets_timeout`).
    TotalBudget,
}

impl core::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TimeoutPhase::Connect => f.write_str("the TCP connection"),
            TimeoutPhase::TlsHandshake => f.write_str("the TLS handshake"),
            TimeoutPhase::Greeting => f.write_str("the server's greeting"),
            TimeoutPhase::Reply(verb) => write!(f, "the reply to {}", verb.name()),
            TimeoutPhase::Data => f.write_str("the reply to the message data"),
            TimeoutPhase::TotalBudget => f.write_str("any target of the destination (total time)"),
        }
    }
}

/// Why a DNS query failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DnsErrorKind {
    /// The name exists with no record of the type asked for, or does not exist (NXDOMAIN).
    NoRecords,
    /// No name server answered in time.
    Timeout,
    /// Anything else: a server failure (SERVFAIL, REFUSED), no reachable server, a malformed
    /// answer.
    Failed,
}

impl DmtpError {
    /// Whether this is a `450` refusal (nothing found).
    pub fn is_not_found(&self) -> bool {
        matches!(self, DmtpError::Rejected { reply, .. } if reply.code().value() == 450)
    }

    /// The server's reply, when the error is one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            DmtpError::Rejected { reply, .. }
            | DmtpError::UnexpectedReply { reply, .. }
            | DmtpError::NotDmtp { reply } => Some(reply),
            _ => None,
        }
    }

    /// Whether trying the same thing later may succeed, so that a queue should retry rather
    /// than bounce (`docs/dmtp.md` §12 lists every case):
    ///
    /// * transient: network and TLS failures, timeouts, a connection closed early, a `4xx`
    ///   reply (a `421` or a `451`) anywhere, a corrupted transfer (the hash echo), no DX
    ///   host reachable, a DNS timeout or server failure, a bogus DNSSEC answer, a refused DX
    ///   certificate (configurations get fixed, as in SMTP);
    /// * permanent: a `5xx` reply, an object over the server's size limit, no `_dx` or
    ///   another record fault, a signet that does not validate or bind, a message that cannot
    ///   be composed, and every local or protocol fault.
    pub fn is_transient(&self) -> bool {
        use dime_signet::RecordError;
        match self {
            DmtpError::Io { .. }
            | DmtpError::Tls(_)
            | DmtpError::Timeout { .. }
            | DmtpError::ConnectionClosed
            | DmtpError::HashEchoMismatch
            | DmtpError::NoDxHost { .. }
            | DmtpError::CertificateRefused { .. }
            | DmtpError::AnswerRefused { .. }
            | DmtpError::Record(RecordError::DnssecBogus) => true,
            DmtpError::Dns { kind, .. } => *kind != DnsErrorKind::NoRecords,
            DmtpError::Rejected { reply, .. }
            | DmtpError::UnexpectedReply { reply, .. }
            | DmtpError::NotDmtp { reply } => reply.code().value() / 100 == 4,
            _ => false,
        }
    }
}

impl From<std::io::Error> for DmtpError {
    fn from(error: std::io::Error) -> Self {
        DmtpError::Io { kind: error.kind(), text: error.to_string() }
    }
}

/// `Result` with [`DmtpError`].
pub type Result<T, E = DmtpError> = core::result::Result<T, E>;

#[cfg(feature = "dns")]
impl From<dime_signet::dns::DnsError> for DmtpError {
    /// The record's and the signet's own faults keep their types; lookup failures are
    /// [`DmtpError::Dns`] with the lookup's description.
    fn from(error: dime_signet::dns::DnsError) -> DmtpError {
        use dime_signet::dns::DnsError;
        match error {
            DnsError::Record(error) => DmtpError::Record(error),
            DnsError::Signet(error) => DmtpError::Signet(error),
            DnsError::NoRecord { .. } => DmtpError::Dns { kind: DnsErrorKind::NoRecords, text: error.to_string() },
            DnsError::Timeout { .. } => DmtpError::Dns { kind: DnsErrorKind::Timeout, text: error.to_string() },
            other => DmtpError::Dns { kind: DnsErrorKind::Failed, text: other.to_string() },
        }
    }
}
