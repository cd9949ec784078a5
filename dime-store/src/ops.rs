//! The store's operations as plain functions over a [`Database`]: each one is one transaction,
//! and each one that writes commits durably (fsync) before it returns. They block on disk I/O;
//! an asynchronous front end calls them on a blocking thread (`tokio::task::spawn_blocking`
//! with a cloned `Arc<Database>`), nothing more.

use std::ops::Range;

use dime_core::stacie::Credentials;
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::store::{Issuer, KeyfileRecord, MailboxView, MessageInfo, MessagePage, SignetAnswer, Submission};
use dime_signet::{Signet, issue};
use redb::{Database, Durability, ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};

use crate::error::{Result, StoreError};
use crate::record::{self, MailboxRecord};
use crate::tables::{
    ACCOUNTS, COUNTERS, DOMAINS, KEYFILES, LAST_QUEUE, LAST_VALIDITY, MAILBOXES, MESSAGES, OBJECTS, OUTBOX, SIGNETS,
    SUBSCRIPTIONS,
};

/// A mailbox's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxState {
    /// The UIDVALIDITY value.
    pub uid_validity: u32,
    /// The next UID the store will assign.
    pub uid_next: u32,
}

/// One message to [`import`]: flags, internal date and object.
pub type Import = (Vec<Flag>, DateTime, Vec<u8>);

/// What [`verify`] counted in a consistent store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Mailboxes.
    pub mailboxes: usize,
    /// Messages, each with its object.
    pub messages: usize,
}

/// Runs `f` in one write transaction and commits it durably; an error aborts it, leaving
/// nothing of it behind.
pub(crate) fn write<T>(db: &Database, f: impl FnOnce(&WriteTransaction) -> Result<T>) -> Result<T> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate);
    let value = f(&txn)?;
    txn.commit()?;
    Ok(value)
}

pub(crate) fn read(db: &Database) -> Result<ReadTransaction> {
    Ok(db.begin_read()?)
}

/// Creates every table, so that reads of a fresh file find them empty.
pub fn init(db: &Database) -> Result<()> {
    write(db, |txn| {
        txn.open_table(ACCOUNTS)?;
        txn.open_table(KEYFILES)?;
        txn.open_table(MAILBOXES)?;
        txn.open_table(MESSAGES)?;
        txn.open_table(OBJECTS)?;
        txn.open_table(OUTBOX)?;
        txn.open_table(SIGNETS)?;
        txn.open_table(DOMAINS)?;
        txn.open_table(COUNTERS)?;
        txn.open_table(SUBSCRIPTIONS)?;
        Ok(())
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Creates `mailbox` unless it exists. A new mailbox's UIDVALIDITY is above every earlier one
/// in this file and at least the current Unix time, so a file created anew after a loss does
/// not reuse the values of the lost one.
fn create_mailbox(txn: &WriteTransaction, user: &str, mailbox: &Mailbox) -> Result<()> {
    if txn.open_table(MAILBOXES)?.get((user, mailbox.as_str()))?.is_some() {
        return Ok(());
    }
    let record = MailboxRecord { uid_validity: new_validity(txn)?, uid_next: 1 };
    save_mailbox(txn, user, mailbox, &record)
}

/// A UIDVALIDITY above every earlier one in this file.
fn new_validity(txn: &WriteTransaction) -> Result<u32> {
    let mut counters = txn.open_table(COUNTERS)?;
    let last = counters.get(LAST_VALIDITY)?.map_or(0, |v| v.value());
    let now = u64::try_from(unix_now()).unwrap_or(0).min(u64::from(u32::MAX));
    let validity = (last + 1).max(now);
    let uid_validity = u32::try_from(validity).map_err(|_| StoreError::Refused("UIDVALIDITY values exhausted"))?;
    counters.insert(LAST_VALIDITY, validity)?;
    Ok(uid_validity)
}

/// Creates an empty mailbox; [`StoreError::MailboxExists`] when it exists.
pub fn create_new_mailbox(db: &Database, user: &str, mailbox: &Mailbox) -> Result<()> {
    write(db, |txn| {
        if txn.open_table(ACCOUNTS)?.get(user)?.is_none() {
            return Err(StoreError::NoSuchAccount);
        }
        if txn.open_table(MAILBOXES)?.get((user, mailbox.as_str()))?.is_some() {
            return Err(StoreError::MailboxExists);
        }
        create_mailbox(txn, user, mailbox)
    })
}

/// The UIDs of a mailbox's messages inside `txn`, ascending.
fn uids_in(txn: &WriteTransaction, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>> {
    let table = txn.open_table(MESSAGES)?;
    let mut uids = Vec::new();
    for entry in table.range((user, mailbox.as_str(), 0)..=(user, mailbox.as_str(), u32::MAX))? {
        uids.push(entry?.0.value().2);
    }
    Ok(uids)
}

/// Removes one message, metadata and object.
fn remove_message(txn: &WriteTransaction, user: &str, mailbox: &Mailbox, uid: u32) -> Result<()> {
    txn.open_table(MESSAGES)?.remove((user, mailbox.as_str(), uid))?;
    txn.open_table(OBJECTS)?.remove((user, mailbox.as_str(), uid))?;
    Ok(())
}

/// Deletes a mailbox with its messages; `INBOX` is refused. Inferiors and subscriptions stay.
pub fn delete_mailbox(db: &Database, user: &str, mailbox: &Mailbox) -> Result<()> {
    write(db, |txn| {
        mailbox_in(txn, user, mailbox)?;
        if *mailbox == Mailbox::inbox() {
            return Err(StoreError::Refused("INBOX cannot be deleted"));
        }
        for uid in uids_in(txn, user, mailbox)? {
            remove_message(txn, user, mailbox, uid)?;
        }
        txn.open_table(MAILBOXES)?.remove((user, mailbox.as_str()))?;
        Ok(())
    })
}

/// Moves a mailbox record and its messages to a new name inside `txn`.
fn move_mailbox(txn: &WriteTransaction, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()> {
    let state = mailbox_in(txn, user, from)?;
    for uid in uids_in(txn, user, from)? {
        let info = txn.open_table(MESSAGES)?.remove((user, from.as_str(), uid))?.map(|v| v.value().to_vec());
        let object = txn.open_table(OBJECTS)?.remove((user, from.as_str(), uid))?.map(|v| v.value().to_vec());
        if let (Some(info), Some(object)) = (info, object) {
            txn.open_table(MESSAGES)?.insert((user, to.as_str(), uid), &info[..])?;
            txn.open_table(OBJECTS)?.insert((user, to.as_str(), uid), &object[..])?;
        }
    }
    txn.open_table(MAILBOXES)?.remove((user, from.as_str()))?;
    save_mailbox(txn, user, to, &state)
}

/// Renames a mailbox and its inferiors, or moves `INBOX`'s messages into a new mailbox (see
/// `Store::rename_mailbox`); all or nothing.
pub fn rename_mailbox(db: &Database, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()> {
    write(db, |txn| {
        mailbox_in(txn, user, from)?;
        if dime_dmap::store::renamed(to, from, from).is_some() {
            return Err(StoreError::Refused("a mailbox cannot be renamed into itself"));
        }
        let names: Vec<Mailbox> = {
            let table = txn.open_table(MAILBOXES)?;
            let mut names = Vec::new();
            for entry in table.range((user, "")..)? {
                let (key, _) = entry?;
                let (owner, name) = key.value();
                if owner != user {
                    break;
                }
                names.push(Mailbox::new(name));
            }
            names
        };
        let inbox = *from == Mailbox::inbox();
        let moving: Vec<(Mailbox, Mailbox)> = match inbox {
            true => vec![(from.clone(), to.clone())],
            false => names.iter().filter_map(|n| Some((n.clone(), dime_dmap::store::renamed(n, from, to)?))).collect(),
        };
        if moving.iter().any(|(_, new)| names.contains(new)) {
            return Err(StoreError::MailboxExists);
        }
        for (old, new) in &moving {
            move_mailbox(txn, user, old, new)?;
        }
        if inbox {
            create_mailbox(txn, user, &Mailbox::inbox())?;
        }
        Ok(())
    })
}

/// Adds `mailbox` to the user's subscriptions or removes it.
pub fn set_subscribed(db: &Database, user: &str, mailbox: &Mailbox, subscribed: bool) -> Result<()> {
    write(db, |txn| {
        if txn.open_table(ACCOUNTS)?.get(user)?.is_none() {
            return Err(StoreError::NoSuchAccount);
        }
        let mut table = txn.open_table(SUBSCRIPTIONS)?;
        match subscribed {
            true => table.insert((user, mailbox.as_str()), ())?,
            false => table.remove((user, mailbox.as_str()))?,
        };
        Ok(())
    })
}

/// The user's subscriptions in name order.
pub fn subscriptions(db: &Database, user: &str) -> Result<Vec<Mailbox>> {
    names(db, user, SUBSCRIPTIONS)
}

/// Copies messages `uids` of `from` to `to` (and with `remove` takes them out of `from`) in one
/// transaction; UIDs not in `from` are skipped. Returns (source UID, new UID) pairs.
pub fn transfer(
    db: &Database,
    user: &str,
    from: &Mailbox,
    uids: &[u32],
    to: &Mailbox,
    remove: bool,
) -> Result<Vec<(u32, u32)>> {
    write(db, |txn| {
        mailbox_in(txn, user, from)?;
        let mut state = mailbox_in(txn, user, to)?;
        let mut pairs = Vec::with_capacity(uids.len());
        for &uid in uids {
            let info = txn.open_table(MESSAGES)?.get((user, from.as_str(), uid))?.map(|v| v.value().to_vec());
            let Some(info) = info else { continue };
            let info = record::decode_message(uid, &info)?;
            let object = txn.open_table(OBJECTS)?.get((user, from.as_str(), uid))?.map(|v| v.value().to_vec());
            let Some(object) = object else {
                return Err(StoreError::Corrupt { table: "objects", what: "message without object" });
            };
            let new = append_in(txn, user, to, &mut state, &info.flags, info.internal_date, &object)?;
            pairs.push((uid, new));
        }
        save_mailbox(txn, user, to, &state)?;
        if remove {
            for &(uid, _) in &pairs {
                remove_message(txn, user, from, uid)?;
            }
        }
        Ok(pairs)
    })
}

/// Removes those of `uids` flagged `\Deleted`; returns their UIDs ascending.
pub fn expunge_uids(db: &Database, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<u32>> {
    write(db, |txn| {
        mailbox_in(txn, user, mailbox)?;
        let mut gone = Vec::new();
        for &uid in uids {
            let info = txn.open_table(MESSAGES)?.get((user, mailbox.as_str(), uid))?.map(|v| v.value().to_vec());
            if let Some(info) = info
                && record::decode_message(uid, &info)?.flags.contains(&Flag::Deleted)
            {
                gone.push(uid);
            }
        }
        for &uid in &gone {
            remove_message(txn, user, mailbox, uid)?;
        }
        gone.sort_unstable();
        Ok(gone)
    })
}

/// Adds an account with an empty `INBOX`, or replaces the credentials of an existing one and
/// keeps its mail.
pub fn add_account(db: &Database, user: &str, credentials: &Credentials) -> Result<()> {
    write(db, |txn| {
        txn.open_table(ACCOUNTS)?.insert(user, &record::encode_credentials(credentials)[..])?;
        create_mailbox(txn, user, &Mailbox::inbox())
    })
}

/// The STACIE credentials of `user`, or `None` when there is no such account.
pub fn credentials(db: &Database, user: &str) -> Result<Option<Credentials>> {
    let txn = read(db)?;
    let accounts = txn.open_table(ACCOUNTS)?;
    accounts.get(user)?.map(|v| record::decode_credentials(v.value())).transpose()
}

/// Every account's user name, in name order.
pub fn account_names(db: &Database) -> Result<Vec<String>> {
    let txn = read(db)?;
    let accounts = txn.open_table(ACCOUNTS)?;
    let mut names = Vec::new();
    for entry in accounts.iter()? {
        names.push(entry?.0.value().to_owned());
    }
    Ok(names)
}

fn account_exists(txn: &ReadTransaction, user: &str) -> Result<bool> {
    Ok(txn.open_table(ACCOUNTS)?.get(user)?.is_some())
}

/// Adds an empty mailbox to an account (nothing when it exists).
pub fn add_mailbox(db: &Database, user: &str, mailbox: &Mailbox) -> Result<()> {
    write(db, |txn| {
        if txn.open_table(ACCOUNTS)?.get(user)?.is_none() {
            return Err(StoreError::NoSuchAccount);
        }
        create_mailbox(txn, user, mailbox)
    })
}

/// The user's mailboxes in name order.
pub fn mailboxes(db: &Database, user: &str) -> Result<Vec<Mailbox>> {
    names(db, user, MAILBOXES)
}

/// The mailbox names `user` has in `table` (keyed by user and name), in name order.
fn names<V: redb::Value + 'static>(
    db: &Database,
    user: &str,
    table: redb::TableDefinition<(&str, &str), V>,
) -> Result<Vec<Mailbox>> {
    let txn = read(db)?;
    if !account_exists(&txn, user)? {
        return Err(StoreError::NoSuchAccount);
    }
    let table = txn.open_table(table)?;
    let mut out = Vec::new();
    for entry in table.range((user, "")..)? {
        let (key, _) = entry?;
        let (owner, name) = key.value();
        if owner != user {
            break;
        }
        out.push(Mailbox::new(name));
    }
    Ok(out)
}

/// A mailbox's counters inside a transaction, with the exact error for a missing account or
/// mailbox.
fn state_in(txn: &ReadTransaction, user: &str, mailbox: &Mailbox) -> Result<MailboxState> {
    let table = txn.open_table(MAILBOXES)?;
    match table.get((user, mailbox.as_str()))? {
        Some(value) => {
            let MailboxRecord { uid_validity, uid_next } = MailboxRecord::decode(value.value())?;
            Ok(MailboxState { uid_validity, uid_next })
        }
        None if account_exists(txn, user)? => Err(StoreError::NoSuchMailbox),
        None => Err(StoreError::NoSuchAccount),
    }
}

/// A mailbox's UIDVALIDITY and UIDNEXT, without reading its messages.
pub fn mailbox_state(db: &Database, user: &str, mailbox: &Mailbox) -> Result<MailboxState> {
    state_in(&read(db)?, user, mailbox)
}

/// Up to `limit` messages with UIDs above `after`, in UID order: one page of a listing that
/// never holds the whole mailbox. The next page starts after the last UID returned.
pub fn messages(db: &Database, user: &str, mailbox: &Mailbox, after: u32, limit: usize) -> Result<Vec<MessageInfo>> {
    let txn = read(db)?;
    state_in(&txn, user, mailbox)?;
    let Some(first) = after.checked_add(1) else { return Ok(Vec::new()) };
    let table = txn.open_table(MESSAGES)?;
    let mut out = Vec::with_capacity(limit.min(4096));
    for entry in table.range((user, mailbox.as_str(), first)..=(user, mailbox.as_str(), u32::MAX))? {
        if out.len() == limit {
            break;
        }
        let (key, value) = entry?;
        out.push(record::decode_message(key.value().2, value.value())?);
    }
    Ok(out)
}

/// A mailbox's counters and up to `limit` messages with UIDs above `after`, in UID order, read
/// in one snapshot: one page of `Store::page`.
pub fn page(db: &Database, user: &str, mailbox: &Mailbox, after: u32, limit: usize) -> Result<MessagePage> {
    let txn = read(db)?;
    let MailboxState { uid_validity, uid_next } = state_in(&txn, user, mailbox)?;
    let mut messages = Vec::with_capacity(limit.min(4096));
    if let Some(first) = after.checked_add(1) {
        let table = txn.open_table(MESSAGES)?;
        for entry in table.range((user, mailbox.as_str(), first)..=(user, mailbox.as_str(), u32::MAX))? {
            if messages.len() == limit {
                break;
            }
            let (key, value) = entry?;
            messages.push(record::decode_message(key.value().2, value.value())?);
        }
    }
    Ok(MessagePage { uid_validity, uid_next, messages })
}

/// The metadata of those of `uids` (ascending) that are in the mailbox, in UID order, read in
/// one snapshot: one range read over `uids`' span when they are dense (the span at most twice
/// their number), one keyed lookup each otherwise.
pub fn messages_with_uids(db: &Database, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<MessageInfo>> {
    let txn = read(db)?;
    state_in(&txn, user, mailbox)?;
    let table = txn.open_table(MESSAGES)?;
    let mut out = Vec::with_capacity(uids.len().min(4096));
    let (Some(&first), Some(&last)) = (uids.first(), uids.last()) else { return Ok(out) };
    let span = u64::from(last.saturating_sub(first)) + 1;
    if span <= 2 * uids.len() as u64 {
        for entry in table.range((user, mailbox.as_str(), first)..=(user, mailbox.as_str(), last))? {
            let (key, value) = entry?;
            let uid = key.value().2;
            if uids.binary_search(&uid).is_ok() {
                out.push(record::decode_message(uid, value.value())?);
            }
        }
    } else {
        for &uid in uids {
            if let Some(value) = table.get((user, mailbox.as_str(), uid))? {
                out.push(record::decode_message(uid, value.value())?);
            }
        }
    }
    Ok(out)
}

/// One message's metadata, looked up by its key.
pub fn message(db: &Database, user: &str, mailbox: &Mailbox, uid: u32) -> Result<MessageInfo> {
    let txn = read(db)?;
    let table = txn.open_table(MESSAGES)?;
    if let Some(value) = table.get((user, mailbox.as_str(), uid))? {
        return record::decode_message(uid, value.value());
    }
    state_in(&txn, user, mailbox)?;
    Err(StoreError::NoSuchMessage)
}

/// A mailbox's counters and every message's metadata, read in one snapshot.
pub fn mailbox_view(db: &Database, user: &str, mailbox: &Mailbox) -> Result<MailboxView> {
    let txn = read(db)?;
    let MailboxState { uid_validity, uid_next } = state_in(&txn, user, mailbox)?;
    let table = txn.open_table(MESSAGES)?;
    let mut messages = Vec::new();
    for entry in table.range((user, mailbox.as_str(), 0)..=(user, mailbox.as_str(), u32::MAX))? {
        let (key, value) = entry?;
        messages.push(record::decode_message(key.value().2, value.value())?);
    }
    Ok(MailboxView { uid_validity, uid_next, messages })
}

/// The encrypted object of one message.
pub fn object(db: &Database, user: &str, mailbox: &Mailbox, uid: u32) -> Result<Vec<u8>> {
    let txn = read(db)?;
    let table = txn.open_table(OBJECTS)?;
    if let Some(value) = table.get((user, mailbox.as_str(), uid))? {
        return Ok(value.value().to_vec());
    }
    state_in(&txn, user, mailbox)?;
    Err(StoreError::NoSuchMessage)
}

/// The exact error for a missing mailbox inside a write transaction.
fn missing_mailbox(txn: &WriteTransaction, user: &str) -> Result<StoreError> {
    Ok(if txn.open_table(ACCOUNTS)?.get(user)?.is_some() {
        StoreError::NoSuchMailbox
    } else {
        StoreError::NoSuchAccount
    })
}

fn mailbox_in(txn: &WriteTransaction, user: &str, mailbox: &Mailbox) -> Result<MailboxRecord> {
    let value = txn.open_table(MAILBOXES)?.get((user, mailbox.as_str()))?.map(|v| MailboxRecord::decode(v.value()));
    match value {
        Some(record) => record,
        None => Err(missing_mailbox(txn, user)?),
    }
}

/// Replaces one message's flags.
pub fn set_flags(db: &Database, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> Result<()> {
    write(db, |txn| {
        mailbox_in(txn, user, mailbox)?;
        let mut table = txn.open_table(MESSAGES)?;
        let key = (user, mailbox.as_str(), uid);
        let mut info = match table.get(key)? {
            Some(value) => record::decode_message(uid, value.value())?,
            None => return Err(StoreError::NoSuchMessage),
        };
        info.flags = flags.to_vec();
        table.insert(key, &record::encode_message(&info)?[..])?;
        Ok(())
    })
}

/// Replaces the flags of each `(uid, flags)` in one transaction: all or, when a message is
/// not there (`NoSuchMessage`), none.
pub fn set_flags_many(db: &Database, user: &str, mailbox: &Mailbox, changes: &[(u32, Vec<Flag>)]) -> Result<()> {
    write(db, |txn| {
        mailbox_in(txn, user, mailbox)?;
        let mut table = txn.open_table(MESSAGES)?;
        for (uid, flags) in changes {
            let key = (user, mailbox.as_str(), *uid);
            let mut info = match table.get(key)? {
                Some(value) => record::decode_message(*uid, value.value())?,
                None => return Err(StoreError::NoSuchMessage),
            };
            info.flags.clone_from(flags);
            table.insert(key, &record::encode_message(&info)?[..])?;
        }
        Ok(())
    })
}

/// Removes every message flagged `\Deleted`, metadata and object together; returns their UIDs
/// in ascending order.
pub fn expunge(db: &Database, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>> {
    write(db, |txn| {
        mailbox_in(txn, user, mailbox)?;
        let mut messages = txn.open_table(MESSAGES)?;
        let mut gone = Vec::new();
        for entry in messages.range((user, mailbox.as_str(), 0)..=(user, mailbox.as_str(), u32::MAX))? {
            let (key, value) = entry?;
            let uid = key.value().2;
            if record::decode_message(uid, value.value())?.flags.contains(&Flag::Deleted) {
                gone.push(uid);
            }
        }
        let mut objects = txn.open_table(OBJECTS)?;
        for &uid in &gone {
            messages.remove((user, mailbox.as_str(), uid))?;
            objects.remove((user, mailbox.as_str(), uid))?;
        }
        Ok(gone)
    })
}

/// Stores one message under the mailbox's next UID inside `txn`.
fn append_in(
    txn: &WriteTransaction,
    user: &str,
    mailbox: &Mailbox,
    state: &mut MailboxRecord,
    flags: &[Flag],
    date: DateTime,
    object: &[u8],
) -> Result<u32> {
    let size = u32::try_from(object.len()).map_err(|_| StoreError::Refused("object too large"))?;
    let uid = state.uid_next;
    state.uid_next = uid.checked_add(1).ok_or(StoreError::Refused("UIDs exhausted"))?;
    let info = MessageInfo { uid, flags: flags.to_vec(), internal_date: date, size };
    txn.open_table(MESSAGES)?.insert((user, mailbox.as_str(), uid), &record::encode_message(&info)?[..])?;
    txn.open_table(OBJECTS)?.insert((user, mailbox.as_str(), uid), object)?;
    Ok(uid)
}

fn save_mailbox(txn: &WriteTransaction, user: &str, mailbox: &Mailbox, state: &MailboxRecord) -> Result<()> {
    txn.open_table(MAILBOXES)?.insert((user, mailbox.as_str()), &state.encode()[..])?;
    Ok(())
}

/// Stores a new message; `date` `None` means now. Returns its UID once the message, its
/// object and the mailbox's new UIDNEXT are on disk together.
pub fn append(
    db: &Database,
    user: &str,
    mailbox: &Mailbox,
    flags: &[Flag],
    date: Option<DateTime>,
    object: &[u8],
) -> Result<u32> {
    if u32::try_from(object.len()).is_err() {
        return Err(StoreError::Refused("object too large"));
    }
    let date = date.unwrap_or_else(|| DateTime::new(unix_now(), 0).unwrap_or(DateTime::UNIX_EPOCH));
    write(db, |txn| {
        let mut state = mailbox_in(txn, user, mailbox)?;
        let uid = append_in(txn, user, mailbox, &mut state, flags, date, object)?;
        save_mailbox(txn, user, mailbox, &state)?;
        Ok(uid)
    })
}

/// Stores many messages in one transaction (one fsync), e.g. to migrate a mailbox; returns the
/// UIDs they got. Either all are stored or none.
pub fn import(
    db: &Database,
    user: &str,
    mailbox: &Mailbox,
    messages: impl IntoIterator<Item = Import>,
) -> Result<Range<u32>> {
    write(db, |txn| {
        let mut state = mailbox_in(txn, user, mailbox)?;
        let first = state.uid_next;
        for (flags, date, object) in messages {
            append_in(txn, user, mailbox, &mut state, &flags, date, &object)?;
        }
        save_mailbox(txn, user, mailbox, &state)?;
        Ok(first..state.uid_next)
    })
}

/// Queues an object for relay; returns its queue id, `Q` and a number never used before in
/// this file.
pub fn submit(db: &Database, user: &str, object: &[u8]) -> Result<String> {
    if object.is_empty() {
        return Err(StoreError::Refused("empty object"));
    }
    let value = record::encode_submission(user, object)?;
    write(db, |txn| {
        let mut counters = txn.open_table(COUNTERS)?;
        let number = counters.get(LAST_QUEUE)?.map_or(0, |v| v.value()) + 1;
        counters.insert(LAST_QUEUE, number)?;
        txn.open_table(OUTBOX)?.insert(number, &value[..])?;
        Ok(format!("Q{number}"))
    })
}

/// The submissions waiting for relay, oldest first.
pub fn outbox(db: &Database) -> Result<Vec<Submission>> {
    let txn = read(db)?;
    let table = txn.open_table(OUTBOX)?;
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (key, value) = entry?;
        let (user, object) = record::decode_submission(value.value())?;
        out.push(Submission { user, id: format!("Q{}", key.value()), object });
    }
    Ok(out)
}

/// Removes a relayed submission; `false` when no submission has this id.
pub fn remove_submission(db: &Database, id: &str) -> Result<bool> {
    let Some(number) = id.strip_prefix('Q').and_then(|n| n.parse::<u64>().ok()) else { return Ok(false) };
    write(db, |txn| Ok(txn.open_table(OUTBOX)?.remove(number)?.is_some()))
}

/// Publishes a signet under `address` (an address or a domain, any case).
pub fn publish_signet(db: &Database, address: &str, signet: &Signet) -> Result<()> {
    write(db, |txn| {
        txn.open_table(SIGNETS)?.insert(address.to_ascii_lowercase().as_str(), signet.as_bytes())?;
        Ok(())
    })
}

/// Declares `domain` served here (see [`signet`]).
pub fn serve_domain(db: &Database, domain: &str) -> Result<()> {
    write(db, |txn| {
        txn.open_table(DOMAINS)?.insert(domain.to_ascii_lowercase().as_str(), ())?;
        Ok(())
    })
}

fn decode_signet(bytes: &[u8]) -> Result<Signet> {
    Signet::parse(bytes).map_err(|_| StoreError::Corrupt { table: "signets", what: "signet does not parse" })
}

/// The current signet of `address`. Once any domain is served, signets of other domains are
/// [`SignetAnswer::Elsewhere`]; until then every unpublished signet is
/// [`SignetAnswer::NotFound`].
pub fn signet(db: &Database, address: &str) -> Result<SignetAnswer> {
    let address = address.to_ascii_lowercase();
    let txn = read(db)?;
    if let Some(value) = txn.open_table(SIGNETS)?.get(address.as_str())? {
        return Ok(SignetAnswer::Found(Box::new(decode_signet(value.value())?)));
    }
    let domains = txn.open_table(DOMAINS)?;
    let domain = address.rsplit('@').next().unwrap_or_default();
    if domains.is_empty()? || domains.get(domain)?.is_some() {
        Ok(SignetAnswer::NotFound)
    } else {
        Ok(SignetAnswer::Elsewhere)
    }
}

/// Issues a user signet from a signing request and publishes it, in one transaction; returns
/// the address (the user name, or the name at the issuer's domain) and the signet.
pub fn issue_signet(db: &Database, issuer: &Issuer, user: &str, request: &Signet) -> Result<(String, Signet)> {
    let address = if user.contains('@') { user.to_ascii_lowercase() } else { format!("{user}@{}", issuer.domain) };
    write(db, |txn| {
        let mut signets = txn.open_table(SIGNETS)?;
        let previous = signets.get(address.as_str())?.map(|v| decode_signet(v.value())).transpose()?;
        let signet = issue::issue_user_signet(request, previous.as_ref(), &issuer.org, &issuer.key, &address, &[])?;
        signets.insert(address.as_str(), signet.as_bytes())?;
        Ok((address.clone(), signet))
    })
}

/// Stores the user's sealed key file, replacing any earlier one.
pub fn store_keyfile(db: &Database, user: &str, record: &KeyfileRecord) -> Result<()> {
    write(db, |txn| {
        if txn.open_table(ACCOUNTS)?.get(user)?.is_none() {
            return Err(StoreError::NoSuchAccount);
        }
        txn.open_table(KEYFILES)?.insert(user, &record::encode_keyfile(record)[..])?;
        Ok(())
    })
}

/// The user's sealed key file.
pub fn keyfile(db: &Database, user: &str) -> Result<Option<KeyfileRecord>> {
    let txn = read(db)?;
    if !account_exists(&txn, user)? {
        return Err(StoreError::NoSuchAccount);
    }
    let value = txn.open_table(KEYFILES)?.get(user)?;
    value.map(|v| record::decode_keyfile(v.value())).transpose()
}

/// Checks the invariants a crash must never break, in one snapshot: every record decodes,
/// every message has its object and its size is the object's length, no object is without
/// its message, every message belongs to a mailbox and lies below its UIDNEXT.
pub fn verify(db: &Database) -> Result<Verified> {
    let txn = read(db)?;
    let broken = |table, what| Err(StoreError::Corrupt { table, what });
    let mailboxes = txn.open_table(MAILBOXES)?;
    let messages = txn.open_table(MESSAGES)?;
    let objects = txn.open_table(OBJECTS)?;
    let mut count = 0;
    for entry in messages.iter()? {
        let (key, value) = entry?;
        let (user, name, uid) = key.value();
        let info = record::decode_message(uid, value.value())?;
        let Some(state) = mailboxes.get((user, name))? else { return broken("messages", "message without mailbox") };
        if uid == 0 || uid >= MailboxRecord::decode(state.value())?.uid_next {
            return broken("messages", "UID not below UIDNEXT");
        }
        match objects.get((user, name, uid))? {
            Some(object) if object.value().len() == info.size as usize => {}
            Some(_) => return broken("objects", "object size differs from the message's"),
            None => return broken("objects", "message without object"),
        }
        count += 1;
    }
    if objects.len()? != count as u64 {
        return broken("objects", "object without message");
    }
    for entry in txn.open_table(OUTBOX)?.iter()? {
        record::decode_submission(entry?.1.value())?;
    }
    Ok(Verified { mailboxes: mailboxes.len()? as usize, messages: count })
}
