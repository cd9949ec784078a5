//! The wire format, apart from any session: commands, replies, their arguments and line framing.
//! Nothing here knows which command is allowed when; that is [`crate::server`]'s job.

pub mod args;
pub mod command;
pub mod line;
pub mod reply;

pub use args::{Address, Name, Nonce, TxId};
pub use command::{Command, DataType, HelpTopic, MailFrom, ReturnType, SMTP_ONLY_VERBS, Verb};
pub use line::{Framed, LineReader, MAX_COMMAND_LINE};
pub use reply::{Reply, ReplyCode, ReplyDecoder, ReplyLimits, ReplyLine};
