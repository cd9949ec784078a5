//! Every single-bit flip and every truncation of a sample message is rejected; so are chunk
//! reordering, duplication, removal and transplanting. Each test runs on a classical and an
//! all-hybrid (D8) object.

mod common;

use common::*;
use dime_message::chunk::ChunkType;
use dime_message::error::Signature;
use dime_message::*;

/// A countersigned sample with two display parts and an attachment.
fn sample(world: &World, seed: u8) -> (Vec<u8>, Vec<u8>) {
    let mut c = content(2, 1, 40);
    c.display[1].data = b"second part".to_vec();
    let unsigned = world.compose(&c, seed);
    let relayed = world.relay(&unsigned);
    (unsigned, relayed)
}

/// A small complete sample (under 4 KiB): one display part, no other headers.
fn small_sample(world: &World) -> (Vec<u8>, Vec<u8>) {
    let mut c = content(1, 0, 100);
    c.other_headers.clear();
    let unsigned = world.compose(&c, 1);
    let relayed = world.relay(&unsigned);
    (unsigned, relayed)
}

/// Flips every bit of a classical `object` in turn; `open` must refuse each result. A hybrid
/// object (4,353 bytes longer, and each open also decapsulates) gets one flip per byte, the bit
/// rotating through the 8 positions with the byte, so that every byte and every bit position is
/// hit: all bits of it would take several minutes in a debug build, and `tests/hybrid.rs` flips
/// its ephemeral chunk, the part a classical object does not have, with the exact error per actor.
fn flip_every_bit(world: &World, object: &[u8], who: &str, open: impl Fn(&[u8]) -> bool) {
    let extra = if world.is_hybrid() { 1 + 4 * 1088 } else { 0 };
    assert!((2048 + extra..=4096 + extra).contains(&object.len()), "sample is {} bytes", object.len());
    let mut bad = object.to_vec();
    for bit in 0..object.len() * 8 {
        let byte = bit / 8;
        if world.is_hybrid() && bit % 8 != byte % 8 {
            continue;
        }
        bad[byte] ^= 1 << (bit % 8);
        assert!(!open(&bad), "{who} accepted a flip of bit {bit} ({})", world.name());
        bad[byte] ^= 1 << (bit % 8);
    }
}

// Each signature also covers its own chunk's keyslots, so no byte is left unchecked by any
// actor, including the keyslots of other actors.
#[test]
fn every_bit_flip_is_rejected_by_the_recipient() {
    for world in worlds() {
        let (_, relayed) = small_sample(&world);
        flip_every_bit(&world, &relayed, "recipient", |b| world.open_recipient(b).is_ok());
    }
}

#[test]
fn every_bit_flip_is_rejected_by_the_destination() {
    for world in worlds() {
        let (_, relayed) = small_sample(&world);
        flip_every_bit(&world, &relayed, "destination", |b| world.open_destination(b).is_ok());
    }
}

#[test]
fn every_bit_flip_is_rejected_by_the_origin() {
    for world in worlds() {
        let (unsigned, _) = small_sample(&world);
        flip_every_bit(&world, &unsigned, "origin", |b| world.open_origin(b).is_ok());
    }
}

#[test]
fn every_truncation_is_rejected() {
    for world in worlds() {
        let (unsigned, relayed) = small_sample(&world);
        for len in 0..relayed.len() {
            assert!(world.open_recipient(&relayed[..len]).is_err());
            assert!(world.open_destination(&relayed[..len]).is_err());
        }
        for len in 0..unsigned.len() {
            assert!(world.open_origin(&unsigned[..len]).is_err());
        }
        let err = world.open_recipient(&relayed[..relayed.len() - 1]).unwrap_err();
        assert_eq!(err, MessageError::LengthMismatch { declared: relayed.len() - 6, available: relayed.len() - 7 });
    }
}

/// Rebuilds an object from chunk byte ranges, with a correct header length.
fn rebuild(object: &[u8], order: &[std::ops::Range<usize>]) -> Vec<u8> {
    let body: Vec<u8> = order.iter().flat_map(|r| object[r.clone()].to_vec()).collect();
    let mut out = vec![0x07, 0x37];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

fn ranges(object: &[u8]) -> Vec<(ChunkType, std::ops::Range<usize>)> {
    inspect(object, &MessageLimits::default())
        .unwrap()
        .into_iter()
        .map(|c| (c.chunk_type, c.offset..c.offset + c.len))
        .collect()
}

#[test]
fn reordering_duplication_and_removal_are_rejected() {
    for world in worlds() {
        let (_, relayed) = sample(&world, 3);
        let chunks = ranges(&relayed);
        let all: Vec<_> = chunks.iter().map(|(_, r)| r.clone()).collect();
        let pos = |t| chunks.iter().position(|(x, _)| *x == t).unwrap();
        let d = pos(ChunkType::Display);

        // Two display parts swapped: grammar allows it, the signed list does not.
        let mut swapped = all.clone();
        swapped.swap(d, d + 1);
        assert_eq!(
            world.open_recipient(&rebuild(&relayed, &swapped)).unwrap_err(),
            MessageError::DigestMismatch { index: d }
        );
        assert_eq!(
            world.open_destination(&rebuild(&relayed, &swapped)).unwrap_err(),
            MessageError::BadSignature(Signature::OriginDisplayBounce)
        );
        // Origin and common swapped: the fixed order.
        let mut swapped = all.clone();
        swapped.swap(1, 3);
        assert_eq!(
            world.open_recipient(&rebuild(&relayed, &swapped)).unwrap_err(),
            MessageError::UnexpectedChunk { index: 1, found: 33, expected: "origin" }
        );
        // A display part duplicated: the tree moves to another index, and its keyslot nonce
        // (which holds the index) no longer opens.
        let tree = pos(ChunkType::Tree);
        let mut dup = all.clone();
        dup.insert(d, all[d].clone());
        assert_eq!(
            world.open_recipient(&rebuild(&relayed, &dup)).unwrap_err(),
            MessageError::KeyslotRejected { index: tree + 1, actor: Actor::Recipient }
        );
        assert_eq!(
            world.open_destination(&rebuild(&relayed, &dup)).unwrap_err(),
            MessageError::KeyslotRejected { index: all.len() - 2, actor: Actor::Destination }
        );
        // The origin chunk duplicated.
        let mut dup = all.clone();
        dup.insert(1, all[1].clone());
        assert_eq!(
            world.open_recipient(&rebuild(&relayed, &dup)).unwrap_err(),
            MessageError::UnexpectedChunk { index: 2, found: 4, expected: "destination" }
        );
        // The attachment removed; the other headers removed.
        for t in [ChunkType::Attachment, ChunkType::Other] {
            let mut removed = all.clone();
            removed.remove(pos(t));
            assert_eq!(
                world.open_recipient(&rebuild(&relayed, &removed)).unwrap_err(),
                MessageError::KeyslotRejected { index: tree - 1, actor: Actor::Recipient }
            );
        }
        // A required chunk removed.
        let mut removed = all.clone();
        removed.remove(pos(ChunkType::AuthorFull));
        assert_eq!(
            world.open_recipient(&rebuild(&relayed, &removed)).unwrap_err(),
            MessageError::UnexpectedChunk { index: all.len() - 4, found: 248, expected: "author full signature" }
        );
        let unchanged = rebuild(&relayed, &all);
        assert_eq!(unchanged, relayed);
        assert!(world.open_recipient(&unchanged).is_ok());
    }
}

#[test]
fn a_chunk_from_another_message_is_rejected() {
    for world in worlds() {
        let (_, relayed) = sample(&world, 4);
        let (_, other) = sample(&world, 5);
        let mine = ranges(&relayed);
        let theirs = ranges(&other);
        for t in [ChunkType::Origin, ChunkType::Common, ChunkType::Display, ChunkType::Tree, ChunkType::OriginFull] {
            let i = mine.iter().position(|(x, _)| *x == t).unwrap();
            let mut bytes = Vec::new();
            for (j, (_, r)) in mine.iter().enumerate() {
                bytes.extend_from_slice(if i == j { &other[theirs[j].1.clone()] } else { &relayed[r.clone()] });
            }
            let mut object = vec![0x07, 0x37];
            object.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            object.extend_from_slice(&bytes);
            let err = world.open_recipient(&object).unwrap_err();
            let expected = match t {
                // Keyslots are wrapped under the other message's keys.
                ChunkType::Origin | ChunkType::Tree => {
                    MessageError::KeyslotRejected { index: i, actor: Actor::Recipient }
                }
                // The author's full signature covers the origin placeholders' keyslots.
                ChunkType::OriginFull => MessageError::BadSignature(Signature::AuthorFull),
                _ => MessageError::DigestMismatch { index: i },
            };
            assert_eq!(err, expected, "{t}");
            assert!(world.open_destination(&object).is_err(), "{t}");
        }
    }
}
