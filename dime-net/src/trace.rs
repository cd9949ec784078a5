//! The listener's `tracing` events (feature `tracing`); without the feature each is a no-op.
//!
//! | event | level | fields |
//! | --- | --- | --- |
//! | connection admitted | debug | `peer` |
//! | connection over a cap | info | `peer`, `refusal` |
//! | transient accept error | warn | `error`, `backoff` |
//! | fatal accept error | error | `error` |
//! | shutdown begins | info | `grace`, `open` |

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::caps::Refusal;

#[cfg(feature = "tracing")]
pub(crate) fn accepted(peer: SocketAddr) {
    tracing::debug!(target: "dime_net", %peer, "connection admitted");
}

#[cfg(feature = "tracing")]
pub(crate) fn refused(peer: SocketAddr, refusal: Refusal) {
    tracing::info!(target: "dime_net", %peer, refusal = ?refusal, "connection refused");
}

#[cfg(feature = "tracing")]
pub(crate) fn transient(error: &io::Error, backoff: Duration) {
    tracing::warn!(target: "dime_net", %error, ?backoff, "transient accept error, pausing");
}

#[cfg(feature = "tracing")]
pub(crate) fn failed(error: &io::Error) {
    tracing::error!(target: "dime_net", %error, "accept failed, listener ends");
}

#[cfg(feature = "tracing")]
pub(crate) fn shutting_down(grace: Duration, open: usize) {
    tracing::info!(target: "dime_net", ?grace, open, "listener shutting down");
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn accepted(_: SocketAddr) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn refused(_: SocketAddr, _: Refusal) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn transient(_: &io::Error, _: Duration) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn failed(_: &io::Error) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn shutting_down(_: Duration, _: usize) {}
