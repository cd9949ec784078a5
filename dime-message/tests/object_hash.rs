//! The object hash (decision D9): every writer that makes the chunk digests hands out the hash
//! it implies, and it is the hash of the bytes it wrote; the destination's streaming check gives
//! the same hash for the bytes it read, also when the check fails.

mod common;

use common::*;
use dime_message::*;

fn spanning() -> ComposeOptions {
    let mut options = ComposeOptions::default();
    options.segment_size = 4096;
    options
}

#[test]
fn the_composer_and_the_countersigner_hash_what_they_write() {
    let world = World::new();
    for (content, options) in [
        (content(1, 0, 10), ComposeOptions::default()),
        (content(2, 3, 20_000), spanning()),
        (content(0, 0, 0), ComposeOptions::default()),
    ] {
        let composed =
            compose_hashed(&world.author.sign, &world.to(), &content, &options, &mut SeededRandom::new([5; 32]))
                .unwrap();
        assert_eq!(composed.hash, ObjectHash::of(&composed.object));
        assert_eq!(composed.object, world.compose_with(&content, &options, 5));

        let view = Envelope::origin(&composed.object, &MessageLimits::default(), &world.origin.enc)
            .unwrap()
            .open(&world.author.signet)
            .unwrap();
        let relayed = view.countersign_hashed(&world.origin.pok).unwrap();
        assert_eq!(relayed.hash, ObjectHash::of(&relayed.object));
        assert_eq!(relayed.object, world.relay(&composed.object));
        assert_ne!(relayed.hash, composed.hash);

        // The streaming relay: the same bytes and the same hash.
        let mut relay = Countersigner::new(&MessageLimits::default());
        let mut out = Vec::new();
        for piece in composed.object.chunks(777) {
            relay.feed(piece, &mut out).unwrap();
        }
        let verified = relay.finish(&world.origin.enc, &world.author.signet, &world.origin.pok, &mut out).unwrap();
        assert_eq!(out, relayed.object);
        assert_eq!(verified.object_hash, relayed.hash);

        // The origin's streaming check gives the hash of what it read.
        let mut check = OriginVerifier::new(&MessageLimits::default());
        check.feed(&composed.object).unwrap();
        let verified = check.finish(&world.origin.enc, &world.author.signet).unwrap();
        assert_eq!(verified.object_hash, composed.hash);

        // The destination computes it in the same pass as the digests it verifies with.
        let mut check = DestinationVerifier::new(&MessageLimits::default());
        for piece in relayed.object.chunks(1000) {
            check.feed(piece).unwrap();
        }
        assert_eq!(check.object_hash(), relayed.hash);
        check.finish(&world.destination.enc, &world.origin.signet).unwrap();
    }
}

#[test]
fn the_streaming_writer_hashes_what_it_writes() {
    let world = World::new();
    let content = content(1, 1, 9000);
    let plans = content
        .display
        .iter()
        .map(|p| (PartKind::Display, p))
        .chain(content.attachments.iter().map(|p| (PartKind::Attachment, p)))
        .map(|(kind, p)| PartPlan { kind, info: p.info.clone(), len: p.data.len() as u64 })
        .collect();
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &world.author.sign,
        &world.to(),
        &content.headers,
        &content.other_headers,
        plans,
        &spanning(),
        SeededRandom::new([7; 32]),
        &mut out,
    )
    .unwrap();
    for part in content.display.iter().chain(&content.attachments) {
        w.write(&part.data, &mut out).unwrap();
    }
    let hash = w.finish(&mut out).unwrap();
    assert_eq!(hash, ObjectHash::of(&out));
}

#[test]
fn the_destination_check_hashes_on_after_it_failed() {
    let world = World::new();
    let relayed = world.relay(&world.compose(&content(1, 0, 5000), 9));
    // A chunk type the format does not have, inside the object: the check fails there.
    let message = Message::parse(&relayed, &MessageLimits::default()).unwrap();
    let at = message.chunks()[3].offset;
    let mut bad = relayed.clone();
    bad[at] = 3;
    let mut check = DestinationVerifier::new(&MessageLimits::default());
    let mut failed = false;
    for piece in bad.chunks(100) {
        failed |= check.feed(piece).is_err();
    }
    assert!(failed);
    assert_eq!(check.object_hash(), ObjectHash::of(&bad));
    assert_ne!(check.object_hash(), ObjectHash::of(&relayed));
}
