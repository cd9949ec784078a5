//! The servers' streaming checks (`OriginVerifier`, `Countersigner`, `DestinationVerifier`)
//! against the in-memory views, for every shape of object and every way of cutting it, classical
//! and all-hybrid (D8).

mod common;

use common::*;
use dime_message::*;
use proptest::prelude::*;

/// Feeds `object` in pieces whose sizes cycle through `sizes` (each at least 1).
fn pieces<'a>(object: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < object.len() {
        let n = sizes.get(i % sizes.len().max(1)).copied().unwrap_or(1).max(1).min(object.len() - at);
        out.push(&object[at..at + n]);
        at += n;
        i += 1;
    }
    out
}

fn memory_destination(world: &World, object: &[u8]) -> Result<DestinationView> {
    world.open_destination(object)
}

fn stream_destination(world: &World, object: &[u8], sizes: &[usize]) -> Result<DestinationView> {
    let mut v = DestinationVerifier::new(&MessageLimits::default());
    for piece in pieces(object, sizes) {
        v.feed(piece)?;
    }
    v.finish(world.destination.keys(), &world.origin.signet)
}

/// The origin's in-memory result: its envelope, the tracing prefix and the relayed object.
fn memory_origin(world: &World, object: &[u8]) -> Result<(OriginEnvelope, Option<Vec<u8>>, Vec<u8>)> {
    let view = Envelope::origin(object, &MessageLimits::default(), world.origin.keys())?.open(&world.author.signet)?;
    let relayed = view.countersign(&world.origin.pok)?;
    Ok((view.envelope.clone(), view.tracing().map(<[u8]>::to_vec), relayed))
}

fn stream_origin(world: &World, object: &[u8], sizes: &[usize]) -> Result<(OriginEnvelope, Option<Vec<u8>>)> {
    let mut v = OriginVerifier::new(&MessageLimits::default());
    for piece in pieces(object, sizes) {
        v.feed(piece)?;
    }
    let verified = v.finish(world.origin.keys(), &world.author.signet)?;
    Ok((verified.envelope.clone(), verified.tracing().map(<[u8]>::to_vec)))
}

fn stream_countersign(world: &World, object: &[u8], sizes: &[usize]) -> Result<Vec<u8>> {
    let mut c = Countersigner::new(&MessageLimits::default());
    let mut out = Vec::new();
    for piece in pieces(object, sizes) {
        c.feed(piece, &mut out)?;
    }
    c.finish(world.origin.keys(), &world.author.signet, &world.origin.pok, &mut out)?;
    Ok(out)
}

/// Checks every streaming path against the in-memory one for an unsigned `object`.
fn agree(world: &World, object: &[u8], sizes: &[usize]) {
    let (envelope, tracing, relayed) = memory_origin(world, object).unwrap();
    assert_eq!(stream_origin(world, object, sizes).unwrap(), (envelope, tracing));
    assert_eq!(stream_countersign(world, object, sizes).unwrap(), relayed);
    let view = memory_destination(world, &relayed).unwrap();
    assert_eq!(stream_destination(world, &relayed, sizes).unwrap(), view);
}

fn spanning() -> ComposeOptions {
    segments(4096)
}

/// Unsigned objects of every shape: no part, one part, many parts, spanning parts, tracing.
fn shapes(world: &World) -> Vec<Vec<u8>> {
    let mut none = content(0, 0, 0);
    none.other_headers.clear();
    let traced = world.compose(&content(1, 1, 300), 6);
    let traced =
        Message::parse(&traced, &MessageLimits::default()).unwrap().with_tracing(Some(b"Received: relay-1")).unwrap();
    vec![
        world.compose(&none, 1),
        world.compose(&content(1, 0, 100), 2),
        world.compose(&content(3, 4, 700), 3),
        world.compose_with(&content(2, 1, 9000), &spanning(), 4),
        traced,
    ]
}

#[test]
fn every_shape_whole_and_in_halves() {
    for world in worlds() {
        for object in shapes(&world) {
            agree(&world, &object, &[object.len()]);
            agree(&world, &object, &[object.len() / 2 + 1]);
        }
    }
}

#[test]
fn a_small_message_byte_at_a_time() {
    for world in worlds() {
        let object = world.compose(&content(1, 0, 100), 9);
        agree(&world, &object, &[1]);
    }
}

#[test]
fn tracing_is_returned_by_both_servers() {
    for world in worlds() {
        let object = shapes(&world).pop().unwrap();
        let (_, tracing) = stream_origin(&world, &object, &[5]).unwrap();
        assert_eq!(tracing.as_deref(), Some(&b"Received: relay-1"[..]));
        let relayed = stream_countersign(&world, &object, &[5]).unwrap();
        assert_eq!(
            stream_destination(&world, &relayed, &[5]).unwrap().tracing.as_deref(),
            Some(&b"Received: relay-1"[..])
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_split_agrees(shape in 0usize..5, sizes in prop::collection::vec(1usize..3000, 1..12)) {
        for world in worlds() {
            let object = shapes(&world).swap_remove(shape);
            agree(&world, &object, &sizes);
        }
    }
}

/// A countersigned object with two display parts and an attachment, and its unsigned form.
fn sample(world: &World) -> (Vec<u8>, Vec<u8>) {
    let unsigned = world.compose(&content(2, 1, 40), 11);
    let relayed = world.relay(&unsigned);
    (unsigned, relayed)
}

/// Streaming and in-memory errors agree exactly, except that the in-memory parser reports a
/// wrong declared length before anything else while the stream finds out at the end, with the
/// bytes it has counted so far.
fn same_error<T: core::fmt::Debug>(memory: Result<T>, stream: Result<T>, what: &str) {
    let (Err(m), Err(s)) = (&memory, &stream) else {
        panic!("{what}: memory {memory:?}, stream {stream:?}");
    };
    if matches!(m, MessageError::LengthMismatch { .. }) {
        assert_eq!(core::mem::discriminant(m), core::mem::discriminant(s), "{what}");
    } else {
        assert_eq!(m, s, "{what}");
    }
}

#[test]
fn bit_flips_fail_alike() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        for bit in (0..relayed.len() * 8).step_by(7) {
            let mut bad = relayed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let what = format!("destination, bit {bit}");
            same_error(memory_destination(&world, &bad), stream_destination(&world, &bad, &[97]), &what);
        }
        for bit in (0..unsigned.len() * 8).step_by(7) {
            let mut bad = unsigned.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let memory = memory_origin(&world, &bad).map(|(e, t, _)| (e, t));
            same_error(memory, stream_origin(&world, &bad, &[89]), &format!("origin, bit {bit}"));
            let memory = memory_origin(&world, &bad).map(|(_, _, r)| r);
            same_error(memory, stream_countersign(&world, &bad, &[89]), &format!("countersign, bit {bit}"));
        }
    }
}

#[test]
fn truncations_fail_with_the_same_error() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        for n in 0..relayed.len() {
            let bad = &relayed[..n];
            assert_eq!(
                memory_destination(&world, bad).unwrap_err(),
                stream_destination(&world, bad, &[50]).unwrap_err()
            );
        }
        for n in (0..unsigned.len()).step_by(3) {
            let bad = &unsigned[..n];
            let memory = memory_origin(&world, bad).unwrap_err();
            assert_eq!(memory, stream_origin(&world, bad, &[50]).unwrap_err(), "origin, {n} bytes");
            assert_eq!(memory, stream_countersign(&world, bad, &[50]).unwrap_err(), "countersign, {n} bytes");
        }
    }
}

/// Cuts `k` bytes off the end and fixes the declared length, so the cut lands inside a chunk.
fn cut_consistently(object: &[u8], k: usize) -> Vec<u8> {
    let mut bad = object[..object.len() - k].to_vec();
    let declared = u32::from_be_bytes(bad[2..6].try_into().unwrap()) - k as u32;
    bad[2..6].copy_from_slice(&declared.to_be_bytes());
    bad
}

#[test]
fn a_cut_inside_a_chunk_is_the_same_truncation() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        let mut seen = Vec::new();
        for k in 1..400 {
            let bad = cut_consistently(&relayed, k);
            let memory = memory_destination(&world, &bad).unwrap_err();
            assert_eq!(memory, stream_destination(&world, &bad, &[64]).unwrap_err(), "cut {k}");
            let bad = cut_consistently(&unsigned, k);
            assert_eq!(memory_origin(&world, &bad).unwrap_err(), stream_origin(&world, &bad, &[64]).unwrap_err());
            seen.push(memory);
        }
        assert!(seen.iter().any(|e| matches!(e, MessageError::Truncated { what: "chunk", .. })));
        assert!(seen.iter().any(|e| matches!(e, MessageError::Truncated { what: "chunk header", .. })));
    }
}

#[test]
fn the_destination_needs_a_countersigned_object() {
    for world in worlds() {
        let (unsigned, _) = sample(&world);
        assert_eq!(stream_destination(&world, &unsigned, &[100]).unwrap_err(), MessageError::NotCountersigned);
    }
}

#[test]
fn the_origin_refuses_a_countersigned_object() {
    for world in worlds() {
        let (_, relayed) = sample(&world);
        assert_eq!(stream_origin(&world, &relayed, &[100]).unwrap_err(), MessageError::AlreadyCountersigned);
        assert_eq!(stream_countersign(&world, &relayed, &[100]).unwrap_err(), MessageError::AlreadyCountersigned);
    }
}

#[test]
fn the_wrong_signets_are_named() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        let mut v = DestinationVerifier::new(&MessageLimits::default());
        v.feed(&relayed).unwrap();
        let err = v.finish(world.destination.keys(), &world.destination.signet).unwrap_err();
        assert_eq!(err, MessageError::SignetMismatch { role: Actor::Origin });
        let mut v = OriginVerifier::new(&MessageLimits::default());
        v.feed(&unsigned).unwrap();
        let err = v.finish(world.origin.keys(), &world.recipient.signet).unwrap_err();
        assert_eq!(err, MessageError::SignetMismatch { role: Actor::Author });
    }
}

#[test]
fn the_wrong_key_does_not_open_the_envelope() {
    for world in worlds() {
        let (_, relayed) = sample(&world);
        let mut v = DestinationVerifier::new(&MessageLimits::default());
        v.feed(&relayed).unwrap();
        let memory = Envelope::destination(&relayed, &MessageLimits::default(), world.origin.keys())
            .and_then(|e| e.open(&world.origin.signet))
            .unwrap_err();
        assert_eq!(v.finish(world.origin.keys(), &world.origin.signet).unwrap_err(), memory);
        assert!(matches!(memory, MessageError::KeyslotRejected { actor: Actor::Destination, .. }));
    }
}

#[test]
fn bytes_past_the_declared_length_are_refused_at_once() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        let declared = relayed.len() - 6;
        let mut v = DestinationVerifier::new(&MessageLimits::default());
        v.feed(&relayed).unwrap();
        assert_eq!(v.feed(b"xy").unwrap_err(), MessageError::LengthMismatch { declared, available: declared + 2 });
        let mut c = Countersigner::new(&MessageLimits::default());
        c.feed(&unsigned, &mut Vec::new()).unwrap();
        let declared = unsigned.len() - 6;
        assert_eq!(
            c.feed(b"z", &mut Vec::new()).unwrap_err(),
            MessageError::LengthMismatch { declared, available: declared + 1 }
        );
    }
}

#[test]
fn the_limits_apply_while_streaming() {
    for world in worlds() {
        let (_, relayed) = sample(&world);
        let mut limits = MessageLimits::default();
        limits.max_chunk_body = 200;
        let memory = Message::parse(&relayed, &limits).unwrap_err();
        assert!(matches!(memory, MessageError::TooLarge { what: "chunk body", .. }));
        let mut v = DestinationVerifier::new(&limits);
        let streamed = pieces(&relayed, &[7]).into_iter().try_for_each(|p| v.feed(p)).unwrap_err();
        assert_eq!(streamed, memory);
        let mut limits = MessageLimits::default();
        limits.max_tracing = 4;
        let traced = Message::parse(&relayed, &limits).unwrap().with_tracing(Some(b"12345")).unwrap();
        let mut v = OriginVerifier::new(&limits);
        assert_eq!(v.feed(&traced).unwrap_err(), MessageError::TooLarge { what: "tracing prefix", size: 5, limit: 4 });
    }
}

#[test]
fn the_countersigner_holds_back_only_the_placeholders() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        let mut c = Countersigner::new(&MessageLimits::default());
        let mut out = Vec::new();
        c.feed(&unsigned, &mut out).unwrap();
        // Everything but the three placeholders (header and four keyslots each) has been passed on.
        let placeholders = 3 * (6 + 4 * 48);
        assert_eq!(out.len(), unsigned.len() - placeholders);
        assert_eq!(out[..], relayed[..out.len()]);
        c.finish(world.origin.keys(), &world.author.signet, &world.origin.pok, &mut out).unwrap();
        assert_eq!(out, relayed);
    }
}

#[test]
fn an_object_too_large_to_grow_is_refused_before_any_output() {
    let declared = u32::MAX - 100;
    let mut header = vec![0x07, 0x37];
    header.extend_from_slice(&declared.to_be_bytes());
    let mut c = Countersigner::new(&MessageLimits::default());
    let mut out = Vec::new();
    let err = c.feed(&header, &mut out).unwrap_err();
    let size = declared as usize + 3 * 112;
    assert_eq!(err, MessageError::Core(dime_core::Error::TooLarge { what: "payload", size, limit: u32::MAX as usize }));
    assert!(out.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any single-byte change, fed in any pieces: no panic, and the same verdict as in memory.
    #[test]
    fn mutated_objects_get_the_in_memory_verdict(
        at in any::<prop::sample::Index>(),
        byte: u8,
        sizes in prop::collection::vec(1usize..700, 1..6),
    ) {
        for world in worlds() {
            let (unsigned, relayed) = sample(&world);
            let mut bad = relayed.clone();
            let i = at.index(bad.len());
            bad[i] = byte;
            match memory_destination(&world, &bad) {
                Ok(view) => prop_assert_eq!(stream_destination(&world, &bad, &sizes).unwrap(), view),
                memory => same_error(memory, stream_destination(&world, &bad, &sizes), "destination"),
            }
            let mut bad = unsigned.clone();
            let i = at.index(bad.len());
            bad[i] = byte;
            match memory_origin(&world, &bad) {
                Ok((_, _, relayed)) => prop_assert_eq!(stream_countersign(&world, &bad, &sizes).unwrap(), relayed),
                memory => same_error(memory.map(|(_, _, r)| r), stream_countersign(&world, &bad, &sizes), "origin"),
            }
        }
    }
}

#[test]
fn an_error_is_final() {
    for world in worlds() {
        let (unsigned, relayed) = sample(&world);
        let mut bad = relayed.clone();
        bad[6] = 99; // the ephemeral chunk's type byte
        let expected = MessageError::UnknownChunkType { index: 0, chunk_type: 99 };
        let mut v = DestinationVerifier::new(&MessageLimits::default());
        assert_eq!(v.feed(&bad[..20]).unwrap_err(), expected);
        // Good bytes after the error change nothing.
        assert_eq!(v.feed(&relayed[20..]).unwrap_err(), expected);
        assert_eq!(v.finish(world.destination.keys(), &world.origin.signet).unwrap_err(), expected);
        let mut v = OriginVerifier::new(&MessageLimits::default());
        v.feed(&unsigned).unwrap();
        assert_eq!(v.feed(b"!").unwrap_err(), v.feed(b"").unwrap_err());
        assert!(matches!(
            v.finish(world.origin.keys(), &world.author.signet),
            Err(MessageError::LengthMismatch { .. })
        ));
    }
}
