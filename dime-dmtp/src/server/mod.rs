//! The server session: a sans-IO state machine for one DMTP connection.
//!
//! Bytes and "TLS is up" go in; replies, [`ServerEvent`]s and a deadline come out; the
//! application answers events with [`ServerSession::answer`]. Nothing here touches a socket, a
//! clock or a task: every call that needs the time takes `now`.
//!
//! # Driving a session
//!
//! After **every** call that feeds the session ([`ServerSession::tls_established`],
//! [`ServerSession::enqueue_input`], [`ServerSession::answer`],
//! [`ServerSession::handle_timeout`]) drain its outputs in this order:
//!
//! 1. [`ServerSession::poll_transmit`] until `None`, writing each buffer to the connection in
//!    order (on a dual-mode connection these bytes go out *before* any TLS handshake starts);
//! 2. [`ServerSession::poll`] until `None`, handling each event (an answer queues more bytes:
//!    go back to 1);
//! 3. if [`ServerSession::is_closed`], flush and close the connection;
//! 4. [`ServerSession::poll_timeout`]: call [`ServerSession::handle_timeout`] when it passes.
//!
//! [`ServerSession::enqueue_input`] returns how many bytes it took. It stops taking bytes while
//! an event waits for its answer, while more than [`ServerLimits::max_pending_output`] bytes
//! wait to be sent, or while [`ServerLimits::max_pending_data`] bytes of a message object wait
//! in [`ServerEvent::MessageData`] events; the caller keeps the rest and offers it again after
//! answering or draining. So every buffer in the session is bounded.
//!
//! # The DATA phase
//!
//! The session never holds a message object. After `354` it emits
//! [`ServerEvent::MessageBegin`], then the object's bytes in [`ServerEvent::MessageData`] pieces
//! as they arrive, then exactly one of [`ServerEvent::MessageReceived`] (all
//! `SIZE` bytes, the CRLF and the right hash: answer with the verdict) or
//! [`ServerEvent::MessageAborted`] (discard what was stored). The application streams the pieces
//! into its spool; the session feeds them to the object's [`DestinationCheck`], whose chunk
//! digests make the `DATA` hash in the same pass (decision D9, so each byte is hashed once),
//! and hands it out with [`ServerSession::take_check`]. The tokio driver does
//! both for a `ServerApp`.

mod text;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dime_core::Fingerprint;
use dime_signet::record::HostName;

use crate::error::DmtpError;
use crate::object::DestinationCheck;
use crate::wire::{Address, Command, Framed, LineReader, MAX_COMMAND_LINE, MailFrom, Name, Nonce, Reply, TxId, Verb};

pub use text::help_text;

/// How the listener meets clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenMode {
    /// Port 26: TLS from the first byte, the banner inside TLS.
    Native,
    /// Port 25: a plaintext banner; DMTP starts with `STARTTLS <host> MODE=DMTPv1`.
    Dual {
        /// Hand SMTP-style sessions to the application ([`ServerEvent::SmtpHandoff`]) instead of
        /// refusing them with `554 <host> SMTP SERVICE NOT AVAILABLE`.
        smtp_handoff: bool,
    },
}

/// A destination domain this server accepts messages for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDomain {
    /// The organisation's domain.
    pub domain: HostName,
    /// Fingerprints of its org signet that `RCPT TO` may name (any kind: crypto, full, id).
    /// Empty accepts any fingerprint.
    pub fingerprints: Vec<Fingerprint>,
}

/// Limits and timeouts of a server session.
///
/// Start from [`ServerLimits::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Largest message object accepted (`SIZE=`), advertised in EHLO.
    pub max_message_size: u64,
    /// How long a session may wait for a complete command line.
    pub idle_timeout: Duration,
    /// How long a session may wait for the next bytes of a message object.
    pub data_timeout: Duration,
    /// Protocol violations (unknown commands, bad arguments, bad sequences, bad lines) after
    /// which the session ends with `421`.
    pub max_violations: u32,
    /// Reply bytes waiting to be sent above which the session takes no more input.
    pub max_pending_output: usize,
    /// Object bytes waiting in [`ServerEvent::MessageData`] events at which the session takes no
    /// more input (also the largest piece one event carries).
    pub max_pending_data: usize,
    /// Heap the destination's streaming check of one object may hold (held chunks and the
    /// per-chunk digests, see [`crate::object::DestinationCheck`]); an object that needs more
    /// is refused as invalid.
    pub max_check_bytes: usize,
}

impl Default for ServerLimits {
    /// 64 MiB objects, 5 minutes idle, 2 minutes between data bytes, 10 violations, 64 KiB of
    /// pending replies, 64 KiB of pending object bytes, 256 KiB for an object's check.
    fn default() -> Self {
        ServerLimits {
            max_message_size: 64 * 1024 * 1024,
            idle_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(120),
            max_violations: 10,
            max_pending_output: 64 * 1024,
            max_pending_data: 64 * 1024,
            max_check_bytes: 256 * 1024,
        }
    }
}

/// What a server session needs to know about its server.
///
/// Start from [`ServerConfig::new`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The DX host name: in the banner, and the name STARTTLS must ask for.
    pub host: HostName,
    /// The domains messages are accepted for.
    pub served: Vec<ServedDomain>,
    /// Native or dual mode.
    pub mode: ListenMode,
    /// Limits and timeouts.
    pub limits: ServerLimits,
}

impl ServerConfig {
    /// A configuration with default limits.
    pub fn new(host: HostName, mode: ListenMode, served: Vec<ServedDomain>) -> ServerConfig {
        ServerConfig { host, served, mode, limits: ServerLimits::default() }
    }

    fn esmtp(&self) -> bool {
        matches!(self.mode, ListenMode::Dual { smtp_handoff: true })
    }
}

/// Where a session is, in the terms of the state table of `docs/dmtp.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Native mode: waiting for the driver's TLS handshake.
    Handshake,
    /// Dual mode before STARTTLS.
    Plain,
    /// STARTTLS accepted: waiting for the driver's TLS handshake.
    StartingTls,
    /// TLS is up, no EHLO yet.
    Secure,
    /// EHLO given, no transaction.
    Greeted,
    /// `MAIL FROM` accepted.
    Mail,
    /// `RCPT TO` accepted.
    Rcpt,
    /// Reading the message object (and, once read, waiting for the application's verdict).
    DataIn,
    /// The session is over.
    Closed,
    /// The connection was handed to SMTP ([`ServerEvent::SmtpHandoff`]).
    HandedOff,
}

/// Identifies an event that waits for an [`Answer`]: pass it back to [`ServerSession::answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnswerId(pub u64);

/// The transfer envelope of a received message: its `MAIL FROM` and `RCPT TO`, the DMTP
/// counterpart of SMTP's envelope (not the object's own origin and destination envelope chunks,
/// nor [`dime_message::Envelope`], the object keyed for one reader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEnvelope {
    /// `MAIL FROM`.
    pub mail_from: MailFrom,
    /// The destination organisation's domain (`RCPT TO`).
    pub destination: HostName,
    /// The destination org-signet fingerprint the origin used.
    pub destination_fingerprint: Fingerprint,
}

/// A message object whose bytes all arrived (in [`ServerEvent::MessageData`] pieces) with the
/// hash `DATA` announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Answer with [`Answer::Message`].
    pub id: AnswerId,
    /// The transaction id `250 OK [txid]` will carry.
    pub txid: TxId,
    /// The envelope.
    pub envelope: TransferEnvelope,
    /// The object's `DATA [hash]` ([`crate::object::ObjectHasher`], already checked).
    pub hash: Fingerprint,
    /// The object's size in bytes (`SIZE`).
    pub size: u64,
}

/// Why a DATA transaction ended without a verdict; the session has sent its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataFailure {
    /// The object's hash is not the one `DATA` announced (`451`).
    HashMismatch,
    /// More bytes than `SIZE` arrived (`554`).
    TooLong,
    /// The data timeout passed (`421`, the session is closed).
    TimedOut,
    /// The session could not draw a transaction id (`451`).
    Internal,
}

/// What a server session asks of the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Dual mode: STARTTLS was accepted and its `220` queued. Write every pending transmit, run
    /// the TLS handshake on the connection, then call [`ServerSession::tls_established`]; if the
    /// handshake fails, close the connection.
    StartTls,
    /// Dual mode with SMTP hand-off: the client speaks SMTP. Give the connection (and this
    /// first line, CRLF included) to an SMTP implementation; the session is over.
    SmtpHandoff {
        /// The first SMTP line.
        line: Vec<u8>,
    },
    /// `SGNT`: answer with [`Answer::Signet`].
    SignetRequested {
        /// The request.
        id: AnswerId,
        /// Whose signet.
        name: Name,
        /// Which version (full, crypto or id fingerprint), if not the current.
        fingerprint: Option<Fingerprint>,
    },
    /// `HIST`: answer with [`Answer::History`].
    HistoryRequested {
        /// The request.
        id: AnswerId,
        /// The user.
        address: Address,
        /// First signet of the chain.
        start: Fingerprint,
        /// Last signet, or the current one.
        end: Option<Fingerprint>,
    },
    /// `VRFY`: answer with [`Answer::Verify`].
    VerifyRequested {
        /// The request.
        id: AnswerId,
        /// Whose signet.
        name: Name,
        /// The fingerprint the client holds.
        fingerprint: Fingerprint,
    },
    /// `STATS [nonce]` with the right nonce: answer with [`Answer::Stats`].
    StatsRequested {
        /// The request.
        id: AnswerId,
    },
    /// `354` was sent: the bytes of the object for `envelope` follow. Open the spool they go to.
    MessageBegin {
        /// The envelope.
        envelope: TransferEnvelope,
    },
    /// The next bytes of the object, in order: write them to the spool and feed them to the
    /// destination's check ([`crate::object::DestinationCheck`]). Each piece holds at most
    /// [`ServerLimits::max_pending_data`] bytes.
    MessageData {
        /// The bytes.
        bytes: Bytes,
    },
    /// All of the object arrived with the right size and hash: finish its check as the
    /// destination ([`crate::object::DestinationCheck::finish`]), make the spool durable only if
    /// it passed, and answer with [`Answer::Message`].
    MessageReceived(ReceivedMessage),
    /// The DATA transaction failed and its reply was sent: discard the spool.
    MessageAborted {
        /// Why.
        failure: DataFailure,
    },
}

/// Why the application refuses a received message; each has its own reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// `554 INVALID DMIME DATA RECEIVED.`: the object does not parse or verify as the destination.
    InvalidObject,
    /// `550 ACCOUNT LOCKED - THE RECIPIENT CANNOT RECEIVE MESSAGES`.
    AccountLocked,
    /// `551 RELAY ACCESS DENIED - THE DESTINATION IS NOT SERVED HERE`.
    RelayDenied,
    /// `554 INVALID RECIPIENT - NO SUCH USER`.
    InvalidRecipient,
    /// `451 INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER`.
    TemporaryFailure,
}

impl Rejection {
    /// The reply this rejection sends.
    pub fn reply(self) -> Reply {
        use crate::wire::ReplyCode;
        match self {
            Rejection::InvalidObject => Reply::new(ReplyCode::FAILED, "INVALID DMIME DATA RECEIVED."),
            Rejection::AccountLocked => {
                Reply::new(ReplyCode::LOCKED, "ACCOUNT LOCKED - THE RECIPIENT CANNOT RECEIVE MESSAGES")
            }
            Rejection::RelayDenied => {
                Reply::new(ReplyCode::RELAY_DENIED, "RELAY ACCESS DENIED - THE DESTINATION IS NOT SERVED HERE")
            }
            Rejection::InvalidRecipient => Reply::new(ReplyCode::FAILED, "INVALID RECIPIENT - NO SUCH USER"),
            Rejection::TemporaryFailure => text::internal_error(),
        }
    }
}

/// The application's answer to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// For SGNT: the signet's bytes, or `None` when there is none (`450`).
    Signet(Option<Vec<u8>>),
    /// For HIST: the chain from start to end, oldest first; empty when unknown (`450`).
    History(Vec<Vec<u8>>),
    /// For VRFY.
    Verify(Verification),
    /// For STATS: name and value pairs (names are single words).
    Stats(Vec<(String, u64)>),
    /// For a received message.
    Message(Result<(), Rejection>),
    /// The lookup failed for a reason that may pass: `451`.
    TemporaryFailure,
}

/// The answer to VRFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verification {
    /// The fingerprint is the current signet's (full or crypto): `250 CURRENT`.
    Current,
    /// The fingerprint is an older signet's: `250 UPDATE [current full fingerprint]`.
    Update(Fingerprint),
    /// Unknown name or fingerprint: `450`.
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Signet,
    History,
    Verify,
    Stats,
    Message,
}

/// Reading a message object: nothing of it is kept but its running hash and the streaming
/// check's state.
#[derive(Debug)]
struct DataIn {
    size: u64,
    received: u64,
    hash: Fingerprint,
    /// The destination's streaming check, fed each piece right after the hasher from the same
    /// input slice, so the bytes are read once while in cache (decision D7).
    check: DestinationCheck,
    /// How many bytes of the CRLF after the object have arrived.
    trailer: u8,
}

/// A DMTP server session. See the [module documentation](self) for the order in which its
/// outputs must be drained.
#[derive(Debug)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    state: SessionState,
    reader: LineReader,
    out: BytesMut,
    events: VecDeque<ServerEvent>,
    violations: u32,
    deadline: Option<Instant>,
    ehlo: Option<HostName>,
    mail: Option<MailFrom>,
    rcpt: Option<(HostName, Fingerprint)>,
    nonce: Option<Nonce>,
    data: Option<Box<DataIn>>,
    /// The check of the last object received whole, until [`ServerSession::take_check`].
    checked: Option<DestinationCheck>,
    /// Object bytes in queued [`ServerEvent::MessageData`] events.
    queued_data: usize,
    pending: Option<(AnswerId, PendingKind, Option<TxId>)>,
    next_id: u64,
    random: SessionRandom,
}

/// Where a session draws transaction ids and `STATS` nonces from.
struct SessionRandom(Box<dyn dime_message::RandomSource + Send + Sync>);

impl core::fmt::Debug for SessionRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionRandom(..)")
    }
}

impl ServerSession {
    /// A new session. In dual mode the banner is queued at once; in native mode the session
    /// waits for [`ServerSession::tls_established`].
    pub fn new(config: Arc<ServerConfig>, now: Instant) -> ServerSession {
        let mut session = ServerSession {
            state: SessionState::Handshake,
            reader: LineReader::new(MAX_COMMAND_LINE),
            out: BytesMut::new(),
            events: VecDeque::new(),
            violations: 0,
            deadline: Some(now + config.limits.idle_timeout),
            ehlo: None,
            mail: None,
            rcpt: None,
            nonce: None,
            data: None,
            checked: None,
            queued_data: 0,
            pending: None,
            next_id: 0,
            random: SessionRandom(Box::new(dime_message::OsRandom)),
            config,
        };
        if matches!(session.config.mode, ListenMode::Dual { .. }) {
            session.state = SessionState::Plain;
            let banner = text::banner(session.config.host.as_str(), session.config.esmtp());
            session.send(&banner);
        }
        session
    }

    /// The session with `random` in place of the operating system's generator for its
    /// transaction ids and `STATS` nonces. Only tests and conformance vectors may use it, to get
    /// reproducible transcripts (e.g. with `dime_message::SeededRandom`): predictable values
    /// make `STATS` nonces guessable.
    pub fn with_random(mut self, random: Box<dyn dime_message::RandomSource + Send + Sync>) -> ServerSession {
        self.random = SessionRandom(random);
        self
    }

    /// `N` bytes from the session's random source.
    fn random<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut bytes = [0u8; N];
        self.random.0.fill(&mut bytes).ok().map(|()| bytes)
    }

    /// The configuration the session runs under.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The state, in the terms of the state table.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Whether an event waits for its answer.
    pub fn awaiting_answer(&self) -> bool {
        self.pending.is_some()
    }

    /// Protocol violations so far.
    pub fn violations(&self) -> u32 {
        self.violations
    }

    /// The domain the client gave in `EHLO`, once it has.
    pub fn ehlo_domain(&self) -> Option<&HostName> {
        self.ehlo.as_ref()
    }

    /// The destination's streaming check of the object being received (fed by the session as the
    /// bytes arrive), to stop storing an object early once it has failed.
    pub fn object_check(&self) -> Option<&DestinationCheck> {
        self.data.as_ref().map(|d| &d.check).or(self.checked.as_ref())
    }

    /// Takes the check of the object last reported in [`ServerEvent::MessageReceived`]: the
    /// session fed it every byte of the object, and its chunk digests made the `DATA` hash, so
    /// each byte was hashed once; finish it with [`DestinationCheck::finish`] for the verdict. The
    /// session drops a check not taken when the verdict is answered.
    pub fn take_check(&mut self) -> Option<DestinationCheck> {
        self.checked.take()
    }

    /// Whether the session is over (closed or handed off): flush pending bytes and close.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, SessionState::Closed | SessionState::HandedOff)
    }

    /// Heap bytes the session holds (buffers and queued events), for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.reader.capacity()
            + self.out.capacity()
            + self.events.capacity() * core::mem::size_of::<ServerEvent>()
            + self.queued_data
            + self.data.as_ref().map_or(0, |d| core::mem::size_of::<DataIn>() + d.check.retained_bytes())
            + self.checked.as_ref().map_or(0, DestinationCheck::retained_bytes)
    }

    /// The TLS handshake finished (native mode at the start, dual mode after STARTTLS).
    ///
    /// Errors: [`DmtpError::WrongState`] when the session was not waiting for TLS.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), DmtpError> {
        match self.state {
            SessionState::Handshake => {
                let banner = text::banner(self.config.host.as_str(), false);
                self.send(&banner);
            }
            SessionState::StartingTls => self.send(&text::starttls_done()),
            _ => return Err(DmtpError::WrongState),
        }
        self.state = SessionState::Secure;
        self.reader.reset();
        self.deadline = Some(now + self.config.limits.idle_timeout);
        Ok(())
    }

    /// The next bytes to write, in order.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() { None } else { Some(self.out.split().freeze()) }
    }

    /// The next event for the application.
    pub fn poll(&mut self) -> Option<ServerEvent> {
        let event = self.events.pop_front();
        if let Some(ServerEvent::MessageData { bytes }) = &event {
            self.queued_data = self.queued_data.saturating_sub(bytes.len());
        }
        event
    }

    /// When [`ServerSession::handle_timeout`] must be called, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.pending.is_some() || self.is_closed() { None } else { self.deadline }
    }

    /// Ends the session with `421` if its deadline has passed: the data timeout while reading
    /// an object, the idle timeout otherwise (a session waiting for TLS closes silently).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.poll_timeout() else { return };
        if now < deadline {
            return;
        }
        match self.state {
            SessionState::DataIn => {
                self.send(&text::data_timeout());
                if self.data.is_some() {
                    self.events.push_back(ServerEvent::MessageAborted { failure: DataFailure::TimedOut });
                }
            }
            SessionState::Handshake | SessionState::StartingTls => {}
            _ => self.send(&text::idle_timeout()),
        }
        self.close();
    }

    /// Feeds bytes read from the connection and gives how many were taken; offer the rest again
    /// later (see the [module documentation](self)).
    pub fn enqueue_input(&mut self, now: Instant, input: &[u8]) -> usize {
        self.enqueue(now, input, None)
    }

    /// [`ServerSession::enqueue_input`] for input already in [`Bytes`]: the object's
    /// [`ServerEvent::MessageData`] pieces are then slices of `input`, not copies of it.
    pub fn enqueue_bytes(&mut self, now: Instant, input: &Bytes) -> usize {
        self.enqueue(now, input, Some(input))
    }

    /// Takes input; `shared` is the same input when the caller holds it in `Bytes`.
    fn enqueue(&mut self, now: Instant, input: &[u8], shared: Option<&Bytes>) -> usize {
        let mut taken = 0;
        loop {
            let rest = input.get(taken..).unwrap_or_default();
            match self.state {
                // Bytes after QUIT, or sent in the clear after STARTTLS, are dropped unread.
                SessionState::Closed | SessionState::HandedOff | SessionState::StartingTls => return input.len(),
                SessionState::Handshake => return taken,
                _ => {}
            }
            let limits = &self.config.limits;
            if rest.is_empty()
                || self.pending.is_some()
                || self.out.len() > limits.max_pending_output
                || self.queued_data >= limits.max_pending_data
            {
                return taken;
            }
            taken += if self.state == SessionState::DataIn {
                self.read_data(now, rest, shared.map(|input| (input, taken)))
            } else {
                self.read_line(now, rest)
            };
        }
    }

    /// Answers the event `id`.
    ///
    /// Errors: [`DmtpError::UnknownRequest`] when no event with that id waits,
    /// [`DmtpError::WrongAnswer`] when the answer is of another kind (the event still waits).
    pub fn answer(&mut self, now: Instant, id: AnswerId, answer: Answer) -> Result<(), DmtpError> {
        let Some((pending_id, kind, txid)) = self.pending else {
            return Err(DmtpError::UnknownRequest { id: id.0 });
        };
        if pending_id != id {
            return Err(DmtpError::UnknownRequest { id: id.0 });
        }
        let reply = match (kind, answer) {
            (PendingKind::Message, Answer::Message(verdict)) => {
                self.reset_transaction();
                self.state = SessionState::Greeted;
                match (verdict, txid) {
                    (Ok(()), Some(txid)) => text::accepted(&txid),
                    (Ok(()), None) => text::internal_error(),
                    (Err(rejection), _) => rejection.reply(),
                }
            }
            (PendingKind::Message, Answer::TemporaryFailure) => {
                self.reset_transaction();
                self.state = SessionState::Greeted;
                text::internal_error()
            }
            (PendingKind::Signet, Answer::Signet(Some(bytes))) => text::signet(&bytes),
            (PendingKind::Signet, Answer::Signet(None)) => text::signet_not_found(),
            (PendingKind::History, Answer::History(chain)) if chain.is_empty() => text::signet_not_found(),
            (PendingKind::History, Answer::History(chain)) => text::history(&chain),
            (PendingKind::Verify, Answer::Verify(Verification::Current)) => text::current(),
            (PendingKind::Verify, Answer::Verify(Verification::Update(fp))) => text::update(&fp),
            (PendingKind::Verify, Answer::Verify(Verification::NotFound)) => text::signet_not_found(),
            (PendingKind::Stats, Answer::Stats(values)) => {
                let words = values.iter().all(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic()));
                if words { text::stats(&values) } else { text::internal_error() }
            }
            (
                PendingKind::Signet | PendingKind::History | PendingKind::Verify | PendingKind::Stats,
                Answer::TemporaryFailure,
            ) => text::internal_error(),
            _ => return Err(DmtpError::WrongAnswer { id: id.0 }),
        };
        self.pending = None;
        self.send(&reply);
        self.deadline = Some(now + self.config.limits.idle_timeout);
        Ok(())
    }

    fn send(&mut self, reply: &Reply) {
        reply.encode(&mut self.out);
    }

    fn close(&mut self) {
        self.state = SessionState::Closed;
        self.data = None;
        self.pending = None;
        self.deadline = None;
    }

    fn reset_transaction(&mut self) {
        self.mail = None;
        self.rcpt = None;
        self.data = None;
        self.checked = None;
    }

    fn request(&mut self, kind: PendingKind, txid: Option<TxId>) -> AnswerId {
        let id = AnswerId(self.next_id);
        self.next_id += 1;
        self.pending = Some((id, kind, txid));
        id
    }

    /// Counts a violation and replies; ends the session at the limit.
    fn violation(&mut self, reply: &Reply) {
        self.send(reply);
        self.violations += 1;
        if self.violations >= self.config.limits.max_violations {
            self.send(&text::too_many_violations());
            self.close();
        }
    }

    fn read_line(&mut self, now: Instant, input: &[u8]) -> usize {
        let (taken, framed) = self.reader.read(input);
        match framed {
            Framed::Incomplete => {}
            Framed::TooLong => self.violation(&text::line_too_long()),
            Framed::BareLf => {
                self.deadline = Some(now + self.config.limits.idle_timeout);
                self.violation(&text::bare_lf());
            }
            Framed::Line => {
                self.deadline = Some(now + self.config.limits.idle_timeout);
                let parsed = Command::parse(self.reader.line());
                self.command(now, parsed);
            }
        }
        taken
    }

    /// Reads object bytes from `input`, which starts at `shared`'s offset when the caller's
    /// input is in `Bytes` (the pieces handed out are then slices of it).
    fn read_data(&mut self, now: Instant, input: &[u8], shared: Option<(&Bytes, usize)>) -> usize {
        self.deadline = Some(now + self.config.limits.data_timeout);
        let window = self.config.limits.max_pending_data.saturating_sub(self.queued_data);
        let Some(data) = self.data.as_mut() else {
            self.state = SessionState::Greeted;
            return 0;
        };
        let missing = data.size - data.received;
        if missing > 0 {
            let n = usize::try_from(missing).unwrap_or(usize::MAX).min(input.len()).min(window);
            let piece = input.get(..n).unwrap_or_default();
            // One pass: the check's chunk digests make the DATA hash (D9). A failure stays in
            // the check (which goes on hashing); the application reads it at the verdict.
            let _ = data.check.feed(piece);
            data.received += n as u64;
            if n > 0 {
                self.queued_data += n;
                let bytes = match shared {
                    Some((input, offset)) => input.slice(offset..offset + n),
                    None => Bytes::copy_from_slice(piece),
                };
                self.events.push_back(ServerEvent::MessageData { bytes });
            }
            return n;
        }
        let expected = if data.trailer == 0 { b'\r' } else { b'\n' };
        if input.first() != Some(&expected) {
            // More bytes than SIZE: refuse the transaction and skip the rest of that line.
            self.abort_data(DataFailure::TooLong);
            self.reader.skip_line();
            self.violation(&text::data_too_long());
            return 0;
        }
        data.trailer += 1;
        if data.trailer < 2 {
            return 1;
        }
        let Some(data) = self.data.take() else { return 1 };
        let DataIn { hash: announced, check, size, .. } = *data;
        let hash = check.object_hash();
        if hash != announced {
            self.abort_data(DataFailure::HashMismatch);
            self.send(&text::hash_mismatch());
            return 1;
        }
        let (Some(mail_from), Some((destination, destination_fingerprint)), Some(txid)) =
            (self.mail.clone(), self.rcpt.clone(), self.random().map(TxId))
        else {
            self.abort_data(DataFailure::Internal);
            self.send(&text::internal_error());
            return 1;
        };
        let id = self.request(PendingKind::Message, Some(txid));
        self.events.push_back(ServerEvent::MessageReceived(ReceivedMessage {
            id,
            txid,
            envelope: TransferEnvelope { mail_from, destination, destination_fingerprint },
            hash,
            size,
        }));
        self.checked = Some(check);
        1
    }

    /// Ends the DATA transaction without a verdict: the application discards its spool.
    fn abort_data(&mut self, failure: DataFailure) {
        self.reset_transaction();
        self.state = SessionState::Greeted;
        self.events.push_back(ServerEvent::MessageAborted { failure });
    }

    fn secure(&self) -> bool {
        matches!(self.state, SessionState::Secure | SessionState::Greeted | SessionState::Mail | SessionState::Rcpt)
    }

    /// Acts on the line just read (still held by the reader), parsed.
    fn command(&mut self, now: Instant, parsed: Result<Command, DmtpError>) {
        let verb = match &parsed {
            Ok(command) => Some(command.verb()),
            Err(
                DmtpError::CommandSyntax { verb }
                | DmtpError::InvalidParameter { verb }
                | DmtpError::InvalidDomain { verb }
                | DmtpError::UnsupportedParameter { verb },
            ) => Some(*verb),
            Err(_) => None,
        };
        if self.state == SessionState::Plain {
            match (&parsed, verb) {
                (Err(DmtpError::SmtpCommand), _) => return self.smtp(),
                (_, Some(Verb::Quit | Verb::Mode | Verb::StartTls)) => {}
                (_, Some(_)) => return self.violation(&text::requires_starttls()),
                (_, None) => return self.violation(&text::unknown()),
            }
        }
        let command = match parsed {
            Ok(command) => command,
            Err(DmtpError::SmtpCommand) => return self.violation(&text::no_fallback()),
            Err(error) => {
                if let Some(verb) = verb
                    && let Some(reply) = self.sequence_error(verb)
                {
                    return self.violation(&reply);
                }
                return self.violation(&text::for_parse_error(&error));
            }
        };
        if let Some(reply) = self.sequence_error(command.verb()) {
            return self.violation(&reply);
        }
        self.execute(now, command);
    }

    fn smtp(&mut self) {
        if let ListenMode::Dual { smtp_handoff: true } = self.config.mode {
            let mut first = self.reader.line().to_vec();
            first.extend_from_slice(b"\r\n");
            self.events.push_back(ServerEvent::SmtpHandoff { line: first });
            self.state = SessionState::HandedOff;
            self.deadline = None;
        } else {
            let reply = text::smtp_unavailable(self.config.host.as_str());
            self.violation(&reply);
        }
    }

    /// The `503` a verb gets in the current state, if any.
    fn sequence_error(&self, verb: Verb) -> Option<Reply> {
        match verb {
            Verb::MailFrom if self.ehlo.is_none() => Some(text::sequence(verb, Verb::Ehlo)),
            Verb::RcptTo | Verb::Data if self.ehlo.is_none() => Some(text::sequence(verb, Verb::Ehlo)),
            Verb::RcptTo | Verb::Data if self.mail.is_none() => Some(text::sequence(verb, Verb::MailFrom)),
            Verb::RcptTo if self.rcpt.is_some() => Some(text::second_rcpt()),
            Verb::Data if self.rcpt.is_none() => Some(text::sequence(verb, Verb::RcptTo)),
            _ => None,
        }
    }

    fn execute(&mut self, now: Instant, command: Command) {
        let _ = now;
        match command {
            Command::Quit => {
                self.send(&text::bye());
                self.close();
            }
            Command::Mode => {
                let esmtp = self.state == SessionState::Plain && self.config.esmtp();
                self.send(&text::mode(esmtp));
            }
            Command::StartTls { host, .. } => {
                if self.secure() {
                    return self.send(&text::already_encrypted());
                }
                let ours = host == self.config.host || self.config.served.iter().any(|s| s.domain == host);
                if !ours {
                    return self.send(&text::no_certificate());
                }
                self.send(&text::starttls_go(host.as_str()));
                self.state = SessionState::StartingTls;
                self.reader.reset();
                self.events.push_back(ServerEvent::StartTls);
            }
            Command::Ehlo { domain } => {
                self.reset_transaction();
                self.ehlo = Some(domain);
                self.state = SessionState::Greeted;
                self.send(&text::ehlo(self.config.limits.max_message_size));
            }
            Command::MailFrom(mail) => {
                if mail.size > self.config.limits.max_message_size {
                    return self.send(&text::too_large(self.config.limits.max_message_size));
                }
                self.reset_transaction();
                self.mail = Some(mail);
                self.state = SessionState::Mail;
                self.send(&text::ok());
            }
            Command::RcptTo { domain, fingerprint } => {
                let Some(served) = self.config.served.iter().find(|s| s.domain == domain) else {
                    return self.send(&text::not_served(domain.as_str()));
                };
                if !served.fingerprints.is_empty() && !served.fingerprints.contains(&fingerprint) {
                    return self.send(&text::wrong_destination_signet(domain.as_str()));
                }
                self.rcpt = Some((domain, fingerprint));
                self.state = SessionState::Rcpt;
                self.send(&text::ok());
            }
            Command::Data { hash } => {
                let (Some(mail_from), Some((destination, destination_fingerprint))) =
                    (self.mail.clone(), self.rcpt.clone())
                else {
                    return self.send(&text::internal_error());
                };
                let size = mail_from.size;
                self.data = Some(Box::new(DataIn {
                    size,
                    received: 0,
                    hash,
                    check: DestinationCheck::new(&self.config.limits),
                    trailer: 0,
                }));
                self.checked = None;
                self.state = SessionState::DataIn;
                self.send(&text::data_go(&hash));
                let envelope = TransferEnvelope { mail_from, destination, destination_fingerprint };
                self.events.push_back(ServerEvent::MessageBegin { envelope });
            }
            Command::Sgnt { name, fingerprint } => {
                let id = self.request(PendingKind::Signet, None);
                self.events.push_back(ServerEvent::SignetRequested { id, name, fingerprint });
            }
            Command::Hist { address, start, end } => {
                let id = self.request(PendingKind::History, None);
                self.events.push_back(ServerEvent::HistoryRequested { id, address, start, end });
            }
            Command::Vrfy { name, fingerprint } => {
                let id = self.request(PendingKind::Verify, None);
                self.events.push_back(ServerEvent::VerifyRequested { id, name, fingerprint });
            }
            Command::Stats { nonce: None } => match self.random().map(Nonce) {
                Some(nonce) => {
                    self.nonce = Some(nonce);
                    self.send(&text::nonce(&nonce));
                }
                None => self.send(&text::internal_error()),
            },
            Command::Stats { nonce: Some(given) } => {
                let expected = self.nonce.take();
                if expected.is_some_and(|n| dime_core::keys::ct_eq(&n.0, &given.0)) {
                    let id = self.request(PendingKind::Stats, None);
                    self.events.push_back(ServerEvent::StatsRequested { id });
                } else {
                    self.send(&text::bad_nonce());
                }
            }
            Command::Rset => {
                self.reset_transaction();
                self.nonce = None;
                self.state = if self.ehlo.is_some() { SessionState::Greeted } else { SessionState::Secure };
                self.send(&text::ok());
            }
            Command::Noop => self.send(&text::ok()),
            Command::Help { topic: None } => self.send(&text::help_all()),
            Command::Help { topic: Some(topic) } => self.send(&text::help_topic(topic.as_str())),
            Command::Verb => self.send(&text::verb()),
        }
    }
}
