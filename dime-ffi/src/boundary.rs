//! The boundary itself: the wrapper every exported function runs in (panics caught, last error
//! set), the thread's last error, and the only code that turns raw pointers into references.
//!
//! Every `unsafe` conversion of a C pointer happens in this module, each in one small function
//! whose contract is the `# Safety` section of the exported function that calls it.

use core::ffi::c_char;
use std::any::Any;
use std::cell::RefCell;
use std::ffi::CString;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::Error;
use crate::status::DimeStatus;

thread_local! {
    /// The message of the last failed call on this thread; empty after a successful one.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Stores `message` as this thread's last error. Interior NUL bytes (possible in text quoted
/// from untrusted input) are written as `\0` so the C string is never cut short.
fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // During thread teardown the slot may be gone; there is no caller left to read it then.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// The text of a panic payload (`panic!` gives `&str` or `String`).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-text panic payload")
}

/// Runs the body of an exported function: catches any panic (it becomes
/// [`DimeStatus::DIME_ERR_PANIC`]), sets the thread's last error (cleared on success) and
/// returns the status.
pub(crate) fn call(body: impl FnOnce() -> Result<(), Error>) -> DimeStatus {
    let result = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Error::Panic(panic_message(payload.as_ref()).to_owned())));
    match result {
        Ok(()) => {
            set_last_error("");
            DimeStatus::DIME_OK
        }
        Err(error) => {
            set_last_error(&error.to_string());
            error.status()
        }
    }
}

/// Runs a function that returns nothing (the free functions): a panic is caught and dropped,
/// since there is no status to report it through. The last error is left untouched.
pub(crate) fn call_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// Borrows `len` bytes at `ptr`. NULL is allowed only with a length of 0.
///
/// # Safety
/// Unless `ptr` is NULL, it must point to `len` readable bytes that stay valid and unchanged
/// for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, name: &'static str) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(Error::Null { name }) };
    }
    if isize::try_from(len).is_err() {
        return Err(Error::Length { name, len });
    }
    // SAFETY: `ptr` is not NULL, the caller guarantees `len` readable bytes valid for 'a, and
    // `len` fits in an isize as `from_raw_parts` requires.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` bytes at `ptr` as UTF-8 text.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize, name: &'static str) -> Result<&'a str, Error> {
    // SAFETY: the caller's contract is that of `bytes`.
    let raw = unsafe { bytes(ptr, len, name)? };
    core::str::from_utf8(raw).map_err(|e| Error::NotUtf8 { name, offset: e.valid_up_to() })
}

/// Borrows the object behind a handle or struct pointer; NULL is an error.
///
/// # Safety
/// Unless NULL, `ptr` must point to a live, properly aligned `T` (for handles: one returned by
/// this library and not yet freed) that nothing mutates for `'a`.
pub(crate) unsafe fn get<'a, T>(ptr: *const T, name: &'static str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees NULL or a valid, aligned, live `T`.
    unsafe { ptr.as_ref() }.ok_or(Error::Null { name })
}

/// Borrows the object behind an optional handle; NULL gives `None`.
///
/// # Safety
/// As for [`get`].
pub(crate) unsafe fn get_optional<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: the caller guarantees NULL or a valid, aligned, live `T`.
    unsafe { ptr.as_ref() }
}

/// Borrows the object behind a handle mutably; NULL is an error.
///
/// # Safety
/// Unless NULL, `ptr` must point to a live `T` returned by this library and not yet freed, that
/// no other thread or reference uses for `'a`.
pub(crate) unsafe fn get_mut<'a, T>(ptr: *mut T, name: &'static str) -> Result<&'a mut T, Error> {
    // SAFETY: the caller guarantees NULL or a valid, aligned, exclusively used `T`.
    unsafe { ptr.as_mut() }.ok_or(Error::Null { name })
}

/// Prepares an out-parameter: NULL is an error; otherwise `empty` is written first, so a
/// failing call leaves an empty value (NULL handle, empty buffer) and never a stale one.
///
/// # Safety
/// Unless NULL, `ptr` must be valid for writing a `T` and properly aligned, and not be used by
/// anything else for `'a`. Its old contents are overwritten without being dropped.
pub(crate) unsafe fn out<'a, T>(ptr: *mut T, name: &'static str, empty: T) -> Result<&'a mut T, Error> {
    if ptr.is_null() {
        return Err(Error::Null { name });
    }
    // SAFETY: `ptr` is not NULL; the caller guarantees it is aligned and writable. `write`
    // does not read or drop the old (possibly uninitialized) value.
    unsafe { ptr.write(empty) };
    // SAFETY: `ptr` now holds an initialized `T` that only this call uses for 'a.
    Ok(unsafe { &mut *ptr })
}

/// Borrows an array of `len` handles at `ptr`; NULL is allowed only with a length of 0, and no
/// entry may be NULL (the error names the array).
///
/// # Safety
/// Unless `ptr` is NULL, it must point to `len` readable pointers, each NULL or a live `T` as
/// for [`get`], all valid and unchanged for `'a`.
pub(crate) unsafe fn handles<'a, T>(ptr: *const *const T, len: usize, name: &'static str) -> Result<Vec<&'a T>, Error> {
    if ptr.is_null() {
        return if len == 0 { Ok(Vec::new()) } else { Err(Error::Null { name }) };
    }
    if isize::try_from(len.saturating_mul(core::mem::size_of::<*const T>())).is_err() {
        return Err(Error::Length { name, len });
    }
    // SAFETY: `ptr` is not NULL, the caller guarantees `len` readable pointers valid for 'a,
    // and their total size fits in an isize as `from_raw_parts` requires.
    let pointers = unsafe { core::slice::from_raw_parts(ptr, len) };
    pointers
        .iter()
        // SAFETY: the caller guarantees each entry is NULL or a live `T` valid for 'a.
        .map(|&entry| unsafe { get(entry, name) })
        .collect()
}

/// Prepares an array of `len` out-parameters as [`out`] prepares one: NULL is an error unless
/// `len` is 0, and an `empty()` value is written into every element first.
///
/// # Safety
/// Unless NULL, `ptr` must be valid for writing `len` properly aligned `T`s that nothing else
/// uses for `'a`. Old contents are overwritten without being dropped.
pub(crate) unsafe fn out_array<'a, T>(
    ptr: *mut T,
    len: usize,
    name: &'static str,
    empty: impl Fn() -> T,
) -> Result<&'a mut [T], Error> {
    if ptr.is_null() {
        return if len == 0 { Ok(&mut []) } else { Err(Error::Null { name }) };
    }
    if isize::try_from(len.saturating_mul(core::mem::size_of::<T>())).is_err() {
        return Err(Error::Length { name, len });
    }
    for i in 0..len {
        // SAFETY: `i < len`, and the caller guarantees `len` elements at `ptr`, so the offset
        // stays inside that allocation.
        let slot = unsafe { ptr.add(i) };
        // SAFETY: the caller guarantees the element is writable and aligned; `write` does not
        // read or drop the old (possibly uninitialized) value.
        unsafe { slot.write(empty()) };
    }
    // SAFETY: all `len` elements are now initialized, and only this call uses them for 'a.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// Moves `value` to the heap and hands out the pointer; [`free`] takes it back.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops a handle made by [`into_handle`]; NULL does nothing.
///
/// # Safety
/// Unless NULL, `ptr` must come from [`into_handle`] with the same `T` and not have been freed.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees `ptr` came from `Box::into_raw` for a `T` and is freed
        // only now.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// The message of the last failed `dime_*` call on the calling thread, as NUL-terminated UTF-8;
/// the empty string after a call that succeeded. Never NULL.
///
/// Every function that returns a `DimeStatus` resets it. The pointer stays valid until the
/// next such call on the same thread (the free functions and this one leave it alone); copy the
/// text to keep it longer.
#[unsafe(no_mangle)]
pub extern "C" fn dime_last_error_message() -> *const c_char {
    LAST_ERROR.try_with(|slot| slot.borrow().as_ptr()).unwrap_or(c"".as_ptr())
}

/// The name of a status code (`"DIME_ERR_NULL"`), as a static NUL-terminated string;
/// `"DIME_UNKNOWN_STATUS"` for a value that is not a status. Never NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dime_status_name(status: i32) -> *const c_char {
    let name = usize::try_from(status)
        .ok()
        .and_then(|code| DimeStatus::ALL.get(code))
        .map_or("DIME_UNKNOWN_STATUS\0", |s| s.name_nul());
    name.as_ptr().cast()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::ffi::CStr;

    /// The calling thread's last error, copied.
    pub(crate) fn last_error() -> String {
        // SAFETY: the pointer is a NUL-terminated string valid until the next dime call.
        unsafe { CStr::from_ptr(dime_last_error_message()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn success_clears_and_failure_sets_the_last_error() {
        assert_eq!(call(|| Err(Error::Null { name: "first" })), DimeStatus::DIME_ERR_NULL);
        assert_eq!(last_error(), "argument `first` is NULL");
        assert_eq!(call(|| Ok(())), DimeStatus::DIME_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn panics_become_a_status() {
        let status = call(|| panic!("boom {}", 42));
        assert_eq!(status, DimeStatus::DIME_ERR_PANIC);
        assert_eq!(last_error(), "internal error (caught panic): boom 42");
        assert_eq!(call(|| std::panic::panic_any(7u8)), DimeStatus::DIME_ERR_PANIC);
        assert_eq!(last_error(), "internal error (caught panic): non-text panic payload");
        call_void(|| panic!("ignored"));
        assert_eq!(last_error(), "internal error (caught panic): non-text panic payload");
    }

    #[test]
    fn interior_nul_is_escaped() {
        call(|| Err(Error::Panic("a\0b".into())));
        assert_eq!(last_error(), "internal error (caught panic): a\\0b");
    }

    #[test]
    fn last_error_is_per_thread() {
        call(|| Err(Error::Null { name: "main" }));
        std::thread::spawn(|| {
            assert_eq!(last_error(), "");
            call(|| Err(Error::Null { name: "other" }));
            assert_eq!(last_error(), "argument `other` is NULL");
        })
        .join()
        .unwrap();
        assert_eq!(last_error(), "argument `main` is NULL");
    }

    #[test]
    fn status_names() {
        // SAFETY: the function returns static NUL-terminated strings.
        let name = |s| unsafe { CStr::from_ptr(dime_status_name(s)) }.to_str().unwrap().to_owned();
        assert_eq!(name(0), "DIME_OK");
        assert_eq!(name(1), "DIME_ERR_NULL");
        assert_eq!(name(12), "DIME_ERR_PANIC");
        assert_eq!(name(13), "DIME_ERR_DOWNGRADE");
        assert_eq!(name(14), "DIME_UNKNOWN_STATUS");
        assert_eq!(name(-1), "DIME_UNKNOWN_STATUS");
    }

    #[test]
    fn byte_arguments() {
        // SAFETY: NULL pointers and a live local array.
        unsafe {
            assert_eq!(bytes(core::ptr::null(), 0, "data"), Ok(&[][..]));
            assert_eq!(bytes(core::ptr::null(), 1, "data"), Err(Error::Null { name: "data" }));
            let data = [1u8, 2];
            assert_eq!(bytes(data.as_ptr(), 2, "data"), Ok(&data[..]));
            assert_eq!(bytes(data.as_ptr(), usize::MAX, "data"), Err(Error::Length { name: "data", len: usize::MAX }));
            let bad = [b'a', 0xff];
            assert_eq!(text(bad.as_ptr(), 2, "name"), Err(Error::NotUtf8 { name: "name", offset: 1 }));
            assert_eq!(text(bad.as_ptr(), 1, "name"), Ok("a"));
        }
    }

    #[test]
    fn out_parameters_are_emptied_first() {
        let mut slot = 5u32;
        // SAFETY: a live local and NULL.
        unsafe {
            assert_eq!(out(core::ptr::null_mut::<u32>(), "out", 0).unwrap_err(), Error::Null { name: "out" });
            let r = out(&mut slot, "out", 0).unwrap();
            assert_eq!(*r, 0);
        }
    }
}
