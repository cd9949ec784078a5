//! Field names and the typed values of the management record's fields.

use core::fmt;
use core::str::FromStr;

use dime_core::base64;
use dime_core::keys::{Signature, SigningPublicKey};

use super::error::RecordError;
use super::token;

/// Largest `exp` value, in days.
pub const MAX_EXPIRY_DAYS: u16 = 365;

/// The fields this crate knows, each with a short and a long name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldName {
    /// `ver` / `version`
    Version,
    /// `pok` / `primary`
    Pok,
    /// `tls` / `tls`
    Tls,
    /// `syn` / `syndicates`
    Syndicates,
    /// `dx` / `deliver`
    Deliver,
    /// `exp` / `expiry`
    Expiry,
    /// `pol` / `policy`
    Policy,
    /// `sub` / `subdomain`
    Subdomain,
}

impl FieldName {
    /// Every known field, in canonical writing order.
    pub const ALL: [FieldName; 8] = [
        FieldName::Version,
        FieldName::Pok,
        FieldName::Tls,
        FieldName::Syndicates,
        FieldName::Deliver,
        FieldName::Expiry,
        FieldName::Policy,
        FieldName::Subdomain,
    ];

    /// The short name, which the canonical writer emits.
    pub const fn short(self) -> &'static str {
        match self {
            FieldName::Version => "ver",
            FieldName::Pok => "pok",
            FieldName::Tls => "tls",
            FieldName::Syndicates => "syn",
            FieldName::Deliver => "dx",
            FieldName::Expiry => "exp",
            FieldName::Policy => "pol",
            FieldName::Subdomain => "sub",
        }
    }

    /// The long name.
    pub const fn long(self) -> &'static str {
        match self {
            FieldName::Version => "version",
            FieldName::Pok => "primary",
            FieldName::Tls => "tls",
            FieldName::Syndicates => "syndicates",
            FieldName::Deliver => "deliver",
            FieldName::Expiry => "expiry",
            FieldName::Policy => "policy",
            FieldName::Subdomain => "subdomain",
        }
    }

    /// The field a name (short or long, any case) stands for, if it is known.
    pub fn lookup(name: &str) -> Option<FieldName> {
        FieldName::ALL
            .into_iter()
            .find(|field| name.eq_ignore_ascii_case(field.short()) || name.eq_ignore_ascii_case(field.long()))
    }
}

/// Parses 1 to 9 decimal digits with no leading zero (so it always fits a `u32`).
pub(crate) fn parse_decimal(text: &str, field: &'static str) -> Result<u32, RecordError> {
    let bytes = text.as_bytes();
    let canonical = (1..=9).contains(&bytes.len())
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes.len() == 1 || !bytes.starts_with(b"0"));
    if !canonical {
        return Err(RecordError::InvalidNumber { field });
    }
    Ok(bytes.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Parses a `pok` value: exactly 43 characters of unpadded base64 of an Ed25519 key.
pub(crate) fn parse_pok(text: &str) -> Result<SigningPublicKey, RecordError> {
    if text.len() != 43 {
        return Err(RecordError::PokLength { len: text.len() });
    }
    let bytes =
        base64::decode_unpadded_array::<32>(text, "pok").map_err(|_| RecordError::InvalidBase64 { field: "pok" })?;
    SigningPublicKey::from_bytes(&bytes).map_err(|_| RecordError::InvalidPok)
}

/// Parses a `tls` value: exactly 86 characters of unpadded base64 of a 64-byte signature.
pub(crate) fn parse_tls(text: &str) -> Result<Signature, RecordError> {
    if text.len() != 86 {
        return Err(RecordError::TlsLength { len: text.len() });
    }
    base64::decode_unpadded_array::<64>(text, "tls")
        .map(Signature)
        .map_err(|_| RecordError::InvalidBase64 { field: "tls" })
}

/// The record syntax version. Only version 1 exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// Version 1, the default when `ver` is absent.
    #[default]
    V1,
}

impl Version {
    /// The version number.
    pub const fn number(self) -> u32 {
        match self {
            Version::V1 => 1,
        }
    }
}

impl FromStr for Version {
    type Err = RecordError;

    /// Parses a `ver` value: a decimal number that must be 1.
    fn from_str(text: &str) -> Result<Version, RecordError> {
        match parse_decimal(text, "ver")? {
            1 => Ok(Version::V1),
            version => Err(RecordError::UnsupportedVersion { version }),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// The domain's message policy (`pol`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `experimental`: DIME is being tried out (the default).
    #[default]
    Experimental,
    /// `mixed`
    Mixed,
    /// `strict`
    Strict,
}

impl Policy {
    /// Every value, in the order the spec lists them.
    pub const ALL: [Policy; 3] = [Policy::Experimental, Policy::Mixed, Policy::Strict];

    /// The value as written (lower case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Policy::Experimental => "experimental",
            Policy::Mixed => "mixed",
            Policy::Strict => "strict",
        }
    }
}

impl FromStr for Policy {
    type Err = RecordError;

    /// Parses a `pol` value, ignoring case.
    fn from_str(text: &str) -> Result<Policy, RecordError> {
        Policy::ALL
            .into_iter()
            .find(|p| text.eq_ignore_ascii_case(p.as_str()))
            .ok_or_else(|| RecordError::UnknownPolicy { value: text.to_string() })
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether subdomains have authority over their own records (`sub`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Subdomain {
    /// `strict` (the default).
    #[default]
    Strict,
    /// `relaxed`
    Relaxed,
    /// `explicit`
    Explicit,
}

impl Subdomain {
    /// Every value, in the order the spec lists them.
    pub const ALL: [Subdomain; 3] = [Subdomain::Strict, Subdomain::Relaxed, Subdomain::Explicit];

    /// The value as written (lower case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Subdomain::Strict => "strict",
            Subdomain::Relaxed => "relaxed",
            Subdomain::Explicit => "explicit",
        }
    }
}

impl FromStr for Subdomain {
    type Err = RecordError;

    /// Parses a `sub` value, ignoring case.
    fn from_str(text: &str) -> Result<Subdomain, RecordError> {
        Subdomain::ALL
            .into_iter()
            .find(|s| text.eq_ignore_ascii_case(s.as_str()))
            .ok_or_else(|| RecordError::UnknownSubdomain { value: text.to_string() })
    }
}

impl fmt::Display for Subdomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many days a cached record may be kept (`exp`): 1 to [`MAX_EXPIRY_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry(u16);

impl Expiry {
    /// An expiry of `days` days.
    pub fn from_days(days: u32) -> Result<Expiry, RecordError> {
        u16::try_from(days)
            .ok()
            .filter(|d| (1..=MAX_EXPIRY_DAYS).contains(d))
            .map(Expiry)
            .ok_or(RecordError::ExpiryOutOfRange { days, max: MAX_EXPIRY_DAYS })
    }

    /// The number of days.
    pub const fn days(self) -> u16 {
        self.0
    }
}

impl FromStr for Expiry {
    type Err = RecordError;

    /// Parses an `exp` value: decimal days.
    fn from_str(text: &str) -> Result<Expiry, RecordError> {
        Expiry::from_days(parse_decimal(text, "exp")?)
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The `syn` value, kept as opaque text (its meaning is not specified).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Syndicates(String);

impl Syndicates {
    /// The value as text; it must be a valid record value.
    pub fn new(text: &str) -> Result<Syndicates, RecordError> {
        if !token::is_valid_value(text) {
            return Err(RecordError::InvalidValue { name: "syn".into() });
        }
        Ok(Syndicates(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Syndicates {
    type Err = RecordError;

    fn from_str(text: &str) -> Result<Syndicates, RecordError> {
        Syndicates::new(text)
    }
}

impl fmt::Display for Syndicates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A field this crate does not know: kept (name in lower case) and written back, never acted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownField {
    name: String,
    value: String,
}

impl UnknownField {
    /// An unknown field. The name must be a valid field name that names no known field; the
    /// value must be a valid record value.
    pub fn new(name: &str, value: &str) -> Result<UnknownField, RecordError> {
        if !token::is_valid_name(name) || FieldName::lookup(name).is_some() {
            return Err(RecordError::InvalidName { name: name.to_string() });
        }
        if !token::is_valid_value(value) {
            return Err(RecordError::InvalidValue { name: name.to_string() });
        }
        Ok(UnknownField { name: name.to_ascii_lowercase(), value: value.to_string() })
    }

    /// The name, in lower case.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value as written.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for UnknownField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_short_long_any_case() {
        for field in FieldName::ALL {
            assert_eq!(FieldName::lookup(field.short()), Some(field));
            assert_eq!(FieldName::lookup(&field.long().to_ascii_uppercase()), Some(field));
        }
        assert_eq!(FieldName::lookup("Primary"), Some(FieldName::Pok));
        assert_eq!(FieldName::lookup("pokx"), None);
    }

    #[test]
    fn decimal_rules() {
        assert_eq!(parse_decimal("0", "exp"), Ok(0));
        assert_eq!(parse_decimal("999999999", "exp"), Ok(999_999_999));
        for bad in ["", "01", "+1", "-1", "1x", "1000000000", " 1"] {
            assert_eq!(parse_decimal(bad, "exp"), Err(RecordError::InvalidNumber { field: "exp" }), "{bad:?}");
        }
    }

    #[test]
    fn expiry_range() {
        assert_eq!("1".parse::<Expiry>().map(Expiry::days), Ok(1));
        assert_eq!("365".parse::<Expiry>().map(Expiry::days), Ok(365));
        for days in [0, 366, 70_000] {
            assert_eq!(Expiry::from_days(days), Err(RecordError::ExpiryOutOfRange { days, max: 365 }));
        }
    }

    #[test]
    fn enumerations_ignore_case_and_round_trip() {
        for p in Policy::ALL {
            assert_eq!(p.as_str().to_ascii_uppercase().parse::<Policy>(), Ok(p));
        }
        for s in Subdomain::ALL {
            assert_eq!(s.to_string().parse::<Subdomain>(), Ok(s));
        }
        assert_eq!("loose".parse::<Policy>(), Err(RecordError::UnknownPolicy { value: "loose".into() }));
        assert_eq!(Policy::default(), Policy::Experimental);
        assert_eq!(Subdomain::default(), Subdomain::Strict);
    }

    #[test]
    fn unknown_fields_are_checked_and_lowercased() {
        let field = UnknownField::new("X-New", "Value").unwrap();
        assert_eq!((field.name(), field.value()), ("x-new", "Value"));
        assert_eq!(UnknownField::new("DX", "a"), Err(RecordError::InvalidName { name: "DX".into() }));
        assert_eq!(UnknownField::new("a", "b c"), Err(RecordError::InvalidValue { name: "a".into() }));
        assert_eq!(Syndicates::new(""), Err(RecordError::InvalidValue { name: "syn".into() }));
    }
}
