//! The in-process DNS authority: one loopback port, UDP and TCP, serving every organisation's
//! zone (`_dx` TXT, MX, A) signed with DNSSEC, one Ed25519 zone key per zone.
//!
//! There is no root or TLD here to hold DS records, so each zone key is itself a trust anchor of
//! every reader ([`Dns::client`]); with the real DNS, `TrustAnchors::default()` (the IANA root
//! keys) and the DS chain play that part.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use dime::dmtp::dns::{DnsClient, Dnssec, TrustAnchors};
use dime::signet::ManagementRecord;
use dime::signet::record::{HostName, owner_name};
use hickory_server::Server;
use hickory_server::dnssec::NxProofKind;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::dnssec::crypto::Ed25519SigningKey;
use hickory_server::proto::dnssec::rdata::DNSKEY;
use hickory_server::proto::dnssec::{DnssecSigner, SigningKey};
use hickory_server::proto::rr::rdata::{A, MX, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name as DnsName, RData, Record};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

use super::FlowError;

/// The zone of `domain`: `_dx` TXT (the record), MX → `dx.<domain>`, and loopback addresses for
/// `dx.<domain>` and `dmap.<domain>`.
pub(super) fn zone(domain: &HostName, record: &ManagementRecord) -> Result<(String, Vec<Record>), FlowError> {
    let dx = format!("dx.{domain}");
    let mx = Record::from_rdata(dns_name(domain.as_str())?, 300, RData::MX(MX::new(10, dns_name(&dx)?)));
    let records = vec![
        txt(&owner_name(domain), &record.to_string())?,
        mx,
        a_loopback(&dx)?,
        a_loopback(&format!("dmap.{domain}"))?,
    ];
    Ok((domain.to_string(), records))
}

/// An absolute DNS name.
fn dns_name(name: &str) -> Result<DnsName, FlowError> {
    Ok(DnsName::from_ascii(format!("{name}."))?)
}

/// A TXT record, its text cut into 255-byte strings.
fn txt(owner: &str, text: &str) -> Result<Record, FlowError> {
    let strings = text.as_bytes().chunks(255).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    Ok(Record::from_rdata(dns_name(owner)?, 300, RData::TXT(TXT::new(strings))))
}

/// An A record pointing `owner` at 127.0.0.1.
fn a_loopback(owner: &str) -> Result<Record, FlowError> {
    Ok(Record::from_rdata(dns_name(owner)?, 300, RData::A(A::new(127, 0, 0, 1))))
}

/// How signatures made here stay valid.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(3600);

/// The running authority: where it listens, and a client that trusts its zone keys.
#[derive(Clone)]
pub(super) struct Dns {
    /// UDP and TCP, the same port.
    pub(super) addr: SocketAddr,
    client: DnsClient,
}

impl Dns {
    /// A validating client of this authority.
    pub(super) fn client(&self) -> DnsClient {
        self.client.clone()
    }
}

/// How long the authority waits for a query on an open TCP connection.
const TCP_TIMEOUT: Duration = Duration::from_secs(5);

/// The authority's output buffer per TCP connection, in responses.
const TCP_RESPONSE_BUFFER: usize = 32;

/// Serves `zones` (origin, records), each signed with a new zone key, over UDP and TCP on one
/// loopback port.
pub(super) async fn start_dns(zones: Vec<(String, Vec<Record>)>) -> Result<(Dns, JoinHandle<()>), FlowError> {
    let mut catalog = Catalog::new();
    let mut anchors = TrustAnchors::empty();
    for (origin, records) in zones {
        let origin = dns_name(&origin)?;
        let mut authority = InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
            origin.clone(),
            ZoneType::Primary,
            AxfrPolicy::Deny,
            Some(NxProofKind::Nsec),
        );
        let soa = SOA::new(dns_name("ns.invalid")?, dns_name("admin.invalid")?, 1, 3600, 600, 86_400, 60);
        authority.upsert_mut(Record::from_rdata(origin.clone(), 3600, RData::SOA(soa)), 0);
        for record in records {
            authority.upsert_mut(record, 0);
        }
        let key = Ed25519SigningKey::from_pkcs8(&Ed25519SigningKey::generate_pkcs8()?)?;
        let public = key.to_public_key()?;
        anchors.insert_with_name(&public, LowerName::new(&origin));
        let signer = DnssecSigner::new(DNSKEY::from_key(&public), Box::new(key), origin.clone(), SIGNATURE_LIFETIME);
        authority.add_zone_signing_key_mut(signer)?;
        authority.secure_zone_mut()?;
        let authority: Arc<dyn ZoneHandler> = Arc::new(authority);
        catalog.upsert(LowerName::new(&origin), vec![authority]);
    }
    let mut server = Server::new(catalog);
    // The same port for UDP and TCP: retry until a UDP port's TCP twin is free too.
    let mut tries = 0;
    let addr = loop {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = udp.local_addr()?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => {
                server.register_socket(udp);
                server.register_listener(tcp, TCP_TIMEOUT, TCP_RESPONSE_BUFFER);
                break addr;
            }
            Err(error) if tries >= 16 => return Err(error.into()),
            Err(_) => tries += 1,
        }
    };
    let task = tokio::spawn(async move {
        let _ = server.block_until_done().await;
    });
    let client = DnsClient::new(&[addr], Dnssec::Validate(anchors))?;
    Ok((Dns { addr, client }, task))
}
