//! The server's and client's network edge over real TCP on loopback: handshake and connect
//! deadlines, accept errors, connection caps with their `421`, graceful shutdown.
#![cfg(feature = "tokio")]

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use dime_core::Fingerprint;
use dime_dmtp::client::{ConnectMode, Outcome, Request};
use dime_dmtp::driver::{
    ClientTls, Connection, Dial, EdgeConfig, Listener, NoSpool, REFUSAL_LISTENER_FULL, REFUSAL_SOURCE_FULL, Roots,
    ServerApp, ServerIdentity, TlsAcceptor, acceptor, serve, tls_provider,
};
use dime_dmtp::object::{CheckedMessage, DestinationCheck};
use dime_dmtp::resolve::PresentedCertificate;
use dime_dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig, TransferEnvelope, Verification,
};
use dime_dmtp::wire::{Address, Name};
use dime_dmtp::{DmtpError, TimeoutPhase};
use dime_net::Accept;
use dime_signet::record::HostName;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::Instant;

const DX: &str = "dx.example.net";

/// Answers nothing and refuses every message.
struct Nothing;

impl ServerApp for Nothing {
    async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    type Spool = NoSpool;
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<NoSpool, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
    async fn check(&self, _: &ReceivedMessage, _: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
}

struct Pki {
    roots: Roots,
    server: TlsAcceptor,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![DX.to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    let roots = Roots::Certificates(vec![ca.der().clone()]);
    let identity =
        ServerIdentity::new(vec![leaf.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into())).unwrap();
    let server = acceptor(&identity).unwrap();
    Pki { roots, server }
}

fn config(mode: ListenMode) -> Arc<ServerConfig> {
    let served = vec![ServedDomain { domain: HostName::new("example.net").unwrap(), fingerprints: vec![] }];
    Arc::new(ServerConfig::new(HostName::new(DX).unwrap(), mode, served))
}

const DUAL: ListenMode = ListenMode::Dual { smtp_handoff: false };

/// Starts `serve` on a loopback listener; gives its address.
async fn start(listener: impl FnOnce(TcpListener) -> Listener, mode: ListenMode, pki: &Pki) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(serve(listener(tcp), pki.server.clone(), config(mode), Arc::new(Nothing)));
    addr
}

async fn connect_from(host: u8, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Reads one line.
async fn line<R: AsyncRead + Unpin>(stream: &mut R) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        out.push(byte[0]);
    }
    String::from_utf8(out).unwrap()
}

/// Waits (in paused time) until the server closes `stream`, reading and dropping what comes;
/// gives how long that took. Panics after an hour of (paused) time.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut sink = [0u8; 512];
    let wait = async { while !matches!(stream.read(&mut sink).await, Ok(0) | Err(_)) {} };
    tokio::time::timeout(Duration::from_secs(3600), wait).await.expect("the server never closed the connection");
    start.elapsed()
}

fn accept_all() -> impl FnMut(&PresentedCertificate<'_>) -> Result<(), DmtpError> + Send {
    |_| Ok(())
}

/// A TCP peer that never sends a ClientHello to a native listener is closed after the
/// handshake deadline (10 s by default); before dime-net it stayed open for ever.
#[tokio::test(start_paused = true)]
async fn a_peer_without_a_client_hello_is_closed_after_the_handshake_deadline() {
    let pki = pki();
    let addr = start(Listener::from, ListenMode::Native, &pki).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let waited = closed_after(&mut silent).await;
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(11), "closed after {waited:?}");
}

/// The same after `STARTTLS` in dual mode: the `220 READY` is the last thing the peer gets.
#[tokio::test(start_paused = true)]
async fn a_peer_that_stalls_after_starttls_is_closed_after_the_handshake_deadline() {
    let pki = pki();
    let addr = start(Listener::from, DUAL, &pki).await;
    let mut peer = TcpStream::connect(addr).await.unwrap();
    let banner = line(&mut peer).await;
    assert!(banner.starts_with("220 "), "{banner}");
    peer.write_all(format!("STARTTLS <{DX}> MODE=DMTPv1\r\n").as_bytes()).await.unwrap();
    let mut reply = line(&mut peer).await;
    while reply.starts_with("220-") {
        reply = line(&mut peer).await;
    }
    assert_eq!(reply, "220 READY\r\n");
    let waited = closed_after(&mut peer).await;
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(11), "closed after {waited:?}");
}

#[tokio::test]
async fn the_per_source_cap_answers_421_in_dual_mode() {
    let pki = pki();
    let edge = EdgeConfig::new().with_max_per_source(1);
    let addr = start(|tcp| Listener::new(tcp, edge), DUAL, &pki).await;
    let mut first = connect_from(1, addr).await;
    assert!(line(&mut first).await.starts_with("220 "));
    let mut second = connect_from(1, addr).await;
    assert_eq!(line(&mut second).await, REFUSAL_SOURCE_FULL);
    assert_eq!(REFUSAL_SOURCE_FULL, "421 TOO MANY CONNECTIONS FROM YOUR ADDRESS - GOOD BYE\r\n");
    assert_eq!(second.read(&mut [0u8; 8]).await.unwrap(), 0);
    let mut other = connect_from(2, addr).await;
    assert!(line(&mut other).await.starts_with("220 "));
}

#[tokio::test]
async fn the_listener_cap_answers_421_inside_tls_in_native_mode() {
    let pki = pki();
    let edge = EdgeConfig::new().with_max_connections(1);
    let addr = start(|tcp| Listener::new(tcp, edge), ListenMode::Native, &pki).await;
    let tls = ClientTls::new(&pki.roots).unwrap();
    let first = Connection::connect(addr, &HostName::new(DX).unwrap(), ConnectMode::Native, &tls, &mut accept_all())
        .await
        .unwrap();
    let client = rustls::ClientConfig::builder_with_provider(tls_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(pki.roots.load().unwrap())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = connect_from(2, addr).await;
    let mut refused = connector.connect(ServerName::try_from(DX).unwrap(), tcp).await.unwrap();
    assert_eq!(line(&mut refused).await, REFUSAL_LISTENER_FULL);
    assert_eq!(REFUSAL_LISTENER_FULL, "421 TOO MANY CONNECTIONS - GOOD BYE\r\n");
    first.quit().await.unwrap();
}

/// A listener whose first accepts fail as a process out of descriptors sees them.
struct Flaky {
    inner: TcpListener,
    errors: Mutex<Vec<io::Error>>,
}

impl Accept for Flaky {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        if let Some(error) = self.errors.lock().unwrap().pop() {
            return Poll::Ready(Err(error));
        }
        self.inner.poll_accept(cx)
    }
}

#[tokio::test]
async fn serve_survives_transient_accept_errors() {
    use rustix::io::Errno;
    let pki = pki();
    let errors = [Errno::MFILE, Errno::NFILE, Errno::CONNABORTED]
        .map(|e| io::Error::from_raw_os_error(e.raw_os_error()))
        .into_iter()
        .collect();
    let edge = EdgeConfig::new().with_accept_backoff(Duration::from_millis(5));
    let addr = start(|inner| Listener::new(Flaky { inner, errors: Mutex::new(errors) }, edge), DUAL, &pki).await;
    let mut peer = TcpStream::connect(addr).await.unwrap();
    assert!(line(&mut peer).await.starts_with("220 "));
}

#[tokio::test]
async fn shutdown_lets_a_session_finish_and_refuses_new_connections() {
    let pki = pki();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = Listener::new(tcp, EdgeConfig::new());
    let handle = listener.handle();
    let server = tokio::spawn(serve(listener, pki.server.clone(), config(ListenMode::Native), Arc::new(Nothing)));
    let tls = ClientTls::new(&pki.roots).unwrap();
    let dx = HostName::new(DX).unwrap();
    let mut session = Connection::connect(addr, &dx, ConnectMode::Native, &tls, &mut accept_all()).await.unwrap();
    handle.shutdown(Duration::from_secs(30));
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(refused, "still accepting after shutdown");
    assert!(matches!(session.request(Request::Noop).await, Ok(Outcome::Done)));
    session.quit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
}

/// A listener whose accept queue is full drops further SYNs: connects to it hang.
#[tokio::test]
async fn a_connect_that_is_never_answered_times_out() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let black_hole = socket.listen(0).unwrap();
    let addr = black_hole.local_addr().unwrap();
    let dial = Dial::new().with_connect_timeout(Duration::from_millis(300));
    let tls = ClientTls::new(&Roots::None).unwrap().with_dial(dial);
    let dx = HostName::new(DX).unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        match dial.connect(addr).await {
            Ok(tcp) => held.push(tcp),
            Err(_) => break,
        }
    }
    let result = Connection::connect(addr, &dx, ConnectMode::Native, &tls, &mut accept_all()).await;
    let error = result.unwrap_err();
    assert_eq!(error, DmtpError::Timeout { phase: TimeoutPhase::Connect });
    assert_eq!(error.to_string(), "timed out waiting for the TCP connection");
}

/// A server that accepts TCP and never answers the ClientHello.
#[tokio::test(start_paused = true)]
async fn a_client_handshake_that_is_never_answered_times_out() {
    let mute = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = mute.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let (tcp, _) = mute.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(tcp);
    });
    let tls = ClientTls::new(&Roots::None).unwrap();
    let dx = HostName::new(DX).unwrap();
    let start = Instant::now();
    let result = Connection::connect(addr, &dx, ConnectMode::Native, &tls, &mut accept_all()).await;
    assert_eq!(result.unwrap_err(), DmtpError::Timeout { phase: TimeoutPhase::TlsHandshake });
    assert_eq!(start.elapsed().as_secs(), Dial::new().handshake_timeout.as_secs());
    held.abort();
}
