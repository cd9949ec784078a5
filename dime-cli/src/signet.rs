//! `dime signet sign`, `inspect` and `verify`.

use std::path::Path;

use dime_core::keys::SigningPublicKey;
use dime_signet::{
    Anchor, Context, FingerprintKind, KeyOwner, ParseOptions, Signet, SignetError, SignetKind, SignetState, Validation,
    ids, issue,
};

use crate::cli::{InspectArgs, SignArgs, VerifyArgs, ViewArgs};
use crate::error::CliError;
use crate::files::{NewFile, read_key_file, read_signet, write_all};
use crate::output::{Check, SignetReport};
use crate::{Outcome, Status};

/// User field 94, Title.
const TITLE: u8 = 94;
/// User field 95, Employer.
const EMPLOYER: u8 = 95;
/// User field 160, Website.
const WEBSITE: u8 = 160;

/// Strict parsing, the default everywhere but `--lenient`.
fn strict() -> ParseOptions {
    ParseOptions::default()
}

/// The problem of a failed validation (the validator always names one; the fallback is the
/// signature the state stopped at).
fn problem_of(validation: Validation, signature: u8) -> SignetError {
    validation.problem.unwrap_or(SignetError::MissingField { id: signature })
}

/// Issues a user signet from a signing request and writes it armored.
pub fn sign(args: &SignArgs) -> Result<Outcome, CliError> {
    let options = strict();
    let request = read_signet(&args.ssr, &options, Some(SignetKind::Request))?;
    let keys = read_key_file(&args.org_key, KeyOwner::Org, "the organization")?;
    let org = read_signet(&args.org_signet, &options, Some(SignetKind::Org))?;
    let previous = args.previous.as_deref().map(|p| read_signet(p, &options, Some(SignetKind::User))).transpose()?;

    let org_check = org.validate(&Context::default());
    if org_check.state < SignetState::Crypto {
        return Err(CliError::OrgSignetRejected {
            path: args.org_signet.clone(),
            state: org_check.state.name(),
            problem: problem_of(org_check, ids::ORG_CRYPTO_SIGNATURE),
        });
    }
    if let Some(domain) = org.unverified_identifier()
        && !domain.eq_ignore_ascii_case(args.address.domain().as_str().as_bytes())
    {
        return Err(CliError::ForeignAddress {
            address: args.address.to_string(),
            domain: String::from_utf8_lossy(domain).into_owned(),
        });
    }
    let request_check = request.validate(&Context { poks: None, org: None, previous: previous.as_ref() });
    if request_check.state != SignetState::Ssr {
        return Err(CliError::RequestRejected {
            path: args.ssr.clone(),
            state: request_check.state.name(),
            problem: problem_of(request_check, ids::USER_SIGNATURE),
        });
    }

    // D8: a hybrid key is issued only under an organization that has one.
    issue::check_hybrid_request(&request, &org)?;

    // Informational fields in id order, as the signet requires.
    let mut info: Vec<(u8, &[u8])> = Vec::new();
    info.extend(args.name.iter().map(|v| (ids::NAME, v.as_bytes())));
    info.extend(args.phone.iter().map(|v| (ids::PHONE, v.as_bytes())));
    info.extend(args.title.iter().map(|v| (TITLE, v.as_bytes())));
    info.extend(args.employer.iter().map(|v| (EMPLOYER, v.as_bytes())));
    info.extend(args.website.iter().map(|v| (WEBSITE, v.as_bytes())));

    let address = args.address.to_string();
    let signet = issue::issue_user_signet(&request, previous.as_ref(), &org, &keys.signing, &address, &info)?;
    let text = signet.to_armor();
    write_all(&[NewFile { path: args.out.clone(), contents: text.as_bytes(), secret: false }], args.force)?;
    let fingerprint = signet.fingerprint(FingerprintKind::Id).map(|fp| fp.to_string()).unwrap_or_default();
    Ok(Outcome::ok(format!("fingerprint id: {fingerprint}\n")))
}

/// Parse options for `--lenient`.
fn options(view: &ViewArgs) -> ParseOptions {
    let mut options = strict();
    options.lenient = view.lenient;
    options
}

/// Renders a report as JSON or text.
fn render(report: &SignetReport<'_>, json: bool) -> String {
    if json { format!("{:#}\n", report.json()) } else { report.text() }
}

/// Shows a signet's structure without checking signatures.
pub fn inspect(args: &InspectArgs) -> Result<Outcome, CliError> {
    let signet = read_signet(&args.file, &options(&args.view), None)?;
    let (state, _) = signet.structural_state();
    // No signature is checked here, so nothing is bound.
    let report = SignetReport { signet: &signet, state, check: Check::Structure, bound: false, hex: args.view.hex };
    Ok(Outcome::ok(render(&report, args.view.json)))
}

/// Reads an optional signet that must be of `kind`.
fn read_optional(path: Option<&Path>, options: &ParseOptions, kind: SignetKind) -> Result<Option<Signet>, CliError> {
    path.map(|p| read_signet(p, options, Some(kind))).transpose()
}

/// Whether `signet` binds its identifier when `poks` anchor its organization (FILE itself or
/// ORG) for the domain that organization's signet names: `id` reached, and for a user signet
/// an address in that domain. Without `--pok` nothing is anchored, so nothing is bound.
fn binds(signet: &Signet, org: Option<&Signet>, previous: Option<&Signet>, poks: &[SigningPublicKey]) -> bool {
    let org_signet = if signet.kind() == SignetKind::Org { Some(signet) } else { org };
    let Some(org_signet) = org_signet.filter(|_| !poks.is_empty()) else {
        return false;
    };
    let Some(domain) = org_signet.unverified_identifier().and_then(|id| core::str::from_utf8(id).ok()) else {
        return false;
    };
    match org_signet.bind(&Anchor::trusted(domain, poks)) {
        Ok(_) if signet.kind() == SignetKind::Org => true,
        Ok(bound) => bound.bind_user(signet, previous).is_ok(),
        Err(_) => false,
    }
}

/// Validates a signet and reports the state it reaches.
pub fn verify(args: &VerifyArgs) -> Result<Outcome, CliError> {
    let options = options(&args.view);
    let signet = read_signet(&args.file, &options, None)?;
    let org = read_optional(args.org.as_deref(), &options, SignetKind::Org)?;
    let previous = read_optional(args.previous.as_deref(), &options, SignetKind::User)?;
    let context = Context {
        poks: (!args.pok.is_empty()).then_some(args.pok.as_slice()),
        org: org.as_ref(),
        previous: previous.as_ref(),
    };
    let validation = signet.validate(&context);
    let report = SignetReport {
        signet: &signet,
        state: validation.state,
        check: Check::Validation(validation.problem.as_ref()),
        bound: binds(&signet, org.as_ref(), previous.as_ref(), &args.pok),
        hex: args.view.hex,
    };
    let status = if validation.state.is_valid() { Status::Ok } else { Status::Invalid };
    Ok(Outcome { stdout: render(&report, args.view.json), status })
}
