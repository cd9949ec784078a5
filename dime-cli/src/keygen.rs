//! `dime keygen org` and `dime keygen user`: fresh key files with their signet or request.

use dime_signet::record::{ManagementRecord, owner_name};
use dime_signet::{FingerprintKind, KeyFile, KeyOwner, ParseOptions, SignetKind, issue};

use crate::Outcome;
use crate::cli::{KeygenOrgArgs, KeygenUserArgs};
use crate::error::CliError;
use crate::files::{NewFile, read_key_file, read_signet, with_extension, write_all};
use crate::output::zone_line;

/// Fresh keys: hybrid (with an ML-KEM-768 key, D8) unless `classical`.
fn generate(owner: KeyOwner, classical: bool) -> Result<KeyFile, CliError> {
    Ok(if classical { KeyFile::generate(owner)? } else { KeyFile::generate_hybrid(owner)? })
}

/// Writes PREFIX.key and PREFIX.signet for a new organization and prints the `_dx` TXT line.
pub fn org(args: &KeygenOrgArgs) -> Result<Outcome, CliError> {
    let keys = generate(KeyOwner::Org, args.classical)?;
    let hybrid = keys.kem.as_ref().map(|k| k.public());
    let signet = issue::new_org_signet_with(&keys.signing, &keys.encryption_public()?, hybrid, args.domain.as_str())?;
    // D8: an organization that published a hybrid key keeps one; the signet this one replaces
    // (PREFIX.signet, overwritten with --force) says whether it did.
    let previous_path = with_extension(&args.out, "signet");
    if args.force
        && previous_path.exists()
        && let Ok(previous) = read_signet(&previous_path, &ParseOptions::default(), Some(SignetKind::Org))
    {
        issue::check_org_successor(&previous, &signet)?;
    }
    let record = ManagementRecord::builder(keys.signing_public()).build().map_err(CliError::Record)?;
    let key_text = keys.to_armor()?;
    let signet_text = signet.to_armor();
    write_all(
        &[
            NewFile { path: with_extension(&args.out, "key"), contents: key_text.as_bytes(), secret: true },
            NewFile { path: with_extension(&args.out, "signet"), contents: signet_text.as_bytes(), secret: false },
        ],
        args.force,
    )?;
    Ok(Outcome::ok(zone_line(&owner_name(&args.domain), &record)))
}

/// Writes PREFIX.key and PREFIX.ssr for a new user key pair (a rotation with `--previous-key`)
/// and prints the request's ssr fingerprint.
pub fn user(args: &KeygenUserArgs) -> Result<Outcome, CliError> {
    let previous = args
        .previous_key
        .as_deref()
        .map(|path| read_key_file(path, KeyOwner::User, "the previous key (--previous-key)"))
        .transpose()?;
    let keys = generate(KeyOwner::User, args.classical)?;
    let hybrid = keys.kem.as_ref().map(|k| k.public());
    let request = issue::new_request_with(
        &keys.signing,
        &keys.encryption_public()?,
        hybrid,
        previous.as_ref().map(|p| &p.signing),
    )?;
    let key_text = keys.to_armor()?;
    let request_text = request.to_armor();
    write_all(
        &[
            NewFile { path: with_extension(&args.out, "key"), contents: key_text.as_bytes(), secret: true },
            NewFile { path: with_extension(&args.out, "ssr"), contents: request_text.as_bytes(), secret: false },
        ],
        args.force,
    )?;
    let fingerprint = request.fingerprint(FingerprintKind::Ssr).map(|fp| fp.to_string()).unwrap_or_default();
    Ok(Outcome::ok(format!("address: {}\nfingerprint ssr: {fingerprint}\n", args.address)))
}
