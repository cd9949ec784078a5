//! The `_dx` management record from DNS, and the signets anchored by it (cargo feature `dns`,
//! hickory-resolver on tokio).
//!
//! This is the one DNS client of the workspace: mail clients use it to validate an author's or
//! a recipient's signet from the author's domain down, and DMTP's resolver
//! (`dime_dmtp::dns`) builds on it for its MX and address queries. Trust flows as
//! `docs/architecture.md` says: the record names the organization's POKs
//! ([`DnsClient::management_record`]), an org signet is bound to its domain by one of them
//! ([`DnsClient::bind_org`]), and the org's bound signet binds its users' signets
//! ([`BoundSignet::bind_address`]).
//!
//! DNSSEC: a client made with [`Dnssec::Validate`] validates every answer from its trust
//! anchors and reports the record as [`DnssecStatus::Secure`] or [`DnssecStatus::Bogus`] (or
//! insecure, where no chain can be judged); [`Dnssec::Off`] reports every answer as
//! [`DnssecStatus::Insecure`], which only a policy that allows unsigned records
//! ([`RecordPolicy::PERMISSIVE`]) accepts.
//!
//! ```no_run
//! # async fn demo(org_signet: &[u8], user_signet: &[u8]) -> Result<(), dime_signet::dns::DnsError> {
//! use dime_signet::dns::{DnsClient, Dnssec, TrustAnchors};
//! use dime_signet::record::{HostName, RecordPolicy};
//! use dime_signet::Signet;
//!
//! let dns = DnsClient::new(&["192.0.2.53:53".parse().unwrap()], Dnssec::Validate(TrustAnchors::default()))?;
//! let domain = HostName::new("example.org")?;
//! let org = dns.bind_org(&Signet::parse(org_signet)?, &domain, &RecordPolicy::default()).await?;
//! let bob = org.bind_address(&Signet::parse(user_signet)?, "bob@example.org", None)?;
//! assert_eq!(bob.identifier(), "bob@example.org");
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError};
use hickory_resolver::proto::dnssec::Proof;
pub use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::rr::{RData, Record};

use crate::bind::{Anchor, BoundSignet};
use crate::error::SignetError;
use crate::record::{DnssecStatus, HostName, ManagementRecord, RecordError, RecordPolicy, owner_name};
use crate::signet::Signet;

/// What a DNS lookup or the validation that follows it failed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The name has no records of the type asked (NXDOMAIN or an empty answer).
    #[error("DNS has no {kind} record at {name}")]
    NoRecord {
        /// The record type (`TXT`, `MX`, `A/AAAA`).
        kind: &'static str,
        /// The name asked.
        name: String,
    },
    /// No name server answered in time.
    #[error("DNS query for {name} timed out")]
    Timeout {
        /// The name asked.
        name: String,
    },
    /// The resolver failed otherwise (network, a malformed answer, a server failure).
    #[error("DNS lookup of {name} failed: {reason}")]
    Lookup {
        /// The name asked.
        name: String,
        /// hickory's description.
        reason: String,
    },
    /// The resolver could not be built from the configuration.
    #[error("DNS resolver configuration: {0}")]
    Config(String),
    /// The management record's own fault: several, unparsable, refused by the DNSSEC policy.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The signet does not bind to the record's POKs ([`Signet::bind`]) or could not be parsed.
    #[error(transparent)]
    Signet(#[from] SignetError),
}

impl DnsError {
    /// Whether trying again later may succeed: a timeout or a failed lookup, not a missing or
    /// refused record.
    pub fn is_transient(&self) -> bool {
        matches!(self, DnsError::Timeout { .. } | DnsError::Lookup { .. })
    }

    /// The error for a failed hickory query of `kind` at `name` (a bogus answer is
    /// [`RecordError::DnssecBogus`]).
    pub fn from_hickory(error: &NetError, kind: &'static str, name: &str) -> DnsError {
        let name = name.trim_end_matches('.').to_string();
        if is_bogus(error) {
            DnsError::Record(RecordError::DnssecBogus)
        } else if error.is_no_records_found() || error.is_nx_domain() {
            DnsError::NoRecord { kind, name }
        } else if matches!(error, NetError::Timeout) {
            DnsError::Timeout { name }
        } else {
            DnsError::Lookup { name, reason: error.to_string() }
        }
    }
}

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
pub fn rrset_status(proofs: impl IntoIterator<Item = Proof>) -> DnssecStatus {
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

/// Whether hickory refused an answer because DNSSEC validation found it (or the proof of its
/// absence) bogus: since hickory 0.26 a bogus RRset is an error, not records marked bogus.
pub fn is_bogus(error: &NetError) -> bool {
    matches!(error, NetError::Dns(HickoryDnsError::DnssecBogus))
}

/// An absolute name for a query (so that no search domain is appended).
pub fn absolute(name: &str) -> String {
    format!("{name}.")
}

/// A DNS client: the `_dx` management record, and the hickory resolver for other lookups.
#[derive(Debug, Clone)]
pub struct DnsClient {
    resolver: TokioResolver,
}

impl DnsClient {
    /// A client asking these name servers (UDP, then TCP; two attempts of 5 s each) and
    /// validating DNSSEC as `dnssec` says, with hickory's own cache off: callers that cache
    /// (DMTP's `SignetCache`) apply the TTLs.
    ///
    /// Errors: [`DnsError::Config`] when hickory cannot build the resolver.
    pub fn new(servers: &[SocketAddr], dnssec: Dnssec) -> Result<DnsClient, DnsError> {
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
        let resolver = builder.with_options(options).build().map_err(|e| DnsError::Config(e.to_string()))?;
        Ok(DnsClient { resolver })
    }

    /// The hickory resolver, for lookups of other types with the same servers and DNSSEC
    /// setting (DMTP's MX and address queries).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    /// The management record of `domain` under `policy`.
    ///
    /// Errors: [`DnsError::NoRecord`] when `_dx.<domain>` has no TXT record,
    /// [`DnsError::Timeout`], [`DnsError::Lookup`]; [`DnsError::Record`] for the record's own
    /// faults (no DIME record among the TXT records, several, unparsable, refused by the
    /// DNSSEC policy, bogus).
    pub async fn management_record(&self, domain: &HostName, policy: &RecordPolicy) -> Result<RecordAnswer, DnsError> {
        let owner = absolute(&owner_name(domain));
        let lookup =
            self.resolver.txt_lookup(owner.as_str()).await.map_err(|e| DnsError::from_hickory(&e, "TXT", &owner))?;
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

    /// Binds `org`, the org signet of `domain`, from DNS down: looks up the domain's management
    /// record under `policy` and binds the signet with its POKs ([`Anchor::record`]).
    ///
    /// Errors: those of [`DnsClient::management_record`]; [`DnsError::Signet`] with the
    /// binding's error ([`Signet::bind`]).
    pub async fn bind_org(
        &self,
        org: &Signet,
        domain: &HostName,
        policy: &RecordPolicy,
    ) -> Result<BoundSignet, DnsError> {
        let answer = self.management_record(domain, policy).await?;
        Ok(org.bind(&Anchor::record(domain.as_str(), &answer.record))?)
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
