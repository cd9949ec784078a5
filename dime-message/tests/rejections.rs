//! Every rejection path of the parser and the composer, with its exact error.

mod common;

use common::*;
use dime_core::keys::{EncryptionPublicKey, EncryptionSecretKey};
use dime_message::chunk::ChunkType;
use dime_message::*;
use dime_signet::issue;

fn sample(world: &World) -> Vec<u8> {
    world.relay(&world.compose(&content(2, 1, 50), 1))
}

fn offset(object: &[u8], index: usize) -> usize {
    inspect(object, &MessageLimits::default()).unwrap()[index].offset
}

fn parse(object: &[u8]) -> MessageError {
    Message::parse(object, &MessageLimits::default()).unwrap_err()
}

fn with_flags(object: &[u8], index: usize, flags: u8) -> Vec<u8> {
    let mut bad = object.to_vec();
    bad[offset(object, index) + 1] = flags;
    bad
}

#[test]
fn unsupported_flags_have_exact_errors() {
    let world = World::new();
    let object = sample(&world);
    assert_eq!(parse(&with_flags(&object, 3, 0x04)), MessageError::CompressionUnsupported { index: 3 });
    assert_eq!(parse(&with_flags(&object, 3, 0x02)), MessageError::AlternateEncryptionUnsupported { index: 3 });
    assert_eq!(parse(&with_flags(&object, 3, 0x01)), MessageError::BadFlags { index: 3, flags: 0x01 });
    assert_eq!(parse(&with_flags(&object, 3, 0x80)), MessageError::BadFlags { index: 3, flags: 0x80 });
    assert_eq!(parse(&with_flags(&object, 5, 0x40)), MessageError::BadFlags { index: 5, flags: 0x40 });
    assert_eq!(parse(&with_flags(&object, 0, 0x80)), MessageError::BadFlags { index: 0, flags: 0x80 });
    // Spanning on a part that is followed by something else.
    assert_eq!(parse(&with_flags(&object, 6, 0x80)), MessageError::UnterminatedSpan { index: 7, chunk_type: 67 });
    // The flags byte is associated data: a flag change that parses still fails to decrypt.
    let last_display = with_flags(&object, 5, 0x80);
    assert_eq!(world.open_recipient(&last_display).unwrap_err(), MessageError::DigestMismatch { index: 5 });
}

#[test]
fn unknown_chunk_types_are_rejected() {
    let world = World::new();
    let object = sample(&world);
    for t in [0u8, 1, 3, 32, 48, 65, 66, 129, 130, 224, 254] {
        let mut bad = object.clone();
        bad[offset(&object, 3)] = t;
        assert_eq!(parse(&bad), MessageError::UnknownChunkType { index: 3, chunk_type: t }, "type {t}");
    }
}

#[test]
fn oversized_lengths_are_rejected_before_reading() {
    let world = World::new();
    let object = sample(&world);
    let limits = MessageLimits::default();
    let mut bad = object.clone();
    let at = offset(&object, 3);
    bad[at + 2..at + 6].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(
        parse(&bad),
        MessageError::TooLarge { what: "chunk body", size: u64::from(u32::MAX), limit: limits.max_chunk_body as u64 }
    );
    let mut traced = vec![0x07, 0x2d];
    traced.extend_from_slice(&70_000u32.to_be_bytes());
    traced.extend_from_slice(&object);
    assert_eq!(parse(&traced), MessageError::TooLarge { what: "tracing prefix", size: 70_000, limit: 65_536 });
    let tight = |tighten: fn(&mut MessageLimits)| {
        let mut tight = limits;
        tighten(&mut tight);
        Message::parse(&object, &tight).unwrap_err()
    };
    assert_eq!(
        tight(|l| l.max_object = 100),
        MessageError::TooLarge { what: "object", size: object.len() as u64, limit: 100 }
    );
    assert_eq!(tight(|l| l.max_chunks = 5), MessageError::TooLarge { what: "chunk count", size: 6, limit: 5 });
    assert_eq!(tight(|l| l.max_parts = 2), MessageError::TooLarge { what: "part count", size: 3, limit: 2 });
    let origin_body = inspect(&object, &limits).unwrap()[1].body_len as u64;
    assert_eq!(
        tight(|l| l.max_chunk_body = 100),
        MessageError::TooLarge { what: "chunk body", size: origin_body, limit: 100 }
    );
}

#[test]
fn framing_errors() {
    let world = World::new();
    let object = sample(&world);
    let mut bad = object.clone();
    bad[..2].copy_from_slice(&1776u16.to_be_bytes());
    assert_eq!(parse(&bad), MessageError::NotAMessage { found: 1776 });
    let mut double = vec![0x07, 0x2d, 0, 0, 0, 0, 0x07, 0x2d, 0, 0, 0, 0];
    double.extend_from_slice(&object);
    assert_eq!(parse(&double), MessageError::DoubleTracing);
    let mut long = object.clone();
    long.push(0);
    assert_eq!(parse(&long), MessageError::LengthMismatch { declared: object.len() - 6, available: object.len() - 5 });
    assert_eq!(parse(&object[..5]), MessageError::Truncated { what: "message header", available: 5, needed: 6 });
}

#[test]
fn body_lengths_are_checked_per_type() {
    let world = World::new();
    let object = sample(&world);
    let cases =
        [(0usize, 2u8, 32u32), (3, 33, 51), (object_tree(&object), 225, 200), (object_tree(&object) + 1, 226, 111)];
    for (index, t, len) in cases {
        let mut bad = object.clone();
        let at = offset(&object, index);
        bad[at + 2..at + 6].copy_from_slice(&len.to_be_bytes());
        assert_eq!(parse(&bad), MessageError::BadBodyLength { index, chunk_type: t, len: len as usize });
    }
}

fn object_tree(object: &[u8]) -> usize {
    inspect(object, &MessageLimits::default()).unwrap().iter().position(|c| c.chunk_type == ChunkType::Tree).unwrap()
}

#[test]
fn ephemeral_keys_of_other_suites() {
    let world = World::new();
    let object = sample(&world);
    let mut scalar = [0u8; 32];
    scalar[31] = 0x45;
    let secp = EncryptionSecretKey::decode(&scalar).unwrap().public().unwrap().encode();
    // The body is `suite ‖ 0x40 ‖ E` at offset 12.
    assert_eq!(object[12..14], [2, 0x40]);
    let mut other_suite = object.clone();
    other_suite[12] = 3;
    let err = Envelope::recipient(&other_suite, &MessageLimits::default(), &world.recipient.enc).unwrap_err();
    assert_eq!(err, MessageError::UnsupportedFormat("the ephemeral chunk names a suite other than 2"));
    assert_eq!(err.to_string(), "unsupported message format: the ephemeral chunk names a suite other than 2");
    let mut bad = object.clone();
    bad[13..46].copy_from_slice(&secp);
    let err = Envelope::recipient(&bad, &MessageLimits::default(), &world.recipient.enc).unwrap_err();
    assert_eq!(err, MessageError::UnsupportedAlgorithm("secp256k1 ephemeral key"));
    bad[13] = 0x05;
    let err = Envelope::recipient(&bad, &MessageLimits::default(), &world.recipient.enc).unwrap_err();
    assert_eq!(err, MessageError::BadEphemeral);
    // A 33-byte ephemeral chunk (no suite byte) is the suite 1 draft or libdime: unsupported format.
    let mut draft = object.clone();
    draft[8..12].copy_from_slice(&33u32.to_be_bytes());
    assert_eq!(parse(&draft), MessageError::UnsupportedFormat(dime_message::wire::SUITE1_OBJECT));
    // A low-order X25519 point gives an all-zero secret.
    let mut low = object.clone();
    low[14..46].fill(0);
    let err = Envelope::recipient(&low, &MessageLimits::default(), &world.recipient.enc).unwrap_err();
    assert_eq!(err, MessageError::Core(dime_core::Error::WeakSharedSecret));
}

#[test]
fn composing_to_a_secp256k1_signet_is_unsupported() {
    let world = World::new();
    let mut scalar = [0u8; 32];
    scalar[31] = 0x45;
    let secp = EncryptionSecretKey::decode(&scalar).unwrap().public().unwrap();
    assert!(matches!(secp, EncryptionPublicKey::Secp256k1(_)));
    let request = issue::new_request(&world.recipient.sign, &secp, None).unwrap();
    let legacy = issue::issue_user_signet(
        &request,
        None,
        &world.destination.signet,
        &world.destination.pok,
        "old@lavabit.com",
        &[],
    )
    .unwrap();
    let to = Addressing { recipient: &legacy, ..world.to() };
    let err =
        compose(&world.author.sign, &to, &content(1, 0, 1), &ComposeOptions::default(), &mut OsRandom).unwrap_err();
    assert_eq!(err, MessageError::UnsupportedAlgorithm("secp256k1 encryption keys"));
}

#[test]
fn composer_input_errors() {
    let world = World::new();
    let c = content(1, 0, 1);
    let err = compose(&world.recipient.sign, &world.to(), &c, &ComposeOptions::default(), &mut OsRandom).unwrap_err();
    assert_eq!(err, MessageError::AuthorKeyMismatch);
    let request = issue::new_request(&world.recipient.sign, &world.recipient.enc.public().unwrap(), None).unwrap();
    let to = Addressing { recipient: &request, ..world.to() };
    let err = compose(&world.author.sign, &to, &c, &ComposeOptions::default(), &mut OsRandom).unwrap_err();
    assert_eq!(err, MessageError::SignetIncomplete { role: Actor::Recipient, what: "identifier" });
    let err = compose(&world.author.sign, &world.to(), &c, &segments(100), &mut OsRandom).unwrap_err();
    assert_eq!(err, MessageError::Input("segment size must be 4 KiB to 16 MiB"));
    let mut bad = c.clone();
    bad.headers.subject = "two\r\nlines".into();
    let err = compose(&world.author.sign, &world.to(), &bad, &ComposeOptions::default(), &mut OsRandom).unwrap_err();
    assert_eq!(err, MessageError::BadText { what: "common headers", problem: "control character in a value" });
    assert_eq!(
        Part::new("", None, vec![]).unwrap_err(),
        MessageError::BadPart("content type is not 1 to 255 printable ASCII bytes")
    );
    assert_eq!(
        Part::new("text/plain", Some("a\nb"), vec![]).unwrap_err(),
        MessageError::BadPart("file name is not 1 to 1024 bytes without control characters")
    );
}

#[test]
fn missing_and_mixed_signature_chunks() {
    let world = World::new();
    let unsigned = world.compose(&content(1, 0, 1), 1);
    let relayed = world.relay(&unsigned);
    let layout = inspect(&relayed, &MessageLimits::default()).unwrap();
    let tree = layout.iter().find(|c| c.chunk_type == ChunkType::Tree).unwrap();
    let cut = |object: &[u8], end: usize| {
        let mut out = vec![0x07, 0x37];
        out.extend_from_slice(&((end - 6) as u32).to_be_bytes());
        out.extend_from_slice(&object[6..end]);
        out
    };
    assert_eq!(
        parse(&cut(&relayed, tree.offset + tree.len)),
        MessageError::MissingChunk { expected: "author full signature" }
    );
    assert_eq!(
        parse(&cut(&relayed, tree.offset)),
        MessageError::MissingChunk { expected: "display, attachment or tree" }
    );
    // 248 sealed, 249 and 255 placeholders.
    let meta = layout.iter().find(|c| c.chunk_type == ChunkType::OriginMetaBounce).unwrap();
    let ulayout = inspect(&unsigned, &MessageLimits::default()).unwrap();
    let umeta = ulayout.iter().find(|c| c.chunk_type == ChunkType::OriginMetaBounce).unwrap();
    let mut mixed = unsigned[6..umeta.offset].to_vec();
    mixed.extend_from_slice(&relayed[meta.offset..meta.offset + meta.len]);
    mixed.extend_from_slice(&unsigned[umeta.offset + umeta.len..]);
    let mut object = vec![0x07, 0x37];
    object.extend_from_slice(&(mixed.len() as u32).to_be_bytes());
    object.extend_from_slice(&mixed);
    assert_eq!(parse(&object), MessageError::MixedCountersignature);
}

/// §8: the recipient the author wrote must be in the destination domain it wrote. Before the
/// cross-check, a recipient was shown whatever name the author put in the destination chunk.
#[test]
fn a_recipient_outside_the_destination_domain_is_refused() {
    let world = World::new();
    // A user signet whose identifier is in another domain than its issuing destination org.
    let stranger = user(9, &world.destination, "mallory@example.com");
    let to = Addressing { recipient: &stranger.signet, ..world.to() };
    let object = compose(
        &world.author.sign,
        &to,
        &content(1, 0, 10),
        &ComposeOptions::default(),
        &mut SeededRandom::new([7; 32]),
    )
    .unwrap();
    let expected =
        MessageError::EnvelopeMismatch { recipient: "mallory@example.com".into(), destination: "lavabit.com".into() };
    assert_eq!(
        expected.to_string(),
        "the recipient address mallory@example.com is not in the destination domain lavabit.com"
    );
    let limits = MessageLimits::default();
    let author = Envelope::author(&object, &limits, &world.author.enc).unwrap();
    assert_eq!(author.open(&world.author.signet, None).unwrap_err(), expected);
    let relayed = world.relay(&object);
    let recipient = Envelope::recipient(&relayed, &limits, &stranger.enc).unwrap();
    assert_eq!(recipient.open(&stranger.signet, &world.author.signet, &world.origin.signet).unwrap_err(), expected);
    // Domains compare ASCII case-insensitively.
    let shouting = user(10, &world.destination, "ryan@LAVABIT.COM");
    let to = Addressing { recipient: &shouting.signet, ..world.to() };
    let object = compose(
        &world.author.sign,
        &to,
        &content(1, 0, 10),
        &ComposeOptions::default(),
        &mut SeededRandom::new([7; 32]),
    )
    .unwrap();
    let author = Envelope::author(&object, &limits, &world.author.enc).unwrap();
    assert!(author.open(&world.author.signet, None).is_ok());
}

/// §8, second cross-check: the recipient address must be the identifier of the signet the
/// object was encrypted to. An author who edits the identifier of the recipient's signet keeps
/// its crypto fingerprint and keys; before the check, the recipient opened the object and was
/// shown the other name.
#[test]
fn a_recipient_named_other_than_its_own_signet_is_refused() {
    let world = World::new();
    // The recipient's keys under another identifier: the crypto fingerprint is the same.
    let renamed = user(4, &world.destination, "carol@lavabit.com");
    assert_eq!(
        renamed.signet.fingerprint(dime_signet::FingerprintKind::Crypto),
        world.recipient.signet.fingerprint(dime_signet::FingerprintKind::Crypto)
    );
    let to = Addressing { recipient: &renamed.signet, ..world.to() };
    let object = world.relay(
        &compose(
            &world.author.sign,
            &to,
            &content(1, 0, 10),
            &ComposeOptions::default(),
            &mut SeededRandom::new([7; 32]),
        )
        .unwrap(),
    );
    let expected =
        MessageError::RecipientMismatch { named: "carol@lavabit.com".into(), signet: "ryan@lavabit.com".into() };
    assert_eq!(
        expected.to_string(),
        "the message names recipient carol@lavabit.com, but it was encrypted to the signet of ryan@lavabit.com"
    );
    assert_eq!(world.open_recipient(&object).unwrap_err(), expected);
    // A signet other than the one the destination chunk names: its fingerprint differs.
    let other = user(11, &world.destination, "ryan@lavabit.com");
    let envelope = Envelope::recipient(&object, &MessageLimits::default(), &world.recipient.enc).unwrap();
    assert_eq!(
        envelope.open(&other.signet, &world.author.signet, &world.origin.signet).unwrap_err(),
        MessageError::SignetMismatch { role: Actor::Recipient }
    );
    // Addressed as itself, the recipient opens it.
    let object = world.relay(&world.compose(&content(1, 0, 10), 7));
    assert!(world.open_recipient(&object).is_ok());
}
