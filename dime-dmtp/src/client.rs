//! The client session: a sans-IO state machine that delivers message objects and looks up
//! signets over one DMTP connection.
//!
//! Requests ([`Request`]) are queued with [`ClientSession::submit`] and run one after the other;
//! each ends in a [`ClientEvent::Completed`] with a typed [`Outcome`] or a [`DmtpError`].
//!
//! # Driving a session
//!
//! After **every** call that feeds the session ([`ClientSession::tls_established`],
//! [`ClientSession::enqueue_input`], [`ClientSession::submit`],
//! [`ClientSession::handle_timeout`], [`ClientSession::connection_closed`]) drain its outputs in
//! this order:
//!
//! 1. [`ClientSession::poll_transmit`] until `None`, writing each buffer in order;
//! 2. [`ClientSession::poll`] until `None` ([`ClientEvent::StartTls`]: run the TLS handshake
//!    now, then call [`ClientSession::tls_established`]);
//! 3. if [`ClientSession::is_closed`], close the connection;
//! 4. [`ClientSession::poll_timeout`]: call [`ClientSession::handle_timeout`] when it passes.
//!
//! [`ClientSession::enqueue_input`] returns how many bytes it took; it takes none while it waits
//! for the TLS handshake.
//!
//! # Pipelining
//!
//! When the server's EHLO reply offers `PIPELINING`, a delivery sends `MAIL FROM`, `RCPT TO` and
//! `DATA [hash]` in one transmit (preceded by `RSET` when an earlier transaction may still be
//! open on the server) and reads their replies in order; the object itself still waits for the
//! `354`. The first refusal in such a batch is the delivery's error, exactly as if the commands
//! had been sent one by one; the replies to the commands after it (the server's `503`s) are read
//! and dropped. Without `PIPELINING` each command waits for the reply to the one before.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dime_core::{Fingerprint, base64};
use dime_signet::record::HostName;
use dime_signet::{BoundSignet, SignetKind};

use crate::error::{DmtpError, TimeoutPhase};
use crate::wire::{
    Address, Command, DataType, MailFrom, Name, Nonce, Reply, ReplyCode, ReplyDecoder, ReplyLimits, ReturnType, TxId,
    Verb,
};

/// How the client meets the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectMode {
    /// Port 26: TLS from the first byte.
    Native,
    /// Port 25: plaintext banner, then `STARTTLS <host> MODE=DMTPv1`.
    Dual,
}

/// What a client session needs to know.
///
/// Start from [`ClientConfig::new`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The DX host name (sent in STARTTLS).
    pub host: HostName,
    /// Native or dual mode.
    pub mode: ConnectMode,
    /// Limits on replies read.
    pub reply_limits: ReplyLimits,
    /// How long to wait for each reply.
    pub reply_timeout: Duration,
}

/// How long a client waits for each reply by default: 5 minutes.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(300);

impl ClientConfig {
    /// Default limits and a [`DEFAULT_REPLY_TIMEOUT`].
    pub fn new(host: HostName, mode: ConnectMode) -> ClientConfig {
        ClientConfig { host, mode, reply_limits: ReplyLimits::default(), reply_timeout: DEFAULT_REPLY_TIMEOUT }
    }
}

/// One message object to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The origin organisation's domain (EHLO, MAIL FROM).
    pub origin: HostName,
    /// The origin's org-signet fingerprint.
    pub origin_fingerprint: Fingerprint,
    /// The destination organisation's domain.
    pub destination: HostName,
    /// The destination's org-signet fingerprint.
    pub destination_fingerprint: Fingerprint,
    /// The message object.
    pub object: Bytes,
    /// The `DATA [hash]` of `object` (BLAKE3, decision D7) when the caller already has it, e.g. from an
    /// [`ObjectHasher`](crate::object::ObjectHasher) fed while the object was composed, received
    /// or stored: delivery then starts without reading the object once more. `None` makes the
    /// session compute it. The server checks it either way (a wrong hash is refused with `451`).
    pub hash: Option<Fingerprint>,
    /// `RETURN=`, if any.
    pub return_type: Option<ReturnType>,
    /// `DATA=`, if any.
    pub data_type: Option<DataType>,
}

impl Delivery {
    /// The delivery of `object` from the organisation of `origin` to that of `destination`,
    /// both org signets bound to their domains (`Signet::bind`): the domains are their
    /// identifiers, the fingerprints their full fingerprints, the hash left to the session
    /// (set [`Delivery::hash`] when it is already known), no `RETURN=` or `DATA=`.
    ///
    /// Errors: [`DmtpError::SignetKind`] when either is a user signet,
    /// [`DmtpError::InvalidName`] when an identifier is not a host name.
    pub fn new(
        origin: &BoundSignet,
        destination: &BoundSignet,
        object: impl Into<Bytes>,
    ) -> Result<Delivery, DmtpError> {
        let domain = |signet: &BoundSignet| {
            if signet.kind() != SignetKind::Org {
                return Err(DmtpError::SignetKind);
            }
            HostName::new(signet.identifier()).map_err(|_| DmtpError::InvalidName(signet.identifier().to_owned()))
        };
        Ok(Delivery {
            origin: domain(origin)?,
            origin_fingerprint: origin.full_fingerprint(),
            destination: domain(destination)?,
            destination_fingerprint: destination.full_fingerprint(),
            object: object.into(),
            hash: None,
            return_type: None,
            data_type: None,
        })
    }
}

/// Something the client should do on the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// EHLO (when needed), MAIL FROM, RCPT TO, DATA with the object's hash, the object.
    Deliver(Delivery),
    /// `SGNT`.
    Signet {
        /// Whose signet.
        name: Name,
        /// Which version.
        fingerprint: Option<Fingerprint>,
    },
    /// `HIST`.
    History {
        /// The user.
        address: Address,
        /// First signet.
        start: Fingerprint,
        /// Last signet.
        end: Option<Fingerprint>,
    },
    /// `VRFY`.
    Verify {
        /// Whose signet.
        name: Name,
        /// The fingerprint held.
        fingerprint: Fingerprint,
    },
    /// `STATS`, then `STATS [nonce]`.
    Stats,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
}

/// The answer to VRFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyResult {
    /// `250 CURRENT`.
    Current,
    /// `250 UPDATE [fp]`: the current full fingerprint.
    Update(Fingerprint),
}

/// What a request produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; the server's transaction id.
    Delivered(TxId),
    /// The signet's bytes (not yet validated: see [`crate::resolve`]).
    Signet(Vec<u8>),
    /// The chain's signets, in server order (not yet validated).
    History(Vec<Vec<u8>>),
    /// The VRFY answer.
    Verified(VerifyResult),
    /// The server's statistics.
    Stats(Vec<(String, u64)>),
    /// NOOP or QUIT completed.
    Done,
}

/// Identifies a submitted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What a client session tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Run the TLS handshake now (dual mode, after the server's `220 READY`), then call
    /// [`ClientSession::tls_established`].
    StartTls,
    /// The session is established (banner read, TLS confirmed) and runs requests.
    Ready,
    /// A request finished.
    Completed {
        /// Which.
        id: RequestId,
        /// How.
        result: Result<Outcome, DmtpError>,
    },
}

/// A command whose reply the session waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Ehlo,
    Rset,
    Mail,
    Rcpt,
    Data,
    Body,
    Single(Verb),
    StatsNonce,
    Stats,
}

impl Step {
    /// The verb a reply to this step answers (and errors name).
    fn verb(self) -> Verb {
        match self {
            Step::Ehlo => Verb::Ehlo,
            Step::Rset => Verb::Rset,
            Step::Mail => Verb::MailFrom,
            Step::Rcpt => Verb::RcptTo,
            Step::Data | Step::Body => Verb::Data,
            Step::StatsNonce | Step::Stats => Verb::Stats,
            Step::Single(verb) => verb,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Banner,
    StartTlsReply,
    TlsHandshake,
    TlsConfirm,
    Idle,
    /// Replies are due for the steps in `ClientSession::expected`, in order.
    Waiting,
    Closed,
}

/// A DMTP client session. See the [module documentation](self) for the order in which its
/// outputs must be drained.
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    phase: Phase,
    decoder: ReplyDecoder,
    out: VecDeque<Bytes>,
    events: VecDeque<ClientEvent>,
    queue: VecDeque<(RequestId, Request)>,
    current: Option<(RequestId, Request)>,
    /// The steps whose replies are due, oldest first (more than one in a pipelined batch).
    expected: VecDeque<Step>,
    /// The first refusal in the pipelined batch being read: the request's error once the
    /// batch's last reply is in.
    refused: Option<DmtpError>,
    greeted: Option<HostName>,
    size_limit: Option<u64>,
    /// Whether the server's EHLO reply offered `PIPELINING`.
    pipelining: bool,
    /// Whether the server may hold a `MAIL FROM` of a transaction that ended without a DATA
    /// verdict (a refused `RCPT TO` or `DATA`): the next pipelined batch then starts with `RSET`,
    /// so that a refused `MAIL FROM` cannot leave the batch's `DATA` to an older transaction.
    transaction_open: bool,
    /// The `DATA [hash]` of the object being delivered, sent with `DATA` and expected back in the `354`.
    hash: Option<Fingerprint>,
    deadline: Option<Instant>,
    next_id: u64,
    /// Why the session closed: the first error that ended it.
    failure: Option<DmtpError>,
}

impl ClientSession {
    /// A new session. In native mode it waits for [`ClientSession::tls_established`]; in dual
    /// mode it reads the plaintext banner first.
    pub fn new(config: ClientConfig, now: Instant) -> ClientSession {
        let phase = match config.mode {
            ConnectMode::Native => Phase::Handshake,
            ConnectMode::Dual => Phase::Banner,
        };
        ClientSession {
            decoder: ReplyDecoder::new(config.reply_limits),
            deadline: Some(now + config.reply_timeout),
            config,
            phase,
            out: VecDeque::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            current: None,
            expected: VecDeque::new(),
            refused: None,
            greeted: None,
            size_limit: None,
            pipelining: false,
            transaction_open: false,
            hash: None,
            next_id: 0,
            failure: None,
        }
    }

    /// Queues a request; it runs when the ones before it have finished.
    pub fn submit(&mut self, now: Instant, request: Request) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        if self.phase == Phase::Closed {
            let cause = self.failure.clone().unwrap_or(DmtpError::ConnectionClosed);
            self.events.push_back(ClientEvent::Completed { id, result: Err(cause) });
        } else {
            self.queue.push_back((id, request));
            self.start_next(now);
        }
        id
    }

    /// The TLS handshake finished (native mode at the start, dual mode after STARTTLS).
    ///
    /// Errors: [`DmtpError::WrongState`] when the session was not waiting for TLS.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), DmtpError> {
        self.phase = match self.phase {
            Phase::Handshake => Phase::Banner,
            Phase::TlsHandshake => Phase::TlsConfirm,
            _ => return Err(DmtpError::WrongState),
        };
        self.deadline = Some(now + self.config.reply_timeout);
        Ok(())
    }

    /// The connection closed: every request still open fails with
    /// [`DmtpError::ConnectionClosed`].
    pub fn connection_closed(&mut self) {
        self.fail_all(&DmtpError::ConnectionClosed);
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Why the session closed, once it has: the error that ended it (a wrong banner, a refused
    /// STARTTLS, an unexpected or `421` reply, a malformed reply, a timeout, or
    /// [`DmtpError::ConnectionClosed`] after QUIT or when the peer left). Requests submitted
    /// after the close fail with it too.
    pub fn failure(&self) -> Option<&DmtpError> {
        self.failure.as_ref()
    }

    /// Whether no request is running or queued.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }

    /// The server's advertised object size limit, once EHLO has been answered.
    pub fn size_limit(&self) -> Option<u64> {
        self.size_limit
    }

    /// The next bytes to write, in order.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop_front()
    }

    /// The next event.
    pub fn poll(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`ClientSession::handle_timeout`] must be called, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Idle | Phase::Closed => None,
            _ => self.deadline,
        }
    }

    /// Fails every open request with [`DmtpError::Timeout`] and closes, if the deadline passed.
    /// The error's phase is what the session was waiting for.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.fail_all(&DmtpError::Timeout { phase: self.awaited() });
        }
    }

    /// What the session is waiting for, as a timeout names it.
    fn awaited(&self) -> TimeoutPhase {
        match self.phase {
            Phase::Handshake | Phase::TlsHandshake => TimeoutPhase::TlsHandshake,
            Phase::Banner | Phase::TlsConfirm => TimeoutPhase::Greeting,
            Phase::StartTlsReply => TimeoutPhase::Reply(Verb::StartTls),
            // Idle and closed sessions have no deadline; a waiting one always expects a reply.
            Phase::Waiting | Phase::Idle | Phase::Closed => match self.expected.front() {
                Some(Step::Body) => TimeoutPhase::Data,
                Some(step) => TimeoutPhase::Reply(step.verb()),
                None => TimeoutPhase::Greeting,
            },
        }
    }

    /// Feeds bytes read from the connection; gives how many were taken.
    pub fn enqueue_input(&mut self, now: Instant, input: &[u8]) -> usize {
        let mut taken = 0;
        while taken < input.len() {
            match self.phase {
                Phase::Closed => return input.len(),
                Phase::Handshake | Phase::TlsHandshake => return taken,
                _ => {}
            }
            let (n, item) = self.decoder.decode(input.get(taken..).unwrap_or_default());
            taken += n;
            match item {
                None => {}
                Some(Ok(reply)) => self.on_reply(now, reply),
                Some(Err(error)) => self.fail_all(&error),
            }
        }
        taken
    }

    /// Queues `commands` as one transmit (one write, one TLS record when small) and waits for
    /// their replies in order.
    fn send(&mut self, now: Instant, commands: &[(Command, Step)]) {
        let mut bytes = BytesMut::new();
        for (command, step) in commands {
            command.encode(&mut bytes);
            self.expected.push_back(*step);
        }
        self.out.push_back(bytes.freeze());
        self.phase = Phase::Waiting;
        self.deadline = Some(now + self.config.reply_timeout);
    }

    fn fail_all(&mut self, error: &DmtpError) {
        if self.failure.is_none() {
            self.failure = Some(error.clone());
        }
        self.finish_current(Err(error.clone()));
        for (id, _) in self.queue.drain(..) {
            self.events.push_back(ClientEvent::Completed { id, result: Err(error.clone()) });
        }
        self.expected.clear();
        self.refused = None;
        self.hash = None;
        self.phase = Phase::Closed;
        self.deadline = None;
    }

    /// Reports the running request's result without starting the next one.
    fn finish_current(&mut self, result: Result<Outcome, DmtpError>) {
        if let Some((id, _)) = self.current.take() {
            self.events.push_back(ClientEvent::Completed { id, result });
        }
    }

    fn complete(&mut self, now: Instant, result: Result<Outcome, DmtpError>) {
        self.finish_current(result);
        self.expected.clear();
        self.refused = None;
        self.hash = None;
        if self.phase != Phase::Closed {
            self.phase = Phase::Idle;
            self.start_next(now);
        }
    }

    fn start_next(&mut self, now: Instant) {
        if self.phase != Phase::Idle || self.current.is_some() {
            return;
        }
        let Some((id, request)) = self.queue.pop_front() else { return };
        let (command, step) = match &request {
            Request::Deliver(delivery) if self.greeted.as_ref() == Some(&delivery.origin) => {
                self.current = Some((id, request));
                return self.begin_transaction(now);
            }
            Request::Deliver(delivery) => (Command::Ehlo { domain: delivery.origin.clone() }, Step::Ehlo),
            Request::Signet { name, fingerprint } => {
                (Command::Sgnt { name: name.clone(), fingerprint: *fingerprint }, Step::Single(Verb::Sgnt))
            }
            Request::History { address, start, end } => {
                (Command::Hist { address: address.clone(), start: *start, end: *end }, Step::Single(Verb::Hist))
            }
            Request::Verify { name, fingerprint } => {
                (Command::Vrfy { name: name.clone(), fingerprint: *fingerprint }, Step::Single(Verb::Vrfy))
            }
            Request::Stats => (Command::Stats { nonce: None }, Step::StatsNonce),
            Request::Noop => (Command::Noop, Step::Single(Verb::Noop)),
            Request::Quit => (Command::Quit, Step::Single(Verb::Quit)),
        };
        self.current = Some((id, request));
        self.send(now, &[(command, step)]);
    }

    /// Starts the current delivery's transaction (EHLO done): the size check, then `MAIL FROM`
    /// alone, or `[RSET]`, `MAIL FROM`, `RCPT TO` and `DATA [hash]` in one batch when the server
    /// offers pipelining.
    fn begin_transaction(&mut self, now: Instant) {
        let Some(delivery) = self.delivery() else { return };
        let size = delivery.object.len() as u64;
        let too_large = self.size_limit.filter(|limit| size > *limit);
        let mail = (Command::MailFrom(mail_from(delivery)), Step::Mail);
        let rest = (self.pipelining && too_large.is_none()).then(|| {
            let hash = object_hash(delivery);
            (hash, [(rcpt_to(delivery), Step::Rcpt), (Command::Data { hash }, Step::Data)])
        });
        if let Some(limit) = too_large {
            return self.complete(now, Err(DmtpError::MessageTooLarge { size, limit }));
        }
        let Some((hash, [rcpt, data])) = rest else { return self.send(now, &[mail]) };
        self.hash = Some(hash);
        if self.transaction_open {
            self.send(now, &[(Command::Rset, Step::Rset), mail, rcpt, data]);
        } else {
            self.send(now, &[mail, rcpt, data]);
        }
    }

    fn on_reply(&mut self, now: Instant, reply: Reply) {
        match self.phase {
            Phase::Banner => {
                let dmtp = reply.code() == ReplyCode::READY
                    && reply.lines().len() == 1
                    && reply.last_line().split_ascii_whitespace().skip(1).any(|t| t == "DMTPv1");
                if !dmtp {
                    return self.fail_all(&DmtpError::NotDmtp { reply });
                }
                if self.config.mode == ConnectMode::Dual {
                    let command = Command::StartTls { host: self.config.host.clone(), mode: true };
                    self.send(now, &[(command, Step::Single(Verb::StartTls))]);
                    // Read in its own phase: the handshake follows its reply.
                    self.expected.clear();
                    self.phase = Phase::StartTlsReply;
                } else {
                    self.ready(now);
                }
            }
            Phase::StartTlsReply if reply.code() == ReplyCode::READY => {
                self.phase = Phase::TlsHandshake;
                self.events.push_back(ClientEvent::StartTls);
            }
            Phase::StartTlsReply => self.fail_all(&DmtpError::Rejected { verb: Verb::StartTls, reply }),
            Phase::TlsConfirm => {
                let mut words = reply.last_line().split_ascii_whitespace();
                let ok = reply.code() == ReplyCode::OK
                    && words.next() == Some("OK")
                    && words.next().is_some_and(|m| m.eq_ignore_ascii_case("DMTPv1"))
                    && words.next().is_none();
                if ok {
                    self.ready(now)
                } else {
                    self.fail_all(&DmtpError::UnexpectedReply { verb: Verb::StartTls, reply })
                }
            }
            Phase::Waiting => match self.expected.pop_front() {
                Some(step) => self.on_step(now, step, reply),
                None => self.fail_all(&DmtpError::UnexpectedReply { verb: Verb::Noop, reply }),
            },
            Phase::Handshake | Phase::TlsHandshake | Phase::Idle | Phase::Closed => {
                let verb = if reply.code() == ReplyCode::CLOSING { Verb::Quit } else { Verb::Noop };
                self.fail_all(&DmtpError::UnexpectedReply { verb, reply });
            }
        }
    }

    fn ready(&mut self, now: Instant) {
        self.phase = Phase::Idle;
        self.events.push_back(ClientEvent::Ready);
        self.start_next(now);
    }

    fn delivery(&self) -> Option<&Delivery> {
        match &self.current {
            Some((_, Request::Deliver(d))) => Some(d),
            _ => None,
        }
    }

    fn on_step(&mut self, now: Instant, step: Step, reply: Reply) {
        let code = reply.code();
        let verb = step.verb();
        if code == ReplyCode::CLOSING {
            // The first refusal of a pipelined batch stays that request's error.
            if let Some(error) = self.refused.take() {
                self.finish_current(Err(error));
            }
            return self.fail_all(&DmtpError::Rejected { verb, reply });
        }
        if matches!(step, Step::Rset | Step::Mail | Step::Rcpt | Step::Data) {
            return self.on_transaction(now, step, reply);
        }
        if step == Step::Body {
            // Every reply after the object (verdict, hash mismatch, too long) ends the server's
            // transaction.
            self.transaction_open = false;
        }
        if !code.is_positive() && code != ReplyCode::CONTINUE {
            return self.complete(now, Err(DmtpError::Rejected { verb, reply }));
        }
        let unexpected = |reply| DmtpError::UnexpectedReply { verb, reply };
        match step {
            Step::Ehlo => {
                let Some(origin) = self.delivery().map(|d| d.origin.clone()) else {
                    return self.complete(now, Err(unexpected(reply)));
                };
                if code != ReplyCode::OK {
                    return self.complete(now, Err(unexpected(reply)));
                }
                self.greeted = Some(origin);
                self.size_limit =
                    reply.lines().iter().find_map(|l| l.strip_prefix("SIZE ").and_then(|n| n.parse().ok()));
                self.pipelining = reply.lines().iter().any(|l| l.eq_ignore_ascii_case("PIPELINING"));
                // EHLO resets the server's transaction.
                self.transaction_open = false;
                self.begin_transaction(now);
            }
            Step::Body => {
                let result = bracketed(reply.last_line(), "OK ").and_then(|t| t.parse().ok()).map(Outcome::Delivered);
                self.complete(now, result.ok_or_else(|| unexpected(reply)));
            }
            Step::Single(Verb::Sgnt) => {
                let signet = bracketed(reply.last_line(), "OK ").and_then(|b| base64::decode_padded(b, "signet").ok());
                let result = match signet {
                    Some(bytes) if code == ReplyCode::OK => Ok(Outcome::Signet(bytes)),
                    _ => Err(unexpected(reply)),
                };
                self.complete(now, result);
            }
            Step::Single(Verb::Hist) => {
                let result = history(&reply).filter(|_| code == ReplyCode::OK).map(Outcome::History);
                self.complete(now, result.ok_or_else(|| unexpected(reply)));
            }
            Step::Single(Verb::Vrfy) => {
                let text = reply.last_line();
                let result = if code != ReplyCode::OK {
                    None
                } else if text.eq_ignore_ascii_case("CURRENT") {
                    Some(VerifyResult::Current)
                } else {
                    bracketed(text, "UPDATE ").and_then(|fp| fp.parse().ok()).map(VerifyResult::Update)
                };
                self.complete(now, result.map(Outcome::Verified).ok_or_else(|| unexpected(reply)));
            }
            Step::StatsNonce => {
                let nonce: Option<Nonce> = bracketed(reply.last_line(), "ONCE ").and_then(|n| n.parse().ok());
                match nonce {
                    Some(nonce) if code == ReplyCode::OK_INFO => {
                        self.send(now, &[(Command::Stats { nonce: Some(nonce) }, Step::Stats)])
                    }
                    _ => self.complete(now, Err(unexpected(reply))),
                }
            }
            Step::Stats => {
                let result = stats(&reply).filter(|_| code == ReplyCode::OK).map(Outcome::Stats);
                self.complete(now, result.ok_or_else(|| unexpected(reply)));
            }
            Step::Single(Verb::Quit) => {
                let result = if code == ReplyCode::BYE { Ok(Outcome::Done) } else { Err(unexpected(reply)) };
                self.phase = Phase::Closed;
                self.complete(now, result);
                self.fail_all(&DmtpError::ConnectionClosed);
            }
            Step::Single(_) => {
                let result = if code == ReplyCode::OK { Ok(Outcome::Done) } else { Err(unexpected(reply)) };
                self.complete(now, result);
            }
            // Answered by `on_transaction` above.
            Step::Rset | Step::Mail | Step::Rcpt | Step::Data => {}
        }
    }

    /// A reply to `RSET`, `MAIL FROM`, `RCPT TO` or `DATA`: sent one at a time, or in one
    /// pipelined batch whose replies arrive here in order.
    fn on_transaction(&mut self, now: Instant, step: Step, reply: Reply) {
        let code = reply.code();
        let verb = step.verb();
        let last = self.expected.is_empty();
        if let Some(error) = self.refused.take() {
            // A command after the batch's first refusal. A server that follows the state table
            // refuses it too (503); should it accept DATA anyway, it now reads object bytes this
            // client will not send, and the only safe way out is to close.
            if code == ReplyCode::CONTINUE {
                self.finish_current(Err(error));
                return self.fail_all(&DmtpError::UnexpectedReply { verb, reply });
            }
            if last {
                return self.complete(now, Err(error));
            }
            self.refused = Some(error);
            return;
        }
        let accepted = if step == Step::Data { code == ReplyCode::CONTINUE } else { code.is_positive() };
        if !accepted {
            let error = if code.is_positive() || code == ReplyCode::CONTINUE {
                DmtpError::UnexpectedReply { verb, reply }
            } else {
                DmtpError::Rejected { verb, reply }
            };
            if last {
                return self.complete(now, Err(error));
            }
            self.refused = Some(error);
            return;
        }
        match step {
            Step::Rset => self.transaction_open = false,
            Step::Mail => {
                self.transaction_open = true;
                if last {
                    let Some(rcpt) = self.delivery().map(rcpt_to) else { return };
                    self.send(now, &[(rcpt, Step::Rcpt)]);
                }
            }
            Step::Rcpt if last => {
                let Some(hash) = self.delivery().map(object_hash) else { return };
                self.hash = Some(hash);
                self.send(now, &[(Command::Data { hash }, Step::Data)]);
            }
            Step::Data => {
                let (Some(object), Some(hash)) = (self.delivery().map(|d| d.object.clone()), self.hash.take()) else {
                    return self.complete(now, Err(DmtpError::UnexpectedReply { verb, reply }));
                };
                if reply.last_line() != format!("CONTINUE [{hash}]") {
                    // The server now waits for the object; the only safe way out is to close.
                    return self.fail_all(&DmtpError::HashEchoMismatch);
                }
                self.out.push_back(object);
                self.out.push_back(Bytes::from_static(b"\r\n"));
                self.expected.push_back(Step::Body);
                self.phase = Phase::Waiting;
                self.deadline = Some(now + self.config.reply_timeout);
            }
            _ => {}
        }
    }
}

fn rcpt_to(delivery: &Delivery) -> Command {
    Command::RcptTo { domain: delivery.destination.clone(), fingerprint: delivery.destination_fingerprint }
}

/// The hash the caller supplied, or the object's [`ObjectHasher::hash`](crate::object::ObjectHasher::hash).
fn object_hash(delivery: &Delivery) -> Fingerprint {
    delivery.hash.unwrap_or_else(|| crate::object::ObjectHasher::hash(&delivery.object))
}

fn mail_from(delivery: &Delivery) -> MailFrom {
    MailFrom {
        domain: delivery.origin.clone(),
        fingerprint: delivery.origin_fingerprint,
        size: delivery.object.len() as u64,
        return_type: delivery.return_type,
        data_type: delivery.data_type,
    }
}

/// The text inside `prefix[...]` spanning to the end of the line.
fn bracketed<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.strip_prefix('[')?.strip_suffix(']')
}

fn history(reply: &Reply) -> Option<Vec<Vec<u8>>> {
    let (last, chain) = reply.lines().split_last()?;
    if last != "OK" || chain.is_empty() {
        return None;
    }
    chain.iter().map(|line| bracketed(line, "").and_then(|b| base64::decode_padded(b, "signet").ok())).collect()
}

fn stats(reply: &Reply) -> Option<Vec<(String, u64)>> {
    let (last, values) = reply.lines().split_last()?;
    if last != "OK" {
        return None;
    }
    values
        .iter()
        .map(|line| {
            let (name, value) = line.split_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}
