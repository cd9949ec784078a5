//! The object hash (D9) on arbitrary bytes: never panics; any split of the bytes into pieces
//! gives the hash of the whole; and an object that parses has the hash of its framing and chunk
//! digests, as the composer, the countersigner and the destination compute it.
#![no_main]

use dime_message::tree::Entry;
use dime_message::{Message, MessageLimits, ObjectHash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = ObjectHash::of(data);
    // Split where the first byte says (0 leaves the bytes whole).
    let step = usize::from(data.first().copied().unwrap_or(0)).max(1);
    let mut pieces = ObjectHash::new();
    for piece in data.chunks(step) {
        pieces.update(piece);
    }
    assert_eq!(pieces.value(), whole);
    let Ok(message) = Message::parse(data, &MessageLimits::default()) else { return };
    let framing = &data[..data.len() - message.chunk_bytes().len()];
    let entries: Vec<Entry> = message.chunks().iter().map(Entry::of).collect();
    assert_eq!(ObjectHash::of_digests(framing, &entries), whole);
});
