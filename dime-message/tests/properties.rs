//! Property tests: every codec round-trips, padding keeps its promises, and no input makes the
//! parser or the stream reader panic.

mod common;

use common::*;
use dime_message::chunk::{ChunkHeader, ChunkType, HEADER_LEN};
use dime_message::crypto::ChunkKey;
use dime_message::segment::{open_standard, padme, plaintext_len, seal_standard};
use dime_message::wire::read_header;
use dime_message::*;
use proptest::prelude::*;

fn chunk_type() -> impl Strategy<Value = ChunkType> {
    prop::sample::select(ChunkType::ALL.to_vec())
}

fn address() -> impl Strategy<Value = String> {
    "[!-;=?-~]{1,60}"
}

fn fingerprint() -> impl Strategy<Value = dime_core::Fingerprint> {
    prop::array::uniform32(any::<u8>()).prop_map(|a| dime_core::Fingerprint::of(&a))
}

fn value() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{0,40}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunk_header_round_trip(t in chunk_type(), flags: u8, body_len: u32) {
        let header = ChunkHeader { chunk_type: t, flags, body_len };
        let bytes = header.encode();
        prop_assert_eq!(bytes.len(), HEADER_LEN);
        prop_assert_eq!(read_header(0, &bytes).unwrap(), header);
    }

    #[test]
    fn padme_bounds(len in 2usize..(1 << 30)) {
        let p = padme(len);
        prop_assert!(p >= len);
        prop_assert!((p - len) as f64 <= len as f64 * 0.125);
        prop_assert_eq!(padme(p), p);
        prop_assert!(padme(len + 1) >= p);
    }

    #[test]
    fn padded_plaintexts_are_at_least_256(data_len in 0usize..100_000) {
        prop_assert!(plaintext_len(data_len, true) >= 256);
        prop_assert!(plaintext_len(data_len, true) >= data_len + 4);
        prop_assert_eq!(plaintext_len(data_len, false), data_len + 4);
    }

    #[test]
    fn standard_chunk_round_trip(
        data in prop::collection::vec(any::<u8>(), 0..2000),
        split in 0usize..2000,
        spanning: bool,
        key in prop::array::uniform32(any::<u8>()),
    ) {
        let key = ChunkKey::generate(&mut SeededRandom::new(key)).unwrap();
        let (a, b) = data.split_at(split.min(data.len()));
        let mut out = Vec::new();
        seal_standard(&mut out, ChunkType::Attachment, spanning, &key, &[a, b]).unwrap();
        let header = read_header(0, &out[..HEADER_LEN]).unwrap();
        prop_assert_eq!(header.spanning(), spanning);
        prop_assert_eq!(header.body_len as usize, out.len() - HEADER_LEN);
        let plain = key.open(0, &out[..HEADER_LEN], &out[HEADER_LEN..]).unwrap();
        prop_assert_eq!(open_standard(0, &plain).unwrap(), &data[..]);
        // The header is associated data: any change to it is refused.
        let mut header_bytes = out[..HEADER_LEN].to_vec();
        header_bytes[1] ^= 0x80;
        prop_assert_eq!(
            key.open(0, &header_bytes, &out[HEADER_LEN..]).unwrap_err(),
            MessageError::Decrypt { index: 0 }
        );
    }

    #[test]
    fn envelopes_round_trip(a in address(), b in address(), fa in fingerprint(), fb in fingerprint()) {
        let origin = OriginEnvelope {
            author: a.clone(), author_signet: fa, destination: b.clone(), destination_signet: fb,
        };
        prop_assert_eq!(OriginEnvelope::decode(&origin.encode().unwrap()).unwrap(), origin);
        let destination = DestinationEnvelope {
            recipient: a, recipient_signet: fa, origin: b, origin_signet: fb,
        };
        let bytes = destination.encode().unwrap();
        prop_assert_eq!(DestinationEnvelope::decode(&bytes).unwrap(), destination);
        prop_assert!(OriginEnvelope::decode(&bytes).is_err());
    }

    #[test]
    fn common_headers_round_trip(
        date in value(), to in value(), cc in prop::option::of(value()),
        from in value(), organization in prop::option::of(value()), subject in value(),
    ) {
        let h = CommonHeaders { date, to, cc, from, organization, subject };
        prop_assert_eq!(CommonHeaders::decode(&h.encode().unwrap()).unwrap(), h);
    }

    #[test]
    fn part_descriptor_round_trip(
        ct in "[ -~]{1,100}",
        name in prop::option::of("[^\\p{Cc}]{1,50}"),
        rest in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let info = PartInfo::new(&ct, name.as_deref()).unwrap();
        let mut bytes = info.encode().unwrap();
        bytes.extend_from_slice(&rest);
        let (decoded, content) = PartInfo::decode(&bytes).unwrap();
        prop_assert_eq!(decoded, info);
        prop_assert_eq!(content, &rest[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Message::parse(&bytes, &MessageLimits::default());
        let mut with_magic = vec![0x07, 0x37];
        with_magic.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        with_magic.extend_from_slice(&bytes);
        let _ = Message::parse(&with_magic, &MessageLimits::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn object_round_trip_with_tracing(
        display in 0usize..3,
        attachments in 0usize..3,
        size in 0usize..6000,
        tracing in prop::option::of(prop::collection::vec(any::<u8>(), 0..100)),
        seed: u8,
    ) {
        let world = World::new();
        let c = content(display, attachments, size);
        let object = world.compose_with(&c, &segments(4096), seed);
        let parsed = Message::parse(&object, &MessageLimits::default()).unwrap();
        let traced = parsed.with_tracing(tracing.as_deref()).unwrap();
        let reparsed = Message::parse(&traced, &MessageLimits::default()).unwrap();
        prop_assert_eq!(reparsed.tracing(), tracing.as_deref());
        prop_assert_eq!(reparsed.chunk_bytes(), parsed.chunk_bytes());
        prop_assert_eq!(reparsed.with_tracing(None).unwrap(), object.clone());
        let opened = world.open_recipient(&world.relay(&traced)).unwrap();
        prop_assert_eq!(opened.display, c.display);
        prop_assert_eq!(opened.attachments, c.attachments);
        prop_assert_eq!(opened.tracing, tracing);
    }

    #[test]
    fn mutated_objects_never_panic_any_reader(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let world = World::new();
        let object = world.relay(&world.compose(&content(1, 1, 100), 1));
        let mut bad = object.clone();
        for (at, byte) in &edits {
            let i = at.index(bad.len());
            bad[i] = *byte;
        }
        let bad = &bad[..bad.len() - cut.index(40)];
        if bad != &object[..] {
            prop_assert!(world.open_recipient(bad).is_err());
            prop_assert!(world.open_destination(bad).is_err());
        }
        let section = Message::parse(&object, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let mut reader = StreamOpener::new(
            Actor::Recipient,
            world.recipient.enc.clone(),
            &world.recipient.signet,
            &world.author.signet,
            &world.origin.signet,
            &section,
            &MessageLimits::default(),
        ).unwrap();
        let fed = reader.feed(bad, &mut Vec::new());
        if bad != &object[..] {
            prop_assert!(fed.is_err() || reader.finish().is_err());
        }
    }
}
