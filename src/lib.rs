//! # dime
//!
//! DIME, the Dark Internet Mail Environment, in Rust. This crate re-exports the crate family:
//! [`core`] (shared codecs, keys, armor, STACIE), [`signet`] (signets, key files, management
//! records), [`message`] (the encrypted message object), [`dmtp`] and [`dmap`] (the protocols,
//! sans-IO). `cargo run --example quickstart` shows all of them together, and the
//! [guide](https://github.com/dime-rs/dime-rs/blob/main/docs/guide.md) (`docs/guide.md`) has
//! short complete programs for the common tasks (fetch and open a message, validate a signet
//! from DNS), each compiled by the tests.
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
