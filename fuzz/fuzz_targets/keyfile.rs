//! Key-file parsing on arbitrary bytes: never panics, and whatever parses re-serializes to
//! the identical bytes.
#![no_main]

use dime_signet::KeyFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = KeyFile::parse(data) {
        assert_eq!(&key.to_bytes().expect("parsed keys encode")[..], data);
    }
    let _ = KeyFile::read(data);
});
