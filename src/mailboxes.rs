//! DMTP → DMAP: a destination's accepted objects delivered into its users' DMAP mailboxes.
//!
//! A DX server hands each object that passed the destination check to its [`Spool`]
//! ([`Spool::commit`] with the [`CheckedMessage`]). [`Mailboxes`] gives out a spool that keeps the
//! object's bytes as they arrive and, at commit, appends them to the `INBOX` of the recipient
//! the destination envelope names, in the same DMAP [`Store`] the DMAP server runs on, then wakes
//! every DMAP session of that store ([`Mailboxes::changes`], the DMAP driver's
//! [`Hooks::changes`](dime_dmap::driver::Hooks::changes)): a client in `IDLE` on the recipient's
//! `INBOX` is sent `* n EXISTS` at once.
//!
//! ```no_run
//! # use dime::dmap::store::MemoryStore;
//! # use std::sync::Arc;
//! use dime::dmap::driver::Hooks;
//! use dime::mailboxes::Mailboxes;
//!
//! let store = Arc::new(MemoryStore::new()); // or a dime_store::RedbStore
//! let mailboxes = Mailboxes::new(store.clone());
//! // The DMTP server's `ServerApp::open_spool` returns `Ok(mailboxes.spool())`; the DMAP
//! // server's sessions run on `store` with these hooks.
//! let hooks = Hooks { changes: Some(mailboxes.changes()), ..Hooks::default() };
//! # drop(hooks);
//! ```
//!
//! What the recipient's server answers (`docs/architecture.md`, "From DMTP into DMAP"):
//! `250 OK` once the object is stored; `554 INVALID RECIPIENT - NO SUCH USER` when the store
//! has no account for the recipient; `550 ACCOUNT LOCKED` when the store refuses the object by
//! policy ([`DmapError::StoreRefused`], a quota say); `451` for any other store failure, so the
//! origin tries again later. Nothing is stored and no session is woken unless the answer is
//! `250`.
//!
//! The object is held in memory until it is stored, so its size is bounded by the DMTP
//! server's `SIZE` limit ([`ServerConfig`](dime_dmtp::server::ServerConfig)); the store's
//! calls, which may wait for the disk (a redb commit is durable), run on tokio's blocking pool.

use std::sync::Arc;

use dime_dmap::DmapError;
use dime_dmap::codec::Mailbox;
use dime_dmap::store::Store;
use dime_dmtp::driver::Spool;
use dime_dmtp::object::CheckedMessage;
use dime_dmtp::server::Rejection;
use tokio::sync::Notify;

/// The DMAP mailboxes a DMTP destination delivers into: one store, shared with the DMAP
/// server, and the notification its sessions wait on.
#[derive(Debug, Clone)]
pub struct Mailboxes<S> {
    store: S,
    changes: Arc<Notify>,
}

impl<S: Store + Clone + 'static> Mailboxes<S> {
    /// Delivers into `store` (a clone of it goes to each spool: a `RedbStore`'s clones share
    /// its files, an `Arc`'s one store).
    pub fn new(store: S) -> Mailboxes<S> {
        Mailboxes { store, changes: Arc::new(Notify::new()) }
    }

    /// The spool for one incoming object: what a DMTP `ServerApp::open_spool` returns.
    pub fn spool(&self) -> MailboxSpool<S> {
        MailboxSpool { store: self.store.clone(), changes: self.changes.clone(), object: Vec::new() }
    }

    /// Notified after every delivery: give it to the DMAP driver as
    /// [`Hooks::changes`](dime_dmap::driver::Hooks::changes) of every session of this store.
    pub fn changes(&self) -> Arc<Notify> {
        self.changes.clone()
    }
}

/// One incoming object on its way into its recipient's `INBOX` ([`Mailboxes::spool`]).
#[derive(Debug)]
pub struct MailboxSpool<S> {
    store: S,
    changes: Arc<Notify>,
    object: Vec<u8>,
}

impl<S: Store + 'static> Spool for MailboxSpool<S> {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Rejection> {
        self.object.extend_from_slice(bytes);
        Ok(())
    }

    async fn commit(self, checked: CheckedMessage) -> Result<(), Rejection> {
        let MailboxSpool { store, changes, object } = self;
        let recipient = checked.view().envelope.recipient.clone();
        // A task of its own, so that a store call that panics is a `451`, not a lost connection.
        let stored = tokio::spawn(async move { deliver(&store, &recipient, object).await }).await;
        match stored {
            Ok(Ok(_uid)) => {
                changes.notify_waiters();
                Ok(())
            }
            Ok(Err(refused)) => Err(refused),
            // The store's call panicked or the runtime is shutting down.
            Err(_) => Err(Rejection::TemporaryFailure),
        }
    }

    async fn abort(self) {}
}

/// Appends `object` to the `INBOX` of `recipient` (its account must exist); the UID it got.
/// The one place this module calls the store.
async fn deliver<S: Store>(store: &S, recipient: &str, object: Vec<u8>) -> Result<u32, Rejection> {
    match store.credentials(recipient).await {
        Ok(Some(_)) => {}
        Ok(None) => return Err(Rejection::InvalidRecipient),
        Err(error) => return Err(rejection(&error)),
    }
    store.append(recipient, &Mailbox::inbox(), &[], None, object).await.map_err(|error| rejection(&error))
}

/// The DMTP answer to a store's refusal: a policy refusal is permanent (`550`), anything else
/// may pass later (`451`).
fn rejection(error: &DmapError) -> Rejection {
    match error {
        DmapError::StoreRefused(_) => Rejection::AccountLocked,
        _ => Rejection::TemporaryFailure,
    }
}

#[cfg(test)]
mod tests {
    use dime_core::stacie::{Credentials, Password, Username};
    use dime_dmap::store::{MemoryStore, block_on};

    use super::*;

    fn store_with(user: &str) -> MemoryStore {
        let store = MemoryStore::new();
        let name = Username::new(user.as_bytes()).unwrap();
        let password = Password::new(b"correct horse battery staple").unwrap();
        store.add_account(user, Credentials::create(&name, &password, 0).unwrap().0);
        store
    }

    #[test]
    fn an_object_for_an_account_lands_in_its_inbox() {
        let store = store_with("bob@example.net");
        assert_eq!(block_on(deliver(&store, "bob@example.net", b"object".to_vec())), Ok(1));
        assert_eq!(block_on(deliver(&store, "bob@example.net", b"another".to_vec())), Ok(2));
        let inbox = block_on(store.mailbox("bob@example.net", &Mailbox::inbox())).unwrap();
        assert_eq!(inbox.messages.len(), 2);
        assert_eq!(block_on(store.object("bob@example.net", &Mailbox::inbox(), 1)).unwrap(), b"object");
    }

    #[test]
    fn an_unknown_recipient_is_554_and_nothing_is_stored() {
        let store = store_with("bob@example.net");
        assert_eq!(block_on(deliver(&store, "eve@example.net", b"object".to_vec())), Err(Rejection::InvalidRecipient));
        assert!(block_on(store.mailbox("bob@example.net", &Mailbox::inbox())).unwrap().messages.is_empty());
    }

    #[test]
    fn store_failures_are_permanent_only_for_policy_refusals() {
        assert_eq!(rejection(&DmapError::StoreRefused("over quota".into())), Rejection::AccountLocked);
        assert_eq!(rejection(&DmapError::StoreUnavailable("disk".into())), Rejection::TemporaryFailure);
        assert_eq!(rejection(&DmapError::NoSuchMailbox), Rejection::TemporaryFailure);
    }
}
