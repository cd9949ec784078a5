//! The signet life cycle in one call per step: signing requests (with optional rotation),
//! org signets, and issuing user signets from requests.

use dime_core::kem::KemPublicKey;
use dime_core::keys::{EncryptionPublicKey, SigningSecretKey};

use crate::builder::SignetBuilder;
use crate::error::{Result, SignetError};
use crate::kind::SignetKind;
use crate::signet::Signet;
use crate::sok::Permissions;
use crate::validate::{Context, SignetState};

/// A signing request for a new key pair. With `previous` (the signing key of the user's current
/// signet) it carries the chain-of-custody signature that proves the rotation.
pub fn new_request(
    signing: &SigningSecretKey,
    encryption: &EncryptionPublicKey,
    previous: Option<&SigningSecretKey>,
) -> Result<Signet> {
    new_request_with(signing, encryption, None, previous)
}

/// [`new_request`] that also carries a hybrid encryption key (field-3 fragments, decision D8)
/// when `hybrid` is given. A client asks for one only if its organization's signet has one.
pub fn new_request_with(
    signing: &SigningSecretKey,
    encryption: &EncryptionPublicKey,
    hybrid: Option<&KemPublicKey>,
    previous: Option<&SigningSecretKey>,
) -> Result<Signet> {
    let builder = SignetBuilder::new(SignetKind::Request).signing_key(&signing.public())?.encryption_key(encryption)?;
    let builder = match hybrid {
        Some(key) => builder.hybrid_key(key)?,
        None => builder,
    };
    let builder = match previous {
        Some(previous) => builder.sign_custody(previous)?,
        None => builder,
    };
    builder.sign_request(signing)?.build()
}

/// An organizational signet at the identifiable stage, signed by the POK.
pub fn new_org_signet(pok: &SigningSecretKey, encryption: &EncryptionPublicKey, domain: &str) -> Result<Signet> {
    new_org_signet_with(pok, encryption, None, domain)
}

/// [`new_org_signet`] that also carries a hybrid encryption key (field 251
/// `Hybrid-Encryption-Key`, decision D8) when `hybrid` is given. An organization that has
/// published one keeps one in every later org signet.
pub fn new_org_signet_with(
    pok: &SigningSecretKey,
    encryption: &EncryptionPublicKey,
    hybrid: Option<&KemPublicKey>,
    domain: &str,
) -> Result<Signet> {
    let builder =
        SignetBuilder::new(SignetKind::Org).signing_key(&pok.public())?.encryption_key(encryption)?.sign_crypto(pok)?;
    let builder = match hybrid {
        Some(key) => builder.hybrid_key(key)?,
        None => builder,
    };
    builder.sign_full(pok)?.identifier(domain)?.sign_id(pok)?.build()
}

/// Issues a user signet at the identifiable stage from a signing request.
///
/// The request must validate as `ssr` (its own signature, and its custody signature against
/// `previous` when the user rotates keys); `key` must be the org's POK or a secondary key with
/// the signet permission. `info` adds informational fields between the crypto and full
/// signatures (ids 16–252, in order).
pub fn issue_user_signet(
    request: &Signet,
    previous: Option<&Signet>,
    org: &Signet,
    key: &SigningSecretKey,
    address: &str,
    info: &[(u8, &[u8])],
) -> Result<Signet> {
    if org.kind() != SignetKind::Org {
        return Err(SignetError::WrongKind { expected: SignetKind::Org, found: org.kind() });
    }
    let public = key.public();
    let authorized = org.signing_key() == Some(public)
        || org.secondary_keys().iter().any(|k| k.key == public && k.permissions.allows(Permissions::SIGNETS));
    if !authorized {
        return Err(SignetError::KeyNotAuthorized);
    }
    if request.kind() != SignetKind::Request {
        return Err(SignetError::WrongKind { expected: SignetKind::Request, found: request.kind() });
    }
    let validation = request.validate(&Context { poks: None, org: None, previous });
    if validation.state != SignetState::Ssr {
        return Err(validation.problem.unwrap_or(SignetError::MissingField { id: 5 }));
    }
    let mut builder = SignetBuilder::from_request(request)?.sign_crypto(key)?;
    for (id, data) in info {
        builder = builder.field(*id, data)?;
    }
    builder.sign_full(key)?.identifier(address)?.sign_id(key)?.build()
}

/// Decision D8's first rule, for an organization issuing from `request`: a request may carry a
/// hybrid encryption key only when the organization's signet `org` has a usable one (field 251,
/// signed from `full` on); [`SignetError::HybridWithoutOrgKey`] otherwise. Issuers call it before
/// [`issue_user_signet`], which itself stays permissive so that objects whose organizations
/// break the rule (kinds 0x09) remain constructible for tests and vectors.
pub fn check_hybrid_request(request: &Signet, org: &Signet) -> Result<()> {
    if request.is_hybrid() && !org.is_hybrid() {
        return Err(SignetError::HybridWithoutOrgKey);
    }
    Ok(())
}

/// Decision D8's second rule, for an organization replacing its signet `previous` with `next`:
/// once published, a hybrid encryption key stays, so `next` must have one when `previous` has
/// ([`SignetError::HybridKeyDropped`] otherwise). The key itself may change.
pub fn check_org_successor(previous: &Signet, next: &Signet) -> Result<()> {
    if previous.is_hybrid() && !next.is_hybrid() {
        return Err(SignetError::HybridKeyDropped);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use dime_core::kem::KemSecretKey;
    use dime_core::keys::EncryptionSecretKey;

    use super::*;

    fn org(seed: u8, hybrid: bool) -> (SigningSecretKey, Signet) {
        let pok = SigningSecretKey::from_seed(&[seed; 32]);
        let enc = EncryptionSecretKey::x25519_from_bytes([seed; 32]).public().unwrap();
        let kem = hybrid.then(|| KemSecretKey::from_seed(&[seed; 64]));
        let signet = new_org_signet_with(&pok, &enc, kem.as_ref().map(KemSecretKey::public), "example.org").unwrap();
        (pok, signet)
    }

    fn request(hybrid: bool) -> Signet {
        let sign = SigningSecretKey::from_seed(&[9; 32]);
        let enc = EncryptionSecretKey::x25519_from_bytes([9; 32]).public().unwrap();
        let kem = hybrid.then(|| KemSecretKey::from_seed(&[9; 64]));
        new_request_with(&sign, &enc, kem.as_ref().map(KemSecretKey::public), None).unwrap()
    }

    #[test]
    fn a_hybrid_request_needs_a_hybrid_org() {
        let (_, classical) = org(1, false);
        let (_, hybrid) = org(2, true);
        assert_eq!(check_hybrid_request(&request(true), &classical), Err(SignetError::HybridWithoutOrgKey));
        assert_eq!(check_hybrid_request(&request(true), &hybrid), Ok(()));
        assert_eq!(check_hybrid_request(&request(false), &classical), Ok(()));
        assert_eq!(check_hybrid_request(&request(false), &hybrid), Ok(()));
    }

    #[test]
    fn an_org_keeps_its_hybrid_key() {
        let (_, classical) = org(1, false);
        let (_, hybrid) = org(2, true);
        let (_, rotated) = org(3, true);
        assert_eq!(check_org_successor(&hybrid, &classical), Err(SignetError::HybridKeyDropped));
        assert_eq!(check_org_successor(&hybrid, &rotated), Ok(()));
        assert_eq!(check_org_successor(&classical, &hybrid), Ok(()));
        assert_eq!(check_org_successor(&classical, &classical), Ok(()));
    }
}
