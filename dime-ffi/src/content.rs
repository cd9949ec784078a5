//! What a message says, built up from C: headers, display parts and attachments.

use dime_message::{CommonHeaders, Content, Part};

use crate::boundary::{self, call};
use crate::buffer::DimeStr;
use crate::error::Error;
use crate::status::DimeStatus;

/// Which list of parts: one of the `DIME_PART_*` constants.
pub type DimePartKind = u32;
/// Display parts (the message body, e.g. `text/plain`).
pub const DIME_PART_DISPLAY: DimePartKind = 1;
/// Attachments.
pub const DIME_PART_ATTACHMENT: DimePartKind = 2;

/// The common headers of a message. As input, the required ones (`date`, `to`, `from`,
/// `subject`) must be present and `cc` and `organization` may be absent (`ptr` NULL); as output
/// the views live as long as the handle they were read from.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimeHeaders {
    /// `Date` (required).
    pub date: DimeStr,
    /// `To` (required).
    pub to: DimeStr,
    /// `CC` (optional).
    pub cc: DimeStr,
    /// `From` (required).
    pub from: DimeStr,
    /// `Organization` (optional).
    pub organization: DimeStr,
    /// `Subject` (required).
    pub subject: DimeStr,
}

impl DimeHeaders {
    /// Views of `headers`.
    pub(crate) fn of(headers: &CommonHeaders) -> DimeHeaders {
        DimeHeaders {
            date: DimeStr::of(headers.date.as_bytes()),
            to: DimeStr::of(headers.to.as_bytes()),
            cc: DimeStr::of_opt(headers.cc.as_deref()),
            from: DimeStr::of(headers.from.as_bytes()),
            organization: DimeStr::of_opt(headers.organization.as_deref()),
            subject: DimeStr::of(headers.subject.as_bytes()),
        }
    }

    /// Everything absent.
    pub(crate) const ABSENT: DimeHeaders = DimeHeaders {
        date: DimeStr::ABSENT,
        to: DimeStr::ABSENT,
        cc: DimeStr::ABSENT,
        from: DimeStr::ABSENT,
        organization: DimeStr::ABSENT,
        subject: DimeStr::ABSENT,
    };

    /// Reads and checks the headers (values the message format cannot carry are refused).
    ///
    /// # Safety
    /// Every present view must point to its `len` readable bytes.
    unsafe fn read(&self) -> Result<CommonHeaders, Error> {
        let headers = CommonHeaders {
            // SAFETY: forwarded from this function's contract.
            date: unsafe { self.date.require_text("headers.date") }?.to_owned(),
            // SAFETY: forwarded from this function's contract.
            to: unsafe { self.to.require_text("headers.to") }?.to_owned(),
            // SAFETY: forwarded from this function's contract.
            cc: unsafe { self.cc.read_text("headers.cc") }?.map(str::to_owned),
            // SAFETY: forwarded from this function's contract.
            from: unsafe { self.from.require_text("headers.from") }?.to_owned(),
            // SAFETY: forwarded from this function's contract.
            organization: unsafe { self.organization.read_text("headers.organization") }?.map(str::to_owned),
            // SAFETY: forwarded from this function's contract.
            subject: unsafe { self.subject.require_text("headers.subject") }?.to_owned(),
        };
        headers.encode().map_err(Error::Content)?;
        Ok(headers)
    }
}

/// One part of a message. As input `content_type` is required (printable ASCII), `file_name`
/// optional and `data` may be empty; as output the views live as long as the handle.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimePart {
    /// MIME content type, e.g. `text/plain; charset=utf-8`.
    pub content_type: DimeStr,
    /// File name (optional).
    pub file_name: DimeStr,
    /// The content bytes.
    pub data: DimeStr,
}

impl DimePart {
    /// Everything absent.
    pub(crate) const ABSENT: DimePart =
        DimePart { content_type: DimeStr::ABSENT, file_name: DimeStr::ABSENT, data: DimeStr::ABSENT };

    /// Views of `part`.
    pub(crate) fn of(part: &Part) -> DimePart {
        DimePart {
            content_type: DimeStr::of(part.info.content_type.as_bytes()),
            file_name: DimeStr::of_opt(part.info.file_name.as_deref()),
            data: DimeStr::of(&part.data),
        }
    }
}

/// Which part list `kind` names.
pub(crate) fn part_list<T>(kind: DimePartKind, display: T, attachments: T) -> Result<T, Error> {
    match kind {
        DIME_PART_DISPLAY => Ok(display),
        DIME_PART_ATTACHMENT => Ok(attachments),
        value => Err(Error::UnknownConstant { what: "part kind", value }),
    }
}

/// A message's content being put together for `dime_message_compose`. Opaque; free with
/// `dime_content_free`. Not thread-safe while parts are being added.
pub struct DimeContent {
    pub(crate) content: Content,
}

/// Starts a message content with its common headers (copied).
///
/// Errors: `DIME_ERR_NULL` (also for a required header that is absent),
/// `DIME_ERR_INVALID_ARGUMENT` (text that is not UTF-8, or a value the format cannot carry,
/// such as a control character).
///
/// # Safety
/// `headers` must be NULL or point to a readable `DimeHeaders` whose present views point to
/// their `len` readable bytes; `out` NULL or writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_content_new(headers: *const DimeHeaders, out: *mut *mut DimeContent) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let headers = unsafe { boundary::get(headers, "headers") }?;
        // SAFETY: the caller's contract above covers the views inside `headers`.
        let headers = unsafe { headers.read() }?;
        *out = boundary::into_handle(DimeContent { content: Content { headers, ..Content::default() } });
        Ok(())
    })
}

/// Appends a part (copied) to the display parts or the attachments (`DIME_PART_*`).
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (unknown kind, a content type that is
/// not 1 to 255 printable ASCII bytes, a file name that is not 1 to 1024 bytes of UTF-8 without
/// control characters).
///
/// # Safety
/// `content` must be NULL or a live handle not used by another thread during the call; `part`
/// NULL or point to a readable `DimePart` whose present views point to their `len` readable
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_content_add_part(
    content: *mut DimeContent,
    kind: DimePartKind,
    part: *const DimePart,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let content = unsafe { boundary::get_mut(content, "content")? };
        // SAFETY: the caller's contract above.
        let part = unsafe { boundary::get(part, "part")? };
        // SAFETY: the caller's contract above covers the views inside `part`.
        let content_type = unsafe { part.content_type.require_text("part.content_type") }?;
        // SAFETY: the caller's contract above covers the views inside `part`.
        let file_name = unsafe { part.file_name.read_text("part.file_name") }?;
        // SAFETY: the caller's contract above covers the views inside `part`.
        let data = unsafe { part.data.read("part.data") }?.unwrap_or_default();
        let list = part_list(kind, &mut content.content.display, &mut content.content.attachments)?;
        let part = Part::new(content_type, file_name, data).map_err(Error::Content)?;
        list.push(part);
        Ok(())
    })
}

/// Sets the other headers (opaque bytes, copied); empty leaves them out of the message.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `content` must be NULL or a live handle not used by another thread during the call; `data`
/// NULL (only with `len` 0) or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_content_set_other_headers(
    content: *mut DimeContent,
    data: *const u8,
    len: usize,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let content = unsafe { boundary::get_mut(content, "content")? };
        // SAFETY: the caller's contract above.
        let data = unsafe { boundary::bytes(data, len, "data")? };
        content.content.other_headers = data.to_vec();
        Ok(())
    })
}

/// Frees a content handle. NULL does nothing.
///
/// # Safety
/// `content` must be NULL or a handle from this library that has not been freed; it must not
/// be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_content_free(content: *mut DimeContent) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(content) });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::boundary::tests::last_error;
    use core::ptr::{null, null_mut};

    pub(crate) fn headers() -> DimeHeaders {
        DimeHeaders {
            date: DimeStr::of(b"Tue, 1 Apr 2025 10:00:00 +0000"),
            to: DimeStr::of(b"bob@example.net"),
            cc: DimeStr::ABSENT,
            from: DimeStr::of(b"alice@example.org"),
            organization: DimeStr::of(b"Example"),
            subject: DimeStr::of("Grüße".as_bytes()),
        }
    }

    /// A content handle with one display part (test helper).
    pub(crate) fn content(body: &[u8]) -> *mut DimeContent {
        let mut out = null_mut();
        let part = DimePart {
            content_type: DimeStr::of(b"text/plain; charset=utf-8"),
            file_name: DimeStr::ABSENT,
            data: DimeStr::of(body),
        };
        // SAFETY: live locals.
        unsafe {
            assert_eq!(dime_content_new(&headers(), &mut out), DimeStatus::DIME_OK);
            assert_eq!(dime_content_add_part(out, DIME_PART_DISPLAY, &part), DimeStatus::DIME_OK);
        }
        out
    }

    #[test]
    fn builds_content() {
        let handle = content(b"Hi Bob");
        let attachment = DimePart {
            content_type: DimeStr::of(b"application/octet-stream"),
            file_name: DimeStr::of(b"a.bin"),
            data: DimeStr::ABSENT,
        };
        // SAFETY: live handle and locals.
        unsafe {
            assert_eq!(dime_content_add_part(handle, DIME_PART_ATTACHMENT, &attachment), DimeStatus::DIME_OK);
            assert_eq!(dime_content_set_other_headers(handle, b"X-A: 1\r\n".as_ptr(), 8), DimeStatus::DIME_OK);
            let content = &(*handle).content;
            assert_eq!(content.headers.subject, "Grüße");
            assert_eq!(content.headers.cc, None);
            assert_eq!(content.headers.organization.as_deref(), Some("Example"));
            assert_eq!(
                content.display,
                vec![Part::new("text/plain; charset=utf-8", None, b"Hi Bob".to_vec()).unwrap()]
            );
            assert_eq!(
                content.attachments,
                vec![Part::new("application/octet-stream", Some("a.bin"), Vec::new()).unwrap()]
            );
            assert_eq!(content.other_headers, b"X-A: 1\r\n");
            assert_eq!(
                crate::buffer::tests::view(DimeHeaders::of(&content.headers).subject).unwrap(),
                "Grüße".as_bytes()
            );
            dime_content_free(handle);
            dime_content_free(null_mut());
        }
    }

    #[test]
    fn new_rejects_bad_headers() {
        let mut out = null_mut();
        let missing = DimeHeaders { subject: DimeStr::ABSENT, ..headers() };
        let control = DimeHeaders { to: DimeStr::of(b"bob\x07@example.net"), ..headers() };
        let not_utf8 = DimeHeaders { cc: DimeStr::of(&[0xc0]), ..headers() };
        // SAFETY: live locals and NULL.
        unsafe {
            assert_eq!(dime_content_new(&missing, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(last_error(), "argument `headers.subject` is NULL");
            assert_eq!(dime_content_new(&control, &mut out), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error(), "common headers: control character in a value");
            assert_eq!(dime_content_new(&not_utf8, &mut out), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error(), "`headers.cc` is not UTF-8 (invalid byte at offset 0)");
            assert!(out.is_null());
            assert_eq!(dime_content_new(null(), &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_content_new(&headers(), null_mut()), DimeStatus::DIME_ERR_NULL);
        }
    }

    #[test]
    fn add_part_rejects_bad_parts() {
        let handle = content(b"x");
        let good =
            DimePart { content_type: DimeStr::of(b"text/plain"), file_name: DimeStr::ABSENT, data: DimeStr::ABSENT };
        let no_type = DimePart { content_type: DimeStr::ABSENT, ..good };
        let bad_type = DimePart { content_type: DimeStr::of(b"text/\x01"), ..good };
        let empty_name = DimePart { file_name: DimeStr::of(b""), ..good };
        let null_data = DimePart { data: DimeStr { ptr: null(), len: 4 }, ..good };
        // SAFETY: live handle and locals, NULL.
        unsafe {
            assert_eq!(dime_content_add_part(handle, 0, &good), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error(), "unknown part kind 0");
            assert_eq!(dime_content_add_part(handle, DIME_PART_DISPLAY, &no_type), DimeStatus::DIME_ERR_NULL);
            assert_eq!(
                dime_content_add_part(handle, DIME_PART_DISPLAY, &bad_type),
                DimeStatus::DIME_ERR_INVALID_ARGUMENT
            );
            assert_eq!(last_error(), "part descriptor: content type is not 1 to 255 printable ASCII bytes");
            assert_eq!(
                dime_content_add_part(handle, DIME_PART_DISPLAY, &empty_name),
                DimeStatus::DIME_ERR_INVALID_ARGUMENT
            );
            assert_eq!(dime_content_add_part(handle, DIME_PART_DISPLAY, &null_data), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_content_add_part(null_mut(), DIME_PART_DISPLAY, &good), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_content_add_part(handle, DIME_PART_DISPLAY, null()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_content_set_other_headers(null_mut(), null(), 0), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_content_set_other_headers(handle, null(), 2), DimeStatus::DIME_ERR_NULL);
            // Nothing was added by the failed calls.
            assert_eq!((*handle).content.display.len(), 1);
            assert!((*handle).content.attachments.is_empty());
            dime_content_free(handle);
        }
    }
}
