//! Strict standard-alphabet base64, padded (armor bodies) and unpadded (DNS values,
//! fingerprints). Non-canonical encodings are rejected.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use crate::error::{Error, Result};

/// Encodes with `=` padding.
pub fn encode_padded(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Encodes without padding.
pub fn encode_unpadded(bytes: &[u8]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// Decodes canonical padded base64; `what` names the value in the error.
pub fn decode_padded(text: &str, what: &'static str) -> Result<Vec<u8>> {
    STANDARD.decode(text).map_err(|_| Error::Base64 { what })
}

/// Decodes canonical unpadded base64; `what` names the value in the error.
pub fn decode_unpadded(text: &str, what: &'static str) -> Result<Vec<u8>> {
    STANDARD_NO_PAD.decode(text).map_err(|_| Error::Base64 { what })
}

/// Decodes canonical unpadded base64 of exactly `N` bytes.
pub fn decode_unpadded_array<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    let bytes = decode_unpadded(text, what)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| Error::DecodedLength { what, len: bytes.len(), expected: N })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn both_forms_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode_padded(&encode_padded(&bytes), "t").unwrap(), bytes.clone());
            prop_assert_eq!(decode_unpadded(&encode_unpadded(&bytes), "t").unwrap(), bytes);
        }
    }

    #[test]
    fn rejects_wrong_padding_and_noncanonical_bits() {
        assert_eq!(decode_unpadded("QQ==", "t"), Err(Error::Base64 { what: "t" }));
        assert_eq!(decode_padded("QQ", "t"), Err(Error::Base64 { what: "t" }));
        assert_eq!(decode_unpadded("QR", "t"), Err(Error::Base64 { what: "t" }));
        assert_eq!(decode_unpadded("Q!", "t"), Err(Error::Base64 { what: "t" }));
        assert_eq!(decode_unpadded_array::<2>("QQ", "t"), Err(Error::DecodedLength { what: "t", len: 1, expected: 2 }));
    }
}
