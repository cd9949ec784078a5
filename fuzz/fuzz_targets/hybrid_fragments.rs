//! Hybrid-key fragments in field 3 of a signing request (decision D8) on arbitrary values:
//! never panics, and a request that parses with a hybrid key carries exactly the five
//! fragments that key gives, adjacent, in order.
#![no_main]

use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_signet::hybrid::fragments;
use dime_signet::{Signet, ids};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Field-3 values from the input: each a length byte then that many bytes.
    let mut payload = vec![1, 33, 0x40];
    payload.extend_from_slice(SigningSecretKey::from_seed(&[1; 32]).public().as_bytes());
    payload.extend_from_slice(&[2, 33]);
    payload.extend_from_slice(&EncryptionSecretKey::x25519_from_bytes([2; 32]).public().unwrap().encode());
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let take = usize::from(len).min(tail.len());
        payload.extend_from_slice(&[ids::ALTERNATE_KEY, take as u8]);
        payload.extend_from_slice(&tail[..take]);
        rest = &tail[take..];
    }
    payload.push(5);
    payload.extend_from_slice(&[0; 64]);
    let mut bytes = vec![0x04, 0xBF];
    bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    bytes.extend_from_slice(&payload);
    let Ok(signet) = Signet::parse(&bytes) else { return };
    assert_eq!(signet.as_bytes(), &bytes[..]);
    if let Some(key) = signet.hybrid_encryption_key() {
        let expected: Vec<Vec<u8>> = fragments(key).collect();
        let values: Vec<&[u8]> = signet.all(ids::ALTERNATE_KEY).collect();
        let at = values.iter().position(|v| v.first() == Some(&0x4B)).expect("a fragment");
        assert_eq!(values[at..at + 5].iter().map(|v| v.to_vec()).collect::<Vec<_>>(), expected);
    }
});
