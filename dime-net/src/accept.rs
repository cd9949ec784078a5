//! What the accept loop accepts from, and which accept errors it survives.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use tokio::net::{TcpListener, TcpStream};

/// A source of accepted TCP connections: a [`TcpListener`], or a stand-in that injects errors.
pub trait Accept: Send + Sync + 'static {
    /// Polls for the next connection, as [`TcpListener::poll_accept`].
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>>;
}

impl Accept for TcpListener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        TcpListener::poll_accept(self, cx)
    }
}

/// Whether the accept loop goes on after `error`.
///
/// Only errors that say the listening socket itself is unusable end the loop: `EINVAL` (it is
/// not listening, [`io::ErrorKind::InvalidInput`]) and `EOPNOTSUPP`
/// ([`io::ErrorKind::Unsupported`]). Everything else concerns one connection (`ECONNABORTED`,
/// `ECONNRESET`, `EPROTO`, `EPERM` from a firewall) or a resource that frees up again
/// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), so the loop pauses and goes on. (A listener
/// owned by tokio cannot see `EBADF` or `ENOTSOCK`.)
pub fn is_transient(error: &io::Error) -> bool {
    !matches!(error.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported)
}
