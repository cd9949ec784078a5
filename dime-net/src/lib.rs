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
//! * [`tls`]: the TLS profile both protocols use, a server's chain and key from PEM files
//!   ([`tls::ServerIdentity`]), and a client's trust roots ([`tls::Roots`]).
//!
//! The protocol crates stay sans-IO; their drivers (`dime_dmtp::driver`,
//! `dime_dmap::driver`) run their sessions inside the futures this crate spawns.
//!
//! ```no_run
//! use dime_net::{EdgeConfig, Listener, refuse_with_line};
//! use tokio::io::AsyncWriteExt;
//!
//! # async fn serve() -> std::io::Result<()> {
//! let tcp = tokio::net::TcpListener::bind("127.0.0.1:2525").await?;
//! let listener = Listener::new(tcp, EdgeConfig::new().with_max_per_source(8));
//! let handle = listener.handle(); // handle.shutdown(grace) ends the loop gracefully
//! listener
//!     .run(
//!         |mut stream, _peer| async move {
//!             let _ = stream.write_all(b"220 hello\r\n").await;
//!         },
//!         |stream, _refusal| refuse_with_line(stream, b"421 busy\r\n"),
//!     )
//!     .await?;
//! # drop(handle);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod accept;
mod caps;
mod config;
pub mod dial;
mod error;
mod listener;
pub mod tls;
mod trace;

pub use accept::Accept;
pub use caps::{Refusal, Source};
pub use config::EdgeConfig;
pub use dial::{Dial, Phase, within};
pub use error::Error;
pub use listener::{Handle, Listener, Stats, refuse_with_line};
