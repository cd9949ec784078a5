//! Persistent DMAP mail stores.
//!
//! [`RedbStore`] implements `dime_dmap`'s [`Store`](dime_dmap::store::Store) trait on
//! [redb](https://docs.rs/redb) database files (one shared, one per account, so separate
//! accounts' writes never wait for each other): accounts with STACIE credentials, mailboxes
//! with UIDVALIDITY and UIDNEXT, messages with flags and internal dates, the relay outbox,
//! published signets, served domains and sealed key files. Every acknowledged write is one
//! durable transaction, so an `APPEND`, `SUBMIT`, flag change or expunge that was answered
//! `OK` survives a crash, and a crash never leaves half a write visible (`docs/dmap.md` §12).
//!
//! It is its own crate so that the protocol crate stays free of a database dependency.
//!
//! | module | what |
//! | --- | --- |
//! | [`ops`] | every operation as a plain function over a [`redb::Database`], one transaction each |
//! | [`RedbStore`] | the [`Store`](dime_dmap::store::Store) implementation over those functions |
//! | [`error`] | [`StoreError`] and how it is answered over DMAP |
//! | [`RedbOutbox`] | dime-dmtp's outbox storage: queued DMTP deliveries, durable like the rest |
//!
//! ```
//! use dime_dmap::codec::Mailbox;
//! use dime_dmap::store::{Store, block_on};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("dime-store-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let credentials = dime_core::stacie::Credentials::from_parts(
//! #     dime_core::stacie::Salt::from_bytes([1; 128]), 0,
//! #     dime_core::stacie::VerificationToken::from_bytes([2; 64]))?;
//! let store = dime_store::RedbStore::open(dir.join("mail.redb"))?;
//! store.add_account("alice@example.org", &credentials)?;
//! // A server awaits these in its runtime; a synchronous caller blocks on them.
//! let uid = block_on(store.append("alice@example.org", &Mailbox::inbox(), &[], None, b"object".to_vec()))?;
//! assert_eq!(block_on(store.object("alice@example.org", &Mailbox::inbox(), uid))?, b"object");
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod error;
pub mod ops;
mod outbox;
mod record;
mod redb_store;
mod tables;

pub use error::{Result, StoreError};
pub use outbox::RedbOutbox;
pub use redb;
pub use redb_store::{RedbOptions, RedbStore};
