//! The server side of a DMAP connection as a sans-IO state machine.
//!
//! [`ServerSession`] owns no socket, task or clock. The driver feeds it received bytes with
//! [`ServerSession::enqueue_input`] and calls [`ServerSession::next`] until it returns
//! [`Interrupt::NeedMoreInput`]; each [`Interrupt::Output`] must be written to the peer in the
//! order returned.
//!
//! ## Time
//!
//! Every call that depends on the time takes `now` ([`ServerSession::new`],
//! [`ServerSession::enqueue_input`], [`ServerSession::handle_timeout`]); the session never reads
//! a clock. After draining, the driver waits for input until [`ServerSession::poll_timeout`] and
//! calls [`ServerSession::handle_timeout`] when that instant passes: the session then queues
//! `* BYE Autologout; ...` and closes (`docs/dmap.md` §8.1). The deadline is the earliest of
//!
//! * before authentication: [`SessionLimits::login_timeout`] after the session started;
//! * after authentication: [`SessionLimits::idle_timeout`] after the last byte received (also while
//!   idling);
//! * while a command is started but not complete (a partial line, literal data, an
//!   `AUTHENTICATE` exchange waiting for its next line): [`SessionLimits::command_timeout`] after the
//!   last byte received.
//!
//! There is none while a signet lookup is out or after the session ended.
//!
//! ## Drain order
//!
//! [`ServerSession::next`] returns, in this order:
//!
//! 1. everything queued earlier, exactly in the order it was produced: response bytes as
//!    [`Interrupt::Output`] (adjacent responses merged into one buffer) and [`Event`]s. All
//!    bytes produced before an event are returned before that event, so a driver that writes
//!    every `Output` before acting on an event has flushed the `OK` of `STARTTLS` before it
//!    starts the handshake;
//! 2. [`Interrupt::Closed`], for ever, once the session has ended (after `LOGOUT`, a `BYE`, or
//!    [`ServerSession::close`]);
//! 3. [`Interrupt::AwaitingAnswer`] while a signet lookup is out ([`Event::SignetLookup`]):
//!    buffered input waits, and nothing more should be read, until
//!    [`ServerSession::signet_resolved`] answers;
//! 4. [`Interrupt::Store`] while store work is pending: a command that needs the store, the
//!    credentials of a user who started `AUTHENTICATE`, an idling session's
//!    [`ServerSession::refresh`], the next page of a `FETCH`'s metadata, or the next message of
//!    a `FETCH` whose items read the object.
//!    The driver awaits [`ServerSession::run_store`], which does that work and queues its
//!    responses, then calls `next` again; no input is read meanwhile;
//! 5. while a `FETCH` runs, the answer for its next message (an object literal larger than
//!    [`SessionLimits::output_chunk`] comes in pieces of at most that size, each only after the one
//!    before was taken), then its completion; no input is read meanwhile;
//! 6. otherwise it reads buffered input one fragment at a time (a whole command, a literal
//!    announcement, a line of the `AUTHENTICATE` or `IDLE` exchanges) until that produces
//!    output, an event or store work, and returns the first item of it;
//! 7. [`Interrupt::NeedMoreInput`] when the buffered input holds no complete fragment.
//!
//! The greeting is queued when the session is created. At most one command is executed per
//! step of 6 (or of 4, for one that needs the store), and a `FETCH` one message per step of 4
//! or 5, so output never runs ahead of what the driver has drained by more than one command's
//! (or one message's) responses.
//!
//! ## The store
//!
//! The session never calls its [`Store`] from `next`: store methods are asynchronous (a mail
//! store is a database or a disk), and `next` is not. A command that needs the store is parked
//! and announced with [`Interrupt::Store`]; [`ServerSession::run_store`] runs it. The session
//! itself holds no lock: two sessions of separate accounts on one shared store run their store
//! work side by side.
//!
//! Store work has a deadline, [`SessionLimits::store_timeout`], which the driver keeps: it
//! awaits `run_store` at most that long, and otherwise drops the future and calls
//! [`ServerSession::abandon_store`], which answers the command `NO [UNAVAILABLE]` and ends the
//! session (`docs/dmap.md` §8.1).
//!
//! A selected session keeps the mailbox's index only: each message's UID and a fingerprint of
//! its flags, 8 bytes a message. Flags, sizes and dates are read from the store a page of
//! [`SessionLimits::index_page`] messages at a time when a command needs them
//! ([`Store::page`], [`Store::messages`]), so a mailbox of any size costs the session 8 bytes a
//! message and one page (`docs/dmap.md` §12.3).
//!
//! ## States
//!
//! not authenticated → (`AUTHENTICATE STACIE` succeeds) → authenticated ⇄ (`SELECT`/`EXAMINE`,
//! `CLOSE`) selected; any state → (`LOGOUT`) logout. `docs/dmap.md` §4 has the table of every
//! command, the states that allow it, and the exact refusal.

mod auth;
mod copy;
mod dime;
mod fetch;
mod index;
mod list;
mod mailbox;
mod manage;
mod search;

pub use manage::{MAX_MAILBOX_NAME, new_name};

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use dime_core::stacie::{Credentials, Nonce};

use crate::codec::{
    Code, Command, CommandBody, Fragment, Fragmentizer, LiteralMode, Response, Status, StatusKind, Tag,
};
use crate::error::DmapError;
use crate::limits::SessionLimits;
use crate::sasl::DecoySecret;
use crate::store::Store;

pub use crate::session::{Interrupt, State};

/// The hierarchy delimiter of DMAP mailbox names.
pub const DELIMITER: u8 = b'/';

/// How a server session is set up.
///
/// Start from [`ServerConfig::new`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's domain, shown in the greeting.
    pub domain: String,
    /// Size limits.
    pub limits: SessionLimits,
    /// TLS is already active (implicit TLS: the driver ran the handshake before the greeting).
    pub tls: bool,
    /// Offer `STARTTLS` while TLS is not active.
    pub starttls: bool,
    /// Refuse `AUTHENTICATE` until TLS is active.
    pub require_tls: bool,
    /// The secret that derives decoy credentials for unknown users.
    pub decoy: DecoySecret,
    /// Decoy bonuses are drawn from 0 to this; set it to the range the server draws real
    /// accounts' bonuses from.
    pub decoy_max_bonus: u32,
    /// Draws the nonce of each STACIE challenge; [`Nonce::generate`] (the operating system's
    /// generator) by default. Only tests and conformance vectors may replace it, to get
    /// reproducible transcripts: a nonce that repeats lets a recorded login be replayed.
    pub nonce: fn() -> dime_core::Result<Nonce>,
    /// Takes `SUBMIT`ted objects instead of [`Store::submit`] (e.g. straight into a relay
    /// queue); `None` (the default) leaves them to the store.
    pub submit: Option<SubmitHook>,
}

/// The future a [`SubmitHook`] returns: the queue id (an IMAP atom), or the error `SUBMIT` is
/// answered with (as for a store error, `docs/dmap.md` §9).
pub type SubmitFuture = core::pin::Pin<Box<dyn Future<Output = Result<String, DmapError>> + Send>>;

/// What accepts a `SUBMIT` when set in [`ServerConfig::submit`]: called with the authenticated
/// user and the object, awaited by [`ServerSession::run_store`].
#[derive(Clone)]
pub struct SubmitHook(Arc<dyn Fn(String, Vec<u8>) -> SubmitFuture + Send + Sync>);

impl SubmitHook {
    /// A hook that calls `accept(user, object)`.
    pub fn new(accept: impl Fn(String, Vec<u8>) -> SubmitFuture + Send + Sync + 'static) -> SubmitHook {
        SubmitHook(Arc::new(accept))
    }
}

impl core::fmt::Debug for SubmitHook {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SubmitHook")
    }
}

impl ServerConfig {
    /// A configuration for a connection on which TLS is already active, with default limits.
    pub fn new(domain: &str, decoy: DecoySecret) -> ServerConfig {
        ServerConfig {
            domain: domain.into(),
            limits: SessionLimits::default(),
            tls: true,
            starttls: false,
            require_tls: true,
            decoy,
            decoy_max_bonus: 0,
            nonce: Nonce::generate,
            submit: None,
        }
    }
}

/// Something the application or driver is told.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A command completed with this status.
    CommandDone {
        /// Its tag.
        tag: Tag,
        /// Its name ([`CommandBody::name`]).
        command: &'static str,
        /// `Ok`, `No` or `Bad`.
        kind: StatusKind,
    },
    /// A user authenticated.
    LoggedIn {
        /// The user name.
        user: String,
    },
    /// `STARTTLS` was accepted. Write all output returned before this event in the clear, run
    /// the TLS handshake, then call [`ServerSession::tls_started`]. Input already buffered
    /// was dropped.
    StartTls,
    /// This session changed a mailbox's messages (APPEND, COPY, MOVE, STORE, EXPUNGE, UID
    /// EXPUNGE, CLOSE). A driver serving many sessions on one store tells the others, and each
    /// of them calls [`ServerSession::refresh`]: an idling one sends the changes at once (the
    /// tokio driver does this with `driver::Hooks::changes`).
    MailboxChanged {
        /// The user whose mailbox changed.
        user: String,
        /// The mailbox.
        mailbox: crate::codec::Mailbox,
    },
    /// `SIGNET` asked for a signet the store says another organisation holds
    /// ([`SignetAnswer::Elsewhere`](crate::store::SignetAnswer::Elsewhere)). Resolve and validate
    /// it (DNS, then DMTP), then call [`ServerSession::signet_resolved`]; the session reads no
    /// further command until then.
    SignetLookup {
        /// The address (or domain) as the client gave it.
        address: String,
    },
}

#[derive(Debug)]
enum Queued {
    Output(Vec<u8>),
    /// `data[start..end]`, handed out in pieces of at most [`SessionLimits::output_chunk`] bytes.
    Literal {
        data: Arc<Vec<u8>>,
        start: usize,
        end: usize,
    },
    Event(Event),
    /// A LIST or LSUB answer, produced in pieces of about [`SessionLimits::output_chunk`]
    /// bytes as they are taken.
    Listing(Box<list::Listing>),
}

/// Store work parked by `next` for [`ServerSession::run_store`].
#[derive(Debug)]
enum Pending {
    /// A command that needs the store, already checked against the state.
    Command(Tag, CommandBody),
    /// `AUTHENTICATE STACIE` got a valid user name: look up its credentials.
    Credentials { tag: Tag, username: String },
    /// An idling session was told its mailbox may have changed.
    Refresh,
}

/// Where the session is in reading its input.
#[derive(Debug)]
enum Phase {
    /// Reading commands.
    Command,
    /// Inside `AUTHENTICATE STACIE`: reading base64 lines.
    Authenticating { tag: Tag, step: AuthStep },
    /// Inside `IDLE`: waiting for `DONE`.
    Idling { tag: Tag },
    /// `STARTTLS` accepted; nothing is read until [`ServerSession::tls_started`].
    AwaitingTls,
    /// `SIGNET` handed to the driver; nothing more is read until
    /// [`ServerSession::signet_resolved`].
    Resolving { tag: Tag, address: String },
    /// A `FETCH` answering one message per step; nothing more is read until it completes.
    Fetching(Box<fetch::FetchJob>),
    /// Ended.
    Closed,
}

/// The two client messages of the STACIE exchange.
#[derive(Debug)]
enum AuthStep {
    Username,
    Token(Box<PendingLogin>),
}

/// A challenge sent and not yet answered. The nonce is spent when this is dropped or checked.
#[derive(Debug)]
struct PendingLogin {
    username: String,
    credentials: Credentials,
    nonce: Nonce,
    /// Whether the account exists (decoy credentials otherwise).
    known: bool,
}

/// The selected mailbox as this session last reported it to the client.
#[derive(Debug, Clone)]
struct Selected {
    mailbox: crate::codec::Mailbox,
    read_only: bool,
    /// UIDs and flag fingerprints; everything else is read from the store when needed.
    index: index::Index,
}

/// A DMAP server session over a [`Store`]. See the module documentation.
#[derive(Debug)]
pub struct ServerSession<S: Store> {
    config: ServerConfig,
    store: S,
    fragments: Fragmentizer,
    queue: VecDeque<Queued>,
    phase: Phase,
    /// Store work waiting for [`ServerSession::run_store`].
    pending: Option<Pending>,
    /// The tag and name of the command whose store work a [`ServerSession::run_store`] future
    /// has started and not finished ([`ServerSession::abandon_store`]).
    running: Option<(Tag, &'static str)>,
    tls: bool,
    user: Option<String>,
    selected: Option<Selected>,
    errors: usize,
    auth_failures: usize,
    /// When an unauthenticated session ends ([`SessionLimits::login_timeout`] after it started;
    /// `None` if that is past the clock's range).
    login_deadline: Option<Instant>,
    /// When the last byte was received (or the session started).
    last_input: Instant,
}

/// Fixed response texts (`docs/dmap.md` §7).
pub(crate) mod text {
    pub const CONTINUE_LITERAL: &str = "Ready for literal data";
    pub const BYE_LOGOUT: &str = "DMAP server logging out";
    pub const BYE_ERRORS: &str = "Too many invalid commands";
    pub const BYE_AUTH: &str = "Too many failed authentications";
    pub const BYE_NON_SYNC: &str = "Non-synchronizing literal over the limit";
    pub const NO_TAG: &str = "Missing or invalid tag";
    pub const UNKNOWN: &str = "Unknown command";
    pub const MISSING_COMMAND: &str = "Missing command";
    pub const AUTH_FAILED: &str = "Authentication failed";
    pub const LOGIN_DISABLED: &str = "LOGIN is disabled, use AUTHENTICATE STACIE";
    pub const MECHANISM: &str = "Unsupported mechanism, use STACIE";
    pub const PRIVACY: &str = "TLS is required before authentication";
    pub const TLS_ACTIVE: &str = "TLS is already active";
    pub const TLS_UNAVAILABLE: &str = "STARTTLS is not available";
    pub const BEGIN_TLS: &str = "Begin TLS negotiation now";
    pub const READ_ONLY: &str = "Mailbox is read-only";
    pub const BYE_IDLE: &str = "Autologout; idle for too long";
    pub const BYE_LOGIN_TIME: &str = "Autologout; authentication took too long";
    pub const BYE_COMMAND_TIME: &str = "Autologout; command not completed in time";
    pub const STORE_TIME: &str = "Store did not answer in time; the outcome is unknown";
    pub const BYE_STORE_TIME: &str = "Store did not answer in time";
}

impl<S: Store> ServerSession<S> {
    /// A new session that starts at `now`; the greeting is queued.
    pub fn new(config: ServerConfig, store: S, now: Instant) -> ServerSession<S> {
        let mut fragments = Fragmentizer::new((&config.limits).into());
        fragments.set_max_message(config.limits.max_message.min(config.limits.max_prelogin_command));
        let mut session = ServerSession {
            login_deadline: now.checked_add(config.limits.login_timeout),
            last_input: now,
            tls: config.tls,
            config,
            store,
            fragments,
            queue: VecDeque::new(),
            phase: Phase::Command,
            pending: None,
            running: None,
            user: None,
            selected: None,
            errors: 0,
            auth_failures: 0,
        };
        let greeting = format!("{} DMAPv1 ready", session.config.domain);
        let code = Code::Capability(session.capabilities());
        session.respond(Response::Status(Status::untagged(StatusKind::Ok, Some(code), &greeting)));
        session
    }

    /// Appends bytes received from the client at `now`. Bytes given after the session ended,
    /// or between [`Event::StartTls`] and [`ServerSession::tls_started`], are dropped unread.
    pub fn enqueue_input(&mut self, now: Instant, bytes: &[u8]) {
        if !matches!(self.phase, Phase::Closed | Phase::AwaitingTls) && !bytes.is_empty() {
            self.fragments.enqueue(bytes);
            self.last_input = now;
        }
    }

    /// When [`ServerSession::handle_timeout`] must be called, if ever (see the module
    /// documentation). Meaningful after `next` returned [`Interrupt::NeedMoreInput`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Closed | Phase::Resolving { .. }) {
            return None;
        }
        let limits = &self.config.limits;
        let session = match self.user {
            None => self.login_deadline,
            Some(_) => self.last_input.checked_add(limits.idle_timeout),
        };
        let command = self.command_started().then(|| self.last_input.checked_add(limits.command_timeout)).flatten();
        // A deadline past the clock's range (a configured `Duration::MAX`) never comes.
        [session, command].into_iter().flatten().min()
    }

    /// Ends the session if its deadline has passed at `now`: queues `* BYE Autologout; ...`
    /// (nothing while a TLS handshake runs) and closes. Earlier, it does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.poll_timeout() else { return };
        if now < deadline {
            return;
        }
        if matches!(self.phase, Phase::AwaitingTls) {
            self.end();
            return;
        }
        let limits = &self.config.limits;
        let command_passed = self.last_input.checked_add(limits.command_timeout).is_some_and(|d| now >= d);
        let text = if self.command_started() && command_passed {
            text::BYE_COMMAND_TIME
        } else if self.user.is_none() {
            text::BYE_LOGIN_TIME
        } else {
            text::BYE_IDLE
        };
        self.close(text);
    }

    /// Whether a command has started and not completed: input buffered that holds no whole
    /// fragment, or an `AUTHENTICATE` exchange waiting for the client's next line.
    fn command_started(&self) -> bool {
        self.fragments.buffered() > 0 || matches!(self.phase, Phase::Authenticating { .. })
    }

    /// The next output, event or interrupt; see the module documentation for the order.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Event, Interrupt> {
        loop {
            match self.queue.pop_front() {
                Some(Queued::Output(bytes)) => return Err(Interrupt::Output(bytes)),
                Some(Queued::Literal { data, start, end }) => {
                    let cut = end.min(start.saturating_add(self.config.limits.output_chunk.max(1)));
                    if cut < end {
                        self.queue.push_front(Queued::Literal { data: data.clone(), start: cut, end });
                    }
                    return Err(Interrupt::Output(data.get(start..cut).unwrap_or_default().to_vec()));
                }
                Some(Queued::Event(event)) => return Ok(event),
                Some(Queued::Listing(mut listing)) => {
                    let piece = listing.piece(self.config.limits.output_chunk);
                    if !listing.done() {
                        self.queue.push_front(Queued::Listing(listing));
                    }
                    if piece.is_empty() {
                        continue;
                    }
                    return Err(Interrupt::Output(piece));
                }
                None => {}
            }
            match &self.phase {
                Phase::Closed => return Err(Interrupt::Closed),
                _ if self.pending.is_some() => return Err(Interrupt::Store),
                Phase::AwaitingTls => return Err(Interrupt::NeedMoreInput),
                Phase::Resolving { .. } => return Err(Interrupt::AwaitingAnswer),
                Phase::Fetching(job) if job.needs_store() => return Err(Interrupt::Store),
                Phase::Fetching(_) => {
                    self.fetch_step(None);
                    continue;
                }
                _ => {}
            }
            match self.fragments.progress() {
                None => return Err(Interrupt::NeedMoreInput),
                Some(fragment) => self.fragment(fragment),
            }
        }
    }

    /// Runs the store work [`ServerSession::next`] announced with [`Interrupt::Store`] and
    /// queues its responses; does nothing when there is none. The driver awaits this before it
    /// calls `next` again, for at most [`SessionLimits::store_timeout`]: if the future has not
    /// finished by then, the driver drops it and calls [`ServerSession::abandon_store`].
    pub async fn run_store(&mut self) {
        if matches!(self.phase, Phase::Closed) {
            self.pending = None;
            return;
        }
        match self.pending.take() {
            Some(Pending::Command(tag, body)) => {
                self.running = Some((tag.clone(), body.name()));
                self.execute_store(tag, body).await;
            }
            Some(Pending::Credentials { tag, username }) => {
                self.running = Some((tag.clone(), auth::NAME));
                self.credentials(tag, username).await;
            }
            Some(Pending::Refresh) => {
                // Only an idling session is refreshed: the refresh answers to the IDLE.
                if let Phase::Idling { tag } = &self.phase {
                    self.running = Some((tag.clone(), "IDLE"));
                }
                self.sync_mailbox().await;
            }
            None => {}
        }
        // A running `FETCH` (also one its budget check just started) answers its next message
        // in the same call: reading the next page of metadata and the message's object are
        // both part of that one step, under the same deadline.
        if let Phase::Fetching(job) = &self.phase
            && job.needs_store()
        {
            self.running = Some((job.tag().clone(), job.name()));
        }
        if let Phase::Fetching(job) = &self.phase
            && job.needs_page()
        {
            self.fetch_page().await;
        }
        if let Phase::Fetching(job) = &self.phase
            && job.needs_store()
        {
            self.fetch_load().await;
        }
        self.running = None;
    }

    /// Gives up the store work of a [`ServerSession::run_store`] future that the driver dropped
    /// before it finished, because [`SessionLimits::store_timeout`] passed: answers the command
    /// it was running `<tag> NO [UNAVAILABLE] Store did not answer in time; the outcome is
    /// unknown`, then queues `* BYE Store did not answer in time` and ends the session
    /// (`docs/dmap.md` §8.1). The store may still finish the work (a write may still be made):
    /// the session, whose view of the mailbox would then be stale, does not go on. Does nothing
    /// when no store work was started and left unfinished.
    pub fn abandon_store(&mut self) {
        let Some((tag, command)) = self.running.take() else { return };
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        self.done(&tag, command, StatusKind::No, Some(Code::Unavailable), text::STORE_TIME);
        self.close(text::BYE_STORE_TIME);
    }

    /// The session's limits.
    pub fn limits(&self) -> &SessionLimits {
        &self.config.limits
    }

    /// The driver finished the TLS handshake after [`Event::StartTls`].
    pub fn tls_started(&mut self) {
        self.tls = true;
        if matches!(self.phase, Phase::AwaitingTls) {
            self.phase = Phase::Command;
        }
    }

    /// Ends the session (e.g. on a server shutdown): queues `* BYE text`.
    pub fn close(&mut self, text: &str) {
        if !matches!(self.phase, Phase::Closed) {
            self.respond(Response::Status(Status::untagged(StatusKind::Bye, None, text)));
            self.end();
        }
    }

    /// Tells the session that the selected mailbox may have changed (new mail, another
    /// session's flags or expunges). During `IDLE` the changes are sent at once; otherwise
    /// they are sent with the next `NOOP` or `IDLE`.
    pub fn refresh(&mut self) {
        if matches!(self.phase, Phase::Idling { .. }) && self.pending.is_none() {
            self.pending = Some(Pending::Refresh);
        }
    }

    /// The connection state.
    pub fn state(&self) -> State {
        match (&self.phase, &self.user, &self.selected) {
            (Phase::Closed, _, _) => State::Logout,
            (_, None, _) => State::NotAuthenticated,
            (_, Some(_), None) => State::Authenticated,
            (_, Some(_), Some(_)) => State::Selected,
        }
    }

    /// The authenticated user.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The selected mailbox.
    pub fn selected(&self) -> Option<&crate::codec::Mailbox> {
        self.selected.as_ref().map(|s| &s.mailbox)
    }

    /// Whether TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether an `AUTHENTICATE` exchange is waiting for the client's answer to a challenge.
    pub fn challenge_pending(&self) -> bool {
        matches!(self.phase, Phase::Authenticating { step: AuthStep::Token(_), .. })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The capabilities advertised in the current state.
    pub fn capabilities(&self) -> Vec<String> {
        let mut caps: Vec<String> = vec!["IMAP4rev1".into(), "DMAPv1".into()];
        if self.user.is_none() {
            caps.extend(["AUTH=STACIE".into(), "SASL-IR".into(), "LOGINDISABLED".into()]);
            if !self.tls && self.config.starttls {
                caps.push("STARTTLS".into());
            }
        }
        caps.extend(["LITERAL-", "BINARY", "IDLE", "UIDPLUS", "MOVE", "ID", "ENABLE"].map(String::from));
        caps
    }

    // --- output -------------------------------------------------------------------------

    /// Queues bytes, merged into the output before them unless that would pass
    /// [`SessionLimits::output_chunk`].
    fn output(&mut self, bytes: Vec<u8>) {
        let chunk = self.config.limits.output_chunk;
        match self.queue.back_mut() {
            Some(Queued::Output(last)) if last.len() + bytes.len() <= chunk => last.extend_from_slice(&bytes),
            _ => self.queue.push_back(Queued::Output(bytes)),
        }
    }

    /// Queues `data[start..end]` without copying it; [`ServerSession::next`] hands it out in
    /// pieces.
    fn output_literal(&mut self, data: &Arc<Vec<u8>>, start: usize, end: usize) {
        if end - start <= self.config.limits.output_chunk {
            self.output(data.get(start..end).unwrap_or_default().to_vec());
        } else {
            self.queue.push_back(Queued::Literal { data: data.clone(), start, end });
        }
    }

    /// Queues a LIST or LSUB answer; [`ServerSession::next`] produces it piece by piece.
    fn listing(&mut self, listing: list::Listing) {
        self.queue.push_back(Queued::Listing(Box::new(listing)));
    }

    fn respond(&mut self, response: Response) {
        self.output(response.to_bytes());
    }

    fn event(&mut self, event: Event) {
        self.queue.push_back(Queued::Event(event));
    }

    /// Queues [`Event::MailboxChanged`] for `mailbox` of the current user.
    fn changed(&mut self, mailbox: &crate::codec::Mailbox) {
        let user = self.user.clone().unwrap_or_default();
        self.event(Event::MailboxChanged { user, mailbox: mailbox.clone() });
    }

    /// Completes a command: the tagged status and a [`Event::CommandDone`].
    fn done(&mut self, tag: &Tag, command: &'static str, kind: StatusKind, code: Option<Code>, text: &str) {
        self.respond(Response::Status(Status::tagged(tag.clone(), kind, code, text)));
        self.event(Event::CommandDone { tag: tag.clone(), command, kind });
        if kind == StatusKind::Bad {
            self.bad_counted();
        } else {
            self.errors = 0;
        }
    }

    fn ok(&mut self, tag: &Tag, command: &'static str) {
        self.done(tag, command, StatusKind::Ok, None, &format!("{command} completed"));
    }

    fn store_error(&mut self, tag: &Tag, command: &'static str, error: DmapError) {
        let (code, text) = match error {
            DmapError::NoSuchMailbox => (Code::Nonexistent, "No such mailbox".to_string()),
            DmapError::MailboxExists => (Code::AlreadyExists, "Mailbox already exists".to_string()),
            DmapError::NoSuchMessage => (Code::Nonexistent, "No such message".to_string()),
            DmapError::StoreRefused(text) => (Code::Cannot, text),
            DmapError::StoreUnavailable(text) => (Code::Unavailable, text),
            DmapError::Signet(error) => (Code::Cannot, format!("Signet refused: {error}")),
            other => (Code::Unavailable, other.to_string()),
        };
        self.done(tag, command, StatusKind::No, Some(code), &text);
    }

    fn bad_counted(&mut self) {
        self.errors += 1;
        if self.errors >= self.config.limits.max_errors {
            self.close(text::BYE_ERRORS);
        }
    }

    fn end(&mut self) {
        self.phase = Phase::Closed;
        self.pending = None;
        self.fragments.clear();
    }

    // --- input --------------------------------------------------------------------------

    fn fragment(&mut self, fragment: Fragment) {
        match fragment {
            Fragment::Message(bytes) => match core::mem::replace(&mut self.phase, Phase::Command) {
                Phase::Command => self.command(&bytes),
                Phase::Authenticating { tag, step } => self.auth_line(tag, step, &bytes),
                Phase::Idling { tag } => self.idle_line(tag, &bytes),
                phase @ (Phase::AwaitingTls | Phase::Resolving { .. } | Phase::Fetching(_) | Phase::Closed) => {
                    self.phase = phase;
                }
            },
            Fragment::Announced { length, mode, fits } => self.announced(length, mode, fits),
            Fragment::LineTooLong { head } => self.line_too_long(&head, false),
            Fragment::MessageTooLong { head } => self.line_too_long(&head, true),
        }
    }

    /// The refusal of a command that passes the whole-command limit before authentication.
    fn prelogin_too_big(&self) -> String {
        let limit = self.config.limits.max_prelogin_command;
        format!("Command is over the limit of {limit} bytes before authentication")
    }

    fn announced(&mut self, length: u64, mode: LiteralMode, fits: bool) {
        let limits = self.config.limits;
        // Before authentication the whole command, all its literals together, must stay under
        // `max_prelogin_command` (the fragmentizer's message limit until login).
        let limit = if self.user.is_some() { limits.max_literal } else { limits.max_prelogin_command };
        let over_command = self.user.is_none()
            && (self.fragments.current().len() as u64).saturating_add(length) > limits.max_prelogin_command as u64;
        let fits = fits && length <= limit as u64 && !over_command;
        let tag = Command::parse_tag(self.fragments.current());
        if over_command && (mode == LiteralMode::Sync || length <= limits.max_non_sync_literal as u64) {
            let text = self.prelogin_too_big();
            if mode == LiteralMode::NonSync {
                // The data is already on its way and cannot be told apart from commands.
                self.status(tag, StatusKind::Bad, Some(Code::TooBig), &text);
                self.close(text::BYE_NON_SYNC);
            } else {
                self.fragments.discard_message();
                self.status(tag, StatusKind::No, Some(Code::TooBig), &text);
            }
            return;
        }
        if mode == LiteralMode::NonSync && (!fits || length > limits.max_non_sync_literal as u64) {
            let text = format!(
                "Non-synchronizing literal of {length} bytes is over the limit of {}",
                limits.max_non_sync_literal.min(limit)
            );
            self.status(tag, StatusKind::Bad, Some(Code::TooBig), &text);
            self.close(text::BYE_NON_SYNC);
            return;
        }
        if !fits {
            self.fragments.discard_message();
            let text = format!("Literal of {length} bytes is over the limit of {limit}");
            self.status(tag, StatusKind::No, Some(Code::TooBig), &text);
            return;
        }
        self.fragments.accept_literal();
        if mode == LiteralMode::Sync {
            self.respond(Response::Continue(text::CONTINUE_LITERAL.as_bytes().to_vec()));
        }
    }

    fn line_too_long(&mut self, head: &[u8], message: bool) {
        let tag = match core::mem::replace(&mut self.phase, Phase::Command) {
            Phase::Authenticating { tag, .. } | Phase::Idling { tag } => {
                self.fragments.set_literals(true);
                Some(tag)
            }
            _ => Command::parse_tag(head),
        };
        let text = match message {
            false => format!("Line is longer than {} bytes", self.config.limits.max_line),
            true if self.user.is_none() => self.prelogin_too_big(),
            true => format!("Command is over the limit of {} bytes", self.config.limits.max_message),
        };
        self.status(tag, StatusKind::Bad, Some(Code::TooBig), &text);
    }

    /// A status for a command that could not be parsed: tagged when the tag is known. `BAD`
    /// counts towards the error limit.
    fn status(&mut self, tag: Option<Tag>, kind: StatusKind, code: Option<Code>, text: &str) {
        let status = match tag {
            Some(tag) => Status::tagged(tag, kind, code, text),
            None => Status::untagged(kind, code, text),
        };
        self.respond(Response::Status(status));
        if kind == StatusKind::Bad {
            self.bad_counted();
        }
    }

    fn command(&mut self, bytes: &[u8]) {
        let limits = crate::codec::ParseLimits::from(&self.config.limits);
        match Command::parse(bytes, &limits) {
            Ok(command) => self.execute(command),
            Err(error) => {
                let tag = Command::parse_tag(bytes);
                let text = match (&tag, &error) {
                    (None, _) => text::NO_TAG.to_string(),
                    (Some(tag), _) if bytes.get(tag.as_str().len()..) == Some(b"\r\n") => {
                        text::MISSING_COMMAND.to_string()
                    }
                    (Some(_), DmapError::UnknownCommand(_)) => text::UNKNOWN.to_string(),
                    (Some(_), error) => format!("Invalid arguments: {error}"),
                };
                self.status(tag, StatusKind::Bad, None, &text);
            }
        }
    }

    fn allowed(&self, body: &CommandBody) -> bool {
        let state = self.state();
        match body {
            CommandBody::Capability | CommandBody::Noop | CommandBody::Logout | CommandBody::Id(_) => true,
            // RFC 5161 §3.1: ENABLE is valid in the authenticated state only.
            CommandBody::Enable(_) => state == State::Authenticated,
            CommandBody::StartTls | CommandBody::Authenticate { .. } | CommandBody::Login { .. } => {
                state == State::NotAuthenticated
            }
            CommandBody::Fetch { .. }
            | CommandBody::Store { .. }
            | CommandBody::Expunge
            | CommandBody::Close
            | CommandBody::Check
            | CommandBody::Search { .. }
            | CommandBody::Copy { .. }
            | CommandBody::Move { .. }
            | CommandBody::UidExpunge(_) => state == State::Selected,
            _ => matches!(state, State::Authenticated | State::Selected),
        }
    }

    /// Executes a command that needs no store, or parks it for [`ServerSession::run_store`].
    fn execute(&mut self, command: Command) {
        let Command { tag, body } = command;
        let name = body.name();
        if !self.allowed(&body) {
            let text = format!("{name} is not allowed in the {} state", self.state().name());
            self.done(&tag, name, StatusKind::Bad, None, &text);
            return;
        }
        match body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.respond(Response::Data(crate::codec::Data::Capability(caps)));
                self.ok(&tag, name);
            }
            CommandBody::Logout => {
                self.respond(Response::Status(Status::untagged(StatusKind::Bye, None, text::BYE_LOGOUT)));
                self.ok(&tag, name);
                self.end();
            }
            CommandBody::StartTls => self.starttls(&tag),
            CommandBody::Authenticate { mechanism, initial } => self.authenticate(tag, &mechanism, initial),
            CommandBody::Login { .. } => {
                self.done(&tag, name, StatusKind::No, Some(Code::Cannot), text::LOGIN_DISABLED);
            }
            CommandBody::Fetch { uid, set, items } => self.fetch(tag, uid, set, &items),
            CommandBody::Id(_) => {
                // What the client says about itself is not needed; the answer names no version.
                let fields = vec![("name".into(), "dime-rs".into())];
                self.respond(Response::Data(crate::codec::Data::Id(fields)));
                self.ok(&tag, name);
            }
            CommandBody::Enable(_) => {
                // No capability of this server needs enabling (none changes the protocol).
                self.respond(Response::Data(crate::codec::Data::Enabled(Vec::new())));
                self.ok(&tag, name);
            }
            body => self.pending = Some(Pending::Command(tag, body)),
        }
    }

    /// Executes a command parked by [`ServerSession::execute`].
    async fn execute_store(&mut self, tag: Tag, body: CommandBody) {
        let name = body.name();
        match body {
            CommandBody::Noop | CommandBody::Check => {
                self.sync_mailbox().await;
                self.ok(&tag, name);
            }
            CommandBody::List { reference, pattern } => self.list(&tag, &reference, &pattern).await,
            CommandBody::Fetch { uid, set, items } => self.fetch_budget(tag, uid, set, items).await,
            CommandBody::Search { uid, criteria } => self.search(&tag, uid, &criteria).await,
            CommandBody::Select(mailbox) => self.select(&tag, mailbox, false).await,
            CommandBody::Examine(mailbox) => self.select(&tag, mailbox, true).await,
            CommandBody::Status { mailbox, items } => self.mailbox_status(&tag, &mailbox, &items).await,
            CommandBody::Store { uid, set, mode, silent, flags } => {
                self.store_flags(&tag, uid, &set, mode, silent, &flags).await;
            }
            CommandBody::Expunge => self.expunge(&tag).await,
            CommandBody::Close => self.close_mailbox(&tag).await,
            CommandBody::Idle => self.idle(tag).await,
            CommandBody::Append { mailbox, flags, date, object } => {
                self.append(&tag, &mailbox, &flags, date, object).await;
            }
            CommandBody::Submit { object } => self.submit(&tag, object).await,
            CommandBody::SignetRequest { request } => self.signet_request(&tag, &request).await,
            CommandBody::SignetLookup { address } => self.signet_lookup(tag, address).await,
            CommandBody::KeyfileStore { shard, envelope } => self.keyfile_store(&tag, shard, envelope).await,
            CommandBody::KeyfileFetch => self.keyfile_fetch(&tag).await,
            CommandBody::Create(mailbox) => self.create(&tag, &mailbox).await,
            CommandBody::Delete(mailbox) => self.delete(&tag, &mailbox).await,
            CommandBody::Rename { from, to } => self.rename(&tag, &from, &to).await,
            CommandBody::Subscribe(mailbox) => self.subscribe(&tag, &mailbox, true).await,
            CommandBody::Unsubscribe(mailbox) => self.subscribe(&tag, &mailbox, false).await,
            CommandBody::Lsub { reference, pattern } => self.lsub(&tag, &reference, &pattern).await,
            CommandBody::Copy { uid, set, mailbox } => self.copy(&tag, uid, &set, &mailbox, false).await,
            CommandBody::Move { uid, set, mailbox } => self.copy(&tag, uid, &set, &mailbox, true).await,
            CommandBody::UidExpunge(set) => self.uid_expunge(&tag, &set).await,
            // `execute` answers the rest itself.
            body => self.execute(Command { tag, body }),
        }
    }

    fn starttls(&mut self, tag: &Tag) {
        let name = "STARTTLS";
        if self.tls {
            self.done(tag, name, StatusKind::Bad, None, text::TLS_ACTIVE);
        } else if !self.config.starttls {
            self.done(tag, name, StatusKind::Bad, None, text::TLS_UNAVAILABLE);
        } else {
            self.done(tag, name, StatusKind::Ok, None, text::BEGIN_TLS);
            // Nothing the client pipelined in the clear may be read as if it came over TLS.
            self.fragments.clear();
            self.phase = Phase::AwaitingTls;
            self.event(Event::StartTls);
        }
    }

    async fn idle(&mut self, tag: Tag) {
        self.respond(Response::Continue(b"idling".to_vec()));
        self.sync_mailbox().await;
        self.fragments.set_literals(false);
        self.phase = Phase::Idling { tag };
    }

    fn idle_line(&mut self, tag: Tag, line: &[u8]) {
        self.fragments.set_literals(true);
        if line.eq_ignore_ascii_case(b"DONE\r\n") {
            self.done(&tag, "IDLE", StatusKind::Ok, None, "IDLE terminated");
        } else {
            self.done(&tag, "IDLE", StatusKind::Bad, None, "Expected DONE");
        }
    }
}
