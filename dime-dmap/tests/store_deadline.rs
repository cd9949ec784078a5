//! Store work has a deadline (`SessionLimits::store_timeout`): a store call that never
//! completes no longer holds a connection and its memory for ever. The driver gives the work up
//! with `ServerSession::abandon_store`; the client gets the command's tagged `NO [UNAVAILABLE]`
//! and a `BYE` (`docs/dmap.md` §8.1), and nothing is acknowledged.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::conn::{Conn, line, login, send};
use common::hooked::{Hook, Hooked};
use common::{PASSWORD, USER, b64, config, decode_challenge, store};
use dime_core::stacie::{Password, Username};
use dime_dmap::Interrupt;
use dime_dmap::codec::Mailbox;
use dime_dmap::driver;
use dime_dmap::server::ServerSession;
use dime_dmap::store::Store;
use tokio::io::{AsyncReadExt, BufReader};
use tokio::net::TcpStream;

/// Store calls named here never complete.
struct Stuck(&'static [&'static str]);

impl Hook for Stuck {
    async fn before(&self, method: &'static str, _: &str) {
        if self.0.contains(&method) {
            std::future::pending::<()>().await;
        }
    }
}

/// A loopback listener whose sessions have a store timeout of 300 ms over `store`, with
/// `hooks`; returns its address.
async fn listen<S: Store + Clone + Send + Sync + 'static>(store: S, hooks: driver::Hooks) -> std::net::SocketAddr {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(driver::listen_starttls(
        tcp,
        common::self_signed_acceptor(),
        move || {
            let mut cfg = config();
            (cfg.tls, cfg.starttls, cfg.require_tls) = (false, true, false);
            cfg.limits.store_timeout = Duration::from_millis(300);
            ServerSession::new(cfg, store.clone(), Instant::now())
        },
        hooks,
    ));
    addr
}

/// [`listen`] over a store whose `stuck` calls never complete; returns its address and the store.
async fn serve(stuck: &'static [&'static str]) -> (std::net::SocketAddr, Arc<Hooked<Stuck>>) {
    let store = Arc::new(Hooked { inner: store(), hook: Stuck(stuck) });
    (listen(store.clone(), driver::Hooks::default()).await, store)
}

/// The rest of the connection, once the server closes it.
async fn rest(conn: &mut Conn) -> String {
    let mut rest = String::new();
    tokio::time::timeout(Duration::from_secs(5), conn.read_to_string(&mut rest))
        .await
        .expect("closed in time")
        .unwrap();
    rest
}

#[tokio::test]
async fn a_stuck_append_is_answered_no_unavailable_and_the_connection_closes() {
    let (addr, store) = serve(&["append"]).await;
    let mut conn = login(addr, USER).await;
    let started = tokio::time::Instant::now();
    send(&mut conn, "A APPEND INBOX {3+}\r\nabc\r\n").await;
    assert_eq!(line(&mut conn).await, "A NO [UNAVAILABLE] Store did not answer in time; the outcome is unknown\r\n");
    assert!(started.elapsed() >= Duration::from_millis(300), "answered before the deadline");
    assert_eq!(line(&mut conn).await, "* BYE Store did not answer in time\r\n");
    assert_eq!(rest(&mut conn).await, "");
    // Not acknowledged, and not made: the stuck call never reached the memory store.
    assert_eq!(store.inner.mailbox(USER, &Mailbox::inbox()).await.unwrap().messages.len(), 3);
}

#[tokio::test]
async fn a_stuck_credentials_lookup_ends_the_login() {
    let (addr, _) = serve(&["credentials"]).await;
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(line(&mut conn).await.starts_with("* OK"));
    send(&mut conn, &format!("L AUTHENTICATE STACIE {}\r\n", b64(USER.as_bytes()))).await;
    assert_eq!(line(&mut conn).await, "L NO [UNAVAILABLE] Store did not answer in time; the outcome is unknown\r\n");
    assert_eq!(line(&mut conn).await, "* BYE Store did not answer in time\r\n");
    assert_eq!(rest(&mut conn).await, "");
}

#[tokio::test]
async fn a_stuck_object_read_ends_a_fetch_after_the_messages_already_answered() {
    let (addr, _) = serve(&["object"]).await;
    let mut conn = login(addr, USER).await;
    send(&mut conn, "S SELECT INBOX\r\n").await;
    while !line(&mut conn).await.starts_with("S OK") {}
    send(&mut conn, "F FETCH 1 BINARY.PEEK[]\r\n").await;
    assert_eq!(line(&mut conn).await, "F NO [UNAVAILABLE] Store did not answer in time; the outcome is unknown\r\n");
    assert_eq!(line(&mut conn).await, "* BYE Store did not answer in time\r\n");
    assert_eq!(rest(&mut conn).await, "");
}

/// `mailbox` calls get stuck once armed (after the SELECT).
struct StuckLater(Arc<std::sync::atomic::AtomicBool>);

impl Hook for StuckLater {
    async fn before(&self, method: &'static str, _: &str) {
        if method == "mailbox" && self.0.load(std::sync::atomic::Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }
}

/// An idling session's refresh that gets stuck answers the IDLE.
#[tokio::test]
async fn a_stuck_refresh_during_idle_answers_the_idle() {
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let shared = Arc::new(Hooked { inner: store(), hook: StuckLater(armed.clone()) });
    let changes = Arc::new(tokio::sync::Notify::new());
    let hooks = driver::Hooks { changes: Some(changes.clone()), ..driver::Hooks::default() };
    let addr = listen(shared.clone(), hooks).await;
    let mut conn = login(addr, USER).await;
    send(&mut conn, "S SELECT INBOX\r\n").await;
    while !line(&mut conn).await.starts_with("S OK") {}
    send(&mut conn, "I IDLE\r\n").await;
    assert_eq!(line(&mut conn).await, "+ idling\r\n");
    armed.store(true, std::sync::atomic::Ordering::SeqCst);
    // Told until the driver listens (it may still be on its way back to waiting for input).
    let notifier = tokio::spawn(async move {
        loop {
            changes.notify_waiters();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    assert_eq!(line(&mut conn).await, "I NO [UNAVAILABLE] Store did not answer in time; the outcome is unknown\r\n");
    assert_eq!(line(&mut conn).await, "* BYE Store did not answer in time\r\n");
    assert_eq!(rest(&mut conn).await, "");
    notifier.abort();
}

/// Store calls that answer in time are not touched by the deadline.
#[tokio::test]
async fn store_work_within_the_deadline_goes_on() {
    let (addr, _) = serve(&[]).await;
    let mut conn = login(addr, USER).await;
    send(&mut conn, "A APPEND INBOX {3+}\r\nabc\r\n").await;
    assert_eq!(line(&mut conn).await, "A OK [APPENDUID 1 4] APPEND completed\r\n");
    send(&mut conn, "B NOOP\r\n").await;
    assert_eq!(line(&mut conn).await, "B OK NOOP completed\r\n");
}

/// The sans-IO side: the session answers the command whose store work was dropped, and
/// `abandon_store` without work started is nothing.
#[tokio::test]
async fn abandon_store_answers_the_dropped_command_once() {
    let store = Hooked { inner: store(), hook: Stuck(&["create_mailbox"]) };
    let mut session = ServerSession::new(config(), store, Instant::now());
    // Nothing started: nothing to abandon.
    session.abandon_store();
    let mut out = Vec::new();
    while let Err(Interrupt::Output(bytes)) = session.next() {
        out.extend(bytes);
    }
    assert!(String::from_utf8_lossy(&out).starts_with("* OK [CAPABILITY"));
    assert_eq!(session.state(), dime_dmap::State::NotAuthenticated);

    // Log in over the stuck store: credentials are not stuck.
    let mut session = logged_in(session).await;
    session.enqueue_input(Instant::now(), b"C CREATE New\r\n");
    assert!(matches!(session.next(), Err(Interrupt::Store)));
    let timed_out = tokio::time::timeout(Duration::from_millis(50), session.run_store()).await;
    assert!(timed_out.is_err(), "the stuck CREATE finished");
    session.abandon_store();
    session.abandon_store();
    let mut out = Vec::new();
    loop {
        match session.next() {
            Err(Interrupt::Output(bytes)) => out.extend(bytes),
            Err(Interrupt::Closed) => break,
            Ok(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "C NO [UNAVAILABLE] Store did not answer in time; the outcome is unknown\r\n\
         * BYE Store did not answer in time\r\n"
    );
}

/// Runs the STACIE login of alice on `session` (store work awaited inline).
async fn logged_in<S: Store>(mut session: ServerSession<S>) -> ServerSession<S> {
    let mut said = Vec::new();
    let drain = async |session: &mut ServerSession<S>, said: &mut Vec<u8>| loop {
        match session.next() {
            Err(Interrupt::Output(bytes)) => said.extend(bytes),
            Err(Interrupt::Store) => session.run_store().await,
            Err(_) => return,
            Ok(_) => {}
        }
    };
    session.enqueue_input(Instant::now(), format!("L AUTHENTICATE STACIE {}\r\n", b64(USER.as_bytes())).as_bytes());
    drain(&mut session, &mut said).await;
    let text = String::from_utf8(std::mem::take(&mut said)).unwrap();
    let challenge = decode_challenge(text.lines().last().map(|l| format!("{l}\r\n")).as_deref().unwrap());
    let token =
        challenge.answer(&Username::new(USER.as_bytes()).unwrap(), &Password::new(PASSWORD.as_bytes()).unwrap());
    session.enqueue_input(Instant::now(), format!("{}\r\n", b64(token.as_bytes())).as_bytes());
    drain(&mut session, &mut said).await;
    assert!(String::from_utf8_lossy(&said).starts_with("L OK"), "{}", String::from_utf8_lossy(&said));
    session
}

/// A `SIGNET` for another organisation's address goes to `Hooks::signets`; one that never
/// finishes is answered `NO [UNAVAILABLE]` at the store deadline, and the session goes on.
#[tokio::test]
async fn a_stuck_signet_resolution_is_answered_at_the_deadline() {
    let shared = Arc::new(store());
    shared.serve_domain("example.org");
    let hooks = driver::Hooks {
        signets: Some(Arc::new(|_| -> driver::SignetFuture { Box::pin(std::future::pending()) })),
        ..driver::Hooks::default()
    };
    let addr = listen(shared.clone(), hooks).await;
    let mut conn = login(addr, USER).await;
    let started = Instant::now();
    send(&mut conn, "S SIGNET carol@example.net\r\n").await;
    assert_eq!(line(&mut conn).await, format!("S NO [UNAVAILABLE] {}\r\n", driver::RESOLUTION_LATE));
    assert!(started.elapsed() >= Duration::from_millis(300));
    send(&mut conn, "N NOOP\r\n").await;
    assert_eq!(line(&mut conn).await, "N OK NOOP completed\r\n");
}
