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
