//! The mailbox store: the application's side of a DMAP server. The server session calls these
//! methods synchronously while it executes a command; they must not block for long.
//!
//! [`MemoryStore`] is a complete in-memory implementation for tests and examples. A shared
//! store for many connections is an `Arc<Mutex<S>>`, which implements [`Store`] too.

use std::collections::BTreeMap;
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
        let mut account = Account { credentials, mailboxes: BTreeMap::new(), keyfile: None };
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
}
