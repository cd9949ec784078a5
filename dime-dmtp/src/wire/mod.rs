//! Low-level: the wire format, apart from any session: commands, replies, their arguments and
//! line framing. Nothing here knows which command is allowed when; that is [`crate::server`]'s
//! job.
//!
//! To speak DMTP, drive a [`crate::server::ServerSession`] or [`crate::client::ClientSession`]
//! (or, with the `tokio` feature, `driver::serve` and `driver::deliver`): they parse and write
//! every line. Callers meet the argument values ([`Address`], [`Name`], [`TxId`], [`MailFrom`])
//! and [`ReplyCode`]; the codecs ([`Command`], [`ReplyDecoder`], [`LineReader`]) are for
//! another session implementation, tests and fuzzing.

pub mod args;
pub mod command;
pub mod line;
pub mod reply;

pub use args::{Address, Name, Nonce, TxId};
pub use command::{Command, DataType, HelpTopic, MailFrom, ReturnType, SMTP_ONLY_VERBS, Verb};
pub use line::{Framed, LineReader, MAX_COMMAND_LINE};
pub use reply::{Reply, ReplyCode, ReplyDecoder, ReplyLimits, ReplyLine};
