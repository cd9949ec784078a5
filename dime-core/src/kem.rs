//! ML-KEM-768 (FIPS 203), the post-quantum half of hybrid keyslots (decision D8).
//!
//! | value | bytes | notes |
//! | --- | --- | --- |
//! | encapsulation key `ek` | 1,184 | checked on every read (FIPS 203 §7.2) |
//! | ciphertext `c` | 1,088 | |
//! | seed `d ‖ z` | 64 | the only form of the private key this crate stores |
//! | shared secret `k` | 32 | |
//!
//! A private key is kept as its seed and expanded once ([`KemSecretKey::from_seed`]); both the
//! seed and the expanded key are wiped on drop. Decapsulation never fails on a well-sized
//! ciphertext: a forged one yields FIPS 203's implicit-rejection secret, which simply derives a
//! key that opens nothing.

use core::fmt;

use ml_kem::array::Array;
use ml_kem::{B32, Decapsulate as _, EncapsulationKey768, KeyExport as _, Seed};
use zeroize::{Zeroize, Zeroizing};

use crate::base64;
use crate::error::{Error, Result};
use crate::keys::{ct_eq, random_secret};

/// Length of an ML-KEM-768 encapsulation key.
pub const ENCAPSULATION_KEY_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext.
pub const CIPHERTEXT_LEN: usize = 1088;
/// Length of an ML-KEM seed (`d ‖ z`).
pub const SEED_LEN: usize = 64;
/// Length of an ML-KEM shared secret.
pub const SHARED_SECRET_LEN: usize = 32;

/// An ML-KEM-768 ciphertext.
pub type Ciphertext = [u8; CIPHERTEXT_LEN];

/// An ML-KEM-768 encapsulation key that passed the FIPS 203 §7.2 check.
#[derive(Clone)]
pub struct KemPublicKey {
    bytes: Box<[u8; ENCAPSULATION_KEY_LEN]>,
    key: EncapsulationKey768,
}

impl KemPublicKey {
    /// Decodes and checks an encapsulation key: exactly 1,184 bytes ([`Error::KemKeyLength`]) whose
    /// 768 coefficients are each below `q` = 3329 ([`Error::KemKeyModulus`]).
    pub fn decode(bytes: &[u8]) -> Result<KemPublicKey> {
        let array: [u8; ENCAPSULATION_KEY_LEN] =
            bytes.try_into().map_err(|_| Error::KemKeyLength { len: bytes.len() })?;
        let key = EncapsulationKey768::new(&Array::from(array)).map_err(|_| Error::KemKeyModulus)?;
        Ok(KemPublicKey { bytes: Box::new(array), key })
    }

    /// The 1,184-byte encoding.
    pub fn as_bytes(&self) -> &[u8; ENCAPSULATION_KEY_LEN] {
        &self.bytes
    }

    /// Encapsulates a fresh shared secret to this key: `(c, k)`.
    pub fn encapsulate(&self) -> Result<(Box<Ciphertext>, Zeroizing<[u8; SHARED_SECRET_LEN]>)> {
        let m = random_secret::<32>()?;
        Ok(self.encapsulate_deterministic(&m))
    }

    /// `ML-KEM.Encaps_internal(ek, m)`: encapsulation with caller-chosen randomness `m`. Only for
    /// known-answer tests and vectors; `m` must otherwise be fresh uniform randomness.
    pub fn encapsulate_deterministic(&self, m: &[u8; 32]) -> (Box<Ciphertext>, Zeroizing<[u8; SHARED_SECRET_LEN]>) {
        let m = Zeroizing::new(B32::from(*m));
        let (c, mut k) = self.key.encapsulate_deterministic(&m);
        let mut shared = Zeroizing::new([0u8; SHARED_SECRET_LEN]);
        shared.copy_from_slice(&k);
        k.as_mut_slice().zeroize();
        let mut ciphertext = Box::new([0u8; CIPHERTEXT_LEN]);
        ciphertext.copy_from_slice(&c);
        (ciphertext, shared)
    }

    /// The unpadded base64 form, for display.
    pub fn to_base64(&self) -> String {
        base64::encode_unpadded(self.as_bytes())
    }
}

impl PartialEq for KemPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for KemPublicKey {}

impl fmt::Debug for KemPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b64 = self.to_base64();
        write!(f, "KemPublicKey({}…)", &b64[..16])
    }
}

/// An ML-KEM-768 private key: its 64-byte seed and the decapsulation key expanded from it once,
/// both wiped on drop.
#[derive(Clone)]
pub struct KemSecretKey {
    seed: Zeroizing<[u8; SEED_LEN]>,
    key: ml_kem::DecapsulationKey768,
    public: KemPublicKey,
}

impl KemSecretKey {
    /// A fresh random key.
    pub fn generate() -> Result<KemSecretKey> {
        Ok(KemSecretKey::from_seed(&*random_secret::<SEED_LEN>()?))
    }

    /// `ML-KEM.KeyGen_internal(d, z)` with `seed = d ‖ z`.
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> KemSecretKey {
        let mut array = Seed::from(*seed);
        let key = ml_kem::DecapsulationKey768::from_seed(array);
        array.as_mut_slice().zeroize();
        let ek = key.encapsulation_key().to_bytes();
        let mut bytes = Box::new([0u8; ENCAPSULATION_KEY_LEN]);
        bytes.copy_from_slice(&ek);
        let public = KemPublicKey { bytes, key: key.encapsulation_key().clone() };
        KemSecretKey { seed: Zeroizing::new(*seed), key, public }
    }

    /// A key from a key-file field: exactly the 64-byte seed ([`Error::KemSeedLength`]).
    pub fn decode(bytes: &[u8]) -> Result<KemSecretKey> {
        let seed =
            Zeroizing::new(<[u8; SEED_LEN]>::try_from(bytes).map_err(|_| Error::KemSeedLength { len: bytes.len() })?);
        Ok(KemSecretKey::from_seed(&seed))
    }

    /// The 64-byte seed.
    pub fn seed(&self) -> Zeroizing<[u8; SEED_LEN]> {
        self.seed.clone()
    }

    /// The matching encapsulation key.
    pub fn public(&self) -> &KemPublicKey {
        &self.public
    }

    /// Decapsulates `ciphertext` (exactly 1,088 bytes, else [`Error::KemCiphertextLength`]). A
    /// ciphertext not made for this key yields the implicit-rejection secret, not an error.
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<Zeroizing<[u8; SHARED_SECRET_LEN]>> {
        let c: [u8; CIPHERTEXT_LEN] =
            ciphertext.try_into().map_err(|_| Error::KemCiphertextLength { len: ciphertext.len() })?;
        let mut k = self.key.decapsulate(&Array::from(c));
        let mut shared = Zeroizing::new([0u8; SHARED_SECRET_LEN]);
        shared.copy_from_slice(&k);
        k.as_mut_slice().zeroize();
        Ok(shared)
    }
}

/// Length of an expanded ML-KEM-768 decapsulation key `dk_pke ‖ ek ‖ H(ek) ‖ z`.
#[cfg(feature = "test-vectors")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-vectors")))]
pub const EXPANDED_DECAPSULATION_KEY_LEN: usize = 2400;

/// `ML-KEM.Decaps_internal(dk, c)` with an expanded 2,400-byte decapsulation key, the form NIST's
/// known-answer tests give. Only for those tests: dime-core keeps private keys as seeds
/// ([`KemSecretKey`]) and never reads this form otherwise. `dk` must pass the FIPS 203 §7.3
/// check ([`Error::KemDecapsulationKey`]; its `ek` is also range-checked), `ciphertext` must be
/// 1,088 bytes ([`Error::KemCiphertextLength`]). Behind the `test-vectors` feature.
#[cfg(feature = "test-vectors")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-vectors")))]
#[allow(deprecated)] // ml-kem marks the expanded form deprecated; it is what NIST's vectors use
pub fn decapsulate_expanded(dk: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<[u8; SHARED_SECRET_LEN]>> {
    let dk: Zeroizing<[u8; EXPANDED_DECAPSULATION_KEY_LEN]> =
        Zeroizing::new(dk.try_into().map_err(|_| Error::KemDecapsulationKey)?);
    let c: [u8; CIPHERTEXT_LEN] =
        ciphertext.try_into().map_err(|_| Error::KemCiphertextLength { len: ciphertext.len() })?;
    let mut expanded = ml_kem::ml_kem_768::ExpandedDecapsulationKey::from(*dk);
    let key = ml_kem::DecapsulationKey768::from_expanded(&expanded).map_err(|_| Error::KemDecapsulationKey);
    expanded.as_mut_slice().zeroize();
    let mut k = key?.decapsulate(&Array::from(c));
    let mut shared = Zeroizing::new([0u8; SHARED_SECRET_LEN]);
    shared.copy_from_slice(&k);
    k.as_mut_slice().zeroize();
    Ok(shared)
}

impl PartialEq for KemSecretKey {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.seed.as_ref(), other.seed.as_ref())
    }
}

impl Eq for KemSecretKey {}

impl fmt::Debug for KemSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KemSecretKey(public: {:?})", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(byte: u8) -> [u8; SEED_LEN] {
        core::array::from_fn(|i| byte.wrapping_add(i as u8))
    }

    #[test]
    fn encapsulate_then_decapsulate_agree() {
        let secret = KemSecretKey::generate().unwrap();
        let (c, k) = secret.public().encapsulate().unwrap();
        assert_eq!(*secret.decapsulate(c.as_ref()).unwrap(), *k);
    }

    #[test]
    fn key_generation_is_deterministic_in_the_seed() {
        let a = KemSecretKey::from_seed(&seed(1));
        let b = KemSecretKey::from_seed(&seed(1));
        let c = KemSecretKey::from_seed(&seed(2));
        assert_eq!(a.public(), b.public());
        assert_ne!(a.public(), c.public());
        assert_eq!(*a.seed(), seed(1));
        assert_eq!(KemSecretKey::decode(&seed(1)).unwrap(), a);
        assert_eq!(KemSecretKey::decode(&[0; 63]).err(), Some(Error::KemSeedLength { len: 63 }));
    }

    #[test]
    fn deterministic_encapsulation_repeats() {
        let secret = KemSecretKey::from_seed(&seed(3));
        let (c1, k1) = secret.public().encapsulate_deterministic(&[9; 32]);
        let (c2, k2) = secret.public().encapsulate_deterministic(&[9; 32]);
        assert_eq!((c1.as_ref(), *k1), (c2.as_ref(), *k2));
        let (c3, _) = secret.public().encapsulate_deterministic(&[8; 32]);
        assert_ne!(c1.as_ref(), c3.as_ref());
    }

    #[test]
    fn forged_ciphertext_gets_implicit_rejection() {
        let secret = KemSecretKey::from_seed(&seed(4));
        let (mut c, k) = secret.public().encapsulate_deterministic(&[1; 32]);
        c[0] ^= 1;
        let rejected = secret.decapsulate(c.as_ref()).unwrap();
        assert_ne!(*rejected, *k);
        // Implicit rejection is a function of z and c: the same forgery gives the same secret.
        assert_eq!(*secret.decapsulate(c.as_ref()).unwrap(), *rejected);
        assert_eq!(secret.decapsulate(&c[1..]).err(), Some(Error::KemCiphertextLength { len: 1087 }));
    }

    #[test]
    fn encapsulation_key_check() {
        let ek = *KemSecretKey::from_seed(&seed(5)).public().as_bytes();
        assert!(KemPublicKey::decode(&ek).is_ok());
        assert_eq!(KemPublicKey::decode(&ek[..1183]).err(), Some(Error::KemKeyLength { len: 1183 }));
        // The first coefficient is the low 12 bits of bytes 0-1: 0xFFF = 4095 >= q.
        let mut bad = ek;
        bad[0] = 0xff;
        bad[1] |= 0x0f;
        assert_eq!(KemPublicKey::decode(&bad).err(), Some(Error::KemKeyModulus));
        // Exactly q = 3329 = 0xD01 is refused, q - 1 accepted.
        let mut at_q = ek;
        at_q[0] = 0x01;
        at_q[1] = (at_q[1] & 0xf0) | 0x0d;
        assert_eq!(KemPublicKey::decode(&at_q).err(), Some(Error::KemKeyModulus));
        at_q[0] = 0x00;
        assert!(KemPublicKey::decode(&at_q).is_ok());
        // The last 32 bytes (rho) are not range-checked.
        let mut rho = ek;
        rho[1183] ^= 0xff;
        assert!(KemPublicKey::decode(&rho).is_ok());
    }
}
