//! Low-level: the serializing side of the codec: a byte writer that knows IMAP's string forms and
//! where literals split a message.

use super::cursor::{is_astring_char, is_atom_char};
use super::fragment::LiteralMode;

/// Longest string written in quoted form; longer ones become literals.
const MAX_QUOTED: usize = 1024;

/// Writes one message. Literals are recorded, so that a client can stop after each
/// synchronizing announcement and wait for the server's continuation.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    out: Vec<u8>,
    /// Offsets right after each synchronizing literal's announcement CRLF.
    sync_points: Vec<usize>,
    /// Largest literal written in non-synchronizing form (0: always synchronizing). Servers
    /// never announce with `+`; they pass 0 and ignore the sync points.
    non_sync_max: usize,
}

impl Writer {
    /// A writer; literals up to `non_sync_max` bytes are written as `{n+}`.
    pub fn new(non_sync_max: usize) -> Writer {
        Writer { out: Vec::new(), sync_points: Vec::new(), non_sync_max }
    }

    /// Raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Raw text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.raw(text.as_bytes())
    }

    /// One space.
    pub fn sp(&mut self) -> &mut Self {
        self.raw(b" ")
    }

    /// A decimal number.
    pub fn number(&mut self, n: u32) -> &mut Self {
        self.text(&n.to_string())
    }

    /// CRLF.
    pub fn crlf(&mut self) -> &mut Self {
        self.raw(b"\r\n")
    }

    /// A literal: announcement, CRLF, data.
    pub fn literal(&mut self, data: &[u8]) -> &mut Self {
        // `non_sync_max` 0 means never: an empty literal is `{0}`, not `{0+}` (a server's
        // writer always passes 0, and `{n+}` is client-to-server syntax only).
        let non_sync = self.non_sync_max > 0 && data.len() <= self.non_sync_max;
        let mode = if non_sync { LiteralMode::NonSync } else { LiteralMode::Sync };
        let plus = if mode == LiteralMode::NonSync { "+" } else { "" };
        self.text(&format!("{{{}{plus}}}\r\n", data.len()));
        if mode == LiteralMode::Sync {
            self.sync_points.push(self.out.len());
        }
        self.raw(data)
    }

    /// A `literal8` (RFC 3516): `~{n}`, CRLF, the octets (NUL allowed). Only servers write
    /// it, always in synchronizing form.
    pub fn literal8(&mut self, data: &[u8]) -> &mut Self {
        self.text(&format!("~{{{}}}\r\n", data.len()));
        self.raw(data)
    }

    /// A `string`: quoted when every byte is printable ASCII and it is short, else a literal.
    pub fn string(&mut self, data: &[u8]) -> &mut Self {
        if data.len() <= MAX_QUOTED && data.iter().all(|&b| (0x20..0x7F).contains(&b)) {
            self.raw(b"\"");
            for &b in data {
                if b == b'"' || b == b'\\' {
                    self.raw(b"\\");
                }
                self.out.push(b);
            }
            self.raw(b"\"")
        } else {
            self.literal(data)
        }
    }

    /// An `astring`: an atom when possible (not `NIL`, which would read as nil elsewhere).
    pub fn astring(&mut self, data: &[u8]) -> &mut Self {
        if !data.is_empty() && data.iter().all(|&b| is_astring_char(b)) && !data.eq_ignore_ascii_case(b"NIL") {
            self.raw(data)
        } else {
            self.string(data)
        }
    }

    /// An `nstring`.
    pub fn nstring(&mut self, data: Option<&[u8]>) -> &mut Self {
        match data {
            Some(data) => self.string(data),
            None => self.text("NIL"),
        }
    }

    /// A parenthesized list, items written by `item` and separated by spaces.
    pub fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.raw(b"(");
        for (i, value) in items.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            item(self, value);
        }
        self.raw(b")")
    }

    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// The bytes written, cut after each synchronizing literal announcement: a client sends the
    /// first part, then each further part after a `+` continuation.
    pub fn into_parts(self) -> Vec<Vec<u8>> {
        let mut parts = Vec::with_capacity(self.sync_points.len() + 1);
        let mut start = 0;
        for point in self.sync_points {
            parts.push(self.out.get(start..point).unwrap_or_default().to_vec());
            start = point;
        }
        parts.push(self.out.get(start..).unwrap_or_default().to_vec());
        parts
    }
}

/// Whether `text` can be written as an atom.
pub fn is_atom(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(|&b| is_atom_char(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_forms() {
        let mut w = Writer::new(0);
        w.astring(b"INBOX").sp().astring(b"a b").sp().astring(b"").sp().astring(b"nil").sp().string(b"q\"\\");
        assert_eq!(w.into_bytes(), b"INBOX \"a b\" \"\" \"nil\" \"q\\\"\\\\\"");
        let mut w = Writer::new(0);
        w.astring(b"caf\xc3\xa9");
        assert_eq!(w.into_bytes(), b"{5}\r\ncaf\xc3\xa9");
    }

    #[test]
    fn parts_split_after_sync_announcements() {
        let mut w = Writer::new(3);
        w.text("a X ").literal(b"abc").sp().literal(b"defg").crlf();
        assert_eq!(w.into_parts(), vec![b"a X {3+}\r\nabc {4}\r\n".to_vec(), b"defg\r\n".to_vec()]);
    }

    /// A server writes with `non_sync_max` 0: even an empty literal is synchronizing in form.
    #[test]
    fn empty_literals_are_never_non_synchronizing() {
        let mut w = Writer::new(0);
        w.text("* X ").literal(b"").crlf();
        assert_eq!(w.into_bytes(), b"* X {0}\r\n\r\n");
        let mut w = Writer::new(4);
        w.literal(b"");
        assert_eq!(w.into_bytes(), b"{0+}\r\n");
    }
}
