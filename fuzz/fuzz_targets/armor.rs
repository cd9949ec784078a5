//! Armor decoding on arbitrary text: never panics, and what decodes re-encodes to armor that
//! decodes to the same label and bytes.
#![no_main]

use dime_core::armor;
use dime_core::limits::ObjectLimits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ObjectLimits::default();
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(decoded) = armor::decode(text, &limits) {
            let again = armor::decode(&armor::encode(decoded.label, &decoded.data), &limits).expect("own armor");
            assert_eq!(again, decoded);
        }
    }
    let _ = armor::read_object(data, &limits);
});
