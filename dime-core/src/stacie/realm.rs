//! Realm keys: one 64-byte key per user and realm (e.g. `mail`), derived from the master key
//! and a server-stored shard, and split into the vector, tag and cipher keys of the realm
//! envelope.
//!
//! ```text
//! realm_key = SHA-512(master_key || label || X) XOR shard
//!   X = shard             RealmVariant::ShardKeyed (libdime, the Python reference, magma's
//!                         un-rotated shards)
//!   X = 128-byte salt     RealmVariant::SaltKeyed (magma since 2018; lets a shallow password
//!                         change keep the realm key by storing a new shard)
//! vector_key = realm_key[0..16]   tag_key = realm_key[16..32]   cipher_key = realm_key[32..64]
//! ```

use core::fmt;

use sha2::{Digest, Sha512};

use crate::error::{Error, Result};

use super::KEY_LEN;
use super::derive::MasterKey;
use super::params::{Salt, Shard};

/// Longest realm label accepted, in bytes.
pub const MAX_REALM_LABEL_LEN: usize = 255;

/// A realm label: 1 to 255 visible ASCII characters (0x21 to 0x7E), hashed as given
/// (case-sensitive).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RealmLabel<'a>(&'a str);

impl<'a> RealmLabel<'a> {
    /// Checks `label`.
    pub fn new(label: &'a str) -> Result<RealmLabel<'a>> {
        let visible = label.bytes().all(|b| b.is_ascii_graphic());
        if label.is_empty() || label.len() > MAX_REALM_LABEL_LEN || !visible {
            return Err(Error::StacieRealmLabel);
        }
        Ok(RealmLabel(label))
    }

    /// The label.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Debug for RealmLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RealmLabel({:?})", self.0)
    }
}

/// Which value follows the label in the realm-key hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RealmVariant<'a> {
    /// The legacy form: the shard itself.
    ShardKeyed,
    /// The 2018 form: the user's salt, which makes [`RealmKey::shard_for`] possible.
    SaltKeyed(&'a Salt),
}

secret_bytes!(
    /// A 64-byte realm key.
    RealmKey,
    KEY_LEN,
    "realm key"
);

secret_bytes!(
    /// The 16 bytes of a realm key that, XOR a vector shard, give the envelope's GCM IV.
    VectorKey,
    16,
    "vector key"
);

secret_bytes!(
    /// The 16 bytes of a realm key that mask the envelope's GCM tag.
    TagKey,
    16,
    "tag key"
);

secret_bytes!(
    /// The 32-byte AES-256 key of a realm.
    CipherKey,
    32,
    "cipher key"
);

impl RealmKey {
    /// Derives the realm key of `label` from the master key and the realm's shard.
    pub fn derive(master: &MasterKey, label: &RealmLabel<'_>, shard: &Shard, variant: RealmVariant<'_>) -> RealmKey {
        let mut key = realm_hash(master, label, variant.hash_input(shard));
        xor_in_place(&mut key.0, shard.as_bytes());
        key
    }

    /// The salt-keyed shard under which `new_master` derives this same realm key:
    /// `SHA-512(new_master || label || salt) XOR self`.
    ///
    /// A shallow password change keeps the salt, so storing this shard keeps every realm key
    /// (and the data sealed under it) across the change. It also moves a shard-keyed realm to
    /// the salt-keyed variant when given the same master key.
    pub fn shard_for(&self, new_master: &MasterKey, label: &RealmLabel<'_>, salt: &Salt) -> Shard {
        let mut mixed = realm_hash(new_master, label, salt.as_bytes());
        xor_in_place(&mut mixed.0, &self.0);
        Shard::from_bytes(mixed.0)
    }

    /// Bytes 0..16: the vector key.
    pub fn vector_key(&self) -> VectorKey {
        let mut key = VectorKey([0; 16]);
        key.0.copy_from_slice(&self.0[..16]);
        key
    }

    /// Bytes 16..32: the tag key.
    pub fn tag_key(&self) -> TagKey {
        let mut key = TagKey([0; 16]);
        key.0.copy_from_slice(&self.0[16..32]);
        key
    }

    /// Bytes 32..64: the cipher key.
    pub fn cipher_key(&self) -> CipherKey {
        let mut key = CipherKey([0; 32]);
        key.0.copy_from_slice(&self.0[32..]);
        key
    }
}

impl RealmVariant<'_> {
    fn hash_input<'s>(&'s self, shard: &'s Shard) -> &'s [u8] {
        match self {
            RealmVariant::ShardKeyed => shard.as_bytes(),
            RealmVariant::SaltKeyed(salt) => salt.as_bytes(),
        }
    }
}

/// `SHA-512(master || label || tail)`, written straight into a wiped-on-drop key.
fn realm_hash(master: &MasterKey, label: &RealmLabel<'_>, tail: &[u8]) -> RealmKey {
    let mut out = RealmKey([0; KEY_LEN]);
    Sha512::new()
        .chain_update(master.as_bytes())
        .chain_update(label.as_str())
        .chain_update(tail)
        .finalize_into((&mut out.0).into());
    out
}

fn xor_in_place(target: &mut [u8; KEY_LEN], mask: &[u8; KEY_LEN]) {
    for (t, m) in target.iter_mut().zip(mask) {
        *t ^= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(RealmLabel::new("mail").unwrap().as_str(), "mail");
        assert_eq!(RealmLabel::new(""), Err(Error::StacieRealmLabel));
        assert_eq!(RealmLabel::new("my mail"), Err(Error::StacieRealmLabel));
        assert_eq!(RealmLabel::new("m\u{E9}l"), Err(Error::StacieRealmLabel));
        assert_eq!(RealmLabel::new("a\n"), Err(Error::StacieRealmLabel));
        let long = "x".repeat(MAX_REALM_LABEL_LEN + 1);
        assert_eq!(RealmLabel::new(&long), Err(Error::StacieRealmLabel));
        assert!(RealmLabel::new(&long[1..]).is_ok());
    }

    #[test]
    fn split_covers_the_key_in_order() {
        let bytes: [u8; 64] = core::array::from_fn(|i| i as u8);
        let key = RealmKey::from_bytes(bytes);
        assert_eq!(key.vector_key().as_bytes().as_slice(), &bytes[..16]);
        assert_eq!(key.tag_key().as_bytes().as_slice(), &bytes[16..32]);
        assert_eq!(key.cipher_key().as_bytes().as_slice(), &bytes[32..]);
    }

    #[test]
    fn variants_differ_and_case_matters() {
        let master = MasterKey::from_bytes([1; 64]);
        let shard = Shard::from_bytes([2; 64]);
        let salt = Salt::from_bytes([3; 128]);
        let mail = RealmLabel::new("mail").unwrap();
        let legacy = RealmKey::derive(&master, &mail, &shard, RealmVariant::ShardKeyed);
        let salted = RealmKey::derive(&master, &mail, &shard, RealmVariant::SaltKeyed(&salt));
        assert_ne!(legacy, salted);
        let upper = RealmLabel::new("MAIL").unwrap();
        assert_ne!(RealmKey::derive(&master, &upper, &shard, RealmVariant::ShardKeyed), legacy);
    }

    #[test]
    fn shard_for_moves_a_legacy_realm_to_the_salt_variant() {
        let master = MasterKey::from_bytes([4; 64]);
        let shard = Shard::from_bytes([5; 64]);
        let salt = Salt::from_bytes([6; 128]);
        let label = RealmLabel::new("contacts").unwrap();
        let legacy = RealmKey::derive(&master, &label, &shard, RealmVariant::ShardKeyed);
        let rotated = legacy.shard_for(&master, &label, &salt);
        assert_ne!(rotated, shard);
        assert_eq!(RealmKey::derive(&master, &label, &rotated, RealmVariant::SaltKeyed(&salt)), legacy);
    }
}
