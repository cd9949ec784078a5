//! The tokio driver's side of the fixtures: the [`Store`] as a [`ServerApp`] whose spool keeps
//! objects in memory, and a CA with a leaf certificate for a host.

use std::sync::Arc;

use dime_core::Fingerprint;
use dime_dmtp::driver::{Roots, ServerApp, Spool};
use dime_dmtp::object::{CheckedMessage, DestinationCheck, DestinationKeys};
use dime_dmtp::server::*;
use dime_dmtp::wire::{Address, Name};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Store, Stored};

impl ServerApp for Store {
    type Spool = MemorySpool;

    async fn signet(&self, name: &Name, fingerprint: Option<&Fingerprint>) -> Option<Vec<u8>> {
        Store::signet(self, name, fingerprint)
    }
    async fn history(&self, address: &Address, start: &Fingerprint, end: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Store::history(self, address, start, end)
    }
    async fn verify(&self, name: &Name, fingerprint: &Fingerprint) -> Verification {
        Store::verify(self, name, fingerprint)
    }
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<MemorySpool, Rejection> {
        Ok(MemorySpool { object: Vec::new(), received: self.received.clone() })
    }
    async fn check(&self, message: &ReceivedMessage, check: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        let (secret, origin) = self.keys.as_ref().ok_or(Rejection::InvalidObject)?;
        check.finish(message, &DestinationKeys { secret, kem: None, origin }).map_err(|_| Rejection::InvalidObject)
    }
}

/// Spools into memory; a commit stores the object with the store's messages.
pub struct MemorySpool {
    object: Vec<u8>,
    received: Arc<std::sync::Mutex<Vec<Stored>>>,
}

impl Spool for MemorySpool {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Rejection> {
        self.object.extend_from_slice(bytes);
        Ok(())
    }
    async fn commit(self, checked: CheckedMessage) -> Result<(), Rejection> {
        let stored = Stored { message: checked.message().clone(), object: self.object.into() };
        self.received.lock().unwrap().push(stored);
        Ok(())
    }
    async fn abort(self) {}
}

/// A CA and a leaf certificate for `host`.
pub fn pki(host: &str) -> (Roots, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![host.to_string()]).unwrap().signed_by(&leaf_key, &ca).unwrap();
    (
        Roots::Certificates(vec![ca.der().clone()]),
        vec![leaf.der().clone()],
        PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
}
