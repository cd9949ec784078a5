//! Property tests: arbitrary signets survive build → serialize → parse unchanged, and any
//! single bit flip anywhere in a signed signet lowers its validated state.

mod common;

use common::*;
use dime_core::field::Encoding;
use dime_signet::{Context, ParseOptions, Signet, SignetBuilder, SignetKind, SignetState, ids, validate_bytes};
use proptest::prelude::*;

/// An informational field of `kind` (16–250, 252) with data that fits its encoding.
fn info_field(kind: SignetKind) -> impl Strategy<Value = (u8, Vec<u8>)> {
    let ids: Vec<u8> = kind.fields().map(|s| s.id).filter(|id| (16..=250).contains(id) || *id == ids::PHOTO).collect();
    proptest::sample::select(ids).prop_flat_map(|id| {
        let max = match Encoding::of(id) {
            Some(Encoding::Prefixed(1)) => 255,
            _ => 700,
        };
        (Just(id), proptest::collection::vec(any::<u8>(), 0..=max))
    })
}

#[derive(Debug, Clone)]
struct Plan {
    kind: SignetKind,
    info: Vec<(u8, Vec<u8>)>,
    undefined: Vec<(Vec<u8>, Vec<u8>)>,
    stage: SignetState,
    identifier: String,
}

fn plan() -> impl Strategy<Value = Plan> {
    prop_oneof![Just(SignetKind::Org), Just(SignetKind::User)].prop_flat_map(|kind| {
        (
            proptest::collection::vec(info_field(kind), 0..8),
            proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 1..20), proptest::collection::vec(any::<u8>(), 0..100)),
                0..3,
            ),
            prop_oneof![Just(SignetState::Crypto), Just(SignetState::Full), Just(SignetState::Id)],
            "[a-z]{1,12}\\.[a-z]{2,5}",
        )
            .prop_map(move |(mut info, undefined, stage, identifier)| {
                info.sort_by_key(|(id, _)| *id);
                // Keep the first of each unique id.
                info.dedup_by(|b, a| {
                    a.0 == b.0 && kind.lookup(a.0).map(|s| s.repeat) == Some(dime_signet::Repeat::Unique)
                });
                Plan { kind, info, undefined, stage, identifier }
            })
    })
}

fn build(plan: &Plan) -> Signet {
    let o = org();
    let mut b = match plan.kind {
        SignetKind::Org => SignetBuilder::new(SignetKind::Org)
            .signing_key(&o.pok.public())
            .unwrap()
            .encryption_key(&encryption(2))
            .unwrap(),
        _ => SignetBuilder::from_request(&dime_signet::issue::new_request(&signing(3), &encryption(4), None).unwrap())
            .unwrap(),
    };
    b = b.sign_crypto(&o.pok).unwrap();
    if plan.stage == SignetState::Crypto {
        return b.build().unwrap();
    }
    let (before, after): (Vec<_>, Vec<_>) = plan.info.iter().partition(|(id, _)| *id < ids::UNDEFINED);
    for (id, data) in before {
        b = b.field(*id, data).unwrap();
    }
    for (name, data) in &plan.undefined {
        b = b.undefined(name, data).unwrap();
    }
    for (id, data) in after {
        b = b.field(*id, data).unwrap();
    }
    b = b.sign_full(&o.pok).unwrap();
    if plan.stage == SignetState::Full {
        return b.build().unwrap();
    }
    b.identifier(&plan.identifier).unwrap().sign_id(&o.pok).unwrap().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn build_serialize_parse_is_identity(plan in plan()) {
        let signet = build(&plan);
        let parsed = Signet::parse(signet.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &signet);
        let reread = Signet::read(signet.to_armor().as_bytes(), &ParseOptions::default()).unwrap();
        prop_assert_eq!(&reread, &signet);
        // Every planned field is there, in order, with its data.
        let info: Vec<(u8, Vec<u8>)> = parsed
            .fields()
            .filter(|f| (16..=250).contains(&f.id) || f.id == ids::PHOTO)
            .map(|f| (f.id, f.data.to_vec()))
            .collect();
        let mut expected = plan.info.clone();
        if plan.stage == SignetState::Crypto { expected.clear(); }
        prop_assert_eq!(info, expected);
        let o = org();
        prop_assert_eq!(parsed.validate(&context(&o, None)).state, plan.stage);
    }

    #[test]
    fn a_bit_flip_anywhere_lowers_the_state(plan in plan(), position in any::<proptest::sample::Index>(), bit in 0u8..8) {
        let signet = build(&plan);
        let o = org();
        let mut bytes = signet.as_bytes().to_vec();
        let at = position.index(bytes.len());
        bytes[at] ^= 1 << bit;
        let v = validate_bytes(&bytes, &ParseOptions::default(), &context(&o, None));
        prop_assert!(v.state < plan.stage, "flip at {} bit {}: {:?}", at, bit, v);
    }

    #[test]
    fn arbitrary_bytes_never_validate(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let o = org();
        let mut lenient = ParseOptions::default();
        lenient.lenient = true;
        let v = validate_bytes(&bytes, &lenient, &context(&o, None));
        prop_assert!(v.state < SignetState::Ssr);
    }
}

/// Exhaustive over one user signet at the id stage: every bit of every byte.
#[test]
fn every_single_bit_flip_of_a_user_signet_is_caught() {
    let o = org();
    let (_, user) = user(&o);
    let ctx: Context<'_> = context(&o, None);
    assert_eq!(user.validate(&ctx).state, SignetState::Id);
    let mut caught = 0;
    for at in 0..user.as_bytes().len() {
        for bit in 0..8 {
            let mut bytes = user.as_bytes().to_vec();
            bytes[at] ^= 1 << bit;
            let v = validate_bytes(&bytes, &ParseOptions::default(), &ctx);
            assert!(v.state < SignetState::Id, "flip at {at} bit {bit}: {v:?}");
            caught += 1;
        }
    }
    assert_eq!(caught, user.as_bytes().len() * 8);
}
