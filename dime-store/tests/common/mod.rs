//! What the tests share: the setup calls both stores offer outside the `Store` trait, and
//! fixed credentials.

#![allow(dead_code)]

use dime_core::stacie::{Credentials, Salt, VerificationToken};
use dime_dmap::codec::Mailbox;
use dime_dmap::store::{Issuer, MemoryStore, Store, Submission};
use dime_signet::Signet;
use dime_store::RedbStore;

/// Fixed credentials (no key stretching needed: the store only keeps them).
pub fn credentials(n: u8) -> Credentials {
    Credentials::from_parts(Salt::from_bytes([n; 128]), 0, VerificationToken::from_bytes([n ^ 0x5a; 64])).unwrap()
}

/// A store under test, with the setup calls that are not part of [`Store`].
pub trait TestStore: Store {
    fn add_account(&mut self, user: &str, credentials: Credentials);
    fn add_mailbox(&mut self, user: &str, mailbox: &Mailbox);
    fn publish_signet(&mut self, address: &str, signet: Signet);
    fn serve_domain(&mut self, domain: &str);
    fn set_issuer(&mut self, issuer: Issuer);
    fn outbox(&self) -> Vec<Submission>;
}

impl TestStore for MemoryStore {
    fn add_account(&mut self, user: &str, credentials: Credentials) {
        MemoryStore::add_account(self, user, credentials);
    }
    fn add_mailbox(&mut self, user: &str, mailbox: &Mailbox) {
        MemoryStore::add_mailbox(self, user, mailbox).unwrap();
    }
    fn publish_signet(&mut self, address: &str, signet: Signet) {
        MemoryStore::publish_signet(self, address, signet);
    }
    fn serve_domain(&mut self, domain: &str) {
        MemoryStore::serve_domain(self, domain);
    }
    fn set_issuer(&mut self, issuer: Issuer) {
        MemoryStore::set_issuer(self, issuer);
    }
    fn outbox(&self) -> Vec<Submission> {
        MemoryStore::outbox(self)
    }
}

/// A [`RedbStore`] in a temporary directory that lives as long as the store.
pub struct TempRedb {
    pub store: RedbStore,
    pub dir: tempfile::TempDir,
}

impl TempRedb {
    pub fn new() -> TempRedb {
        let dir = tempfile::tempdir().unwrap();
        TempRedb { store: RedbStore::open(dir.path().join("mail.redb")).unwrap(), dir }
    }

    /// Closes the database and opens the file again.
    pub fn reopen(self) -> TempRedb {
        let TempRedb { store, dir } = self;
        drop(store);
        TempRedb { store: RedbStore::open(dir.path().join("mail.redb")).unwrap(), dir }
    }
}

impl Store for TempRedb {
    async fn credentials(&self, username: &str) -> dime_dmap::Result<Option<Credentials>> {
        self.store.credentials(username).await
    }
    async fn mailboxes(&self, user: &str) -> dime_dmap::Result<Vec<Mailbox>> {
        self.store.mailboxes(user).await
    }
    async fn mailbox(&self, user: &str, mailbox: &Mailbox) -> dime_dmap::Result<dime_dmap::store::MailboxView> {
        self.store.mailbox(user, mailbox).await
    }
    async fn page(
        &self,
        user: &str,
        mailbox: &Mailbox,
        after: u32,
        limit: usize,
    ) -> dime_dmap::Result<dime_dmap::store::MessagePage> {
        self.store.page(user, mailbox, after, limit).await
    }
    async fn messages(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uids: &[u32],
    ) -> dime_dmap::Result<Vec<dime_dmap::store::MessageInfo>> {
        self.store.messages(user, mailbox, uids).await
    }
    async fn object(&self, user: &str, mailbox: &Mailbox, uid: u32) -> dime_dmap::Result<Vec<u8>> {
        self.store.object(user, mailbox, uid).await
    }
    async fn set_flags(
        &self,
        user: &str,
        mailbox: &Mailbox,
        uid: u32,
        flags: &[dime_dmap::codec::Flag],
    ) -> dime_dmap::Result<()> {
        self.store.set_flags(user, mailbox, uid, flags).await
    }
    async fn set_flags_many(
        &self,
        user: &str,
        mailbox: &Mailbox,
        changes: &[(u32, Vec<dime_dmap::codec::Flag>)],
    ) -> dime_dmap::Result<()> {
        self.store.set_flags_many(user, mailbox, changes).await
    }
    async fn expunge(&self, user: &str, mailbox: &Mailbox) -> dime_dmap::Result<Vec<u32>> {
        self.store.expunge(user, mailbox).await
    }
    async fn append(
        &self,
        user: &str,
        mailbox: &Mailbox,
        flags: &[dime_dmap::codec::Flag],
        date: Option<dime_dmap::codec::DateTime>,
        object: Vec<u8>,
    ) -> dime_dmap::Result<u32> {
        self.store.append(user, mailbox, flags, date, object).await
    }
    async fn submit(&self, user: &str, object: Vec<u8>) -> dime_dmap::Result<String> {
        self.store.submit(user, object).await
    }
    async fn issue_signet(&self, user: &str, request: &Signet) -> dime_dmap::Result<(String, Signet)> {
        self.store.issue_signet(user, request).await
    }
    async fn signet(&self, address: &str) -> dime_dmap::Result<dime_dmap::store::SignetAnswer> {
        self.store.signet(address).await
    }
    async fn store_keyfile(&self, user: &str, record: dime_dmap::store::KeyfileRecord) -> dime_dmap::Result<()> {
        self.store.store_keyfile(user, record).await
    }
    async fn keyfile(&self, user: &str) -> dime_dmap::Result<Option<dime_dmap::store::KeyfileRecord>> {
        self.store.keyfile(user).await
    }
    async fn uid_validity(&self, user: &str, mailbox: &Mailbox) -> dime_dmap::Result<u32> {
        self.store.uid_validity(user, mailbox).await
    }
    async fn create_mailbox(&self, user: &str, mailbox: &Mailbox) -> dime_dmap::Result<()> {
        self.store.create_mailbox(user, mailbox).await
    }
    async fn delete_mailbox(&self, user: &str, mailbox: &Mailbox) -> dime_dmap::Result<()> {
        self.store.delete_mailbox(user, mailbox).await
    }
    async fn rename_mailbox(&self, user: &str, from: &Mailbox, to: &Mailbox) -> dime_dmap::Result<()> {
        self.store.rename_mailbox(user, from, to).await
    }
    async fn set_subscribed(&self, user: &str, mailbox: &Mailbox, subscribed: bool) -> dime_dmap::Result<()> {
        self.store.set_subscribed(user, mailbox, subscribed).await
    }
    async fn subscriptions(&self, user: &str) -> dime_dmap::Result<Vec<Mailbox>> {
        self.store.subscriptions(user).await
    }
    async fn copy(&self, user: &str, from: &Mailbox, uids: &[u32], to: &Mailbox) -> dime_dmap::Result<Vec<(u32, u32)>> {
        self.store.copy(user, from, uids, to).await
    }
    async fn move_messages(
        &self,
        user: &str,
        from: &Mailbox,
        uids: &[u32],
        to: &Mailbox,
    ) -> dime_dmap::Result<Vec<(u32, u32)>> {
        self.store.move_messages(user, from, uids, to).await
    }
    async fn expunge_uids(&self, user: &str, mailbox: &Mailbox, uids: &[u32]) -> dime_dmap::Result<Vec<u32>> {
        self.store.expunge_uids(user, mailbox, uids).await
    }
}

impl TestStore for TempRedb {
    fn add_account(&mut self, user: &str, credentials: Credentials) {
        self.store.add_account(user, &credentials).unwrap();
    }
    fn add_mailbox(&mut self, user: &str, mailbox: &Mailbox) {
        self.store.add_mailbox(user, mailbox).unwrap();
    }
    fn publish_signet(&mut self, address: &str, signet: Signet) {
        self.store.publish_signet(address, &signet).unwrap();
    }
    fn serve_domain(&mut self, domain: &str) {
        self.store.serve_domain(domain).unwrap();
    }
    fn set_issuer(&mut self, issuer: Issuer) {
        self.store.set_issuer(issuer);
    }
    fn outbox(&self) -> Vec<Submission> {
        self.store.outbox().unwrap()
    }
}
