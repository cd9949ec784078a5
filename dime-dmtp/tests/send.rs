//! Sending as an embedder does: one call from key files to `250 OK` (resolve, validate, compose,
//! countersign, deliver) over one connection; deadlines on black-holed addresses; which errors
//! a queue retries; and the outbox's retries and bounces. Loopback only.
#![cfg(all(feature = "tokio", feature = "dns"))]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::net::*;
use common::*;
use dime_dmtp::client::{ConnectMode, Delivery};
use dime_dmtp::dns::{DnsClient, Dnssec, Resolver};
use dime_dmtp::driver::{ClientOptions, ClientTls, Connection, Roots, ServerIdentity, acceptor, serve_connection};
use dime_dmtp::outbox::{EntryId, Finished, MemoryStore, Outbox, RetryPolicy};
use dime_dmtp::resolve::{CachePolicy, Ports, PresentedCertificate};
use dime_dmtp::send::{Origin, Sender};
use dime_dmtp::server::*;
use dime_dmtp::wire::{Address, Reply, ReplyCode, TxId, Verb};
use dime_dmtp::{DmtpError, DnsErrorKind, TimeoutPhase};
use dime_signet::record::{RecordPolicy, owner_name};
use dime_signet::{KeyFile, KeyOwner, RecordError, SignetState};
use dime_testkit::dns as authority;
use hickory_server::proto::rr::rdata::{A, MX};
use hickory_server::proto::rr::{RData, Record};
use tokio::net::TcpListener;

/// An unsigned authority for example.net on loopback: the `_dx` record, MX → dx.example.net,
/// dx.example.net and example.net → 127.0.0.1.
async fn start_dns(record: &str) -> SocketAddr {
    let records = vec![
        authority::txt(&owner_name(&host("example.net")), record),
        Record::from_rdata(
            authority::name("example.net"),
            300,
            RData::MX(MX::new(10, authority::name("dx.example.net"))),
        ),
        Record::from_rdata(authority::name("dx.example.net"), 300, RData::A(A::new(127, 0, 0, 1))),
        Record::from_rdata(authority::name("example.net"), 300, RData::A(A::new(127, 0, 0, 1))),
    ];
    authority::start(vec![("example.net", records)], None).await
}

/// example.org (alice) sends to example.net (bob): the destination's native DX server counts
/// the connections it accepts (each is one TLS handshake), and the resolver reaches it
/// through the loopback DNS.
struct World {
    origin: Org,
    alice: User,
    destination: Org,
    bob: User,
    store: Arc<Store>,
    accepted: Arc<AtomicUsize>,
    resolver: Resolver,
}

async fn world() -> World {
    let origin = Org::new("example.org");
    let alice = origin.user("alice@example.org", 1);
    let destination = Org::new("example.net");
    let bob = destination.user("bob@example.net", 1);
    let (roots, chain, key) = pki("dx.example.net");
    let mut store = Store::with(&destination, &[&bob]);
    store.keys = Some((destination.enc.clone(), origin.bound()));
    let store = Arc::new(store);
    let served = vec![ServedDomain { domain: destination.domain.clone(), fingerprints: vec![] }];
    let config = Arc::new(ServerConfig::new(host("dx.example.net"), ListenMode::Native, served));
    let acceptor = acceptor(&ServerIdentity::new(chain, key).unwrap()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let native = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (count, app) = (accepted.clone(), store.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let (acceptor, config, app) = (acceptor.clone(), config.clone(), app.clone());
            tokio::spawn(async move { serve_connection(tcp, &acceptor, config, app.as_ref()).await });
        }
    });
    let nameserver = start_dns(&destination.record.to_string()).await;
    let ports = Ports { native: native.port(), dual: 9, dual_fallback: 9 };
    let resolver = Resolver::new(
        DnsClient::new(&[nameserver], Dnssec::Off).unwrap(),
        ClientTls::new(&roots).unwrap(),
        ports,
        RecordPolicy::PERMISSIVE,
        CachePolicy::default(),
    );
    World { origin, alice, destination, bob, store, accepted, resolver }
}

fn sender(w: &World) -> Sender {
    let org_keys =
        KeyFile { owner: KeyOwner::Org, signing: w.origin.pok.clone(), encryption: w.origin.enc.clone(), kem: None };
    let author_keys = KeyFile {
        owner: KeyOwner::User,
        signing: w.alice.keys[0].clone(),
        encryption: w.alice.encs[0].clone(),
        kem: None,
    };
    Sender::new(org_keys, &w.origin.signet, author_keys, w.alice.current()).unwrap()
}

/// `send` resolves bob and his organisation from DNS down, composes, countersigns and delivers:
/// the destination's check accepts the object, and the two lookups (org and user signet) and
/// the delivery took one connection, one TLS handshake. A second send finds both signets fresh
/// in the cache and connects only to deliver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_looks_up_and_delivers_over_one_connection() {
    let w = world().await;
    let sender = sender(&w);
    let txid = w.resolver.send(&sender, &w.bob.address, "Hello", "Hi Bob").await.unwrap();
    assert_eq!(w.accepted.load(Ordering::SeqCst), 1, "lookups and delivery took more than one connection");
    {
        let received = w.store.received.lock().unwrap();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].txid, txid);
        assert_eq!(received[0].envelope.mail_from.fingerprint, w.origin.fingerprint());
    }
    // Bob opens it: the headers came from the addressing and the clock.
    let object = w.store.received.lock().unwrap()[0].object.clone();
    let opened = dime_message::Envelope::recipient(&object, &Default::default(), &w.bob.encs[0])
        .unwrap()
        .open(w.bob.current(), w.alice.current(), &w.origin.signet)
        .unwrap();
    assert_eq!((opened.headers.from.as_str(), opened.headers.to.as_str()), ("alice@example.org", "bob@example.net"));
    assert!(opened.headers.date.ends_with(" +0000"), "{}", opened.headers.date);
    assert_eq!(opened.display[0].data, b"Hi Bob");

    w.resolver.send(&sender, &w.bob.address, "Again", "Hi again").await.unwrap();
    assert_eq!(w.accepted.load(Ordering::SeqCst), 2);
    assert_eq!(w.store.received.lock().unwrap().len(), 2);
    // An unknown recipient: the server's 450 for SGNT, kept whole with its code.
    let carol: Address = "carol@example.net".parse().unwrap();
    let error = w.resolver.send(&sender, &carol, "Hello", "Hi").await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.reply().map(|r| r.code().value()), Some(450));
    assert_eq!(w.destination.domain, host("example.net"));
}

/// A sender's key files must hold the keys of its signets.
#[test]
fn a_sender_refuses_key_files_that_do_not_match() {
    let origin = Org::new("example.org");
    let alice = origin.user("alice@example.org", 1);
    let other = KeyFile::generate(KeyOwner::Org).unwrap();
    let org_keys =
        KeyFile { owner: KeyOwner::Org, signing: origin.pok.clone(), encryption: origin.enc.clone(), kem: None };
    let user_keys =
        KeyFile { owner: KeyOwner::User, signing: alice.keys[0].clone(), encryption: alice.encs[0].clone(), kem: None };
    assert_eq!(
        Sender::new(other, &origin.signet, user_keys.clone(), alice.current()).unwrap_err(),
        DmtpError::KeyMismatch { what: "organisation" }
    );
    assert_eq!(
        Sender::new(org_keys.clone(), &origin.signet, org_keys.clone(), alice.current()).unwrap_err(),
        DmtpError::KeyMismatch { what: "author" }
    );
    // Another organisation's user does not bind through this one.
    let stranger = Org::new("example.com").user("eve@example.com", 1);
    let eve_keys = KeyFile {
        owner: KeyOwner::User,
        signing: stranger.keys[0].clone(),
        encryption: stranger.encs[0].clone(),
        kem: None,
    };
    assert!(matches!(
        Sender::new(org_keys.clone(), &origin.signet, eve_keys, stranger.current()).unwrap_err(),
        DmtpError::SignetState { state: SignetState::Invalid, .. }
    ));
    let sender = Sender::new(org_keys, &origin.signet, user_keys, alice.current()).unwrap();
    assert_eq!(
        (sender.origin().signet().identifier(), sender.author().identifier()),
        ("example.org", "alice@example.org")
    );
}

fn no_decision() -> impl FnMut(&PresentedCertificate<'_>) -> Result<(), DmtpError> + Send {
    |_: &PresentedCertificate<'_>| Ok(())
}

/// A listener that never accepts: the kernel completes TCP connects into its backlog, and then
/// nothing ever answers.
async fn black_hole() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Against a peer that never answers, the TLS handshake (native) and the banner (dual) each end
/// at their deadline with `Timeout` naming that phase, a transient error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_address_times_out_at_each_deadline() {
    let (_hole, addr) = black_hole().await;
    let options = ClientOptions::new()
        .with_handshake_timeout(Duration::from_millis(300))
        .with_reply_timeout(Duration::from_millis(300));
    let tls = ClientTls::new(&Roots::None).unwrap().with_options(options);
    assert_eq!(tls.options(), &options);
    // Native mode waits for the TLS handshake first, dual mode for the plaintext banner.
    for (mode, phase) in
        [(ConnectMode::Native, TimeoutPhase::TlsHandshake), (ConnectMode::Dual, TimeoutPhase::Greeting)]
    {
        let started = Instant::now();
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            Connection::connect(addr, &host("dx.example.net"), mode, &tls, &mut no_decision()),
        )
        .await
        .expect("the deadline did not hold");
        let error = result.unwrap_err();
        assert_eq!(error, DmtpError::Timeout { phase }, "{mode:?}");
        assert!(error.is_transient());
        assert!(started.elapsed() >= Duration::from_millis(300), "{mode:?} gave up early");
    }
}

/// Every target of a destination black-holed (the MX host natively and in dual mode, then the
/// domain natively: three attempts of 1 s each): the targets deadline ends the resolution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_targets_of_a_destination_share_one_deadline() {
    let (_hole, addr) = black_hole().await;
    let destination = Org::new("example.net");
    let nameserver = start_dns(&destination.record.to_string()).await;
    let options = ClientOptions::new()
        .with_handshake_timeout(Duration::from_secs(1))
        .with_reply_timeout(Duration::from_secs(1))
        .with_targets_timeout(Duration::from_millis(1500));
    let resolver = Resolver::new(
        DnsClient::new(&[nameserver], Dnssec::Off).unwrap(),
        ClientTls::new(&Roots::None).unwrap().with_options(options),
        Ports { native: addr.port(), dual: addr.port(), dual_fallback: addr.port() },
        RecordPolicy::PERMISSIVE,
        CachePolicy::default(),
    );
    // The record first, so that DNS does not count against the attempts below.
    resolver.record(&destination.domain).await.unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), resolver.connect(&destination.domain))
        .await
        .expect("the deadline did not hold");
    let error = result.map(|_| ()).unwrap_err();
    assert_eq!(error, DmtpError::Timeout { phase: TimeoutPhase::TotalBudget });
    assert_eq!(error.to_string(), "timed out waiting for any target of the destination (total time)");
    let took = started.elapsed();
    // Alone, the three attempts take 3 s (each attempt's deadline is 1 s).
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_millis(2900), "{took:?}");
}

fn reply(code: u16, text: &str) -> Reply {
    Reply::new(ReplyCode::new(code).unwrap(), text)
}

/// The exact classification a queue relies on.
#[test]
fn transient_and_permanent_errors() {
    use std::io::ErrorKind;
    let transient = [
        DmtpError::Io { kind: ErrorKind::ConnectionRefused, text: "refused".into() },
        DmtpError::Io { kind: ErrorKind::ConnectionReset, text: "reset".into() },
        DmtpError::Tls("handshake failure".into()),
        DmtpError::Timeout { phase: TimeoutPhase::Greeting },
        DmtpError::ConnectionClosed,
        DmtpError::HashEchoMismatch,
        DmtpError::NoDxHost { domain: "example.net".into() },
        DmtpError::CertificateRefused { reason: "the certificate does not chain to a trusted root" },
        DmtpError::AnswerRefused { rtype: "MX", name: "example.net".into(), reason: "bogus" },
        DmtpError::Record(RecordError::DnssecBogus),
        DmtpError::Dns { kind: DnsErrorKind::Timeout, text: "request timed out".into() },
        DmtpError::Dns { kind: DnsErrorKind::Failed, text: "SERVFAIL".into() },
        DmtpError::Rejected { verb: Verb::Data, reply: reply(451, "INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER") },
        DmtpError::Rejected { verb: Verb::MailFrom, reply: reply(421, "IDLE TIMEOUT - GOOD BYE") },
        DmtpError::Rejected { verb: Verb::Sgnt, reply: reply(450, "SIGNET NOT FOUND.") },
        DmtpError::NotDmtp { reply: reply(421, "TOO MANY CONNECTIONS - GOOD BYE") },
    ];
    let permanent = [
        DmtpError::Rejected { verb: Verb::Data, reply: reply(554, "INVALID DMIME DATA RECEIVED.") },
        DmtpError::Rejected {
            verb: Verb::RcptTo,
            reply: reply(551, "RELAY ACCESS DENIED - example.net IS NOT SERVED HERE"),
        },
        DmtpError::Rejected {
            verb: Verb::Data,
            reply: reply(550, "ACCOUNT LOCKED - THE RECIPIENT CANNOT RECEIVE MESSAGES"),
        },
        DmtpError::NotDmtp { reply: reply(220, "mx.example.net ESMTP") },
        DmtpError::UnexpectedReply { verb: Verb::Data, reply: reply(250, "OK") },
        DmtpError::MessageTooLarge { size: 2, limit: 1 },
        DmtpError::Dns { kind: DnsErrorKind::NoRecords, text: "no records found".into() },
        DmtpError::Record(RecordError::DnssecInsecure),
        DmtpError::Record(RecordError::MissingPok),
        DmtpError::SignetKind,
        DmtpError::SignetState { state: SignetState::Full, reason: None },
        DmtpError::IdentifierMismatch { expected: "bob@example.net".into(), found: "eve@example.net".into() },
        DmtpError::FingerprintMismatch,
        DmtpError::KeyMismatch { what: "author" },
        DmtpError::Message(dime_message::MessageError::AuthorKeyMismatch),
        DmtpError::WrongState,
    ];
    for error in &transient {
        assert!(error.is_transient(), "{error:?} should be transient");
    }
    for error in &permanent {
        assert!(!error.is_transient(), "{error:?} should be permanent");
    }
    // The cause stays readable.
    assert_eq!(
        DmtpError::from(std::io::Error::from(ErrorKind::ConnectionRefused)),
        DmtpError::Io { kind: ErrorKind::ConnectionRefused, text: "connection refused".into() }
    );
}

fn queued(w: &World) -> Delivery {
    let origin = w.origin.signet.bind(&dime_signet::Anchor::trusted("example.org", &[w.origin.pok.public()])).unwrap();
    let destination =
        w.destination.signet.bind(&dime_signet::Anchor::record("example.net", &w.destination.record)).unwrap();
    Delivery::new(&origin, &destination, b"object".to_vec()).unwrap()
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_400_000 + seconds)
}

/// A transient failure for the outbox tests.
const TIMED_OUT: DmtpError = DmtpError::Timeout { phase: TimeoutPhase::Greeting };
/// A transient failure is retried after the backoff (5 min, then 10 min), and a success removes
/// the entry.
#[tokio::test]
async fn the_outbox_retries_then_delivers() {
    let w = world().await;
    let mut outbox = Outbox::open(MemoryStore::new(), RetryPolicy::new()).unwrap();
    let id = outbox.enqueue(&queued(&w), at(0)).unwrap();
    assert_eq!(outbox.next_due(), Some(at(0)));
    let due = outbox.take_due(at(0)).unwrap();
    assert_eq!(due.len(), 1);
    // In flight: not handed out twice.
    assert_eq!(outbox.take_due(at(0)).unwrap(), vec![]);
    let refused = DmtpError::Io { kind: std::io::ErrorKind::ConnectionRefused, text: "refused".into() };
    assert_eq!(
        outbox.finish(id, Err(refused.clone()), at(1)).unwrap(),
        Some(Finished::Retry { at: at(301), error: refused.clone() })
    );
    assert_eq!(outbox.take_due(at(300)).unwrap(), vec![]);
    assert_eq!(outbox.take_due(at(301)).unwrap().len(), 1);
    assert_eq!(
        outbox.finish(id, Err(TIMED_OUT), at(400)).unwrap(),
        Some(Finished::Retry { at: at(1000), error: TIMED_OUT })
    );
    assert_eq!(outbox.state(id).map(|s| (s.failures, s.last_error.clone())), Some((2, Some(TIMED_OUT))));
    assert_eq!(outbox.take_due(at(1000)).unwrap().len(), 1);
    let txid: TxId = "AAAAAAAAAAAAAAAAAAAAAA".parse().unwrap();
    assert_eq!(outbox.finish(id, Ok(txid), at(1001)).unwrap(), Some(Finished::Delivered(txid)));
    assert!(outbox.is_empty() && outbox.next_due().is_none());
    assert_eq!(RetryPolicy::new().wait(5), Duration::from_secs(60 * 60), "capped at one hour");
}

/// A permanent error bounces at once with the delivery and its cause; a transient one bounces
/// when its next attempt would fall past the lifetime.
#[tokio::test]
async fn the_outbox_bounces_permanent_and_expired_deliveries() {
    let w = world().await;
    let delivery = queued(&w);
    let mut outbox = Outbox::open(MemoryStore::new(), RetryPolicy::new()).unwrap();
    let id = outbox.enqueue(&delivery, at(0)).unwrap();
    outbox.take_due(at(0)).unwrap();
    let invalid = DmtpError::Rejected { verb: Verb::Data, reply: reply(554, "INVALID DMIME DATA RECEIVED.") };
    let Some(Finished::Bounced(bounce)) = outbox.finish(id, Err(invalid.clone()), at(1)).unwrap() else {
        panic!("not bounced")
    };
    assert_eq!((bounce.delivery, bounce.error, bounce.attempts, bounce.expired), (delivery.clone(), invalid, 1, false));
    assert!(outbox.is_empty());

    let policy = RetryPolicy::new().with_lifetime(Duration::from_secs(600));
    let mut outbox = Outbox::open(MemoryStore::new(), policy).unwrap();
    let id = outbox.enqueue(&delivery, at(0)).unwrap();
    outbox.take_due(at(0)).unwrap();
    assert!(matches!(outbox.finish(id, Err(TIMED_OUT), at(0)).unwrap(), Some(Finished::Retry { .. })));
    outbox.take_due(at(300)).unwrap();
    // The next wait (10 min) would end past the 10-minute lifetime.
    let Some(Finished::Bounced(bounce)) = outbox.finish(id, Err(TIMED_OUT), at(300)).unwrap() else {
        panic!("not bounced")
    };
    assert_eq!((bounce.attempts, bounce.expired, bounce.error), (2, true, TIMED_OUT));
}

/// The tokio runner against the real server: the first attempt fails (the destination is not
/// reachable yet), the retry delivers; a permanent refusal bounces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_runner_retries_and_bounces_over_the_network() {
    let w = world().await;
    let sender = sender(&w);
    // A real, countersigned object for bob, found once through the resolver.
    let (destination, bob) = {
        let record = w.resolver.record(&w.destination.domain).await.unwrap().0;
        let org =
            dime_dmtp::resolve::validate_org(w.destination.signet.as_bytes(), &w.destination.domain, &record).unwrap();
        let bob = dime_dmtp::resolve::validate_user(w.bob.current().as_bytes(), &w.bob.address, &org, None).unwrap();
        (org, bob)
    };
    let good = sender
        .delivery(&destination, &bob, |to| dime_message::Content::text(to, SystemTime::now(), "queued", "Hi"))
        .unwrap();
    // Another object: the client hashes it (the sender's hash is that of `good`'s object).
    let bad = Delivery { object: b"not an object".to_vec().into(), hash: None, ..good.clone() };
    let outbox = tokio::sync::Mutex::new(
        Outbox::open(MemoryStore::new(), RetryPolicy::new().with_first_retry(Duration::from_millis(200))).unwrap(),
    );
    let wake = tokio::sync::Notify::new();
    let good_id = outbox.lock().await.enqueue(&good, SystemTime::now()).unwrap();
    let bad_id = outbox.lock().await.enqueue(&bad, SystemTime::now()).unwrap();
    let attempts = AtomicUsize::new(0);
    let reports = std::sync::Mutex::new(Vec::<(EntryId, Finished)>::new());
    let run = dime_dmtp::outbox::run(
        &outbox,
        &wake,
        |batch: Vec<Delivery>| {
            let first = attempts.fetch_add(1, Ordering::SeqCst) == 0;
            let resolver = &w.resolver;
            async move {
                if first {
                    let refused = DmtpError::Io { kind: std::io::ErrorKind::ConnectionRefused, text: "refused".into() };
                    return batch.iter().map(|_| Err(refused.clone())).collect();
                }
                resolver.deliver_batch(batch).await
            }
        },
        |id, finished| reports.lock().unwrap().push((id, finished.clone())),
    );
    let finished = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::select! {
            result = run => panic!("the runner ended: {result:?}"),
            () = async { while !outbox.lock().await.is_empty() { tokio::time::sleep(Duration::from_millis(20)).await } } => {}
        }
    })
    .await;
    assert!(finished.is_ok(), "the outbox did not empty: {:?}", reports.lock().unwrap());
    let reports = reports.into_inner().unwrap();
    let ends: Vec<(EntryId, &str)> = reports
        .iter()
        .map(|(id, f)| {
            (
                *id,
                match f {
                    Finished::Delivered(_) => "delivered",
                    Finished::Retry { .. } => "retry",
                    Finished::Bounced(_) => "bounced",
                },
            )
        })
        .collect();
    // Both go to example.net: one batch per attempt, each attempt's batch on one connection.
    assert_eq!(ends, vec![(good_id, "retry"), (bad_id, "retry"), (good_id, "delivered"), (bad_id, "bounced")]);
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert_eq!(w.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(w.store.received.lock().unwrap().len(), 1);
}

/// The outbox runner sends every due delivery for one destination over one connection: five
/// queued messages to example.net cost the destination one accepted connection (one TLS
/// handshake), and each gets its own transaction id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_sends_what_is_due_for_one_destination_over_one_connection() {
    const MESSAGES: usize = 5;
    let w = world().await;
    let sender = sender(&w);
    let (destination, bob) = {
        let record = w.resolver.record(&w.destination.domain).await.unwrap().0;
        let org =
            dime_dmtp::resolve::validate_org(w.destination.signet.as_bytes(), &w.destination.domain, &record).unwrap();
        let bob = dime_dmtp::resolve::validate_user(w.bob.current().as_bytes(), &w.bob.address, &org, None).unwrap();
        (org, bob)
    };
    let outbox = tokio::sync::Mutex::new(Outbox::open(MemoryStore::new(), RetryPolicy::new()).unwrap());
    for n in 0..MESSAGES {
        let subject = format!("message {n}");
        let delivery = sender
            .delivery(&destination, &bob, |to| dime_message::Content::text(to, SystemTime::now(), &subject, "Hi"))
            .unwrap();
        outbox.lock().await.enqueue(&delivery, SystemTime::now()).unwrap();
    }
    let wake = tokio::sync::Notify::new();
    let batches = std::sync::Mutex::new(Vec::<usize>::new());
    let delivered = std::sync::Mutex::new(Vec::new());
    let run = dime_dmtp::outbox::run(
        &outbox,
        &wake,
        |batch: Vec<Delivery>| {
            batches.lock().unwrap().push(batch.len());
            w.resolver.deliver_batch(batch)
        },
        |_, finished| {
            if let Finished::Delivered(txid) = finished {
                delivered.lock().unwrap().push(*txid);
            }
        },
    );
    let emptied = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::select! {
            result = run => panic!("the runner ended: {result:?}"),
            () = async { while !outbox.lock().await.is_empty() { tokio::time::sleep(Duration::from_millis(20)).await } } => {}
        }
    })
    .await;
    assert!(emptied.is_ok(), "the outbox did not empty");
    assert_eq!(*batches.lock().unwrap(), vec![MESSAGES]);
    let txids = delivered.into_inner().unwrap();
    assert_eq!(txids.len(), MESSAGES);
    let distinct: std::collections::HashSet<_> = txids.iter().collect();
    assert_eq!(distinct.len(), MESSAGES, "transaction ids repeat");
    assert_eq!(w.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(w.store.received.lock().unwrap().len(), MESSAGES);
}

/// An origin relays what its user submitted: it checks the author's signatures, resolves the
/// destination the object names from DNS down, countersigns and delivers, on one connection.
/// An object of another author, or naming another destination signet, is refused before
/// anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_relays_a_submitted_object_over_one_connection() {
    use dime_message::{Addressing, ComposeOptions, Content, OsRandom, compose};
    let w = world().await;
    let org_keys =
        KeyFile { owner: KeyOwner::Org, signing: w.origin.pok.clone(), encryption: w.origin.enc.clone(), kem: None };
    let origin = Origin::new(org_keys, &w.origin.signet).unwrap();
    let alice = origin.bind_user(w.alice.current()).unwrap();
    let compose_to = |destination: &dime_signet::Signet| {
        let to = Addressing { author: &alice, origin: origin.signet(), destination, recipient: w.bob.current() };
        let content = Content::text(&to, SystemTime::now(), "Submitted", "Hi Bob").unwrap();
        compose(&w.alice.keys[0], &to, &content, &ComposeOptions::default(), &mut OsRandom).unwrap()
    };
    let object = compose_to(&w.destination.signet);
    let txid = w.resolver.relay(&origin, &alice, &object).await.unwrap();
    assert_eq!(w.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(w.store.received.lock().unwrap()[0].txid, txid);

    // Submitted by someone else than its author: the author's signatures do not verify.
    let mallory = w.origin.user("mallory@example.org", 1);
    let mallory = origin.bind_user(mallory.current()).unwrap();
    assert!(matches!(w.resolver.relay(&origin, &mallory, &object).await, Err(DmtpError::Message(_))));
    // Naming a destination signet example.net does not serve.
    let impostor = Org::new("example.net");
    assert_eq!(
        w.resolver.relay(&origin, &alice, &compose_to(&impostor.signet)).await,
        Err(DmtpError::FingerprintMismatch)
    );
    assert_eq!(w.store.received.lock().unwrap().len(), 1);
}

/// The sender's delivery carries the `DATA` hash that the countersignature's digests gave
/// (D9): it equals the hash of the object's bytes, and the client sends it as given instead of
/// hashing the object again. A delivery given a wrong hash is refused with `451` (the server
/// hashed what arrived), so the hash sent is the one the delivery carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_hands_the_data_hash_to_the_client() {
    use dime_dmtp::object::ObjectHasher;
    let w = world().await;
    let sender = sender(&w);
    let destination =
        w.destination.signet.bind(&dime_signet::Anchor::record("example.net", &w.destination.record)).unwrap();
    let bob = destination.bind_user(w.bob.current(), None).unwrap();
    let delivery = sender
        .delivery(&destination, &bob, |to| dime_message::Content::text(to, SystemTime::now(), "Hashed", "Hi"))
        .unwrap();
    assert_eq!(delivery.hash, Some(ObjectHasher::hash(&delivery.object)));

    let wrong = Delivery { hash: Some(ObjectHasher::hash(b"another object")), ..delivery.clone() };
    let error = w.resolver.deliver(wrong).await.unwrap_err();
    assert_eq!(error.reply().map(|r| r.code().value()), Some(451), "{error:?}");
    assert!(w.store.received.lock().unwrap().is_empty());

    let txid = w.resolver.deliver(delivery).await.unwrap();
    assert_eq!(w.store.received.lock().unwrap()[0].txid, txid);
}
