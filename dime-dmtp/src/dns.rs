//! DNS with hickory-resolver: the `_dx` TXT record, MX hosts and host addresses.
//!
//! DNSSEC: a client made with [`Dnssec::Validate`] validates every answer from its trust
//! anchors and reports the management record as [`DnssecStatus::Secure`] or
//! [`DnssecStatus::Bogus`] (or insecure, where no chain can be judged); [`Dnssec::Off`] reports
//! every answer as [`DnssecStatus::Insecure`], which only a policy that allows unsigned records
//! ([`RecordPolicy::PERMISSIVE`]) accepts. Only a secure record lets a `tls=` pin stand without a
//! valid chain ([`check_certificate`]). MX and address answers carry their status too
//! ([`Answer`]); a resolution uses them only as [`check_answer`] allows: never when bogus, and
//! under a secure record only when secure or pinned by the record.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dime_core::Fingerprint;
use dime_signet::record::{DnssecStatus, HostName, RecordPolicy, owner_name};
use dime_signet::{BoundSignet, FingerprintKind, ManagementRecord, RecordError, Signet};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::Proof;
pub use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::rr::{RData, Record};

use crate::client::{Delivery, Outcome, Request, VerifyResult};
use crate::driver::{ClientTls, Connection};
use crate::error::{DmtpError, DnsErrorKind};
use crate::resolve::{
    Answer, AnswerType, CacheLookup, CachePolicy, MxHost, Ports, PresentedCertificate, SignetCache, check_answer,
    check_certificate, has_fingerprint, plan_targets, validate_org, validate_user, walk_history,
};
use crate::send::{Origin, Sender};
use crate::wire::{Address, Name, TxId};
use dime_message::{Addressing, Content, MessageError};

/// Most MX answers read.
pub const MAX_MX_ANSWERS: usize = 16;

/// A management record as DNS gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAnswer {
    /// The parsed record.
    pub record: ManagementRecord,
    /// Its DNSSEC status, as the client's [`Dnssec`] setting judged it.
    pub dnssec: DnssecStatus,
    /// The smallest TTL of the TXT RRset.
    pub ttl: Duration,
}

/// Whether, and from which trust anchors, a [`DnsClient`] validates DNSSEC.
#[derive(Clone)]
pub enum Dnssec {
    /// No validation: every record is reported as [`DnssecStatus::Insecure`] (libdime's
    /// behaviour).
    Off,
    /// Validate from these anchors: `TrustAnchors::default()` holds the IANA root keys; a private
    /// anchor (say, a zone's own key-signing key, added with
    /// [`TrustAnchors::insert_with_name`] under that zone's name) makes a zone whose DNSKEY set
    /// holds one of its keys secure without a DS chain above it. [`TrustAnchors::insert`] adds a
    /// key of the root zone only.
    Validate(TrustAnchors),
}

impl core::fmt::Debug for Dnssec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Dnssec::Off => f.write_str("Off"),
            Dnssec::Validate(anchors) => write!(f, "Validate({} root anchors)", anchors.len()),
        }
    }
}

/// The status of one RRset from hickory's per-record proofs: secure only when every record is
/// proven secure, bogus when any record is bogus, insecure otherwise. Hickory's "indeterminate"
/// (no validation asked, or nothing to judge by) counts as insecure, which the default policy
/// refuses.
fn rrset_status(proofs: impl IntoIterator<Item = Proof>) -> DnssecStatus {
    let mut all_secure = true;
    let mut any = false;
    for proof in proofs {
        any = true;
        match proof {
            Proof::Bogus => return DnssecStatus::Bogus,
            Proof::Secure => {}
            Proof::Insecure | Proof::Indeterminate => all_secure = false,
        }
    }
    if any && all_secure { DnssecStatus::Secure } else { DnssecStatus::Insecure }
}

/// A DNS client for DMTP lookups.
#[derive(Debug, Clone)]
pub struct DnsClient {
    resolver: TokioResolver,
}

/// A failed query, classified: no such record, a timeout, or another failure.
fn dns_error(error: NetError) -> DmtpError {
    let kind = if error.is_no_records_found() {
        DnsErrorKind::NoRecords
    } else if matches!(error, NetError::Timeout) {
        DnsErrorKind::Timeout
    } else {
        DnsErrorKind::Failed
    };
    DmtpError::Dns { kind, text: error.to_string() }
}

/// Whether hickory refused an answer because DNSSEC validation found it (or the proof of its
/// absence) bogus: since hickory 0.26 a bogus RRset is an error, not records marked bogus.
fn is_bogus(error: &NetError) -> bool {
    matches!(error, NetError::Dns(DnsError::DnssecBogus))
}

/// The bogus answer, for a query hickory refused as bogus.
fn bogus<T>() -> Answer<T> {
    Answer { values: Vec::new(), dnssec: DnssecStatus::Bogus }
}

/// An absolute name for a query (so that no search domain is appended).
fn absolute(name: &str) -> String {
    format!("{name}.")
}

impl DnsClient {
    /// A client asking these name servers (UDP, then TCP) and validating DNSSEC as `dnssec`
    /// says, with hickory's own cache off: the resolver cache ([`crate::resolve::SignetCache`])
    /// applies the TTLs.
    ///
    /// Errors: [`DmtpError::Dns`] when hickory cannot build the resolver.
    pub fn new(servers: &[SocketAddr], dnssec: Dnssec) -> Result<DnsClient, DmtpError> {
        let name_servers = servers
            .iter()
            .map(|server| {
                let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut connection| {
                        connection.port = server.port();
                        connection
                    })
                    .collect();
                NameServerConfig::new(server.ip(), true, connections)
            })
            .collect();
        let mut options = ResolverOpts::default();
        options.cache_size = 0;
        options.attempts = 2;
        options.timeout = Duration::from_secs(5);
        let config = ResolverConfig::from_name_servers(name_servers);
        let mut builder = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        if let Dnssec::Validate(anchors) = dnssec {
            options.validate = true;
            builder = builder.with_trust_anchor(Arc::new(anchors));
        }
        Ok(DnsClient {
            resolver: builder
                .with_options(options)
                .build()
                .map_err(|error| DmtpError::Dns { kind: DnsErrorKind::Failed, text: error.to_string() })?,
        })
    }

    /// The management record of `domain` under `policy`.
    ///
    /// Errors: [`DmtpError::Dns`] when the query fails, [`DmtpError::Record`] for the record's
    /// own faults (none, several, unparsable, refused by the DNSSEC policy).
    pub async fn management_record(&self, domain: &HostName, policy: &RecordPolicy) -> Result<RecordAnswer, DmtpError> {
        let lookup = self.resolver.txt_lookup(absolute(&owner_name(domain))).await.map_err(|error| {
            if is_bogus(&error) { DmtpError::Record(RecordError::DnssecBogus) } else { dns_error(error) }
        })?;
        let records: Vec<&Record> = lookup.answers().iter().filter(|r| matches!(r.data, RData::TXT(_))).collect();
        let rrs: Vec<Vec<Vec<u8>>> = records
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
                _ => None,
            })
            .collect();
        let ttl = records.iter().map(|r| r.ttl).min().unwrap_or(0);
        let dnssec = rrset_status(records.iter().map(|r| r.proof));
        let record = ManagementRecord::from_dns(&rrs, dnssec, policy)?;
        Ok(RecordAnswer { record, dnssec, ttl: Duration::from_secs(u64::from(ttl)) })
    }

    /// The MX hosts of `domain` with their DNSSEC status; names that are not valid host names
    /// are skipped. A bogus answer (records, or a proof of their absence) comes back as such,
    /// with no hosts; no MX records at all come back as an insecure answer with no hosts.
    pub async fn mx(&self, domain: &HostName) -> Result<Answer<MxHost>, DmtpError> {
        let lookup = match self.resolver.mx_lookup(absolute(domain.as_str())).await {
            Ok(lookup) => lookup,
            Err(error) if is_bogus(&error) => return Ok(bogus()),
            Err(error) if error.is_no_records_found() => {
                return Ok(Answer { values: Vec::new(), dnssec: DnssecStatus::Insecure });
            }
            Err(error) => return Err(dns_error(error)),
        };
        let records: Vec<&Record> = lookup.answers().iter().filter(|r| matches!(r.data, RData::MX(_))).collect();
        let values = records
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some(mx),
                _ => None,
            })
            .take(MAX_MX_ANSWERS)
            .filter_map(|mx| {
                let name = mx.exchange.to_ascii();
                let host = HostName::new(name.trim_end_matches('.')).ok()?;
                Some(MxHost { preference: mx.preference, host })
            })
            .collect();
        Ok(Answer { values, dnssec: rrset_status(records.iter().map(|r| r.proof)) })
    }

    /// The addresses of `host` with their DNSSEC status (of the A and AAAA records together). A
    /// bogus answer comes back as such, with no addresses.
    pub async fn addresses(&self, host: &HostName) -> Result<Answer<IpAddr>, DmtpError> {
        let lookup = match self.resolver.lookup_ip(absolute(host.as_str())).await {
            Ok(lookup) => lookup,
            Err(error) if is_bogus(&error) => return Ok(bogus()),
            Err(error) => return Err(dns_error(error)),
        };
        let proofs = lookup.as_lookup().answers().iter().filter(|r| r.data.ip_addr().is_some()).map(|r| r.proof);
        Ok(Answer { values: lookup.iter().collect(), dnssec: rrset_status(proofs) })
    }
}

/// A signet resolver over DNS and DMTP: the planner of [`crate::resolve`] driven with
/// [`DnsClient`] and the tokio driver, with a [`SignetCache`].
pub struct Resolver {
    dns: DnsClient,
    tls: ClientTls,
    ports: Ports,
    policy: RecordPolicy,
    cache: tokio::sync::Mutex<SignetCache>,
}

impl core::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Resolver").field("ports", &self.ports).field("policy", &self.policy).finish()
    }
}

impl Resolver {
    /// A resolver with its DNS client, TLS roots, ports, DNSSEC policy and cache policy.
    pub fn new(dns: DnsClient, tls: ClientTls, ports: Ports, policy: RecordPolicy, cache: CachePolicy) -> Resolver {
        Resolver { dns, tls, ports, policy, cache: tokio::sync::Mutex::new(SignetCache::new(cache)) }
    }

    /// A resolver with the default ports (26, 25, 587), the default DNSSEC policy (secure
    /// records only) and the default cache policy.
    pub fn with_defaults(dns: DnsClient, tls: ClientTls) -> Resolver {
        Resolver::new(dns, tls, Ports::default(), RecordPolicy::default(), CachePolicy::default())
    }

    /// The management record of `domain`, from the cache or DNS.
    pub async fn record(&self, domain: &HostName) -> Result<(ManagementRecord, DnssecStatus), DmtpError> {
        if let Some((record, status)) = self.cache.lock().await.record(domain, Instant::now()) {
            return Ok((record.clone(), status));
        }
        let answer = self.dns.management_record(domain, &self.policy).await?;
        let result = (answer.record.clone(), answer.dnssec);
        self.cache.lock().await.store_record(domain.clone(), answer.record, answer.dnssec, answer.ttl, Instant::now());
        Ok(result)
    }

    /// Connects to a DX server of `domain`: the planned targets in order, each address of each
    /// host, the certificate checked before any request. Gives the connection and the record.
    /// MX and address answers are used only as [`check_answer`] allows.
    ///
    /// Errors: [`DmtpError::AnswerRefused`] for an MX answer that may not be used; otherwise the
    /// first refusal (an address answer, a certificate, the protocol), else the last network
    /// error, or [`DmtpError::NoDxHost`] when there was nothing to try.
    ///
    /// The attempts together take at most [`ClientOptions::targets_timeout`](crate::driver::ClientOptions):
    /// past it the first refusal is reported if there was one, else [`DmtpError::Timeout`].
    pub async fn connect(&self, domain: &HostName) -> Result<(Connection, ManagementRecord), DmtpError> {
        let mut refusal = None;
        let budget = self.tls.options().targets_timeout;
        match tokio::time::timeout(budget, self.try_targets(domain, &mut refusal)).await {
            Ok(result) => result,
            Err(_) => Err(refusal.unwrap_or(DmtpError::Timeout)),
        }
    }

    async fn try_targets(
        &self,
        domain: &HostName,
        refusal: &mut Option<DmtpError>,
    ) -> Result<(Connection, ManagementRecord), DmtpError> {
        let (record, dnssec) = self.record(domain).await?;
        let mx = if record.dx().is_empty() {
            let answer = self.dns.mx(domain).await?;
            check_answer(&record, dnssec, AnswerType::Mx, domain, &answer)?;
            answer.values
        } else {
            Vec::new()
        };
        let mut last = DmtpError::NoDxHost { domain: domain.to_string() };
        for target in plan_targets(domain, &record, &mx, &self.ports) {
            let addresses = match self.dns.addresses(&target.host).await {
                Ok(answer) => match check_answer(&record, dnssec, AnswerType::Address, &target.host, &answer) {
                    Ok(()) => answer.values,
                    Err(refused) => {
                        refusal.get_or_insert(refused);
                        continue;
                    }
                },
                Err(error) => {
                    last = error;
                    continue;
                }
            };
            for ip in addresses {
                let ports = core::iter::once(target.port).chain(target.fallback_port);
                for port in ports {
                    let mut decide =
                        |cert: &PresentedCertificate<'_>| check_certificate(&record, dnssec, cert).map(|_| ());
                    match Connection::connect(
                        SocketAddr::new(ip, port),
                        &target.host,
                        target.mode,
                        &self.tls,
                        &mut decide,
                    )
                    .await
                    {
                        Ok(connection) => return Ok((connection, record)),
                        Err(error @ DmtpError::Io { .. }) => last = error,
                        Err(error) => {
                            refusal.get_or_insert(error);
                            break;
                        }
                    }
                }
            }
        }
        Err(refusal.take().unwrap_or(last))
    }

    async fn fetch(
        connection: &mut Connection,
        name: Name,
        fingerprint: Option<Fingerprint>,
    ) -> Result<Vec<u8>, DmtpError> {
        match connection.request(Request::Signet { name, fingerprint }).await? {
            Outcome::Signet(bytes) => Ok(bytes),
            _ => Err(DmtpError::WrongState),
        }
    }

    /// The validated signet of `name` (with `fingerprint`, that version): from the cache when
    /// fresh, confirmed with VRFY when stale, otherwise fetched with SGNT (the org signet first)
    /// and validated.
    pub async fn signet(&self, name: &Name, fingerprint: Option<Fingerprint>) -> Result<Signet, DmtpError> {
        let cached = self.cache.lock().await.signet(name, fingerprint.as_ref(), Instant::now());
        let stale = match cached {
            CacheLookup::Fresh(signet) => return Ok(signet),
            CacheLookup::Stale(signet) => Some(signet),
            CacheLookup::Miss => None,
        };
        let domain = name.domain().clone();
        let (mut connection, record) = self.connect(&domain).await?;
        let result = self.signet_on(&mut connection, &record, name, fingerprint, stale).await;
        let _ = connection.quit().await;
        result
    }

    async fn signet_on(
        &self,
        connection: &mut Connection,
        record: &ManagementRecord,
        name: &Name,
        fingerprint: Option<Fingerprint>,
        stale: Option<Signet>,
    ) -> Result<Signet, DmtpError> {
        if let Some(signet) = stale {
            let held = signet.fingerprint(FingerprintKind::Full).ok_or(DmtpError::FingerprintMismatch)?;
            let answer = connection.request(Request::Verify { name: name.clone(), fingerprint: held }).await;
            if answer == Ok(Outcome::Verified(VerifyResult::Current)) {
                self.cache.lock().await.confirm(name, Instant::now());
                return Ok(signet);
            }
            self.cache.lock().await.evict(name);
        }
        let domain = name.domain().clone();
        let org_bytes = Self::fetch(connection, Name::Org(domain.clone()), None).await?;
        let org = validate_org(&org_bytes, &domain, record)?;
        let signet = match name {
            Name::Org(_) => org.signet().clone(),
            Name::User(address) => {
                let bytes = Self::fetch(connection, name.clone(), fingerprint).await?;
                validate_user(&bytes, address, &org, None)?.into_signet()
            }
        };
        if fingerprint.is_some_and(|fp| !has_fingerprint(&signet, &fp)) {
            return Err(DmtpError::FingerprintMismatch);
        }
        let mut cache = self.cache.lock().await;
        cache.store_signet(Name::Org(domain), org.into_signet(), Instant::now());
        cache.store_signet(name.clone(), signet.clone(), Instant::now());
        Ok(signet)
    }

    /// The chain of custody of `address` from the signet with `start` to the current one,
    /// validated link by link.
    pub async fn history(&self, address: &Address, start: Fingerprint) -> Result<Vec<Signet>, DmtpError> {
        let org = self.signet(&Name::Org(address.domain().clone()), None).await?;
        let (mut connection, record) = self.connect(address.domain()).await?;
        // The cache keeps bare signets: bind the org signet to its domain again.
        let org = validate_org(org.as_bytes(), address.domain(), &record)?;
        let outcome = connection.request(Request::History { address: address.clone(), start, end: None }).await;
        let _ = connection.quit().await;
        match outcome? {
            Outcome::History(chain) => Ok(walk_history(&chain, address, &org, &start, None)?
                .into_iter()
                .map(BoundSignet::into_signet)
                .collect()),
            _ => Err(DmtpError::WrongState),
        }
    }

    /// Delivers a message object to its destination organisation's DX server.
    pub async fn deliver(&self, delivery: Delivery) -> Result<TxId, DmtpError> {
        let mut link = None;
        let result = self.deliver_on(&mut link, delivery).await;
        Self::close(link).await;
        result
    }

    /// Sends one message, as lettre's `send` does: resolves `to` and its organisation from
    /// DNS down (both bound: the org signet by the `_dx` record's POKs, the user signet
    /// through it), composes a `text/plain` message with `subject` and `body` dated now
    /// ([`Content::text`]), countersigns it as the origin, and delivers it. The lookups and the
    /// delivery share one connection (one TLS handshake); signets still fresh in the cache
    /// need none.
    ///
    /// Errors: every error of resolution and delivery, each with its cause;
    /// [`DmtpError::is_transient`] says whether to try again later.
    pub async fn send(&self, sender: &Sender, to: &Address, subject: &str, body: &str) -> Result<TxId, DmtpError> {
        let date = std::time::SystemTime::now();
        self.send_with(sender, to, |addressing| Content::text(addressing, date, subject, body)).await
    }

    /// [`Resolver::send`] with the content of the caller's choosing, made from the addressing
    /// once the recipient is resolved.
    pub async fn send_with(
        &self,
        sender: &Sender,
        to: &Address,
        content: impl FnOnce(&Addressing<'_>) -> Result<Content, MessageError>,
    ) -> Result<TxId, DmtpError> {
        let mut link = None;
        let result = async {
            let (org, user) = self.bound_on(&mut link, to).await?;
            let delivery = sender.delivery(&org, &user, content)?;
            self.deliver_on(&mut link, delivery).await
        }
        .await;
        Self::close(link).await;
        result
    }

    /// Relays an object one of `origin`'s users (`author`, bound with [`Origin::bind_user`])
    /// submitted: reads its destination as the origin, resolves and binds the destination's
    /// org signet from DNS down, checks that the object names that signet, countersigns
    /// ([`Origin::relay`]) and delivers, on one connection.
    ///
    /// Errors: those of [`Origin::relay`], [`DmtpError::InvalidName`] for a destination that is
    /// not a host name, and every error of resolution and delivery.
    pub async fn relay(&self, origin: &Origin, author: &BoundSignet, object: &[u8]) -> Result<TxId, DmtpError> {
        let named = origin.destination_of(author, object)?;
        let domain = HostName::new(&named).map_err(|_| DmtpError::InvalidName(named.clone()))?;
        let mut link = None;
        let result = async {
            let (record, _) = self.record(&domain).await?;
            let org = self.signet_via(&mut link, &record, &Name::Org(domain.clone())).await?;
            let org = validate_org(org.as_bytes(), &domain, &record)?;
            let delivery = origin.relay(author, object, &org)?;
            self.deliver_on(&mut link, delivery).await
        }
        .await;
        Self::close(link).await;
        result
    }

    /// The bound org signet of `address`'s domain and the bound user signet of `address`: from
    /// the cache when fresh, else looked up on `link` (connected on first need).
    async fn bound_on(
        &self,
        link: &mut Option<Connection>,
        address: &Address,
    ) -> Result<(BoundSignet, BoundSignet), DmtpError> {
        let domain = address.domain();
        let (record, _) = self.record(domain).await?;
        let org = self.signet_via(link, &record, &Name::Org(domain.clone())).await?;
        // The cache keeps bare signets: bind them again.
        let org = validate_org(org.as_bytes(), domain, &record)?;
        let user = self.signet_via(link, &record, &Name::User(address.clone())).await?;
        let user = validate_user(user.as_bytes(), address, &org, None)?;
        Ok((org, user))
    }

    /// [`Resolver::signet`] on `link`, connecting it on first need.
    async fn signet_via(
        &self,
        link: &mut Option<Connection>,
        record: &ManagementRecord,
        name: &Name,
    ) -> Result<Signet, DmtpError> {
        let stale = match self.cache.lock().await.signet(name, None, Instant::now()) {
            CacheLookup::Fresh(signet) => return Ok(signet),
            CacheLookup::Stale(signet) => Some(signet),
            CacheLookup::Miss => None,
        };
        let connection = self.link(link, name.domain()).await?;
        self.signet_on(connection, record, name, None, stale).await
    }

    /// The connection in `link`, connected to `domain`'s DX server on first need.
    async fn link<'a>(
        &self,
        link: &'a mut Option<Connection>,
        domain: &HostName,
    ) -> Result<&'a mut Connection, DmtpError> {
        Ok(match link {
            Some(connection) => connection,
            None => link.insert(self.connect(domain).await?.0),
        })
    }

    async fn deliver_on(&self, link: &mut Option<Connection>, delivery: Delivery) -> Result<TxId, DmtpError> {
        let connection = self.link(link, &delivery.destination).await?;
        match connection.request(Request::Deliver(delivery)).await? {
            Outcome::Delivered(txid) => Ok(txid),
            _ => Err(DmtpError::WrongState),
        }
    }

    async fn close(link: Option<Connection>) {
        if let Some(connection) = link {
            let _ = connection.quit().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rrset_is_as_secure_as_its_weakest_record() {
        use Proof::*;
        let cases: [(&[Proof], DnssecStatus); 8] = [
            (&[Secure], DnssecStatus::Secure),
            (&[Secure, Secure], DnssecStatus::Secure),
            (&[Secure, Insecure], DnssecStatus::Insecure),
            (&[Indeterminate], DnssecStatus::Insecure),
            (&[Insecure, Indeterminate], DnssecStatus::Insecure),
            (&[Secure, Bogus], DnssecStatus::Bogus),
            (&[Insecure, Bogus, Secure], DnssecStatus::Bogus),
            (&[], DnssecStatus::Insecure),
        ];
        for (proofs, status) in cases {
            assert_eq!(rrset_status(proofs.iter().copied()), status, "{proofs:?}");
        }
    }
}
