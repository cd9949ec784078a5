//! The tokio + rustls driver: runs [`ServerSession`]s and [`ClientSession`]s over TCP with TLS.
//!
//! * [`serve`] / [`serve_connection`]: a DMTP server, native or dual mode, answering the
//!   session's events from a [`ServerApp`]. The accept loop, the connection caps, the handshake
//!   deadline and graceful shutdown are dime-net's ([`Listener`], [`EdgeConfig`]), shared with
//!   the DMAP driver.
//! * [`Connection::connect`], [`deliver`], [`lookup`]: a DMTP client that checks the DX
//!   certificate (through a caller-supplied decision, usually
//!   [`check_certificate`](crate::resolve::check_certificate)) before it sends any request.
//!
//! Connects and client handshakes run under [`ClientTls::dial`]'s deadlines.
//!
//! TLS follows D5: TLS 1.3 preferred, TLS 1.2 allowed, ECDHE with AES-256-GCM or
//! ChaCha20-Poly1305 only ([`tls_provider`]); rustls with the `ring` provider.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use dime_core::Fingerprint;
/// The TLS setup both drivers share: a server's chain and key ([`ServerIdentity`], for
/// [`acceptor`]) and a client's trust roots ([`Roots`], for [`ClientTls::new`]), re-exported so
/// that neither needs a direct rustls or dime-net dependency.
pub use dime_net::tls::{Roots, ServerIdentity, TlsSetupError};
pub use dime_net::{Dial, EdgeConfig, Handle, Listener};
use dime_net::{Phase, Refusal};
use dime_signet::record::HostName;
use rustls::RootCertStore;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
/// The server side of TLS that [`serve`] and [`serve_connection`] run handshakes with; made by
/// [`acceptor`].
pub use tokio_rustls::TlsAcceptor;
use tokio_rustls::TlsConnector;

use crate::client::{ClientConfig, ClientEvent, ClientSession, ConnectMode, Delivery, Outcome, Request, RequestId};
use crate::error::{DmtpError, TimeoutPhase};
use crate::object::{CheckedMessage, DestinationCheck};
use crate::resolve::PresentedCertificate;
use crate::server::{
    Answer, ListenMode, ReceivedMessage, Rejection, ServerConfig, ServerEvent, ServerSession, SessionState,
    TransferEnvelope, Verification,
};
use crate::trace::{self, Ending};
use crate::wire::{Address, Name, TxId};

/// The refusal of a connection over [`EdgeConfig::max_connections`] (after the TLS handshake in
/// native mode, in the clear in dual mode).
pub const REFUSAL_LISTENER_FULL: &str = "421 TOO MANY CONNECTIONS - GOOD BYE\r\n";

/// The refusal of a connection over [`EdgeConfig::max_per_source`].
pub const REFUSAL_SOURCE_FULL: &str = "421 TOO MANY CONNECTIONS FROM YOUR ADDRESS - GOOD BYE\r\n";

/// The most bytes asked of the socket in one read.
const READ_CHUNK: usize = 64 * 1024;

/// The bytes asked of the socket in one read while the peer sends little.
const READ_MIN: usize = 4 * 1024;

/// The rustls `ring` provider restricted to D5's cipher suites: TLS 1.3 AES-256-GCM and
/// ChaCha20-Poly1305, TLS 1.2 ECDHE (ECDSA or RSA) with the same two AEADs. The same profile
/// serves DMAP ([`dime_net::tls::provider`]).
pub fn tls_provider() -> Arc<CryptoProvider> {
    dime_net::tls::provider()
}

fn tls_error(error: impl core::fmt::Display) -> DmtpError {
    DmtpError::Tls(error.to_string())
}

/// A missed connect or handshake deadline is [`DmtpError::Timeout`] with its phase.
fn edge_error(error: dime_net::Error) -> DmtpError {
    match error {
        dime_net::Error::Timeout { phase: Phase::Connect, .. } => DmtpError::Timeout { phase: TimeoutPhase::Connect },
        // The handshake, the edge's only other phase.
        dime_net::Error::Timeout { .. } => DmtpError::Timeout { phase: TimeoutPhase::TlsHandshake },
        dime_net::Error::Io(error) => error.into(),
    }
}

/// The TLS acceptor of a server with `identity` (D5's profile, [`ServerIdentity::server_config`]);
/// [`ServerIdentity::from_pem_files`] loads the chain and key from PEM files. The DMAP driver's
/// `acceptor` takes the same identity.
///
/// Errors: [`DmtpError::Tls`] when rustls refuses the pair.
pub fn acceptor(identity: &ServerIdentity) -> Result<TlsAcceptor, DmtpError> {
    Ok(TlsAcceptor::from(identity.server_config().map_err(tls_error)?))
}

/// Accepts any certificate during the handshake (checking only the handshake signatures); the
/// certificate is judged afterwards, as protocols.md §5 does.
#[derive(Debug)]
struct DeferredVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for DeferredVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The deadlines of outbound connections (`docs/dmtp.md` §10 gives the defaults and why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The TCP connect to one address. Default 10 s.
    pub connect_timeout: Duration,
    /// The TLS handshake (native: after the connect; dual: after `220 READY`). Default 10 s.
    pub handshake_timeout: Duration,
    /// Each reply, the banner included. Default 5 minutes ([`ClientConfig::new`]'s).
    pub reply_timeout: Duration,
    /// All the targets of one destination together (every host, address and port the
    /// resolution plans, up to a ready session): the one deadline a queue can count on.
    /// Default 60 s.
    pub targets_timeout: Duration,
}

impl ClientOptions {
    /// The defaults.
    pub const fn new() -> ClientOptions {
        ClientOptions {
            connect_timeout: Dial::new().connect_timeout,
            handshake_timeout: Dial::new().handshake_timeout,
            reply_timeout: crate::client::DEFAULT_REPLY_TIMEOUT,
            targets_timeout: Duration::from_secs(60),
        }
    }

    /// With another connect deadline.
    pub const fn with_connect_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.connect_timeout = timeout;
        self
    }

    /// With another handshake deadline.
    pub const fn with_handshake_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.handshake_timeout = timeout;
        self
    }

    /// With another deadline per reply.
    pub const fn with_reply_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.reply_timeout = timeout;
        self
    }

    /// With another deadline for all the targets of one destination.
    pub const fn with_targets_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.targets_timeout = timeout;
        self
    }

    /// The connect and handshake deadlines as dime-net's [`Dial`].
    pub const fn dial(&self) -> Dial {
        Dial::new().with_connect_timeout(self.connect_timeout).with_handshake_timeout(self.handshake_timeout)
    }
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions::new()
    }
}

/// The client side of TLS: the rustls configuration, the roots the chain check uses, and the
/// connection deadlines ([`ClientOptions`]).
#[derive(Debug, Clone)]
pub struct ClientTls {
    config: Arc<rustls::ClientConfig>,
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
    dial: Dial,
    options: ClientOptions,
}

impl ClientTls {
    /// A client that judges chains against `roots` ([`Roots::None`] makes every chain invalid,
    /// leaving only DNSSEC-secured `tls=` pins).
    ///
    /// Errors: [`DmtpError::Tls`] naming the file or store when the roots cannot be loaded.
    pub fn new(roots: &Roots) -> Result<ClientTls, DmtpError> {
        let roots = roots.load().map_err(tls_error)?;
        let provider = tls_provider();
        let algorithms = provider.signature_verification_algorithms;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(tls_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(DeferredVerifier { algorithms }))
            .with_no_client_auth();
        let options = ClientOptions::new();
        Ok(ClientTls { config: Arc::new(config), roots: Arc::new(roots), algorithms, dial: options.dial(), options })
    }

    /// With other connect and handshake deadlines (the defaults are [`Dial::new`]'s).
    pub fn with_dial(mut self, dial: Dial) -> ClientTls {
        self.dial = dial;
        self.options.connect_timeout = dial.connect_timeout;
        self.options.handshake_timeout = dial.handshake_timeout;
        self
    }

    /// With other deadlines.
    pub fn with_options(mut self, options: ClientOptions) -> ClientTls {
        self.dial = options.dial();
        self.options = options;
        self
    }

    /// The deadlines.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The connect and handshake deadlines.
    pub fn dial(&self) -> &Dial {
        &self.dial
    }

    /// The facts the certificate decision needs: does the leaf name `host`, does the chain hold.
    pub fn facts(&self, host: &HostName, chain: &[CertificateDer<'_>]) -> (bool, bool) {
        let Some((leaf, intermediates)) = chain.split_first() else { return (false, false) };
        let Ok(parsed) = ParsedCertificate::try_from(leaf) else { return (false, false) };
        let name = ServerName::try_from(host.as_str()).map(|n| n.to_owned());
        let hostname = name.is_ok_and(|n| verify_server_name(&parsed, &n).is_ok());
        let chain_ok = verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &self.roots,
            intermediates,
            UnixTime::now(),
            self.algorithms.all,
        )
        .is_ok();
        (hostname, chain_ok)
    }
}

/// Where the bytes of one received object go while they arrive (a file, a queue, memory).
///
/// The driver writes the object's pieces in order, then calls exactly one of
/// [`Spool::commit`] (all bytes arrived, the hash matched and the destination check passed) or
/// [`Spool::abort`] (anything else: a wrong hash, an invalid object, a refusal, a timeout, a lost
/// connection). Implement the methods as `async fn`s.
pub trait Spool: Send {
    /// Stores the next bytes; a refusal ends the transaction with its reply once the object
    /// was read (the spool is aborted at once and gets no more bytes).
    fn write(&mut self, bytes: &[u8]) -> impl Future<Output = Result<(), Rejection>> + Send;
    /// Makes the checked object durable; `Ok` sends `250 OK [txid]`, a refusal its reply (the
    /// spool then cleans up after itself).
    fn commit(self, message: CheckedMessage) -> impl Future<Output = Result<(), Rejection>> + Send;
    /// Discards everything written.
    fn abort(self) -> impl Future<Output = ()> + Send;
}

/// The spool of a server that stores no messages, one that only answers lookups: it has no
/// values, so such a server's [`ServerApp::open_spool`] can only refuse, and no byte is kept.
#[derive(Debug)]
pub enum NoSpool {}

impl Spool for NoSpool {
    async fn write(&mut self, _: &[u8]) -> Result<(), Rejection> {
        match *self {}
    }
    async fn commit(self, _: CheckedMessage) -> Result<(), Rejection> {
        match self {}
    }
    async fn abort(self) {
        match self {}
    }
}

/// Answers a server session's events. Each answer is a future, so an answer may itself wait on
/// the network (resolving the origin's org signet before checking an object, say); the session
/// waits for it. Implement the methods as `async fn`s.
///
/// A message object is never held whole: its bytes stream into the [`Spool`] that
/// [`ServerApp::open_spool`] gives and through a [`DestinationCheck`], and only an object whose
/// size, hash and check passed reaches [`Spool::commit`].
pub trait ServerApp: Send + Sync + 'static {
    /// Where received objects are stored.
    type Spool: Spool;
    /// `SGNT`: the signet's bytes, or `None`.
    fn signet(&self, name: &Name, fingerprint: Option<&Fingerprint>) -> impl Future<Output = Option<Vec<u8>>> + Send;
    /// `HIST`: the chain, oldest first; empty when unknown.
    fn history(
        &self,
        address: &Address,
        start: &Fingerprint,
        end: Option<&Fingerprint>,
    ) -> impl Future<Output = Vec<Vec<u8>>> + Send;
    /// `VRFY`.
    fn verify(&self, name: &Name, fingerprint: &Fingerprint) -> impl Future<Output = Verification> + Send;
    /// `STATS`.
    fn stats(&self) -> impl Future<Output = Vec<(String, u64)>> + Send {
        async { Vec::new() }
    }
    /// `DATA` began for `envelope`: the spool its bytes go to. A refusal becomes the reply once
    /// the object was read (its bytes are dropped).
    fn open_spool(&self, envelope: &TransferEnvelope) -> impl Future<Output = Result<Self::Spool, Rejection>> + Send;
    /// The object arrived whole with the right size and hash and its bytes passed the streaming
    /// part of the check: finish the check as the destination (resolve the origin's org signet
    /// for `message.envelope`, then [`DestinationCheck::finish`]). Only the [`CheckedMessage`]
    /// this returns is committed to the spool.
    fn check(
        &self,
        message: &ReceivedMessage,
        check: DestinationCheck,
    ) -> impl Future<Output = Result<CheckedMessage, Rejection>> + Send;
}

/// The object being received: its spool (or the refusal that ended it). The session feeds the
/// object's [`DestinationCheck`] itself, from the same reads as the `DATA` hash.
struct Transfer<S> {
    spool: Result<S, Rejection>,
}

impl<S: Spool> Transfer<S> {
    /// Writes the next piece; the first failure (of the spool, or of the check, `failed`)
    /// aborts the spool.
    async fn piece(&mut self, bytes: &[u8], failed: bool) {
        let failed = match (failed, &mut self.spool) {
            (_, Err(_)) => return,
            (true, Ok(_)) => Rejection::InvalidObject,
            (false, Ok(spool)) => match spool.write(bytes).await {
                Ok(()) => return,
                Err(rejection) => rejection,
            },
        };
        if let Ok(spool) = core::mem::replace(&mut self.spool, Err(failed)) {
            spool.abort().await;
        }
    }

    /// The verdict on a complete object: the app's check, then the spool's commit.
    async fn finish<A: ServerApp<Spool = S>>(
        self,
        app: &A,
        message: &ReceivedMessage,
        check: Option<DestinationCheck>,
    ) -> Result<(), Rejection> {
        let spool = self.spool?;
        let Some(check) = check else {
            spool.abort().await;
            return Err(Rejection::TemporaryFailure);
        };
        let checked = match app.check(message, check).await {
            Ok(checked) => checked,
            Err(rejection) => {
                spool.abort().await;
                return Err(rejection);
            }
        };
        spool.commit(checked).await
    }

    async fn abort(self) {
        if let Ok(spool) = self.spool {
            spool.abort().await;
        }
    }
}

/// How a served connection ended.
#[derive(Debug)]
pub enum Served {
    /// The session ended (QUIT, timeout, violations, or the client left).
    Closed,
    /// Dual mode with hand-off: the client speaks SMTP; here is the plaintext connection and its
    /// first line.
    SmtpHandoff {
        /// The connection.
        stream: TcpStream,
        /// The first SMTP line, CRLF included.
        line: Vec<u8>,
    },
}

enum Pumped {
    /// The session closed itself.
    Closed,
    /// The peer closed the stream.
    PeerClosed,
    StartTls,
    Handoff(Vec<u8>),
}

fn now() -> Instant {
    Instant::now()
}

/// What a session has read from its socket and not yet taken. It asks the socket for
/// [`READ_MIN`] bytes while the peer is quiet, so an idle session holds little, doubles the read
/// size up to [`READ_CHUNK`] while reads fill it (an object in `DATA`), and gives the space
/// back once drained.
///
/// Object bytes are handed to the session as `Bytes` ([`Inbound::feed_shared`]), so that its data
/// events share the read buffer instead of copying it; what the session leaves of them waits in
/// `front`, which is fed first.
#[derive(Debug, Default)]
struct Inbound {
    front: Bytes,
    buf: BytesMut,
    /// Bytes the next read asks for.
    want: usize,
}

impl Inbound {
    /// Reads until the deadline; `Ok(None)` when it passed, `Ok(Some(0))` at EOF.
    async fn read_until<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        deadline: Option<Instant>,
    ) -> Result<Option<usize>, DmtpError> {
        let want = self.want.clamp(READ_MIN, READ_CHUNK);
        if self.buf.is_empty() && self.buf.capacity() > want {
            self.buf = BytesMut::new();
        }
        self.buf.reserve(want);
        let spare = self.buf.capacity() - self.buf.len();
        let read = match deadline {
            Some(deadline) => {
                let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline));
                tokio::select! {
                    read = stream.read_buf(&mut self.buf) => read?,
                    () = sleep => return Ok(None),
                }
            }
            None => stream.read_buf(&mut self.buf).await?,
        };
        self.want = if read >= spare { want.saturating_mul(2) } else { READ_MIN };
        Ok(Some(read))
    }

    /// Hands the buffered input to a session (`enqueue` says how much it took); true when it
    /// took some, so the session may have output or events before anything more is read.
    fn feed(&mut self, enqueue: impl FnOnce(&[u8]) -> usize) -> bool {
        if !self.front.is_empty() {
            let taken = enqueue(&self.front);
            self.advance_front(taken);
            return taken > 0;
        }
        if self.buf.is_empty() {
            return false;
        }
        let taken = enqueue(&self.buf);
        self.buf.advance(taken);
        taken > 0
    }

    /// [`Inbound::feed`] with the input frozen into `Bytes`, for a session reading an object
    /// ([`ServerSession::enqueue_bytes`]).
    fn feed_shared(&mut self, enqueue: impl FnOnce(&Bytes) -> usize) -> bool {
        if self.front.is_empty() {
            if self.buf.is_empty() {
                return false;
            }
            self.front = self.buf.split().freeze();
        }
        let taken = enqueue(&self.front);
        self.advance_front(taken);
        taken > 0
    }

    /// Drops `taken` bytes of `front`, and its buffer with the last of them: an empty slice
    /// would keep a whole read buffer alive in an idle session.
    fn advance_front(&mut self, taken: usize) {
        self.front.advance(taken);
        if self.front.is_empty() {
            self.front = Bytes::new();
        }
    }

    /// Drops what was read (plaintext that arrived before a TLS handshake).
    fn clear(&mut self) {
        self.front.clear();
        self.buf.clear();
    }
}

/// Writes everything `next` hands out, then flushes: TLS streams may hold the tail of a write
/// until flushed, and the peer answers only once it has all of it.
async fn transmit<S: AsyncWrite + Unpin>(
    stream: &mut S,
    mut next: impl FnMut() -> Option<bytes::Bytes>,
) -> Result<(), DmtpError> {
    let mut wrote = false;
    while let Some(bytes) = next() {
        stream.write_all(&bytes).await?;
        wrote = true;
    }
    if wrote {
        stream.flush().await?;
    }
    Ok(())
}

async fn pump_server<S, A>(
    stream: &mut S,
    session: &mut ServerSession,
    app: &A,
    buf: &mut Inbound,
    trace: &mut trace::Connection,
) -> Result<Pumped, DmtpError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    A: ServerApp,
{
    let mut transfer = None;
    let pumped = pump_session(stream, session, app, buf, &mut transfer, trace).await;
    // However the pump ended, an object still arriving is discarded.
    if let Some(transfer) = transfer {
        transfer.abort().await;
    }
    pumped
}

async fn pump_session<S, A>(
    stream: &mut S,
    session: &mut ServerSession,
    app: &A,
    buf: &mut Inbound,
    transfer: &mut Option<Transfer<A::Spool>>,
    trace: &mut trace::Connection,
) -> Result<Pumped, DmtpError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    A: ServerApp,
{
    loop {
        transmit(stream, || {
            let bytes = session.poll_transmit();
            if let Some(bytes) = &bytes {
                trace.replies(bytes);
            }
            bytes
        })
        .await?;
        if let Some(event) = session.poll() {
            let answer = match event {
                ServerEvent::StartTls => {
                    stream.flush().await?;
                    buf.clear();
                    return Ok(Pumped::StartTls);
                }
                ServerEvent::SmtpHandoff { line } => {
                    stream.flush().await?;
                    return Ok(Pumped::Handoff(line));
                }
                ServerEvent::SignetRequested { id, name, fingerprint } => {
                    (id, Answer::Signet(app.signet(&name, fingerprint.as_ref()).await))
                }
                ServerEvent::HistoryRequested { id, address, start, end } => {
                    (id, Answer::History(app.history(&address, &start, end.as_ref()).await))
                }
                ServerEvent::VerifyRequested { id, name, fingerprint } => {
                    (id, Answer::Verify(app.verify(&name, &fingerprint).await))
                }
                ServerEvent::StatsRequested { id } => (id, Answer::Stats(app.stats().await)),
                ServerEvent::MessageBegin { envelope } => {
                    let spool = app.open_spool(&envelope).await;
                    *transfer = Some(Transfer { spool });
                    continue;
                }
                ServerEvent::MessageData { bytes } => {
                    if let Some(transfer) = transfer.as_mut() {
                        let failed = session.object_check().is_some_and(DestinationCheck::is_failed);
                        transfer.piece(&bytes, failed).await;
                    }
                    continue;
                }
                ServerEvent::MessageAborted { .. } => {
                    if let Some(transfer) = transfer.take() {
                        transfer.abort().await;
                    }
                    continue;
                }
                ServerEvent::MessageReceived(message) => {
                    let verdict = match transfer.take() {
                        Some(transfer) => transfer.finish(app, &message, session.take_check()).await,
                        None => Err(Rejection::TemporaryFailure),
                    };
                    (message.id, Answer::Message(verdict))
                }
            };
            session.answer(now(), answer.0, answer.1)?;
            continue;
        }
        if session.is_closed() {
            stream.flush().await?;
            let _ = stream.shutdown().await;
            return Ok(Pumped::Closed);
        }
        let fed = if session.state() == SessionState::DataIn {
            buf.feed_shared(|input| session.enqueue_bytes(now(), input))
        } else {
            buf.feed(|input| session.enqueue_input(now(), input))
        };
        if fed {
            trace.greeted(session.ehlo_domain());
            continue;
        }
        match buf.read_until(stream, session.poll_timeout()).await? {
            None => {
                session.handle_timeout(now());
                if session.is_closed() {
                    trace.timed_out();
                }
            }
            Some(0) => return Ok(Pumped::PeerClosed),
            Some(_) => {}
        }
    }
}

/// Serves one accepted connection to its end. The TLS handshake (at once in native mode, after
/// `STARTTLS` in dual mode) must finish within [`EdgeConfig::handshake_timeout`]'s default;
/// [`serve`] uses its listener's.
///
/// Errors: [`DmtpError::Timeout`] when the handshake is late, [`DmtpError::Io`], and the
/// session's errors.
pub async fn serve_connection<A: ServerApp>(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    config: Arc<ServerConfig>,
    app: &A,
) -> Result<Served, DmtpError> {
    serve_within(tcp, acceptor, config, app, EdgeConfig::new().handshake_timeout).await
}

async fn serve_within<A: ServerApp>(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    config: Arc<ServerConfig>,
    app: &A,
    handshake: Duration,
) -> Result<Served, DmtpError> {
    let mut trace = trace::Connection::accepted(tcp.peer_addr().ok());
    let served = serve_traced(tcp, acceptor, config, app, handshake, &mut trace).await;
    trace.ended(match &served {
        Ok((_, Pumped::PeerClosed)) => Ending::PeerClosed,
        Ok((_, Pumped::Handoff(_))) => Ending::Handoff,
        Ok(_) => Ending::Closed,
        Err(error) => Ending::Failed(error),
    });
    served.map(|(served, _)| served)
}

/// [`serve_within`] reporting to `trace`; gives how the pump stopped besides the result.
async fn serve_traced<A: ServerApp>(
    mut tcp: TcpStream,
    acceptor: &TlsAcceptor,
    config: Arc<ServerConfig>,
    app: &A,
    handshake: Duration,
    trace: &mut trace::Connection,
) -> Result<(Served, Pumped), DmtpError> {
    let _ = tcp.set_nodelay(true);
    let mode = config.mode;
    let mut session = ServerSession::new(config, now());
    let mut buf = Inbound::default();
    if let ListenMode::Dual { .. } = mode {
        match pump_server(&mut tcp, &mut session, app, &mut buf, trace).await? {
            Pumped::Handoff(line) => {
                return Ok((Served::SmtpHandoff { stream: tcp, line }, Pumped::Handoff(Vec::new())));
            }
            Pumped::StartTls => {}
            ended => return Ok((Served::Closed, ended)),
        }
    }
    let mut tls = dime_net::within(Phase::Handshake, handshake, acceptor.accept(tcp)).await.map_err(edge_error)?;
    trace.tls(tls.get_ref().1);
    session.tls_established(now())?;
    let ended = pump_server(&mut tls, &mut session, app, &mut buf, trace).await?;
    Ok((Served::Closed, ended))
}

/// Accepts connections until shut down, serving each on its own task; a
/// [`TcpListener`](tokio::net::TcpListener)
/// converts into a [`Listener`] with the default [`EdgeConfig`]. Errors of single connections
/// are dropped; transient accept errors (`EMFILE`, `ECONNABORTED`, ...) are survived.
/// Connections over a cap get [`REFUSAL_LISTENER_FULL`] or [`REFUSAL_SOURCE_FULL`] (after the
/// TLS handshake in native mode) and are closed. Returns once [`Handle::shutdown`] has run its
/// course.
///
/// Errors: [`DmtpError::Io`] when the listening socket fails for good.
pub async fn serve<A: ServerApp>(
    listener: impl Into<Listener>,
    acceptor: TlsAcceptor,
    config: Arc<ServerConfig>,
    app: Arc<A>,
) -> Result<(), DmtpError> {
    let listener = listener.into();
    let handshake = listener.config().handshake_timeout;
    let native = config.mode == ListenMode::Native;
    let refusing = acceptor.clone();
    let serve = move |tcp: TcpStream, _| {
        let (acceptor, config, app) = (acceptor.clone(), config.clone(), app.clone());
        async move {
            let _ = serve_within(tcp, &acceptor, config, app.as_ref(), handshake).await;
        }
    };
    let refuse = move |tcp: TcpStream, refusal: Refusal| {
        let acceptor = refusing.clone();
        async move {
            let line = match refusal {
                Refusal::SourceFull => REFUSAL_SOURCE_FULL,
                _ => REFUSAL_LISTENER_FULL,
            };
            if native {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    dime_net::refuse_with_line(tls, line.as_bytes()).await;
                }
            } else {
                dime_net::refuse_with_line(tcp, line.as_bytes()).await;
            }
        }
    };
    Ok(listener.run(serve, refuse).await?)
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Broken,
}

impl Stream {
    fn pinned(self: Pin<&mut Self>) -> Result<Pin<&mut (dyn AsyncStream + '_)>, std::io::Error> {
        match self.get_mut() {
            Stream::Plain(s) => Ok(Pin::new(s)),
            Stream::Tls(s) => Ok(Pin::new(s.as_mut())),
            Stream::Broken => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }
}

/// What the client pump needs of its stream.
trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for S {}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.pinned() {
            Ok(s) => s.poll_read(cx, buf),
            // A broken stream reads as closed.
            Err(_) => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.pinned() {
            Ok(s) => s.poll_write(cx, bytes),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.pinned() {
            Ok(s) => s.poll_flush(cx),
            Err(_) => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.pinned() {
            Ok(s) => s.poll_shutdown(cx),
            Err(_) => Poll::Ready(Ok(())),
        }
    }
}

/// What [`pump_client`] stopped for.
enum ClientStep {
    Event(ClientEvent),
    StartTls,
}

/// Runs a client session over `stream` until it has an event for the caller.
async fn pump_client<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    session: &mut ClientSession,
    buf: &mut Inbound,
) -> Result<ClientStep, DmtpError> {
    loop {
        transmit(stream, || session.poll_transmit()).await?;
        if let Some(event) = session.poll() {
            return Ok(match event {
                ClientEvent::StartTls => ClientStep::StartTls,
                event => ClientStep::Event(event),
            });
        }
        if session.is_closed() {
            return Err(session.failure().cloned().unwrap_or(DmtpError::ConnectionClosed));
        }
        if buf.feed(|input| session.enqueue_input(now(), input)) {
            continue;
        }
        match buf.read_until(stream, session.poll_timeout()).await? {
            None => session.handle_timeout(now()),
            Some(0) => session.connection_closed(),
            Some(_) => {}
        }
    }
}

/// Decides on the DX certificate right after the handshake, before any request is sent.
pub type CertificateDecision<'a> = dyn FnMut(&PresentedCertificate<'_>) -> Result<(), DmtpError> + Send + 'a;

/// A client connection to a DX server: a [`ClientSession`] over TCP and TLS.
pub struct Connection {
    session: ClientSession,
    stream: Stream,
    buf: Inbound,
    host: HostName,
    certificate: Option<Vec<CertificateDer<'static>>>,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection").field("host", &self.host).field("session", &self.session).finish()
    }
}

impl Connection {
    /// Connects to `addr` as DX host `host` in `mode`, runs the TLS handshake (after STARTTLS in
    /// dual mode), asks `decide` about the certificate, and reads the session up to ready.
    pub async fn connect(
        addr: SocketAddr,
        host: &HostName,
        mode: ConnectMode,
        tls: &ClientTls,
        decide: &mut CertificateDecision<'_>,
    ) -> Result<Connection, DmtpError> {
        let tcp = tls.dial.connect(addr).await.map_err(edge_error)?;
        let mut connection = Connection {
            session: ClientSession::new(
                ClientConfig { reply_timeout: tls.options.reply_timeout, ..ClientConfig::new(host.clone(), mode) },
                now(),
            ),
            stream: Stream::Plain(tcp),
            buf: Inbound::default(),
            host: host.clone(),
            certificate: None,
        };
        if mode == ConnectMode::Native {
            connection.upgrade(tls, decide).await?;
        }
        loop {
            match connection.next_event(Some((tls, &mut *decide))).await? {
                ClientEvent::Ready => return Ok(connection),
                ClientEvent::Completed { result: Err(error), .. } => return Err(error),
                _ => {}
            }
        }
    }

    async fn upgrade(&mut self, tls: &ClientTls, decide: &mut CertificateDecision<'_>) -> Result<(), DmtpError> {
        let Stream::Plain(tcp) = core::mem::replace(&mut self.stream, Stream::Broken) else {
            return Err(DmtpError::WrongState);
        };
        let name = ServerName::try_from(self.host.as_str()).map_err(tls_error)?.to_owned();
        let handshake = TlsConnector::from(tls.config.clone()).connect(name, tcp);
        let stream = tls.dial.handshake(handshake).await.map_err(edge_error)?;
        let chain: Vec<CertificateDer<'static>> =
            stream.get_ref().1.peer_certificates().unwrap_or_default().iter().map(|c| c.clone().into_owned()).collect();
        let (hostname_matches, chain_valid) = tls.facts(&self.host, &chain);
        let der = chain.first().map(|c| c.as_ref()).unwrap_or_default();
        decide(&PresentedCertificate { der, hostname_matches, chain_valid })?;
        self.certificate = Some(chain);
        self.stream = Stream::Tls(Box::new(stream));
        self.session.tls_established(now())
    }

    /// Whether the session has ended (`QUIT`, a timeout, a lost connection): no further request
    /// can succeed on it.
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// The certificate chain the server presented (leaf first).
    pub fn certificate_chain(&self) -> &[CertificateDer<'static>] {
        self.certificate.as_deref().unwrap_or_default()
    }

    async fn next_event(
        &mut self,
        mut upgrade: Option<(&ClientTls, &mut CertificateDecision<'_>)>,
    ) -> Result<ClientEvent, DmtpError> {
        loop {
            match pump_client(&mut self.stream, &mut self.session, &mut self.buf).await? {
                ClientStep::Event(event) => return Ok(event),
                ClientStep::StartTls => {
                    let Some((tls, decide)) = upgrade.as_mut() else { return Err(DmtpError::WrongState) };
                    self.buf.clear();
                    self.upgrade(tls, decide).await?;
                }
            }
        }
    }

    /// Runs one request and gives its outcome.
    pub async fn request(&mut self, request: Request) -> Result<Outcome, DmtpError> {
        let id: RequestId = self.session.submit(now(), request);
        loop {
            if let ClientEvent::Completed { id: done, result } = self.next_event(None).await?
                && done == id
            {
                return result;
            }
        }
    }

    /// Sends QUIT and closes.
    pub async fn quit(mut self) -> Result<(), DmtpError> {
        self.request(Request::Quit).await.map(|_| ())
    }
}

/// Connects, delivers one object, and quits; gives the server's transaction id.
pub async fn deliver(
    addr: SocketAddr,
    host: &HostName,
    mode: ConnectMode,
    tls: &ClientTls,
    decide: &mut CertificateDecision<'_>,
    delivery: Delivery,
) -> Result<TxId, DmtpError> {
    let mut connection = Connection::connect(addr, host, mode, tls, decide).await?;
    let outcome = connection.request(Request::Deliver(delivery)).await?;
    let _ = connection.quit().await;
    match outcome {
        Outcome::Delivered(txid) => Ok(txid),
        _ => Err(DmtpError::WrongState),
    }
}

/// Connects, runs one lookup (SGNT, HIST, VRFY or STATS), and quits.
pub async fn lookup(
    addr: SocketAddr,
    host: &HostName,
    mode: ConnectMode,
    tls: &ClientTls,
    decide: &mut CertificateDecision<'_>,
    request: Request,
) -> Result<Outcome, DmtpError> {
    let mut connection = Connection::connect(addr, host, mode, tls, decide).await?;
    let outcome = connection.request(request).await;
    let _ = connection.quit().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServedDomain;
    use std::sync::Mutex;
    use tokio::io::BufWriter;

    /// An idle session holds a small read buffer, a bulk transfer grows it to READ_CHUNK, and a
    /// quiet peer afterwards gets the space back: 1,000 idle sessions do not pin 64 MiB.
    #[tokio::test]
    async fn the_read_buffer_is_small_while_the_peer_is_quiet() {
        let (mut peer, mut ours) = tokio::io::duplex(1 << 20);
        let mut inbound = Inbound::default();
        peer.write_all(b"EHLO a.example\r\n").await.unwrap();
        assert_eq!(inbound.read_until(&mut ours, None).await.unwrap(), Some(16));
        assert!(inbound.buf.capacity() < 2 * READ_MIN, "{}", inbound.buf.capacity());
        assert!(inbound.feed(|input| input.len()));

        peer.write_all(&vec![7u8; 1 << 20]).await.unwrap();
        let (mut largest, mut total) = (0, 0);
        while total < 1 << 20 {
            total += inbound.read_until(&mut ours, None).await.unwrap().unwrap();
            largest = largest.max(inbound.buf.capacity());
            inbound.feed(|input| input.len());
        }
        assert!(largest >= READ_CHUNK, "reads never grew: {largest}");

        peer.write_all(b"NOOP\r\n").await.unwrap();
        inbound.read_until(&mut ours, None).await.unwrap();
        inbound.feed(|input| input.len());
        peer.write_all(b"NOOP\r\n").await.unwrap();
        inbound.read_until(&mut ours, None).await.unwrap();
        assert!(inbound.buf.capacity() < 2 * READ_MIN, "{}", inbound.buf.capacity());
    }

    /// Object bytes fed as `Bytes` come back in order when the session leaves some, and once
    /// all are taken no slice of the read buffer stays behind to pin it.
    #[tokio::test]
    async fn shared_input_is_fed_in_order_and_released() {
        let (mut peer, mut ours) = tokio::io::duplex(1 << 20);
        let mut inbound = Inbound::default();
        peer.write_all(b"abcdef").await.unwrap();
        inbound.read_until(&mut ours, None).await.unwrap();
        let mut fed = Vec::new();
        assert!(inbound.feed_shared(|input| {
            fed.extend_from_slice(&input[..4]);
            4
        }));
        peer.write_all(b"ghi").await.unwrap();
        inbound.read_until(&mut ours, None).await.unwrap();
        while inbound.feed_shared(|input| {
            fed.extend_from_slice(input);
            input.len()
        }) {}
        assert_eq!(fed, b"abcdefghi");
        // The next read takes a new buffer; a slice (even an empty one) of the old one would
        // now be its only owner, keeping it alive.
        peer.write_all(&[b'j'; READ_MIN]).await.unwrap();
        inbound.read_until(&mut ours, None).await.unwrap();
        assert!(!inbound.front.is_unique(), "the old read buffer is still held");
        assert!(inbound.feed(|input| input.len()));
    }

    /// Each spool's bytes and how it ended.
    type SpoolLog = Arc<Mutex<Vec<(Vec<u8>, &'static str)>>>;

    /// Spools into memory and records what happened to each spool.
    #[derive(Default)]
    struct Inbox(SpoolLog);

    struct MemorySpool {
        bytes: Vec<u8>,
        log: SpoolLog,
    }

    impl Spool for MemorySpool {
        async fn write(&mut self, bytes: &[u8]) -> Result<(), Rejection> {
            self.bytes.extend_from_slice(bytes);
            Ok(())
        }
        async fn commit(self, _: CheckedMessage) -> Result<(), Rejection> {
            self.log.lock().unwrap().push((self.bytes, "committed"));
            Ok(())
        }
        async fn abort(self) {
            self.log.lock().unwrap().push((self.bytes, "aborted"));
        }
    }

    impl ServerApp for Inbox {
        type Spool = MemorySpool;
        async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
            None
        }
        async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
            Vec::new()
        }
        async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
            Verification::NotFound
        }
        async fn open_spool(&self, _: &TransferEnvelope) -> Result<MemorySpool, Rejection> {
            Ok(MemorySpool { bytes: Vec::new(), log: self.0.clone() })
        }
        async fn check(&self, _: &ReceivedMessage, _: DestinationCheck) -> Result<CheckedMessage, Rejection> {
            Err(Rejection::TemporaryFailure)
        }
    }

    /// A client that gives up during the handshake says why: the session's cause, not
    /// "connection closed" (which every such failure reported before).
    #[tokio::test(start_paused = true)]
    async fn the_client_pump_keeps_the_cause_of_a_failure() {
        use crate::wire::{ReplyCode, Verb};
        let host = HostName::new("dx.example.net").unwrap();
        let cases: [(&[u8], DmtpError); 3] = [
            (
                b"554 NO SERVICE HERE\r\n",
                DmtpError::NotDmtp { reply: crate::wire::Reply::new(ReplyCode::FAILED, "NO SERVICE HERE") },
            ),
            (
                b"220 dx.example.net DMTPv1 dime-rs\r\n554 CERTIFICATE NOT FOUND FOR DOMAIN.\r\n",
                DmtpError::Rejected {
                    verb: Verb::StartTls,
                    reply: crate::wire::Reply::new(ReplyCode::FAILED, "CERTIFICATE NOT FOUND FOR DOMAIN."),
                },
            ),
            (
                b"220 dx.example.net DMTPv1 dime-rs\r\n250 OK\r\n",
                DmtpError::Rejected { verb: Verb::StartTls, reply: crate::wire::Reply::new(ReplyCode::OK, "OK") },
            ),
        ];
        for (server_says, expected) in cases {
            let (mut client_end, mut server_end) = tokio::io::duplex(4096);
            server_end.write_all(server_says).await.unwrap();
            let mut session = ClientSession::new(ClientConfig::new(host.clone(), ConnectMode::Dual), now());
            let mut buf = Inbound::default();
            let result = pump_client(&mut client_end, &mut session, &mut buf).await;
            assert_eq!(result.err(), Some(expected.clone()));
            assert_eq!(session.failure(), Some(&expected));
            // A request submitted afterwards fails with the same cause.
            let id = session.submit(now(), Request::Noop);
            assert_eq!(session.poll(), Some(ClientEvent::Completed { id, result: Err(expected) }));
        }
    }

    /// Both pumps over streams that hold writes until flushed, as TLS streams may: every
    /// reply and every object must still arrive. Time is paused, so a stall trips the timeout
    /// at once instead of after ten real seconds. The object is no DIME object: the streaming
    /// check refuses it from its first bytes, the spool is aborted there, and the reply after
    /// the whole object is the refusal.
    #[tokio::test(start_paused = true)]
    async fn pumps_flush_what_they_write() {
        let host = HostName::new("dx.example.net").unwrap();
        let destination = HostName::new("example.net").unwrap();
        let fingerprint = Fingerprint::of(b"example.net");
        let served = vec![ServedDomain { domain: destination.clone(), fingerprints: vec![fingerprint] }];
        let config = Arc::new(ServerConfig::new(host.clone(), ListenMode::Native, served));
        let (client_end, server_end) = tokio::io::duplex(4096);
        let inbox = Arc::new(Inbox::default());

        let server_inbox = inbox.clone();
        let server = tokio::spawn(async move {
            let mut session = ServerSession::new(config, now());
            session.tls_established(now()).unwrap();
            let mut stream = BufWriter::with_capacity(1 << 20, server_end);
            let mut buf = Inbound::default();
            pump_server(&mut stream, &mut session, server_inbox.as_ref(), &mut buf, &mut Default::default()).await
        });

        let mut session = ClientSession::new(ClientConfig::new(host, ConnectMode::Native), now());
        session.tls_established(now()).unwrap();
        let mut stream = BufWriter::with_capacity(1 << 20, client_end);
        let mut buf = Inbound::default();
        let object = bytes::Bytes::from((0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
        let id = session.submit(
            now(),
            Request::Deliver(Delivery {
                origin: HostName::new("example.org").unwrap(),
                origin_fingerprint: Fingerprint::of(b"example.org"),
                destination,
                destination_fingerprint: fingerprint,
                object: object.clone(),
                return_type: None,
                data_type: None,
                hash: None,
            }),
        );
        let mut events = Vec::new();
        let delivered = loop {
            let step = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                pump_client(&mut stream, &mut session, &mut buf).await
            })
            .await
            .expect("a write was left unflushed");
            match step {
                Ok(ClientStep::Event(ClientEvent::Completed { id: done, result })) if done == id => break result,
                Ok(ClientStep::Event(event)) => events.push(event),
                Ok(ClientStep::StartTls) => panic!("native mode has no STARTTLS"),
                Err(error) => panic!("client failed: {error}"),
            }
        };
        assert_eq!(events, vec![ClientEvent::Ready]);
        let Err(DmtpError::Rejected { verb: crate::wire::Verb::Data, reply }) = delivered else {
            panic!("not refused: {delivered:?}")
        };
        assert_eq!(reply.to_string(), "554 INVALID DMIME DATA RECEIVED.");
        let spools = core::mem::take(&mut *inbox.0.lock().unwrap());
        assert_eq!(spools.len(), 1);
        assert_eq!(spools[0].1, "aborted");
        assert!(spools[0].0.len() < object.len(), "the spool got bytes after the check failed");
        drop(stream);
        assert!(matches!(server.await.unwrap(), Ok(Pumped::PeerClosed)));
    }
}
