//! The byte layout of every stored value (`docs/dmap.md` §12.2). Big-endian integers, lengths
//! before variable fields; a value that does not decode is [`StoreError::Corrupt`].

use dime_core::stacie::{Credentials, Salt, VerificationToken};
use dime_dmap::codec::{DateTime, Flag};
use dime_dmap::store::{KeyfileRecord, MessageInfo};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dime_core::Fingerprint;
use dime_dmtp::client::Delivery;
use dime_dmtp::outbox::EntryState;
use dime_dmtp::wire::{DataType, ReturnType};
use dime_signet::record::HostName;

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

/// The table name of queued DMTP deliveries, as errors name it.
pub(crate) const DELIVERIES: &str = "dmtp_outbox_deliveries";
/// The table name of their states.
pub(crate) const DELIVERY_STATES: &str = "dmtp_outbox_states";

fn push_name(out: &mut Vec<u8>, name: &str) {
    // Host names are at most 253 bytes (`HostName`), so the length fits in one byte.
    out.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(name.as_bytes().get(..usize::from(u8::MAX)).unwrap_or(name.as_bytes()));
}

fn read_name(r: &mut Reader<'_>, what: &'static str) -> Result<HostName> {
    let len = r.array::<1>(what)?[0];
    let bytes = r.take(usize::from(len), what)?;
    let text = core::str::from_utf8(bytes).map_err(|_| r.corrupt(what))?;
    HostName::new(text).map_err(|_| r.corrupt(what))
}

/// A queued DMTP delivery: `len ‖ origin ‖ origin fingerprint (64) ‖ len ‖ destination ‖
/// destination fingerprint (64) ‖ hash flag [‖ hash (64)] ‖ return type ‖ data type ‖ object`;
/// the lengths are one byte, the return type 0 (none), 1 `FULL`, 2 `DISPLAY`, 3 `HEADER`, the
/// data type 0 (none), 1 `7BIT`, 2 `8BIT`.
pub(crate) fn encode_delivery(delivery: &Delivery) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * 320 + delivery.object.len());
    push_name(&mut out, delivery.origin.as_str());
    out.extend_from_slice(delivery.origin_fingerprint.as_bytes());
    push_name(&mut out, delivery.destination.as_str());
    out.extend_from_slice(delivery.destination_fingerprint.as_bytes());
    match &delivery.hash {
        Some(hash) => {
            out.push(1);
            out.extend_from_slice(hash.as_bytes());
        }
        None => out.push(0),
    }
    out.push(match delivery.return_type {
        None => 0,
        Some(ReturnType::Full) => 1,
        Some(ReturnType::Display) => 2,
        Some(ReturnType::Header) => 3,
    });
    out.push(match delivery.data_type {
        None => 0,
        Some(DataType::SevenBit) => 1,
        Some(DataType::EightBit) => 2,
    });
    out.extend_from_slice(&delivery.object);
    out
}

/// Reads what [`encode_delivery`] wrote.
pub(crate) fn decode_delivery(bytes: &[u8]) -> Result<Delivery> {
    let mut r = Reader::new(bytes, DELIVERIES);
    let origin = read_name(&mut r, "origin")?;
    let origin_fingerprint = Fingerprint(r.array("origin fingerprint")?);
    let destination = read_name(&mut r, "destination")?;
    let destination_fingerprint = Fingerprint(r.array("destination fingerprint")?);
    let hash = match r.array::<1>("hash flag")?[0] {
        0 => None,
        1 => Some(Fingerprint(r.array("hash")?)),
        _ => return Err(r.corrupt("hash flag")),
    };
    let return_type = match r.array::<1>("return type")?[0] {
        0 => None,
        1 => Some(ReturnType::Full),
        2 => Some(ReturnType::Display),
        3 => Some(ReturnType::Header),
        _ => return Err(r.corrupt("return type")),
    };
    let data_type = match r.array::<1>("data type")?[0] {
        0 => None,
        1 => Some(DataType::SevenBit),
        2 => Some(DataType::EightBit),
        _ => return Err(r.corrupt("data type")),
    };
    let object = bytes::Bytes::copy_from_slice(r.rest());
    Ok(Delivery {
        origin,
        origin_fingerprint,
        destination,
        destination_fingerprint,
        object,
        hash,
        return_type,
        data_type,
    })
}

/// Seconds and nanoseconds since the Unix epoch: 8 + 4 bytes.
fn push_time(out: &mut Vec<u8>, time: SystemTime) -> Result<()> {
    let since = time.duration_since(UNIX_EPOCH).map_err(|_| StoreError::Refused("a time before 1970"))?;
    out.extend_from_slice(&since.as_secs().to_be_bytes());
    out.extend_from_slice(&since.subsec_nanos().to_be_bytes());
    Ok(())
}

fn read_time(r: &mut Reader<'_>, what: &'static str) -> Result<SystemTime> {
    let secs = u64::from_be_bytes(r.array(what)?);
    let nanos = r.u32(what)?;
    if nanos >= 1_000_000_000 {
        return Err(r.corrupt(what));
    }
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos)).ok_or_else(|| r.corrupt(what))
}

/// A queued delivery's state: `queued (12) ‖ failures (4) ‖ due (12) ‖ the last error's text
/// (UTF-8, empty for none)`. The error is kept as its text: its type does not outlive the
/// process.
pub(crate) fn encode_delivery_state(state: &EntryState) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(28);
    push_time(&mut out, state.queued)?;
    out.extend_from_slice(&state.failures.to_be_bytes());
    push_time(&mut out, state.due)?;
    if let Some(error) = &state.last_error {
        out.extend_from_slice(error.to_string().as_bytes());
    }
    Ok(out)
}

/// Reads what [`encode_delivery_state`] wrote: the state (with no last error) and the last
/// error's text.
pub(crate) fn decode_delivery_state(bytes: &[u8]) -> Result<(EntryState, Option<String>)> {
    let mut r = Reader::new(bytes, DELIVERY_STATES);
    let queued = read_time(&mut r, "queued")?;
    let failures = r.u32("failures")?;
    let due = read_time(&mut r, "due")?;
    let text = core::str::from_utf8(r.rest())
        .map_err(|_| StoreError::Corrupt { table: DELIVERY_STATES, what: "error text" })?;
    let text = (!text.is_empty()).then(|| text.to_string());
    Ok((EntryState { queued, failures, due, last_error: None }, text))
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

    fn delivery(hash: Option<Fingerprint>) -> Delivery {
        Delivery {
            origin: HostName::new("example.org").unwrap(),
            origin_fingerprint: Fingerprint::of(b"org"),
            destination: HostName::new("example.net").unwrap(),
            destination_fingerprint: Fingerprint::of(b"net"),
            object: bytes::Bytes::from_static(b"\0object\xff"),
            hash,
            return_type: Some(ReturnType::Display),
            data_type: Some(DataType::EightBit),
        }
    }

    #[test]
    fn deliveries_round_trip_and_every_cut_is_corrupt() {
        for delivery in [delivery(None), delivery(Some(Fingerprint::of(b"hash")))] {
            let bytes = encode_delivery(&delivery);
            assert_eq!(decode_delivery(&bytes).unwrap(), delivery);
            // Every cut inside the fixed part is refused; a cut in the object only shortens it.
            let fixed = bytes.len() - delivery.object.len();
            for cut in 0..fixed {
                assert!(
                    matches!(decode_delivery(&bytes[..cut]), Err(StoreError::Corrupt { table: DELIVERIES, .. })),
                    "cut at {cut}"
                );
            }
        }
        let mut bytes = encode_delivery(&delivery(None));
        let flag = 1 + 11 + 64 + 1 + 11 + 64;
        bytes[flag + 1] = 4;
        assert!(matches!(decode_delivery(&bytes), Err(StoreError::Corrupt { what: "return type", .. })));
    }

    #[test]
    fn delivery_states_round_trip_with_the_error_as_text() {
        let t = UNIX_EPOCH + Duration::new(1_796_400_000, 123_456_789);
        let state = EntryState {
            queued: t,
            failures: 3,
            due: t + Duration::from_secs(1200),
            last_error: Some(dime_dmtp::DmtpError::Timeout { phase: dime_dmtp::TimeoutPhase::Data }),
        };
        let (read, text) = decode_delivery_state(&encode_delivery_state(&state).unwrap()).unwrap();
        assert_eq!(read, EntryState { last_error: None, ..state.clone() });
        assert_eq!(text.as_deref(), Some("timed out waiting for the reply to the message data"));
        let quiet = EntryState { last_error: None, ..state };
        assert_eq!(decode_delivery_state(&encode_delivery_state(&quiet).unwrap()).unwrap(), (quiet, None));
        assert!(matches!(
            decode_delivery_state(&[0; 27]),
            Err(StoreError::Corrupt { table: DELIVERY_STATES, what: "due" })
        ));
        let early = EntryState { queued: UNIX_EPOCH - Duration::from_secs(1), failures: 0, due: t, last_error: None };
        assert!(matches!(encode_delivery_state(&early), Err(StoreError::Refused(_))));
    }

    proptest::proptest! {
        /// Any delivery the outbox can hold reads back as written.
        #[test]
        fn any_delivery_round_trips(
            origin in "[a-z]{1,20}\\.[a-z]{2,6}",
            destination in "[a-z0-9]{1,30}(\\.[a-z0-9]{1,10}){0,2}\\.[a-z]{2,6}",
            fingerprints in proptest::array::uniform3(proptest::array::uniform32(proptest::prelude::any::<u8>())),
            hash in proptest::prelude::any::<bool>(),
            kinds in (0u8..4, 0u8..3),
            object in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
        ) {
            let fp = |half: [u8; 32]| Fingerprint(core::array::from_fn(|i| half[i % 32] ^ (i as u8)));
            let delivery = Delivery {
                origin: HostName::new(&origin).unwrap(),
                origin_fingerprint: fp(fingerprints[0]),
                destination: HostName::new(&destination).unwrap(),
                destination_fingerprint: fp(fingerprints[1]),
                object: object.into(),
                hash: hash.then(|| fp(fingerprints[2])),
                return_type: [None, Some(ReturnType::Full), Some(ReturnType::Display), Some(ReturnType::Header)][usize::from(kinds.0)],
                data_type: [None, Some(DataType::SevenBit), Some(DataType::EightBit)][usize::from(kinds.1)],
            };
            proptest::prop_assert_eq!(decode_delivery(&encode_delivery(&delivery)).unwrap(), delivery);
        }
    }
}
