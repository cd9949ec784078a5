//! Management-record parsing on arbitrary text: never panics; whatever parses writes a
//! canonical form that parses to the same record and writes identically; the same bytes split
//! into TXT character-strings at any point read the same.
#![no_main]

use dime_signet::ManagementRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, text)) = data.split_first() else { return };
    let parsed = core::str::from_utf8(text).ok().map(|t| t.parse::<ManagementRecord>());
    let at = usize::from(split).min(text.len());
    let from_strings = ManagementRecord::from_txt_strings(&[&text[..at], &text[at..]]);
    if let Some(Ok(record)) = parsed {
        let canonical = record.to_string();
        let again: ManagementRecord = canonical.parse().expect("canonical form parses");
        assert_eq!(again, record);
        assert_eq!(again.to_string(), canonical);
        assert_eq!(from_strings.as_ref().ok(), Some(&record));
    }
});
