//! DMTP into DMAP on loopback (`docs/architecture.md`, "From DMTP into DMAP"): example.net runs
//! a DX server whose spool is `dime::mailboxes` and a DMAP server on the same `RedbStore`; bob
//! idles on his INBOX while example.org delivers to him over DMTP with TLS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dime::core::Fingerprint;
use dime::core::stacie::{Credentials, Password, Username};
use dime::dmap::codec::{Mailbox, SequenceSet};
use dime::dmap::driver::{self as dmap_driver, Client, Hooks, IdleUpdate};
use dime::dmap::sasl::DecoySecret;
use dime::dmap::server::{ServerConfig as DmapConfig, ServerSession};
use dime::dmap::store::Store;
use dime::dmtp::DmtpError;
use dime::dmtp::client::{ConnectMode, Delivery, Outcome, Request};
use dime::dmtp::driver::{self as dmtp_driver, ClientTls, Connection, Roots, ServerApp, serve};
use dime::dmtp::object::{CheckedMessage, DestinationCheck, DestinationKeys};
use dime::dmtp::resolve::PresentedCertificate;
use dime::dmtp::send::Sender;
use dime::dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig, TransferEnvelope, Verification,
};
use dime::dmtp::wire::{Address, Name};
use dime::mailboxes::{MailboxSpool, Mailboxes};
use dime::message::{Addressing, Content};
use dime::net::tls::ServerIdentity;
use dime::signet::record::HostName;
use dime::signet::{Anchor, BoundSignet, KeyFile, KeyOwner, Signet, issue};
use dime::store::RedbStore;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const PASSWORD: &str = "correct horse battery staple";

/// example.net's DX server: checks objects from example.org and spools them into the mailboxes.
struct Dx {
    keys: KeyFile,
    origin: BoundSignet,
    mailboxes: Mailboxes<RedbStore>,
}

impl ServerApp for Dx {
    type Spool = MailboxSpool<RedbStore>;

    async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<Self::Spool, Rejection> {
        Ok(self.mailboxes.spool())
    }
    async fn check(&self, message: &ReceivedMessage, check: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        let keys = DestinationKeys { secret: &self.keys.encryption, kem: self.keys.kem.as_ref(), origin: &self.origin };
        check.finish(message, &keys).map_err(|_| Rejection::InvalidObject)
    }
}

/// A CA and a leaf for the two servers' names: (CA DER, identity).
fn pki() -> (Vec<u8>, ServerIdentity) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names = vec!["dx.example.net".to_string(), "mail.example.net".to_string()];
    let leaf = CertificateParams::new(names).unwrap().signed_by(&key, &ca).unwrap();
    let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
    (ca.der().to_vec(), ServerIdentity::new(vec![CertificateDer::from(leaf.der().to_vec())], key).unwrap())
}

/// A user of the organisation of `org`: keys and signet.
fn user(org: &KeyFile, org_signet: &Signet, address: &str) -> (KeyFile, Signet) {
    let keys = KeyFile::generate(KeyOwner::User).unwrap();
    let request = issue::new_request(&keys.signing, &keys.encryption_public().unwrap(), None).unwrap();
    let signet = issue::issue_user_signet(&request, None, org_signet, &org.signing, address, &[]).unwrap();
    (keys, signet)
}

/// Both organisations, example.net's two servers running, bob's account in its store.
struct World {
    sender: Sender,
    destination: BoundSignet,
    /// bob@example.net (who has an account) and carol@example.net (who has none).
    bob: BoundSignet,
    carol: BoundSignet,
    store: RedbStore,
    dx: SocketAddr,
    dmap: SocketAddr,
    ca: Vec<u8>,
    _folder: tempfile::TempDir,
}

async fn world() -> World {
    let origin_keys = KeyFile::generate(KeyOwner::Org).unwrap();
    let origin =
        issue::new_org_signet(&origin_keys.signing, &origin_keys.encryption_public().unwrap(), "example.org").unwrap();
    let (alice_keys, alice) = user(&origin_keys, &origin, "alice@example.org");
    let net_keys = KeyFile::generate(KeyOwner::Org).unwrap();
    let net = issue::new_org_signet(&net_keys.signing, &net_keys.encryption_public().unwrap(), "example.net").unwrap();
    let (_, bob) = user(&net_keys, &net, "bob@example.net");
    let (_, carol) = user(&net_keys, &net, "carol@example.net");
    let pok = [net_keys.signing_public()];
    let destination = net.bind(&Anchor::trusted("example.net", &pok)).unwrap();
    let bob = destination.bind_address(&bob, "bob@example.net", None).unwrap();
    let carol = destination.bind_address(&carol, "carol@example.net", None).unwrap();

    let folder = tempfile::tempdir().unwrap();
    let store = RedbStore::open(folder.path().join("mail.redb")).unwrap();
    let (credentials, _) = Credentials::create(
        &Username::new(b"bob@example.net").unwrap(),
        &Password::new(PASSWORD.as_bytes()).unwrap(),
        0,
    )
    .unwrap();
    store.add_account("bob@example.net", &credentials).unwrap();
    let mailboxes = Mailboxes::new(store.clone());
    let (ca, identity) = pki();

    let dmap_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dmap = dmap_listener.local_addr().unwrap();
    let acceptor = dmap_driver::acceptor(&identity).unwrap();
    let hooks = Hooks { changes: Some(mailboxes.changes()), ..Hooks::default() };
    let (sessions, decoy) = (store.clone(), DecoySecret::generate().unwrap());
    let make =
        move || ServerSession::new(DmapConfig::new("example.net", decoy.clone()), sessions.clone(), Instant::now());
    tokio::spawn(dmap_driver::listen(dmap_listener, acceptor, make, hooks));

    let dx_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dx = dx_listener.local_addr().unwrap();
    let served = vec![ServedDomain { domain: HostName::new("example.net").unwrap(), fingerprints: vec![] }];
    let config = ServerConfig::new(HostName::new("dx.example.net").unwrap(), ListenMode::Native, served);
    let origin_pok = [origin_keys.signing_public()];
    let bound_origin = origin.bind(&Anchor::trusted("example.org", &origin_pok)).unwrap();
    let app = Dx { keys: net_keys, origin: bound_origin, mailboxes };
    tokio::spawn(serve(dx_listener, dmtp_driver::acceptor(&identity).unwrap(), Arc::new(config), Arc::new(app)));

    let sender = Sender::new(origin_keys, &origin, alice_keys, &alice).unwrap();
    World { sender, destination, bob, carol, store, dx, dmap, ca, _folder: folder }
}

impl World {
    /// alice's message to `recipient`, composed and countersigned.
    fn delivery(&self, recipient: &BoundSignet) -> Delivery {
        let content = |to: &Addressing<'_>| Content::text(to, SystemTime::now(), "Hello", "Hi, from alice");
        self.sender.delivery(&self.destination, recipient, content).unwrap()
    }

    /// Delivers over DMTP with TLS, as example.org's DX client.
    async fn deliver(&self, delivery: Delivery) -> Result<Outcome, DmtpError> {
        let tls = ClientTls::new(&Roots::None).unwrap();
        let host = HostName::new("dx.example.net").unwrap();
        // The test pins nothing: the certificate check is the DMTP tests' subject.
        let mut accept = |_: &PresentedCertificate<'_>| Ok(());
        let mut connection = Connection::connect(self.dx, &host, ConnectMode::Native, &tls, &mut accept).await?;
        let outcome = connection.request(Request::Deliver(delivery)).await;
        connection.quit().await?;
        outcome
    }

    /// bob, logged in over DMAP with TLS, INBOX selected.
    async fn bob(&self) -> Client<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> {
        let tls = dmap_driver::connector(&Roots::Certificates(vec![self.ca.clone().into()])).unwrap();
        let mut client = Client::connect_tls(self.dmap, "mail.example.net", &tls, Default::default()).await.unwrap();
        client.authenticate_stacie("bob@example.net", PASSWORD.as_bytes()).await.unwrap();
        client
    }

    async fn inbox_len(&self) -> usize {
        self.store.mailbox("bob@example.net", &Mailbox::inbox()).await.unwrap().messages.len()
    }
}

/// The object example.net accepts lands in bob's INBOX, byte for byte, and his IDLE is told
/// `* 1 EXISTS` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_object_reaches_an_idle_session_as_exists() {
    let world = world().await;
    let mut bob = world.bob().await;
    assert_eq!(bob.select(&Mailbox::inbox()).await.unwrap().exists, 0);
    let mut idle = bob.idle().await.unwrap();

    let delivery = world.delivery(&world.bob);
    let object = delivery.object.clone();
    let outcome = world.deliver(delivery).await.unwrap();
    assert!(matches!(outcome, Outcome::Delivered(_)), "{outcome:?}");

    assert_eq!(idle.wait(Duration::from_secs(10)).await.unwrap(), Some(IdleUpdate::Exists(1)));
    idle.done().await.unwrap();
    let fetched = bob.fetch(&SequenceSet::single(1).unwrap()).await.unwrap();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].object, object.to_vec());
    bob.logout().await.unwrap();
}

/// An object for a user the store has no account for is refused with `554 INVALID RECIPIENT`:
/// nothing is stored and no session is woken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_for_an_unknown_recipient_is_refused_and_wakes_nobody() {
    let world = world().await;
    let mut bob = world.bob().await;
    bob.select(&Mailbox::inbox()).await.unwrap();
    let mut idle = bob.idle().await.unwrap();

    let error = world.deliver(world.delivery(&world.carol)).await.unwrap_err();
    let DmtpError::Rejected { reply, .. } = &error else { panic!("{error:?}") };
    assert_eq!(reply.to_string(), "554 INVALID RECIPIENT - NO SUCH USER");
    assert!(!error.is_transient());

    assert_eq!(idle.wait(Duration::from_millis(300)).await.unwrap(), None);
    assert_eq!(idle.done().await.unwrap(), vec![]);
    assert_eq!(world.inbox_len().await, 0);
}
