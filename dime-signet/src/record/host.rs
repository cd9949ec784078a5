//! DNS host names, as `dx` values and as the domain a record belongs to.

use core::fmt;
use core::str::FromStr;

use super::error::RecordError;

/// Longest host name, without a trailing dot (RFC 1035: 255 octets on the wire).
pub const MAX_HOST_LEN: usize = 253;
/// Longest label.
pub const MAX_LABEL_LEN: usize = 63;

/// A DNS host name, stored in lower case without a trailing dot.
///
/// Rules: 1 to 253 characters; labels of 1 to 63 letters, digits and hyphens, not starting or
/// ending with a hyphen (RFC 1123 §2.1); no trailing dot; the last label is not all digits, so an
/// IPv4 literal is never taken for a name (RFC 3696 §2). Names compare case-insensitively because
/// they are stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostName(String);

impl HostName {
    /// Checks `text` and stores it in lower case.
    pub fn new(text: &str) -> Result<HostName, RecordError> {
        let labels_ok = text.split('.').all(is_valid_label);
        let last_not_numeric = text.rsplit('.').next().is_some_and(|last| !last.bytes().all(|b| b.is_ascii_digit()));
        if text.is_empty() || text.len() > MAX_HOST_LEN || !labels_ok || !last_not_numeric {
            return Err(RecordError::InvalidHostName { host: text.to_string() });
        }
        Ok(HostName(text.to_ascii_lowercase()))
    }

    /// The name, in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=MAX_LABEL_LEN).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && !bytes.starts_with(b"-")
        && !bytes.ends_with(b"-")
}

impl FromStr for HostName {
    type Err = RecordError;

    fn from_str(text: &str) -> Result<HostName, RecordError> {
        HostName::new(text)
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases() {
        for ok in ["localhost", "dx1.example.com", "xn--bcher-kva.example", "a-b.c0", "1.example.com"] {
            assert_eq!(HostName::new(ok).map(|h| h.to_string()), Ok(ok.to_string()));
        }
        assert_eq!(HostName::new("DX.Example.COM").map(|h| h.to_string()), Ok("dx.example.com".to_string()));
        let longest = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
        assert_eq!(longest.len(), MAX_HOST_LEN);
        assert!(HostName::new(&longest).is_ok());
    }

    #[test]
    fn refuses_bad_names() {
        let too_long = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(62));
        let long_label = format!("{}.com", "a".repeat(64));
        for bad in [
            "",
            ".",
            "example.com.",
            ".example.com",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b.com",
            "192.0.2.1",
            "host.123",
            too_long.as_str(),
            long_label.as_str(),
        ] {
            assert_eq!(HostName::new(bad), Err(RecordError::InvalidHostName { host: bad.to_string() }), "{bad:?}");
        }
    }
}
