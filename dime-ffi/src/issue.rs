//! The signet life cycle: org signets, signing requests, and user signets issued from them.

use dime_signet::{KeyOwner, issue};

use crate::boundary::{self, call};
use crate::keys::DimeKeys;
use crate::signet::DimeSignet;
use crate::status::DimeStatus;

/// Creates an organizational signet for `domain` (UTF-8, `domain_len` bytes) at the
/// identifiable stage, signed with the organization's POK.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (domain not UTF-8), `DIME_ERR_WRONG_KIND`
/// (user keys), `DIME_ERR_TOO_LARGE` (domain longer than its field allows).
///
/// # Safety
/// `org_keys` must be NULL or a live handle; `domain` NULL (only with length 0) or
/// `domain_len` readable bytes; `out` NULL or writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_org_signet_new(
    org_keys: *const DimeKeys,
    domain: *const u8,
    domain_len: usize,
    out: *mut *mut DimeSignet,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(org_keys, "org_keys")? }.expect(KeyOwner::Org, "org_keys")?;
        // SAFETY: the caller's contract above.
        let domain = unsafe { boundary::text(domain, domain_len, "domain")? };
        let signet = issue::new_org_signet_with(
            &keys.signing,
            &keys.encryption_public()?,
            keys.kem.as_ref().map(|k| k.public()),
            domain,
        )?;
        *out = boundary::into_handle(DimeSignet { signet });
        Ok(())
    })
}

/// Creates a signing request (SSR) for a user's keys. When the user rotates keys,
/// `previous_keys` are the keys of the user's current signet and sign the chain of custody;
/// otherwise NULL.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (org keys).
///
/// # Safety
/// `user_keys` must be NULL or a live handle; `previous_keys` NULL or a live handle; `out`
/// NULL or writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_request_new(
    user_keys: *const DimeKeys,
    previous_keys: *const DimeKeys,
    out: *mut *mut DimeSignet,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(user_keys, "user_keys")? }.expect(KeyOwner::User, "user_keys")?;
        // SAFETY: the caller's contract above.
        let previous = match unsafe { boundary::get_optional(previous_keys) } {
            Some(p) => Some(p.expect(KeyOwner::User, "previous_keys")?),
            None => None,
        };
        let signet = issue::new_request_with(
            &keys.signing,
            &keys.encryption_public()?,
            keys.kem.as_ref().map(|k| k.public()),
            previous.map(|p| &p.signing),
        )?;
        *out = boundary::into_handle(DimeSignet { signet });
        Ok(())
    })
}

/// Issues a user signet for `address` (UTF-8, `address_len` bytes) from a signing request, at
/// the identifiable stage, signed with the organization's POK.
///
/// The request must validate as an SSR (its own signature, and its custody signature against
/// `previous`, the user's current signet, when it rotates keys; NULL otherwise); `org_signet`
/// must be the organization's signet and `org_keys` its keys.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (address not UTF-8),
/// `DIME_ERR_WRONG_KIND` (a signet or keys of the wrong kind), `DIME_ERR_BAD_SIGNATURE` (the
/// request's signatures), `DIME_ERR_SIGNET_MISMATCH` (the POK is not the org signet's, custody
/// without `previous` or the reverse), `DIME_ERR_MALFORMED`, `DIME_ERR_TOO_LARGE`.
///
/// # Safety
/// `request`, `org_signet` and `org_keys` must be NULL or live handles; `previous` NULL or a
/// live handle; `address` NULL (only with length 0) or `address_len` readable bytes; `out` NULL
/// or writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_user_signet_issue(
    request: *const DimeSignet,
    previous: *const DimeSignet,
    org_signet: *const DimeSignet,
    org_keys: *const DimeKeys,
    address: *const u8,
    address_len: usize,
    out: *mut *mut DimeSignet,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let request = unsafe { boundary::get(request, "request")? };
        // SAFETY: the caller's contract above.
        let org = unsafe { boundary::get(org_signet, "org_signet")? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(org_keys, "org_keys")? }.expect(KeyOwner::Org, "org_keys")?;
        // SAFETY: the caller's contract above.
        let previous = unsafe { boundary::get_optional(previous) };
        // SAFETY: the caller's contract above.
        let address = unsafe { boundary::text(address, address_len, "address")? };
        let signet = issue::issue_user_signet(
            &request.signet,
            previous.map(|p| &p.signet),
            &org.signet,
            &keys.signing,
            address,
            &[],
        )?;
        *out = boundary::into_handle(DimeSignet { signet });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::tests::last_error;
    use crate::keys::tests::keys;
    use crate::keys::{DIME_KEY_OWNER_ORG, DIME_KEY_OWNER_USER, dime_keys_free, dime_keys_match_signet};
    use crate::signet::*;
    use core::ptr::{null, null_mut};

    fn org_signet(keys: *const DimeKeys, domain: &str) -> (DimeStatus, *mut DimeSignet) {
        let mut out = null_mut();
        // SAFETY: live handle and locals.
        let status = unsafe { dime_org_signet_new(keys, domain.as_ptr(), domain.len(), &mut out) };
        (status, out)
    }

    fn request(keys: *const DimeKeys, previous: *const DimeKeys) -> (DimeStatus, *mut DimeSignet) {
        let mut out = null_mut();
        // SAFETY: live handles and locals.
        let status = unsafe { dime_request_new(keys, previous, &mut out) };
        (status, out)
    }

    fn issue(
        request: *const DimeSignet,
        previous: *const DimeSignet,
        org: *const DimeSignet,
        keys: *const DimeKeys,
        address: &[u8],
    ) -> (DimeStatus, *mut DimeSignet) {
        let mut out = null_mut();
        // SAFETY: live handles and locals.
        let status =
            unsafe { dime_user_signet_issue(request, previous, org, keys, address.as_ptr(), address.len(), &mut out) };
        (status, out)
    }

    fn state(signet: *const DimeSignet, org: *const DimeSignet, previous: *const DimeSignet) -> DimeSignetState {
        let mut state = 99;
        // SAFETY: live handles and locals.
        let status = unsafe { dime_signet_validate(signet, org, previous, null(), &mut state, null_mut(), null_mut()) };
        assert_eq!(status, DimeStatus::DIME_OK);
        state
    }

    #[test]
    fn full_life_cycle_with_rotation() {
        let (org_keys, user_keys, new_keys) =
            (keys(DIME_KEY_OWNER_ORG), keys(DIME_KEY_OWNER_USER), keys(DIME_KEY_OWNER_USER));
        let (status, org) = org_signet(org_keys, "example.org");
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(state(org, null(), null()), DIME_STATE_ID);
        let (status, req) = request(user_keys, null());
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(state(req, null(), null()), DIME_STATE_SSR);
        let (status, user) = issue(req, null(), org, org_keys, b"alice@example.org");
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(state(user, org, null()), DIME_STATE_ID);
        let mut matches = false;
        // SAFETY: live handles.
        unsafe {
            assert_eq!(dime_keys_match_signet(user_keys, user, &mut matches), DimeStatus::DIME_OK);
            assert!(matches);
            assert_eq!(dime_keys_match_signet(new_keys, user, &mut matches), DimeStatus::DIME_OK);
            assert!(!matches);
        }
        // Rotation: the new request carries custody by the old keys.
        let (status, rotated_req) = request(new_keys, user_keys);
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(state(rotated_req, null(), user), DIME_STATE_SSR);
        assert_eq!(state(rotated_req, null(), null()), DIME_STATE_BROKEN_CUSTODY);
        let (status, none) = issue(rotated_req, null(), org, org_keys, b"alice@example.org");
        assert_eq!((status, none), (DimeStatus::DIME_ERR_SIGNET_MISMATCH, null_mut()));
        assert_eq!(last_error(), "chain-of-custody signature present but no previous signet given");
        let (status, rotated) = issue(rotated_req, user, org, org_keys, b"alice@example.org");
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(state(rotated, org, user), DIME_STATE_ID);
        // SAFETY: every handle is freed once.
        unsafe {
            for s in [org, req, user, rotated_req, rotated] {
                dime_signet_free(s);
            }
            for k in [org_keys, user_keys, new_keys] {
                dime_keys_free(k);
            }
        }
    }

    #[test]
    fn wrong_kinds_are_refused() {
        let (org_keys, user_keys) = (keys(DIME_KEY_OWNER_ORG), keys(DIME_KEY_OWNER_USER));
        let (status, none) = org_signet(user_keys, "example.org");
        assert_eq!((status, none), (DimeStatus::DIME_ERR_WRONG_KIND, null_mut()));
        assert_eq!(last_error(), "org_keys must be an organization's keys");
        assert_eq!(request(org_keys, null()).0, DimeStatus::DIME_ERR_WRONG_KIND);
        assert_eq!(last_error(), "user_keys must be a user's keys");
        assert_eq!(request(user_keys, org_keys).0, DimeStatus::DIME_ERR_WRONG_KIND);
        assert_eq!(last_error(), "previous_keys must be a user's keys");
        let (_, org) = org_signet(org_keys, "example.org");
        let (_, req) = request(user_keys, null());
        assert_eq!(issue(req, null(), org, user_keys, b"a@example.org").0, DimeStatus::DIME_ERR_WRONG_KIND);
        // The request and the org signet swapped.
        assert_eq!(issue(org, null(), req, org_keys, b"a@example.org").0, DimeStatus::DIME_ERR_WRONG_KIND);
        assert_eq!(last_error(), "expected a org, got a ssr");
        assert_eq!(issue(org, null(), org, org_keys, b"a@example.org").0, DimeStatus::DIME_ERR_WRONG_KIND);
        assert_eq!(last_error(), "expected a ssr, got a org");
        // Keys of another organization are not authorized by this org signet.
        let other_keys = keys(DIME_KEY_OWNER_ORG);
        assert_eq!(issue(req, null(), org, other_keys, b"a@example.org").0, DimeStatus::DIME_ERR_SIGNET_MISMATCH);
        assert_eq!(last_error(), "the key is not authorized to sign user signets for this organization");
        // SAFETY: every handle is freed once.
        unsafe {
            dime_signet_free(org);
            dime_signet_free(req);
            for k in [org_keys, user_keys, other_keys] {
                dime_keys_free(k);
            }
        }
    }

    #[test]
    fn text_and_null_arguments() {
        let org_keys = keys(DIME_KEY_OWNER_ORG);
        let user_keys = keys(DIME_KEY_OWNER_USER);
        let mut out = null_mut();
        // SAFETY: live handles and locals, NULL.
        unsafe {
            let bad = [b'a', 0xfe];
            assert_eq!(dime_org_signet_new(org_keys, bad.as_ptr(), 2, &mut out), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error(), "`domain` is not UTF-8 (invalid byte at offset 1)");
            assert_eq!(dime_org_signet_new(org_keys, null(), 3, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_org_signet_new(null(), b"x".as_ptr(), 1, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_org_signet_new(org_keys, b"x".as_ptr(), 1, null_mut()), DimeStatus::DIME_ERR_NULL);
            let long = "d".repeat(300);
            assert_eq!(
                dime_org_signet_new(org_keys, long.as_ptr(), long.len(), &mut out),
                DimeStatus::DIME_ERR_TOO_LARGE
            );
            assert_eq!(dime_request_new(null(), null(), &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_request_new(user_keys, null(), null_mut()), DimeStatus::DIME_ERR_NULL);
            let (_, org) = org_signet(org_keys, "example.org");
            let (_, req) = request(user_keys, null());
            assert_eq!(issue(null(), null(), org, org_keys, b"a").0, DimeStatus::DIME_ERR_NULL);
            assert_eq!(issue(req, null(), null(), org_keys, b"a").0, DimeStatus::DIME_ERR_NULL);
            assert_eq!(issue(req, null(), org, null(), b"a").0, DimeStatus::DIME_ERR_NULL);
            assert_eq!(issue(req, null(), org, org_keys, &[0xff]).0, DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(
                dime_user_signet_issue(req, null(), org, org_keys, b"a".as_ptr(), 1, null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
            assert!(out.is_null());
            dime_signet_free(org);
            dime_signet_free(req);
            dime_keys_free(org_keys);
            dime_keys_free(user_keys);
        }
    }
}
