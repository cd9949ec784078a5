//! Which DNS answers besides the `_dx` record a resolution may use, by their DNSSEC status
//! (`docs/dmtp.md` §8).
//!
//! A DNSSEC-secure management record is only worth its signature if the hosts and addresses it
//! leads to cannot be swapped by whoever forges the unsigned answers: when the record is secure,
//! an MX or address answer must be secure too, unless the record itself pins what matters (the
//! certificate with `tls=`, or the host with `dx=`). A bogus answer is never used.

use dime_signet::ManagementRecord;
use dime_signet::record::{DnssecStatus, HostName};

use crate::error::DmtpError;

/// An RRset as DNS gave it: its values and its DNSSEC status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Answer<T> {
    /// The values (MX hosts, addresses); empty when the name has none.
    pub values: Vec<T>,
    /// Secure only when every record is; bogus when validation failed (then `values` is empty).
    pub dnssec: DnssecStatus,
}

/// Which answer a resolution rests on besides the `_dx` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerType {
    /// The MX hosts of the domain (asked only when the record has no `dx=`).
    Mx,
    /// The A and AAAA addresses of a DX host.
    Address,
}

impl AnswerType {
    /// The record types, as errors name them.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerType::Mx => "MX",
            AnswerType::Address => "A/AAAA",
        }
    }
}

/// The reason of [`DmtpError::AnswerRefused`] for a bogus answer.
pub const BOGUS_ANSWER: &str = "DNSSEC validation failed (bogus)";
/// The reason of [`DmtpError::AnswerRefused`] for an MX answer that is not secure under a
/// secure record without `tls=`.
pub const INSECURE_MX: &str = "not DNSSEC-secure, while the _dx record is secure and pins no certificate (tls=)";
/// The reason of [`DmtpError::AnswerRefused`] for an address answer that is not secure under a
/// secure record that pins neither the host nor the certificate.
pub const INSECURE_ADDRESS: &str =
    "not DNSSEC-secure, while the _dx record is secure and pins neither the host (dx=) nor the certificate (tls=)";

/// Whether a resolution may use `answer`, of type `kind`, for `name`, given the management
/// record and the record's own DNSSEC status:
///
/// 1. a bogus answer is refused, whatever the record and the policy;
/// 2. an answer with no values and not bogus is accepted: nothing from it is used (no MX means
///    the domain itself is tried, a name that comes from the address, not from DNS);
/// 3. when the record is secure, an answer that is not secure is accepted only when the record
///    has `tls=` values (every certificate must then match a pin, wherever the answers lead),
///    or, for addresses, when `name` is one of the record's `dx=` hosts;
/// 4. otherwise (the record is insecure, as a permissive policy allows) secure and insecure
///    answers are accepted.
///
/// Errors: [`DmtpError::AnswerRefused`] with [`BOGUS_ANSWER`], [`INSECURE_MX`] or
/// [`INSECURE_ADDRESS`].
pub fn check_answer<T>(
    record: &ManagementRecord,
    record_status: DnssecStatus,
    kind: AnswerType,
    name: &HostName,
    answer: &Answer<T>,
) -> Result<(), DmtpError> {
    let refuse = |reason| Err(DmtpError::AnswerRefused { rtype: kind.as_str(), name: name.to_string(), reason });
    if answer.dnssec == DnssecStatus::Bogus {
        return refuse(BOGUS_ANSWER);
    }
    if answer.values.is_empty() || record_status != DnssecStatus::Secure || answer.dnssec == DnssecStatus::Secure {
        return Ok(());
    }
    if !record.tls().is_empty() {
        return Ok(());
    }
    match kind {
        AnswerType::Mx => refuse(INSECURE_MX),
        AnswerType::Address if record.dx().contains(name) => Ok(()),
        AnswerType::Address => refuse(INSECURE_ADDRESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DnssecStatus::{Bogus, Insecure, Secure};
    use dime_core::keys::SigningSecretKey;

    fn host(name: &str) -> HostName {
        HostName::new(name).unwrap()
    }

    fn answer(dnssec: DnssecStatus) -> Answer<u8> {
        Answer { values: vec![1], dnssec }
    }

    /// Every combination of record status, record pins, answer type and answer status.
    #[test]
    fn the_rule_for_every_combination() {
        let pok = SigningSecretKey::from_seed(&[7; 32]);
        let plain = ManagementRecord::builder(pok.public()).build().unwrap();
        let dx = ManagementRecord::builder(pok.public()).dx(host("dx.a.org")).build().unwrap();
        let tls = ManagementRecord::builder(pok.public()).sign_certificate(&pok, b"cert").build().unwrap();
        let refused = |rtype: &'static str, name: &str, reason| {
            Err(DmtpError::AnswerRefused { rtype, name: name.to_string(), reason })
        };
        let (a, mx_host, dx_host) = (host("a.org"), host("mx.a.org"), host("dx.a.org"));
        for record in [&plain, &dx, &tls] {
            for record_status in [Secure, Insecure] {
                // Bogus: never, whatever the record pins.
                assert_eq!(
                    check_answer(record, record_status, AnswerType::Mx, &a, &answer(Bogus)),
                    refused("MX", "a.org", BOGUS_ANSWER)
                );
                assert_eq!(
                    check_answer(record, record_status, AnswerType::Address, &dx_host, &answer(Bogus)),
                    refused("A/AAAA", "dx.a.org", BOGUS_ANSWER)
                );
                let empty_bogus: Answer<u8> = Answer { values: vec![], dnssec: Bogus };
                assert_eq!(
                    check_answer(record, record_status, AnswerType::Mx, &a, &empty_bogus),
                    refused("MX", "a.org", BOGUS_ANSWER)
                );
                // Secure answers: always.
                for (kind, name) in [(AnswerType::Mx, &a), (AnswerType::Address, &mx_host)] {
                    assert_eq!(check_answer(record, record_status, kind, name, &answer(Secure)), Ok(()));
                }
            }
            // An insecure record: insecure answers too.
            assert_eq!(check_answer(record, Insecure, AnswerType::Mx, &a, &answer(Insecure)), Ok(()));
            assert_eq!(check_answer(record, Insecure, AnswerType::Address, &mx_host, &answer(Insecure)), Ok(()));
            // No MX at all (insecure denial): nothing is used.
            let none: Answer<u8> = Answer { values: vec![], dnssec: Insecure };
            assert_eq!(check_answer(record, Secure, AnswerType::Mx, &a, &none), Ok(()));
        }
        // A secure record: an insecure answer only where the record pins.
        let insecure = answer(Insecure);
        assert_eq!(check_answer(&plain, Secure, AnswerType::Mx, &a, &insecure), refused("MX", "a.org", INSECURE_MX));
        assert_eq!(
            check_answer(&plain, Secure, AnswerType::Address, &mx_host, &insecure),
            refused("A/AAAA", "mx.a.org", INSECURE_ADDRESS)
        );
        assert_eq!(check_answer(&dx, Secure, AnswerType::Address, &dx_host, &insecure), Ok(()));
        assert_eq!(
            check_answer(&dx, Secure, AnswerType::Address, &mx_host, &insecure),
            refused("A/AAAA", "mx.a.org", INSECURE_ADDRESS)
        );
        assert_eq!(check_answer(&tls, Secure, AnswerType::Mx, &a, &insecure), Ok(()));
        assert_eq!(check_answer(&tls, Secure, AnswerType::Address, &mx_host, &insecure), Ok(()));
    }

    #[test]
    fn refusals_read_well() {
        let error = DmtpError::AnswerRefused { rtype: "MX", name: "a.org".into(), reason: INSECURE_MX };
        assert_eq!(
            error.to_string(),
            "MX answer for a.org refused: not DNSSEC-secure, while the _dx record is secure and pins no certificate (tls=)"
        );
    }
}
