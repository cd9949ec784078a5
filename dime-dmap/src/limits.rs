//! Explicit size, output and time limits on everything a peer can make a session hold.

use std::time::Duration;

/// Size, count and time limits of one DMAP session. Every byte read from the peer is checked
/// against them before it is buffered or parsed; `docs/dmap.md` §8 lists the defaults and the
/// exact answers when one is exceeded.
///
/// Start from [`SessionLimits::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionLimits {
    /// Longest line (from the start of a line to its LF, literal data excluded).
    pub max_line: usize,
    /// Largest literal accepted (an appended or submitted object, a signet, a key file).
    pub max_literal: usize,
    /// Largest whole command or response: its lines and literals together.
    pub max_message: usize,
    /// Largest whole command before authentication: its lines and literals together. No
    /// command that may run before login needs more, and it is all an anonymous peer can make
    /// a connection buffer.
    pub max_prelogin_command: usize,
    /// Largest non-synchronizing literal (`{n+}`) a client may send; this is `LITERAL-`'s
    /// fixed 4,096 bytes.
    pub max_non_sync_literal: usize,
    /// Most ranges in one sequence set.
    pub max_sequence_ranges: usize,
    /// Most keys in one `SEARCH` (nesting counts each key).
    pub max_search_keys: usize,
    /// Most messages one `COPY` or `MOVE` may name; a larger one is refused before anything
    /// is copied.
    pub max_copy: usize,
    /// Most mailbox names, and most subscribed names, one account may have, the `\Noselect`
    /// placeholders of superiors that are no mailbox (or not subscribed) included; `CREATE`,
    /// `RENAME` and `SUBSCRIBE` past it are refused. It bounds what one `LIST` or `LSUB`
    /// answers.
    pub max_mailboxes: usize,
    /// Most levels of a mailbox name (`a/b/c` has 3); `CREATE`, `RENAME` (also of the
    /// inferiors it renames) and `SUBSCRIBE` past it are refused.
    pub max_mailbox_depth: usize,
    /// Most bytes of object data (`BODY[]`, `RFC822`) one `FETCH` may return; a larger one is
    /// refused before anything is sent.
    pub max_fetch_output: u64,
    /// Largest piece of a literal a server session hands out in one
    /// [`Interrupt::Output`](crate::Interrupt::Output); larger literals are streamed in pieces
    /// of this size.
    pub output_chunk: usize,
    /// Most messages whose metadata (flags, size, internal date) a selected session reads from
    /// the store at once: one page of `SELECT`, `FETCH`, `SEARCH`, `STORE`, `STATUS` and the
    /// change reports. The session keeps only UIDs and a flag fingerprint per message
    /// (`docs/dmap.md` §12.3); at least 1 is used.
    pub index_page: usize,
    /// Most consecutive commands answered `BAD` before the server says `BYE`.
    pub max_errors: usize,
    /// Most failed `AUTHENTICATE` exchanges on one connection before the server says `BYE`.
    pub max_auth_failures: usize,
    /// How long a connection may stay unauthenticated, counted from its start.
    pub login_timeout: Duration,
    /// How long an authenticated session may go without receiving a byte, also while idling
    /// (the autologout timer of RFC 3501 §5.4, at least 30 minutes).
    pub idle_timeout: Duration,
    /// How long a started command (a partial line, announced literal data, or an
    /// `AUTHENTICATE` exchange waiting for the client's next line) may go without receiving a
    /// byte.
    pub command_timeout: Duration,
    /// How long the driver awaits one step of store work
    /// ([`ServerSession::run_store`](crate::server::ServerSession::run_store)) before it gives
    /// it up with [`ServerSession::abandon_store`](crate::server::ServerSession::abandon_store):
    /// the command is answered `NO [UNAVAILABLE]` and the session ends. The driver gives a
    /// `SIGNET` resolution through [`Hooks::signets`](crate::driver::Hooks) as long; a late one
    /// is answered `NO [UNAVAILABLE]` and the session goes on (nothing was written).
    pub store_timeout: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_line: 8 * 1024,
            max_literal: 32 * 1024 * 1024,
            max_message: 32 * 1024 * 1024 + 64 * 1024,
            max_prelogin_command: 8 * 1024,
            max_non_sync_literal: 4096,
            max_sequence_ranges: 1024,
            max_search_keys: 256,
            max_copy: 10_000,
            max_mailboxes: 1000,
            max_mailbox_depth: 32,
            max_fetch_output: 256 * 1024 * 1024,
            output_chunk: 64 * 1024,
            index_page: 1024,
            max_errors: 10,
            max_auth_failures: 3,
            login_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(30 * 60),
            command_timeout: Duration::from_secs(60),
            store_timeout: Duration::from_secs(30),
        }
    }
}
