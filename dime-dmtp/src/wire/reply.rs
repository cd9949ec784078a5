//! Low-level: replies (the client session decodes them, the server session writes them):
//! `NNN SP text` and multi-line `NNN-text` ... `NNN SP text`, their nom parser, the incremental
//! [`ReplyDecoder`] with its limits, and the serializer.

use core::fmt;

use bytes::{BufMut, BytesMut};
use nom::branch::alt;
use nom::bytes::complete::take_while_m_n;
use nom::character::complete::char;
use nom::combinator::{all_consuming, rest};
use nom::{IResult, Parser};

use super::line::{Framed, LineReader};
use crate::error::DmtpError;

/// A three-digit reply code, first digit 2 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `200` OK, informational (MODE, VERB, STATS nonce).
    pub const OK_INFO: ReplyCode = ReplyCode(200);
    /// `214` help text.
    pub const HELP: ReplyCode = ReplyCode(214);
    /// `220` service ready (banner, STARTTLS go-ahead).
    pub const READY: ReplyCode = ReplyCode(220);
    /// `221` closing.
    pub const BYE: ReplyCode = ReplyCode(221);
    /// `250` OK.
    pub const OK: ReplyCode = ReplyCode(250);
    /// `354` send the object.
    pub const CONTINUE: ReplyCode = ReplyCode(354);
    /// `421` the server closes the session.
    pub const CLOSING: ReplyCode = ReplyCode(421);
    /// `450` not found / refused for now.
    pub const NOT_FOUND: ReplyCode = ReplyCode(450);
    /// `451` local error, try again.
    pub const LOCAL_ERROR: ReplyCode = ReplyCode(451);
    /// `454` TLS not available.
    pub const TLS_UNAVAILABLE: ReplyCode = ReplyCode(454);
    /// `500` unknown command or bad line.
    pub const UNKNOWN: ReplyCode = ReplyCode(500);
    /// `501` bad arguments.
    pub const BAD_ARGUMENTS: ReplyCode = ReplyCode(501);
    /// `502` not implemented.
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    /// `503` bad sequence.
    pub const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    /// `550` account locked.
    pub const LOCKED: ReplyCode = ReplyCode(550);
    /// `551` relay denied.
    pub const RELAY_DENIED: ReplyCode = ReplyCode(551);
    /// `552` size limit.
    pub const SIZE_LIMIT: ReplyCode = ReplyCode(552);
    /// `554` transaction failed.
    pub const FAILED: ReplyCode = ReplyCode(554);

    /// A code from its value: three digits, the first 2 to 5.
    pub const fn new(value: u16) -> Option<ReplyCode> {
        if value >= 200 && value <= 599 { Some(ReplyCode(value)) } else { None }
    }

    /// The number.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The three ASCII digits (the value is 200 to 599), written without formatting machinery:
    /// every reply the server sends goes through here.
    fn digits(self) -> [u8; 3] {
        let v = self.0;
        [b'0' + (v / 100 % 10) as u8, b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]
    }

    /// Whether the code is 2xx.
    pub const fn is_positive(self) -> bool {
        self.0 < 300
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A complete reply: a code and one or more text lines (printable ASCII, possibly empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    lines: Vec<String>,
}

fn is_text(text: &str) -> bool {
    text.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

impl Reply {
    /// A one-line reply. Text outside printable ASCII is replaced by `?` so that the reply can
    /// always be written.
    pub fn new(code: ReplyCode, text: impl Into<String>) -> Reply {
        Reply { code, lines: vec![sanitize(text.into())] }
    }

    /// A multi-line reply; an empty list gives one empty line.
    pub fn multi(code: ReplyCode, lines: impl IntoIterator<Item = String>) -> Reply {
        let mut lines: Vec<String> = lines.into_iter().map(sanitize).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Reply { code, lines }
    }

    /// The code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The text lines, in order (never empty).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text of the last line (the one after `NNN SP`).
    pub fn last_line(&self) -> &str {
        self.lines.last().map(String::as_str).unwrap_or_default()
    }

    /// Appends the wire form to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        let count = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            let separator = if i + 1 == count { b' ' } else { b'-' };
            out.put_slice(&self.code.digits());
            out.put_u8(separator);
            out.put_slice(line.as_bytes());
            out.put_slice(b"\r\n");
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> BytesMut {
        let mut out = BytesMut::with_capacity(self.lines.iter().map(|l| l.len() + 6).sum());
        self.encode(&mut out);
        out
    }

    /// Wire size in bytes.
    pub fn wire_len(&self) -> usize {
        self.lines.iter().map(|l| l.len() + 6).sum()
    }
}

fn sanitize(text: String) -> String {
    if is_text(&text) {
        text
    } else {
        text.chars().map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' }).collect()
    }
}

impl fmt::Display for Reply {
    /// The lines as on the wire, joined by `|` and without CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            let separator = if i + 1 == count { ' ' } else { '-' };
            write!(f, "{}{separator}{line}", self.code)?;
        }
        Ok(())
    }
}

/// One parsed reply line: code, whether it is the last line, and the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    /// The code.
    pub code: ReplyCode,
    /// Whether the separator was a space (last line) rather than `-`.
    pub last: bool,
    /// The text after the separator.
    pub text: &'a str,
}

fn line_parser(i: &str) -> IResult<&str, (&str, char, &str)> {
    all_consuming((take_while_m_n(3, 3, |c: char| c.is_ascii_digit()), alt((char(' '), char('-'))), rest)).parse(i)
}

impl<'a> ReplyLine<'a> {
    /// Parses one reply line given without its CRLF.
    ///
    /// Errors: [`DmtpError::ReplySyntax`] for anything but three digits (first 2–5), a space or
    /// `-`, and printable ASCII text.
    pub fn parse(line: &'a [u8]) -> Result<ReplyLine<'a>, DmtpError> {
        let text = core::str::from_utf8(line).map_err(|_| DmtpError::ReplySyntax)?;
        let (_, (digits, separator, text)) = line_parser(text).map_err(|_| DmtpError::ReplySyntax)?;
        let code = digits.parse::<u16>().ok().and_then(ReplyCode::new).ok_or(DmtpError::ReplySyntax)?;
        if !is_text(text) {
            return Err(DmtpError::ReplySyntax);
        }
        Ok(ReplyLine { code, last: separator == ' ', text })
    }
}

/// Limits on what a [`ReplyDecoder`] holds.
///
/// Start from [`ReplyLimits::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyLimits {
    /// Longest reply line, CRLF included. Signets travel in one line, so this is larger than the
    /// command limit.
    pub line: usize,
    /// Most lines in one reply (HIST chains).
    pub lines: usize,
    /// Largest reply in total.
    pub total: usize,
}

impl Default for ReplyLimits {
    /// 256 KiB lines, 256 lines, 4 MiB in total.
    fn default() -> Self {
        ReplyLimits { line: 256 * 1024, lines: 256, total: 4 * 1024 * 1024 }
    }
}

/// Reads replies from a byte stream, one at a time, within [`ReplyLimits`].
#[derive(Debug, Clone)]
pub struct ReplyDecoder {
    limits: ReplyLimits,
    reader: LineReader,
    partial: Option<Reply>,
    total: usize,
}

impl ReplyDecoder {
    /// A decoder with these limits.
    pub fn new(limits: ReplyLimits) -> ReplyDecoder {
        ReplyDecoder { limits, reader: LineReader::new(limits.line), partial: None, total: 0 }
    }

    /// Takes bytes from `input` until one reply is complete or the input is used up, and gives
    /// the number of bytes taken and the reply, if one completed. An error is final: the stream
    /// cannot be resynchronised and the session must end.
    pub fn decode(&mut self, input: &[u8]) -> (usize, Option<Result<Reply, DmtpError>>) {
        let mut taken = 0;
        loop {
            let (n, framed) = self.reader.read(input.get(taken..).unwrap_or_default());
            taken += n;
            match framed {
                Framed::Incomplete => return (taken, None),
                Framed::BareLf => return (taken, Some(Err(DmtpError::ReplySyntax))),
                Framed::TooLong => return (taken, Some(Err(DmtpError::LineTooLong { limit: self.limits.line }))),
                Framed::Line => {}
            }
            if let Some(result) = self.take_line() {
                return (taken, Some(result));
            }
        }
    }

    fn take_line(&mut self) -> Option<Result<Reply, DmtpError>> {
        let line = match ReplyLine::parse(self.reader.line()) {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        self.total += line.text.len() + 6;
        if self.total > self.limits.total {
            return Some(Err(DmtpError::ReplyTooLarge { limit: self.limits.total }));
        }
        let reply = self.partial.get_or_insert_with(|| Reply { code: line.code, lines: Vec::new() });
        if reply.code != line.code {
            return Some(Err(DmtpError::ReplyCodeMismatch { first: reply.code.value(), found: line.code.value() }));
        }
        if reply.lines.len() == self.limits.lines {
            return Some(Err(DmtpError::ReplyTooManyLines { limit: self.limits.lines }));
        }
        reply.lines.push(line.text.to_string());
        if line.last {
            self.total = 0;
            return self.partial.take().map(Ok);
        }
        None
    }

    /// Whether part of a reply has been read.
    pub fn is_mid_reply(&self) -> bool {
        self.partial.is_some() || self.reader.pending() > 0
    }

    /// Heap bytes held.
    pub fn capacity(&self) -> usize {
        self.reader.capacity() + self.partial.as_ref().map_or(0, |r| r.wire_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> Vec<Result<Reply, DmtpError>> {
        let mut decoder = ReplyDecoder::new(ReplyLimits { line: 64, lines: 3, total: 120 });
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let (n, item) = decoder.decode(&bytes[pos..]);
            pos += n;
            match item {
                Some(Err(e)) => {
                    out.push(Err(e));
                    break;
                }
                Some(ok) => out.push(ok),
                None => {}
            }
        }
        out
    }

    #[test]
    fn multi_line() {
        let reply = Reply::multi(ReplyCode::OK, ["PIPELINING".to_string(), "SIZE 10".into(), "OK".into()]);
        assert_eq!(&reply.to_bytes()[..], b"250-PIPELINING\r\n250-SIZE 10\r\n250 OK\r\n");
        assert_eq!(decode_all(&reply.to_bytes()), vec![Ok(reply.clone())]);
        assert_eq!(reply.to_string(), "250-PIPELINING | 250-SIZE 10 | 250 OK");
    }

    #[test]
    fn rejections() {
        assert_eq!(
            decode_all(b"250-A\r\n251 B\r\n"),
            vec![Err(DmtpError::ReplyCodeMismatch { first: 250, found: 251 })]
        );
        assert_eq!(
            decode_all(b"250-A\r\n250-B\r\n250-C\r\n250 D\r\n"),
            vec![Err(DmtpError::ReplyTooManyLines { limit: 3 })]
        );
        assert_eq!(
            decode_all(&[b"250 ".to_vec(), vec![b'A'; 70]].concat()),
            vec![Err(DmtpError::LineTooLong { limit: 64 })]
        );
        let big = [b"250-", &[b'A'; 50][..], b"\r\n250-", &[b'A'; 50], b"\r\n250 ", &[b'A'; 50], b"\r\n"].concat();
        assert_eq!(decode_all(&big), vec![Err(DmtpError::ReplyTooLarge { limit: 120 })]);
        for bad in [
            &b"25 OK\r\n"[..],
            b"250OK\r\n",
            b"199 X\r\n",
            b"600 X\r\n",
            b"250 \x01\r\n",
            b"250 OK\n",
            b"2a0 OK\r\n",
            b"250\r\n",
        ] {
            assert_eq!(decode_all(bad), vec![Err(DmtpError::ReplySyntax)], "{bad:?}");
        }
    }

    #[test]
    fn sanitizes_text() {
        assert_eq!(Reply::new(ReplyCode::OK, "a\r\nb").last_line(), "a??b");
    }
}
