//! The tokio + rustls driver (cargo feature `tokio`): moves bytes between a socket and a
//! [`ServerSession`] or [`ClientSession`], runs TLS handshakes, and wakes idling sessions.
//!
//! TLS follows D5, as DMTP's driver does: rustls with the *ring* provider, TLS 1.3 and 1.2,
//! AES-256-GCM and ChaCha20-Poly1305 only ([`dime_net::tls::provider`]). A server's chain and key
//! come as a [`ServerIdentity`] ([`acceptor`]), a client's roots as [`Roots`] ([`connector`]),
//! the same two types the DMTP driver takes.
//!
//! The accept loop, the connection caps, the handshake deadline and graceful shutdown are
//! dime-net's ([`Listener`], [`EdgeConfig`]), shared with the DMTP driver; the client's connects
//! and handshakes run under [`Dial`]'s default deadlines.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use dime_dmap::driver::{self, ServerIdentity};
//! use dime_dmap::sasl::DecoySecret;
//! use dime_dmap::server::{ServerConfig, ServerSession};
//! use dime_dmap::store::MemoryStore;
//!
//! let store = Arc::new(MemoryStore::new());
//! let identity = ServerIdentity::from_pem_files("fullchain.pem", "privkey.pem")?;
//! let acceptor = driver::acceptor(&identity)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(driver::io)?;
//! let decoy = DecoySecret::generate()?;
//! driver::listen(listener, acceptor, move || {
//!     let now = std::time::Instant::now();
//!     ServerSession::new(ServerConfig::new("example.org", decoy.clone()), store.clone(), now)
//! }, driver::Hooks::default()).await?;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use dime_core::stacie::{ClientKeys, Password, Salt, Username};
/// The TLS setup both drivers share, re-exported: a server's chain and key, a client's roots.
pub use dime_net::tls::{Roots, ServerIdentity, TlsSetupError};
pub use dime_net::{Dial, EdgeConfig, Handle, Listener};
use dime_net::{Phase, Refusal};
use dime_signet::Signet;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
pub use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::client::{ClientEvent, ClientSession};
use crate::codec::{CommandBody, Data, FetchAttr, FetchItem, SequenceSet, Status, StatusKind};
use crate::error::{DmapError, Result};
use crate::limits::SessionLimits;
use crate::server::{Event, ServerSession};
use crate::session::Interrupt;
use crate::store::Store;

mod calls;
mod trace;
pub use calls::{Fetched, Idle, IdleUpdate, ListedMailbox, MailboxStatus, SignetTrust};
use trace::Ending;

/// Runs the STACIE derivation for `challenge` on the blocking pool: the keys and the token.
async fn stretch(
    username: &str,
    password: &[u8],
    challenge: crate::sasl::Challenge,
) -> Result<(Login, dime_core::stacie::EphemeralToken)> {
    let username = username.as_bytes().to_vec();
    let password = zeroize::Zeroizing::new(password.to_vec());
    let derive = move || -> Result<(Login, dime_core::stacie::EphemeralToken)> {
        let keys = ClientKeys::derive(
            &Username::new(&username)?,
            &Password::new(&password)?,
            &challenge.salt,
            challenge.bonus,
        );
        let token = keys.ephemeral_token(&challenge.nonce);
        Ok((Login { keys, salt: challenge.salt }, token))
    };
    tokio::task::spawn_blocking(derive).await.map_err(|_| DmapError::Unexpected("the STACIE derivation task failed"))?
}

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// How long the async client waits for the server's next bytes by default.
pub const CLIENT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The refusal of a connection over [`EdgeConfig::max_connections`] (inside TLS on an
/// implicit-TLS port, in the clear on a STARTTLS port).
pub const REFUSAL_LISTENER_FULL: &str = "* BYE [UNAVAILABLE] Too many connections\r\n";

/// The refusal of a connection over [`EdgeConfig::max_per_source`].
pub const REFUSAL_SOURCE_FULL: &str = "* BYE [UNAVAILABLE] Too many connections from your address\r\n";

/// Maps an I/O error to [`DmapError::Io`].
pub fn io(error: std::io::Error) -> DmapError {
    DmapError::Io(error.to_string())
}

/// A missed connect or handshake deadline, or the failure of either, as [`DmapError::Io`].
fn edge(error: dime_net::Error) -> DmapError {
    match error {
        dime_net::Error::Timeout { phase: Phase::Connect, after } => DmapError::Timeout { what: "TCP connect", after },
        dime_net::Error::Timeout { after, .. } => DmapError::Timeout { what: "TLS handshake", after },
        dime_net::Error::Io(error) => io(error),
    }
}

/// The server's TLS handshake within `limit`.
async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    limit: Duration,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>> {
    dime_net::within(Phase::Handshake, limit, acceptor.accept(tcp)).await.map_err(edge)
}

fn tls(error: rustls::Error) -> DmapError {
    DmapError::Tls(error.to_string())
}

/// D5's TLS profile, the one DMTP uses too.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    dime_net::tls::provider()
}

/// The TLS acceptor of a server with `identity` (D5's profile,
/// [`ServerIdentity::server_config`]); [`ServerIdentity::from_pem_files`] loads the chain and key
/// from PEM files. The DMTP driver's `acceptor` takes the same identity.
///
/// Errors: [`DmapError::Tls`] when rustls refuses the pair.
pub fn acceptor(identity: &ServerIdentity) -> Result<TlsAcceptor> {
    let config = identity.server_config().map_err(|e| DmapError::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(config))
}

/// A TLS connector (D5's profile) that checks server certificates against `roots`.
///
/// Errors: [`DmapError::Tls`] naming the file or store when the roots cannot be loaded.
pub fn connector(roots: &Roots) -> Result<TlsConnector> {
    let roots = roots.load().map_err(|e| DmapError::Tls(e.to_string()))?;
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The text of `NO [UNAVAILABLE]` for a signet resolution that missed its deadline
/// ([`SessionLimits::store_timeout`](crate::SessionLimits)).
pub const RESOLUTION_LATE: &str = "Signet resolution did not finish in time";

/// A resolution of another organisation's signet, as [`Hooks::signets`] starts it. The driver
/// gives it [`SessionLimits::store_timeout`](crate::SessionLimits) to finish.
pub type SignetFuture = Pin<Box<dyn Future<Output = Result<Option<Signet>>> + Send>>;

/// What a server's connections need beyond their sessions: shared by all of them.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Wakes idling sessions when mail changed: the application calls `notify_waiters` when it
    /// stores new mail, and the driver does on every [`Event::MailboxChanged`] of its sessions,
    /// so an APPEND in one session reaches an IDLE in another. Give every session of one store
    /// the same `Notify`.
    pub changes: Option<Arc<Notify>>,
    /// Resolves and validates a signet the store says another organisation holds
    /// ([`Event::SignetLookup`]), usually with dime-dmtp's resolver. Without it such a lookup is
    /// answered `NO [NONEXISTENT]`.
    pub signets: Option<Arc<dyn Fn(String) -> SignetFuture + Send + Sync>>,
}

impl core::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hooks")
            .field("changes", &self.changes.is_some())
            .field("signets", &self.signets.is_some())
            .finish()
    }
}

/// How [`drive`] stopped.
enum Exit {
    /// The session closed itself.
    Closed,
    /// The peer closed the stream.
    PeerClosed,
    StartTls,
}

/// Runs `session` over `stream` until it closes or asks for TLS. Output is written (and
/// flushed) in the order the session returns it; input is read only when the session needs
/// more, one chunk at a time, so at most one chunk is buffered beyond the current command.
/// While waiting for input it also waits for the session's deadline
/// ([`ServerSession::poll_timeout`]) and lets the session end itself when it passes.
async fn drive<IO, S>(
    stream: &mut IO,
    session: &mut ServerSession<S>,
    hooks: &Hooks,
    trace: &mut trace::Connection,
) -> Result<Exit>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    S: Store,
{
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        match session.next() {
            Ok(Event::StartTls) => return Ok(Exit::StartTls),
            Ok(Event::LoggedIn { user }) => trace.logged_in(&user),
            Ok(Event::CommandDone { tag, command, kind }) => trace.done(&tag, command, kind),
            Ok(Event::SignetLookup { address }) => {
                // A resolution reaches other organisations' servers: it gets the store's
                // deadline, and a late one is answered like an unavailable store.
                let answer = match &hooks.signets {
                    Some(resolve) => match tokio::time::timeout(session.limits().store_timeout, resolve(address)).await
                    {
                        Ok(answer) => answer,
                        Err(_) => Err(DmapError::StoreUnavailable(RESOLUTION_LATE.into())),
                    },
                    None => Ok(None),
                };
                session.signet_resolved(answer)?;
            }
            Ok(Event::MailboxChanged { .. }) => {
                if let Some(notify) = &hooks.changes {
                    notify.notify_waiters();
                }
            }
            Err(Interrupt::Output(bytes)) => {
                trace.output(&bytes);
                stream.write_all(&bytes).await.map_err(io)?;
                stream.flush().await.map_err(io)?;
            }
            Err(Interrupt::Closed) => {
                let _ = stream.shutdown().await;
                return Ok(Exit::Closed);
            }
            // A command's store work: run it within its deadline; no input is read meanwhile.
            Err(Interrupt::Store) => {
                let limit = session.limits().store_timeout;
                if tokio::time::timeout(limit, session.run_store()).await.is_err() {
                    session.abandon_store();
                }
            }
            // Every lookup is answered above, as soon as its event arrives.
            Err(Interrupt::AwaitingAnswer) => return Err(DmapError::NotWaiting("a lookup the driver was told of")),
            Err(Interrupt::NeedMoreInput) => {
                let deadline = session.poll_timeout();
                let timeout = async {
                    match deadline {
                        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                        None => std::future::pending().await,
                    }
                };
                let changed = async {
                    match &hooks.changes {
                        Some(notify) => notify.notified().await,
                        None => std::future::pending().await,
                    }
                };
                let read = tokio::select! {
                    read = stream.read(&mut buffer) => read,
                    () = changed => {
                        session.refresh();
                        continue;
                    }
                    () = timeout => {
                        session.handle_timeout(std::time::Instant::now());
                        trace.timed_out();
                        continue;
                    }
                };
                let n = read.map_err(io)?;
                if n == 0 {
                    return Ok(Exit::PeerClosed);
                }
                session.enqueue_input(std::time::Instant::now(), buffer.get(..n).unwrap_or_default());
            }
        }
    }
}

/// Serves one connection with implicit TLS (the handshake comes first, then the greeting). The
/// handshake must finish within [`EdgeConfig::handshake_timeout`]'s default; [`listen`] uses
/// its listener's.
///
/// Errors: [`DmapError::Io`] (a late handshake among them), [`DmapError::Tls`].
pub async fn serve_tls<S: Store>(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    session: ServerSession<S>,
    hooks: &Hooks,
) -> Result<()> {
    serve_tls_within(tcp, acceptor, session, hooks, EdgeConfig::new().handshake_timeout).await
}

async fn serve_tls_within<S: Store>(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    mut session: ServerSession<S>,
    hooks: &Hooks,
    limit: Duration,
) -> Result<()> {
    let mut trace = trace::Connection::accepted(tcp.peer_addr().ok());
    let served = async {
        let mut stream = handshake(acceptor, tcp, limit).await?;
        trace.tls(stream.get_ref().1);
        session.tls_started();
        drive(&mut stream, &mut session, hooks, &mut trace).await
    }
    .await;
    ended(&trace, served)
}

/// Reports how a connection ended; the result without the way it stopped.
fn ended(trace: &trace::Connection, served: Result<Exit>) -> Result<()> {
    trace.ended(match &served {
        Ok(Exit::PeerClosed) => Ending::PeerClosed,
        Ok(_) => Ending::Closed,
        Err(error) => Ending::Failed(error),
    });
    served.map(|_| ())
}

/// The refusal of [`serve_starttls`] for a session that believes TLS is already up.
pub const CLEARTEXT_SESSION_CLAIMS_TLS: &str =
    "a connection served in the clear needs a session configured without TLS (ServerConfig::tls = false)";

/// Serves one connection that starts in the clear and may switch to TLS with `STARTTLS`
/// (configure the session with `tls: false, starttls: true`). The handshake after `STARTTLS`
/// must finish within [`EdgeConfig::handshake_timeout`]'s default; [`listen_starttls`] uses its
/// listener's.
///
/// Errors: [`DmapError::Tls`] with [`CLEARTEXT_SESSION_CLAIMS_TLS`], before a byte is sent,
/// when the session was configured with `tls: true` (it would allow logins in the clear);
/// [`DmapError::Io`] (a late handshake among them), [`DmapError::Tls`] from the connection.
pub async fn serve_starttls<S: Store>(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    session: ServerSession<S>,
    hooks: &Hooks,
) -> Result<()> {
    serve_starttls_within(tcp, acceptor, session, hooks, EdgeConfig::new().handshake_timeout).await
}

async fn serve_starttls_within<S: Store>(
    mut tcp: TcpStream,
    acceptor: &TlsAcceptor,
    mut session: ServerSession<S>,
    hooks: &Hooks,
    limit: Duration,
) -> Result<()> {
    if session.is_tls() {
        return Err(DmapError::Tls(CLEARTEXT_SESSION_CLAIMS_TLS.into()));
    }
    let mut trace = trace::Connection::accepted(tcp.peer_addr().ok());
    let served = async {
        match drive(&mut tcp, &mut session, hooks, &mut trace).await? {
            Exit::StartTls => {
                let mut stream = handshake(acceptor, tcp, limit).await?;
                trace.tls(stream.get_ref().1);
                session.tls_started();
                drive(&mut stream, &mut session, hooks, &mut trace).await
            }
            exit => Ok(exit),
        }
    }
    .await;
    ended(&trace, served)
}

/// Accepts connections until shut down, serving each with implicit TLS on its own task with a
/// session from `make`; a [`TcpListener`](tokio::net::TcpListener) converts into a [`Listener`]
/// with the default [`EdgeConfig`]. Errors of one connection end only that connection;
/// transient accept errors (`EMFILE`, `ECONNABORTED`, ...) are survived. Connections over a cap
/// get [`REFUSAL_LISTENER_FULL`] or [`REFUSAL_SOURCE_FULL`] after the TLS handshake and are
/// closed. Returns once [`Handle::shutdown`] has run its course.
///
/// Errors: [`DmapError::Io`] when the listening socket fails for good.
pub async fn listen<S, F>(listener: impl Into<Listener>, acceptor: TlsAcceptor, make: F, hooks: Hooks) -> Result<()>
where
    S: Store + Send + 'static,
    F: Fn() -> ServerSession<S>,
{
    accept(listener.into(), acceptor, make, hooks, false).await
}

/// [`listen`] for a cleartext port: each connection is served with [`serve_starttls`], so
/// `make` must configure its sessions with `tls: false, starttls: true`; refusals are written in
/// the clear.
///
/// Errors: [`DmapError::Io`] when the listening socket fails for good.
pub async fn listen_starttls<S, F>(
    listener: impl Into<Listener>,
    acceptor: TlsAcceptor,
    make: F,
    hooks: Hooks,
) -> Result<()>
where
    S: Store + Send + 'static,
    F: Fn() -> ServerSession<S>,
{
    accept(listener.into(), acceptor, make, hooks, true).await
}

async fn accept<S, F>(listener: Listener, acceptor: TlsAcceptor, make: F, hooks: Hooks, starttls: bool) -> Result<()>
where
    S: Store + Send + 'static,
    F: Fn() -> ServerSession<S>,
{
    let limit = listener.config().handshake_timeout;
    let refusing = acceptor.clone();
    let serve = move |tcp: TcpStream, _| {
        let session = make();
        let acceptor = acceptor.clone();
        let hooks = hooks.clone();
        async move {
            let _ = if starttls {
                serve_starttls_within(tcp, &acceptor, session, &hooks, limit).await
            } else {
                serve_tls_within(tcp, &acceptor, session, &hooks, limit).await
            };
        }
    };
    let refuse = move |tcp: TcpStream, refusal: Refusal| {
        let acceptor = refusing.clone();
        async move {
            let line = match refusal {
                Refusal::SourceFull => REFUSAL_SOURCE_FULL,
                _ => REFUSAL_LISTENER_FULL,
            };
            if starttls {
                dime_net::refuse_with_line(tcp, line.as_bytes()).await;
            } else if let Ok(tls) = acceptor.accept(tcp).await {
                dime_net::refuse_with_line(tls, line.as_bytes()).await;
            }
        }
    };
    listener.run(serve, refuse).await.map_err(io)
}

/// What one command produced: the untagged data and statuses before its completion, and the
/// tagged status (always `OK`: `NO` and `BAD` are returned as [`DmapError::Rejected`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// Untagged data, in order.
    pub data: Vec<Data>,
    /// Untagged statuses, in order.
    pub statuses: Vec<Status>,
    /// The tagged status.
    pub status: Status,
}

/// An async DMAP client over any byte stream (normally TLS over TCP).
pub struct Client<IO> {
    stream: IO,
    session: ClientSession,
    buffer: Vec<u8>,
    greeting: Status,
    read_timeout: Duration,
    /// The STACIE keys of the login, for the key file's realm ([`Client::keyfile`]).
    login: Option<Box<Login>>,
}

/// What a STACIE login leaves the client: the keys derived and the account's salt.
struct Login {
    keys: ClientKeys,
    salt: Salt,
}

impl<IO> core::fmt::Debug for Client<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client").field("session", &self.session).finish_non_exhaustive()
    }
}

impl Client<tokio_rustls::client::TlsStream<TcpStream>> {
    /// Connects with TLS to `addr`, checking the certificate for `server_name`, and reads the
    /// greeting.
    ///
    /// Errors: [`DmapError::Io`], [`DmapError::Tls`], and the greeting's errors.
    pub async fn connect_tls(
        addr: SocketAddr,
        server_name: &str,
        connector: &TlsConnector,
        limits: SessionLimits,
    ) -> Result<Self> {
        let name = ServerName::try_from(server_name.to_owned()).map_err(|e| DmapError::Tls(e.to_string()))?;
        let dial = Dial::new();
        let tcp = dial.connect(addr).await.map_err(edge)?;
        let stream = dial.handshake(connector.connect(name, tcp)).await.map_err(edge)?;
        Client::start(stream, limits, true).await
    }
}

impl Client<TcpStream> {
    /// Connects in the clear to `addr`, reads the greeting, and upgrades with
    /// [`Client::starttls`].
    ///
    /// Errors: as [`Client::new`] and [`Client::starttls`].
    pub async fn connect_starttls(
        addr: SocketAddr,
        server_name: &str,
        connector: &TlsConnector,
        limits: SessionLimits,
    ) -> Result<Client<tokio_rustls::client::TlsStream<TcpStream>>> {
        let tcp = Dial::new().connect(addr).await.map_err(edge)?;
        Client::new(tcp, limits).await?.starttls(server_name, connector).await
    }

    /// Sends `STARTTLS`, runs the TLS handshake checking the certificate for `server_name`, then
    /// asks `CAPABILITY` again over TLS (what the server said in the clear is forgotten).
    ///
    /// Errors: [`DmapError::Rejected`] when the server refuses STARTTLS, [`DmapError::Tls`] for a
    /// bad name, [`DmapError::Io`] when the handshake fails (an untrusted certificate, say).
    pub async fn starttls(
        mut self,
        server_name: &str,
        connector: &TlsConnector,
    ) -> Result<Client<tokio_rustls::client::TlsStream<TcpStream>>> {
        let name = ServerName::try_from(server_name.to_owned()).map_err(|e| DmapError::Tls(e.to_string()))?;
        self.run(CommandBody::StartTls).await?;
        // The session announces the upgrade right after the tagged OK.
        if self.step().await? != ClientEvent::StartTls {
            return Err(DmapError::Unexpected("STARTTLS completed without an upgrade"));
        }
        let Client { stream, mut session, buffer, greeting, read_timeout, login } = self;
        let stream = Dial::new().handshake(connector.connect(name, stream)).await.map_err(edge)?;
        session.tls_started();
        let mut client = Client { stream, session, buffer, greeting, read_timeout, login };
        client.run(CommandBody::Capability).await?;
        Ok(client)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Client<IO> {
    /// Wraps a connected stream and reads the greeting. The stream counts as not protected by
    /// TLS: [`Client::authenticate_stacie`] is refused on it unless
    /// [`Client::allow_insecure_auth`] is called ([`Client::connect_tls`] and
    /// [`Client::starttls`] give clients that TLS protects).
    ///
    /// Errors: [`DmapError::Io`]; [`DmapError::Closed`] when the server greets with `BYE` or
    /// closes.
    pub async fn new(stream: IO, limits: SessionLimits) -> Result<Self> {
        Client::start(stream, limits, false).await
    }

    /// [`Client::new`]; `tls`: the stream is a TLS stream whose handshake is done.
    async fn start(stream: IO, limits: SessionLimits, tls: bool) -> Result<Self> {
        let mut session = ClientSession::new(limits);
        if tls {
            session.tls_started();
        }
        let mut client = Client {
            stream,
            session,
            buffer: vec![0u8; READ_CHUNK],
            greeting: Status::untagged(StatusKind::Bye, None, ""),
            read_timeout: CLIENT_READ_TIMEOUT,
            login: None,
        };
        loop {
            match client.step().await? {
                ClientEvent::Greeting(status) if status.kind == StatusKind::Bye => return Err(DmapError::Closed),
                ClientEvent::Greeting(status) => {
                    client.greeting = status;
                    return Ok(client);
                }
                ClientEvent::Failed(error) => return Err(error),
                _ => {}
            }
        }
    }

    /// Lets [`Client::authenticate_stacie`] run although TLS does not protect the connection
    /// ([`ClientSession::allow_insecure_auth`]).
    pub fn allow_insecure_auth(&mut self) {
        self.session.allow_insecure_auth();
    }

    /// How long to wait for the server's next bytes before failing with
    /// [`DmapError::Timeout`] ([`CLIENT_READ_TIMEOUT`] unless set).
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = timeout;
    }

    /// The greeting.
    pub fn greeting(&self) -> &Status {
        &self.greeting
    }

    /// The session (state, capabilities).
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// The next event; writes output and reads input as needed, each read waiting at most the
    /// read timeout.
    async fn step(&mut self) -> Result<ClientEvent> {
        let event = self.step_until(None).await?;
        event.ok_or(DmapError::Unexpected("a read without deadline ended without an event"))
    }

    /// The next event; writes output and reads input as needed. With `deadline`, `None` once
    /// it passes without an event (reads wait for it, not for the read timeout); without, each
    /// read waits at most the read timeout and then fails with [`DmapError::Timeout`].
    async fn step_until(&mut self, deadline: Option<tokio::time::Instant>) -> Result<Option<ClientEvent>> {
        loop {
            match self.session.next() {
                Ok(event) => return Ok(Some(event)),
                Err(Interrupt::Output(bytes)) => {
                    self.stream.write_all(&bytes).await.map_err(io)?;
                    self.stream.flush().await.map_err(io)?;
                }
                Err(Interrupt::Closed) => return Err(DmapError::Closed),
                // Only server sessions wait for answers.
                Err(Interrupt::AwaitingAnswer | Interrupt::Store) => {
                    return Err(DmapError::Unexpected("a client waiting for an answer"));
                }
                Err(Interrupt::NeedMoreInput) => {
                    let read = self.stream.read(&mut self.buffer);
                    let n = match deadline {
                        Some(deadline) => match tokio::time::timeout_at(deadline, read).await {
                            Ok(read) => read.map_err(io)?,
                            Err(_) => return Ok(None),
                        },
                        None => {
                            let after = self.read_timeout;
                            tokio::time::timeout(after, read)
                                .await
                                .map_err(|_| DmapError::Timeout { what: "the server's reply", after })?
                                .map_err(io)?
                        }
                    };
                    if n == 0 {
                        return Err(DmapError::Closed);
                    }
                    self.session.enqueue_input(self.buffer.get(..n).unwrap_or_default());
                }
            }
        }
    }

    /// Collects events until the command tagged `tag` completes.
    async fn complete(&mut self, tag: &crate::codec::Tag, password: Option<(&str, &[u8])>) -> Result<Completion> {
        let mut data = Vec::new();
        let mut statuses = Vec::new();
        let mut pending = None;
        loop {
            match self.step().await? {
                ClientEvent::Data(item) => data.push(item),
                ClientEvent::Status(status) => statuses.push(status),
                ClientEvent::Done { status, .. } if status.tag.as_ref() == Some(tag) => {
                    if status.kind != StatusKind::Ok {
                        return Err(DmapError::Rejected { kind: status.kind, code: status.code, text: status.text });
                    }
                    if pending.is_some() {
                        self.login = pending;
                    }
                    return Ok(Completion { data, statuses, status });
                }
                ClientEvent::Challenge(challenge) => {
                    let Some((username, password)) = password else {
                        return Err(DmapError::Unexpected("challenge outside AUTHENTICATE"));
                    };
                    let (login, token) = stretch(username, password, *challenge).await?;
                    self.session.answer_challenge(&token)?;
                    pending = Some(Box::new(login));
                }
                ClientEvent::Failed(error) => return Err(error),
                _ => {}
            }
        }
    }

    /// Sends a command and waits for its completion.
    ///
    /// Errors: [`DmapError::Rejected`] for `NO`/`BAD`, transport and protocol errors.
    pub async fn run(&mut self, body: CommandBody) -> Result<Completion> {
        let tag = self.session.send(body)?;
        self.complete(&tag, None).await
    }

    /// Logs in with `AUTHENTICATE STACIE`. The STACIE key stretching (up to 2^24 hash rounds)
    /// runs on tokio's blocking pool (`spawn_blocking`), not on this task's worker; the keys
    /// are kept for [`Client::keyfile`] and wiped when the client is dropped.
    ///
    /// Errors: [`DmapError::InsecureAuth`] when TLS does not protect the connection (see
    /// [`Client::allow_insecure_auth`]); [`DmapError::Rejected`] (`NO [AUTHENTICATIONFAILED]`
    /// for a wrong user or password), [`DmapError::Core`] for a password STACIE refuses.
    pub async fn authenticate_stacie(&mut self, username: &str, password: &[u8]) -> Result<Completion> {
        // Check the password before the exchange starts, so a refused one never reaches it.
        Password::new(password)?;
        let tag = self.session.authenticate_stacie(username)?;
        self.complete(&tag, Some((username, password))).await
    }

    /// The object bytes of message `seq` (`FETCH seq BINARY.PEEK[]`: the raw octets; `BODY[]`
    /// serves the armored form, `docs/dmap.md` §5).
    ///
    /// Errors: as [`Client::run`]; [`DmapError::Unexpected`] when the answer has no body.
    pub async fn fetch_object(&mut self, seq: u32) -> Result<Vec<u8>> {
        let items = vec![FetchAttr::Binary { peek: true, part: Vec::new(), partial: None }];
        let done = self.run(CommandBody::Fetch { uid: false, set: SequenceSet::single(seq)?, items }).await?;
        done.data
            .into_iter()
            .find_map(|data| match data {
                Data::Fetch { seq: s, items } if s == seq => items.into_iter().find_map(|item| match item {
                    FetchItem::Binary { data, .. } => data,
                    _ => None,
                }),
                _ => None,
            })
            .ok_or(DmapError::Unexpected("FETCH answer without BINARY[]"))
    }

    /// `LOGOUT`, then closes the stream.
    ///
    /// Errors: as [`Client::run`].
    pub async fn logout(mut self) -> Result<Completion> {
        let done = self.run(CommandBody::Logout).await?;
        let _ = self.stream.shutdown().await;
        Ok(done)
    }
}
