//! What the server and client sessions share: the connection state and the interrupts of
//! their `next` methods.

/// The IMAP connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Before a successful `AUTHENTICATE`.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected,
    /// The session has ended.
    Logout,
}

impl State {
    /// The name used in refusals (`not authenticated`, `authenticated`, `selected`, `logout`).
    pub fn name(self) -> &'static str {
        match self {
            State::NotAuthenticated => "not authenticated",
            State::Authenticated => "authenticated",
            State::Selected => "selected",
            State::Logout => "logout",
        }
    }
}

/// Why a session's `next` returned without an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupt {
    /// Write these bytes to the peer, then call `next` again.
    Output(Vec<u8>),
    /// Feed more received bytes with `enqueue_input`, then call `next` again.
    NeedMoreInput,
    /// The server session waits for the application's answer to the event it last gave (a
    /// signet lookup: answer with `signet_resolved`), then call `next` again. Read nothing
    /// meanwhile: the session reads no input until then, so more would only pile up.
    AwaitingAnswer,
    /// The server session has store work pending (a command, a login's credentials, a
    /// `FETCH` message's object, an idling session's refresh): await
    /// `ServerSession::run_store`, then call `next` again. The session reads no input
    /// meanwhile; every later call returns this again until the work has run.
    Store,
    /// The session is over: close the connection. Every later call returns this again.
    Closed,
}
