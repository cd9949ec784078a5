//! The object hash (decision D9): the hash of a whole object that DMTP's `DATA [hash]` carries,
//! computed from the chunk digests `D_i`, `S_i` (§5) so that whoever computes those digests gets
//! the object hash with no second pass over the bytes (`docs/dmtp.md` §3 is normative).
//!
//! The bytes are split into pieces by a structural walk that reads only lengths and chunk types
//! (no limit, grammar or cryptography), and each piece contributes one record to BLAKE3 in
//! derive-key mode under [`CONTEXT`]; the first 64 bytes of its extended output are the hash:
//!
//! | piece | record |
//! | --- | --- |
//! | the framing: tracing prefix (if any) and message header, as on the wire | `0x01 ‖ H(framing)` |
//! | a chunk of a type of §3: header, body, keyslots (fewer at the end of the bytes) | `0x02 ‖ H(header ‖ body) ‖ H(keyslots)` |
//! | the rest, where the walk stops: from the object's start (bad or short framing) or from a chunk header of an unknown type or one cut short | `0x03 ‖ H(rest)` |
//!
//! `H` is BLAKE3-256. For a valid object the records are the framing's and one `0x02 ‖ D_i ‖ S_i`
//! per chunk: the chunk digests of the signatures, taken as they are. Every byte string has a
//! hash, and two byte strings with the same records are equal unless BLAKE3 collides.

use crate::chunk::{ChunkType, HEADER_LEN};
use crate::crypto::Hasher;
use crate::tree::Entry;
use crate::wire::MESSAGE_HEADER_LEN;

/// The BLAKE3 derive-key context of the object hash.
pub const CONTEXT: &str = "dime-rs/2 object hash";
/// Length of the object hash: the first 64 bytes of BLAKE3's extended output.
pub const OBJECT_HASH_LEN: usize = 64;

const FRAMING: u8 = 0x01;
const CHUNK: u8 = 0x02;
const REST: u8 = 0x03;
const TRACING_MAGIC: [u8; 2] = 1837u16.to_be_bytes();
const MESSAGE_MAGIC: [u8; 2] = 1847u16.to_be_bytes();

/// An object with its object hash, computed while the object was made (from the digests its
/// signatures needed), so nobody hashes it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedObject {
    /// The object's bytes.
    pub object: Vec<u8>,
    /// Its object hash: [`ObjectHash::of`] of `object`.
    pub hash: [u8; OBJECT_HASH_LEN],
}

/// Where the walk is. One per [`ObjectHash`], so the size of its largest variant (two BLAKE3
/// states) costs nothing worth a box per chunk.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
enum Walk {
    /// In the framing: `hash` over its bytes so far (`seen`), the first six kept in `head`, and
    /// the magic that ends it at `end − 6` once a tracing prefix gave its length.
    Framing { hash: Hasher, seen: u64, head: [u8; MESSAGE_HEADER_LEN], end: Option<u64>, magic: [u8; 2] },
    /// Collecting a chunk header.
    Header { bytes: [u8; HEADER_LEN], len: usize },
    /// Inside a chunk of a known type: body and keyslot bytes still to come.
    Chunk { sealed: Hasher, slots: Hasher, body: u64, keyslots: u64 },
    /// The rest of the bytes, from where the walk stopped.
    Rest(Hasher),
}

/// The object hash, computed incrementally as the object's bytes pass by.
#[derive(Debug, Clone)]
pub struct ObjectHash {
    walk: Walk,
    out: blake3::Hasher,
    /// Each complete chunk's digests, kept for a scanner that reads the same bytes.
    entries: Option<Vec<Entry>>,
}

impl Default for ObjectHash {
    fn default() -> ObjectHash {
        ObjectHash::new()
    }
}

impl ObjectHash {
    /// A hash over no bytes yet.
    pub fn new() -> ObjectHash {
        ObjectHash {
            walk: Walk::Framing {
                hash: Hasher::new(),
                seen: 0,
                head: [0; MESSAGE_HEADER_LEN],
                end: None,
                magic: [0; 2],
            },
            out: blake3::Hasher::new_derive_key(CONTEXT),
            entries: None,
        }
    }

    /// The object hash of `object`.
    pub fn of(object: &[u8]) -> [u8; OBJECT_HASH_LEN] {
        let mut hash = ObjectHash::new();
        hash.update(object);
        hash.value()
    }

    /// The object hash of a valid object, from its framing bytes and its chunks' digests: what a
    /// writer that made the digests for the signatures computes with no pass over the chunks.
    pub fn of_digests(framing: &[u8], entries: &[Entry]) -> [u8; OBJECT_HASH_LEN] {
        let mut out = blake3::Hasher::new_derive_key(CONTEXT);
        out.update(&[FRAMING]);
        out.update(blake3::hash(framing).as_bytes());
        for entry in entries {
            chunk_record(&mut out, &entry.sealed, &entry.slots);
        }
        finish(&out)
    }

    /// Keeps each complete chunk's digests for [`ObjectHash::take_entries`] (a scanner's).
    pub(crate) fn keeping_entries() -> ObjectHash {
        ObjectHash { entries: Some(Vec::new()), ..ObjectHash::new() }
    }

    /// Stops keeping digests (and frees them): the hash goes on.
    pub(crate) fn drop_entries(&mut self) {
        self.entries = None;
    }

    /// Takes the kept digests.
    pub(crate) fn take_entries(&mut self) -> Vec<Entry> {
        self.entries.take().unwrap_or_default()
    }

    /// Heap bytes held (the kept digests).
    pub(crate) fn retained(&self) -> usize {
        self.entries.as_ref().map_or(0, |e| e.capacity() * core::mem::size_of::<Entry>())
    }

    /// Adds the next bytes of the object.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = match &mut self.walk {
                Walk::Framing { hash, seen, head, end, magic } => {
                    let n = framing_take(*seen, *end, data.len());
                    let piece = data.get(..n).unwrap_or_default();
                    hash.update(piece);
                    for (i, byte) in piece.iter().enumerate() {
                        let at = *seen + i as u64;
                        if let Some(slot) = head.get_mut(at as usize).filter(|_| at < MESSAGE_HEADER_LEN as u64) {
                            *slot = *byte;
                        }
                        if let Some(end) = *end
                            && (at + 6 == end || at + 5 == end)
                        {
                            magic[(at + 6 - end) as usize] = *byte;
                        }
                    }
                    *seen += n as u64;
                    n
                }
                Walk::Header { bytes, len } => {
                    let n = (HEADER_LEN - *len).min(data.len());
                    if let (Some(to), Some(from)) = (bytes.get_mut(*len..*len + n), data.get(..n)) {
                        to.copy_from_slice(from);
                    }
                    *len += n;
                    n
                }
                Walk::Chunk { sealed, slots, body, keyslots } => {
                    let in_body = usize::try_from(*body).unwrap_or(usize::MAX).min(data.len());
                    let rest = data.get(in_body..).unwrap_or_default();
                    let in_slots = usize::try_from(*keyslots).unwrap_or(usize::MAX).min(rest.len());
                    sealed.update(data.get(..in_body).unwrap_or_default());
                    slots.update(rest.get(..in_slots).unwrap_or_default());
                    *body -= in_body as u64;
                    *keyslots -= in_slots as u64;
                    in_body + in_slots
                }
                Walk::Rest(hash) => {
                    hash.update(data);
                    data.len()
                }
            };
            data = data.get(n..).unwrap_or_default();
            self.step();
        }
    }

    /// Moves on when the current piece is complete (or is found to be the rest).
    fn step(&mut self) {
        match &mut self.walk {
            Walk::Framing { hash, seen, head, end, magic } => match (*end, *seen) {
                // Too short to decide.
                (None, seen) if seen < 2 || (seen < MESSAGE_HEADER_LEN as u64 && head[..2] == TRACING_MAGIC) => {}
                (None, _) if head[..2] == TRACING_MAGIC => {
                    let tracing = u32::from_be_bytes([head[2], head[3], head[4], head[5]]);
                    *end = Some(2 * MESSAGE_HEADER_LEN as u64 + u64::from(tracing));
                }
                (None, seen) if head[..2] == MESSAGE_MAGIC => {
                    if seen == MESSAGE_HEADER_LEN as u64 {
                        let framing = hash.finalize();
                        self.framed(&framing);
                    }
                }
                (None, _) => self.walk = Walk::Rest(hash.clone()),
                (Some(at), seen) if seen == at => {
                    if *magic == MESSAGE_MAGIC {
                        let framing = hash.finalize();
                        self.framed(&framing);
                    } else {
                        self.walk = Walk::Rest(hash.clone());
                    }
                }
                (Some(_), _) => {}
            },
            Walk::Header { bytes, len } if *len == HEADER_LEN => match ChunkType::from_byte(bytes[0]) {
                Some(t) => {
                    let mut sealed = Hasher::new();
                    sealed.update(bytes);
                    let body = u64::from(u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]));
                    self.walk = Walk::Chunk { sealed, slots: Hasher::new(), body, keyslots: t.slots_len() as u64 };
                    // A chunk may end at its header.
                    self.step();
                }
                None => {
                    let mut rest = Hasher::new();
                    rest.update(bytes);
                    self.walk = Walk::Rest(rest);
                }
            },
            Walk::Chunk { sealed, slots, body: 0, keyslots: 0 } => {
                let entry = Entry { sealed: sealed.finalize(), slots: slots.finalize() };
                chunk_record(&mut self.out, &entry.sealed, &entry.slots);
                if let Some(entries) = self.entries.as_mut() {
                    entries.push(entry);
                }
                self.walk = Walk::Header { bytes: [0; HEADER_LEN], len: 0 };
            }
            Walk::Header { .. } | Walk::Chunk { .. } | Walk::Rest(_) => {}
        }
    }

    /// The framing is complete: its record, then the chunks.
    fn framed(&mut self, framing: &[u8; 32]) {
        self.out.update(&[FRAMING]);
        self.out.update(framing);
        self.walk = Walk::Header { bytes: [0; HEADER_LEN], len: 0 };
    }

    /// The hash of the bytes added so far, as if they were the whole object.
    pub fn value(&self) -> [u8; OBJECT_HASH_LEN] {
        let mut out = self.out.clone();
        match &self.walk {
            Walk::Framing { hash, seen, .. } if *seen > 0 => rest_record(&mut out, hash),
            Walk::Header { bytes, len } if *len > 0 => {
                let mut rest = Hasher::new();
                rest.update(bytes.get(..*len).unwrap_or_default());
                rest_record(&mut out, &rest);
            }
            Walk::Chunk { sealed, slots, .. } => chunk_record(&mut out, &sealed.finalize(), &slots.finalize()),
            Walk::Rest(hash) => rest_record(&mut out, hash),
            Walk::Framing { .. } | Walk::Header { .. } => {}
        }
        finish(&out)
    }
}

/// Framing bytes to take next: up to the first six, then up to the end once it is known.
fn framing_take(seen: u64, end: Option<u64>, available: usize) -> usize {
    let until = end.unwrap_or(MESSAGE_HEADER_LEN as u64);
    usize::try_from(until.saturating_sub(seen)).unwrap_or(usize::MAX).max(1).min(available)
}

fn chunk_record(out: &mut blake3::Hasher, sealed: &[u8; 32], slots: &[u8; 32]) {
    out.update(&[CHUNK]);
    out.update(sealed);
    out.update(slots);
}

fn rest_record(out: &mut blake3::Hasher, rest: &Hasher) {
    out.update(&[REST]);
    out.update(&rest.finalize());
}

fn finish(out: &blake3::Hasher) -> [u8; OBJECT_HASH_LEN] {
    let mut hash = [0u8; OBJECT_HASH_LEN];
    out.finalize_xof().fill(&mut hash);
    hash
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::chunk::ChunkHeader;
    use crate::crypto::digest;
    use crate::wire::write_framing;

    /// The records written out by hand: framing digest and each chunk's digests.
    fn by_records(object: &(Vec<u8>, usize, Vec<Entry>)) -> [u8; OBJECT_HASH_LEN] {
        ObjectHash::of_digests(&object.0[..object.1], &object.2)
    }

    fn pieces(bytes: &[u8], sizes: &[usize]) -> [u8; OBJECT_HASH_LEN] {
        let mut hash = ObjectHash::new();
        let mut rest = bytes;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at((*size).clamp(1, rest.len()));
            hash.update(piece);
            rest = tail;
        }
        hash.value()
    }

    /// A walkable object (bytes, framing length, digests): framing, then chunks of the given
    /// types and body lengths, every byte after a header `fill`.
    fn object(tracing: Option<&[u8]>, chunks: &[(ChunkType, usize)], fill: u8) -> (Vec<u8>, usize, Vec<Entry>) {
        let mut body = Vec::new();
        let mut entries = Vec::new();
        for (t, len) in chunks {
            let start = body.len();
            body.extend_from_slice(&ChunkHeader { chunk_type: *t, flags: 0, body_len: *len as u32 }.encode());
            body.resize(body.len() + len, fill);
            let slots_at = body.len();
            body.resize(body.len() + t.slots_len(), fill.wrapping_add(1));
            entries.push(Entry { sealed: digest(&body[start..slots_at]), slots: digest(&body[slots_at..]) });
        }
        let mut out = Vec::new();
        write_framing(&mut out, tracing, body.len()).unwrap();
        let framing = out.len();
        out.extend_from_slice(&body);
        (out, framing, entries)
    }

    fn chunk_types() -> impl Strategy<Value = Vec<(ChunkType, usize)>> {
        prop::collection::vec((0..ChunkType::ALL.len(), 0usize..300), 0..8)
            .prop_map(|v| v.into_iter().map(|(i, len)| (ChunkType::ALL[i], len)).collect())
    }

    proptest! {
        #[test]
        fn the_hash_of_a_walkable_object_is_that_of_its_digests(
            tracing in proptest::option::of(prop::collection::vec(any::<u8>(), 0..40)),
            chunks in chunk_types(),
            fill: u8,
            sizes in prop::collection::vec(1usize..200, 1..6),
        ) {
            let walkable = object(tracing.as_deref(), &chunks, fill);
            prop_assert_eq!(pieces(&walkable.0, &sizes), by_records(&walkable));
            prop_assert_eq!(ObjectHash::of(&walkable.0), by_records(&walkable));
        }

        #[test]
        fn any_bytes_hash_the_same_in_any_pieces(
            bytes in prop::collection::vec(any::<u8>(), 0..600),
            sizes in prop::collection::vec(1usize..100, 1..6),
        ) {
            prop_assert_eq!(pieces(&bytes, &sizes), ObjectHash::of(&bytes));
        }

        #[test]
        fn every_prefix_and_every_flip_changes_the_hash(
            chunks in chunk_types(),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
        ) {
            let (bytes, ..) = object(Some(b"hop"), &chunks, 7);
            let whole = ObjectHash::of(&bytes);
            let cut = cut.index(bytes.len());
            prop_assert_ne!(ObjectHash::of(&bytes[..cut]), whole);
            let mut flipped = bytes.clone();
            flipped[flip.index(bytes.len())] ^= 1;
            prop_assert_ne!(ObjectHash::of(&flipped), whole);
        }
    }

    #[test]
    fn records_of_pieces_that_are_not_chunks() {
        let rest = |bytes: &[u8]| {
            let mut out = blake3::Hasher::new_derive_key(CONTEXT);
            rest_record(&mut out, &{
                let mut h = Hasher::new();
                h.update(bytes);
                h
            });
            finish(&out)
        };
        // Nothing at all: no record.
        assert_eq!(ObjectHash::of(b""), finish(&blake3::Hasher::new_derive_key(CONTEXT)));
        // Not a framing: all of it is the rest.
        assert_eq!(ObjectHash::of(b"not an object"), rest(b"not an object"));
        // A tracing prefix whose message header has the wrong magic: the rest from the start.
        let bad = [&TRACING_MAGIC[..], &[0, 0, 0, 1], b"x", &[0x07, 0x38, 0, 0, 0, 0]].concat();
        assert_eq!(ObjectHash::of(&bad), rest(&bad));
        // A chunk header of an unknown type: the framing, then the rest from that header.
        let object = [&MESSAGE_MAGIC[..], &[0, 0, 0, 9], &[3, 0, 0, 0, 0, 0], b"abc"].concat();
        let mut out = blake3::Hasher::new_derive_key(CONTEXT);
        out.update(&[FRAMING]);
        out.update(blake3::hash(&object[..6]).as_bytes());
        let mut h = Hasher::new();
        h.update(&object[6..]);
        rest_record(&mut out, &h);
        assert_eq!(ObjectHash::of(&object), finish(&out));
        // A chunk cut short: its record over the bytes present.
        let cut = [&MESSAGE_MAGIC[..], &[0, 0, 0, 9], &[33, 0, 0, 0, 0, 9], b"abc"].concat();
        let mut out = blake3::Hasher::new_derive_key(CONTEXT);
        out.update(&[FRAMING]);
        out.update(blake3::hash(&cut[..6]).as_bytes());
        chunk_record(&mut out, blake3::hash(&cut[6..]).as_bytes(), blake3::hash(b"").as_bytes());
        assert_eq!(ObjectHash::of(&cut), finish(&out));
    }

    #[test]
    fn the_context_separates_it_from_plain_blake3() {
        let (bytes, ..) = object(None, &[(ChunkType::Ephemeral, 34)], 1);
        let mut plain = [0u8; OBJECT_HASH_LEN];
        blake3::Hasher::new().update(&bytes).finalize_xof().fill(&mut plain);
        assert_ne!(ObjectHash::of(&bytes), plain);
    }
}
