//! Low-level: standard plaintexts (`u32 n ‖ data ‖ zero padding`), the padding rule, part
//! descriptors and the cutting of parts into spanning segments.
//!
//! [`Part`], [`PartInfo`] and [`PartKind`] are re-exported at the crate root for
//! [`crate::Content`]; composing and opening ([`crate::compose()`], [`crate::Envelope`]) do
//! the segmenting and padding.

use crate::chunk::{ChunkHeader, ChunkType, FLAG_SPANNING, HEADER_LEN, SEAL_OVERHEAD};
use crate::crypto::{ChunkDigest, ChunkKey};
use crate::error::{MessageError, Result};

/// Smallest segment size a writer may choose.
pub const MIN_SEGMENT: usize = 4096;
/// Largest segment size, and the largest data of any chunk.
pub const MAX_SEGMENT: usize = 16 << 20;
/// The default segment size.
pub const DEFAULT_SEGMENT: usize = 1 << 20;
/// Smallest padded plaintext.
pub const MIN_PADDED: usize = 256;
/// Longest content type.
pub const MAX_CONTENT_TYPE: usize = 255;
/// Longest file name, in bytes.
pub const MAX_FILE_NAME: usize = 1024;

/// The Padmé rule: `len` rounded up to a multiple of `2^(E − ⌊log2 E⌋ − 1)`, `E = ⌊log2 len⌋`.
pub fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = len.ilog2();
    let z = e - e.ilog2() - 1;
    let mask = (1usize << z) - 1;
    (len + mask) & !mask
}

/// The plaintext length of a standard chunk holding `data_len` bytes: padded with the Padmé
/// rule (at least 256 bytes) unless it is a non-final segment.
pub fn plaintext_len(data_len: usize, final_segment: bool) -> usize {
    let m = 4 + data_len;
    if final_segment { padme(m.max(MIN_PADDED)) } else { m }
}

/// Appends a sealed standard chunk (header and body, no keyslots) holding the concatenation of
/// `pieces`.
pub fn seal_standard(out: &mut Vec<u8>, t: ChunkType, spanning: bool, key: &ChunkKey, pieces: &[&[u8]]) -> Result<()> {
    seal_standard_digest(out, t, spanning, key, pieces).map(drop)
}

/// [`seal_standard`], returning the chunk's digest `D` (of its header and body), computed in the
/// same pass as the encryption.
pub fn seal_standard_digest(
    out: &mut Vec<u8>,
    t: ChunkType,
    spanning: bool,
    key: &ChunkKey,
    pieces: &[&[u8]],
) -> Result<ChunkDigest> {
    let data_len: usize = pieces.iter().map(|p| p.len()).sum();
    if data_len > MAX_SEGMENT {
        return Err(MessageError::TooLarge { what: "chunk data", size: data_len as u64, limit: MAX_SEGMENT as u64 });
    }
    let plain = plaintext_len(data_len, !spanning);
    let header = ChunkHeader {
        chunk_type: t,
        flags: if spanning { FLAG_SPANNING } else { 0 },
        body_len: (SEAL_OVERHEAD + plain) as u32,
    }
    .encode();
    out.reserve(HEADER_LEN + SEAL_OVERHEAD + plain + t.slots_len());
    let start = out.len();
    out.extend_from_slice(&header);
    let n = (data_len as u32).to_be_bytes();
    let mut all: Vec<&[u8]> = Vec::with_capacity(pieces.len() + 1);
    all.push(&n);
    all.extend_from_slice(pieces);
    key.seal_digest_into(&header, &all, plain - 4 - data_len, out, start)
}

/// The data of a decrypted standard plaintext, after checking its length and zero padding.
pub fn open_standard(index: usize, plain: &[u8]) -> Result<&[u8]> {
    let (n, rest) =
        plain.split_at_checked(4).ok_or(MessageError::BadPlaintext { index, what: "shorter than its length field" })?;
    let n = u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize;
    let (data, padding) = rest
        .split_at_checked(n)
        .ok_or(MessageError::BadPlaintext { index, what: "data length exceeds the plaintext" })?;
    if padding.iter().any(|b| *b != 0) {
        return Err(MessageError::BadPadding { index });
    }
    Ok(data)
}

/// A standard plaintext read window by window: what [`open_standard`] checks on a whole one,
/// with its errors. The data bytes go to the caller as they come; nothing is handed out when
/// the length field exceeds the plaintext.
pub(crate) struct StandardReader {
    len: usize,
    seen: usize,
    field: [u8; 4],
    /// The data's range in the plaintext, once the length field is in.
    data: Option<core::ops::Range<usize>>,
    nonzero_padding: bool,
}

impl StandardReader {
    /// A reader of a plaintext of `len` bytes.
    pub fn new(len: usize) -> StandardReader {
        StandardReader { len, seen: 0, field: [0; 4], data: None, nonzero_padding: false }
    }

    /// Reads the next window, handing the data bytes in it to `data`.
    pub fn feed(&mut self, window: &[u8], data: &mut dyn FnMut(&[u8])) {
        let start = self.seen;
        self.seen += window.len();
        for (i, b) in window.iter().enumerate().take(4usize.saturating_sub(start)) {
            if let Some(f) = self.field.get_mut(start + i) {
                *f = *b;
            }
        }
        if self.data.is_none() && self.seen >= 4 {
            let n = u32::from_be_bytes(self.field) as usize;
            self.data = Some(4..4usize.saturating_add(n));
        }
        let Some(range) = self.data.clone().filter(|r| r.end <= self.len) else {
            return;
        };
        let (lo, hi) = (start.max(range.start), self.seen.min(range.end));
        if lo < hi {
            data(window.get(lo - start..hi - start).unwrap_or_default());
        }
        let padding = window.get(start.max(range.end) - start..).unwrap_or_default();
        self.nonzero_padding |= padding.iter().any(|b| *b != 0);
    }

    /// The verdict once every window is in.
    pub fn finish(self, index: usize) -> Result<()> {
        match self.data {
            None => Err(MessageError::BadPlaintext { index, what: "shorter than its length field" }),
            Some(range) if range.end > self.len => {
                Err(MessageError::BadPlaintext { index, what: "data length exceeds the plaintext" })
            }
            Some(_) if self.nonzero_padding => Err(MessageError::BadPadding { index }),
            Some(_) => Ok(()),
        }
    }
}

/// The data of a part's first segment as it comes: the descriptor at its start, kept apart,
/// then the content, appended to the caller's buffer.
#[derive(Default)]
pub(crate) struct DescriptorSplit {
    head: Vec<u8>,
}

impl DescriptorSplit {
    /// Bytes of the descriptor, as far as its length is known from the bytes in so far.
    fn wanted(&self) -> usize {
        match self.head.first() {
            None => 1,
            Some(&t) => {
                let f_at = 1 + usize::from(t);
                match self.head.get(f_at..f_at + 2) {
                    Some(f) => f_at + 2 + usize::from(u16::from_be_bytes([f[0], f[1]])),
                    None => f_at + 2,
                }
            }
        }
    }

    /// Takes the next data bytes: the descriptor's into the head, the rest into `content`.
    pub fn push(&mut self, mut bytes: &[u8], content: &mut Vec<u8>) {
        while !bytes.is_empty() && self.head.len() < self.wanted() {
            let (take, rest) = bytes.split_at((self.wanted() - self.head.len()).min(bytes.len()));
            self.head.extend_from_slice(take);
            bytes = rest;
        }
        content.extend_from_slice(bytes);
    }

    /// The decoded descriptor ([`PartInfo::decode`]'s errors when it does not fit).
    pub fn finish(self) -> Result<PartInfo> {
        Ok(PartInfo::decode(&self.head)?.0)
    }
}

/// Display part or attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartKind {
    /// A display part (67).
    Display,
    /// An attachment (131).
    Attachment,
}

impl PartKind {
    /// The chunk type of its segments.
    pub const fn chunk_type(self) -> ChunkType {
        match self {
            PartKind::Display => ChunkType::Display,
            PartKind::Attachment => ChunkType::Attachment,
        }
    }
}

/// The descriptor of a part: its content type and optional file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// MIME content type, printable ASCII, 1 to 255 bytes.
    pub content_type: String,
    /// File name, UTF-8 without control characters, up to 1024 bytes.
    pub file_name: Option<String>,
}

impl PartInfo {
    /// A descriptor, checked.
    pub fn new(content_type: &str, file_name: Option<&str>) -> Result<PartInfo> {
        let info = PartInfo { content_type: content_type.to_owned(), file_name: file_name.map(str::to_owned) };
        info.check()?;
        Ok(info)
    }

    fn check(&self) -> Result<()> {
        let ct = self.content_type.as_bytes();
        if ct.is_empty() || ct.len() > MAX_CONTENT_TYPE || !ct.iter().all(|b| (0x20..0x7f).contains(b)) {
            return Err(MessageError::BadPart("content type is not 1 to 255 printable ASCII bytes"));
        }
        if let Some(name) = &self.file_name
            && (name.is_empty() || name.len() > MAX_FILE_NAME || name.chars().any(char::is_control))
        {
            return Err(MessageError::BadPart("file name is not 1 to 1024 bytes without control characters"));
        }
        Ok(())
    }

    /// The encoded descriptor: `u8 t ‖ type ‖ u16 f ‖ name`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        self.check()?;
        let name = self.file_name.as_deref().unwrap_or("").as_bytes();
        let mut out = Vec::with_capacity(3 + self.content_type.len() + name.len());
        out.push(self.content_type.len() as u8);
        out.extend_from_slice(self.content_type.as_bytes());
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        Ok(out)
    }

    /// Decodes the descriptor at the start of a part's first segment data; returns it and the
    /// content that follows it in that segment.
    pub fn decode(data: &[u8]) -> Result<(PartInfo, &[u8])> {
        let short = MessageError::BadPart("descriptor does not fit in the first segment");
        let (&t, rest) = data.split_first().ok_or(short.clone())?;
        let (ct, rest) = rest.split_at_checked(usize::from(t)).ok_or(short.clone())?;
        let (f, rest) = rest.split_at_checked(2).ok_or(short.clone())?;
        let f = usize::from(u16::from_be_bytes([f[0], f[1]]));
        let (name, content) = rest.split_at_checked(f).ok_or(short)?;
        let content_type =
            core::str::from_utf8(ct).map_err(|_| MessageError::BadPart("content type is not ASCII"))?.to_owned();
        let file_name = match name {
            [] => None,
            _ => Some(
                core::str::from_utf8(name).map_err(|_| MessageError::BadPart("file name is not UTF-8"))?.to_owned(),
            ),
        };
        let info = PartInfo { content_type, file_name };
        info.check()?;
        Ok((info, content))
    }
}

/// A display part or attachment with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its descriptor.
    pub info: PartInfo,
    /// The content bytes.
    pub data: Vec<u8>,
}

impl Part {
    /// A part, with its descriptor checked.
    pub fn new(content_type: &str, file_name: Option<&str>, data: impl Into<Vec<u8>>) -> Result<Part> {
        Ok(Part { info: PartInfo::new(content_type, file_name)?, data: data.into() })
    }
}

/// The sealed size (header and body, keyslots excluded) of every segment of a part whose
/// descriptor and content total `total` bytes, cut at `segment`.
pub fn segment_sizes(total: u64, segment: usize) -> impl Iterator<Item = (usize, bool)> {
    let s = segment as u64;
    let count = total.div_ceil(s).max(1);
    (0..count).map(move |i| {
        let last = i + 1 == count;
        let data = if last { total - s * (count - 1) } else { s } as usize;
        (HEADER_LEN + SEAL_OVERHEAD + plaintext_len(data, last), last)
    })
}

/// Checks a writer's segment size.
pub fn check_segment(segment: usize) -> Result<()> {
    if (MIN_SEGMENT..=MAX_SEGMENT).contains(&segment) {
        Ok(())
    } else {
        Err(MessageError::Input("segment size must be 4 KiB to 16 MiB"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Reads `plain` through windows of `window` bytes.
    fn read(plain: &[u8], window: usize) -> Result<Vec<u8>> {
        let mut reader = StandardReader::new(plain.len());
        let mut data = Vec::new();
        for w in plain.chunks(window) {
            reader.feed(w, &mut |d| data.extend_from_slice(d));
        }
        reader.finish(3).map(|()| data)
    }

    proptest! {
        /// Window by window, the reader gives what `open_standard` gives, data or error, for
        /// well-formed plaintexts and for any length field or padding byte.
        #[test]
        fn reader_agrees_with_open_standard(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            padding in 0usize..40,
            n in prop::option::of(0u32..400),
            dirt in prop::option::of((any::<prop::sample::Index>(), 1u8..)),
            cut in 0usize..8,
            window in 1usize..50,
        ) {
            let field = n.unwrap_or(data.len() as u32).to_be_bytes();
            let mut plain = [&field[..], &data, &vec![0; padding]].concat();
            if let Some((at, b)) = dirt {
                let i = at.index(plain.len());
                plain[i] ^= b;
            }
            plain.truncate(plain.len().saturating_sub(cut * usize::from(cut < 4)));
            prop_assert_eq!(read(&plain, window), open_standard(3, &plain).map(<[u8]>::to_vec));
        }

        /// The descriptor is split off however the first segment's data arrives, and decodes
        /// as `PartInfo::decode` decodes it.
        #[test]
        fn descriptor_split_agrees_with_decode(
            name in prop::option::of("[a-z]{1,40}"),
            content in proptest::collection::vec(any::<u8>(), 0..100),
            cut in 0usize..200,
            piece in 1usize..20,
        ) {
            let info = PartInfo::new("text/plain", name.as_deref()).unwrap();
            let mut data = [info.encode().unwrap(), content.clone()].concat();
            data.truncate(cut.max(1).min(data.len()));
            let mut split = DescriptorSplit::default();
            let mut rest = Vec::new();
            for p in data.chunks(piece) {
                split.push(p, &mut rest);
            }
            let expected = PartInfo::decode(&data).map(|(i, c)| (i, c.to_vec()));
            prop_assert_eq!(split.finish().map(|i| (i, rest)), expected);
        }
    }
}
