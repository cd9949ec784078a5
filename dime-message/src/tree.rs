//! Low-level: chunk digests, the tree signature's digest list and every signed input.
//!
//! Opening ([`crate::Envelope`]) and the relay verifiers check these signatures; nothing
//! outside this crate needs to build the inputs itself.

use dime_core::keys::Signature;

use crate::chunk::{ChunkType, RawChunk};
use crate::crypto::{ChunkDigest, DIGEST_LEN, digest};
use crate::error::{MessageError, Result};

/// The digests of one chunk: `D = H(header ‖ body)` and `S = H(keyslots)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Digest of the header and body.
    pub sealed: ChunkDigest,
    /// Digest of the keyslots.
    pub slots: ChunkDigest,
}

impl Entry {
    /// The digests of a parsed chunk.
    pub fn of(chunk: &RawChunk<'_>) -> Entry {
        Entry { sealed: digest(chunk.sealed), slots: digest(chunk.slots) }
    }

    /// Equality in constant time.
    pub fn ct_eq(&self, other: &Entry) -> bool {
        dime_core::keys::ct_eq(&self.sealed, &other.sealed) & dime_core::keys::ct_eq(&self.slots, &other.slots)
    }
}

/// Size of one list entry, `D ‖ S`.
pub const ENTRY_LEN: usize = 2 * DIGEST_LEN;

/// Context string of the tree signature.
pub const TREE: &[u8] = b"dime-rs/2 tree";
/// Context string of the author's full signature.
pub const AUTHOR_FULL: &[u8] = b"dime-rs/2 author-full";
/// Context string of the origin's meta-bounce signature.
pub const ORIGIN_META: &[u8] = b"dime-rs/2 origin-meta-bounce";
/// Context string of the origin's display-bounce signature.
pub const ORIGIN_DISPLAY: &[u8] = b"dime-rs/2 origin-display-bounce";
/// Context string of the origin's full signature.
pub const ORIGIN_FULL: &[u8] = b"dime-rs/2 origin-full";

/// `label ‖ u32 count ‖ (D ‖ S) × count`.
pub fn list_input(label: &[u8], entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + 4 + entries.len() * ENTRY_LEN);
    out.extend_from_slice(label);
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for e in entries {
        out.extend_from_slice(&e.sealed);
        out.extend_from_slice(&e.slots);
    }
    out
}

/// The author's full-signature input: the tree chunk, then the keyslots of the full-signature
/// chunk itself and of the three placeholders (keyslots exist before the signature is sealed).
pub fn author_full_input(tree: &Entry, slots: [&ChunkDigest; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity(AUTHOR_FULL.len() + 6 * DIGEST_LEN);
    out.extend_from_slice(AUTHOR_FULL);
    out.extend_from_slice(&tree.sealed);
    out.extend_from_slice(&tree.slots);
    for s in slots {
        out.extend_from_slice(s);
    }
    out
}

/// The input of origin signature `t`: its label and list over the chunks it covers; the full
/// signature (255) also covers its own keyslots.
pub fn origin_input(t: ChunkType, covered: &[Entry], own_slots: &ChunkDigest) -> Vec<u8> {
    let mut out = list_input(origin_label(t), covered);
    if t == ChunkType::OriginFull {
        out.extend_from_slice(own_slots);
    }
    out
}

/// How many leading chunks an origin signature covers, given the chunk types in order.
pub fn origin_coverage(t: ChunkType, types: impl Iterator<Item = ChunkType>) -> usize {
    let limit = match t {
        ChunkType::OriginMetaBounce => ChunkType::Other,
        ChunkType::OriginDisplayBounce => ChunkType::Display,
        _ => ChunkType::OriginDisplayBounce,
    };
    types.take_while(|x| *x <= limit).count()
}

/// The context string of an origin signature chunk type.
pub fn origin_label(t: ChunkType) -> &'static [u8] {
    match t {
        ChunkType::OriginMetaBounce => ORIGIN_META,
        ChunkType::OriginDisplayBounce => ORIGIN_DISPLAY,
        _ => ORIGIN_FULL,
    }
}

/// The tree plaintext: `u32 count ‖ (D ‖ S) × count ‖ signature`.
pub fn encode_tree(entries: &[Entry], signature: &Signature) -> Vec<u8> {
    let mut out = list_input(&[], entries);
    out.extend_from_slice(signature.as_bytes());
    out
}

/// Decodes a tree plaintext.
pub fn decode_tree(index: usize, plain: &[u8]) -> Result<(Vec<Entry>, Signature)> {
    let bad = MessageError::BadPlaintext { index, what: "tree list length" };
    let (count, rest) = plain.split_at_checked(4).ok_or(bad.clone())?;
    let count = u32::from_be_bytes([count[0], count[1], count[2], count[3]]) as usize;
    if rest.len() != count.checked_mul(ENTRY_LEN).and_then(|n| n.checked_add(64)).ok_or(bad.clone())? {
        return Err(bad);
    }
    let (list, sig) = rest.split_at(count * ENTRY_LEN);
    let entries = list
        .chunks_exact(ENTRY_LEN)
        .map(|e| {
            let mut entry = Entry { sealed: [0; DIGEST_LEN], slots: [0; DIGEST_LEN] };
            entry.sealed.copy_from_slice(&e[..DIGEST_LEN]);
            entry.slots.copy_from_slice(&e[DIGEST_LEN..]);
            entry
        })
        .collect();
    Ok((entries, Signature::from_slice(sig)?))
}
