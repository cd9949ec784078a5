//! A chunk header only claims its length: the streaming verifiers grow a held chunk as its bytes
//! arrive instead of reserving the declared length from six bytes. (Its own test binary, so that
//! the counting allocator sees nothing else.)

mod common;

use std::alloc::System;

use cap::Cap;
use common::*;
use dime_message::chunk::ChunkType;
use dime_message::*;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const CLAIM: u32 = 16 << 20;

/// An object cut just after the destination chunk's header, that header claiming 16 MiB, and
/// the offset of the header.
fn claimed_object() -> (Vec<u8>, usize) {
    let world = World::new();
    let object = world.compose(&content(1, 0, 100), 1);
    let chunks = inspect(&object, &MessageLimits::default()).unwrap();
    let destination = chunks.iter().find(|c| c.chunk_type == ChunkType::Destination).unwrap();
    let at = destination.offset;
    let mut cut = object[..at + 6].to_vec();
    cut[at + 2..at + 6].copy_from_slice(&CLAIM.to_be_bytes());
    // The framing declares room for the claim, so only the chunk's own bytes are missing.
    let framing_len = 6;
    cut[2..framing_len].copy_from_slice(&u32::MAX.to_be_bytes());
    (cut, at)
}

#[test]
fn a_header_claiming_16_mib_reserves_nothing_until_bytes_arrive() {
    let mut limits = MessageLimits::default();
    limits.max_chunk_body = CLAIM as usize;
    limits.max_object = u64::MAX;
    let (object, at) = claimed_object();
    let mut destination = DestinationVerifier::new(&limits);
    let mut origin = OriginVerifier::new(&limits);
    destination.feed(&object[..at]).unwrap();
    origin.feed(&object[..at]).unwrap();

    let before = HEAP.allocated();
    // The destination holds its chunk whole; the origin only hashes it. Both read the claim.
    destination.feed(&object[at..]).unwrap();
    destination.feed(&[7; 10]).unwrap();
    origin.feed(&object[at..]).unwrap();
    origin.feed(&[7; 10]).unwrap();
    let grown = HEAP.allocated().saturating_sub(before);
    // What a chunk costs before its bytes arrive is its hashing state (two BLAKE3 hashers of
    // about 1.9 KiB each per verifier), never a share of the 16 MiB claim.
    assert!(grown < 16 << 10, "a 6-byte header and 10 bytes made the verifiers allocate {grown} bytes");
    assert!(destination.retained_bytes() < 64 << 10, "the verifier holds {}", destination.retained_bytes());

    // The held chunk still grows with what arrives, and the object stays checkable to its end.
    destination.feed(&vec![7; 100_000]).unwrap();
    assert!(destination.retained_bytes() >= 100_000);
    assert!(destination.retained_bytes() < 512 << 10);
}
