//! The field TLV engine shared by signets and key files.
//!
//! A payload is a sequence of fields `id:u8 ‖ length ‖ data`. The width of the length prefix
//! depends only on the id (dialects D2/D3 of the reference code):
//!
//! | id | encoding |
//! | --- | --- |
//! | 0 | invalid |
//! | 1–3 | 1-byte length |
//! | 4–15 | no length, fixed 64 bytes |
//! | 16–159 | 1-byte length |
//! | 160–250 | 2-byte length |
//! | 251 | undefined field: `nlen:u8 ‖ name ‖ dlen:u16 ‖ data`, name not empty |
//! | 252 | 3-byte length |
//! | 253 | no length, fixed 64 bytes |
//! | 254 | 1-byte length |
//! | 255 | no length, fixed 64 bytes |
//!
//! This module knows only the framing; which ids an object allows, and in which order, is the
//! business of the crate that owns the object.

use crate::codec::{Reader, max_uint, put_uint};
use crate::error::{Error, Result};

/// Id of the undefined (name/value) field.
pub const UNDEFINED_FIELD: u8 = 251;

/// Size of the fixed signature fields.
pub const SIGNATURE_LEN: usize = 64;

/// How a field's data length is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No length bytes; the data is always this many bytes.
    Fixed(usize),
    /// A big-endian length of this many bytes precedes the data.
    Prefixed(usize),
    /// The undefined-field layout (id 251).
    Undefined,
}

impl Encoding {
    /// The encoding for a field id, or `None` for the invalid id 0.
    pub const fn of(id: u8) -> Option<Encoding> {
        Some(match id {
            0 => return None,
            1..=3 => Encoding::Prefixed(1),
            4..=15 => Encoding::Fixed(SIGNATURE_LEN),
            16..=159 => Encoding::Prefixed(1),
            160..=250 => Encoding::Prefixed(2),
            UNDEFINED_FIELD => Encoding::Undefined,
            252 => Encoding::Prefixed(3),
            253 => Encoding::Fixed(SIGNATURE_LEN),
            254 => Encoding::Prefixed(1),
            255 => Encoding::Fixed(SIGNATURE_LEN),
        })
    }
}

/// One field as it sits in a payload, borrowing the payload's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field id.
    pub id: u8,
    /// The name of an undefined field (id 251); `None` for every other id.
    pub name: Option<&'a [u8]>,
    /// The field's data.
    pub data: &'a [u8],
    /// Offset of the id byte in the payload.
    pub start: usize,
    /// Offset just past the field's last byte.
    pub end: usize,
}

/// Iterates over the fields of a payload, stopping at the first framing error.
///
/// ```
/// use dime_core::field::{self, Fields};
/// let mut payload = Vec::new();
/// field::write(&mut payload, 16, b"Example").unwrap();
/// field::write_undefined(&mut payload, b"color", b"blue").unwrap();
/// let fields: Vec<_> = Fields::new(&payload).collect::<Result<_, _>>().unwrap();
/// assert_eq!(fields[0].data, b"Example");
/// assert_eq!(fields[1].name, Some(&b"color"[..]));
/// ```
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// Fields of `payload` (the object without its header).
    pub fn new(payload: &'a [u8]) -> Self {
        Fields { reader: Reader::new(payload), failed: false }
    }

    fn next_field(&mut self) -> Result<Field<'a>> {
        let start = self.reader.position();
        let id = self.reader.u8().unwrap_or_default();
        let truncated = Error::TruncatedField { id, offset: start };
        let (name, data) = match Encoding::of(id).ok_or(Error::FieldIdZero { offset: start })? {
            Encoding::Fixed(n) => (None, self.reader.take(n).ok_or(truncated)?),
            Encoding::Prefixed(w) => {
                let len = self.reader.uint(w).ok_or(truncated.clone())? as usize;
                (None, self.reader.take(len).ok_or(truncated)?)
            }
            Encoding::Undefined => {
                let nlen = self.reader.u8().ok_or(truncated.clone())? as usize;
                if nlen == 0 {
                    return Err(Error::EmptyFieldName { offset: start });
                }
                let name = self.reader.take(nlen).ok_or(truncated.clone())?;
                let dlen = self.reader.uint(2).ok_or(truncated.clone())? as usize;
                (Some(name), self.reader.take(dlen).ok_or(truncated)?)
            }
        };
        Ok(Field { id, name, data, start, end: self.reader.position() })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let item = self.next_field();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Appends a defined field (any id but 0 and 251), checking that `data` fits its encoding.
pub fn write(out: &mut Vec<u8>, id: u8, data: &[u8]) -> Result<()> {
    match Encoding::of(id) {
        Some(Encoding::Fixed(n)) if data.len() != n => Err(Error::FixedFieldSize { id, expected: n, len: data.len() }),
        Some(Encoding::Fixed(_)) => {
            out.push(id);
            out.extend_from_slice(data);
            Ok(())
        }
        Some(Encoding::Prefixed(w)) if data.len() > max_uint(w) => {
            Err(Error::FieldTooLong { id, len: data.len(), max: max_uint(w) })
        }
        Some(Encoding::Prefixed(w)) => {
            out.push(id);
            put_uint(out, data.len() as u32, w);
            out.extend_from_slice(data);
            Ok(())
        }
        Some(Encoding::Undefined) => Err(Error::FieldTooLong { id, len: data.len(), max: 0 }),
        None => Err(Error::FieldIdZero { offset: out.len() }),
    }
}

/// Appends an undefined field (id 251) with a non-empty `name` of at most 255 bytes and at most
/// 65 535 bytes of `data`.
pub fn write_undefined(out: &mut Vec<u8>, name: &[u8], data: &[u8]) -> Result<()> {
    if name.is_empty() {
        return Err(Error::EmptyFieldName { offset: out.len() });
    }
    if name.len() > max_uint(1) {
        return Err(Error::FieldTooLong { id: UNDEFINED_FIELD, len: name.len(), max: max_uint(1) });
    }
    if data.len() > max_uint(2) {
        return Err(Error::FieldTooLong { id: UNDEFINED_FIELD, len: data.len(), max: max_uint(2) });
    }
    out.push(UNDEFINED_FIELD);
    put_uint(out, name.len() as u32, 1);
    out.extend_from_slice(name);
    put_uint(out, data.len() as u32, 2);
    out.extend_from_slice(data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_field() -> impl Strategy<Value = (u8, Vec<u8>, Vec<u8>)> {
        (1u8..=255).prop_flat_map(|id| {
            let data = match Encoding::of(id).unwrap() {
                Encoding::Fixed(n) => proptest::collection::vec(any::<u8>(), n).boxed(),
                Encoding::Prefixed(1) => proptest::collection::vec(any::<u8>(), 0..=255).boxed(),
                _ => proptest::collection::vec(any::<u8>(), 0..600).boxed(),
            };
            let name = if id == UNDEFINED_FIELD {
                proptest::collection::vec(any::<u8>(), 1..=20).boxed()
            } else {
                Just(Vec::new()).boxed()
            };
            (Just(id), name, data)
        })
    }

    proptest! {
        #[test]
        fn write_then_iterate_round_trips(fields in proptest::collection::vec(arb_field(), 0..12)) {
            let mut payload = Vec::new();
            for (id, name, data) in &fields {
                if *id == UNDEFINED_FIELD {
                    write_undefined(&mut payload, name, data).unwrap();
                } else {
                    write(&mut payload, *id, data).unwrap();
                }
            }
            let parsed: Vec<Field> = Fields::new(&payload).collect::<Result<_>>().unwrap();
            prop_assert_eq!(parsed.len(), fields.len());
            let mut at = 0;
            for (f, (id, name, data)) in parsed.iter().zip(&fields) {
                prop_assert_eq!(f.id, *id);
                prop_assert_eq!(f.data, &data[..]);
                prop_assert_eq!(f.name.unwrap_or_default(), &name[..]);
                prop_assert_eq!(f.start, at);
                at = f.end;
            }
            prop_assert_eq!(at, payload.len());
        }

        #[test]
        fn any_bytes_never_panic_and_fields_tile(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut at = 0;
            for f in Fields::new(&bytes) {
                match f {
                    Ok(f) => { prop_assert_eq!(f.start, at); at = f.end; }
                    Err(_) => break,
                }
            }
            prop_assert!(at <= bytes.len());
        }
    }

    #[test]
    fn framing_errors_are_precise() {
        assert_eq!(Fields::new(&[0]).next(), Some(Err(Error::FieldIdZero { offset: 0 })));
        assert_eq!(Fields::new(&[16, 5, 1]).next(), Some(Err(Error::TruncatedField { id: 16, offset: 0 })));
        assert_eq!(Fields::new(&[4; 10]).next(), Some(Err(Error::TruncatedField { id: 4, offset: 0 })));
        assert_eq!(Fields::new(&[160, 0]).next(), Some(Err(Error::TruncatedField { id: 160, offset: 0 })));
        assert_eq!(Fields::new(&[251, 0, 0, 0]).next(), Some(Err(Error::EmptyFieldName { offset: 0 })));
        let mut it = Fields::new(&[16, 0, 0]);
        assert_eq!(it.next().unwrap().unwrap().data, b"");
        assert_eq!(it.next(), Some(Err(Error::FieldIdZero { offset: 2 })));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn write_refuses_values_that_do_not_fit() {
        let mut out = Vec::new();
        assert_eq!(write(&mut out, 4, &[0; 63]), Err(Error::FixedFieldSize { id: 4, expected: 64, len: 63 }));
        assert_eq!(write(&mut out, 16, &[0; 256]), Err(Error::FieldTooLong { id: 16, len: 256, max: 255 }));
        assert_eq!(write(&mut out, 0, b""), Err(Error::FieldIdZero { offset: 0 }));
        assert_eq!(write_undefined(&mut out, b"", b""), Err(Error::EmptyFieldName { offset: 0 }));
        assert!(out.is_empty());
    }
}
