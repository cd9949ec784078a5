//! Low-level: object framing (tracing prefix, message header) and the strict chunk grammar.
//!
//! To read a message, open it for its actor ([`crate::Envelope`], [`crate::StreamOpener`], the
//! relay verifiers) or describe it ([`crate::inspect()`]); [`Message`] and [`MessageLimits`]
//! are re-exported at the crate root. The rest is for this crate's readers and its tests.

use dime_core::codec::Reader;
use dime_core::header::{Header, Magic};

use crate::chunk::{
    COMMITMENT_LEN, ChunkHeader, ChunkType, EPHEMERAL_LEN_SUITE1, FLAG_ALTERNATE_ENCRYPTION, FLAG_COMPRESSED,
    FLAG_SPANNING, HEADER_LEN, RawChunk, SEAL_OVERHEAD, SIGNATURE_BODY_LEN, TAG_LEN,
};
use crate::error::{MessageError, Result};

/// Size of the message header: magic 1847 and a 4-byte length.
pub const MESSAGE_HEADER_LEN: usize = 6;

/// Limits on a message object read from the wire: its size, tracing prefix, chunks and parts.
///
/// Start from [`MessageLimits::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageLimits {
    /// Largest object, headers and tracing included.
    pub max_object: u64,
    /// Largest tracing prefix data.
    pub max_tracing: usize,
    /// Largest chunk body.
    pub max_chunk_body: usize,
    /// Largest number of chunks.
    pub max_chunks: usize,
    /// Largest number of parts (display and attachment together).
    pub max_parts: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        MessageLimits {
            max_object: u64::from(u32::MAX),
            max_tracing: 65_536,
            max_chunk_body: crate::segment::padme(crate::segment::MAX_SEGMENT + 4) + SEAL_OVERHEAD,
            max_chunks: 1 << 20,
            max_parts: 4096,
        }
    }
}

/// The tree chunk body size for `count` listed chunks.
pub const fn tree_body_len(count: usize) -> usize {
    SEAL_OVERHEAD + 4 + count * crate::tree::ENTRY_LEN + 64
}

/// Checks one chunk's flags.
pub(crate) fn check_flags(index: usize, header: &ChunkHeader) -> Result<()> {
    let flags = header.flags;
    if flags & FLAG_COMPRESSED != 0 {
        return Err(MessageError::CompressionUnsupported { index });
    }
    if flags & FLAG_ALTERNATE_ENCRYPTION != 0 {
        return Err(MessageError::AlternateEncryptionUnsupported { index });
    }
    let allowed = if header.chunk_type.is_part() { FLAG_SPANNING } else { 0 };
    if flags & !allowed != 0 {
        return Err(MessageError::BadFlags { index, flags });
    }
    Ok(())
}

/// The error text for an object of the suite 1 draft (or libdime): its ephemeral chunk has no
/// suite byte.
pub const SUITE1_OBJECT: &str = "33-byte ephemeral chunk without a suite byte (the suite 1 draft with SHA-512 digests, or libdime); this reader reads suite 2";

/// Checks the body length a type allows (origin signatures: 0 or sealed).
pub(crate) fn check_body_len(index: usize, header: &ChunkHeader) -> Result<()> {
    let len = header.body_len as usize;
    let t = header.chunk_type;
    let ok = match t {
        ChunkType::Ephemeral if len == EPHEMERAL_LEN_SUITE1 => {
            return Err(MessageError::UnsupportedFormat(SUITE1_OBJECT));
        }
        ChunkType::Ephemeral => crate::hybrid::is_ephemeral_len(len),
        ChunkType::Tree => len >= tree_body_len(0) && (len - tree_body_len(0)).is_multiple_of(crate::tree::ENTRY_LEN),
        ChunkType::AuthorFull => len == SIGNATURE_BODY_LEN,
        _ if t.is_origin_signature() => len == 0 || len == SIGNATURE_BODY_LEN,
        _ => len >= COMMITMENT_LEN + 4 + TAG_LEN,
    };
    if ok { Ok(()) } else { Err(MessageError::BadBodyLength { index, chunk_type: t.byte(), len }) }
}

/// Whether a type must appear.
const fn required(t: ChunkType) -> bool {
    !matches!(t, ChunkType::Other | ChunkType::Display | ChunkType::Attachment)
}

/// The strict chunk order, checked one header at a time (shared by the in-memory parser and the
/// streaming reader).
#[derive(Debug, Clone, Default)]
pub struct Grammar {
    last: Option<ChunkType>,
    spanning: bool,
    parts: usize,
    chunks: usize,
    sealed: Option<bool>,
}

impl Grammar {
    /// A grammar at the start of an object.
    pub fn new() -> Grammar {
        Grammar::default()
    }

    /// Whether the origin signatures seen so far are sealed (`None` before 248).
    pub fn countersigned(&self) -> Option<bool> {
        self.sealed
    }

    /// Accepts the next chunk header or says exactly why not.
    pub fn next(&mut self, index: usize, header: &ChunkHeader, limits: &MessageLimits) -> Result<()> {
        self.chunks += 1;
        if self.chunks > limits.max_chunks {
            return Err(MessageError::TooLarge {
                what: "chunk count",
                size: self.chunks as u64,
                limit: limits.max_chunks as u64,
            });
        }
        let t = header.chunk_type;
        if self.spanning && Some(t) != self.last {
            return Err(MessageError::UnterminatedSpan { index, chunk_type: self.last.map_or(0, ChunkType::byte) });
        }
        let continuing = self.spanning;
        let in_order = match self.last {
            None => true,
            Some(last) => t > last || (t == last && t.is_part()),
        };
        // The first type this chunk may not skip: the earliest required type after `last`.
        let skipped = ChunkType::ALL
            .into_iter()
            .filter(|x| self.last.is_none_or(|last| *x > last) && *x < t)
            .find(|x| required(*x));
        if !in_order || skipped.is_some() {
            return Err(MessageError::UnexpectedChunk { index, found: t.byte(), expected: self.expected() });
        }
        check_flags(index, header)?;
        check_body_len(index, header)?;
        if t.is_part() && !continuing {
            self.parts += 1;
            if self.parts > limits.max_parts {
                return Err(MessageError::TooLarge {
                    what: "part count",
                    size: self.parts as u64,
                    limit: limits.max_parts as u64,
                });
            }
        }
        if t.is_origin_signature() {
            let sealed = header.body_len != 0;
            if self.sealed.is_some_and(|s| s != sealed) {
                return Err(MessageError::MixedCountersignature);
            }
            self.sealed = Some(sealed);
        }
        self.spanning = header.spanning();
        self.last = Some(t);
        Ok(())
    }

    /// What may come next, for error messages.
    fn expected(&self) -> &'static str {
        let next_required = ChunkType::ALL.into_iter().find(|x| self.last.is_none_or(|last| *x > last) && required(*x));
        match (self.last, next_required) {
            (_, None) => "end of object",
            (Some(ChunkType::Common), Some(_)) => "other headers, display, attachment or tree",
            (Some(ChunkType::Other | ChunkType::Display), Some(_)) => "display, attachment or tree",
            (Some(ChunkType::Attachment), Some(_)) => "attachment or tree",
            (_, Some(t)) => t.name(),
        }
    }

    /// Checks that the object is complete.
    pub fn finish(&self) -> Result<()> {
        if self.spanning {
            return Err(MessageError::MissingChunk { expected: "part continuation" });
        }
        match self.last {
            Some(ChunkType::OriginFull) => Ok(()),
            _ => Err(MessageError::MissingChunk { expected: self.expected() }),
        }
    }
}

/// Reads a chunk header from 6 bytes, rejecting unknown types.
pub fn read_header(index: usize, bytes: &[u8]) -> Result<ChunkHeader> {
    let [t, flags, a, b, c, d] = <[u8; HEADER_LEN]>::try_from(bytes).map_err(|_| MessageError::Truncated {
        what: "chunk header",
        available: bytes.len(),
        needed: HEADER_LEN,
    })?;
    let chunk_type = ChunkType::from_byte(t).ok_or(MessageError::UnknownChunkType { index, chunk_type: t })?;
    Ok(ChunkHeader { chunk_type, flags, body_len: u32::from_be_bytes([a, b, c, d]) })
}

/// Checks a header's body length against the limit before anything is read.
pub fn check_limit(header: &ChunkHeader, limits: &MessageLimits) -> Result<()> {
    if header.body_len as usize > limits.max_chunk_body {
        return Err(MessageError::TooLarge {
            what: "chunk body",
            size: u64::from(header.body_len),
            limit: limits.max_chunk_body as u64,
        });
    }
    Ok(())
}

/// The framing at the start of an object: the tracing prefix, if any, and the declared length
/// of the chunk bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing<'a> {
    /// The tracing data.
    pub tracing: Option<&'a [u8]>,
    /// Declared number of chunk bytes.
    pub chunks_len: u32,
    /// Offset of the first chunk.
    pub start: usize,
}

/// Reads the framing from the start of `bytes`, which may hold only a prefix of the object.
/// Returns `Ok(None)` when more bytes are needed to decide.
pub fn read_framing<'a>(bytes: &'a [u8], limits: &MessageLimits) -> Result<Option<Framing<'a>>> {
    let mut r = Reader::new(bytes);
    let Some(mut magic) = r.uint(2) else {
        return Ok(None);
    };
    let mut tracing = None;
    if magic == u32::from(Magic::Tracing.number()) {
        let Some(len) = r.uint(4) else {
            return Ok(None);
        };
        if len as usize > limits.max_tracing {
            return Err(MessageError::TooLarge {
                what: "tracing prefix",
                size: u64::from(len),
                limit: limits.max_tracing as u64,
            });
        }
        let Some(data) = r.take(len as usize) else {
            return Ok(None);
        };
        tracing = Some(data);
        let Some(next) = r.uint(2) else {
            return Ok(None);
        };
        if next == u32::from(Magic::Tracing.number()) {
            return Err(MessageError::DoubleTracing);
        }
        magic = next;
    }
    if magic != u32::from(Magic::Message.number()) {
        return Err(MessageError::NotAMessage { found: magic as u16 });
    }
    let Some(chunks_len) = r.uint(4) else {
        return Ok(None);
    };
    let total = r.position() as u64 + u64::from(chunks_len);
    if total > limits.max_object {
        return Err(MessageError::TooLarge { what: "object", size: total, limit: limits.max_object });
    }
    Ok(Some(Framing { tracing, chunks_len, start: r.position() }))
}

/// Writes the tracing prefix (if any) and the message header for `chunks_len` chunk bytes.
pub fn write_framing(out: &mut Vec<u8>, tracing: Option<&[u8]>, chunks_len: usize) -> Result<()> {
    if let Some(tracing) = tracing {
        Header { magic: Magic::Tracing, payload_len: tracing.len() }.write(out)?;
        out.extend_from_slice(tracing);
    }
    Header { magic: Magic::Message, payload_len: chunks_len }.write(out)?;
    Ok(())
}

/// A message object parsed for structure: framing, grammar and limits. No key is used and no
/// digest computed; see [`crate::open`] for meaning.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    bytes: &'a [u8],
    tracing: Option<&'a [u8]>,
    chunks: Vec<RawChunk<'a>>,
    countersigned: bool,
}

impl<'a> Message<'a> {
    /// Parses a whole object strictly.
    pub fn parse(bytes: &'a [u8], limits: &MessageLimits) -> Result<Message<'a>> {
        let framing = read_framing(bytes, limits)?.ok_or(MessageError::Truncated {
            what: "message header",
            available: bytes.len(),
            needed: MESSAGE_HEADER_LEN,
        })?;
        let available = bytes.len() - framing.start;
        if framing.chunks_len as usize != available {
            return Err(MessageError::LengthMismatch { declared: framing.chunks_len as usize, available });
        }
        let mut r = Reader::new(bytes);
        r.take(framing.start);
        let mut grammar = Grammar::new();
        let mut chunks = Vec::new();
        while !r.is_empty() {
            let index = chunks.len();
            let offset = r.position();
            let head = r.take(HEADER_LEN).ok_or(MessageError::Truncated {
                what: "chunk header",
                available: r.remaining(),
                needed: HEADER_LEN,
            })?;
            let header = read_header(index, head)?;
            check_limit(&header, limits)?;
            grammar.next(index, &header, limits)?;
            let rest = header.body_len as usize + header.chunk_type.slots_len();
            let remaining = r.remaining();
            let tail =
                r.take(rest).ok_or(MessageError::Truncated { what: "chunk", available: remaining, needed: rest })?;
            let body_len = header.body_len as usize;
            chunks.push(RawChunk {
                index,
                header,
                offset,
                sealed: bytes.get(offset..offset + HEADER_LEN + body_len).unwrap_or_default(),
                slots: tail.get(body_len..).unwrap_or_default(),
            });
        }
        grammar.finish()?;
        Ok(Message { bytes, tracing: framing.tracing, chunks, countersigned: grammar.countersigned() == Some(true) })
    }

    /// The exact input bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The opaque tracing data, if the object has a tracing prefix.
    pub fn tracing(&self) -> Option<&'a [u8]> {
        self.tracing
    }

    /// The chunks in wire order.
    pub fn chunks(&self) -> &[RawChunk<'a>] {
        &self.chunks
    }

    /// Whether the origin has sealed its signatures.
    pub fn is_countersigned(&self) -> bool {
        self.countersigned
    }

    /// The first chunk of a type.
    pub fn find(&self, t: ChunkType) -> Option<&RawChunk<'a>> {
        self.chunks.iter().find(|c| c.chunk_type() == t)
    }

    /// Index of the first chunk of a type (every required type is present after parsing).
    pub fn index_of(&self, t: ChunkType) -> usize {
        self.find(t).map_or(0, |c| c.index)
    }

    /// The X25519 ephemeral public key `E` of the ephemeral chunk, classical or hybrid.
    pub fn ephemeral(&self) -> Result<[u8; 32]> {
        let body = self.ephemeral_body();
        if body.get(1) == Some(&crate::hybrid::HYBRID_FORMAT) {
            return crate::hybrid::HybridEphemeral::parse(body).map(|h| h.ephemeral);
        }
        crate::crypto::decode_ephemeral(body)
    }

    /// Which keyslots are hybrid (decision D8): none for a classical `0x40` ephemeral chunk.
    pub fn kinds(&self) -> Result<crate::hybrid::Kinds> {
        let body = self.ephemeral_body();
        if body.get(1) == Some(&crate::hybrid::HYBRID_FORMAT) {
            return crate::hybrid::HybridEphemeral::parse(body).map(|h| h.kinds);
        }
        crate::crypto::decode_ephemeral(body).map(|_| crate::hybrid::Kinds::NONE)
    }

    fn ephemeral_body(&self) -> &'a [u8] {
        self.find(ChunkType::Ephemeral).map(RawChunk::body).unwrap_or_default()
    }

    /// The signature section: every byte from the tree chunk to the end of the object.
    pub fn signature_section(&self) -> &'a [u8] {
        let start = self.find(ChunkType::Tree).map_or(self.bytes.len(), |c| c.offset);
        self.bytes.get(start..).unwrap_or_default()
    }

    /// The chunk bytes (everything after the message header).
    pub fn chunk_bytes(&self) -> &'a [u8] {
        let start = self.chunks.first().map_or(self.bytes.len(), |c| c.offset);
        self.bytes.get(start..).unwrap_or_default()
    }

    /// The same object with its tracing prefix replaced (`None` removes it).
    pub fn with_tracing(&self, tracing: Option<&[u8]>) -> Result<Vec<u8>> {
        let chunks = self.chunk_bytes();
        let mut out = Vec::with_capacity(chunks.len() + 12 + tracing.map_or(0, <[u8]>::len));
        write_framing(&mut out, tracing, chunks.len())?;
        out.extend_from_slice(chunks);
        Ok(out)
    }
}
