//! What the driver tells `tracing` about each served connection (feature `tracing`, target
//! `dime_dmtp`); without the feature [`Connection`] is empty and every method a no-op.
//!
//! | event | level | fields |
//! | --- | --- | --- |
//! | `connection accepted` | debug | `peer` |
//! | `TLS established` | debug | `peer`, `version`, `suite` |
//! | `EHLO` | info | `peer`, `domain` |
//! | `refused` (each `4xx`/`5xx` reply) | info | `peer`, `code`, `reason` (the reply's text) |
//! | `session ended` | info | `peer`, `why`, `detail` |
//!
//! `why` is one of `client quit` (`QUIT`), `peer closed` (end of stream without `QUIT`, with
//! or without TLS `close_notify`),
//! `timeout` (`detail` names the deadline: `idle`, `data` or `TLS handshake`), `limit hit`
//! (too many protocol violations), `server closed` (any other closing reply, in `detail`),
//! `smtp handoff`, or `error` (`detail` is the error's text). No event carries object bytes,
//! signets or keys: replies are logged by code and text only, and replies that carry data are
//! `2xx`.

use std::net::SocketAddr;

use crate::error::DmtpError;

/// How a served connection ended, as the driver saw it.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) enum Ending<'a> {
    /// The session closed itself (after its last reply).
    Closed,
    /// The peer closed the stream first.
    PeerClosed,
    /// The connection was handed to an SMTP server.
    Handoff,
    /// The driver failed: a late handshake, I/O, a session error.
    Failed(&'a DmtpError),
}

/// The trace of one served connection.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    #[cfg(feature = "tracing")]
    peer: Option<SocketAddr>,
    /// The last reply sent: its code and text.
    #[cfg(feature = "tracing")]
    last_reply: Option<(u16, String)>,
    /// Whether the session's deadline ended it.
    #[cfg(feature = "tracing")]
    timed_out: bool,
    /// Whether `EHLO` was reported.
    #[cfg(feature = "tracing")]
    greeted: bool,
}

#[cfg(feature = "tracing")]
impl Connection {
    /// A connection from `peer` was accepted.
    pub(crate) fn accepted(peer: Option<SocketAddr>) -> Connection {
        tracing::debug!(target: "dime_dmtp", peer = ?peer, "connection accepted");
        Connection { peer, ..Connection::default() }
    }

    /// The TLS handshake finished.
    pub(crate) fn tls(&self, connection: &rustls::ServerConnection) {
        let version = connection.protocol_version();
        let suite = connection.negotiated_cipher_suite().map(|s| s.suite());
        tracing::debug!(target: "dime_dmtp", peer = ?self.peer, ?version, ?suite, "TLS established");
    }

    /// The session may have been greeted: reported once.
    pub(crate) fn greeted(&mut self, domain: Option<&dime_signet::record::HostName>) {
        if let (false, Some(domain)) = (self.greeted, domain) {
            self.greeted = true;
            tracing::info!(target: "dime_dmtp", peer = ?self.peer, %domain, "EHLO");
        }
    }

    /// Bytes the session sends: every final reply line (`NNN text`) is remembered, and each
    /// `4xx` or `5xx` one reported.
    pub(crate) fn replies(&mut self, bytes: &[u8]) {
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some((code, text)) = final_reply(line) else { continue };
            if code >= 400 {
                tracing::info!(target: "dime_dmtp", peer = ?self.peer, code, reason = %text, "refused");
            }
            self.last_reply = Some((code, text));
        }
    }

    /// The session's deadline passed.
    pub(crate) fn timed_out(&mut self) {
        self.timed_out = true;
    }

    /// The connection ended.
    pub(crate) fn ended(&self, ending: Ending<'_>) {
        let last = self.last_reply.as_ref();
        let (why, detail) = match ending {
            Ending::PeerClosed => ("peer closed", String::new()),
            Ending::Handoff => ("smtp handoff", String::new()),
            Ending::Failed(DmtpError::Timeout { phase }) => ("timeout", phase.to_string()),
            Ending::Failed(DmtpError::Io { kind: std::io::ErrorKind::UnexpectedEof, .. }) => {
                ("peer closed", "without TLS close_notify".to_string())
            }
            Ending::Failed(error) => ("error", error.to_string()),
            Ending::Closed if self.timed_out => {
                let deadline = match last {
                    Some((421, text)) if text.starts_with("DATA") => "data",
                    Some((421, text)) if text.starts_with("IDLE") => "idle",
                    _ => "TLS handshake",
                };
                ("timeout", deadline.to_string())
            }
            Ending::Closed => match last {
                Some((221, _)) => ("client quit", String::new()),
                Some((code, text)) if text.contains("VIOLATIONS") => ("limit hit", format!("{code} {text}")),
                Some((code, text)) => ("server closed", format!("{code} {text}")),
                None => ("server closed", String::new()),
            },
        };
        tracing::info!(target: "dime_dmtp", peer = ?self.peer, why, %detail, "session ended");
    }
}

/// A final reply line's code and text (`NNN text`); continuation lines (`NNN-`) and anything
/// else are `None`. The text is cut at 200 characters and keeps printable ASCII only.
#[cfg(feature = "tracing")]
fn final_reply(line: &[u8]) -> Option<(u16, String)> {
    let (code, rest) = (line.get(..3)?, line.get(3..)?);
    if !code.iter().all(u8::is_ascii_digit) || !(rest.is_empty() || rest.first() == Some(&b' ')) {
        return None;
    }
    let code = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let text =
        rest.iter().skip(1).take(200).map(|&b| if (0x20..0x7f).contains(&b) { char::from(b) } else { '?' }).collect();
    Some((code, text))
}

#[cfg(not(feature = "tracing"))]
impl Connection {
    pub(crate) fn accepted(_: Option<SocketAddr>) -> Connection {
        Connection {}
    }
    pub(crate) fn tls(&self, _: &rustls::ServerConnection) {}
    pub(crate) fn greeted(&mut self, _: Option<&dime_signet::record::HostName>) {}
    pub(crate) fn replies(&mut self, _: &[u8]) {}
    pub(crate) fn timed_out(&mut self) {}
    pub(crate) fn ended(&self, _: Ending<'_>) {}
}
