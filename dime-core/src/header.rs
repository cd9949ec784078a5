//! Object headers: a 2-byte magic number and a big-endian payload length.
//!
//! Signets and key files use a 3-byte length (5-byte header); messages and encrypted key
//! files use a 4-byte length (6-byte header).

use crate::codec::{get_uint, max_uint, put_uint};
use crate::error::{Error, Result};
use crate::limits::ObjectLimits;

/// The DIME object types, by their magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Magic {
    /// User signet signing request (1215).
    SigningRequest,
    /// Organizational signet (1776).
    OrgSignet,
    /// User signet (1789).
    UserSignet,
    /// Message tracing prefix (1837).
    Tracing,
    /// Encrypted message (1847).
    Message,
    /// Encrypted organizational key file (1947).
    EncryptedOrgKey,
    /// Organizational key file (1952).
    OrgKey,
    /// Encrypted user key file (1976).
    EncryptedUserKey,
    /// User key file (2013).
    UserKey,
}

impl Magic {
    /// Every magic number this crate knows.
    pub const ALL: [Magic; 9] = [
        Magic::SigningRequest,
        Magic::OrgSignet,
        Magic::UserSignet,
        Magic::Tracing,
        Magic::Message,
        Magic::EncryptedOrgKey,
        Magic::OrgKey,
        Magic::EncryptedUserKey,
        Magic::UserKey,
    ];

    /// The 16-bit number written on the wire.
    pub const fn number(self) -> u16 {
        match self {
            Magic::SigningRequest => 1215,
            Magic::OrgSignet => 1776,
            Magic::UserSignet => 1789,
            Magic::Tracing => 1837,
            Magic::Message => 1847,
            Magic::EncryptedOrgKey => 1947,
            Magic::OrgKey => 1952,
            Magic::EncryptedUserKey => 1976,
            Magic::UserKey => 2013,
        }
    }

    /// The object type for a wire number.
    pub fn from_number(number: u16) -> Result<Magic> {
        Magic::ALL.into_iter().find(|m| m.number() == number).ok_or(Error::UnknownMagic(number))
    }

    /// Width in bytes of the payload length that follows the magic.
    pub const fn length_width(self) -> usize {
        match self {
            Magic::Tracing | Magic::Message | Magic::EncryptedOrgKey | Magic::EncryptedUserKey => 4,
            _ => 3,
        }
    }

    /// Total header size: the magic plus the length.
    pub const fn header_len(self) -> usize {
        2 + self.length_width()
    }

    /// What the object is called in messages to people, with its article ("a user key file").
    pub const fn noun(self) -> &'static str {
        match self {
            Magic::SigningRequest => "a signing request",
            Magic::OrgSignet => "an organizational signet",
            Magic::UserSignet => "a user signet",
            Magic::Tracing | Magic::Message => "an encrypted message",
            Magic::EncryptedOrgKey => "an encrypted organizational key file",
            Magic::OrgKey => "an organizational key file",
            Magic::EncryptedUserKey => "an encrypted user key file",
            Magic::UserKey => "a user key file",
        }
    }
}

/// Writes [`Magic::noun`]: error texts name objects as their users know them.
impl core::fmt::Display for Magic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.noun())
    }
}

/// A decoded object header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The object type.
    pub magic: Magic,
    /// Payload length in bytes (the header is not counted).
    pub payload_len: usize,
}

impl Header {
    /// Reads the header at the start of `bytes` without looking at what follows it.
    pub fn peek(bytes: &[u8]) -> Result<Header> {
        if bytes.len() < 2 {
            return Err(Error::TruncatedHeader { available: bytes.len(), needed: 5 });
        }
        let magic = Magic::from_number(get_uint(&bytes[..2]) as u16)?;
        let needed = magic.header_len();
        let len = bytes.get(2..needed).ok_or(Error::TruncatedHeader { available: bytes.len(), needed })?;
        Ok(Header { magic, payload_len: get_uint(len) as usize })
    }

    /// Splits a whole object into its header and payload, demanding that `bytes` is exactly one
    /// object of the `expected` kinds and within `limits`.
    pub fn split<'a>(bytes: &'a [u8], expected: &[Magic], limits: &ObjectLimits) -> Result<(Header, &'a [u8])> {
        let header = Header::peek(bytes)?;
        if let Some(first) = expected.first()
            && !expected.contains(&header.magic)
        {
            return Err(Error::WrongMagic { expected: *first, found: header.magic });
        }
        let start = header.magic.header_len();
        let total = start + header.payload_len;
        if total > limits.max_object {
            return Err(Error::TooLarge { what: "object", size: total, limit: limits.max_object });
        }
        let available = bytes.len() - start;
        if header.payload_len > available {
            return Err(Error::LengthMismatch { declared: header.payload_len, available });
        }
        if header.payload_len < available {
            return Err(Error::TrailingBytes { count: available - header.payload_len });
        }
        Ok((header, &bytes[start..]))
    }

    /// Appends the encoded header.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        let width = self.magic.length_width();
        if self.payload_len > max_uint(width) {
            return Err(Error::TooLarge { what: "payload", size: self.payload_len, limit: max_uint(width) });
        }
        put_uint(out, u32::from(self.magic.number()), 2);
        put_uint(out, self.payload_len as u32, width);
        Ok(())
    }

    /// Encodes a whole object: header followed by `payload`.
    pub fn wrap(magic: Magic, payload: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(magic.header_len() + payload.len());
        Header { magic, payload_len: payload.len() }.write(&mut out)?;
        out.extend_from_slice(payload);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_objects_in_words() {
        let error = Error::WrongMagic { expected: Magic::OrgKey, found: Magic::Message };
        assert_eq!(error.to_string(), "expected an organizational key file, found an encrypted message");
        for magic in Magic::ALL {
            assert!(magic.to_string().starts_with('a'), "{magic:?}");
            assert!(!magic.to_string().contains(&format!("{magic:?}")), "{magic:?} leaks its Rust name");
        }
    }

    #[test]
    fn split_rejects_each_framing_fault() {
        let limits = ObjectLimits::default();
        let obj = Header::wrap(Magic::OrgKey, &[1, 2, 3]).unwrap();
        assert_eq!(obj, [0x07, 0xa0, 0, 0, 3, 1, 2, 3]);
        assert_eq!(Header::split(&obj, &[Magic::OrgKey], &limits).unwrap().1, &[1, 2, 3]);
        assert_eq!(Header::split(&obj[..4], &[], &limits), Err(Error::TruncatedHeader { available: 4, needed: 5 }));
        assert_eq!(Header::split(&[0x12, 0x34, 0, 0, 0], &[], &limits), Err(Error::UnknownMagic(0x1234)));
        assert_eq!(
            Header::split(&obj, &[Magic::UserKey], &limits),
            Err(Error::WrongMagic { expected: Magic::UserKey, found: Magic::OrgKey })
        );
        assert_eq!(Header::split(&obj[..7], &[], &limits), Err(Error::LengthMismatch { declared: 3, available: 2 }));
        let mut long = obj.clone();
        long.push(0);
        assert_eq!(Header::split(&long, &[], &limits), Err(Error::TrailingBytes { count: 1 }));
        let tight = ObjectLimits { max_object: 7, ..ObjectLimits::default() };
        assert_eq!(Header::split(&obj, &[], &tight), Err(Error::TooLarge { what: "object", size: 8, limit: 7 }));
    }

    #[test]
    fn message_header_has_four_byte_length() {
        let mut out = Vec::new();
        Header { magic: Magic::Message, payload_len: 1024 }.write(&mut out).unwrap();
        assert_eq!(out, [0x07, 0x37, 0, 0, 4, 0]);
        assert_eq!(Header::peek(&out).unwrap().payload_len, 1024);
    }
}
