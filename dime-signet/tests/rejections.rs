//! Every rejection path of signet, key-file and armor parsing, and of building and validation,
//! with the exact error.

mod common;

use common::*;
use dime_core::Error as CoreError;
use dime_core::armor::{self, Label};
use dime_core::header::Magic;
use dime_core::keys::SigningPublicKey;
use dime_signet::{
    Context, KeyFile, ParseOptions, Permissions, SecondaryKey, Signet, SignetBuilder, SignetError, SignetKind,
    SignetState, ids, issue,
};

fn core(e: CoreError) -> SignetError {
    SignetError::Core(e)
}

fn user_payload() -> Vec<u8> {
    let org = org();
    user(&org).1.payload().to_vec()
}

#[test]
fn framing_faults() {
    let good = user(&org()).1.as_bytes().to_vec();
    assert_eq!(Signet::parse(&good[..3]), Err(core(CoreError::TruncatedHeader { available: 3, needed: 5 })));
    assert_eq!(Signet::parse(&[0xAB, 0xCD, 0, 0, 0]), Err(core(CoreError::UnknownMagic(0xABCD))));
    let key = object(Magic::OrgKey, &[]);
    assert_eq!(
        Signet::parse(&key),
        Err(core(CoreError::WrongMagic { expected: Magic::OrgSignet, found: Magic::OrgKey }))
    );
    let payload_len = good.len() - 5;
    assert_eq!(
        Signet::parse(&good[..good.len() - 1]),
        Err(core(CoreError::LengthMismatch { declared: payload_len, available: payload_len - 1 }))
    );
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"xy");
    assert_eq!(Signet::parse(&trailing), Err(core(CoreError::TrailingBytes { count: 2 })));
    let mut tight = ParseOptions::default();
    tight.limits.max_object = 100;
    assert_eq!(
        Signet::parse_with(&good, &tight),
        Err(core(CoreError::TooLarge { what: "object", size: good.len(), limit: 100 }))
    );
}

#[test]
fn field_faults() {
    // Field id 0 and a truncated field come from the TLV engine.
    assert_eq!(Signet::parse(&object(Magic::UserSignet, &[0])), Err(core(CoreError::FieldIdZero { offset: 0 })));
    assert_eq!(
        Signet::parse(&object(Magic::UserSignet, &[16, 9, b'x'])),
        Err(core(CoreError::TruncatedField { id: 16, offset: 0 }))
    );
    // Out of order: the user payload, then a field 16 before its 253.
    let payload = user_payload();
    let mut p = payload.clone();
    p.extend_from_slice(&[16, 1, b'x']);
    assert_eq!(
        Signet::parse(&object(Magic::UserSignet, &p)),
        Err(SignetError::OutOfOrder { id: 16, after: 255, offset: payload.len() })
    );
    // A unique field twice.
    let p = [16, 1, b'a', 16, 1, b'b'];
    assert_eq!(Signet::parse(&object(Magic::OrgSignet, &p)), Err(SignetError::DuplicateField { id: 16, offset: 3 }));
    // A repeatable field twice is fine (phone numbers).
    let p = [21, 1, b'1', 21, 1, b'2'];
    assert_eq!(Signet::parse(&object(Magic::OrgSignet, &p)).unwrap().all(21).count(), 2);
}

#[test]
fn unknown_ids_strict_and_lenient() {
    let p = [50, 2, b'h', b'i'];
    let strict = Signet::parse(&object(Magic::UserSignet, &p));
    assert_eq!(strict, Err(SignetError::UnknownField { kind: SignetKind::User, id: 50, offset: 0 }));
    let mut lenient = ParseOptions::default();
    lenient.lenient = true;
    let parsed = Signet::parse_with(&object(Magic::UserSignet, &p), &lenient).unwrap();
    assert_eq!(parsed.field(50).map(|f| f.data), Some(&b"hi"[..]));
    // Lenient mode stays strict outside the generic range, and for requests.
    let p = [7; 65];
    assert_eq!(
        Signet::parse_with(&object(Magic::UserSignet, &p), &lenient),
        Err(SignetError::UnknownField { kind: SignetKind::User, id: 7, offset: 0 })
    );
    let p = [16, 1, b'x'];
    assert_eq!(
        Signet::parse_with(&object(Magic::SigningRequest, &p), &lenient),
        Err(SignetError::UnknownField { kind: SignetKind::Request, id: 16, offset: 0 })
    );
}

#[test]
fn key_field_faults() {
    let mut p = vec![1, 31];
    p.extend_from_slice(&[9; 31]);
    assert_eq!(
        Signet::parse(&object(Magic::OrgSignet, &p)),
        Err(SignetError::FieldValue { id: 1, error: CoreError::SigningKeyEncoding { len: 31 } })
    );
    let mut p = vec![1, 33, 0x41];
    p.extend_from_slice(&[9; 32]);
    assert_eq!(
        Signet::parse(&object(Magic::OrgSignet, &p)),
        Err(SignetError::FieldValue { id: 1, error: CoreError::SigningKeyEncoding { len: 33 } })
    );
    let mut p = vec![3, 33, 0x04];
    p.extend_from_slice(&[9; 32]);
    assert_eq!(
        Signet::parse(&object(Magic::OrgSignet, &p)),
        Err(SignetError::FieldValue { id: 3, error: CoreError::EncryptionKeyEncoding { len: 33, prefix: 0x04 } })
    );
    let mut p = vec![2, 32];
    p.extend_from_slice(&[0x40; 32]);
    assert_eq!(
        Signet::parse(&object(Magic::SigningRequest, &p)),
        Err(SignetError::FieldValue { id: 2, error: CoreError::EncryptionKeyEncoding { len: 32, prefix: 0x40 } })
    );
    let mut p = vec![2, 33, 0x02];
    p.extend_from_slice(&[0xFF; 32]);
    assert_eq!(
        Signet::parse(&object(Magic::UserSignet, &p)),
        Err(SignetError::FieldValue { id: 2, error: CoreError::InvalidSecp256k1Point })
    );
    let p = [2, 1, 0x01];
    assert_eq!(
        Signet::parse(&object(Magic::OrgSignet, &p)),
        Err(SignetError::FieldValue { id: 2, error: CoreError::SigningKeyEncoding { len: 0 } })
    );
}

#[test]
fn armor_faults_reach_the_signet_reader() {
    let options = ParseOptions::default();
    let signet = user(&org()).1;
    let text = signet.to_armor();
    assert_eq!(Signet::read(text.as_bytes(), &options).unwrap(), signet);
    let lines: Vec<&str> = text.lines().collect();
    let crc_line = *lines.iter().find(|l| l.starts_with('=')).unwrap();
    let crc = armor::crc24(signet.as_bytes());
    let wrong = if crc_line == "=AAAA" { "=AAAB" } else { "=AAAA" };
    assert_eq!(
        Signet::read(text.replace(crc_line, wrong).as_bytes(), &options),
        Err(core(CoreError::ArmorBadCrc {
            stated: dime_core::codec::get_uint(&dime_core::base64::decode_padded(&wrong[1..], "t").unwrap()),
            computed: crc
        }))
    );
    let without_crc = text.replace(&format!("{crc_line}\n"), "");
    assert_eq!(Signet::read(without_crc.as_bytes(), &options), Err(core(CoreError::ArmorMissingCrc)));
    let blank = text.replacen('\n', "\n\n", 2).replacen("\n\n", "\n", 1);
    assert_eq!(Signet::read(blank.as_bytes(), &options), Err(core(CoreError::ArmorBlankLine { line: 3 })));
    let bad = text.replace(lines[1], &lines[1].replace(|c: char| c.is_ascii_alphabetic(), "A").replacen('A', "-", 1));
    assert_eq!(Signet::read(bad.as_bytes(), &options), Err(core(CoreError::ArmorBadLine { line: 2 })));
    let padded_mid = text.replace(lines[1], &format!("{}==", &lines[1][..62]));
    assert_eq!(Signet::read(padded_mid.as_bytes(), &options), Err(core(CoreError::Base64 { what: "armor body" })));
    let mislabeled = armor::encode(Label::OrgKey, signet.as_bytes());
    assert_eq!(
        Signet::read(mislabeled.as_bytes(), &options),
        Err(core(CoreError::ArmorLabelMagic { label: "ORGANIZATIONAL KEY", magic: Magic::UserSignet }))
    );
}

#[test]
fn key_file_faults() {
    let key = KeyFile::generate(dime_signet::KeyOwner::User).unwrap();
    let bytes = key.to_bytes().unwrap();
    assert_eq!(KeyFile::parse(&bytes).unwrap(), key);
    let payload = &bytes[5..];
    // Fields swapped, missing, extra.
    let mut swapped = payload[34..].to_vec();
    swapped.extend_from_slice(&payload[..34]);
    assert_eq!(
        KeyFile::parse(&object(Magic::UserKey, &swapped)),
        Err(SignetError::KeyFileLayout { expected: 1, found: Some(2) })
    );
    assert_eq!(
        KeyFile::parse(&object(Magic::UserKey, &payload[..34])),
        Err(SignetError::KeyFileLayout { expected: 2, found: None })
    );
    let mut extra = payload.to_vec();
    extra.extend_from_slice(&[17, 0]);
    // After the encryption key only the optional ML-KEM seed (field 16) may follow.
    assert_eq!(
        KeyFile::parse(&object(Magic::UserKey, &extra)),
        Err(SignetError::KeyFileLayout { expected: 16, found: Some(17) })
    );
    // An org key's encryption key is field 3, not 2.
    assert_eq!(
        KeyFile::parse(&object(Magic::OrgKey, payload)),
        Err(SignetError::KeyFileLayout { expected: 3, found: Some(2) })
    );
    // A 31-byte seed, a zero secp256k1 scalar.
    let mut short = vec![1, 31];
    short.extend_from_slice(&[1; 31]);
    assert_eq!(
        KeyFile::parse(&object(Magic::UserKey, &short)),
        Err(SignetError::FieldValue { id: 1, error: CoreError::SecretKeyEncoding { len: 31 } })
    );
    let mut zero = payload[..34].to_vec();
    zero.extend_from_slice(&[2, 32]);
    zero.extend_from_slice(&[0; 32]);
    assert_eq!(
        KeyFile::parse(&object(Magic::UserKey, &zero)),
        Err(SignetError::FieldValue { id: 2, error: CoreError::InvalidSecp256k1Scalar })
    );
    assert_eq!(
        KeyFile::parse(&object(Magic::OrgSignet, &[])),
        Err(core(CoreError::WrongMagic { expected: Magic::OrgKey, found: Magic::OrgSignet }))
    );
}

#[test]
fn builder_refusals() {
    let pok = signing(1);
    let org = SignetBuilder::new(SignetKind::Org);
    assert_eq!(org.clone().sign_crypto(&pok).err(), Some(SignetError::MissingField { id: 1 }));
    assert_eq!(org.clone().sign(16, &pok).err(), Some(SignetError::NotASignature { kind: SignetKind::Org, id: 16 }));
    assert_eq!(
        org.clone().field(4, &[0; 64]).err(),
        Some(SignetError::UnknownField { kind: SignetKind::Org, id: 4, offset: 0 })
    );
    assert_eq!(
        org.clone().field(50, b"x").err(),
        Some(SignetError::UnknownField { kind: SignetKind::Org, id: 50, offset: 0 })
    );
    let b = org.clone().text(17, "Street").unwrap();
    assert_eq!(b.clone().text(16, "Name").err(), Some(SignetError::OutOfOrder { id: 16, after: 17, offset: 8 }));
    assert_eq!(b.text(17, "Again").err(), Some(SignetError::DuplicateField { id: 17, offset: 8 }));
    assert_eq!(
        org.clone().field(16, &[0; 256]).err(),
        Some(core(CoreError::FieldTooLong { id: 16, len: 256, max: 255 }))
    );
    assert_eq!(org.clone().undefined(b"", b"x").err(), Some(core(CoreError::EmptyFieldName { offset: 0 })));
    assert_eq!(
        org.clone().alternate_key(b"x").err(),
        Some(SignetError::WrongKind { expected: SignetKind::User, found: SignetKind::Org })
    );
    let request = SignetBuilder::new(SignetKind::Request);
    assert_eq!(
        request.clone().secondary_key(&SecondaryKey { permissions: Permissions::SIGNETS, key: pok.public() }).err(),
        Some(SignetError::WrongKind { expected: SignetKind::Org, found: SignetKind::Request })
    );
    assert_eq!(
        request.clone().sign_crypto(&pok).err(),
        Some(SignetError::NotASignature { kind: SignetKind::Request, id: 6 })
    );
    assert_eq!(
        request.field(1, &[0x40; 31]).err(),
        Some(SignetError::FieldValue { id: 1, error: CoreError::SigningKeyEncoding { len: 31 } })
    );
    let o = common::org();
    assert_eq!(
        SignetBuilder::from_request(&o.signet).err(),
        Some(SignetError::WrongKind { expected: SignetKind::Request, found: SignetKind::Org })
    );
}

#[test]
fn issuing_refusals() {
    let o = common::org();
    let key = signing(3);
    let request = issue::new_request(&key, &encryption(4), None).unwrap();
    // Not the POK, not an SOK.
    assert_eq!(
        issue::issue_user_signet(&request, None, &o.signet, &signing(9), "a@example.org", &[]),
        Err(SignetError::KeyNotAuthorized)
    );
    // A request whose own signature is by another key.
    let forged = SignetBuilder::new(SignetKind::Request)
        .signing_key(&key.public())
        .unwrap()
        .encryption_key(&encryption(4))
        .unwrap()
        .sign_request(&signing(8))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(forged.validate(&Context::default()).state, SignetState::Invalid);
    assert_eq!(
        issue::issue_user_signet(&forged, None, &o.signet, &o.pok, "a@example.org", &[]),
        Err(SignetError::BadSignature { id: 5 })
    );
    // Issuing from something that is not a request.
    let (_, user) = common::user(&o);
    assert_eq!(
        issue::issue_user_signet(&user, None, &o.signet, &o.pok, "a@example.org", &[]),
        Err(SignetError::WrongKind { expected: SignetKind::Request, found: SignetKind::User })
    );
    // Info fields out of order are refused, and nothing is issued.
    let info: [(u8, &[u8]); 2] = [(17, b"b"), (16, b"a")];
    assert_eq!(
        issue::issue_user_signet(&request, None, &o.signet, &o.pok, "a@example.org", &info),
        Err(SignetError::OutOfOrder { id: 16, after: 17, offset: request.payload().len() + 65 + 3 })
    );
}

#[test]
fn validation_problems() {
    let o = common::org();
    let (_, user) = common::user(&o);
    let v = user.validate(&Context { poks: Some(&o.poks), org: None, previous: None });
    assert_eq!((v.state, v.problem), (SignetState::Invalid, Some(SignetError::OrgSignetRequired)));
    let other: Vec<SigningPublicKey> = vec![signing(7).public()];
    let v = user.validate(&Context { poks: Some(&other), org: Some(&o.signet), previous: None });
    assert_eq!(v.state, SignetState::Invalid);
    assert_eq!(v.problem, Some(SignetError::OrgSignetInvalid(SignetError::PokNotInRecord.to_string())));
    let v = user.validate(&Context { poks: None, org: Some(&user), previous: None });
    assert_eq!(
        (v.state, v.problem),
        (SignetState::Invalid, Some(SignetError::WrongKind { expected: SignetKind::Org, found: SignetKind::User }))
    );
    // A previous signet given for a signet without custody: broken custody.
    let v = user.validate(&context(&o, Some(&user)));
    assert_eq!((v.state, v.problem), (SignetState::BrokenCustody, Some(SignetError::CustodyMissing)));
    // Incomplete: a user signet cut before its field 5.
    let cut = object(Magic::UserSignet, &user.payload()[..user.field(ids::USER_SIGNATURE).unwrap().start]);
    let v = Signet::parse(&cut).unwrap().validate(&context(&o, None));
    assert_eq!((v.state, v.problem), (SignetState::Incomplete, Some(SignetError::MissingField { id: 6 })));
    let v = dime_signet::validate_bytes(&cut[..10], &ParseOptions::default(), &context(&o, None));
    assert_eq!(v.state, SignetState::Malformed);
    assert!(matches!(v.problem, Some(SignetError::Core(CoreError::LengthMismatch { .. }))));
}
