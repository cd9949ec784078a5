//! Signet parsing and validation on arbitrary bytes: never panics, and whatever parses
//! re-serializes to the identical bytes and validates consistently with its structure.
#![no_main]

use dime_signet::{Context, ParseOptions, Signet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for lenient in [false, true] {
        let mut options = ParseOptions::default();
        options.lenient = lenient;
        let Ok(signet) = Signet::parse_with(data, &options) else { continue };
        assert_eq!(signet.as_bytes(), data);
        let (structure, _) = signet.structural_state();
        // Validating against itself as org and previous exercises every path.
        let context = Context { poks: None, org: Some(&signet), previous: Some(&signet) };
        let state = signet.validate(&context).state;
        assert!(state <= structure);
        let rearmored = Signet::read(signet.to_armor().as_bytes(), &options).expect("own armor reads back");
        assert_eq!(rearmored, signet);
    }
});
