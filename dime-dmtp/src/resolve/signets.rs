//! Validating what SGNT and HIST return: the org signet bound to its domain by the record's
//! POKs, a user signet bound to its address by the bound org signet, and HIST chains link by
//! link. A signet stands for a name only at `id`: field 254 is covered by the identifiable
//! signature alone, so a `crypto` or `full` signet, or one without an identifier, binds no name.

use dime_core::Fingerprint;
use dime_signet::record::HostName;
use dime_signet::{
    Anchor, BoundSignet, FingerprintKind, ManagementRecord, ParseOptions, Signet, SignetError, SignetState,
};

use crate::error::DmtpError;
use crate::wire::Address;

/// The state resolution accepts: `id`, the only one that binds the identifier (field 254).
pub const MIN_STATE: SignetState = SignetState::Id;

/// Whether any fingerprint of `signet` (crypto, full, id) is `fingerprint`.
pub fn has_fingerprint(signet: &Signet, fingerprint: &Fingerprint) -> bool {
    FingerprintKind::ALL.iter().filter_map(|k| signet.fingerprint(*k)).any(|fp| &fp == fingerprint)
}

/// The resolver's error for a failed binding: [`DmtpError::SignetKind`],
/// [`DmtpError::SignetState`], [`DmtpError::IdentifierMismatch`], else [`DmtpError::Signet`].
pub(crate) fn binding_error(error: SignetError) -> DmtpError {
    match error {
        SignetError::WrongKind { .. } => DmtpError::SignetKind,
        SignetError::NotBound { state, cause } => {
            DmtpError::SignetState { state, reason: cause.map(|c| c.to_string()) }
        }
        SignetError::OutsideAnchor { identifier, domain } => {
            DmtpError::IdentifierMismatch { expected: domain, found: identifier }
        }
        other => DmtpError::Signet(other),
    }
}

/// Validates the org signet of `domain` as SGNT returned it: an org signet whose POK is one of
/// the record's, valid to `id`, whose identifier is `domain` (ignoring ASCII case).
///
/// Errors: [`DmtpError::SignetKind`], [`DmtpError::SignetState`] below `id` (a signet without
/// identifier is at most `full`), [`DmtpError::IdentifierMismatch`], [`DmtpError::Signet`].
pub fn validate_org(bytes: &[u8], domain: &HostName, record: &ManagementRecord) -> Result<BoundSignet, DmtpError> {
    let signet = Signet::parse_with(bytes, &ParseOptions::default())?;
    signet.bind(&Anchor::record(domain.as_str(), record)).map_err(binding_error)
}

/// Validates a user signet of `address` as SGNT returned it: issued by `org` (bound by
/// [`validate_org`]) and valid to `id`, its identifier exactly `address` (ignoring ASCII case);
/// with `previous`, its custody signature must verify against it.
///
/// Errors: [`DmtpError::SignetKind`], [`DmtpError::SignetState`] below `id` (a signet without
/// identifier is at most `full`), [`DmtpError::IdentifierMismatch`], [`DmtpError::Signet`].
pub fn validate_user(
    bytes: &[u8],
    address: &Address,
    org: &BoundSignet,
    previous: Option<&Signet>,
) -> Result<BoundSignet, DmtpError> {
    let signet = Signet::parse_with(bytes, &ParseOptions::default())?;
    let expected = address.to_string();
    org.bind_address(&signet, &expected, previous).map_err(|error| match error {
        SignetError::OutsideAnchor { identifier, .. } | SignetError::WrongIdentifier { found: identifier, .. } => {
            DmtpError::IdentifierMismatch { expected: expected.clone(), found: identifier }
        }
        other => binding_error(other),
    })
}

/// Validates a HIST chain, oldest first: the first element must carry the `start` fingerprint
/// and the last the `end` fingerprint (when given); every element is a user signet of
/// `address` bound by `org`, and every element after the first carries a custody signature by
/// the element before it.
///
/// Errors: [`DmtpError::HistoryBroken`] with the index of the first bad element.
pub fn walk_history(
    chain: &[Vec<u8>],
    address: &Address,
    org: &BoundSignet,
    start: &Fingerprint,
    end: Option<&Fingerprint>,
) -> Result<Vec<BoundSignet>, DmtpError> {
    let mut out: Vec<BoundSignet> = Vec::with_capacity(chain.len());
    for (index, bytes) in chain.iter().enumerate() {
        let broken = |_| DmtpError::HistoryBroken { index };
        let signet = validate_user(bytes, address, org, out.last().map(BoundSignet::signet)).map_err(broken)?;
        if index > 0 && !signet.signet().has(dime_signet::ids::CUSTODY_SIGNATURE) {
            return Err(DmtpError::HistoryBroken { index });
        }
        if index == 0 && !has_fingerprint(signet.signet(), start) {
            return Err(DmtpError::HistoryBroken { index });
        }
        out.push(signet);
    }
    match (out.last(), end) {
        (None, _) => Err(DmtpError::HistoryBroken { index: 0 }),
        (Some(last), Some(end)) if !has_fingerprint(last.signet(), end) => {
            Err(DmtpError::HistoryBroken { index: out.len() - 1 })
        }
        _ => Ok(out),
    }
}
