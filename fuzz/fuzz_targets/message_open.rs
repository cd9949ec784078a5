//! Opening arbitrary bytes as each of the four actors, in memory and as a stream, with the
//! fixed keys of `dime-message/tests/common` (the keys of `testdata/message/suite2_vectors.json`,
//! whose `unsigned_hex` and `relayed_hex` make good seeds): never panics, and an object that
//! opens for the recipient opens the same way as a stream.
#![no_main]

#[path = "../../dime-message/tests/common/mod.rs"]
mod common;

use std::sync::OnceLock;

use common::World;
use dime_message::{Actor, Envelope, Event, Message, MessageLimits, StreamOpener};
use libfuzzer_sys::fuzz_target;

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(World::new)
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let limits = MessageLimits::default();
    if let Ok(env) = Envelope::origin(data, &limits, &w.origin.enc) {
        if let Ok(view) = env.open(&w.author.signet) {
            let relayed = view.countersign(&w.origin.pok).expect("countersign after a verified open");
            assert!(w.open_destination(&relayed).is_ok());
        }
    }
    let _ = w.open_destination(data);
    let _ = w.open_author(data);
    let opened = w.open_recipient(data);
    let Ok(message) = Message::parse(data, &limits) else { return };
    let Ok(mut reader) = StreamOpener::new(
        Actor::Recipient,
        w.recipient.enc.clone(),
        &w.recipient.signet,
        &w.author.signet,
        &w.origin.signet,
        message.signature_section(),
        &limits,
    ) else {
        return;
    };
    let mut events = Vec::new();
    let streamed =
        data.chunks(777).try_for_each(|piece| reader.feed(piece, &mut events)).and_then(|()| reader.finish());
    assert_eq!(streamed.is_ok(), opened.is_ok(), "stream and memory disagree");
    if let Ok(opened) = opened {
        let data_len: usize = events.iter().map(|e| if let Event::PartData(d) = e { d.len() } else { 0 }).sum();
        let parts: usize = opened.display.iter().chain(&opened.attachments).map(|p| p.data.len()).sum();
        assert_eq!(data_len, parts);
    }
});
