//! DMTP reply decoding on arbitrary bytes with small limits: never panics, never holds more
//! than the limits allow, and every decoded reply re-encodes to bytes that decode the same.
#![no_main]

use dime_dmtp::wire::{ReplyDecoder, ReplyLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut limits = ReplyLimits::default();
    limits.line = 300;
    limits.lines = 8;
    limits.total = 1200;
    let mut decoder = ReplyDecoder::new(limits);
    let mut pos = 0;
    while pos < data.len() {
        let (taken, item) = decoder.decode(&data[pos..]);
        pos += taken;
        assert!(decoder.capacity() <= 2 * limits.total + limits.line);
        match item {
            Some(Ok(reply)) => {
                let bytes = reply.to_bytes();
                let mut again = ReplyDecoder::new(limits);
                assert_eq!(again.decode(&bytes), (bytes.len(), Some(Ok(reply))));
            }
            Some(Err(_)) => break,
            None => assert!(taken > 0 || pos == data.len()),
        }
    }
});
