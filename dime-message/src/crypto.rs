//! Low-level: the suite's primitives: randomness, key agreement, chunk sealing, keyslots and
//! digests.
//!
//! Callers need only [`RandomSource`] and [`OsRandom`] (re-exported at the crate root) to
//! compose; composing and opening ([`crate::compose()`], [`crate::Envelope`]) use the rest.

use aes_gcm::aead::consts::U12;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit, Nonce, Tag};
use dime_core::keys::{EncryptionPublicKey, EncryptionSecretKey, KEY_FORMAT_25519, ct_eq};
use hkdf::HkdfExtract;
use sha2::Sha512;
use zeroize::{Zeroize, Zeroizing};

use crate::actor::Actor;
use crate::chunk::{COMMITMENT_LEN, ChunkType, EPHEMERAL_LEN, KEYSLOT_LEN, TAG_LEN};
use crate::error::{MessageError, Result};
use crate::gcm::{Gcm, P_MAX, blocks, blocks_mut};

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

/// `HKDF-SHA-512(ikm, info)` without salt (RFC 5869: a salt of 64 zero bytes) into `out`, at
/// most 64 bytes here, with `ikm` and `info` each given as the concatenation of their pieces.
/// The extract step starts from the salt's HMAC state, computed once per process, instead of
/// hashing the salt for every chunk and key.
pub(crate) fn hkdf(ikm: &[&[u8]], info: &[&[u8]], out: &mut [u8]) {
    static NO_SALT: std::sync::LazyLock<HkdfExtract<Sha512>> = std::sync::LazyLock::new(|| HkdfExtract::new(None));
    let mut extract = NO_SALT.clone();
    for piece in ikm {
        extract.input_ikm(piece);
    }
    let (mut prk, expand) = extract.finalize();
    prk.zeroize();
    // The callers' lengths are far below HKDF-SHA-512's limit of 16,320 bytes.
    let _ = expand.expand_multi_info(info, out);
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

/// The X25519 public key kept with a reader's own encryption key (it names the reader in the KEK
/// info); secp256k1 is refused.
pub(crate) fn own_x25519_public(secret: &EncryptionSecretKey) -> Result<[u8; 32]> {
    match secret {
        EncryptionSecretKey::X25519(key) => Ok(*key.public()),
        EncryptionSecretKey::Secp256k1(_) => Err(MessageError::UnsupportedAlgorithm("secp256k1 encryption keys")),
    }
}

/// A key-encryption key: one per actor per object, kept as its AES-256-GCM key schedule (wiped
/// on drop), which every keyslot of the actor uses.
pub struct Kek(Aes256Gcm);

impl Kek {
    /// `HKDF(shared, "dime-rs/2 kek" ‖ actor ‖ E ‖ P, 32)`.
    fn derive(shared: &[u8; 32], actor: Actor, ephemeral: &[u8; 32], public: &[u8; 32]) -> Kek {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA-512's output limit.
        hkdf(&[shared], &[b"dime-rs/2 kek", &[actor.byte()], ephemeral, public], out.as_mut());
        Kek::new(&out)
    }

    /// The KEK whose 32 bytes are `key`.
    pub(crate) fn new(key: &[u8; 32]) -> Kek {
        Kek(aes(key))
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
        let public = own_x25519_public(secret)?;
        let shared = secret.agree(&EncryptionPublicKey::X25519(*ephemeral))?;
        Ok(Kek::derive(&shared, actor, ephemeral, &public))
    }

    fn cipher(&self) -> &Aes256Gcm {
        &self.0
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
        hkdf(&[self.0.as_ref()], &[b"dime-rs/2 chunk"], okm.as_mut());
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
    /// in place in `out`, a window at a time.
    pub fn seal_into(&self, ad: &[u8], pieces: &[&[u8]], padding: usize, out: &mut Vec<u8>) -> Result<()> {
        self.seal(ad, pieces, padding, out, None).map(drop)
    }

    /// [`ChunkKey::seal_into`], returning the chunk digest of `out[from..]` once sealed (the
    /// header the caller wrote at `from`, then the body): each window of ciphertext is hashed
    /// while it is still in cache, so the plaintext and ciphertext are each touched once.
    pub fn seal_digest_into(
        &self,
        ad: &[u8],
        pieces: &[&[u8]],
        padding: usize,
        out: &mut Vec<u8>,
        from: usize,
    ) -> Result<ChunkDigest> {
        let from = from.min(out.len());
        let digest =
            self.seal(ad, pieces, padding, out, Some(Digesting { hasher: Hasher::new(), from, done: from }))?;
        Ok(digest.unwrap_or_default())
    }

    fn seal(
        &self,
        ad: &[u8],
        pieces: &[&[u8]],
        padding: usize,
        out: &mut Vec<u8>,
        mut digesting: Option<Digesting>,
    ) -> Result<Option<ChunkDigest>> {
        let len = pieces.iter().try_fold(padding, |sum, p| sum.checked_add(p.len())).unwrap_or(usize::MAX);
        if len as u64 > P_MAX {
            return Err(aead_limit(len));
        }
        let (key, commitment) = self.expand();
        out.reserve(COMMITMENT_LEN + len + TAG_LEN);
        out.extend_from_slice(&commitment);
        let mut gcm = Gcm::new(&key, &[0; 12], ad);
        let mut plain = Plaintext { pieces, at: 0, padding };
        let mut left = len;
        while left > WINDOW {
            let start = out.len();
            match plain.contiguous(WINDOW) {
                // Within one piece: encrypted from the caller's bytes and appended to `out`.
                Some(input) => gcm.encrypt_blocks_append(blocks(input).0, out),
                None => {
                    plain.append(out, WINDOW);
                    gcm.encrypt_blocks(blocks_mut(out.get_mut(start..).unwrap_or_default()).0);
                }
            }
            left -= WINDOW;
            if let Some(d) = &mut digesting {
                d.advance(out);
            }
        }
        let start = out.len();
        plain.append(out, left);
        let tag = gcm.seal_tail(out.get_mut(start..).unwrap_or_default());
        out.extend_from_slice(&tag);
        Ok(digesting.map(|d| d.finish(out)))
    }

    /// Checks the body's length and commitment: the cipher, ciphertext and tag.
    fn start_open<'b>(&self, index: usize, ad: &[u8], body: &'b [u8]) -> Result<(Gcm, &'b [u8], &'b [u8])> {
        if body.len() < COMMITMENT_LEN + TAG_LEN {
            return Err(MessageError::Decrypt { index });
        }
        let (key, commitment) = self.expand();
        let (stored, rest) = body.split_at(COMMITMENT_LEN);
        if !ct_eq(stored, &commitment) {
            return Err(MessageError::CommitmentMismatch { index });
        }
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        Ok((Gcm::new(&key, &[0; 12], ad), ct, tag))
    }

    /// Checks the commitment and opens a body sealed under header `ad`.
    pub fn open(&self, index: usize, ad: &[u8], body: &[u8]) -> Result<Vec<u8>> {
        let (mut gcm, mut ct, tag) = self.start_open(index, ad, body)?;
        let mut plain = Vec::with_capacity(ct.len());
        while ct.len() > WINDOW {
            let (window, rest) = ct.split_at(WINDOW);
            let start = plain.len();
            plain.extend_from_slice(window);
            gcm.decrypt_blocks(blocks_mut(plain.get_mut(start..).unwrap_or_default()).0);
            ct = rest;
        }
        let start = plain.len();
        plain.extend_from_slice(ct);
        if gcm.open_tail(plain.get_mut(start..).unwrap_or_default(), tag) {
            Ok(plain)
        } else {
            plain.zeroize();
            Err(MessageError::Decrypt { index })
        }
    }

    /// Checks the commitment and opens a body sealed under header `ad`, handing the plaintext
    /// to `sink` a window at a time, in order, without holding it whole. What `sink` receives
    /// is not authentic until this returns `Ok`: on an error the caller discards (and wipes)
    /// all of it.
    pub(crate) fn open_with(&self, index: usize, ad: &[u8], body: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<()> {
        let (mut gcm, mut ct, tag) = self.start_open(index, ad, body)?;
        let mut window = Window([0u8; WINDOW]);
        while ct.len() > WINDOW {
            let (piece, rest) = ct.split_at(WINDOW);
            gcm.decrypt_blocks_to(blocks(piece).0, blocks_mut(&mut window.0).0);
            sink(&window.0);
            ct = rest;
        }
        let last = window.0.get_mut(..ct.len()).unwrap_or_default();
        last.copy_from_slice(ct);
        if !gcm.open_tail(last, tag) {
            return Err(MessageError::Decrypt { index });
        }
        sink(last);
        Ok(())
    }
}

/// Bytes of a chunk body sealed or opened at a time: a whole number of AES blocks, small
/// enough that the window stays in the L1 or L2 cache from its copy to its hash.
const WINDOW: usize = 16 << 10;

/// A window of plaintext, wiped when dropped. It is wiped as one slice: `zeroize` on a byte
/// array writes it a byte at a time, which for 16 KiB costs more than half of decrypting it.
struct Window([u8; WINDOW]);

impl Drop for Window {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

/// Bytes the chunk digest takes at a time while sealing, counted from the chunk's start so
/// that BLAKE3 hashes whole subtrees.
const DIGEST_STEP: usize = 64 << 10;

/// A chunk's plaintext: `pieces`, then `padding` zero bytes, appended a window at a time.
struct Plaintext<'p> {
    pieces: &'p [&'p [u8]],
    at: usize,
    padding: usize,
}

impl<'p> Plaintext<'p> {
    /// The next `n` bytes, when they lie within one piece.
    fn contiguous(&mut self, n: usize) -> Option<&'p [u8]> {
        let (piece, rest) = self.pieces.split_first()?;
        let bytes = piece.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        if self.at == piece.len() {
            self.pieces = rest;
            self.at = 0;
        }
        Some(bytes)
    }

    /// Appends the next `n` bytes to `out`.
    fn append(&mut self, out: &mut Vec<u8>, mut n: usize) {
        while n > 0 {
            match self.pieces.split_first() {
                Some((piece, rest)) => {
                    let available = piece.get(self.at..).unwrap_or_default();
                    let take = available.len().min(n);
                    out.extend_from_slice(available.get(..take).unwrap_or_default());
                    n -= take;
                    self.at += take;
                    if self.at >= piece.len() {
                        self.pieces = rest;
                        self.at = 0;
                    }
                }
                None => {
                    let take = n.min(self.padding);
                    out.resize(out.len() + take, 0);
                    self.padding -= take;
                    n = if take == 0 { 0 } else { n - take };
                }
            }
        }
    }
}

/// The chunk digest of `out[from..]`, taken as the ciphertext is written.
struct Digesting {
    hasher: Hasher,
    from: usize,
    done: usize,
}

impl Digesting {
    /// Hashes the whole steps written since the last call.
    fn advance(&mut self, out: &[u8]) {
        let end = self.from + (out.len() - self.from) / DIGEST_STEP * DIGEST_STEP;
        if end > self.done {
            self.hasher.update(out.get(self.done..end).unwrap_or_default());
            self.done = end;
        }
    }

    fn finish(mut self, out: &[u8]) -> ChunkDigest {
        self.hasher.update(out.get(self.done..).unwrap_or_default());
        self.hasher.finalize()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths around the window and digest-step boundaries.
    const LENGTHS: [usize; 9] =
        [0, 1, 15, 16, WINDOW - 1, WINDOW, WINDOW + 1, 3 * WINDOW + 7, 2 * DIGEST_STEP + WINDOW + 5];

    /// Sealing window by window writes what one `aes-gcm` call over the whole plaintext writes,
    /// with the digest of the header and body, and both openers give the plaintext back.
    #[test]
    fn windows_match_one_aes_gcm_call() {
        let key = ChunkKey(Zeroizing::new([9; 32]));
        let ad = b"header";
        for len in LENGTHS {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
            let (a, b) = data.split_at(len / 3);
            let padding = len % 61;
            let mut out = ad.to_vec();
            let digest = key.seal_digest_into(ad, &[a, &[], b], padding, &mut out, 0).unwrap();
            assert_eq!(digest, super::digest(&out), "len {len}");

            let (aes_key, commitment) = key.expand();
            let mut expected = [data.as_slice(), &vec![0; padding]].concat();
            let tag = aes(&aes_key)
                .encrypt_inout_detached(&Nonce::<U12>::default(), ad, expected.as_mut_slice().into())
                .unwrap();
            let body = [ad.as_slice(), &commitment, &expected, &tag].concat();
            assert_eq!(out, body, "len {len}");

            let plain = [data.as_slice(), &vec![0; padding]].concat();
            assert_eq!(key.open(0, ad, &out[ad.len()..]).unwrap(), plain);
            let mut windows = Vec::new();
            key.open_with(0, ad, &out[ad.len()..], &mut |w| windows.extend_from_slice(w)).unwrap();
            assert_eq!(windows, plain);
        }
    }

    /// A changed bit anywhere in the ciphertext or tag of any window is refused by both openers.
    #[test]
    fn a_changed_bit_in_any_window_is_refused() {
        let key = ChunkKey(Zeroizing::new([4; 32]));
        let mut out = Vec::new();
        key.seal_into(b"h", &[&vec![1; 3 * WINDOW + 7]], 0, &mut out).unwrap();
        for at in [COMMITMENT_LEN, COMMITMENT_LEN + WINDOW + 3, out.len() - TAG_LEN - 1, out.len() - 1] {
            let mut bad = out.clone();
            bad[at] ^= 0x10;
            assert_eq!(key.open(5, b"h", &bad), Err(MessageError::Decrypt { index: 5 }), "at {at}");
            assert_eq!(key.open_with(5, b"h", &bad, &mut |_| {}), Err(MessageError::Decrypt { index: 5 }), "at {at}");
        }
        let mut bad = out.clone();
        bad[0] ^= 1;
        assert_eq!(key.open(5, b"h", &bad), Err(MessageError::CommitmentMismatch { index: 5 }));
        assert_eq!(key.open(5, b"h", &out[..COMMITMENT_LEN + TAG_LEN - 1]), Err(MessageError::Decrypt { index: 5 }));
    }
}
