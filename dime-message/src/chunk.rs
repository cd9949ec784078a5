//! Low-level: chunks: types, flags, the 6-byte chunk header and the raw chunk layout.
//!
//! Callers compose ([`crate::compose()`]), open ([`crate::Envelope`]) or describe
//! ([`crate::inspect()`]) whole messages; of this module they meet only [`ChunkType`], in a
//! [`crate::ChunkSummary`].

use core::fmt;

use crate::actor::Actor;

/// Size of the chunk header: `type ‖ flags ‖ u32 body length`.
pub const HEADER_LEN: usize = 6;
/// Size of one keyslot: a wrapped 32-byte chunk key and its 16-byte tag.
pub const KEYSLOT_LEN: usize = 48;
/// Size of a key commitment at the start of every encrypted body.
pub const COMMITMENT_LEN: usize = 32;
/// Size of an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Size of the ephemeral chunk body: `suite ‖ 0x40 ‖ 32`.
pub const EPHEMERAL_LEN: usize = 34;
/// Size of the ephemeral chunk body of the suite 1 draft (SHA-512 digests) and of libdime,
/// which had no suite byte: readers refuse it as an unsupported format.
pub const EPHEMERAL_LEN_SUITE1: usize = 33;
/// Body size of a sealed signature chunk: commitment, 64-byte signature, tag.
pub const SIGNATURE_BODY_LEN: usize = COMMITMENT_LEN + 64 + TAG_LEN;
/// Bytes an encrypted body adds around its plaintext.
pub const SEAL_OVERHEAD: usize = COMMITMENT_LEN + TAG_LEN;

/// Chunk flag: the part continues in the next chunk.
pub const FLAG_SPANNING: u8 = 0x80;
/// Chunk flag: compressed data (defined by DIME, not supported).
pub const FLAG_COMPRESSED: u8 = 0x04;
/// Chunk flag: alternate encryption (defined by DIME, not supported).
pub const FLAG_ALTERNATE_ENCRYPTION: u8 = 0x02;

/// The chunk types of this suite, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChunkType {
    /// The ephemeral X25519 public key (2), plain.
    Ephemeral,
    /// Author address and destination domain, with fingerprints (4).
    Origin,
    /// Recipient address and origin domain, with fingerprints (5).
    Destination,
    /// Common headers (33).
    Common,
    /// Other headers (34).
    Other,
    /// A display part segment (67).
    Display,
    /// An attachment part segment (131).
    Attachment,
    /// The author's tree signature with the digest list (225).
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

impl ChunkType {
    /// Every type, in wire order.
    pub const ALL: [ChunkType; 12] = [
        ChunkType::Ephemeral,
        ChunkType::Origin,
        ChunkType::Destination,
        ChunkType::Common,
        ChunkType::Other,
        ChunkType::Display,
        ChunkType::Attachment,
        ChunkType::Tree,
        ChunkType::AuthorFull,
        ChunkType::OriginMetaBounce,
        ChunkType::OriginDisplayBounce,
        ChunkType::OriginFull,
    ];

    /// The type byte.
    pub const fn byte(self) -> u8 {
        match self {
            ChunkType::Ephemeral => 2,
            ChunkType::Origin => 4,
            ChunkType::Destination => 5,
            ChunkType::Common => 33,
            ChunkType::Other => 34,
            ChunkType::Display => 67,
            ChunkType::Attachment => 131,
            ChunkType::Tree => 225,
            ChunkType::AuthorFull => 226,
            ChunkType::OriginMetaBounce => 248,
            ChunkType::OriginDisplayBounce => 249,
            ChunkType::OriginFull => 255,
        }
    }

    /// The type for a byte, if this suite defines it.
    pub fn from_byte(byte: u8) -> Option<ChunkType> {
        ChunkType::ALL.into_iter().find(|t| t.byte() == byte)
    }

    /// A short name.
    pub const fn name(self) -> &'static str {
        match self {
            ChunkType::Ephemeral => "ephemeral",
            ChunkType::Origin => "origin",
            ChunkType::Destination => "destination",
            ChunkType::Common => "common headers",
            ChunkType::Other => "other headers",
            ChunkType::Display => "display",
            ChunkType::Attachment => "attachment",
            ChunkType::Tree => "tree signature",
            ChunkType::AuthorFull => "author full signature",
            ChunkType::OriginMetaBounce => "origin meta-bounce signature",
            ChunkType::OriginDisplayBounce => "origin display-bounce signature",
            ChunkType::OriginFull => "origin full signature",
        }
    }

    /// The actors holding a keyslot, in keyslot order (A, O, D, R).
    pub const fn actors(self) -> &'static [Actor] {
        use Actor::*;
        match self {
            ChunkType::Ephemeral => &[],
            ChunkType::Origin => &[Author, Origin, Recipient],
            ChunkType::Destination => &[Author, Destination, Recipient],
            ChunkType::Common | ChunkType::Other | ChunkType::Display | ChunkType::Attachment => &[Author, Recipient],
            ChunkType::Tree | ChunkType::AuthorFull => &[Author, Origin, Recipient],
            ChunkType::OriginMetaBounce | ChunkType::OriginDisplayBounce | ChunkType::OriginFull => {
                &[Author, Origin, Destination, Recipient]
            }
        }
    }

    /// Position of `actor`'s keyslot in this type, if it has one.
    pub fn slot_of(self, actor: Actor) -> Option<usize> {
        self.actors().iter().position(|a| *a == actor)
    }

    /// Total keyslot bytes of this type.
    pub const fn slots_len(self) -> usize {
        self.actors().len() * KEYSLOT_LEN
    }

    /// Whether the type is a part segment (may carry [`FLAG_SPANNING`]).
    pub const fn is_part(self) -> bool {
        matches!(self, ChunkType::Display | ChunkType::Attachment)
    }

    /// Whether the body is a standard plaintext (`u32 n ‖ data ‖ padding`).
    pub const fn is_standard(self) -> bool {
        matches!(
            self,
            ChunkType::Origin
                | ChunkType::Destination
                | ChunkType::Common
                | ChunkType::Other
                | ChunkType::Display
                | ChunkType::Attachment
        )
    }

    /// Whether the type is one of the origin's signatures (248, 249, 255).
    pub const fn is_origin_signature(self) -> bool {
        matches!(self, ChunkType::OriginMetaBounce | ChunkType::OriginDisplayBounce | ChunkType::OriginFull)
    }
}

impl fmt::Display for ChunkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.byte())
    }
}

/// A chunk header: `type ‖ flags ‖ u32 body length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    /// The chunk type.
    pub chunk_type: ChunkType,
    /// The flags byte.
    pub flags: u8,
    /// Body length (keyslots excluded).
    pub body_len: u32,
}

impl ChunkHeader {
    /// The 6 header bytes (also the AEAD associated data of the body).
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let len = self.body_len.to_be_bytes();
        [self.chunk_type.byte(), self.flags, len[0], len[1], len[2], len[3]]
    }

    /// Whether the spanning flag is set.
    pub const fn spanning(&self) -> bool {
        self.flags & FLAG_SPANNING != 0
    }

    /// Bytes of the whole chunk: header, body and keyslots.
    pub const fn chunk_len(&self) -> usize {
        HEADER_LEN + self.body_len as usize + self.chunk_type.slots_len()
    }
}

/// One chunk of a parsed object, borrowing its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawChunk<'a> {
    /// Position in the object (ephemeral = 0).
    pub index: usize,
    /// The decoded header.
    pub header: ChunkHeader,
    /// Offset of the chunk from the start of the input (tracing included).
    pub offset: usize,
    /// Header and body: the bytes of `D_i`.
    pub sealed: &'a [u8],
    /// The keyslots: the bytes of `S_i`.
    pub slots: &'a [u8],
}

impl<'a> RawChunk<'a> {
    /// The chunk type.
    pub fn chunk_type(&self) -> ChunkType {
        self.header.chunk_type
    }

    /// The 6 header bytes.
    pub fn header_bytes(&self) -> &'a [u8] {
        self.sealed.get(..HEADER_LEN).unwrap_or_default()
    }

    /// The body.
    pub fn body(&self) -> &'a [u8] {
        self.sealed.get(HEADER_LEN..).unwrap_or_default()
    }

    /// The keyslot of `actor`, or `None` when the type gives it none.
    pub fn slot(&self, actor: Actor) -> Option<&'a [u8]> {
        let at = self.header.chunk_type.slot_of(actor)? * KEYSLOT_LEN;
        self.slots.get(at..at + KEYSLOT_LEN)
    }
}
