//! STACIE realm envelopes on arbitrary bytes: parsing never panics and re-serializes exactly;
//! opening under a fixed key never panics, and an envelope this key sealed opens to its data.
#![no_main]

use dime_core::stacie::envelope::{self, RealmEnvelope};
use dime_core::stacie::{MasterKey, RealmKey, RealmLabel, RealmVariant, Shard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let label = RealmLabel::new("mail").expect("valid label");
    let key = RealmKey::derive(
        &MasterKey::from_bytes([7; 64]),
        &label,
        &Shard::from_bytes([9; 64]),
        RealmVariant::ShardKeyed,
    );
    if let Ok(parsed) = RealmEnvelope::parse(data) {
        assert_eq!(parsed.to_bytes(), data);
        let _ = parsed.open(&key);
    }
    if !data.is_empty() && data.len() <= 4096 {
        let sealed = envelope::encrypt_with_vector_shard(&key, 1, &[3; 16], data).expect("sealable");
        assert_eq!(&envelope::decrypt(&key, &sealed).expect("own envelope opens").data[..], data);
    }
});
