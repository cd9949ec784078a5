//! Message parsing on arbitrary bytes: never panics, and whatever parses keeps its chunk bytes
//! exactly through a tracing replacement and lists the same layout.
#![no_main]

use dime_message::{Message, MessageLimits, inspect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = MessageLimits::default();
    let Ok(message) = Message::parse(data, &limits) else { return };
    let layout = inspect(data, &limits).expect("what parses inspects");
    assert_eq!(layout.len(), message.chunks().len());
    let traced = message.with_tracing(Some(b"fuzz")).expect("re-framing");
    let again = Message::parse(&traced, &limits).expect("re-framed object parses");
    assert_eq!(again.chunk_bytes(), message.chunk_bytes());
    assert_eq!(again.with_tracing(message.tracing()).expect("re-framing"), data);
    let _ = message.ephemeral();
    let _ = message.signature_section();
});
