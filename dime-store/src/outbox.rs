//! [`RedbOutbox`]: dime-dmtp's [`OutboxStore`] on a redb file, so that queued DMTP deliveries
//! survive a restart or a crash.
//!
//! Two tables of their own (`dmtp_outbox_deliveries`, `dmtp_outbox_states`, keyed by the entry
//! number); they may share a file with a [`RedbStore`](crate::RedbStore) (use
//! [`RedbOutbox::from_database`] with the same `Arc<Database>`) or live in their own. Every call
//! is one transaction committed durably before it returns, so an [`Outbox::enqueue`] that
//! returned `Ok` is on disk, and a crash leaves each entry either wholly there or wholly absent
//! (`docs/decisions.md`, "Serving (issue 11)").
//!
//! The number above every id ever inserted is kept too (counter `dmtp_outbox_next_id`), so a
//! reopened outbox never hands out an id again, not even one whose delivery is gone.
//!
//! The state's last error is kept as its text ([`RedbOutbox::last_error`]): read back, a state
//! has `last_error: None`, since an error's type does not outlive the process. Retries do not
//! depend on it ([`Outbox::finish`] judges each new error).
//!
//! [`Outbox::enqueue`]: dime_dmtp::outbox::Outbox::enqueue
//! [`Outbox::finish`]: dime_dmtp::outbox::Outbox::finish

use std::path::Path;
use std::sync::Arc;

use dime_dmtp::client::Delivery;
use dime_dmtp::outbox::{EntryId, EntryState, OutboxStore};
use redb::{Database, ReadableTable};

use crate::error::{Result, StoreError};
use crate::ops::{read, write};
use crate::record::{decode_delivery, decode_delivery_state, encode_delivery, encode_delivery_state};
use crate::tables::{COUNTERS, DMTP_DELIVERIES, DMTP_NEXT_ID, DMTP_STATES};

/// dime-dmtp's [`OutboxStore`] on redb: queued DMTP deliveries that survive a restart.
///
/// Two tables of its own and a counter (`docs/dmtp.md` §12), in its own file ([`RedbOutbox::open`])
/// or in a [`RedbStore`](crate::RedbStore)'s ([`RedbOutbox::from_database`]). Every call is one
/// transaction committed durably before it returns: an `Outbox::enqueue` that returned `Ok` is
/// on disk. Ids are never handed out twice ([`OutboxStore::next_id`]). A state's last error is
/// kept as its text ([`RedbOutbox::last_error`]); read back, states have `last_error: None`.
#[derive(Clone)]
pub struct RedbOutbox {
    db: Arc<Database>,
}

impl core::fmt::Debug for RedbOutbox {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedbOutbox").finish_non_exhaustive()
    }
}

impl RedbOutbox {
    /// Opens the outbox at `path`, creating the file when it does not exist. After a crash,
    /// redb recovers the last committed state here.
    ///
    /// Errors: [`StoreError::Database`] when the file cannot be opened or is locked.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbOutbox> {
        RedbOutbox::from_database(Arc::new(Database::create(path)?))
    }

    /// An outbox in an open database, e.g. the one a [`RedbStore`](crate::RedbStore) uses
    /// ([`RedbStore::database`](crate::RedbStore::database)); creates its tables.
    ///
    /// Errors: [`StoreError::Database`].
    pub fn from_database(db: Arc<Database>) -> Result<RedbOutbox> {
        write(&db, |txn| {
            txn.open_table(DMTP_DELIVERIES)?;
            txn.open_table(DMTP_STATES)?;
            txn.open_table(COUNTERS)?;
            Ok(())
        })?;
        Ok(RedbOutbox { db })
    }

    /// The text of the last failed attempt's error of `id`, if it failed and is still queued.
    ///
    /// Errors: [`StoreError::Corrupt`], [`StoreError::Database`].
    pub fn last_error(&self, id: EntryId) -> Result<Option<String>> {
        let txn = read(&self.db)?;
        let states = txn.open_table(DMTP_STATES)?;
        match states.get(id.0)? {
            Some(bytes) => Ok(decode_delivery_state(bytes.value())?.1),
            None => Ok(None),
        }
    }
}

impl OutboxStore for RedbOutbox {
    type Error = StoreError;

    fn insert(&mut self, id: EntryId, delivery: &Delivery, state: &EntryState) -> Result<()> {
        let state = encode_delivery_state(state)?;
        let delivery = encode_delivery(delivery);
        write(&self.db, |txn| {
            txn.open_table(DMTP_DELIVERIES)?.insert(id.0, delivery.as_slice())?;
            txn.open_table(DMTP_STATES)?.insert(id.0, state.as_slice())?;
            let mut counters = txn.open_table(COUNTERS)?;
            let next = counters.get(DMTP_NEXT_ID)?.map_or(0, |n| n.value());
            counters.insert(DMTP_NEXT_ID, next.max(id.0.saturating_add(1)))?;
            Ok(())
        })
    }

    fn update(&mut self, id: EntryId, state: &EntryState) -> Result<()> {
        let state = encode_delivery_state(state)?;
        write(&self.db, |txn| {
            let mut states = txn.open_table(DMTP_STATES)?;
            // Only a queued delivery has a state to replace.
            if states.get(id.0)?.is_some() {
                states.insert(id.0, state.as_slice())?;
            }
            Ok(())
        })
    }

    fn remove(&mut self, id: EntryId) -> Result<()> {
        write(&self.db, |txn| {
            txn.open_table(DMTP_DELIVERIES)?.remove(id.0)?;
            txn.open_table(DMTP_STATES)?.remove(id.0)?;
            Ok(())
        })
    }

    fn delivery(&self, id: EntryId) -> Result<Option<Delivery>> {
        let txn = read(&self.db)?;
        let deliveries = txn.open_table(DMTP_DELIVERIES)?;
        deliveries.get(id.0)?.map(|bytes| decode_delivery(bytes.value())).transpose()
    }

    fn states(&self) -> Result<Vec<(EntryId, EntryState)>> {
        let txn = read(&self.db)?;
        let states = txn.open_table(DMTP_STATES)?;
        let mut out = Vec::new();
        for entry in states.iter()? {
            let (id, bytes) = entry?;
            out.push((EntryId(id.value()), decode_delivery_state(bytes.value())?.0));
        }
        Ok(out)
    }

    fn next_id(&self) -> Result<u64> {
        let txn = read(&self.db)?;
        let counters = txn.open_table(COUNTERS)?;
        Ok(counters.get(DMTP_NEXT_ID)?.map_or(0, |n| n.value()))
    }
}
