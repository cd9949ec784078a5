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
/// Cloning is cheap and shares the database: give each session its own clone instead of an
/// `Arc<Mutex<_>>`. Reads run in parallel on snapshots; writes take turns on redb's one writer.
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

impl Store for RedbStore {
    fn credentials(&mut self, username: &str) -> DmapResult<Option<Credentials>> {
        Ok(ops::credentials(&self.db, username)?)
    }

    fn mailboxes(&mut self, user: &str) -> DmapResult<Vec<Mailbox>> {
        Ok(ops::mailboxes(&self.db, user)?)
    }

    fn mailbox(&mut self, user: &str, mailbox: &Mailbox) -> DmapResult<MailboxView> {
        Ok(ops::mailbox_view(&self.db, user, mailbox)?)
    }

    fn object(&mut self, user: &str, mailbox: &Mailbox, uid: u32) -> DmapResult<Vec<u8>> {
        Ok(ops::object(&self.db, user, mailbox, uid)?)
    }

    fn set_flags(&mut self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> DmapResult<()> {
        Ok(ops::set_flags(&self.db, user, mailbox, uid, flags)?)
    }

    fn expunge(&mut self, user: &str, mailbox: &Mailbox) -> DmapResult<Vec<u32>> {
        Ok(ops::expunge(&self.db, user, mailbox)?)
    }

    fn append(
        &mut self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> DmapResult<u32> {
        Ok(ops::append(&self.db, user, mailbox, flags, date, &object)?)
    }

    fn submit(&mut self, user: &str, object: Vec<u8>) -> DmapResult<String> {
        Ok(ops::submit(&self.db, user, &object)?)
    }

    fn issue_signet(&mut self, user: &str, request: &Signet) -> DmapResult<(String, Signet)> {
        let issuer = self
            .issuer
            .as_ref()
            .ok_or_else(|| dime_dmap::DmapError::StoreRefused("this server issues no signets".into()))?;
        Ok(ops::issue_signet(&self.db, issuer, user, request)?)
    }

    fn signet(&mut self, address: &str) -> DmapResult<SignetAnswer> {
        Ok(ops::signet(&self.db, address)?)
    }

    fn store_keyfile(&mut self, user: &str, record: KeyfileRecord) -> DmapResult<()> {
        Ok(ops::store_keyfile(&self.db, user, &record)?)
    }

    fn keyfile(&mut self, user: &str) -> DmapResult<Option<KeyfileRecord>> {
        Ok(ops::keyfile(&self.db, user)?)
    }

    fn uid_validity(&mut self, user: &str, mailbox: &Mailbox) -> DmapResult<u32> {
        Ok(ops::mailbox_state(&self.db, user, mailbox)?.uid_validity)
    }

    fn create_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> DmapResult<()> {
        Ok(ops::create_new_mailbox(&self.db, user, mailbox)?)
    }

    fn delete_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> DmapResult<()> {
        Ok(ops::delete_mailbox(&self.db, user, mailbox)?)
    }

    fn rename_mailbox(&mut self, user: &str, from: &Mailbox, to: &Mailbox) -> DmapResult<()> {
        Ok(ops::rename_mailbox(&self.db, user, from, to)?)
    }

    fn set_subscribed(&mut self, user: &str, mailbox: &Mailbox, subscribed: bool) -> DmapResult<()> {
        Ok(ops::set_subscribed(&self.db, user, mailbox, subscribed)?)
    }

    fn subscriptions(&mut self, user: &str) -> DmapResult<Vec<Mailbox>> {
        Ok(ops::subscriptions(&self.db, user)?)
    }

    fn copy(&mut self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> DmapResult<Vec<(u32, u32)>> {
        Ok(ops::transfer(&self.db, user, from, uids, to, false)?)
    }

    fn move_messages(&mut self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> DmapResult<Vec<(u32, u32)>> {
        Ok(ops::transfer(&self.db, user, from, uids, to, true)?)
    }

    fn expunge_uids(&mut self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> DmapResult<Vec<u32>> {
        Ok(ops::expunge_uids(&self.db, user, mailbox, uids)?)
    }
}
