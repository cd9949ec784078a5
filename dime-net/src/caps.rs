//! Connection caps per listener and per source.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Where a connection comes from, as the per-source cap counts it: an IPv4 address (IPv4-mapped
/// IPv6 included), or the /64 prefix of an IPv6 address (one host usually has a whole /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// An IPv4 address.
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Prefix([u8; 8]),
}

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(v4) => Source::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(v4.octets()),
                None => {
                    let octets = v6.octets();
                    let mut prefix = [0u8; 8];
                    prefix.copy_from_slice(octets.get(..8).unwrap_or(&[0; 8]));
                    Source::V6Prefix(prefix)
                }
            },
        }
    }
}

/// Why a connection was refused; the driver answers each with its protocol's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The listener serves [`EdgeConfig::max_connections`](crate::EdgeConfig::max_connections).
    ListenerFull,
    /// The source has [`EdgeConfig::max_per_source`](crate::EdgeConfig::max_per_source) open.
    SourceFull,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_source: HashMap<Source, usize>,
}

/// The open connections of one listener.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caps {
    counts: Arc<Mutex<Counts>>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Permit {
    caps: Caps,
    source: Source,
}

impl Caps {
    fn lock(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent whatever panicked while holding the lock.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a connection from `source`, or why there is none.
    pub(crate) fn admit(&self, source: Source, max_total: usize, max_per_source: usize) -> Result<Permit, Refusal> {
        let mut counts = self.lock();
        if counts.total >= max_total {
            return Err(Refusal::ListenerFull);
        }
        let open = counts.per_source.entry(source).or_insert(0);
        if *open >= max_per_source {
            return Err(Refusal::SourceFull);
        }
        *open += 1;
        counts.total += 1;
        Ok(Permit { caps: self.clone(), source })
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.lock().total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.caps.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(open) = counts.per_source.get_mut(&self.source) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.per_source.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn sources_group_ipv6_by_prefix_and_unmap_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Source::from(a), Source::from(b));
        assert_ne!(Source::from(a), Source::from(c));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(Source::from(mapped), Source::V4([192, 0, 2, 7]));
        assert_eq!(Source::from(IpAddr::V6(Ipv6Addr::LOCALHOST)), Source::V6Prefix([0; 8]));
    }

    #[test]
    fn caps_refuse_and_free_their_places() {
        let caps = Caps::default();
        let one = Source::V4([192, 0, 2, 1]);
        let two = Source::V4([192, 0, 2, 2]);
        let first = caps.admit(one, 3, 2).unwrap();
        let _second = caps.admit(one, 3, 2).unwrap();
        assert_eq!(caps.admit(one, 3, 2).unwrap_err(), Refusal::SourceFull);
        let _third = caps.admit(two, 3, 2).unwrap();
        assert_eq!(caps.admit(two, 3, 2).unwrap_err(), Refusal::ListenerFull);
        drop(first);
        assert_eq!(caps.open(), 2);
        let _again = caps.admit(one, 3, 2).unwrap();
        assert_eq!(caps.open(), 3);
    }
}
