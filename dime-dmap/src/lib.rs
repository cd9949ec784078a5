//! # dime-dmap
//!
//! DMAP, the DIME mail access protocol: a strict superset of IMAP4rev1 syntax in which users
//! log in with `AUTHENTICATE STACIE` (a zero-knowledge password proof), messages are stored and
//! fetched as encrypted DIME objects, and extension commands submit objects for relay, turn
//! signet signing requests into signets, look signets up, and keep the user's key file sealed
//! under a STACIE realm key. `docs/dmap.md` specifies the protocol normatively.
#![forbid(unsafe_code)]
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

pub use error::{DmapError, Result, StoreError};
pub use limits::Limits;
pub use session::{Interrupt, State};
