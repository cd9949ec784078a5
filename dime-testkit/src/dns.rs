//! An in-process DNS authority on loopback (hickory-server), for the tests that resolve `_dx`
//! records, MX and A records, signed or not. Feature `dns`.
//!
//! [`zone`] builds one zone (SOA, and NS when unsigned, so a validator finds the zone cut
//! above an unsigned answer), [`catalog`] gathers zones, [`serve`] answers from any hickory
//! request handler on a fresh loopback port over UDP and TCP, and [`start`] does all three for
//! the common case:
//!
//! ```no_run
//! # async fn example() {
//! use dime_testkit::dns;
//!
//! let records = vec![dns::txt("_dx.example.org", "ver=1 pok=…")];
//! let nameserver = dns::start(vec![("example.org", records)], None).await;
//! # let _ = nameserver;
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::dnssec::NxProofKind;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::dnssec::DnssecSigner;
use hickory_server::proto::dnssec::SigningKey as _;
use hickory_server::proto::dnssec::crypto::Ed25519SigningKey;
use hickory_server::proto::dnssec::rdata::DNSKEY;
use hickory_server::proto::rr::rdata::{NS, SOA, TXT};
use hickory_server::proto::rr::{Name, RData, Record};
use hickory_server::server::RequestHandler;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use rustls_pki_types::PrivatePkcs8KeyDer;
use tokio::net::{TcpListener, UdpSocket};

/// The absolute DNS name of `text` (a trailing dot added).
///
/// # Panics
/// When `text` is not a valid name.
pub fn name(text: &str) -> Name {
    Name::from_ascii(format!("{text}.")).unwrap()
}

/// A TXT record at `owner` (TTL 300) holding `text`, split into strings of 255 bytes.
///
/// # Panics
/// When a split falls inside a UTF-8 character, or `owner` is not a valid name.
pub fn txt(owner: &str, text: &str) -> Record {
    let strings = text.as_bytes().chunks(255).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
    Record::from_rdata(name(owner), 300, RData::TXT(TXT::new(strings)))
}

/// A zone handler for `origin` with an SOA and `records`. With `key` (an Ed25519 key in
/// PKCS#8) the zone is signed with it (DNSKEY, RRSIG, NSEC), and `unsigned` is added after
/// signing, without signatures; without a key the zone gets an NS record as well.
///
/// # Panics
/// When the key cannot sign.
pub fn zone(
    origin: &str,
    records: Vec<Record>,
    key: Option<&PrivatePkcs8KeyDer<'_>>,
    unsigned: Vec<Record>,
) -> Arc<dyn ZoneHandler> {
    let origin = name(origin);
    let mut zone = InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
        origin.clone(),
        ZoneType::Primary,
        AxfrPolicy::Deny,
        Some(NxProofKind::Nsec),
    );
    let soa = SOA::new(name("ns.test"), name("admin.test"), 1, 3600, 600, 86_400, 60);
    zone.upsert_mut(Record::from_rdata(origin.clone(), 3600, RData::SOA(soa)), 0);
    if key.is_none() {
        // A validator finds the zone cut above an unsigned answer by asking for NS records.
        zone.upsert_mut(Record::from_rdata(origin.clone(), 3600, RData::NS(NS(name("ns.test")))), 0);
    }
    for record in records {
        zone.upsert_mut(record, 0);
    }
    if let Some(key) = key {
        let signing = Ed25519SigningKey::from_pkcs8(key).unwrap();
        let dnskey = DNSKEY::from_key(&signing.to_public_key().unwrap());
        let signer = DnssecSigner::new(dnskey, Box::new(signing), origin, Duration::from_secs(3600));
        zone.add_zone_signing_key_mut(signer).unwrap();
        zone.secure_zone_mut().unwrap();
    }
    for record in unsigned {
        zone.upsert_mut(record, 0);
    }
    Arc::new(zone)
}

/// A catalog answering for each of `zones` at its origin.
pub fn catalog(zones: &[Arc<dyn ZoneHandler>]) -> Catalog {
    let mut catalog = Catalog::new();
    for zone in zones {
        catalog.upsert(zone.origin().clone(), vec![zone.clone()]);
    }
    catalog
}

/// Serves `handler` on a fresh loopback port, UDP and TCP on the same number, until the
/// runtime ends; gives its address.
///
/// # Panics
/// When loopback cannot be bound.
pub async fn serve(handler: impl RequestHandler) -> SocketAddr {
    let mut server = Server::new(handler);
    let addr = loop {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        if let Ok(tcp) = TcpListener::bind(addr).await {
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(5), 32);
            break addr;
        }
    };
    tokio::spawn(async move {
        let _ = server.block_until_done().await;
    });
    addr
}

/// Serves the zones `(origin, records)`, each signed with `key` when given ([`zone`]); gives
/// the authority's address.
pub async fn start(zones: Vec<(&str, Vec<Record>)>, key: Option<&PrivatePkcs8KeyDer<'_>>) -> SocketAddr {
    let zones: Vec<_> = zones.into_iter().map(|(origin, records)| zone(origin, records, key, vec![])).collect();
    serve(catalog(&zones)).await
}
