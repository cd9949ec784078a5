//! `dime record generate`, `check` and `verify-tls`.

use std::path::Path;

use dime_signet::KeyOwner;
use dime_signet::record::{
    MAX_PEM_LEN, ManagementRecord, RecordError, certificate_from_der, certificate_from_pem, owner_name,
};

use crate::Outcome;
use crate::cli::{CheckArgs, GenerateArgs, VerifyTlsArgs};
use crate::error::CliError;
use crate::files::{read_key_file, read_limited};
use crate::output::{record_json, record_text, zone_line};

/// The PEM boundary that marks a certificate file as PEM rather than DER.
const PEM_BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// Reads a certificate file, PEM or DER, as DER.
///
/// A file holding the PEM boundary is PEM (the first certificate is taken); anything else is
/// DER. Either way the same size limit and single-DER-SEQUENCE check apply.
fn read_certificate(path: &Path) -> Result<Vec<u8>, CliError> {
    let bytes = read_limited(path, MAX_PEM_LEN)?;
    let der = if bytes.windows(PEM_BEGIN.len()).any(|window| window == PEM_BEGIN) {
        certificate_from_pem(&String::from_utf8_lossy(&bytes))
    } else {
        certificate_from_der(&bytes).map(<[u8]>::to_vec)
    };
    der.map_err(|source| CliError::Certificate { path: path.to_path_buf(), source })
}

/// Parses record text given on the command line.
fn parse(text: &str) -> Result<ManagementRecord, CliError> {
    text.parse().map_err(CliError::Record)
}

/// Prints the canonical record for the org key, signing each certificate into a `tls=` value.
pub fn generate(args: &GenerateArgs) -> Result<Outcome, CliError> {
    let keys = read_key_file(&args.org_key, KeyOwner::Org, "the organization")?;
    let mut builder = ManagementRecord::builder(keys.signing_public());
    for path in &args.tls_cert {
        builder = builder.sign_certificate(&keys.signing, &read_certificate(path)?);
    }
    for host in &args.dx {
        builder = builder.dx(host.clone());
    }
    if let Some(expiry) = args.expiry {
        builder = builder.expiry(expiry);
    }
    if let Some(policy) = args.policy {
        builder = builder.policy(policy);
    }
    if let Some(subdomain) = args.subdomain {
        builder = builder.subdomain(subdomain);
    }
    let record = builder.build().map_err(CliError::Record)?;
    let stdout = match &args.zone {
        Some(domain) => zone_line(&owner_name(domain), &record),
        None => format!("{record}\n"),
    };
    Ok(Outcome::ok(stdout))
}

/// Parses a record strictly and shows its values.
pub fn check(args: &CheckArgs) -> Result<Outcome, CliError> {
    let record = parse(&args.record)?;
    let stdout = if args.json { format!("{:#}\n", record_json(&record)) } else { record_text(&record) };
    Ok(Outcome::ok(stdout))
}

/// Checks a certificate against the record's `tls=` values and prints the POK that signed it.
pub fn verify_tls(args: &VerifyTlsArgs) -> Result<Outcome, CliError> {
    let record = parse(&args.record)?;
    let der = read_certificate(&args.cert)?;
    match record.verify_tls_certificate(&der) {
        Ok(pok) => Ok(Outcome::ok(format!("pok: {}\n", pok.to_base64()))),
        Err(error @ (RecordError::NoTlsSignatures | RecordError::TlsCertificateMismatch)) => {
            Err(CliError::TlsMismatch(error))
        }
        Err(error) => Err(CliError::Record(error)),
    }
}
