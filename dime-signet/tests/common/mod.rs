//! Fixtures shared by the dime-signet integration tests: deterministic keys and signets.
#![allow(dead_code)]

use dime_core::keys::{EncryptionPublicKey, EncryptionSecretKey, SigningPublicKey, SigningSecretKey};
use dime_signet::{Context, Signet, issue};

/// A deterministic Ed25519 key.
pub fn signing(n: u8) -> SigningSecretKey {
    SigningSecretKey::from_seed(&[n; 32])
}

/// A deterministic X25519 public key.
pub fn encryption(n: u8) -> EncryptionPublicKey {
    EncryptionSecretKey::x25519_from_bytes([n; 32]).public().unwrap()
}

/// An organization with its POK, at the id stage.
pub struct Org {
    pub pok: SigningSecretKey,
    pub signet: Signet,
    pub poks: Vec<SigningPublicKey>,
}

pub fn org() -> Org {
    let pok = signing(1);
    let signet = issue::new_org_signet(&pok, &encryption(2), "example.org").unwrap();
    Org { poks: vec![pok.public()], pok, signet }
}

/// A user signet at the id stage issued by `org`, with the user's signing key.
pub fn user(org: &Org) -> (SigningSecretKey, Signet) {
    let key = signing(3);
    let request = issue::new_request(&key, &encryption(4), None).unwrap();
    let signet = issue::issue_user_signet(&request, None, &org.signet, &org.pok, "alice@example.org", &[]).unwrap();
    (key, signet)
}

pub fn context<'a>(org: &'a Org, previous: Option<&'a Signet>) -> Context<'a> {
    Context { poks: Some(&org.poks), org: Some(&org.signet), previous }
}

/// Rebuilds an object from a kind's magic and a raw payload (for hand-made faults).
pub fn object(magic: dime_core::header::Magic, payload: &[u8]) -> Vec<u8> {
    dime_core::header::Header::wrap(magic, payload).unwrap()
}
