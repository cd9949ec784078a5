//! # dime-dmtp
//!
//! DMTP, the DIME message transfer protocol, as `docs/dmtp.md` specifies it.
//!
//! Entry points, most used first:
//!
//! * `dns` (feature `dns`): `Resolver::send` and `Resolver::relay` resolve a recipient's domain,
//!   validate its signets from DNS down and deliver; `_dx` TXT and MX lookups with hickory.
//! * [`send`]: an origin's keys and signets, and composing and countersigning a delivery.
//! * `driver` (feature `tokio`): `serve`, `deliver` and `lookup` over TCP with rustls.
//! * [`server`]: the sans-IO server session (native and dual mode, pipelining, the DATA phase,
//!   deadlines, a violation counter); the application answers its events.
//! * [`client`]: the sans-IO client session (delivery and lookups) with typed results.
//! * [`object`]: the DATA-phase object check as the destination, using `dime-message`.
//! * [`outbox`]: an optional outbox: a store trait, retries with backoff, bounces.
//! * [`resolve`]: signet resolution as a sans-IO planner: DX host choice, the DX certificate
//!   decision, org and user signet validation, HIST chain walks, and a cache.
//! * [`wire`] (low-level): typed commands and replies with a nom codec (parse and serialize are
//!   exact inverses), CRLF line framing with explicit limits; the sessions use it, callers meet
//!   its argument values.
//!
//! Nothing outside the driver modules opens a socket, reads a clock or spawns a task.
//!
//! A server session driven by hand: bytes in, replies out, time passed in by the caller.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//!
//! use dime_dmtp::server::{ListenMode, ServedDomain, ServerConfig, ServerSession};
//! use dime_signet::record::HostName;
//!
//! let served = vec![ServedDomain { domain: HostName::new("example.net")?, fingerprints: vec![] }];
//! let config = ServerConfig::new(HostName::new("dx.example.net")?, ListenMode::Native, served);
//! let now = Instant::now();
//! let mut session = ServerSession::new(Arc::new(config), now);
//! session.tls_established(now)?; // native mode: TLS from the first byte, then the banner
//! let banner = session.poll_transmit().expect("banner");
//! assert!(banner.starts_with(b"220 "));
//!
//! session.enqueue_input(now, b"NOOP\r\n");
//! assert_eq!(&session.poll_transmit().expect("reply")[..], b"250 OK\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod object;
pub mod outbox;
pub mod resolve;
pub mod send;
pub mod server;
pub mod wire;

#[cfg(feature = "dns")]
pub mod dns;
#[cfg(feature = "tokio")]
pub mod driver;
#[cfg(feature = "tokio")]
mod trace;

pub use error::{DmtpError, DnsErrorKind, Result, TimeoutPhase};
