//! Low-level: the fragmentizer: cuts a byte stream into whole commands or responses before anything
//! is parsed, and enforces the line, literal and message limits while doing so.
//!
//! An IMAP message is one or more lines; a line that ends with a literal announcement
//! (`{n}` or `{n+}` before its CRLF) is followed by exactly `n` bytes of literal data and then
//! the rest of the message. The fragmentizer only looks at line ends and announcements: it never
//! interprets anything else, so a parser always sees a complete message and never has to ask for
//! more input.
//!
//! Memory: unconsumed input plus the current message. Bytes are moved into the message only
//! after their limits are checked; a line over [`SessionLimits::max_line`](crate::SessionLimits) is skipped up
//! to its LF without being kept, and a literal is accepted only when the caller says so.

/// How a literal was announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiteralMode {
    /// `{n}`: the client waits for a `+` continuation before sending the data.
    Sync,
    /// `{n+}`: the data follows at once (RFC 7888).
    NonSync,
}

/// What the fragmentizer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// One complete message: every line (each with its line end) and every literal, as
    /// received. In raw-line mode, one line.
    Message(Vec<u8>),
    /// The current line ends with a literal announcement. The caller must call
    /// [`Fragmentizer::accept_literal`] or [`Fragmentizer::discard_message`]; until then this
    /// fragment is returned again. [`Fragmentizer::current`] shows the message so far.
    Announced {
        /// Bytes announced.
        length: u64,
        /// Synchronizing or not.
        mode: LiteralMode,
        /// Whether the literal fits the literal and message limits.
        fits: bool,
    },
    /// A line grew past the line limit. The message so far is dropped and the rest of the line
    /// is skipped as it arrives; `head` holds the first bytes of the message (at most
    /// [`HEAD_LEN`]) so that a server can still find the tag.
    LineTooLong {
        /// The first bytes of the dropped message.
        head: Vec<u8>,
    },
    /// A line within the line limit would have grown the message past the message limit. As for
    /// [`Fragment::LineTooLong`], the message is dropped and the rest of the line skipped.
    MessageTooLong {
        /// The first bytes of the dropped message.
        head: Vec<u8>,
    },
}

/// Bytes of a dropped message kept in [`Fragment::LineTooLong`].
pub const HEAD_LEN: usize = 64;

/// The limits the fragmentizer enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentLimits {
    /// Longest line, literal data excluded.
    pub max_line: usize,
    /// Largest literal.
    pub max_literal: usize,
    /// Largest message (lines and literals).
    pub max_message: usize,
}

impl From<&crate::SessionLimits> for FragmentLimits {
    fn from(limits: &crate::SessionLimits) -> Self {
        FragmentLimits { max_line: limits.max_line, max_literal: limits.max_literal, max_message: limits.max_message }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a line; `line_start` is where it starts in the message.
    Line { line_start: usize },
    /// Waiting for the caller to accept or refuse an announced literal.
    Announced { length: u64, mode: LiteralMode },
    /// Copying `remaining` literal bytes into the message.
    Literal { remaining: usize },
    /// Skipping the rest of a line that was too long.
    Skip,
}

/// Cuts input into messages. See the module documentation.
#[derive(Debug, Clone)]
pub struct Fragmentizer {
    limits: FragmentLimits,
    input: Vec<u8>,
    pos: usize,
    message: Vec<u8>,
    state: State,
    literals: bool,
}

/// Compact the input buffer once this many consumed bytes sit at its front.
const COMPACT_AT: usize = 16 * 1024;

impl Fragmentizer {
    /// An empty fragmentizer that recognises literal announcements.
    pub fn new(limits: FragmentLimits) -> Fragmentizer {
        Fragmentizer {
            limits,
            input: Vec::new(),
            pos: 0,
            message: Vec::new(),
            state: State::Line { line_start: 0 },
            literals: true,
        }
    }

    /// Appends received bytes. They are examined by [`Fragmentizer::progress`].
    pub fn enqueue(&mut self, bytes: &[u8]) {
        if self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
        } else if self.pos >= COMPACT_AT {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received and not yet part of a returned fragment.
    pub fn buffered(&self) -> usize {
        self.input.len() - self.pos + self.message.len()
    }

    /// Changes the message limit (e.g. a smaller one before authentication). It applies to
    /// every byte moved into a message from now on, including the current one.
    pub fn set_max_message(&mut self, max_message: usize) {
        self.limits.max_message = max_message;
    }

    /// Switches literal recognition on (commands, responses) or off (raw lines: the
    /// `AUTHENTICATE` exchange and `IDLE`'s `DONE`).
    pub fn set_literals(&mut self, on: bool) {
        self.literals = on;
    }

    /// The message assembled so far (useful to read the tag of a refused command).
    pub fn current(&self) -> &[u8] {
        &self.message
    }

    /// Accepts the announced literal: its bytes become part of the message.
    pub fn accept_literal(&mut self) {
        if let State::Announced { length, .. } = self.state {
            // `fits` was checked against limits far below usize::MAX; saturate anyway.
            let remaining = usize::try_from(length).unwrap_or(usize::MAX);
            self.state = if remaining == 0 { self.line_state() } else { State::Literal { remaining } };
        }
    }

    /// Drops the message assembled so far. After a refused synchronizing literal the client
    /// sends no data, so reading resumes with the next line.
    pub fn discard_message(&mut self) {
        self.message.clear();
        self.state = State::Line { line_start: 0 };
    }

    /// Drops everything: buffered input and the current message (e.g. when TLS starts, so
    /// nothing sent in the clear is read as if it came over TLS).
    pub fn clear(&mut self) {
        self.input.clear();
        self.pos = 0;
        self.discard_message();
    }

    fn line_state(&self) -> State {
        State::Line { line_start: self.message.len() }
    }

    /// Advances as far as the buffered input allows. `None` means more input is needed.
    pub fn progress(&mut self) -> Option<Fragment> {
        loop {
            match self.state {
                State::Announced { length, mode } => {
                    let fits = length <= self.limits.max_literal as u64
                        && (self.message.len() as u64).saturating_add(length) <= self.limits.max_message as u64;
                    return Some(Fragment::Announced { length, mode, fits });
                }
                State::Literal { remaining } => {
                    let available = self.input.len() - self.pos;
                    if available == 0 {
                        return None;
                    }
                    let take = remaining.min(available);
                    let end = self.pos + take;
                    self.message.extend_from_slice(self.input.get(self.pos..end).unwrap_or_default());
                    self.pos = end;
                    self.state = if take == remaining {
                        self.line_state()
                    } else {
                        State::Literal { remaining: remaining - take }
                    };
                }
                State::Skip => {
                    let rest = self.input.get(self.pos..).unwrap_or_default();
                    match rest.iter().position(|&b| b == b'\n') {
                        Some(i) => {
                            self.pos += i + 1;
                            self.state = State::Line { line_start: 0 };
                        }
                        None => {
                            self.pos = self.input.len();
                            return None;
                        }
                    }
                }
                State::Line { line_start } => return self.line(line_start),
            }
        }
    }

    fn line(&mut self, line_start: usize) -> Option<Fragment> {
        let line_len = self.message.len() - line_start;
        let room = self.limits.max_line.saturating_sub(line_len);
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let window = rest.get(..room.saturating_add(1).min(rest.len())).unwrap_or_default();
        let Some(i) = window.iter().position(|&b| b == b'\n') else {
            if rest.len() > room {
                return Some(self.too_long(false));
            }
            if self.message.len() + rest.len() > self.limits.max_message {
                return Some(self.too_long(true));
            }
            self.message.extend_from_slice(rest);
            self.pos = self.input.len();
            return None;
        };
        if i + 1 > room {
            return Some(self.too_long(false));
        }
        if self.message.len() + i + 1 > self.limits.max_message {
            return Some(self.too_long(true));
        }
        self.message.extend_from_slice(window.get(..=i).unwrap_or_default());
        self.pos += i + 1;
        let line = self.message.get(line_start..).unwrap_or_default();
        match self.literals.then(|| announcement(line)).flatten() {
            Some((length, mode)) => {
                self.state = State::Announced { length, mode };
                self.progress()
            }
            None => {
                self.state = State::Line { line_start: 0 };
                Some(Fragment::Message(core::mem::take(&mut self.message)))
            }
        }
    }

    /// Drops the message and skips the rest of the line; `message`: the message limit, not the
    /// line limit, was exceeded.
    fn too_long(&mut self, message: bool) -> Fragment {
        let mut head = core::mem::take(&mut self.message);
        if head.is_empty() {
            let rest = self.input.get(self.pos..).unwrap_or_default();
            let end = rest.iter().take(HEAD_LEN).position(|&b| b == b'\r' || b == b'\n');
            head.extend_from_slice(rest.get(..end.unwrap_or(HEAD_LEN.min(rest.len()))).unwrap_or_default());
        }
        head.truncate(HEAD_LEN);
        self.state = State::Skip;
        if message { Fragment::MessageTooLong { head } } else { Fragment::LineTooLong { head } }
    }
}

/// The literal announced at the end of `line` (which ends with LF), if any: `{digits}` or
/// `{digits+}` right before the line end. At most 10 digits (an IMAP number is 32 bits).
fn announcement(line: &[u8]) -> Option<(u64, LiteralMode)> {
    let body = line.strip_suffix(b"\n")?;
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let body = body.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let inner = body.get(open + 1..)?;
    let (digits, mode) = match inner.strip_suffix(b"+") {
        Some(digits) => (digits, LiteralMode::NonSync),
        None => (inner, LiteralMode::Sync),
    };
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let length = digits.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    (length <= u64::from(u32::MAX)).then_some((length, mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> FragmentLimits {
        FragmentLimits { max_line: 32, max_literal: 10, max_message: 60 }
    }

    #[test]
    fn lines_and_literals_split_anywhere() {
        let wire = b"a1 NOOP\r\na2 APPEND x {5}\r\nhello\r\na3 X {2+}\r\nab {0}\r\n\r\n";
        for split in 0..wire.len() {
            let mut f = Fragmentizer::new(limits());
            let mut out = Vec::new();
            for part in [&wire[..split], &wire[split..]] {
                f.enqueue(part);
                while let Some(fragment) = f.progress() {
                    match fragment {
                        Fragment::Message(m) => out.push(m),
                        Fragment::Announced { fits: true, .. } => f.accept_literal(),
                        other => panic!("{other:?}"),
                    }
                }
            }
            assert_eq!(
                out,
                vec![
                    b"a1 NOOP\r\n".to_vec(),
                    b"a2 APPEND x {5}\r\nhello\r\n".to_vec(),
                    b"a3 X {2+}\r\nab {0}\r\n\r\n".to_vec()
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn announcement_forms() {
        assert_eq!(announcement(b"x {12}\r\n"), Some((12, LiteralMode::Sync)));
        assert_eq!(announcement(b"x {12+}\n"), Some((12, LiteralMode::NonSync)));
        assert_eq!(announcement(b"x {4294967295}\r\n"), Some((u64::from(u32::MAX), LiteralMode::Sync)));
        assert_eq!(announcement(b"x {4294967296}\r\n"), None);
        assert_eq!(announcement(b"x {12345678901}\r\n"), None);
        assert_eq!(announcement(b"x {}\r\n"), None);
        assert_eq!(announcement(b"x {1a}\r\n"), None);
        assert_eq!(announcement(b"x {+}\r\n"), None);
        assert_eq!(announcement(b"x 12}\r\n"), None);
    }

    #[test]
    fn oversized_literal_is_reported_and_can_be_discarded() {
        let mut f = Fragmentizer::new(limits());
        f.enqueue(b"t APPEND x {11}\r\nt2 NOOP\r\n");
        assert_eq!(f.progress(), Some(Fragment::Announced { length: 11, mode: LiteralMode::Sync, fits: false }));
        assert_eq!(f.current(), b"t APPEND x {11}\r\n");
        // Asked again, the same answer: nothing moves until the caller decides.
        assert_eq!(f.progress(), Some(Fragment::Announced { length: 11, mode: LiteralMode::Sync, fits: false }));
        f.discard_message();
        assert_eq!(f.progress(), Some(Fragment::Message(b"t2 NOOP\r\n".to_vec())));
        assert_eq!(f.progress(), None);
    }

    #[test]
    fn message_limit_counts_lines_and_literals() {
        let mut f = Fragmentizer::new(FragmentLimits { max_message: 50, ..limits() });
        f.enqueue(b"t A {10}\r\n0123456789 {10}\r\n0123456789 {10}\r\n");
        assert!(matches!(f.progress(), Some(Fragment::Announced { fits: true, .. })));
        f.accept_literal();
        assert!(matches!(f.progress(), Some(Fragment::Announced { fits: true, .. })));
        f.accept_literal();
        // Lines 10 + 7 + 7 and literals 10 + 10 make 44 so far; 10 more would pass 50.
        assert_eq!(f.progress(), Some(Fragment::Announced { length: 10, mode: LiteralMode::Sync, fits: false }));
    }

    #[test]
    fn lowered_message_limit_caps_lines_and_literals_together() {
        let mut f = Fragmentizer::new(limits());
        f.set_max_message(21);
        // 11 bytes of line, then a 10-byte literal: the message is 21 bytes, at the limit.
        f.enqueue(b"t A {10+}\r\n0123456789");
        assert_eq!(f.progress(), Some(Fragment::Announced { length: 10, mode: LiteralMode::NonSync, fits: true }));
        f.accept_literal();
        assert_eq!(f.progress(), None);
        // One more byte of line passes the message limit though the line is short.
        f.enqueue(b"x\r\nt2 NOOP\r\n");
        assert_eq!(f.progress(), Some(Fragment::MessageTooLong { head: b"t A {10+}\r\n0123456789".to_vec() }));
        assert_eq!(f.progress(), Some(Fragment::Message(b"t2 NOOP\r\n".to_vec())));
        // A literal that would pass it does not fit.
        f.enqueue(b"t3 A {19}\r\n");
        assert_eq!(f.progress(), Some(Fragment::Announced { length: 19, mode: LiteralMode::Sync, fits: false }));
    }

    #[test]
    fn long_line_is_skipped_without_buffering() {
        let mut f = Fragmentizer::new(limits());
        f.enqueue(b"tag1 ");
        assert_eq!(f.progress(), None);
        f.enqueue(&[b'x'; 100]);
        assert_eq!(f.progress(), Some(Fragment::LineTooLong { head: b"tag1 ".to_vec() }));
        for _ in 0..100 {
            f.enqueue(&[b'y'; 1000]);
            assert_eq!(f.progress(), None);
            assert_eq!(f.buffered(), 0, "skipped bytes are not kept");
        }
        f.enqueue(b"yy\r\nt2 NOOP\r\n");
        assert_eq!(f.progress(), Some(Fragment::Message(b"t2 NOOP\r\n".to_vec())));
    }

    #[test]
    fn line_exactly_at_the_limit_passes() {
        let mut f = Fragmentizer::new(limits());
        let mut line = vec![b'a'; 30];
        line.extend_from_slice(b"\r\n");
        f.enqueue(&line);
        assert_eq!(f.progress(), Some(Fragment::Message(line.clone())));
        let mut longer = vec![b'a'; 31];
        longer.extend_from_slice(b"\r\n");
        f.enqueue(&longer);
        assert_eq!(f.progress(), Some(Fragment::LineTooLong { head: vec![b'a'; 31] }));
    }

    #[test]
    fn raw_line_mode_ignores_announcements() {
        let mut f = Fragmentizer::new(limits());
        f.set_literals(false);
        f.enqueue(b"abc {5}\r\n");
        assert_eq!(f.progress(), Some(Fragment::Message(b"abc {5}\r\n".to_vec())));
    }

    #[test]
    fn clear_drops_pipelined_input() {
        let mut f = Fragmentizer::new(limits());
        f.enqueue(b"a STARTTLS\r\nb NOOP\r\n");
        assert_eq!(f.progress(), Some(Fragment::Message(b"a STARTTLS\r\n".to_vec())));
        f.clear();
        assert_eq!(f.progress(), None);
        assert_eq!(f.buffered(), 0);
    }
}
