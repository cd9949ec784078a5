//! Validated STACIE inputs: the username and password as given, and the fixed-size salt, nonce
//! and shard.
//!
//! Validation happens once, here; the derivations that take these types cannot fail.

use core::fmt;

use crate::error::{Error, Result};

use super::ignorable::count_non_ignorable;
use super::{MAX_PASSWORD_LEN, MAX_USERNAME_LEN, NONCE_LEN, SALT_LEN, SHARD_LEN};

/// A username, hashed exactly as given.
///
/// Sanitising a login name (e.g. lower-casing it) is the application's step before STACIE and
/// must be done the same way on client and server.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Username<'a>(&'a [u8]);

impl<'a> Username<'a> {
    /// Checks that `bytes` is 1 to [`MAX_USERNAME_LEN`] bytes.
    pub fn new(bytes: &'a [u8]) -> Result<Username<'a>> {
        if bytes.is_empty() {
            return Err(Error::StacieEmptyUsername);
        }
        if bytes.len() > MAX_USERNAME_LEN {
            return Err(Error::TooLarge { what: "STACIE username", size: bytes.len(), limit: MAX_USERNAME_LEN });
        }
        Ok(Username(bytes))
    }

    /// The bytes as given.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Wraps bytes that already passed [`Username::new`].
    pub(super) fn from_checked(bytes: &'a [u8]) -> Username<'a> {
        Username(bytes)
    }
}

impl fmt::Debug for Username<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({:?})", String::from_utf8_lossy(self.0))
    }
}

/// A password: valid UTF-8, hashed exactly as given (no normalisation), with at least one code
/// point that is not default-ignorable.
///
/// It borrows the caller's bytes, so wiping them stays the caller's job.
#[derive(Clone, Copy)]
pub struct Password<'a> {
    bytes: &'a [u8],
    chars: usize,
}

impl<'a> Password<'a> {
    /// Checks `bytes` and counts its characters: code points without the
    /// Default_Ignorable_Code_Point property.
    ///
    /// Errors: [`Error::StacieEmptyPassword`], [`Error::TooLarge`] above
    /// [`MAX_PASSWORD_LEN`] bytes, [`Error::StaciePasswordNotUtf8`], and
    /// [`Error::StacieIgnorablePassword`] when every code point is default-ignorable.
    pub fn new(bytes: &'a [u8]) -> Result<Password<'a>> {
        if bytes.is_empty() {
            return Err(Error::StacieEmptyPassword);
        }
        if bytes.len() > MAX_PASSWORD_LEN {
            return Err(Error::TooLarge { what: "STACIE password", size: bytes.len(), limit: MAX_PASSWORD_LEN });
        }
        let text = core::str::from_utf8(bytes).map_err(|_| Error::StaciePasswordNotUtf8)?;
        let chars = count_non_ignorable(text);
        if chars == 0 {
            return Err(Error::StacieIgnorablePassword);
        }
        Ok(Password { bytes, chars })
    }

    /// The bytes as given.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Code points that are not default-ignorable (at least 1).
    pub fn chars(&self) -> usize {
        self.chars
    }
}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

public_bytes!(
    /// A user's 128-byte salt, stored by the server and sent to the client at login.
    #[derive(Clone)]
    Salt,
    SALT_LEN,
    "salt"
);

public_bytes!(
    /// A 128-byte login nonce. It is not `Clone`: the server spends it on the one check it
    /// allows ([`super::Credentials::verify_login`] takes it by value).
    Nonce,
    NONCE_LEN,
    "nonce"
);

public_bytes!(
    /// A 64-byte realm shard, stored by the server per user and realm.
    #[derive(Clone)]
    Shard,
    SHARD_LEN,
    "shard"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_limits() {
        assert_eq!(Username::new(b""), Err(Error::StacieEmptyUsername));
        assert_eq!(
            Username::new(&[b'a'; MAX_USERNAME_LEN + 1]),
            Err(Error::TooLarge { what: "STACIE username", size: MAX_USERNAME_LEN + 1, limit: MAX_USERNAME_LEN })
        );
        let name = Username::new(&[b'a'; MAX_USERNAME_LEN]).unwrap();
        assert_eq!(name.as_bytes().len(), MAX_USERNAME_LEN);
        // Hashed as given: no case folding, invalid UTF-8 allowed.
        assert_eq!(Username::new(b"Al\xff").unwrap().as_bytes(), b"Al\xff");
    }

    #[test]
    fn password_rejections() {
        assert_eq!(Password::new(b"").err(), Some(Error::StacieEmptyPassword));
        assert_eq!(Password::new(b"\xc3\x80\xc3").err(), Some(Error::StaciePasswordNotUtf8));
        assert_eq!(
            Password::new(b"\xed\xa0\x80").err(),
            Some(Error::StaciePasswordNotUtf8),
            "surrogates are not UTF-8"
        );
        assert_eq!(Password::new("\u{FEFF}\u{200B}\u{E0020}".as_bytes()).err(), Some(Error::StacieIgnorablePassword));
        assert_eq!(
            Password::new(&[b'x'; MAX_PASSWORD_LEN + 1]).err(),
            Some(Error::TooLarge { what: "STACIE password", size: MAX_PASSWORD_LEN + 1, limit: MAX_PASSWORD_LEN })
        );
        assert_eq!(Password::new(&[b'x'; MAX_PASSWORD_LEN]).unwrap().chars(), MAX_PASSWORD_LEN);
    }

    #[test]
    fn password_debug_hides_bytes() {
        let password = Password::new(b"hunter2").unwrap();
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        assert_eq!(password.chars(), 7);
    }

    #[test]
    fn fixed_sizes() {
        assert_eq!(Salt::from_slice(&[0; 64]), Err(Error::StacieLength { what: "salt", len: 64, expected: 128 }));
        assert_eq!(Nonce::from_slice(&[0; 129]), Err(Error::StacieLength { what: "nonce", len: 129, expected: 128 }));
        assert_eq!(Shard::from_slice(&[0; 32]), Err(Error::StacieLength { what: "shard", len: 32, expected: 64 }));
        assert_eq!(Shard::from_slice(&[7; 64]).unwrap().as_bytes(), &[7; 64]);
        assert_ne!(Salt::generate().unwrap(), Salt::generate().unwrap());
    }
}
