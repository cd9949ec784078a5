//! The hybrid ephemeral chunk body (`2 ‖ 0x48 ‖ kinds ‖ E ‖ c…`, decision D8) on arbitrary bytes:
//! never panics, and whatever parses has a valid `kinds`, the exact length it gives, and one
//! 1,088-byte ciphertext per hybrid actor.
#![no_main]

use dime_message::Actor;
use dime_message::hybrid::{HYBRID_FORMAT, HybridEphemeral, hybrid_len, is_ephemeral_len};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As given, and behind the suite and format bytes so most inputs reach the kinds check.
    let mut framed = vec![2, HYBRID_FORMAT];
    framed.extend_from_slice(data);
    for body in [data, &framed[..]] {
        let Ok(parsed) = HybridEphemeral::parse(body) else { continue };
        let kinds = parsed.kinds;
        assert!((1..=15).contains(&kinds.byte()));
        assert_eq!(body.len(), hybrid_len(kinds));
        assert!(is_ephemeral_len(body.len()));
        for actor in Actor::ALL {
            assert_eq!(parsed.ciphertext(actor).map(<[u8]>::len), kinds.has(actor).then_some(1088));
        }
    }
});
