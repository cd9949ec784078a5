//! DMAP response parsing on arbitrary bytes: never panics, and every response that parses
//! writes back to bytes that parse to the same response.
#![no_main]

use dime_dmap::codec::Response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = Response::parse(data) {
        let again = Response::parse(&response.to_bytes()).expect("own encoding parses");
        assert_eq!(again, response);
    }
});
