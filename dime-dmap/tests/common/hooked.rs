//! A memory store whose calls a test can watch or hold: every call awaits the test's [`Hook`]
//! first, then runs on the memory store.

use std::future::Future;

use dime_core::stacie::Credentials;
use dime_dmap::Result;
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::store::{KeyfileRecord, MailboxView, MemoryStore, SignetAnswer, Store};
use dime_signet::Signet;

/// What a test does before each store call.
pub trait Hook: Send + Sync {
    /// Runs before the store method `method` for `user` (the address, for `signet`).
    fn before(&self, method: &'static str, user: &str) -> impl Future<Output = ()> + Send;
}

/// [`MemoryStore`] with a [`Hook`] before every call.
pub struct Hooked<H> {
    pub inner: MemoryStore,
    pub hook: H,
}

impl<H: Hook> Store for Hooked<H> {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        self.hook.before("credentials", username).await;
        self.inner.credentials(username).await
    }
    async fn mailboxes(&self, user: &str) -> Result<Vec<Mailbox>> {
        self.hook.before("mailboxes", user).await;
        self.inner.mailboxes(user).await
    }
    async fn mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<MailboxView> {
        self.hook.before("mailbox", user).await;
        self.inner.mailbox(user, mailbox).await
    }
    async fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> Result<Vec<u8>> {
        self.hook.before("object", user).await;
        self.inner.object(user, mailbox, uid).await
    }
    async fn set_flags(&self, user: &str, mailbox: &Mailbox, uid: u32, flags: &[Flag]) -> Result<()> {
        self.hook.before("set_flags", user).await;
        self.inner.set_flags(user, mailbox, uid, flags).await
    }
    async fn set_flags_many(&self, user: &str, mailbox: &Mailbox, changes: &[(u32, Vec<Flag>)]) -> Result<()> {
        self.hook.before("set_flags_many", user).await;
        self.inner.set_flags_many(user, mailbox, changes).await
    }
    async fn expunge(&self, user: &str, mailbox: &Mailbox) -> Result<Vec<u32>> {
        self.hook.before("expunge", user).await;
        self.inner.expunge(user, mailbox).await
    }
    async fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) -> Result<u32> {
        self.hook.before("append", user).await;
        self.inner.append(user, mailbox, flags, date, object).await
    }
    async fn submit(&self, user: &str, object: Vec<u8>) -> Result<String> {
        self.hook.before("submit", user).await;
        self.inner.submit(user, object).await
    }
    async fn issue_signet(&self, user: &str, request: &Signet) -> Result<(String, Signet)> {
        self.hook.before("issue_signet", user).await;
        self.inner.issue_signet(user, request).await
    }
    async fn signet(&self, address: &str) -> Result<SignetAnswer> {
        self.hook.before("signet", address).await;
        self.inner.signet(address).await
    }
    async fn store_keyfile(&self, user: &str, record: KeyfileRecord) -> Result<()> {
        self.hook.before("store_keyfile", user).await;
        self.inner.store_keyfile(user, record).await
    }
    async fn keyfile(&self, user: &str) -> Result<Option<KeyfileRecord>> {
        self.hook.before("keyfile", user).await;
        self.inner.keyfile(user).await
    }
    async fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> Result<u32> {
        self.hook.before("uid_validity", user).await;
        self.inner.uid_validity(user, mailbox).await
    }
    async fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        self.hook.before("create_mailbox", user).await;
        self.inner.create_mailbox(user, mailbox).await
    }
    async fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> Result<()> {
        self.hook.before("delete_mailbox", user).await;
        self.inner.delete_mailbox(user, mailbox).await
    }
    async fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> Result<()> {
        self.hook.before("rename_mailbox", user).await;
        self.inner.rename_mailbox(user, from, to).await
    }
    async fn set_subscribed(&self, user: &str, mailbox: &Mailbox, subscribed: bool) -> Result<()> {
        self.hook.before("set_subscribed", user).await;
        self.inner.set_subscribed(user, mailbox, subscribed).await
    }
    async fn subscriptions(&self, user: &str) -> Result<Vec<Mailbox>> {
        self.hook.before("subscriptions", user).await;
        self.inner.subscriptions(user).await
    }
    async fn copy(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
        self.hook.before("copy", user).await;
        self.inner.copy(user, from, uids, to).await
    }
    async fn move_messages(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> Result<Vec<(u32, u32)>> {
        self.hook.before("move_messages", user).await;
        self.inner.move_messages(user, from, uids, to).await
    }
    async fn expunge_uids(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> Result<Vec<u32>> {
        self.hook.before("expunge_uids", user).await;
        self.inner.expunge_uids(user, mailbox, uids).await
    }
}
