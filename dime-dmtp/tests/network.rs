//! Client against server over real TCP and TLS on loopback, with signet resolution over real DNS
//! packets from an in-process hickory authority (loopback only).
#![cfg(all(feature = "tokio", feature = "dns"))]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::net::*;
use common::*;
use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::client::{ConnectMode, Delivery, Outcome, Request};
use dime_dmtp::dns::{DnsClient, Dnssec, Resolver, TrustAnchors};
use dime_dmtp::driver::{ClientTls, Roots, ServerIdentity, acceptor, serve};
use dime_dmtp::resolve::{
    Answer, BOGUS_ANSWER, CachePolicy, INSECURE_MX, Ports, PresentedCertificate, check_certificate,
};
use dime_dmtp::server::*;
use dime_dmtp::wire::Name;
use dime_signet::record::{DnssecStatus, RecordPolicy, owner_name};
use dime_signet::{FingerprintKind, ManagementRecord, RecordError};
use dime_testkit::dns::{catalog, name as dns_name, serve as serve_dns, start as start_dns, txt, zone};
use hickory_server::net::runtime::Time;
use hickory_server::proto::dnssec::SigningKey;
use hickory_server::proto::dnssec::crypto::Ed25519SigningKey;
use hickory_server::proto::rr::rdata::{A, MX, NS};
use hickory_server::proto::rr::{LowerName, RData, Record, RecordType};
use hickory_server::server::{Request as DnsRequest, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::Catalog;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

/// A new Ed25519 DNSSEC zone key (PKCS#8).
fn zone_key() -> PrivatePkcs8KeyDer<'static> {
    Ed25519SigningKey::generate_pkcs8().unwrap()
}

/// The public half of the key of the zone example.net, as a trust anchor.
fn anchor(key: &PrivatePkcs8KeyDer<'_>) -> TrustAnchors {
    anchors(&[(key, "example.net")])
}

/// The public halves of zone keys, as trust anchors of their zones.
fn anchors(keys: &[(&PrivatePkcs8KeyDer<'_>, &str)]) -> TrustAnchors {
    let mut anchors = TrustAnchors::empty();
    for (key, zone) in keys {
        let public = Ed25519SigningKey::from_pkcs8(key).unwrap().to_public_key().unwrap();
        anchors.insert_with_name(&public, LowerName::new(&dns_name(zone)));
    }
    anchors
}

/// One authority serving both sides of zone cuts: DS queries go to the parent zones (where DS
/// records, and the NSEC proving there are none, live), everything else to the most specific
/// zone, as separate servers for parent and child would answer.
struct ZoneCuts {
    all: Catalog,
    parents: Catalog,
}

// hickory declares the trait with `async_trait`: this is that macro's signature, written out.
impl RequestHandler for ZoneCuts {
    fn handle_request<'this, 'request, 'future, R, T>(
        &'this self,
        request: &'request DnsRequest,
        response: R,
    ) -> std::pin::Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'future>>
    where
        R: ResponseHandler + 'future,
        T: Time + 'future,
        'this: 'future,
        'request: 'future,
        Self: 'future,
    {
        let ds = request.request_info().is_ok_and(|info| info.query.query_type() == RecordType::DS);
        let catalog = if ds { &self.parents } else { &self.all };
        catalog.handle_request::<R, T>(request, response)
    }
}

/// One organisation's DX server on loopback: native and dual listeners.
struct Dx {
    native: SocketAddr,
    dual: SocketAddr,
    store: Arc<Store>,
}

async fn start_dx(
    org: &Org,
    store: Store,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    max: u64,
) -> Dx {
    let tls = acceptor(&ServerIdentity::new(chain, key).unwrap()).unwrap();
    let store = Arc::new(store);
    let served = vec![ServedDomain { domain: org.domain.clone(), fingerprints: vec![] }];
    let mut addrs = Vec::new();
    for mode in [ListenMode::Native, ListenMode::Dual { smtp_handoff: false }] {
        let mut config = ServerConfig::new(host(&format!("dx.{}", org.domain)), mode, served.clone());
        config.limits.max_message_size = max;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        addrs.push(listener.local_addr().unwrap());
        tokio::spawn(serve(listener, tls.clone(), Arc::new(config), store.clone()));
    }
    Dx { native: addrs[0], dual: addrs[1], store }
}

struct World {
    org: Org,
    bob: User,
    dx: Dx,
    resolver: Resolver,
    roots: Roots,
    leaf: Vec<u8>,
    nameserver: SocketAddr,
}

/// example.net with bob (3 signet versions), its record pinning the DX certificate, MX → dx,
/// and a resolver that uses the loopback DNS (unsigned, no validation, permissive policy) and
/// ports.
async fn world(cache: CachePolicy, pin_other_certificate: bool) -> World {
    world_with(cache, pin_other_certificate, None).await
}

/// [`world`], with the zone signed by `zone_key` when given: the resolver then validates from
/// that key, keeps the default (strict) policy, and trusts no certificate authority, so only
/// the DNSSEC-secured pin can carry a connection.
async fn world_with(
    cache: CachePolicy,
    pin_other_certificate: bool,
    zone_key: Option<&PrivatePkcs8KeyDer<'_>>,
) -> World {
    let mut org = Org::new("example.net");
    let bob = org.user("bob@example.net", 3);
    let (roots, chain, key) = pki("dx.example.net");
    let leaf = chain[0].to_vec();
    let pinned: &[u8] = if pin_other_certificate { b"another certificate" } else { &leaf };
    org.record = ManagementRecord::builder(org.pok.public()).sign_certificate(&org.pok, pinned).build().unwrap();
    let store = Store::with(&org, &[&bob]);
    let dx = start_dx(&org, store, chain, key, 64 * 1024 * 1024).await;
    let zone = vec![
        txt(&owner_name(&org.domain), &org.record.to_string()),
        txt("example.net", "v=spf1 -all"),
        Record::from_rdata(dns_name("example.net"), 300, RData::MX(MX::new(10, dns_name("dx.example.net")))),
        Record::from_rdata(dns_name("dx.example.net"), 300, RData::A(A::new(127, 0, 0, 1))),
    ];
    let nameserver = start_dns(vec![("example.net", zone)], zone_key).await;
    let ports = Ports { native: dx.native.port(), dual: dx.dual.port(), dual_fallback: dx.dual.port() };
    let (dnssec, client_roots, policy) = match zone_key {
        Some(key) => (Dnssec::Validate(anchor(key)), Roots::None, RecordPolicy::default()),
        None => (Dnssec::Off, roots.clone(), RecordPolicy::PERMISSIVE),
    };
    let resolver = Resolver::new(
        DnsClient::new(&[nameserver], dnssec).unwrap(),
        ClientTls::new(&client_roots).unwrap(),
        ports,
        policy,
        cache,
    );
    World { org, bob, dx, resolver, roots, leaf, nameserver }
}

fn full(signet: &dime_signet::Signet) -> Fingerprint {
    signet.fingerprint(FingerprintKind::Full).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolution_over_dns_and_tls() {
    let w = world(CachePolicy::default(), false).await;
    let bob = Name::User(w.bob.address.clone());
    // SGNT: the org signet (validated against the record's POK), then the user signet.
    // What the resolver hands out is bound to the name it was asked for, anchored in DNS.
    let bound = w.resolver.signet(&bob, None).await.unwrap();
    assert_eq!(bound.identifier(), w.bob.address.to_string());
    assert_eq!(bound.anchor_source(), dime_signet::AnchorSource::Record);
    assert_eq!(w.resolver.signet(&bob, None).await.unwrap().into_signet(), *w.bob.current());
    assert_eq!(w.resolver.signet(&Name::Org(w.org.domain.clone()), None).await.unwrap().into_signet(), w.org.signet);
    // A requested older version is fetched by fingerprint, not served from the cache.
    assert_eq!(w.resolver.signet(&bob, Some(full(&w.bob.chain[0]))).await.unwrap().into_signet(), w.bob.chain[0]);
    // HIST with custody checks.
    assert_eq!(w.resolver.history(&w.bob.address, full(&w.bob.chain[0])).await.unwrap(), w.bob.chain);
    // Unknown users are a 450.
    let carol = Name::User("carol@example.net".parse().unwrap());
    assert!(w.resolver.signet(&carol, None).await.unwrap_err().is_not_found());
    // The record arrived over DNS with its TTL.
    let (record, status) = w.resolver.record(&w.org.domain).await.unwrap();
    assert_eq!((record, status), (w.org.record.clone(), DnssecStatus::Insecure));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnssec_secures_the_record_and_its_certificate_pin() {
    let key = zone_key();
    let w = world_with(CachePolicy::default(), false, Some(&key)).await;
    let (record, status) = w.resolver.record(&w.org.domain).await.unwrap();
    assert_eq!((record, status), (w.org.record.clone(), DnssecStatus::Secure));
    // The client trusts no CA: the secure `tls=` pin alone admits the DX certificate.
    let bob = Name::User(w.bob.address.clone());
    assert_eq!(w.resolver.signet(&bob, None).await.unwrap().into_signet(), *w.bob.current());

    // Anchored at another key, the signed record is bogus: refused by every policy.
    let stranger = DnsClient::new(&[w.nameserver], Dnssec::Validate(anchor(&zone_key()))).unwrap();
    let answer = stranger.management_record(&w.org.domain, &RecordPolicy::PERMISSIVE).await;
    assert_eq!(answer, Err(DmtpError::Record(RecordError::DnssecBogus)));
    // Without validation the same record is merely insecure, which the default policy refuses.
    let blind = DnsClient::new(&[w.nameserver], Dnssec::Off).unwrap();
    let answer = blind.management_record(&w.org.domain, &RecordPolicy::default()).await;
    assert_eq!(answer, Err(DmtpError::Record(RecordError::DnssecInsecure)));
    let answer = blind.management_record(&w.org.domain, &RecordPolicy::PERMISSIVE).await.unwrap();
    assert_eq!((answer.record, answer.dnssec), (w.org.record.clone(), DnssecStatus::Insecure));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_records_are_bogus_to_a_validating_client() {
    let w = world(CachePolicy::default(), false).await;
    // The zone is unsigned and nothing proves it may be: with an anchor that covers it, that
    // is a broken chain, not an insecure delegation.
    let validating = DnsClient::new(&[w.nameserver], Dnssec::Validate(anchor(&zone_key()))).unwrap();
    let answer = validating.management_record(&w.org.domain, &RecordPolicy::PERMISSIVE).await;
    assert_eq!(answer, Err(DmtpError::Record(RecordError::DnssecBogus)));
}

/// What the `_dx` record of [`below_a_cut`] pins.
#[derive(Clone, Copy, PartialEq)]
enum Pins {
    Nothing,
    DxHost,
    Certificate,
}

/// example.net with a DNSSEC-secure `_dx` record (its own signed zone, whose key is an anchor)
/// but a provably insecure MX and address: example.net is an unsigned zone below a signed
/// `net` whose NSEC proves there is no DS. The client validates from both keys and trusts the
/// CA unless the record pins the certificate.
async fn below_a_cut(pins: Pins) -> (Org, Resolver, DnsClient) {
    let mut org = Org::new("example.net");
    let (roots, chain, key) = pki("dx.example.net");
    let mut record = ManagementRecord::builder(org.pok.public());
    match pins {
        Pins::Nothing => {}
        Pins::DxHost => record = record.dx(host("dx.example.net")),
        Pins::Certificate => record = record.sign_certificate(&org.pok, &chain[0]),
    }
    org.record = record.build().unwrap();
    let dx = start_dx(&org, Store::with(&org, &[]), chain, key, 1 << 20).await;
    let (net_key, dx_key) = (zone_key(), zone_key());
    let delegation = Record::from_rdata(dns_name("example.net"), 300, RData::NS(NS(dns_name("ns.test"))));
    let net = zone("net", vec![delegation], Some(&net_key), vec![]);
    let child = zone(
        "example.net",
        vec![
            Record::from_rdata(dns_name("example.net"), 300, RData::MX(MX::new(10, dns_name("dx.example.net")))),
            Record::from_rdata(dns_name("dx.example.net"), 300, RData::A(A::new(127, 0, 0, 1))),
        ],
        None,
        vec![],
    );
    let owner = owner_name(&org.domain);
    let record_zone = zone(&owner, vec![txt(&owner, &org.record.to_string())], Some(&dx_key), vec![]);
    let cuts = ZoneCuts { all: catalog(&[net.clone(), child, record_zone]), parents: catalog(&[net]) };
    let nameserver = serve_dns(cuts).await;
    let client_roots = if pins == Pins::Certificate { Roots::None } else { roots };
    let ports = Ports { native: dx.native.port(), dual: dx.dual.port(), dual_fallback: dx.dual.port() };
    let dns =
        DnsClient::new(&[nameserver], Dnssec::Validate(anchors(&[(&net_key, "net"), (&dx_key, &owner)]))).unwrap();
    let resolver = Resolver::new(
        dns.clone(),
        ClientTls::new(&client_roots).unwrap(),
        ports,
        RecordPolicy::default(),
        CachePolicy::default(),
    );
    (org, resolver, dns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secure_record_refuses_an_insecure_mx_unless_it_pins() {
    let (org, resolver, dns) = below_a_cut(Pins::Nothing).await;
    let domain = Name::Org(org.domain.clone());
    // The setup: a secure record, a provably insecure (not bogus) MX and address.
    assert_eq!(resolver.record(&org.domain).await.unwrap().1, DnssecStatus::Secure);
    let mx = dns.mx(&org.domain).await.unwrap();
    assert_eq!((mx.values.len(), mx.dnssec), (1, DnssecStatus::Insecure));
    assert_eq!(dns.addresses(&host("dx.example.net")).await.unwrap().dnssec, DnssecStatus::Insecure);
    assert_eq!(
        resolver.signet(&domain, None).await,
        Err(DmtpError::AnswerRefused { rtype: "MX", name: "example.net".into(), reason: INSECURE_MX })
    );
    // The host pinned by dx=: its insecure address is used, and the CA-signed certificate
    // carries the connection.
    let (org, resolver, _) = below_a_cut(Pins::DxHost).await;
    assert_eq!(resolver.signet(&Name::Org(org.domain.clone()), None).await.unwrap().into_signet(), org.signet);
    // The certificate pinned by tls= (and no CA trusted): the insecure MX and address lead
    // only to a server that holds the pinned certificate.
    let (org, resolver, _) = below_a_cut(Pins::Certificate).await;
    assert_eq!(resolver.signet(&Name::Org(org.domain.clone()), None).await.unwrap().into_signet(), org.signet);
}

/// A signed example.net whose `_dx` record pins the DX certificate (and, with `dx_host`, names
/// `dx.example.net`), where `unsigned` records were added after signing: a validating client
/// finds them bogus. The resolver runs the permissive policy.
async fn with_bogus(unsigned: Vec<Record>, dx_host: bool) -> (Org, Resolver, SocketAddr) {
    let mut org = Org::new("example.net");
    let (_, chain, key) = pki("dx.example.net");
    let mut record = ManagementRecord::builder(org.pok.public()).sign_certificate(&org.pok, &chain[0]);
    if dx_host {
        record = record.dx(host("dx.example.net"));
    }
    org.record = record.build().unwrap();
    let dx = start_dx(&org, Store::with(&org, &[]), chain, key, 1 << 20).await;
    let zone_key = zone_key();
    let owner = owner_name(&org.domain);
    let signed = zone("example.net", vec![txt(&owner, &org.record.to_string())], Some(&zone_key), unsigned);
    let nameserver = serve_dns(catalog(&[signed])).await;
    let ports = Ports { native: dx.native.port(), dual: dx.dual.port(), dual_fallback: dx.dual.port() };
    let resolver = Resolver::new(
        DnsClient::new(&[nameserver], Dnssec::Validate(anchor(&zone_key))).unwrap(),
        ClientTls::new(&Roots::None).unwrap(),
        ports,
        RecordPolicy::PERMISSIVE,
        CachePolicy::default(),
    );
    (org, resolver, nameserver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_answers_are_never_used() {
    let mx = Record::from_rdata(dns_name("example.net"), 300, RData::MX(MX::new(10, dns_name("dx.example.net"))));
    let a = Record::from_rdata(dns_name("dx.example.net"), 300, RData::A(A::new(127, 0, 0, 1)));
    // A bogus MX answer, under a secure record that pins the certificate and a permissive policy.
    let (org, resolver, _) = with_bogus(vec![mx, a.clone()], false).await;
    assert_eq!(resolver.record(&org.domain).await.unwrap().1, DnssecStatus::Secure);
    assert_eq!(
        resolver.signet(&Name::Org(org.domain.clone()), None).await,
        Err(DmtpError::AnswerRefused { rtype: "MX", name: "example.net".into(), reason: BOGUS_ANSWER })
    );
    // A bogus address of a host the record names with dx=.
    let (org, resolver, nameserver) = with_bogus(vec![a], true).await;
    assert_eq!(
        resolver.signet(&Name::Org(org.domain.clone()), None).await,
        Err(DmtpError::AnswerRefused { rtype: "A/AAAA", name: "dx.example.net".into(), reason: BOGUS_ANSWER })
    );
    // The same answers, read without validation, are there: only their DNSSEC status refused them.
    let blind = DnsClient::new(&[nameserver], Dnssec::Off).unwrap();
    let answer = blind.addresses(&host("dx.example.net")).await.unwrap();
    assert_eq!(answer, Answer { values: vec![std::net::IpAddr::from([127, 0, 0, 1])], dnssec: DnssecStatus::Insecure });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_cache_entries_are_confirmed_with_vrfy() {
    let mut cache = CachePolicy::default();
    cache.signet_refresh = Duration::ZERO;
    let w = world(cache, false).await;
    let bob = Name::User(w.bob.address.clone());
    let first = w.resolver.signet(&bob, None).await.unwrap();
    // Stale at once: VRFY says CURRENT and the cached signet is returned.
    assert_eq!(w.resolver.signet(&bob, None).await.unwrap(), first);
    let lookup = dime_dmtp::driver::lookup(
        w.dx.native,
        &host("dx.example.net"),
        ConnectMode::Native,
        &ClientTls::new(&w.roots).unwrap(),
        &mut |cert: &PresentedCertificate<'_>| {
            check_certificate(&w.org.record, DnssecStatus::Insecure, cert).map(|_| ())
        },
        Request::Verify { name: bob.clone(), fingerprint: full(&w.bob.chain[1]) },
    )
    .await;
    assert_eq!(lookup, Ok(Outcome::Verified(dime_dmtp::client::VerifyResult::Update(full(w.bob.current())))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_an_unpinned_certificate() {
    let w = world(CachePolicy::default(), true).await;
    let error = w.resolver.signet(&Name::Org(w.org.domain.clone()), None).await.unwrap_err();
    assert_eq!(
        error,
        DmtpError::CertificateRefused { reason: "no tls= signature of the record matches the certificate" }
    );
    // And a client without the CA refuses an otherwise pinned certificate (no DNSSEC here).
    let pinned = ManagementRecord::builder(w.org.pok.public()).sign_certificate(&w.org.pok, &w.leaf).build().unwrap();
    let result = dime_dmtp::driver::lookup(
        w.dx.native,
        &host("dx.example.net"),
        ConnectMode::Native,
        &ClientTls::new(&Roots::None).unwrap(),
        &mut |cert: &PresentedCertificate<'_>| check_certificate(&pinned, DnssecStatus::Insecure, cert).map(|_| ()),
        Request::Noop,
    )
    .await;
    assert_eq!(
        result,
        Err(DmtpError::CertificateRefused { reason: "the certificate does not chain to a trusted root" })
    );
    // With DNSSEC-secure pinning the chain does not matter.
    let result = dime_dmtp::driver::lookup(
        w.dx.native,
        &host("dx.example.net"),
        ConnectMode::Native,
        &ClientTls::new(&Roots::None).unwrap(),
        &mut |cert: &PresentedCertificate<'_>| check_certificate(&pinned, DnssecStatus::Secure, cert).map(|_| ()),
        Request::Noop,
    )
    .await;
    assert_eq!(result, Ok(Outcome::Done));
}

fn delivery(origin: &Org, destination: &Org, object: bytes::Bytes) -> Delivery {
    Delivery {
        origin: origin.domain.clone(),
        origin_fingerprint: origin.fingerprint(),
        destination: destination.domain.clone(),
        destination_fingerprint: destination.fingerprint(),
        object,
        return_type: None,
        data_type: None,
        hash: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_0_bytes_to_64_mib_over_tls_found_by_dns_and_refuses_non_objects() {
    let w = world(CachePolicy::default(), false).await;
    let origin = Org::new("example.org");
    // Every size travels whole (the hash matched: a wrong one is 451), and the driver's
    // streaming check refuses each, since none is a DIME object; nothing is stored.
    let refused = dime_dmtp::wire::Reply::new(dime_dmtp::wire::ReplyCode::FAILED, "INVALID DMIME DATA RECEIVED.");
    for len in [0usize, 1, 4096, 1 << 20, 64 << 20] {
        let result = w.resolver.deliver(delivery(&origin, &w.org, object(len))).await;
        assert_eq!(result, Err(DmtpError::Rejected { verb: dime_dmtp::wire::Verb::Data, reply: refused.clone() }));
    }
    assert_eq!(w.dx.store.received.lock().unwrap().len(), 0);
    // One byte over the limit is refused by the client before MAIL FROM.
    let error = w.resolver.deliver(delivery(&origin, &w.org, object((64 << 20) + 1))).await.unwrap_err();
    assert_eq!(error, DmtpError::MessageTooLarge { size: (64 << 20) + 1, limit: 64 << 20 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dual_mode_with_starttls_and_object_check() {
    use dime_message::*;
    let w = world(CachePolicy::default(), false).await;
    let origin = Org::new("example.org");
    // A real message object, countersigned by the origin, checked by the destination.
    let alice = origin.user("alice@example.org", 1);
    let bob = &w.bob;
    let content = Content {
        headers: CommonHeaders {
            date: "Tue, 1 Apr 2025 10:00:00 +0000".into(),
            to: "bob@example.net".into(),
            from: "alice@example.org".into(),
            subject: "over DMTP".into(),
            ..CommonHeaders::default()
        },
        display: vec![Part::new("text/plain; charset=utf-8", None, b"Hi Bob".to_vec()).unwrap()],
        ..Content::default()
    };
    let to = Addressing {
        author: alice.current(),
        origin: &origin.signet,
        destination: &w.org.signet,
        recipient: bob.current(),
    };
    let composed = compose(&alice.keys[0], &to, &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let relayed = Envelope::origin(&composed, &MessageLimits::default(), &origin.enc)
        .unwrap()
        .open(alice.current())
        .unwrap()
        .countersign(&origin.pok)
        .unwrap();

    // The destination's server checks every object as the destination.
    let (roots, chain, key) = pki("dx.example.net");
    let mut store = Store::with(&w.org, &[bob]);
    let (secret, origin_signet) = (w.org.enc.clone(), origin.bound());
    store.keys = Some((secret, origin_signet));
    let dx = start_dx(&w.org, store, chain, key, 1 << 20).await;
    let tls = ClientTls::new(&roots).unwrap();
    let record = ManagementRecord::builder(w.org.pok.public()).build().unwrap();
    let send = |object: Vec<u8>| send_dual(dx.dual, &tls, &record, delivery(&origin, &w.org, object.into()));
    let txid = send(relayed.clone()).await.unwrap();
    {
        let received = dx.store.received.lock().unwrap();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].txid, txid);
        assert!(received[0].object == relayed, "the object changed in transit");
    }
    // The author's uncountersigned object, and junk, are refused with 554 after DATA.
    let refused = dime_dmtp::wire::Reply::new(dime_dmtp::wire::ReplyCode::FAILED, "INVALID DMIME DATA RECEIVED.");
    for bad in [composed.clone(), b"not a message".to_vec()] {
        assert_eq!(
            send(bad).await,
            Err(DmtpError::Rejected { verb: dime_dmtp::wire::Verb::Data, reply: refused.clone() })
        );
    }
    assert_eq!(dx.store.received.lock().unwrap().len(), 1);
}

async fn send_dual(
    addr: SocketAddr,
    tls: &ClientTls,
    record: &ManagementRecord,
    d: Delivery,
) -> Result<dime_dmtp::wire::TxId, DmtpError> {
    let mut decide =
        |cert: &PresentedCertificate<'_>| check_certificate(record, DnssecStatus::Insecure, cert).map(|_| ());
    dime_dmtp::driver::deliver(addr, &host("dx.example.net"), ConnectMode::Dual, tls, &mut decide, d).await
}
