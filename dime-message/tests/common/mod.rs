//! Shared fixtures: deterministic organizations, users and content.
#![allow(dead_code)]

use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_message::*;
use dime_signet::{Signet, issue};

pub struct Org {
    pub pok: SigningSecretKey,
    pub enc: EncryptionSecretKey,
    pub signet: Signet,
}

pub struct User {
    pub sign: SigningSecretKey,
    pub enc: EncryptionSecretKey,
    pub signet: Signet,
}

pub fn org(seed: u8, domain: &str) -> Org {
    let pok = SigningSecretKey::from_seed(&[seed; 32]);
    let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
    let signet = issue::new_org_signet(&pok, &enc.public().unwrap(), domain).unwrap();
    Org { pok, enc, signet }
}

pub fn user(seed: u8, org: &Org, address: &str) -> User {
    let sign = SigningSecretKey::from_seed(&[seed; 32]);
    let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
    let request = issue::new_request(&sign, &enc.public().unwrap(), None).unwrap();
    let signet = issue::issue_user_signet(&request, None, &org.signet, &org.pok, address, &[]).unwrap();
    User { sign, enc, signet }
}

pub struct World {
    pub origin: Org,
    pub destination: Org,
    pub author: User,
    pub recipient: User,
}

impl World {
    pub fn new() -> World {
        let origin = org(1, "darkmail.info");
        let destination = org(2, "lavabit.com");
        let author = user(3, &origin, "ivan@darkmail.info");
        let recipient = user(4, &destination, "ryan@lavabit.com");
        World { origin, destination, author, recipient }
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
        Envelope::origin(object, &MessageLimits::default(), &self.origin.enc)
            .unwrap()
            .open(&self.author.signet)
            .unwrap()
            .countersign(&self.origin.pok)
            .unwrap()
    }

    pub fn open_recipient(&self, object: &[u8]) -> Result<Opened> {
        Envelope::recipient(object, &MessageLimits::default(), &self.recipient.enc)?.open(
            &self.recipient.signet,
            &self.author.signet,
            &self.origin.signet,
        )
    }

    pub fn open_destination(&self, object: &[u8]) -> Result<DestinationView> {
        Envelope::destination(object, &MessageLimits::default(), &self.destination.enc)?.open(&self.origin.signet)
    }

    pub fn open_origin(&self, object: &[u8]) -> Result<OriginEnvelope> {
        Ok(Envelope::origin(object, &MessageLimits::default(), &self.origin.enc)?.open(&self.author.signet)?.envelope)
    }

    pub fn open_author(&self, object: &[u8]) -> Result<Opened> {
        Envelope::author(object, &MessageLimits::default(), &self.author.enc)?
            .open(&self.author.signet, Some(&self.origin.signet))
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
