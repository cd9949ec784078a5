//! The command line: clap types for every command and option.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use dime_core::keys::SigningPublicKey;
use dime_signet::record::{Expiry, HostName, Policy, Subdomain};

use crate::address::Address;

/// Top-level command line of `dime`.
#[derive(Debug, Parser)]
#[command(
    name = "dime",
    version,
    about = "DIME keys, signets and management records",
    long_about = "DIME keys, signets and management records.\n\n\
        Files are read as ASCII armor, bare base64 or binary, told apart by their content; \
        files are written armored.\n\n\
        Exit codes: 0 success or valid, 1 invalid (a signature, custody chain or TLS check \
        failed), 2 bad input or usage (unreadable or malformed files, bad options).",
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
    /// Issue, inspect and verify signets and signing requests.
    #[command(subcommand)]
    Signet(SignetCommand),
    /// Generate and check the `_dx` DNS management record.
    #[command(subcommand)]
    Record(RecordCommand),
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

/// Options of `dime keygen org`.
#[derive(Debug, Args)]
pub struct KeygenOrgArgs {
    /// The organization's domain (becomes the signet identifier).
    #[arg(value_name = "DOMAIN")]
    pub domain: HostName,
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
}
