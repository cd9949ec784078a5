//! The relabelling attack of issue 9 against `dime message encrypt`: a signet is encrypted to
//! only when its organization's identifiable signature binds it to the address in `--to`.

mod common;

use common::{TempDir, dime};
use dime_core::armor::{self, Label};
use dime_core::header::Header;
use dime_core::keys::SigningSecretKey;
use dime_signet::{ParseOptions, Signet, Split, ids};

/// example.org with alice (the author), example.net with bob and eve, the org and author
/// signets in `signets/`, and a body.
fn world() -> TempDir {
    let dir = TempDir::new("binding");
    for (domain, org) in [("example.org", "origin"), ("example.net", "destination")] {
        dime(&dir.0, &["keygen", "org", domain, "--out", org]).expect(0);
    }
    for (address, user, org) in [
        ("alice@example.org", "alice", "origin"),
        ("bob@example.net", "bob", "destination"),
        ("eve@example.net", "eve", "destination"),
    ] {
        dime(&dir.0, &["keygen", "user", address, "--out", user]).expect(0);
        let (ssr, out) = (format!("{user}.ssr"), format!("{user}.signet"));
        let (org_key, org_signet) = (format!("{org}.key"), format!("{org}.signet"));
        let args = ["signet", "sign", &ssr, "--org-key", &org_key, "--org-signet", &org_signet, "--address", address];
        dime(&dir.0, &[&args[..], &["--out", &out]].concat()).expect(0);
    }
    std::fs::create_dir(dir.join("signets")).unwrap();
    for signet in ["origin", "destination", "alice"] {
        std::fs::copy(dir.join(&format!("{signet}.signet")), dir.join(&format!("signets/{signet}.signet"))).unwrap();
    }
    dir.write("body.txt", "for the CEO's eyes only\n");
    dir
}

/// Eve's signet cut to `full`, then `fields` appended, armored as a user signet.
fn relabelled(dir: &TempDir, fields: &[u8]) -> String {
    let eve = Signet::read(&std::fs::read(dir.join("eve.signet")).unwrap(), &ParseOptions::default()).unwrap();
    let mut payload = eve.split(Split::Full).unwrap().payload().to_vec();
    payload.extend_from_slice(fields);
    let bytes = Header::wrap(eve.kind().magic(), &payload).unwrap();
    // Its own armor, since the library will not parse the first variant.
    armor::encode(Label::UserSignet, &bytes)
}

/// Field 254 = ceo@example.net, and a 255 by Eve's own key when `signed`.
fn ceo_fields(dir: &TempDir, signed: bool) -> Vec<u8> {
    let text = b"ceo@example.net";
    let mut fields = vec![ids::IDENTIFIER, text.len() as u8];
    fields.extend_from_slice(text);
    if signed {
        let eve = Signet::read(&std::fs::read(dir.join("eve.signet")).unwrap(), &ParseOptions::default()).unwrap();
        let mut signed = eve.split(Split::Full).unwrap().payload().to_vec();
        signed.extend_from_slice(&fields);
        let key = SigningSecretKey::from_seed(&[7; 32]);
        fields.push(ids::ID_SIGNATURE);
        fields.extend_from_slice(key.sign(&signed).as_bytes());
    }
    fields
}

fn encrypt(dir: &TempDir, to: &str, extra: &[&str]) -> common::Run {
    let args = ["message", "encrypt", "--key", "alice.key", "--signets", "signets", "--from", "alice@example.org"];
    let more = ["--to", to, "--subject", "s", "--body", "body.txt", "--out", "m.dime", "--force"];
    dime(&dir.0, &[&args[..], &more[..], extra].concat())
}

#[test]
fn a_relabelled_full_signet_is_not_encrypted_to() {
    let dir = world();
    // 254 appended with no 255: not a signet at all (exit 2).
    dir.write("ceo.signet", relabelled(&dir, &ceo_fields(&dir, false)));
    let run = encrypt(&dir, "CEO <ceo@example.net>", &["--recipient", "ceo.signet"]).expect(2);
    // The identifier follows Eve's full signet (hybrid since D8: 1,204 bytes of field-3 fragments).
    let eve = Signet::read(&std::fs::read(dir.join("eve.signet")).unwrap(), &ParseOptions::default()).unwrap();
    let offset = eve.split(Split::Full).unwrap().payload().len();
    assert_eq!(offset, 265 + 1204);
    assert_eq!(
        run.stderr,
        format!(
            "dime: ceo.signet: malformed: field 254 (identifier) at payload offset {offset} is not followed by \
             field 255, the signature that covers it\n"
        )
    );
    // With a 255 by Eve's key: the organization's signature does not verify (exit 1), given as
    // a file or found in the folder by its identifier.
    dir.write("ceo.signet", relabelled(&dir, &ceo_fields(&dir, true)));
    let run = encrypt(&dir, "CEO <ceo@example.net>", &["--recipient", "ceo.signet"]).expect(1);
    assert_eq!(run.stderr, "dime: ceo.signet: the recipient signet is invalid: signature field 255 does not verify\n");
    std::fs::copy(dir.join("destination.signet"), dir.join("signets/destination.signet")).unwrap();
    std::fs::copy(dir.join("ceo.signet"), dir.join("signets/ceo.signet")).unwrap();
    let run = encrypt(&dir, "CEO <ceo@example.net>", &[]).expect(1);
    assert_eq!(
        run.stderr,
        "dime: signets/ceo.signet: the recipient signet is invalid: signature field 255 does not verify\n"
    );
    assert!(!dir.join("m.dime").exists());
}

#[test]
fn a_signet_is_encrypted_to_only_for_its_bound_address() {
    let dir = world();
    // Eve's genuine signet is bound to eve, not to the CEO.
    let run = encrypt(&dir, "ceo@example.net", &["--recipient", "eve.signet"]).expect(1);
    assert_eq!(
        run.stderr,
        "dime: eve.signet: the recipient signet is bound to eve@example.net, not to ceo@example.net\n"
    );
    // A signet without identifier is bound to no one.
    dir.write("bare.signet", relabelled(&dir, &[]));
    let run = encrypt(&dir, "bob@example.net", &["--recipient", "bare.signet"]).expect(1);
    assert_eq!(
        run.stderr,
        "dime: bare.signet: the recipient signet is full, not id, so it is bound to no address or domain\n"
    );
    // Bob's signet, for bob: encrypted.
    let run = encrypt(&dir, "Bob <bob@example.net>", &["--recipient", "bob.signet"]).expect(0);
    assert!(run.stdout.contains("recipient: bob@example.net\n"), "{run:?}");
}
