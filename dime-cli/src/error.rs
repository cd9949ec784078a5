//! The one error type of the `dime` tool and the exit codes it maps to.

use std::io;
use std::path::{Path, PathBuf};

use dime_message::{Actor, MessageError};
use dime_signet::SignetError;
use dime_signet::record::RecordError;

/// Exit code of success: the command did its work, or what it checked is valid.
pub const EXIT_OK: u8 = 0;
/// Exit code of a check that ran and failed: a signature, custody chain, TLS certificate or
/// message that does not verify.
pub const EXIT_INVALID: u8 = 1;
/// Exit code of bad input or usage: unreadable or malformed files, bad arguments.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Why a command failed. [`CliError::exit_code`] says which exit code each cause gives.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("{}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file is larger than the limit for what it should hold.
    #[error("{}: larger than the limit of {limit} bytes", .path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// A file could not be written.
    #[error("{}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// An output file exists and `--force` was not given.
    #[error("{}: already exists (use --force to overwrite)", .path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A file does not hold a well-formed signet, request or key file.
    #[error("{}: malformed: {source}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: SignetError,
    },
    /// A file holds a well-formed object of the wrong kind.
    #[error("{}: expected {expected}, found {found}", .path.display())]
    WrongObject {
        /// The file.
        path: PathBuf,
        /// What the option needs.
        expected: &'static str,
        /// What the file holds.
        found: &'static str,
    },
    /// A key file that is not the kind its role needs.
    #[error("{}: {role} needs {expected}, found {found}", .path.display())]
    WrongKeyKind {
        /// The file.
        path: PathBuf,
        /// Who needs the key ("the recipient").
        role: &'static str,
        /// The key file kind the role needs.
        expected: &'static str,
        /// What the file holds.
        found: &'static str,
    },
    /// An address that is not `local@domain` with a dot-atom local part and a valid host name.
    #[error("invalid address {address:?}: expected local@domain")]
    InvalidAddress {
        /// The text given.
        address: String,
    },
    /// The address to issue a signet for is outside the organization's domain.
    #[error("address {address} is not in the organization's domain {domain}")]
    ForeignAddress {
        /// The address given.
        address: String,
        /// The org signet's identifier.
        domain: String,
    },
    /// The organizational signet given to sign with does not validate to the crypto state.
    #[error("{}: the organizational signet is {state}: {problem}", .path.display())]
    OrgSignetRejected {
        /// The org signet file.
        path: PathBuf,
        /// The state it reached.
        state: &'static str,
        /// Why.
        problem: SignetError,
    },
    /// The signing request does not validate (its own signature, or its custody chain).
    #[error("{}: the signing request is {state}: {problem}", .path.display())]
    RequestRejected {
        /// The request file.
        path: PathBuf,
        /// The state it reached.
        state: &'static str,
        /// Why.
        problem: SignetError,
    },
    /// Building, signing or issuing a signet failed.
    #[error("{0}")]
    Signet(#[from] SignetError),
    /// A management record does not parse or cannot be built.
    #[error("invalid management record: {0}")]
    Record(#[source] RecordError),
    /// A certificate file is not a DER or PEM certificate.
    #[error("{}: {source}", .path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: RecordError,
    },
    /// No `tls` value of the record verifies over the certificate.
    #[error("{0}")]
    TlsMismatch(#[source] RecordError),
    /// Standard output could not be written.
    #[error("standard output: {0}")]
    Stdout(#[source] io::Error),
    /// A file does not hold a well-formed message object.
    #[error("{}: malformed message: {source}", .path.display())]
    MalformedMessage {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: MessageError,
    },
    /// A check of the message failed: a signature, a digest, a key commitment, a ciphertext or
    /// its authenticated plaintext, or the missing countersignature.
    #[error("{}: rejected: {source}", .path.display())]
    MessageRejected {
        /// The file.
        path: PathBuf,
        /// The failed check.
        source: MessageError,
    },
    /// The message cannot be opened as asked: it is in the wrong state for the actor, or a
    /// signet given is not the one it names.
    #[error("{}: {source}", .path.display())]
    MessageRefused {
        /// The file.
        path: PathBuf,
        /// Why.
        source: MessageError,
    },
    /// The key does not open the actor's keyslot of the first chunk the actor reads, so the
    /// message is not addressed to this key (or that keyslot was altered).
    #[error(
        "{}: {} does not open the {actor} keyslot (the message is not for this {actor} key, or it was altered)",
        .path.display(), .key.display()
    )]
    WrongKey {
        /// The message file.
        path: PathBuf,
        /// The key file.
        key: PathBuf,
        /// The actor the message was opened as.
        actor: Actor,
    },
    /// Composing the message failed.
    #[error("cannot compose the message: {0}")]
    Compose(#[source] MessageError),
    /// A content file (body or attachment) does not make a valid part.
    #[error("{}: {source}", .path.display())]
    Part {
        /// The file.
        path: PathBuf,
        /// What is wrong with the part.
        source: MessageError,
    },
    /// A body given without a content type is not UTF-8 text.
    #[error("{}: not UTF-8 text (give its content type after the file name)", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// The bodies and attachments together are larger than a message may be.
    #[error("{}: the message content would exceed the limit of {limit} bytes", .path.display())]
    ContentTooLarge {
        /// The file that crossed the limit.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// The composed message is larger than `dime message` reads.
    #[error("the message would be {size} bytes, over the limit of {limit}")]
    MessageTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A `--header` value is not `Name: value`.
    #[error("invalid header {header:?}: {problem}")]
    InvalidHeader {
        /// The text given.
        header: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A `--header` names one of the common headers, which have their own options.
    #[error("{name} is a common header: use {option}")]
    CommonHeader {
        /// The name given.
        name: String,
        /// The option for it.
        option: &'static str,
    },
    /// `--to` holds no single address to find the recipient's signet by.
    #[error("--to {text:?} holds no address to find the recipient signet by (give --recipient FILE)")]
    NoRecipientAddress {
        /// The `--to` text.
        text: String,
    },
    /// The system clock is outside the years RFC 5322 dates carry (1900 to 9999), so there
    /// is no default Date.
    #[error("the system clock is outside the years 1900 to 9999: give --date")]
    Clock,
    /// A signet the command needs was given neither as a file nor through `--signets`.
    #[error("the {role} signet is needed: give --{role} FILE or --signets DIR")]
    SignetMissing {
        /// Its role.
        role: Actor,
    },
    /// No signet file in the `--signets` folder matches.
    #[error("{}: no {role} signet {wanted}", .dir.display())]
    SignetNotFound {
        /// The folder.
        dir: PathBuf,
        /// The role looked for.
        role: Actor,
        /// What it must match, as a phrase (`for bob@example.net`).
        wanted: String,
    },
    /// A signet file given is not the one the message names for its role.
    #[error("{}: not the {role} signet the message names ({wanted})", .path.display())]
    SignetNotNamed {
        /// The signet file.
        path: PathBuf,
        /// Its role.
        role: Actor,
        /// What the message names, as a phrase.
        wanted: String,
    },
    /// Two different signet files in the `--signets` folder match.
    #[error("{} and {} both match the {role} signet {wanted}", .first.display(), .second.display())]
    SignetAmbiguous {
        /// One file.
        first: PathBuf,
        /// Another file.
        second: PathBuf,
        /// The role looked for.
        role: Actor,
        /// What they match, as a phrase.
        wanted: String,
    },
    /// The `--signets` folder holds more signet files than are read.
    #[error("{}: more than {files} signet files or {bytes} bytes of them", .dir.display())]
    FolderTooLarge {
        /// The folder.
        dir: PathBuf,
        /// The file limit.
        files: usize,
        /// The byte limit.
        bytes: usize,
    },
    /// A signet does not validate for its role in the message.
    #[error("{}: the {role} signet is {state}: {problem}", .path.display())]
    SignetRejected {
        /// The signet file.
        path: PathBuf,
        /// Its role.
        role: Actor,
        /// The state it reached.
        state: &'static str,
        /// Why.
        problem: SignetError,
    },
    /// A signet that validates only below `id` (or has no identifier): it stands for no address
    /// or domain.
    #[error("{}: the {role} signet is {state}, not id, so it is bound to no address or domain", .path.display())]
    SignetUnbound {
        /// The signet file.
        path: PathBuf,
        /// Its role.
        role: Actor,
        /// The state it reached.
        state: &'static str,
    },
    /// A signet bound to another address or domain than the one its role needs (the address of
    /// `--to`, the domain of an address).
    #[error("{}: the {role} signet is bound to {bound}, not to {wanted}", .path.display())]
    BoundElsewhere {
        /// The signet file.
        path: PathBuf,
        /// Its role.
        role: Actor,
        /// The address or domain it is bound to.
        bound: String,
        /// The address or domain needed.
        wanted: String,
    },
    /// A user signet's address is not in its organization signet's domain.
    #[error("{}: the {role} {address} is not in the domain {domain} of its organization's signet", .path.display())]
    ForeignSignet {
        /// The user signet file.
        path: PathBuf,
        /// Its role.
        role: Actor,
        /// Its identifier.
        address: String,
        /// The organization signet's identifier.
        domain: String,
    },
    /// A key file does not hold the keys of the signet it must belong to.
    #[error("{}: not the key of the {role} signet {}", .key.display(), .signet.display())]
    KeyMismatch {
        /// The key file.
        key: PathBuf,
        /// The signet file.
        signet: PathBuf,
        /// The signet's role.
        role: Actor,
    },
    /// An option that only some actors use was given for another.
    #[error("{option} is only used with --as {actors}")]
    OptionNotForActor {
        /// The option.
        option: &'static str,
        /// The actors that use it.
        actors: &'static str,
    },
}

impl CliError {
    /// The process exit code for this error: [`EXIT_INVALID`] for checks that ran and failed,
    /// [`EXIT_BAD_INPUT`] for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::OrgSignetRejected { .. }
            | CliError::RequestRejected { .. }
            | CliError::TlsMismatch(_)
            | CliError::MessageRejected { .. }
            | CliError::SignetRejected { .. }
            | CliError::SignetUnbound { .. }
            | CliError::BoundElsewhere { .. }
            | CliError::ForeignSignet { .. } => EXIT_INVALID,
            _ => EXIT_BAD_INPUT,
        }
    }

    /// The error for `source`, met while reading or opening the message in `path`: malformed
    /// structure, a failed check, or a request the message cannot serve.
    pub fn message(path: &Path, source: MessageError) -> CliError {
        let path = path.to_path_buf();
        match source {
            MessageError::Core(_)
            | MessageError::Truncated { .. }
            | MessageError::NotAMessage { .. }
            | MessageError::DoubleTracing
            | MessageError::LengthMismatch { .. }
            | MessageError::TooLarge { .. }
            | MessageError::UnknownChunkType { .. }
            | MessageError::UnexpectedChunk { .. }
            | MessageError::MissingChunk { .. }
            | MessageError::CompressionUnsupported { .. }
            | MessageError::AlternateEncryptionUnsupported { .. }
            | MessageError::BadFlags { .. }
            | MessageError::UnterminatedSpan { .. }
            | MessageError::BadBodyLength { .. }
            | MessageError::MixedCountersignature
            | MessageError::BadEphemeral
            | MessageError::HybridKinds { .. }
            | MessageError::HybridLength { .. }
            | MessageError::UnsupportedFormat(_) => CliError::MalformedMessage { path, source },
            MessageError::KeyslotRejected { .. }
            | MessageError::CommitmentMismatch { .. }
            | MessageError::Decrypt { .. }
            | MessageError::BadPlaintext { .. }
            | MessageError::BadPadding { .. }
            | MessageError::BadText { .. }
            | MessageError::BadPart(_)
            | MessageError::DigestMismatch { .. }
            | MessageError::TreeCount { .. }
            | MessageError::BadSignature(_)
            | MessageError::EnvelopeMismatch { .. }
            | MessageError::Downgrade { .. }
            | MessageError::RecipientMismatch { .. }
            | MessageError::NotCountersigned => CliError::MessageRejected { path, source },
            MessageError::UnsupportedAlgorithm(_)
            | MessageError::SignetIncomplete { .. }
            | MessageError::AuthorKeyMismatch
            | MessageError::SignetMismatch { .. }
            | MessageError::NotVisible { .. }
            | MessageError::AlreadyCountersigned
            | MessageError::Input(_)
            | MessageError::Stream(_)
            | MessageError::HybridKeyRequired { .. }
            | MessageError::HybridKeyMismatch
            | MessageError::PostQuantumUnavailable { .. }
            | MessageError::Randomness => CliError::MessageRefused { path, source },
            // `MessageError` is non-exhaustive: a cause added later is refused until it is
            // classed here.
            _ => CliError::MessageRefused { path, source },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_checks_exit_1_and_bad_input_exits_2() {
        let rejected = CliError::RequestRejected {
            path: "r.ssr".into(),
            state: "invalid",
            problem: SignetError::BadSignature { id: 5 },
        };
        assert_eq!(rejected.exit_code(), EXIT_INVALID);
        assert_eq!(rejected.to_string(), "r.ssr: the signing request is invalid: signature field 5 does not verify");
        assert_eq!(CliError::TlsMismatch(RecordError::TlsCertificateMismatch).exit_code(), EXIT_INVALID);
        assert_eq!(CliError::Record(RecordError::MissingPok).exit_code(), EXIT_BAD_INPUT);
        assert_eq!(CliError::Exists { path: "a.key".into() }.exit_code(), EXIT_BAD_INPUT);
        assert_eq!(
            CliError::Exists { path: "a.key".into() }.to_string(),
            "a.key: already exists (use --force to overwrite)"
        );
    }

    #[test]
    fn message_errors_split_into_malformed_rejected_and_refused() {
        let path = Path::new("m.dime");
        let malformed = CliError::message(path, MessageError::NotAMessage { found: 1776 });
        assert!(matches!(
            &malformed,
            CliError::MalformedMessage { source: MessageError::NotAMessage { found: 1776 }, .. }
        ));
        assert_eq!(malformed.to_string(), "m.dime: malformed message: not a message object: magic 1776");
        assert_eq!(malformed.exit_code(), EXIT_BAD_INPUT);

        let rejected = CliError::message(path, MessageError::DigestMismatch { index: 3 });
        assert_eq!(rejected.to_string(), "m.dime: rejected: chunk 3 does not match the signed digest list");
        assert_eq!(rejected.exit_code(), EXIT_INVALID);
        let rejected = CliError::message(path, MessageError::NotCountersigned);
        assert_eq!(rejected.exit_code(), EXIT_INVALID);
        let rejected = CliError::message(path, MessageError::KeyslotRejected { index: 9, actor: Actor::Recipient });
        assert_eq!(rejected.exit_code(), EXIT_INVALID);

        let refused = CliError::message(path, MessageError::AlreadyCountersigned);
        assert_eq!(refused.to_string(), "m.dime: the object is already countersigned");
        assert_eq!(refused.exit_code(), EXIT_BAD_INPUT);
        let refused = CliError::message(path, MessageError::SignetMismatch { role: Actor::Author });
        assert!(matches!(refused, CliError::MessageRefused { .. }));
    }
}
