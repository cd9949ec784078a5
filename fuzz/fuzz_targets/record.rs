//! Management-record parsing on arbitrary text: never panics; whatever parses writes a
//! canonical form that parses to the same record and writes identically; the same bytes split
//! into TXT character-strings (at most 255 bytes each) at any point read the same, and one
//! string over 255 bytes is refused for its length.
#![no_main]

use dime_signet::{ManagementRecord, RecordError};
use libfuzzer_sys::fuzz_target;

/// The longest TXT character-string.
const STRING_MAX: usize = 255;

fuzz_target!(|data: &[u8]| {
    let Some((&split, text)) = data.split_first() else { return };
    let parsed = core::str::from_utf8(text).ok().map(|t| t.parse::<ManagementRecord>());
    // The first string ends at `split` (at most 255); the rest is cut into full strings.
    let at = usize::from(split).min(text.len());
    let strings: Vec<&[u8]> = core::iter::once(&text[..at]).chain(text[at..].chunks(STRING_MAX)).collect();
    let from_strings = ManagementRecord::from_txt_strings(&strings);
    if text.len() > STRING_MAX {
        let whole = ManagementRecord::from_txt_strings(&[text]);
        assert_eq!(whole, Err(RecordError::CharacterStringTooLong { len: text.len() }));
    }
    if let Some(Ok(record)) = parsed {
        let canonical = record.to_string();
        let again: ManagementRecord = canonical.parse().expect("canonical form parses");
        assert_eq!(again, record);
        assert_eq!(again.to_string(), canonical);
        assert_eq!(from_strings.as_ref().ok(), Some(&record));
    }
});
