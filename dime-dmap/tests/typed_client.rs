//! The async client's typed calls against a real server session (driven over an in-memory
//! duplex stream), and `IDLE` against a scripted server.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{PASSWORD, USER, config, object, store};
use dime_core::keys::{EncryptionSecretKey, SigningPublicKey, SigningSecretKey};
use dime_dmap::codec::{Code, Flag, Mailbox, SequenceSet, StatusKind, StoreMode};
use dime_dmap::driver::{Client, Fetched, IdleUpdate, MailboxStatus, SignetTrust};
use dime_dmap::server::ServerSession;
use dime_dmap::store::MemoryStore;
use dime_dmap::{DmapError, Interrupt, SessionLimits};
use dime_signet::{Anchor, AnchorSource, KeyFile, KeyOwner, Signet, SignetError, issue};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Runs `session` over `stream` as the driver does, until it closes.
async fn serve(mut stream: DuplexStream, mut session: ServerSession<MemoryStore>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Err(Interrupt::Store) => session.run_store().await,
            Err(Interrupt::NeedMoreInput) => match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => session.enqueue_input(std::time::Instant::now(), &buffer[..n]),
            },
            Err(_) => return,
        }
    }
}

struct Org {
    pok: SigningSecretKey,
    signet: Signet,
    alice: Signet,
}

fn org() -> Org {
    let pok = SigningSecretKey::from_seed(&[1; 32]);
    let encryption = |n: u8| EncryptionSecretKey::x25519_from_bytes([n; 32]).public().unwrap();
    let signet = issue::new_org_signet(&pok, &encryption(2), "example.org").unwrap();
    let request = issue::new_request(&SigningSecretKey::from_seed(&[3; 32]), &encryption(4), None).unwrap();
    let alice = issue::issue_user_signet(&request, None, &signet, &pok, USER, &[]).unwrap();
    Org { pok, signet, alice }
}

/// A logged-in client of a server with `store`.
async fn client_with(store: MemoryStore) -> Client<DuplexStream> {
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let session = ServerSession::new(config(), store, std::time::Instant::now());
    tokio::spawn(serve(server_end, session));
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    client.allow_insecure_auth();
    client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();
    client
}

async fn client(org: &Org) -> Client<DuplexStream> {
    let store = store();
    store.publish_signet("example.org", org.signet.clone());
    store.publish_signet(USER, org.alice.clone());
    client_with(store).await
}

#[tokio::test]
async fn list_select_fetch_store_expunge_and_submit_are_typed() {
    let org = org();
    let mut client = client(&org).await;

    let listed = client.list("", "*").await.unwrap();
    let names: Vec<&str> = listed.iter().map(|m| m.mailbox.as_str()).collect();
    assert_eq!(names, ["Archive", "INBOX"]);

    let status = client.select(&Mailbox::inbox()).await.unwrap();
    let MailboxStatus { exists, recent, unseen, uid_validity, uid_next, read_only, .. } = status.clone();
    assert_eq!((exists, recent, unseen, uid_next, read_only), (3, 0, Some(1), Some(4), false));
    assert!(uid_validity.is_some());
    assert!(status.flags.contains(&Flag::Deleted) && status.permanent_flags.contains(&Flag::Seen));

    let fetched = client.fetch(&SequenceSet::all()).await.unwrap();
    assert_eq!(fetched.len(), 3);
    let Fetched { seq, uid, flags, size, object: bytes, .. } = fetched[1].clone();
    assert_eq!((seq, uid, flags, size as usize), (2, 2, vec![Flag::Seen], object(1).len()));
    assert_eq!(bytes, object(1));
    assert_eq!(client.uid_fetch(&SequenceSet::single(3).unwrap()).await.unwrap()[0].object, object(2));
    // BODY.PEEK[]: fetching does not mark the first message seen.
    assert_eq!(client.fetch(&SequenceSet::single(1).unwrap()).await.unwrap()[0].flags, Vec::<Flag>::new());

    let stored = client.store(&SequenceSet::single(1).unwrap(), StoreMode::Add, &[Flag::Deleted]).await.unwrap();
    assert_eq!(stored, vec![(1, vec![Flag::Deleted])]);
    assert_eq!(client.expunge().await.unwrap(), vec![1]);
    assert_eq!(client.select(&Mailbox::inbox()).await.unwrap().exists, 2);

    let id = client.submit(object(9)).await.unwrap();
    assert!(!id.is_empty());
}

#[tokio::test]
async fn select_of_a_missing_mailbox_is_rejected_with_nonexistent() {
    let org = org();
    let mut client = client(&org).await;
    let error = client.select(&Mailbox::new("Nope")).await.unwrap_err();
    assert!(
        matches!(error, DmapError::Rejected { kind: StatusKind::No, code: Some(Code::Nonexistent), .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn signet_is_bound_to_the_address_by_the_anchor() {
    let org = org();
    let mut client = client(&org).await;
    let poks = [org.pok.public()];
    let anchor = SignetTrust::Anchor(Anchor::trusted("example.org", &poks));

    let alice = client.signet(USER, anchor).await.unwrap();
    assert_eq!((alice.identifier(), alice.signet(), alice.anchor_source()), (USER, &org.alice, AnchorSource::Trusted));
    let domain = client.signet("example.org", anchor).await.unwrap();
    assert_eq!((domain.identifier(), domain.signet()), ("example.org", &org.signet));
}

#[tokio::test]
async fn signet_refuses_what_the_anchor_does_not_vouch_for() {
    let org = org();
    let mut client = client(&org).await;
    let poks = [org.pok.public()];

    let anchor = SignetTrust::Anchor(Anchor::trusted("example.org", &poks));
    // An anchor for another domain does not vouch for example.org.
    let elsewhere = SignetTrust::Anchor(Anchor::trusted("example.net", &poks));
    assert_eq!(
        client.signet(USER, elsewhere).await,
        Err(DmapError::Signet(SignetError::OutsideAnchor {
            identifier: "example.org".into(),
            domain: "example.net".into()
        }))
    );
    // Keys the organization does not hold bind nothing.
    let strangers: [SigningPublicKey; 1] = [SigningSecretKey::from_seed(&[9; 32]).public()];
    let error = client.signet(USER, SignetTrust::Anchor(Anchor::trusted("example.org", &strangers))).await;
    assert!(matches!(error, Err(DmapError::Signet(SignetError::NotBound { .. }))), "{error:?}");
    // No such signet.
    let error = client.signet("carol@example.org", anchor).await.unwrap_err();
    assert!(
        matches!(error, DmapError::Rejected { kind: StatusKind::No, code: Some(Code::Nonexistent), .. }),
        "{error:?}"
    );
}

/// A server (scripted: the real one checks the identifier) that hands alice's signet out as
/// bob's: the client refuses it.
#[tokio::test]
async fn signet_refuses_a_signet_of_another_address() {
    let org = org();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (org_bytes, alice_bytes) = (org.signet.as_bytes().to_vec(), org.alice.as_bytes().to_vec());
    tokio::spawn(async move {
        let mut server = BufReader::new(server_end);
        server.get_mut().write_all(b"* OK ready\r\n").await.unwrap();
        for (tag, asked, bytes) in [("A1", "example.org", org_bytes), ("A2", "bob@example.org", alice_bytes)] {
            let mut line = String::new();
            server.read_line(&mut line).await.unwrap();
            assert_eq!(line, format!("{tag} SIGNET {asked}\r\n"));
            let mut answer = format!("* SIGNET {asked} {{{}}}\r\n", bytes.len()).into_bytes();
            answer.extend_from_slice(&bytes);
            answer.extend_from_slice(format!("\r\n{tag} OK SIGNET completed\r\n").as_bytes());
            server.get_mut().write_all(&answer).await.unwrap();
        }
        server
    });
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    let poks = [org.pok.public()];
    let anchor = SignetTrust::Anchor(Anchor::trusted("example.org", &poks));
    assert_eq!(
        client.signet("bob@example.org", anchor).await,
        Err(DmapError::Signet(SignetError::WrongIdentifier { expected: "bob@example.org".into(), found: USER.into() }))
    );
}

#[tokio::test]
async fn the_keyfile_round_trips_sealed_under_the_login_keys() {
    let org = org();
    let mut client = client(&org).await;
    assert_eq!(client.keyfile().await.unwrap(), None);
    let keyfile = KeyFile::generate(KeyOwner::User).unwrap();
    client.store_keyfile(&keyfile).await.unwrap();
    let fetched = client.keyfile().await.unwrap().unwrap();
    assert_eq!(fetched.to_bytes().unwrap(), keyfile.to_bytes().unwrap());
}

#[tokio::test]
async fn the_keyfile_needs_a_stacie_login() {
    let (client_end, server_end) = tokio::io::duplex(4096);
    tokio::spawn(serve(server_end, ServerSession::new(config(), store(), std::time::Instant::now())));
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    assert_eq!(
        client.keyfile().await,
        Err(DmapError::WrongState { command: "KEYFILE FETCH", state: "not logged in with STACIE" })
    );
}

#[tokio::test]
async fn idle_against_the_server_starts_and_ends() {
    let org = org();
    let mut client = client(&org).await;
    client.select(&Mailbox::inbox()).await.unwrap();
    let mut idle = client.idle().await.unwrap();
    assert_eq!(idle.wait(Duration::from_millis(20)).await.unwrap(), None);
    assert_eq!(idle.done().await.unwrap(), vec![]);
    // The connection is usable again.
    assert_eq!(client.select(&Mailbox::inbox()).await.unwrap().exists, 3);
}

/// A scripted server: greets, then answers `IDLE` with updates, a silence and `DONE`.
#[tokio::test(start_paused = true)]
async fn idle_yields_typed_updates_times_out_and_ends_with_done() {
    let (client_end, server_end) = tokio::io::duplex(4096);
    let script = tokio::spawn(async move {
        let mut server = BufReader::new(server_end);
        server.get_mut().write_all(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n").await.unwrap();
        let mut line = String::new();
        server.read_line(&mut line).await.unwrap();
        assert_eq!(line, "A1 IDLE\r\n");
        server.get_mut().write_all(b"+ idling\r\n* 4 EXISTS\r\n* 2 FETCH (FLAGS (\\Seen))\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        server.get_mut().write_all(b"* 2 EXPUNGE\r\n").await.unwrap();
        line.clear();
        server.read_line(&mut line).await.unwrap();
        assert_eq!(line, "DONE\r\n");
        server.get_mut().write_all(b"* 3 EXISTS\r\nA1 OK IDLE terminated\r\n").await.unwrap();
        server
    });
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    let mut idle = client.idle().await.unwrap();
    assert_eq!(idle.wait(Duration::from_secs(1)).await.unwrap(), Some(IdleUpdate::Exists(4)));
    assert_eq!(
        idle.wait(Duration::from_secs(1)).await.unwrap(),
        Some(IdleUpdate::Flags { seq: 2, flags: vec![Flag::Seen] })
    );
    // Silence for longer than the timeout: no update, the IDLE goes on.
    let started = tokio::time::Instant::now();
    assert_eq!(idle.wait(Duration::from_secs(30)).await.unwrap(), None);
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert_eq!(idle.wait(Duration::from_secs(60)).await.unwrap(), Some(IdleUpdate::Expunge(2)));
    assert_eq!(idle.done().await.unwrap(), vec![IdleUpdate::Exists(3)]);
    script.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_idle_the_server_refuses_is_rejected() {
    let (client_end, server_end) = tokio::io::duplex(4096);
    tokio::spawn(async move {
        let mut server = BufReader::new(server_end);
        server.get_mut().write_all(b"* OK ready\r\n").await.unwrap();
        let mut line = String::new();
        server.read_line(&mut line).await.unwrap();
        server.get_mut().write_all(b"A1 BAD No mailbox selected\r\n").await.unwrap();
        server
    });
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    let error = client.idle().await.unwrap_err();
    assert!(matches!(error, DmapError::Rejected { kind: StatusKind::Bad, .. }), "{error:?}");
}

/// The key stretching runs on the blocking pool: on a one-thread runtime, another task keeps
/// running while it does. (Run on the worker, the derivation would hold the only thread, and
/// the ticker would advance only at the few I/O waits of the exchange.)
#[tokio::test(flavor = "current_thread")]
async fn stacie_stretching_runs_off_the_async_worker() {
    // A bonus that makes the derivation long enough to notice.
    let user = dime_core::stacie::Username::new(USER.as_bytes()).unwrap();
    let password = dime_core::stacie::Password::new(PASSWORD.as_bytes()).unwrap();
    let bonus = 20_000;
    let (credentials, _) = dime_core::stacie::Credentials::create(&user, &password, bonus).unwrap();
    let store = MemoryStore::new();
    store.add_account(USER, credentials);

    let (client_end, server_end) = tokio::io::duplex(4096);
    tokio::spawn(serve(server_end, ServerSession::new(config(), store, std::time::Instant::now())));
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    client.allow_insecure_auth();

    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        })
    };
    client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();
    ticker.abort();
    let ticks = ticks.load(Ordering::Relaxed);
    assert!(ticks > 1_000, "the ticker ran only {ticks} times during the login");
}
