//! Big-endian integer codecs and a bounds-checked reader.

/// Writes `value` as a big-endian integer of `width` bytes (1 to 4).
///
/// The caller guarantees that `value` fits; the high bytes are dropped otherwise.
pub fn put_uint(out: &mut Vec<u8>, value: u32, width: usize) {
    debug_assert!((1..=4).contains(&width));
    out.extend_from_slice(&value.to_be_bytes()[4 - width..]);
}

/// Reads a big-endian integer of `bytes.len()` bytes (at most 4).
pub fn get_uint(bytes: &[u8]) -> u32 {
    debug_assert!(bytes.len() <= 4);
    bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
}

/// The largest value a big-endian integer of `width` bytes holds.
pub const fn max_uint(width: usize) -> usize {
    (1usize << (8 * width)) - 1
}

/// A cursor over a byte slice that never reads out of bounds.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes, or `None` (reading nothing) when fewer remain.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    /// The next byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// A big-endian integer of `width` bytes (1 to 4).
    pub fn uint(&mut self, width: usize) -> Option<u32> {
        self.take(width).map(get_uint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn uint_round_trip(value: u32, width in 1usize..=4) {
            let value = value & (max_uint(width) as u32);
            let mut out = Vec::new();
            put_uint(&mut out, value, width);
            prop_assert_eq!(out.len(), width);
            prop_assert_eq!(Reader::new(&out).uint(width), Some(value));
        }
    }

    #[test]
    fn reader_stops_at_end() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.uint(2), Some(0x0102));
        assert_eq!(r.take(2), None);
        assert_eq!(r.position(), 2);
        assert_eq!(r.u8(), Some(3));
        assert!(r.is_empty());
    }
}
