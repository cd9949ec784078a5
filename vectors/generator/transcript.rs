//! A transcript of one protocol conversation: the bytes each side wrote, in order, as text lines
//! and hex. Concatenating a side's entries (each `text` followed by CRLF, each `hex` as its
//! bytes) gives exactly the bytes that side wrote.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::hex;

/// The lines of a conversation.
#[derive(Default)]
pub struct Transcript {
    lines: Vec<Value>,
    /// Bytes of an IMAP literal a side announced (`{n}` or `{n+}` at the end of its last line)
    /// and has not written yet.
    literal: HashMap<&'static str, usize>,
}

/// The size of the literal a line announces, if it ends with `{n}` or `{n+}`.
fn announced(line: &str) -> Option<usize> {
    let inner = line.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    inner[open + 1..].trim_end_matches('+').parse().ok()
}

impl Transcript {
    /// Records one write of `from` ("client" or "server"): a `text` entry per CRLF-terminated
    /// line of text without control characters, a `hex` entry for the bytes of a literal the
    /// side announced, and one `hex` entry for anything else (a DMTP message object) up to the
    /// end of the write.
    pub fn write(&mut self, from: &'static str, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let pending = self.literal.remove(from).unwrap_or(0);
            if pending > 0 {
                let (data, tail) = rest.split_at(pending.min(rest.len()));
                self.lines.push(json!({ "from": from, "hex": hex(data) }));
                if pending > data.len() {
                    self.literal.insert(from, pending - data.len());
                }
                rest = tail;
                continue;
            }
            let line = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .and_then(|end| core::str::from_utf8(&rest[..end]).ok())
                .filter(|line| !line.chars().any(char::is_control));
            let Some(line) = line else {
                self.lines.push(json!({ "from": from, "hex": hex(rest) }));
                return;
            };
            if let Some(n) = announced(line) {
                self.literal.insert(from, n);
            }
            self.lines.push(json!({ "from": from, "text": line }));
            rest = &rest[line.len() + 2..];
        }
    }

    /// Records that both sides ran the TLS handshake here.
    pub fn tls(&mut self) {
        self.lines.push(json!({ "event": "tls-handshake" }));
    }

    /// The recorded lines.
    pub fn into_lines(self) -> Vec<Value> {
        self.lines
    }
}
