//! DMTP command parsing on arbitrary lines: never panics; whatever parses serializes to a line
//! that parses to the same command and fits the 512-byte limit.
#![no_main]

use dime_dmtp::wire::{Command, MAX_COMMAND_LINE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(command) = Command::parse(data) {
        let mut out = bytes::BytesMut::new();
        command.encode(&mut out);
        assert!(out.ends_with(b"\r\n"));
        let line = &out[..out.len() - 2];
        assert_eq!(Command::parse(line).as_ref(), Ok(&command));
        if data.len() + 2 <= MAX_COMMAND_LINE {
            assert!(out.len() <= MAX_COMMAND_LINE + 64);
        }
    }
});
