//! Status codes, and how every Rust error of the other crates maps onto them.
//!
//! A status names the class of a failure, so a C caller can branch on it; the precise cause is
//! the thread's last error message (the text of [`crate::error::Error`]).

use dime_core::Error as CoreError;
use dime_message::MessageError;
use dime_signet::{RecordError, SignetError};

/// The result of every fallible `dime_*` function.
///
/// `DIME_OK` is zero; every other value is a failure, and `dime_last_error_message()` then
/// says precisely what went wrong.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DimeStatus {
    /// Success.
    DIME_OK = 0,
    /// A required pointer argument is NULL (or a length is non-zero with a NULL pointer).
    DIME_ERR_NULL = 1,
    /// An argument is out of range: an unknown constant, text that is not UTF-8, an index past
    /// the end, or a value the operation cannot take.
    DIME_ERR_INVALID_ARGUMENT = 2,
    /// An object of the wrong kind: an org signet where a user signet is needed, user keys
    /// where org keys are needed, a fingerprint kind the signet does not define.
    DIME_ERR_WRONG_KIND = 3,
    /// Bytes or text that do not parse: framing, fields, armor, base64, key encodings, record
    /// grammar, message grammar, decrypted plaintext.
    DIME_ERR_MALFORMED = 4,
    /// An input or a field is over a size limit.
    DIME_ERR_TOO_LARGE = 5,
    /// A signature does not verify, or an object does not match its signed digest list.
    DIME_ERR_BAD_SIGNATURE = 6,
    /// A keyslot or chunk does not open with the key given (wrong key, wrong actor, tampering).
    DIME_ERR_DECRYPT = 7,
    /// A signet or key given does not fit: fingerprint or key mismatch, incomplete signet,
    /// signer not authorized, POK not in the management record, missing previous signet.
    DIME_ERR_SIGNET_MISMATCH = 8,
    /// The object is in the wrong state for the operation (already countersigned, not yet
    /// countersigned).
    DIME_ERR_STATE = 9,
    /// An algorithm or feature this library does not implement (secp256k1 encryption keys,
    /// compressed or alternately encrypted chunks).
    DIME_ERR_UNSUPPORTED = 10,
    /// The operating system's random number generator failed.
    DIME_ERR_RANDOMNESS = 11,
    /// A bug: the library panicked. The panic was caught at the boundary; the handles given to
    /// the failing call should not be used again.
    DIME_ERR_PANIC = 12,
    /// Post-quantum downgrade: the message names the reader's hybrid signet and the author's
    /// signet is hybrid, yet the reader's keyslot is classical (decision D8).
    DIME_ERR_DOWNGRADE = 13,
}

impl DimeStatus {
    /// Every status, in code order.
    pub(crate) const ALL: [DimeStatus; 14] = [
        DimeStatus::DIME_OK,
        DimeStatus::DIME_ERR_NULL,
        DimeStatus::DIME_ERR_INVALID_ARGUMENT,
        DimeStatus::DIME_ERR_WRONG_KIND,
        DimeStatus::DIME_ERR_MALFORMED,
        DimeStatus::DIME_ERR_TOO_LARGE,
        DimeStatus::DIME_ERR_BAD_SIGNATURE,
        DimeStatus::DIME_ERR_DECRYPT,
        DimeStatus::DIME_ERR_SIGNET_MISMATCH,
        DimeStatus::DIME_ERR_STATE,
        DimeStatus::DIME_ERR_UNSUPPORTED,
        DimeStatus::DIME_ERR_RANDOMNESS,
        DimeStatus::DIME_ERR_PANIC,
        DimeStatus::DIME_ERR_DOWNGRADE,
    ];

    /// The constant's name, NUL-terminated.
    pub(crate) const fn name_nul(self) -> &'static str {
        match self {
            DimeStatus::DIME_OK => "DIME_OK\0",
            DimeStatus::DIME_ERR_NULL => "DIME_ERR_NULL\0",
            DimeStatus::DIME_ERR_INVALID_ARGUMENT => "DIME_ERR_INVALID_ARGUMENT\0",
            DimeStatus::DIME_ERR_WRONG_KIND => "DIME_ERR_WRONG_KIND\0",
            DimeStatus::DIME_ERR_MALFORMED => "DIME_ERR_MALFORMED\0",
            DimeStatus::DIME_ERR_TOO_LARGE => "DIME_ERR_TOO_LARGE\0",
            DimeStatus::DIME_ERR_BAD_SIGNATURE => "DIME_ERR_BAD_SIGNATURE\0",
            DimeStatus::DIME_ERR_DECRYPT => "DIME_ERR_DECRYPT\0",
            DimeStatus::DIME_ERR_SIGNET_MISMATCH => "DIME_ERR_SIGNET_MISMATCH\0",
            DimeStatus::DIME_ERR_STATE => "DIME_ERR_STATE\0",
            DimeStatus::DIME_ERR_UNSUPPORTED => "DIME_ERR_UNSUPPORTED\0",
            DimeStatus::DIME_ERR_RANDOMNESS => "DIME_ERR_RANDOMNESS\0",
            DimeStatus::DIME_ERR_PANIC => "DIME_ERR_PANIC\0",
            DimeStatus::DIME_ERR_DOWNGRADE => "DIME_ERR_DOWNGRADE\0",
        }
    }
}

/// The status class of a `dime-core` error.
pub(crate) fn of_core(error: &CoreError) -> DimeStatus {
    use DimeStatus::*;
    match error {
        CoreError::WrongMagic { .. } => DIME_ERR_WRONG_KIND,
        CoreError::TooLarge { .. } | CoreError::FieldTooLong { .. } => DIME_ERR_TOO_LARGE,
        CoreError::UnsupportedAlgorithm(_) => DIME_ERR_UNSUPPORTED,
        CoreError::Randomness => DIME_ERR_RANDOMNESS,
        CoreError::BadSignature => DIME_ERR_BAD_SIGNATURE,
        CoreError::StacieLength { .. }
        | CoreError::StacieEmptyPassword
        | CoreError::StacieIgnorablePassword
        | CoreError::StaciePasswordNotUtf8
        | CoreError::StacieEmptyUsername
        | CoreError::StacieBonusTooLarge { .. }
        | CoreError::StacieRealmLabel => DIME_ERR_INVALID_ARGUMENT,
        CoreError::StacieDecrypt | CoreError::StacieTokenMismatch => DIME_ERR_DECRYPT,
        // Framing, field, key-encoding, base64, hex and armor faults, and every variant added
        // later: the input does not parse.
        _ => DIME_ERR_MALFORMED,
    }
}

/// The status class of a management-record error.
pub(crate) fn of_record(error: &RecordError) -> DimeStatus {
    use DimeStatus::*;
    match error {
        RecordError::TooLarge { .. }
        | RecordError::TooManyTokens { .. }
        | RecordError::TooManyValues { .. }
        | RecordError::CharacterStringTooLong { .. }
        | RecordError::TxtRecordTooLarge { .. }
        | RecordError::TooManyTxtRecords { .. }
        | RecordError::CertificateTooLarge { .. } => DIME_ERR_TOO_LARGE,
        RecordError::UnsupportedVersion { .. } => DIME_ERR_UNSUPPORTED,
        RecordError::TlsCertificateMismatch | RecordError::DnssecBogus => DIME_ERR_BAD_SIGNATURE,
        RecordError::NoTlsSignatures | RecordError::DnssecInsecure => DIME_ERR_SIGNET_MISMATCH,
        // Grammar and value faults, and every variant added later.
        _ => DIME_ERR_MALFORMED,
    }
}

/// The status class of a signet error.
pub(crate) fn of_signet(error: &SignetError) -> DimeStatus {
    use DimeStatus::*;
    match error {
        SignetError::Core(e) => of_core(e),
        SignetError::Record(e) => of_record(e),
        SignetError::TooManyFields { .. } => DIME_ERR_TOO_LARGE,
        SignetError::WrongKind { .. } => DIME_ERR_WRONG_KIND,
        SignetError::NotASignature { .. } => DIME_ERR_INVALID_ARGUMENT,
        SignetError::BadSignature { .. } | SignetError::CustodyBroken => DIME_ERR_BAD_SIGNATURE,
        // Below `id` for a reason: that reason's class; for want of a stage: a mismatch.
        SignetError::NotBound { cause: Some(cause), .. } => of_signet(cause),
        SignetError::NotBound { cause: None, .. }
        | SignetError::IdentifierNotText
        | SignetError::OutsideAnchor { .. } => DIME_ERR_SIGNET_MISMATCH,
        SignetError::PokNotInRecord
        | SignetError::OrgSignetRequired
        | SignetError::OrgSignetInvalid(_)
        | SignetError::CustodyWithoutPrevious
        | SignetError::CustodyMissing
        | SignetError::KeyNotAuthorized => DIME_ERR_SIGNET_MISMATCH,
        // Unknown, misordered, duplicated or missing fields, key-file layout, and every
        // variant added later.
        _ => DIME_ERR_MALFORMED,
    }
}

/// The status class of a message error.
pub(crate) fn of_message(error: &MessageError) -> DimeStatus {
    use DimeStatus::*;
    match error {
        MessageError::Core(e) => of_core(e),
        MessageError::Truncated { .. }
        | MessageError::NotAMessage { .. }
        | MessageError::DoubleTracing
        | MessageError::LengthMismatch { .. }
        | MessageError::UnknownChunkType { .. }
        | MessageError::UnexpectedChunk { .. }
        | MessageError::MissingChunk { .. }
        | MessageError::BadFlags { .. }
        | MessageError::UnterminatedSpan { .. }
        | MessageError::BadBodyLength { .. }
        | MessageError::MixedCountersignature
        | MessageError::BadEphemeral
        | MessageError::BadPlaintext { .. }
        | MessageError::BadPadding { .. }
        | MessageError::BadText { .. }
        | MessageError::BadPart(_)
        | MessageError::HybridKinds { .. }
        | MessageError::HybridLength { .. } => DIME_ERR_MALFORMED,
        MessageError::TooLarge { .. } => DIME_ERR_TOO_LARGE,
        MessageError::CompressionUnsupported { .. }
        | MessageError::AlternateEncryptionUnsupported { .. }
        | MessageError::UnsupportedAlgorithm(_)
        | MessageError::UnsupportedFormat(_) => DIME_ERR_UNSUPPORTED,
        MessageError::EnvelopeMismatch { .. } => DIME_ERR_BAD_SIGNATURE,
        MessageError::SignetIncomplete { .. }
        | MessageError::AuthorKeyMismatch
        | MessageError::SignetMismatch { .. }
        | MessageError::HybridKeyRequired { .. }
        | MessageError::HybridKeyMismatch
        | MessageError::RecipientMismatch { .. }
        | MessageError::PostQuantumUnavailable { .. } => DIME_ERR_SIGNET_MISMATCH,
        MessageError::Downgrade { .. } => DIME_ERR_DOWNGRADE,
        MessageError::NotVisible { .. }
        | MessageError::KeyslotRejected { .. }
        | MessageError::CommitmentMismatch { .. }
        | MessageError::Decrypt { .. } => DIME_ERR_DECRYPT,
        MessageError::DigestMismatch { .. } | MessageError::TreeCount { .. } | MessageError::BadSignature(_) => {
            DIME_ERR_BAD_SIGNATURE
        }
        MessageError::AlreadyCountersigned | MessageError::NotCountersigned => DIME_ERR_STATE,
        MessageError::Input(_) | MessageError::Stream(_) => DIME_ERR_INVALID_ARGUMENT,
        MessageError::Randomness => DIME_ERR_RANDOMNESS,
        // `MessageError` is non-exhaustive: a variant added later is malformed input until it
        // is given its own class here.
        _ => DIME_ERR_MALFORMED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dime_core::header::Magic;
    use dime_message::Actor;
    use dime_signet::SignetKind;

    #[test]
    fn codes_are_dense_and_names_match() {
        for (code, status) in DimeStatus::ALL.iter().enumerate() {
            assert_eq!(*status as usize, code);
            let name = status.name_nul();
            assert!(name.ends_with('\0') && name.starts_with("DIME_"));
            assert_eq!(format!("{status:?}\0"), name);
        }
    }

    #[test]
    fn core_errors_map_to_their_class() {
        let cases = [
            (
                CoreError::WrongMagic { expected: Magic::OrgSignet, found: Magic::UserKey },
                DimeStatus::DIME_ERR_WRONG_KIND,
            ),
            (CoreError::TooLarge { what: "x", size: 2, limit: 1 }, DimeStatus::DIME_ERR_TOO_LARGE),
            (CoreError::UnsupportedAlgorithm("secp256k1"), DimeStatus::DIME_ERR_UNSUPPORTED),
            (CoreError::Randomness, DimeStatus::DIME_ERR_RANDOMNESS),
            (CoreError::BadSignature, DimeStatus::DIME_ERR_BAD_SIGNATURE),
            (CoreError::ArmorMissingBegin, DimeStatus::DIME_ERR_MALFORMED),
            (CoreError::TrailingBytes { count: 1 }, DimeStatus::DIME_ERR_MALFORMED),
            (CoreError::StacieEmptyPassword, DimeStatus::DIME_ERR_INVALID_ARGUMENT),
            (CoreError::StacieDecrypt, DimeStatus::DIME_ERR_DECRYPT),
        ];
        for (error, status) in cases {
            assert_eq!(of_core(&error), status, "{error:?}");
        }
    }

    #[test]
    fn signet_and_record_errors_map_to_their_class() {
        let cases = [
            (
                SignetError::WrongKind { expected: SignetKind::User, found: SignetKind::Org },
                DimeStatus::DIME_ERR_WRONG_KIND,
            ),
            (SignetError::BadSignature { id: 5 }, DimeStatus::DIME_ERR_BAD_SIGNATURE),
            (SignetError::CustodyBroken, DimeStatus::DIME_ERR_BAD_SIGNATURE),
            (SignetError::KeyNotAuthorized, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (SignetError::PokNotInRecord, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (SignetError::TooManyFields { limit: 1 }, DimeStatus::DIME_ERR_TOO_LARGE),
            (SignetError::MissingField { id: 1 }, DimeStatus::DIME_ERR_MALFORMED),
            (SignetError::FieldValue { id: 1, error: CoreError::InvalidSigningKey }, DimeStatus::DIME_ERR_MALFORMED),
            (SignetError::Core(CoreError::Randomness), DimeStatus::DIME_ERR_RANDOMNESS),
            (SignetError::Record(RecordError::MissingPok), DimeStatus::DIME_ERR_MALFORMED),
            (SignetError::Record(RecordError::TooManyTokens { limit: 64 }), DimeStatus::DIME_ERR_TOO_LARGE),
            (SignetError::Record(RecordError::UnsupportedVersion { version: 2 }), DimeStatus::DIME_ERR_UNSUPPORTED),
            (SignetError::Record(RecordError::DnssecBogus), DimeStatus::DIME_ERR_BAD_SIGNATURE),
        ];
        for (error, status) in cases {
            assert_eq!(of_signet(&error), status, "{error:?}");
        }
    }

    #[test]
    fn message_errors_map_to_their_class() {
        let cases = [
            (MessageError::NotAMessage { found: 1 }, DimeStatus::DIME_ERR_MALFORMED),
            (MessageError::TooLarge { what: "x", size: 2, limit: 1 }, DimeStatus::DIME_ERR_TOO_LARGE),
            (MessageError::CompressionUnsupported { index: 0 }, DimeStatus::DIME_ERR_UNSUPPORTED),
            (MessageError::SignetMismatch { role: Actor::Author }, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (MessageError::AuthorKeyMismatch, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (MessageError::KeyslotRejected { index: 0, actor: Actor::Origin }, DimeStatus::DIME_ERR_DECRYPT),
            (MessageError::DigestMismatch { index: 0 }, DimeStatus::DIME_ERR_BAD_SIGNATURE),
            (MessageError::AlreadyCountersigned, DimeStatus::DIME_ERR_STATE),
            (MessageError::NotCountersigned, DimeStatus::DIME_ERR_STATE),
            (MessageError::Downgrade { actor: Actor::Recipient }, DimeStatus::DIME_ERR_DOWNGRADE),
            (MessageError::HybridKinds { kinds: 0 }, DimeStatus::DIME_ERR_MALFORMED),
            (MessageError::HybridKeyRequired { actor: Actor::Recipient }, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (MessageError::Input("x"), DimeStatus::DIME_ERR_INVALID_ARGUMENT),
            (MessageError::Randomness, DimeStatus::DIME_ERR_RANDOMNESS),
            (MessageError::Core(CoreError::WeakSharedSecret), DimeStatus::DIME_ERR_MALFORMED),
        ];
        for (error, status) in cases {
            assert_eq!(of_message(&error), status, "{error:?}");
        }
    }
}
