//! The client side of a DMAP connection as a sans-IO state machine.
//!
//! [`ClientSession`] allocates tags, writes commands (waiting for the server's `+` before the
//! data of each synchronizing literal, and using `{n+}` for literals up to 4,096 bytes when the
//! server advertises `LITERAL-` or `LITERAL+`), runs the client half of `AUTHENTICATE STACIE`,
//! and tracks the connection state from the server's tagged answers.
//!
//! ## Drain order
//!
//! [`ClientSession::next`] returns, in this order:
//!
//! 1. everything queued earlier, exactly in the order it was produced: command bytes as
//!    [`Interrupt::Output`] (adjacent writes merged) and [`ClientEvent`]s, so the bytes of
//!    a command sent in reaction to a response are returned before the events that response
//!    produced after it;
//! 2. [`Interrupt::Closed`], for ever, once the session has ended (the tagged answer to
//!    `LOGOUT`, a `BYE`, or a protocol error reported as [`ClientEvent::Failed`]);
//! 3. otherwise it parses buffered input one response at a time until that produces output or
//!    an event, and returns the first item of it;
//! 4. [`Interrupt::NeedMoreInput`].
//!
//! Commands given while another command still waits for a continuation (a synchronizing
//! literal, the STACIE exchange, `IDLE`) are held back and written, in order, as soon as that
//! command no longer blocks the connection.

use std::collections::VecDeque;

use dime_core::stacie::EphemeralToken;

use crate::codec::{
    Code, Command, CommandBody, Data, Fragment, Fragmentizer, Mailbox, Response, Status, StatusKind, Tag,
};
use crate::error::{DmapError, Result};
use crate::limits::SessionLimits;
use crate::sasl::{Challenge, MECHANISM};
pub use crate::session::{Interrupt, State};

/// Something the application is told.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting (`* OK`, `* PREAUTH` or `* BYE`).
    Greeting(Status),
    /// Untagged data.
    Data(Data),
    /// An untagged status other than the greeting (`* OK [...]`, `* NO`, `* BAD`, `* BYE`).
    Status(Status),
    /// A command completed.
    Done {
        /// The command's name ([`CommandBody::name`]).
        command: &'static str,
        /// The tagged status.
        status: Status,
    },
    /// The server's STACIE challenge: derive the token (e.g. with [`Challenge::answer`]) and
    /// give it to [`ClientSession::answer_challenge`].
    Challenge(Box<Challenge>),
    /// The server accepted `IDLE`; end it with [`ClientSession::idle_done`].
    Idling,
    /// The server accepted `STARTTLS`: write all output returned before this event, run the
    /// TLS handshake, then call [`ClientSession::tls_started`].
    StartTls,
    /// The server's bytes broke the protocol and the session is closed; or (the one exception)
    /// its STACIE challenge was malformed, and the client cancelled the exchange with `*`.
    Failed(DmapError),
}

#[derive(Debug)]
enum Queued {
    Output(Vec<u8>),
    Event(ClientEvent),
}

/// What a continuation request means for the command that gets it.
#[derive(Debug)]
enum Stage {
    /// Further parts of the command, each sent after one `+`.
    Literals(VecDeque<Vec<u8>>),
    /// `AUTHENTICATE` without initial response: the first `+` asks for the user name.
    SaslUsername(String),
    /// `AUTHENTICATE`: the next `+` is the challenge.
    SaslChallenge,
    /// `AUTHENTICATE`: the token was asked for and not yet given.
    SaslAnswer,
    /// `IDLE`: waiting for `+`, then for `DONE`.
    Idle,
    /// Nothing more to send.
    Sent,
}

#[derive(Debug)]
struct InFlight {
    tag: Tag,
    command: &'static str,
    /// The mailbox of a SELECT or EXAMINE.
    select: Option<Mailbox>,
    stage: Stage,
}

/// A DMAP client session. See the module documentation.
#[derive(Debug)]
pub struct ClientSession {
    limits: SessionLimits,
    fragments: Fragmentizer,
    queue: VecDeque<Queued>,
    in_flight: VecDeque<InFlight>,
    held: VecDeque<(InFlight, Vec<u8>)>,
    state: State,
    greeted: bool,
    closed: bool,
    bye: bool,
    capabilities: Vec<String>,
    selected: Option<Mailbox>,
    next_tag: u32,
    /// STARTTLS was accepted and the handshake is not done: nothing is written or read.
    awaiting_tls: bool,
    /// TLS protects the connection ([`ClientSession::tls_started`]).
    tls: bool,
    /// `AUTHENTICATE STACIE` may run without TLS ([`ClientSession::allow_insecure_auth`]).
    insecure_auth: bool,
}

impl ClientSession {
    /// A session waiting for the server's greeting.
    pub fn new(limits: SessionLimits) -> ClientSession {
        ClientSession {
            limits,
            fragments: Fragmentizer::new((&limits).into()),
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            held: VecDeque::new(),
            state: State::NotAuthenticated,
            greeted: false,
            closed: false,
            bye: false,
            capabilities: Vec::new(),
            selected: None,
            next_tag: 1,
            awaiting_tls: false,
            tls: false,
            insecure_auth: false,
        }
    }

    /// Appends bytes received from the server.
    ///
    /// Between an accepted `STARTTLS` and [`ClientSession::tls_started`] input is dropped: it
    /// arrived in the clear where only the TLS handshake may.
    pub fn enqueue_input(&mut self, bytes: &[u8]) {
        if !self.closed && !self.awaiting_tls {
            self.fragments.enqueue(bytes);
        }
    }

    /// The next output, event or interrupt; see the module documentation for the order.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> core::result::Result<ClientEvent, Interrupt> {
        loop {
            match self.queue.pop_front() {
                Some(Queued::Output(bytes)) => return Err(Interrupt::Output(bytes)),
                Some(Queued::Event(event)) => return Ok(event),
                None => {}
            }
            if self.closed {
                return Err(Interrupt::Closed);
            }
            match self.fragments.progress() {
                None => return Err(Interrupt::NeedMoreInput),
                Some(Fragment::Message(bytes)) => match Response::parse(&bytes) {
                    Ok(response) => self.response(response),
                    Err(error) => self.fail(error),
                },
                Some(Fragment::Announced { fits: true, .. }) => self.fragments.accept_literal(),
                Some(Fragment::Announced { length, .. }) => {
                    let limit = self.limits.max_literal;
                    self.fail(DmapError::LiteralTooLarge { size: length, limit });
                }
                Some(Fragment::LineTooLong { .. }) => {
                    let limit = self.limits.max_line;
                    self.fail(DmapError::LineTooLong { limit });
                }
                Some(Fragment::MessageTooLong { .. }) => {
                    let limit = self.limits.max_message;
                    self.fail(DmapError::MessageTooLong { limit });
                }
            }
        }
    }

    /// The connection state, as the server's answers so far established it.
    pub fn state(&self) -> State {
        self.state
    }

    /// The server's capabilities, as last advertised.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Whether the server advertised `capability` (case-insensitive).
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// The selected mailbox.
    pub fn selected(&self) -> Option<&Mailbox> {
        self.selected.as_ref()
    }

    /// Sends a command; returns its tag. `AUTHENTICATE` and `IDLE` have their own methods.
    ///
    /// Errors: [`DmapError::Closed`]; [`DmapError::WrongState`] for `AUTHENTICATE` and `IDLE`.
    pub fn send(&mut self, body: CommandBody) -> Result<Tag> {
        if matches!(body, CommandBody::Authenticate { .. } | CommandBody::Idle) {
            return Err(DmapError::WrongState { command: body.name(), state: "send (use its own method)" });
        }
        self.submit(body, |_| Stage::Sent)
    }

    /// Starts `AUTHENTICATE STACIE` for `username` (with SASL-IR when the server offers it).
    /// The challenge arrives as [`ClientEvent::Challenge`].
    ///
    /// Errors: [`DmapError::InsecureAuth`], before anything is sent, when TLS does not protect
    /// the connection ([`ClientSession::tls_started`] was not called) and
    /// [`ClientSession::allow_insecure_auth`] was not either; [`DmapError::Closed`].
    pub fn authenticate_stacie(&mut self, username: &str) -> Result<Tag> {
        if !self.tls && !self.insecure_auth {
            return Err(DmapError::InsecureAuth);
        }
        let initial = self.has_capability("SASL-IR").then(|| username.as_bytes().to_vec());
        let stage = if initial.is_some() { Stage::SaslChallenge } else { Stage::SaslUsername(username.into()) };
        let body = CommandBody::Authenticate { mechanism: MECHANISM.into(), initial };
        self.submit(body, move |_| stage)
    }

    /// Answers the STACIE challenge with the ephemeral token.
    ///
    /// Errors: [`DmapError::Unexpected`] when no challenge is waiting.
    pub fn answer_challenge(&mut self, token: &EphemeralToken) -> Result<()> {
        let waiting = self.in_flight.iter_mut().find(|c| matches!(c.stage, Stage::SaslAnswer));
        let Some(command) = waiting else { return Err(DmapError::Unexpected("no STACIE challenge is waiting")) };
        command.stage = Stage::Sent;
        let mut line = dime_core::base64::encode_padded(token.as_bytes()).into_bytes();
        line.extend_from_slice(b"\r\n");
        self.output(line);
        self.release_held();
        Ok(())
    }

    /// Starts `IDLE`; [`ClientEvent::Idling`] follows when the server accepts it.
    ///
    /// Errors: [`DmapError::Closed`].
    pub fn idle(&mut self) -> Result<Tag> {
        self.submit(CommandBody::Idle, |_| Stage::Idle)
    }

    /// Ends `IDLE` (sends `DONE`).
    ///
    /// Errors: [`DmapError::Unexpected`] when no `IDLE` is running.
    pub fn idle_done(&mut self) -> Result<()> {
        let idle = self.in_flight.iter_mut().find(|c| c.command == "IDLE" && matches!(c.stage, Stage::Idle));
        let Some(command) = idle else { return Err(DmapError::Unexpected("no IDLE is running")) };
        command.stage = Stage::Sent;
        self.output(b"DONE\r\n".to_vec());
        self.release_held();
        Ok(())
    }

    /// The driver finished a TLS handshake: after [`ClientEvent::StartTls`], or (implicit TLS)
    /// before the greeting, right after creating the session. The capabilities learnt in the
    /// clear are forgotten (RFC 3501 §6.2.1): send `CAPABILITY` again.
    pub fn tls_started(&mut self) {
        self.awaiting_tls = false;
        self.tls = true;
        self.capabilities.clear();
        self.release_held();
    }

    /// Lets [`ClientSession::authenticate_stacie`] run over a connection that TLS does not
    /// protect (tests, loopback, a tunnel the application trusts). STACIE does not reveal the
    /// password, but everything after the login travels in the clear.
    pub fn allow_insecure_auth(&mut self) {
        self.insecure_auth = true;
    }

    /// Whether TLS protects the connection.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    // --- sending ------------------------------------------------------------------------

    fn submit(&mut self, body: CommandBody, stage: impl FnOnce(&[Vec<u8>]) -> Stage) -> Result<Tag> {
        if self.closed {
            return Err(DmapError::Closed);
        }
        let tag = Tag::new(&format!("A{}", self.next_tag))?;
        self.next_tag = self.next_tag.wrapping_add(1).max(1);
        let non_sync = if self.has_capability("LITERAL-") || self.has_capability("LITERAL+") { 4096 } else { 0 };
        let select = match &body {
            CommandBody::Select(mailbox) | CommandBody::Examine(mailbox) => Some(mailbox.clone()),
            _ => None,
        };
        let command = body.name();
        let mut parts: VecDeque<Vec<u8>> = Command { tag: tag.clone(), body }.write(non_sync).into_parts().into();
        let first = parts.pop_front().unwrap_or_default();
        let rest: Vec<Vec<u8>> = parts.into_iter().collect();
        let stage = if rest.is_empty() { stage(&rest) } else { Stage::Literals(rest.into()) };
        let entry = InFlight { tag: tag.clone(), command, select, stage };
        if self.blocked() {
            self.held.push_back((entry, first));
        } else {
            self.in_flight.push_back(entry);
            self.output(first);
        }
        Ok(tag)
    }

    /// Whether a command in flight still needs a continuation before others may be written.
    fn blocked(&self) -> bool {
        self.awaiting_tls
            || self.in_flight.iter().any(|c| !matches!(c.stage, Stage::Sent))
            || self.in_flight.iter().any(|c| c.command == "STARTTLS")
    }

    fn release_held(&mut self) {
        while !self.blocked() {
            let Some((entry, first)) = self.held.pop_front() else { break };
            self.in_flight.push_back(entry);
            self.output(first);
        }
    }

    fn output(&mut self, bytes: Vec<u8>) {
        match self.queue.back_mut() {
            Some(Queued::Output(last)) => last.extend_from_slice(&bytes),
            _ => self.queue.push_back(Queued::Output(bytes)),
        }
    }

    fn event(&mut self, event: ClientEvent) {
        self.queue.push_back(Queued::Event(event));
    }

    fn fail(&mut self, error: DmapError) {
        self.event(ClientEvent::Failed(error));
        self.close();
    }

    fn close(&mut self) {
        self.closed = true;
        self.state = State::Logout;
        self.fragments.clear();
    }

    // --- receiving ----------------------------------------------------------------------

    fn response(&mut self, response: Response) {
        match response {
            Response::Status(status) if !self.greeted => self.greeting(status),
            _ if !self.greeted => self.fail(DmapError::Unexpected("data before the greeting")),
            Response::Continue(text) => self.continuation(&text),
            Response::Data(data) => {
                if let Data::Capability(caps) = &data {
                    self.capabilities = caps.clone();
                }
                self.event(ClientEvent::Data(data));
            }
            Response::Status(status) if status.tag.is_none() => {
                self.learn_capabilities(&status);
                let bye = status.kind == StatusKind::Bye;
                self.event(ClientEvent::Status(status));
                if bye {
                    self.bye = true;
                    if !self.in_flight.iter().any(|c| c.command == "LOGOUT") {
                        self.close();
                    }
                }
            }
            Response::Status(status) => self.tagged(status),
        }
    }

    fn greeting(&mut self, status: Status) {
        self.greeted = true;
        self.learn_capabilities(&status);
        match status.kind {
            StatusKind::PreAuth => self.state = State::Authenticated,
            StatusKind::Bye => self.closed = true,
            _ => {}
        }
        let closing = status.kind == StatusKind::Bye;
        self.event(ClientEvent::Greeting(status));
        if closing {
            self.close();
        }
    }

    fn learn_capabilities(&mut self, status: &Status) {
        if let Some(Code::Capability(caps)) = &status.code {
            self.capabilities = caps.clone();
        }
    }

    fn continuation(&mut self, text: &[u8]) {
        let Some(command) = self.in_flight.iter_mut().find(|c| !matches!(c.stage, Stage::Sent)) else {
            return self.fail(DmapError::Unexpected("continuation request with no command waiting"));
        };
        match core::mem::replace(&mut command.stage, Stage::Sent) {
            Stage::Literals(mut parts) => {
                let part = parts.pop_front().unwrap_or_default();
                if !parts.is_empty() {
                    command.stage = Stage::Literals(parts);
                }
                self.output(part);
                self.release_held();
            }
            Stage::SaslUsername(username) => {
                command.stage = Stage::SaslChallenge;
                let mut line = dime_core::base64::encode_padded(username.as_bytes()).into_bytes();
                line.extend_from_slice(b"\r\n");
                self.output(line);
            }
            Stage::SaslChallenge => {
                command.stage = Stage::SaslAnswer;
                let decoded = core::str::from_utf8(text)
                    .map_err(|_| DmapError::NotUtf8 { what: "challenge" })
                    .and_then(|t| Ok(dime_core::base64::decode_padded(t, "challenge")?))
                    .and_then(|bytes| Challenge::parse(&bytes));
                match decoded {
                    Ok(challenge) => self.event(ClientEvent::Challenge(Box::new(challenge))),
                    Err(error) => {
                        // Cancel the exchange; the server answers BAD.
                        self.output(b"*\r\n".to_vec());
                        if let Some(c) = self.in_flight.iter_mut().find(|c| matches!(c.stage, Stage::SaslAnswer)) {
                            c.stage = Stage::Sent;
                        }
                        self.event(ClientEvent::Failed(error));
                    }
                }
            }
            Stage::Idle => {
                command.stage = Stage::Idle;
                self.event(ClientEvent::Idling);
            }
            Stage::SaslAnswer | Stage::Sent => {
                self.fail(DmapError::Unexpected("continuation request with no command waiting"));
            }
        }
    }

    fn tagged(&mut self, status: Status) {
        let position = self.in_flight.iter().position(|c| Some(&c.tag) == status.tag.as_ref());
        let Some(command) = position.and_then(|i| self.in_flight.remove(i)) else {
            return self.fail(DmapError::Unexpected("tagged response for no command in flight"));
        };
        self.learn_capabilities(&status);
        let ok = status.kind == StatusKind::Ok;
        let mut start_tls = false;
        match command.command {
            "AUTHENTICATE" if ok => self.state = State::Authenticated,
            "SELECT" | "EXAMINE" => {
                self.selected = if ok { command.select } else { None };
                if self.state != State::NotAuthenticated {
                    self.state = if ok { State::Selected } else { State::Authenticated };
                }
            }
            "CLOSE" if ok => {
                self.selected = None;
                self.state = State::Authenticated;
            }
            "STARTTLS" if ok => {
                start_tls = true;
                self.awaiting_tls = true;
                self.fragments.clear();
            }
            _ => {}
        }
        let logout = command.command == "LOGOUT";
        self.event(ClientEvent::Done { command: command.command, status });
        if start_tls {
            self.event(ClientEvent::StartTls);
            return;
        }
        if logout || (self.bye && !self.in_flight.iter().any(|c| c.command == "LOGOUT")) {
            self.close();
            return;
        }
        self.release_held();
    }
}
