//! The streaming writer and reader, against each other and against the in-memory API, on
//! classical and all-hybrid (D8) objects.

mod common;

use common::*;
use dime_message::*;

fn plans(content: &Content) -> Vec<PartPlan> {
    let d = content.display.iter().map(|p| (PartKind::Display, p));
    let a = content.attachments.iter().map(|p| (PartKind::Attachment, p));
    d.chain(a).map(|(kind, p)| PartPlan { kind, info: p.info.clone(), len: p.data.len() as u64 }).collect()
}

/// Streams `content` through a writer, feeding content in `piece`-sized writes.
fn stream_compose(world: &World, content: &Content, options: &ComposeOptions, piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &world.author.sign,
        &world.to(),
        &content.headers,
        &content.other_headers,
        plans(content),
        options,
        SeededRandom::new([7; 32]),
        &mut out,
    )
    .unwrap();
    for part in content.display.iter().chain(&content.attachments) {
        for piece in part.data.chunks(piece) {
            w.write(piece, &mut out).unwrap();
        }
    }
    w.finish(&mut out).unwrap();
    out
}

/// Opens `object` as a stream, feeding it in `piece`-sized pieces; rebuilds the content.
fn stream_open(world: &World, object: &[u8], piece: usize) -> Result<(Vec<Event>, Content)> {
    let section = Message::parse(object, &MessageLimits::default())?.signature_section().to_vec();
    stream_open_with(world, &section, object, piece)
}

fn stream_open_with(world: &World, section: &[u8], object: &[u8], piece: usize) -> Result<(Vec<Event>, Content)> {
    let mut reader = world.recipient_opener(section)?;
    let mut events = Vec::new();
    for piece in object.chunks(piece) {
        reader.feed(piece, &mut events)?;
    }
    reader.finish()?;
    let mut content = Content::default();
    let mut current: Option<(PartKind, Part)> = None;
    for e in &events {
        match e {
            Event::Headers(h) => content.headers = h.clone(),
            Event::OtherHeaders(o) => content.other_headers = o.clone(),
            Event::PartStart { kind, info } => current = Some((*kind, Part { info: info.clone(), data: Vec::new() })),
            Event::PartData(d) => current.as_mut().unwrap().1.data.extend_from_slice(d),
            Event::PartEnd => {
                let (kind, part) = current.take().unwrap();
                match kind {
                    PartKind::Display => content.display.push(part),
                    PartKind::Attachment => content.attachments.push(part),
                }
            }
            Event::Tracing(_) | Event::Envelope { .. } | Event::End => {}
            other => panic!("an event this test does not expect: {other:?}"),
        }
    }
    Ok((events, content))
}

#[test]
fn streamed_object_opens_in_memory_and_streamed() {
    for world in worlds() {
        let options = segments(4096);
        for (display, attachments, size) in [(0, 0, 0), (1, 0, 0), (1, 2, 10_000), (2, 1, 4096)] {
            let c = content(display, attachments, size);
            let object = stream_compose(&world, &c, &options, 777);
            let relayed = world.relay(&object);
            let opened = world.open_recipient(&relayed).unwrap();
            let expected = if world.is_hybrid() { Protection::Full } else { Protection::None };
            assert_eq!(opened.protection, expected, "{}", world.name());
            assert_eq!((opened.display, opened.attachments), (c.display.clone(), c.attachments.clone()));
            for piece in [1, 1000, 1 << 20] {
                let (events, streamed) = stream_open(&world, &relayed, piece).unwrap();
                assert_eq!(streamed, c, "piece {piece}");
                assert_eq!(events.last(), Some(&Event::End));
                assert!(matches!(events.first(), Some(Event::Envelope { .. })));
            }
        }
    }
}

#[test]
fn stream_reader_releases_nothing_from_a_tampered_chunk() {
    for world in worlds() {
        let c = content(1, 1, 9000);
        let object = world.relay(&world.compose_with(&c, &segments(4096), 1));
        let layout = inspect(&object, &MessageLimits::default()).unwrap();
        let second_segment = layout.iter().filter(|c| c.chunk_type.is_part()).nth(1).unwrap();
        let mut bad = object.clone();
        bad[second_segment.offset + 100] ^= 1;
        let section = Message::parse(&object, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let mut reader = world.recipient_opener(&section).unwrap();
        let mut events = Vec::new();
        let err = reader.feed(&bad, &mut events).unwrap_err();
        assert_eq!(err, MessageError::DigestMismatch { index: second_segment.index });
        // Only the first segment's data was released, and it is authentic.
        let released: usize = events.iter().map(|e| if let Event::PartData(d) = e { d.len() } else { 0 }).sum();
        assert_eq!(released, 4096 - 3 - "text/plain; charset=utf-8".len());
        assert!(c.display[0].data.starts_with(match &events[events.len() - 1] {
            Event::PartData(d) => d,
            other => panic!("{other:?}"),
        }));
    }
}

#[test]
fn stream_reader_rejects_a_truncated_object_and_a_wrong_section() {
    for world in worlds() {
        let object = world.relay(&world.compose(&content(1, 0, 100), 1));
        let section = Message::parse(&object, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let err = stream_open_with(&world, &section, &object[..object.len() - 1], 50).unwrap_err();
        assert_eq!(err, MessageError::Stream("the object ends early"));
        // A section from another message fails on its tree signature check or its list.
        let other = world.relay(&world.compose(&content(1, 0, 100), 2));
        let section = Message::parse(&other, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let mut reader = world.recipient_opener(&section).unwrap();
        let err = reader.feed(&object, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, MessageError::KeyslotRejected { actor: Actor::Recipient, .. }), "{err:?}");
        // The author's own copy needs no countersignature, the recipient's does.
        let unsigned = world.compose(&content(1, 0, 100), 1);
        let section = Message::parse(&unsigned, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let err = world.recipient_opener(&section).unwrap_err();
        assert_eq!(err, MessageError::NotCountersigned);
    }
}

#[test]
fn writer_enforces_its_plan() {
    for world in worlds() {
        let c = content(1, 0, 10);
        let mut out = Vec::new();
        let mut w = MessageWriter::new(
            &world.author.sign,
            &world.to(),
            &c.headers,
            &[],
            plans(&c),
            &ComposeOptions::default(),
            SeededRandom::new([1; 32]),
            &mut out,
        )
        .unwrap();
        assert_eq!(w.write(&[0; 11], &mut out), Err(MessageError::Stream("more content than the plan declares")));
        let mut w2 = MessageWriter::new(
            &world.author.sign,
            &world.to(),
            &c.headers,
            &[],
            plans(&c),
            &ComposeOptions::default(),
            SeededRandom::new([1; 32]),
            &mut Vec::new(),
        )
        .unwrap();
        w2.write(&[0; 5], &mut Vec::new()).unwrap();
        assert_eq!(w2.finish(&mut Vec::new()), Err(MessageError::Stream("a part has less content than planned")));
    }
}

/// §8: the streaming reader applies the same cross-check as the in-memory one, before it
/// releases the envelope or any content.
#[test]
fn streaming_refuses_a_recipient_outside_the_destination_domain() {
    for world in worlds() {
        let stranger = user(9, &world.destination, "mallory@example.com");
        let to = Addressing { recipient: &stranger.signet, ..world.to() };
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
        let section = Message::parse(&object, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let mut reader = stranger
            .opener(Actor::Recipient, &stranger.signet, &world.author.signet, &world.origin.signet, &section)
            .unwrap();
        let mut events = Vec::new();
        let err = reader.feed(&object, &mut events).unwrap_err();
        assert_eq!(
            err,
            MessageError::EnvelopeMismatch {
                recipient: "mallory@example.com".into(),
                destination: "lavabit.com".into()
            }
        );
        assert!(events.iter().all(|e| !matches!(e, Event::Envelope { .. } | Event::Headers(_))));
    }
}

/// §8, second cross-check, streamed: an object naming the recipient's signet under another
/// address is refused before the envelope or any content is released.
#[test]
fn the_streaming_reader_refuses_a_recipient_named_other_than_its_signet() {
    for world in worlds() {
        let renamed = user(4, &world.destination, "carol@lavabit.com");
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
        let section = Message::parse(&object, &MessageLimits::default()).unwrap().signature_section().to_vec();
        let mut reader = world.recipient_opener(&section).unwrap();
        let mut events = Vec::new();
        let err = reader.feed(&object, &mut events).unwrap_err();
        assert_eq!(
            err,
            MessageError::RecipientMismatch { named: "carol@lavabit.com".into(), signet: "ryan@lavabit.com".into() }
        );
        assert!(events.iter().all(|e| !matches!(e, Event::Envelope { .. } | Event::Headers(_))));
        // The author's own reader takes the author's signet as its own, and no other.
        let err = world
            .author
            .opener(Actor::Author, &world.recipient.signet, &world.author.signet, &world.origin.signet, &section)
            .unwrap_err();
        assert_eq!(err, MessageError::SignetMismatch { role: Actor::Author });
    }
}

/// The writer's bytes are fixed by its seed: the same with and without the `parallel` feature
/// (which seals one segment while it hashes the one before) and the same as before that
/// pipeline existed. The hash was taken from the sequential writer that emitted each segment
/// as soon as it was sealed.
#[test]
fn the_streamed_bytes_do_not_depend_on_the_pipeline() {
    let world = World::new();
    let c = content(2, 2, 10_000);
    for piece in [1000, 4096, 1 << 20] {
        let object = stream_compose(&world, &c, &segments(4096), piece);
        assert_eq!(hex::encode(blake3::hash(&object).as_bytes()), PINNED, "piece {piece}");
    }
}

const PINNED: &str = "fef5e6938da8a7ab50366e317d37a901aba3ef83a09f46a6f92197a882b6b923";

/// The writer emits every content chunk by the write that completes the last part, so what
/// `finish` emits is exactly the signature section (a server keeps it for a later streamed open).
#[test]
fn finish_emits_the_signature_section_alone() {
    let world = World::new();
    let c = content(1, 1, 10_000);
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &world.author.sign,
        &world.to(),
        &c.headers,
        &c.other_headers,
        plans(&c),
        &segments(4096),
        SeededRandom::new([7; 32]),
        &mut out,
    )
    .unwrap();
    for part in c.display.iter().chain(&c.attachments) {
        w.write(&part.data, &mut out).unwrap();
    }
    let mut section = Vec::new();
    w.finish(&mut section).unwrap();
    out.extend_from_slice(&section);
    assert_eq!(section, Message::parse(&out, &MessageLimits::default()).unwrap().signature_section());
}
