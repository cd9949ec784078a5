//! [`RedbStore`]: the [`Store`] trait on a redb database file.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use dime_core::stacie::Credentials;
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::store::{Issuer, KeyfileRecord, MailboxView, SignetAnswer, Store, Submission};
use dime_signet::Signet;
use redb::Database;

use crate::error::Result;
use crate::ops::{self, Import, Verified};

/// A persistent, crash-safe DMAP store in one redb file. Every write the [`Store`] trait
/// acknowledges has been committed durably (fsync) first; see `docs/dmap.md` §12.
///
/// Cloning is cheap and shares the database: give each session its own clone. Store methods
/// run their transaction on tokio's blocking pool (feature `tokio`), so no async worker waits
/// for the disk. Reads run in parallel on snapshots; writes take turns on redb's one writer per
/// file, so the writes of separate accounts in one file still queue behind each other (see
/// `docs/decisions.md`, "Asynchronous store (issue 12)").
/// The [`Issuer`] (the organisation's signing key) is held in memory only, never written to
/// the file.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    issuer: Option<Arc<Issuer>>,
}

impl core::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedbStore").field("issues_signets", &self.issuer.is_some()).finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Opens the store at `path`, creating the file when it does not exist. After a crash,
    /// redb recovers the last committed state here.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbStore> {
        RedbStore::from_database(Database::create(path)?)
    }

    /// A store on an open database (e.g. one built with custom cache settings).
    pub fn from_database(db: Database) -> Result<RedbStore> {
        ops::init(&db)?;
        Ok(RedbStore { db: Arc::new(db), issuer: None })
    }

    /// The database, for the functions of [`ops`].
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// Adds an account with an empty `INBOX`, or replaces an existing account's credentials
    /// and keeps its mail and key file.
    pub fn add_account(&self, user: &str, credentials: &Credentials) -> Result<()> {
        ops::add_account(&self.db, user, credentials)
    }

    /// Adds an empty mailbox to an account (nothing when it exists).
    pub fn add_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        ops::add_mailbox(&self.db, user, mailbox)
    }

    /// Sets the identity used to issue user signets (kept in memory only).
    pub fn set_issuer(&mut self, issuer: Issuer) {
        self.issuer = Some(Arc::new(issuer));
    }

    /// Publishes a signet under `address` (for `SIGNET` lookups).
    pub fn publish_signet(&self, address: &str, signet: &Signet) -> Result<()> {
        ops::publish_signet(&self.db, address, signet)
    }

    /// Declares `domain` served here (see [`ops::signet`]).
    pub fn serve_domain(&self, domain: &str) -> Result<()> {
        ops::serve_domain(&self.db, domain)
    }

    /// The submissions waiting for relay, oldest first.
    pub fn outbox(&self) -> Result<Vec<Submission>> {
        ops::outbox(&self.db)
    }

    /// Removes a relayed submission; `false` when no submission has this id.
    pub fn remove_submission(&self, id: &str) -> Result<bool> {
        ops::remove_submission(&self.db, id)
    }

    /// Stores many messages in one durable transaction; returns the UIDs they got.
    pub fn import(
        &self,
        user: &str,
        mailbox: &Mailbox,
        messages: impl IntoIterator<Item = Import>,
    ) -> Result<Range<u32>> {
        ops::import(&self.db, user, mailbox, messages)
    }

    /// Checks the store's invariants (see [`ops::verify`]).
    pub fn verify(&self) -> Result<Verified> {
        ops::verify(&self.db)
    }
}

type DmapResult<T> = dime_dmap::Result<T>;

/// Runs one operation of [`ops`] (one transaction, which blocks on disk I/O): on tokio's
/// blocking pool when called inside a tokio runtime (feature `tokio`, on by default), so the
/// async workers never wait for the disk; inline otherwise (e.g. under
/// [`block_on`](dime_dmap::store::block_on)).
async fn blocking<T: Send + 'static>(op: impl FnOnce() -> Result<T> + Send + 'static) -> DmapResult<T> {
    #[cfg(feature = "tokio")]
    if tokio::runtime::Handle::try_current().is_ok() {
        return match tokio::task::spawn_blocking(op).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(dime_dmap::DmapError::StoreUnavailable("the store's blocking task failed".into())),
        };
    }
    Ok(op()?)
}

impl Store for RedbStore {
    async fn credentials(&self, username: &str) -> DmapResult<Option<Credentials>> {
        let (db, user) = (self.db.clone(), username.to_owned());
        blocking(move || ops::credentials(&db, &user)).await
    }

    async fn mailboxes(&self, user: &str) -> DmapResult<Vec<Mailbox>> {
        let (db, user) = (self.db.clone(), user.to_owned());
        blocking(move || ops::mailboxes(&db, &user)).await
    }

    async fn mailbox(&self, user: &str, mailbox: &Mailbox) -> DmapResult<MailboxView> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || ops::mailbox_view(&db, &user, &mailbox)).await
    }

    async fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> DmapResult<Vec<u8>> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || ops::object(&db, &user, &mailbox, uid)).await
    }

    async fn set_flags(&self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> DmapResult<()> {
        let (db, user, mailbox, flags) = (self.db.clone(), user.to_owned(), mailbox.clone(), flags.to_vec());
        blocking(move || ops::set_flags(&db, &user, &mailbox, uid, &flags)).await
    }

    async fn expunge(&self, user: &str, mailbox: &Mailbox) -> DmapResult<Vec<u32>> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || ops::expunge(&db, &user, &mailbox)).await
    }

    async fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> DmapResult<u32> {
        let (db, user, mailbox, flags) = (self.db.clone(), user.to_owned(), mailbox.clone(), flags.to_vec());
        blocking(move || ops::append(&db, &user, &mailbox, &flags, date, &object)).await
    }

    async fn submit(&self, user: &str, object: Vec<u8>) -> DmapResult<String> {
        let (db, user) = (self.db.clone(), user.to_owned());
        blocking(move || ops::submit(&db, &user, &object)).await
    }

    async fn issue_signet(&self, user: &str, request: &Signet) -> DmapResult<(String, Signet)> {
        let issuer = self
            .issuer
            .clone()
            .ok_or_else(|| dime_dmap::DmapError::StoreRefused("this server issues no signets".into()))?;
        let (db, user, request) = (self.db.clone(), user.to_owned(), request.clone());
        blocking(move || ops::issue_signet(&db, &issuer, &user, &request)).await
    }

    async fn signet(&self, address: &str) -> DmapResult<SignetAnswer> {
        let (db, address) = (self.db.clone(), address.to_owned());
        blocking(move || ops::signet(&db, &address)).await
    }

    async fn store_keyfile(&self, user: &str, record: KeyfileRecord) -> DmapResult<()> {
        let (db, user) = (self.db.clone(), user.to_owned());
        blocking(move || ops::store_keyfile(&db, &user, &record)).await
    }

    async fn keyfile(&self, user: &str) -> DmapResult<Option<KeyfileRecord>> {
        let (db, user) = (self.db.clone(), user.to_owned());
        blocking(move || ops::keyfile(&db, &user)).await
    }

    async fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> DmapResult<u32> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || Ok(ops::mailbox_state(&db, &user, &mailbox)?.uid_validity)).await
    }

    async fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> DmapResult<()> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || ops::create_new_mailbox(&db, &user, &mailbox)).await
    }

    async fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> DmapResult<()> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || ops::delete_mailbox(&db, &user, &mailbox)).await
    }

    async fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> DmapResult<()> {
        let (db, user, from, to) = (self.db.clone(), user.to_owned(), from.clone(), to.clone());
        blocking(move || ops::rename_mailbox(&db, &user, &from, &to)).await
    }

    async fn set_subscribed(&self, user: &str, mailbox: &Mailbox, subscribed: bool) -> DmapResult<()> {
        let (db, user, mailbox) = (self.db.clone(), user.to_owned(), mailbox.clone());
        blocking(move || ops::set_subscribed(&db, &user, &mailbox, subscribed)).await
    }

    async fn subscriptions(&self, user: &str) -> DmapResult<Vec<Mailbox>> {
        let (db, user) = (self.db.clone(), user.to_owned());
        blocking(move || ops::subscriptions(&db, &user)).await
    }

    async fn copy(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> DmapResult<Vec<(u32, u32)>> {
        let (db, user, from, uids, to) = (self.db.clone(), user.to_owned(), from.clone(), uids.to_vec(), to.clone());
        blocking(move || ops::transfer(&db, &user, &from, &uids, &to, false)).await
    }

    async fn move_messages(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> DmapResult<Vec<(u32, u32)>> {
        let (db, user, from, uids, to) = (self.db.clone(), user.to_owned(), from.clone(), uids.to_vec(), to.clone());
        blocking(move || ops::transfer(&db, &user, &from, &uids, &to, true)).await
    }

    async fn expunge_uids(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> DmapResult<Vec<u32>> {
        let (db, user, mailbox, uids) = (self.db.clone(), user.to_owned(), mailbox.clone(), uids.to_vec());
        blocking(move || ops::expunge_uids(&db, &user, &mailbox, &uids)).await
    }
}
