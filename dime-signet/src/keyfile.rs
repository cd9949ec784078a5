//! Key files: an organization's or user's private keys (magic 1952 and 2013).
//!
//! The layout is fixed: field 1 holds the 32-byte Ed25519 seed, then the encryption private key
//! (org field 3, user field 2): 32 bytes for a secp256k1 scalar (the reference
//! implementations' keys) or `0x40 ‖ 32` for an X25519 key (what dime-rs generates), then
//! optionally field 16 with the 64-byte ML-KEM-768 seed of the hybrid key (decision D8), which is
//! expanded once when the file is read. Nothing else may appear.

use core::fmt;

use dime_core::armor::{self, Label};
use dime_core::field::{self, Fields};
use dime_core::header::{Header, Magic};
use dime_core::kem::KemSecretKey;
use dime_core::keys::{EncryptionPublicKey, EncryptionSecretKey, SigningPublicKey, SigningSecretKey};
use dime_core::limits::ObjectLimits;
use zeroize::Zeroizing;

use crate::error::{Result, SignetError};
use crate::kind::{SignetKind, ids};
use crate::signet::Signet;

/// Whose keys a key file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    /// An organization (magic 1952).
    Org,
    /// A user (magic 2013).
    User,
}

impl KeyOwner {
    /// The magic number.
    pub const fn magic(self) -> Magic {
        match self {
            KeyOwner::Org => Magic::OrgKey,
            KeyOwner::User => Magic::UserKey,
        }
    }

    /// Field id of the encryption private key.
    pub const fn encryption_field(self) -> u8 {
        match self {
            KeyOwner::Org => 3,
            KeyOwner::User => 2,
        }
    }

    /// The signet kind these keys belong to.
    pub const fn signet_kind(self) -> SignetKind {
        match self {
            KeyOwner::Org => SignetKind::Org,
            KeyOwner::User => SignetKind::User,
        }
    }
}

/// The private keys of an organization or a user. Secrets are wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyFile {
    /// Whose keys these are.
    pub owner: KeyOwner,
    /// The Ed25519 signing key (the org's POK, or the user's signing key).
    pub signing: SigningSecretKey,
    /// The encryption private key.
    pub encryption: EncryptionSecretKey,
    /// The ML-KEM-768 private key of hybrid keyslots (decision D8), if the owner has one.
    pub kem: Option<KemSecretKey>,
}

/// Field id of a key file's optional ML-KEM seed (`d ‖ z`, 64 bytes).
pub const KEM_SEED_FIELD: u8 = 16;

impl KeyFile {
    /// Fresh random classical keys (Ed25519 and X25519).
    pub fn generate(owner: KeyOwner) -> Result<KeyFile> {
        Ok(KeyFile {
            owner,
            signing: SigningSecretKey::generate()?,
            encryption: EncryptionSecretKey::generate()?,
            kem: None,
        })
    }

    /// Fresh random hybrid keys (Ed25519, X25519 and ML-KEM-768).
    pub fn generate_hybrid(owner: KeyOwner) -> Result<KeyFile> {
        Ok(KeyFile { kem: Some(KemSecretKey::generate()?), ..KeyFile::generate(owner)? })
    }

    /// Parses a binary key file strictly.
    pub fn parse(bytes: &[u8]) -> Result<KeyFile> {
        let (header, payload) = Header::split(bytes, &[Magic::OrgKey, Magic::UserKey], &ObjectLimits::default())?;
        let owner = if header.magic == Magic::OrgKey { KeyOwner::Org } else { KeyOwner::User };
        let mut fields = Fields::new(payload);
        let mut next = |expected: u8| -> Result<&[u8]> {
            match fields.next().transpose()? {
                Some(f) if f.id == expected => Ok(f.data),
                other => Err(SignetError::KeyFileLayout { expected, found: other.map(|f| f.id) }),
            }
        };
        let signing = SigningSecretKey::decode(next(ids::SIGNING_KEY)?)
            .map_err(|error| SignetError::FieldValue { id: ids::SIGNING_KEY, error })?;
        let enc_id = owner.encryption_field();
        let encryption = EncryptionSecretKey::decode(next(enc_id)?)
            .map_err(|error| SignetError::FieldValue { id: enc_id, error })?;
        let kem = match fields.next().transpose()? {
            None => None,
            Some(f) if f.id == KEM_SEED_FIELD => Some(
                KemSecretKey::decode(f.data).map_err(|error| SignetError::FieldValue { id: KEM_SEED_FIELD, error })?,
            ),
            Some(f) => return Err(SignetError::KeyFileLayout { expected: KEM_SEED_FIELD, found: Some(f.id) }),
        };
        if let Some(extra) = fields.next().transpose()? {
            return Err(SignetError::KeyFileLayout { expected: 0, found: Some(extra.id) });
        }
        Ok(KeyFile { owner, signing, encryption, kem })
    }

    /// Reads a key file given as armor, bare base64 or binary.
    pub fn read(input: &[u8]) -> Result<KeyFile> {
        let (_, bytes) = armor::read_object(input, &ObjectLimits::default())?;
        KeyFile::parse(&Zeroizing::new(bytes))
    }

    /// The binary key file.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        let mut payload = Zeroizing::new(Vec::with_capacity(70));
        field::write(&mut payload, ids::SIGNING_KEY, self.signing.seed().as_ref())?;
        field::write(&mut payload, self.owner.encryption_field(), &self.encryption.encode())?;
        if let Some(kem) = &self.kem {
            field::write(&mut payload, KEM_SEED_FIELD, kem.seed().as_ref())?;
        }
        Ok(Zeroizing::new(Header::wrap(self.owner.magic(), &payload)?))
    }

    /// The armored key file.
    pub fn to_armor(&self) -> Result<Zeroizing<String>> {
        let label = match self.owner {
            KeyOwner::Org => Label::OrgKey,
            KeyOwner::User => Label::UserKey,
        };
        Ok(Zeroizing::new(armor::encode(label, &self.to_bytes()?)))
    }

    /// The public signing key.
    pub fn signing_public(&self) -> SigningPublicKey {
        self.signing.public()
    }

    /// The public encryption key.
    pub fn encryption_public(&self) -> Result<EncryptionPublicKey> {
        Ok(self.encryption.public()?)
    }

    /// Whether these are the private keys of `signet`: the kinds match, both classical public
    /// keys derived from the private ones equal the signet's, and the hybrid key does too
    /// ([`KeyFile::check_hybrid`]).
    pub fn matches(&self, signet: &Signet) -> bool {
        let kind_fits = signet.kind() == self.owner.signet_kind()
            || (self.owner == KeyOwner::User && signet.kind() == SignetKind::Request);
        kind_fits
            && signet.signing_key() == Some(self.signing_public())
            && self.encryption_public().ok() == signet.encryption_key()
            && self.check_hybrid(signet).is_ok()
    }

    /// Checks that the ML-KEM seed gives exactly the signet's hybrid encryption key, and that
    /// either both or neither have one ([`SignetError::HybridKeyMismatch`]). An org signet's key
    /// counts from the full stage on ([`Signet::hybrid_encryption_key`]); a key file with a seed
    /// still fits an org signet at `crypto`, which cannot carry the key yet.
    pub fn check_hybrid(&self, signet: &Signet) -> Result<()> {
        let below_full = signet.kind() == SignetKind::Org && !signet.has(ids::FULL_SIGNATURE);
        match (self.kem.as_ref().map(KemSecretKey::public), signet.hybrid_encryption_key()) {
            (Some(ours), Some(theirs)) if ours == theirs => Ok(()),
            (None, None) => Ok(()),
            (Some(_), None) if below_full => Ok(()),
            _ => Err(SignetError::HybridKeyMismatch),
        }
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("owner", &self.owner)
            .field("signing", &self.signing)
            .field("hybrid", &self.kem.is_some())
            .finish_non_exhaustive()
    }
}
