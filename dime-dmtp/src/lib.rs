//! # dime-dmtp
//!
//! DMTP, the DIME message transfer protocol, as `docs/dmtp.md` specifies it.
//!
//! * [`wire`]: typed commands and replies with a nom codec (parse and serialize are exact
//!   inverses), CRLF line framing with explicit limits.
//! * [`server`]: the sans-IO server session (native and dual mode, pipelining, the DATA phase,
//!   deadlines, a violation counter); the application answers its events.
//! * [`client`]: the sans-IO client session (delivery and lookups) with typed results.
//! * [`resolve`]: signet resolution as a sans-IO planner: DX host choice, the DX certificate
//!   decision, org and user signet validation, HIST chain walks, and a cache.
//! * [`object`]: the DATA-phase object check as the destination, using `dime-message`.
//! * `driver` (feature `tokio`): `serve`, `deliver` and `lookup` over TCP with rustls.
//! * `dns` (feature `dns`): `_dx` TXT and MX lookups with hickory-resolver.
//!
//! Nothing outside the driver modules opens a socket, reads a clock or spawns a task.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod object;
pub mod resolve;
pub mod server;
pub mod wire;

#[cfg(feature = "dns")]
pub mod dns;
#[cfg(feature = "tokio")]
pub mod driver;

pub use error::{DmtpError, Result};
