//! The one error type of this crate.

use crate::actor::Actor;

/// Everything that can go wrong while composing, parsing, relaying or opening a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// An error from the shared codecs or key types.
    #[error(transparent)]
    Core(#[from] dime_core::Error),

    /// The input ends inside `what`.
    #[error("truncated {what}: {available} bytes, {needed} needed")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes available.
        available: usize,
        /// Bytes needed.
        needed: usize,
    },

    /// The object does not start with the message (1847) or tracing (1837) magic.
    #[error("not a message object: magic {found}")]
    NotAMessage {
        /// The magic number found.
        found: u16,
    },

    /// A tracing prefix is followed by another tracing prefix.
    #[error("a tracing prefix must be followed by the message magic")]
    DoubleTracing,

    /// The header's length disagrees with the bytes that follow.
    #[error("message header declares {declared} bytes but {available} follow")]
    LengthMismatch {
        /// Length in the header.
        declared: usize,
        /// Bytes present.
        available: usize,
    },

    /// A length read from the wire is over its limit.
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size (or count).
        size: u64,
        /// The limit.
        limit: u64,
    },

    /// A chunk type this suite does not define.
    #[error("chunk {index} has unknown type {chunk_type}")]
    UnknownChunkType {
        /// Chunk position.
        index: usize,
        /// The type byte.
        chunk_type: u8,
    },

    /// A known chunk type in a place the fixed order does not allow it.
    #[error("chunk {index} of type {found} is out of order (expected {expected})")]
    UnexpectedChunk {
        /// Chunk position.
        index: usize,
        /// The type found.
        found: u8,
        /// What the grammar allows here.
        expected: &'static str,
    },

    /// The object ends before a required chunk.
    #[error("missing {expected} chunk")]
    MissingChunk {
        /// The chunk that should follow.
        expected: &'static str,
    },

    /// The compression flag (0x04) is set; this suite does not support it.
    #[error("chunk {index}: compression (flag 0x04) is not supported")]
    CompressionUnsupported {
        /// Chunk position.
        index: usize,
    },

    /// The alternate-encryption flag (0x02) is set; this suite does not support it.
    #[error("chunk {index}: alternate encryption (flag 0x02) is not supported")]
    AlternateEncryptionUnsupported {
        /// Chunk position.
        index: usize,
    },

    /// Flags that are reserved, or not allowed on this chunk type.
    #[error("chunk {index}: flags {flags:#04x} are not allowed")]
    BadFlags {
        /// Chunk position.
        index: usize,
        /// The flags byte.
        flags: u8,
    },

    /// A spanning part is not closed before the next chunk type.
    #[error("chunk {index}: spanning part of type {chunk_type} is not terminated")]
    UnterminatedSpan {
        /// Position of the chunk that breaks the span.
        index: usize,
        /// The spanning type.
        chunk_type: u8,
    },

    /// A chunk body has a length its type does not allow.
    #[error("chunk {index} of type {chunk_type} has a body of {len} bytes")]
    BadBodyLength {
        /// Chunk position.
        index: usize,
        /// The type.
        chunk_type: u8,
        /// Body length.
        len: usize,
    },

    /// The origin signature chunks mix placeholders and signatures.
    #[error("origin signature chunks are partly sealed")]
    MixedCountersignature,

    /// The object is not of suite 2 (decision D7): the suite 1 draft with SHA-512 digests,
    /// libdime's format, or a suite this reader does not know.
    #[error("unsupported message format: {0}")]
    UnsupportedFormat(&'static str),

    /// The ephemeral key is neither X25519 nor secp256k1.
    #[error("ephemeral key has an invalid encoding")]
    BadEphemeral,

    /// A hybrid ephemeral chunk (`0x48`) whose `kinds` byte is 0 or sets bits above bit 3.
    #[error("hybrid ephemeral chunk names actors {kinds:#04x}; 0x01 to 0x0f allowed")]
    HybridKinds {
        /// The `kinds` byte.
        kinds: u8,
    },

    /// A hybrid ephemeral chunk whose length is not the one its `kinds` byte gives.
    #[error("hybrid ephemeral chunk with kinds {kinds:#04x} is {len} bytes, expected {expected}")]
    HybridLength {
        /// The `kinds` byte.
        kinds: u8,
        /// The body length.
        len: usize,
        /// `35 + 1088 × (bits set in kinds)`.
        expected: usize,
    },

    /// The actor's keyslot is hybrid but no ML-KEM key was given to open it.
    #[error("the {actor}'s keyslot is hybrid (ML-KEM-768 + X25519); its ML-KEM key is needed")]
    HybridKeyRequired {
        /// The actor.
        actor: Actor,
    },

    /// The reader's ML-KEM key is not the one of the reader's signet.
    #[error("the ML-KEM key given does not match the reader's signet")]
    HybridKeyMismatch,

    /// The envelope names the reader's hybrid signet and the author's signet is hybrid, yet the
    /// reader's keyslot is classical: the object was written (or rewritten) without the
    /// post-quantum protection both parties have.
    #[error(
        "post-quantum downgrade: the {actor}'s keyslot is classical although both its signet and the author's are hybrid"
    )]
    Downgrade {
        /// The reader.
        actor: Actor,
    },

    /// The compose policy demands post-quantum protection a party's signet cannot give.
    #[error("the post-quantum policy needs a hybrid signet for the {actor}")]
    PostQuantumUnavailable {
        /// The first actor whose signet has no hybrid key.
        actor: Actor,
    },

    /// A key of an algorithm this suite does not use (secp256k1 encryption keys).
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(&'static str),

    /// A signet lacks what its role needs.
    #[error("{role} signet has no {what}")]
    SignetIncomplete {
        /// The signet's role.
        role: Actor,
        /// The missing item.
        what: &'static str,
    },

    /// The author's signing key is not the one in the author's signet.
    #[error("the author's signing key does not match the author signet")]
    AuthorKeyMismatch,

    /// A signet given to the opener is not the one the message names.
    #[error("{role} signet does not match the fingerprint in the message")]
    SignetMismatch {
        /// The signet's role.
        role: Actor,
    },

    /// The recipient address in the destination chunk is not in the destination domain of the
    /// origin chunk (`docs/message-format.md` §8).
    #[error("the recipient address {recipient} is not in the destination domain {destination}")]
    EnvelopeMismatch {
        /// The destination chunk's recipient address.
        recipient: String,
        /// The origin chunk's destination domain.
        destination: String,
    },

    /// The destination chunk names the recipient's own signet (its crypto fingerprint) with an
    /// address other than that signet's identifier (`docs/message-format.md` §8).
    #[error("the message names recipient {named}, but it was encrypted to the signet of {signet}")]
    RecipientMismatch {
        /// The recipient address the destination chunk names.
        named: String,
        /// The identifier of the recipient's own signet.
        signet: String,
    },

    /// The actor has no keyslot in this chunk.
    #[error("chunk {index} (type {chunk_type}) is not visible to the {actor}")]
    NotVisible {
        /// Chunk position.
        index: usize,
        /// The type.
        chunk_type: u8,
        /// The actor asking.
        actor: Actor,
    },

    /// A keyslot does not open with the actor's key (wrong key, or tampering).
    #[error("chunk {index}: the {actor} keyslot does not open")]
    KeyslotRejected {
        /// Chunk position.
        index: usize,
        /// The actor.
        actor: Actor,
    },

    /// The key commitment of a chunk does not match its key.
    #[error("chunk {index}: key commitment mismatch")]
    CommitmentMismatch {
        /// Chunk position.
        index: usize,
    },

    /// A chunk body does not authenticate.
    #[error("chunk {index}: ciphertext does not authenticate")]
    Decrypt {
        /// Chunk position.
        index: usize,
    },

    /// A decrypted plaintext is malformed.
    #[error("chunk {index}: malformed plaintext ({what})")]
    BadPlaintext {
        /// Chunk position.
        index: usize,
        /// What is wrong.
        what: &'static str,
    },

    /// Padding bytes are not zero.
    #[error("chunk {index}: padding is not zero")]
    BadPadding {
        /// Chunk position.
        index: usize,
    },

    /// A text chunk (envelope or headers) is malformed.
    #[error("{what}: {problem}")]
    BadText {
        /// The text structure.
        what: &'static str,
        /// What is wrong.
        problem: &'static str,
    },

    /// A part descriptor is malformed.
    #[error("part descriptor: {0}")]
    BadPart(&'static str),

    /// The tree's digest list does not match the object.
    #[error("chunk {index} does not match the signed digest list")]
    DigestMismatch {
        /// Chunk position.
        index: usize,
    },

    /// The tree lists a different number of chunks than the object has.
    #[error("the tree lists {listed} chunks, the object has {present}")]
    TreeCount {
        /// Count in the tree.
        listed: usize,
        /// Chunks present.
        present: usize,
    },

    /// A signature does not verify.
    #[error("{0} signature does not verify")]
    BadSignature(Signature),

    /// The origin has already countersigned the object.
    #[error("the object is already countersigned")]
    AlreadyCountersigned,

    /// The object has not been countersigned by the origin.
    #[error("the object is not countersigned by the origin")]
    NotCountersigned,

    /// A composition input is invalid.
    #[error("invalid input: {0}")]
    Input(&'static str),

    /// A streaming writer or reader was used out of order, or its input ended early.
    #[error("stream: {0}")]
    Stream(&'static str),

    /// The system random number generator failed.
    #[error("the random number generator failed")]
    Randomness,
}

/// The signatures of a message, for [`MessageError::BadSignature`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signature {
    /// The author's tree signature (225).
    Tree,
    /// The author's full signature (226).
    AuthorFull,
    /// The origin's meta-bounce signature (248).
    OriginMetaBounce,
    /// The origin's display-bounce signature (249).
    OriginDisplayBounce,
    /// The origin's full signature (255).
    OriginFull,
}

impl core::fmt::Display for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Signature::Tree => "author tree",
            Signature::AuthorFull => "author full",
            Signature::OriginMetaBounce => "origin meta-bounce",
            Signature::OriginDisplayBounce => "origin display-bounce",
            Signature::OriginFull => "origin full",
        })
    }
}

/// Result with [`MessageError`].
pub type Result<T, E = MessageError> = core::result::Result<T, E>;
