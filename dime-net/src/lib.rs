//! The network edge the DMTP and DMAP drivers share, on tokio.
//!
//! Everything a peer can reach before a protocol session has a say runs here, once for both
//! protocols:
//!
//! * [`Listener`]: the accept loop. Accept errors that concern one connection or a resource
//!   running out (`EMFILE`, `ENFILE`, `ECONNABORTED`, ...) are counted, waited out for
//!   [`EdgeConfig::accept_backoff`] and survived ([`accept::is_transient`]); connections over
//!   the per-listener or per-source cap get the protocol's refusal ([`Refusal`]) and are closed;
//!   a [`Handle`] stops the loop gracefully.
//! * [`dial`]: deadlines for connects and TLS handshakes ([`Dial`], [`within`]).
//!
//! The protocol crates stay sans-IO; their drivers (`dime_dmtp::driver`,
//! `dime_dmap::driver`) run their sessions inside the futures this crate spawns.

pub mod accept;
mod caps;
mod config;
pub mod dial;
mod error;
mod listener;

pub use accept::Accept;
pub use caps::{Refusal, Source};
pub use config::EdgeConfig;
pub use dial::{Dial, Phase, within};
pub use error::Error;
pub use listener::{Handle, Listener, Stats, refuse_with_line};
