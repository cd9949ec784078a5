//! Building and signing signets field by field.

use dime_core::field;
use dime_core::header::Header;
use dime_core::kem::KemPublicKey;
use dime_core::keys::{EncryptionPublicKey, SigningPublicKey, SigningSecretKey};

use crate::error::{Result, SignetError};
use crate::hybrid;
use crate::kind::{Repeat, SignetKind, ids};
use crate::signet::Signet;
use crate::sok::SecondaryKey;

/// Appends fields in id order and signs each stage over the exact bytes written so far.
///
/// Every step checks the kind's field table, the order and uniqueness of ids, and (for a
/// signature) that the fields the stage requires are present; a refused step returns an error
/// and the builder is consumed, so no half-built signet escapes.
///
/// ```
/// use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
/// use dime_signet::{Context, SignetBuilder, SignetKind, SignetState};
///
/// let pok = SigningSecretKey::generate()?;
/// let encryption = EncryptionSecretKey::generate()?.public()?;
/// let org = SignetBuilder::new(SignetKind::Org)
///     .signing_key(&pok.public())?
///     .encryption_key(&encryption)?
///     .sign_crypto(&pok)?
///     .text(dime_signet::ids::NAME, "Example Org")?
///     .sign_full(&pok)?
///     .identifier("example.org")?
///     .sign_id(&pok)?
///     .build()?;
/// let poks = [pok.public()];
/// let context = Context { poks: Some(&poks), ..Context::default() };
/// assert_eq!(org.validate(&context).state, SignetState::Id);
/// # Ok::<(), dime_signet::SignetError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SignetBuilder {
    kind: SignetKind,
    payload: Vec<u8>,
    last: Option<(u8, Repeat)>,
    present: [bool; 256],
}

impl SignetBuilder {
    /// An empty signet of `kind`.
    pub fn new(kind: SignetKind) -> SignetBuilder {
        SignetBuilder { kind, payload: Vec::new(), last: None, present: [false; 256] }
    }

    /// Starts a user signet from a signing request: the request's payload is kept byte for
    /// byte as the signet's prefix. Validate the request first (see [`crate::issue`]).
    pub fn from_request(request: &Signet) -> Result<SignetBuilder> {
        if request.kind() != SignetKind::Request {
            return Err(SignetError::WrongKind { expected: SignetKind::Request, found: request.kind() });
        }
        let mut builder = SignetBuilder::new(SignetKind::User);
        for f in request.fields() {
            builder.present[usize::from(f.id)] = true;
            let repeat = SignetKind::User.lookup(f.id).map_or(Repeat::Unique, |s| s.repeat);
            builder.last = Some((f.id, repeat));
        }
        builder.payload = request.payload().to_vec();
        Ok(builder)
    }

    fn push(mut self, id: u8, write: impl FnOnce(&mut Vec<u8>) -> dime_core::Result<()>) -> Result<SignetBuilder> {
        let offset = self.payload.len();
        let spec = self.kind.lookup(id).ok_or(SignetError::UnknownField { kind: self.kind, id, offset })?;
        if let Some((last, last_repeat)) = self.last {
            if id < last {
                return Err(SignetError::OutOfOrder { id, after: last, offset });
            }
            if id == last && last_repeat == Repeat::Unique {
                return Err(SignetError::DuplicateField { id, offset });
            }
        }
        write(&mut self.payload)?;
        self.present[usize::from(id)] = true;
        self.last = Some((id, spec.repeat));
        Ok(self)
    }

    /// Appends a field with opaque data. Signature fields go through [`SignetBuilder::sign`],
    /// key fields through their typed methods; undefined fields through
    /// [`SignetBuilder::undefined`].
    pub fn field(self, id: u8, data: &[u8]) -> Result<SignetBuilder> {
        if self.kind.is_signature(id) || id == ids::UNDEFINED {
            return Err(SignetError::UnknownField { kind: self.kind, id, offset: self.payload.len() });
        }
        let value_checked = match id {
            ids::SIGNING_KEY => SigningPublicKey::decode(data).map(drop),
            ids::SECONDARY_KEY if self.kind == SignetKind::Org => SecondaryKey::decode(data)
                .map(drop)
                .map_err(|_| dime_core::Error::SigningKeyEncoding { len: data.len() }),
            id if id == self.kind.encryption_key_id() => EncryptionPublicKey::decode(data).map(drop),
            _ => Ok(()),
        };
        value_checked.map_err(|error| SignetError::FieldValue { id, error })?;
        self.push(id, |out| field::write(out, id, data))
    }

    /// Appends a UTF-8 text field (name, address, phone, …).
    pub fn text(self, id: u8, text: &str) -> Result<SignetBuilder> {
        self.field(id, text.as_bytes())
    }

    /// Field 1: the signing key (org POK or user key), written `0x40 ‖ 32`.
    pub fn signing_key(self, key: &SigningPublicKey) -> Result<SignetBuilder> {
        self.field(ids::SIGNING_KEY, &key.encode())
    }

    /// Org field 2: a secondary organizational key with its permissions.
    pub fn secondary_key(self, key: &SecondaryKey) -> Result<SignetBuilder> {
        if self.kind != SignetKind::Org {
            return Err(SignetError::WrongKind { expected: SignetKind::Org, found: self.kind });
        }
        self.field(ids::SECONDARY_KEY, &key.encode())
    }

    /// The encryption key (org field 3, user and SSR field 2).
    pub fn encryption_key(self, key: &EncryptionPublicKey) -> Result<SignetBuilder> {
        let id = self.kind.encryption_key_id();
        self.field(id, &key.encode())
    }

    /// User and SSR field 3: an alternate encryption key (opaque bytes; may repeat).
    pub fn alternate_key(self, data: &[u8]) -> Result<SignetBuilder> {
        if self.kind == SignetKind::Org {
            return Err(SignetError::WrongKind { expected: SignetKind::User, found: self.kind });
        }
        self.field(3, data)
    }

    /// The hybrid encryption key (decision D8): five field-3 fragments for a user signet or SSR
    /// (call it right after the encryption key), the `Hybrid-Encryption-Key` field 251 for an
    /// org signet (after the crypto signature and any informational fields).
    pub fn hybrid_key(self, key: &KemPublicKey) -> Result<SignetBuilder> {
        if self.kind == SignetKind::Org {
            return self.undefined(hybrid::ORG_FIELD_NAME, key.as_bytes());
        }
        hybrid::fragments(key).try_fold(self, |builder, fragment| builder.alternate_key(&fragment))
    }

    /// Field 251: an undefined name/value field (may repeat).
    pub fn undefined(self, name: &[u8], data: &[u8]) -> Result<SignetBuilder> {
        self.push(ids::UNDEFINED, |out| field::write_undefined(out, name, data))
    }

    /// Field 252: a photo (PNG bytes).
    pub fn photo(self, png: &[u8]) -> Result<SignetBuilder> {
        self.field(ids::PHOTO, png)
    }

    /// Field 254: the signet identifier (the org's domain, the user's address).
    pub fn identifier(self, identifier: &str) -> Result<SignetBuilder> {
        self.field(ids::IDENTIFIER, identifier.as_bytes())
    }

    /// Appends signature field `id`: Ed25519 by `key` over the payload written so far.
    pub fn sign(self, id: u8, key: &SigningSecretKey) -> Result<SignetBuilder> {
        if !self.kind.is_signature(id) {
            return Err(SignetError::NotASignature { kind: self.kind, id });
        }
        if let Some(spec) =
            self.kind.fields().into_iter().find(|s| s.required && s.id < id && !self.present[usize::from(s.id)])
        {
            return Err(SignetError::MissingField { id: spec.id });
        }
        let signature = key.sign(&self.payload);
        self.push(id, |out| field::write(out, id, signature.as_bytes()))
    }

    /// User and SSR field 4: the chain-of-custody signature by the previous signing key.
    pub fn sign_custody(self, previous: &SigningSecretKey) -> Result<SignetBuilder> {
        self.sign(ids::CUSTODY_SIGNATURE, previous)
    }

    /// User and SSR field 5: the user's own signature by the key in field 1.
    pub fn sign_request(self, key: &SigningSecretKey) -> Result<SignetBuilder> {
        self.sign(ids::USER_SIGNATURE, key)
    }

    /// The crypto signature: org field 4 by the POK, user field 6 by the POK or a signing SOK.
    pub fn sign_crypto(self, key: &SigningSecretKey) -> Result<SignetBuilder> {
        let id = self.kind.crypto_signature_id();
        if self.kind == SignetKind::Request {
            return Err(SignetError::NotASignature { kind: self.kind, id: ids::USER_CRYPTO_SIGNATURE });
        }
        self.sign(id, key)
    }

    /// Field 253: the full signature.
    pub fn sign_full(self, key: &SigningSecretKey) -> Result<SignetBuilder> {
        self.sign(ids::FULL_SIGNATURE, key)
    }

    /// Field 255: the identifiable signature.
    pub fn sign_id(self, key: &SigningSecretKey) -> Result<SignetBuilder> {
        self.sign(ids::ID_SIGNATURE, key)
    }

    /// Finishes the object: header and payload, parsed back strictly.
    pub fn build(self) -> Result<Signet> {
        Signet::parse(&Header::wrap(self.kind.magic(), &self.payload)?)
    }
}
