//! Client against server in memory: delivery, lookups, dual mode, errors; and the resolver's
//! validation of what the lookups return.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use dime_core::Fingerprint;
use dime_dmtp::client::*;
use dime_dmtp::object::ObjectHasher;
use dime_dmtp::resolve::*;
use dime_dmtp::server::{ListenMode, ServedDomain, ServerConfig, ServerSession};
use dime_dmtp::wire::{Name, Reply, ReplyCode, Verb};
use dime_dmtp::{DmtpError, TimeoutPhase};
use dime_signet::BoundSignet;
use dime_signet::record::DnssecStatus;
use dime_signet::{FingerprintKind, ManagementRecord, SignetState};

fn pair(mode: ListenMode, org: &Org) -> (ClientSession, ServerSession, Instant) {
    let now = Instant::now();
    let served = vec![ServedDomain { domain: org.domain.clone(), fingerprints: vec![org.fingerprint()] }];
    let mut server = ServerSession::new(Arc::new(ServerConfig::new(host("dx.example.net"), mode, served)), now);
    let client_mode = if mode == ListenMode::Native { ConnectMode::Native } else { ConnectMode::Dual };
    let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), client_mode), now);
    if mode == ListenMode::Native {
        server.tls_established(now).unwrap();
        client.tls_established(now).unwrap();
    }
    (client, server, now)
}

fn delivery(origin: &Org, destination: &Org, len: usize) -> Delivery {
    Delivery {
        origin: origin.domain.clone(),
        origin_fingerprint: origin.fingerprint(),
        destination: destination.domain.clone(),
        destination_fingerprint: destination.fingerprint(),
        object: object(len),
        return_type: None,
        data_type: None,
        hash: None,
    }
}

#[test]
fn delivers_objects_of_many_sizes_in_one_session() {
    let origin = Org::new("example.org");
    let destination = Org::new("example.net");
    let store = Store::with(&destination, &[]);
    let (mut client, mut server, now) = pair(ListenMode::Native, &destination);
    let sizes = [0usize, 1, 2, 1000, 65_535, 65_536, 1 << 20];
    let ids: Vec<_> =
        sizes.iter().map(|len| client.submit(now, Request::Deliver(delivery(&origin, &destination, *len)))).collect();
    let events = run_pair(&mut client, &mut server, &store, now);
    assert_eq!(events.first(), Some(&ClientEvent::Ready));
    let received = store.received.lock().unwrap();
    assert_eq!(received.len(), sizes.len());
    for ((id, len), message) in ids.iter().zip(sizes).zip(received.iter()) {
        assert_eq!(outcome(&events, *id), Ok(Outcome::Delivered(message.txid)));
        assert_eq!(message.object, object(len));
        assert_eq!(message.envelope.mail_from.domain, origin.domain);
        assert_eq!(message.envelope.destination_fingerprint, destination.fingerprint());
    }
    assert_eq!(client.size_limit(), Some(64 * 1024 * 1024));
}

#[test]
fn dual_mode_with_starttls() {
    let origin = Org::new("example.org");
    let destination = Org::new("example.net");
    let store = Store::with(&destination, &[]);
    let (mut client, mut server, now) = pair(ListenMode::Dual { smtp_handoff: false }, &destination);
    let id = client.submit(now, Request::Deliver(delivery(&origin, &destination, 100)));
    let events = run_pair(&mut client, &mut server, &store, now);
    assert_eq!(events[0], ClientEvent::StartTls);
    assert_eq!(events[1], ClientEvent::Ready);
    assert!(matches!(outcome(&events, id), Ok(Outcome::Delivered(_))));
}

#[test]
fn lookups() {
    let org = Org::new("example.net");
    let bob = org.user("bob@example.net", 3);
    let store = Store::with(&org, &[&bob]);
    let (mut client, mut server, now) = pair(ListenMode::Native, &org);
    let full = |s: &dime_signet::Signet| s.fingerprint(FingerprintKind::Full).unwrap();
    let sgnt_org = client.submit(now, Request::Signet { name: Name::Org(org.domain.clone()), fingerprint: None });
    let sgnt_user = client
        .submit(now, Request::Signet { name: Name::User(bob.address.clone()), fingerprint: Some(full(&bob.chain[1])) });
    let missing = client.submit(now, Request::Signet { name: "carol@example.net".parse().unwrap(), fingerprint: None });
    let hist =
        client.submit(now, Request::History { address: bob.address.clone(), start: full(&bob.chain[0]), end: None });
    let current =
        client.submit(now, Request::Verify { name: Name::User(bob.address.clone()), fingerprint: full(&bob.chain[2]) });
    let update =
        client.submit(now, Request::Verify { name: Name::User(bob.address.clone()), fingerprint: full(&bob.chain[0]) });
    let stats = client.submit(now, Request::Stats);
    let noop = client.submit(now, Request::Noop);
    let quit = client.submit(now, Request::Quit);
    let after = client.submit(now, Request::Noop);
    let events = run_pair(&mut client, &mut server, &store, now);

    let Ok(Outcome::Signet(bytes)) = outcome(&events, sgnt_org) else { panic!() };
    let org_signet = validate_org(&bytes, &org.domain, &org.record).unwrap();
    assert_eq!(org_signet.signet(), &org.signet);
    let Ok(Outcome::Signet(bytes)) = outcome(&events, sgnt_user) else { panic!() };
    assert_eq!(validate_user(&bytes, &bob.address, &org_signet, Some(&bob.chain[0])).unwrap().signet(), &bob.chain[1]);
    let Err(error) = outcome(&events, missing) else { panic!() };
    assert!(error.is_not_found());
    assert_eq!(
        error,
        DmtpError::Rejected { verb: Verb::Sgnt, reply: Reply::new(ReplyCode::NOT_FOUND, "SIGNET NOT FOUND.") }
    );
    let Ok(Outcome::History(chain)) = outcome(&events, hist) else { panic!() };
    let walked = walk_history(&chain, &bob.address, &org_signet, &full(&bob.chain[0]), None).unwrap();
    assert_eq!(walked.into_iter().map(BoundSignet::into_signet).collect::<Vec<_>>(), bob.chain);
    assert_eq!(outcome(&events, current), Ok(Outcome::Verified(VerifyResult::Current)));
    assert_eq!(outcome(&events, update), Ok(Outcome::Verified(VerifyResult::Update(full(&bob.chain[2])))));
    assert_eq!(outcome(&events, stats), Ok(Outcome::Stats(vec![("messages".into(), 0)])));
    assert_eq!(outcome(&events, noop), Ok(Outcome::Done));
    assert_eq!(outcome(&events, quit), Ok(Outcome::Done));
    assert_eq!(outcome(&events, after), Err(DmtpError::ConnectionClosed));
    assert!(client.is_closed() && server.is_closed());
}

#[test]
fn delivery_errors_are_typed() {
    let origin = Org::new("example.org");
    let destination = Org::new("example.net");
    let mut store = Store::with(&destination, &[]);
    store.refuse_objects = true;
    let (mut client, mut server, now) = pair(ListenMode::Native, &destination);
    let refused = client.submit(now, Request::Deliver(delivery(&origin, &destination, 10)));
    let mut wrong = delivery(&origin, &destination, 10);
    wrong.destination = host("example.com");
    let relay = client.submit(now, Request::Deliver(wrong));
    let mut stale = delivery(&origin, &destination, 10);
    stale.destination_fingerprint = Fingerprint([1; 64]);
    let stale_id = client.submit(now, Request::Deliver(stale));
    let events = run_pair(&mut client, &mut server, &store, now);
    assert_eq!(
        outcome(&events, refused),
        Err(DmtpError::Rejected {
            verb: Verb::Data,
            reply: Reply::new(ReplyCode::FAILED, "INVALID DMIME DATA RECEIVED.")
        })
    );
    assert_eq!(
        outcome(&events, relay),
        Err(DmtpError::Rejected {
            verb: Verb::RcptTo,
            reply: Reply::new(ReplyCode::RELAY_DENIED, "RELAY ACCESS DENIED - <example.com> IS NOT SERVED HERE")
        })
    );
    assert!(matches!(outcome(&events, stale_id), Err(DmtpError::Rejected { verb: Verb::RcptTo, .. })));

    // Too large for the advertised SIZE: refused before MAIL FROM.
    let now = Instant::now();
    let served = vec![ServedDomain { domain: destination.domain.clone(), fingerprints: vec![] }];
    let mut config = ServerConfig::new(host("dx.example.net"), ListenMode::Native, served);
    config.limits.max_message_size = 5;
    let mut server = ServerSession::new(Arc::new(config), now);
    server.tls_established(now).unwrap();
    let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), ConnectMode::Native), now);
    client.tls_established(now).unwrap();
    let big = client.submit(now, Request::Deliver(delivery(&origin, &destination, 6)));
    let events = run_pair(&mut client, &mut server, &store, now);
    assert_eq!(outcome(&events, big), Err(DmtpError::MessageTooLarge { size: 6, limit: 5 }));
}

/// Feeds the client scripted server bytes and returns the outcome of one request.
fn scripted(mode: ConnectMode, request: Request, server: &[&str]) -> Result<Outcome, DmtpError> {
    let now = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), mode), now);
    if mode == ConnectMode::Native {
        client.tls_established(now).unwrap();
    }
    let id = client.submit(now, request);
    for chunk in server {
        while client.poll_transmit().is_some() {}
        while let Some(event) = client.poll() {
            if event == ClientEvent::StartTls {
                client.tls_established(now).unwrap();
            }
            if let ClientEvent::Completed { id: done, result } = event
                && done == id
            {
                return result;
            }
        }
        client.enqueue_input(now, chunk.as_bytes());
    }
    while let Some(event) = client.poll() {
        if let ClientEvent::Completed { id: done, result } = event
            && done == id
        {
            return result;
        }
    }
    panic!("no outcome");
}

#[test]
fn client_rejects_bad_servers() {
    let noop = || Request::Noop;
    let banner = "220 <dx.example.net> DMTPv1 x\r\n";
    assert_eq!(
        scripted(ConnectMode::Native, noop(), &["220 <dx.example.net> ESMTP x\r\n"]),
        Err(DmtpError::NotDmtp { reply: Reply::new(ReplyCode::READY, "<dx.example.net> ESMTP x") })
    );
    assert_eq!(scripted(ConnectMode::Native, noop(), &[banner, "250 OK\n"]), Err(DmtpError::ReplySyntax));
    assert_eq!(
        scripted(ConnectMode::Dual, noop(), &[banner, "454 NO\r\n"]),
        Err(DmtpError::Rejected { verb: Verb::StartTls, reply: Reply::new(ReplyCode::TLS_UNAVAILABLE, "NO") })
    );
    assert_eq!(
        scripted(ConnectMode::Dual, noop(), &[banner, "220 READY\r\n", "250 OK SMTP\r\n"]),
        Err(DmtpError::UnexpectedReply { verb: Verb::StartTls, reply: Reply::new(ReplyCode::OK, "OK SMTP") })
    );
    assert_eq!(
        scripted(ConnectMode::Dual, noop(), &[banner, "220 READY\r\n", "250 OK DMTPv1\r\n", "250 OK\r\n"]),
        Ok(Outcome::Done)
    );
    let sgnt = || Request::Signet { name: Name::Org(host("example.net")), fingerprint: None };
    assert_eq!(
        scripted(ConnectMode::Native, sgnt(), &[banner, "250 OK [!!]\r\n"]),
        Err(DmtpError::UnexpectedReply { verb: Verb::Sgnt, reply: Reply::new(ReplyCode::OK, "OK [!!]") })
    );
    assert_eq!(
        scripted(ConnectMode::Native, sgnt(), &[banner, "421 BYE\r\n"]),
        Err(DmtpError::Rejected { verb: Verb::Sgnt, reply: Reply::new(ReplyCode::CLOSING, "BYE") })
    );
    let origin = Org::new("example.org");
    let destination = Org::new("example.net");
    let hash = ObjectHasher::hash(&object(3));
    let other = Fingerprint([0; 64]);
    let ehlo = "250-SIZE 100\r\n250 OK\r\n";
    assert_eq!(
        scripted(
            ConnectMode::Native,
            Request::Deliver(delivery(&origin, &destination, 3)),
            &[banner, ehlo, "250 OK\r\n", "250 OK\r\n", &format!("354 CONTINUE [{other}]\r\n")]
        ),
        Err(DmtpError::HashEchoMismatch)
    );
    assert_eq!(
        scripted(
            ConnectMode::Native,
            Request::Deliver(delivery(&origin, &destination, 3)),
            &[banner, ehlo, "250 OK\r\n", "250 OK\r\n", &format!("354 CONTINUE [{hash}]\r\n"), "250 OK [nope]\r\n"]
        ),
        Err(DmtpError::UnexpectedReply { verb: Verb::Data, reply: Reply::new(ReplyCode::OK, "OK [nope]") })
    );
    // Timeouts end every request.
    let now = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), ConnectMode::Native), now);
    client.tls_established(now).unwrap();
    let id = client.submit(now, noop());
    let deadline = client.poll_timeout().unwrap();
    client.handle_timeout(deadline);
    let timeout = DmtpError::Timeout { phase: TimeoutPhase::Greeting };
    assert_eq!(client.poll(), Some(ClientEvent::Completed { id, result: Err(timeout) }));
    assert!(client.is_closed());
}

/// Feeds `server`'s replies, lets the deadline pass, and gives the request's error.
fn timed_out(mode: ConnectMode, request: Request, server: &[&str]) -> DmtpError {
    let now = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), mode), now);
    if mode == ConnectMode::Native {
        client.tls_established(now).unwrap();
    }
    let id = client.submit(now, request);
    for chunk in server {
        assert_eq!(client.enqueue_input(now, chunk.as_bytes()), chunk.len());
        while client.poll_transmit().is_some() {}
    }
    let deadline = client.poll_timeout().expect("a deadline");
    client.handle_timeout(deadline);
    let events: Vec<_> = std::iter::from_fn(|| client.poll()).collect();
    match events.last() {
        Some(ClientEvent::Completed { id: done, result: Err(error) }) if *done == id => error.clone(),
        other => panic!("no timeout: {other:?}"),
    }
}

/// A client timeout names what the session was waiting for: the greeting, the reply to a named
/// command, or the final reply after the object was sent.
#[test]
fn timeouts_name_the_phase() {
    let banner = "220 <dx.example.net> DMTPv1 x\r\n";
    let phase = |error: DmtpError| match error {
        DmtpError::Timeout { phase } => phase,
        other => panic!("not a timeout: {other:?}"),
    };
    assert_eq!(phase(timed_out(ConnectMode::Native, Request::Noop, &[])), TimeoutPhase::Greeting);
    assert_eq!(phase(timed_out(ConnectMode::Dual, Request::Noop, &[])), TimeoutPhase::Greeting);
    assert_eq!(phase(timed_out(ConnectMode::Native, Request::Noop, &[banner])), TimeoutPhase::Reply(Verb::Noop));
    assert_eq!(phase(timed_out(ConnectMode::Dual, Request::Noop, &[banner])), TimeoutPhase::Reply(Verb::StartTls));

    let origin = Org::new("example.org");
    let destination = Org::new("example.net");
    let deliver = || Request::Deliver(delivery(&origin, &destination, 3));
    let hash = ObjectHasher::hash(&object(3));
    let ehlo = "250-SIZE 100\r\n250 OK\r\n";
    assert_eq!(phase(timed_out(ConnectMode::Native, deliver(), &[banner])), TimeoutPhase::Reply(Verb::Ehlo));
    let error = timed_out(ConnectMode::Native, deliver(), &[banner, ehlo, "250 OK\r\n"]);
    assert_eq!(error.to_string(), "timed out waiting for the reply to RCPT TO");
    let sent = [banner, ehlo, "250 OK\r\n", "250 OK\r\n", &format!("354 CONTINUE [{hash}]\r\n")];
    let error = timed_out(ConnectMode::Native, deliver(), &sent);
    assert_eq!(error, DmtpError::Timeout { phase: TimeoutPhase::Data });
    assert_eq!(error.to_string(), "timed out waiting for the reply to the message data");
    assert!(error.is_transient());
}

#[test]
fn resolver_validation_rejects_what_it_must() {
    let org = Org::new("example.net");
    let other = Org::new("example.net");
    let bob = org.user("bob@example.net", 3);
    let bound = validate_org(org.signet.as_bytes(), &org.domain, &org.record).unwrap();
    let bound_other = validate_org(other.signet.as_bytes(), &other.domain, &other.record).unwrap();
    // An org signet whose POK is not in the record.
    assert!(matches!(
        validate_org(other.signet.as_bytes(), &org.domain, &org.record),
        Err(DmtpError::SignetState { state: SignetState::Invalid, .. })
    ));
    // The right signet under another domain name.
    assert_eq!(
        validate_org(org.signet.as_bytes(), &host("example.com"), &org.record),
        Err(DmtpError::IdentifierMismatch { expected: "example.com".into(), found: "example.net".into() })
    );
    assert_eq!(validate_org(bob.current().as_bytes(), &org.domain, &org.record), Err(DmtpError::SignetKind));
    assert!(matches!(validate_org(b"junk", &org.domain, &org.record), Err(DmtpError::Signet(_))));
    // A user signet signed by another organisation.
    assert!(matches!(
        validate_user(bob.current().as_bytes(), &bob.address, &bound_other, None),
        Err(DmtpError::SignetState { state: SignetState::Invalid, .. })
    ));
    // Rotated signet: with its previous one custody must hold; without, the org signature suffices.
    assert!(validate_user(bob.chain[2].as_bytes(), &bob.address, &bound, None).is_ok());
    assert!(validate_user(bob.chain[2].as_bytes(), &bob.address, &bound, Some(&bob.chain[1])).is_ok());
    assert!(matches!(
        validate_user(bob.chain[2].as_bytes(), &bob.address, &bound, Some(&bob.chain[0])),
        Err(DmtpError::SignetState { state: SignetState::BrokenCustody, .. })
    ));
    assert_eq!(
        validate_user(bob.current().as_bytes(), &"alice@example.net".parse().unwrap(), &bound, None),
        Err(DmtpError::IdentifierMismatch { expected: "alice@example.net".into(), found: "bob@example.net".into() })
    );
    // HIST chains.
    let full = |s: &dime_signet::Signet| s.fingerprint(FingerprintKind::Full).unwrap();
    let bytes: Vec<Vec<u8>> = bob.chain.iter().map(|s| s.as_bytes().to_vec()).collect();
    assert_eq!(
        walk_history(&bytes, &bob.address, &bound, &full(&bob.chain[0]), Some(&full(&bob.chain[2]))).unwrap().len(),
        3
    );
    assert_eq!(
        walk_history(&bytes, &bob.address, &bound, &full(&bob.chain[1]), None),
        Err(DmtpError::HistoryBroken { index: 0 })
    );
    assert_eq!(
        walk_history(&bytes, &bob.address, &bound, &full(&bob.chain[0]), Some(&full(&bob.chain[1]))),
        Err(DmtpError::HistoryBroken { index: 2 })
    );
    let gap = vec![bytes[0].clone(), bytes[2].clone()];
    assert_eq!(
        walk_history(&gap, &bob.address, &bound, &full(&bob.chain[0]), None),
        Err(DmtpError::HistoryBroken { index: 1 })
    );
    let fresh = org.user("bob@example.net", 1);
    let no_custody = vec![bytes[0].clone(), fresh.chain[0].as_bytes().to_vec()];
    assert_eq!(
        walk_history(&no_custody, &bob.address, &bound, &full(&bob.chain[0]), None),
        Err(DmtpError::HistoryBroken { index: 1 })
    );
    assert_eq!(
        walk_history(&[], &bob.address, &bound, &full(&bob.chain[0]), None),
        Err(DmtpError::HistoryBroken { index: 0 })
    );
}

#[test]
fn cache_ttl_exp_vrfy_and_fingerprints() {
    let org = Org::new("example.net");
    let bob = org.user("bob@example.net", 2);
    let now = Instant::now();
    let mut policy = CachePolicy::default();
    policy.signet_refresh = 60 * SECOND;
    policy.signet_max_age = 600 * SECOND;
    policy.max_entries = 2;
    let mut cache = SignetCache::new(policy);
    let name = Name::User(bob.address.clone());
    let bound_org = validate_org(org.signet.as_bytes(), &org.domain, &org.record).unwrap();
    let bound = validate_user(bob.chain[1].as_bytes(), &bob.address, &bound_org, None).unwrap();
    assert_eq!(cache.signet(&name, None, now), CacheLookup::Miss);
    // A bound signet is cached under the name it is bound to, and only there.
    cache.store_signet(bound.clone(), now);
    assert_eq!(cache.signet(&name, None, now), CacheLookup::Fresh(bound.clone()));
    assert_eq!(cache.signet(&Name::Org(org.domain.clone()), None, now), CacheLookup::Miss);
    cache.store_signet(bound_org.clone(), now);
    assert_eq!(cache.signet(&Name::Org(org.domain.clone()), None, now), CacheLookup::Fresh(bound_org.clone()));
    cache.evict(&Name::Org(org.domain.clone()));
    // Fingerprints are honoured on hits: any kind of the cached signet, nothing else.
    let crypto = bob.chain[1].fingerprint(FingerprintKind::Crypto).unwrap();
    assert_eq!(cache.signet(&name, Some(&crypto), now), CacheLookup::Fresh(bound.clone()));
    let old = bob.chain[0].fingerprint(FingerprintKind::Full).unwrap();
    assert_eq!(cache.signet(&name, Some(&old), now), CacheLookup::Miss);
    // Stale after the refresh time; VRFY CURRENT makes it fresh again; hard expiry drops it.
    assert_eq!(cache.signet(&name, None, now + 60 * SECOND), CacheLookup::Stale(bound.clone()));
    assert!(cache.confirm(&name, now + 60 * SECOND));
    assert_eq!(cache.signet(&name, None, now + 100 * SECOND), CacheLookup::Fresh(bound.clone()));
    assert_eq!(cache.signet(&name, None, now + 600 * SECOND), CacheLookup::Miss);
    assert!(!cache.confirm(&name, now + 600 * SECOND));
    cache.evict(&name);
    assert_eq!(cache.signet_count(), 0);
    // Records live for their TTL, capped by exp.
    let exp = ManagementRecord::builder(org.pok.public())
        .expiry(dime_signet::record::Expiry::from_days(1).unwrap())
        .build()
        .unwrap();
    cache.store_record(org.domain.clone(), exp, DnssecStatus::Secure, 10 * 86_400 * SECOND, now);
    assert!(cache.record(&org.domain, now + 86_399 * SECOND).is_some());
    assert!(cache.record(&org.domain, now + 86_400 * SECOND).is_none());
    cache.store_record(org.domain.clone(), org.record.clone(), DnssecStatus::Insecure, 30 * SECOND, now);
    assert_eq!(cache.record(&org.domain, now).map(|(_, s)| s), Some(DnssecStatus::Insecure));
    assert!(cache.record(&org.domain, now + 30 * SECOND).is_none());
    // exp of the org's record caps a signet's life.
    let mut long_lived = policy;
    long_lived.signet_max_age = 90 * 86_400 * SECOND;
    let mut cache = SignetCache::new(long_lived);
    let exp = ManagementRecord::builder(org.pok.public())
        .expiry(dime_signet::record::Expiry::from_days(2).unwrap())
        .build()
        .unwrap();
    cache.store_record(org.domain.clone(), exp, DnssecStatus::Secure, 90 * 86_400 * SECOND, now);
    cache.store_signet(bound.clone(), now);
    assert!(matches!(cache.signet(&name, None, now + 86_400 * SECOND), CacheLookup::Stale(_)));
    assert_eq!(cache.signet(&name, None, now + 2 * 86_400 * SECOND), CacheLookup::Miss);
    // The entry count is bounded.
    for i in 0..5 {
        let user = org.user(&format!("u{i}@example.net"), 1);
        let bound = validate_user(user.chain[0].as_bytes(), &user.address, &bound_org, None).unwrap();
        cache.store_signet(bound, now + i * SECOND);
    }
    assert_eq!(cache.signet_count(), 2);
}
