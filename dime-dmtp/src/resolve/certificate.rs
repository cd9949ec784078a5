//! Whether a DX server's certificate is acceptable (protocols.md §5, adapted).

use dime_signet::ManagementRecord;
use dime_signet::record::{DnssecStatus, RecordError};

use crate::error::DmtpError;

/// What the TLS layer found out about the certificate the DX server presented. The planner does
/// not parse X.509: the driver (or any other TLS stack) supplies these facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresentedCertificate<'a> {
    /// The leaf certificate, DER.
    pub der: &'a [u8],
    /// Whether it names the DX host (subjectAltName dNSName, RFC 6125 matching).
    pub hostname_matches: bool,
    /// Whether it chains to a trusted root and is within its validity period.
    pub chain_valid: bool,
}

/// Why a certificate was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateTrust {
    /// A `tls=` signature of the record matches and the record is DNSSEC-secure: nothing else
    /// is needed (a self-signed certificate is fine).
    PinnedSecure,
    /// A `tls=` signature matches (record not DNSSEC-secure), and the certificate names the host
    /// and chains to a trusted root.
    PinnedAndChained,
    /// The record has no `tls=` values; the certificate names the host and chains to a root.
    Chained,
}

/// Decides whether the DX certificate is acceptable:
///
/// 1. a bogus DNSSEC status refuses everything;
/// 2. with `tls=` values, one must verify (any `tls=` value, any POK); then a DNSSEC-secure record
///    accepts at once, otherwise the host name and the chain must also hold;
/// 3. without `tls=` values, the host name and the chain must hold.
///
/// Errors: [`DmtpError::CertificateRefused`] naming the rule.
pub fn check_certificate(
    record: &ManagementRecord,
    dnssec: DnssecStatus,
    certificate: &PresentedCertificate<'_>,
) -> Result<CertificateTrust, DmtpError> {
    if dnssec == DnssecStatus::Bogus {
        return Err(DmtpError::CertificateRefused { reason: "the management record's DNSSEC status is bogus" });
    }
    let pinned = match record.verify_tls_certificate(certificate.der) {
        Ok(_) => true,
        Err(RecordError::NoTlsSignatures) => false,
        Err(_) => {
            return Err(DmtpError::CertificateRefused {
                reason: "no tls= signature of the record matches the certificate",
            });
        }
    };
    if pinned && dnssec == DnssecStatus::Secure {
        return Ok(CertificateTrust::PinnedSecure);
    }
    if !certificate.hostname_matches {
        return Err(DmtpError::CertificateRefused { reason: "the certificate does not name the DX host" });
    }
    if !certificate.chain_valid {
        return Err(DmtpError::CertificateRefused { reason: "the certificate does not chain to a trusted root" });
    }
    Ok(if pinned { CertificateTrust::PinnedAndChained } else { CertificateTrust::Chained })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dime_core::keys::SigningSecretKey;

    #[test]
    fn every_rule() {
        let pok = SigningSecretKey::from_seed(&[3; 32]);
        let der = b"certificate".as_slice();
        let pinned = ManagementRecord::builder(pok.public()).sign_certificate(&pok, der).build().unwrap();
        let plain = ManagementRecord::builder(pok.public()).build().unwrap();
        let cert = |hostname_matches, chain_valid| PresentedCertificate { der, hostname_matches, chain_valid };
        let other = PresentedCertificate { der: b"other", hostname_matches: true, chain_valid: true };
        use DnssecStatus::*;
        assert_eq!(check_certificate(&pinned, Secure, &cert(false, false)), Ok(CertificateTrust::PinnedSecure));
        assert_eq!(check_certificate(&pinned, Insecure, &cert(true, true)), Ok(CertificateTrust::PinnedAndChained));
        assert_eq!(check_certificate(&plain, Insecure, &cert(true, true)), Ok(CertificateTrust::Chained));
        assert_eq!(check_certificate(&plain, Secure, &cert(true, true)), Ok(CertificateTrust::Chained));
        let refused = |reason| Err(DmtpError::CertificateRefused { reason });
        assert_eq!(
            check_certificate(&pinned, Bogus, &cert(true, true)),
            refused("the management record's DNSSEC status is bogus")
        );
        assert_eq!(
            check_certificate(&pinned, Secure, &other),
            refused("no tls= signature of the record matches the certificate")
        );
        assert_eq!(
            check_certificate(&pinned, Insecure, &cert(false, true)),
            refused("the certificate does not name the DX host")
        );
        assert_eq!(
            check_certificate(&pinned, Insecure, &cert(true, false)),
            refused("the certificate does not chain to a trusted root")
        );
        assert_eq!(
            check_certificate(&plain, Secure, &cert(true, false)),
            refused("the certificate does not chain to a trusted root")
        );
    }
}
