//! The hybrid encryption key (ML-KEM-768, decision D8) and how signets carry it.
//!
//! - **User signets and SSRs**: five adjacent values of field 3 (Alternate-Encryption-Key), each
//!   `0x4B ‖ i ‖ part_i` for i = 0..4, where `part_i` is bytes `237·i .. min(237·(i+1), 1184)`
//!   of the encapsulation key (237, 237, 237, 237 and 236 bytes). Field 3 is repeatable and
//!   opaque to readers that predate D8, so they still parse such signets.
//! - **Org signets**: one Undefined-Field (251) named `Hybrid-Encryption-Key` whose data is the
//!   1,184-byte key. 251 comes after the crypto signature, so the key is signed only from the
//!   `full` stage on and is usable only there.
//!
//! Every encapsulation key read passes the FIPS 203 §7.2 check.

use dime_core::field::Field;
use dime_core::kem::{ENCAPSULATION_KEY_LEN, KemPublicKey};

use crate::error::{Result, SignetError};
use crate::kind::{SignetKind, ids};

/// First byte of a field-3 value that is a hybrid-key fragment.
pub const FRAGMENT_PREFIX: u8 = 0x4B;
/// Fragments per key.
pub const FRAGMENTS: u8 = 5;
/// Key bytes per fragment (the last one carries the 236 that remain).
pub const PART_LEN: usize = 237;
/// Name of the org signet's undefined field (251) that carries the key.
pub const ORG_FIELD_NAME: &[u8] = b"Hybrid-Encryption-Key";

/// The field-3 values that carry `key`, in order.
pub fn fragments(key: &KemPublicKey) -> impl Iterator<Item = Vec<u8>> + '_ {
    key.as_bytes().chunks(PART_LEN).zip(0u8..).map(|(part, index)| {
        let mut value = Vec::with_capacity(2 + part.len());
        value.extend_from_slice(&[FRAGMENT_PREFIX, index]);
        value.extend_from_slice(part);
        value
    })
}

/// The length a fragment's field value must have.
const fn fragment_len(index: u8) -> usize {
    let start = PART_LEN * index as usize;
    let end = if start + PART_LEN < ENCAPSULATION_KEY_LEN { start + PART_LEN } else { ENCAPSULATION_KEY_LEN };
    2 + end - start
}

/// Collects a hybrid key from a signet's fields, in payload order, as the parser meets them.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    bytes: Vec<u8>,
    /// Fragments of the current set read so far (0 = none, 5 = complete).
    next: u8,
    key: Option<KemPublicKey>,
}

impl Collector {
    /// Feeds one field of a signet of `kind`.
    pub(crate) fn take(&mut self, kind: SignetKind, field: &Field<'_>) -> Result<()> {
        match (kind, field.id) {
            (SignetKind::User | SignetKind::Request, ids::ALTERNATE_KEY) => self.fragment(field.data),
            (SignetKind::User | SignetKind::Request, _) => self.end_of_run(),
            (SignetKind::Org, ids::UNDEFINED) if field.name == Some(ORG_FIELD_NAME) => {
                if self.key.is_some() {
                    return Err(SignetError::HybridKeyRepeated);
                }
                let key = KemPublicKey::decode(field.data)
                    .map_err(|error| SignetError::FieldValue { id: ids::UNDEFINED, error })?;
                self.key = Some(key);
                Ok(())
            }
            (SignetKind::Org, _) => Ok(()),
        }
    }

    fn fragment(&mut self, data: &[u8]) -> Result<()> {
        let Some((&FRAGMENT_PREFIX, rest)) = data.split_first() else {
            // Another kind of alternate key: it interrupts a set in progress.
            return self.end_of_run();
        };
        let Some((&index, part)) = rest.split_first() else {
            return Err(SignetError::HybridFragmentLength { index: 0, len: data.len(), expected: fragment_len(0) });
        };
        if self.next == FRAGMENTS || (self.next == 0 && self.key.is_some()) {
            return Err(SignetError::HybridKeyRepeated);
        }
        if index != self.next {
            return Err(SignetError::HybridFragmentIndex { expected: self.next, found: index });
        }
        if data.len() != fragment_len(index) {
            return Err(SignetError::HybridFragmentLength { index, len: data.len(), expected: fragment_len(index) });
        }
        self.bytes.extend_from_slice(part);
        self.next += 1;
        if self.next == FRAGMENTS {
            let key = KemPublicKey::decode(&self.bytes)
                .map_err(|error| SignetError::FieldValue { id: ids::ALTERNATE_KEY, error })?;
            self.key = Some(key);
        }
        Ok(())
    }

    fn end_of_run(&mut self) -> Result<()> {
        match self.next {
            0 => Ok(()),
            FRAGMENTS => {
                // A complete set: a later fragment is a second key.
                self.next = 0;
                Ok(())
            }
            found => Err(SignetError::HybridFragmentsIncomplete { found }),
        }
    }

    /// The key read, once every field has been fed.
    pub(crate) fn finish(mut self) -> Result<Option<KemPublicKey>> {
        self.end_of_run()?;
        Ok(self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_lengths_cover_the_key() {
        let lens: Vec<usize> = (0..FRAGMENTS).map(fragment_len).collect();
        assert_eq!(lens, [239, 239, 239, 239, 238]);
        assert_eq!(lens.iter().map(|l| l - 2).sum::<usize>(), ENCAPSULATION_KEY_LEN);
    }
}
