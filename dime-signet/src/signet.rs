//! A parsed signet: its exact bytes and an index of its fields.

use core::fmt;
use core::ops::Range;

use dime_core::Fingerprint;
use dime_core::armor::{self, Label};
use dime_core::field::{Field, Fields};
use dime_core::header::{Header, Magic};
use dime_core::kem::KemPublicKey;
use dime_core::keys::{EncryptionPublicKey, SigningPublicKey};
use dime_core::limits::ObjectLimits;

use crate::error::{Result, SignetError};
use crate::hybrid;
use crate::kind::{Repeat, SignetKind, ids};
use crate::sok::SecondaryKey;

/// How strictly [`Signet::parse_with`] reads.
///
/// Start from [`ParseOptions::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Accept field ids that the kind does not define, when they lie in the generic
    /// informational range 16–250 (forward compatibility). Such fields may repeat.
    pub lenient: bool,
    /// Size limits.
    pub limits: ObjectLimits,
}

/// The fingerprints a signet can have; each is SHA-512 over a prefix of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FingerprintKind {
    /// Up to and including field 5 (user signets and SSRs).
    Ssr,
    /// Up to and including the crypto signature (org 4, user 6).
    Crypto,
    /// Up to and including the full signature (253).
    Full,
    /// The whole payload.
    Id,
}

impl FingerprintKind {
    /// All kinds, in stage order.
    pub const ALL: [FingerprintKind; 4] =
        [FingerprintKind::Ssr, FingerprintKind::Crypto, FingerprintKind::Full, FingerprintKind::Id];

    /// A lower-case name (`ssr`, `crypto`, `full`, `id`).
    pub const fn name(self) -> &'static str {
        match self {
            FingerprintKind::Ssr => "ssr",
            FingerprintKind::Crypto => "crypto",
            FingerprintKind::Full => "full",
            FingerprintKind::Id => "id",
        }
    }

    /// The last field id the fingerprint covers for `kind`, or `None` where it is not defined.
    pub const fn last_field(self, kind: SignetKind) -> Option<u8> {
        match (self, kind) {
            (FingerprintKind::Ssr, SignetKind::User | SignetKind::Request) => Some(ids::USER_SIGNATURE),
            (FingerprintKind::Crypto, SignetKind::Org) => Some(ids::ORG_CRYPTO_SIGNATURE),
            (FingerprintKind::Crypto, SignetKind::User) => Some(ids::USER_CRYPTO_SIGNATURE),
            (FingerprintKind::Full, SignetKind::Org | SignetKind::User) => Some(ids::FULL_SIGNATURE),
            (FingerprintKind::Id, SignetKind::Org | SignetKind::User) => Some(ids::ID_SIGNATURE),
            _ => None,
        }
    }
}

/// Where to cut a signet in [`Signet::split`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Keep everything up to and including the crypto signature (org 4, user 6).
    Crypto,
    /// Keep everything up to and including the full signature (253).
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    id: u8,
    span: Range<usize>,
    name: Option<Range<usize>>,
    data: Range<usize>,
}

/// An organizational signet, user signet or signing request, exactly as received.
///
/// Parsing checks framing, the kind's field table, field order and uniqueness, that key fields
/// decode, and that an identifier (254) is followed by the signature that covers it (255). It
/// checks no signature: that is [`Signet::validate`]'s job. The bytes are kept
/// as they were read, so serializing gives them back unchanged and signatures are always
/// checked over the exact received bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Signet {
    kind: SignetKind,
    bytes: Vec<u8>,
    slots: Vec<Slot>,
    keys: Keys,
    fingerprints: Fingerprints,
}

/// Each fingerprint kind's value, computed on first use (the bytes never change, and a composer
/// or reader asks for the same fingerprint of the same signet on every message).
#[derive(Clone, Default)]
struct Fingerprints([std::sync::OnceLock<Fingerprint>; 4]);

/// A cache adds nothing to a signet's value: equal bytes are equal signets.
impl PartialEq for Fingerprints {
    fn eq(&self, _: &Fingerprints) -> bool {
        true
    }
}

impl Eq for Fingerprints {}

/// The key fields, decoded once while parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Keys {
    signing: Option<SigningPublicKey>,
    encryption: Option<EncryptionPublicKey>,
    secondary: Vec<SecondaryKey>,
    /// The ML-KEM-768 key (user/SSR field-3 fragments, org field 251).
    hybrid: Option<KemPublicKey>,
}

impl Keys {
    /// Decodes `field` if it is a key field of `kind`.
    fn take(&mut self, kind: SignetKind, field: &Field<'_>) -> Result<()> {
        let wrap = |error| SignetError::FieldValue { id: field.id, error };
        match field.id {
            ids::SIGNING_KEY => self.signing = Some(SigningPublicKey::decode(field.data).map_err(wrap)?),
            ids::SECONDARY_KEY if kind == SignetKind::Org => self.secondary.push(SecondaryKey::decode(field.data)?),
            id if id == kind.encryption_key_id() => {
                self.encryption = Some(EncryptionPublicKey::decode(field.data).map_err(wrap)?);
            }
            _ => {}
        }
        Ok(())
    }
}

impl Signet {
    /// Parses a binary signet strictly with the default limits.
    pub fn parse(bytes: &[u8]) -> Result<Signet> {
        Signet::parse_with(bytes, &ParseOptions::default())
    }

    /// Parses a binary signet.
    pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Result<Signet> {
        let expected = [Magic::OrgSignet, Magic::UserSignet, Magic::SigningRequest];
        let (header, payload) = Header::split(bytes, &expected, &options.limits)?;
        let kind = SignetKind::from_magic(header.magic).ok_or(dime_core::Error::UnknownMagic(header.magic.number()))?;
        let base = header.magic.header_len();
        let mut slots: Vec<Slot> = Vec::new();
        let mut keys = Keys::default();
        let mut hybrid = hybrid::Collector::default();
        for field in Fields::new(payload) {
            let field = field?;
            if slots.len() == options.limits.max_fields {
                return Err(SignetError::TooManyFields { limit: options.limits.max_fields });
            }
            let repeat = match kind.lookup(field.id) {
                Some(spec) => spec.repeat,
                None if options.lenient && kind.is_generic(field.id) => Repeat::Repeatable,
                None => {
                    return Err(SignetError::UnknownField { kind, id: field.id, offset: field.start });
                }
            };
            if let Some(last) = slots.last() {
                if field.id < last.id {
                    return Err(SignetError::OutOfOrder { id: field.id, after: last.id, offset: field.start });
                }
                if field.id == last.id && repeat == Repeat::Unique {
                    return Err(SignetError::DuplicateField { id: field.id, offset: field.start });
                }
            }
            keys.take(kind, &field)?;
            hybrid.take(kind, &field)?;
            // An undefined field's name follows its id and 1-byte name length.
            let name = field.name.map(|n| base + field.start + 2..base + field.start + 2 + n.len());
            slots.push(Slot {
                id: field.id,
                span: base + field.start..base + field.end,
                name,
                data: base + field.end - field.data.len()..base + field.end,
            });
        }
        // 255 is the highest id, so an identifier is covered exactly when it is not the last field.
        if let Some(last) = slots.last().filter(|s| s.id == ids::IDENTIFIER) {
            return Err(SignetError::UnsignedIdentifier { offset: last.span.start - base });
        }
        keys.hybrid = hybrid.finish()?;
        Ok(Signet { kind, bytes: bytes.to_vec(), slots, keys, fingerprints: Fingerprints::default() })
    }

    /// Reads a signet given as armor, bare base64 or binary (told apart by content).
    pub fn read(input: &[u8], options: &ParseOptions) -> Result<Signet> {
        let (_, bytes) = armor::read_object(input, &options.limits)?;
        Signet::parse_with(&bytes, options)
    }

    /// The kind of signet.
    pub fn kind(&self) -> SignetKind {
        self.kind
    }

    /// The whole object, header included, exactly as parsed or built.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The payload (the object without its 5-byte header).
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(5..).unwrap_or_default()
    }

    /// The ASCII-armored form.
    pub fn to_armor(&self) -> String {
        let label = match self.kind {
            SignetKind::Org => Label::OrgSignet,
            SignetKind::User => Label::UserSignet,
            SignetKind::Request => Label::SigningRequest,
        };
        armor::encode(label, &self.bytes)
    }

    fn view(&self, slot: &Slot) -> Field<'_> {
        let get = |r: &Range<usize>| self.bytes.get(r.clone()).unwrap_or_default();
        Field {
            id: slot.id,
            name: slot.name.as_ref().map(get),
            data: get(&slot.data),
            start: slot.span.start - 5,
            end: slot.span.end - 5,
        }
    }

    /// Every field in order, with payload-relative offsets.
    pub fn fields(&self) -> impl Iterator<Item = Field<'_>> {
        self.slots.iter().map(|s| self.view(s))
    }

    /// The first field with `id`.
    pub fn field(&self, id: u8) -> Option<Field<'_>> {
        self.slots.iter().find(|s| s.id == id).map(|s| self.view(s))
    }

    /// The data of every field with `id` (for repeatable fields).
    pub fn all(&self, id: u8) -> impl Iterator<Item = &[u8]> {
        self.slots.iter().filter(move |s| s.id == id).map(|s| self.view(s).data)
    }

    /// Whether a field with `id` is present.
    pub fn has(&self, id: u8) -> bool {
        self.slots.iter().any(|s| s.id == id)
    }

    /// The data of the first undefined field (251) named exactly `name`.
    pub fn undefined(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields().find(|f| f.id == ids::UNDEFINED && f.name == Some(name)).map(|f| f.data)
    }

    /// The signing key (org POK, user signing key) of field 1.
    pub fn signing_key(&self) -> Option<SigningPublicKey> {
        self.keys.signing
    }

    /// The encryption key (org field 3, user and SSR field 2).
    pub fn encryption_key(&self) -> Option<EncryptionPublicKey> {
        self.keys.encryption
    }

    /// The ML-KEM-768 encapsulation key of hybrid keyslots (decision D8), checked per FIPS 203
    /// §7.2 when parsed: user and SSR field-3 fragments, or the org's `Hybrid-Encryption-Key`
    /// field 251. An org key is returned only when the full signature (253), which is the first
    /// to cover it, is present; [`Signet::validate`] says whether it verifies.
    pub fn hybrid_encryption_key(&self) -> Option<&KemPublicKey> {
        if self.kind == SignetKind::Org && !self.has(ids::FULL_SIGNATURE) {
            return None;
        }
        self.keys.hybrid.as_ref()
    }

    /// Whether the signet carries a usable hybrid encryption key
    /// ([`Signet::hybrid_encryption_key`]).
    pub fn is_hybrid(&self) -> bool {
        self.hybrid_encryption_key().is_some()
    }

    /// The secondary organizational keys (org field 2).
    pub fn secondary_keys(&self) -> &[SecondaryKey] {
        &self.keys.secondary
    }

    /// The raw bytes of field 254, the identifier, **unverified**: nothing here says that a
    /// signature covering it verified, nor that its organization is anchored. Use it only to
    /// show or to look up a signet; for the address or domain a signet stands for, bind it
    /// ([`Signet::bind`]) and read [`BoundSignet::identifier`](crate::BoundSignet::identifier).
    pub fn unverified_identifier(&self) -> Option<&[u8]> {
        self.field(ids::IDENTIFIER).map(|f| f.data)
    }

    /// Payload bytes before the field with `id` (what signature `id` signs), if present.
    pub(crate) fn signed_prefix(&self, id: u8) -> Option<&[u8]> {
        let slot = self.slots.iter().find(|s| s.id == id)?;
        self.bytes.get(5..slot.span.start)
    }

    /// Length of the payload prefix that ends after the last field with id ≤ `last`.
    fn prefix_len(&self, last: u8) -> usize {
        self.slots.iter().take_while(|s| s.id <= last).last().map_or(0, |s| s.span.end - 5)
    }

    /// The fingerprint of `which`, or `None` where this kind does not define it.
    pub fn fingerprint(&self, which: FingerprintKind) -> Option<Fingerprint> {
        Some(self.prefix_fingerprint(which, which.last_field(self.kind)?))
    }

    /// The fingerprint of the payload up to the last field with id ≤ `last`, which is what
    /// `which` covers, kept for the next call.
    pub(crate) fn prefix_fingerprint(&self, which: FingerprintKind, last: u8) -> Fingerprint {
        let compute = || Fingerprint::of(self.payload().get(..self.prefix_len(last)).unwrap_or_default());
        match self.fingerprints.0.get(which as usize) {
            Some(cached) => *cached.get_or_init(compute),
            None => compute(),
        }
    }

    /// A new signet cut after the crypto or full signature. The signatures it keeps never cover
    /// what is cut, so a full split validates as full and a crypto split as crypto.
    pub fn split(&self, at: Split) -> Result<Signet> {
        if self.kind == SignetKind::Request {
            return Err(SignetError::WrongKind { expected: SignetKind::User, found: self.kind });
        }
        let last = match at {
            Split::Crypto => self.kind.crypto_signature_id(),
            Split::Full => ids::FULL_SIGNATURE,
        };
        if !self.has(last) {
            return Err(SignetError::MissingField { id: last });
        }
        let payload = self.payload().get(..self.prefix_len(last)).unwrap_or_default();
        let bytes = Header::wrap(self.kind.magic(), payload)?;
        Signet::parse(&bytes)
    }
}

impl fmt::Debug for Signet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u8> = self.slots.iter().map(|s| s.id).collect();
        f.debug_struct("Signet")
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .field("fields", &ids)
            .finish()
    }
}
