//! The driver's `tracing` events over loopback TLS: a refused delivery is logged with its reply
//! code and reason, and each session's end with why.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::client::{ConnectMode, Delivery, Request};
use dime_dmtp::driver::{ClientTls, Connection, NoSpool, Roots, ServerApp, ServerIdentity, acceptor, serve};
use dime_dmtp::object::{CheckedMessage, DestinationCheck};
use dime_dmtp::resolve::PresentedCertificate;
use dime_dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig, TransferEnvelope, Verification,
};
use dime_dmtp::wire::{Address, Name};
use dime_signet::record::HostName;
use dime_testkit::Recorder;
use rustls::pki_types::PrivateKeyDer;
use tokio::net::TcpListener;

const DX: &str = "dx.example.net";

/// Answers nothing; never reached by these tests' deliveries.
struct Nothing;

impl ServerApp for Nothing {
    type Spool = NoSpool;
    async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<NoSpool, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
    async fn check(&self, _: &ReceivedMessage, _: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
}

/// A native DMTP server for example.net on loopback.
async fn start(config: ServerConfig) -> SocketAddr {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![DX.to_string()]).unwrap().self_signed(&key).unwrap();
    let identity =
        ServerIdentity::new(vec![cert.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into())).unwrap();
    let tls = acceptor(&identity).unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(serve(tcp, tls, Arc::new(config), Arc::new(Nothing)));
    addr
}

fn config() -> ServerConfig {
    let served = vec![ServedDomain { domain: HostName::new("example.net").unwrap(), fingerprints: vec![] }];
    ServerConfig::new(HostName::new(DX).unwrap(), ListenMode::Native, served)
}

async fn connect(addr: SocketAddr) -> Connection {
    let tls = ClientTls::new(&Roots::None).unwrap();
    let mut accept = |_: &PresentedCertificate<'_>| Ok::<(), DmtpError>(());
    Connection::connect(addr, &HostName::new(DX).unwrap(), ConnectMode::Native, &tls, &mut accept).await.unwrap()
}

#[tokio::test]
async fn a_refused_delivery_is_logged_with_its_code_and_reason() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let addr = start(config()).await;

    let mut connection = connect(addr).await;
    let object = bytes::Bytes::from_static(b"not even an object");
    let delivery = Delivery {
        origin: HostName::new("example.org").unwrap(),
        origin_fingerprint: Fingerprint::of(b"example.org"),
        destination: HostName::new("example.com").unwrap(),
        destination_fingerprint: Fingerprint::of(b"example.com"),
        object,
        return_type: None,
        data_type: None,
        hash: None,
    };
    let refused = connection.request(Request::Deliver(delivery)).await.unwrap_err();
    assert_eq!(refused.reply().map(|reply| reply.code().value()), Some(551), "{refused:?}");
    connection.quit().await.unwrap();

    let accepted = recorder.wait_for("DEBUG connection accepted").await;
    assert!(accepted.contains("peer=Some(127.0.0.1:"), "{accepted}");
    assert!(recorder.wait_for("DEBUG TLS established").await.contains("version=Some(TLSv1_3)"));
    assert!(recorder.wait_for("INFO EHLO").await.contains("domain=example.org"));
    let line = recorder.wait_for("INFO refused").await;
    assert!(line.contains("code=551"), "{line}");
    assert!(line.contains("reason=RELAY ACCESS DENIED - <example.com> IS NOT SERVED HERE"), "{line}");
    let ended = recorder.wait_for("INFO session ended").await;
    assert!(ended.contains("why=\"client quit\""), "{ended}");
    // Nothing logged carries the object's bytes.
    assert!(recorder.lines().iter().all(|line| !line.contains("not even an object")));
}

#[tokio::test]
async fn an_idle_session_ends_with_its_deadline_named() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let mut config = config();
    config.limits.idle_timeout = Duration::from_millis(200);
    let addr = start(config).await;

    let connection = connect(addr).await;
    let ended = recorder.wait_for("INFO session ended").await;
    assert!(ended.contains("why=\"timeout\"") && ended.contains("detail=idle"), "{ended}");
    let refused = recorder.wait_for("INFO refused").await;
    assert!(refused.contains("code=421") && refused.contains("reason=IDLE TIMEOUT - GOOD BYE"), "{refused}");
    drop(connection);
}

#[tokio::test]
async fn a_peer_that_leaves_without_quit_is_reported() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let addr = start(config()).await;
    drop(connect(addr).await);
    let ended = recorder.wait_for("INFO session ended").await;
    assert!(ended.contains("why=\"peer closed\""), "{ended}");
}
