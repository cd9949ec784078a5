//! Explicit size limits on everything read from the wire.

/// Size and count limits of one DMAP session. Every byte read from the peer is checked against
/// them before it is buffered or parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line (from the start of a line to its LF, literal data excluded).
    pub max_line: usize,
    /// Largest literal accepted (an appended or submitted object, a signet, a key file).
    pub max_literal: usize,
    /// Largest whole command or response: its lines and literals together.
    pub max_message: usize,
    /// Largest non-synchronizing literal (`{n+}`) a client may send; this is `LITERAL-`'s
    /// fixed 4,096 bytes.
    pub max_non_sync_literal: usize,
    /// Most ranges in one sequence set.
    pub max_sequence_ranges: usize,
    /// Most consecutive commands answered `BAD` before the server says `BYE`.
    pub max_errors: usize,
    /// Most failed `AUTHENTICATE` exchanges on one connection before the server says `BYE`.
    pub max_auth_failures: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 8 * 1024,
            max_literal: 32 * 1024 * 1024,
            max_message: 32 * 1024 * 1024 + 64 * 1024,
            max_non_sync_literal: 4096,
            max_sequence_ranges: 1024,
            max_errors: 10,
            max_auth_failures: 3,
        }
    }
}
