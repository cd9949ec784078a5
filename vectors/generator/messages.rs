//! `messages.json`: message objects composed from fixed keys with a seeded random source, their
//! chunk layout, the origin-countersigned object, and what each actor opens.

use dime::core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime::message::{
    Actor, Addressing, ChunkSummary, CommonHeaders, ComposeOptions, Content, DestinationEnvelope, Envelope, Message,
    MessageError, MessageLimits, Opened, OriginEnvelope, Part, SeededRandom, compose, inspect,
};
use dime::signet::{FingerprintKind, Signet, issue};
use serde_json::{Value, json};

use super::{encryption, hex, signing};

/// An organization: POK, X25519 key and org signet.
pub struct Org {
    /// The domain the signet names.
    pub domain: &'static str,
    /// The POK's seed byte (the X25519 secret is the next byte).
    pub seed: u8,
    /// The primary organizational key.
    pub pok: SigningSecretKey,
    /// The org's encryption key.
    pub enc: EncryptionSecretKey,
    /// `issue::new_org_signet` of the two keys and the domain.
    pub signet: Signet,
}

/// A user: signing key, X25519 key and a user signet issued by its org's POK.
pub struct User {
    /// The address the signet names.
    pub address: &'static str,
    /// The signing seed byte (the X25519 secret is the next byte).
    pub seed: u8,
    /// The user's signing key.
    pub sign: SigningSecretKey,
    /// The user's encryption key.
    pub enc: EncryptionSecretKey,
    /// The issued user signet.
    pub signet: Signet,
}

fn org(seed: u8, domain: &'static str) -> Org {
    let pok = signing(seed);
    let enc = encryption(seed + 1);
    let public = enc.public().expect("X25519 public key");
    let signet = issue::new_org_signet(&pok, &public, domain).expect("org signet");
    Org { domain, seed, pok, enc, signet }
}

fn user(seed: u8, org: &Org, address: &'static str) -> User {
    let sign = signing(seed);
    let enc = encryption(seed + 1);
    let request = issue::new_request(&sign, &enc.public().expect("X25519 public key"), None).expect("request");
    let signet = issue::issue_user_signet(&request, None, &org.signet, &org.pok, address, &[]).expect("user signet");
    User { address, seed, sign, enc, signet }
}

/// The four parties of every message vector.
pub struct World {
    /// The author's organization.
    pub origin: Org,
    /// The recipient's organization.
    pub destination: Org,
    /// The author.
    pub author: User,
    /// The recipient.
    pub recipient: User,
}

impl World {
    /// Origin example.org (seeds 0x11/0x12), author alice@example.org (0x13/0x14), destination
    /// example.net (0x21/0x22), recipient bob@example.net (0x23/0x24).
    pub fn new() -> World {
        let origin = org(0x11, "example.org");
        let destination = org(0x21, "example.net");
        let author = user(0x13, &origin, "alice@example.org");
        let recipient = user(0x23, &destination, "bob@example.net");
        World { origin, destination, author, recipient }
    }

    fn to(&self) -> Addressing<'_> {
        Addressing {
            author: &self.author.signet,
            origin: &self.origin.signet,
            destination: &self.destination.signet,
            recipient: &self.recipient.signet,
        }
    }

    /// Composes `content` with the random source seeded with 32 bytes of `seed`.
    pub fn compose(&self, content: &Content, segment_size: usize, seed: u8) -> Vec<u8> {
        let mut options = ComposeOptions::default();
        options.segment_size = segment_size;
        compose(&self.author.sign, &self.to(), content, &options, &mut SeededRandom::new([seed; 32])).expect("compose")
    }

    /// The recipient's rotation request: signing seed 25*32, X25519 secret 26*32, custody
    /// signed with the recipient's current signing key.
    pub fn rotation_request(&self) -> Signet {
        let public = encryption(0x26).public().expect("X25519 public key");
        issue::new_request(&signing(0x25), &public, Some(&self.recipient.sign)).expect("rotation request")
    }

    /// The rotation request issued by the destination's POK after the recipient's signet.
    pub fn rotated_recipient(&self) -> Signet {
        let d = &self.destination;
        let previous = Some(&self.recipient.signet);
        issue::issue_user_signet(&self.rotation_request(), previous, &d.signet, &d.pok, self.recipient.address, &[])
            .expect("rotated signet")
    }

    /// Composes `content` the other way, from the recipient to the author (a reply), with the
    /// default segment size and the random source seeded with 32 bytes of `seed`.
    pub fn compose_reply(&self, content: &Content, seed: u8) -> Vec<u8> {
        let to = Addressing {
            author: &self.recipient.signet,
            origin: &self.destination.signet,
            destination: &self.origin.signet,
            recipient: &self.author.signet,
        };
        let rng = &mut SeededRandom::new([seed; 32]);
        compose(&self.recipient.sign, &to, content, &ComposeOptions::default(), rng).expect("compose reply")
    }

    /// The origin's relay: opens as the origin (verifying the author) and countersigns.
    pub fn countersign(&self, object: &[u8]) -> Vec<u8> {
        Envelope::origin(object, &MessageLimits::default(), &self.origin.enc)
            .and_then(|e| e.open(&self.author.signet))
            .and_then(|view| view.countersign(&self.origin.pok))
            .expect("countersign")
    }
}

/// One message vector: its inputs.
struct Case {
    name: &'static str,
    note: &'static str,
    seed: u8,
    segment_size: usize,
    tracing: Option<&'static [u8]>,
    content: Content,
}

/// Bytes `i` of a part's content: `(7i + salt) mod 256`.
fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(salt)).collect()
}

fn part(content_type: &str, file_name: Option<&str>, data: impl Into<Vec<u8>>) -> Part {
    Part::new(content_type, file_name, data).expect("valid part")
}

fn plain_headers(subject: &str) -> CommonHeaders {
    CommonHeaders {
        date: "Tue, 1 Apr 2025 10:00:00 +0000".into(),
        to: "Bob <bob@example.net>".into(),
        cc: None,
        from: "Alice <alice@example.org>".into(),
        organization: None,
        subject: subject.into(),
    }
}

/// The content of the `one-part` case, also stored and delivered by the protocol transcripts.
pub fn one_part_content() -> Content {
    Content {
        headers: CommonHeaders {
            cc: Some("Carol <carol@example.net>".into()),
            organization: Some("Example Organization".into()),
            ..plain_headers("One display part")
        },
        other_headers: b"X-Mailer: dime-rs conformance vectors\r\n".to_vec(),
        display: vec![part("text/plain; charset=utf-8", None, &b"Hello Bob,\r\nthis is one display part.\r\n"[..])],
        attachments: vec![],
    }
}

/// The random-source seed byte of the `one-part` case.
pub const ONE_PART_SEED: u8 = 0x52;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "headers-only",
            note: "required common headers only: no other headers, no display part, no attachment",
            seed: 0x51,
            segment_size: 1 << 20,
            tracing: None,
            content: Content { headers: plain_headers("Headers only"), ..Content::default() },
        },
        Case {
            name: "one-part",
            note: "CC and Organization, other headers, one display part",
            seed: ONE_PART_SEED,
            segment_size: 1 << 20,
            tracing: None,
            content: one_part_content(),
        },
        Case {
            name: "many-parts",
            note: "two display parts and two attachments; segment size 4096, so the 5000-byte attachment spans two chunks (spanning flag 0x80 on the first)",
            seed: 0x53,
            segment_size: 4096,
            tracing: None,
            content: Content {
                headers: plain_headers("Two display parts, two attachments"),
                other_headers: Vec::new(),
                display: vec![
                    part("text/plain; charset=utf-8", None, &b"Plain text alternative.\r\n"[..]),
                    part("text/html; charset=utf-8", None, &b"<p>HTML alternative.</p>\r\n"[..]),
                ],
                attachments: vec![
                    part("application/octet-stream", Some("report.bin"), pattern(5000, 3)),
                    part("text/csv", None, &b"a,b\r\n1,2\r\n"[..]),
                ],
            },
        },
        Case {
            name: "non-ascii",
            note: "UTF-8 in every common header and in an attachment's file name",
            seed: 0x54,
            segment_size: 1 << 20,
            tracing: None,
            content: Content {
                headers: CommonHeaders {
                    date: "Di, 1 Apr 2025 12:00:00 +0200".into(),
                    to: "Björk Guðmundsdóttir <bob@example.net>".into(),
                    cc: Some("Zoë Łukasiewicz <zoe@example.net>".into()),
                    from: "Jürgen Groß <alice@example.org>".into(),
                    organization: Some("Société d'Exemple".into()),
                    subject: "Grüße aus Zürich – 東京 📨".into(),
                },
                other_headers: Vec::new(),
                display: vec![part("text/plain; charset=utf-8", None, "Ça va ? Привет, мир.\r\n".as_bytes())],
                attachments: vec![part(
                    "text/plain; charset=utf-8",
                    Some("Übersicht 2025.txt"),
                    "Zeile 1\r\n".as_bytes(),
                )],
            },
        },
        Case {
            name: "tracing-prefix",
            note: "the one-part content; a hop put a tracing prefix before the object reached the origin, and every actor sees it unchanged",
            seed: 0x55,
            segment_size: 1 << 20,
            tracing: Some(b"Received: from dx.example.org; Tue, 1 Apr 2025 10:00:01 +0000\r\n"),
            content: one_part_content(),
        },
    ]
}

fn headers_json(h: &CommonHeaders) -> Value {
    json!({
        "date": h.date,
        "to": h.to,
        "cc": h.cc,
        "from": h.from,
        "organization": h.organization,
        "subject": h.subject,
    })
}

fn parts_json(parts: &[Part]) -> Value {
    parts
        .iter()
        .map(
            |p| json!({ "content_type": p.info.content_type, "file_name": p.info.file_name, "data_hex": hex(&p.data) }),
        )
        .collect()
}

/// A message content as JSON: headers, other headers and parts.
pub fn content_json(c: &Content) -> Value {
    json!({
        "headers": headers_json(&c.headers),
        "other_headers_hex": hex(&c.other_headers),
        "display": parts_json(&c.display),
        "attachments": parts_json(&c.attachments),
    })
}

fn origin_json(e: &OriginEnvelope) -> Value {
    json!({
        "author": e.author,
        "author_signet": e.author_signet.to_string(),
        "destination": e.destination,
        "destination_signet": e.destination_signet.to_string(),
    })
}

fn destination_json(e: &DestinationEnvelope) -> Value {
    json!({
        "recipient": e.recipient,
        "recipient_signet": e.recipient_signet.to_string(),
        "origin": e.origin,
        "origin_signet": e.origin_signet.to_string(),
    })
}

fn opened_json(o: &Opened) -> Value {
    json!({
        "tracing_hex": o.tracing.as_deref().map(hex),
        "origin_envelope": origin_json(&o.origin),
        "destination_envelope": destination_json(&o.destination),
        "headers": headers_json(&o.headers),
        "other_headers_hex": hex(&o.other_headers),
        "display": parts_json(&o.display),
        "attachments": parts_json(&o.attachments),
        "countersigned": o.countersigned,
    })
}

fn chunks_json(bytes: &[u8]) -> Value {
    let chunks = inspect(bytes, &MessageLimits::default()).expect("inspect");
    chunks
        .iter()
        .map(|c: &ChunkSummary| {
            json!({
                "index": c.index,
                "offset": c.offset,
                "type": c.chunk_type.byte(),
                "name": c.chunk_type.name(),
                "flags": c.flags,
                "body_len": c.body_len,
                "len": c.len,
                "keyslots": c.keyslots.iter().map(|a| a.name()).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The encrypted chunks (every chunk but the plain ephemeral one) that `actor` cannot decrypt,
/// and why.
fn unreadable(bytes: &[u8], actor: Actor, secret: &EncryptionSecretKey) -> Value {
    let envelope = Envelope::for_actor(bytes, &MessageLimits::default(), actor, secret).expect("envelope");
    envelope
        .message()
        .chunks()
        .iter()
        .skip(1)
        .filter_map(|c| {
            let reason = match envelope.decrypt(c.index) {
                Ok(_) => return None,
                Err(MessageError::NotVisible { .. }) => "no keyslot".to_string(),
                Err(MessageError::NotCountersigned) => "empty: not countersigned yet".to_string(),
                Err(other) => other.to_string(),
            };
            Some(json!({ "index": c.index, "type": c.chunk_type().byte(), "reason": reason }))
        })
        .collect()
}

fn case_json(world: &World, case: &Case) -> Value {
    let composed = world.compose(&case.content, case.segment_size, case.seed);
    let object = match case.tracing {
        Some(tracing) => Message::parse(&composed, &MessageLimits::default())
            .and_then(|m| m.with_tracing(Some(tracing)))
            .expect("tracing prefix"),
        None => composed,
    };
    let countersigned = world.countersign(&object);
    let limits = MessageLimits::default();
    let (a, o, d, r) = (&world.author, &world.origin, &world.destination, &world.recipient);
    let author = Envelope::author(&countersigned, &limits, &a.enc)
        .and_then(|e| e.open(&a.signet, Some(&o.signet)))
        .expect("author view");
    let origin = Envelope::origin(&object, &limits, &o.enc).and_then(|e| e.open(&a.signet)).expect("origin");
    let destination = Envelope::destination(&countersigned, &limits, &d.enc)
        .and_then(|e| e.open(&o.signet))
        .expect("destination view");
    let recipient = Envelope::recipient(&countersigned, &limits, &r.enc)
        .and_then(|e| e.open(&r.signet, &a.signet, &o.signet))
        .expect("recipient view");
    let mut author_view = opened_json(&author);
    author_view["opens"] = "countersigned".into();
    author_view["verifies_with"] = json!(["author", "origin"]);
    author_view["cannot_open"] = unreadable(&countersigned, Actor::Author, &a.enc);
    let mut recipient_view = opened_json(&recipient);
    recipient_view["opens"] = "countersigned".into();
    recipient_view["verifies_with"] = json!(["author", "origin"]);
    recipient_view["cannot_open"] = unreadable(&countersigned, Actor::Recipient, &r.enc);
    json!({
        "name": case.name,
        "note": case.note,
        "random_seed_hex": hex(&[case.seed; 32]),
        "segment_size": case.segment_size,
        "tracing_hex": case.tracing.map(hex),
        "content": content_json(&case.content),
        "object_hex": hex(&object),
        "object_chunks": chunks_json(&object),
        "countersigned_hex": hex(&countersigned),
        "countersigned_chunks": chunks_json(&countersigned),
        "views": {
            "author": author_view,
            "origin": {
                "opens": "object",
                "verifies_with": ["author"],
                "tracing_hex": origin.tracing().map(hex),
                "origin_envelope": origin_json(&origin.envelope),
                "cannot_open": unreadable(&object, Actor::Origin, &o.enc),
            },
            "destination": {
                "opens": "countersigned",
                "verifies_with": ["origin"],
                "tracing_hex": destination.tracing.as_deref().map(hex),
                "destination_envelope": destination_json(&destination.envelope),
                "cannot_open": unreadable(&countersigned, Actor::Destination, &d.enc),
            },
            "recipient": recipient_view,
        },
    })
}

fn org_json(org: &Org) -> Value {
    json!({
        "domain": org.domain,
        "pok_seed_hex": hex(&[org.seed; 32]),
        "x25519_secret_hex": hex(&[org.seed + 1; 32]),
        "signet_hex": hex(org.signet.as_bytes()),
        "crypto_fingerprint": org.signet.fingerprint(FingerprintKind::Crypto).map(|f| f.to_string()),
    })
}

fn user_json(user: &User, issuer: &str) -> Value {
    json!({
        "address": user.address,
        "issued_by": issuer,
        "signing_seed_hex": hex(&[user.seed; 32]),
        "x25519_secret_hex": hex(&[user.seed + 1; 32]),
        "signet_hex": hex(user.signet.as_bytes()),
        "crypto_fingerprint": user.signet.fingerprint(FingerprintKind::Crypto).map(|f| f.to_string()),
    })
}

/// The `messages.json` vector set.
pub fn vectors() -> Value {
    let world = World::new();
    json!({
        "description": "Message objects (docs/message-format.md) composed by the author with SeededRandom (see random_source) for the four parties, the object the origin countersigned, the chunk layout of both, and what each actor opens: its envelope fields, headers and parts, and the encrypted chunks it cannot decrypt",
        "random_source": "SeededRandom(seed): a byte stream whose block i (i = 0, 1, 2, ...) is SHA-512(seed || u64 big-endian i); bytes are taken in order across calls, none skipped. The composer draws 32 bytes for each of, in order: every content chunk key (common headers, other headers, each display then attachment segment), the ephemeral X25519 secret, the origin and destination chunk keys, the tree key, the three origin-signature placeholder keys, the author-full key. Countersigning draws nothing.",
        "parties": {
            "origin": org_json(&world.origin),
            "author": user_json(&world.author, "origin POK"),
            "destination": org_json(&world.destination),
            "recipient": user_json(&world.recipient, "destination POK"),
        },
        "cases": cases().iter().map(|c| case_json(&world, c)).collect::<Vec<_>>(),
    })
}
