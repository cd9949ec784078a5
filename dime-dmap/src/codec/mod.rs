//! Low-level: the DMAP codec, IMAP4rev1 syntax plus the DIME extensions, written for this crate.
//!
//! To speak DMAP, drive a [`crate::server::ServerSession`] or [`crate::client::ClientSession`]
//! (or, with the `tokio` feature, `driver::serve` and the typed `driver::Client`): they
//! fragment, parse and write every message. Callers meet the values here (mailbox names,
//! flags, dates, sequence sets, response codes, [`CommandBody`] for
//! [`ClientSession::send`](crate::client::ClientSession::send), [`Data`] in responses), which
//! the [`Store`](crate::store::Store) trait and the clients take and return. The codec proper
//! ([`fragment`], [`cursor`], [`writer`], `parse`/`write` of [`command`] and [`response`]) is
//! for another session implementation, stores that keep wire forms, tests and fuzzing.
//!
//! | module | what |
//! | --- | --- |
//! | [`fragment`] | cuts a byte stream into whole messages, enforcing line, literal and message limits |
//! | [`cursor`] | the lexical layer: tags, atoms, numbers, quoted strings, literals, lists |
//! | [`types`] | values inside messages: mailbox names, flags, sequence sets, dates, fetch and status items, response codes |
//! | [`section`] | body sections of `BODY[...]` and `BINARY[...]` |
//! | [`search`] | `SEARCH` criteria: every RFC 3501 search key, and how a message matches |
//! | [`command`] | [`Command`]: parse and write |
//! | [`response`] | [`Response`]: parse and write |
//! | [`writer`] | the serializer, which records where synchronizing literals split a message |
//!
//! Parsing works on one complete message at a time, so it never needs more input and never
//! allocates more than the message holds.

pub mod command;
pub mod cursor;
pub mod fragment;
pub mod response;
pub mod search;
pub mod section;
pub mod types;
pub mod writer;

pub use command::{Command, CommandBody, ParseLimits};
pub use fragment::{Fragment, FragmentLimits, Fragmentizer, LiteralMode};
pub use response::{Data, Response, Status};
pub use search::{SearchCriteria, SearchDate, SearchKey, TextField};
pub use section::{Section, SectionText};
pub use types::{
    Code, DateTime, FetchAttr, FetchItem, Flag, Mailbox, SeqBound, SequenceSet, StatusAttr, StatusKind, StoreMode, Tag,
};
pub use writer::Writer;
