//! A key-free description of an object's chunk layout.

use crate::actor::Actor;
use crate::chunk::ChunkType;
use crate::error::Result;
use crate::wire::{Message, MessageLimits};

/// One chunk as `inspect` sees it: position, type, flags, sizes and who holds a keyslot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSummary {
    /// Position (ephemeral = 0).
    pub index: usize,
    /// Byte offset in the object.
    pub offset: usize,
    /// The chunk type.
    pub chunk_type: ChunkType,
    /// The flags byte.
    pub flags: u8,
    /// Body length.
    pub body_len: usize,
    /// Actors holding a keyslot, in order.
    pub keyslots: &'static [Actor],
    /// Whole chunk length (header, body, keyslots).
    pub len: usize,
}

/// Parses `bytes` strictly and lists its chunks, with no key. The tracing prefix, if any, is
/// [`Message::tracing`] of the same parse.
pub fn inspect(bytes: &[u8], limits: &MessageLimits) -> Result<Vec<ChunkSummary>> {
    let message = Message::parse(bytes, limits)?;
    Ok(message
        .chunks()
        .iter()
        .map(|c| ChunkSummary {
            index: c.index,
            offset: c.offset,
            chunk_type: c.chunk_type(),
            flags: c.header.flags,
            body_len: c.header.body_len as usize,
            keyslots: c.chunk_type().actors(),
            len: c.sealed.len() + c.slots.len(),
        })
        .collect())
}
