//! Signets behind the `DimeSignet` handle: parse, inspect, fingerprint and validate.

use dime_signet::{Anchor, BoundSignet, Context, FingerprintKind, ParseOptions, Signet, SignetKind, SignetState};

use crate::boundary::{self, call};
use crate::buffer::{DimeBuffer, DimeFingerprint, DimeStr};
use crate::error::Error;
use crate::record::DimeRecord;
use crate::status::DimeStatus;

/// The kind of a signet: one of the `DIME_SIGNET_*` constants.
pub type DimeSignetKind = u32;
/// An organizational signet (magic 1776).
pub const DIME_SIGNET_ORG: DimeSignetKind = 1;
/// A user signet (magic 1789).
pub const DIME_SIGNET_USER: DimeSignetKind = 2;
/// A user signet signing request, SSR (magic 1215).
pub const DIME_SIGNET_REQUEST: DimeSignetKind = 3;

/// Which fingerprint of a signet: one of the `DIME_FINGERPRINT_*` constants. Each is SHA-512
/// over a prefix of the signet's payload.
pub type DimeFingerprintKind = u32;
/// Up to the user's own signature (user signets and requests).
pub const DIME_FINGERPRINT_SSR: DimeFingerprintKind = 1;
/// Up to the crypto signature (org and user signets); what message envelopes name.
pub const DIME_FINGERPRINT_CRYPTO: DimeFingerprintKind = 2;
/// Up to the full signature (org and user signets).
pub const DIME_FINGERPRINT_FULL: DimeFingerprintKind = 3;
/// The whole payload (org and user signets).
pub const DIME_FINGERPRINT_ID: DimeFingerprintKind = 4;

/// What validation concluded: one of the `DIME_STATE_*` constants, weakest first, so
/// `state >= DIME_STATE_SSR` means the signet may be used.
pub type DimeSignetState = u32;
/// The bytes are not a signet.
pub const DIME_STATE_MALFORMED: DimeSignetState = 0;
/// A required field is missing, or no stage is complete.
pub const DIME_STATE_INCOMPLETE: DimeSignetState = 1;
/// The chain of custody to the previous signet does not hold.
pub const DIME_STATE_BROKEN_CUSTODY: DimeSignetState = 2;
/// A signature does not verify, or the signer is not authorized.
pub const DIME_STATE_INVALID: DimeSignetState = 3;
/// A signing request whose own signature (and custody, if any) verifies.
pub const DIME_STATE_SSR: DimeSignetState = 4;
/// Valid up to the crypto signature.
pub const DIME_STATE_CRYPTO: DimeSignetState = 5;
/// Valid up to the full signature.
pub const DIME_STATE_FULL: DimeSignetState = 6;
/// Valid up to the identifiable signature.
pub const DIME_STATE_ID: DimeSignetState = 7;

/// An organizational signet, user signet or signing request, exactly as parsed or issued.
/// Opaque; free with `dime_signet_free`.
pub struct DimeSignet {
    pub(crate) signet: Signet,
}

pub(crate) fn kind_to_c(kind: SignetKind) -> DimeSignetKind {
    match kind {
        SignetKind::Org => DIME_SIGNET_ORG,
        SignetKind::User => DIME_SIGNET_USER,
        SignetKind::Request => DIME_SIGNET_REQUEST,
    }
}

fn state_to_c(state: SignetState) -> DimeSignetState {
    match state {
        SignetState::Malformed => DIME_STATE_MALFORMED,
        SignetState::Incomplete => DIME_STATE_INCOMPLETE,
        SignetState::BrokenCustody => DIME_STATE_BROKEN_CUSTODY,
        SignetState::Invalid => DIME_STATE_INVALID,
        SignetState::Ssr => DIME_STATE_SSR,
        SignetState::Crypto => DIME_STATE_CRYPTO,
        SignetState::Full => DIME_STATE_FULL,
        SignetState::Id => DIME_STATE_ID,
    }
}

fn fingerprint_kind_from(value: DimeFingerprintKind) -> Result<FingerprintKind, Error> {
    match value {
        DIME_FINGERPRINT_SSR => Ok(FingerprintKind::Ssr),
        DIME_FINGERPRINT_CRYPTO => Ok(FingerprintKind::Crypto),
        DIME_FINGERPRINT_FULL => Ok(FingerprintKind::Full),
        DIME_FINGERPRINT_ID => Ok(FingerprintKind::Id),
        value => Err(Error::UnknownConstant { what: "fingerprint kind", value }),
    }
}

/// Parses a signet given as armor, bare base64 or binary, strictly (unknown fields refused) and
/// with the format's own size limits. Parsing checks structure only; `dime_signet_validate`
/// checks the signatures.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_MALFORMED`, `DIME_ERR_WRONG_KIND` (another DIME object),
/// `DIME_ERR_TOO_LARGE`.
///
/// # Safety
/// `data` must be NULL (only with `len` 0) or point to `len` readable bytes; `out` must be NULL
/// or point to writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_parse(data: *const u8, len: usize, out: *mut *mut DimeSignet) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let data = unsafe { boundary::bytes(data, len, "data")? };
        *out = boundary::into_handle(DimeSignet { signet: Signet::read(data, &ParseOptions::default())? });
        Ok(())
    })
}

/// Writes the signet's kind (`DIME_SIGNET_*`) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `signet` must be NULL or a live handle; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_kind(signet: *const DimeSignet, out: *mut DimeSignetKind) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", 0)? };
        // SAFETY: the caller's contract above.
        *out = kind_to_c(unsafe { boundary::get(signet, "signet")? }.signet.kind());
        Ok(())
    })
}

/// Writes the binary signet (header included, exactly as parsed or issued) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `signet` must be NULL or a live handle; `out` must be NULL or point to a writable
/// `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_to_bytes(signet: *const DimeSignet, out: *mut DimeBuffer) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        *out = DimeBuffer::from_vec(signet.signet.as_bytes().to_vec());
        Ok(())
    })
}

/// Writes the ASCII-armored signet into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `signet` must be NULL or a live handle; `out` must be NULL or point to a writable
/// `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_to_armor(signet: *const DimeSignet, out: *mut DimeBuffer) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        *out = DimeBuffer::from_vec(signet.signet.to_armor().into_bytes());
        Ok(())
    })
}

/// Writes a view of the signet's field 254 (a domain for org signets, an address for user
/// signets) into `out`, **unverified**: absent (`ptr` NULL) when the signet has none. Nothing
/// here says that the identifiable signature covering it verified or that its organization is
/// anchored: use it to show a signet, and `dime_signet_bind` for the address or domain it
/// stands for. The view lives as long as the handle.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `signet` must be NULL or a live handle; `out` must be NULL or point to a writable `DimeStr`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_identifier(signet: *const DimeSignet, out: *mut DimeStr) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeStr::ABSENT)? };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        *out = signet.signet.unverified_identifier().map_or(DimeStr::ABSENT, DimeStr::of);
        Ok(())
    })
}

/// Binds `signet` to the address or domain it stands for and writes that identifier into
/// `out` (a view that lives as long as the handle).
///
/// The anchor is `record`, the management record of `domain` (`_dx.<domain>`): an org signet
/// (`org` NULL) must carry one of its POKs, validate to `id` and have `domain` as identifier
/// (ignoring ASCII case); a user signet needs `org`, its organization's signet, bound so first,
/// and must itself validate to `id` with an address in `domain` as identifier. `previous`, when
/// not NULL, is the user's previous signet, against which a custody signature must verify.
/// A signet below `id` (a `full` or `crypto` signet, one without identifier) binds nothing.
///
/// Errors: `DIME_ERR_NULL` (`signet`, `record`, `domain`, `out`, or `org` for a user signet),
/// `DIME_ERR_INVALID_ARGUMENT` (`domain` not UTF-8), `DIME_ERR_WRONG_KIND` (a request; `org` not
/// an org signet), `DIME_ERR_BAD_SIGNATURE` (a signature up to 255, or custody, does not
/// verify), `DIME_ERR_SIGNET_MISMATCH` (the POK is not the record's, the identifier is missing,
/// not text or not in `domain`, the signet is below `id`).
///
/// # Safety
/// `signet`, `org`, `previous` and `record` must be NULL or live handles; `domain` NULL (only
/// with `domain_len` 0) or point to `domain_len` readable bytes; `out` NULL or point to a
/// writable `DimeStr`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_bind(
    signet: *const DimeSignet,
    org: *const DimeSignet,
    previous: *const DimeSignet,
    record: *const DimeRecord,
    domain: *const u8,
    domain_len: usize,
    out: *mut DimeStr,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeStr::ABSENT)? };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        // SAFETY: the caller's contract above.
        let record = unsafe { boundary::get(record, "record")? };
        // SAFETY: the caller's contract above.
        let domain = unsafe { boundary::text(domain, domain_len, "domain")? };
        // SAFETY: the caller's contract above (NULL or live).
        let previous = unsafe { boundary::get_optional(previous) }.map(|p| &p.signet);
        let anchor = Anchor::record(domain, &record.record);
        if signet.signet.kind() == SignetKind::Org {
            signet.signet.bind(&anchor)?;
        } else {
            // SAFETY: the caller's contract above.
            let org = unsafe { boundary::get(org, "org")? };
            org.signet.bind(&anchor)?.bind_user(&signet.signet, previous)?;
        }
        *out = signet.signet.unverified_identifier().map_or(DimeStr::ABSENT, DimeStr::of);
        Ok(())
    })
}

/// Binds a user signet through its organization's signet taken as given (trusted on its own
/// POK, for the domain it names): what composing checks, so that no object is ever encrypted
/// to, or signed as, a signet its organization did not bind to an address at `id`. Anchoring
/// that org signet in DNS is `dime_signet_bind`'s job.
pub(crate) fn bind_as_given(user: &Signet, org: &Signet) -> Result<BoundSignet, Error> {
    let domain = org.unverified_identifier().and_then(|id| core::str::from_utf8(id).ok()).unwrap_or_default();
    let poks: Vec<_> = org.signing_key().into_iter().collect();
    Ok(org.bind(&Anchor::trusted(domain, &poks))?.bind_user(user, None)?)
}

/// Writes the fingerprint `kind` (`DIME_FINGERPRINT_*`) of the signet into `out`.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (unknown kind), `DIME_ERR_WRONG_KIND`
/// (this kind of signet has no such fingerprint: `SSR` of an org signet, any but `SSR` of a
/// request).
///
/// # Safety
/// `signet` must be NULL or a live handle; `out` must be NULL or point to a writable
/// `DimeFingerprint`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_fingerprint(
    signet: *const DimeSignet,
    kind: DimeFingerprintKind,
    out: *mut DimeFingerprint,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeFingerprint::ZERO)? };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        let which = fingerprint_kind_from(kind)?;
        let fp = signet.signet.fingerprint(which).ok_or(Error::NoFingerprint { kind: signet.signet.kind(), which })?;
        *out = fp.into();
        Ok(())
    })
}

/// Validates every signature of `signet` and writes the state reached (`DIME_STATE_*`) into
/// `out_state`.
///
/// `org` is the organization's signet, needed for a user signet; `previous` the user's previous
/// signet, for a signet or request that rotates keys; `record` the organization's management
/// record, whose POKs then anchor the org signet (without it an org signet is checked against
/// its own key only). Each may be NULL.
///
/// When `out_anchored` is not NULL it receives whether the organization's key was checked
/// against `record`'s POKs (the org signet itself, or a user signet's organization): without
/// that, `DIME_STATE_ID` says the signatures hold, not who holds the signet (`dime_signet_bind`
/// does that).
///
/// The call succeeds whatever the state: a signet that does not validate is an answer, not a
/// failure. When `out_problem` is not NULL it receives the reason the state is not higher
/// (UTF-8), or an empty buffer when nothing failed.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `signet` must be NULL or a live handle; `org`, `previous` and `record` NULL or live handles;
/// `out_state` NULL or writable; `out_anchored` NULL or writable; `out_problem` NULL or point to
/// a writable `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_validate(
    signet: *const DimeSignet,
    org: *const DimeSignet,
    previous: *const DimeSignet,
    record: *const DimeRecord,
    out_state: *mut DimeSignetState,
    out_anchored: *mut bool,
    out_problem: *mut DimeBuffer,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out_state = unsafe { boundary::out(out_state, "out_state", DIME_STATE_MALFORMED)? };
        let out_anchored = match out_anchored.is_null() {
            true => None,
            // SAFETY: the caller's contract above; not NULL.
            false => Some(unsafe { boundary::out(out_anchored, "out_anchored", false)? }),
        };
        let out_problem = match out_problem.is_null() {
            true => None,
            // SAFETY: the caller's contract above; not NULL.
            false => Some(unsafe { boundary::out(out_problem, "out_problem", DimeBuffer::EMPTY)? }),
        };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        // SAFETY: the caller's contract above (each NULL or live).
        let org = unsafe { boundary::get_optional(org) };
        // SAFETY: the caller's contract above (each NULL or live).
        let previous = unsafe { boundary::get_optional(previous) };
        // SAFETY: the caller's contract above (each NULL or live).
        let record = unsafe { boundary::get_optional(record) };
        let context = Context {
            poks: record.map(|r| r.record.poks()),
            org: org.map(|o| &o.signet),
            previous: previous.map(|p| &p.signet),
        };
        let validation = signet.signet.validate(&context);
        *out_state = state_to_c(validation.state);
        if let Some(slot) = out_anchored {
            *slot = validation.anchored;
        }
        if let (Some(slot), Some(problem)) = (out_problem, validation.problem) {
            *slot = DimeBuffer::from_vec(problem.to_string().into_bytes());
        }
        Ok(())
    })
}

/// Frees a signet handle. NULL does nothing.
///
/// # Safety
/// `signet` must be NULL or a handle from this library that has not been freed; it must not
/// be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_signet_free(signet: *mut DimeSignet) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(signet) });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::boundary::tests::last_error;
    use crate::buffer::dime_buffer_free;
    use crate::buffer::tests::{contents, view};
    use core::ptr::{null, null_mut};
    use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
    use dime_signet::issue;

    /// A handle for `signet` (test helper; free with `dime_signet_free`).
    pub(crate) fn handle(signet: Signet) -> *mut DimeSignet {
        boundary::into_handle(DimeSignet { signet })
    }

    /// An org signet, a user signet it issued, and the org's POK.
    pub(crate) fn chain() -> (Signet, Signet, SigningSecretKey) {
        let pok = SigningSecretKey::from_seed(&[1; 32]);
        let org = issue::new_org_signet(
            &pok,
            &EncryptionSecretKey::x25519_from_bytes([2; 32]).public().unwrap(),
            "example.org",
        )
        .unwrap();
        let user_key = SigningSecretKey::from_seed(&[3; 32]);
        let enc = EncryptionSecretKey::x25519_from_bytes([4; 32]).public().unwrap();
        let request = issue::new_request(&user_key, &enc, None).unwrap();
        let user = issue::issue_user_signet(&request, None, &org, &pok, "alice@example.org", &[]).unwrap();
        (org, user, pok)
    }

    fn validate(signet: *const DimeSignet, org: *const DimeSignet) -> (DimeStatus, DimeSignetState, Vec<u8>) {
        let (mut state, mut problem) = (99, DimeBuffer::EMPTY);
        // SAFETY: live handles (or NULL) and locals.
        let status = unsafe { dime_signet_validate(signet, org, null(), null(), &mut state, null_mut(), &mut problem) };
        let text = contents(&problem);
        // SAFETY: a buffer from the library.
        unsafe { dime_buffer_free(&mut problem) };
        (status, state, text)
    }

    #[test]
    fn bind_needs_the_record_and_id() {
        use crate::record::{DimeRecord, dime_record_free};
        let (org, user, pok) = chain();
        let record: dime_signet::ManagementRecord =
            format!("ver=1 pok={}", dime_core::base64::encode_unpadded(pok.public().as_bytes())).parse().unwrap();
        let record = boundary::into_handle(DimeRecord { record });
        let (org, user) = (handle(org), handle(user));
        // SAFETY: a live handle.
        let full = handle(unsafe { &(*user).signet }.split(dime_signet::Split::Full).unwrap());
        let bind = |signet, org, domain: &str| {
            let mut out = DimeStr::ABSENT;
            // SAFETY: live handles (or NULL) and locals.
            let status =
                unsafe { dime_signet_bind(signet, org, null(), record, domain.as_ptr(), domain.len(), &mut out) };
            (status, view(out))
        };
        assert_eq!(bind(org, null(), "example.org"), (DimeStatus::DIME_OK, Some(b"example.org".to_vec())));
        assert_eq!(bind(user, org, "Example.ORG"), (DimeStatus::DIME_OK, Some(b"alice@example.org".to_vec())));
        // Below id: bound to no address.
        assert_eq!(bind(full, org, "example.org"), (DimeStatus::DIME_ERR_SIGNET_MISMATCH, None));
        assert_eq!(last_error(), "the signet is full, not id, so it is bound to no identifier");
        // Another domain's record does not anchor example.org.
        assert_eq!(bind(user, org, "example.net"), (DimeStatus::DIME_ERR_SIGNET_MISMATCH, None));
        assert_eq!(last_error(), "the identifier \"example.org\" does not belong to the anchored domain example.net");
        // A user signet needs its org signet.
        assert_eq!(bind(user, null(), "example.org"), (DimeStatus::DIME_ERR_NULL, None));
        // SAFETY: handles from the library.
        unsafe {
            dime_signet_free(org);
            dime_signet_free(user);
            dime_signet_free(full);
            dime_record_free(record);
        }
    }

    #[test]
    fn parse_accepts_armor_and_binary() {
        let (org, _, _) = chain();
        for input in [org.as_bytes().to_vec(), org.to_armor().into_bytes()] {
            let mut out = null_mut();
            let (mut kind, mut bytes, mut armor) = (0, DimeBuffer::EMPTY, DimeBuffer::EMPTY);
            // SAFETY: live handles, buffers and locals.
            unsafe {
                assert_eq!(dime_signet_parse(input.as_ptr(), input.len(), &mut out), DimeStatus::DIME_OK);
                assert_eq!(dime_signet_kind(out, &mut kind), DimeStatus::DIME_OK);
                assert_eq!(kind, DIME_SIGNET_ORG);
                assert_eq!(dime_signet_to_bytes(out, &mut bytes), DimeStatus::DIME_OK);
                assert_eq!(contents(&bytes), org.as_bytes());
                assert_eq!(dime_signet_to_armor(out, &mut armor), DimeStatus::DIME_OK);
                assert_eq!(contents(&armor), org.to_armor().into_bytes());
                dime_buffer_free(&mut bytes);
                dime_buffer_free(&mut armor);
                dime_signet_free(out);
            }
        }
    }

    #[test]
    fn parse_rejects_bad_input() {
        let (org, _, _) = chain();
        let mut out = null_mut();
        let mut truncated = org.as_bytes().to_vec();
        truncated.pop();
        let key_file = dime_signet::KeyFile::generate(dime_signet::KeyOwner::User).unwrap().to_bytes().unwrap();
        // SAFETY: live locals and NULL.
        unsafe {
            assert_eq!(
                dime_signet_parse(truncated.as_ptr(), truncated.len(), &mut out),
                DimeStatus::DIME_ERR_MALFORMED
            );
            assert!(out.is_null());
            assert_eq!(
                last_error(),
                dime_signet::Signet::parse(&truncated).unwrap_err().to_string(),
                "the message is the library's"
            );
            assert_eq!(dime_signet_parse(key_file.as_ptr(), key_file.len(), &mut out), DimeStatus::DIME_ERR_WRONG_KIND);
            assert_eq!(dime_signet_parse(null(), 0, &mut out), DimeStatus::DIME_ERR_MALFORMED);
            assert_eq!(dime_signet_parse(null(), 5, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_signet_parse(truncated.as_ptr(), truncated.len(), null_mut()), DimeStatus::DIME_ERR_NULL);
        }
    }

    #[test]
    fn identifier_and_fingerprints() {
        let (org, user, _) = chain();
        let (org_h, user_h) = (handle(org.clone()), handle(user.clone()));
        let mut id = DimeStr::ABSENT;
        let mut fp = DimeFingerprint::ZERO;
        // SAFETY: live handles and locals.
        unsafe {
            assert_eq!(dime_signet_identifier(user_h, &mut id), DimeStatus::DIME_OK);
            assert_eq!(view(id).as_deref(), Some(&b"alice@example.org"[..]));
            for (kind, which) in [
                (DIME_FINGERPRINT_SSR, FingerprintKind::Ssr),
                (DIME_FINGERPRINT_CRYPTO, FingerprintKind::Crypto),
                (DIME_FINGERPRINT_FULL, FingerprintKind::Full),
                (DIME_FINGERPRINT_ID, FingerprintKind::Id),
            ] {
                assert_eq!(dime_signet_fingerprint(user_h, kind, &mut fp), DimeStatus::DIME_OK);
                assert_eq!(fp.bytes, user.fingerprint(which).unwrap().0);
            }
            assert_eq!(dime_signet_fingerprint(org_h, DIME_FINGERPRINT_SSR, &mut fp), DimeStatus::DIME_ERR_WRONG_KIND);
            assert_eq!(fp, DimeFingerprint::ZERO);
            assert_eq!(last_error(), "org signets have no ssr fingerprint");
            assert_eq!(dime_signet_fingerprint(org_h, 0, &mut fp), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(dime_signet_fingerprint(org_h, 5, &mut fp), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error(), "unknown fingerprint kind 5");
            assert_eq!(dime_signet_fingerprint(null(), 1, &mut fp), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_signet_fingerprint(org_h, 1, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_signet_identifier(null(), &mut id), DimeStatus::DIME_ERR_NULL);
            assert_eq!(id, DimeStr::ABSENT);
            assert_eq!(dime_signet_identifier(org_h, null_mut()), DimeStatus::DIME_ERR_NULL);
            dime_signet_free(org_h);
            dime_signet_free(user_h);
        }
    }

    #[test]
    fn request_has_no_identifier() {
        let request = issue::new_request(
            &SigningSecretKey::from_seed(&[5; 32]),
            &EncryptionSecretKey::x25519_from_bytes([6; 32]).public().unwrap(),
            None,
        )
        .unwrap();
        let h = handle(request);
        let mut id = DimeStr::of(b"stale");
        let mut kind = 0;
        // SAFETY: live handle and locals.
        unsafe {
            assert_eq!(dime_signet_identifier(h, &mut id), DimeStatus::DIME_OK);
            assert_eq!(id, DimeStr::ABSENT);
            assert_eq!(dime_signet_kind(h, &mut kind), DimeStatus::DIME_OK);
            assert_eq!(kind, DIME_SIGNET_REQUEST);
            assert_eq!(dime_signet_kind(null(), &mut kind), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_signet_kind(h, null_mut()), DimeStatus::DIME_ERR_NULL);
            dime_signet_free(h);
        }
    }

    #[test]
    fn validation_states_and_problems() {
        let (org, user, _) = chain();
        let (org_h, user_h) = (handle(org), handle(user));
        assert_eq!(validate(org_h, null()), (DimeStatus::DIME_OK, DIME_STATE_ID, Vec::new()));
        assert_eq!(validate(user_h, org_h), (DimeStatus::DIME_OK, DIME_STATE_ID, Vec::new()));
        let (status, state, problem) = validate(user_h, null());
        assert_eq!((status, state), (DimeStatus::DIME_OK, DIME_STATE_INVALID));
        assert_eq!(problem, b"validating a user signet needs the organizational signet");
        // An org signet of another organization did not issue the user signet.
        let other_pok = SigningSecretKey::from_seed(&[9; 32]);
        let other_enc = EncryptionSecretKey::x25519_from_bytes([8; 32]).public().unwrap();
        let other_h = handle(issue::new_org_signet(&other_pok, &other_enc, "example.net").unwrap());
        let (_, state, problem) = validate(user_h, other_h);
        assert_eq!(state, DIME_STATE_INVALID);
        assert!(!problem.is_empty());
        let mut state = 99;
        // SAFETY: live handles and NULL.
        unsafe {
            assert_eq!(
                dime_signet_validate(org_h, null(), null(), null(), &mut state, null_mut(), null_mut()),
                DimeStatus::DIME_OK
            );
            assert_eq!(state, DIME_STATE_ID);
            assert_eq!(
                dime_signet_validate(null(), null(), null(), null(), &mut state, null_mut(), null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
            assert_eq!(state, DIME_STATE_MALFORMED);
            assert_eq!(
                dime_signet_validate(org_h, null(), null(), null(), null_mut(), null_mut(), null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
            assert_eq!(last_error(), "argument `out_state` is NULL");
            dime_signet_free(org_h);
            dime_signet_free(user_h);
            dime_signet_free(other_h);
        }
    }

    #[test]
    fn state_constants_follow_the_library_order() {
        let states = [
            SignetState::Malformed,
            SignetState::Incomplete,
            SignetState::BrokenCustody,
            SignetState::Invalid,
            SignetState::Ssr,
            SignetState::Crypto,
            SignetState::Full,
            SignetState::Id,
        ];
        for pair in states.windows(2) {
            assert!(pair[0] < pair[1] && state_to_c(pair[0]) < state_to_c(pair[1]));
        }
        assert_eq!(state_to_c(SignetState::Ssr), DIME_STATE_SSR);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the bytes, parsing gives a status (never a panic), and a handle exactly when
        /// it succeeds.
        #[test]
        fn parse_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let mut out = null_mut();
            // SAFETY: a live local vector and out-pointer.
            let status = unsafe { dime_signet_parse(bytes.as_ptr(), bytes.len(), &mut out) };
            proptest::prop_assert!(matches!(
                status,
                DimeStatus::DIME_OK | DimeStatus::DIME_ERR_MALFORMED | DimeStatus::DIME_ERR_WRONG_KIND | DimeStatus::DIME_ERR_TOO_LARGE
            ));
            proptest::prop_assert_eq!(out.is_null(), status != DimeStatus::DIME_OK);
            // SAFETY: NULL or a live handle, freed once.
            unsafe { dime_signet_free(out) };
        }

        /// Build (in Rust) -> serialize (through C) -> parse (through C) -> equal.
        #[test]
        fn issued_signets_round_trip(
            seed in proptest::array::uniform32(proptest::num::u8::ANY),
            domain in "[a-z]{1,20}\\.[a-z]{2,6}",
            armored in proptest::bool::ANY,
        ) {
            let pok = SigningSecretKey::from_seed(&seed);
            let enc = EncryptionSecretKey::x25519_from_bytes(seed).public().unwrap();
            let signet = issue::new_org_signet(&pok, &enc, &domain).unwrap();
            let h = handle(signet.clone());
            let (mut buffer, mut back) = (DimeBuffer::EMPTY, null_mut());
            // SAFETY: live handles and locals, each freed once.
            unsafe {
                let write = if armored { dime_signet_to_armor } else { dime_signet_to_bytes };
                proptest::prop_assert_eq!(write(h, &mut buffer), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(dime_signet_parse(buffer.ptr, buffer.len, &mut back), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(&(*back).signet, &signet);
                dime_buffer_free(&mut buffer);
                dime_signet_free(back);
                dime_signet_free(h);
            }
        }
    }
}
