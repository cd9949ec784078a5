//! Two organisations on loopback: example.org's origin delivers a message object to example.net's
//! DX server over DMTP (TLS, certificate pinned by the management record), after looking up the
//! recipient's user signet with SGNT and validating it down to the record's POK.
//!
//! Run with `cargo run --example dmtp_relay`.

use std::error::Error;
use std::sync::{Arc, Mutex};

use dime::core::Fingerprint;
use dime::core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime::dmtp::client::{ConnectMode, Delivery, Outcome, Request};
use dime::dmtp::driver::{ClientTls, Connection, Roots, ServerApp, ServerIdentity, Spool, acceptor, serve};
use dime::dmtp::object::{CheckedMessage, DestinationCheck, DestinationKeys};
use dime::dmtp::resolve::{PresentedCertificate, check_certificate, validate_org, validate_user};
use dime::dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig, TransferEnvelope, Verification,
};
use dime::dmtp::wire::{Address, Name};
use dime::message::{
    Addressing, CommonHeaders, ComposeOptions, Content, Envelope, MessageLimits, OsRandom, Part, compose,
};
use dime::signet::record::{DnssecStatus, HostName};
use dime::signet::{Anchor, BoundSignet, FingerprintKind, ManagementRecord, Signet, issue};
use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::PrivateKeyDer;

struct Org {
    pok: SigningSecretKey,
    enc: EncryptionSecretKey,
    signet: Signet,
}

fn org(domain: &str) -> Result<Org, Box<dyn Error>> {
    let pok = SigningSecretKey::generate()?;
    let enc = EncryptionSecretKey::generate()?;
    let signet = issue::new_org_signet(&pok, &enc.public()?, domain)?;
    Ok(Org { pok, enc, signet })
}

fn user(org: &Org, address: &str) -> Result<(SigningSecretKey, EncryptionSecretKey, Signet), Box<dyn Error>> {
    let key = SigningSecretKey::generate()?;
    let enc = EncryptionSecretKey::generate()?;
    let request = issue::new_request(&key, &enc.public()?, None)?;
    let signet = issue::issue_user_signet(&request, None, &org.signet, &org.pok, address, &[])?;
    Ok((key, enc, signet))
}

/// The objects a destination accepted, with their bytes.
type Inbox = Arc<Mutex<Vec<(CheckedMessage, Vec<u8>)>>>;

/// example.net's DX server: its signets, and the objects it accepted.
struct Destination {
    org_signet: Signet,
    bob: Signet,
    secret: EncryptionSecretKey,
    origin_signet: BoundSignet,
    inbox: Inbox,
}

/// An object on its way in, in memory; it joins the inbox only once its check passed.
struct InboxSpool {
    inbox: Inbox,
    object: Vec<u8>,
}

impl Spool for InboxSpool {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Rejection> {
        self.object.extend_from_slice(bytes);
        Ok(())
    }
    async fn commit(self, checked: CheckedMessage) -> Result<(), Rejection> {
        self.inbox.lock().map_err(|_| Rejection::TemporaryFailure)?.push((checked, self.object));
        Ok(())
    }
    async fn abort(self) {}
}

impl ServerApp for Destination {
    async fn signet(&self, name: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        println!("  server: SGNT <{name}>");
        match name {
            Name::Org(d) if d.as_str() == "example.net" => Some(self.org_signet.as_bytes().to_vec()),
            Name::User(a) if a.to_string() == "bob@example.net" => Some(self.bob.as_bytes().to_vec()),
            _ => None,
        }
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    type Spool = InboxSpool;
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<InboxSpool, Rejection> {
        Ok(InboxSpool { inbox: self.inbox.clone(), object: Vec::new() })
    }
    async fn check(&self, message: &ReceivedMessage, check: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        let keys = DestinationKeys { secret: &self.secret, kem: None, origin: &self.origin_signet };
        match check.finish(message, &keys) {
            Ok(checked) => {
                println!(
                    "  server: object of {} bytes opens as the destination, for {}",
                    message.size,
                    checked.view().envelope.recipient
                );
                Ok(checked)
            }
            Err(e) => {
                println!("  server: object refused: {e}");
                Err(Rejection::InvalidObject)
            }
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("1. two organisations, a user in each");
    let origin = org("example.org")?;
    let destination = org("example.net")?;
    let (alice_key, _, alice) = user(&origin, "alice@example.org")?;
    let (_, _, bob) = user(&destination, "bob@example.net")?;

    println!("2. example.net's DX certificate, pinned by a tls= signature in its _dx record");
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["dx.example.net".to_string()])?.self_signed(&key)?;
    let record =
        ManagementRecord::builder(destination.pok.public()).sign_certificate(&destination.pok, cert.der()).build()?;
    println!("   _dx.example.net TXT \"{record}\"");

    println!("3. example.net's DX server listens on loopback (native DMTP, TLS from the first byte)");
    let tls =
        acceptor(&ServerIdentity::new(vec![cert.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into()))?)?;
    let served = vec![ServedDomain { domain: HostName::new("example.net")?, fingerprints: vec![] }];
    let config = Arc::new(ServerConfig::new(HostName::new("dx.example.net")?, ListenMode::Native, served));
    let app = Arc::new(Destination {
        org_signet: destination.signet.clone(),
        bob: bob.clone(),
        secret: destination.enc.clone(),
        origin_signet: origin.signet.bind(&Anchor::trusted("example.org", &[origin.pok.public()]))?,
        inbox: Arc::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, tls, config, app.clone()));
    println!("   listening on {addr}");

    println!("4. example.org connects; the certificate is judged by the record (the test record is DNSSEC-secure)");
    let dx = HostName::new("dx.example.net")?;
    let mut decide = |c: &PresentedCertificate<'_>| {
        let trust = check_certificate(&record, DnssecStatus::Secure, c)?;
        println!("   certificate accepted: {trust:?}");
        Ok(())
    };
    let client_tls = ClientTls::new(&Roots::None)?;
    let mut connection = Connection::connect(addr, &dx, ConnectMode::Native, &client_tls, &mut decide).await?;

    println!("5. SGNT <example.net>, validated against the record's POK");
    let Outcome::Signet(bytes) =
        connection.request(Request::Signet { name: "example.net".parse()?, fingerprint: None }).await?
    else {
        return Err("no org signet".into());
    };
    let org_signet = validate_org(&bytes, &HostName::new("example.net")?, &record)?;
    println!("   org signet {}", org_signet.fingerprint(FingerprintKind::Full).ok_or("fingerprint")?);

    println!("6. SGNT <bob@example.net>, validated against the org signet");
    let Outcome::Signet(bytes) =
        connection.request(Request::Signet { name: "bob@example.net".parse()?, fingerprint: None }).await?
    else {
        return Err("no user signet".into());
    };
    let bob_signet = validate_user(&bytes, &"bob@example.net".parse()?, &org_signet, None)?;
    println!("   user signet {}", bob_signet.fingerprint(FingerprintKind::Full).ok_or("fingerprint")?);

    println!("7. alice writes to bob; example.org countersigns the object as the origin");
    let content = Content {
        headers: CommonHeaders {
            date: "Tue, 1 Apr 2025 10:00:00 +0000".into(),
            to: "bob@example.net".into(),
            from: "alice@example.org".into(),
            subject: "DMTP relay".into(),
            ..CommonHeaders::default()
        },
        display: vec![Part::new("text/plain; charset=utf-8", None, b"Hello over DMTP".to_vec())?],
        ..Content::default()
    };
    let to = Addressing { author: &alice, origin: &origin.signet, destination: &org_signet, recipient: &bob_signet };
    let object = compose(&alice_key, &to, &content, &ComposeOptions::default(), &mut OsRandom)?;
    let relayed =
        Envelope::origin(&object, &MessageLimits::default(), &origin.enc)?.open(&alice)?.countersign(&origin.pok)?;
    println!("   object of {} bytes", relayed.len());

    println!("8. EHLO, MAIL FROM, RCPT TO, DATA [hash], the object, 250 OK [txid]");
    let fingerprint = |s: &Signet| s.fingerprint(FingerprintKind::Full).ok_or("fingerprint");
    let delivery = Delivery {
        origin: HostName::new("example.org")?,
        origin_fingerprint: fingerprint(&origin.signet)?,
        destination: HostName::new("example.net")?,
        destination_fingerprint: fingerprint(&org_signet)?,
        object: relayed.into(),
        return_type: None,
        data_type: None,
        hash: None,
    };
    let outcome = connection.request(Request::Deliver(delivery)).await?;
    println!("   {outcome:?}");
    connection.quit().await?;
    println!("9. QUIT; example.net holds {} message(s)", app.inbox.lock().map_err(|_| "lock")?.len());
    Ok(())
}
