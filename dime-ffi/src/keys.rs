//! Key files: an organization's or a user's private keys behind the `DimeKeys` handle.

use dime_signet::{KeyFile, KeyOwner};

use crate::boundary::{self, call};
use crate::buffer::DimeBuffer;
use crate::error::Error;
use crate::signet::DimeSignet;
use crate::status::DimeStatus;

/// Whose keys a `DimeKeys` handle holds: one of the `DIME_KEY_OWNER_*` constants.
pub type DimeKeyOwner = u32;
/// An organization's keys: the primary organizational key (POK) and the encryption key.
pub const DIME_KEY_OWNER_ORG: DimeKeyOwner = 1;
/// A user's keys: the signing key and the encryption key.
pub const DIME_KEY_OWNER_USER: DimeKeyOwner = 2;

/// An organization's or a user's private keys (Ed25519 signing, X25519 encryption). Opaque;
/// wiped when freed with `dime_keys_free`.
pub struct DimeKeys {
    pub(crate) keys: KeyFile,
}

impl DimeKeys {
    /// The keys if they belong to `owner`, else [`Error::WrongKeys`] naming the argument.
    pub(crate) fn expect(&self, owner: KeyOwner, name: &'static str) -> Result<&KeyFile, Error> {
        if self.keys.owner == owner { Ok(&self.keys) } else { Err(Error::WrongKeys { name, expected: owner }) }
    }
}

fn owner_from(value: DimeKeyOwner) -> Result<KeyOwner, Error> {
    match value {
        DIME_KEY_OWNER_ORG => Ok(KeyOwner::Org),
        DIME_KEY_OWNER_USER => Ok(KeyOwner::User),
        value => Err(Error::UnknownConstant { what: "key owner", value }),
    }
}

/// Generates fresh keys for `owner` (`DIME_KEY_OWNER_ORG` or `DIME_KEY_OWNER_USER`) from the
/// operating system's random generator.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (unknown owner), `DIME_ERR_RANDOMNESS`.
///
/// # Safety
/// `out` must be NULL or point to writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_generate(owner: DimeKeyOwner, out: *mut *mut DimeKeys) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        let keys = KeyFile::generate(owner_from(owner)?)?;
        *out = boundary::into_handle(DimeKeys { keys });
        Ok(())
    })
}

/// Generates fresh hybrid keys for `owner`: as `dime_keys_generate`, plus an ML-KEM-768 key
/// (decision D8), which the signet or request issued from these keys then carries.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (unknown owner), `DIME_ERR_RANDOMNESS`.
///
/// # Safety
/// `out` must be NULL or point to writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_generate_hybrid(owner: DimeKeyOwner, out: *mut *mut DimeKeys) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        let keys = KeyFile::generate_hybrid(owner_from(owner)?)?;
        *out = boundary::into_handle(DimeKeys { keys });
        Ok(())
    })
}

/// Reads a key file given as armor (`-----BEGIN ORGANIZATIONAL KEY-----`, `USER KEY`), bare
/// base64 or binary.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_MALFORMED`, `DIME_ERR_WRONG_KIND` (another DIME object),
/// `DIME_ERR_TOO_LARGE`.
///
/// # Safety
/// `data` must be NULL (only with `len` 0) or point to `len` readable bytes; `out` must be NULL
/// or point to writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_read(data: *const u8, len: usize, out: *mut *mut DimeKeys) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let data = unsafe { boundary::bytes(data, len, "data")? };
        *out = boundary::into_handle(DimeKeys { keys: KeyFile::read(data)? });
        Ok(())
    })
}

/// Writes whose keys these are (`DIME_KEY_OWNER_*`) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `keys` must be NULL or a live handle; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_owner(keys: *const DimeKeys, out: *mut DimeKeyOwner) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", 0)? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(keys, "keys")? };
        *out = match keys.keys.owner {
            KeyOwner::Org => DIME_KEY_OWNER_ORG,
            KeyOwner::User => DIME_KEY_OWNER_USER,
        };
        Ok(())
    })
}

/// Writes the armored key file into `out`. The buffer holds private keys: keep it secret and
/// free it with `dime_buffer_free`, which wipes it.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `keys` must be NULL or a live handle; `out` must be NULL or point to a writable `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_to_armor(keys: *const DimeKeys, out: *mut DimeBuffer) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(keys, "keys")? };
        let armor = keys.keys.to_armor()?;
        *out = DimeBuffer::from_secret(armor.as_bytes());
        Ok(())
    })
}

/// Writes into `out` whether `keys` are the private keys of `signet`: the kinds fit (org keys
/// and an org signet; user keys and a user signet or signing request) and both public keys
/// match.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `keys` and `signet` must be NULL or live handles; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_match_signet(
    keys: *const DimeKeys,
    signet: *const DimeSignet,
    out: *mut bool,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", false)? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(keys, "keys")? };
        // SAFETY: the caller's contract above.
        let signet = unsafe { boundary::get(signet, "signet")? };
        *out = keys.keys.matches(&signet.signet);
        Ok(())
    })
}

/// Frees a keys handle, wiping the keys. NULL does nothing.
///
/// # Safety
/// `keys` must be NULL or a handle from this library that has not been freed; it must not be
/// used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_keys_free(keys: *mut DimeKeys) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(keys) });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::boundary::tests::last_error;
    use crate::buffer::dime_buffer_free;
    use crate::buffer::tests::contents;
    use core::ptr::{null, null_mut};

    /// Fresh keys as a handle (test helper; free with `dime_keys_free`).
    pub(crate) fn keys(owner: DimeKeyOwner) -> *mut DimeKeys {
        let mut out = null_mut();
        // SAFETY: a live local out-pointer.
        assert_eq!(unsafe { dime_keys_generate(owner, &mut out) }, DimeStatus::DIME_OK);
        out
    }

    #[test]
    fn generate_and_owner() {
        for (owner, expected) in [(DIME_KEY_OWNER_ORG, KeyOwner::Org), (DIME_KEY_OWNER_USER, KeyOwner::User)] {
            let handle = keys(owner);
            let mut read = 0;
            // SAFETY: live handles and locals.
            unsafe {
                assert_eq!((*handle).keys.owner, expected);
                assert_eq!(dime_keys_owner(handle, &mut read), DimeStatus::DIME_OK);
                assert_eq!(read, owner);
                dime_keys_free(handle);
            }
        }
    }

    #[test]
    fn generate_rejects_bad_arguments() {
        let mut out = core::ptr::dangling_mut::<DimeKeys>();
        // SAFETY: live locals and NULL.
        unsafe {
            assert_eq!(dime_keys_generate(0, &mut out), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert!(out.is_null());
            assert_eq!(last_error(), "unknown key owner 0");
            assert_eq!(dime_keys_generate(3, &mut out), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(dime_keys_generate(DIME_KEY_OWNER_ORG, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(last_error(), "argument `out` is NULL");
        }
    }

    #[test]
    fn armor_round_trip() {
        let handle = keys(DIME_KEY_OWNER_USER);
        let mut armor = DimeBuffer::EMPTY;
        let mut back = null_mut();
        // SAFETY: live handles, buffers and locals.
        unsafe {
            assert_eq!(dime_keys_to_armor(handle, &mut armor), DimeStatus::DIME_OK);
            let text = contents(&armor);
            assert!(text.starts_with(b"-----BEGIN USER KEY-----\n"));
            assert_eq!(dime_keys_read(armor.ptr, armor.len, &mut back), DimeStatus::DIME_OK);
            assert_eq!((*back).keys, (*handle).keys);
            dime_buffer_free(&mut armor);
            dime_keys_free(back);
            dime_keys_free(handle);
        }
    }

    #[test]
    fn read_rejects_bad_input() {
        let mut out = null_mut();
        // SAFETY: live locals and NULL.
        unsafe {
            assert_eq!(dime_keys_read(null(), 0, &mut out), DimeStatus::DIME_ERR_MALFORMED);
            assert!(out.is_null());
            assert_eq!(dime_keys_read(null(), 4, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(last_error(), "argument `data` is NULL");
            let garbage = b"not a key file";
            assert_eq!(dime_keys_read(garbage.as_ptr(), garbage.len(), &mut out), DimeStatus::DIME_ERR_MALFORMED);
            // A signet is a DIME object, but not a key file.
            let signet = dime_signet::issue::new_org_signet(
                &dime_core::keys::SigningSecretKey::from_seed(&[1; 32]),
                &dime_core::keys::EncryptionSecretKey::x25519_from_bytes([2; 32]).public().unwrap(),
                "example.org",
            )
            .unwrap();
            let bytes = signet.as_bytes();
            assert_eq!(dime_keys_read(bytes.as_ptr(), bytes.len(), &mut out), DimeStatus::DIME_ERR_WRONG_KIND);
            assert!(out.is_null());
            assert_eq!(dime_keys_read(garbage.as_ptr(), garbage.len(), null_mut()), DimeStatus::DIME_ERR_NULL);
        }
    }

    #[test]
    fn accessors_reject_null() {
        let handle = keys(DIME_KEY_OWNER_ORG);
        let mut owner = 0;
        let mut armor = DimeBuffer::EMPTY;
        let mut matches = true;
        // SAFETY: live handles and locals, NULL.
        unsafe {
            assert_eq!(dime_keys_owner(null(), &mut owner), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_keys_owner(handle, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_keys_to_armor(null(), &mut armor), DimeStatus::DIME_ERR_NULL);
            assert_eq!(armor, DimeBuffer::EMPTY);
            assert_eq!(dime_keys_to_armor(handle, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_keys_match_signet(handle, null(), &mut matches), DimeStatus::DIME_ERR_NULL);
            assert!(!matches);
            assert_eq!(last_error(), "argument `signet` is NULL");
            dime_keys_free(handle);
            dime_keys_free(null_mut());
        }
    }

    #[test]
    fn expect_checks_the_owner() {
        let handle = keys(DIME_KEY_OWNER_USER);
        // SAFETY: a live handle.
        let k = unsafe { &*handle };
        assert!(k.expect(KeyOwner::User, "author keys").is_ok());
        assert_eq!(
            k.expect(KeyOwner::Org, "origin keys").unwrap_err(),
            Error::WrongKeys { name: "origin keys", expected: KeyOwner::Org }
        );
        // SAFETY: the handle is freed once.
        unsafe { dime_keys_free(handle) };
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the bytes, reading gives a status and a handle exactly on success.
        #[test]
        fn read_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut out = null_mut();
            // SAFETY: a live local vector and out-pointer.
            let status = unsafe { dime_keys_read(bytes.as_ptr(), bytes.len(), &mut out) };
            proptest::prop_assert!(matches!(
                status,
                DimeStatus::DIME_OK | DimeStatus::DIME_ERR_MALFORMED | DimeStatus::DIME_ERR_WRONG_KIND | DimeStatus::DIME_ERR_TOO_LARGE
            ));
            proptest::prop_assert_eq!(out.is_null(), status != DimeStatus::DIME_OK);
            // SAFETY: NULL or a live handle, freed once.
            unsafe { dime_keys_free(out) };
        }

        /// Build -> armor (through C) -> read (through C) -> equal.
        #[test]
        fn key_files_round_trip(seed in proptest::array::uniform32(proptest::num::u8::ANY), org in proptest::bool::ANY) {
            let keys = KeyFile {
                owner: if org { KeyOwner::Org } else { KeyOwner::User },
                signing: dime_core::keys::SigningSecretKey::from_seed(&seed),
                encryption: dime_core::keys::EncryptionSecretKey::x25519_from_bytes(seed),
                kem: None,
            };
            let handle = boundary::into_handle(DimeKeys { keys: keys.clone() });
            let (mut armor, mut back) = (DimeBuffer::EMPTY, null_mut());
            // SAFETY: live handles and locals, each freed once.
            unsafe {
                proptest::prop_assert_eq!(dime_keys_to_armor(handle, &mut armor), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(dime_keys_read(armor.ptr, armor.len, &mut back), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(&(*back).keys, &keys);
                dime_buffer_free(&mut armor);
                dime_keys_free(back);
                dime_keys_free(handle);
            }
        }
    }
}
