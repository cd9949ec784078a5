//! Key types: Ed25519 signing keys and the typed encryption keys.
//!
//! Wire encodings (decision D2):
//!
//! | key | accepted | written |
//! | --- | --- | --- |
//! | Ed25519 public | `0x40 ‖ 32` or raw 32 | `0x40 ‖ 32` |
//! | X25519 public | `0x40 ‖ 32` | `0x40 ‖ 32` |
//! | secp256k1 public | `0x02/0x03 ‖ 32` (SEC1 compressed) | unchanged |
//! | Ed25519 private | 32-byte seed | 32-byte seed |
//! | X25519 private | `0x40 ‖ 32` | `0x40 ‖ 32` |
//! | secp256k1 private | 32-byte big-endian scalar | unchanged |
//!
//! secp256k1 keys are carried, compared and fingerprinted exactly, but DIME-rs does not
//! encrypt with them: key agreement with one returns [`Error::UnsupportedAlgorithm`].

use core::fmt;

use ed25519_dalek::Signer as _;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::base64;
use crate::error::{Error, Result};

/// Format byte that prefixes 32-byte curve25519 keys on the wire.
pub const KEY_FORMAT_25519: u8 = 0x40;

/// Fills a fresh secret buffer from the operating system's generator.
pub fn random_secret<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut out = Zeroizing::new([0u8; N]);
    getrandom::fill(out.as_mut()).map_err(|_| Error::Randomness)?;
    Ok(out)
}

/// Compares two secrets (or MAC tags) in constant time.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// A signature from a 64-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Signature> {
        <[u8; 64]>::try_from(bytes).map(Signature).map_err(|_| Error::SignatureLength { len: bytes.len() })
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", base64::encode_unpadded(&self.0))
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SigningPublicKey(ed25519_dalek::VerifyingKey);

impl SigningPublicKey {
    /// A key from its 32-byte RFC 8032 encoding.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<SigningPublicKey> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes).map(SigningPublicKey).map_err(|_| Error::InvalidSigningKey)
    }

    /// A key from its field encoding: `0x40 ‖ 32` or raw 32 bytes.
    pub fn decode(bytes: &[u8]) -> Result<SigningPublicKey> {
        let raw = match bytes {
            [KEY_FORMAT_25519, rest @ ..] if rest.len() == 32 => rest,
            _ if bytes.len() == 32 => bytes,
            _ => return Err(Error::SigningKeyEncoding { len: bytes.len() }),
        };
        let mut key = [0u8; 32];
        key.copy_from_slice(raw);
        SigningPublicKey::from_bytes(&key)
    }

    /// The field encoding this crate writes: `0x40 ‖ 32`.
    pub fn encode(&self) -> [u8; 33] {
        let mut out = [KEY_FORMAT_25519; 33];
        out[1..].copy_from_slice(self.as_bytes());
        out
    }

    /// The 32-byte RFC 8032 encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The 43-character unpadded base64 form used by management records (`pok=`).
    pub fn to_base64(&self) -> String {
        base64::encode_unpadded(self.as_bytes())
    }

    /// Parses the unpadded base64 form of a `pok=` value.
    pub fn from_base64(text: &str) -> Result<SigningPublicKey> {
        if text.len() != 43 {
            return Err(Error::DecodedLength { what: "signing key", len: text.len() * 3 / 4, expected: 32 });
        }
        SigningPublicKey::from_bytes(&base64::decode_unpadded_array(text, "signing key")?)
    }

    /// Verifies `signature` over `message` (RFC 8032, strict: no small-order keys or
    /// non-canonical signatures).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<()> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0.verify_strict(message, &sig).map_err(|_| Error::BadSignature)
    }
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({})", self.to_base64())
    }
}

/// An Ed25519 private key, kept as its 32-byte seed and wiped on drop.
#[derive(Clone)]
pub struct SigningSecretKey(ed25519_dalek::SigningKey);

impl SigningSecretKey {
    /// A fresh random key.
    pub fn generate() -> Result<SigningSecretKey> {
        Ok(SigningSecretKey::from_seed(&*random_secret::<32>()?))
    }

    /// The key for a 32-byte RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> SigningSecretKey {
        SigningSecretKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// A key from a private-key field: exactly the 32-byte seed.
    pub fn decode(bytes: &[u8]) -> Result<SigningSecretKey> {
        let seed =
            Zeroizing::new(<[u8; 32]>::try_from(bytes).map_err(|_| Error::SecretKeyEncoding { len: bytes.len() })?);
        Ok(SigningSecretKey::from_seed(&seed))
    }

    /// The 32-byte seed.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> SigningPublicKey {
        SigningPublicKey(self.0.verifying_key())
    }

    /// Signs `message` (pure Ed25519).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SigningSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningSecretKey(public: {})", self.public().to_base64())
    }
}

impl PartialEq for SigningSecretKey {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.seed().as_ref(), other.seed().as_ref())
    }
}

impl Eq for SigningSecretKey {}

/// An encryption public key, typed by its wire encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncryptionPublicKey {
    /// X25519, written `0x40 ‖ 32`.
    X25519([u8; 32]),
    /// secp256k1, SEC1 compressed (`0x02/0x03 ‖ 32`), carried but not used for encryption.
    Secp256k1([u8; 33]),
}

impl EncryptionPublicKey {
    /// Decodes a field value: 33 bytes starting with `0x40` (X25519) or `0x02`/`0x03` (secp256k1,
    /// checked to be on the curve).
    pub fn decode(bytes: &[u8]) -> Result<EncryptionPublicKey> {
        let err = Error::EncryptionKeyEncoding { len: bytes.len(), prefix: bytes.first().copied().unwrap_or(0) };
        let array: [u8; 33] = bytes.try_into().map_err(|_| err.clone())?;
        match array[0] {
            KEY_FORMAT_25519 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&array[1..]);
                Ok(EncryptionPublicKey::X25519(key))
            }
            0x02 | 0x03 => {
                k256::PublicKey::from_sec1_bytes(&array).map_err(|_| Error::InvalidSecp256k1Point)?;
                Ok(EncryptionPublicKey::Secp256k1(array))
            }
            _ => Err(err),
        }
    }

    /// The 33-byte wire encoding.
    pub fn encode(&self) -> [u8; 33] {
        match self {
            EncryptionPublicKey::X25519(key) => {
                let mut out = [KEY_FORMAT_25519; 33];
                out[1..].copy_from_slice(key);
                out
            }
            EncryptionPublicKey::Secp256k1(key) => *key,
        }
    }

    /// A short name of the algorithm.
    pub fn algorithm(&self) -> &'static str {
        match self {
            EncryptionPublicKey::X25519(_) => "x25519",
            EncryptionPublicKey::Secp256k1(_) => "secp256k1",
        }
    }
}

impl fmt::Debug for EncryptionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionPublicKey({}:{})", self.algorithm(), base64::encode_unpadded(&self.encode()))
    }
}

/// An X25519 private key with its public key, computed once when the key is made: every
/// opening names the reader's public key in its KEK, and a fixed-base multiplication per
/// message would cost about a third of the key agreement itself. The secret is wiped on drop.
#[derive(Clone)]
pub struct X25519SecretKey {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl X25519SecretKey {
    /// The key of the 32 secret bytes (clamped when used, as X25519 does).
    pub fn from_bytes(bytes: [u8; 32]) -> X25519SecretKey {
        let secret = x25519_dalek::StaticSecret::from(bytes);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        X25519SecretKey { secret, public }
    }

    /// The 32 secret bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.secret.as_bytes()
    }

    /// The public key.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }
}

impl fmt::Debug for X25519SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X25519SecretKey(public: {})", base64::encode_unpadded(&self.public))
    }
}

/// An encryption private key, wiped on drop.
#[derive(Clone)]
pub enum EncryptionSecretKey {
    /// An X25519 scalar.
    X25519(X25519SecretKey),
    /// A secp256k1 scalar, 32 bytes big-endian.
    Secp256k1(Zeroizing<[u8; 32]>),
}

impl EncryptionSecretKey {
    /// A fresh random X25519 key.
    pub fn generate() -> Result<EncryptionSecretKey> {
        Ok(EncryptionSecretKey::x25519_from_bytes(*random_secret::<32>()?))
    }

    /// An X25519 key from its 32 secret bytes.
    pub fn x25519_from_bytes(bytes: [u8; 32]) -> EncryptionSecretKey {
        EncryptionSecretKey::X25519(X25519SecretKey::from_bytes(bytes))
    }

    /// Decodes a private-key field: 32 bytes are a secp256k1 scalar (range-checked), 33 bytes
    /// starting with `0x40` an X25519 key.
    pub fn decode(bytes: &[u8]) -> Result<EncryptionSecretKey> {
        match bytes.len() {
            32 => {
                let mut scalar = Zeroizing::new([0u8; 32]);
                scalar.copy_from_slice(bytes);
                k256::SecretKey::from_slice(scalar.as_ref()).map_err(|_| Error::InvalidSecp256k1Scalar)?;
                Ok(EncryptionSecretKey::Secp256k1(scalar))
            }
            33 if bytes[0] == KEY_FORMAT_25519 => {
                let mut raw = Zeroizing::new([0u8; 32]);
                raw.copy_from_slice(&bytes[1..]);
                Ok(EncryptionSecretKey::x25519_from_bytes(*raw))
            }
            len => Err(Error::SecretKeyEncoding { len }),
        }
    }

    /// The field encoding (see [`EncryptionSecretKey::decode`]).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(33));
        match self {
            EncryptionSecretKey::X25519(secret) => {
                out.push(KEY_FORMAT_25519);
                out.extend_from_slice(secret.as_bytes());
            }
            EncryptionSecretKey::Secp256k1(scalar) => out.extend_from_slice(scalar.as_ref()),
        }
        out
    }

    /// The matching public key.
    pub fn public(&self) -> Result<EncryptionPublicKey> {
        match self {
            EncryptionSecretKey::X25519(key) => Ok(EncryptionPublicKey::X25519(key.public)),
            EncryptionSecretKey::Secp256k1(scalar) => {
                let secret = k256::SecretKey::from_slice(scalar.as_ref()).map_err(|_| Error::InvalidSecp256k1Scalar)?;
                let point = secret.public_key().to_sec1_bytes();
                let mut out = [0u8; 33];
                out.copy_from_slice(&point);
                Ok(EncryptionPublicKey::Secp256k1(out))
            }
        }
    }

    /// X25519 key agreement with `peer`, refusing the all-zero result. secp256k1 keys on either
    /// side give [`Error::UnsupportedAlgorithm`].
    pub fn agree(&self, peer: &EncryptionPublicKey) -> Result<Zeroizing<[u8; 32]>> {
        match (self, peer) {
            (EncryptionSecretKey::X25519(key), EncryptionPublicKey::X25519(public)) => {
                let shared = key.secret.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
                let out = Zeroizing::new(*shared.as_bytes());
                if ct_eq(out.as_ref(), &[0u8; 32]) {
                    return Err(Error::WeakSharedSecret);
                }
                Ok(out)
            }
            _ => Err(Error::UnsupportedAlgorithm("secp256k1 encryption keys")),
        }
    }
}

impl fmt::Debug for EncryptionSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.public() {
            Ok(public) => write!(f, "EncryptionSecretKey(public: {public:?})"),
            Err(_) => f.write_str("EncryptionSecretKey(invalid)"),
        }
    }
}

impl PartialEq for EncryptionSecretKey {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.encode(), &other.encode())
    }
}

impl Eq for EncryptionSecretKey {}

impl Drop for EncryptionSecretKey {
    fn drop(&mut self) {
        if let EncryptionSecretKey::Secp256k1(scalar) = self {
            scalar.zeroize();
        }
        // StaticSecret wipes itself (x25519-dalek's `zeroize` feature).
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn rfc8032_test_1() {
        let key =
            SigningSecretKey::from_seed(&hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assert_eq!(key.public().as_bytes(), &hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        let sig = key.sign(b"");
        assert!(hex::encode(sig.0).starts_with("e5564300c360ac72"));
        assert_eq!(key.public().verify(b"", &sig), Ok(()));
        assert_eq!(key.public().verify(b"x", &sig), Err(Error::BadSignature));
    }

    #[test]
    fn signing_key_encodings() {
        let key = SigningSecretKey::from_seed(&[1; 32]).public();
        assert_eq!(SigningPublicKey::decode(&key.encode()).unwrap(), key);
        assert_eq!(SigningPublicKey::decode(key.as_bytes()).unwrap(), key);
        assert_eq!(SigningPublicKey::decode(&[0x41; 33]), Err(Error::SigningKeyEncoding { len: 33 }));
        assert_eq!(SigningPublicKey::decode(&[0; 31]), Err(Error::SigningKeyEncoding { len: 31 }));
        assert_eq!(SigningPublicKey::from_base64(&key.to_base64()).unwrap(), key);
    }

    #[test]
    fn encryption_key_encodings() {
        let secret = EncryptionSecretKey::generate().unwrap();
        let public = secret.public().unwrap();
        assert_eq!(EncryptionPublicKey::decode(&public.encode()).unwrap(), public);
        assert_eq!(EncryptionSecretKey::decode(&secret.encode()).unwrap(), secret);
        assert_eq!(
            EncryptionPublicKey::decode(&[0x04; 33]),
            Err(Error::EncryptionKeyEncoding { len: 33, prefix: 0x04 })
        );
        assert_eq!(EncryptionPublicKey::decode(&[]), Err(Error::EncryptionKeyEncoding { len: 0, prefix: 0 }));
        let mut off_curve = [0xffu8; 33];
        off_curve[0] = 0x02;
        assert_eq!(EncryptionPublicKey::decode(&off_curve), Err(Error::InvalidSecp256k1Point));
        assert_eq!(EncryptionSecretKey::decode(&[0; 32]).err(), Some(Error::InvalidSecp256k1Scalar));
        assert_eq!(EncryptionSecretKey::decode(&[1; 31]).err(), Some(Error::SecretKeyEncoding { len: 31 }));
    }

    #[test]
    fn x25519_agreement_matches_and_refuses_low_order() {
        let a = EncryptionSecretKey::generate().unwrap();
        let b = EncryptionSecretKey::generate().unwrap();
        let ab = a.agree(&b.public().unwrap()).unwrap();
        let ba = b.agree(&a.public().unwrap()).unwrap();
        assert_eq!(*ab, *ba);
        assert_eq!(a.agree(&EncryptionPublicKey::X25519([0; 32])).err(), Some(Error::WeakSharedSecret));
        let k1 =
            EncryptionSecretKey::decode(&hex32("0000000000000000000000000000000000000000000000000000000000000045"))
                .unwrap();
        assert_eq!(
            a.agree(&k1.public().unwrap()).err(),
            Some(Error::UnsupportedAlgorithm("secp256k1 encryption keys"))
        );
    }

    /// RFC 7748 §6.1: Alice's and Bob's key pairs. The public key made with the secret is the
    /// Montgomery-ladder multiple of the base point, and a decoded key file gives the same.
    #[test]
    fn x25519_public_key_is_made_with_the_secret() {
        for (secret, public) in [
            (
                "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
            ),
            (
                "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            ),
        ] {
            let bytes = hex32(secret);
            let key = X25519SecretKey::from_bytes(bytes);
            assert_eq!(hex::encode(key.public()), public);
            assert_eq!(*key.public(), x25519_dalek::x25519(bytes, x25519_dalek::X25519_BASEPOINT_BYTES));
            let decoded = EncryptionSecretKey::decode(&[&[KEY_FORMAT_25519][..], &bytes].concat()).unwrap();
            assert_eq!(decoded.public().unwrap(), EncryptionPublicKey::X25519(*key.public()));
            assert_eq!(key.as_bytes(), &bytes);
        }
    }

    #[test]
    fn secp256k1_scalar_gives_compressed_point() {
        // magma check/magma/prime/secp256k1_check.c, pair 1 and 2
        let k = EncryptionSecretKey::decode(&hex32("0000000000000000000000000000000000000000000000000000000000000045"))
            .unwrap();
        assert_eq!(
            hex::encode(k.public().unwrap().encode()),
            "025edd5cc23c51e87a497ca815d5dce0f8ab52554f849ed8995de64c5f34ce7143"
        );
        let k = EncryptionSecretKey::decode(&hex32("0000000c562e65f1e2603616804cec8dc4bf8bc5c183bffa66acc6148edbecc3"))
            .unwrap();
        assert_eq!(
            hex::encode(k.public().unwrap().encode()),
            "03a7f953b0fa3f407bbf37cec394800cceeadd0670c3f344524c347312f2c1da96"
        );
        assert_eq!(k.encode().as_slice(), &hex32("0000000c562e65f1e2603616804cec8dc4bf8bc5c183bffa66acc6148edbecc3"));
    }
}
