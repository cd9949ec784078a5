//! `tls=` values: Ed25519 signatures by a POK over SHA-512 of a DX server's DER certificate.

use dime_core::base64;
use dime_core::keys::{Signature, SigningPublicKey, SigningSecretKey};
use sha2::{Digest, Sha512};

use super::ManagementRecord;
use super::error::RecordError;

/// Largest DER certificate [`certificate_from_pem`] gives.
pub const MAX_CERTIFICATE_LEN: usize = 64 * 1024;
/// Largest PEM text [`certificate_from_pem`] reads.
pub const MAX_PEM_LEN: usize = 256 * 1024;

const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const PEM_END: &str = "-----END CERTIFICATE-----";

/// The message a `tls=` signature signs: the 64-byte SHA-512 digest of the DER certificate.
pub fn tls_certificate_digest(der: &[u8]) -> [u8; 64] {
    Sha512::digest(der).into()
}

/// Signs a DX server's DER certificate with a POK: pure Ed25519 over
/// [`tls_certificate_digest`]`(der)`.
pub fn sign_tls_certificate(pok: &SigningSecretKey, der: &[u8]) -> Signature {
    pok.sign(&tls_certificate_digest(der))
}

impl ManagementRecord {
    /// Checks a DX server's DER certificate against the record: tries every `tls` value with
    /// every POK and gives the POK of the first pair that verifies.
    ///
    /// Errors: [`RecordError::NoTlsSignatures`] when the record has no `tls` value (the caller
    /// then falls back to ordinary X.509 checks), [`RecordError::TlsCertificateMismatch`] when
    /// none verifies.
    pub fn verify_tls_certificate(&self, der: &[u8]) -> Result<&SigningPublicKey, RecordError> {
        if self.tls().is_empty() {
            return Err(RecordError::NoTlsSignatures);
        }
        let digest = tls_certificate_digest(der);
        self.tls()
            .iter()
            .flat_map(|signature| self.poks().iter().map(move |pok| (pok, signature)))
            .find(|(pok, signature)| pok.verify(&digest, signature).is_ok())
            .map(|(pok, _)| pok)
            .ok_or(RecordError::TlsCertificateMismatch)
    }
}

/// Decodes the first `CERTIFICATE` block of PEM text (RFC 7468) to DER.
///
/// Text before the block and after it is ignored (a chain gives its first, leaf, certificate);
/// LF and CRLF line ends are read, and spaces around body lines are dropped. The body must be
/// canonical padded base64 of a single DER SEQUENCE of at most [`MAX_CERTIFICATE_LEN`] bytes.
pub fn certificate_from_pem(pem: &str) -> Result<Vec<u8>, RecordError> {
    if pem.len() > MAX_PEM_LEN {
        return Err(RecordError::CertificateTooLarge { len: pem.len(), limit: MAX_PEM_LEN });
    }
    let mut lines = pem.lines().map(str::trim);
    lines.by_ref().find(|line| *line == PEM_BEGIN).ok_or(RecordError::PemMissingBegin)?;
    let mut body = String::new();
    loop {
        match lines.next() {
            Some(PEM_END) => break,
            Some(line) if !line.starts_with("-----") => body.push_str(line),
            _ => return Err(RecordError::PemMissingEnd),
        }
    }
    let der = base64::decode_padded(&body, "certificate").map_err(|_| RecordError::PemBase64)?;
    certificate_from_der(&der)?;
    Ok(der)
}

/// Checks DER certificate bytes as [`certificate_from_pem`] checks its decoded body: at most
/// [`MAX_CERTIFICATE_LEN`] bytes forming a single DER SEQUENCE.
pub fn certificate_from_der(der: &[u8]) -> Result<&[u8], RecordError> {
    if der.len() > MAX_CERTIFICATE_LEN {
        return Err(RecordError::CertificateTooLarge { len: der.len(), limit: MAX_CERTIFICATE_LEN });
    }
    check_der_sequence(der)?;
    Ok(der)
}

/// Checks that `der` is exactly one DER SEQUENCE (tag 0x30, minimal definite length).
fn check_der_sequence(der: &[u8]) -> Result<(), RecordError> {
    let err = RecordError::CertificateNotDer;
    let [0x30, first, rest @ ..] = der else {
        return Err(err);
    };
    let (len, body) = if *first < 0x80 {
        (usize::from(*first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if !(1..=4).contains(&count) {
            return Err(err);
        }
        let (len_bytes, body) = rest.split_at_checked(count).ok_or(err.clone())?;
        if len_bytes.first() == Some(&0) {
            return Err(err);
        }
        let len = len_bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        if len < 0x80 {
            return Err(err);
        }
        (len, body)
    };
    if body.len() != len {
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_certificates_are_checked_like_pem_bodies() {
        assert_eq!(certificate_from_der(&[0x30, 0x01, 0x05]), Ok(&[0x30, 0x01, 0x05][..]));
        assert_eq!(certificate_from_der(&[0x31, 0x00]), Err(RecordError::CertificateNotDer));
        let mut big = vec![0x30, 0x83, 0x01, 0x00, 0x00];
        big.resize(MAX_CERTIFICATE_LEN + 1, 0);
        assert_eq!(
            certificate_from_der(&big),
            Err(RecordError::CertificateTooLarge { len: MAX_CERTIFICATE_LEN + 1, limit: MAX_CERTIFICATE_LEN })
        );
    }

    #[test]
    fn der_outer_sequence() {
        assert_eq!(check_der_sequence(&[0x30, 0x00]), Ok(()));
        assert_eq!(check_der_sequence(&[0x30, 0x01, 0x05]), Ok(()));
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend([0; 0x80]);
        assert_eq!(check_der_sequence(&long), Ok(()));
        let mut two = vec![0x30, 0x82, 0x01, 0x00];
        two.extend([0; 0x100]);
        assert_eq!(check_der_sequence(&two), Ok(()));
        for bad in [
            &[][..],
            &[0x30],
            &[0x31, 0x00],
            &[0x30, 0x01],
            &[0x30, 0x00, 0x00],
            &[0x30, 0x80],
            &[0x30, 0x81, 0x01, 0x00],
            &[0x30, 0x82, 0x00, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x82, 0x01],
        ] {
            assert_eq!(check_der_sequence(bad), Err(RecordError::CertificateNotDer), "{bad:02x?}");
        }
    }
}
