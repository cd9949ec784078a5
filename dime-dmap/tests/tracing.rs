//! The driver's `tracing` events over loopback TLS: a session that never logs in is ended by
//! its deadline and logged with the deadline's name; a login, a refused command and a LOGOUT
//! are logged with the user and the refusal's text, never the password.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{PASSWORD, USER, config, store};
use dime_dmap::codec::{CommandBody, Mailbox};
use dime_dmap::driver::{self, Client, TlsAcceptor, TlsConnector};
use dime_dmap::server::ServerSession;
use dime_dmap::{DmapError, SessionLimits};
use dime_testkit::Recorder;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::net::TcpListener;

/// A server acceptor for localhost and a connector that trusts it.
fn tls() -> (TlsAcceptor, TlsConnector) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    let acceptor = driver::acceptor(
        &driver::ServerIdentity::new(
            vec![cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .unwrap(),
    )
    .unwrap();
    (acceptor, driver::connector(&driver::Roots::Certificates(vec![ca.der().to_vec().into()])).unwrap())
}

/// Serves implicit TLS on loopback with sessions whose login deadline is `login_timeout`.
async fn start(acceptor: TlsAcceptor, login_timeout: Duration) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let shared = Arc::new(store());
    let make = move || {
        let mut cfg = config();
        cfg.limits.login_timeout = login_timeout;
        ServerSession::new(cfg, shared.clone(), std::time::Instant::now())
    };
    tokio::spawn(driver::listen(tcp, acceptor, make, driver::Hooks::default()));
    addr
}

#[tokio::test]
async fn a_session_that_never_logs_in_ends_at_its_login_deadline() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let (acceptor, connector) = tls();
    let addr = start(acceptor, Duration::from_millis(200)).await;

    let client = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
    let ended = recorder.wait_for("INFO session ended").await;
    assert!(ended.contains("why=\"timeout\"") && ended.contains("detail=login"), "{ended}");
    assert!(ended.contains("user=None"), "{ended}");
    assert!(recorder.lines().iter().any(|l| l.starts_with("DEBUG connection accepted") && l.contains("127.0.0.1")));
    drop(client);
}

#[tokio::test]
async fn a_login_a_refusal_and_a_logout_are_logged_without_the_password() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let (acceptor, connector) = tls();
    let addr = start(acceptor, Duration::from_secs(60)).await;

    let mut client = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
    client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();
    let refused = client.run(CommandBody::Select(Mailbox::new("Nowhere"))).await.unwrap_err();
    assert!(matches!(refused, DmapError::Rejected { .. }), "{refused:?}");
    client.logout().await.unwrap();

    let login = recorder.wait_for("INFO logged in").await;
    assert!(login.contains(&format!("user={USER:?}")), "{login}");
    let line = recorder.wait_for("INFO refused").await;
    assert!(line.contains("command=\"SELECT\"") && line.contains("status=\"NO\""), "{line}");
    assert!(line.contains("reason=[NONEXISTENT]"), "{line}");
    let ended = recorder.wait_for("INFO session ended").await;
    assert!(ended.contains("why=\"client quit\"") && ended.contains(USER), "{ended}");
    assert!(recorder.lines().iter().all(|line| !line.contains(PASSWORD)));
}

#[tokio::test]
async fn a_peer_that_leaves_without_logout_is_reported() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let (acceptor, connector) = tls();
    let addr = start(acceptor, Duration::from_secs(60)).await;
    drop(Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap());
    let ended = recorder.wait_for("INFO session ended").await;
    assert!(ended.contains("why=\"peer closed\""), "{ended}");
}
