//! AES-256-GCM (NIST SP 800-38D, 96-bit nonce, 128-bit tag) computed window by window.
//!
//! `aes-gcm` seals a buffer in two passes, counter mode then GHASH, and the chunk digest is a
//! third pass over the same bytes: for a 1 MiB segment each pass reads it back from beyond the
//! L2 cache. Here the counter mode and GHASH advance over one window at a time, so the caller
//! can copy the plaintext in and hash the ciphertext of each window while it is still in
//! cache. The ciphertext and tag are those of `aes-gcm` byte for byte (tested against it); it
//! is built from the same crates (`aes`, `ctr`, `ghash`), and no key material outlives it
//! unwiped.

use aes::Aes256;
use aes::cipher::array::Array;
use aes::cipher::inout::InOutBuf;
use aes::cipher::{BlockCipherEncrypt, InnerIvInit, KeyInit, StreamCipherCore};
use ctr::CtrCore;
use ctr::flavors::Ctr32BE;
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use zeroize::Zeroize;

use crate::chunk::TAG_LEN;

/// One AES block (and one GHASH block).
pub(crate) type Block = ghash::Block;

/// Blocks [`Gcm::encrypt_blocks_append`] encrypts on the stack at a time (1 KiB): measured
/// against 16 and 256, the size at which appending costs least here.
const STAGE: usize = 64;

/// The longest plaintext GCM allows: 2^36 − 32 bytes.
pub(crate) const P_MAX: u64 = (1 << 36) - 32;

/// The whole blocks at the start of `buf`, and the bytes after them.
pub(crate) fn blocks(buf: &[u8]) -> (&[Block], &[u8]) {
    Array::slice_as_chunks(buf)
}

/// The whole blocks at the start of `buf`, and the bytes after them.
pub(crate) fn blocks_mut(buf: &mut [u8]) -> (&mut [Block], &mut [u8]) {
    Array::slice_as_chunks_mut(buf)
}

/// One message under one key and nonce, fed in windows: any number of whole blocks
/// ([`Gcm::encrypt_blocks`], [`Gcm::decrypt_blocks`]), then the last bytes and the tag
/// ([`Gcm::seal_tail`], [`Gcm::open_tail`]). The types keep every window but the last a whole
/// number of blocks.
pub(crate) struct Gcm {
    ctr: CtrCore<Aes256, Ctr32BE>,
    ghash: GHash,
    /// `E(K, J0)`, which masks the tag.
    mask: Block,
    ad_len: u64,
    len: u64,
}

impl Gcm {
    /// Starts a message under `key` and `nonce` authenticating `ad`.
    pub fn new(key: &[u8; 32], nonce: &[u8; 12], ad: &[u8]) -> Gcm {
        let cipher = Aes256::new(key.into());
        let mut h = Block::default();
        cipher.encrypt_block(&mut h);
        let mut ghash = GHash::new(&h);
        h.zeroize();
        ghash.update_padded(ad);
        let mut j0 = Block::default();
        j0[..12].copy_from_slice(nonce);
        j0[15] = 1;
        let mut ctr = CtrCore::inner_iv_init(cipher, &j0);
        let mut mask = Block::default();
        ctr.write_keystream_block(&mut mask);
        Gcm { ctr, ghash, mask, ad_len: ad.len() as u64, len: 0 }
    }

    /// Encrypts whole blocks in place and authenticates the ciphertext.
    pub fn encrypt_blocks(&mut self, blocks: &mut [Block]) {
        self.ctr.apply_keystream_blocks(blocks);
        self.ghash.update(blocks);
        self.len += (blocks.len() * 16) as u64;
    }

    /// Encrypts whole blocks from `input`, appends the ciphertext to `out` and authenticates it.
    ///
    /// The blocks are encrypted [`STAGE`] at a time on the stack and appended from there, so
    /// the output is written once: encrypting into it directly would need it zero-filled first
    /// (safe Rust writes only initialized bytes), a second pass over fresh memory.
    pub fn encrypt_blocks_append(&mut self, input: &[Block], out: &mut Vec<u8>) {
        let start = out.len();
        let mut stage = [Block::default(); STAGE];
        for piece in input.chunks(STAGE) {
            let stage = stage.get_mut(..piece.len()).unwrap_or_default();
            if let Ok(buf) = InOutBuf::new(piece, &mut *stage) {
                self.ctr.apply_keystream_blocks_inout(buf);
            }
            out.extend_from_slice(Block::slice_as_flattened(stage));
        }
        // Still in the L1 cache: the caller's windows are 16 KiB.
        self.ghash.update(blocks(out.get(start..).unwrap_or_default()).0);
        self.len += (input.len() * 16) as u64;
    }

    /// Authenticates whole blocks of ciphertext and decrypts them in place. The plaintext is
    /// not authentic until [`Gcm::open_tail`] returns `true`.
    pub fn decrypt_blocks(&mut self, blocks: &mut [Block]) {
        self.ghash.update(blocks);
        self.ctr.apply_keystream_blocks(blocks);
        self.len += (blocks.len() * 16) as u64;
    }

    /// Authenticates whole blocks of ciphertext from `input` and decrypts them into `output` (as
    /// many as the shorter holds). The plaintext is not authentic until [`Gcm::open_tail`]
    /// returns `true`.
    pub fn decrypt_blocks_to(&mut self, input: &[Block], output: &mut [Block]) {
        let n = input.len().min(output.len());
        let input = input.get(..n).unwrap_or_default();
        self.ghash.update(input);
        if let Ok(buf) = InOutBuf::new(input, output.get_mut(..n).unwrap_or_default()) {
            self.ctr.apply_keystream_blocks_inout(buf);
        }
        self.len += (n * 16) as u64;
    }

    /// Encrypts the last bytes of the message (any length) in place and returns the tag.
    pub fn seal_tail(mut self, tail: &mut [u8]) -> [u8; TAG_LEN] {
        let (blocks, rest) = blocks_mut(tail);
        self.encrypt_blocks(blocks);
        self.keystream_partial(rest);
        self.ghash.update_padded(rest);
        self.len += rest.len() as u64;
        self.tag()
    }

    /// Authenticates and decrypts the last bytes of the message (any length) in place and
    /// checks `tag` in constant time: `false` when the message is not authentic, and then every
    /// plaintext window of this message must be discarded.
    pub fn open_tail(mut self, tail: &mut [u8], tag: &[u8]) -> bool {
        let (blocks, rest) = blocks_mut(tail);
        self.decrypt_blocks(blocks);
        self.ghash.update_padded(rest);
        self.keystream_partial(rest);
        self.len += rest.len() as u64;
        dime_core::keys::ct_eq(&self.tag(), tag)
    }

    /// XORs the keystream into fewer than 16 bytes.
    fn keystream_partial(&mut self, rest: &mut [u8]) {
        if rest.is_empty() {
            return;
        }
        let mut block = Block::default();
        self.ctr.write_keystream_block(&mut block);
        for (b, k) in rest.iter_mut().zip(block.iter()) {
            *b ^= k;
        }
        block.zeroize();
    }

    fn tag(mut self) -> [u8; TAG_LEN] {
        let mut lengths = Block::default();
        lengths[..8].copy_from_slice(&(self.ad_len * 8).to_be_bytes());
        lengths[8..].copy_from_slice(&(self.len * 8).to_be_bytes());
        self.ghash.update(&[lengths]);
        let mut tag = [0u8; TAG_LEN];
        for ((t, s), m) in tag.iter_mut().zip(self.ghash.clone().finalize().iter()).zip(self.mask.iter()) {
            *t = s ^ m;
        }
        tag
    }
}

impl Drop for Gcm {
    fn drop(&mut self) {
        self.mask.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit as _};
    use proptest::prelude::*;

    use super::*;

    /// Seals `plain` through windows of `window` bytes (a multiple of 16).
    fn seal(key: &[u8; 32], nonce: &[u8; 12], ad: &[u8], plain: &[u8], window: usize) -> (Vec<u8>, [u8; 16]) {
        let mut buf = plain.to_vec();
        let mut gcm = Gcm::new(key, nonce, ad);
        let cut = buf.len().saturating_sub(1) / window * window;
        let (head, tail) = buf.split_at_mut(cut);
        for w in head.chunks_mut(window) {
            gcm.encrypt_blocks(blocks_mut(w).0);
        }
        let tag = gcm.seal_tail(tail);
        (buf, tag)
    }

    fn open(key: &[u8; 32], nonce: &[u8; 12], ad: &[u8], ct: &[u8], tag: &[u8], window: usize) -> Option<Vec<u8>> {
        let mut buf = ct.to_vec();
        let mut gcm = Gcm::new(key, nonce, ad);
        let cut = buf.len().saturating_sub(1) / window * window;
        let (head, tail) = buf.split_at_mut(cut);
        for w in head.chunks_mut(window) {
            gcm.decrypt_blocks(blocks_mut(w).0);
        }
        gcm.open_tail(tail, tag).then_some(buf)
    }

    proptest! {
        #[test]
        fn matches_aes_gcm(
            key in any::<[u8; 32]>(),
            nonce in any::<[u8; 12]>(),
            ad in proptest::collection::vec(any::<u8>(), 0..40),
            plain in proptest::collection::vec(any::<u8>(), 0..300),
            window in 1usize..6,
        ) {
            let window = window * 16;
            let mut expected = plain.clone();
            let tag = Aes256Gcm::new(&key.into())
                .encrypt_inout_detached(&nonce.into(), &ad, expected.as_mut_slice().into())
                .unwrap();
            let (ct, our_tag) = seal(&key, &nonce, &ad, &plain, window);
            prop_assert_eq!(&ct, &expected);
            prop_assert_eq!(our_tag.as_slice(), tag.as_slice());
            prop_assert_eq!(open(&key, &nonce, &ad, &ct, &our_tag, window), Some(plain));
        }

        /// Appending windows of up to 150 blocks (more than a stage) gives `aes-gcm`'s bytes.
        #[test]
        fn appending_matches_aes_gcm(
            key in any::<[u8; 32]>(),
            nonce in any::<[u8; 12]>(),
            plain in proptest::collection::vec(any::<u8>(), 0..5000),
            window in 1usize..150,
        ) {
            let window = window * 16;
            let mut expected = plain.clone();
            let tag = Aes256Gcm::new(&key.into())
                .encrypt_inout_detached(&nonce.into(), b"ad", expected.as_mut_slice().into())
                .unwrap();
            let mut gcm = Gcm::new(&key, &nonce, b"ad");
            let mut out = Vec::new();
            let cut = plain.len().saturating_sub(1) / window * window;
            for w in plain[..cut].chunks(window) {
                gcm.encrypt_blocks_append(blocks(w).0, &mut out);
            }
            out.extend_from_slice(&plain[cut..]);
            let our_tag = gcm.seal_tail(&mut out[cut..]);
            prop_assert_eq!(&out, &expected);
            prop_assert_eq!(our_tag.as_slice(), tag.as_slice());
        }

        #[test]
        fn refuses_any_changed_bit(
            plain in proptest::collection::vec(any::<u8>(), 1..100),
            bit in any::<prop::sample::Index>(),
        ) {
            let (key, nonce, ad) = ([7u8; 32], [1u8; 12], b"header");
            let (ct, tag) = seal(&key, &nonce, ad, &plain, 32);
            let mut sealed = [ct, tag.to_vec()].concat();
            let bit = bit.index(sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            let (ct, tag) = sealed.split_at(sealed.len() - 16);
            prop_assert_eq!(open(&key, &nonce, ad, ct, tag, 32), None);
        }
    }

    /// NIST's AES-256-GCM test case 16 (60-byte plaintext, 20-byte associated data).
    #[test]
    fn nist_test_case_16() {
        let key: [u8; 32] = hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .unwrap()
            .try_into()
            .unwrap();
        let nonce: [u8; 12] = hex::decode("cafebabefacedbaddecaf888").unwrap().try_into().unwrap();
        let plain = hex::decode(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        )
        .unwrap();
        let ad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let (ct, tag) = seal(&key, &nonce, &ad, &plain, 16);
        assert_eq!(
            hex::encode(ct),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        );
        assert_eq!(hex::encode(tag), "76fc6ece0f4e1768cddf8853bb2d551b");
    }
}
