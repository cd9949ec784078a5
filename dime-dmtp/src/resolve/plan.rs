//! Which DX hosts to try, on which ports and in which mode (protocols.md §8.4).

use dime_signet::ManagementRecord;
use dime_signet::record::HostName;

use crate::client::ConnectMode;

/// Most MX hosts tried.
pub const MAX_MX: usize = 3;

/// The ports DMTP uses. Tests and private deployments may move them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    /// Native DMTP (TLS from the first byte): 26.
    pub native: u16,
    /// Dual mode (plaintext, STARTTLS): 25.
    pub dual: u16,
    /// Tried instead of `dual` when the TCP connect to it fails: 587.
    pub dual_fallback: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports { native: 26, dual: 25, dual_fallback: 587 }
    }
}

/// One MX answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MxHost {
    /// The preference (lower first).
    pub preference: u16,
    /// The exchange host.
    pub host: HostName,
}

/// One connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DxTarget {
    /// The host to connect to, whose certificate must match.
    pub host: HostName,
    /// The port.
    pub port: u16,
    /// Native or dual mode.
    pub mode: ConnectMode,
    /// Another port to try when the TCP connect to `port` fails.
    pub fallback_port: Option<u16>,
}

/// The connection attempts for `domain`, in order:
///
/// * the record's `dx=` hosts, each natively, and nothing else;
/// * without `dx=`: the first [`MAX_MX`] MX hosts by preference (ties keep DNS order), each
///   natively and then in dual mode (with the fallback port), and finally the domain itself
///   natively.
pub fn plan_targets(domain: &HostName, record: &ManagementRecord, mx: &[MxHost], ports: &Ports) -> Vec<DxTarget> {
    let native = |host: &HostName| DxTarget {
        host: host.clone(),
        port: ports.native,
        mode: ConnectMode::Native,
        fallback_port: None,
    };
    if !record.dx().is_empty() {
        return record.dx().iter().map(native).collect();
    }
    let mut sorted: Vec<&MxHost> = mx.iter().collect();
    sorted.sort_by_key(|m| m.preference);
    let mut targets = Vec::new();
    for mx in sorted.into_iter().take(MAX_MX) {
        targets.push(native(&mx.host));
        targets.push(DxTarget {
            host: mx.host.clone(),
            port: ports.dual,
            mode: ConnectMode::Dual,
            fallback_port: Some(ports.dual_fallback),
        });
    }
    targets.push(native(domain));
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use dime_core::keys::SigningSecretKey;

    fn host(name: &str) -> HostName {
        HostName::new(name).unwrap()
    }

    #[test]
    fn dx_hosts_only() {
        let pok = SigningSecretKey::from_seed(&[1; 32]).public();
        let record = ManagementRecord::builder(pok).dx(host("dx1.a.org")).dx(host("dx2.a.org")).build().unwrap();
        let mx = [MxHost { preference: 1, host: host("mx.a.org") }];
        let targets = plan_targets(&host("a.org"), &record, &mx, &Ports::default());
        assert_eq!(
            targets.iter().map(|t| (t.host.as_str(), t.port, t.mode)).collect::<Vec<_>>(),
            [("dx1.a.org", 26, ConnectMode::Native), ("dx2.a.org", 26, ConnectMode::Native)]
        );
    }

    #[test]
    fn mx_then_domain() {
        let pok = SigningSecretKey::from_seed(&[1; 32]).public();
        let record = ManagementRecord::builder(pok).build().unwrap();
        let mx: Vec<MxHost> = [(20, "c"), (10, "a"), (30, "d"), (10, "b"), (5, "e")]
            .iter()
            .map(|(p, h)| MxHost { preference: *p, host: host(&format!("{h}.x.org")) })
            .collect();
        let targets = plan_targets(&host("x.org"), &record, &mx, &Ports::default());
        let got: Vec<_> = targets.iter().map(|t| (t.host.to_string(), t.port, t.fallback_port)).collect();
        let expect: Vec<_> = [
            ("e.x.org", 26, None),
            ("e.x.org", 25, Some(587)),
            ("a.x.org", 26, None),
            ("a.x.org", 25, Some(587)),
            ("b.x.org", 26, None),
            ("b.x.org", 25, Some(587)),
            ("x.org", 26, None),
        ]
        .iter()
        .map(|(h, p, f)| (h.to_string(), *p, *f))
        .collect();
        assert_eq!(got, expect);
        assert_eq!(plan_targets(&host("x.org"), &record, &[], &Ports::default()).len(), 1);
    }
}
