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
#[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
use std::path::Path;
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
    /// The system's resolver configuration could not be read or names no name server.
    #[error(
        "cannot use the system's DNS configuration ({source_name}): {reason} (it needs at least one `nameserver` line; or name the servers with `DnsClient::new`)"
    )]
    SystemConfig {
        /// Where the configuration came from: the file (`/etc/resolv.conf`) or the platform's
        /// store.
        source_name: String,
        /// What was wrong.
        reason: String,
    },
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
    name_servers: Vec<SocketAddr>,
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
        options.attempts = 2;
        options.timeout = Duration::from_secs(5);
        DnsClient::build(ResolverConfig::from_name_servers(name_servers), options, dnssec)
    }

    /// A client asking the name servers of the system's configuration (`/etc/resolv.conf` on
    /// Unix, the registry on Windows, the system configuration on macOS), with the timeout and
    /// attempts it sets, and validating DNSSEC as `dnssec` says. As with [`DnsClient::new`],
    /// hickory's cache is off and every query is for an absolute name (no search domains).
    ///
    /// A local resolver (`nameserver 127.0.0.53`, systemd-resolved) may strip the DNSSEC
    /// records a validating client needs: with [`Dnssec::Validate`] its answers then come back
    /// bogus or insecure, and the default record policy refuses them.
    ///
    /// Errors: [`DnsError::SystemConfig`] naming the file when it cannot be read or holds no
    /// `nameserver`; [`DnsError::Config`] when hickory cannot build the resolver.
    pub fn from_system_conf(dnssec: Dnssec) -> Result<DnsClient, DnsError> {
        #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
        {
            DnsClient::from_resolv_conf("/etc/resolv.conf", dnssec)
        }
        #[cfg(not(all(unix, not(any(target_os = "android", target_vendor = "apple")))))]
        {
            let (config, options) =
                hickory_resolver::system_conf::read_system_conf().map_err(|error| DnsError::SystemConfig {
                    source_name: "the platform's resolver settings".into(),
                    reason: error.to_string(),
                })?;
            DnsClient::build(config, options, dnssec)
        }
    }

    /// A client from a `resolv.conf` file at `path` (Unix): its `nameserver` lines (port 53, UDP
    /// then TCP), `options timeout:` and `options attempts:`; otherwise as
    /// [`DnsClient::from_system_conf`].
    ///
    /// Errors: [`DnsError::SystemConfig`] naming the file when it cannot be read or holds no
    /// usable `nameserver` line.
    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn from_resolv_conf(path: impl AsRef<Path>, dnssec: Dnssec) -> Result<DnsClient, DnsError> {
        let path = path.as_ref();
        let fault = |reason: String| DnsError::SystemConfig { source_name: path.display().to_string(), reason };
        let text = std::fs::read(path).map_err(|error| fault(error.to_string()))?;
        let (config, options) =
            hickory_resolver::system_conf::parse_resolv_conf(text).map_err(|error| fault(error.to_string()))?;
        DnsClient::build(config, options, dnssec)
    }

    /// The resolver for `config` with `options`, hickory's cache off, validating as `dnssec`
    /// says.
    fn build(config: ResolverConfig, mut options: ResolverOpts, dnssec: Dnssec) -> Result<DnsClient, DnsError> {
        options.cache_size = 0;
        let name_servers = config
            .name_servers()
            .iter()
            .map(|server| SocketAddr::new(server.ip, server.connections.first().map_or(53, |c| c.port)))
            .collect();
        let mut builder = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        if let Dnssec::Validate(anchors) = dnssec {
            options.validate = true;
            builder = builder.with_trust_anchor(Arc::new(anchors));
        }
        let resolver = builder.with_options(options).build().map_err(|e| DnsError::Config(e.to_string()))?;
        Ok(DnsClient { resolver, name_servers })
    }

    /// The name servers asked, in order (what [`DnsClient::from_system_conf`] found).
    pub fn name_servers(&self) -> &[SocketAddr] {
        &self.name_servers
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

    /// A `resolv.conf` in a temporary folder; removed on drop.
    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    struct ResolvConf(std::path::PathBuf);

    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    impl ResolvConf {
        fn new(name: &str, text: &str) -> ResolvConf {
            let dir = std::env::temp_dir().join(format!("dime-signet-dns-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("resolv.conf");
            std::fs::write(&path, text).unwrap();
            ResolvConf(path)
        }
    }

    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    impl Drop for ResolvConf {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    #[tokio::test]
    async fn a_resolv_conf_gives_its_name_servers_and_options() {
        let file = ResolvConf::new(
            "good",
            "# written by a test\nsearch example.com\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions timeout:3 attempts:4\n",
        );
        let client = DnsClient::from_resolv_conf(&file.0, Dnssec::Off).unwrap();
        let expected: Vec<SocketAddr> = vec!["192.0.2.53:53".parse().unwrap(), "[2001:db8::53]:53".parse().unwrap()];
        assert_eq!(client.name_servers(), expected.as_slice());
        let options = client.resolver().options();
        assert_eq!(
            (options.timeout, options.attempts, options.cache_size, options.validate),
            (Duration::from_secs(3), 4, 0, false)
        );
        let validating = DnsClient::from_resolv_conf(&file.0, Dnssec::Validate(TrustAnchors::default())).unwrap();
        assert!(validating.resolver().options().validate);
    }

    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    #[test]
    fn a_resolv_conf_without_name_servers_is_named_in_the_error() {
        let file = ResolvConf::new("empty", "search example.com\noptions ndots:2\n");
        let error = DnsClient::from_resolv_conf(&file.0, Dnssec::Off).unwrap_err();
        let DnsError::SystemConfig { source_name, reason } = &error else { panic!("{error:?}") };
        assert_eq!(source_name, &file.0.display().to_string());
        assert!(reason.contains("no nameservers"), "{reason}");
        assert!(error.to_string().contains("it needs at least one `nameserver` line"), "{error}");

        let missing = file.0.with_file_name("absent.conf");
        let error = DnsClient::from_resolv_conf(&missing, Dnssec::Off).unwrap_err();
        assert!(
            matches!(&error, DnsError::SystemConfig { source_name, .. } if source_name.ends_with("absent.conf")),
            "{error:?}"
        );
        assert!(!error.is_transient());
    }

    /// This machine's own configuration: a client when /etc/resolv.conf names a server, else
    /// the error that names the file.
    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    #[tokio::test]
    async fn the_system_configuration_is_read_from_etc_resolv_conf() {
        let listed = std::fs::read_to_string("/etc/resolv.conf")
            .map(|text| text.lines().any(|line| line.trim_start().starts_with("nameserver")))
            .unwrap_or(false);
        match DnsClient::from_system_conf(Dnssec::Off) {
            Ok(client) => assert!(listed && !client.name_servers().is_empty()),
            Err(DnsError::SystemConfig { source_name, .. }) => {
                assert!(!listed);
                assert_eq!(source_name, "/etc/resolv.conf");
            }
            Err(error) => panic!("{error:?}"),
        }
    }

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
