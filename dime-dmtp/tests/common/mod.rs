//! Shared fixtures: organisations and users with real signets, a signet store that answers the
//! server's events, a server harness, and an in-memory client–server pair.
#![allow(dead_code)]

#[cfg(feature = "tokio")]
pub mod net;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dime_core::Fingerprint;
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_dmtp::client::{ClientEvent, ClientSession, Outcome, RequestId};
use dime_dmtp::server::*;
use dime_dmtp::wire::{Address, Name};
use dime_signet::record::HostName;
use dime_signet::{BoundSignet, FingerprintKind, ManagementRecord, Signet, issue};

pub fn host(name: &str) -> HostName {
    HostName::new(name).unwrap()
}

/// An organisation with its keys, signet and record.
pub struct Org {
    pub domain: HostName,
    pub pok: SigningSecretKey,
    pub enc: EncryptionSecretKey,
    pub signet: Signet,
    pub record: ManagementRecord,
}

impl Org {
    /// The org signet bound to its domain through its management record.
    pub fn bound(&self) -> BoundSignet {
        dime_dmtp::resolve::validate_org(self.signet.as_bytes(), &self.domain, &self.record).unwrap()
    }

    pub fn new(domain: &str) -> Org {
        let pok = SigningSecretKey::generate().unwrap();
        let enc = EncryptionSecretKey::generate().unwrap();
        let signet = issue::new_org_signet(&pok, &enc.public().unwrap(), domain).unwrap();
        let record = ManagementRecord::builder(pok.public()).build().unwrap();
        Org { domain: host(domain), pok, enc, signet, record }
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.signet.fingerprint(FingerprintKind::Full).unwrap()
    }

    /// A user with `versions` signets, each rotated from the one before with custody.
    pub fn user(&self, address: &str, versions: usize) -> User {
        let mut keys: Vec<SigningSecretKey> = Vec::new();
        let mut chain: Vec<Signet> = Vec::new();
        let mut encs = Vec::new();
        for _ in 0..versions {
            let key = SigningSecretKey::generate().unwrap();
            let enc = EncryptionSecretKey::generate().unwrap();
            let request = issue::new_request(&key, &enc.public().unwrap(), keys.last()).unwrap();
            let signet =
                issue::issue_user_signet(&request, chain.last(), &self.signet, &self.pok, address, &[]).unwrap();
            keys.push(key);
            chain.push(signet);
            encs.push(enc);
        }
        User { address: address.parse().unwrap(), chain, keys, encs }
    }
}

pub struct User {
    pub address: Address,
    pub chain: Vec<Signet>,
    pub keys: Vec<SigningSecretKey>,
    pub encs: Vec<EncryptionSecretKey>,
}

impl User {
    pub fn current(&self) -> &Signet {
        self.chain.last().unwrap()
    }
}

/// A check run on each received object (its bytes, whole) in the sans-IO harness.
pub type ObjectCheck = dyn Fn(&ReceivedMessage, &[u8]) -> Result<(), Rejection> + Send + Sync;

/// A stored message: the session's report and the bytes its data events carried.
#[derive(Debug, Clone)]
pub struct Stored {
    pub message: ReceivedMessage,
    pub object: Bytes,
}

impl core::ops::Deref for Stored {
    type Target = ReceivedMessage;
    fn deref(&self) -> &ReceivedMessage {
        &self.message
    }
}

/// The server side's data: signets by name, received messages.
#[derive(Default)]
pub struct Store {
    pub orgs: HashMap<HostName, Signet>,
    pub users: HashMap<Address, Vec<Signet>>,
    pub received: Arc<Mutex<Vec<Stored>>>,
    /// The object arriving, from its data events (the sans-IO harness's spool).
    pub incoming: Mutex<Option<Vec<u8>>>,
    /// Objects whose transaction was aborted.
    pub aborted: Mutex<Vec<DataFailure>>,
    pub refuse_objects: bool,
    /// Checks each object before it is stored.
    pub check: Option<Box<ObjectCheck>>,
    /// The destination's key and the origin's org signet the driver's check uses (none: every
    /// object is refused).
    pub keys: Option<(EncryptionSecretKey, BoundSignet)>,
}

fn fps(signet: &Signet) -> Vec<Fingerprint> {
    FingerprintKind::ALL.iter().filter_map(|k| signet.fingerprint(*k)).collect()
}

impl Store {
    pub fn with(org: &Org, users: &[&User]) -> Store {
        let mut store = Store::default();
        store.orgs.insert(org.domain.clone(), org.signet.clone());
        for user in users {
            store.users.insert(user.address.clone(), user.chain.clone());
        }
        store
    }

    fn versions(&self, name: &Name) -> Vec<Signet> {
        match name {
            Name::Org(domain) => self.orgs.get(domain).cloned().into_iter().collect(),
            Name::User(address) => self.users.get(address).cloned().unwrap_or_default(),
        }
    }

    pub fn signet(&self, name: &Name, fingerprint: Option<&Fingerprint>) -> Option<Vec<u8>> {
        let versions = self.versions(name);
        let found = match fingerprint {
            None => versions.last(),
            Some(fp) => versions.iter().find(|s| fps(s).contains(fp)),
        };
        found.map(|s| s.as_bytes().to_vec())
    }

    pub fn history(&self, address: &Address, start: &Fingerprint, end: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        let versions = self.users.get(address).cloned().unwrap_or_default();
        let Some(first) = versions.iter().position(|s| fps(s).contains(start)) else { return Vec::new() };
        let last = match end {
            None => versions.len() - 1,
            Some(end) => match versions.iter().position(|s| fps(s).contains(end)) {
                Some(i) if i >= first => i,
                _ => return Vec::new(),
            },
        };
        versions[first..=last].iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    pub fn verify(&self, name: &Name, fingerprint: &Fingerprint) -> Verification {
        let versions = self.versions(name);
        match versions.iter().position(|s| fps(s).contains(fingerprint)) {
            Some(i) if i + 1 == versions.len() => Verification::Current,
            Some(_) => Verification::Update(versions.last().unwrap().fingerprint(FingerprintKind::Full).unwrap()),
            None => Verification::NotFound,
        }
    }

    pub fn message(&self, message: ReceivedMessage) -> Result<(), Rejection> {
        let object = Bytes::from(self.incoming.lock().unwrap().take().expect("no MessageBegin"));
        assert_eq!(object.len() as u64, message.size);
        if self.refuse_objects {
            return Err(Rejection::InvalidObject);
        }
        if let Some(check) = &self.check {
            check(&message, &object)?;
        }
        self.received.lock().unwrap().push(Stored { message, object });
        Ok(())
    }

    /// Answers one server event.
    pub fn answer(&self, session: &mut ServerSession, now: Instant, event: ServerEvent) {
        let (id, answer) = match event {
            ServerEvent::SignetRequested { id, name, fingerprint } => {
                (id, Answer::Signet(self.signet(&name, fingerprint.as_ref())))
            }
            ServerEvent::HistoryRequested { id, address, start, end } => {
                (id, Answer::History(self.history(&address, &start, end.as_ref())))
            }
            ServerEvent::VerifyRequested { id, name, fingerprint } => {
                (id, Answer::Verify(self.verify(&name, &fingerprint)))
            }
            ServerEvent::StatsRequested { id } => {
                (id, Answer::Stats(vec![("messages".into(), self.received.lock().unwrap().len() as u64)]))
            }
            ServerEvent::MessageBegin { .. } => {
                let previous = self.incoming.lock().unwrap().replace(Vec::new());
                assert!(previous.is_none(), "a transaction began before the last one ended");
                return;
            }
            ServerEvent::MessageData { bytes } => {
                self.incoming.lock().unwrap().as_mut().expect("no MessageBegin").extend_from_slice(&bytes);
                return;
            }
            ServerEvent::MessageAborted { failure } => {
                self.incoming.lock().unwrap().take().expect("no MessageBegin");
                self.aborted.lock().unwrap().push(failure);
                return;
            }
            ServerEvent::MessageReceived(message) => (message.id, Answer::Message(self.message(message))),
            ServerEvent::StartTls => {
                session.tls_established(now).unwrap();
                return;
            }
            ServerEvent::SmtpHandoff { .. } => return,
            other => panic!("an event this test does not expect: {other:?}"),
        };
        session.answer(now, id, answer).unwrap();
    }
}

/// A server session driven by hand.
pub struct Harness {
    pub session: ServerSession,
    pub now: Instant,
    pub events: Vec<ServerEvent>,
}

pub fn config(mode: ListenMode) -> ServerConfig {
    let served = vec![ServedDomain { domain: host("example.net"), fingerprints: vec![] }];
    ServerConfig::new(host("dx.example.net"), mode, served)
}

impl Harness {
    pub fn new(config: ServerConfig) -> Harness {
        let now = Instant::now();
        let mut session = ServerSession::new(Arc::new(config), now);
        if session.state() == SessionState::Handshake {
            session.tls_established(now).unwrap();
        }
        let mut harness = Harness { session, now, events: Vec::new() };
        harness.output();
        harness
    }

    /// Native mode, TLS up, banner read.
    pub fn native() -> Harness {
        Harness::new(config(ListenMode::Native))
    }

    /// Dual mode, banner read.
    pub fn dual(smtp_handoff: bool) -> Harness {
        Harness::new(config(ListenMode::Dual { smtp_handoff }))
    }

    /// Everything transmitted since the last call, as text.
    pub fn output(&mut self) -> String {
        let mut out = Vec::new();
        while let Some(bytes) = self.session.poll_transmit() {
            out.extend_from_slice(&bytes);
        }
        while let Some(event) = self.session.poll() {
            self.events.push(event);
        }
        String::from_utf8(out).unwrap()
    }

    /// Feeds `input` whole (asserting the session takes all of it) and returns the output.
    pub fn send(&mut self, input: &[u8]) -> String {
        let taken = self.session.enqueue_input(self.now, input);
        assert_eq!(taken, input.len(), "session stopped taking input");
        self.output()
    }

    pub fn line(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes())
    }

    /// Takes the object's data events and its `MessageReceived` out of `events`: the report and
    /// the bytes the pieces carried.
    pub fn received(&mut self) -> (ReceivedMessage, Vec<u8>) {
        let (mut message, mut object) = (None, Vec::new());
        for event in self.events.drain(..) {
            match event {
                ServerEvent::MessageBegin { .. } => object.clear(),
                ServerEvent::MessageData { bytes } => object.extend_from_slice(&bytes),
                ServerEvent::MessageReceived(received) => message = Some(received),
                other => panic!("unexpected event {other:?}"),
            }
        }
        (message.expect("no message"), object)
    }

    /// Brings the session to GREETED.
    pub fn greeted() -> Harness {
        let mut h = Harness::native();
        h.line("EHLO <example.org>");
        h
    }
}

/// Moves bytes between a client and a server session in memory until the client has nothing
/// left to do; "TLS" is a no-op. Returns every client event.
pub fn run_pair(
    client: &mut ClientSession,
    server: &mut ServerSession,
    store: &Store,
    now: Instant,
) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    let mut to_server: Vec<u8> = Vec::new();
    let mut to_client: Vec<u8> = Vec::new();
    for _ in 0..1_000_000 {
        let mut progress = false;
        while let Some(b) = client.poll_transmit() {
            to_server.extend_from_slice(&b);
            progress = true;
        }
        while let Some(event) = client.poll() {
            if event == ClientEvent::StartTls {
                client.tls_established(now).unwrap();
            }
            events.push(event);
            progress = true;
        }
        while let Some(b) = server.poll_transmit() {
            to_client.extend_from_slice(&b);
            progress = true;
        }
        while let Some(event) = server.poll() {
            store.answer(server, now, event);
            progress = true;
        }
        if !to_server.is_empty() {
            let n = server.enqueue_input(now, &to_server);
            to_server.drain(..n);
            progress |= n > 0;
        }
        if !to_client.is_empty() {
            let n = client.enqueue_input(now, &to_client);
            to_client.drain(..n);
            progress |= n > 0;
        }
        if !progress {
            return events;
        }
    }
    panic!("in-memory pair did not settle");
}

/// The outcome of request `id` among `events`.
pub fn outcome(events: &[ClientEvent], id: RequestId) -> Result<Outcome, dime_dmtp::DmtpError> {
    events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Completed { id: done, result } if *done == id => Some(result.clone()),
            _ => None,
        })
        .expect("request completed")
}

pub fn object(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>())
}

pub const SECOND: Duration = Duration::from_secs(1);
