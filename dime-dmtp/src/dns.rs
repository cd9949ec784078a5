//! DNS with hickory-resolver: the `_dx` TXT record (dime-signet's [`dime_signet::dns`], shared
//! with mail clients), MX hosts and host addresses, and the signet resolver over them.
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
use std::time::Instant;

use dime_core::Fingerprint;
pub use dime_signet::dns::{Dnssec, RecordAnswer, TrustAnchors};
use dime_signet::dns::{absolute, is_bogus, rrset_status};
use dime_signet::record::{DnssecStatus, HostName, RecordPolicy};
use dime_signet::{BoundSignet, ManagementRecord, Signet};
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{RData, Record};

use crate::client::{Delivery, Outcome, Request, VerifyResult};
use crate::driver::{ClientTls, Connection};
use crate::error::{DmtpError, DnsErrorKind, TimeoutPhase};
use crate::resolve::{
    Answer, AnswerType, CacheLookup, CachePolicy, MxHost, Ports, PresentedCertificate, SignetCache, check_answer,
    check_certificate, has_fingerprint, plan_targets, validate_org, validate_user, walk_history,
};
use crate::send::{Origin, Sender};
use crate::wire::{Address, Name, TxId};
use dime_message::{Addressing, Content, MessageError};

/// Most MX answers read.
pub const MAX_MX_ANSWERS: usize = 16;

/// DMTP's DNS client: dime-signet's ([`dime_signet::dns::DnsClient`], the `_dx` record) with
/// the MX and address lookups that delivery needs, on the same resolver.
#[derive(Debug, Clone)]
pub struct DnsClient {
    records: dime_signet::dns::DnsClient,
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

/// The bogus answer, for a query hickory refused as bogus.
fn bogus<T>() -> Answer<T> {
    Answer { values: Vec::new(), dnssec: DnssecStatus::Bogus }
}

impl From<dime_signet::dns::DnsClient> for DnsClient {
    fn from(records: dime_signet::dns::DnsClient) -> DnsClient {
        DnsClient { records }
    }
}

impl DnsClient {
    /// A client asking these name servers as [`dime_signet::dns::DnsClient::new`] does.
    ///
    /// Errors: [`DmtpError::Dns`] when hickory cannot build the resolver.
    pub fn new(servers: &[SocketAddr], dnssec: Dnssec) -> Result<DnsClient, DmtpError> {
        Ok(DnsClient { records: dime_signet::dns::DnsClient::new(servers, dnssec)? })
    }

    /// A client asking the system's name servers as
    /// [`dime_signet::dns::DnsClient::from_system_conf`] does (`/etc/resolv.conf` on Unix).
    ///
    /// Errors: [`DmtpError::Dns`] naming the file when it cannot be read or names no server.
    pub fn from_system_conf(dnssec: Dnssec) -> Result<DnsClient, DmtpError> {
        Ok(DnsClient { records: dime_signet::dns::DnsClient::from_system_conf(dnssec)? })
    }

    /// The record client underneath, as mail clients use it.
    pub fn records(&self) -> &dime_signet::dns::DnsClient {
        &self.records
    }

    /// The management record of `domain` under `policy`
    /// ([`dime_signet::dns::DnsClient::management_record`]).
    ///
    /// Errors: [`DmtpError::Dns`] when the query fails, [`DmtpError::Record`] for the record's
    /// own faults (none, several, unparsable, refused by the DNSSEC policy).
    pub async fn management_record(&self, domain: &HostName, policy: &RecordPolicy) -> Result<RecordAnswer, DmtpError> {
        Ok(self.records.management_record(domain, policy).await?)
    }

    /// The MX hosts of `domain` with their DNSSEC status; names that are not valid host names
    /// are skipped. A bogus answer (records, or a proof of their absence) comes back as such,
    /// with no hosts; no MX records at all come back as an insecure answer with no hosts.
    pub async fn mx(&self, domain: &HostName) -> Result<Answer<MxHost>, DmtpError> {
        let lookup = match self.records.resolver().mx_lookup(absolute(domain.as_str())).await {
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
        let lookup = match self.records.resolver().lookup_ip(absolute(host.as_str())).await {
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
    /// error (an I/O failure or a missed connect, handshake or reply deadline: the next port or
    /// address is tried after either), or [`DmtpError::NoDxHost`] when there was nothing to try.
    ///
    /// The attempts together take at most [`ClientOptions::targets_timeout`](crate::driver::ClientOptions):
    /// past it the first refusal is reported if there was one, else [`DmtpError::Timeout`]
    /// ([`TimeoutPhase::TotalBudget`]).
    pub async fn connect(&self, domain: &HostName) -> Result<(Connection, ManagementRecord), DmtpError> {
        let mut refusal = None;
        let budget = self.tls.options().targets_timeout;
        match tokio::time::timeout(budget, self.try_targets(domain, &mut refusal)).await {
            Ok(result) => result,
            Err(_) => Err(refusal.unwrap_or(DmtpError::Timeout { phase: TimeoutPhase::TotalBudget })),
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
                        // A network failure or a missed deadline: the next port or address.
                        Err(error @ (DmtpError::Io { .. } | DmtpError::Timeout { .. })) => last = error,
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

    /// The signet of `name` (with `fingerprint`, that version), bound to `name` through its
    /// organisation's management record: from the cache when fresh, confirmed with VRFY when
    /// stale, otherwise fetched with SGNT (the org signet first) and validated.
    pub async fn signet(&self, name: &Name, fingerprint: Option<Fingerprint>) -> Result<BoundSignet, DmtpError> {
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
        stale: Option<BoundSignet>,
    ) -> Result<BoundSignet, DmtpError> {
        if let Some(signet) = stale {
            let held = signet.full_fingerprint();
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
            Name::Org(_) => org.clone(),
            Name::User(address) => {
                let bytes = Self::fetch(connection, name.clone(), fingerprint).await?;
                validate_user(&bytes, address, &org, None)?
            }
        };
        if fingerprint.is_some_and(|fp| !has_fingerprint(signet.signet(), &fp)) {
            return Err(DmtpError::FingerprintMismatch);
        }
        let mut cache = self.cache.lock().await;
        cache.store_signet(org, Instant::now());
        cache.store_signet(signet.clone(), Instant::now());
        Ok(signet)
    }

    /// The chain of custody of `address` from the signet with `start` to the current one,
    /// validated link by link.
    pub async fn history(&self, address: &Address, start: Fingerprint) -> Result<Vec<Signet>, DmtpError> {
        let org = self.signet(&Name::Org(address.domain().clone()), None).await?;
        let (mut connection, record) = self.connect(address.domain()).await?;
        // A cached binding must still be anchored by the record as it is now.
        let org = validate_org(org.signet().as_bytes(), address.domain(), &record)?;
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

    /// Delivers several message objects, each to its destination, sharing connections: the
    /// objects for one destination go over one connection (one TLS handshake, `QUIT` after the
    /// last), as the outbox runner ([`crate::outbox::run`]) batches them. Gives each result in
    /// order. When a destination's server cannot be reached, every object for it gets that
    /// error without another attempt; when a connection ends during a delivery, the next object
    /// connects again.
    pub async fn deliver_batch(&self, deliveries: Vec<Delivery>) -> Vec<Result<TxId, DmtpError>> {
        let mut results = Vec::with_capacity(deliveries.len());
        let mut link: Option<Connection> = None;
        let mut linked: Option<HostName> = None;
        let mut unreachable: Vec<(HostName, DmtpError)> = Vec::new();
        for delivery in deliveries {
            if let Some((_, error)) = unreachable.iter().find(|(domain, _)| *domain == delivery.destination) {
                results.push(Err(error.clone()));
                continue;
            }
            if linked.as_ref() != Some(&delivery.destination) || link.as_ref().is_some_and(Connection::is_closed) {
                Self::close(link.take()).await;
                linked = Some(delivery.destination.clone());
            }
            let destination = delivery.destination.clone();
            let connection = match self.link(&mut link, &destination).await {
                Ok(connection) => connection,
                Err(error) => {
                    unreachable.push((destination, error.clone()));
                    results.push(Err(error));
                    continue;
                }
            };
            results.push(match connection.request(Request::Deliver(delivery)).await {
                Ok(Outcome::Delivered(txid)) => Ok(txid),
                Ok(_) => Err(DmtpError::WrongState),
                Err(error) => Err(error),
            });
        }
        Self::close(link).await;
        results
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
        // Cached bindings must still hold under the record as it is now (a rotated POK
        // unbinds them), and the user's under that org signet.
        let org = validate_org(org.signet().as_bytes(), domain, &record)?;
        let user = self.signet_via(link, &record, &Name::User(address.clone())).await?;
        let user = validate_user(user.signet().as_bytes(), address, &org, None)?;
        Ok((org, user))
    }

    /// [`Resolver::signet`] on `link`, connecting it on first need.
    async fn signet_via(
        &self,
        link: &mut Option<Connection>,
        record: &ManagementRecord,
        name: &Name,
    ) -> Result<BoundSignet, DmtpError> {
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
