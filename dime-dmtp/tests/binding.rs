//! The relabelling attack of issue 9 against the resolver: a signet stands for an address
//! only at `id`, so neither an identifier appended to a `full` signet nor a signet without an
//! identifier is accepted as anyone's binding.

mod common;

use common::*;
use dime_core::header::Header;
use dime_core::keys::SigningSecretKey;
use dime_dmtp::DmtpError;
use dime_dmtp::resolve::{validate_org, validate_user};
use dime_dmtp::wire::Address;
use dime_signet::{Signet, SignetError, SignetState, Split, ids};

/// `signet`'s payload with `fields` appended, under its own magic.
fn appended(signet: &Signet, fields: &[u8]) -> Vec<u8> {
    let mut payload = signet.payload().to_vec();
    payload.extend_from_slice(fields);
    Header::wrap(signet.kind().magic(), &payload).unwrap()
}

/// Field 254 holding `text`, followed by a 255 signed with `key` when given.
fn relabel(signet: &Signet, text: &str, key: Option<&SigningSecretKey>) -> Vec<u8> {
    let mut fields = vec![ids::IDENTIFIER, u8::try_from(text.len()).unwrap()];
    fields.extend_from_slice(text.as_bytes());
    if let Some(key) = key {
        let mut signed = signet.payload().to_vec();
        signed.extend_from_slice(&fields);
        fields.push(ids::ID_SIGNATURE);
        fields.extend_from_slice(key.sign(&signed).as_bytes());
    }
    appended(signet, &fields)
}

#[test]
fn a_relabelled_full_signet_is_not_the_ceo() {
    let org = Org::new("example.net");
    let eve = org.user("eve@example.net", 1);
    let bound = validate_org(org.signet.as_bytes(), &org.domain, &org.record).unwrap();
    let ceo: Address = "ceo@example.net".parse().unwrap();
    let full = eve.current().split(Split::Full).unwrap();

    // An appended 254 with no signature after it does not even parse.
    assert_eq!(
        validate_user(&relabel(&full, "ceo@example.net", None), &ceo, &bound, None),
        Err(DmtpError::Signet(SignetError::UnsignedIdentifier { offset: full.payload().len() }))
    );
    // With a 255 by a key of Eve's, the identifiable signature does not verify.
    let forged = relabel(&full, "ceo@example.net", Some(&SigningSecretKey::from_seed(&[42; 32])));
    assert_eq!(
        validate_user(&forged, &ceo, &bound, None),
        Err(DmtpError::SignetState {
            state: SignetState::Invalid,
            reason: Some("signature field 255 does not verify".into())
        })
    );
    // Eve's own `id` signet names Eve, not the CEO.
    assert_eq!(
        validate_user(eve.current().as_bytes(), &ceo, &bound, None),
        Err(DmtpError::IdentifierMismatch { expected: "ceo@example.net".into(), found: "eve@example.net".into() })
    );
}

#[test]
fn a_signet_without_identifier_binds_no_address() {
    let org = Org::new("example.net");
    let eve = org.user("eve@example.net", 1);
    let bound = validate_org(org.signet.as_bytes(), &org.domain, &org.record).unwrap();
    for (split, state) in [(Split::Full, SignetState::Full), (Split::Crypto, SignetState::Crypto)] {
        let bare = eve.current().split(split).unwrap();
        for address in ["ceo@example.net", "eve@example.net"] {
            assert_eq!(
                validate_user(bare.as_bytes(), &address.parse().unwrap(), &bound, None),
                Err(DmtpError::SignetState { state, reason: None })
            );
        }
    }
    // Nor does an org signet without identifier stand for its domain.
    let bare_org = org.signet.split(Split::Full).unwrap();
    assert_eq!(
        validate_org(bare_org.as_bytes(), &org.domain, &org.record),
        Err(DmtpError::SignetState { state: SignetState::Full, reason: None })
    );
}

/// `Delivery::new` takes the domains and full fingerprints from two bound org signets, and
/// refuses a user signet in an org's place.
#[test]
fn a_delivery_from_two_bound_org_signets() {
    use dime_dmtp::client::Delivery;
    let (origin, destination) = (Org::new("example.org"), Org::new("example.net"));
    let from = validate_org(origin.signet.as_bytes(), &origin.domain, &origin.record).unwrap();
    let to = validate_org(destination.signet.as_bytes(), &destination.domain, &destination.record).unwrap();
    let delivery = Delivery::new(&from, &to, b"object".to_vec()).unwrap();
    assert_eq!(
        delivery,
        Delivery {
            origin: host("example.org"),
            origin_fingerprint: origin.fingerprint(),
            destination: host("example.net"),
            destination_fingerprint: destination.fingerprint(),
            object: bytes::Bytes::from_static(b"object"),
            hash: None,
            return_type: None,
            data_type: None,
        }
    );
    let bob = destination.user("bob@example.net", 1);
    let bound_bob = validate_user(bob.current().as_bytes(), &"bob@example.net".parse().unwrap(), &to, None).unwrap();
    assert_eq!(Delivery::new(&from, &bound_bob, Vec::new()), Err(DmtpError::SignetKind));
    assert_eq!(Delivery::new(&bound_bob, &to, Vec::new()), Err(DmtpError::SignetKind));
}
