//! Low-level: the suite's primitives: randomness, key agreement, chunk sealing, keyslots and
//! digests.
//!
//! Callers need only [`RandomSource`] and [`OsRandom`] (re-exported at the crate root) to
//! compose; composing and opening ([`crate::compose()`], [`crate::Envelope`]) use the rest.

use aes_gcm::aead::consts::U12;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit, Nonce, Tag};
use dime_core::keys::{EncryptionPublicKey, EncryptionSecretKey, KEY_FORMAT_25519, ct_eq};
use hkdf::Hkdf;
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::actor::Actor;
use crate::chunk::{COMMITMENT_LEN, ChunkType, EPHEMERAL_LEN, KEYSLOT_LEN, TAG_LEN};
use crate::error::{MessageError, Result};

/// Size of a chunk digest (`D_i`, `S_i`).
pub const DIGEST_LEN: usize = 32;

/// A chunk digest: BLAKE3-256 (decision D7).
pub type ChunkDigest = [u8; DIGEST_LEN];

/// The suite this crate reads and writes: the first byte of the ephemeral chunk body.
pub const SUITE: u8 = 2;

/// The incremental form of [`digest`], for bytes that arrive in pieces.
#[derive(Debug, Clone, Default)]
pub struct Hasher(blake3::Hasher);

impl Hasher {
    /// A hasher over no bytes yet.
    pub fn new() -> Hasher {
        Hasher(blake3::Hasher::new())
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added.
    pub fn finalize(&self) -> ChunkDigest {
        *self.0.finalize().as_bytes()
    }
}

/// A source of random bytes. Every random value the crate uses comes from one, so tests and
/// vectors can be deterministic.
pub trait RandomSource {
    /// Fills `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]) -> Result<()>;

    /// A fresh 32-byte secret.
    fn secret(&mut self) -> Result<Zeroizing<[u8; 32]>> {
        let mut out = Zeroizing::new([0u8; 32]);
        self.fill(out.as_mut())?;
        Ok(out)
    }
}

/// The operating system's generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        getrandom::fill(out).map_err(|_| MessageError::Randomness)
    }
}

/// A deterministic generator for tests and vectors: block `i` is `SHA-512(seed ‖ u64 i)`.
/// Never use it for real messages (feature `test-vectors`).
#[cfg(feature = "test-vectors")]
#[derive(Clone)]
pub struct SeededRandom {
    seed: Zeroizing<[u8; 32]>,
    counter: u64,
    block: Zeroizing<[u8; 64]>,
    used: usize,
}

#[cfg(feature = "test-vectors")]
impl SeededRandom {
    /// A generator for `seed`.
    pub fn new(seed: [u8; 32]) -> SeededRandom {
        SeededRandom { seed: Zeroizing::new(seed), counter: 0, block: Zeroizing::new([0; 64]), used: 64 }
    }
}

#[cfg(feature = "test-vectors")]
impl core::fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SeededRandom")
    }
}

#[cfg(feature = "test-vectors")]
impl RandomSource for SeededRandom {
    fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        use sha2::Digest;
        for byte in out {
            if self.used == 64 {
                let mut h = Sha512::new();
                h.update(self.seed.as_ref());
                h.update(self.counter.to_be_bytes());
                self.block.copy_from_slice(&h.finalize());
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

/// The chunk digest of `bytes`: BLAKE3 with 32 bytes of output.
pub fn digest(bytes: &[u8]) -> ChunkDigest {
    *blake3::hash(bytes).as_bytes()
}

/// The X25519 key of an ephemeral chunk body `suite ‖ 0x40 ‖ E`. Another suite byte is an
/// unsupported format; secp256k1 keys are an unsupported algorithm.
pub fn decode_ephemeral(body: &[u8]) -> Result<[u8; 32]> {
    if body.len() != EPHEMERAL_LEN {
        return Err(MessageError::BadEphemeral);
    }
    let (suite, key) = body.split_at(1);
    if suite != [SUITE] {
        return Err(MessageError::UnsupportedFormat("the ephemeral chunk names a suite other than 2"));
    }
    match EncryptionPublicKey::decode(key) {
        Ok(EncryptionPublicKey::X25519(key)) => Ok(key),
        Ok(EncryptionPublicKey::Secp256k1(_)) | Err(dime_core::Error::InvalidSecp256k1Point)
            if key.first() != Some(&KEY_FORMAT_25519) =>
        {
            Err(MessageError::UnsupportedAlgorithm("secp256k1 ephemeral key"))
        }
        _ => Err(MessageError::BadEphemeral),
    }
}

/// The X25519 public key of a signet's encryption key; secp256k1 is refused.
pub fn x25519_public(key: &EncryptionPublicKey) -> Result<[u8; 32]> {
    match key {
        EncryptionPublicKey::X25519(key) => Ok(*key),
        EncryptionPublicKey::Secp256k1(_) => Err(MessageError::UnsupportedAlgorithm("secp256k1 encryption keys")),
    }
}

/// A key-encryption key: one per actor per object.
pub struct Kek(pub(crate) Zeroizing<[u8; 32]>);

impl Kek {
    /// `HKDF(shared, "dime-rs/2 kek" ‖ actor ‖ E ‖ P, 32)`.
    fn derive(shared: &[u8; 32], actor: Actor, ephemeral: &[u8; 32], public: &[u8; 32]) -> Kek {
        let mut info = [0u8; 13 + 1 + 64];
        info[..13].copy_from_slice(b"dime-rs/2 kek");
        info[13] = actor.byte();
        info[14..46].copy_from_slice(ephemeral);
        info[46..].copy_from_slice(public);
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA-512's output limit.
        let _ = Hkdf::<Sha512>::new(None, shared).expand(&info, out.as_mut());
        Kek(out)
    }

    /// The author's side: agreement of the ephemeral secret with the actor's public key.
    pub fn for_author(
        ephemeral: &EncryptionSecretKey,
        ephemeral_public: &[u8; 32],
        actor: Actor,
        actor_public: &[u8; 32],
    ) -> Result<Kek> {
        let shared = ephemeral.agree(&EncryptionPublicKey::X25519(*actor_public))?;
        Ok(Kek::derive(&shared, actor, ephemeral_public, actor_public))
    }

    /// The actor's side: agreement of its secret key with the ephemeral public key.
    pub fn for_actor(secret: &EncryptionSecretKey, actor: Actor, ephemeral: &[u8; 32]) -> Result<Kek> {
        let public = match secret {
            EncryptionSecretKey::X25519(_) => x25519_public(&secret.public()?)?,
            EncryptionSecretKey::Secp256k1(_) => {
                return Err(MessageError::UnsupportedAlgorithm("secp256k1 encryption keys"));
            }
        };
        let shared = secret.agree(&EncryptionPublicKey::X25519(*ephemeral))?;
        Ok(Kek::derive(&shared, actor, ephemeral, &public))
    }

    fn cipher(&self) -> Aes256Gcm {
        aes(&self.0)
    }
}

fn aes(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(key.into())
}

/// The error for a plaintext GCM refuses (over its 64 GiB limit).
fn aead_limit(len: usize) -> MessageError {
    MessageError::TooLarge { what: "AEAD plaintext", size: len as u64, limit: (1u64 << 36) - 32 }
}

/// The nonce of a keyslot: `u32 index ‖ type ‖ actor ‖ 0^6`.
fn slot_nonce(index: usize, t: ChunkType, actor: Actor) -> Nonce<U12> {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&(index as u32).to_be_bytes());
    n[4] = t.byte();
    n[5] = actor.byte();
    n.into()
}

/// A chunk key: 32 random bytes, used for one plaintext only.
#[derive(Clone)]
pub struct ChunkKey(Zeroizing<[u8; 32]>);

impl ChunkKey {
    /// A fresh key.
    pub fn generate(rng: &mut dyn RandomSource) -> Result<ChunkKey> {
        Ok(ChunkKey(rng.secret()?))
    }

    /// The AES key and the key commitment.
    fn expand(&self) -> (Zeroizing<[u8; 32]>, [u8; 32]) {
        let mut okm = Zeroizing::new([0u8; 64]);
        let _ = Hkdf::<Sha512>::new(None, self.0.as_ref()).expand(b"dime-rs/2 chunk", okm.as_mut());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&okm[..32]);
        let mut commitment = [0u8; 32];
        commitment.copy_from_slice(&okm[32..]);
        (key, commitment)
    }

    /// Wraps this key for `actor` of chunk `index`: 48 bytes appended to `out`.
    pub fn wrap(&self, kek: &Kek, index: usize, t: ChunkType, actor: Actor, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(self.0.as_ref());
        let slot = out.get_mut(start..).unwrap_or_default();
        let tag = kek
            .cipher()
            .encrypt_inout_detached(&slot_nonce(index, t, actor), b"", slot.into())
            .map_err(|_| aead_limit(32))?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Unwraps `actor`'s keyslot of chunk `index`.
    pub fn unwrap(kek: &Kek, index: usize, t: ChunkType, actor: Actor, slot: &[u8]) -> Result<ChunkKey> {
        let rejected = MessageError::KeyslotRejected { index, actor };
        if slot.len() != KEYSLOT_LEN {
            return Err(rejected);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&slot[..32]);
        let tag = Tag::try_from(&slot[32..]).map_err(|_| rejected.clone())?;
        kek.cipher()
            .decrypt_inout_detached(&slot_nonce(index, t, actor), b"", key.as_mut_slice().into(), &tag)
            .map_err(|_| rejected)?;
        Ok(ChunkKey(key))
    }

    /// Seals the concatenation of `pieces` and `padding` zero bytes under header `ad`, appending
    /// the body (commitment, ciphertext, tag) to `out`. The plaintext is assembled and encrypted
    /// in place in `out`.
    pub fn seal_into(&self, ad: &[u8], pieces: &[&[u8]], padding: usize, out: &mut Vec<u8>) -> Result<()> {
        let (key, commitment) = self.expand();
        out.extend_from_slice(&commitment);
        let start = out.len();
        for piece in pieces {
            out.extend_from_slice(piece);
        }
        out.resize(out.len() + padding, 0);
        let len = out.len() - start;
        let buf = out.get_mut(start..).unwrap_or_default();
        let tag =
            aes(&key).encrypt_inout_detached(&Nonce::<U12>::default(), ad, buf.into()).map_err(|_| aead_limit(len))?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Checks the commitment and opens a body sealed under header `ad`.
    pub fn open(&self, index: usize, ad: &[u8], body: &[u8]) -> Result<Vec<u8>> {
        if body.len() < COMMITMENT_LEN + TAG_LEN {
            return Err(MessageError::Decrypt { index });
        }
        let (key, commitment) = self.expand();
        let (stored, rest) = body.split_at(COMMITMENT_LEN);
        if !ct_eq(stored, &commitment) {
            return Err(MessageError::CommitmentMismatch { index });
        }
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let tag = Tag::try_from(tag).map_err(|_| MessageError::Decrypt { index })?;
        let mut plain = ct.to_vec();
        aes(&key)
            .decrypt_inout_detached(&Nonce::<U12>::default(), ad, plain.as_mut_slice().into(), &tag)
            .map_err(|_| MessageError::Decrypt { index })?;
        Ok(plain)
    }
}

impl core::fmt::Debug for ChunkKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChunkKey(..)")
    }
}

impl core::fmt::Debug for Kek {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Kek(..)")
    }
}
