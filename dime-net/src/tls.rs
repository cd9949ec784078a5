//! TLS setup both drivers share: the DIME cipher-suite profile (D5), a server's certificate
//! chain and key from PEM, and the roots a client trusts.
//!
//! Everything here happens once at start-up; the errors name the file and the setting to change,
//! because the person reading them is configuring a server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The rustls provider of both protocols (D5, `docs/protocols.md` §5): ring, with TLS 1.3's
/// AES-256-GCM and ChaCha20-Poly1305 suites and TLS 1.2's ECDHE suites with the same ciphers.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::cipher_suite as cs;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    Arc::new(provider)
}

/// Why a certificate, key or root store could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A file could not be read.
    #[error("cannot read the {what} file {}: {source} (check the {what} path setting)", path.display())]
    Read {
        /// Which setting's file: "certificate chain", "private key" or "trust roots".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A PEM block could not be decoded.
    #[error("the {what} file {} is not valid PEM: {source}", path.display())]
    Pem {
        /// Which setting's file.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What was wrong.
        source: pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error(
        "the certificate chain file {} holds no `BEGIN CERTIFICATE` block (it must hold the server's certificate, then its intermediates)",
        path.display()
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key.
    #[error(
        "the private key file {} holds no PKCS#8, PKCS#1 or SEC1 private key (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`)",
        path.display()
    )]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The roots file holds no certificate rustls can use as a trust anchor.
    #[error("the trust roots file {} holds no usable CA certificate", path.display())]
    NoRoots {
        /// The file.
        path: PathBuf,
    },
    /// The platform's certificate store could not be loaded or was empty.
    #[error(
        "the platform's trust roots could not be loaded: {0} (install the system CA bundle or use webpki or a PEM roots file)"
    )]
    Platform(String),
    /// rustls refused the configuration, most often a key that does not match the leaf
    /// certificate or a key type it does not support.
    #[error("rustls refused the certificate and key: {0} (does the key belong to the first certificate in the chain?)")]
    Rejected(#[source] rustls::Error),
}

/// A server's TLS identity: its certificate chain, leaf first, and the leaf's private key.
#[derive(Debug)]
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for ServerIdentity {
    fn clone(&self) -> ServerIdentity {
        ServerIdentity { chain: self.chain.clone(), key: self.key.clone_key() }
    }
}

impl ServerIdentity {
    /// An identity from DER values already in memory.
    ///
    /// Errors: [`TlsSetupError::Rejected`] when rustls refuses the pair (an empty chain, a key
    /// that does not match the leaf, an unsupported key type).
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ServerIdentity, TlsSetupError> {
        let identity = ServerIdentity { chain, key };
        identity.server_config()?;
        Ok(identity)
    }

    /// An identity from two PEM files: the chain (leaf first) and the leaf's key (PKCS#8,
    /// PKCS#1 or SEC1), the files most ACME clients write (`fullchain.pem`, `privkey.pem`).
    ///
    /// Errors: each names the file and what it lacked; [`TlsSetupError::Rejected`] when the two
    /// do not belong together.
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<ServerIdentity, TlsSetupError> {
        let (chain_path, key_path) = (chain.as_ref(), key.as_ref());
        let chain_pem = read("certificate chain", chain_path)?;
        let key_pem = read("private key", key_path)?;
        ServerIdentity::parse(&chain_pem, chain_path, &key_pem, key_path)
    }

    /// An identity from PEM text in memory (the paths in errors are `<memory>`).
    pub fn from_pem(chain: &[u8], key: &[u8]) -> Result<ServerIdentity, TlsSetupError> {
        let memory = Path::new("<memory>");
        ServerIdentity::parse(chain, memory, key, memory)
    }

    fn parse(
        chain_pem: &[u8],
        chain_path: &Path,
        key_pem: &[u8],
        key_path: &Path,
    ) -> Result<ServerIdentity, TlsSetupError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TlsSetupError::Pem { what: "certificate chain", path: chain_path.into(), source })?;
        if chain.is_empty() {
            return Err(TlsSetupError::NoCertificate { path: chain_path.into() });
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|source| match source {
            pem::Error::NoItemsFound => TlsSetupError::NoKey { path: key_path.into() },
            source => TlsSetupError::Pem { what: "private key", path: key_path.into(), source },
        })?;
        ServerIdentity::new(chain, key)
    }

    /// The chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// A rustls server configuration with [`provider`], TLS 1.3 and 1.2, no client
    /// authentication: what both drivers serve with.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(TlsSetupError::Rejected)?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(TlsSetupError::Rejected)?;
        Ok(Arc::new(config))
    }
}

/// Where a client's trust roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Roots {
    /// No roots: every chain is untrusted (DMTP then relies on DNSSEC-secured `tls=` pins only).
    None,
    /// Mozilla's roots compiled in (feature `webpki-roots`).
    #[cfg(feature = "webpki-roots")]
    Webpki,
    /// The operating system's store (feature `native-roots`).
    #[cfg(feature = "native-roots")]
    Platform,
    /// The CA certificates in a PEM file.
    PemFile(PathBuf),
    /// CA certificates already in memory (DER), e.g. a test's own CA.
    Certificates(Vec<CertificateDer<'static>>),
}

impl Roots {
    /// Loads the roots.
    ///
    /// Errors: [`TlsSetupError::Read`], [`TlsSetupError::Pem`] or [`TlsSetupError::NoRoots`]
    /// for a PEM file ([`TlsSetupError::NoRoots`] also for certificates in memory of which none
    /// is a usable CA); [`TlsSetupError::Platform`] when the system store is missing or empty.
    pub fn load(&self) -> Result<RootCertStore, TlsSetupError> {
        match self {
            Roots::None => Ok(RootCertStore::empty()),
            #[cfg(feature = "webpki-roots")]
            Roots::Webpki => Ok(RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())),
            #[cfg(feature = "native-roots")]
            Roots::Platform => {
                let loaded = rustls_native_certs::load_native_certs();
                let mut roots = RootCertStore::empty();
                let (_, _) = roots.add_parsable_certificates(loaded.certs);
                if roots.is_empty() {
                    let why = loaded.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                    return Err(TlsSetupError::Platform(if why.is_empty() {
                        "no certificates found".into()
                    } else {
                        why
                    }));
                }
                Ok(roots)
            }
            Roots::PemFile(path) => roots_from_pem(&read("trust roots", path)?, path),
            Roots::Certificates(certs) => {
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(certs.iter().cloned());
                if roots.is_empty() {
                    return Err(TlsSetupError::NoRoots { path: "<memory>".into() });
                }
                Ok(roots)
            }
        }
    }
}

fn roots_from_pem(bytes: &[u8], path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsSetupError::Pem { what: "trust roots", path: path.into(), source })?;
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certs);
    if roots.is_empty() {
        return Err(TlsSetupError::NoRoots { path: path.into() });
    }
    Ok(roots)
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path).map_err(|source| TlsSetupError::Read { what, path: path.into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_pem() -> (String, String, rcgen::Certificate) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["dx.example.net".into()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem(), cert)
    }

    #[test]
    fn a_chain_and_key_from_pem_make_a_server_config() {
        let (chain, key, _) = identity_pem();
        let identity = ServerIdentity::from_pem(chain.as_bytes(), key.as_bytes()).unwrap();
        assert_eq!(identity.chain().len(), 1);
        identity.server_config().unwrap();
    }

    #[test]
    fn a_key_of_another_certificate_is_rejected_with_advice() {
        let (chain, _, _) = identity_pem();
        let (_, other_key, _) = identity_pem();
        let error = ServerIdentity::from_pem(chain.as_bytes(), other_key.as_bytes()).unwrap_err();
        assert!(matches!(error, TlsSetupError::Rejected(_)), "{error:?}");
        assert!(error.to_string().contains("does the key belong to the first certificate"), "{error}");
    }

    #[test]
    fn swapped_files_name_what_is_missing() {
        let (chain, key, _) = identity_pem();
        let error = ServerIdentity::from_pem(key.as_bytes(), chain.as_bytes()).unwrap_err();
        assert!(matches!(error, TlsSetupError::NoCertificate { .. }), "{error:?}");
        let error = ServerIdentity::from_pem(chain.as_bytes(), chain.as_bytes()).unwrap_err();
        assert!(matches!(error, TlsSetupError::NoKey { .. }), "{error:?}");
        assert!(error.to_string().starts_with("the private key file <memory> holds no"), "{error}");
    }

    #[test]
    fn a_missing_file_names_the_setting() {
        let error =
            ServerIdentity::from_pem_files("/nonexistent/fullchain.pem", "/nonexistent/privkey.pem").unwrap_err();
        assert!(matches!(&error, TlsSetupError::Read { what: "certificate chain", .. }), "{error:?}");
        assert!(error.to_string().contains("check the certificate chain path setting"), "{error}");
    }

    #[test]
    fn roots_from_a_pem_file() {
        let (chain, _, _) = identity_pem();
        let dir = std::env::temp_dir().join(format!("dime-net-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ca.pem");
        std::fs::write(&file, &chain).unwrap();
        assert_eq!(Roots::PemFile(file.clone()).load().unwrap().len(), 1);
        std::fs::write(&file, "not pem at all").unwrap();
        let error = Roots::PemFile(file.clone()).load().unwrap_err();
        assert!(matches!(error, TlsSetupError::NoRoots { .. }), "{error:?}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(Roots::None.load().unwrap().is_empty());
        let (_, _, cert) = identity_pem();
        assert_eq!(Roots::Certificates(vec![cert.der().clone()]).load().unwrap().len(), 1);
        let error = Roots::Certificates(vec![CertificateDer::from(vec![1, 2, 3])]).load().unwrap_err();
        assert!(matches!(error, TlsSetupError::NoRoots { .. }), "{error:?}");
    }

    #[cfg(feature = "webpki-roots")]
    #[test]
    fn webpki_roots_are_compiled_in() {
        assert!(Roots::Webpki.load().unwrap().len() > 100);
    }
}
