//! Every actor opens what the author composed, for many shapes of content.

mod common;

use common::*;
use dime_message::*;

fn check_flow(world: &World, content: &Content, options: &ComposeOptions) {
    let object = world.compose_with(content, options, 9);
    // The author reopens its own copy before the origin has signed.
    let own = Envelope::author(&object, &MessageLimits::default(), &world.author.enc)
        .unwrap()
        .open(&world.author.signet, None)
        .unwrap();
    assert_eq!(own.headers, content.headers);
    assert!(!own.countersigned);

    let origin = world.open_origin(&object).unwrap();
    assert_eq!(origin.author, "ivan@darkmail.info");
    assert_eq!(origin.destination, "lavabit.com");
    let relayed = world.relay(&object);

    let dest = world.open_destination(&relayed).unwrap();
    assert_eq!(dest.envelope.recipient, "ryan@lavabit.com");
    assert_eq!(dest.envelope.origin, "darkmail.info");

    for opened in [world.open_recipient(&relayed).unwrap(), world.open_author(&relayed).unwrap()] {
        assert_eq!(opened.headers, content.headers);
        assert_eq!(opened.other_headers, content.other_headers);
        assert_eq!(opened.display, content.display);
        assert_eq!(opened.attachments, content.attachments);
        assert!(opened.countersigned);
        assert_eq!(opened.origin, origin);
        assert_eq!(opened.destination, dest.envelope);
    }
}

#[test]
fn every_actor_for_zero_one_and_many_parts() {
    let world = World::new();
    for (display, attachments) in [(0, 0), (1, 0), (0, 1), (1, 1), (3, 4)] {
        for size in [0, 1, 300, 5000] {
            check_flow(&world, &content(display, attachments, size), &ComposeOptions::default());
        }
    }
}

#[test]
fn spanning_parts_round_trip() {
    let world = World::new();
    let options = segments(4096);
    for size in [4096 - 40, 4096, 4097, 3 * 4096, 20_000] {
        let c = content(1, 2, size);
        check_flow(&world, &c, &options);
        let layout = inspect(&world.compose_with(&c, &options, 1), &MessageLimits::default()).unwrap();
        let spanning = layout.iter().filter(|c| c.flags & 0x80 != 0).count();
        assert_eq!(spanning > 0, size + 30 > 4096, "size {size}");
    }
}

#[test]
fn non_ascii_headers_and_empty_other_headers() {
    let world = World::new();
    let mut c = content(1, 0, 10);
    c.headers.subject = "Grüße aus Köln — 東京 📨".into();
    c.headers.cc = Some("Zoë <zoe@lavabit.com>".into());
    c.headers.organization = None;
    c.other_headers.clear();
    check_flow(&world, &c, &ComposeOptions::default());
    let object = world.compose(&c, 2);
    let layout = inspect(&object, &MessageLimits::default()).unwrap();
    assert!(layout.iter().all(|c| c.chunk_type != dime_message::chunk::ChunkType::Other));
}

#[test]
fn large_body_in_memory() {
    let world = World::new();
    let c = content(1, 1, 300_000);
    check_flow(&world, &c, &segments(65_536));
}

#[test]
fn tracing_is_preserved_and_opaque() {
    let world = World::new();
    let object = world.compose(&content(1, 0, 10), 3);
    let traced = Message::parse(&object, &MessageLimits::default()).unwrap().with_tracing(Some(b"hop1;hop2")).unwrap();
    let relayed = world.relay(&traced);
    let parsed = Message::parse(&relayed, &MessageLimits::default()).unwrap();
    assert_eq!(parsed.tracing(), Some(&b"hop1;hop2"[..]));
    assert_eq!(world.open_destination(&relayed).unwrap().tracing.as_deref(), Some(&b"hop1;hop2"[..]));
    assert_eq!(world.open_recipient(&relayed).unwrap().tracing.as_deref(), Some(&b"hop1;hop2"[..]));
}

#[test]
fn composition_is_deterministic_for_a_seed() {
    let world = World::new();
    let c = content(2, 1, 100);
    assert_eq!(world.compose(&c, 5), world.compose(&c, 5));
    assert_ne!(world.compose(&c, 5), world.compose(&c, 6));
}

/// `Content::text` fills Date from the time given and From/To from the addressing; the
/// recipient reads exactly that.
#[test]
fn content_text_takes_date_and_addresses_from_its_inputs() {
    use std::time::{Duration, UNIX_EPOCH};
    let world = World::new();
    let written = UNIX_EPOCH + Duration::from_secs(1_796_400_309);
    let content = Content::text(&world.to(), written, "Hello", "Hi Ryan").unwrap();
    assert_eq!(
        content.headers,
        CommonHeaders {
            date: "Fri, 04 Dec 2026 16:05:09 +0000".into(),
            to: "ryan@lavabit.com".into(),
            from: "ivan@darkmail.info".into(),
            subject: "Hello".into(),
            ..CommonHeaders::default()
        }
    );
    let opened = world.open_recipient(&world.relay(&world.compose(&content, 3))).unwrap();
    assert_eq!(opened.headers, content.headers);
    assert_eq!(opened.display[0].info.content_type, "text/plain; charset=utf-8");
    assert_eq!(opened.display[0].data, b"Hi Ryan");
    // A subject that cannot be a header value is refused before anything is sealed.
    assert_eq!(
        Content::text(&world.to(), written, "line\r\nbreak", ""),
        Err(MessageError::BadText { what: "common headers", problem: "control character in a value" })
    );
}

/// Chunks larger than the 16 KiB window the cipher and digest advance by, cut at window
/// boundaries and between them: `compose` writes the bytes `SealedContent` writes (sealed apart,
/// then copied), whether it seals in order straight into the object (always without
/// `parallel`; with it, when one chunk is nearly all the content) or spreads the chunks (3 MiB
/// in 1 MiB segments, with `parallel`), and every actor opens them.
#[test]
fn chunks_of_many_windows_are_the_same_either_way_and_open() {
    let world = World::new();
    for (size, segment) in [(16 << 10, 64 << 10), ((16 << 10) + 1, 64 << 10), (200_000, 64 << 10), (3 << 20, 1 << 20)] {
        let mut c = content(1, 1, 100);
        c.attachments.push(Part::new("application/octet-stream", Some("big.bin"), bytes(size, 5)).unwrap());
        let options = segments(segment);
        let direct = world.compose_with(&c, &options, 3);
        let mut rng = SeededRandom::new([3; 32]);
        let sealed =
            SealedContent::seal(&c, &options, &mut rng).unwrap().address(&world.author.sign, &world.to(), &mut rng);
        assert_eq!(direct, sealed.unwrap(), "size {size}");
        check_flow(&world, &c, &options);
    }
}
