//! Management records (`_dx.<domain>` TXT) behind the `DimeRecord` handle.

use dime_signet::{KeyOwner, ManagementRecord};

use crate::boundary::{self, call};
use crate::buffer::DimeBuffer;
use crate::error::Error;
use crate::keys::DimeKeys;
use crate::status::DimeStatus;

/// A DIME management record, valid by construction. Opaque; free with `dime_record_free`.
pub struct DimeRecord {
    pub(crate) record: ManagementRecord,
}

/// Creates the smallest record for an organization: version 1, its POK, and the default policy
/// and subdomain rule. `dime_record_to_text` gives the TXT value to publish at
/// `_dx.<domain>`.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (user keys).
///
/// # Safety
/// `org_keys` must be NULL or a live handle; `out` NULL or writable storage for a handle
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_record_new(org_keys: *const DimeKeys, out: *mut *mut DimeRecord) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(org_keys, "org_keys")? }.expect(KeyOwner::Org, "org_keys")?;
        let record = ManagementRecord::builder(keys.signing_public()).build()?;
        *out = boundary::into_handle(DimeRecord { record });
        Ok(())
    })
}

/// Parses the text of a management record (one TXT record's strings, joined) strictly, as
/// `docs/record.md` defines it.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_MALFORMED` (grammar, values, bytes that are not UTF-8),
/// `DIME_ERR_TOO_LARGE`, `DIME_ERR_UNSUPPORTED` (a version other than 1).
///
/// # Safety
/// `text` must be NULL (only with `len` 0) or point to `len` readable bytes; `out` NULL or
/// writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_record_parse(text: *const u8, len: usize, out: *mut *mut DimeRecord) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let bytes = unsafe { boundary::bytes(text, len, "text")? };
        let text = core::str::from_utf8(bytes).map_err(|e| Error::RecordNotUtf8 { offset: e.valid_up_to() })?;
        *out = boundary::into_handle(DimeRecord { record: text.parse()? });
        Ok(())
    })
}

/// Writes the record's canonical text (short names, fixed order, single spaces) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `record` must be NULL or a live handle; `out` NULL or point to a writable `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_record_to_text(record: *const DimeRecord, out: *mut DimeBuffer) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above.
        let record = unsafe { boundary::get(record, "record")? };
        *out = DimeBuffer::from_vec(record.record.to_string().into_bytes());
        Ok(())
    })
}

/// Writes the number of POKs the record lists (at least 1) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `record` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_record_pok_count(record: *const DimeRecord, out: *mut usize) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", 0)? };
        // SAFETY: the caller's contract above.
        *out = unsafe { boundary::get(record, "record")? }.record.poks().len();
        Ok(())
    })
}

/// Frees a record handle. NULL does nothing.
///
/// # Safety
/// `record` must be NULL or a handle from this library that has not been freed; it must not
/// be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_record_free(record: *mut DimeRecord) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(record) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::tests::last_error;
    use crate::buffer::dime_buffer_free;
    use crate::buffer::tests::contents;
    use crate::keys::tests::keys;
    use crate::keys::{DIME_KEY_OWNER_ORG, DIME_KEY_OWNER_USER, dime_keys_free};
    use crate::signet::tests::{chain, handle};
    use crate::signet::{DIME_STATE_ID, DIME_STATE_INVALID, dime_signet_free, dime_signet_validate};
    use core::ptr::{null, null_mut};

    fn parse(text: &[u8]) -> (DimeStatus, *mut DimeRecord) {
        let mut out = null_mut();
        // SAFETY: live locals.
        let status = unsafe { dime_record_parse(text.as_ptr(), text.len(), &mut out) };
        (status, out)
    }

    #[test]
    fn new_to_text_parse_round_trip() {
        let org_keys = keys(DIME_KEY_OWNER_ORG);
        let (mut record, mut text, mut count) = (null_mut(), DimeBuffer::EMPTY, 0);
        // SAFETY: live handles and locals.
        unsafe {
            assert_eq!(dime_record_new(org_keys, &mut record), DimeStatus::DIME_OK);
            assert_eq!(dime_record_to_text(record, &mut text), DimeStatus::DIME_OK);
            let written = contents(&text);
            let pok = (*org_keys).keys.signing_public().to_base64();
            assert_eq!(written, format!("ver=1 pok={pok} pol=experimental sub=strict").into_bytes());
            let (status, back) = parse(&written);
            assert_eq!(status, DimeStatus::DIME_OK);
            assert_eq!((*back).record, (*record).record);
            assert_eq!(dime_record_pok_count(back, &mut count), DimeStatus::DIME_OK);
            assert_eq!(count, 1);
            dime_buffer_free(&mut text);
            dime_record_free(back);
            dime_record_free(record);
            dime_keys_free(org_keys);
        }
    }

    #[test]
    fn parse_rejects_bad_text() {
        for (text, status) in [
            (&b"ver=1"[..], DimeStatus::DIME_ERR_MALFORMED),
            (b"ver=2 pok=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", DimeStatus::DIME_ERR_UNSUPPORTED),
            (b"ver=1 pok=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo \xff", DimeStatus::DIME_ERR_MALFORMED),
            (&[b'a'; 5000], DimeStatus::DIME_ERR_TOO_LARGE),
            (b"", DimeStatus::DIME_ERR_MALFORMED),
        ] {
            let (got, out) = parse(text);
            assert_eq!(got, status, "{:?}", String::from_utf8_lossy(text));
            assert!(out.is_null());
        }
        assert_eq!(parse(b"ver=1").0, DimeStatus::DIME_ERR_MALFORMED);
        assert_eq!(last_error(), "management record has no `pok` field");
        let mut out = null_mut();
        // SAFETY: NULL pointers and a live local.
        unsafe {
            assert_eq!(dime_record_parse(null(), 1, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_record_parse(b"x".as_ptr(), 1, null_mut()), DimeStatus::DIME_ERR_NULL);
        }
    }

    #[test]
    fn record_anchors_org_signet_validation() {
        let (org, _, pok) = chain();
        let own = ManagementRecord::builder(pok.public()).build().unwrap();
        let other =
            ManagementRecord::builder(dime_core::keys::SigningSecretKey::from_seed(&[7; 32]).public()).build().unwrap();
        let org_h = handle(org);
        for (record, expected) in [(own, DIME_STATE_ID), (other, DIME_STATE_INVALID)] {
            let record_h = boundary::into_handle(DimeRecord { record });
            let mut state = 99;
            // SAFETY: live handles and locals.
            unsafe {
                assert_eq!(
                    dime_signet_validate(org_h, null(), null(), record_h, &mut state, null_mut(), null_mut()),
                    DimeStatus::DIME_OK
                );
                dime_record_free(record_h);
            }
            assert_eq!(state, expected);
        }
        // SAFETY: freed once.
        unsafe { dime_signet_free(org_h) };
    }

    #[test]
    fn null_and_kind_arguments() {
        let user_keys = keys(DIME_KEY_OWNER_USER);
        let (mut out, mut text, mut count) = (null_mut(), DimeBuffer::EMPTY, 7);
        // SAFETY: live handles and locals, NULL.
        unsafe {
            assert_eq!(dime_record_new(user_keys, &mut out), DimeStatus::DIME_ERR_WRONG_KIND);
            assert!(out.is_null());
            assert_eq!(dime_record_new(null(), &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_record_new(user_keys, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_record_to_text(null(), &mut text), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_record_pok_count(null(), &mut count), DimeStatus::DIME_ERR_NULL);
            assert_eq!(count, 0);
            let (_, record) = parse(b"ver=1 pok=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo");
            assert_eq!(dime_record_to_text(record, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_record_pok_count(record, null_mut()), DimeStatus::DIME_ERR_NULL);
            dime_record_free(record);
            dime_record_free(null_mut());
            dime_keys_free(user_keys);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Whatever the text, parsing gives a status and a handle exactly on success; a record
        /// that parses writes canonical text that parses to the same record.
        #[test]
        fn parse_any_text(text in "(ver=1 |pok=[A-Za-z0-9+/]{43} |pol=mixed |dx=[a-z.]{1,12} |[a-z]{1,4}=[a-z0-9]{0,4} |\\PC{0,3}){0,6}") {
            let (status, record) = parse(text.as_bytes());
            proptest::prop_assert!(matches!(
                status,
                DimeStatus::DIME_OK | DimeStatus::DIME_ERR_MALFORMED | DimeStatus::DIME_ERR_TOO_LARGE | DimeStatus::DIME_ERR_UNSUPPORTED
            ));
            proptest::prop_assert_eq!(record.is_null(), status != DimeStatus::DIME_OK);
            if !record.is_null() {
                let mut canonical = DimeBuffer::EMPTY;
                // SAFETY: a live handle and local.
                proptest::prop_assert_eq!(unsafe { dime_record_to_text(record, &mut canonical) }, DimeStatus::DIME_OK);
                let (again, back) = parse(&contents(&canonical));
                proptest::prop_assert_eq!(again, DimeStatus::DIME_OK);
                // SAFETY: live handles.
                proptest::prop_assert_eq!(unsafe { &(*back).record }, unsafe { &(*record).record });
                // SAFETY: each freed once.
                unsafe {
                    dime_buffer_free(&mut canonical);
                    dime_record_free(back);
                }
            }
            // SAFETY: NULL or a live handle, freed once.
            unsafe { dime_record_free(record) };
        }
    }
}
