//! # dime-dmap
//!
//! DMAP, the DIME mail access protocol: a strict superset of IMAP4rev1 syntax in which users
//! log in with `AUTHENTICATE STACIE` (a zero-knowledge password proof), messages are stored and
//! fetched as encrypted DIME objects, and extension commands submit objects for relay, turn
//! signet signing requests into signets, look signets up, and keep the user's key file sealed
//! under a STACIE realm key. `docs/dmap.md` specifies the protocol normatively.
//!
//! | module | what |
//! | --- | --- |
//! | `driver` | (feature `tokio`) serving (`listen`) and the typed `Client` (`list`, `select`, `fetch`, `submit`, `signet`, `idle`, ...) over TLS with tokio and rustls |
//! | [`server`] | [`server::ServerSession`], the sans-IO server state machine |
//! | [`store`] | the application's [`store::Store`] trait and the in-memory [`store::MemoryStore`] |
//! | [`client`] | [`client::ClientSession`], the sans-IO client state machine |
//! | [`SessionLimits`] | size, output and time limits of both sessions |
//! | [`sasl`] | the `AUTHENTICATE STACIE` messages and the decoys for unknown users |
//! | [`keyfile`] | sealing the user's key file for `KEYFILE STORE` |
//! | [`codec`] | low-level: the IMAP4rev1 + DMAP codec (fragmentizer with size limits, commands, responses) the sessions use; callers meet its values (mailbox names, flags, dates) |
//!
//! A session is driven by feeding it bytes and draining it:
//!
//! ```
//! use dime_dmap::server::{ServerConfig, ServerSession};
//! use dime_dmap::store::{MemoryStore, block_on};
//! use dime_dmap::{Interrupt, sasl::DecoySecret};
//!
//! let config = ServerConfig::new("example.org", DecoySecret::from_bytes([7; 32]));
//! let now = std::time::Instant::now();
//! let mut server = ServerSession::new(config, MemoryStore::new(), now);
//! server.enqueue_input(now, b"a1 CAPABILITY\r\na2 LOGIN alice secret\r\na3 NOOP\r\n");
//! let mut wire = Vec::new();
//! loop {
//!     match server.next() {
//!         Ok(_event) => {}
//!         Err(Interrupt::Output(bytes)) => wire.extend_from_slice(&bytes),
//!         // A command needs the store (here `NOOP`): an async runtime awaits this instead.
//!         Err(Interrupt::Store) => block_on(server.run_store()),
//!         // AwaitingAnswer: a signet lookup is out (never, with this store).
//!         Err(Interrupt::NeedMoreInput | Interrupt::AwaitingAnswer | Interrupt::Closed) => break,
//!     }
//! }
//! let text = String::from_utf8(wire).unwrap();
//! assert!(text.starts_with("* OK [CAPABILITY IMAP4rev1 DMAPv1 AUTH=STACIE"));
//! assert!(text.contains("a2 NO [CANNOT] LOGIN is disabled, use AUTHENTICATE STACIE\r\n"));
//! assert!(text.ends_with("a3 OK NOOP completed\r\n"));
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod client;
pub mod codec;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod error;
pub mod keyfile;
pub mod limits;
pub mod sasl;
pub mod server;
pub mod session;
pub mod store;

pub use error::{DmapError, Result};
pub use limits::SessionLimits;
pub use session::{Interrupt, State};
