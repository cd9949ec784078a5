//! DMAP command parsing on arbitrary bytes: never panics, and every command that parses writes
//! back to bytes that parse to the same command.
#![no_main]

use dime_dmap::codec::{Command, ParseLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ParseLimits::default();
    if let Ok(command) = Command::parse(data, &limits) {
        let again = Command::parse(&command.to_bytes(), &limits).expect("own encoding parses");
        assert_eq!(again, command);
    }
    let _ = Command::parse_tag(data);
});
