//! The one error type of `dime-store`, and how it is answered over DMAP.

use dime_dmap::DmapError;

/// Everything a persistent store can refuse or fail at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No account has this user name.
    #[error("no such account")]
    NoSuchAccount,
    /// The account has no mailbox of this name.
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// A mailbox of this name exists.
    #[error("mailbox already exists")]
    MailboxExists,
    /// The mailbox has no message with this UID.
    #[error("no such message")]
    NoSuchMessage,
    /// A policy refusal the user sees (`NO [CANNOT] text`).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// Signet issuance refused the request.
    #[error(transparent)]
    Signet(#[from] dime_signet::SignetError),
    /// A stored record does not decode: the file was changed behind the store's back.
    #[error("corrupt {table} record: {what}")]
    Corrupt {
        /// The table it was read from.
        table: &'static str,
        /// What did not fit.
        what: &'static str,
    },
    /// The database failed (I/O, a full disk, a lock held by another process). Boxed: redb's
    /// error is large and every call returns this type.
    #[error("database: {0}")]
    Database(#[source] Box<redb::Error>),
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> StoreError {
                StoreError::Database(Box::new(error.into()))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The answers `docs/dmap.md` §9 gives: a missing account reads as the refusal the in-memory
/// store gives, database failures as `NO [UNAVAILABLE]` with the cause's text.
impl From<StoreError> for DmapError {
    fn from(error: StoreError) -> DmapError {
        match error {
            StoreError::NoSuchAccount => DmapError::StoreRefused("no such account".into()),
            StoreError::NoSuchMailbox => DmapError::NoSuchMailbox,
            StoreError::NoSuchMessage => DmapError::NoSuchMessage,
            StoreError::MailboxExists => DmapError::MailboxExists,
            StoreError::Refused(text) => DmapError::StoreRefused(text.into()),
            StoreError::Signet(error) => DmapError::Signet(error),
            error @ (StoreError::Corrupt { .. } | StoreError::Database(_)) => {
                DmapError::StoreUnavailable(error.to_string())
            }
        }
    }
}

/// Result with this crate's [`StoreError`].
pub type Result<T, E = StoreError> = core::result::Result<T, E>;
