//! The quickstart's end-to-end flow, shared by `examples/quickstart.rs` (which prints it) and
//! `tests/quickstart.rs` (which checks what each actor saw).
//!
//! Two organisations, example.org and example.net, each run a DMAP server (their users' access
//! point) and a DX server (DMTP, organisation to organisation) on loopback, and publish their
//! management records in an in-process DNS authority. Their users get signets through SSRs over
//! DMAP; alice@example.org writes to bob@example.net; the message travels author → origin (DMAP
//! SUBMIT) → destination (DMTP over TLS, found through DNS and SGNT) → recipient (DMAP FETCH).
//!
//! [`run`] returns what every actor saw ([`Report`]) and narrates one line per step through a
//! [`Narrator`]. Nothing leaves 127.0.0.1.
//!
//! The zones are signed with DNSSEC and every reader validates them and keeps the default record
//! policy, which refuses unsigned records. A DX certificate stands on the record's `tls=`
//! signature alone: the DMTP resolvers trust no certificate authority (the throw-away CA here
//! serves the DMAP clients).

mod account;
mod dns;
mod org;
mod pki;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dime::dmap::DmapError;
use dime::dmap::codec::{Code, CommandBody, Data, Mailbox};
use dime::dmap::store::Store;
use dime::dmtp::DmtpError;
use dime::dmtp::server::Rejection;
use dime::message::chunk::ChunkType;
use dime::message::segment::open_standard;
use dime::message::{
    Addressing, CommonHeaders, ComposeOptions, Content, Envelope, MessageError, MessageLimits, Opened, OsRandom, Part,
    compose,
};
use dime::signet::record::{HostName, owner_name};
use dime::signet::{Context, FingerprintKind, ManagementRecord, RecordError, Signet, SignetError, SignetState};
use hickory_server::proto::ProtoError;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use account::login;
use org::Identity;
use pki::Ca;

/// The author's organisation.
pub const ORIGIN: &str = "example.org";
/// The recipient's organisation.
pub const DESTINATION: &str = "example.net";
/// The author.
pub const ALICE: &str = "alice@example.org";
/// The recipient.
pub const BOB: &str = "bob@example.net";
/// 22 or more characters give STACIE's minimum of 8 rounds, so logins are instant.
const ALICE_PASSWORD: &str = "alice's correct horse battery staple";
const BOB_PASSWORD: &str = "bob's incorrect donkey battery staple";
/// How long the flow waits for a server to report what it did.
const REPORT_WAIT: Duration = Duration::from_secs(15);
/// How long the whole flow may take (it takes well under a second); past it, [`run`] gives up
/// instead of hanging.
const RUN_WAIT: Duration = Duration::from_secs(60);

/// Receives one line per step, `[actor] did X; saw Y`.
pub type Narrator = Arc<dyn Fn(&str) + Send + Sync>;

/// Why the flow stopped.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// A DMTP session, a lookup or a delivery failed.
    #[error("DMTP: {0}")]
    Dmtp(#[from] DmtpError),
    /// A DMAP command failed or a store refused.
    #[error("DMAP: {0}")]
    Dmap(#[from] DmapError),
    /// A message object did not compose, open or verify.
    #[error("message: {0}")]
    Message(#[from] MessageError),
    /// A signet did not issue, parse or validate.
    #[error("signet: {0}")]
    Signet(#[from] SignetError),
    /// A management record or host name was refused.
    #[error("management record: {0}")]
    Record(#[from] RecordError),
    /// STACIE refused a user name or password.
    #[error("STACIE: {0}")]
    Stacie(#[from] dime::core::Error),
    /// A certificate could not be made.
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused a certificate.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// A certificate and key did not make a TLS identity.
    #[error("TLS setup: {0}")]
    TlsSetup(#[from] dime::dmtp::driver::TlsSetupError),
    /// A DNS name or record could not be built.
    #[error("DNS zone: {0}")]
    Zone(#[from] ProtoError),
    /// A zone could not be signed.
    #[error("DNSSEC signing: {0}")]
    ZoneSigning(#[from] hickory_server::proto::dnssec::DnsSecError),
    /// A socket could not be bound.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A local signet that should exist does not.
    #[error("no signet for {0}")]
    NoSignet(String),
    /// The signet an SSR returned does not carry the keys the user generated.
    #[error("the signet issued to {0} does not carry the keys of its request")]
    ForeignKeys(String),
    /// A server answered without the data the command promises.
    #[error("the {0} answer carried no data")]
    NoData(&'static str),
    /// A server did not report within the wait.
    #[error("the {what} did not finish within {after:?}")]
    Timeout {
        /// Who or what was waited for.
        what: &'static str,
        /// How long.
        after: Duration,
    },
    /// A server's task ended before reporting.
    #[error("the {0} stopped")]
    Stopped(&'static str),
}

impl FlowError {
    /// The DMTP reply the destination gives for this failure.
    fn rejection(&self) -> Rejection {
        match self {
            FlowError::Message(_) | FlowError::Dmtp(DmtpError::InvalidObject { .. }) => Rejection::InvalidObject,
            _ => Rejection::TemporaryFailure,
        }
    }
}

/// What one actor's key opens in a message object: each field holds what decrypting gave, and
/// `None` where the actor holds no keyslot for that chunk. [`Sight::of`] tries every chunk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sight {
    /// The author's address (origin chunk).
    pub author: Option<String>,
    /// The destination domain (origin chunk).
    pub destination: Option<String>,
    /// The recipient's address (destination chunk).
    pub recipient: Option<String>,
    /// The origin domain (destination chunk).
    pub origin: Option<String>,
    /// The subject (common headers chunk).
    pub subject: Option<String>,
    /// Display and attachment chunks this actor decrypted.
    pub content_opened: usize,
    /// Display and attachment chunks in the object.
    pub content_chunks: usize,
}

/// `Some` for what decrypted, `None` for a chunk the actor has no keyslot in; other errors stop.
fn visible<T>(result: Result<T, MessageError>) -> Result<Option<T>, FlowError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(MessageError::NotVisible { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

impl Sight {
    /// Tries to decrypt every chunk of `envelope` with its actor's key.
    pub fn of<R>(envelope: &Envelope<'_, R>) -> Result<Sight, FlowError> {
        let from = visible(envelope.origin_envelope())?;
        let to = visible(envelope.destination_envelope())?;
        let common = envelope.message().index_of(ChunkType::Common);
        let subject = match visible(envelope.decrypt(common))? {
            Some(plain) => Some(CommonHeaders::decode(open_standard(common, &plain)?)?.subject),
            None => None,
        };
        let parts: Vec<usize> =
            envelope.message().chunks().iter().filter(|c| c.chunk_type().is_part()).map(|c| c.index).collect();
        let mut content_opened = 0;
        for index in &parts {
            if visible(envelope.decrypt(*index))?.is_some() {
                content_opened += 1;
            }
        }
        Ok(Sight {
            author: from.as_ref().map(|e| e.author.clone()),
            destination: from.map(|e| e.destination),
            recipient: to.as_ref().map(|e| e.recipient.clone()),
            origin: to.map(|e| e.origin),
            subject,
            content_opened,
            content_chunks: parts.len(),
        })
    }

    /// `from -> to`, then what stayed hidden (or the subject when it did not).
    pub fn describe(&self) -> String {
        let from = self.author.as_deref().or(self.origin.as_deref()).unwrap_or("?");
        let to = self.recipient.as_deref().or(self.destination.as_deref()).unwrap_or("?");
        let mut said = vec![format!("{from} -> {to}")];
        if self.author.is_none() {
            said.push("no author".into());
        }
        if self.recipient.is_none() {
            said.push("no recipient".into());
        }
        said.push(match &self.subject {
            Some(subject) => format!("subject {subject:?}"),
            None => "no subject".into(),
        });
        said.push(match self.content_opened {
            0 => "no body".into(),
            n => format!("{n} of {} content chunks", self.content_chunks),
        });
        said.join(", ")
    }
}

/// What an organisation published and where it listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Its domain.
    pub domain: String,
    /// Its org signet.
    pub signet: Signet,
    /// The record served at `_dx.<domain>` (POK, and a `tls=` signature of the DX certificate).
    pub record: ManagementRecord,
    /// Its DX (DMTP) server.
    pub dx: SocketAddr,
    /// Its DMAP server.
    pub dmap: SocketAddr,
}

/// A user's signet, issued by their organisation through an SSR over DMAP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The address.
    pub address: String,
    /// The signet the SSR returned.
    pub signet: Signet,
    /// Its state as the user validated it from DNS down (record → org signet → user signet).
    pub state: SignetState,
}

/// What the author did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorView {
    /// The content she wrote.
    pub sent: Content,
    /// Bob's signet as she resolved it through her server, and its state as she validated it.
    pub recipient_state: SignetState,
    /// The object's size.
    pub object_len: usize,
    /// The queue id of `OK [SUBMITTED id]`.
    pub queue_id: String,
}

/// What the origin (example.org's servers) saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginView {
    /// The DMAP user who submitted the object.
    pub submitter: String,
    /// What the origin's key opens.
    pub sight: Sight,
    /// The transaction id of the destination's `250 OK [txid]`.
    pub txid: String,
}

/// What the destination (example.net's servers) saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationView {
    /// The `MAIL FROM` domain.
    pub mail_from: String,
    /// What the destination's key opens.
    pub sight: Sight,
    /// The transaction id it answered.
    pub txid: String,
    /// The UID it stored the object under in the recipient's INBOX.
    pub uid: u32,
    /// The object it stored.
    pub stored: Vec<u8>,
    /// How it resolved the origin's org signet (through DNS and SGNT, or from its cache).
    pub resolved: &'static str,
}

/// What the recipient saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientView {
    /// The object bytes `FETCH BODY.PEEK[]` returned.
    pub fetched: Vec<u8>,
    /// The object in the destination's store at that moment.
    pub stored: Vec<u8>,
    /// What the recipient's key opens.
    pub sight: Sight,
    /// The message, every signature verified (author's and origin's).
    pub opened: Opened,
    /// Alice's signet as bob validated it from DNS down.
    pub author_state: SignetState,
}

/// Alice's key rotation at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The state of her new signet validated with her previous one (chain of custody).
    pub with_previous: SignetState,
    /// Its state validated without the previous one.
    pub without_previous: SignetState,
}

/// Everything every actor saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The DNS authority's address.
    pub dns: SocketAddr,
    /// example.org, then example.net.
    pub organisations: Vec<Published>,
    /// Alice's first signet.
    pub alice: Enrolled,
    /// Bob's signet.
    pub bob: Enrolled,
    /// The author.
    pub author: AuthorView,
    /// The origin.
    pub origin: OriginView,
    /// The destination.
    pub destination: DestinationView,
    /// The recipient.
    pub recipient: RecipientView,
    /// Alice's key rotation.
    pub rotation: Rotation,
}

/// What alice writes: a subject, a text body and a CSV attachment.
pub fn letter() -> Result<Content, FlowError> {
    let mut csv = String::from("quarter,region,revenue\n");
    for (i, region) in ["north", "south", "east", "west"].iter().cycle().take(64).enumerate() {
        csv.push_str(&format!("Q{},{region},{}\n", i / 16 + 1, 1000 + i * 37));
    }
    Ok(Content {
        headers: CommonHeaders {
            date: "Tue, 1 Apr 2025 10:00:00 +0000".into(),
            to: BOB.into(),
            from: ALICE.into(),
            subject: "Quarterly numbers".into(),
            ..CommonHeaders::default()
        },
        display: vec![Part::new(
            "text/plain; charset=utf-8",
            None,
            b"Hi Bob, the numbers are attached. Only you can read them. Alice".to_vec(),
        )?],
        attachments: vec![Part::new("text/csv", Some("numbers.csv"), csv.into_bytes())?],
        ..Content::default()
    })
}

/// The first characters of a signet's fingerprint, for display.
fn short(signet: &Signet, kind: FingerprintKind) -> String {
    signet.fingerprint(kind).map(|f| f.to_string().chars().take(12).collect()).unwrap_or_default()
}

/// A record's text with long values cut, for display.
fn abbreviate(record: &ManagementRecord) -> String {
    let text = record.to_string();
    let tokens: Vec<String> = text
        .split(' ')
        .map(|token| match token.split_once('=') {
            Some((name, value)) if value.len() > 12 => format!("{name}={}…", value.get(..10).unwrap_or(value)),
            _ => token.to_string(),
        })
        .collect();
    tokens.join(" ")
}

/// Waits for a server's report.
async fn next_report<T>(
    reports: &mut UnboundedReceiver<Result<T, FlowError>>,
    who: &'static str,
) -> Result<T, FlowError> {
    match tokio::time::timeout(REPORT_WAIT, reports.recv()).await {
        Err(_) => Err(FlowError::Timeout { what: who, after: REPORT_WAIT }),
        Ok(None) => Err(FlowError::Stopped(who)),
        Ok(Some(report)) => report,
    }
}

/// Runs the whole quickstart on loopback and returns what every actor saw; `say` gets one line
/// per step. Any tokio runtime will do (nothing blocks); gives up after a minute.
pub async fn run(say: Narrator) -> Result<Report, FlowError> {
    tokio::time::timeout(RUN_WAIT, steps(say))
        .await
        .unwrap_or(Err(FlowError::Timeout { what: "quickstart", after: RUN_WAIT }))
}

/// The steps of [`run`]; every server stops when it returns.
async fn steps(say: Narrator) -> Result<Report, FlowError> {
    let ca = Ca::new()?;

    // 1. Two organisations: keys, org signet, certificates, record; DNS serves both records.
    let org_identity = Identity::new(ORIGIN, &ca).await?;
    let net_identity = Identity::new(DESTINATION, &ca).await?;
    let (org_port, net_port) = (org_identity.dx_port()?, net_identity.dx_port()?);
    let (dns, dns_task) = dns::start_dns(vec![org_identity.zone()?, net_identity.zone()?]).await?;
    let _dns = AbortOnDrop(dns_task);
    say(&format!(
        "[dns] serves the {ORIGIN} and {DESTINATION} zones on {} over UDP and TCP, each signed with DNSSEC under \
         its own zone key; saw only queries (every reader validates from those keys and refuses unsigned \
         records)",
        dns.addr
    ));
    let mut origin = org_identity.start(net_port, &dns, say.clone())?;
    let destination = net_identity.start(org_port, &dns, say.clone())?;
    for org in [&origin, &destination] {
        let p = &org.published;
        say(&format!(
            "[{}] generated its POK and org signet {}, had the CA certify dx.{} and pinned that certificate with \
             tls=, serves DMTP on {} and DMAP on {} (mailboxes in a crash-safe redb file); publishes {} TXT \"{}\"",
            p.domain,
            short(&p.signet, FingerprintKind::Full),
            p.domain,
            p.dx,
            p.dmap,
            owner_name(&org.shared.domain),
            abbreviate(&p.record)
        ));
    }

    // 2. Users get signets through SSRs over DMAP and validate them from DNS down.
    origin.add_account(ALICE, ALICE_PASSWORD)?;
    destination.add_account(BOB, BOB_PASSWORD)?;
    let mut alice = login(&origin, ALICE, ALICE_PASSWORD, &ca, &dns).await?;
    let (alice_keys, alice_signet) = alice.enroll(None).await?;
    let (org_signet, _, alice_state) = alice.validate(ALICE, Some(&alice_signet)).await?;
    say(&format!(
        "[{ALICE}] logged in to dmap.{ORIGIN} with STACIE, sent an SSR and validated the signet it returned from \
         _dx.{ORIGIN} down (DNSSEC-secure); saw her signet {} reach state {alice_state}",
        short(&alice_signet, FingerprintKind::Id)
    ));
    let mut bob = login(&destination, BOB, BOB_PASSWORD, &ca, &dns).await?;
    let (bob_keys, bob_signet) = bob.enroll(None).await?;
    let (_, _, bob_state) = bob.validate(BOB, Some(&bob_signet)).await?;
    say(&format!(
        "[{BOB}] logged in to dmap.{DESTINATION} with STACIE, sent an SSR and validated the signet it returned \
         from _dx.{DESTINATION} down (DNSSEC-secure); saw his signet {} reach state {bob_state}",
        short(&bob_signet, FingerprintKind::Id)
    ));
    bob.client.logout().await?;

    // 3. Alice looks bob up through her server, validates him from DNS down, composes, submits.
    let (net_signet, bob_resolved, recipient_state) = alice.validate(BOB, None).await?;
    let sent = letter()?;
    let to =
        Addressing { author: &alice_signet, origin: &org_signet, destination: &net_signet, recipient: &bob_resolved };
    let object = compose(&alice_keys.signing, &to, &sent, &ComposeOptions::default(), &mut OsRandom)?;
    // Said before SUBMIT: the origin's relay queue narrates as soon as the object arrives.
    say(&format!(
        "[{ALICE}] validated bob's signet from _dx.{DESTINATION} down, composed an encrypted message to him with \
         {} attached and submits it over DMAP; saw his signet reach state {recipient_state}, an object of {} bytes",
        sent.attachments.first().and_then(|p| p.info.file_name.as_deref()).unwrap_or("a file"),
        object.len()
    ));
    let done = alice.client.run(CommandBody::Submit { object: object.clone() }).await?;
    let queue_id = match done.status.code {
        Some(Code::Submitted(id)) => id,
        _ => return Err(FlowError::NoData("SUBMIT")),
    };
    let author = AuthorView { sent: sent.clone(), recipient_state, object_len: object.len(), queue_id };

    // 4. The origin relays (its task narrates); once the destination answered 250, its
    // mailboxes have stored the object.
    let origin_view = next_report(&mut origin.origin_reports, "origin").await?;
    let destination_view = destination.delivered(&origin_view.txid).await?;

    // 5. Bob logs in, fetches, looks alice up, decrypts and verifies.
    let mut bob = login(&destination, BOB, BOB_PASSWORD, &ca, &dns).await?;
    let selected = bob.client.run(CommandBody::Select(Mailbox::inbox())).await?;
    let newest = selected
        .data
        .iter()
        .find_map(|d| match d {
            Data::Exists(n) => Some(*n),
            _ => None,
        })
        .ok_or(FlowError::NoData("SELECT"))?;
    let fetched = bob.client.fetch_object(newest).await?;
    let stored = destination.shared.store()?.object(BOB, &Mailbox::inbox(), destination_view.uid).await?;
    let (origin_signet, alice_resolved, author_state) = bob.validate(ALICE, None).await?;
    let limits = MessageLimits::default();
    let envelope = Envelope::recipient(&fetched, &limits, &bob_keys.encryption)?;
    let sight = Sight::of(&envelope)?;
    let opened = envelope.open(&bob_signet, &alice_resolved, &origin_signet)?;
    let attachment = opened.attachments.first();
    say(&format!(
        "[{BOB}] logged in over DMAP with STACIE, fetched message {newest} ({} bytes, {} the stored object), \
         validated alice's signet from _dx.{ORIGIN} down ({author_state}), decrypted it and verified the author's \
         and the origin's signatures; saw {}, body {:?}, attachment {} ({} bytes)",
        fetched.len(),
        if fetched == stored { "identical to" } else { "DIFFERENT from" },
        sight.describe(),
        String::from_utf8_lossy(opened.display.first().map(|p| p.data.as_slice()).unwrap_or_default()),
        attachment.and_then(|p| p.info.file_name.as_deref()).unwrap_or("-"),
        attachment.map_or(0, |p| p.data.len())
    ));
    bob.client.logout().await?;
    let recipient = RecipientView { fetched, stored, sight, opened, author_state };

    // 6. Alice rotates her keys: the SSR carries a custody signature by her old key.
    let (_, rotated) = alice.enroll(Some(&alice_keys)).await?;
    let (record, org_signet) = alice.org(&HostName::new(ORIGIN)?).await?;
    let context = |previous| Context { poks: Some(record.poks()), org: Some(&org_signet), previous };
    let rotation = Rotation {
        with_previous: rotated.validate(&context(Some(&alice_signet))).state,
        without_previous: rotated.validate(&context(None)).state,
    };
    say(&format!(
        "[{ALICE}] rotated her keys with an SSR signed by her old key and validated the new signet {} from \
         _dx.{ORIGIN} down; saw it reach state {} with her previous signet and {} without it",
        short(&rotated, FingerprintKind::Id),
        rotation.with_previous,
        rotation.without_previous
    ));
    alice.client.logout().await?;

    Ok(Report {
        dns: dns.addr,
        organisations: vec![origin.published.clone(), destination.published.clone()],
        alice: Enrolled { address: alice.address, signet: alice_signet, state: alice_state },
        bob: Enrolled { address: bob.address, signet: bob_signet, state: bob_state },
        author,
        origin: origin_view,
        destination: destination_view,
        recipient,
        rotation,
    })
}

/// Aborts a task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
