//! The resolver cache: management records for their DNS TTL (capped by `exp`), signets until a
//! refresh time (then VRFY) and a hard expiry; lookups honour a requested fingerprint.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dime_core::Fingerprint;
use dime_signet::record::{DnssecStatus, HostName};
use dime_signet::{BoundSignet, ManagementRecord, SignetKind};

use super::signets::has_fingerprint;
use crate::wire::Name;

/// How long cached entries live.
///
/// Start from [`CachePolicy::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CachePolicy {
    /// After this long a cached signet is stale: confirm it with VRFY before use.
    pub signet_refresh: Duration,
    /// After this long a cached signet is dropped, unless its organisation's record says less
    /// (`exp` days).
    pub signet_max_age: Duration,
    /// Most entries of each kind; the one expiring first is dropped to make room.
    pub max_entries: usize,
}

impl Default for CachePolicy {
    /// Refresh after an hour, drop after 30 days, 1,024 entries of each kind.
    fn default() -> Self {
        CachePolicy {
            signet_refresh: Duration::from_secs(3600),
            signet_max_age: Duration::from_secs(30 * 86_400),
            max_entries: 1024,
        }
    }
}

/// What the cache has for a signet name: only ever a signet bound to that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheLookup {
    /// Fresh: use it.
    Fresh(BoundSignet),
    /// Past its refresh time: confirm with `VRFY <name> [fp]` ([`SignetCache::confirm`] on
    /// `CURRENT`, fetch again on `UPDATE`).
    Stale(BoundSignet),
    /// Nothing usable (absent, expired, or not the requested fingerprint).
    Miss,
}

#[derive(Debug, Clone)]
struct RecordEntry {
    record: ManagementRecord,
    dnssec: DnssecStatus,
    expires: Instant,
}

#[derive(Debug, Clone)]
struct SignetEntry {
    signet: BoundSignet,
    refresh_at: Instant,
    expires: Instant,
}

/// The cache. It holds only validated data: store records after the DNSSEC policy check and
/// signets bound to their names ([`BoundSignet`]), so nothing unvalidated can come out of it as
/// a name's signet.
#[derive(Debug, Clone, Default)]
pub struct SignetCache {
    policy: CachePolicy,
    records: HashMap<HostName, RecordEntry>,
    signets: HashMap<Name, SignetEntry>,
}

/// The name a bound signet stands for. A binding's identifier is a valid domain or address, so
/// `None` never happens for a signet that [`BoundSignet`] made.
fn bound_name(signet: &BoundSignet) -> Option<Name> {
    match signet.signet().kind() {
        SignetKind::Org => signet.identifier().parse().ok().map(Name::Org),
        _ => signet.identifier().parse().ok().map(Name::User),
    }
}

fn days(expiry: Option<dime_signet::record::Expiry>) -> Option<Duration> {
    expiry.map(|e| Duration::from_secs(u64::from(e.days()) * 86_400))
}

impl SignetCache {
    /// An empty cache.
    pub fn new(policy: CachePolicy) -> SignetCache {
        SignetCache { policy, records: HashMap::new(), signets: HashMap::new() }
    }

    /// The record of `domain`, if cached and not expired.
    pub fn record(&self, domain: &HostName, now: Instant) -> Option<(&ManagementRecord, DnssecStatus)> {
        self.records.get(domain).filter(|e| now < e.expires).map(|e| (&e.record, e.dnssec))
    }

    /// Caches a record for its DNS TTL, or its `exp` if that is shorter.
    pub fn store_record(
        &mut self,
        domain: HostName,
        record: ManagementRecord,
        dnssec: DnssecStatus,
        ttl: Duration,
        now: Instant,
    ) {
        let life = days(record.expiry()).map_or(ttl, |exp| exp.min(ttl));
        if !self.records.contains_key(&domain)
            && self.records.len() >= self.policy.max_entries
            && let Some(oldest) = self.records.iter().min_by_key(|(_, e)| e.expires).map(|(k, _)| k.clone())
        {
            self.records.remove(&oldest);
        }
        self.records.insert(domain, RecordEntry { record, dnssec, expires: now + life });
    }

    /// The cached signet of `name`. With `fingerprint`, only a signet that has it (any kind)
    /// counts.
    pub fn signet(&self, name: &Name, fingerprint: Option<&Fingerprint>, now: Instant) -> CacheLookup {
        let Some(entry) = self.signets.get(name) else { return CacheLookup::Miss };
        if now >= entry.expires || fingerprint.is_some_and(|fp| !has_fingerprint(entry.signet.signet(), fp)) {
            return CacheLookup::Miss;
        }
        if now >= entry.refresh_at {
            CacheLookup::Stale(entry.signet.clone())
        } else {
            CacheLookup::Fresh(entry.signet.clone())
        }
    }

    /// Caches a bound signet under the name it is bound to (an org signet under its domain, a
    /// user signet under its address). Its hard expiry is the policy's maximum age, or the `exp`
    /// of its organisation's cached record if shorter.
    pub fn store_signet(&mut self, signet: BoundSignet, now: Instant) {
        let Some(name) = bound_name(&signet) else { return };
        let exp = self.records.get(name.domain()).and_then(|e| days(e.record.expiry()));
        let life = exp.map_or(self.policy.signet_max_age, |exp| exp.min(self.policy.signet_max_age));
        if !self.signets.contains_key(&name)
            && self.signets.len() >= self.policy.max_entries
            && let Some(oldest) = self.signets.iter().min_by_key(|(_, e)| e.expires).map(|(k, _)| k.clone())
        {
            self.signets.remove(&oldest);
        }
        let refresh_at = now + self.policy.signet_refresh.min(life);
        self.signets.insert(name, SignetEntry { signet, refresh_at, expires: now + life });
    }

    /// VRFY answered `CURRENT`: the signet is fresh again. Returns whether it was cached.
    pub fn confirm(&mut self, name: &Name, now: Instant) -> bool {
        match self.signets.get_mut(name) {
            Some(entry) if now < entry.expires => {
                entry.refresh_at = (now + self.policy.signet_refresh).min(entry.expires);
                true
            }
            _ => false,
        }
    }

    /// Drops a signet (VRFY answered `UPDATE`, or it failed validation).
    pub fn evict(&mut self, name: &Name) {
        self.signets.remove(name);
    }

    /// Number of cached signets.
    pub fn signet_count(&self) -> usize {
        self.signets.len()
    }
}
