//! The four actors of a message and the chunks each may read.

use core::fmt;

/// An actor on the message path; also the role of a signet given to the composer or an opener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    /// The user who writes the message.
    Author,
    /// The author's organization, which countersigns and relays.
    Origin,
    /// The recipient's organization, which stores.
    Destination,
    /// The user who reads the message.
    Recipient,
}

impl Actor {
    /// All actors in keyslot order.
    pub const ALL: [Actor; 4] = [Actor::Author, Actor::Origin, Actor::Destination, Actor::Recipient];

    /// The actor byte used in key derivation and keyslot nonces (1 to 4).
    pub const fn byte(self) -> u8 {
        match self {
            Actor::Author => 1,
            Actor::Origin => 2,
            Actor::Destination => 3,
            Actor::Recipient => 4,
        }
    }

    /// A lower-case name (`author`, `origin`, `destination`, `recipient`).
    pub const fn name(self) -> &'static str {
        match self {
            Actor::Author => "author",
            Actor::Origin => "origin",
            Actor::Destination => "destination",
            Actor::Recipient => "recipient",
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Actor {
    type Err = crate::MessageError;

    /// Parses a lower-case actor name.
    fn from_str(text: &str) -> crate::Result<Actor> {
        Actor::ALL.into_iter().find(|a| a.name() == text).ok_or(crate::MessageError::Input("unknown actor name"))
    }
}
