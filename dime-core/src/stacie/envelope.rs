//! The realm envelope: data sealed under a realm key with AES-256-GCM.
//!
//! ```text
//! pad       = 16 − ((len + 4) mod 16)                  1..=16
//! framed    = be24(len) || u8(pad) || data || pad bytes of value `pad`
//! iv        = vector_key XOR vector_shard             16-byte GCM IV, no associated data
//! ct, tag   = AES-256-GCM(cipher_key, iv, framed)
//! envelope  = be16(serial) || vector_shard(16) || (tag XOR tag_key)(16) || ct
//! ```
//!
//! `len` is 1 to 16,777,215, so an envelope is 50 to 16,777,266 bytes. The serial is not
//! authenticated. Unlike the references, whose decryptors demand at least 54 bytes, a 50-byte
//! envelope (data of 1 to 11 bytes) opens.
//!
//! Opening is strict: the envelope must be at least 50 bytes with a whole number of 16-byte
//! blocks after the header, GCM must authenticate it, and then the declared length must be at
//! least 1, the padding count 1 to 16 with every padding byte equal to it, and `4 + len + pad`
//! equal to the decrypted size.

use core::fmt;

use aes_gcm::aead::consts::U16;
use aes_gcm::aes::Aes256;
use aes_gcm::{AeadInOut, AesGcm, KeyInit};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::keys::random_secret;

use super::realm::RealmKey;

/// AES-256-GCM with the 16-byte IV the envelope format uses.
type RealmGcm = AesGcm<Aes256, U16>;

/// Bytes before the ciphertext: serial, vector shard, masked tag.
pub const HEADER_LEN: usize = 34;
/// Most data one envelope holds (the 3-byte length's maximum).
pub const MAX_DATA_LEN: usize = 0xFF_FFFF;
/// Smallest envelope: the header and one block.
pub const MIN_ENVELOPE_LEN: usize = HEADER_LEN + BLOCK;
/// Largest envelope: the header and the framing of [`MAX_DATA_LEN`] bytes.
pub const MAX_ENVELOPE_LEN: usize = HEADER_LEN + framed_len(MAX_DATA_LEN);

const BLOCK: usize = 16;
/// Length and padding-count bytes before the data.
const FRAME_PREFIX: usize = 4;

/// Padding bytes for `len` bytes of data: 1 to 16.
const fn pad_len(len: usize) -> usize {
    BLOCK - (len + FRAME_PREFIX) % BLOCK
}

/// Size of the framed plaintext for `len` bytes of data.
const fn framed_len(len: usize) -> usize {
    FRAME_PREFIX + len + pad_len(len)
}

/// An envelope split into its fields; nothing is decrypted or authenticated yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmEnvelope<'a> {
    serial: u16,
    vector_shard: [u8; 16],
    tag_shard: [u8; 16],
    ciphertext: &'a [u8],
}

impl<'a> RealmEnvelope<'a> {
    /// Splits `bytes`, checking only sizes: at least [`MIN_ENVELOPE_LEN`], at most
    /// [`MAX_ENVELOPE_LEN`], and whole blocks after the header.
    pub fn parse(bytes: &'a [u8]) -> Result<RealmEnvelope<'a>> {
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(Error::TooLarge { what: "STACIE realm envelope", size: bytes.len(), limit: MAX_ENVELOPE_LEN });
        }
        let truncated = || Error::StacieEnvelopeTruncated { len: bytes.len(), min: MIN_ENVELOPE_LEN };
        if bytes.len() < MIN_ENVELOPE_LEN {
            return Err(truncated());
        }
        let (serial, rest) = bytes.split_first_chunk::<2>().ok_or_else(truncated)?;
        let (vector_shard, rest) = rest.split_first_chunk::<16>().ok_or_else(truncated)?;
        let (tag_shard, ciphertext) = rest.split_first_chunk::<16>().ok_or_else(truncated)?;
        if ciphertext.len() % BLOCK != 0 {
            return Err(Error::StacieEnvelopeBlocks { len: ciphertext.len() });
        }
        Ok(RealmEnvelope {
            serial: u16::from_be_bytes(*serial),
            vector_shard: *vector_shard,
            tag_shard: *tag_shard,
            ciphertext,
        })
    }

    /// The serial number (not authenticated).
    pub fn serial(&self) -> u16 {
        self.serial
    }

    /// The 16 random bytes that, XOR the vector key, give the IV.
    pub fn vector_shard(&self) -> &[u8; 16] {
        &self.vector_shard
    }

    /// The GCM tag XOR the tag key.
    pub fn tag_shard(&self) -> &[u8; 16] {
        &self.tag_shard
    }

    /// The ciphertext of the framed data.
    pub fn ciphertext(&self) -> &'a [u8] {
        self.ciphertext
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.ciphertext.len());
        out.extend_from_slice(&self.serial.to_be_bytes());
        out.extend_from_slice(&self.vector_shard);
        out.extend_from_slice(&self.tag_shard);
        out.extend_from_slice(self.ciphertext);
        out
    }

    /// Authenticates and decrypts with `key`, then checks the framing strictly.
    pub fn open(&self, key: &RealmKey) -> Result<Opened> {
        let iv = mask(key.vector_key().as_bytes(), &self.vector_shard);
        let tag = mask(key.tag_key().as_bytes(), &self.tag_shard);
        let mut framed = Zeroizing::new(self.ciphertext.to_vec());
        gcm(key)
            .decrypt_inout_detached((&*iv).into(), &[], framed.as_mut_slice().into(), (&*tag).into())
            .map_err(|_| Error::StacieDecrypt)?;
        let data = unframe(framed)?;
        Ok(Opened { serial: self.serial, data })
    }
}

/// What an opened envelope held.
pub struct Opened {
    /// The envelope's serial number (not authenticated).
    pub serial: u16,
    /// The data, wiped on drop.
    pub data: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened").field("serial", &self.serial).field("data_len", &self.data.len()).finish()
    }
}

/// Seals `data` (1 to [`MAX_DATA_LEN`] bytes) under `key` with a fresh random vector shard.
pub fn encrypt(key: &RealmKey, serial: u16, data: &[u8]) -> Result<Vec<u8>> {
    let vector_shard = random_secret::<16>()?;
    encrypt_with_vector_shard(key, serial, &vector_shard, data)
}

/// Seals `data` with a caller-chosen vector shard, deterministically.
///
/// This exists to reproduce published vectors. The shard fixes the GCM IV, so sealing two
/// different plaintexts with one realm key and one shard destroys both confidentiality and
/// authenticity; use [`encrypt`].
pub fn encrypt_with_vector_shard(key: &RealmKey, serial: u16, vector_shard: &[u8; 16], data: &[u8]) -> Result<Vec<u8>> {
    if data.is_empty() {
        return Err(Error::StacieEmptyPlaintext);
    }
    if data.len() > MAX_DATA_LEN {
        return Err(Error::TooLarge { what: "STACIE realm envelope data", size: data.len(), limit: MAX_DATA_LEN });
    }
    let pad = pad_len(data.len());
    let [_, len_high, len_middle, len_low] = (data.len() as u32).to_be_bytes();
    let mut framed = Zeroizing::new(Vec::with_capacity(framed_len(data.len())));
    framed.extend_from_slice(&[len_high, len_middle, len_low, pad as u8]);
    framed.extend_from_slice(data);
    framed.resize(framed_len(data.len()), pad as u8);
    seal_framed(key, serial, vector_shard, framed)
}

/// Opens an envelope: [`RealmEnvelope::parse`] then [`RealmEnvelope::open`].
pub fn decrypt(key: &RealmKey, envelope: &[u8]) -> Result<Opened> {
    RealmEnvelope::parse(envelope)?.open(key)
}

/// Encrypts an already framed plaintext (in place) and prepends the header.
fn seal_framed(
    key: &RealmKey,
    serial: u16,
    vector_shard: &[u8; 16],
    mut framed: Zeroizing<Vec<u8>>,
) -> Result<Vec<u8>> {
    let iv = mask(key.vector_key().as_bytes(), vector_shard);
    let mut tag = gcm(key)
        .encrypt_inout_detached((&*iv).into(), &[], framed.as_mut_slice().into())
        .map_err(|_| Error::TooLarge { what: "STACIE realm envelope data", size: framed.len(), limit: MAX_DATA_LEN })?;
    let tag_shard = mask(key.tag_key().as_bytes(), tag.as_ref());
    tag.as_mut_slice().zeroize();
    // `framed` now holds ciphertext only.
    let mut out = Vec::with_capacity(HEADER_LEN + framed.len());
    out.extend_from_slice(&serial.to_be_bytes());
    out.extend_from_slice(vector_shard);
    out.extend_from_slice(tag_shard.as_ref());
    out.extend_from_slice(&framed);
    Ok(out)
}

/// Checks the decrypted framing and returns the data, reusing the buffer.
fn unframe(mut framed: Zeroizing<Vec<u8>>) -> Result<Zeroizing<Vec<u8>>> {
    let Some(&[len_high, len_middle, len_low, pad]) = framed.first_chunk::<FRAME_PREFIX>() else {
        return Err(Error::StacieEnvelopeTruncated { len: HEADER_LEN + framed.len(), min: MIN_ENVELOPE_LEN });
    };
    let len = u32::from_be_bytes([0, len_high, len_middle, len_low]) as usize;
    if len == 0 {
        return Err(Error::StacieEmptyPlaintext);
    }
    if !(1..=BLOCK as u8).contains(&pad) {
        return Err(Error::StacieBadPadding { pad });
    }
    let declared = FRAME_PREFIX + len + usize::from(pad);
    if declared != framed.len() {
        return Err(Error::StacieLengthMismatch { declared, actual: framed.len() });
    }
    let end = FRAME_PREFIX + len;
    let padding = framed.get(end..).unwrap_or_default();
    if padding.iter().any(|&b| b != pad) {
        return Err(Error::StacieBadPadding { pad });
    }
    framed.copy_within(FRAME_PREFIX..end, 0);
    framed.truncate(len);
    Ok(framed)
}

fn gcm(key: &RealmKey) -> RealmGcm {
    RealmGcm::new(key.cipher_key().as_bytes().into())
}

fn mask(key: &[u8; 16], shard: &[u8]) -> Zeroizing<[u8; 16]> {
    let mut out = Zeroizing::new(*key);
    for (o, s) in out.iter_mut().zip(shard) {
        *o ^= s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> RealmKey {
        RealmKey::from_bytes(core::array::from_fn(|i| (i * 7) as u8))
    }

    /// Seals a hand-made framing, so the checks after authentication can be reached.
    fn seal_raw(framed: &[u8]) -> Vec<u8> {
        seal_framed(&key(), 3, &[9; 16], Zeroizing::new(framed.to_vec())).unwrap()
    }

    #[test]
    fn sizes() {
        assert_eq!(MIN_ENVELOPE_LEN, 50);
        assert_eq!(MAX_ENVELOPE_LEN, 16_777_266);
        assert_eq!(pad_len(1), 11);
        assert_eq!(pad_len(12), 16);
        assert_eq!(pad_len(13), 15);
        for len in 1..100 {
            assert!((1..=16).contains(&pad_len(len)));
            assert_eq!(framed_len(len) % 16, 0);
        }
    }

    #[test]
    fn short_plaintexts_round_trip() {
        for len in 1..=12 {
            let data = vec![0x5A; len];
            let envelope = encrypt(&key(), 1, &data).unwrap();
            let expected = if len <= 11 { 50 } else { 66 };
            assert_eq!(envelope.len(), expected, "{len}");
            let opened = decrypt(&key(), &envelope).unwrap();
            assert_eq!(opened.serial, 1);
            assert_eq!(opened.data.as_slice(), data.as_slice());
        }
    }

    #[test]
    fn encrypt_rejects_empty_and_oversized() {
        assert_eq!(encrypt(&key(), 0, b""), Err(Error::StacieEmptyPlaintext));
        let big = vec![0; MAX_DATA_LEN + 1];
        assert_eq!(
            encrypt(&key(), 0, &big),
            Err(Error::TooLarge { what: "STACIE realm envelope data", size: MAX_DATA_LEN + 1, limit: MAX_DATA_LEN })
        );
    }

    #[test]
    fn parse_rejects_bad_sizes() {
        for len in [0, 1, 2, 33, 34, 49] {
            assert_eq!(
                RealmEnvelope::parse(&vec![0; len]),
                Err(Error::StacieEnvelopeTruncated { len, min: 50 }),
                "{len}"
            );
        }
        assert_eq!(RealmEnvelope::parse(&[0; 51]), Err(Error::StacieEnvelopeBlocks { len: 17 }));
        assert_eq!(RealmEnvelope::parse(&[0; 65]), Err(Error::StacieEnvelopeBlocks { len: 31 }));
        let huge = vec![0; MAX_ENVELOPE_LEN + 16];
        assert_eq!(
            RealmEnvelope::parse(&huge),
            Err(Error::TooLarge {
                what: "STACIE realm envelope",
                size: MAX_ENVELOPE_LEN + 16,
                limit: MAX_ENVELOPE_LEN
            })
        );
    }

    #[test]
    fn truncated_envelope_fails() {
        let envelope = encrypt(&key(), 0, &[1; 40]).unwrap();
        assert_eq!(envelope.len(), 82);
        // Dropping a whole block keeps the size valid but breaks authentication.
        assert_eq!(decrypt(&key(), &envelope[..66]).err(), Some(Error::StacieDecrypt));
        assert_eq!(decrypt(&key(), &envelope[..81]).err(), Some(Error::StacieEnvelopeBlocks { len: 47 }));
    }

    #[test]
    fn wrong_key_fails() {
        let envelope = encrypt(&key(), 0, b"secret").unwrap();
        let other = RealmKey::from_bytes([1; 64]);
        assert_eq!(decrypt(&other, &envelope).err(), Some(Error::StacieDecrypt));
        // A key that differs only in its tag part fails too.
        let mut bytes = *key().as_bytes();
        bytes[20] ^= 1;
        assert_eq!(decrypt(&RealmKey::from_bytes(bytes), &envelope).err(), Some(Error::StacieDecrypt));
    }

    #[test]
    fn framing_checks_after_authentication() {
        let mut good = vec![0, 0, 1, 11, b'A'];
        good.extend_from_slice(&[11; 11]);
        assert_eq!(decrypt(&key(), &seal_raw(&good)).unwrap().data.as_slice(), b"A");

        let mut zero_len = vec![0, 0, 0, 12];
        zero_len.extend_from_slice(&[12; 12]);
        assert_eq!(decrypt(&key(), &seal_raw(&zero_len)).err(), Some(Error::StacieEmptyPlaintext));

        let mut pad_zero = good.clone();
        pad_zero[3] = 0;
        assert_eq!(decrypt(&key(), &seal_raw(&pad_zero)).err(), Some(Error::StacieBadPadding { pad: 0 }));

        let mut pad_17 = good.clone();
        pad_17[3] = 17;
        assert_eq!(decrypt(&key(), &seal_raw(&pad_17)).err(), Some(Error::StacieBadPadding { pad: 17 }));

        let mut wrong_byte = good.clone();
        wrong_byte[15] = 10;
        assert_eq!(decrypt(&key(), &seal_raw(&wrong_byte)).err(), Some(Error::StacieBadPadding { pad: 11 }));

        let mut long_len = good.clone();
        long_len[2] = 2;
        assert_eq!(
            decrypt(&key(), &seal_raw(&long_len)).err(),
            Some(Error::StacieLengthMismatch { declared: 17, actual: 16 })
        );

        // A whole extra block after valid padding: 16 bytes declared, 32 present.
        let mut extra_block = good.clone();
        extra_block.extend_from_slice(&[11; 16]);
        assert_eq!(
            decrypt(&key(), &seal_raw(&extra_block)).err(),
            Some(Error::StacieLengthMismatch { declared: 16, actual: 32 })
        );
    }

    #[test]
    fn envelope_fields_and_debug() {
        let envelope = encrypt_with_vector_shard(&key(), 0x0102, &[7; 16], b"hello").unwrap();
        let parsed = RealmEnvelope::parse(&envelope).unwrap();
        assert_eq!(parsed.serial(), 0x0102);
        assert_eq!(parsed.vector_shard(), &[7; 16]);
        assert_eq!(parsed.ciphertext().len(), 16);
        assert_eq!(parsed.to_bytes(), envelope);
        let opened = parsed.open(&key()).unwrap();
        assert_eq!(format!("{opened:?}"), "Opened { serial: 258, data_len: 5 }");
    }

    proptest! {
        #[test]
        fn round_trip_any_length(
            data in proptest::collection::vec(any::<u8>(), 1..2000),
            serial in any::<u16>(),
        ) {
            let sealed = encrypt(&key(), serial, &data).unwrap();
            prop_assert_eq!(sealed.len(), HEADER_LEN + framed_len(data.len()));
            prop_assert_eq!(sealed.len() % 16, 2);
            let opened = decrypt(&key(), &sealed).unwrap();
            prop_assert_eq!(opened.serial, serial);
            prop_assert_eq!(opened.data.as_slice(), data.as_slice());
        }

        #[test]
        fn parse_then_serialize_is_identity(
            data in proptest::collection::vec(any::<u8>(), 1..300),
            serial in any::<u16>(),
            shard in any::<[u8; 16]>(),
        ) {
            let sealed = encrypt_with_vector_shard(&key(), serial, &shard, &data).unwrap();
            let parsed = RealmEnvelope::parse(&sealed).unwrap();
            prop_assert_eq!(parsed.serial(), serial);
            prop_assert_eq!(parsed.vector_shard(), &shard);
            prop_assert_eq!(parsed.to_bytes(), sealed);
        }

        #[test]
        fn any_authenticated_bit_flip_fails(
            data in proptest::collection::vec(any::<u8>(), 1..100),
            position in any::<proptest::sample::Index>(),
            bit in 0u8..8,
        ) {
            let mut sealed = encrypt(&key(), 0x1234, &data).unwrap();
            // Every byte after the 2-byte serial is authenticated.
            let index = 2 + position.index(sealed.len() - 2);
            sealed[index] ^= 1 << bit;
            prop_assert_eq!(decrypt(&key(), &sealed).err(), Some(Error::StacieDecrypt));
        }

        #[test]
        fn serial_is_not_authenticated(
            data in proptest::collection::vec(any::<u8>(), 1..50),
            bit in 0u8..16,
        ) {
            let mut sealed = encrypt(&key(), 0, &data).unwrap();
            sealed[usize::from(bit / 8)] ^= 1 << (bit % 8);
            let opened = decrypt(&key(), &sealed).unwrap();
            let flipped = 8 * (1 - u32::from(bit / 8)) + u32::from(bit % 8);
            prop_assert_eq!(opened.serial, 1u16 << flipped);
            prop_assert_eq!(opened.data.as_slice(), data.as_slice());
        }
    }
}
