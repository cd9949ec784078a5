//! Low-level: the lexical layer shared by the command and response parsers: a cursor over one
//! complete message (as the fragmentizer delivers it) that reads IMAP's tokens and never panics.

use crate::error::{DmapError, Result};

/// `ATOM-CHAR`: any 7-bit character except controls and the atom specials
/// `( ) { SP % * " \ ]`.
pub fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7E) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// `ASTRING-CHAR`: an atom character or `]`.
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// `TEXT-CHAR` as this implementation accepts it in quoted strings and text: any byte but
/// NUL, CR and LF.
pub fn is_text_char(b: u8) -> bool {
    !matches!(b, 0 | b'\r' | b'\n')
}

/// A cursor over one message.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    /// The error for "expected `what` here".
    pub fn error(&self, expected: &'static str) -> DmapError {
        DmapError::Syntax { offset: self.pos, expected }
    }

    /// The next byte, not consumed.
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Consumes `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `b` or fails with `what`.
    pub fn expect(&mut self, b: u8, what: &'static str) -> Result<()> {
        if self.eat(b) { Ok(()) } else { Err(self.error(what)) }
    }

    /// One space.
    pub fn sp(&mut self) -> Result<()> {
        self.expect(b' ', "SP")
    }

    /// CRLF.
    pub fn crlf(&mut self) -> Result<()> {
        self.expect(b'\r', "CRLF")?;
        self.expect(b'\n', "CRLF")
    }

    /// CRLF and nothing after it.
    pub fn finish(&mut self) -> Result<()> {
        self.crlf()?;
        if self.pos != self.bytes.len() {
            return Err(self.error("end of message"));
        }
        Ok(())
    }

    /// Consumes `word` (ASCII, compared case-insensitively) if it is next and is not followed by
    /// another atom character.
    pub fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let Some(candidate) = self.bytes.get(self.pos..end) else { return false };
        let boundary = self.bytes.get(end).is_none_or(|&b| !is_atom_char(b) || word.ends_with('['));
        if candidate.eq_ignore_ascii_case(word.as_bytes()) && boundary {
            self.pos = end;
            true
        } else {
            false
        }
    }

    /// Consumes `prefix` (compared case-insensitively) if it is next, regardless of what follows.
    pub fn prefix(&mut self, prefix: &str) -> bool {
        let end = self.pos + prefix.len();
        match self.bytes.get(self.pos..end) {
            Some(candidate) if candidate.eq_ignore_ascii_case(prefix.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    /// One or more bytes satisfying `accept`.
    pub fn take_while1(&mut self, accept: impl Fn(u8) -> bool, what: &'static str) -> Result<&'a [u8]> {
        let start = self.pos;
        while self.peek().is_some_and(&accept) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(what));
        }
        Ok(self.bytes.get(start..self.pos).unwrap_or_default())
    }

    /// An atom.
    pub fn atom(&mut self) -> Result<&'a [u8]> {
        self.take_while1(is_atom_char, "atom")
    }

    /// An atom as text (atoms are ASCII).
    pub fn atom_str(&mut self) -> Result<String> {
        Ok(String::from_utf8_lossy(self.atom()?).into_owned())
    }

    /// A key-file realm shard: an atom holding padded base64 of exactly 64 bytes (the `KEYFILE`
    /// command and response).
    pub fn shard(&mut self) -> Result<[u8; 64]> {
        let at = self.clone();
        let text = self.atom()?;
        core::str::from_utf8(text)
            .ok()
            .and_then(|text| dime_core::base64::decode_padded(text, "shard").ok())
            .and_then(|bytes| <[u8; 64]>::try_from(bytes.as_slice()).ok())
            .ok_or_else(|| at.error("base64 of a 64-byte shard"))
    }

    /// `number`: 1 to 10 digits, at most 2^32 − 1.
    pub fn number(&mut self) -> Result<u32> {
        let start = self.pos;
        let digits = self.take_while1(|b| b.is_ascii_digit(), "number")?;
        let value = digits.iter().try_fold(0u64, |acc, d| {
            let next = acc * 10 + u64::from(d - b'0');
            (next <= u64::from(u32::MAX)).then_some(next)
        });
        match value {
            Some(v) if digits.len() <= 10 => Ok(v as u32),
            _ => Err(DmapError::Syntax { offset: start, expected: "number below 2^32" }),
        }
    }

    /// `nz-number`: a number other than 0.
    pub fn nz_number(&mut self) -> Result<u32> {
        let start = self.pos;
        match self.number()? {
            0 => Err(DmapError::Syntax { offset: start, expected: "non-zero number" }),
            n => Ok(n),
        }
    }

    /// A quoted string, unescaped.
    pub fn quoted(&mut self) -> Result<Vec<u8>> {
        self.expect(b'"', "quoted string")?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b @ (b'"' | b'\\')) => {
                            out.push(b);
                            self.pos += 1;
                        }
                        _ => return Err(self.error("quoted special after backslash")),
                    }
                }
                Some(b) if is_text_char(b) => {
                    out.push(b);
                    self.pos += 1;
                }
                _ => return Err(self.error("closing quote")),
            }
        }
    }

    /// A literal: `{n}` or `{n+}`, CRLF, then exactly `n` bytes. The fragmentizer has already
    /// bounded `n`; here it only has to be present.
    pub fn literal(&mut self) -> Result<&'a [u8]> {
        self.expect(b'{', "literal")?;
        let length = self.number()? as usize;
        self.eat(b'+');
        self.expect(b'}', "closing brace")?;
        self.crlf()?;
        let end = self.pos.checked_add(length).filter(|&end| end <= self.bytes.len());
        match end {
            Some(end) => {
                let data = self.bytes.get(self.pos..end).unwrap_or_default();
                self.pos = end;
                Ok(data)
            }
            None => Err(self.error("literal data")),
        }
    }

    /// `literal8` (RFC 3516): `~{n}` CRLF and n octets, which may include NUL.
    pub fn literal8(&mut self) -> Result<&'a [u8]> {
        self.expect(b'~', "literal8")?;
        self.literal()
    }

    /// `string`: quoted or literal.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.peek() {
            Some(b'{') => Ok(self.literal()?.to_vec()),
            _ => self.quoted(),
        }
    }

    /// `astring`: an atom (with `]` allowed) or a string.
    pub fn astring(&mut self) -> Result<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => Ok(self.take_while1(is_astring_char, "astring")?.to_vec()),
        }
    }

    /// `nstring`: a string or `NIL`.
    pub fn nstring(&mut self) -> Result<Option<Vec<u8>>> {
        if self.keyword("NIL") { Ok(None) } else { self.string().map(Some) }
    }

    /// `text`: everything up to CRLF (may be empty here; callers decide).
    pub fn text(&mut self) -> Result<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_text_char) {
            self.pos += 1;
        }
        let bytes = self.bytes.get(start..self.pos).unwrap_or_default();
        String::from_utf8(bytes.to_vec()).map_err(|_| DmapError::NotUtf8 { what: "text" })
    }

    /// A parenthesized, space-separated list of `item`s (possibly empty).
    pub fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        self.expect(b'(', "(")?;
        let mut out = Vec::new();
        if self.eat(b')') {
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            if self.eat(b')') {
                return Ok(out);
            }
            self.sp()?;
        }
    }
}

/// Converts bytes that must be UTF-8 text.
pub fn utf8(bytes: Vec<u8>, what: &'static str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| DmapError::NotUtf8 { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let mut c = Cursor::new(b"abc \"q\\\"x\" {3}\r\nxyz NIL 4294967295 4294967296");
        assert_eq!(c.atom().unwrap(), b"abc");
        c.sp().unwrap();
        assert_eq!(c.astring().unwrap(), b"q\"x");
        c.sp().unwrap();
        assert_eq!(c.string().unwrap(), b"xyz");
        c.sp().unwrap();
        assert_eq!(c.nstring().unwrap(), None);
        c.sp().unwrap();
        assert_eq!(c.number().unwrap(), u32::MAX);
        c.sp().unwrap();
        assert_eq!(c.number(), Err(DmapError::Syntax { offset: 35, expected: "number below 2^32" }));
    }

    #[test]
    fn rejections() {
        assert_eq!(Cursor::new(b"\"abc").quoted(), Err(DmapError::Syntax { offset: 4, expected: "closing quote" }));
        assert_eq!(
            Cursor::new(b"\"a\\b\"").quoted(),
            Err(DmapError::Syntax { offset: 3, expected: "quoted special after backslash" })
        );
        assert_eq!(
            Cursor::new(b"{5}\r\nabc").literal(),
            Err(DmapError::Syntax { offset: 5, expected: "literal data" })
        );
        assert_eq!(Cursor::new(b"0").nz_number(), Err(DmapError::Syntax { offset: 0, expected: "non-zero number" }));
        assert_eq!(Cursor::new(b"(a b").list(|c| c.atom_str()), Err(DmapError::Syntax { offset: 4, expected: "SP" }));
        assert_eq!(Cursor::new(b" ").atom(), Err(DmapError::Syntax { offset: 0, expected: "atom" }));
    }

    #[test]
    fn keywords_need_a_boundary() {
        let mut c = Cursor::new(b"NOOPS");
        assert!(!c.keyword("NOOP"));
        let mut c = Cursor::new(b"noop\r\n");
        assert!(c.keyword("NOOP"));
        c.finish().unwrap();
        let mut c = Cursor::new(b"BODY[]");
        assert!(c.keyword("BODY["));
    }
}
