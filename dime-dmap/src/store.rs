//! The mailbox store: the application's side of a DMAP server. A mail store is a database or a
//! disk, so every method is asynchronous: the server session hands a command's store work to
//! its driver ([`Interrupt::Store`](crate::Interrupt::Store)), which awaits
//! [`ServerSession::run_store`](crate::server::ServerSession::run_store). Methods take `&self`:
//! a store shared by many sessions locks (if at all) inside a method, never around a session,
//! so separate accounts never wait for each other (`docs/dmap.md` §12).
//!
//! [`MemoryStore`] is a complete in-memory implementation for tests and examples. A shared
//! store for many connections is an `Arc<S>`, which implements [`Store`] too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use dime_core::keys::SigningSecretKey;
use dime_core::stacie::Credentials;
use dime_signet::{Signet, issue};

use crate::codec::{DateTime, Flag, Mailbox};
use crate::error::{DmapError, Result};

/// What the server knows about one stored message: everything but the object bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The message's UID (non-zero, strictly increasing within a mailbox).
    pub uid: u32,
    /// Its flags.
    pub flags: Vec<Flag>,
    /// When the server received it.
    pub internal_date: DateTime,
    /// The object's size in bytes.
    pub size: u32,
}

/// A mailbox as the store sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxView {
    /// The UIDVALIDITY value.
    pub uid_validity: u32,
    /// The next UID the store will assign.
    pub uid_next: u32,
    /// The messages in UID order.
    pub messages: Vec<MessageInfo>,
}

/// One page of a mailbox listing ([`Store::page`]): the mailbox's counters and the next
/// messages in UID order, read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// The UIDVALIDITY value.
    pub uid_validity: u32,
    /// The next UID the store will assign.
    pub uid_next: u32,
    /// The messages of the page in UID order.
    pub messages: Vec<MessageInfo>,
}

/// The user's key file sealed in a STACIE realm envelope, and the realm's shard. The server
/// can store it but not read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyfileRecord {
    /// The 64-byte realm shard.
    pub shard: [u8; 64],
    /// The realm envelope.
    pub envelope: Vec<u8>,
}

/// What a [`Store`] knows of the signet a `SIGNET` command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignetAnswer {
    /// The current signet; it is served here.
    Found(Box<Signet>),
    /// Served here, but there is no such signet.
    NotFound,
    /// Another organisation's. The session hands the lookup to its driver
    /// ([`Event::SignetLookup`](crate::server::Event::SignetLookup)), which resolves it (DNS, then
    /// DMTP) and answers with
    /// [`ServerSession::signet_resolved`](crate::server::ServerSession::signet_resolved).
    Elsewhere,
}

/// The mailbox store a server session works on. Every method gets the authenticated user's
/// name as STACIE saw it. Errors are answered as `docs/dmap.md` §9 says: `NoSuchMailbox`,
/// `NoSuchMessage`, `StoreRefused`, `StoreUnavailable` and `Signet` each have their own
/// response; any other error is answered `NO [UNAVAILABLE]` with its text.
pub trait Store: Send + Sync {
    /// The STACIE credentials of `username`, or `None` when there is no such account.
    fn credentials(&self, username: &str) -> impl Future<Output = Result<Option<Credentials>>> + Send;
    /// The user's mailboxes.
    fn mailboxes(&self, user: &str) -> impl Future<Output = Result<Vec<Mailbox>>> + Send;
    /// One mailbox's state, every message included. A selected session never asks for it (it
    /// reads [`Store::page`] and [`Store::messages`]); it is what their default
    /// implementations read.
    fn mailbox(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<MailboxView>> + Send;
    /// The mailbox's counters and up to `limit` messages with UIDs above `after`, in UID order,
    /// read in one snapshot: a page of a listing that never holds the whole mailbox
    /// (`docs/dmap.md` §12.3). The next page starts after the last UID returned; a page
    /// shorter than `limit` is the last.
    ///
    /// The default reads [`Store::mailbox`] whole for every page; a store of large mailboxes
    /// implements it with an index (both shipped stores do).
    fn page(
        &self,
        user: &str,
        mailbox: &Mailbox,
        after: u32,
        limit: usize,
    ) -> impl Future<Output = Result<MessagePage>> + Send {
        async move {
            let view = self.mailbox(user, mailbox).await?;
            let first = view.messages.partition_point(|m| m.uid <= after);
            let messages = view.messages.into_iter().skip(first).take(limit).collect();
            Ok(MessagePage { uid_validity: view.uid_validity, uid_next: view.uid_next, messages })
        }
    }
    /// The messages with these UIDs (ascending) that are still in the mailbox, in UID order;
    /// UIDs not there are left out.
    ///
    /// The default reads [`Store::mailbox`] whole; both shipped stores look each UID up.
    fn messages(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<MessageInfo>>> + Send {
        async move {
            let view = self.mailbox(user, mailbox).await?;
            Ok(view.messages.into_iter().filter(|m| uids.binary_search(&m.uid).is_ok()).collect())
        }
    }
    /// The encrypted object of one message.
    fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> impl Future<Output = Result<Vec<u8>>> + Send;
    /// Replaces one message's flags.
    fn set_flags(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uid: u32,
        flags: &[Flag],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Replaces the flags of several messages of one mailbox, `(uid, flags)` pairs, as one
    /// write: all of them or, on an error (a message not there is `NoSuchMessage`), none. A
    /// `STORE` makes one such call per page of its messages, so a store that syncs each write
    /// should implement it as one transaction; the default calls [`Store::set_flags`] for each
    /// pair, in order, and stops at the first error.
    fn set_flags_many(
        &self,
        user: &str,
        mailbox: &Mailbox,
        changes: &[(u32, Vec<Flag>)],
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            for (uid, flags) in changes {
                self.set_flags(user, mailbox, *uid, flags).await?;
            }
            Ok(())
        }
    }
    /// Removes every message flagged `\Deleted`; returns their UIDs.
    fn expunge(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<Vec<u32>>> + Send;
    /// Stores a new message; `date` `None` means "now" as the store sees it. Returns its UID.
    fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> impl Future<Output = Result<u32>> + Send;
    /// Accepts an encrypted object for relay; returns a queue id (an IMAP atom).
    fn submit(&self, user: &str, object: Vec<u8>) -> impl Future<Output = Result<String>> + Send;
    /// Issues a user signet from a parsed signing request; returns the address it was issued
    /// for and the signet.
    fn issue_signet(&self, user: &str, request: &Signet) -> impl Future<Output = Result<(String, Signet)>> + Send;
    /// The current signet of `address` (a user address or an organisation's domain), or
    /// [`SignetAnswer::Elsewhere`] when another organisation holds it.
    fn signet(&self, address: &str) -> impl Future<Output = Result<SignetAnswer>> + Send;
    /// Stores the user's sealed key file, replacing any earlier one.
    fn store_keyfile(&self, user: &str, record: KeyfileRecord) -> impl Future<Output = Result<()>> + Send;
    /// The user's sealed key file.
    fn keyfile(&self, user: &str) -> impl Future<Output = Result<Option<KeyfileRecord>>> + Send;
    /// A mailbox's UIDVALIDITY alone (for `APPENDUID` and `COPYUID`), without its messages.
    fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<u32>> + Send;
    /// Creates an empty mailbox with a UIDVALIDITY no mailbox of the store had before.
    /// Errors: [`DmapError::MailboxExists`].
    fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a mailbox and its messages; its inferiors (`name/...`) and subscriptions stay.
    /// `INBOX` cannot be deleted ([`DmapError::StoreRefused`]).
    fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<()>> + Send;
    /// Renames `from` to `to` and each inferior `from/x` to `to/x`, keeping UIDVALIDITY, UIDs,
    /// flags and objects, all or nothing. Renaming `INBOX` moves its messages (with its
    /// UIDVALIDITY and UIDNEXT) into the new mailbox `to` and leaves `INBOX` empty with a new
    /// UIDVALIDITY; inferiors of `INBOX` stay (RFC 3501 §6.3.5). Errors:
    /// [`DmapError::NoSuchMailbox`], [`DmapError::MailboxExists`] when `to` or a renamed
    /// inferior's new name exists, [`DmapError::StoreRefused`] when `to` is `from` or inside it.
    fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> impl Future<Output = Result<()>> + Send;
    /// Adds `mailbox` to the user's subscriptions (`subscribed`) or removes it. Subscriptions
    /// are names: they outlive the mailbox.
    fn set_subscribed(
        &self,
        user: &str,
        mailbox: &Mailbox,
        subscribed: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The user's subscriptions in name order.
    fn subscriptions(&self, user: &str) -> impl Future<Output = Result<Vec<Mailbox>>> + Send;
    /// Copies the messages of `from` with these UIDs (ascending) to `to`, flags and internal
    /// dates included, all or nothing; UIDs no longer in `from` are skipped. Returns (source
    /// UID, new UID) pairs in source order.
    fn copy(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> impl Future<Output = Result<Vec<(u32, u32)>>> + Send;
    /// As [`Store::copy`], and removes the copied messages from `from` in the same step
    /// (RFC 6851 `MOVE`).
    fn move_messages(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> impl Future<Output = Result<Vec<(u32, u32)>>> + Send;
    /// Removes those of `uids` that are flagged `\Deleted` (RFC 4315 `UID EXPUNGE`); returns
    /// their UIDs in ascending order.
    fn expunge_uids(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<u32>>> + Send;
}

/// A store shared by many sessions: every session holds a clone of the `Arc`.
impl<S: Store> Store for Arc<S> {
    fn credentials(&self, username: &str) -> impl Future<Output = Result<Option<Credentials>>> + Send {
        (**self).credentials(username)
    }

    fn mailboxes(&self, user: &str) -> impl Future<Output = Result<Vec<Mailbox>>> + Send {
        (**self).mailboxes(user)
    }

    fn mailbox(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<MailboxView>> + Send {
        (**self).mailbox(user, mailbox)
    }

    fn page(
        &self,
        user: &str,
        mailbox: &Mailbox,
        after: u32,
        limit: usize,
    ) -> impl Future<Output = Result<MessagePage>> + Send {
        (**self).page(user, mailbox, after, limit)
    }

    fn messages(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<MessageInfo>>> + Send {
        (**self).messages(user, mailbox, uids)
    }

    fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> impl Future<Output = Result<Vec<u8>>> + Send {
        (**self).object(user, mailbox, uid)
    }

    fn set_flags(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uid: u32,
        flags: &[Flag],
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).set_flags(user, mailbox, uid, flags)
    }

    fn set_flags_many(
        &self,
        user: &str,
        mailbox: &Mailbox,
        changes: &[(u32, Vec<Flag>)],
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).set_flags_many(user, mailbox, changes)
    }

    fn expunge(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<Vec<u32>>> + Send {
        (**self).expunge(user, mailbox)
    }

    fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> impl Future<Output = Result<u32>> + Send {
        (**self).append(user, mailbox, flags, date, object)
    }

    fn submit(&self, user: &str, object: Vec<u8>) -> impl Future<Output = Result<String>> + Send {
        (**self).submit(user, object)
    }

    fn issue_signet(&self, user: &str, request: &Signet) -> impl Future<Output = Result<(String, Signet)>> + Send {
        (**self).issue_signet(user, request)
    }

    fn signet(&self, address: &str) -> impl Future<Output = Result<SignetAnswer>> + Send {
        (**self).signet(address)
    }

    fn store_keyfile(&self, user: &str, record: KeyfileRecord) -> impl Future<Output = Result<()>> + Send {
        (**self).store_keyfile(user, record)
    }

    fn keyfile(&self, user: &str) -> impl Future<Output = Result<Option<KeyfileRecord>>> + Send {
        (**self).keyfile(user)
    }

    fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<u32>> + Send {
        (**self).uid_validity(user, mailbox)
    }

    fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<()>> + Send {
        (**self).create_mailbox(user, mailbox)
    }

    fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> impl Future<Output = Result<()>> + Send {
        (**self).delete_mailbox(user, mailbox)
    }

    fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> impl Future<Output = Result<()>> + Send {
        (**self).rename_mailbox(user, from, to)
    }

    fn set_subscribed(
        &self,
        user: &str,
        mailbox: &Mailbox,
        subscribed: bool,
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).set_subscribed(user, mailbox, subscribed)
    }

    fn subscriptions(&self, user: &str) -> impl Future<Output = Result<Vec<Mailbox>>> + Send {
        (**self).subscriptions(user)
    }

    fn copy(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> impl Future<Output = Result<Vec<(u32, u32)>>> + Send {
        (**self).copy(user, from, uids, to)
    }

    fn move_messages(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> impl Future<Output = Result<Vec<(u32, u32)>>> + Send {
        (**self).move_messages(user, from, uids, to)
    }

    fn expunge_uids(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<u32>>> + Send {
        (**self).expunge_uids(user, mailbox, uids)
    }
}

/// An organization's signing identity, used by [`MemoryStore`] to issue user signets.
pub struct Issuer {
    /// The organization's signet.
    pub org: Signet,
    /// The POK (or a secondary key allowed to sign signets).
    pub key: SigningSecretKey,
    /// The domain appended to user names that have no `@`.
    pub domain: String,
}

/// An object accepted for relay by [`MemoryStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Who submitted it.
    pub user: String,
    /// The queue id returned to the client.
    pub id: String,
    /// The object bytes.
    pub object: Vec<u8>,
}

#[derive(Debug, Clone)]
struct StoredMessage {
    info: MessageInfo,
    object: Vec<u8>,
}

#[derive(Debug, Clone)]
struct StoredMailbox {
    uid_validity: u32,
    uid_next: u32,
    messages: Vec<StoredMessage>,
}

#[derive(Debug, Clone)]
struct Account {
    credentials: Credentials,
    mailboxes: BTreeMap<Mailbox, StoredMailbox>,
    subscriptions: BTreeSet<Mailbox>,
    keyfile: Option<KeyfileRecord>,
}

/// An in-memory [`Store`] for tests and examples: accounts with mailboxes, published signets,
/// an optional [`Issuer`], an outbox of submissions and stored key files.
///
/// There is no lock over the whole store: each account has its own, held only inside one
/// method call, so sessions of separate accounts never wait for each other. Share it as an
/// `Arc<MemoryStore>`. A poisoned lock reads as [`DmapError::StoreUnavailable`].
#[derive(Default)]
pub struct MemoryStore {
    accounts: RwLock<BTreeMap<String, Arc<Mutex<Account>>>>,
    signets: RwLock<BTreeMap<String, Signet>>,
    domains: RwLock<Vec<String>>,
    issuer: RwLock<Option<Arc<Issuer>>>,
    outbox: Mutex<Vec<Submission>>,
    next_validity: AtomicU32,
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let accounts = self.accounts.read().map(|a| a.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        f.debug_struct("MemoryStore").field("accounts", &accounts).finish_non_exhaustive()
    }
}

fn poisoned<T>(_: T) -> DmapError {
    DmapError::StoreUnavailable("store lock poisoned".into())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Adds (or replaces) an account with an empty `INBOX`.
    pub fn add_account(&self, username: &str, credentials: Credentials) {
        let mut account =
            Account { credentials, mailboxes: BTreeMap::new(), subscriptions: BTreeSet::new(), keyfile: None };
        account.mailboxes.insert(Mailbox::inbox(), self.new_mailbox());
        if let Ok(mut accounts) = self.accounts.write() {
            accounts.insert(username.into(), Arc::new(Mutex::new(account)));
        }
    }

    /// Adds an empty mailbox to an account.
    pub fn add_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        let fresh = self.new_mailbox();
        let account = self.accounts.read().map_err(poisoned)?.get(user).cloned().ok_or(DmapError::NoSuchMailbox)?;
        account.lock().map_err(poisoned)?.mailboxes.entry(mailbox.clone()).or_insert(fresh);
        Ok(())
    }

    /// Sets the identity used to issue user signets.
    pub fn set_issuer(&self, issuer: Issuer) {
        if let Ok(mut slot) = self.issuer.write() {
            *slot = Some(Arc::new(issuer));
        }
    }

    /// Publishes a signet under `address` (for `SIGNET` lookups).
    pub fn publish_signet(&self, address: &str, signet: Signet) {
        if let Ok(mut signets) = self.signets.write() {
            signets.insert(address.to_ascii_lowercase(), signet);
        }
    }

    /// Declares `domain` served here. Once any domain is declared, signets of addresses and
    /// organisations of other domains are [`SignetAnswer::Elsewhere`]; until then every
    /// unpublished signet is [`SignetAnswer::NotFound`].
    pub fn serve_domain(&self, domain: &str) {
        if let Ok(mut domains) = self.domains.write() {
            domains.push(domain.to_ascii_lowercase());
        }
    }

    /// The objects submitted for relay, oldest first.
    pub fn outbox(&self) -> Vec<Submission> {
        self.outbox.lock().map(|outbox| outbox.clone()).unwrap_or_default()
    }

    fn new_mailbox(&self) -> StoredMailbox {
        let uid_validity = self.next_validity.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        StoredMailbox { uid_validity, uid_next: 1, messages: Vec::new() }
    }

    /// The account's lock, held by the caller for the rest of one operation.
    fn account(&self, user: &str) -> Result<Arc<Mutex<Account>>> {
        let accounts = self.accounts.read().map_err(poisoned)?;
        accounts.get(user).cloned().ok_or_else(|| DmapError::StoreRefused("no such account".into()))
    }

    /// Runs `f` on the user's account under its lock.
    fn with_account<T>(&self, user: &str, f: impl FnOnce(&mut Account) -> Result<T>) -> Result<T> {
        let account = self.account(user)?;
        let mut account = account.lock().map_err(poisoned)?;
        f(&mut account)
    }

    /// Runs `f` on one mailbox of the user under the account's lock.
    fn with_mailbox<T>(
        &self,
        user: &str,
        mailbox: &Mailbox,
        f: impl FnOnce(&mut StoredMailbox) -> Result<T>,
    ) -> Result<T> {
        self.with_account(user, |account| f(account.mailboxes.get_mut(mailbox).ok_or(DmapError::NoSuchMailbox)?))
    }

    /// Appends copies of `from`'s messages `uids` to `to`; with `remove`, takes them out of
    /// `from`. Every check comes first, so a failure changes nothing.
    fn transfer(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
        remove: bool,
    ) -> Result<Vec<(u32, u32)>> {
        self.with_account(user, |account| {
            let source = account.mailboxes.get(from).ok_or(DmapError::NoSuchMailbox)?;
            let picked: Vec<StoredMessage> =
                source.messages.iter().filter(|m| uids.binary_search(&m.info.uid).is_ok()).cloned().collect();
            let target = account.mailboxes.get_mut(to).ok_or(DmapError::NoSuchMailbox)?;
            let first = target.uid_next;
            let count = u32::try_from(picked.len()).ok();
            target.uid_next = count
                .and_then(|n| first.checked_add(n))
                .ok_or_else(|| DmapError::StoreRefused("UIDs exhausted".into()))?;
            let mut pairs = Vec::with_capacity(picked.len());
            for (uid, mut message) in (first..).zip(picked) {
                pairs.push((message.info.uid, uid));
                message.info.uid = uid;
                target.messages.push(message);
            }
            if remove && let Some(source) = account.mailboxes.get_mut(from) {
                source.messages.retain(|m| pairs.binary_search_by_key(&m.info.uid, |p| p.0).is_err());
            }
            Ok(pairs)
        })
    }
}

/// The new name of `name` when `from` is renamed to `to`: `to` for `from` itself, `to/x` for an
/// inferior `from/x`, `None` for any other mailbox.
pub fn renamed(name: &Mailbox, from: &Mailbox, to: &Mailbox) -> Option<Mailbox> {
    if name == from {
        return Some(to.clone());
    }
    let rest = name.as_str().strip_prefix(from.as_str())?.strip_prefix('/')?;
    Some(Mailbox::new(&format!("{}/{rest}", to.as_str())))
}

fn now() -> DateTime {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    DateTime::new(unix, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

impl Store for MemoryStore {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let account = self.accounts.read().map_err(poisoned)?.get(username).cloned();
        match account {
            Some(account) => Ok(Some(account.lock().map_err(poisoned)?.credentials.clone())),
            None => Ok(None),
        }
    }

    async fn mailboxes(&self, user: &str) -> Result<Vec<Mailbox>> {
        self.with_account(user, |account| Ok(account.mailboxes.keys().cloned().collect()))
    }

    async fn mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<MailboxView> {
        self.with_mailbox(user, mailbox, |stored| {
            Ok(MailboxView {
                uid_validity: stored.uid_validity,
                uid_next: stored.uid_next,
                messages: stored.messages.iter().map(|m| m.info.clone()).collect(),
            })
        })
    }

    async fn page(&self, user: &str, mailbox: &Mailbox, after: u32, limit: usize) -> Result<MessagePage> {
        self.with_mailbox(user, mailbox, |stored| {
            let first = stored.messages.partition_point(|m| m.info.uid <= after);
            let rest = stored.messages.get(first..).unwrap_or_default();
            Ok(MessagePage {
                uid_validity: stored.uid_validity,
                uid_next: stored.uid_next,
                messages: rest.iter().take(limit).map(|m| m.info.clone()).collect(),
            })
        })
    }

    async fn messages(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<MessageInfo>> {
        self.with_mailbox(user, mailbox, |stored| {
            let find = |uid: &u32| stored.messages.binary_search_by_key(uid, |m| m.info.uid).ok();
            Ok(uids.iter().filter_map(find).filter_map(|at| stored.messages.get(at)).map(|m| m.info.clone()).collect())
        })
    }

    async fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> Result<Vec<u8>> {
        self.with_mailbox(user, mailbox, |stored| {
            let at =
                stored.messages.binary_search_by_key(&uid, |m| m.info.uid).map_err(|_| DmapError::NoSuchMessage)?;
            stored.messages.get(at).map(|m| m.object.clone()).ok_or(DmapError::NoSuchMessage)
        })
    }

    async fn set_flags(&self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> Result<()> {
        self.with_mailbox(user, mailbox, |stored| {
            let at =
                stored.messages.binary_search_by_key(&uid, |m| m.info.uid).map_err(|_| DmapError::NoSuchMessage)?;
            let message = stored.messages.get_mut(at).ok_or(DmapError::NoSuchMessage)?;
            message.info.flags = flags.to_vec();
            Ok(())
        })
    }

    async fn set_flags_many(&self, user: &str, mailbox: &Mailbox, changes: &[(u32, Vec<Flag>)]) -> Result<()> {
        self.with_mailbox(user, mailbox, |stored| {
            // Every message is found first, so a missing one changes nothing.
            let at = changes
                .iter()
                .map(|(uid, _)| stored.messages.binary_search_by_key(uid, |m| m.info.uid))
                .collect::<core::result::Result<Vec<usize>, usize>>()
                .map_err(|_| DmapError::NoSuchMessage)?;
            for (i, (_, flags)) in at.into_iter().zip(changes) {
                if let Some(message) = stored.messages.get_mut(i) {
                    message.info.flags = flags.clone();
                }
            }
            Ok(())
        })
    }

    async fn expunge(&self, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>> {
        self.with_mailbox(user, mailbox, |stored| {
            let gone: Vec<u32> =
                stored.messages.iter().filter(|m| m.info.flags.contains(&Flag::Deleted)).map(|m| m.info.uid).collect();
            stored.messages.retain(|m| !m.info.flags.contains(&Flag::Deleted));
            Ok(gone)
        })
    }

    async fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> Result<u32> {
        let size = u32::try_from(object.len()).map_err(|_| DmapError::StoreRefused("object too large".into()))?;
        self.with_mailbox(user, mailbox, |stored| {
            let uid = stored.uid_next;
            stored.uid_next = uid.checked_add(1).ok_or_else(|| DmapError::StoreRefused("UIDs exhausted".into()))?;
            let info = MessageInfo { uid, flags: flags.to_vec(), internal_date: date.unwrap_or_else(now), size };
            stored.messages.push(StoredMessage { info, object });
            Ok(uid)
        })
    }

    async fn submit(&self, user: &str, object: Vec<u8>) -> Result<String> {
        if object.is_empty() {
            return Err(DmapError::StoreRefused("empty object".into()));
        }
        let mut outbox = self.outbox.lock().map_err(poisoned)?;
        let id = format!("Q{}", outbox.len() + 1);
        outbox.push(Submission { user: user.into(), id: id.clone(), object });
        Ok(id)
    }

    async fn issue_signet(&self, user: &str, request: &Signet) -> Result<(String, Signet)> {
        let issuer = self.issuer.read().map_err(poisoned)?.clone();
        let issuer = issuer.ok_or_else(|| DmapError::StoreRefused("this server issues no signets".into()))?;
        let address = if user.contains('@') { user.to_ascii_lowercase() } else { format!("{user}@{}", issuer.domain) };
        let mut signets = self.signets.write().map_err(poisoned)?;
        let previous = signets.get(&address);
        let signet = issue::issue_user_signet(request, previous, &issuer.org, &issuer.key, &address, &[])
            .map_err(DmapError::Signet)?;
        signets.insert(address.clone(), signet.clone());
        Ok((address, signet))
    }

    async fn signet(&self, address: &str) -> Result<SignetAnswer> {
        let address = address.to_ascii_lowercase();
        if let Some(signet) = self.signets.read().map_err(poisoned)?.get(&address) {
            return Ok(SignetAnswer::Found(Box::new(signet.clone())));
        }
        let domain = address.rsplit('@').next().unwrap_or_default();
        let domains = self.domains.read().map_err(poisoned)?;
        if domains.is_empty() || domains.iter().any(|d| d == domain) {
            Ok(SignetAnswer::NotFound)
        } else {
            Ok(SignetAnswer::Elsewhere)
        }
    }

    async fn store_keyfile(&self, user: &str, record: KeyfileRecord) -> Result<()> {
        self.with_account(user, |account| {
            account.keyfile = Some(record);
            Ok(())
        })
    }

    async fn keyfile(&self, user: &str) -> Result<Option<KeyfileRecord>> {
        self.with_account(user, |account| Ok(account.keyfile.clone()))
    }

    async fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> Result<u32> {
        self.with_mailbox(user, mailbox, |stored| Ok(stored.uid_validity))
    }

    async fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        self.with_account(user, |account| {
            if account.mailboxes.contains_key(mailbox) {
                return Err(DmapError::MailboxExists);
            }
            account.mailboxes.insert(mailbox.clone(), self.new_mailbox());
            Ok(())
        })
    }

    async fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        self.with_account(user, |account| {
            if *mailbox == Mailbox::inbox() {
                return Err(DmapError::StoreRefused("INBOX cannot be deleted".into()));
            }
            account.mailboxes.remove(mailbox).map(drop).ok_or(DmapError::NoSuchMailbox)
        })
    }

    async fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()> {
        self.with_account(user, |account| {
            if !account.mailboxes.contains_key(from) {
                return Err(DmapError::NoSuchMailbox);
            }
            if renamed(to, from, from).is_some() {
                return Err(DmapError::StoreRefused("a mailbox cannot be renamed into itself".into()));
            }
            let inbox = *from == Mailbox::inbox();
            let moving: Vec<(Mailbox, Mailbox)> = match inbox {
                true => vec![(from.clone(), to.clone())],
                false => {
                    account.mailboxes.keys().filter_map(|name| Some((name.clone(), renamed(name, from, to)?))).collect()
                }
            };
            if moving.iter().any(|(_, new)| account.mailboxes.contains_key(new)) {
                return Err(DmapError::MailboxExists);
            }
            for (old, new) in moving {
                if let Some(stored) = account.mailboxes.remove(&old) {
                    account.mailboxes.insert(new, stored);
                }
            }
            if inbox {
                account.mailboxes.insert(Mailbox::inbox(), self.new_mailbox());
            }
            Ok(())
        })
    }

    async fn set_subscribed(&self, user: &str, mailbox: &Mailbox, subscribed: bool) -> Result<()> {
        self.with_account(user, |account| {
            match subscribed {
                true => account.subscriptions.insert(mailbox.clone()),
                false => account.subscriptions.remove(mailbox),
            };
            Ok(())
        })
    }

    async fn subscriptions(&self, user: &str) -> Result<Vec<Mailbox>> {
        self.with_account(user, |account| Ok(account.subscriptions.iter().cloned().collect()))
    }

    async fn copy(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
        self.transfer(user, from, uids, to, false)
    }

    async fn move_messages(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
        self.transfer(user, from, uids, to, true)
    }

    async fn expunge_uids(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<u32>> {
        self.with_mailbox(user, mailbox, |stored| {
            let gone =
                |m: &StoredMessage| m.info.flags.contains(&Flag::Deleted) && uids.binary_search(&m.info.uid).is_ok();
            let removed: Vec<u32> = stored.messages.iter().filter(|m| gone(m)).map(|m| m.info.uid).collect();
            stored.messages.retain(|m| !gone(m));
            Ok(removed)
        })
    }
}

/// Runs a future to completion on the current thread, parking it while the future waits. For
/// tests, tools and other synchronous callers of a [`Store`]; a server drives its stores on its
/// async runtime instead.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = core::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock poisoned by a panicking holder reads as unavailable, for that account only.
    #[test]
    fn a_poisoned_account_lock_reads_as_unavailable() {
        let store = MemoryStore::new();
        let credentials = Credentials::from_parts(
            dime_core::stacie::Salt::from_bytes([1; 128]),
            0,
            dime_core::stacie::VerificationToken::from_bytes([2; 64]),
        )
        .unwrap();
        store.add_account("alice", credentials.clone());
        store.add_account("bob", credentials);
        let alice = store.account("alice").unwrap();
        let _ = std::thread::spawn(move || {
            let _guard = alice.lock().unwrap();
            panic!("poison alice's lock");
        })
        .join();
        let unavailable = DmapError::StoreUnavailable("store lock poisoned".into());
        assert_eq!(block_on(store.credentials("alice")), Err(unavailable.clone()));
        assert_eq!(block_on(store.mailboxes("alice")), Err(unavailable));
        assert_eq!(block_on(store.mailboxes("bob")), Ok(vec![Mailbox::inbox()]));
    }
}
