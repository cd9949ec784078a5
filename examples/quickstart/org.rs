//! An organisation's servers: a DX server (DMTP) that serves its signets and accepts objects for
//! its users, a DMAP server for its users, and the relay queue between them. Each step uses the
//! library's own way of doing it: `Resolver::relay` (with `Origin`) relays a submission, and
//! `dime::mailboxes::Mailboxes` stores what the DX server accepted in the DMAP mailboxes.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use dime::core::Fingerprint;
use dime::core::stacie::{Credentials, Password, Username};
use dime::dmap::DmapError;
use dime::dmap::codec::Mailbox;
use dime::dmap::driver as dmap_driver;
use dime::dmap::sasl::DecoySecret;
use dime::dmap::server::{ServerConfig as DmapConfig, ServerSession, SubmitHook};
use dime::dmap::store::{Issuer, SignetAnswer, Store};
use dime::dmtp::DmtpError;
use dime::dmtp::dns::Resolver;
use dime::dmtp::driver::{ClientTls, Roots, ServerApp, ServerIdentity, acceptor, serve};
use dime::dmtp::object::{CheckedMessage, DestinationCheck, DestinationKeys};
use dime::dmtp::resolve::{CachePolicy, Ports, has_fingerprint};
use dime::dmtp::send::Origin;
use dime::dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig as DxConfig, TransferEnvelope, Verification,
};
use dime::dmtp::wire::{Address, Name};
use dime::mailboxes::{MailboxSpool, Mailboxes};
use dime::message::{Envelope, MessageLimits};
use dime::signet::record::HostName;
use dime::signet::{BoundSignet, FingerprintKind, KeyFile, KeyOwner, ManagementRecord, RecordPolicy, Signet, issue};
use dime_store::RedbStore;
use hickory_server::proto::rr::Record;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::dns;
use super::pki::Ca;
use super::{DestinationView, FlowError, Narrator, OriginView, Published, Sight};

/// An organisation before its servers run: keys, signet, certificates, record, bound listeners.
pub(super) struct Identity {
    domain: HostName,
    keys: KeyFile,
    signet: Signet,
    record: ManagementRecord,
    dx: (CertificateDer<'static>, Vec<u8>, TcpListener),
    dmap: (CertificateDer<'static>, Vec<u8>, TcpListener),
}

impl Identity {
    pub(super) async fn new(domain: &str, ca: &Ca) -> Result<Identity, FlowError> {
        let keys = KeyFile::generate(KeyOwner::Org)?;
        let signet = issue::new_org_signet(&keys.signing, &keys.encryption_public()?, domain)?;
        let (dx_cert, dx_key) = ca.leaf(&format!("dx.{domain}"))?;
        let (dmap_cert, dmap_key) = ca.leaf(&format!("dmap.{domain}"))?;
        let record =
            ManagementRecord::builder(keys.signing_public()).sign_certificate(&keys.signing, &dx_cert).build()?;
        let dx = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let dmap = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        Ok(Identity {
            domain: HostName::new(domain)?,
            keys,
            signet,
            record,
            dx: (dx_cert, dx_key, dx),
            dmap: (dmap_cert, dmap_key, dmap),
        })
    }

    pub(super) fn dx_port(&self) -> Result<u16, FlowError> {
        Ok(self.dx.2.local_addr()?.port())
    }

    /// The organisation's DNS zone.
    pub(super) fn zone(&self) -> Result<(String, Vec<Record>), FlowError> {
        dns::zone(&self.domain, &self.record)
    }

    /// Starts the DX server, the DMAP server and the relay queue. `peer_dx_port` is the port of
    /// the other organisation's DX server.
    ///
    /// WORKAROUND: `dns::Resolver` takes one set of DMTP ports for every domain (MX answers carry
    /// no port). Both DX servers share 127.0.0.1 on different ports, so each organisation's
    /// resolver is given its peer's port: it only ever resolves the peer.
    ///
    /// The resolver trusts no certificate authority: a DX certificate stands on the `tls=` pin of
    /// a DNSSEC-secure record alone.
    pub(super) fn start(self, peer_dx_port: u16, dns: &dns::Dns, say: Narrator) -> Result<Organisation, FlowError> {
        let Identity { domain, keys, signet, record, dx, dmap } = self;
        let ports = Ports { native: peer_dx_port, dual: peer_dx_port, dual_fallback: peer_dx_port };
        let resolver = Resolver::new(
            dns.client(),
            ClientTls::new(&Roots::None)?,
            ports,
            RecordPolicy::default(),
            CachePolicy::default(),
        );
        // The users' mailboxes live in a persistent, crash-safe redb file, as on a real server;
        // here in a temporary folder that goes away with the organisation.
        let folder = tempfile::Builder::new().prefix(&format!("dime-quickstart-{domain}-")).tempdir()?;
        let mut store = RedbStore::open(folder.path().join("dmap.redb")).map_err(DmapError::from)?;
        store.publish_signet(domain.as_str(), &signet).map_err(DmapError::from)?;
        // Other domains' signets are `Elsewhere` to the store: the DMAP driver resolves them
        // through `Shared::lookup`.
        store.serve_domain(domain.as_str()).map_err(DmapError::from)?;
        store.set_issuer(Issuer { org: signet.clone(), key: keys.signing.clone(), domain: domain.to_string() });
        let origin = Origin::new(keys.clone(), &signet)?;
        let shared = Arc::new(Shared {
            domain: domain.clone(),
            keys,
            origin,
            signet: signet.clone(),
            store,
            _folder: folder,
            resolver,
            resolved: Mutex::new(HashSet::new()),
            say,
        });
        let mut tasks = Vec::new();

        // DX: native DMTP, TLS from the first byte, RCPT TO must name our org signet.
        let (dx_cert, dx_key, dx_listener) = dx;
        let dx_addr = dx_listener.local_addr()?;
        let tls =
            acceptor(&ServerIdentity::new(vec![dx_cert], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(dx_key)))?)?;
        let fingerprints = FingerprintKind::ALL.iter().filter_map(|k| signet.fingerprint(*k)).collect();
        let served = vec![ServedDomain { domain: domain.clone(), fingerprints }];
        let config = DxConfig::new(HostName::new(&format!("dx.{domain}"))?, ListenMode::Native, served);
        // What the DX server accepts goes into the DMAP store, and wakes the DMAP sessions.
        let mailboxes = Mailboxes::new(shared.store()?);
        let checked = Arc::new(Mutex::new(HashMap::new()));
        let app = Dx { shared: shared.clone(), mailboxes: mailboxes.clone(), checked: checked.clone() };
        tasks.push(tokio::spawn(async move {
            let _ = serve(dx_listener, tls, Arc::new(config), Arc::new(app)).await;
        }));

        // DMAP: implicit TLS, STACIE logins, SUBMIT feeds the relay queue.
        let (dmap_cert, dmap_key, dmap_listener) = dmap;
        let dmap_addr = dmap_listener.local_addr()?;
        let identity = ServerIdentity::new(
            vec![CertificateDer::from(dmap_cert.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(dmap_key)),
        )?;
        let acceptor = dmap_driver::acceptor(&identity)?;
        let decoy = DecoySecret::generate()?;
        let (queue_tx, queue) = unbounded_channel();
        let mut config = DmapConfig::new(&domain.to_string(), decoy);
        config.submit = Some(submit_hook(shared.clone(), queue_tx));
        let store = shared.store()?;
        let resolver = shared.clone();
        let hooks = dmap_driver::Hooks {
            changes: Some(mailboxes.changes()),
            signets: Some(Arc::new(move |address| Box::pin(resolver.clone().lookup(address)))),
        };
        tasks.push(tokio::spawn(async move {
            let make = move || ServerSession::new(config.clone(), store.clone(), std::time::Instant::now());
            let _ = dmap_driver::listen(dmap_listener, acceptor, make, hooks).await;
        }));

        let (origin_tx, origin_reports) = unbounded_channel();
        tasks.push(tokio::spawn(relay_queue(shared.clone(), queue, origin_tx)));

        Ok(Organisation {
            published: Published { domain: domain.to_string(), signet, record, dx: dx_addr, dmap: dmap_addr },
            shared,
            origin_reports,
            checked,
            tasks,
        })
    }
}

/// What an organisation's servers share.
pub(super) struct Shared {
    pub(super) domain: HostName,
    keys: KeyFile,
    /// The organisation as the origin of its users' messages: what relays their submissions.
    origin: Origin,
    signet: Signet,
    /// The DMAP store; its clones share one database.
    store: RedbStore,
    /// Where the store's file is; removed when the organisation's servers are gone.
    _folder: TempDir,
    resolver: Resolver,
    /// The names the resolver has fetched (and so caches), to narrate how each lookup went.
    resolved: Mutex<HashSet<Name>>,
    say: Narrator,
}

impl Shared {
    /// A handle on the DMAP store (a clone: no lock is held between calls).
    pub(super) fn store(&self) -> Result<RedbStore, DmapError> {
        Ok(self.store.clone())
    }

    fn say(&self, line: &str) {
        (self.say)(line);
    }

    /// Another organisation's (validated) signet through the resolver, and how it was found:
    /// the resolver caches what it fetched (a user's org signet along with the user's), so a
    /// name fetched before is answered from that cache.
    async fn resolve(&self, name: &Name) -> Result<(BoundSignet, &'static str), DmtpError> {
        let cached = self.resolved.lock().is_ok_and(|seen| seen.contains(name));
        let signet = self.resolver.signet(name, None).await?;
        if let Ok(mut seen) = self.resolved.lock() {
            seen.insert(name.clone());
            seen.insert(Name::Org(name.domain().clone()));
        }
        let how = if cached { "from its resolver cache" } else { "through DNS (_dx TXT, MX, A) and SGNT over DMTP" };
        Ok((signet, how))
    }

    /// Answers a DMAP `SIGNET` for another organisation's name (the DMAP driver's
    /// [`dmap_driver::Hooks::signets`]).
    async fn lookup(self: Arc<Self>, address: String) -> Result<Option<Signet>, DmapError> {
        let Ok(name) = address.parse::<Name>() else { return Ok(None) };
        match self.resolve(&name).await {
            Ok((signet, how)) => {
                let what = match &name {
                    Name::Org(domain) => format!("{domain}'s org signet"),
                    Name::User(address) => format!("{address}'s signet"),
                };
                self.say(&format!(
                    "[{} server] answered a DMAP SIGNET with {what}, resolved {how} and validated from the \
                     record's POK down; saw only the address asked for",
                    self.domain
                ));
                Ok(Some(signet.into_signet()))
            }
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(DmapError::StoreUnavailable(error.to_string())),
        }
    }

    /// Our own current signet of `name`.
    async fn local_signet(&self, name: &Name) -> Option<Signet> {
        match name {
            Name::Org(domain) if *domain == self.domain => Some(self.signet.clone()),
            Name::User(address) if *address.domain() == self.domain => {
                match self.store().ok()?.signet(&address.to_string()).await.ok()? {
                    SignetAnswer::Found(signet) => Some(*signet),
                    SignetAnswer::NotFound | SignetAnswer::Elsewhere => None,
                }
            }
            _ => None,
        }
    }
}

/// A running organisation. Dropping it stops its servers.
pub(super) struct Organisation {
    pub(super) published: Published,
    pub(super) shared: Arc<Shared>,
    pub(super) origin_reports: UnboundedReceiver<Result<OriginView, FlowError>>,
    /// What the DX server's destination check found, by transaction id.
    checked: Checks,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Organisation {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Organisation {
    /// Opens an account: the server keeps STACIE's verifier, never the password.
    pub(super) fn add_account(&self, address: &str, password: &str) -> Result<(), FlowError> {
        let (credentials, _) =
            Credentials::create(&Username::new(address.as_bytes())?, &Password::new(password.as_bytes())?, 0)?;
        self.shared.store()?.add_account(address, &credentials).map_err(DmapError::from)?;
        Ok(())
    }

    /// What the destination did with transaction `txid`, once its DMTP server answered `250`:
    /// its check's findings, and the object its mailboxes stored in the recipient's INBOX.
    pub(super) async fn delivered(&self, txid: &str) -> Result<DestinationView, FlowError> {
        let check = self.checked.lock().ok().and_then(|mut checked| checked.remove(txid));
        let Check { mail_from, recipient, resolved } = check.ok_or(FlowError::NoData("the destination's check"))?;
        let store = self.shared.store()?;
        let inbox = store.mailbox(&recipient, &Mailbox::inbox()).await?;
        let uid = inbox.messages.iter().map(|m| m.uid).max().ok_or(FlowError::NoData("the recipient's INBOX"))?;
        let stored = store.object(&recipient, &Mailbox::inbox(), uid).await?;
        let limits = MessageLimits::default();
        let sight = Sight::of(&Envelope::destination(&stored, &limits, &self.shared.keys.encryption)?)?;
        self.shared.say(&format!(
            "[{} destination] received {mail_from}'s object ({} bytes) over DMTP with TLS, resolved the origin's org \
             signet {resolved}, verified the origin's signatures, and its mailboxes stored it in {recipient}'s INBOX \
             as UID {uid}; saw {}",
            self.shared.domain,
            stored.len(),
            sight.describe()
        ));
        Ok(DestinationView { mail_from, sight, txid: txid.to_string(), uid, stored, resolved })
    }
}

/// SUBMIT on the organisation's DMAP server: the object goes into the store's outbox (so the
/// queue id is the store's) and then onto the relay queue.
fn submit_hook(shared: Arc<Shared>, queue: UnboundedSender<Submission>) -> SubmitHook {
    SubmitHook::new(move |user, object| {
        let (shared, queue) = (shared.clone(), queue.clone());
        Box::pin(async move {
            let id = shared.store()?.submit(&user, object.clone()).await?;
            let submission = Submission { user, id: id.clone(), object };
            queue.send(submission).map_err(|_| DmapError::StoreUnavailable("the relay queue stopped".into()))?;
            Ok(id)
        })
    })
}

/// An object a user submitted for relay.
struct Submission {
    user: String,
    id: String,
    object: Vec<u8>,
}

/// Relays submissions one by one and reports each.
async fn relay_queue(
    shared: Arc<Shared>,
    mut queue: UnboundedReceiver<Submission>,
    reports: UnboundedSender<Result<OriginView, FlowError>>,
) {
    while let Some(submission) = queue.recv().await {
        let result = relay(&shared, submission).await;
        if let Err(error) = &result {
            shared.say(&format!("[{} origin] refused to relay: {error}", shared.domain));
        }
        if reports.send(result).is_err() {
            return;
        }
    }
}

/// The origin's part, `Resolver::relay`: open the object as the origin, verify the author's
/// signatures under the submitter's signet, resolve and bind the destination's org signet from
/// DNS down, check that the object names it, countersign, and deliver over DMTP.
async fn relay(shared: &Shared, submission: Submission) -> Result<OriginView, FlowError> {
    // What the origin's key opens, for the report (the relay opens the object itself).
    let sight = Sight::of(&Envelope::origin(&submission.object, &MessageLimits::default(), &shared.keys.encryption)?)?;
    let SignetAnswer::Found(submitter) = shared.store()?.signet(&submission.user).await? else {
        return Err(FlowError::NoSignet(submission.user));
    };
    let author = shared.origin.bind_user(&submitter)?;
    let txid = shared.resolver.relay(&shared.origin, &author, &submission.object).await?;
    shared.say(&format!(
        "[{} origin] received {}'s submission over DMAP (OK [SUBMITTED {}], {} bytes), verified the author's \
         signatures, matched the destination signet it names with the one {} serves (resolved from DNS down), \
         countersigned it and relayed it over DMTP with TLS to the destination's DX server, found through DNS (MX, \
         A), its certificate pinned by the tls= of a DNSSEC-secure record (no CA trusted); saw {}, 250 OK [{txid}]",
        shared.domain,
        submission.user,
        submission.id,
        submission.object.len(),
        sight.destination.as_deref().unwrap_or("?"),
        sight.describe()
    ));
    Ok(OriginView { submitter: submission.user, sight, txid: txid.to_string() })
}

/// The DX server of an organisation: serves its signets and accepts objects for its users.
struct Dx {
    shared: Arc<Shared>,
    /// Where accepted objects go: the recipients' INBOXes in the DMAP store.
    mailboxes: Mailboxes<RedbStore>,
    checked: Checks,
}

/// What the destination check found, by transaction id, until the flow asks ([`Organisation::delivered`]).
type Checks = Arc<Mutex<HashMap<String, Check>>>;

/// One transaction's destination check.
struct Check {
    mail_from: String,
    recipient: String,
    /// How the origin's org signet was found (through DNS and SGNT, or from the cache).
    resolved: &'static str,
}

impl Dx {
    /// The destination's check: resolve the origin's org signet and finish the streaming check
    /// of the object as the destination (verifying the origin's signatures).
    async fn check_object(
        &self,
        message: &ReceivedMessage,
        check: DestinationCheck,
    ) -> Result<(CheckedMessage, &'static str), FlowError> {
        let mail_from = message.envelope.mail_from.domain.clone();
        let (origin, how) = self.shared.resolve(&Name::Org(mail_from)).await?;
        let keys = DestinationKeys {
            secret: &self.shared.keys.encryption,
            kem: self.shared.keys.kem.as_ref(),
            origin: &origin,
        };
        Ok((check.finish(message, &keys)?, how))
    }

    fn refused(&self, error: FlowError) -> Rejection {
        self.shared.say(&format!("[{} destination] refused an object: {error}", self.shared.domain));
        error.rejection()
    }
}

impl ServerApp for Dx {
    async fn signet(&self, name: &Name, fingerprint: Option<&Fingerprint>) -> Option<Vec<u8>> {
        let signet = self.shared.local_signet(name).await?;
        if fingerprint.is_some_and(|fp| !has_fingerprint(&signet, fp)) {
            return None;
        }
        Some(signet.as_bytes().to_vec())
    }

    /// The store keeps only each user's current signet, so there is no history to give.
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }

    async fn verify(&self, name: &Name, fingerprint: &Fingerprint) -> Verification {
        match self.shared.local_signet(name).await {
            Some(signet) if has_fingerprint(&signet, fingerprint) => Verification::Current,
            Some(signet) => {
                signet.fingerprint(FingerprintKind::Full).map_or(Verification::NotFound, Verification::Update)
            }
            None => Verification::NotFound,
        }
    }

    type Spool = MailboxSpool<RedbStore>;

    async fn open_spool(&self, _: &TransferEnvelope) -> Result<MailboxSpool<RedbStore>, Rejection> {
        Ok(self.mailboxes.spool())
    }

    async fn check(&self, message: &ReceivedMessage, check: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        match self.check_object(message, check).await {
            Ok((checked, resolved)) => {
                let check = Check {
                    mail_from: message.envelope.mail_from.domain.to_string(),
                    recipient: checked.view().envelope.recipient.clone(),
                    resolved,
                };
                if let Ok(mut checks) = self.checked.lock() {
                    checks.insert(message.txid.to_string(), check);
                }
                Ok(checked)
            }
            Err(error) => Err(self.refused(error)),
        }
    }
}
