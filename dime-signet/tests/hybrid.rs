//! Hybrid encryption keys (ML-KEM-768, decision D8) in signets and key files: the life cycle with
//! fragments, the org field 251, key files with a seed, and every malformed form with its error.

mod common;

use common::*;
use dime_core::kem::{KemPublicKey, KemSecretKey};
use dime_signet::hybrid::{self, ORG_FIELD_NAME};
use dime_signet::{
    Context, FingerprintKind, KeyFile, KeyOwner, Signet, SignetBuilder, SignetError, SignetKind, SignetState, ids,
    issue,
};

fn kem(n: u8) -> KemSecretKey {
    KemSecretKey::from_seed(&[n; 64])
}

/// A request builder at field 2, ready for field-3 values.
fn request_builder() -> SignetBuilder {
    SignetBuilder::new(SignetKind::Request)
        .signing_key(&signing(3).public())
        .unwrap()
        .encryption_key(&encryption(4))
        .unwrap()
}

fn with_values(values: &[Vec<u8>]) -> Result<Signet, SignetError> {
    let builder = values.iter().try_fold(request_builder(), |b, v| b.alternate_key(v))?;
    builder.sign_request(&signing(3))?.build()
}

fn fragments(key: &KemPublicKey) -> Vec<Vec<u8>> {
    hybrid::fragments(key).collect()
}

fn hybrid_org() -> Org {
    let pok = signing(1);
    let signet = issue::new_org_signet_with(&pok, &encryption(2), Some(kem(9).public()), "example.org").unwrap();
    Org { poks: vec![pok.public()], pok, signet }
}

#[test]
fn a_hybrid_user_signet_goes_ssr_crypto_full_id_with_its_key() {
    let o = hybrid_org();
    let ctx = context(&o, None);
    let key = kem(7);
    let request = issue::new_request_with(&signing(3), &encryption(4), Some(key.public()), None).unwrap();
    assert_eq!(request.validate(&Context::default()).state, SignetState::Ssr);
    assert_eq!(request.hybrid_encryption_key(), Some(key.public()));
    assert_eq!(request.all(ids::ALTERNATE_KEY).count(), 5);
    let user = issue::issue_user_signet(&request, None, &o.signet, &o.pok, "alice@example.org", &[]).unwrap();
    assert_eq!(user.validate(&ctx).state, SignetState::Id);
    assert_eq!(user.hybrid_encryption_key(), Some(key.public()));
    // The fragments lie before field 5, so every fingerprint from ssr on covers the key.
    let classical = issue::new_request(&signing(3), &encryption(4), None).unwrap();
    assert_ne!(request.fingerprint(FingerprintKind::Ssr), classical.fingerprint(FingerprintKind::Ssr));
    for split in [dime_signet::Split::Crypto, dime_signet::Split::Full] {
        assert_eq!(user.split(split).unwrap().hybrid_encryption_key(), Some(key.public()));
    }
    assert!(!classical.is_hybrid() && user.is_hybrid());
}

#[test]
fn hybrid_signets_fit_the_unchanged_field_tables() {
    // What a reader that predates D8 sees: field 3 is a repeatable opaque field of the tables it
    // already has, each value within its 1-byte length, and the signatures cover the bytes.
    assert_eq!(SignetKind::User.lookup(3).map(|s| s.repeat), Some(dime_signet::Repeat::Repeatable));
    assert_eq!(SignetKind::Request.lookup(3).map(|s| s.repeat), Some(dime_signet::Repeat::Repeatable));
    let request = issue::new_request_with(&signing(3), &encryption(4), Some(kem(7).public()), None).unwrap();
    for field in request.fields() {
        assert!(SignetKind::Request.lookup(field.id).is_some());
        assert!(field.data.len() <= 255);
    }
    // The org key is an ordinary undefined field.
    let org = hybrid_org();
    assert_eq!(org.signet.undefined(ORG_FIELD_NAME), Some(&kem(9).public().as_bytes()[..]));
    assert_eq!(org.signet.validate(&context(&org, None)).state, SignetState::Id);
}

#[test]
fn the_org_key_is_usable_only_from_full_on() {
    let pok = signing(1);
    let crypto_only = SignetBuilder::new(SignetKind::Org)
        .signing_key(&pok.public())
        .unwrap()
        .encryption_key(&encryption(2))
        .unwrap()
        .sign_crypto(&pok)
        .unwrap()
        .hybrid_key(kem(9).public())
        .unwrap();
    let unsigned = crypto_only.clone().build().unwrap();
    assert_eq!(unsigned.hybrid_encryption_key(), None);
    let full = crypto_only.sign_full(&pok).unwrap().build().unwrap();
    assert_eq!(full.hybrid_encryption_key(), Some(kem(9).public()));
    assert_eq!(hybrid_org().signet.split(dime_signet::Split::Crypto).unwrap().hybrid_encryption_key(), None);
}

#[test]
fn malformed_fragments_each_have_their_error() {
    let key = kem(7);
    let good = fragments(key.public());
    assert!(with_values(&good).is_ok());

    let mut swapped = good.clone();
    swapped.swap(1, 2);
    assert_eq!(with_values(&swapped).err(), Some(SignetError::HybridFragmentIndex { expected: 1, found: 2 }));
    assert_eq!(with_values(&good[1..]).err(), Some(SignetError::HybridFragmentIndex { expected: 0, found: 1 }));
    assert_eq!(with_values(&good[..4]).err(), Some(SignetError::HybridFragmentsIncomplete { found: 4 }));

    // Another alternate key between fragments interrupts the set.
    let mut interrupted = good.clone();
    interrupted.insert(2, vec![0x01, 0x02]);
    assert_eq!(with_values(&interrupted).err(), Some(SignetError::HybridFragmentsIncomplete { found: 2 }));
    // ... but before or after a complete set it is simply another key.
    let mut around = good.clone();
    around.insert(0, vec![0x01]);
    around.push(vec![]);
    assert_eq!(with_values(&around).unwrap().hybrid_encryption_key(), Some(key.public()));

    // Lengths off by one either way, and a prefix with no index.
    let mut long = good.clone();
    long[0].push(0);
    assert_eq!(with_values(&long).err(), Some(SignetError::HybridFragmentLength { index: 0, len: 240, expected: 239 }));
    let mut short = good.clone();
    short[4].pop();
    assert_eq!(
        with_values(&short).err(),
        Some(SignetError::HybridFragmentLength { index: 4, len: 237, expected: 238 })
    );
    assert_eq!(
        with_values(&[vec![0x4B]]).err(),
        Some(SignetError::HybridFragmentLength { index: 0, len: 1, expected: 239 })
    );

    // A sixth fragment, or a second set, is a second key.
    let mut sixth = good.clone();
    sixth.push(vec![0x4B, 5, 0]);
    assert_eq!(with_values(&sixth).err(), Some(SignetError::HybridKeyRepeated));
    let mut twice = good.clone();
    twice.push(vec![0x09]);
    twice.extend(fragments(kem(8).public()));
    assert_eq!(with_values(&twice).err(), Some(SignetError::HybridKeyRepeated));

    // A key with a coefficient of q or more fails FIPS 203 §7.2.
    let mut bad = good;
    bad[0][2] = 0xff;
    bad[0][3] |= 0x0f;
    assert_eq!(
        with_values(&bad).err(),
        Some(SignetError::FieldValue { id: 3, error: dime_core::Error::KemKeyModulus })
    );
}

#[test]
fn malformed_org_fields_each_have_their_error() {
    let pok = signing(1);
    let at_251 = || {
        SignetBuilder::new(SignetKind::Org)
            .signing_key(&pok.public())
            .unwrap()
            .encryption_key(&encryption(2))
            .unwrap()
            .sign_crypto(&pok)
            .unwrap()
    };
    let ek = kem(9).public().as_bytes().to_vec();
    let build = |values: &[&[u8]]| {
        values.iter().try_fold(at_251(), |b, v| b.undefined(ORG_FIELD_NAME, v))?.sign_full(&pok)?.build()
    };
    assert!(build(&[&ek]).is_ok());
    assert_eq!(build(&[&ek, &ek]).err(), Some(SignetError::HybridKeyRepeated));
    assert_eq!(
        build(&[&ek[..1183]]).err(),
        Some(SignetError::FieldValue { id: 251, error: dime_core::Error::KemKeyLength { len: 1183 } })
    );
    let mut longer = ek.clone();
    longer.push(0);
    assert_eq!(
        build(&[&longer]).err(),
        Some(SignetError::FieldValue { id: 251, error: dime_core::Error::KemKeyLength { len: 1185 } })
    );
    let mut bad = ek.clone();
    bad[0] = 0xff;
    bad[1] |= 0x0f;
    assert_eq!(build(&[&bad]).err(), Some(SignetError::FieldValue { id: 251, error: dime_core::Error::KemKeyModulus }));
    // Another name is someone else's field; the name must match exactly.
    let other = at_251().undefined(b"hybrid-encryption-key", &bad).unwrap().sign_full(&pok).unwrap().build().unwrap();
    assert_eq!(other.hybrid_encryption_key(), None);
    // User signets carry their key in field 3; a 251 of that name means nothing there.
    let o = org();
    let request = issue::new_request(&signing(3), &encryption(4), None).unwrap();
    let user = SignetBuilder::from_request(&request)
        .unwrap()
        .sign_crypto(&o.pok)
        .unwrap()
        .undefined(ORG_FIELD_NAME, &ek)
        .unwrap()
        .sign_full(&o.pok)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(user.hybrid_encryption_key(), None);
}

#[test]
fn key_files_carry_the_seed_and_must_match() {
    let keys = KeyFile { kem: Some(kem(7)), ..KeyFile::generate(KeyOwner::User).unwrap() };
    let bytes = keys.to_bytes().unwrap();
    let back = KeyFile::parse(&bytes).unwrap();
    assert_eq!(back, keys);
    assert_eq!(*back.kem.as_ref().unwrap().seed(), [7; 64]);
    assert_eq!(KeyFile::read(keys.to_armor().unwrap().as_bytes()).unwrap(), keys);

    let request =
        issue::new_request_with(&keys.signing, &keys.encryption_public().unwrap(), Some(kem(7).public()), None)
            .unwrap();
    assert!(keys.matches(&request));
    assert_eq!(keys.check_hybrid(&request), Ok(()));
    // A seed that does not give the signet's key.
    let other = KeyFile { kem: Some(kem(8)), ..keys.clone() };
    assert!(!other.matches(&request));
    assert_eq!(other.check_hybrid(&request), Err(SignetError::HybridKeyMismatch));
    // No seed for a hybrid signet, and a seed for a classical one.
    let classical = KeyFile { kem: None, ..keys.clone() };
    assert_eq!(classical.check_hybrid(&request), Err(SignetError::HybridKeyMismatch));
    let plain = issue::new_request(&keys.signing, &keys.encryption_public().unwrap(), None).unwrap();
    assert_eq!(keys.check_hybrid(&plain), Err(SignetError::HybridKeyMismatch));
    assert_eq!(classical.check_hybrid(&plain), Ok(()));

    // A seed of the wrong size, and a field after the seed.
    let cut = bytes.len() - 1;
    let mut short = bytes[..cut].to_vec();
    short[4] -= 1; // the 3-byte header length
    short[5 + 2 + 32 + 2 + 33 + 1] = 63; // field 16's length byte
    assert_eq!(
        KeyFile::parse(&short).err(),
        Some(SignetError::FieldValue { id: 16, error: dime_core::Error::KemSeedLength { len: 63 } })
    );
    let mut extra = bytes[5..].to_vec();
    extra.extend_from_slice(&[17, 0]);
    let extra = object(dime_core::header::Magic::UserKey, &extra);
    assert_eq!(KeyFile::parse(&extra).err(), Some(SignetError::KeyFileLayout { expected: 0, found: Some(17) }));
    let mut misplaced = bytes[5..5 + 2 + 32 + 2 + 33].to_vec();
    misplaced.extend_from_slice(&[17, 0]);
    let misplaced = object(dime_core::header::Magic::UserKey, &misplaced);
    assert_eq!(KeyFile::parse(&misplaced).err(), Some(SignetError::KeyFileLayout { expected: 16, found: Some(17) }));
    // Classical key files are unchanged.
    let old = KeyFile::generate(KeyOwner::Org).unwrap();
    assert_eq!(old.to_bytes().unwrap().len(), 5 + 2 + 32 + 2 + 33);
}
