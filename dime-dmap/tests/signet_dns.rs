//! `Client::signet` anchored by the domain's `_dx` record from real DNS packets (an in-process
//! hickory authority on loopback) against a real server session.

mod common;

use std::net::SocketAddr;

use common::{PASSWORD, USER, config, store};
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_dmap::driver::{Client, SignetTrust};
use dime_dmap::server::ServerSession;
use dime_dmap::{DmapError, Interrupt, SessionLimits};
use dime_signet::dns::{DnsClient, DnsError, Dnssec};
use dime_signet::record::RecordPolicy;
use dime_signet::{AnchorSource, SignetError, issue};
use dime_testkit::dns as authority;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Serves the unsigned zone example.org with `_dx.example.org TXT record` on loopback.
async fn serve_dns(record: &str) -> SocketAddr {
    authority::start(vec![("example.org", vec![authority::txt("_dx.example.org", record)])], None).await
}

async fn serve(mut stream: DuplexStream, mut session: ServerSession<dime_dmap::store::MemoryStore>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Err(Interrupt::Store) => session.run_store().await,
            Err(Interrupt::NeedMoreInput) => match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => session.enqueue_input(std::time::Instant::now(), &buffer[..n]),
            },
            Err(_) => return,
        }
    }
}

#[tokio::test]
async fn signet_is_anchored_by_the_domains_dns_record() {
    let pok = SigningSecretKey::from_seed(&[1; 32]);
    let encryption = |n: u8| EncryptionSecretKey::x25519_from_bytes([n; 32]).public().unwrap();
    let org = issue::new_org_signet(&pok, &encryption(2), "example.org").unwrap();
    let request = issue::new_request(&SigningSecretKey::from_seed(&[3; 32]), &encryption(4), None).unwrap();
    let alice = issue::issue_user_signet(&request, None, &org, &pok, USER, &[]).unwrap();

    let store = store();
    store.publish_signet("example.org", org.clone());
    store.publish_signet(USER, alice.clone());
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    tokio::spawn(serve(server_end, ServerSession::new(config(), store, std::time::Instant::now())));
    let mut client = Client::new(client_end, SessionLimits::default()).await.unwrap();
    client.allow_insecure_auth();
    client.authenticate_stacie(USER, PASSWORD.as_bytes()).await.unwrap();

    let record = format!("ver=1 pok={}", dime_core::base64::encode_unpadded(pok.public().as_bytes()));
    let dns = DnsClient::new(&[serve_dns(&record).await], Dnssec::Off).unwrap();
    let trust = SignetTrust::Dns { client: &dns, policy: &RecordPolicy::PERMISSIVE };
    let bound = client.signet(USER, trust).await.unwrap();
    assert_eq!((bound.identifier(), bound.signet(), bound.anchor_source()), (USER, &alice, AnchorSource::Record));

    // The default policy wants a DNSSEC-secure record: this zone is unsigned.
    let strict = SignetTrust::Dns { client: &dns, policy: &RecordPolicy::default() };
    assert_eq!(
        client.signet(USER, strict).await,
        Err(DmapError::Dns(DnsError::Record(dime_signet::RecordError::DnssecInsecure)))
    );

    // A record naming another POK binds nothing.
    let other = SigningSecretKey::from_seed(&[9; 32]).public();
    let record = format!("ver=1 pok={}", dime_core::base64::encode_unpadded(other.as_bytes()));
    let elsewhere = DnsClient::new(&[serve_dns(&record).await], Dnssec::Off).unwrap();
    let trust = SignetTrust::Dns { client: &elsewhere, policy: &RecordPolicy::PERMISSIVE };
    let error = client.signet(USER, trust).await.unwrap_err();
    assert!(matches!(error, DmapError::Dns(DnsError::Signet(SignetError::NotBound { .. }))), "{error:?}");
}
