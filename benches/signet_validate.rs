//! Parse and fully validate a user signet at the id stage together with its org signet,
//! against the bare Ed25519 work that validation needs: decoding the two public keys and the
//! seven signature checks (user 5, 6, 253, 255; org 4, 253, 255). Goal: overhead under 10%.

mod ratio;

use std::hint::black_box;

use criterion::Criterion;
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_signet::{Context, Signet, SignetState, issue};
use ed25519_dalek::{Signature, VerifyingKey};

struct Fixture {
    org: Vec<u8>,
    user: Vec<u8>,
    pok: [u8; 32],
    /// (signer is the POK?, message, signature) for each check validation makes.
    checks: Vec<(bool, Vec<u8>, [u8; 64])>,
}

fn fixture() -> Fixture {
    let pok = SigningSecretKey::from_seed(&[1; 32]);
    let enc = |n| EncryptionSecretKey::x25519_from_bytes([n; 32]).public().unwrap();
    let org = issue::new_org_signet(&pok, &enc(2), "example.org").unwrap();
    let user_key = SigningSecretKey::from_seed(&[3; 32]);
    let request = issue::new_request(&user_key, &enc(4), None).unwrap();
    let user = issue::issue_user_signet(&request, None, &org, &pok, "alice@example.org", &[(16, b"Alice")]).unwrap();
    let mut checks = Vec::new();
    for (signet, signer_is_pok, ids) in
        [(&user, false, &[5u8][..]), (&user, true, &[6, 253, 255]), (&org, true, &[4, 253, 255])]
    {
        for id in ids {
            let field = signet.field(*id).unwrap();
            let message = signet.payload()[..field.start].to_vec();
            checks.push((signer_is_pok, message, field.data.try_into().unwrap()));
        }
    }
    Fixture { org: org.as_bytes().to_vec(), user: user.as_bytes().to_vec(), pok: *pok.public().as_bytes(), checks }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let user_key = *Signet::parse(&f.user).unwrap().signing_key().unwrap().as_bytes();
    let mut group = c.benchmark_group("signet_validate");
    group.bench_function("ed25519_floor", |b| {
        b.iter(|| {
            let pok = VerifyingKey::from_bytes(black_box(&f.pok)).unwrap();
            let user = VerifyingKey::from_bytes(black_box(&user_key)).unwrap();
            for (by_pok, message, signature) in &f.checks {
                let key = if *by_pok { &pok } else { &user };
                key.verify_strict(message, &Signature::from_bytes(signature)).unwrap();
            }
        })
    });
    group.bench_function("dime_parse_and_validate", |b| {
        let poks = [dime_core::keys::SigningPublicKey::from_bytes(&f.pok).unwrap()];
        b.iter(|| {
            let org = Signet::parse(black_box(&f.org)).unwrap();
            let user = Signet::parse(black_box(&f.user)).unwrap();
            let context = Context { poks: Some(&poks), org: Some(&org), previous: None };
            assert_eq!(user.validate(&context).state, SignetState::Id);
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    ratio::report("signet_validate", "dime_parse_and_validate", "ed25519_floor", "< 1.10x");
}
