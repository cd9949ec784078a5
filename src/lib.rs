//! # dime
//!
//! DIME, the Dark Internet Mail Environment, in Rust. This crate re-exports the crate family:
//! [`core`] (shared codecs, keys, armor, STACIE), [`signet`] (signets, key files, management
//! records), [`message`] (the encrypted message object), [`dmtp`] and [`dmap`] (the protocols,
//! sans-IO); with features, `net` (TLS setup and the listener both drivers share), `store`
//! (the persistent DMAP store) and `mailboxes` (DMTP deliveries into DMAP mailboxes). `cargo run --example quickstart` shows all of them together, and the
//! [guide](https://github.com/dime-rs/dime-rs/blob/main/docs/guide.md) (`docs/guide.md`) has
//! short complete programs for the common tasks (send a message, fetch and open one, validate a
//! signet from DNS, serve DMTP, serve DMAP, deliver DMTP into DMAP mailboxes, use the C
//! interface), each compiled by the tests.
//!
//! ```
//! use dime::core::keys::{EncryptionSecretKey, SigningSecretKey};
//! use dime::signet::{Context, SignetState, issue, record::ManagementRecord};
//!
//! // An organization publishes its POK in DNS and signs its own signet with it.
//! let pok = SigningSecretKey::generate()?;
//! let org = issue::new_org_signet(&pok, &EncryptionSecretKey::generate()?.public()?, "example.org")?;
//! let record: ManagementRecord = ManagementRecord::builder(pok.public()).build()?.to_string().parse()?;
//!
//! // Anyone checks the signet against the record.
//! let context = Context { poks: Some(record.poks()), ..Context::default() };
//! assert_eq!(org.validate(&context).state, SignetState::Id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use dime_core as core;
pub use dime_dmap as dmap;
pub use dime_dmtp as dmtp;
pub use dime_message as message;
pub use dime_signet as signet;

/// The network edge both drivers share (feature `dmtp-tokio` or `dmap-tokio`): a server's TLS
/// identity from PEM files ([`net::tls::ServerIdentity`]), client trust roots
/// ([`net::tls::Roots`]), connection caps and graceful shutdown.
#[cfg(any(feature = "dmtp-tokio", feature = "dmap-tokio"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "dmtp-tokio", feature = "dmap-tokio"))))]
pub use dime_net as net;

/// The persistent, crash-safe DMAP store (feature `store`): [`store::RedbStore`] implements
/// [`dmap::store::Store`] on one redb file.
#[cfg(feature = "store")]
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub use dime_store as store;

#[cfg(all(feature = "dmtp-tokio", feature = "dmap-tokio"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "dmtp-tokio", feature = "dmap-tokio"))))]
pub mod mailboxes;

/// Sending from Rust in one call (feature `dns`): an origin's [`Sender`](send::Sender) and a
/// [`Resolver`](send::Resolver) whose [`send`](send::Resolver::send) resolves the recipient from
/// DNS down, composes, countersigns and delivers over DMTP; an optional
/// [`outbox`](send::outbox) retries what failed. The resolver's DNS client usually comes from
/// the system's configuration ([`DnsClient::from_system_conf`](send::DnsClient::from_system_conf),
/// `/etc/resolv.conf`). `docs/guide.md` ("Send a message") has a complete program.
#[cfg(feature = "dns")]
#[cfg_attr(docsrs, doc(cfg(feature = "dns")))]
pub mod send {
    pub use dime_dmtp::DmtpError;
    pub use dime_dmtp::dns::{DnsClient, Dnssec, Resolver, TrustAnchors};
    pub use dime_dmtp::driver::{ClientOptions, ClientTls, Roots};
    pub use dime_dmtp::outbox;
    pub use dime_dmtp::send::{Origin, Sender};
}

/// The programs of `docs/guide.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
pub struct Guide;
