//! Deadlines for the client side and for handshakes: [`Dial`], [`within`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::Error;

/// A phase that runs under a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// The TCP connect.
    Connect,
    /// The TLS handshake.
    Handshake,
}

impl core::fmt::Display for Phase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Phase::Connect => "TCP connect",
            Phase::Handshake => "TLS handshake",
        })
    }
}

/// The deadlines of a client connection before its protocol session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dial {
    /// The TCP connect. Default 10 s.
    pub connect_timeout: Duration,
    /// The TLS handshake (implicit or after STARTTLS). Default 10 s.
    pub handshake_timeout: Duration,
}

impl Dial {
    /// The defaults.
    pub const fn new() -> Dial {
        Dial { connect_timeout: Duration::from_secs(10), handshake_timeout: Duration::from_secs(10) }
    }

    /// With another connect deadline.
    pub const fn with_connect_timeout(mut self, timeout: Duration) -> Dial {
        self.connect_timeout = timeout;
        self
    }

    /// With another handshake deadline.
    pub const fn with_handshake_timeout(mut self, timeout: Duration) -> Dial {
        self.handshake_timeout = timeout;
        self
    }

    /// Connects to `addr` within the connect deadline.
    ///
    /// Errors: [`Error::Timeout`] with [`Phase::Connect`], [`Error::Io`].
    pub async fn connect(&self, addr: SocketAddr) -> Result<TcpStream, Error> {
        let tcp = within(Phase::Connect, self.connect_timeout, TcpStream::connect(addr)).await?;
        let _ = tcp.set_nodelay(true);
        Ok(tcp)
    }

    /// Runs a TLS handshake within the handshake deadline.
    ///
    /// Errors: [`Error::Timeout`] with [`Phase::Handshake`], [`Error::Io`].
    pub async fn handshake<T>(&self, handshake: impl Future<Output = io::Result<T>>) -> Result<T, Error> {
        within(Phase::Handshake, self.handshake_timeout, handshake).await
    }
}

impl Default for Dial {
    fn default() -> Dial {
        Dial::new()
    }
}

/// Runs `phase` until `limit` has passed; then drops it (closing what it owns).
///
/// Errors: [`Error::Timeout`] when the deadline passed, [`Error::Io`] when the phase failed.
pub async fn within<T>(phase: Phase, limit: Duration, future: impl Future<Output = io::Result<T>>) -> Result<T, Error> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Error::Timeout { phase, after: limit }),
    }
}
