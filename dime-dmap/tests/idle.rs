//! IDLE across connections through the tokio driver: an APPEND in one session reaches an IDLE
//! in another, because the driver turns the session's `MailboxChanged` event into a wake-up of
//! every session sharing the store (`Hooks::changes`).

mod common;

use std::sync::Arc;

use common::conn::{Conn, line, send};
use common::{PASSWORD, USER, b64, config, decode_challenge, store};
use dime_core::stacie::{Password, Username};
use dime_dmap::driver;
use dime_dmap::server::ServerSession;
use tokio::io::BufReader;
use tokio::net::TcpStream;

/// Connects in the clear (the sessions allow it for this test) and logs alice in.
async fn login(addr: std::net::SocketAddr) -> Conn {
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(line(&mut conn).await.starts_with("* OK"));
    send(&mut conn, "L AUTHENTICATE STACIE\r\n").await;
    assert_eq!(line(&mut conn).await, "+ \r\n");
    send(&mut conn, &format!("{}\r\n", b64(USER.as_bytes()))).await;
    let challenge = decode_challenge(&line(&mut conn).await);
    let token =
        challenge.answer(&Username::new(USER.as_bytes()).unwrap(), &Password::new(PASSWORD.as_bytes()).unwrap());
    send(&mut conn, &format!("{}\r\n", b64(token.as_bytes()))).await;
    assert!(line(&mut conn).await.starts_with("L OK"));
    conn
}

#[tokio::test]
async fn an_append_in_one_session_reaches_an_idle_in_another() {
    let acceptor = common::self_signed_acceptor();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let shared = Arc::new(store());
    let hooks = driver::Hooks { changes: Some(Arc::new(tokio::sync::Notify::new())), ..driver::Hooks::default() };
    tokio::spawn(driver::listen_starttls(
        tcp,
        acceptor,
        move || {
            let mut cfg = config();
            (cfg.tls, cfg.starttls, cfg.require_tls) = (false, true, false);
            ServerSession::new(cfg, shared.clone(), std::time::Instant::now())
        },
        hooks,
    ));

    let mut idler = login(addr).await;
    send(&mut idler, "S SELECT INBOX\r\n").await;
    while !line(&mut idler).await.starts_with("S OK") {}
    send(&mut idler, "I IDLE\r\n").await;
    assert_eq!(line(&mut idler).await, "+ idling\r\n");

    let mut writer = login(addr).await;
    send(&mut writer, "A APPEND INBOX {3+}\r\nabc\r\n").await;
    assert_eq!(line(&mut writer).await, "A OK [APPENDUID 1 4] APPEND completed\r\n");
    // The idling session hears of it without sending anything.
    assert_eq!(line(&mut idler).await, "* 4 EXISTS\r\n");
    send(&mut writer, "B SELECT INBOX\r\n").await;
    while !line(&mut writer).await.starts_with("B OK") {}
    send(&mut writer, "C STORE 1 +FLAGS.SILENT (\\Flagged)\r\n").await;
    assert_eq!(line(&mut writer).await, "C OK STORE completed\r\n");
    assert_eq!(line(&mut idler).await, "* 1 FETCH (FLAGS (\\Flagged))\r\n");
    send(&mut idler, "DONE\r\n").await;
    assert_eq!(line(&mut idler).await, "I OK IDLE terminated\r\n");
}
