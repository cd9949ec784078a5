//! Separate accounts never wait for each other: the store work of one account's session can
//! be held (a store call that waits on a gate) while another account's session logs in,
//! selects, fetches and appends to completion over the tokio driver.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::conn::{Conn, line, login, send};
use common::hooked::{Hook, Hooked};
use common::{PASSWORD, USER, config, store};
use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::driver;
use dime_dmap::server::ServerSession;
use tokio::io::AsyncBufReadExt;
use tokio::sync::{Notify, Semaphore};

const BOB: &str = "bob@example.org";

/// Holds the `mailbox` calls of one user until the test opens the gate.
struct Gated {
    held_user: &'static str,
    gate: Arc<Semaphore>,
    entered: Arc<Notify>,
}

impl Hook for Gated {
    async fn before(&self, method: &'static str, user: &str) {
        if method == "mailbox" && user == self.held_user {
            self.entered.notify_one();
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
        }
    }
}

/// Lines up to and including the tagged completion of `tag`.
async fn until_tagged(conn: &mut Conn, tag: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let next = line(conn).await;
        let done = next.starts_with(&format!("{tag} "));
        lines.push(next);
        if done {
            return lines;
        }
    }
}

#[tokio::test]
async fn a_held_store_call_of_one_account_does_not_stop_another_account() {
    let acceptor = common::self_signed_acceptor();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let inner = store();
    let (credentials, _) =
        Credentials::create(&Username::new(BOB.as_bytes()).unwrap(), &Password::new(PASSWORD.as_bytes()).unwrap(), 0)
            .unwrap();
    inner.add_account(BOB, credentials);
    let (gate, entered) = (Arc::new(Semaphore::new(0)), Arc::new(Notify::new()));
    let shared =
        Arc::new(Hooked { inner, hook: Gated { held_user: USER, gate: gate.clone(), entered: entered.clone() } });
    tokio::spawn(driver::listen_starttls(
        tcp,
        acceptor,
        move || {
            let mut cfg = config();
            (cfg.tls, cfg.starttls, cfg.require_tls) = (false, true, false);
            ServerSession::new(cfg, shared.clone(), std::time::Instant::now())
        },
        driver::Hooks::default(),
    ));

    // Alice's SELECT reaches the store and is held there.
    let mut alice = login(addr, USER).await;
    send(&mut alice, "S SELECT INBOX\r\n").await;
    tokio::time::timeout(Duration::from_secs(5), entered.notified()).await.expect("alice's SELECT reached the store");

    // Meanwhile bob does everything, each answer within the 5 s of `line`.
    let mut bob = login(addr, BOB).await;
    send(&mut bob, "B1 SELECT INBOX\r\n").await;
    let selected = until_tagged(&mut bob, "B1").await;
    assert!(selected.contains(&"* 0 EXISTS\r\n".to_string()), "{selected:?}");
    assert_eq!(selected.last().unwrap(), "B1 OK [READ-WRITE] SELECT completed\r\n");
    send(&mut bob, "B2 APPEND INBOX (\\Flagged) {3+}\r\nabc\r\n").await;
    assert_eq!(until_tagged(&mut bob, "B2").await, ["* 1 EXISTS\r\n", "B2 OK [APPENDUID 3 1] APPEND completed\r\n"]);
    send(&mut bob, "B3 FETCH 1:* (UID FLAGS BINARY.PEEK[])\r\n").await;
    assert_eq!(
        until_tagged(&mut bob, "B3").await,
        ["* 1 FETCH (UID 1 FLAGS (\\Flagged) BINARY[] ~{3}\r\n", "abc)\r\n", "B3 OK FETCH completed\r\n"]
    );

    // Alice is still waiting; once the gate opens her SELECT completes.
    let mut pending = String::new();
    let early = tokio::time::timeout(Duration::from_millis(100), alice.read_line(&mut pending)).await;
    assert!(early.is_err(), "alice was answered while her store call was held: {pending:?}");
    gate.add_permits(1);
    let answer = until_tagged(&mut alice, "S").await;
    assert!(answer.contains(&"* 3 EXISTS\r\n".to_string()), "{answer:?}");
    assert_eq!(answer.last().unwrap(), "S OK [READ-WRITE] SELECT completed\r\n");
}
