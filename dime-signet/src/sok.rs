//! Secondary organizational keys (org field 2) and their permission bits.

use dime_core::keys::SigningPublicKey;

use crate::error::{Result, SignetError};
use crate::kind::ids;

/// What a secondary organizational key may sign (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(pub u8);

impl Permissions {
    /// May sign nothing.
    pub const NONE: Permissions = Permissions(0x00);
    /// May sign user signets.
    pub const SIGNETS: Permissions = Permissions(0x01);
    /// May sign messages.
    pub const MESSAGES: Permissions = Permissions(0x02);
    /// May sign TLS certificates.
    pub const TLS: Permissions = Permissions(0x04);
    /// May sign software.
    pub const SOFTWARE: Permissions = Permissions(0x08);

    /// Whether every bit of `purpose` is granted.
    pub const fn allows(self, purpose: Permissions) -> bool {
        self.0 & purpose.0 == purpose.0
    }
}

impl core::ops::BitOr for Permissions {
    type Output = Permissions;
    fn bitor(self, rhs: Permissions) -> Permissions {
        Permissions(self.0 | rhs.0)
    }
}

/// A secondary organizational key: `perm:u8 ‖ signing key` in org field 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecondaryKey {
    /// What the key may sign.
    pub permissions: Permissions,
    /// The Ed25519 key.
    pub key: SigningPublicKey,
}

impl SecondaryKey {
    /// Decodes field 2's value.
    pub fn decode(data: &[u8]) -> Result<SecondaryKey> {
        let (perm, key) = data.split_first().ok_or(SignetError::FieldValue {
            id: ids::SECONDARY_KEY,
            error: dime_core::Error::SigningKeyEncoding { len: 0 },
        })?;
        let key =
            SigningPublicKey::decode(key).map_err(|error| SignetError::FieldValue { id: ids::SECONDARY_KEY, error })?;
        Ok(SecondaryKey { permissions: Permissions(*perm), key })
    }

    /// Encodes field 2's value: the permission byte and `0x40 ‖ 32`.
    pub fn encode(&self) -> [u8; 34] {
        let mut out = [0u8; 34];
        out[0] = self.permissions.0;
        out[1..].copy_from_slice(&self.key.encode());
        out
    }
}
