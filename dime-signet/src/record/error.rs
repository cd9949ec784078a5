//! The error type of the management-record module.

/// Why a management record, a TXT answer, a DX certificate check or a DNSSEC status was
/// refused.
///
/// Parsing fails on the first fault found and leaves nothing behind. Tokenizer faults carry the
/// byte offset of the token in the record text; field faults name the field by its short name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The record text (or, for a record built or parsed, its canonical form) is over the limit.
    #[error("management record is {len} bytes, over the limit of {limit}")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit ([`MAX_RECORD_LEN`](super::MAX_RECORD_LEN)).
        limit: usize,
    },
    /// The record holds more tokens than allowed.
    #[error("management record has more than {limit} tokens")]
    TooManyTokens {
        /// The limit ([`MAX_TOKENS`](super::MAX_TOKENS)).
        limit: usize,
    },
    /// A repeatable field appears more often than allowed.
    #[error("more than {limit} `{field}` values")]
    TooManyValues {
        /// Short name of the field.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A byte outside printable ASCII (0x20 to 0x7e); a tab is one.
    #[error("byte {byte:#04x} at offset {offset} is not printable ASCII")]
    InvalidByte {
        /// Offset of the byte in the record text.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A token with no `=`.
    #[error("token at offset {offset} has no `=`")]
    MissingSplitter {
        /// Offset of the token in the record text.
        offset: usize,
    },
    /// A token with a second `=` (base64 padding never appears in a record).
    #[error("token at offset {offset} has more than one `=`")]
    ExtraSplitter {
        /// Offset of the token in the record text.
        offset: usize,
    },
    /// A field name that is empty, too long, holds a character outside letters, digits, `-`
    /// and `_`, or (for an unknown field built by hand) names a known field.
    #[error("invalid field name {name:?}")]
    InvalidName {
        /// The name as written.
        name: String,
    },
    /// A field value that is empty or holds a character a value cannot hold.
    #[error("invalid value for field {name:?}")]
    InvalidValue {
        /// The field name as written.
        name: String,
    },
    /// A single-valued field (`ver`, `syn`, `exp`, `pol`, `sub`) appears twice.
    #[error("field `{field}` appears more than once")]
    DuplicateField {
        /// Short name of the field.
        field: &'static str,
    },
    /// A number that is not 1 to 9 decimal digits without a leading zero.
    #[error("field `{field}` is not a decimal number")]
    InvalidNumber {
        /// Short name of the field.
        field: &'static str,
    },
    /// A record version other than 1.
    #[error("unsupported management record version {version}")]
    UnsupportedVersion {
        /// The version found.
        version: u32,
    },
    /// The record has no `pok` field.
    #[error("management record has no `pok` field")]
    MissingPok,
    /// A `pok` value that is not exactly 43 characters.
    #[error("`pok` value has {len} characters, expected 43")]
    PokLength {
        /// Its length.
        len: usize,
    },
    /// A `tls` value that is not exactly 86 characters.
    #[error("`tls` value has {len} characters, expected 86")]
    TlsLength {
        /// Its length.
        len: usize,
    },
    /// A `pok` or `tls` value that is not canonical unpadded base64.
    #[error("`{field}` value is not canonical unpadded base64")]
    InvalidBase64 {
        /// Short name of the field.
        field: &'static str,
    },
    /// A `pok` value that decodes to 32 bytes that are not an Ed25519 point.
    #[error("`pok` value is not a valid Ed25519 public key")]
    InvalidPok,
    /// A `pol` value other than `experimental`, `mixed` or `strict`.
    #[error("unknown policy {value:?}")]
    UnknownPolicy {
        /// The value as written.
        value: String,
    },
    /// A `sub` value other than `strict`, `relaxed` or `explicit`.
    #[error("unknown subdomain rule {value:?}")]
    UnknownSubdomain {
        /// The value as written.
        value: String,
    },
    /// An `exp` number of days outside 1 to [`MAX_EXPIRY_DAYS`](super::MAX_EXPIRY_DAYS).
    #[error("expiry of {days} days is outside 1..={max}")]
    ExpiryOutOfRange {
        /// The days given.
        days: u32,
        /// The largest allowed.
        max: u16,
    },
    /// A DNS host name that breaks the rules of [`HostName`](super::HostName).
    #[error("invalid host name {host:?}")]
    InvalidHostName {
        /// The name as written.
        host: String,
    },
    /// A TXT character-string longer than 255 bytes.
    #[error("TXT character-string of {len} bytes, over 255")]
    CharacterStringTooLong {
        /// Its length.
        len: usize,
    },
    /// One TXT RR whose strings add up to more than a DNS RDATA can hold.
    #[error("TXT record of {len} bytes, over {limit}")]
    TxtRecordTooLarge {
        /// Total bytes of its strings.
        len: usize,
        /// The limit ([`MAX_TXT_RR_LEN`](super::MAX_TXT_RR_LEN)).
        limit: usize,
    },
    /// More TXT RRs at `_dx.<domain>` than allowed.
    #[error("{count} TXT records, over the limit of {limit}")]
    TooManyTxtRecords {
        /// RRs given.
        count: usize,
        /// The limit ([`MAX_TXT_RRS`](super::MAX_TXT_RRS)).
        limit: usize,
    },
    /// None of the TXT RRs at `_dx.<domain>` is a DIME record.
    #[error("no DIME management record among {ignored} TXT records")]
    NoDimeRecord {
        /// TXT RRs seen and ignored.
        ignored: usize,
    },
    /// More than one TXT RR at `_dx.<domain>` is a DIME record.
    #[error("{count} DIME management records at one name; exactly one is allowed")]
    MultipleDimeRecords {
        /// DIME records found.
        count: usize,
    },
    /// The record has no `tls` value to check a DX certificate against.
    #[error("management record has no `tls` signature")]
    NoTlsSignatures,
    /// No `tls` value verifies over the certificate with any `pok`.
    #[error("no `tls` signature by a `pok` matches the certificate")]
    TlsCertificateMismatch,
    /// PEM text without a `-----BEGIN CERTIFICATE-----` line.
    #[error("PEM: no BEGIN CERTIFICATE line")]
    PemMissingBegin,
    /// PEM text without the matching `-----END CERTIFICATE-----` line.
    #[error("PEM: no END CERTIFICATE line")]
    PemMissingEnd,
    /// The PEM body is not canonical padded base64.
    #[error("PEM: certificate body is not valid base64")]
    PemBase64,
    /// A certificate (DER) or its PEM text is over the limit.
    #[error("certificate input is {len} bytes, over the limit of {limit}")]
    CertificateTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not one DER SEQUENCE filling the input exactly.
    #[error("certificate is not a single DER SEQUENCE")]
    CertificateNotDer,
    /// The DNSSEC signature over the record failed: always refused.
    #[error("DNSSEC validation of the management record failed (bogus)")]
    DnssecBogus,
    /// The record is not DNSSEC-signed and the policy does not allow that.
    #[error("management record is not DNSSEC-signed and the policy requires DNSSEC")]
    DnssecInsecure,
}
