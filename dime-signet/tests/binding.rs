//! Binding a signet to its address or domain: only at `id`, only against an anchor, and never
//! through an identifier no signature covers (the relabelling attack of issue 9).

mod common;

use common::*;
use dime_signet::{
    Anchor, AnchorSource, ManagementRecord, Signet, SignetBuilder, SignetError, SignetKind, SignetState, Split, ids,
};

/// `signet`'s payload with `fields` appended, under `magic`.
fn appended(signet: &Signet, fields: &[u8]) -> Vec<u8> {
    let mut payload = signet.payload().to_vec();
    payload.extend_from_slice(fields);
    object(signet.kind().magic(), &payload)
}

/// A field 254 holding `text`.
fn identifier_field(text: &str) -> Vec<u8> {
    let mut field = vec![ids::IDENTIFIER, u8::try_from(text.len()).unwrap()];
    field.extend_from_slice(text.as_bytes());
    field
}

#[test]
fn a_bound_user_signet_names_its_address() {
    let org = org();
    let (_, alice) = user(&org);
    let anchor = Anchor::trusted("example.org", &org.poks);
    let bound_org = org.signet.bind(&anchor).unwrap();
    assert_eq!((bound_org.identifier(), bound_org.anchor_source()), ("example.org", AnchorSource::Trusted));
    let bound = bound_org.bind_user(&alice, None).unwrap();
    assert_eq!(bound.identifier(), "alice@example.org");
    assert_eq!(bound.signet(), &alice);

    // The same through a management record.
    let record: ManagementRecord =
        format!("ver=1 pok={}", dime_core::base64::encode_unpadded(org.pok.public().as_bytes())).parse().unwrap();
    let anchor = Anchor::record("EXAMPLE.org", &record);
    let bound = org.signet.bind(&anchor).unwrap().bind_user(&alice, None).unwrap();
    assert_eq!((bound.identifier(), bound.anchor_source()), ("alice@example.org", AnchorSource::Record));
}

#[test]
fn an_identifier_appended_to_a_full_signet_is_refused_at_parse() {
    // Eve holds a `full` signet of example.org (any user's, split before 254) and relabels it.
    let org = org();
    let (_, alice) = user(&org);
    let full = alice.split(Split::Full).unwrap();
    let relabelled = appended(&full, &identifier_field("ceo@example.org"));
    assert_eq!(Signet::parse(&relabelled), Err(SignetError::UnsignedIdentifier { offset: full.payload().len() }));
    assert_eq!(
        SignetError::UnsignedIdentifier { offset: 7 }.to_string(),
        "field 254 (identifier) at payload offset 7 is not followed by field 255, the signature that covers it"
    );
    // The same for an org signet, and a `crypto` one.
    let org_full = org.signet.split(Split::Full).unwrap();
    let org_relabelled = appended(&org_full, &identifier_field("example.net"));
    assert_eq!(
        Signet::parse(&org_relabelled),
        Err(SignetError::UnsignedIdentifier { offset: org_full.payload().len() })
    );
    let crypto = alice.split(Split::Crypto).unwrap();
    assert_eq!(
        Signet::parse(&appended(&crypto, &identifier_field("ceo@example.org"))),
        Err(SignetError::UnsignedIdentifier { offset: crypto.payload().len() })
    );
    // The builder cannot finish one either.
    let unsigned = SignetBuilder::new(SignetKind::Org)
        .signing_key(&org.pok.public())
        .unwrap()
        .encryption_key(&encryption(2))
        .unwrap()
        .sign_crypto(&org.pok)
        .unwrap()
        .sign_full(&org.pok)
        .unwrap()
        .identifier("example.org")
        .unwrap()
        .build();
    assert_eq!(unsigned, Err(SignetError::UnsignedIdentifier { offset: org_full.payload().len() }));
}

#[test]
fn an_identifier_with_a_forged_identifiable_signature_binds_nothing() {
    let org = org();
    let (eve_key, alice) = user(&org);
    let full = alice.split(Split::Full).unwrap();
    // 254 = ceo, then a 255 by a key the organization never trusted.
    let mut fields = identifier_field("ceo@example.org");
    let mut signed = full.payload().to_vec();
    signed.extend_from_slice(&fields);
    fields.push(ids::ID_SIGNATURE);
    fields.extend_from_slice(eve_key.sign(&signed).as_bytes());
    let forged = Signet::parse(&appended(&full, &fields)).unwrap();
    assert_eq!(forged.unverified_identifier(), Some(&b"ceo@example.org"[..]));
    let bound_org = org.signet.bind(&Anchor::trusted("example.org", &org.poks)).unwrap();
    let error = bound_org.bind_user(&forged, None).unwrap_err();
    assert_eq!(
        error,
        SignetError::NotBound {
            state: SignetState::Invalid,
            cause: Some(Box::new(SignetError::BadSignature { id: ids::ID_SIGNATURE }))
        }
    );
    assert_eq!(
        error.to_string(),
        "the signet is invalid, not id, so it is bound to no identifier: signature field 255 does not verify"
    );
    // An all-zero 255 fares no better.
    let mut zero = identifier_field("ceo@example.org");
    zero.push(ids::ID_SIGNATURE);
    zero.extend_from_slice(&[0; 64]);
    let zeroed = Signet::parse(&appended(&full, &zero)).unwrap();
    assert!(matches!(
        bound_org.bind_user(&zeroed, None),
        Err(SignetError::NotBound { state: SignetState::Invalid, .. })
    ));
}

#[test]
fn a_signet_without_identifier_binds_no_address() {
    let org = org();
    let (_, alice) = user(&org);
    let anchor = Anchor::trusted("example.org", &org.poks);
    let bound_org = org.signet.bind(&anchor).unwrap();
    for (signet, state) in [
        (alice.split(Split::Full).unwrap(), SignetState::Full),
        (alice.split(Split::Crypto).unwrap(), SignetState::Crypto),
    ] {
        assert_eq!(signet.unverified_identifier(), None);
        assert_eq!(bound_org.bind_user(&signet, None), Err(SignetError::NotBound { state, cause: None }));
    }
    assert_eq!(
        org.signet.split(Split::Full).unwrap().bind(&anchor),
        Err(SignetError::NotBound { state: SignetState::Full, cause: None })
    );
    let request = dime_signet::issue::new_request(&signing(7), &encryption(8), None).unwrap();
    assert_eq!(
        bound_org.bind_user(&request, None),
        Err(SignetError::WrongKind { expected: SignetKind::User, found: SignetKind::Request })
    );
    // A user signet is bound only through its bound organization; a user binding binds nothing.
    assert_eq!(alice.bind(&anchor), Err(SignetError::WrongKind { expected: SignetKind::Org, found: SignetKind::User }));
    let bound_alice = bound_org.bind_user(&alice, None).unwrap();
    assert_eq!(
        bound_alice.bind_user(&alice, None),
        Err(SignetError::WrongKind { expected: SignetKind::Org, found: SignetKind::User })
    );
}

#[test]
fn binding_needs_the_anchor_to_vouch() {
    let org = org();
    let (_, alice) = user(&org);
    // Another organization's keys are no anchor for this one.
    let stranger = [signing(9).public()];
    assert_eq!(
        org.signet.bind(&Anchor::trusted("example.org", &stranger)),
        Err(SignetError::NotBound { state: SignetState::Invalid, cause: Some(Box::new(SignetError::PokNotInRecord)) })
    );
    // Another organization (same domain name, other key) did not issue alice's signet.
    let impostor = dime_signet::issue::new_org_signet(&signing(9), &encryption(10), "example.org").unwrap();
    let bound_impostor = impostor.bind(&Anchor::trusted("example.org", &stranger)).unwrap();
    assert_eq!(
        bound_impostor.bind_user(&alice, None),
        Err(SignetError::NotBound {
            state: SignetState::Invalid,
            cause: Some(Box::new(SignetError::BadSignature { id: ids::USER_CRYPTO_SIGNATURE }))
        })
    );
    // The keys are trusted for one domain: example.org's POK does not vouch for example.net.
    let error = org.signet.bind(&Anchor::trusted("example.net", &org.poks)).unwrap_err();
    assert_eq!(error, SignetError::OutsideAnchor { identifier: "example.org".into(), domain: "example.net".into() });
    assert_eq!(error.to_string(), "the identifier \"example.org\" does not belong to the anchored domain example.net");
    // Nor does an organization bind an address outside its domain, whatever it signed.
    let net_pok = signing(13);
    let net = dime_signet::issue::new_org_signet(&net_pok, &encryption(14), "example.net").unwrap();
    let request = dime_signet::issue::new_request(&signing(3), &encryption(4), None).unwrap();
    let stray = dime_signet::issue::issue_user_signet(&request, None, &net, &net_pok, "ceo@example.org", &[]).unwrap();
    let net_poks = [net_pok.public()];
    let bound_net = net.bind(&Anchor::trusted("example.net", &net_poks)).unwrap();
    assert_eq!(
        bound_net.bind_user(&stray, None),
        Err(SignetError::OutsideAnchor { identifier: "ceo@example.org".into(), domain: "example.net".into() })
    );
}

#[test]
fn an_identifier_must_be_text() {
    let org = org();
    let request = dime_signet::issue::new_request(&signing(3), &encryption(4), None).unwrap();
    let signet = SignetBuilder::from_request(&request)
        .unwrap()
        .sign_crypto(&org.pok)
        .unwrap()
        .sign_full(&org.pok)
        .unwrap()
        .field(ids::IDENTIFIER, b"\xffalice@example.org")
        .unwrap()
        .sign_id(&org.pok)
        .unwrap()
        .build()
        .unwrap();
    let bound_org = org.signet.bind(&Anchor::trusted("example.org", &org.poks)).unwrap();
    assert_eq!(bound_org.bind_user(&signet, None), Err(SignetError::IdentifierNotText));
}

#[test]
fn a_rotated_signet_binds_with_or_without_its_history() {
    let org = org();
    let (alice_key, alice) = user(&org);
    let request = dime_signet::issue::new_request(&signing(5), &encryption(6), Some(&alice_key)).unwrap();
    let rotated =
        dime_signet::issue::issue_user_signet(&request, Some(&alice), &org.signet, &org.pok, "alice@example.org", &[])
            .unwrap();
    let bound_org = org.signet.bind(&Anchor::trusted("example.org", &org.poks)).unwrap();
    assert_eq!(bound_org.bind_user(&rotated, None).unwrap().identifier(), "alice@example.org");
    assert_eq!(bound_org.bind_user(&rotated, Some(&alice)).unwrap().identifier(), "alice@example.org");
    // A previous signet that is not its predecessor breaks custody.
    let unrelated = dime_signet::issue::issue_user_signet(
        &dime_signet::issue::new_request(&signing(11), &encryption(12), None).unwrap(),
        None,
        &org.signet,
        &org.pok,
        "bob@example.org",
        &[],
    )
    .unwrap();
    assert_eq!(
        bound_org.bind_user(&rotated, Some(&unrelated)),
        Err(SignetError::NotBound {
            state: SignetState::BrokenCustody,
            cause: Some(Box::new(SignetError::CustodyBroken))
        })
    );
}

#[test]
fn validation_says_whether_the_organization_was_anchored() {
    use dime_signet::Context;
    let org = org();
    let (key, alice) = user(&org);
    let anchored = Context { poks: Some(&org.poks), ..Context::default() };

    // Without POKs the signatures hold, up to `id`, but nothing says whose they are.
    let alone = org.signet.validate(&Context::default());
    assert_eq!((alone.state, alone.anchored), (SignetState::Id, false));
    let with_org = alice.validate(&Context { org: Some(&org.signet), ..Context::default() });
    assert_eq!((with_org.state, with_org.anchored), (SignetState::Id, false));

    // With the record's POKs both are anchored: a user signet through its organization.
    let org_anchored = org.signet.validate(&anchored);
    assert_eq!((org_anchored.state, org_anchored.anchored), (SignetState::Id, true));
    let user_anchored = alice.validate(&Context { org: Some(&org.signet), ..anchored });
    assert_eq!((user_anchored.state, user_anchored.anchored), (SignetState::Id, true));

    // A request is its holder's word alone, POKs or not; a failure is never anchored.
    let request = dime_signet::issue::new_request(&key, &encryption(4), None).unwrap();
    let checked = request.validate(&anchored);
    assert_eq!((checked.state, checked.anchored), (SignetState::Ssr, false));
    let other = Context { poks: Some(&[]), ..Context::default() };
    let refused = org.signet.validate(&other);
    assert_eq!((refused.state, refused.anchored), (SignetState::Invalid, false));
}

/// A bound signet is an org or user signet: its crypto, full and id fingerprints are the ones
/// `Signet::fingerprint` gives, without an `Option`.
#[test]
fn a_bound_signet_has_every_fingerprint() {
    use dime_signet::FingerprintKind;
    let org = org();
    let (_, alice) = user(&org);
    let bound_org = org.signet.bind(&Anchor::trusted("example.org", &org.poks)).unwrap();
    let bound = bound_org.bind_user(&alice, None).unwrap();
    for (signet, plain) in [(&bound_org, &org.signet), (&bound, &alice)] {
        assert_eq!(Some(signet.crypto_fingerprint()), plain.fingerprint(FingerprintKind::Crypto));
        assert_eq!(Some(signet.full_fingerprint()), plain.fingerprint(FingerprintKind::Full));
        assert_eq!(Some(signet.id_fingerprint()), plain.fingerprint(FingerprintKind::Id));
    }
    // Three different prefixes, three different fingerprints.
    assert_ne!(bound.crypto_fingerprint(), bound.full_fingerprint());
    assert_ne!(bound.full_fingerprint(), bound.id_fingerprint());
}
