//! A 64 MiB object streams from the author's writer through the origin's countersigner to the
//! destination's verifier while the heap stays a small multiple of one segment: neither server
//! holds content. Classical and all-hybrid (D8). (Its own test binary, so that the counting
//! allocator sees nothing else.)

mod common;

use std::alloc::System;

use cap::Cap;
use common::*;
use dime_message::*;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const CONTENT: u64 = 64 << 20;
const PIECE: usize = 64 << 10;

#[test]
fn a_64_mib_object_streams_through_both_servers_in_bounded_memory() {
    for world in worlds() {
        let piece = bytes(PIECE, 5);
        let plan = vec![PartPlan {
            kind: PartKind::Attachment,
            info: PartInfo::new("application/octet-stream", Some("big.bin")).unwrap(),
            len: CONTENT,
        }];
        let limits = MessageLimits::default();
        let mut relay = Countersigner::new(&limits);
        let mut destination = DestinationVerifier::new(&limits);
        let before = HEAP.allocated();

        let mut authored = Vec::new();
        let mut relayed = Vec::new();
        let mut pass = |authored: &mut Vec<u8>, relayed: &mut Vec<u8>, destination: &mut DestinationVerifier| {
            relay.feed(authored, relayed).unwrap();
            destination.feed(relayed).unwrap();
            authored.clear();
            relayed.clear();
        };
        let mut writer = MessageWriter::new(
            &world.author.sign,
            &world.to(),
            &headers(),
            b"",
            plan,
            &ComposeOptions::default(),
            SeededRandom::new([8; 32]),
            &mut authored,
        )
        .unwrap();
        let mut peak = 0;
        let mut written = 0u64;
        while written < CONTENT {
            writer.write(&piece, &mut authored).unwrap();
            written += PIECE as u64;
            pass(&mut authored, &mut relayed, &mut destination);
            peak = peak.max(HEAP.allocated().saturating_sub(before));
        }
        writer.finish(&mut authored).unwrap();
        pass(&mut authored, &mut relayed, &mut destination);
        let held = relay.retained_bytes();
        relay.finish(world.origin.keys(), &world.author.signet, &world.origin.pok, &mut relayed).unwrap();
        destination.feed(&relayed).unwrap();
        assert!(held < 64 << 10, "the countersigner holds {held} bytes");
        assert!(destination.retained_bytes() < 64 << 10, "the verifier holds {} bytes", destination.retained_bytes());
        let view = destination.finish(world.destination.keys(), &world.origin.signet).unwrap();
        assert_eq!(view.envelope.recipient, "ryan@lavabit.com");

        // The writer holds one 1 MiB segment and emits one sealed chunk at a time; the servers add
        // next to nothing. A path that kept the content would need 64 MiB.
        assert!(peak < 6 << 20, "peak heap {peak} bytes while streaming {CONTENT} bytes ({})", world.name());
        assert!(HEAP.max_allocated().saturating_sub(before) < 8 << 20);
    }
}
