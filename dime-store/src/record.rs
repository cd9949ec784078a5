//! The byte layout of every stored value (`docs/dmap.md` §12.2). Big-endian integers, lengths
//! before variable fields; a value that does not decode is [`StoreError::Corrupt`].

use dime_core::stacie::{Credentials, Salt, VerificationToken};
use dime_dmap::codec::{DateTime, Flag};
use dime_dmap::store::{KeyfileRecord, MessageInfo};

use crate::error::{Result, StoreError};

/// A reader over one stored value that names its table in every error.
struct Reader<'a> {
    bytes: &'a [u8],
    table: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], table: &'static str) -> Reader<'a> {
        Reader { bytes, table }
    }

    fn corrupt(&self, what: &'static str) -> StoreError {
        StoreError::Corrupt { table: self.table, what }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(self.corrupt(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn rest(self) -> &'a [u8] {
        self.bytes
    }

    fn end(self) -> Result<()> {
        if self.bytes.is_empty() { Ok(()) } else { Err(self.corrupt("trailing bytes")) }
    }
}

/// A mailbox's counters: `uid_validity ‖ uid_next`, 4 bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MailboxRecord {
    pub uid_validity: u32,
    pub uid_next: u32,
}

impl MailboxRecord {
    pub fn encode(&self) -> [u8; 8] {
        let mut out = [0; 8];
        out[..4].copy_from_slice(&self.uid_validity.to_be_bytes());
        out[4..].copy_from_slice(&self.uid_next.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<MailboxRecord> {
        let mut r = Reader::new(bytes, "mailboxes");
        let record = MailboxRecord { uid_validity: r.u32("uid validity")?, uid_next: r.u32("uid next")? };
        r.end()?;
        Ok(record)
    }
}

const FLAG_SEEN: u8 = 0;
const FLAG_ANSWERED: u8 = 1;
const FLAG_FLAGGED: u8 = 2;
const FLAG_DELETED: u8 = 3;
const FLAG_DRAFT: u8 = 4;
const FLAG_KEYWORD: u8 = 5;
const FLAG_EXTENSION: u8 = 6;

/// A message's metadata: `unix (i64) ‖ offset minutes (i16) ‖ size (u32) ‖ flag count (u16) ‖
/// flags`, each flag one code byte, keywords and extensions followed by a u16 length and the
/// name. The UID is the key.
pub(crate) fn encode_message(info: &MessageInfo) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(20 + 8 * info.flags.len());
    out.extend_from_slice(&info.internal_date.unix().to_be_bytes());
    out.extend_from_slice(&info.internal_date.offset_minutes().to_be_bytes());
    out.extend_from_slice(&info.size.to_be_bytes());
    let count = u16::try_from(info.flags.len()).map_err(|_| StoreError::Refused("too many flags"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for flag in &info.flags {
        let (code, name) = match flag {
            Flag::Seen => (FLAG_SEEN, None),
            Flag::Answered => (FLAG_ANSWERED, None),
            Flag::Flagged => (FLAG_FLAGGED, None),
            Flag::Deleted => (FLAG_DELETED, None),
            Flag::Draft => (FLAG_DRAFT, None),
            Flag::Keyword(name) => (FLAG_KEYWORD, Some(name)),
            Flag::Extension(name) => (FLAG_EXTENSION, Some(name)),
        };
        out.push(code);
        if let Some(name) = name {
            let len = u16::try_from(name.len()).map_err(|_| StoreError::Refused("flag name too long"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(name.as_bytes());
        }
    }
    Ok(out)
}

/// Reads what [`encode_message`] wrote, for the message `uid`.
pub(crate) fn decode_message(uid: u32, bytes: &[u8]) -> Result<MessageInfo> {
    let mut r = Reader::new(bytes, "messages");
    let unix = i64::from_be_bytes(r.array("internal date")?);
    let offset = i16::from_be_bytes(r.array("zone offset")?);
    let internal_date = DateTime::new(unix, offset).ok_or_else(|| r.corrupt("internal date out of range"))?;
    let size = r.u32("size")?;
    let count = r.u16("flag count")?;
    let mut flags = Vec::with_capacity(usize::from(count).min(r.bytes.len()));
    for _ in 0..count {
        let [code] = r.array("flag code")?;
        let flag = match code {
            FLAG_SEEN => Flag::Seen,
            FLAG_ANSWERED => Flag::Answered,
            FLAG_FLAGGED => Flag::Flagged,
            FLAG_DELETED => Flag::Deleted,
            FLAG_DRAFT => Flag::Draft,
            FLAG_KEYWORD | FLAG_EXTENSION => {
                let len = r.u16("flag name length")?;
                let name = r.take(usize::from(len), "flag name")?;
                let name = String::from_utf8(name.to_vec()).map_err(|_| r.corrupt("flag name not UTF-8"))?;
                if code == FLAG_KEYWORD { Flag::Keyword(name) } else { Flag::Extension(name) }
            }
            _ => return Err(r.corrupt("unknown flag code")),
        };
        flags.push(flag);
    }
    r.end()?;
    Ok(MessageInfo { uid, flags, internal_date, size })
}

/// STACIE credentials: `salt (128) ‖ bonus (u32) ‖ verification token (64)`.
pub(crate) fn encode_credentials(credentials: &Credentials) -> Vec<u8> {
    let mut out = Vec::with_capacity(Salt::LEN + 4 + VerificationToken::LEN);
    out.extend_from_slice(credentials.salt().as_bytes());
    out.extend_from_slice(&credentials.bonus().to_be_bytes());
    out.extend_from_slice(credentials.verification_token().as_bytes());
    out
}

/// Reads what [`encode_credentials`] wrote.
pub(crate) fn decode_credentials(bytes: &[u8]) -> Result<Credentials> {
    let mut r = Reader::new(bytes, "accounts");
    let salt = Salt::from_slice(r.take(Salt::LEN, "salt")?).map_err(|_| r.corrupt("salt"))?;
    let bonus = r.u32("bonus")?;
    let token = VerificationToken::from_slice(r.take(VerificationToken::LEN, "verification token")?)
        .map_err(|_| r.corrupt("verification token"))?;
    let credentials = Credentials::from_parts(salt, bonus, token).map_err(|_| r.corrupt("bonus too large"))?;
    r.end()?;
    Ok(credentials)
}

/// A sealed key file: `shard (64) ‖ envelope`.
pub(crate) fn encode_keyfile(record: &KeyfileRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + record.envelope.len());
    out.extend_from_slice(&record.shard);
    out.extend_from_slice(&record.envelope);
    out
}

/// Reads what [`encode_keyfile`] wrote.
pub(crate) fn decode_keyfile(bytes: &[u8]) -> Result<KeyfileRecord> {
    let mut r = Reader::new(bytes, "keyfiles");
    let shard = r.array("shard")?;
    Ok(KeyfileRecord { shard, envelope: r.rest().to_vec() })
}

/// A submission: `user length (u16) ‖ user ‖ object`.
pub(crate) fn encode_submission(user: &str, object: &[u8]) -> Result<Vec<u8>> {
    let len = u16::try_from(user.len()).map_err(|_| StoreError::Refused("user name too long"))?;
    let mut out = Vec::with_capacity(2 + user.len() + object.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(user.as_bytes());
    out.extend_from_slice(object);
    Ok(out)
}

/// Reads what [`encode_submission`] wrote: (user, object).
pub(crate) fn decode_submission(bytes: &[u8]) -> Result<(String, Vec<u8>)> {
    let mut r = Reader::new(bytes, "outbox");
    let len = r.u16("user length")?;
    let user = r.take(usize::from(len), "user")?;
    let user = String::from_utf8(user.to_vec()).map_err(|_| r.corrupt("user not UTF-8"))?;
    Ok((user, r.rest().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_round_trip() {
        let info = MessageInfo {
            uid: 7,
            flags: vec![Flag::Seen, Flag::Keyword("$Label1".into()), Flag::Extension("Recent".into()), Flag::Draft],
            internal_date: DateTime::new(1_750_000_000, -330).unwrap(),
            size: 1234,
        };
        let bytes = encode_message(&info).unwrap();
        assert_eq!(decode_message(7, &bytes).unwrap(), info);
    }

    #[test]
    fn truncated_and_padded_messages_are_corrupt() {
        let info = MessageInfo {
            uid: 1,
            flags: vec![Flag::Keyword("k".into())],
            internal_date: DateTime::UNIX_EPOCH,
            size: 1,
        };
        let bytes = encode_message(&info).unwrap();
        for cut in 0..bytes.len() {
            assert!(matches!(decode_message(1, &bytes[..cut]), Err(StoreError::Corrupt { table: "messages", .. })));
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(matches!(
            decode_message(1, &padded),
            Err(StoreError::Corrupt { table: "messages", what: "trailing bytes" })
        ));
        let mut unknown = bytes;
        unknown[16] = 9;
        assert!(matches!(
            decode_message(1, &unknown),
            Err(StoreError::Corrupt { table: "messages", what: "unknown flag code" })
        ));
    }

    #[test]
    fn credentials_round_trip() {
        let credentials =
            Credentials::from_parts(Salt::from_bytes([3; 128]), 5, VerificationToken::from_bytes([4; 64])).unwrap();
        let bytes = encode_credentials(&credentials);
        assert_eq!(decode_credentials(&bytes).unwrap(), credentials);
        assert!(matches!(
            decode_credentials(&bytes[..bytes.len() - 1]),
            Err(StoreError::Corrupt { table: "accounts", what: "verification token" })
        ));
    }

    #[test]
    fn submission_and_keyfile_round_trip() {
        let bytes = encode_submission("alice@example.org", b"\0object").unwrap();
        assert_eq!(decode_submission(&bytes).unwrap(), ("alice@example.org".into(), b"\0object".to_vec()));
        let record = KeyfileRecord { shard: [8; 64], envelope: vec![1, 2, 3] };
        assert_eq!(decode_keyfile(&encode_keyfile(&record)).unwrap(), record);
        assert!(matches!(decode_keyfile(&[0; 63]), Err(StoreError::Corrupt { table: "keyfiles", what: "shard" })));
    }
}
