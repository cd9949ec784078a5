//! The one error type of `dime-signet`.

use crate::kind::SignetKind;
use crate::validate::SignetState;

/// Why a signet, key file or record was refused.
///
/// Framing faults (truncation, magic, lengths, armor, key encodings) come from `dime-core`
/// through [`SignetError::Core`]; everything that needs to know what a signet means is a variant
/// of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignetError {
    /// A framing or encoding fault found by `dime-core`.
    #[error(transparent)]
    Core(#[from] dime_core::Error),
    /// A management record fault.
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    /// A field this kind of object does not define (or, in lenient mode, outside the generic range).
    #[error("field {id} is not defined for a {} (payload offset {offset})", kind.name())]
    UnknownField {
        /// The object kind.
        kind: SignetKind,
        /// The field id.
        id: u8,
        /// Offset of the id byte in the payload.
        offset: usize,
    },
    /// A field id lower than the one before it.
    #[error("field {id} follows field {after} (payload offset {offset}); ids must not decrease")]
    OutOfOrder {
        /// The field id.
        id: u8,
        /// The id of the field before it.
        after: u8,
        /// Offset of the id byte in the payload.
        offset: usize,
    },
    /// A unique field that appears again.
    #[error("field {id} appears more than once (payload offset {offset})")]
    DuplicateField {
        /// The field id.
        id: u8,
        /// Offset of the repeated id byte in the payload.
        offset: usize,
    },
    /// More fields than the limit in force.
    #[error("more than {limit} fields")]
    TooManyFields {
        /// The limit.
        limit: usize,
    },
    /// A key field whose value does not decode.
    #[error("field {id} holds an invalid value: {error}")]
    FieldValue {
        /// The field id.
        id: u8,
        /// What is wrong with it.
        error: dime_core::Error,
    },
    /// A signature (or a later stage) needs a field that is missing.
    #[error("field {id} is required before this step")]
    MissingField {
        /// The missing field id.
        id: u8,
    },
    /// The id given to `sign` is not a signature of this kind.
    #[error("field {id} is not a signature field of a {}", kind.name())]
    NotASignature {
        /// The object kind.
        kind: SignetKind,
        /// The field id.
        id: u8,
    },
    /// The operation needs a different kind of object.
    #[error("expected a {}, got a {}", expected.name(), found.name())]
    WrongKind {
        /// The kind needed.
        expected: SignetKind,
        /// The kind given.
        found: SignetKind,
    },
    /// A signature field does not verify.
    #[error("signature field {id} does not verify")]
    BadSignature {
        /// The signature field id.
        id: u8,
    },
    /// The org signet's POK is not among the management record's `pok` values.
    #[error("the organizational signet's POK is not in the management record")]
    PokNotInRecord,
    /// A user signet cannot be validated without its organization's signet.
    #[error("validating a user signet needs the organizational signet")]
    OrgSignetRequired,
    /// The org signet given to validate a user signet is not itself valid to the crypto stage.
    #[error("the organizational signet is not valid: {0}")]
    OrgSignetInvalid(String),
    /// A custody signature (field 4) is present but no previous signet was given.
    #[error("chain-of-custody signature present but no previous signet given")]
    CustodyWithoutPrevious,
    /// A previous signet was given but the signet has no custody signature.
    #[error("previous signet given but the signet has no chain-of-custody signature")]
    CustodyMissing,
    /// The custody signature does not verify with the previous signet's signing key.
    #[error("chain-of-custody signature does not verify with the previous signing key")]
    CustodyBroken,
    /// The signing key is neither the org's POK nor a secondary key allowed to sign signets.
    #[error("the key is not authorized to sign user signets for this organization")]
    KeyNotAuthorized,
    /// An identifier (field 254) with no identifiable signature (255) after it: nothing could
    /// ever vouch for it, so parsing refuses it (see `docs/signet.md` §5).
    #[error(
        "field 254 (identifier) at payload offset {offset} is not followed by field 255, the signature that covers it"
    )]
    UnsignedIdentifier {
        /// Offset of the 254 id byte in the payload.
        offset: usize,
    },
    /// Binding needs a signet validated to `id` against its anchor; this one reached less, so
    /// it stands for no address or domain.
    #[error("the signet is {state}, not id, so it is bound to no identifier{}", cause.as_ref().map_or_else(String::new, |c| format!(": {c}")))]
    NotBound {
        /// The state validation reached.
        state: SignetState,
        /// Why validation stopped there, when something failed.
        #[source]
        cause: Option<Box<SignetError>>,
    },
    /// The identifier (field 254) of a signet being bound is not UTF-8 text.
    #[error("the identifier (field 254) is not UTF-8 text")]
    IdentifierNotText,
    /// The identifier is not the anchored domain (org signets) or an address in it (user signets).
    #[error("the identifier {identifier:?} does not belong to the anchored domain {domain}")]
    OutsideAnchor {
        /// The identifier the signet carries.
        identifier: String,
        /// The domain the anchor vouches for.
        domain: String,
    },
    /// A user signet bound to its organization's domain names another address than the one
    /// asked for.
    #[error("the signet is bound to {found:?}, not to {expected:?}")]
    WrongIdentifier {
        /// The address asked for.
        expected: String,
        /// The address the signet is bound to.
        found: String,
    },
    /// A key file whose fields are not the fixed layout.
    #[error("key file field layout is invalid: expected field {expected}, found {found:?}")]
    KeyFileLayout {
        /// The id expected at this position.
        expected: u8,
        /// The id found, or `None` at the end.
        found: Option<u8>,
    },
    /// A hybrid-key fragment (field 3, `0x4B ‖ i ‖ part`) arrived out of order: every set is
    /// exactly fragments 0, 1, 2, 3, 4 in adjacent field-3 values.
    #[error("hybrid key fragment {found} where fragment {expected} was due")]
    HybridFragmentIndex {
        /// The index the next fragment must have.
        expected: u8,
        /// The index found.
        found: u8,
    },
    /// A hybrid-key fragment whose part has the wrong length.
    #[error("hybrid key fragment {index} is {len} bytes, expected {expected}")]
    HybridFragmentLength {
        /// The fragment's index (0 when even the index byte is missing).
        index: u8,
        /// The field value's length (prefix and index included).
        len: usize,
        /// The length the field value must have.
        expected: usize,
    },
    /// A set of hybrid-key fragments stops before fragment 4 (another field-3 value or the end
    /// of field 3 interrupts it).
    #[error("hybrid key has {found} of its 5 fragments")]
    HybridFragmentsIncomplete {
        /// Fragments read.
        found: u8,
    },
    /// A signet carries more than one hybrid encryption key (a second fragment set, or a second
    /// `Hybrid-Encryption-Key` field 251).
    #[error("more than one hybrid encryption key")]
    HybridKeyRepeated,
    /// The key file's ML-KEM seed does not give the signet's hybrid encryption key, or one of
    /// them has a hybrid key and the other not.
    #[error("the key file's ML-KEM key does not match the signet's hybrid encryption key")]
    HybridKeyMismatch,
    /// A request carries a hybrid encryption key but the issuing organization's signet has none
    /// (decision D8: a client asks for a hybrid key only if its organization has one).
    #[error("the request carries a hybrid encryption key, but the organization's signet has none")]
    HybridWithoutOrgKey,
    /// A new org signet without a hybrid encryption key replaces one that had it (decision D8:
    /// an organization that published a hybrid key keeps one in every later org signet).
    #[error("the organization's previous signet has a hybrid encryption key, and the new one has none")]
    HybridKeyDropped,
}

/// Result with this crate's [`SignetError`].
pub type Result<T, E = SignetError> = core::result::Result<T, E>;
