//! Validating what SGNT and HIST return: the org signet against the record's POKs, a user signet
//! against the org signet, and HIST chains link by link.

use dime_core::Fingerprint;
use dime_signet::kind::SignetKind;
use dime_signet::record::HostName;
use dime_signet::{Context, FingerprintKind, ManagementRecord, ParseOptions, Signet, SignetError, SignetState};

use crate::error::DmtpError;
use crate::wire::Address;

/// The weakest state resolution accepts: `full` (and `id` above it).
pub const MIN_STATE: SignetState = SignetState::Full;

/// Whether any fingerprint of `signet` (crypto, full, id) is `fingerprint`.
pub fn has_fingerprint(signet: &Signet, fingerprint: &Fingerprint) -> bool {
    FingerprintKind::ALL.iter().filter_map(|k| signet.fingerprint(*k)).any(|fp| &fp == fingerprint)
}

fn parse(bytes: &[u8], kind: SignetKind) -> Result<Signet, DmtpError> {
    let signet = Signet::parse_with(bytes, &ParseOptions::default())?;
    if signet.kind() != kind {
        return Err(DmtpError::SignetKind);
    }
    Ok(signet)
}

fn identifier_is(signet: &Signet, expected: &str) -> Result<(), DmtpError> {
    match signet.unverified_identifier() {
        None => Ok(()),
        Some(id) if id.eq_ignore_ascii_case(expected.as_bytes()) => Ok(()),
        Some(id) => Err(DmtpError::IdentifierMismatch {
            expected: expected.to_string(),
            found: String::from_utf8_lossy(id).into_owned(),
        }),
    }
}

fn accept(signet: &Signet, context: &Context<'_>) -> Result<(), DmtpError> {
    let validation = signet.validate(context);
    let state = match (validation.state, &validation.problem) {
        // No previous signet is known: the custody signature cannot be checked, and everything
        // else has verified (custody is checked last). The org's signature still vouches for it.
        (SignetState::BrokenCustody, Some(SignetError::CustodyWithoutPrevious)) => signet.structural_state().0,
        (state, _) => state,
    };
    if state >= MIN_STATE {
        Ok(())
    } else {
        Err(DmtpError::SignetState { state, reason: validation.problem.map(|p| p.to_string()) })
    }
}

/// Validates the org signet of `domain` as SGNT returned it: an org signet whose POK is one of the
/// record's, valid to at least `full`, whose identifier (when present) is `domain`.
pub fn validate_org(bytes: &[u8], domain: &HostName, record: &ManagementRecord) -> Result<Signet, DmtpError> {
    let signet = parse(bytes, SignetKind::Org)?;
    accept(&signet, &Context { poks: Some(record.poks()), org: None, previous: None })?;
    identifier_is(&signet, domain.as_str())?;
    Ok(signet)
}

/// Validates a user signet of `address` as SGNT returned it: signed by `org` (already validated)
/// to at least `full`, its identifier (when present) `address`; with `previous`, its custody
/// signature must verify against it.
pub fn validate_user(
    bytes: &[u8],
    address: &Address,
    org: &Signet,
    previous: Option<&Signet>,
) -> Result<Signet, DmtpError> {
    let signet = parse(bytes, SignetKind::User)?;
    accept(&signet, &Context { poks: None, org: Some(org), previous })?;
    identifier_is(&signet, &address.to_string())?;
    Ok(signet)
}

/// Validates a HIST chain, oldest first: the first element must carry the `start` fingerprint
/// and the last the `end` fingerprint (when given); every element is a valid user signet of
/// `address` signed by `org`, and every element after the first carries a custody signature by
/// the element before it.
///
/// Errors: [`DmtpError::HistoryBroken`] with the index of the first bad element.
pub fn walk_history(
    chain: &[Vec<u8>],
    address: &Address,
    org: &Signet,
    start: &Fingerprint,
    end: Option<&Fingerprint>,
) -> Result<Vec<Signet>, DmtpError> {
    let mut out: Vec<Signet> = Vec::with_capacity(chain.len());
    for (index, bytes) in chain.iter().enumerate() {
        let broken = |_| DmtpError::HistoryBroken { index };
        let signet = validate_user(bytes, address, org, out.last()).map_err(broken)?;
        if index > 0 && !signet.has(dime_signet::ids::CUSTODY_SIGNATURE) {
            return Err(DmtpError::HistoryBroken { index });
        }
        if index == 0 && !has_fingerprint(&signet, start) {
            return Err(DmtpError::HistoryBroken { index });
        }
        out.push(signet);
    }
    match (out.last(), end) {
        (None, _) => Err(DmtpError::HistoryBroken { index: 0 }),
        (Some(last), Some(end)) if !has_fingerprint(last, end) => {
            Err(DmtpError::HistoryBroken { index: out.len() - 1 })
        }
        _ => Ok(out),
    }
}
