//! From DNS TXT answers to a record: joining character-strings and picking the DIME record.

use super::dnssec::{DnssecStatus, RecordPolicy};
use super::error::RecordError;
use super::token::is_separator;
use super::{MAX_RECORD_LEN, ManagementRecord};

/// Longest TXT character-string (RFC 1035 §3.3: one length byte).
pub const MAX_TXT_STRING_LEN: usize = 255;
/// Largest total of one TXT RR's character-strings (an RDATA is at most 65 535 bytes).
pub const MAX_TXT_RR_LEN: usize = 65_535;
/// Most TXT RRs read at `_dx.<domain>`.
pub const MAX_TXT_RRS: usize = 16;

/// Field names whose presence makes a TXT RR a DIME record.
const MARKERS: [&[u8]; 4] = [b"ver", b"version", b"pok", b"primary"];
/// Longest marker name.
const MARKER_MAX: usize = 7;

/// Whether one TXT RR (its character-strings, joined with no separator) is a DIME record: it is
/// when any token's name, before its first `=`, is `ver`, `version`, `pok` or `primary` in any
/// case. Every valid record has a `pok`, and writers put `ver` first, so a broken DIME record is
/// still recognised (and then refused by the parser) rather than skipped.
///
/// This looks only at names; it does not check the record.
pub fn is_dime_record<S: AsRef<[u8]>>(strings: &[S]) -> bool {
    let mut name = [0u8; MARKER_MAX];
    let mut len = 0;
    let mut in_name = true;
    for &byte in strings.iter().flat_map(|s| s.as_ref()) {
        if is_separator(byte) {
            (len, in_name) = (0, true);
            continue;
        }
        if !in_name {
            continue;
        }
        if byte == b'=' {
            if name.get(..len).is_some_and(|n| MARKERS.contains(&n)) {
                return true;
            }
            in_name = false;
        } else if let Some(slot) = name.get_mut(len) {
            *slot = byte.to_ascii_lowercase();
            len += 1;
        } else {
            // Longer than every marker.
            in_name = false;
        }
    }
    false
}

/// Checks the size of each character-string and gives the RR's total length.
fn rr_len<S: AsRef<[u8]>>(strings: &[S]) -> Result<usize, RecordError> {
    let mut total = 0usize;
    for string in strings {
        let len = string.as_ref().len();
        if len > MAX_TXT_STRING_LEN {
            return Err(RecordError::CharacterStringTooLong { len });
        }
        total = total.saturating_add(len);
    }
    if total > MAX_TXT_RR_LEN {
        return Err(RecordError::TxtRecordTooLarge { len: total, limit: MAX_TXT_RR_LEN });
    }
    Ok(total)
}

impl ManagementRecord {
    /// Parses one TXT RR given as its character-strings, joined with no separator (a record
    /// may be split anywhere, even inside a token).
    pub fn from_txt_strings<S: AsRef<[u8]>>(strings: &[S]) -> Result<ManagementRecord, RecordError> {
        let len = rr_len(strings)?;
        if len > MAX_RECORD_LEN {
            return Err(RecordError::TooLarge { len, limit: MAX_RECORD_LEN });
        }
        let mut text = Vec::with_capacity(len);
        for string in strings {
            text.extend_from_slice(string.as_ref());
        }
        ManagementRecord::parse_bytes(&text)
    }

    /// Parses the TXT RRset found at `_dx.<domain>`, each RR given as its character-strings.
    ///
    /// RRs that are not DIME records ([`is_dime_record`]) are ignored; exactly one must be.
    /// Errors: [`RecordError::TooManyTxtRecords`], [`RecordError::NoDimeRecord`],
    /// [`RecordError::MultipleDimeRecords`], string and size faults of any RR, and every parse
    /// error of the DIME record.
    pub fn from_txt_records<R, S>(records: &[R]) -> Result<ManagementRecord, RecordError>
    where
        R: AsRef<[S]>,
        S: AsRef<[u8]>,
    {
        if records.len() > MAX_TXT_RRS {
            return Err(RecordError::TooManyTxtRecords { count: records.len(), limit: MAX_TXT_RRS });
        }
        let mut dime = Vec::new();
        for record in records {
            rr_len(record.as_ref())?;
            if is_dime_record(record.as_ref()) {
                dime.push(record.as_ref());
            }
        }
        match dime.as_slice() {
            [one] => ManagementRecord::from_txt_strings(one),
            [] => Err(RecordError::NoDimeRecord { ignored: records.len() }),
            several => Err(RecordError::MultipleDimeRecords { count: several.len() }),
        }
    }

    /// The resolver's entry point: refuses the answer under `policy` first (bogus always,
    /// insecure unless allowed), then parses it as [`ManagementRecord::from_txt_records`] does.
    pub fn from_dns<R, S>(
        records: &[R],
        status: DnssecStatus,
        policy: &RecordPolicy,
    ) -> Result<ManagementRecord, RecordError>
    where
        R: AsRef<[S]>,
        S: AsRef<[u8]>,
    {
        policy.check(status)?;
        ManagementRecord::from_txt_records(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_looks_at_names_only() {
        for dime in
            [&["ver=1"][..], &["x=1;POK=abc"], &["Version=9"], &["primary=", "x"], &["v", "er=1"], &["a=b=c pok=1"]]
        {
            assert!(is_dime_record(dime), "{dime:?}");
        }
        for other in [
            &["v=spf1 -all"][..],
            &["vers=1"],
            &["xpok=1"],
            &["a=pok=1"],
            &["pok"],
            &["ver pok"],
            &["verylongname=1 p", "o", "k"],
            &[],
        ] {
            assert!(!is_dime_record(other), "{other:?}");
        }
    }

    #[test]
    fn string_limits() {
        let long = [vec![b'a'; 256]];
        assert_eq!(rr_len(&long), Err(RecordError::CharacterStringTooLong { len: 256 }));
        let many = vec![vec![b'a'; 255]; 258];
        assert_eq!(rr_len(&many), Err(RecordError::TxtRecordTooLarge { len: 65_790, limit: MAX_TXT_RR_LEN }));
        assert_eq!(rr_len(&many[..257]), Ok(65_535));
    }
}
