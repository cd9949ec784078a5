//! Deterministic test vectors, and an independent reading of `docs/message-format.md` that
//! opens them with the primitives alone (no code of this crate on the reading side).
//!
//! Run with `DIME_WRITE_VECTORS=1` to rewrite `testdata/message/suite2_vectors.json` after a
//! deliberate format change.

mod common;

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit, Tag};
use common::*;
use dime_message::*;
use hkdf::Hkdf;
use sha2::Sha512;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/message/suite2_vectors.json");
const LIBDIME: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/message/libdime_check_inputs.json");

/// The libdime check_dmsg inputs, with the project's fixed keys and seed.
fn libdime_content() -> Content {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(LIBDIME).unwrap()).unwrap();
    let flow = &json["check_dmsg_message_encryption_and_decryption"];
    let h = &flow["common_headers"];
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    Content {
        headers: CommonHeaders {
            date: s(&h["Date"]),
            to: s(&h["To"]),
            cc: None,
            from: s(&h["From"]),
            organization: Some(s(&h["Organization"])),
            subject: s(&h["Subject"]),
        },
        other_headers: s(&flow["other_headers"]).into_bytes(),
        display: vec![Part::new("text/plain", None, s(&flow["display"]).into_bytes()).unwrap()],
        attachments: vec![],
    }
}

#[test]
fn common_headers_match_libdime_bytes() {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(LIBDIME).unwrap()).unwrap();
    let expected = json["check_dmsg_message_encryption_and_decryption"]["expected_common_chunk_data"].as_str().unwrap();
    assert_eq!(libdime_content().headers.encode().unwrap(), expected.as_bytes());
    let p = &json["check_parser_header"];
    let i = &p["input"];
    let s = |k: &str| i[k].as_str().unwrap().to_owned();
    let headers = CommonHeaders {
        date: s("Date"),
        to: s("To"),
        cc: Some(s("CC")),
        from: s("From"),
        organization: Some(s("Organization")),
        subject: s("Subject"),
    };
    assert_eq!(headers.encode().unwrap(), p["expected_bytes"].as_str().unwrap().as_bytes());
    assert_eq!(CommonHeaders::decode(p["expected_bytes"].as_str().unwrap().as_bytes()).unwrap(), headers);
}

fn vectors() -> (Vec<u8>, Vec<u8>) {
    let world = World::new();
    let unsigned = world.compose(&libdime_content(), 0x5e);
    let relayed = world.relay(&unsigned);
    (unsigned, relayed)
}

#[test]
fn objects_match_the_stored_vectors() {
    let (unsigned, relayed) = vectors();
    if std::env::var_os("DIME_WRITE_VECTORS").is_some() {
        let json = serde_json::json!({
            "_about": "dime-rs message suite 2 (docs/message-format.md, decision D7: BLAKE3-256 chunk digests). Keys: Ed25519 seeds and X25519 secrets are 32 repeated bytes: origin org POK 0x01 / encryption 0x65, destination org 0x02 / 0x66, author 0x03 / 0x67, recipient 0x04 / 0x68; signets issued with dime-signet (org identifiers darkmail.info and lavabit.com, users ivan@darkmail.info and ryan@lavabit.com). Content: the libdime check_dmsg inputs (libdime_check_inputs.json), display part content type text/plain. Randomness: SeededRandom with 32 bytes of 0x5e (block i = SHA-512(seed || u64 i)), consumed in this order: common, other, display chunk keys, ephemeral secret, origin and destination chunk keys, tree key, the three placeholder keys, the author-full key.",
            "unsigned_hex": hex::encode(&unsigned),
            "relayed_hex": hex::encode(&relayed),
        });
        std::fs::write(VECTORS, serde_json::to_string_pretty(&json).unwrap() + "\n").unwrap();
    }
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    assert_eq!(hex::encode(&unsigned), stored["unsigned_hex"].as_str().unwrap());
    assert_eq!(hex::encode(&relayed), stored["relayed_hex"].as_str().unwrap());
}

/// An object of the suite 1 draft (SHA-512 digests) is refused as an unsupported format by every
/// reader, in memory and streamed, before any key is used.
#[test]
fn an_object_of_the_suite_1_draft_is_refused() {
    const DRAFT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/message/suite1_draft.json");
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(DRAFT).unwrap()).unwrap();
    let object = hex::decode(stored["relayed_hex"].as_str().unwrap()).unwrap();
    let expected = MessageError::UnsupportedFormat(dime_message::wire::SUITE1_OBJECT);
    assert_eq!(
        expected.to_string(),
        "unsupported message format: 33-byte ephemeral chunk without a suite byte (the suite 1 draft with SHA-512 digests, or libdime); this reader reads suite 2"
    );
    let limits = MessageLimits::default();
    assert_eq!(Message::parse(&object, &limits).unwrap_err(), expected);
    assert_eq!(inspect(&object, &limits).unwrap_err(), expected);
    let world = World::new();
    assert_eq!(Envelope::recipient(&object, &limits, &world.recipient.enc).unwrap_err(), expected);
    let mut verifier = DestinationVerifier::new(&limits);
    assert_eq!(verifier.feed(&object).unwrap_err(), expected);
}

// ---- An independent reader, written from the document only. ----

fn slots_for(t: u8) -> usize {
    match t {
        2 => 0,
        33 | 34 | 67 | 131 => 2,
        4 | 5 | 225 | 226 => 3,
        248 | 249 | 255 => 4,
        _ => panic!("type {t}"),
    }
}

struct Chunk<'a> {
    t: u8,
    header: &'a [u8],
    body: &'a [u8],
    slots: &'a [u8],
}

fn chunks(object: &[u8]) -> Vec<Chunk<'_>> {
    assert_eq!(&object[..2], &[0x07, 0x37]);
    assert_eq!(u32::from_be_bytes(object[2..6].try_into().unwrap()) as usize, object.len() - 6);
    let mut at = 6;
    let mut out = Vec::new();
    while at < object.len() {
        let t = object[at];
        let b = u32::from_be_bytes(object[at + 2..at + 6].try_into().unwrap()) as usize;
        let end = at + 6 + b + 48 * slots_for(t);
        out.push(Chunk {
            t,
            header: &object[at..at + 6],
            body: &object[at + 6..at + 6 + b],
            slots: &object[at + 6 + b..end],
        });
        at = end;
    }
    out
}

fn hkdf(ikm: &[u8], info: &[u8], out: &mut [u8]) {
    Hkdf::<Sha512>::new(None, ikm).expand(info, out).unwrap();
}

fn gcm_open(key: &[u8], nonce: [u8; 12], ad: &[u8], sealed: &[u8]) -> Vec<u8> {
    let (ct, tag) = sealed.split_at(sealed.len() - 16);
    let mut buf = ct.to_vec();
    Aes256Gcm::new_from_slice(key)
        .unwrap()
        .decrypt_inout_detached(&nonce.into(), ad, buf.as_mut_slice().into(), &Tag::try_from(tag).unwrap())
        .unwrap();
    buf
}

/// Opens chunk `index` for actor byte `actor` at keyslot position `slot`.
fn open_chunk(kek: &[u8; 32], c: &Chunk<'_>, index: u32, actor: u8, slot: usize) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&index.to_be_bytes());
    nonce[4] = c.t;
    nonce[5] = actor;
    let key = gcm_open(kek, nonce, b"", &c.slots[slot * 48..slot * 48 + 48]);
    let mut okm = [0u8; 64];
    hkdf(&key, b"dime-rs/2 chunk", &mut okm);
    assert_eq!(&c.body[..32], &okm[32..], "commitment");
    gcm_open(&okm[..32], [0; 12], c.header, &c.body[32..])
}

fn list(label: &[u8], entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = label.to_vec();
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for (d, s) in entries {
        out.extend_from_slice(d);
        out.extend_from_slice(s);
    }
    out
}

#[test]
fn an_independent_reader_opens_the_vector_as_recipient() {
    let world = World::new();
    let (_, relayed) = vectors();
    let cs = chunks(&relayed);
    let types: Vec<u8> = cs.iter().map(|c| c.t).collect();
    assert_eq!(types, [2, 4, 5, 33, 34, 67, 225, 226, 248, 249, 255]);
    // §4: the recipient's KEK.
    let e: [u8; 32] = cs[0].body[2..].try_into().unwrap();
    assert_eq!(cs[0].body[..2], [2, 0x40]);
    let p = x25519_dalek::x25519([0x68; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
    let shared = x25519_dalek::x25519([0x68; 32], e);
    let mut info = b"dime-rs/2 kek".to_vec();
    info.push(4);
    info.extend_from_slice(&e);
    info.extend_from_slice(&p);
    let mut kek = [0u8; 32];
    hkdf(&shared, &info, &mut kek);
    // §3, §6.2: the common headers are libdime's bytes.
    let plain = open_chunk(&kek, &cs[3], 3, 4, 1);
    let n = u32::from_be_bytes(plain[..4].try_into().unwrap()) as usize;
    assert_eq!(&plain[4..4 + n], libdime_content().headers.encode().unwrap().as_slice());
    assert!(plain[4 + n..].iter().all(|b| *b == 0));
    assert_eq!(plain.len(), 256);
    // §6.4: the display part's descriptor and content.
    let plain = open_chunk(&kek, &cs[5], 5, 4, 1);
    let n = u32::from_be_bytes(plain[..4].try_into().unwrap()) as usize;
    let data = &plain[4..4 + n];
    assert_eq!(data[0] as usize, "text/plain".len());
    assert_eq!(&data[1..11], b"text/plain");
    assert_eq!(&data[11..13], &[0, 0]);
    assert_eq!(&data[13..], libdime_content().display[0].data.as_slice());
    // §5: the digest list and the tree signature.
    let entries: Vec<(Vec<u8>, Vec<u8>)> = cs
        .iter()
        .map(|c| {
            let mut sealed = c.header.to_vec();
            sealed.extend_from_slice(c.body);
            (blake3::hash(&sealed).as_bytes().to_vec(), blake3::hash(c.slots).as_bytes().to_vec())
        })
        .collect();
    let tree = open_chunk(&kek, &cs[6], 6, 4, 2);
    assert_eq!(&tree[..4], &6u32.to_be_bytes());
    assert_eq!(tree[4..4 + 6 * 64].to_vec(), list(b"", &entries[..6])[4..].to_vec());
    let author = ed25519_dalek::VerifyingKey::from_bytes(world.author.sign.public().as_bytes()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&tree[4 + 6 * 64..]).unwrap();
    author.verify_strict(&list(b"dime-rs/2 tree", &entries[..6]), &sig).unwrap();
    // The author's full signature.
    let mut input = b"dime-rs/2 author-full".to_vec();
    input.extend_from_slice(&entries[6].0);
    for i in [6, 7, 8, 9, 10] {
        input.extend_from_slice(&entries[i].1);
    }
    let sig = ed25519_dalek::Signature::from_slice(&open_chunk(&kek, &cs[7], 7, 4, 2)).unwrap();
    author.verify_strict(&input, &sig).unwrap();
    // §7: the origin's three signatures.
    let pok = ed25519_dalek::VerifyingKey::from_bytes(world.origin.pok.public().as_bytes()).unwrap();
    for (i, label, covered) in [
        (8usize, &b"dime-rs/2 origin-meta-bounce"[..], 5usize),
        (9, b"dime-rs/2 origin-display-bounce", 6),
        (10, b"dime-rs/2 origin-full", 10),
    ] {
        let mut input = list(label, &entries[..covered]);
        if i == 10 {
            input.extend_from_slice(&entries[10].1);
        }
        let sig = ed25519_dalek::Signature::from_slice(&open_chunk(&kek, &cs[i], i as u32, 4, 3)).unwrap();
        pok.verify_strict(&input, &sig).unwrap();
    }
}
