//! The accept loop on loopback: transient errors, caps and their refusals, shutdown, deadlines.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use dime_net::{Accept, Dial, EdgeConfig, Error, Listener, Phase, Refusal, refuse_with_line};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// A listener whose next accepts fail with the queued errors, then accepts for real.
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

fn errno(code: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(code.raw_os_error())
}

async fn bound() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A connection from loopback address 127.0.0.`host`.
async fn connect_from(host: u8, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

async fn read_all(mut stream: TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    out
}

/// Says hello, then waits for the peer to close.
async fn hello(mut tcp: TcpStream) {
    let _ = tcp.write_all(b"hello\r\n").await;
    let mut sink = [0u8; 16];
    while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
}

async fn refuse(tcp: TcpStream, refusal: Refusal) {
    let line: &[u8] = match refusal {
        Refusal::ListenerFull => b"FULL\r\n",
        Refusal::SourceFull => b"SOURCE FULL\r\n",
        _ => b"REFUSED\r\n",
    };
    refuse_with_line(tcp, line).await
}

#[tokio::test]
async fn transient_accept_errors_are_survived() {
    use rustix::io::Errno;
    let (inner, addr) = bound().await;
    let errors = vec![errno(Errno::MFILE), errno(Errno::NFILE), errno(Errno::CONNABORTED), errno(Errno::NOBUFS)];
    let flaky = Flaky { inner, errors: Mutex::new(errors) };
    let listener = Listener::new(flaky, EdgeConfig::new().with_accept_backoff(Duration::from_millis(5)));
    let handle = listener.handle();
    let run = tokio::spawn(listener.run(|tcp, _| hello(tcp), refuse));
    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut greeting = [0u8; 7];
    client.read_exact(&mut greeting).await.unwrap();
    assert_eq!(&greeting, b"hello\r\n");
    let stats = handle.stats();
    assert_eq!((stats.transient_errors, stats.accepted), (4, 1));
    assert!(!run.is_finished());
    handle.shutdown(Duration::ZERO);
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_error_of_the_listening_socket_ends_the_loop() {
    let (inner, _) = bound().await;
    let flaky = Flaky { inner, errors: Mutex::new(vec![io::ErrorKind::InvalidInput.into()]) };
    let result = Listener::new(flaky, EdgeConfig::new()).run(|tcp, _| hello(tcp), refuse).await;
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn the_per_source_cap_refuses_with_the_protocol_line_and_frees_places() {
    let (inner, addr) = bound().await;
    let listener = Listener::new(inner, EdgeConfig::new().with_max_per_source(2));
    let handle = listener.handle();
    tokio::spawn(listener.run(|tcp, _| hello(tcp), refuse));
    let mut first = connect_from(1, addr).await;
    let mut line = [0u8; 7];
    first.read_exact(&mut line).await.unwrap();
    let mut second = connect_from(1, addr).await;
    second.read_exact(&mut line).await.unwrap();
    assert_eq!(read_all(connect_from(1, addr).await).await, b"SOURCE FULL\r\n");
    // Another source is still served.
    let mut other = connect_from(2, addr).await;
    other.read_exact(&mut line).await.unwrap();
    assert_eq!(&line, b"hello\r\n");
    drop(first);
    // The place frees once the session has seen the close.
    let mut admitted = false;
    for _ in 0..100 {
        let mut third = connect_from(1, addr).await;
        let mut got = [0u8; 7];
        third.read_exact(&mut got).await.unwrap();
        if &got == b"hello\r\n" {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(admitted);
    assert!(handle.stats().refused >= 1);
}

#[tokio::test]
async fn the_listener_cap_refuses_with_the_protocol_line() {
    let (inner, addr) = bound().await;
    let listener = Listener::new(inner, EdgeConfig::new().with_max_connections(2));
    let handle = listener.handle();
    tokio::spawn(listener.run(|tcp, _| hello(tcp), refuse));
    let mut line = [0u8; 7];
    let mut one = connect_from(1, addr).await;
    one.read_exact(&mut line).await.unwrap();
    let mut two = connect_from(2, addr).await;
    two.read_exact(&mut line).await.unwrap();
    assert_eq!(read_all(connect_from(3, addr).await).await, b"FULL\r\n");
    let stats = handle.stats();
    assert_eq!((stats.open, stats.accepted, stats.refused), (2, 2, 1));
}

#[tokio::test]
async fn shutdown_lets_sessions_finish_and_refuses_new_connections() {
    let (inner, addr) = bound().await;
    let listener = Listener::new(inner, EdgeConfig::new());
    let handle = listener.handle();
    // Each session answers one line after reading one byte.
    let run = tokio::spawn(listener.run(
        |mut tcp: TcpStream, _| async move {
            let mut byte = [0u8; 1];
            if tcp.read_exact(&mut byte).await.is_ok() {
                let _ = tcp.write_all(b"finished\r\n").await;
            }
        },
        refuse,
    ));
    let mut in_flight = TcpStream::connect(addr).await.unwrap();
    while handle.stats().open == 0 {
        tokio::task::yield_now().await;
    }
    handle.shutdown(Duration::from_secs(30));
    // New connections are refused once the loop has closed the socket.
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(refused, "the listening socket stayed open after shutdown");
    assert!(!run.is_finished());
    in_flight.write_all(b"x").await.unwrap();
    assert_eq!(read_all(in_flight).await, b"finished\r\n");
    tokio::time::timeout(Duration::from_secs(5), run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_drops_sessions_still_open_after_the_grace() {
    let (inner, addr) = bound().await;
    let listener = Listener::new(inner, EdgeConfig::new());
    let handle = listener.handle();
    let run = tokio::spawn(listener.run(|tcp, _| hello(tcp), refuse));
    let mut stuck = TcpStream::connect(addr).await.unwrap();
    let mut line = [0u8; 7];
    stuck.read_exact(&mut line).await.unwrap();
    handle.shutdown(Duration::from_millis(50));
    tokio::time::timeout(Duration::from_secs(5), run).await.unwrap().unwrap().unwrap();
    assert_eq!(read_all(stuck).await, b"");
    assert_eq!(handle.stats().open, 0);
}

#[tokio::test(start_paused = true)]
async fn a_phase_past_its_deadline_is_a_timeout() {
    let never = std::future::pending::<io::Result<()>>();
    let error = dime_net::within(Phase::Handshake, Duration::from_secs(10), never).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { phase: Phase::Handshake, after } if after == Duration::from_secs(10)));
    assert_eq!(error.to_string(), "TLS handshake timed out after 10s");
}

/// A listener whose accept queue is full drops further SYNs, so a connect to it hangs: the
/// connect deadline must end it.
#[tokio::test]
async fn a_connect_that_is_never_answered_times_out() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let black_hole = socket.listen(0).unwrap();
    let addr = black_hole.local_addr().unwrap();
    let dial = Dial::new().with_connect_timeout(Duration::from_millis(300));
    let mut held = Vec::new();
    let mut timed_out = None;
    for _ in 0..16 {
        match dial.connect(addr).await {
            Ok(tcp) => held.push(tcp),
            Err(error) => {
                timed_out = Some(error);
                break;
            }
        }
    }
    let error = timed_out.expect("every connect was answered");
    assert!(matches!(error, Error::Timeout { phase: Phase::Connect, .. }), "{error}");
}
