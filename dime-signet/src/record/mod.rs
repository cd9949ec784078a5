//! The DIME management record: the TXT record at `_dx.<domain>` that names a domain's
//! primary organizational keys (POKs), its DX servers and their TLS certificates.
//!
//! ```text
//! _dx.example.com. IN TXT "ver=1 pok=<43 chars> tls=<86 chars> dx=dx1.example.com pol=mixed sub=strict"
//! ```
//!
//! * [`ManagementRecord`] is valid by construction: [`FromStr`] is the strict parser,
//!   [`RecordBuilder`] the generator, and [`Display`](fmt::Display) the canonical writer
//!   (short names, fixed order, single spaces), so `parse(write(r)) == r` for every record.
//! * [`ManagementRecord::from_txt_records`] takes every TXT RR found at [`owner_name`], picks the
//!   one DIME record and refuses several; [`ManagementRecord::from_dns`] first applies the
//!   caller's DNSSEC [`RecordPolicy`].
//! * [`sign_tls_certificate`] and [`ManagementRecord::verify_tls_certificate`] make and check
//!   `tls=` values.
//!
//! The grammar and every choice made where the specification is silent are in `docs/record.md`.
//!
//! ```
//! use dime_core::keys::SigningSecretKey;
//! use dime_signet::record::{HostName, ManagementRecord, Policy, sign_tls_certificate};
//!
//! let pok = SigningSecretKey::from_seed(&[7; 32]);
//! let der = [0x30, 0x03, 0x02, 0x01, 0x05]; // stands in for the DX server's certificate
//! let record = ManagementRecord::builder(pok.public())
//!     .tls(sign_tls_certificate(&pok, &der))
//!     .dx(HostName::new("dx.example.com")?)
//!     .policy(Policy::Mixed)
//!     .build()?;
//! let text = record.to_string();
//! assert!(text.starts_with("ver=1 pok="));
//! assert_eq!(text.parse::<ManagementRecord>()?, record);
//! assert_eq!(record.verify_tls_certificate(&der)?, &pok.public());
//! # Ok::<(), dime_signet::record::RecordError>(())
//! ```

mod dnssec;
mod error;
mod field;
mod host;
mod tls;
mod token;
mod txt;

use core::fmt;
use core::str::FromStr;

use dime_core::base64;
use dime_core::keys::{Signature, SigningPublicKey, SigningSecretKey};

pub use dnssec::{DnssecStatus, RecordPolicy};
pub use error::RecordError;
pub use field::{Expiry, FieldName, MAX_EXPIRY_DAYS, Policy, Subdomain, Syndicates, UnknownField, Version};
pub use host::{HostName, MAX_HOST_LEN, MAX_LABEL_LEN};
pub use tls::{
    MAX_CERTIFICATE_LEN, MAX_PEM_LEN, certificate_from_der, certificate_from_pem, sign_tls_certificate,
    tls_certificate_digest,
};
pub use token::MAX_NAME_LEN;
pub use txt::{MAX_TXT_RR_LEN, MAX_TXT_RRS, MAX_TXT_STRING_LEN, is_dime_record};

/// Largest record text, in bytes, read or written (also bounds the canonical form).
pub const MAX_RECORD_LEN: usize = 4096;
/// Most tokens in a record, read or written.
pub const MAX_TOKENS: usize = 64;
/// Most `pok` values in one record.
pub const MAX_POKS: usize = 8;
/// Most `tls` values in one record.
pub const MAX_TLS: usize = 16;
/// Most `dx` values in one record.
pub const MAX_DX: usize = 16;

/// The DNS owner name of a domain's management record: `_dx.<domain>`.
pub fn owner_name(domain: &HostName) -> String {
    format!("_dx.{domain}")
}

/// A DIME management record, valid by construction.
///
/// It holds at least one and at most [`MAX_POKS`] POKs, at most [`MAX_TLS`] `tls` signatures and
/// [`MAX_DX`] delivery hosts, and its canonical text stays within [`MAX_RECORD_LEN`] bytes and
/// [`MAX_TOKENS`] tokens. Make one with [`ManagementRecord::builder`] or by parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementRecord {
    version: Version,
    poks: Vec<SigningPublicKey>,
    tls: Vec<Signature>,
    syndicates: Option<Syndicates>,
    dx: Vec<HostName>,
    expiry: Option<Expiry>,
    policy: Policy,
    subdomain: Subdomain,
    unknown: Vec<UnknownField>,
}

impl ManagementRecord {
    /// Starts a record whose first POK is `pok`; every other field starts at its default.
    pub fn builder(pok: SigningPublicKey) -> RecordBuilder {
        RecordBuilder { poks: vec![pok], ..RecordBuilder::default() }
    }

    /// The syntax version (`ver`).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The primary organizational keys (`pok`), in record order; never empty.
    pub fn poks(&self) -> &[SigningPublicKey] {
        &self.poks
    }

    /// Whether `key` is one of the record's POKs (the org-signet check of `signet.md` §2.5).
    pub fn has_pok(&self, key: &SigningPublicKey) -> bool {
        self.poks.contains(key)
    }

    /// The DX certificate signatures (`tls`), in record order.
    pub fn tls(&self) -> &[Signature] {
        &self.tls
    }

    /// The `syn` value, kept but not interpreted.
    pub fn syndicates(&self) -> Option<&Syndicates> {
        self.syndicates.as_ref()
    }

    /// The delivery hosts (`dx`), in the order to try them; empty means "use MX".
    pub fn dx(&self) -> &[HostName] {
        &self.dx
    }

    /// The cache lifetime (`exp`), if the record states one.
    pub fn expiry(&self) -> Option<Expiry> {
        self.expiry
    }

    /// The message policy (`pol`).
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The subdomain rule (`sub`).
    pub fn subdomain(&self) -> Subdomain {
        self.subdomain
    }

    /// Fields this crate does not know, in record order.
    pub fn unknown(&self) -> &[UnknownField] {
        &self.unknown
    }

    /// Parses record text: [`FromStr`] over bytes, refusing anything but printable ASCII.
    fn parse_bytes(bytes: &[u8]) -> Result<ManagementRecord, RecordError> {
        let text = token::check_text(bytes)?;
        let mut version = None;
        let mut record = RecordBuilder::default();
        for token in token::tokenize(text)? {
            let value = token.value;
            match FieldName::lookup(token.name) {
                None => record.unknown.push(UnknownField::new(token.name, value)?),
                Some(field @ FieldName::Version) => set(&mut version, field, || value.parse())?,
                Some(field @ FieldName::Pok) => push(&mut record.poks, field, MAX_POKS, || field::parse_pok(value))?,
                Some(field @ FieldName::Tls) => push(&mut record.tls, field, MAX_TLS, || field::parse_tls(value))?,
                Some(field @ FieldName::Syndicates) => set(&mut record.syndicates, field, || value.parse())?,
                Some(field @ FieldName::Deliver) => push(&mut record.dx, field, MAX_DX, || value.parse())?,
                Some(field @ FieldName::Expiry) => set(&mut record.expiry, field, || value.parse())?,
                Some(field @ FieldName::Policy) => set(&mut record.policy, field, || value.parse())?,
                Some(field @ FieldName::Subdomain) => set(&mut record.subdomain, field, || value.parse())?,
            }
        }
        record.version = version.unwrap_or_default();
        record.build()
    }
}

/// Sets a single-valued field, refusing a second occurrence before looking at its value.
fn set<T>(
    slot: &mut Option<T>,
    field: FieldName,
    parse: impl FnOnce() -> Result<T, RecordError>,
) -> Result<(), RecordError> {
    if slot.is_some() {
        return Err(RecordError::DuplicateField { field: field.short() });
    }
    *slot = Some(parse()?);
    Ok(())
}

/// Appends to a repeatable field, refusing more than `limit` values before looking at the value.
fn push<T>(
    list: &mut Vec<T>,
    field: FieldName,
    limit: usize,
    parse: impl FnOnce() -> Result<T, RecordError>,
) -> Result<(), RecordError> {
    if list.len() == limit {
        return Err(RecordError::TooManyValues { field: field.short(), limit });
    }
    list.push(parse()?);
    Ok(())
}

impl FromStr for ManagementRecord {
    type Err = RecordError;

    /// The strict parser; the grammar is in `docs/record.md`.
    fn from_str(text: &str) -> Result<ManagementRecord, RecordError> {
        ManagementRecord::parse_bytes(text.as_bytes())
    }
}

impl fmt::Display for ManagementRecord {
    /// The canonical form: `ver`, every `pok`, every `tls`, `syn`, every `dx`, `exp`, `pol`,
    /// `sub`, then unknown fields in record order; short names, one space between tokens. `ver`,
    /// `pol` and `sub` are always written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ver={}", self.version)?;
        for pok in &self.poks {
            write!(f, " pok={}", pok.to_base64())?;
        }
        for tls in &self.tls {
            write!(f, " tls={}", base64::encode_unpadded(tls.as_bytes()))?;
        }
        if let Some(syn) = &self.syndicates {
            write!(f, " syn={syn}")?;
        }
        for dx in &self.dx {
            write!(f, " dx={dx}")?;
        }
        if let Some(exp) = self.expiry {
            write!(f, " exp={exp}")?;
        }
        write!(f, " pol={} sub={}", self.policy, self.subdomain)?;
        for field in &self.unknown {
            write!(f, " {field}")?;
        }
        Ok(())
    }
}

/// Builds a [`ManagementRecord`]; [`RecordBuilder::build`] checks every limit.
///
/// Setting a single-valued field twice keeps the last value; repeatable fields keep every value
/// in the order given.
#[derive(Debug, Clone, Default)]
pub struct RecordBuilder {
    version: Version,
    poks: Vec<SigningPublicKey>,
    tls: Vec<Signature>,
    syndicates: Option<Syndicates>,
    dx: Vec<HostName>,
    expiry: Option<Expiry>,
    policy: Option<Policy>,
    subdomain: Option<Subdomain>,
    unknown: Vec<UnknownField>,
}

impl RecordBuilder {
    /// Adds a POK.
    pub fn pok(mut self, key: SigningPublicKey) -> Self {
        self.poks.push(key);
        self
    }

    /// Adds a `tls` signature made elsewhere (see [`sign_tls_certificate`]).
    pub fn tls(mut self, signature: Signature) -> Self {
        self.tls.push(signature);
        self
    }

    /// Signs a DX server's DER certificate with `pok` and adds the signature, adding `pok`'s
    /// public key to the POKs when it is not there yet, so the record can verify it.
    pub fn sign_certificate(mut self, pok: &SigningSecretKey, der: &[u8]) -> Self {
        let public = pok.public();
        if !self.poks.contains(&public) {
            self.poks.push(public);
        }
        self.tls(sign_tls_certificate(pok, der))
    }

    /// Sets the `syn` value.
    pub fn syndicates(mut self, syndicates: Syndicates) -> Self {
        self.syndicates = Some(syndicates);
        self
    }

    /// Adds a delivery host.
    pub fn dx(mut self, host: HostName) -> Self {
        self.dx.push(host);
        self
    }

    /// Sets the expiry.
    pub fn expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// Sets the message policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Sets the subdomain rule.
    pub fn subdomain(mut self, subdomain: Subdomain) -> Self {
        self.subdomain = Some(subdomain);
        self
    }

    /// Adds an unknown field, written after the known ones.
    pub fn unknown(mut self, field: UnknownField) -> Self {
        self.unknown.push(field);
        self
    }

    /// Checks the limits and gives the record.
    ///
    /// Errors: [`RecordError::MissingPok`], [`RecordError::TooManyValues`],
    /// [`RecordError::TooManyTokens`] and [`RecordError::TooLarge`] (for the canonical text).
    pub fn build(self) -> Result<ManagementRecord, RecordError> {
        if self.poks.is_empty() {
            return Err(RecordError::MissingPok);
        }
        for (field, len, limit) in [
            (FieldName::Pok, self.poks.len(), MAX_POKS),
            (FieldName::Tls, self.tls.len(), MAX_TLS),
            (FieldName::Deliver, self.dx.len(), MAX_DX),
        ] {
            if len > limit {
                return Err(RecordError::TooManyValues { field: field.short(), limit });
            }
        }
        // ver, pol and sub are always written.
        let tokens = 3
            + self.poks.len()
            + self.tls.len()
            + usize::from(self.syndicates.is_some())
            + self.dx.len()
            + usize::from(self.expiry.is_some())
            + self.unknown.len();
        if tokens > MAX_TOKENS {
            return Err(RecordError::TooManyTokens { limit: MAX_TOKENS });
        }
        let record = ManagementRecord {
            version: self.version,
            poks: self.poks,
            tls: self.tls,
            syndicates: self.syndicates,
            dx: self.dx,
            expiry: self.expiry,
            policy: self.policy.unwrap_or_default(),
            subdomain: self.subdomain.unwrap_or_default(),
            unknown: self.unknown,
        };
        let len = record.to_string().len();
        if len > MAX_RECORD_LEN {
            return Err(RecordError::TooLarge { len, limit: MAX_RECORD_LEN });
        }
        Ok(record)
    }
}
