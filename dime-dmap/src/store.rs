//! The mailbox store: the application's side of a DMAP server. The server session calls these
//! methods synchronously while it executes a command; they must not block for long.
//!
//! [`MemoryStore`] is a complete in-memory implementation for tests and examples. A shared
//! store for many connections is an `Arc<Mutex<S>>`, which implements [`Store`] too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

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
pub trait Store {
    /// The STACIE credentials of `username`, or `None` when there is no such account.
    fn credentials(&mut self, username: &str) -> Result<Option<Credentials>>;
    /// The user's mailboxes.
    fn mailboxes(&mut self, user: &str) -> Result<Vec<Mailbox>>;
    /// One mailbox's state.
    fn mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<MailboxView>;
    /// The encrypted object of one message.
    fn object(&mut self, user: &str, mailbox: &Mailbox, uid: u32) -> Result<Vec<u8>>;
    /// Replaces one message's flags.
    fn set_flags(&mut self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> Result<()>;
    /// Removes every message flagged `\Deleted`; returns their UIDs.
    fn expunge(&mut self, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>>;
    /// Stores a new message; `date` `None` means "now" as the store sees it. Returns its UID.
    fn append(
        &mut self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> Result<u32>;
    /// Accepts an encrypted object for relay; returns a queue id (an IMAP atom).
    fn submit(&mut self, user: &str, object: Vec<u8>) -> Result<String>;
    /// Issues a user signet from a parsed signing request; returns the address it was issued
    /// for and the signet.
    fn issue_signet(&mut self, user: &str, request: &Signet) -> Result<(String, Signet)>;
    /// The current signet of `address` (a user address or an organisation's domain), or
    /// [`SignetAnswer::Elsewhere`] when another organisation holds it.
    fn signet(&mut self, address: &str) -> Result<SignetAnswer>;
    /// Stores the user's sealed key file, replacing any earlier one.
    fn store_keyfile(&mut self, user: &str, record: KeyfileRecord) -> Result<()>;
    /// The user's sealed key file.
    fn keyfile(&mut self, user: &str) -> Result<Option<KeyfileRecord>>;
    /// A mailbox's UIDVALIDITY alone (for `APPENDUID` and `COPYUID`), without its messages.
    fn uid_validity(&mut self, user: &str, mailbox: &Mailbox) -> Result<u32>;
    /// Creates an empty mailbox with a UIDVALIDITY no mailbox of the store had before.
    /// Errors: [`DmapError::MailboxExists`].
    fn create_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<()>;
    /// Deletes a mailbox and its messages; its inferiors (`name/...`) and subscriptions stay.
    /// `INBOX` cannot be deleted ([`DmapError::StoreRefused`]).
    fn delete_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<()>;
    /// Renames `from` to `to` and each inferior `from/x` to `to/x`, keeping UIDVALIDITY, UIDs,
    /// flags and objects, all or nothing. Renaming `INBOX` moves its messages (with its
    /// UIDVALIDITY and UIDNEXT) into the new mailbox `to` and leaves `INBOX` empty with a new
    /// UIDVALIDITY; inferiors of `INBOX` stay (RFC 3501 §6.3.5). Errors:
    /// [`DmapError::NoSuchMailbox`], [`DmapError::MailboxExists`] when `to` or a renamed
    /// inferior's new name exists, [`DmapError::StoreRefused`] when `to` is `from` or inside it.
    fn rename_mailbox(&mut self, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()>;
    /// Adds `mailbox` to the user's subscriptions (`subscribed`) or removes it. Subscriptions
    /// are names: they outlive the mailbox.
    fn set_subscribed(&mut self, user: &str, mailbox: &Mailbox, subscribed: bool) -> Result<()>;
    /// The user's subscriptions in name order.
    fn subscriptions(&mut self, user: &str) -> Result<Vec<Mailbox>>;
    /// Copies the messages of `from` with these UIDs (ascending) to `to`, flags and internal
    /// dates included, all or nothing; UIDs no longer in `from` are skipped. Returns (source
    /// UID, new UID) pairs in source order.
    fn copy(&mut self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>>;
    /// As [`Store::copy`], and removes the copied messages from `from` in the same step
    /// (RFC 6851 `MOVE`).
    fn move_messages(&mut self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>>;
    /// Removes those of `uids` that are flagged `\Deleted` (RFC 4315 `UID EXPUNGE`); returns
    /// their UIDs in ascending order.
    fn expunge_uids(&mut self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<u32>>;
}

macro_rules! forward_store {
    ($this:ident, $inner:expr) => {
        fn credentials(&mut $this, username: &str) -> Result<Option<Credentials>> {
            $inner.credentials(username)
        }
        fn mailboxes(&mut $this, user: &str) -> Result<Vec<Mailbox>> {
            $inner.mailboxes(user)
        }
        fn mailbox(&mut $this, user: &str, mailbox: &Mailbox) -> Result<MailboxView> {
            $inner.mailbox(user, mailbox)
        }
        fn object(&mut $this, user: &str, mailbox: &Mailbox, uid: u32) -> Result<Vec<u8>> {
            $inner.object(user, mailbox, uid)
        }
        fn set_flags(&mut $this, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> Result<()> {
            $inner.set_flags(user, mailbox, uid, flags)
        }
        fn expunge(&mut $this, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>> {
            $inner.expunge(user, mailbox)
        }
        fn append(
            &mut $this,
            user: &str,
            mailbox: &Mailbox,
            flags: &[Flag],
            date: Option<DateTime>,
            object: Vec<u8>,
        ) -> Result<u32> {
            $inner.append(user, mailbox, flags, date, object)
        }
        fn submit(&mut $this, user: &str, object: Vec<u8>) -> Result<String> {
            $inner.submit(user, object)
        }
        fn issue_signet(&mut $this, user: &str, request: &Signet) -> Result<(String, Signet)> {
            $inner.issue_signet(user, request)
        }
        fn signet(&mut $this, address: &str) -> Result<SignetAnswer> {
            $inner.signet(address)
        }
        fn store_keyfile(&mut $this, user: &str, record: KeyfileRecord) -> Result<()> {
            $inner.store_keyfile(user, record)
        }
        fn keyfile(&mut $this, user: &str) -> Result<Option<KeyfileRecord>> {
            $inner.keyfile(user)
        }
        fn uid_validity(&mut $this, user: &str, mailbox: &Mailbox) -> Result<u32> {
            $inner.uid_validity(user, mailbox)
        }
        fn create_mailbox(&mut $this, user: &str, mailbox: &Mailbox) -> Result<()> {
            $inner.create_mailbox(user, mailbox)
        }
        fn delete_mailbox(&mut $this, user: &str, mailbox: &Mailbox) -> Result<()> {
            $inner.delete_mailbox(user, mailbox)
        }
        fn rename_mailbox(&mut $this, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()> {
            $inner.rename_mailbox(user, from, to)
        }
        fn set_subscribed(&mut $this, user: &str, mailbox: &Mailbox, subscribed: bool) -> Result<()> {
            $inner.set_subscribed(user, mailbox, subscribed)
        }
        fn subscriptions(&mut $this, user: &str) -> Result<Vec<Mailbox>> {
            $inner.subscriptions(user)
        }
        fn copy(&mut $this, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
            $inner.copy(user, from, uids, to)
        }
        fn move_messages(
            &mut $this,
            user: &str,
            from: &Mailbox,
            uids: &[u32],
            to: &Mailbox,
        ) -> Result<Vec<(u32, u32)>> {
            $inner.move_messages(user, from, uids, to)
        }
        fn expunge_uids(&mut $this, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<u32>> {
            $inner.expunge_uids(user, mailbox, uids)
        }
    };
}

impl<S: Store + ?Sized> Store for &mut S {
    forward_store!(self, (**self));
}

impl<S: Store + ?Sized> Store for Box<S> {
    forward_store!(self, (**self));
}

/// A store shared by many sessions. A poisoned lock reads as [`DmapError::StoreUnavailable`].
impl<S: Store> Store for Arc<Mutex<S>> {
    forward_store!(self, self.lock().map_err(|_| DmapError::StoreUnavailable("store lock poisoned".into()))?);
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
#[derive(Default)]
pub struct MemoryStore {
    accounts: BTreeMap<String, Account>,
    signets: BTreeMap<String, Signet>,
    domains: Vec<String>,
    issuer: Option<Issuer>,
    outbox: Vec<Submission>,
    next_validity: u32,
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .field("signets", &self.signets.keys().collect::<Vec<_>>())
            .field("outbox", &self.outbox.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Adds (or replaces) an account with an empty `INBOX`.
    pub fn add_account(&mut self, username: &str, credentials: Credentials) {
        let mut account =
            Account { credentials, mailboxes: BTreeMap::new(), subscriptions: BTreeSet::new(), keyfile: None };
        account.mailboxes.insert(Mailbox::inbox(), self.new_mailbox());
        self.accounts.insert(username.into(), account);
    }

    /// Adds an empty mailbox to an account.
    pub fn add_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<()> {
        let fresh = self.new_mailbox();
        let account = self.accounts.get_mut(user).ok_or(DmapError::NoSuchMailbox)?;
        account.mailboxes.entry(mailbox.clone()).or_insert(fresh);
        Ok(())
    }

    /// Sets the identity used to issue user signets.
    pub fn set_issuer(&mut self, issuer: Issuer) {
        self.issuer = Some(issuer);
    }

    /// Publishes a signet under `address` (for `SIGNET` lookups).
    pub fn publish_signet(&mut self, address: &str, signet: Signet) {
        self.signets.insert(address.to_ascii_lowercase(), signet);
    }

    /// Declares `domain` served here. Once any domain is declared, signets of addresses and
    /// organisations of other domains are [`SignetAnswer::Elsewhere`]; until then every
    /// unpublished signet is [`SignetAnswer::NotFound`].
    pub fn serve_domain(&mut self, domain: &str) {
        self.domains.push(domain.to_ascii_lowercase());
    }

    /// The objects submitted for relay, oldest first.
    pub fn outbox(&self) -> &[Submission] {
        &self.outbox
    }

    fn new_mailbox(&mut self) -> StoredMailbox {
        self.next_validity += 1;
        StoredMailbox { uid_validity: self.next_validity, uid_next: 1, messages: Vec::new() }
    }

    fn account(&mut self, user: &str) -> Result<&mut Account> {
        self.accounts.get_mut(user).ok_or_else(|| DmapError::StoreRefused("no such account".into()))
    }

    fn stored(&mut self, user: &str, mailbox: &Mailbox) -> Result<&mut StoredMailbox> {
        self.account(user)?.mailboxes.get_mut(mailbox).ok_or(DmapError::NoSuchMailbox)
    }

    /// Appends copies of `from`'s messages `uids` to `to`; with `remove`, takes them out of
    /// `from`. Every check comes first, so a failure changes nothing.
    fn transfer(
        &mut self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
        remove: bool,
    ) -> Result<Vec<(u32, u32)>> {
        let account = self.account(user)?;
        let source = account.mailboxes.get(from).ok_or(DmapError::NoSuchMailbox)?;
        let picked: Vec<StoredMessage> =
            source.messages.iter().filter(|m| uids.binary_search(&m.info.uid).is_ok()).cloned().collect();
        let target = account.mailboxes.get_mut(to).ok_or(DmapError::NoSuchMailbox)?;
        let first = target.uid_next;
        let count = u32::try_from(picked.len()).ok();
        target.uid_next =
            count.and_then(|n| first.checked_add(n)).ok_or_else(|| DmapError::StoreRefused("UIDs exhausted".into()))?;
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
    fn credentials(&mut self, username: &str) -> Result<Option<Credentials>> {
        Ok(self.accounts.get(username).map(|a| a.credentials.clone()))
    }

    fn mailboxes(&mut self, user: &str) -> Result<Vec<Mailbox>> {
        Ok(self.account(user)?.mailboxes.keys().cloned().collect())
    }

    fn mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<MailboxView> {
        let stored = self.stored(user, mailbox)?;
        Ok(MailboxView {
            uid_validity: stored.uid_validity,
            uid_next: stored.uid_next,
            messages: stored.messages.iter().map(|m| m.info.clone()).collect(),
        })
    }

    fn object(&mut self, user: &str, mailbox: &Mailbox, uid: u32) -> Result<Vec<u8>> {
        let stored = self.stored(user, mailbox)?;
        stored.messages.iter().find(|m| m.info.uid == uid).map(|m| m.object.clone()).ok_or(DmapError::NoSuchMessage)
    }

    fn set_flags(&mut self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> Result<()> {
        let stored = self.stored(user, mailbox)?;
        let message = stored.messages.iter_mut().find(|m| m.info.uid == uid).ok_or(DmapError::NoSuchMessage)?;
        message.info.flags = flags.to_vec();
        Ok(())
    }

    fn expunge(&mut self, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>> {
        let stored = self.stored(user, mailbox)?;
        let gone: Vec<u32> =
            stored.messages.iter().filter(|m| m.info.flags.contains(&Flag::Deleted)).map(|m| m.info.uid).collect();
        stored.messages.retain(|m| !m.info.flags.contains(&Flag::Deleted));
        Ok(gone)
    }

    fn append(
        &mut self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> Result<u32> {
        let size = u32::try_from(object.len()).map_err(|_| DmapError::StoreRefused("object too large".into()))?;
        let stored = self.stored(user, mailbox)?;
        let uid = stored.uid_next;
        stored.uid_next = uid.checked_add(1).ok_or_else(|| DmapError::StoreRefused("UIDs exhausted".into()))?;
        let info = MessageInfo { uid, flags: flags.to_vec(), internal_date: date.unwrap_or_else(now), size };
        stored.messages.push(StoredMessage { info, object });
        Ok(uid)
    }

    fn submit(&mut self, user: &str, object: Vec<u8>) -> Result<String> {
        if object.is_empty() {
            return Err(DmapError::StoreRefused("empty object".into()));
        }
        let id = format!("Q{}", self.outbox.len() + 1);
        self.outbox.push(Submission { user: user.into(), id: id.clone(), object });
        Ok(id)
    }

    fn issue_signet(&mut self, user: &str, request: &Signet) -> Result<(String, Signet)> {
        let issuer =
            self.issuer.as_ref().ok_or_else(|| DmapError::StoreRefused("this server issues no signets".into()))?;
        let address = if user.contains('@') { user.to_ascii_lowercase() } else { format!("{user}@{}", issuer.domain) };
        let previous = self.signets.get(&address);
        let signet = issue::issue_user_signet(request, previous, &issuer.org, &issuer.key, &address, &[])
            .map_err(DmapError::Signet)?;
        self.signets.insert(address.clone(), signet.clone());
        Ok((address, signet))
    }

    fn signet(&mut self, address: &str) -> Result<SignetAnswer> {
        let address = address.to_ascii_lowercase();
        if let Some(signet) = self.signets.get(&address) {
            return Ok(SignetAnswer::Found(Box::new(signet.clone())));
        }
        let domain = address.rsplit('@').next().unwrap_or_default();
        if self.domains.is_empty() || self.domains.iter().any(|d| d == domain) {
            Ok(SignetAnswer::NotFound)
        } else {
            Ok(SignetAnswer::Elsewhere)
        }
    }

    fn store_keyfile(&mut self, user: &str, record: KeyfileRecord) -> Result<()> {
        self.account(user)?.keyfile = Some(record);
        Ok(())
    }

    fn keyfile(&mut self, user: &str) -> Result<Option<KeyfileRecord>> {
        Ok(self.account(user)?.keyfile.clone())
    }

    fn uid_validity(&mut self, user: &str, mailbox: &Mailbox) -> Result<u32> {
        Ok(self.stored(user, mailbox)?.uid_validity)
    }

    fn create_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<()> {
        self.account(user)?;
        let fresh = self.new_mailbox();
        let account = self.account(user)?;
        if account.mailboxes.contains_key(mailbox) {
            return Err(DmapError::MailboxExists);
        }
        account.mailboxes.insert(mailbox.clone(), fresh);
        Ok(())
    }

    fn delete_mailbox(&mut self, user: &str, mailbox: &Mailbox) -> Result<()> {
        let account = self.account(user)?;
        if *mailbox == Mailbox::inbox() {
            return Err(DmapError::StoreRefused("INBOX cannot be deleted".into()));
        }
        account.mailboxes.remove(mailbox).map(drop).ok_or(DmapError::NoSuchMailbox)
    }

    fn rename_mailbox(&mut self, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()> {
        self.account(user)?;
        let fresh_inbox = self.new_mailbox();
        let account = self.account(user)?;
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
            account.mailboxes.insert(Mailbox::inbox(), fresh_inbox);
        }
        Ok(())
    }

    fn set_subscribed(&mut self, user: &str, mailbox: &Mailbox, subscribed: bool) -> Result<()> {
        let account = self.account(user)?;
        match subscribed {
            true => account.subscriptions.insert(mailbox.clone()),
            false => account.subscriptions.remove(mailbox),
        };
        Ok(())
    }

    fn subscriptions(&mut self, user: &str) -> Result<Vec<Mailbox>> {
        Ok(self.account(user)?.subscriptions.iter().cloned().collect())
    }

    fn copy(&mut self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
        self.transfer(user, from, uids, to, false)
    }

    fn move_messages(&mut self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
        self.transfer(user, from, uids, to, true)
    }

    fn expunge_uids(&mut self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<u32>> {
        let stored = self.stored(user, mailbox)?;
        let gone = |m: &StoredMessage| m.info.flags.contains(&Flag::Deleted) && uids.binary_search(&m.info.uid).is_ok();
        let removed: Vec<u32> = stored.messages.iter().filter(|m| gone(m)).map(|m| m.info.uid).collect();
        stored.messages.retain(|m| !gone(m));
        Ok(removed)
    }
}
