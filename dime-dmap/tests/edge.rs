//! The driver's network edge over real TCP on loopback: handshake deadlines (implicit TLS and
//! after STARTTLS), accept errors, connection caps with their `* BYE`, graceful shutdown.

mod common;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{config, store};
use dime_dmap::codec::CommandBody;
use dime_dmap::driver::{
    self, Client, EdgeConfig, Listener, REFUSAL_LISTENER_FULL, REFUSAL_SOURCE_FULL, TlsAcceptor, TlsConnector,
};
use dime_dmap::server::ServerSession;
use dime_dmap::store::MemoryStore;
use dime_dmap::{DmapError, SessionLimits};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::Instant;

/// A server acceptor for localhost and a connector that trusts it.
fn tls() -> (TlsAcceptor, TlsConnector) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    let acceptor = driver::acceptor(
        &driver::ServerIdentity::new(
            vec![cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .unwrap(),
    )
    .unwrap();
    (acceptor, driver::connector(&driver::Roots::Certificates(vec![ca.der().to_vec().into()])).unwrap())
}

fn sessions(starttls: bool) -> impl Fn() -> ServerSession<Arc<MemoryStore>> {
    let shared = Arc::new(store());
    move || {
        let mut cfg = config();
        if starttls {
            cfg.tls = false;
            cfg.starttls = true;
        }
        ServerSession::new(cfg, shared.clone(), std::time::Instant::now())
    }
}

/// Starts `listen` (implicit TLS) or `listen_starttls` on loopback; gives its address.
async fn start(listener: impl FnOnce(TcpListener) -> Listener, acceptor: TlsAcceptor, starttls: bool) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = listener(tcp);
    let make = sessions(starttls);
    if starttls {
        tokio::spawn(driver::listen_starttls(listener, acceptor, make, driver::Hooks::default()));
    } else {
        tokio::spawn(driver::listen(listener, acceptor, make, driver::Hooks::default()));
    }
    addr
}

async fn connect_from(host: u8, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

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

/// Waits (in paused time) until the server closes `stream`; gives how long that took.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut sink = [0u8; 512];
    let wait = async { while !matches!(stream.read(&mut sink).await, Ok(0) | Err(_)) {} };
    tokio::time::timeout(Duration::from_secs(3600), wait).await.expect("the server never closed the connection");
    start.elapsed()
}

/// A TCP peer that never sends a ClientHello is closed after the handshake deadline (10 s by
/// default); before dime-net it stayed open for ever.
#[tokio::test(start_paused = true)]
async fn a_peer_without_a_client_hello_is_closed_after_the_handshake_deadline() {
    let (acceptor, _) = tls();
    let addr = start(Listener::from, acceptor, false).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let waited = closed_after(&mut silent).await;
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(11), "closed after {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_stalls_after_starttls_is_closed_after_the_handshake_deadline() {
    let (acceptor, _) = tls();
    let addr = start(Listener::from, acceptor, true).await;
    let mut peer = TcpStream::connect(addr).await.unwrap();
    assert!(line(&mut peer).await.starts_with("* OK"));
    peer.write_all(b"a STARTTLS\r\n").await.unwrap();
    assert!(line(&mut peer).await.starts_with("a OK"));
    let waited = closed_after(&mut peer).await;
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(11), "closed after {waited:?}");
}

#[tokio::test]
async fn the_per_source_cap_answers_bye_in_the_clear_on_a_starttls_port() {
    let (acceptor, _) = tls();
    let edge = EdgeConfig::new().with_max_per_source(1);
    let addr = start(|tcp| Listener::new(tcp, edge), acceptor, true).await;
    let mut first = connect_from(1, addr).await;
    assert!(line(&mut first).await.starts_with("* OK"));
    let mut second = connect_from(1, addr).await;
    assert_eq!(line(&mut second).await, REFUSAL_SOURCE_FULL);
    assert_eq!(REFUSAL_SOURCE_FULL, "* BYE [UNAVAILABLE] Too many connections from your address\r\n");
    assert_eq!(second.read(&mut [0u8; 8]).await.unwrap(), 0);
    let mut other = connect_from(2, addr).await;
    assert!(line(&mut other).await.starts_with("* OK"));
}

#[tokio::test]
async fn the_listener_cap_answers_bye_inside_tls_on_an_implicit_tls_port() {
    let (acceptor, connector) = tls();
    let edge = EdgeConfig::new().with_max_connections(1);
    let addr = start(|tcp| Listener::new(tcp, edge), acceptor, false).await;
    let first = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
    let tcp = connect_from(2, addr).await;
    let mut refused = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    assert_eq!(line(&mut refused).await, REFUSAL_LISTENER_FULL);
    assert_eq!(REFUSAL_LISTENER_FULL, "* BYE [UNAVAILABLE] Too many connections\r\n");
    first.logout().await.unwrap();
}

struct Flaky {
    inner: TcpListener,
    errors: Mutex<Vec<io::Error>>,
}

impl dime_net::Accept for Flaky {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        if let Some(error) = self.errors.lock().unwrap().pop() {
            return Poll::Ready(Err(error));
        }
        self.inner.poll_accept(cx)
    }
}

#[tokio::test]
async fn listen_survives_transient_accept_errors() {
    use rustix::io::Errno;
    let (acceptor, _) = tls();
    let errors = [Errno::MFILE, Errno::NFILE, Errno::CONNABORTED]
        .map(|e| io::Error::from_raw_os_error(e.raw_os_error()))
        .into_iter()
        .collect();
    let edge = EdgeConfig::new().with_accept_backoff(Duration::from_millis(5));
    let addr = start(|inner| Listener::new(Flaky { inner, errors: Mutex::new(errors) }, edge), acceptor, true).await;
    let mut peer = TcpStream::connect(addr).await.unwrap();
    assert!(line(&mut peer).await.starts_with("* OK"));
}

#[tokio::test]
async fn shutdown_lets_a_session_finish_and_refuses_new_connections() {
    let (acceptor, connector) = tls();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = Listener::new(tcp, EdgeConfig::new());
    let handle = listener.handle();
    let server = tokio::spawn(driver::listen(listener, acceptor, sessions(false), driver::Hooks::default()));
    let mut client = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
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
    client.run(CommandBody::Noop).await.unwrap();
    client.logout().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
}

/// A server that greets and then says nothing: the client's next read ends at its deadline
/// with a typed timeout instead of waiting for ever.
#[tokio::test(start_paused = true)]
async fn a_silent_server_times_the_client_out() {
    let (client_end, mut server_end) = tokio::io::duplex(4096);
    server_end.write_all(b"* OK DMAP ready\r\n").await.unwrap();
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    client.set_read_timeout(Duration::from_secs(30));
    let started = Instant::now();
    let error = client.run(CommandBody::Noop).await.unwrap_err();
    assert_eq!(error, DmapError::Timeout { what: "the server's reply", after: Duration::from_secs(30) });
    assert_eq!(error.to_string(), "the server's reply timed out after 30s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(30) && waited < Duration::from_secs(31), "{waited:?}");
    // The request did reach the server.
    let mut sent = [0u8; 64];
    let n = server_end.read(&mut sent).await.unwrap();
    assert!(sent[..n].ends_with(b" NOOP\r\n"), "{:?}", String::from_utf8_lossy(&sent[..n]));
    drop(server_end);
}
