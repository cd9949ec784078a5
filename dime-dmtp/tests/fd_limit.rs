//! The listener outlives the process running out of file descriptors. Its own test binary (so
//! its own process): it lowers RLIMIT_NOFILE, which would starve tests running beside it.
#![cfg(all(feature = "tokio", target_os = "linux"))]

use std::sync::Arc;
use std::time::Duration;

use dime_core::Fingerprint;
use dime_dmtp::driver::{NoSpool, ServerApp, ServerIdentity, acceptor, serve};
use dime_dmtp::object::{CheckedMessage, DestinationCheck};
use dime_dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig, TransferEnvelope, Verification,
};
use dime_dmtp::wire::{Address, Name};
use dime_signet::record::HostName;
use rcgen::{CertificateParams, KeyPair};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use rustls::pki_types::PrivateKeyDer;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

struct Nothing;

impl ServerApp for Nothing {
    async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    type Spool = NoSpool;
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<NoSpool, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
    async fn check(&self, _: &ReceivedMessage, _: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
}

/// The banner's first bytes, or what came before the server closed or 5 s passed.
async fn banner(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = [0u8; 4];
    match tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut got)).await {
        Ok(Ok(_)) => got.to_vec(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn the_listener_accepts_again_after_the_process_ran_out_of_descriptors() {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["dx.example.net".to_string()]).unwrap().self_signed(&key).unwrap();
    let identity =
        ServerIdentity::new(vec![cert.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into())).unwrap();
    let tls = acceptor(&identity).unwrap();
    let served = vec![ServedDomain { domain: HostName::new("example.net").unwrap(), fingerprints: vec![] }];
    let mode = ListenMode::Dual { smtp_handoff: false };
    let config = Arc::new(ServerConfig::new(HostName::new("dx.example.net").unwrap(), mode, served));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve(listener, tls, config, Arc::new(Nothing)));
    let mut before = TcpStream::connect(addr).await.unwrap();
    assert_eq!(banner(&mut before).await, b"220 ");

    // Leave the process a few descriptors, then take all of them but one.
    let saved = getrlimit(Resource::Nofile);
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    setrlimit(Resource::Nofile, Rlimit { current: Some(open + 8), maximum: saved.maximum }).unwrap();
    let mut fillers = Vec::new();
    let exhausted = loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => fillers.push(file),
            Err(error) => break error,
        }
    };
    assert_eq!(exhausted.raw_os_error(), Some(rustix::io::Errno::MFILE.raw_os_error()));
    fillers.pop();
    // The connect takes the last descriptor; the server's accept of it fails with EMFILE.
    let mut starved = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!server.is_finished(), "the listener ended at EMFILE");
    fillers.clear();
    let after = banner(&mut starved).await;
    setrlimit(Resource::Nofile, saved).unwrap();
    assert_eq!(after, b"220 ", "the listener did not accept once descriptors were free");
}
