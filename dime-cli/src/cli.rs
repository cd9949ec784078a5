//! The command line: clap types for every command and option.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand, value_parser};
use dime_core::keys::SigningPublicKey;
use dime_message::Actor;
use dime_signet::record::{Expiry, HostName, Policy, Subdomain};

use crate::address::Address;
use crate::headers::HeaderLine;

/// Top-level command line of `dime`.
#[derive(Debug, Parser)]
#[command(
    name = "dime",
    version,
    about = "DIME keys, signets, management records and messages",
    long_about = "DIME keys, signets, management records and messages.\n\n\
        Files are read as ASCII armor, bare base64 or binary, told apart by their content; \
        files are written armored.\n\n\
        Exit codes: 0 success or valid, 1 invalid (a signature, custody chain, TLS or message \
        integrity check failed), 2 bad input or usage (unreadable or malformed files, wrong keys, \
        bad options).",
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate key files together with their signet or signing request.
    #[command(subcommand)]
    Keygen(KeygenCommand),
    /// Inspect key files.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Issue, inspect and verify signets and signing requests.
    #[command(subcommand)]
    Signet(SignetCommand),
    /// Generate and check the `_dx` DNS management record.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Encrypt, open and inspect messages.
    #[command(subcommand)]
    Message(MessageCommand),
}

/// `dime keygen …`
#[derive(Debug, Subcommand)]
pub enum KeygenCommand {
    /// New organization: PREFIX.key (org key file), PREFIX.signet (org signet for DOMAIN at the
    /// id state) and, on standard output, the `_dx.DOMAIN` TXT record line naming the new POK.
    Org(KeygenOrgArgs),
    /// New user keys: PREFIX.key (user key file) and PREFIX.ssr (signing request to send to the
    /// organization); prints the request's ssr fingerprint.
    User(KeygenUserArgs),
}

/// `dime key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Show a key file's kind and public keys (signing and encryption); secrets are never
    /// printed. A sealed (encrypted) key file shows only its kind.
    Inspect(KeyInspectArgs),
}

/// Options of `dime key inspect`.
#[derive(Debug, Args)]
pub struct KeyInspectArgs {
    /// The key file (armor, bare base64 or binary).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `dime keygen org`.
#[derive(Debug, Args)]
pub struct KeygenOrgArgs {
    /// The organization's domain (becomes the signet identifier).
    #[arg(value_name = "DOMAIN")]
    pub domain: HostName,
    /// Write classical keys only: no ML-KEM-768 key in the key file, no `Hybrid-Encryption-Key`
    /// in the signet (D8). An organization that has published a hybrid key keeps one.
    #[arg(long)]
    pub classical: bool,
    /// Path prefix of the files written: PREFIX.key and PREFIX.signet.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// Options of `dime keygen user`.
#[derive(Debug, Args)]
pub struct KeygenUserArgs {
    /// The user's address, local@domain (checked; the request itself carries no address).
    #[arg(value_name = "ADDRESS")]
    pub address: Address,
    /// Path prefix of the files written: PREFIX.key and PREFIX.ssr.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// The user key file of the signet being replaced: the request then carries the
    /// chain-of-custody signature made with its signing key.
    #[arg(long, value_name = "FILE")]
    pub previous_key: Option<PathBuf>,
    /// Write classical keys only: no ML-KEM-768 key in the key file, no hybrid-key fragments in
    /// the request (D8). Use it when the organization's signet has no hybrid key.
    #[arg(long)]
    pub classical: bool,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// `dime signet …`
#[derive(Debug, Subcommand)]
pub enum SignetCommand {
    /// Issue a user signet (id state) from a signing request, signed with the org key.
    Sign(SignArgs),
    /// Show a signet's kind, structural state, fingerprints, identifier and fields, without
    /// checking signatures.
    Inspect(InspectArgs),
    /// Check every signature of a signet and print the state it reaches.
    ///
    /// Exit code 0 for the states ssr, crypto, full and id; 1 for incomplete,
    /// broken-custody and invalid; 2 when the file does not parse (malformed) or an option is bad.
    Verify(VerifyArgs),
}

/// Options of `dime signet sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The user's signing request.
    #[arg(value_name = "SSR")]
    pub ssr: PathBuf,
    /// The organization's key file (its POK signs the new signet).
    #[arg(long, value_name = "KEY")]
    pub org_key: PathBuf,
    /// The organization's signet.
    #[arg(long, value_name = "ORG")]
    pub org_signet: PathBuf,
    /// The user's address (local@domain), written as the signet identifier; its domain must be
    /// the org signet's identifier when that signet has one.
    #[arg(long, value_name = "ADDR")]
    pub address: Address,
    /// The user's current signet, when the request rotates keys (checks the custody signature).
    #[arg(long, value_name = "PREV")]
    pub previous: Option<PathBuf>,
    /// Where to write the new user signet (armored).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Informational field 16: the user's name.
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Informational field 21: a phone number (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub phone: Vec<String>,
    /// Informational field 94: the user's title.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Informational field 95: the user's employer.
    #[arg(long, value_name = "TEXT")]
    pub employer: Option<String>,
    /// Informational field 160: the user's website.
    #[arg(long, value_name = "URL")]
    pub website: Option<String>,
}

/// Output options shared by `inspect` and `verify`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show fingerprints as lowercase hex instead of unpadded base64.
    #[arg(long)]
    pub hex: bool,
    /// Accept field ids the signet kind does not define, in the generic range 16-250.
    #[arg(long)]
    pub lenient: bool,
}

/// Options of `dime signet inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The signet or signing request.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output options.
    #[command(flatten)]
    pub view: ViewArgs,
}

/// Options of `dime signet verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signet or signing request.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The organizational signet (required to validate a user signet).
    #[arg(long, value_name = "ORG")]
    pub org: Option<PathBuf>,
    /// The previous user signet, for a signet or request that rotates keys.
    #[arg(long, value_name = "PREV")]
    pub previous: Option<PathBuf>,
    /// A `pok=` value of the organization's management record (unpadded base64, repeatable):
    /// the org signet (FILE, or ORG for a user signet) must be signed by one of them.
    #[arg(long, value_name = "B64", value_parser = parse_pok)]
    pub pok: Vec<SigningPublicKey>,
    /// Output options.
    #[command(flatten)]
    pub view: ViewArgs,
}

/// `dime record …`
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Print the canonical management record for the org key, with `tls=` signatures over the
    /// given DX certificates.
    Generate(GenerateArgs),
    /// Parse a management record strictly and show its values (exit 0 valid, 2 invalid).
    Check(CheckArgs),
    /// Check a DX server's certificate against the record's `tls=` values and POKs (exit 0 when
    /// one verifies, printing the POK; 1 when none does; 2 on bad input).
    VerifyTls(VerifyTlsArgs),
}

/// Options of `dime record generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The organization's key file; its POK is the record's `pok` and signs the certificates.
    #[arg(long, value_name = "KEY")]
    pub org_key: PathBuf,
    /// A DX server certificate, DER or PEM, to sign into a `tls=` value (repeatable).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Vec<PathBuf>,
    /// A delivery host name, in the order to try (repeatable).
    #[arg(long, value_name = "HOST")]
    pub dx: Vec<HostName>,
    /// How many days resolvers may cache the record (1-365).
    #[arg(long, value_name = "DAYS")]
    pub expiry: Option<Expiry>,
    /// Message policy: experimental (default), mixed or strict.
    #[arg(long, value_name = "P")]
    pub policy: Option<Policy>,
    /// Subdomain rule: strict (default), relaxed or explicit.
    #[arg(long, value_name = "S")]
    pub subdomain: Option<Subdomain>,
    /// Print a zone-file line for `_dx.DOMAIN` instead of the bare record text.
    #[arg(long, value_name = "DOMAIN")]
    pub zone: Option<HostName>,
}

/// Options of `dime record check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The record text (the TXT value, its strings joined).
    #[arg(value_name = "TXT")]
    pub record: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `dime record verify-tls`.
#[derive(Debug, Args)]
pub struct VerifyTlsArgs {
    /// The record text (the TXT value, its strings joined).
    #[arg(value_name = "TXT")]
    pub record: String,
    /// The DX server's certificate, DER or PEM.
    #[arg(value_name = "CERT")]
    pub cert: PathBuf,
}

/// `dime message …`
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Compose a message from the author to one recipient and encrypt it for the four actors.
    ///
    /// Each signet is the file given with its option or, with --signets DIR, found in DIR: the
    /// author's by the keys of --key, the recipient's by the address in --to, each
    /// organization's by its user's domain. Every signet must validate (organizations against
    /// their own POK, users against their organization) before anything is encrypted.
    Encrypt(Box<EncryptArgs>),
    /// Open a message as one actor: check every signature that actor can check and show what it
    /// may read.
    ///
    /// The author and the recipient read everything; the origin sees the author and the
    /// destination organization; the destination sees the origin organization and the
    /// recipient. Exit code 0 when opened and verified, 1 when a signature, digest, signet or
    /// ciphertext check fails, 2 on bad input (malformed file, wrong key, missing signet).
    Open(OpenArgs),
    /// Show a message's chunk layout (types, flags, sizes, keyslot holders) without any key.
    Inspect(MessageInspectArgs),
}

/// Options of `dime message encrypt`.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The author's user key file (signs the message).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The author's user signet.
    #[arg(long, value_name = "FILE")]
    pub author: Option<PathBuf>,
    /// The author's organizational signet.
    #[arg(long, value_name = "FILE")]
    pub origin: Option<PathBuf>,
    /// The recipient's organizational signet.
    #[arg(long, value_name = "FILE")]
    pub destination: Option<PathBuf>,
    /// The recipient's user signet.
    #[arg(long, value_name = "FILE")]
    pub recipient: Option<PathBuf>,
    /// A folder of `*.signet` files holding the signets not given as files.
    #[arg(long, value_name = "DIR")]
    pub signets: Option<PathBuf>,
    /// The From header.
    #[arg(long, value_name = "TEXT")]
    pub from: String,
    /// The To header; with --signets and no --recipient, its address (the whole value, or the
    /// text inside its last <…>) names the recipient.
    #[arg(long, value_name = "TEXT")]
    pub to: String,
    /// The CC header.
    #[arg(long, value_name = "TEXT")]
    pub cc: Option<String>,
    /// The Organization header.
    #[arg(long, value_name = "TEXT")]
    pub organization: Option<String>,
    /// The Subject header.
    #[arg(long, value_name = "TEXT")]
    pub subject: String,
    /// The Date header (default: now, as `Tue, 01 Apr 2025 10:00:00 +0000`).
    #[arg(long, value_name = "TEXT")]
    pub date: Option<String>,
    /// Another header, `Name: value` (repeatable, kept in order in the other-headers chunk).
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<HeaderLine>,
    /// The display parts and attachments.
    #[command(flatten)]
    pub content: ContentArgs,
    /// Where to write the message (armored `ENCRYPTED MESSAGE`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write the raw binary object instead of armor.
    #[arg(long)]
    pub binary: bool,
    /// Post-quantum policy (D8): `prefer` writes hybrid keyslots when both organizations can
    /// process them; `require-content` also demands hybrid author and recipient signets;
    /// `require` demands all four; `never` writes classical keyslots only.
    #[arg(long, value_name = "POLICY", default_value = "prefer")]
    pub pq: PqArg,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The values of `--pq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PqArg {
    /// Hybrid when both organizations can process it.
    Prefer,
    /// The content must be post-quantum protected.
    RequireContent,
    /// Every keyslot must be hybrid.
    Require,
    /// Classical keyslots only.
    Never,
}

impl From<PqArg> for dime_message::PqPolicy {
    fn from(arg: PqArg) -> dime_message::PqPolicy {
        match arg {
            PqArg::Prefer => dime_message::PqPolicy::Prefer,
            PqArg::RequireContent => dime_message::PqPolicy::RequireContent,
            PqArg::Require => dime_message::PqPolicy::Require,
            PqArg::Never => dime_message::PqPolicy::Never,
        }
    }
}

/// A `--body` or `--attach` occurrence: the file and, when given, its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSpec {
    /// The file to read.
    pub file: PathBuf,
    /// The content type given after the file.
    pub content_type: Option<String>,
}

/// The `--body FILE [TYPE]` and `--attach FILE [TYPE]` options, each kept in command-line order.
///
/// Written by hand because each occurrence takes one or two values, which clap's derive cannot
/// group (`Vec<Vec<T>>` needs its unstable-v5 feature).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentArgs {
    /// The display parts.
    pub body: Vec<PartSpec>,
    /// The attachments.
    pub attach: Vec<PartSpec>,
}

/// Argument id of `--body`.
const BODY: &str = "body";
/// Argument id of `--attach`.
const ATTACH: &str = "attach";

/// The occurrences of `id`, each one FILE and an optional UTF-8 TYPE.
fn part_specs(matches: &ArgMatches, id: &str) -> Result<Vec<PartSpec>, clap::Error> {
    let internal = |e: clap::parser::MatchesError| clap::Error::raw(ErrorKind::InvalidValue, e);
    let Some(occurrences) = matches.try_get_occurrences::<OsString>(id).map_err(internal)? else {
        return Ok(Vec::new());
    };
    occurrences
        .filter_map(|mut values| {
            let file = PathBuf::from(values.next()?);
            let content_type = values.next().map(|t| {
                t.to_str().map(str::to_string).ok_or_else(|| {
                    clap::Error::raw(ErrorKind::InvalidUtf8, format!("content type {t:?} is not UTF-8\n"))
                })
            });
            Some(content_type.transpose().map(|content_type| PartSpec { file, content_type }))
        })
        .collect()
}

impl FromArgMatches for ContentArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(ContentArgs { body: part_specs(matches, BODY)?, attach: part_specs(matches, ATTACH)? })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = ContentArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for ContentArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let part = |id: &'static str| {
            Arg::new(id)
                .long(id)
                .num_args(1..=2)
                .value_names(["FILE", "TYPE"])
                .action(ArgAction::Append)
                .value_parser(value_parser!(OsString))
        };
        cmd.arg(part(BODY).help(
            "A display part read from FILE, of content type TYPE (default `text/plain; charset=utf-8`, \
             which needs UTF-8 text). Repeatable, kept in order",
        ))
        .arg(part(ATTACH).help(
            "An attachment read from FILE, named after FILE's last component, of content type TYPE \
             (default `application/octet-stream`). Repeatable, kept in order",
        ))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        ContentArgs::augment_args(cmd)
    }
}

/// Options of `dime message open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The message (armor, bare base64 or binary).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The actor to open the message as.
    #[arg(
        long = "as",
        value_name = "ACTOR",
        value_parser = PossibleValuesParser::new(Actor::ALL.map(Actor::name)).try_map(|name| name.parse::<Actor>())
    )]
    pub actor: Actor,
    /// The actor's key file: a user key file for the author and the recipient, an
    /// organizational key file for the origin and the destination.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The author's user signet (used by the author, the origin and the recipient).
    #[arg(long, value_name = "FILE")]
    pub author: Option<PathBuf>,
    /// The origin's organizational signet (used by the destination, the recipient, the origin
    /// itself, and the author when the message is countersigned).
    #[arg(long, value_name = "FILE")]
    pub origin: Option<PathBuf>,
    /// The recipient's own user signet, whose encryption key is KEY's (used by the recipient:
    /// the message must name it, fingerprint and address).
    #[arg(long, value_name = "FILE")]
    pub recipient: Option<PathBuf>,
    /// A folder of `*.signet` files holding the signets not given as files, found by the
    /// fingerprints and addresses the message names.
    #[arg(long, value_name = "DIR")]
    pub signets: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Author and recipient: write each attachment into DIR (which must exist), named after
    /// its file name.
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<PathBuf>,
    /// Origin: countersign the message with the organization's key and write the relayed
    /// message to FILE (armored).
    #[arg(long, value_name = "FILE")]
    pub countersign_out: Option<PathBuf>,
    /// Write the relayed message as the raw binary object instead of armor.
    #[arg(long, requires = "countersign_out")]
    pub binary: bool,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// Options of `dime message inspect`.
#[derive(Debug, Args)]
pub struct MessageInspectArgs {
    /// The message (armor, bare base64 or binary).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses a `pok=` value for `--pok`.
fn parse_pok(text: &str) -> Result<SigningPublicKey, dime_core::Error> {
    SigningPublicKey::from_base64(text)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn content(args: &[&str]) -> Result<ContentArgs, clap::Error> {
        let mut full = vec!["dime", "message", "encrypt", "--key", "k", "--from", "f", "--to", "t"];
        full.extend(["--subject", "s", "--out", "o"]);
        full.extend(args);
        match Cli::try_parse_from(full)?.command {
            Command::Message(MessageCommand::Encrypt(encrypt)) => Ok(encrypt.content),
            other => panic!("{other:?}"),
        }
    }

    fn spec(file: &str, content_type: Option<&str>) -> PartSpec {
        PartSpec { file: file.into(), content_type: content_type.map(str::to_string) }
    }

    #[test]
    fn parts_keep_their_order_and_optional_types() {
        let parsed =
            content(&["--body", "a.txt", "--attach", "x.bin", "--body", "b.html", "text/html", "--attach", "y", "t/y"]);
        assert_eq!(
            parsed.unwrap(),
            ContentArgs {
                body: vec![spec("a.txt", None), spec("b.html", Some("text/html"))],
                attach: vec![spec("x.bin", None), spec("y", Some("t/y"))],
            }
        );
        assert_eq!(content(&[]).unwrap(), ContentArgs::default());
        let error = content(&["--body", "a", "b", "c"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        let error = content(&["--body"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidValue);
    }
}
