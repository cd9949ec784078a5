//! NIST FIPS 203 known-answer tests for ML-KEM-768: every case of `testdata/ml-kem/` (see its
//! README for the ACVP origin), reproduced through `dime_core::kem`'s public API.

use std::path::PathBuf;

use dime_core::Error;
use dime_core::kem::{KemPublicKey, KemSecretKey, SEED_LEN, decapsulate_expanded};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "testdata", "ml-kem", name].iter().collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn tests(name: &str) -> Vec<Value> {
    let tests = load(name)["tests"].as_array().unwrap().clone();
    assert!(!tests.is_empty(), "{name} has no cases");
    tests
}

fn hex_of(case: &Value, key: &str) -> Vec<u8> {
    let text = case[key].as_str().unwrap_or_else(|| panic!("no {key} in case {}", case["tcId"]));
    hex::decode(text).unwrap()
}

/// `ML-KEM.KeyGen_internal(d, z)`: the seed `d ‖ z` gives NIST's encapsulation key.
#[test]
fn key_generation() {
    for case in tests("keygen.json") {
        let mut seed = [0u8; SEED_LEN];
        seed[..32].copy_from_slice(&hex_of(&case, "d"));
        seed[32..].copy_from_slice(&hex_of(&case, "z"));
        let key = KemSecretKey::from_seed(&seed);
        assert_eq!(key.public().as_bytes().as_slice(), hex_of(&case, "ek"), "tcId {}", case["tcId"]);
    }
}

/// `ML-KEM.Encaps_internal(ek, m)`: NIST's key and randomness give NIST's ciphertext and secret.
#[test]
fn encapsulation() {
    for case in tests("encap.json") {
        let ek = KemPublicKey::decode(&hex_of(&case, "ek")).unwrap();
        let m: [u8; 32] = hex_of(&case, "m").try_into().unwrap();
        let (c, k) = ek.encapsulate_deterministic(&m);
        assert_eq!(c.as_slice(), hex_of(&case, "c"), "tcId {}", case["tcId"]);
        assert_eq!(k.as_slice(), hex_of(&case, "k"), "tcId {}", case["tcId"]);
    }
}

/// `ML-KEM.Decaps_internal(dk, c)` on NIST's expanded key: a genuine ciphertext gives its secret,
/// a modified one gives exactly NIST's implicit-rejection secret `J(z ‖ c)`, never an error.
#[test]
fn decapsulation_with_implicit_rejection() {
    let dk = hex_of(&load("decap.json"), "dk");
    let mut rejections = 0;
    for case in tests("decap.json") {
        let k = decapsulate_expanded(&dk, &hex_of(&case, "c")).unwrap();
        assert_eq!(k.as_slice(), hex_of(&case, "k"), "tcId {}", case["tcId"]);
        rejections += usize::from(case["reason"] == "modify ciphertext");
    }
    assert!(rejections >= 2, "the file must keep at least two implicit-rejection cases");
}

/// The FIPS 203 §7.3 input checks of the expanded key and ciphertext, each with its error.
#[test]
fn decapsulation_input_checks() {
    let dk = hex_of(&load("decap.json"), "dk");
    let c = hex_of(&tests("decap.json")[0], "c");
    assert_eq!(decapsulate_expanded(&dk[1..], &c).err(), Some(Error::KemDecapsulationKey));
    // H(ek) sits at bytes 2336..2368: one flipped bit fails the hash check.
    let mut bad_hash = dk.clone();
    bad_hash[2340] ^= 1;
    assert_eq!(decapsulate_expanded(&bad_hash, &c).err(), Some(Error::KemDecapsulationKey));
    assert_eq!(decapsulate_expanded(&dk, &c[1..]).err(), Some(Error::KemCiphertextLength { len: 1087 }));
}

/// `ML-KEM.Decaps(dk, c)` with NIST's private key given as its seed `d ‖ z`, the only form
/// dime-core stores: the public [`KemSecretKey`] gives NIST's secret for a genuine ciphertext and
/// NIST's implicit-rejection secret for a modified one.
#[test]
fn decapsulation_from_seed() {
    let mut rejections = 0;
    for case in tests("decap_seed.json") {
        let mut seed = [0u8; SEED_LEN];
        seed[..32].copy_from_slice(&hex_of(&case, "d"));
        seed[32..].copy_from_slice(&hex_of(&case, "z"));
        let k = KemSecretKey::from_seed(&seed).decapsulate(&hex_of(&case, "c")).unwrap();
        assert_eq!(k.as_slice(), hex_of(&case, "k"), "tcId {}", case["tcId"]);
        rejections += usize::from(case["reason"] == "modified ciphertext");
    }
    assert!(rejections >= 2, "the file must keep at least two implicit-rejection cases");
}

/// NIST's `encapsulationKeyCheck` cases (FIPS 203 §7.2): [`KemPublicKey::decode`] accepts
/// exactly the keys NIST passes. NIST's failing keys are all 1,600 bytes long, so they meet
/// the length check before the modulus check; the modulus check is covered by
/// [`encapsulation_key_modulus`].
#[test]
fn encapsulation_key_check_nist() {
    let cases = tests("ek_check.json");
    for case in &cases {
        let ek = hex_of(case, "ek");
        let decoded = KemPublicKey::decode(&ek);
        if case["testPassed"] == true {
            assert_eq!(decoded.unwrap().as_bytes().as_slice(), ek, "tcId {}", case["tcId"]);
        } else {
            assert_eq!(decoded.err(), Some(Error::KemKeyLength { len: ek.len() }), "tcId {}", case["tcId"]);
        }
    }
    for passed in [true, false] {
        assert!(cases.iter().filter(|c| c["testPassed"] == passed).count() >= 2, "keep two cases of each verdict");
    }
}

/// NIST's `decapsulationKeyCheck` cases (FIPS 203 §7.3, the `H(ek)` check): the expanded-key
/// entry point accepts exactly the keys NIST passes and refuses the others with
/// [`Error::KemDecapsulationKey`]. The check does not depend on the ciphertext, so any
/// well-sized one serves.
#[test]
fn decapsulation_key_check_nist() {
    let c = hex_of(&tests("decap.json")[0], "c");
    let cases = tests("dk_check.json");
    for case in &cases {
        let result = decapsulate_expanded(&hex_of(case, "dk"), &c);
        if case["testPassed"] == true {
            assert!(result.is_ok(), "tcId {}", case["tcId"]);
        } else {
            assert_eq!(result.err(), Some(Error::KemDecapsulationKey), "tcId {}", case["tcId"]);
        }
    }
    for passed in [true, false] {
        assert!(cases.iter().filter(|c| c["testPassed"] == passed).count() >= 2, "keep two cases of each verdict");
    }
}

/// FIPS 203 §7.2's modulus check, which NIST's `encapsulationKeyCheck` cases do not reach (see
/// [`encapsulation_key_check_nist`]): NIST's valid `ek` of each encapsulation case with one
/// 12-bit coefficient pushed to `q` = 3329 or to 4095 (the first and the last of the 768), and
/// cut or grown by a byte. These invalid keys are dime-rs's, derived from NIST's. Each is
/// refused with its exact error; the unmodified key passes.
#[test]
fn encapsulation_key_modulus() {
    /// Sets 12-bit coefficient `i` (little-endian packing, two per three bytes) to `value`.
    fn set_coefficient(ek: &mut [u8], i: usize, value: u16) {
        let at = i / 2 * 3;
        if i.is_multiple_of(2) {
            ek[at] = value as u8;
            ek[at + 1] = (ek[at + 1] & 0xf0) | (value >> 8) as u8;
        } else {
            ek[at + 1] = (ek[at + 1] & 0x0f) | ((value & 0x0f) << 4) as u8;
            ek[at + 2] = (value >> 4) as u8;
        }
    }
    for case in tests("encap.json") {
        let ek = hex_of(&case, "ek");
        assert!(KemPublicKey::decode(&ek).is_ok(), "tcId {}", case["tcId"]);
        for (i, value) in [(0, 3329), (0, 4095), (767, 3329), (767, 4095)] {
            let mut bad = ek.clone();
            set_coefficient(&mut bad, i, value);
            assert_eq!(
                KemPublicKey::decode(&bad).err(),
                Some(Error::KemKeyModulus),
                "tcId {} coefficient {i}",
                case["tcId"]
            );
            set_coefficient(&mut bad, i, 3328);
            assert!(KemPublicKey::decode(&bad).is_ok(), "q - 1 is in range");
        }
        assert_eq!(KemPublicKey::decode(&ek[..1183]).err(), Some(Error::KemKeyLength { len: 1183 }));
        let mut long = ek.clone();
        long.push(0);
        assert_eq!(KemPublicKey::decode(&long).err(), Some(Error::KemKeyLength { len: 1185 }));
    }
}
