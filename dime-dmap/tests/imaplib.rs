//! A real IMAP client against the DMAP server over TLS on loopback: Python's standard
//! `imaplib` (tests/imaplib_client.py, STACIE written with hashlib/hmac) and this crate's own
//! async client do the same session, and both must fetch exactly the stored object bytes.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{PASSWORD, USER, config, object, store};
use dime_dmap::codec::{CommandBody, Data, Mailbox, StatusKind};
use dime_dmap::driver::{self, Client};
use dime_dmap::server::ServerSession;
use dime_dmap::{DmapError, SessionLimits};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

struct Identity {
    ca_pem: String,
    ca_der: Vec<u8>,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

/// A throw-away CA and a server certificate for localhost and 127.0.0.1.
fn make_identity() -> Identity {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "dime-dmap test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca).unwrap();
    Identity {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    }
}

/// Starts the driver on an ephemeral loopback port.
fn start_server(runtime: &tokio::runtime::Runtime, identity: &Identity) -> SocketAddr {
    let acceptor = driver::acceptor(
        &driver::ServerIdentity::new(
            vec![identity.cert_der.clone().into()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(identity.key_der.clone()).into(),
        )
        .unwrap(),
    )
    .unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = Arc::new(store());
    runtime.spawn(driver::listen(
        listener,
        acceptor,
        move || ServerSession::new(config(), shared.clone(), std::time::Instant::now()),
        driver::Hooks::default(),
    ));
    addr
}

/// Starts the driver in the clear (`listen_starttls`) on an ephemeral loopback port, offering
/// STARTTLS or not.
fn start_cleartext_server(runtime: &tokio::runtime::Runtime, identity: &Identity, starttls: bool) -> SocketAddr {
    let acceptor = driver::acceptor(
        &driver::ServerIdentity::new(
            vec![identity.cert_der.clone().into()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(identity.key_der.clone()).into(),
        )
        .unwrap(),
    )
    .unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = Arc::new(store());
    let make = move || {
        let mut cfg = config();
        cfg.tls = false;
        cfg.starttls = starttls;
        ServerSession::new(cfg, shared.clone(), std::time::Instant::now())
    };
    runtime.spawn(driver::listen_starttls(listener, acceptor, make, driver::Hooks::default()));
    addr
}

async fn rust_client(addr: SocketAddr, ca_der: Vec<u8>) -> Vec<u8> {
    let connector = driver::connector(&driver::Roots::Certificates(vec![ca_der.into()])).unwrap();
    let mut client = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
    assert!(client.session().has_capability("AUTH=STACIE"));
    let refused =
        client.run(CommandBody::Login { username: USER.into(), password: PASSWORD.as_bytes().to_vec().into() }).await;
    assert!(matches!(refused, Err(DmapError::Rejected { kind: StatusKind::No, .. })), "{refused:?}");
    client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();
    let listed = client.run(CommandBody::List { reference: String::new(), pattern: "*".into() }).await.unwrap();
    assert!(listed.data.iter().any(|d| matches!(d, Data::List { mailbox, .. } if *mailbox == Mailbox::inbox())));
    let selected = client.run(CommandBody::Select(Mailbox::inbox())).await.unwrap();
    assert!(selected.data.contains(&Data::Exists(3)));
    let bytes = client.fetch_object(1).await.unwrap();
    let bye = client.logout().await.unwrap();
    assert_eq!(bye.statuses[0].kind, StatusKind::Bye);
    bytes
}

#[test]
fn python_imaplib_and_the_rust_client_fetch_identical_bytes() {
    let identity = make_identity();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let addr = start_server(&runtime, &identity);

    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("dmap-imaplib-{}", addr.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let out = dir.join("fetched.bin");
    std::fs::write(&ca, &identity.ca_pem).unwrap();
    let _ = std::fs::remove_file(&out);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/imaplib_client.py");
    let result = Command::new("python3")
        .arg(script)
        .args(["--port", &addr.port().to_string()])
        .arg("--ca")
        .arg(&ca)
        .args(["--user", USER, "--password", PASSWORD])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "imaplib client failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("imaplib: logged in, 3 messages in INBOX, fetched 306 bytes, logged out"), "{stdout}");
    let python_bytes = std::fs::read(&out).unwrap();

    let rust_bytes = runtime.block_on(rust_client(addr, identity.ca_der.clone()));
    assert_eq!(python_bytes, rust_bytes, "both clients get identical bytes");
    assert_eq!(rust_bytes, object(0), "and they are the stored object");
}

#[test]
fn wrong_password_over_tls_is_refused() {
    let identity = make_identity();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = start_server(&runtime, &identity);
    runtime.block_on(async {
        let connector = driver::connector(&driver::Roots::Certificates(vec![identity.ca_der.clone().into()])).unwrap();
        let mut client = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
        let error = client.authenticate_stacie(USER, b"not the password, but long enough").await.unwrap_err();
        assert_eq!(
            error,
            DmapError::Rejected {
                kind: StatusKind::No,
                code: Some(dime_dmap::codec::Code::AuthenticationFailed),
                text: "Authentication failed".into()
            }
        );
        // An untrusted certificate is refused by the client.
        let other = driver::connector(&driver::Roots::Certificates(vec![make_identity().ca_der.into()])).unwrap();
        let refused = Client::connect_tls(addr, "localhost", &other, SessionLimits::default()).await;
        assert!(matches!(refused, Err(DmapError::Io(_))), "{refused:?}");
    });
}

#[test]
fn starttls_upgrades_and_drops_what_was_pipelined_in_the_clear() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let identity = make_identity();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = start_cleartext_server(&runtime, &identity, true);
    runtime.block_on(async {
        async fn read_until(stream: &mut (impl tokio::io::AsyncRead + Unpin), end: &str) -> String {
            let mut text = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&text).ends_with(end) {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&text));
                text.extend_from_slice(&buf[..n]);
            }
            String::from_utf8(text).unwrap()
        }
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let greeting = read_until(&mut tcp, "\r\n").await;
        assert!(greeting.contains("STARTTLS"), "{greeting}");
        // `b NOOP` rides in the same packet as STARTTLS: it must never be executed.
        tcp.write_all(b"a STARTTLS\r\nb NOOP\r\n").await.unwrap();
        assert_eq!(read_until(&mut tcp, "\r\n").await, "a OK Begin TLS negotiation now\r\n");
        let connector = driver::connector(&driver::Roots::Certificates(vec![identity.ca_der.clone().into()])).unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        tls.write_all(b"c CAPABILITY\r\n").await.unwrap();
        let answer = read_until(&mut tls, "c OK CAPABILITY completed\r\n").await;
        assert_eq!(
            answer,
            "* CAPABILITY IMAP4rev1 DMAPv1 AUTH=STACIE SASL-IR LOGINDISABLED LITERAL- BINARY IDLE UIDPLUS MOVE ID ENABLE\r\nc OK CAPABILITY completed\r\n",
            "no answer to b, and no STARTTLS any more"
        );
    });
}

#[test]
fn the_rust_client_upgrades_with_starttls() {
    let identity = make_identity();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = start_cleartext_server(&runtime, &identity, true);
    runtime.block_on(async {
        let connector = driver::connector(&driver::Roots::Certificates(vec![identity.ca_der.clone().into()])).unwrap();
        let mut client =
            Client::connect_starttls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
        // Capabilities were asked again over TLS.
        assert!(client.session().has_capability("AUTH=STACIE"));
        assert!(!client.session().has_capability("STARTTLS"));
        client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();
        client.run(CommandBody::Select(Mailbox::inbox())).await.unwrap();
        assert_eq!(client.fetch_object(1).await.unwrap(), object(0));
        client.logout().await.unwrap();

        // A certificate from another CA fails the handshake after STARTTLS.
        let other = driver::connector(&driver::Roots::Certificates(vec![make_identity().ca_der.into()])).unwrap();
        let refused = Client::connect_starttls(addr, "localhost", &other, SessionLimits::default()).await;
        assert!(matches!(refused, Err(DmapError::Io(_))), "{refused:?}");
    });

    // A server that does not offer STARTTLS refuses it, and the client says so.
    let plain = start_cleartext_server(&runtime, &identity, false);
    runtime.block_on(async {
        let connector = driver::connector(&driver::Roots::Certificates(vec![make_identity().ca_der.into()])).unwrap();
        let refused = Client::connect_starttls(plain, "localhost", &connector, SessionLimits::default()).await;
        assert_eq!(
            refused.map(|_| ()),
            Err(DmapError::Rejected { kind: StatusKind::Bad, code: None, text: "STARTTLS is not available".into() })
        );
    });
}

#[test]
fn the_driver_resolves_other_organisations_signets_through_its_hook() {
    use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
    let identity = make_identity();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let pok = SigningSecretKey::generate().unwrap();
    let remote = dime_signet::issue::new_org_signet(
        &pok,
        &EncryptionSecretKey::generate().unwrap().public().unwrap(),
        "example.net",
    )
    .unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let (answer, seen) = (remote.clone(), asked.clone());
    let hooks = driver::Hooks {
        changes: None,
        signets: Some(Arc::new(move |address: String| {
            seen.lock().unwrap().push(address.clone());
            let answer = (address == "example.net").then(|| answer.clone());
            Box::pin(async move {
                // The resolution may take its time; the session waits for it.
                tokio::task::yield_now().await;
                Ok(answer)
            })
        })),
    };
    let acceptor = driver::acceptor(
        &driver::ServerIdentity::new(
            vec![identity.cert_der.clone().into()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(identity.key_der.clone()).into(),
        )
        .unwrap(),
    )
    .unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let local = store();
    local.serve_domain("example.org");
    let shared = Arc::new(local);
    runtime.spawn(driver::listen(
        listener,
        acceptor,
        move || ServerSession::new(config(), shared.clone(), std::time::Instant::now()),
        hooks,
    ));
    runtime.block_on(async {
        let connector = driver::connector(&driver::Roots::Certificates(vec![identity.ca_der.clone().into()])).unwrap();
        let mut client = Client::connect_tls(addr, "localhost", &connector, SessionLimits::default()).await.unwrap();
        client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();
        let done = client.run(CommandBody::SignetLookup { address: "example.net".into() }).await.unwrap();
        assert_eq!(done.data, vec![Data::Signet { address: "example.net".into(), signet: remote.as_bytes().to_vec() }]);
        let missing = client.run(CommandBody::SignetLookup { address: "carol@example.net".into() }).await;
        assert_eq!(
            missing.map(|_| ()),
            Err(DmapError::Rejected {
                kind: StatusKind::No,
                code: Some(dime_dmap::codec::Code::Nonexistent),
                text: "No signet for that address".into()
            })
        );
        client.logout().await.unwrap();
    });
    assert_eq!(*asked.lock().unwrap(), ["example.net", "carol@example.net"]);
}

#[test]
fn a_cleartext_session_configured_as_tls_is_refused_before_the_greeting() {
    use tokio::io::AsyncReadExt;
    let identity = make_identity();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let acceptor = driver::acceptor(
        &driver::ServerIdentity::new(
            vec![identity.cert_der.clone().into()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(identity.key_der.clone()).into(),
        )
        .unwrap(),
    )
    .unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let served = runtime.spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        // `config()` says TLS is already up: served in the clear it would take logins.
        let session = ServerSession::new(config(), Arc::new(store()), std::time::Instant::now());
        driver::serve_starttls(tcp, &acceptor, session, &driver::Hooks::default()).await
    });
    runtime.block_on(async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut received = Vec::new();
        tcp.read_to_end(&mut received).await.unwrap();
        assert_eq!(received, b"", "not even a greeting");
        assert_eq!(served.await.unwrap(), Err(DmapError::Tls(driver::CLEARTEXT_SESSION_CLAIMS_TLS.into())));
    });
}
