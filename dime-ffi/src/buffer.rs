//! Bytes across the boundary: owned buffers the library hands out, borrowed views into handles,
//! and fingerprints by value.

use zeroize::Zeroize;

use crate::boundary;
use crate::error::Error;

/// Bytes owned by the caller after a `dime_*` function filled them in; release them with
/// `dime_buffer_free`. An empty result is `{ NULL, 0 }`.
///
/// Every buffer is wiped before its memory is released, so buffers holding secrets (key files)
/// never leave them behind in freed memory. The bytes are not NUL-terminated.
#[repr(C)]
#[derive(Debug, PartialEq, Eq)]
pub struct DimeBuffer {
    /// The first byte, or NULL when `len` is 0.
    pub ptr: *mut u8,
    /// The number of bytes.
    pub len: usize,
}

impl DimeBuffer {
    /// The empty buffer.
    pub(crate) const EMPTY: DimeBuffer = DimeBuffer { ptr: core::ptr::null_mut(), len: 0 };

    /// Hands out non-secret bytes.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> DimeBuffer {
        if bytes.is_empty() {
            return DimeBuffer::EMPTY;
        }
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        let len = boxed.len();
        DimeBuffer { ptr: Box::into_raw(boxed).cast::<u8>(), len }
    }

    /// Hands out a copy of secret bytes: one allocation of exactly their size, so no resized
    /// copy is left behind; the caller's original stays in its own wiping container.
    pub(crate) fn from_secret(bytes: &[u8]) -> DimeBuffer {
        if bytes.is_empty() {
            return DimeBuffer::EMPTY;
        }
        let boxed: Box<[u8]> = Box::from(bytes);
        let len = boxed.len();
        DimeBuffer { ptr: Box::into_raw(boxed).cast::<u8>(), len }
    }
}

/// Releases a buffer filled in by a `dime_*` function: wipes its bytes, frees them and resets
/// `*buffer` to `{ NULL, 0 }`, so freeing twice is harmless. NULL, and a buffer that is already
/// empty, do nothing.
///
/// # Safety
/// `buffer` must be NULL or point to a `DimeBuffer` that this library filled in and that the
/// caller has not changed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_buffer_free(buffer: *mut DimeBuffer) {
    boundary::call_void(|| {
        // SAFETY: the caller guarantees NULL or a valid, exclusively used DimeBuffer.
        let Some(buffer) = (unsafe { buffer.as_mut() }) else { return };
        let DimeBuffer { ptr, len } = core::mem::replace(buffer, DimeBuffer::EMPTY);
        if ptr.is_null() {
            return;
        }
        // SAFETY: `ptr` and `len` came unchanged from `Box::<[u8]>::into_raw` in this module,
        // and the buffer was reset above, so this allocation is taken back exactly once.
        let mut boxed = unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)) };
        boxed.zeroize();
    });
}

/// A borrowed run of bytes: text (UTF-8, not NUL-terminated) or binary data, always with its
/// length.
///
/// As an output it points into the handle it was read from and stays valid until that handle
/// is freed; never free it. As an input it is read during the call only. In both directions a
/// NULL `ptr` means "absent" (an optional header, a part without a file name); a present but
/// empty value has a non-NULL `ptr` and `len` 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimeStr {
    /// The first byte, or NULL when absent.
    pub ptr: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl DimeStr {
    /// The absent value.
    pub(crate) const ABSENT: DimeStr = DimeStr { ptr: core::ptr::null(), len: 0 };

    /// A view of `bytes` (non-NULL even when empty).
    pub(crate) fn of(bytes: &[u8]) -> DimeStr {
        DimeStr { ptr: bytes.as_ptr(), len: bytes.len() }
    }

    /// A view of `text`, or the absent value.
    pub(crate) fn of_opt(text: Option<&str>) -> DimeStr {
        text.map_or(DimeStr::ABSENT, |t| DimeStr::of(t.as_bytes()))
    }

    /// Reads an input: `None` when absent (NULL with length 0), the bytes otherwise.
    ///
    /// # Safety
    /// Unless `ptr` is NULL, it must point to `len` readable bytes valid for `'a`.
    pub(crate) unsafe fn read<'a>(&self, name: &'static str) -> Result<Option<&'a [u8]>, Error> {
        if self.ptr.is_null() && self.len == 0 {
            return Ok(None);
        }
        // SAFETY: forwarded from this function's contract.
        unsafe { boundary::bytes(self.ptr, self.len, name) }.map(Some)
    }

    /// Reads an optional UTF-8 text input.
    ///
    /// # Safety
    /// As for [`DimeStr::read`].
    pub(crate) unsafe fn read_text<'a>(&self, name: &'static str) -> Result<Option<&'a str>, Error> {
        // SAFETY: forwarded from this function's contract.
        let Some(raw) = (unsafe { self.read(name)? }) else { return Ok(None) };
        core::str::from_utf8(raw).map(Some).map_err(|e| Error::NotUtf8 { name, offset: e.valid_up_to() })
    }

    /// Reads a required UTF-8 text input; absent is [`Error::Null`].
    ///
    /// # Safety
    /// As for [`DimeStr::read`].
    pub(crate) unsafe fn require_text<'a>(&self, name: &'static str) -> Result<&'a str, Error> {
        // SAFETY: forwarded from this function's contract.
        unsafe { self.read_text(name)? }.ok_or(Error::Null { name })
    }
}

/// A 64-byte SHA-512 fingerprint (raw bytes; `dime_fingerprint_to_text` gives the base64 form).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimeFingerprint {
    /// The digest.
    pub bytes: [u8; 64],
}

impl DimeFingerprint {
    /// All zero: what an out-parameter holds before it is filled in.
    pub(crate) const ZERO: DimeFingerprint = DimeFingerprint { bytes: [0; 64] };
}

impl From<dime_core::Fingerprint> for DimeFingerprint {
    fn from(fp: dime_core::Fingerprint) -> DimeFingerprint {
        DimeFingerprint { bytes: fp.0 }
    }
}

/// Writes the unpadded standard base64 form of a fingerprint (86 characters, as shown in
/// message envelopes and on the DMTP wire) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `fingerprint` must be NULL or point to a readable `DimeFingerprint`; `out` must be NULL or
/// point to a writable `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_fingerprint_to_text(
    fingerprint: *const DimeFingerprint,
    out: *mut DimeBuffer,
) -> crate::DimeStatus {
    boundary::call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above.
        let fingerprint = unsafe { boundary::get(fingerprint, "fingerprint")? };
        *out = DimeBuffer::from_vec(dime_core::Fingerprint(fingerprint.bytes).to_string().into_bytes());
        Ok(())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::DimeStatus;

    /// Copies a buffer's bytes out (test helper).
    pub(crate) fn contents(buffer: &DimeBuffer) -> Vec<u8> {
        if buffer.ptr.is_null() {
            return Vec::new();
        }
        // SAFETY: a buffer filled in by the library: `len` bytes at `ptr`.
        unsafe { core::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec()
    }

    /// Copies a view's bytes out, `None` when absent (test helper).
    pub(crate) fn view(s: DimeStr) -> Option<Vec<u8>> {
        // SAFETY: a view handed out by the library, read while its handle lives.
        unsafe { s.read("view") }.unwrap().map(<[u8]>::to_vec)
    }

    #[test]
    fn buffers_round_trip_and_free_resets() {
        for mut buffer in [DimeBuffer::from_vec(b"abc".to_vec()), DimeBuffer::from_secret(b"abc")] {
            assert_eq!(contents(&buffer), b"abc");
            // SAFETY: a buffer made by this module; freeing it twice is allowed.
            unsafe {
                dime_buffer_free(&mut buffer);
                assert_eq!(buffer, DimeBuffer::EMPTY);
                dime_buffer_free(&mut buffer);
                dime_buffer_free(core::ptr::null_mut());
            }
        }
        assert_eq!(DimeBuffer::from_vec(Vec::new()), DimeBuffer::EMPTY);
        assert_eq!(DimeBuffer::from_secret(&[]), DimeBuffer::EMPTY);
    }

    #[test]
    fn views_distinguish_absent_from_empty() {
        // SAFETY: views of live data and NULL.
        unsafe {
            assert_eq!(DimeStr::ABSENT.read("x"), Ok(None));
            assert_eq!(DimeStr::of(b"").read("x"), Ok(Some(&b""[..])));
            assert_eq!(DimeStr { ptr: core::ptr::null(), len: 3 }.read("x"), Err(Error::Null { name: "x" }));
            assert_eq!(DimeStr::ABSENT.require_text("x"), Err(Error::Null { name: "x" }));
            assert_eq!(DimeStr::of(b"hi").require_text("x"), Ok("hi"));
            assert_eq!(DimeStr::of(&[0xc3]).read_text("x"), Err(Error::NotUtf8 { name: "x", offset: 0 }));
        }
        assert_eq!(DimeStr::of_opt(None), DimeStr::ABSENT);
    }

    #[test]
    fn fingerprint_text() {
        let fp = dime_core::Fingerprint::of(b"abc");
        let mut out = DimeBuffer::EMPTY;
        // SAFETY: live locals and NULL.
        unsafe {
            assert_eq!(dime_fingerprint_to_text(&DimeFingerprint::from(fp), &mut out), DimeStatus::DIME_OK);
            assert_eq!(contents(&out), fp.to_string().into_bytes());
            assert_eq!(contents(&out).len(), 86);
            dime_buffer_free(&mut out);
            assert_eq!(dime_fingerprint_to_text(core::ptr::null(), &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(out, DimeBuffer::EMPTY);
            assert_eq!(
                dime_fingerprint_to_text(&DimeFingerprint::ZERO, core::ptr::null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_survive_a_buffer(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for mut buffer in [DimeBuffer::from_vec(bytes.clone()), DimeBuffer::from_secret(&bytes)] {
                proptest::prop_assert_eq!(contents(&buffer), bytes.clone());
                proptest::prop_assert_eq!(buffer.ptr.is_null(), bytes.is_empty());
                // SAFETY: a buffer made by this module.
                unsafe { dime_buffer_free(&mut buffer) };
                proptest::prop_assert_eq!(buffer, DimeBuffer::EMPTY);
            }
        }
    }
}
