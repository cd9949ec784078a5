//! The accept loop: caps, refusals, transient errors, graceful shutdown.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::accept::{Accept, is_transient};
use crate::caps::{Caps, Refusal, Source};
use crate::config::EdgeConfig;
use crate::trace;

/// What a listener counted since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Connections admitted and handed to the protocol.
    pub accepted: u64,
    /// Connections refused by a cap.
    pub refused: u64,
    /// Accept errors survived.
    pub transient_errors: u64,
    /// Connections being served now.
    pub open: usize,
}

#[derive(Debug)]
struct Shared {
    /// `Some(grace)` once shutdown was asked for.
    shutdown: watch::Sender<Option<Duration>>,
    accepted: AtomicU64,
    refused: AtomicU64,
    transient_errors: AtomicU64,
    caps: Caps,
}

/// Controls a running [`Listener`] from elsewhere: shutdown and counters.
#[derive(Debug, Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// Stops accepting at once (the listening socket is closed, so new connects are refused by
    /// the system) and lets the open sessions run for `grace`; those still open then are dropped,
    /// closing their connections. [`Listener::run`] returns when all are gone.
    pub fn shutdown(&self, grace: Duration) {
        self.shared.shutdown.send_replace(Some(grace));
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        Stats {
            accepted: self.shared.accepted.load(Ordering::Relaxed),
            refused: self.shared.refused.load(Ordering::Relaxed),
            transient_errors: self.shared.transient_errors.load(Ordering::Relaxed),
            open: self.shared.caps.open(),
        }
    }
}

/// A listening socket with its [`EdgeConfig`]: the one accept loop of both drivers.
pub struct Listener {
    accept: Box<dyn Accept>,
    config: EdgeConfig,
    shared: Arc<Shared>,
}

impl core::fmt::Debug for Listener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Listener").field("config", &self.config).finish_non_exhaustive()
    }
}

impl From<TcpListener> for Listener {
    /// A listener with the default [`EdgeConfig`].
    fn from(listener: TcpListener) -> Listener {
        Listener::new(listener, EdgeConfig::default())
    }
}

impl Listener {
    /// Accepts from `accept` (normally a [`TcpListener`]) under `config`.
    pub fn new(accept: impl Accept, config: EdgeConfig) -> Listener {
        let (shutdown, _) = watch::channel(None);
        let shared = Arc::new(Shared {
            shutdown,
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            transient_errors: AtomicU64::new(0),
            caps: Caps::default(),
        });
        Listener { accept: Box::new(accept), config, shared }
    }

    /// The limits.
    pub fn config(&self) -> &EdgeConfig {
        &self.config
    }

    /// A handle for shutdown and counters; valid before and while [`Listener::run`] runs.
    pub fn handle(&self) -> Handle {
        Handle { shared: self.shared.clone() }
    }

    /// Accepts until shut down, serving each admitted connection with `serve` on its own task and
    /// answering each connection over a cap with `refuse` (bounded by
    /// [`EdgeConfig::handshake_timeout`] and [`EdgeConfig::max_refusing`]).
    ///
    /// Errors: only an accept error that is not [transient](crate::accept::is_transient); the
    /// open sessions are dropped then.
    pub async fn run<S, SF, R, RF>(self, mut serve: S, refuse: R) -> io::Result<()>
    where
        S: FnMut(TcpStream, SocketAddr) -> SF,
        SF: Future<Output = ()> + Send + 'static,
        R: Fn(TcpStream, Refusal) -> RF,
        RF: Future<Output = ()> + Send + 'static,
    {
        let Listener { accept, config, shared } = self;
        let mut signal = shared.shutdown.subscribe();
        let mut sessions = JoinSet::new();
        let mut refusals = JoinSet::new();
        let grace = loop {
            if let Some(grace) = *signal.borrow_and_update() {
                break grace;
            }
            let accepted = tokio::select! {
                biased;
                _ = signal.changed() => continue,
                Some(_) = sessions.join_next() => continue,
                Some(_) = refusals.join_next() => continue,
                accepted = poll_fn(|cx| accept.poll_accept(cx)) => accepted,
            };
            match accepted {
                Ok((tcp, peer)) => {
                    match shared.caps.admit(Source::from(peer.ip()), config.max_connections, config.max_per_source) {
                        Ok(permit) => {
                            shared.accepted.fetch_add(1, Ordering::Relaxed);
                            trace::accepted(peer);
                            let session = serve(tcp, peer);
                            sessions.spawn(async move {
                                session.await;
                                drop(permit);
                            });
                        }
                        Err(refusal) => {
                            shared.refused.fetch_add(1, Ordering::Relaxed);
                            trace::refused(peer, refusal);
                            if refusals.len() < config.max_refusing {
                                let answer = tokio::time::timeout(config.handshake_timeout, refuse(tcp, refusal));
                                refusals.spawn(async move {
                                    let _ = answer.await;
                                });
                            }
                        }
                    }
                }
                Err(error) if is_transient(&error) => {
                    shared.transient_errors.fetch_add(1, Ordering::Relaxed);
                    trace::transient(&error, config.accept_backoff);
                    tokio::select! {
                        () = tokio::time::sleep(config.accept_backoff) => {}
                        _ = signal.changed() => {}
                    }
                }
                Err(error) => {
                    trace::failed(&error);
                    return Err(error);
                }
            }
        };
        trace::shutting_down(grace, sessions.len());
        drop(accept);
        refusals.abort_all();
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => break,
                next = sessions.join_next() => if next.is_none() { break },
            }
        }
        sessions.shutdown().await;
        Ok(())
    }
}

/// Writes `line` (a whole protocol line, CRLF included), flushes and closes: the usual body of
/// a refusal.
pub async fn refuse_with_line<W: AsyncWrite + Unpin>(mut stream: W, line: &[u8]) {
    if stream.write_all(line).await.is_ok() && stream.flush().await.is_ok() {
        let _ = stream.shutdown().await;
    }
}
