//! Argument values: domains in `<...>`, user addresses, signet names, and the base64 values in
//! `[...]` (fingerprints, hashes, nonces, transaction ids).

use core::fmt;
use core::str::FromStr;

use dime_core::base64;
use dime_signet::record::HostName;

use crate::error::DmtpError;

/// Longest local part of a user address (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;

/// A user address `local@domain`, as SGNT, HIST and VRFY name user signets.
///
/// The local part is 1 to [`MAX_LOCAL_PART`] characters of RFC 5322 `atext` and dots, with no
/// leading, trailing or doubled dot; it keeps its case. The domain is a [`HostName`] (lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    local: String,
    domain: HostName,
}

fn is_atext(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&c)
}

impl Address {
    /// Checks and builds an address from its parts.
    pub fn new(local: &str, domain: HostName) -> Result<Address, DmtpError> {
        let bytes = local.as_bytes();
        let ok = (1..=MAX_LOCAL_PART).contains(&bytes.len())
            && bytes.iter().all(|&c| is_atext(c) || c == b'.')
            && !bytes.starts_with(b".")
            && !bytes.ends_with(b".")
            && !local.contains("..");
        if !ok {
            return Err(DmtpError::InvalidName(format!("{local}@{domain}")));
        }
        Ok(Address { local: local.to_string(), domain })
    }

    /// The local part, as given.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain (the organisation whose signet signs this user's signet).
    pub fn domain(&self) -> &HostName {
        &self.domain
    }
}

impl FromStr for Address {
    type Err = DmtpError;

    /// Parses `local@domain`; exactly one `@`.
    fn from_str(text: &str) -> Result<Address, DmtpError> {
        let invalid = || DmtpError::InvalidName(text.to_string());
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let domain = HostName::new(domain).map_err(|_| invalid())?;
        Address::new(local, domain).map_err(|_| invalid())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// The name of a signet: an organisation's domain or a user's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Name {
    /// An organisational signet, named by its domain.
    Org(HostName),
    /// A user signet, named by its address.
    User(Address),
}

impl Name {
    /// The organisation's domain: the name itself, or the address's domain.
    pub fn domain(&self) -> &HostName {
        match self {
            Name::Org(domain) => domain,
            Name::User(address) => address.domain(),
        }
    }
}

impl FromStr for Name {
    type Err = DmtpError;

    /// A name with `@` is an address, any other a domain (protocols.md §8.1).
    fn from_str(text: &str) -> Result<Name, DmtpError> {
        if text.contains('@') {
            text.parse().map(Name::User)
        } else {
            HostName::new(text).map(Name::Org).map_err(|_| DmtpError::InvalidName(text.to_string()))
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Org(domain) => domain.fmt(f),
            Name::User(address) => address.fmt(f),
        }
    }
}

/// Defines a fixed-size value carried as unpadded standard base64 inside `[...]`.
macro_rules! bracket_value {
    ($(#[$doc:meta])* $name:ident, $len:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Fresh random bytes from the operating system.
            pub fn random() -> Result<$name, DmtpError> {
                let mut bytes = [0u8; $len];
                getrandom::fill(&mut bytes).map_err(|_| DmtpError::Io { kind: std::io::ErrorKind::Other, text: "system random number generator failed".into() })?;
                Ok($name(bytes))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&base64::encode_unpadded(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = DmtpError;

            fn from_str(text: &str) -> Result<$name, DmtpError> {
                base64::decode_unpadded_array(text, $what).map($name).map_err(|_| DmtpError::ReplyPayload { what: $what })
            }
        }
    };
}

bracket_value!(
    /// The one-time value of the `STATS` exchange: 32 random bytes (43 base64 characters).
    Nonce,
    32,
    "nonce"
);

bracket_value!(
    /// The server's transaction id in `250 OK [txid]`: 16 random bytes (22 base64 characters).
    TxId,
    16,
    "transaction id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!("Example.ORG".parse::<Name>().unwrap().to_string(), "example.org");
        let user: Name = "Alice.B@example.org".parse().unwrap();
        assert_eq!(user.to_string(), "Alice.B@example.org");
        assert_eq!(user.domain().as_str(), "example.org");
        for bad in ["a@b@c.org", "@example.org", ".a@example.org", "a..b@example.org", "a b@x.org", "a@", "-x.org", ""]
        {
            assert_eq!(bad.parse::<Name>(), Err(DmtpError::InvalidName(bad.to_string())), "{bad}");
        }
        let long = format!("{}@x.org", "a".repeat(65));
        assert_eq!(long.parse::<Name>(), Err(DmtpError::InvalidName(long.clone())));
    }

    #[test]
    fn bracket_values() {
        let nonce = Nonce([7; 32]);
        assert_eq!(nonce.to_string().len(), 43);
        assert_eq!(nonce.to_string().parse::<Nonce>(), Ok(nonce));
        assert_eq!("AAAA".parse::<TxId>(), Err(DmtpError::ReplyPayload { what: "transaction id" }));
        assert_ne!(TxId::random().unwrap(), TxId::random().unwrap());
    }
}
