//! The one error type of this crate: everything a call can fail with before it becomes a
//! [`DimeStatus`] and the thread's last error message at the boundary.

use dime_message::MessageError;
use dime_signet::{FingerprintKind, KeyOwner, RecordError, SignetError, SignetKind};

use crate::status::{self, DimeStatus};

/// Why a `dime_*` call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    /// A required pointer is NULL (or NULL with a non-zero length).
    #[error("argument `{name}` is NULL")]
    Null {
        /// The argument (or field) name.
        name: &'static str,
    },
    /// A length no object can have.
    #[error("argument `{name}`: length {len} is larger than any object")]
    Length {
        /// The argument name.
        name: &'static str,
        /// The length given.
        len: usize,
    },
    /// Text that must be UTF-8 is not.
    #[error("`{name}` is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The argument (or field) name.
        name: &'static str,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Management record text that is not UTF-8 (so not the printable ASCII a record is).
    #[error("management record text is not UTF-8 (invalid byte at offset {offset})")]
    RecordNotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A value that is none of the constants of its type.
    #[error("unknown {what} {value}")]
    UnknownConstant {
        /// The type (`key owner`, `fingerprint kind`, `part kind`).
        what: &'static str,
        /// The value given.
        value: u32,
    },
    /// A part index past the end of its list.
    #[error("part index {index} is past the last of {count} parts")]
    PartIndex {
        /// The index given.
        index: usize,
        /// How many parts there are.
        count: usize,
    },
    /// Keys of the other owner.
    #[error("{name} must be {} keys", owner_phrase(*.expected))]
    WrongKeys {
        /// The argument name.
        name: &'static str,
        /// Whose keys the call needs.
        expected: KeyOwner,
    },
    /// A fingerprint this kind of signet does not define.
    #[error("{} signets have no {} fingerprint", .kind.name(), .which.name())]
    NoFingerprint {
        /// The signet's kind.
        kind: SignetKind,
        /// The fingerprint asked for.
        which: FingerprintKind,
    },
    /// Message content (headers or a part) the message format cannot carry.
    #[error("{0}")]
    Content(MessageError),
    /// A fault found by `dime-core`.
    #[error(transparent)]
    Core(#[from] dime_core::Error),
    /// A fault found by `dime-signet`.
    #[error(transparent)]
    Signet(#[from] SignetError),
    /// A management record fault.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A fault found by `dime-message`.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// A panic caught at the boundary.
    #[error("internal error (caught panic): {0}")]
    Panic(String),
}

fn owner_phrase(owner: KeyOwner) -> &'static str {
    match owner {
        KeyOwner::Org => "an organization's",
        KeyOwner::User => "a user's",
    }
}

impl Error {
    /// The status a C caller sees for this error.
    pub(crate) fn status(&self) -> DimeStatus {
        match self {
            Error::Null { .. } => DimeStatus::DIME_ERR_NULL,
            Error::Length { .. }
            | Error::NotUtf8 { .. }
            | Error::UnknownConstant { .. }
            | Error::PartIndex { .. }
            | Error::Content(_) => DimeStatus::DIME_ERR_INVALID_ARGUMENT,
            Error::RecordNotUtf8 { .. } => DimeStatus::DIME_ERR_MALFORMED,
            Error::WrongKeys { .. } | Error::NoFingerprint { .. } => DimeStatus::DIME_ERR_WRONG_KIND,
            Error::Core(e) => status::of_core(e),
            Error::Signet(e) => status::of_signet(e),
            Error::Record(e) => status::of_record(e),
            Error::Message(e) => status::of_message(e),
            Error::Panic(_) => DimeStatus::DIME_ERR_PANIC,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_variants_have_their_status_and_text() {
        let cases = [
            (Error::Null { name: "out" }, DimeStatus::DIME_ERR_NULL, "argument `out` is NULL"),
            (
                Error::Length { name: "data", len: usize::MAX },
                DimeStatus::DIME_ERR_INVALID_ARGUMENT,
                "argument `data`: length 18446744073709551615 is larger than any object",
            ),
            (
                Error::NotUtf8 { name: "domain", offset: 3 },
                DimeStatus::DIME_ERR_INVALID_ARGUMENT,
                "`domain` is not UTF-8 (invalid byte at offset 3)",
            ),
            (
                Error::RecordNotUtf8 { offset: 0 },
                DimeStatus::DIME_ERR_MALFORMED,
                "management record text is not UTF-8 (invalid byte at offset 0)",
            ),
            (
                Error::UnknownConstant { what: "key owner", value: 9 },
                DimeStatus::DIME_ERR_INVALID_ARGUMENT,
                "unknown key owner 9",
            ),
            (
                Error::PartIndex { index: 2, count: 1 },
                DimeStatus::DIME_ERR_INVALID_ARGUMENT,
                "part index 2 is past the last of 1 parts",
            ),
            (
                Error::WrongKeys { name: "org_keys", expected: KeyOwner::Org },
                DimeStatus::DIME_ERR_WRONG_KIND,
                "org_keys must be an organization's keys",
            ),
            (
                Error::WrongKeys { name: "user_keys", expected: KeyOwner::User },
                DimeStatus::DIME_ERR_WRONG_KIND,
                "user_keys must be a user's keys",
            ),
            (
                Error::NoFingerprint { kind: SignetKind::Request, which: FingerprintKind::Id },
                DimeStatus::DIME_ERR_WRONG_KIND,
                "ssr signets have no id fingerprint",
            ),
            (Error::Content(MessageError::BadPart("x")), DimeStatus::DIME_ERR_INVALID_ARGUMENT, "part descriptor: x"),
            (Error::Panic("boom".into()), DimeStatus::DIME_ERR_PANIC, "internal error (caught panic): boom"),
        ];
        for (error, status, text) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn wrapped_errors_keep_their_text_and_class() {
        let error = Error::from(MessageError::BadPart("x"));
        assert_eq!((error.status(), error.to_string()), (DimeStatus::DIME_ERR_MALFORMED, "part descriptor: x".into()));
        let error = Error::from(SignetError::KeyNotAuthorized);
        assert_eq!(error.status(), DimeStatus::DIME_ERR_SIGNET_MISMATCH);
        let error = Error::from(RecordError::MissingPok);
        assert_eq!(error.status(), DimeStatus::DIME_ERR_MALFORMED);
        let error = Error::from(dime_core::Error::Randomness);
        assert_eq!(error.status(), DimeStatus::DIME_ERR_RANDOMNESS);
    }
}
