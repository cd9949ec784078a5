//! The signet life cycle: each stage's state, rotation with chain of custody, splits, secondary
//! keys chosen by permission, and the informational, undefined and repeatable fields.

mod common;

use common::*;
use dime_core::keys::SigningPublicKey;
use dime_signet::{
    Context, FingerprintKind, KeyFile, KeyOwner, Permissions, SecondaryKey, Signet, SignetBuilder, SignetError,
    SignetKind, SignetState, Split, ids, issue,
};

fn state(builder: &SignetBuilder, context: &Context<'_>) -> SignetState {
    builder.clone().build().unwrap().validate(context).state
}

#[test]
fn org_signet_goes_crypto_full_id() {
    let pok = signing(1);
    let poks = [pok.public()];
    let ctx = Context { poks: Some(&poks), ..Context::default() };
    let b =
        SignetBuilder::new(SignetKind::Org).signing_key(&pok.public()).unwrap().encryption_key(&encryption(2)).unwrap();
    assert_eq!(state(&b, &ctx), SignetState::Incomplete);
    let b = b.sign_crypto(&pok).unwrap();
    assert_eq!(state(&b, &ctx), SignetState::Crypto);
    let b = b.text(ids::NAME, "Example").unwrap().text(ids::PHONE, "+1 555").unwrap().sign_full(&pok).unwrap();
    assert_eq!(state(&b, &ctx), SignetState::Full);
    let b = b.identifier("example.org").unwrap();
    // An identifier no signature covers yet is no signet at all (docs/signet.md §2).
    assert!(matches!(b.clone().build(), Err(SignetError::UnsignedIdentifier { .. })));
    let org = b.sign_id(&pok).unwrap().build().unwrap();
    assert_eq!(org.validate(&ctx).state, SignetState::Id);
    // Fingerprints nest: crypto ⊂ full ⊂ id prefixes differ once info fields are added.
    let fps: Vec<_> = [FingerprintKind::Crypto, FingerprintKind::Full, FingerprintKind::Id]
        .iter()
        .map(|k| org.fingerprint(*k).unwrap())
        .collect();
    assert!(fps[0] != fps[1] && fps[1] != fps[2]);
    assert_eq!(org.fingerprint(FingerprintKind::Ssr), None);
    assert_eq!(org.split(Split::Full).unwrap().fingerprint(FingerprintKind::Id), Some(fps[1]));
    assert_eq!(org.split(Split::Crypto).unwrap().fingerprint(FingerprintKind::Id), Some(fps[0]));
}

#[test]
fn user_signet_goes_ssr_crypto_full_id() {
    let o = org();
    let ctx = context(&o, None);
    let key = signing(3);
    let request = issue::new_request(&key, &encryption(4), None).unwrap();
    assert_eq!(request.validate(&Context::default()).state, SignetState::Ssr);
    let b = SignetBuilder::from_request(&request).unwrap();
    assert_eq!(state(&b, &ctx), SignetState::Incomplete);
    let b = b.sign_crypto(&o.pok).unwrap();
    assert_eq!(state(&b, &ctx), SignetState::Crypto);
    let b = b.text(ids::NAME, "Alice").unwrap().sign_full(&o.pok).unwrap();
    assert_eq!(state(&b, &ctx), SignetState::Full);
    let user = b.identifier("alice@example.org").unwrap().sign_id(&o.pok).unwrap().build().unwrap();
    assert_eq!(user.validate(&ctx).state, SignetState::Id);
    assert!(user.payload().starts_with(request.payload()));
    assert_eq!(user.fingerprint(FingerprintKind::Ssr), request.fingerprint(FingerprintKind::Ssr));
    assert_eq!(user.split(Split::Full).unwrap().validate(&ctx).state, SignetState::Full);
    assert_eq!(user.split(Split::Crypto).unwrap().validate(&ctx).state, SignetState::Crypto);
    assert_eq!(
        request.split(Split::Crypto),
        Err(SignetError::WrongKind { expected: SignetKind::User, found: SignetKind::Request })
    );
    assert_eq!(user.split(Split::Crypto).unwrap().split(Split::Full), Err(SignetError::MissingField { id: 253 }));
}

#[test]
fn rotation_keeps_the_chain_of_custody() {
    let o = org();
    let (old_key, old) = user(&o);
    let new_key = signing(5);
    let request = issue::new_request(&new_key, &encryption(6), Some(&old_key)).unwrap();
    // Without the previous signet the custody cannot be checked; with it, it holds.
    let v = request.validate(&Context::default());
    assert_eq!((v.state, v.problem), (SignetState::BrokenCustody, Some(SignetError::CustodyWithoutPrevious)));
    assert_eq!(request.validate(&Context { previous: Some(&old), ..Context::default() }).state, SignetState::Ssr);
    assert_eq!(
        issue::issue_user_signet(&request, None, &o.signet, &o.pok, "alice@example.org", &[]),
        Err(SignetError::CustodyWithoutPrevious)
    );
    let rotated = issue::issue_user_signet(&request, Some(&old), &o.signet, &o.pok, "alice@example.org", &[]).unwrap();
    assert_eq!(rotated.validate(&context(&o, Some(&old))).state, SignetState::Id);
    let v = rotated.validate(&context(&o, None));
    assert_eq!((v.state, v.problem), (SignetState::BrokenCustody, Some(SignetError::CustodyWithoutPrevious)));
    // Another user's signet is not the previous one.
    let stranger = issue::issue_user_signet(
        &issue::new_request(&signing(7), &encryption(8), None).unwrap(),
        None,
        &o.signet,
        &o.pok,
        "bob@example.org",
        &[],
    )
    .unwrap();
    let v = rotated.validate(&context(&o, Some(&stranger)));
    assert_eq!((v.state, v.problem), (SignetState::BrokenCustody, Some(SignetError::CustodyBroken)));
    let v = rotated.validate(&context(&o, Some(&o.signet)));
    assert_eq!(
        (v.state, v.problem),
        (
            SignetState::BrokenCustody,
            Some(SignetError::WrongKind { expected: SignetKind::User, found: SignetKind::Org })
        )
    );
    // An invalid signature stays invalid even when the custody is also broken.
    let mut bytes = rotated.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = Signet::parse(&bytes).unwrap();
    assert_eq!(tampered.validate(&context(&o, Some(&stranger))).state, SignetState::Invalid);
}

#[test]
fn secondary_keys_sign_by_permission() {
    let pok = signing(1);
    let signer = signing(10);
    let mailer = signing(11);
    let org = SignetBuilder::new(SignetKind::Org)
        .signing_key(&pok.public())
        .unwrap()
        .secondary_key(&SecondaryKey { permissions: Permissions::SIGNETS | Permissions::TLS, key: signer.public() })
        .unwrap()
        .secondary_key(&SecondaryKey { permissions: Permissions::MESSAGES, key: mailer.public() })
        .unwrap()
        .encryption_key(&encryption(2))
        .unwrap()
        .sign_crypto(&pok)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(org.secondary_keys().len(), 2);
    assert!(org.secondary_keys()[0].permissions.allows(Permissions::TLS));
    let poks: Vec<SigningPublicKey> = vec![pok.public()];
    let request = issue::new_request(&signing(3), &encryption(4), None).unwrap();
    let ctx = Context { poks: Some(&poks), org: Some(&org), previous: None };
    let by_sok = issue::issue_user_signet(&request, None, &org, &signer, "a@example.org", &[]).unwrap();
    assert_eq!(by_sok.validate(&ctx).state, SignetState::Id);
    assert_eq!(
        issue::issue_user_signet(&request, None, &org, &mailer, "a@example.org", &[]),
        Err(SignetError::KeyNotAuthorized)
    );
    // Forced through the builder, the mailer's signature does not count.
    let forced = SignetBuilder::from_request(&request).unwrap().sign_crypto(&mailer).unwrap().build().unwrap();
    let v = forced.validate(&ctx);
    assert_eq!((v.state, v.problem), (SignetState::Invalid, Some(SignetError::BadSignature { id: 6 })));
    // Org signatures are checked against the POK only, never an SOK.
    let org_by_sok = SignetBuilder::new(SignetKind::Org)
        .signing_key(&pok.public())
        .unwrap()
        .encryption_key(&encryption(2))
        .unwrap()
        .sign_crypto(&signer)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(org_by_sok.validate(&Context::default()).problem, Some(SignetError::BadSignature { id: 4 }));
}

#[test]
fn informational_undefined_repeatable_and_photo_fields_round_trip() {
    let o = org();
    let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    let request = issue::new_request(&signing(3), &encryption(4), None).unwrap();
    let user = SignetBuilder::from_request(&request)
        .unwrap()
        .sign_crypto(&o.pok)
        .unwrap()
        .text(ids::NAME, "Zoë Ünïcode")
        .unwrap()
        .text(ids::PHONE, "+1 555 0100")
        .unwrap()
        .text(ids::PHONE, "+1 555 0101")
        .unwrap()
        .text(94, "Engineer;work")
        .unwrap()
        .text(202, "endorsed by A")
        .unwrap()
        .text(202, "endorsed by B")
        .unwrap()
        .undefined(b"pgp", b"fingerprint")
        .unwrap()
        .undefined(b"pgp", b"second")
        .unwrap()
        .undefined(b"matrix", b"@alice:example.org")
        .unwrap()
        .photo(&png)
        .unwrap()
        .sign_full(&o.pok)
        .unwrap()
        .identifier("alice@example.org")
        .unwrap()
        .sign_id(&o.pok)
        .unwrap()
        .build()
        .unwrap();
    let parsed = Signet::parse(user.as_bytes()).unwrap();
    assert_eq!(parsed, user);
    assert_eq!(parsed.validate(&context(&o, None)).state, SignetState::Id);
    assert_eq!(parsed.field(ids::NAME).unwrap().data, "Zoë Ünïcode".as_bytes());
    assert_eq!(parsed.all(ids::PHONE).collect::<Vec<_>>(), [&b"+1 555 0100"[..], b"+1 555 0101"]);
    assert_eq!(parsed.all(202).count(), 2);
    assert_eq!(parsed.undefined(b"pgp"), Some(&b"fingerprint"[..]));
    assert_eq!(parsed.undefined(b"matrix"), Some(&b"@alice:example.org"[..]));
    assert_eq!(parsed.undefined(b"none"), None);
    assert_eq!(parsed.field(ids::PHOTO).unwrap().data, png);
    let names: Vec<&str> = parsed.fields().map(|f| SignetKind::User.lookup(f.id).unwrap().name).collect();
    assert!(names.contains(&"Endorsements") && names.contains(&"Photo") && names.contains(&"Title"));
}

#[test]
fn generated_key_files_match_their_signets() {
    let org_keys = KeyFile::generate(KeyOwner::Org).unwrap();
    let org = issue::new_org_signet(&org_keys.signing, &org_keys.encryption_public().unwrap(), "example.org").unwrap();
    assert!(org_keys.matches(&org));
    let reread = KeyFile::read(org_keys.to_armor().unwrap().as_bytes()).unwrap();
    assert_eq!(reread, org_keys);
    let user_keys = KeyFile::generate(KeyOwner::User).unwrap();
    let request = issue::new_request(&user_keys.signing, &user_keys.encryption_public().unwrap(), None).unwrap();
    assert!(user_keys.matches(&request));
    assert!(!user_keys.matches(&org));
    assert!(!org_keys.matches(&request));
}
