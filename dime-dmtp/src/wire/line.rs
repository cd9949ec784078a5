//! Low-level: line framing (the sessions frame their input with it): CRLF-terminated lines under a
//! length limit, read incrementally with bounded memory (a line over the limit is skipped, never
//! stored).

/// Longest command line, its CRLF included (protocols.md §1, D5).
pub const MAX_COMMAND_LINE: usize = 512;

/// What [`LineReader::read`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// A complete CRLF line; its content is [`LineReader::line`].
    Line,
    /// A line ended by an LF without a CR before it (the line is dropped).
    BareLf,
    /// The line reached the limit without a terminator; the reader now skips everything up to
    /// and including the next LF, and reports nothing more for that line.
    TooLong,
    /// All input was taken and no line is complete yet.
    Incomplete,
}

/// Collects one line at a time, holding at most `limit` bytes.
#[derive(Debug, Clone)]
pub struct LineReader {
    buf: Vec<u8>,
    limit: usize,
    skipping: bool,
}

impl LineReader {
    /// A reader for lines of at most `limit` bytes, CRLF included.
    pub fn new(limit: usize) -> LineReader {
        LineReader { buf: Vec::new(), limit: limit.max(2), skipping: false }
    }

    /// The line limit, CRLF included.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes bytes from `input` up to the end of the next line (or the limit) and says what it
    /// found, with the number of bytes taken. After [`Framed::Line`] the line stays available
    /// through [`LineReader::line`] until the next call.
    pub fn read(&mut self, input: &[u8]) -> (usize, Framed) {
        let mut taken = 0;
        if self.buf.ends_with(b"\n") {
            self.buf.clear();
        }
        if self.skipping {
            match input.iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    self.skipping = false;
                    taken = pos + 1;
                }
                None => return (input.len(), Framed::Incomplete),
            }
        }
        let rest = input.get(taken..).unwrap_or_default();
        let window = self.limit.saturating_sub(self.buf.len()).min(rest.len());
        let head = rest.get(..window).unwrap_or_default();
        match head.iter().position(|&b| b == b'\n') {
            Some(pos) => {
                self.buf.extend_from_slice(head.get(..=pos).unwrap_or_default());
                taken += pos + 1;
                if self.buf.ends_with(b"\r\n") {
                    (taken, Framed::Line)
                } else {
                    self.buf.clear();
                    (taken, Framed::BareLf)
                }
            }
            None if self.buf.len() + rest.len() >= self.limit => {
                self.buf.clear();
                self.skipping = true;
                (taken + window, Framed::TooLong)
            }
            None => {
                self.buf.extend_from_slice(head);
                (taken + window, Framed::Incomplete)
            }
        }
    }

    /// The last complete line, without its CRLF (empty unless the last read gave a line).
    pub fn line(&self) -> &[u8] {
        self.buf.strip_suffix(b"\r\n").unwrap_or_default()
    }

    /// Bytes held for an incomplete line.
    pub fn pending(&self) -> usize {
        if self.buf.ends_with(b"\n") { 0 } else { self.buf.len() }
    }

    /// Forgets any partial line and stops skipping.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.skipping = false;
    }

    /// Forgets any partial line and skips everything up to and including the next LF.
    pub fn skip_line(&mut self) {
        self.buf.clear();
        self.skipping = true;
    }

    /// Heap bytes held.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        let mut r = LineReader::new(512);
        assert_eq!(r.read(b"NOOP\r\nX"), (6, Framed::Line));
        assert_eq!(r.line(), b"NOOP");
        assert_eq!(r.read(b"NO"), (2, Framed::Incomplete));
        assert_eq!(r.read(b"OP\r"), (3, Framed::Incomplete));
        assert_eq!(r.read(b"\nQUIT"), (1, Framed::Line));
        assert_eq!(r.line(), b"NOOP");
        assert_eq!(r.read(b"QUIT\n"), (5, Framed::BareLf));
        assert_eq!(r.line(), b"");
        let exact = [b"A".repeat(510), b"\r\n".to_vec()].concat();
        assert_eq!(r.read(&exact), (512, Framed::Line));
        assert_eq!(r.line().len(), 510);
        let over = [b"A".repeat(511), b"\r\nNOOP\r\n".to_vec()].concat();
        assert_eq!(r.read(&over), (512, Framed::TooLong));
        assert_eq!(r.read(&over[512..]), (7, Framed::Line));
        assert_eq!(r.line(), b"NOOP");
        assert_eq!(r.read(&b"B".repeat(300)), (300, Framed::Incomplete));
        assert_eq!(r.read(&b"B".repeat(300)), (212, Framed::TooLong));
        assert_eq!(r.read(&b"B".repeat(10_000)), (10_000, Framed::Incomplete));
        assert!(r.capacity() <= 1024);
        assert_eq!(r.read(b"B\r\nRSET\r\n"), (9, Framed::Line));
        assert_eq!(r.line(), b"RSET");
    }
}
