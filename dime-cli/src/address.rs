//! User addresses (`local@domain`) as given on the command line.

use core::fmt;
use core::str::FromStr;

use dime_signet::record::HostName;

use crate::error::CliError;

/// Longest address, in bytes (RFC 5321 §4.5.3.1.3: a path of 256 octets with its brackets).
pub const MAX_ADDRESS_LEN: usize = 254;
/// Longest local part, in bytes (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_LEN: usize = 64;

/// A user address: a dot-atom local part (RFC 5322 §3.2.3) and a DNS host name.
///
/// The domain is stored in lower case (as [`HostName`] does); the local part is kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    local: String,
    domain: HostName,
}

impl Address {
    /// The domain part.
    pub fn domain(&self) -> &HostName {
        &self.domain
    }
}

/// Whether `byte` is an RFC 5322 `atext` character.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

/// Whether `local` is a dot-atom of at most [`MAX_LOCAL_LEN`] bytes.
fn is_valid_local(local: &str) -> bool {
    local.len() <= MAX_LOCAL_LEN && local.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

impl FromStr for Address {
    type Err = CliError;

    /// Parses `local@domain`, splitting at the only `@`.
    fn from_str(text: &str) -> Result<Address, CliError> {
        let invalid = || CliError::InvalidAddress { address: text.to_string() };
        if text.len() > MAX_ADDRESS_LEN {
            return Err(invalid());
        }
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        if !is_valid_local(local) {
            return Err(invalid());
        }
        let domain = HostName::new(domain).map_err(|_| invalid())?;
        Ok(Address { local: local.to_string(), domain })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_dot_atoms_and_lowercases_the_domain() {
        let address: Address = "Alice.B+tag@Example.ORG".parse().unwrap();
        assert_eq!(address.to_string(), "Alice.B+tag@example.org");
        assert_eq!(address.domain().as_str(), "example.org");
    }

    #[test]
    fn refuses_each_bad_form() {
        let long_local = format!("{}@example.org", "a".repeat(65));
        let long_total = format!("a@{0}.{0}.{0}.{1}", "b".repeat(63), "c".repeat(61));
        for bad in [
            "",
            "alice",
            "@example.org",
            "alice@",
            "a@b@example.org",
            ".alice@example.org",
            "alice.@example.org",
            "al..ice@example.org",
            "al ice@example.org",
            "al\"ice@example.org",
            "alice@example..org",
            "alice@192.0.2.1",
            long_local.as_str(),
            long_total.as_str(),
        ] {
            let error = bad.parse::<Address>().unwrap_err();
            assert!(matches!(&error, CliError::InvalidAddress { address } if address == bad), "{bad:?}: {error:?}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(
            local in "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[a-z0-9_-]{1,10}){0,3}",
            labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4),
            tld in "[a-z]{2,6}",
        ) {
            let domain = format!("{}.{tld}", labels.join("."));
            let address = Address { local, domain: HostName::new(&domain).unwrap() };
            let parsed = address.to_string().parse::<Address>();
            prop_assert_eq!(parsed.ok(), Some(address));
        }
    }
}
