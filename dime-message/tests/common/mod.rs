//! Shared fixtures: deterministic organizations, users and content, classical or all-hybrid
//! (decision D8): tests that must hold for both run over [`worlds`].
#![allow(dead_code)]

use dime_core::kem::KemSecretKey;
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_message::*;
use dime_signet::{Signet, issue};

pub struct Org {
    pub pok: SigningSecretKey,
    pub enc: EncryptionSecretKey,
    /// The ML-KEM-768 key when the signet is hybrid.
    pub kem: Option<KemSecretKey>,
    pub signet: Signet,
}

pub struct User {
    pub sign: SigningSecretKey,
    pub enc: EncryptionSecretKey,
    /// The ML-KEM-768 key when the signet is hybrid.
    pub kem: Option<KemSecretKey>,
    pub signet: Signet,
}

fn kem(seed: u8, hybrid: bool) -> Option<KemSecretKey> {
    hybrid.then(|| KemSecretKey::from_seed(&[seed; 64]))
}

/// What a reader opens with: its X25519 key, its ML-KEM key if any and its current signet.
fn keys<'a>(enc: &'a EncryptionSecretKey, kem: &'a Option<KemSecretKey>, signet: &'a Signet) -> ActorKeys<'a> {
    ActorKeys { encryption: enc, kem: kem.as_ref(), signet: None }.with_signet(signet).unwrap()
}

impl Org {
    pub fn keys(&self) -> ActorKeys<'_> {
        keys(&self.enc, &self.kem, &self.signet)
    }
}

impl User {
    pub fn keys(&self) -> ActorKeys<'_> {
        keys(&self.enc, &self.kem, &self.signet)
    }

    /// A streaming reader for this user as `actor`: its keys, `own` its signet as the object
    /// names it (`self.signet` unless a test says otherwise).
    pub fn opener(
        &self,
        actor: Actor,
        own: &Signet,
        author: &Signet,
        origin: &Signet,
        section: &[u8],
    ) -> Result<StreamOpener> {
        let reader =
            StreamOpener::new(actor, self.enc.clone(), own, author, origin, section, &MessageLimits::default())?;
        match &self.kem {
            Some(kem) => reader.with_hybrid(kem.clone(), Some(&self.signet)),
            None => Ok(reader),
        }
    }
}

pub fn org(seed: u8, domain: &str) -> Org {
    org_with(seed, domain, false)
}

pub fn org_with(seed: u8, domain: &str, hybrid: bool) -> Org {
    let pok = SigningSecretKey::from_seed(&[seed; 32]);
    let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
    let kem = kem(seed, hybrid);
    let signet =
        issue::new_org_signet_with(&pok, &enc.public().unwrap(), kem.as_ref().map(KemSecretKey::public), domain)
            .unwrap();
    Org { pok, enc, kem, signet }
}

/// A user of `org`, hybrid iff `org` is.
pub fn user(seed: u8, org: &Org, address: &str) -> User {
    let sign = SigningSecretKey::from_seed(&[seed; 32]);
    let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
    let kem = kem(seed, org.kem.is_some());
    let request =
        issue::new_request_with(&sign, &enc.public().unwrap(), kem.as_ref().map(KemSecretKey::public), None).unwrap();
    let signet = issue::issue_user_signet(&request, None, &org.signet, &org.pok, address, &[]).unwrap();
    User { sign, enc, kem, signet }
}

pub struct World {
    pub origin: Org,
    pub destination: Org,
    pub author: User,
    pub recipient: User,
}

/// The classical world and the all-hybrid one (every signet carries an ML-KEM key).
pub fn worlds() -> [World; 2] {
    [World::new(), World::hybrid()]
}

impl World {
    /// Four classical parties.
    pub fn new() -> World {
        World::with(false)
    }

    /// The same four parties with hybrid signets: objects between them are `0x48`, kinds 0x0F.
    pub fn hybrid() -> World {
        World::with(true)
    }

    fn with(hybrid: bool) -> World {
        let origin = org_with(1, "darkmail.info", hybrid);
        let destination = org_with(2, "lavabit.com", hybrid);
        let author = user(3, &origin, "ivan@darkmail.info");
        let recipient = user(4, &destination, "ryan@lavabit.com");
        World { origin, destination, author, recipient }
    }

    /// Whether the parties' signets are hybrid.
    pub fn is_hybrid(&self) -> bool {
        self.author.kem.is_some()
    }

    /// "classical" or "hybrid", for assertion messages.
    pub fn name(&self) -> &'static str {
        if self.is_hybrid() { "hybrid" } else { "classical" }
    }

    pub fn to(&self) -> Addressing<'_> {
        Addressing {
            author: &self.author.signet,
            origin: &self.origin.signet,
            destination: &self.destination.signet,
            recipient: &self.recipient.signet,
        }
    }

    pub fn compose(&self, content: &Content, seed: u8) -> Vec<u8> {
        self.compose_with(content, &ComposeOptions::default(), seed)
    }

    pub fn compose_with(&self, content: &Content, options: &ComposeOptions, seed: u8) -> Vec<u8> {
        compose(&self.author.sign, &self.to(), content, options, &mut SeededRandom::new([seed; 32])).unwrap()
    }

    pub fn relay(&self, object: &[u8]) -> Vec<u8> {
        Envelope::origin(object, &MessageLimits::default(), self.origin.keys())
            .unwrap()
            .open(&self.author.signet)
            .unwrap()
            .countersign(&self.origin.pok)
            .unwrap()
    }

    pub fn open_recipient(&self, object: &[u8]) -> Result<Opened> {
        Envelope::recipient(object, &MessageLimits::default(), self.recipient.keys())?.open(
            &self.recipient.signet,
            &self.author.signet,
            &self.origin.signet,
        )
    }

    pub fn open_destination(&self, object: &[u8]) -> Result<DestinationView> {
        Envelope::destination(object, &MessageLimits::default(), self.destination.keys())?.open(&self.origin.signet)
    }

    pub fn open_origin(&self, object: &[u8]) -> Result<OriginEnvelope> {
        Ok(Envelope::origin(object, &MessageLimits::default(), self.origin.keys())?.open(&self.author.signet)?.envelope)
    }

    pub fn open_author(&self, object: &[u8]) -> Result<Opened> {
        Envelope::author(object, &MessageLimits::default(), self.author.keys())?
            .open(&self.author.signet, Some(&self.origin.signet))
    }

    /// The recipient's streaming reader of the object whose signature section is `section`.
    pub fn recipient_opener(&self, section: &[u8]) -> Result<StreamOpener> {
        self.recipient.opener(
            Actor::Recipient,
            &self.recipient.signet,
            &self.author.signet,
            &self.origin.signet,
            section,
        )
    }
}

pub fn headers() -> CommonHeaders {
    CommonHeaders {
        date: "12 minutes ago".into(),
        to: "Ryan <ryan@lavabit.com>".into(),
        cc: None,
        from: "Ivan <ivan@darkmail.info>".into(),
        organization: Some("Lavabit".into()),
        subject: "Mr.Watson - Come here - I want to see you".into(),
    }
}

/// Deterministic bytes.
pub fn bytes(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt) ^ (i >> 8) as u8).collect()
}

pub fn content(display: usize, attachments: usize, size: usize) -> Content {
    Content {
        headers: headers(),
        other_headers: b"SECRET METADATA\r\n".to_vec(),
        display: (0..display)
            .map(|i| Part::new("text/plain; charset=utf-8", None, bytes(size, i as u8)).unwrap())
            .collect(),
        attachments: (0..attachments)
            .map(|i| {
                Part::new("application/octet-stream", Some(&format!("file-{i}.bin")), bytes(size, 100 + i as u8))
                    .unwrap()
            })
            .collect(),
    }
}

/// The default options with `segment_size` data bytes per part segment.
pub fn segments(segment_size: usize) -> ComposeOptions {
    let mut options = ComposeOptions::default();
    options.segment_size = segment_size;
    options
}
