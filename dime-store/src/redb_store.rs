//! [`RedbStore`]: the [`Store`] trait on a redb database file.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dime_core::stacie::Credentials;
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::store::{Issuer, KeyfileRecord, MailboxView, MessageInfo, MessagePage, SignetAnswer, Store, Submission};
use dime_signet::Signet;
use redb::Database;

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::ops::{self, Import, Verified};

/// A persistent, crash-safe DMAP store: one redb file shared by all accounts (credentials,
/// the relay outbox, published signets, served domains) and one redb file per account (its
/// mailboxes, messages, subscriptions and key file) in the directory `<file>.accounts/`.
/// Every write the [`Store`] trait acknowledges has been committed durably (fsync) first; see
/// `docs/dmap.md` §12.
///
/// Cloning is cheap and shares the databases: give each session its own clone. Store methods
/// run their transaction on tokio's blocking pool (feature `tokio`), so no async worker waits
/// for the disk. redb has one writer per file, so the writes of separate accounts never queue
/// behind each other; reads run in parallel on snapshots. The [`Issuer`] (the organisation's
/// signing key) is held in memory only, never written to a file. At most
/// [`RedbOptions::max_open_accounts`] account files are open at once (least recently used idle
/// ones close and reopen on demand).
#[derive(Clone)]
pub struct RedbStore {
    shared: Arc<Database>,
    accounts: Arc<Accounts>,
    issuer: Option<Arc<Issuer>>,
}

/// How a [`RedbStore`] is set up: start from [`RedbOptions::default`] and set the fields to
/// change (the struct is `#[non_exhaustive]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedbOptions {
    /// redb's page cache of each file, in bytes; `None` (the default) leaves redb's own.
    pub cache: Option<usize>,
    /// Most account files open at once (256 by default). Opening one more closes the least
    /// recently used file that no store call is using; when every open file is in use, the
    /// new one opens anyway and the count comes back down on later opens. A closed file is
    /// opened again when its account is next used.
    pub max_open_accounts: usize,
}

impl Default for RedbOptions {
    fn default() -> Self {
        RedbOptions { cache: None, max_open_accounts: 256 }
    }
}

/// The account files: where they live and those open now.
struct Accounts {
    dir: PathBuf,
    options: RedbOptions,
    open: Mutex<OpenFiles>,
}

/// The open account files, each with when it was last handed out.
#[derive(Default)]
struct OpenFiles {
    files: HashMap<String, OpenFile>,
    /// Counts hand-outs: the use stamp of the next one.
    clock: u64,
}

struct OpenFile {
    db: Arc<Database>,
    used: u64,
}

impl OpenFiles {
    /// `user`'s open file, stamped as used now.
    fn get(&mut self, user: &str) -> Option<Arc<Database>> {
        self.clock += 1;
        let file = self.files.get_mut(user)?;
        file.used = self.clock;
        Some(file.db.clone())
    }

    /// Closes least recently used files that nothing else holds (no store call is using them)
    /// until fewer than `max` are open, or none is left to close.
    fn make_room(&mut self, max: usize) {
        while self.files.len() >= max {
            let idle = self.files.iter().filter(|(_, f)| Arc::strong_count(&f.db) == 1).min_by_key(|(_, f)| f.used);
            let Some(user) = idle.map(|(user, _)| user.clone()) else { return };
            // Dropped here, under the lock, so the file is closed before anyone can open it
            // again (redb refuses a second open of a file that is open).
            self.files.remove(&user);
        }
    }

    fn insert(&mut self, user: &str, db: Arc<Database>) {
        self.clock += 1;
        self.files.insert(user.to_owned(), OpenFile { db, used: self.clock });
    }
}

impl core::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedbStore")
            .field("accounts", &self.accounts.dir)
            .field("issues_signets", &self.issuer.is_some())
            .finish_non_exhaustive()
    }
}

/// The file name of `user`'s account file: the SHA-256 of the name in hex (any user name, one
/// fixed-length name, nothing to escape).
fn account_file(user: &str) -> String {
    let digest = Sha256::digest(user.as_bytes());
    let mut name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    name.push_str(".redb");
    name
}

/// Opens or creates one file.
fn create(path: &Path, cache: Option<usize>) -> Result<Database> {
    let mut builder = Database::builder();
    if let Some(bytes) = cache {
        builder.set_cache_size(bytes);
    }
    Ok(builder.create(path)?)
}

impl RedbStore {
    /// Opens the store whose shared file is `path` (account files in `<path>.accounts/`),
    /// creating what does not exist. After a crash, redb recovers each file's last committed
    /// state.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbStore> {
        RedbStore::open_with(path, RedbOptions::default())
    }

    /// As [`RedbStore::open`], with redb's page cache of each file limited to `bytes`.
    pub fn open_with_cache(path: impl AsRef<Path>, bytes: usize) -> Result<RedbStore> {
        RedbStore::open_with(path, RedbOptions { cache: Some(bytes), ..RedbOptions::default() })
    }

    /// As [`RedbStore::open`], set up with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: RedbOptions) -> Result<RedbStore> {
        let path = path.as_ref();
        let mut dir = path.as_os_str().to_owned();
        dir.push(".accounts");
        let dir = PathBuf::from(dir);
        let shared = create(path, options.cache)?;
        ops::init(&shared)?;
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Database(Box::new(redb::Error::Io(e))))?;
        let accounts = Accounts { dir, options, open: Mutex::new(OpenFiles::default()) };
        Ok(RedbStore { shared: Arc::new(shared), accounts: Arc::new(accounts), issuer: None })
    }

    /// How many account files are open now (at most [`RedbOptions::max_open_accounts`] unless
    /// more than that many accounts have store calls running at once).
    pub fn open_accounts(&self) -> usize {
        self.accounts.open.lock().map_or(0, |open| open.files.len())
    }

    /// The shared database, for the functions of [`ops`] that are not an account's
    /// (credentials, outbox, signets, domains).
    pub fn database(&self) -> &Arc<Database> {
        &self.shared
    }

    /// The database of `user`'s account, for the functions of [`ops`] on its mail. Opens (and
    /// on first use creates, with an empty `INBOX`) the account's file, closing the least
    /// recently used one no call holds when [`RedbOptions::max_open_accounts`] are open. Holding
    /// the returned database keeps its file open. A user the shared file does not know never
    /// opens or creates a file.
    ///
    /// Errors: [`StoreError::NoSuchAccount`] when the shared file has no such account.
    pub fn account_database(&self, user: &str) -> Result<Arc<Database>> {
        let poisoned = || StoreError::Refused("account table lock poisoned");
        if let Some(db) = self.accounts.open.lock().map_err(|_| poisoned())?.get(user) {
            return Ok(db);
        }
        let credentials = ops::credentials(&self.shared, user)?.ok_or(StoreError::NoSuchAccount)?;
        let mut open = self.accounts.open.lock().map_err(|_| poisoned())?;
        if let Some(db) = open.get(user) {
            return Ok(db);
        }
        open.make_room(self.accounts.options.max_open_accounts);
        let db = create(&self.accounts.dir.join(account_file(user)), self.accounts.options.cache)?;
        ops::init(&db)?;
        // An account added to the shared file whose own file a crash kept from being written.
        if ops::credentials(&db, user)?.is_none() {
            ops::add_account(&db, user, &credentials)?;
        }
        let db = Arc::new(db);
        open.insert(user, db.clone());
        Ok(db)
    }

    /// Adds an account with an empty `INBOX`, or replaces an existing account's credentials
    /// and keeps its mail and key file.
    pub fn add_account(&self, user: &str, credentials: &Credentials) -> Result<()> {
        ops::add_account(&self.shared, user, credentials)?;
        ops::add_account(&*self.account_database(user)?, user, credentials)
    }

    /// Adds an empty mailbox to an account (nothing when it exists).
    pub fn add_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        ops::add_mailbox(&*self.account_database(user)?, user, mailbox)
    }

    /// Sets the identity used to issue user signets (kept in memory only).
    pub fn set_issuer(&mut self, issuer: Issuer) {
        self.issuer = Some(Arc::new(issuer));
    }

    /// Publishes a signet under `address` (for `SIGNET` lookups).
    pub fn publish_signet(&self, address: &str, signet: &Signet) -> Result<()> {
        ops::publish_signet(&self.shared, address, signet)
    }

    /// Declares `domain` served here (see [`ops::signet`]).
    pub fn serve_domain(&self, domain: &str) -> Result<()> {
        ops::serve_domain(&self.shared, domain)
    }

    /// The submissions waiting for relay, oldest first.
    pub fn outbox(&self) -> Result<Vec<Submission>> {
        ops::outbox(&self.shared)
    }

    /// Removes a relayed submission; `false` when no submission has this id.
    pub fn remove_submission(&self, id: &str) -> Result<bool> {
        ops::remove_submission(&self.shared, id)
    }

    /// Stores many messages in one durable transaction; returns the UIDs they got.
    pub fn import(
        &self,
        user: &str,
        mailbox: &Mailbox,
        messages: impl IntoIterator<Item = Import>,
    ) -> Result<Range<u32>> {
        ops::import(&*self.account_database(user)?, user, mailbox, messages)
    }

    /// Checks the store's invariants (see [`ops::verify`]) in the shared file and in every
    /// account's; the counts are summed.
    pub fn verify(&self) -> Result<Verified> {
        let mut total = ops::verify(&self.shared)?;
        let names = ops::account_names(&self.shared)?;
        for user in names {
            let found = ops::verify(&*self.account_database(&user)?)?;
            total.mailboxes += found.mailboxes;
            total.messages += found.messages;
        }
        Ok(total)
    }

    /// Runs `op` on `user`'s account database, on the blocking pool (see [`blocking`]).
    async fn on_account<T: Send + 'static>(
        &self,
        user: &str,
        op: impl FnOnce(&Database, &str) -> Result<T> + Send + 'static,
    ) -> DmapResult<T> {
        let (store, user) = (self.clone(), user.to_owned());
        blocking(move || op(&*store.account_database(&user)?, &user)).await
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
        let (db, user) = (self.shared.clone(), username.to_owned());
        blocking(move || ops::credentials(&db, &user)).await
    }

    async fn mailboxes(&self, user: &str) -> DmapResult<Vec<Mailbox>> {
        self.on_account(user, ops::mailboxes).await
    }

    async fn mailbox(&self, user: &str, mailbox: &Mailbox) -> DmapResult<MailboxView> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::mailbox_view(db, user, &mailbox)).await
    }

    async fn page(&self, user: &str, mailbox: &Mailbox, after: u32, limit: usize) -> DmapResult<MessagePage> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::page(db, user, &mailbox, after, limit)).await
    }

    async fn messages(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> DmapResult<Vec<MessageInfo>> {
        let (mailbox, uids) = (mailbox.clone(), uids.to_vec());
        self.on_account(user, move |db, user| ops::messages_with_uids(db, user, &mailbox, &uids)).await
    }

    async fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> DmapResult<Vec<u8>> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::object(db, user, &mailbox, uid)).await
    }

    async fn set_flags(&self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> DmapResult<()> {
        let (mailbox, flags) = (mailbox.clone(), flags.to_vec());
        self.on_account(user, move |db, user| ops::set_flags(db, user, &mailbox, uid, &flags)).await
    }

    async fn set_flags_many(&self, user: &str, mailbox: &Mailbox, changes: &[(u32, Vec<Flag>)]) -> DmapResult<()> {
        let (mailbox, changes) = (mailbox.clone(), changes.to_vec());
        self.on_account(user, move |db, user| ops::set_flags_many(db, user, &mailbox, &changes)).await
    }

    async fn expunge(&self, user: &str, mailbox: &Mailbox) -> DmapResult<Vec<u32>> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::expunge(db, user, &mailbox)).await
    }

    async fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> DmapResult<u32> {
        let (mailbox, flags) = (mailbox.clone(), flags.to_vec());
        self.on_account(user, move |db, user| ops::append(db, user, &mailbox, &flags, date, &object)).await
    }

    async fn submit(&self, user: &str, object: Vec<u8>) -> DmapResult<String> {
        let (db, user) = (self.shared.clone(), user.to_owned());
        blocking(move || ops::submit(&db, &user, &object)).await
    }

    async fn issue_signet(&self, user: &str, request: &Signet) -> DmapResult<(String, Signet)> {
        let issuer = self
            .issuer
            .clone()
            .ok_or_else(|| dime_dmap::DmapError::StoreRefused("this server issues no signets".into()))?;
        let (db, user, request) = (self.shared.clone(), user.to_owned(), request.clone());
        blocking(move || ops::issue_signet(&db, &issuer, &user, &request)).await
    }

    async fn signet(&self, address: &str) -> DmapResult<SignetAnswer> {
        let (db, address) = (self.shared.clone(), address.to_owned());
        blocking(move || ops::signet(&db, &address)).await
    }

    async fn store_keyfile(&self, user: &str, record: KeyfileRecord) -> DmapResult<()> {
        self.on_account(user, move |db, user| ops::store_keyfile(db, user, &record)).await
    }

    async fn keyfile(&self, user: &str) -> DmapResult<Option<KeyfileRecord>> {
        self.on_account(user, ops::keyfile).await
    }

    async fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> DmapResult<u32> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| Ok(ops::mailbox_state(db, user, &mailbox)?.uid_validity)).await
    }

    async fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> DmapResult<()> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::create_new_mailbox(db, user, &mailbox)).await
    }

    async fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> DmapResult<()> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::delete_mailbox(db, user, &mailbox)).await
    }

    async fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> DmapResult<()> {
        let (from, to) = (from.clone(), to.clone());
        self.on_account(user, move |db, user| ops::rename_mailbox(db, user, &from, &to)).await
    }

    async fn set_subscribed(&self, user: &str, mailbox: &Mailbox, subscribed: bool) -> DmapResult<()> {
        let mailbox = mailbox.clone();
        self.on_account(user, move |db, user| ops::set_subscribed(db, user, &mailbox, subscribed)).await
    }

    async fn subscriptions(&self, user: &str) -> DmapResult<Vec<Mailbox>> {
        self.on_account(user, ops::subscriptions).await
    }

    async fn copy(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> DmapResult<Vec<(u32, u32)>> {
        let (from, uids, to) = (from.clone(), uids.to_vec(), to.clone());
        self.on_account(user, move |db, user| ops::transfer(db, user, &from, &uids, &to, false)).await
    }

    async fn move_messages(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> DmapResult<Vec<(u32, u32)>> {
        let (from, uids, to) = (from.clone(), uids.to_vec(), to.clone());
        self.on_account(user, move |db, user| ops::transfer(db, user, &from, &uids, &to, true)).await
    }

    async fn expunge_uids(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> DmapResult<Vec<u32>> {
        let (mailbox, uids) = (mailbox.clone(), uids.to_vec());
        self.on_account(user, move |db, user| ops::expunge_uids(db, user, &mailbox, &uids)).await
    }
}
