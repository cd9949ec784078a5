//! # dime-ffi
//!
//! The C interface to dime-rs: key files, signets, management records and messages behind
//! opaque handles, for C and every language with a C foreign-function interface. The header
//! `include/dime.h` is generated from this crate by cbindgen and committed; `docs/ffi.md`
//! explains building, linking, ownership, errors and threads.
//!
//! Conventions of every exported function:
//!
//! - It returns a [`DimeStatus`]; `DIME_OK` is 0. On failure `dime_last_error_message()` gives
//!   the precise cause, and every out-parameter holds its empty value (NULL handle, empty
//!   buffer, absent view), never a partial result.
//! - A NULL pointer where a value is required is `DIME_ERR_NULL`, never a crash.
//! - No panic crosses the boundary: one that escapes the library's code is caught and becomes
//!   `DIME_ERR_PANIC`.
//! - Handles (`DimeKeys`, `DimeSignet`, `DimeRecord`, `DimeContent`, `DimeOriginView`,
//!   `DimeDestinationView`, `DimeOpened`) are created through an out-pointer and released with
//!   their `dime_*_free` function. Bytes handed out are a [`DimeBuffer`] released with
//!   `dime_buffer_free`, which wipes them; views into a handle are a [`DimeStr`] that lives as
//!   long as the handle.
//! - Text is UTF-8 with an explicit length; binary data always has a length; lengths are
//!   `size_t`.
//!
//! The same calls from Rust (C code looks alike; see `docs/ffi.md`):
//!
//! ```
//! use dime_ffi::*;
//!
//! let mut signet = core::ptr::null_mut();
//! // Three bytes are not a signet: the status says so and the out-pointer stays NULL.
//! let status = unsafe { dime_signet_parse([6u8, 0xf0, 0].as_ptr(), 3, &mut signet) };
//! assert_eq!(status, DimeStatus::DIME_ERR_MALFORMED);
//! assert!(signet.is_null());
//! let status = unsafe { dime_signet_parse(core::ptr::null(), 3, &mut signet) };
//! assert_eq!(status, DimeStatus::DIME_ERR_NULL);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(not(test), warn(clippy::multiple_unsafe_ops_per_block))]
#![warn(missing_docs)]

mod boundary;
mod buffer;
mod content;
mod error;
mod issue;
mod keys;
mod message;
mod record;
mod signet;
mod status;

pub use boundary::{dime_last_error_message, dime_status_name};
pub use buffer::{DimeBuffer, DimeFingerprint, DimeStr, dime_buffer_free, dime_fingerprint_to_text};
pub use content::{
    DIME_PART_ATTACHMENT, DIME_PART_DISPLAY, DimeContent, DimeHeaders, DimePart, DimePartKind, dime_content_add_part,
    dime_content_free, dime_content_new, dime_content_set_other_headers,
};
pub use issue::{dime_org_signet_new, dime_request_new, dime_user_signet_issue};
pub use keys::{
    DIME_KEY_OWNER_ORG, DIME_KEY_OWNER_USER, DimeKeyOwner, DimeKeys, dime_keys_free, dime_keys_generate,
    dime_keys_match_signet, dime_keys_owner, dime_keys_read, dime_keys_to_armor,
};
pub use message::{
    DIME_PQ_NEVER, DIME_PQ_PREFER, DIME_PQ_REQUIRE, DIME_PQ_REQUIRE_CONTENT, DimeDestinationView, DimeEnvelope,
    DimeOpened, DimeOriginView, DimePq, dime_destination_view_envelope, dime_destination_view_free,
    dime_message_compose, dime_message_open_as_author, dime_message_open_as_destination, dime_message_open_as_origin,
    dime_message_open_as_recipient, dime_opened_countersigned, dime_opened_envelope, dime_opened_free,
    dime_opened_headers, dime_opened_other_headers, dime_opened_part, dime_opened_part_count,
    dime_origin_view_countersign, dime_origin_view_envelope, dime_origin_view_free,
};
pub use record::{
    DimeRecord, dime_record_free, dime_record_new, dime_record_parse, dime_record_pok_count, dime_record_to_text,
};
pub use signet::{
    DIME_FINGERPRINT_CRYPTO, DIME_FINGERPRINT_FULL, DIME_FINGERPRINT_ID, DIME_FINGERPRINT_SSR, DIME_SIGNET_ORG,
    DIME_SIGNET_REQUEST, DIME_SIGNET_USER, DIME_STATE_BROKEN_CUSTODY, DIME_STATE_CRYPTO, DIME_STATE_FULL,
    DIME_STATE_ID, DIME_STATE_INCOMPLETE, DIME_STATE_INVALID, DIME_STATE_MALFORMED, DIME_STATE_SSR,
    DimeFingerprintKind, DimeSignet, DimeSignetKind, DimeSignetState, dime_signet_fingerprint, dime_signet_free,
    dime_signet_identifier, dime_signet_kind, dime_signet_parse, dime_signet_to_armor, dime_signet_to_bytes,
    dime_signet_validate,
};
pub use status::DimeStatus;

/// The library's version (`"0.1.0"`), as a static NUL-terminated string. Never NULL; never free
/// it.
#[unsafe(no_mangle)]
pub extern "C" fn dime_version() -> *const core::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/ffi.md promises that every handle but `DimeContent` (while it is being filled) may
    /// be shared between threads: that holds only if the Rust types are `Send + Sync`.
    #[test]
    fn handles_may_cross_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<DimeKeys>();
        shareable::<DimeSignet>();
        shareable::<DimeRecord>();
        shareable::<DimeContent>();
        shareable::<DimeOriginView>();
        shareable::<DimeDestinationView>();
        shareable::<DimeOpened>();
    }

    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: a static NUL-terminated string.
        let version = unsafe { core::ffi::CStr::from_ptr(dime_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
