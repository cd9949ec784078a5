//! Incremental parsing for the servers: the framing and every chunk header are read as bytes
//! arrive, under the same limits and grammar as [`crate::Message::parse`]; each chunk is reduced to
//! its digests on the fly, and only the chunk types the caller names are held whole.

use crate::chunk::{ChunkHeader, ChunkType, HEADER_LEN, RawChunk};
use crate::error::{MessageError, Result};
use crate::object_hash::{OBJECT_HASH_LEN, ObjectHash};
use crate::tree::Entry;
use crate::wire::{Grammar, MESSAGE_HEADER_LEN, MessageLimits, check_limit, read_framing, read_header};

/// A chunk held whole: its position, header and bytes (header, body and keyslots).
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub index: usize,
    pub header: ChunkHeader,
    pub bytes: Vec<u8>,
}

impl Held {
    /// The chunk as the in-memory parser would have produced it (offset unknown, so 0).
    pub fn raw(&self) -> RawChunk<'_> {
        let body_end = HEADER_LEN + self.header.body_len as usize;
        RawChunk {
            index: self.index,
            header: self.header,
            offset: 0,
            sealed: self.bytes.get(..body_end).unwrap_or_default(),
            slots: self.bytes.get(body_end..).unwrap_or_default(),
        }
    }
}

/// The chunk being read.
struct Current {
    header: ChunkHeader,
    /// Bytes of the chunk received after its header.
    received: usize,
    held: Option<Vec<u8>>,
}

enum Phase {
    /// Collecting the tracing prefix and message header.
    Framing(Vec<u8>),
    /// Collecting a chunk header (`len` bytes so far).
    Header { bytes: [u8; HEADER_LEN], len: usize },
    /// Inside a chunk.
    Chunk(Box<Current>),
}

/// What a completed scan found.
#[derive(Debug, Clone)]
pub(crate) struct Scanned {
    pub tracing: Option<Vec<u8>>,
    pub types: Vec<ChunkType>,
    pub entries: Vec<Entry>,
    pub held: Vec<Held>,
    pub countersigned: bool,
}

/// Reads an object incrementally. Memory: the framing, one chunk header, the held chunks and
/// 65 bytes per chunk (its type and digests); never a chunk body that is not held.
pub(crate) struct Scanner {
    limits: MessageLimits,
    hold: fn(ChunkType) -> bool,
    phase: Phase,
    tracing: Option<Vec<u8>>,
    declared: u64,
    consumed: u64,
    grammar: Grammar,
    types: Vec<ChunkType>,
    /// The object hash (D9), whose walk computes every chunk's digests: the scanner takes them
    /// from it, so each byte is hashed once. It goes on after an error, without the digests.
    walk: ObjectHash,
    held: Vec<Held>,
    settled: u64,
    /// The first error: every later call returns it.
    failed: Option<MessageError>,
}

impl core::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scanner").field("chunks", &self.types.len()).field("consumed", &self.consumed).finish()
    }
}

/// Bytes still needed before [`read_framing`] can decide, given the prefix collected so far.
fn framing_need(prefix: &[u8]) -> usize {
    match prefix {
        [_, _, a, b, c, d, ..] => {
            // Only a tracing prefix leaves the framing undecided after 6 bytes.
            let tracing = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
            (2 * MESSAGE_HEADER_LEN).saturating_add(tracing).saturating_sub(prefix.len()).max(1)
        }
        _ => MESSAGE_HEADER_LEN - prefix.len(),
    }
}

impl Scanner {
    /// A scanner that holds whole the chunks whose type `hold` accepts.
    pub fn new(limits: &MessageLimits, hold: fn(ChunkType) -> bool) -> Scanner {
        Scanner {
            limits: *limits,
            hold,
            phase: Phase::Framing(Vec::new()),
            tracing: None,
            declared: 0,
            consumed: 0,
            grammar: Grammar::new(),
            types: Vec::new(),
            walk: ObjectHash::keeping_entries(),
            held: Vec::new(),
            settled: 0,
            failed: None,
        }
    }

    /// Whether the framing has been read.
    pub fn framing(&self) -> Option<(Option<&[u8]>, u32)> {
        match self.phase {
            Phase::Framing(_) => None,
            _ => Some((self.tracing.as_deref(), self.declared as u32)),
        }
    }

    /// Chunk bytes read so far (framing excluded).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Chunk bytes known to come before the first origin signature chunk (248): those a
    /// countersigning relay may pass on before the end.
    pub fn settled(&self) -> u64 {
        self.settled
    }

    /// Bytes held: buffers, the held chunks and the digest list (capacities, not lengths).
    pub fn retained(&self) -> usize {
        let phase = match &self.phase {
            Phase::Framing(b) => b.capacity(),
            Phase::Header { .. } => 0,
            Phase::Chunk(c) => c.held.as_ref().map_or(0, Vec::capacity),
        };
        phase
            + self.tracing.as_ref().map_or(0, Vec::capacity)
            + self.types.capacity() * core::mem::size_of::<ChunkType>()
            + self.walk.retained()
            + self.held.capacity() * core::mem::size_of::<Held>()
            + self.held.iter().map(|h| h.bytes.capacity()).sum::<usize>()
    }

    /// Takes the next bytes of the object. After an error, every later call returns it again
    /// (and the object hash still takes the bytes).
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        self.walk.update(data);
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.read(data);
        if let Err(e) = &result {
            self.stop(e.clone());
        }
        result
    }

    /// Fails with `error` and frees everything held; the object hash goes on taking bytes.
    pub fn stop(&mut self, error: MessageError) {
        self.failed = Some(error);
        self.walk.drop_entries();
        self.phase = Phase::Header { bytes: [0; HEADER_LEN], len: 0 };
        self.tracing = None;
        self.types = Vec::new();
        self.held = Vec::new();
    }

    /// The object hash (D9) of the bytes fed so far, as if they were the whole object.
    pub fn object_hash(&self) -> [u8; OBJECT_HASH_LEN] {
        self.walk.value()
    }

    fn read(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = match &mut self.phase {
                Phase::Framing(prefix) => {
                    let n = framing_need(prefix).min(data.len());
                    prefix.extend_from_slice(data.get(..n).unwrap_or_default());
                    if let Some(framing) = read_framing(prefix, &self.limits)? {
                        self.tracing = framing.tracing.map(<[u8]>::to_vec);
                        self.declared = u64::from(framing.chunks_len);
                        self.phase = Phase::Header { bytes: [0; HEADER_LEN], len: 0 };
                    }
                    data = data.get(n..).unwrap_or_default();
                    continue;
                }
                Phase::Header { bytes, len } => {
                    let n = (HEADER_LEN - *len).min(data.len());
                    if let (Some(to), Some(from)) = (bytes.get_mut(*len..*len + n), data.get(..n)) {
                        to.copy_from_slice(from);
                    }
                    *len += n;
                    n
                }
                Phase::Chunk(current) => {
                    let header = current.header;
                    let body = header.body_len as usize;
                    let total = body + header.chunk_type.slots_len();
                    let n = (total - current.received).min(data.len());
                    let piece = data.get(..n).unwrap_or_default();
                    if let Some(held) = current.held.as_mut() {
                        held.extend_from_slice(piece);
                    }
                    current.received += n;
                    if !header.chunk_type.is_origin_signature() {
                        self.settled += n as u64;
                    }
                    n
                }
            };
            self.consumed += n as u64;
            if self.consumed > self.declared {
                return Err(MessageError::LengthMismatch {
                    declared: self.declared as usize,
                    available: self.consumed as usize,
                });
            }
            data = data.get(n..).unwrap_or_default();
            self.step()?;
        }
        Ok(())
    }

    /// Moves to the next phase when the current unit is complete.
    fn step(&mut self) -> Result<()> {
        let index = self.types.len();
        match &mut self.phase {
            Phase::Framing(_) => {}
            Phase::Header { bytes, len } => {
                if *len == HEADER_LEN {
                    let header = read_header(index, bytes)?;
                    check_limit(&header, &self.limits)?;
                    self.grammar.next(index, &header, &self.limits)?;
                    if !header.chunk_type.is_origin_signature() {
                        self.settled += HEADER_LEN as u64;
                    }
                    // The header only claims a length: the held copy grows with the bytes that
                    // arrive, so six bytes cannot make the scanner reserve a whole chunk.
                    let held = (self.hold)(header.chunk_type).then(|| bytes.to_vec());
                    self.phase = Phase::Chunk(Box::new(Current { header, received: 0, held }));
                    // A chunk may have nothing after its header.
                    return self.step();
                }
            }
            Phase::Chunk(current) => {
                let header = current.header;
                if current.received == header.chunk_len() - HEADER_LEN {
                    let Phase::Chunk(done) =
                        core::mem::replace(&mut self.phase, Phase::Header { bytes: [0; HEADER_LEN], len: 0 })
                    else {
                        return Ok(());
                    };
                    let Current { held, .. } = *done;
                    self.types.push(header.chunk_type);
                    if let Some(bytes) = held {
                        self.held.push(Held { index, header, bytes });
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the input: the same checks, in the same order, as the in-memory parser's at the end.
    pub fn finish(mut self) -> Result<Scanned> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let (received, phase) = match self.phase {
            Phase::Framing(prefix) => {
                return Err(MessageError::Truncated {
                    what: "message header",
                    available: prefix.len(),
                    needed: MESSAGE_HEADER_LEN,
                });
            }
            Phase::Header { len, .. } => (len, None),
            Phase::Chunk(current) => (current.received, Some(current.header)),
        };
        if self.consumed != self.declared {
            return Err(MessageError::LengthMismatch {
                declared: self.declared as usize,
                available: self.consumed as usize,
            });
        }
        match phase {
            Some(header) => {
                return Err(MessageError::Truncated {
                    what: "chunk",
                    available: received,
                    needed: header.chunk_len() - HEADER_LEN,
                });
            }
            None if received > 0 => {
                return Err(MessageError::Truncated { what: "chunk header", available: received, needed: HEADER_LEN });
            }
            None => {}
        }
        self.grammar.finish()?;
        // The walk read the same chunks, so it holds exactly their digests.
        let mut entries = self.walk.take_entries();
        entries.truncate(self.types.len());
        Ok(Scanned {
            tracing: self.tracing,
            types: self.types,
            entries,
            held: self.held,
            countersigned: self.grammar.countersigned() == Some(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::chunk::{FLAG_SPANNING, SIGNATURE_BODY_LEN};
    use crate::wire::{Message, tree_body_len, write_framing};

    /// A structurally valid object (no valid cryptography): `parts` lists each part's segment
    /// body lengths; every byte after a header is `fill`.
    fn object(tracing: Option<&[u8]>, parts: &[Vec<u16>], countersigned: bool, fill: u8) -> Vec<u8> {
        let mut chunks: Vec<(ChunkType, u8, usize)> = vec![
            (ChunkType::Ephemeral, 0, crate::chunk::EPHEMERAL_LEN),
            (ChunkType::Origin, 0, 60),
            (ChunkType::Destination, 0, 60),
        ];
        chunks.push((ChunkType::Common, 0, 300));
        for (i, segments) in parts.iter().enumerate() {
            let t = if i % 2 == 0 { ChunkType::Display } else { ChunkType::Attachment };
            let t = if parts.len() > 1 && i == parts.len() - 1 { ChunkType::Attachment } else { t };
            for (j, len) in segments.iter().enumerate() {
                let flags = if j + 1 < segments.len() { FLAG_SPANNING } else { 0 };
                chunks.push((t, flags, 52 + usize::from(*len)));
            }
        }
        // Parts alternate types above; the grammar wants all display parts first.
        chunks.sort_by_key(|(t, ..)| *t);
        let count = chunks.len();
        chunks.push((ChunkType::Tree, 0, tree_body_len(count)));
        chunks.push((ChunkType::AuthorFull, 0, SIGNATURE_BODY_LEN));
        let sig = if countersigned { SIGNATURE_BODY_LEN } else { 0 };
        for t in [ChunkType::OriginMetaBounce, ChunkType::OriginDisplayBounce, ChunkType::OriginFull] {
            chunks.push((t, 0, sig));
        }
        let mut body = Vec::new();
        for (i, (t, flags, len)) in chunks.into_iter().enumerate() {
            let header = ChunkHeader { chunk_type: t, flags, body_len: len as u32 };
            body.extend_from_slice(&header.encode());
            let byte = fill.wrapping_add(i as u8);
            body.resize(body.len() + len + t.slots_len(), byte);
        }
        let mut out = Vec::new();
        write_framing(&mut out, tracing, body.len()).unwrap();
        out.extend_from_slice(&body);
        out
    }

    fn scan(bytes: &[u8], sizes: &[usize]) -> Result<Scanned> {
        let mut scanner = Scanner::new(&MessageLimits::default(), |_| true);
        let mut rest = bytes;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at((*size).clamp(1, rest.len()));
            scanner.feed(piece)?;
            rest = tail;
        }
        scanner.finish()
    }

    proptest! {
        #[test]
        fn streamed_scan_equals_the_in_memory_parse(
            tracing in proptest::option::of(prop::collection::vec(any::<u8>(), 0..40)),
            parts in prop::collection::vec(prop::collection::vec(0u16..600, 1..4), 0..5),
            countersigned: bool,
            fill: u8,
            sizes in prop::collection::vec(1usize..500, 1..8),
        ) {
            let bytes = object(tracing.as_deref(), &parts, countersigned, fill);
            let message = Message::parse(&bytes, &MessageLimits::default()).unwrap();
            let scanned = scan(&bytes, &sizes).unwrap();
            prop_assert_eq!(scanned.tracing.as_deref(), message.tracing());
            prop_assert_eq!(scanned.countersigned, message.is_countersigned());
            let entries: Vec<Entry> = message.chunks().iter().map(Entry::of).collect();
            prop_assert_eq!(&scanned.entries, &entries);
            let types: Vec<ChunkType> = message.chunks().iter().map(RawChunk::chunk_type).collect();
            prop_assert_eq!(&scanned.types, &types);
            let held: Vec<RawChunk<'_>> = scanned.held.iter().map(Held::raw).collect();
            let expected: Vec<RawChunk<'_>> =
                message.chunks().iter().map(|c| RawChunk { offset: 0, ..*c }).collect();
            prop_assert_eq!(held, expected);
        }
    }

    #[test]
    fn only_the_named_chunks_are_held() {
        let bytes = object(None, &[vec![5000, 5000]], true, 1);
        let mut scanner = Scanner::new(&MessageLimits::default(), |t| t == ChunkType::Ephemeral);
        scanner.feed(&bytes).unwrap();
        // The digest list, not the 10,000 bytes of the part.
        assert!(scanner.retained() < 4096, "{} bytes", scanner.retained());
        let scanned = scanner.finish().unwrap();
        assert_eq!(scanned.held.len(), 1);
        assert_eq!(scanned.held[0].raw().body(), &[1; crate::chunk::EPHEMERAL_LEN][..]);
        assert_eq!(scanned.entries.len(), 11);
    }

    #[test]
    fn settled_stops_at_the_first_origin_signature() {
        let bytes = object(Some(b"hop"), &[vec![10]], false, 3);
        let message = Message::parse(&bytes, &MessageLimits::default()).unwrap();
        let first = message.find(ChunkType::OriginMetaBounce).unwrap().offset;
        let start = message.chunks()[0].offset;
        let mut scanner = Scanner::new(&MessageLimits::default(), |_| false);
        for b in &bytes {
            scanner.feed(core::slice::from_ref(b)).unwrap();
        }
        assert_eq!(scanner.settled(), (first - start) as u64);
        assert_eq!(scanner.consumed(), (bytes.len() - start) as u64);
    }
}
