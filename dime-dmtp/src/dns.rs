//! DNS with hickory-resolver: the `_dx` TXT record, MX hosts and host addresses.
//!
//! DNSSEC: this client does not validate, so every answer is reported as
//! [`DnssecStatus::Insecure`] and accepted only under a policy that allows unsigned records
//! ([`RecordPolicy::PERMISSIVE`]). A `tls=` pin then also needs a valid chain and host name
//! ([`check_certificate`](crate::resolve::check_certificate)).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use dime_signet::ManagementRecord;
use dime_signet::record::{DnssecStatus, HostName, RecordPolicy, owner_name};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;

use crate::error::DmtpError;
use crate::resolve::MxHost;

/// Most MX answers read.
pub const MAX_MX_ANSWERS: usize = 16;

/// A management record as DNS gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAnswer {
    /// The parsed record.
    pub record: ManagementRecord,
    /// Its DNSSEC status (always insecure with this client).
    pub dnssec: DnssecStatus,
    /// The smallest TTL of the TXT RRset.
    pub ttl: Duration,
}

/// A DNS client for DMTP lookups.
#[derive(Debug, Clone)]
pub struct DnsClient {
    resolver: TokioResolver,
}

fn dns_error(error: impl core::fmt::Display) -> DmtpError {
    DmtpError::Dns(error.to_string())
}

/// An absolute name for a query (so that no search domain is appended).
fn absolute(name: &str) -> String {
    format!("{name}.")
}

impl DnsClient {
    /// A client asking these name servers (UDP, then TCP), with hickory's own cache off: the
    /// resolver cache ([`crate::resolve::SignetCache`]) applies the TTLs.
    pub fn with_nameservers(servers: &[SocketAddr]) -> DnsClient {
        let mut group = NameServerConfigGroup::new();
        for server in servers {
            group.push(NameServerConfig::new(*server, Protocol::Udp));
            group.push(NameServerConfig::new(*server, Protocol::Tcp));
        }
        let mut options = ResolverOpts::default();
        options.cache_size = 0;
        options.attempts = 2;
        options.timeout = Duration::from_secs(5);
        let config = ResolverConfig::from_parts(None, Vec::new(), group);
        let resolver = TokioResolver::builder_with_config(config, TokioConnectionProvider::default()).with_options(options).build();
        DnsClient { resolver }
    }

    /// The management record of `domain` under `policy`.
    ///
    /// Errors: [`DmtpError::Dns`] when the query fails, [`DmtpError::Record`] for the record's
    /// own faults (none, several, unparsable, refused by the DNSSEC policy).
    pub async fn management_record(&self, domain: &HostName, policy: &RecordPolicy) -> Result<RecordAnswer, DmtpError> {
        let lookup = self.resolver.txt_lookup(absolute(&owner_name(domain))).await.map_err(dns_error)?;
        let rrs: Vec<Vec<Vec<u8>>> = lookup.iter().map(|txt| txt.txt_data().iter().map(|s| s.to_vec()).collect()).collect();
        let ttl = lookup.as_lookup().records().iter().map(|r| r.ttl()).min().unwrap_or(0);
        let dnssec = DnssecStatus::Insecure;
        let record = ManagementRecord::from_dns(&rrs, dnssec, policy)?;
        Ok(RecordAnswer { record, dnssec, ttl: Duration::from_secs(u64::from(ttl)) })
    }

    /// The MX hosts of `domain` (none when it has no MX records); names that are not valid host
    /// names are skipped.
    pub async fn mx(&self, domain: &HostName) -> Result<Vec<MxHost>, DmtpError> {
        match self.resolver.mx_lookup(absolute(domain.as_str())).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .take(MAX_MX_ANSWERS)
                .filter_map(|mx| {
                    let name = mx.exchange().to_ascii();
                    let host = HostName::new(name.trim_end_matches('.')).ok()?;
                    Some(MxHost { preference: mx.preference(), host })
                })
                .collect()),
            Err(error) if error.is_no_records_found() => Ok(Vec::new()),
            Err(error) => Err(dns_error(error)),
        }
    }

    /// The addresses of `host`.
    pub async fn addresses(&self, host: &HostName) -> Result<Vec<IpAddr>, DmtpError> {
        let lookup = self.resolver.lookup_ip(absolute(host.as_str())).await.map_err(dns_error)?;
        Ok(lookup.iter().collect())
    }
}
