//! The one error type of `dime-core`.

use crate::header::Magic;

/// Everything that can go wrong while decoding or using the shared DIME building blocks.
///
/// Each variant names one precise cause so that callers (and the peers they answer) can tell
/// malformed bytes from well-formed but unacceptable ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than an object header needs.
    #[error("truncated header: {available} bytes, a header needs {needed}")]
    TruncatedHeader {
        /// Bytes present.
        available: usize,
        /// Bytes a header of this kind needs.
        needed: usize,
    },
    /// The magic number names no DIME object.
    #[error("unknown magic number {0}")]
    UnknownMagic(u16),
    /// The magic number names a DIME object, but not the one expected here.
    #[error("expected {expected}, found {found}")]
    WrongMagic {
        /// The kind the caller asked for.
        expected: Magic,
        /// The kind the bytes declare.
        found: Magic,
    },
    /// The header declares more payload than the input holds.
    #[error("header declares {declared} payload bytes but only {available} follow")]
    LengthMismatch {
        /// Payload length in the header.
        declared: usize,
        /// Bytes present after the header.
        available: usize,
    },
    /// Bytes follow the declared end of the object.
    #[error("{count} trailing bytes after the object")]
    TrailingBytes {
        /// How many bytes follow.
        count: usize,
    },
    /// An object or value is larger than the limit in force.
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was measured.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Field id 0 is never valid.
    #[error("field id 0 at payload offset {offset}")]
    FieldIdZero {
        /// Offset of the id byte in the payload.
        offset: usize,
    },
    /// A field's length prefix or data runs past the end of the payload.
    #[error("field {id} at payload offset {offset} is truncated")]
    TruncatedField {
        /// The field id.
        id: u8,
        /// Offset of the id byte in the payload.
        offset: usize,
    },
    /// An undefined field (251) has an empty name.
    #[error("undefined field at payload offset {offset} has an empty name")]
    EmptyFieldName {
        /// Offset of the id byte in the payload.
        offset: usize,
    },
    /// A field value does not fit the field's length encoding.
    #[error("field {id} cannot hold {len} bytes (its encoding allows {max})")]
    FieldTooLong {
        /// The field id.
        id: u8,
        /// The value's length.
        len: usize,
        /// The most its encoding allows.
        max: usize,
    },
    /// A fixed-size field was given a value of another size.
    #[error("field {id} is fixed at {expected} bytes, got {len}")]
    FixedFieldSize {
        /// The field id.
        id: u8,
        /// Its fixed size.
        expected: usize,
        /// The value's length.
        len: usize,
    },
    /// A signing (Ed25519) public key is neither `0x40 || 32` bytes nor raw 32 bytes.
    #[error("signing key has {len} bytes; expected 32, or 33 starting with 0x40")]
    SigningKeyEncoding {
        /// The encoded length.
        len: usize,
    },
    /// The 32 bytes are not a valid Ed25519 point.
    #[error("signing key is not a valid Ed25519 point")]
    InvalidSigningKey,
    /// An encryption public key is neither X25519 (`0x40 || 32`) nor SEC1-compressed secp256k1.
    #[error(
        "encryption key has {len} bytes starting with {prefix:#04x}; expected 33 bytes starting with 0x40, 0x02 or 0x03"
    )]
    EncryptionKeyEncoding {
        /// The encoded length.
        len: usize,
        /// The first byte (0 when empty).
        prefix: u8,
    },
    /// A compressed secp256k1 key is not a point on the curve.
    #[error("secp256k1 public key is not on the curve")]
    InvalidSecp256k1Point,
    /// A private key field has the wrong size or encoding.
    #[error(
        "private key has {len} bytes; expected 32 (signing seed or secp256k1 scalar) or 33 starting with 0x40 (X25519)"
    )]
    SecretKeyEncoding {
        /// The encoded length.
        len: usize,
    },
    /// A secp256k1 private scalar is zero or not below the group order.
    #[error("secp256k1 private scalar is out of range")]
    InvalidSecp256k1Scalar,
    /// An operation needs an algorithm this crate does not implement for that key.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(&'static str),
    /// An X25519 exchange produced the all-zero secret (a low-order peer key).
    #[error("key agreement produced an all-zero shared secret")]
    WeakSharedSecret,
    /// An ML-KEM-768 encapsulation key is not 1,184 bytes (FIPS 203 §7.2, type check).
    #[error("ML-KEM-768 encapsulation key is {len} bytes, expected 1184")]
    KemKeyLength {
        /// Bytes given.
        len: usize,
    },
    /// An ML-KEM-768 encapsulation key encodes a coefficient of `q` = 3329 or more (FIPS 203 §7.2,
    /// modulus check).
    #[error("ML-KEM-768 encapsulation key has a coefficient of 3329 or more")]
    KemKeyModulus,
    /// An ML-KEM seed is not 64 bytes.
    #[error("ML-KEM seed is {len} bytes, expected 64")]
    KemSeedLength {
        /// Bytes given.
        len: usize,
    },
    /// An expanded ML-KEM-768 decapsulation key (known-answer tests only) is not 2,400 bytes or
    /// fails the FIPS 203 §7.3 hash check: the `H(ek)` it carries is not the hash of its `ek`.
    #[error("ML-KEM-768 decapsulation key fails the FIPS 203 §7.3 check")]
    KemDecapsulationKey,
    /// An ML-KEM-768 ciphertext is not 1,088 bytes.
    #[error("ML-KEM-768 ciphertext is {len} bytes, expected 1088")]
    KemCiphertextLength {
        /// Bytes given.
        len: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Randomness,
    /// A signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A signature has the wrong length.
    #[error("signature has {len} bytes, expected 64")]
    SignatureLength {
        /// The length found.
        len: usize,
    },
    /// Base64 text is not canonical base64 of the expected form.
    #[error("invalid base64 in {what}")]
    Base64 {
        /// What was being decoded.
        what: &'static str,
    },
    /// Hex text is invalid.
    #[error("invalid hex in {what}")]
    Hex {
        /// What was being decoded.
        what: &'static str,
    },
    /// A decoded value has the wrong length.
    #[error("{what} decodes to {len} bytes, expected {expected}")]
    DecodedLength {
        /// What was decoded.
        what: &'static str,
        /// Bytes decoded.
        len: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The armor has no `-----BEGIN <LABEL>-----` line.
    #[error("armor: missing BEGIN line")]
    ArmorMissingBegin,
    /// The armor has no `-----END <LABEL>-----` line.
    #[error("armor: missing END line")]
    ArmorMissingEnd,
    /// The armor names a label DIME does not define.
    #[error("armor: unknown label {0:?}")]
    ArmorUnknownLabel(String),
    /// BEGIN and END labels differ.
    #[error("armor: BEGIN {begin:?} does not match END {end:?}")]
    ArmorLabelMismatch {
        /// Label of the BEGIN line.
        begin: String,
        /// Label of the END line.
        end: String,
    },
    /// A blank line inside the armor (1-based line number).
    #[error("armor: blank line at line {line}")]
    ArmorBlankLine {
        /// The 1-based line number.
        line: usize,
    },
    /// A body line is longer than allowed or has characters outside base64 (1-based line number).
    #[error("armor: malformed body line {line}")]
    ArmorBadLine {
        /// The 1-based line number.
        line: usize,
    },
    /// The `=XXXX` checksum line is missing.
    #[error("armor: missing CRC-24 line")]
    ArmorMissingCrc,
    /// The checksum does not match the data.
    #[error("armor: CRC-24 mismatch (armor says {stated:06x}, data gives {computed:06x})")]
    ArmorBadCrc {
        /// CRC in the armor.
        stated: u32,
        /// CRC of the decoded data.
        computed: u32,
    },
    /// Text follows the END line.
    #[error("armor: text after the END line")]
    ArmorTrailingText,
    /// The armor label does not fit the object's magic number.
    #[error("armor label {label} does not fit a {magic:?} object")]
    ArmorLabelMagic {
        /// The label.
        label: &'static str,
        /// The magic in the data.
        magic: Magic,
    },
    /// A STACIE value (salt, nonce, shard, key or token) has the wrong length.
    #[error("STACIE {what} has {len} bytes, expected {expected}")]
    StacieLength {
        /// Which value.
        what: &'static str,
        /// Bytes given.
        len: usize,
        /// Bytes required.
        expected: usize,
    },
    /// A STACIE password is empty.
    #[error("STACIE password is empty")]
    StacieEmptyPassword,
    /// A STACIE password holds only default-ignorable code points, so it counts as no characters.
    #[error("STACIE password has only default-ignorable code points")]
    StacieIgnorablePassword,
    /// A STACIE password is not valid UTF-8.
    #[error("STACIE password is not valid UTF-8")]
    StaciePasswordNotUtf8,
    /// A STACIE username is empty.
    #[error("STACIE username is empty")]
    StacieEmptyUsername,
    /// New credentials were asked for with a bonus above the limit.
    #[error("STACIE bonus {bonus} is above the limit of {max}")]
    StacieBonusTooLarge {
        /// The bonus given.
        bonus: u32,
        /// The largest bonus accepted.
        max: u32,
    },
    /// A STACIE realm label is empty, too long, or has a byte outside visible ASCII.
    #[error("STACIE realm label must be 1 to 255 visible ASCII characters")]
    StacieRealmLabel,
    /// A realm envelope would hold, or declares, no data.
    #[error("STACIE realm envelope holds no data")]
    StacieEmptyPlaintext,
    /// A realm envelope is shorter than the smallest valid one.
    #[error("STACIE realm envelope has {len} bytes, the minimum is {min}")]
    StacieEnvelopeTruncated {
        /// Bytes present.
        len: usize,
        /// The smallest valid envelope.
        min: usize,
    },
    /// A realm envelope's ciphertext is not a whole number of 16-byte blocks.
    #[error("STACIE realm envelope ciphertext of {len} bytes is not a multiple of 16")]
    StacieEnvelopeBlocks {
        /// Ciphertext bytes after the 34-byte header.
        len: usize,
    },
    /// A realm envelope does not authenticate under this realm key (wrong key or altered bytes).
    #[error("STACIE realm envelope does not authenticate")]
    StacieDecrypt,
    /// A decrypted realm envelope has a padding count outside 1 to 16 or a padding byte that
    /// differs from it.
    #[error("STACIE realm envelope has invalid padding (count {pad})")]
    StacieBadPadding {
        /// The padding count byte.
        pad: u8,
    },
    /// A decrypted realm envelope's declared data and padding lengths do not add up to its size.
    #[error("STACIE realm envelope declares {declared} bytes of data and padding in {actual} bytes")]
    StacieLengthMismatch {
        /// Data length plus padding length plus 4, as declared.
        declared: usize,
        /// Decrypted bytes present.
        actual: usize,
    },
    /// A STACIE token does not match the one expected.
    #[error("STACIE token does not match")]
    StacieTokenMismatch,
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
