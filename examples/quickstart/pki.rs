//! A throw-away certificate authority standing in for a public one: it certifies each
//! organisation's DX and DMAP hosts, and every reader trusts it.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;

use super::FlowError;

/// A throw-away certificate authority, standing in for a public one.
pub(super) struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    /// A fresh CA with a self-signed certificate.
    pub(super) fn new() -> Result<Ca, FlowError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "DIME quickstart CA");
        Ok(Ca { issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)? })
    }

    /// A certificate for `host` and its PKCS#8 key.
    pub(super) fn leaf(&self, host: &str) -> Result<(CertificateDer<'static>, Vec<u8>), FlowError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![host.to_string()])?;
        params.distinguished_name.push(DnType::CommonName, host);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.der().clone(), key.serialize_der()))
    }

    /// The CA certificate, DER, for a DMAP client to trust.
    pub(super) fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }
}
