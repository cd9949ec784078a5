//! Fingerprints: raw SHA-512 values, shown as unpadded base64 (86 characters) or hex.

use core::fmt;
use core::str::FromStr;

use sha2::{Digest, Sha512};

use crate::base64;
use crate::error::{Error, Result};

/// A 64-byte SHA-512 fingerprint.
///
/// `Display` gives the unpadded standard base64 form used on the wire; [`Fingerprint::to_hex`]
/// gives lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 64]);

impl Fingerprint {
    /// SHA-512 of `bytes`.
    pub fn of(bytes: &[u8]) -> Fingerprint {
        Fingerprint(Sha512::digest(bytes).into())
    }

    /// The raw 64 bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Lowercase hex (128 characters).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 128 hex digits.
    pub fn from_hex(text: &str) -> Result<Fingerprint> {
        let err = Error::Hex { what: "fingerprint" };
        if text.len() != 128 || !text.is_ascii() {
            return Err(err);
        }
        let mut out = [0u8; 64];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| err.clone())?;
        }
        Ok(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base64::encode_unpadded(&self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = Error;

    /// Parses the 86-character unpadded base64 form.
    fn from_str(text: &str) -> Result<Fingerprint> {
        base64::decode_unpadded_array(text, "fingerprint").map(Fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        let fp = Fingerprint::of(b"abc");
        assert!(fp.to_hex().starts_with("ddaf35a193617aba"));
        assert_eq!(fp.to_string().len(), 86);
        assert_eq!(fp.to_string().parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(Fingerprint::from_hex(&fp.to_hex()).unwrap(), fp);
        assert_eq!(Fingerprint::from_hex("zz"), Err(Error::Hex { what: "fingerprint" }));
        assert_eq!(
            "QQ".parse::<Fingerprint>(),
            Err(Error::DecodedLength { what: "fingerprint", len: 1, expected: 64 })
        );
    }
}
