//! What the driver tells `tracing` about each served connection (feature `tracing`, target
//! `dime_dmap`); without the feature [`Connection`] is empty and every method a no-op.
//!
//! | event | level | fields |
//! | --- | --- | --- |
//! | `connection accepted` | debug | `peer` |
//! | `TLS established` | debug | `peer`, `version`, `suite` |
//! | `logged in` | info | `peer`, `user` |
//! | `refused` (each tagged `NO` or `BAD`) | info | `peer`, `command`, `status`, `reason` (the status line's text, response code included) |
//! | `session ended` | info | `peer`, `user`, `why`, `detail` |
//!
//! `why` is one of `client quit` (`LOGOUT`), `peer closed` (end of stream without `LOGOUT`),
//! `timeout` (`detail` names the deadline: `login`, `idle`, `command`, `store` or `TLS handshake`),
//! `limit hit` (too many invalid commands or failed logins, a literal over the limit; `detail`
//! is the `BYE` text), `server closed` (any other `BYE`), or `error` (`detail` is the error's
//! text). No event carries a password, a STACIE token, a key file or message bytes: only
//! status lines are read, and only when the session reports them.

use std::net::SocketAddr;

use crate::codec::StatusKind;
use crate::error::DmapError;

/// How a served connection ended, as the driver saw it.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(super) enum Ending<'a> {
    /// The session closed itself (after its `BYE`).
    Closed,
    /// The peer closed the stream first.
    PeerClosed,
    /// The driver failed: a late handshake, I/O, a session error.
    Failed(&'a DmapError),
}

/// The longest output chunk kept to read a status line from: status lines are short, and
/// anything longer (a literal) is never copied.
#[cfg(feature = "tracing")]
const STATUS_LINE_MAX: usize = 1024;

/// The trace of one served connection.
#[derive(Debug, Default)]
pub(super) struct Connection {
    #[cfg(feature = "tracing")]
    peer: Option<SocketAddr>,
    #[cfg(feature = "tracing")]
    user: Option<String>,
    /// The last output chunk, when short enough to be a status line.
    #[cfg(feature = "tracing")]
    last_output: Vec<u8>,
    /// The `BYE` line's text, once sent.
    #[cfg(feature = "tracing")]
    bye: Option<String>,
    /// Whether the session's deadline ended it.
    #[cfg(feature = "tracing")]
    timed_out: bool,
}

#[cfg(feature = "tracing")]
impl Connection {
    /// A connection from `peer` was accepted.
    pub(super) fn accepted(peer: Option<SocketAddr>) -> Connection {
        tracing::debug!(target: "dime_dmap", peer = ?peer, "connection accepted");
        Connection { peer, ..Connection::default() }
    }

    /// The TLS handshake finished.
    pub(super) fn tls(&self, connection: &rustls::ServerConnection) {
        let version = connection.protocol_version();
        let suite = connection.negotiated_cipher_suite().map(|s| s.suite());
        tracing::debug!(target: "dime_dmap", peer = ?self.peer, ?version, ?suite, "TLS established");
    }

    /// The session wrote `bytes`: kept if it may be a status line, and a `BYE` remembered.
    pub(super) fn output(&mut self, bytes: &[u8]) {
        self.last_output.clear();
        if bytes.len() <= STATUS_LINE_MAX {
            self.last_output.extend_from_slice(bytes);
            if let Some(text) = bytes.strip_prefix(b"* BYE ") {
                self.bye = Some(printable(text));
            }
        }
    }

    /// `user` logged in.
    pub(super) fn logged_in(&mut self, user: &str) {
        tracing::info!(target: "dime_dmap", peer = ?self.peer, user, "logged in");
        self.user = Some(user.to_string());
    }

    /// A command completed: a `NO` or `BAD` is reported with the text of its status line (the
    /// output just before this event).
    pub(super) fn done(&mut self, tag: &crate::codec::Tag, command: &str, kind: StatusKind) {
        if !matches!(kind, StatusKind::No | StatusKind::Bad) {
            return;
        }
        let prefix = format!("{} {} ", tag.as_str(), kind.name());
        let reason = self.last_output.strip_prefix(prefix.as_bytes()).map(printable).unwrap_or_default();
        tracing::info!(target: "dime_dmap", peer = ?self.peer, command, status = kind.name(), %reason, "refused");
    }

    /// The session's deadline passed.
    pub(super) fn timed_out(&mut self) {
        self.timed_out = true;
    }

    /// The connection ended.
    pub(super) fn ended(&self, ending: Ending<'_>) {
        use crate::server::text;
        let bye = self.bye.as_deref().unwrap_or_default();
        let (why, detail) = match ending {
            Ending::PeerClosed => ("peer closed", String::new()),
            Ending::Failed(DmapError::Timeout { what, .. }) => ("timeout", (*what).to_string()),
            Ending::Failed(DmapError::Io(text)) if text.contains("close_notify") => {
                ("peer closed", "without TLS close_notify".to_string())
            }
            Ending::Failed(error) => ("error", error.to_string()),
            Ending::Closed => match bye {
                text::BYE_LOGOUT => ("client quit", String::new()),
                text::BYE_LOGIN_TIME => ("timeout", "login".to_string()),
                text::BYE_IDLE => ("timeout", "idle".to_string()),
                text::BYE_COMMAND_TIME => ("timeout", "command".to_string()),
                text::BYE_STORE_TIME => ("timeout", "store".to_string()),
                text::BYE_ERRORS | text::BYE_AUTH | text::BYE_NON_SYNC => ("limit hit", bye.to_string()),
                "" if self.timed_out => ("timeout", "TLS handshake".to_string()),
                _ => ("server closed", bye.to_string()),
            },
        };
        tracing::info!(target: "dime_dmap", peer = ?self.peer, user = ?self.user, why, %detail, "session ended");
    }
}

/// A status line's text up to its CRLF, at most 200 characters, printable ASCII only.
#[cfg(feature = "tracing")]
fn printable(text: &[u8]) -> String {
    let line = text.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or_default();
    line.iter().take(200).map(|&b| if (0x20..0x7f).contains(&b) { char::from(b) } else { '?' }).collect()
}

#[cfg(not(feature = "tracing"))]
impl Connection {
    pub(super) fn accepted(_: Option<SocketAddr>) -> Connection {
        Connection {}
    }
    pub(super) fn tls(&self, _: &rustls::ServerConnection) {}
    pub(super) fn output(&mut self, _: &[u8]) {}
    pub(super) fn logged_in(&mut self, _: &str) {}
    pub(super) fn done(&mut self, _: &crate::codec::Tag, _: &str, _: StatusKind) {}
    pub(super) fn timed_out(&mut self) {}
    pub(super) fn ended(&self, _: Ending<'_>) {}
}
