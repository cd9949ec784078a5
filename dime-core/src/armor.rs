//! OpenPGP-style ASCII armor with a CRC-24 checksum line.
//!
//! ```text
//! -----BEGIN USER SIGNET-----
//! <padded base64 of the whole object, 64 columns, LF>
//! =<base64 of the 3-byte CRC-24>
//! -----END USER SIGNET-----
//! ```
//!
//! The writer emits exactly this form. The reader also takes CRLF line ends and whitespace
//! around the block, and body lines of up to 76 columns (the OpenPGP maximum); it refuses blank
//! lines inside the block, a missing or wrong checksum, unknown labels and text after `END`.

use zeroize::Zeroizing;

use crate::base64;
use crate::error::{Error, Result};
use crate::header::Magic;
use crate::limits::ObjectLimits;

/// Columns per body line written.
pub const LINE_WIDTH: usize = 64;
/// Longest body line read.
pub const MAX_LINE_WIDTH: usize = 76;

/// The armor labels DIME defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// `ORGANIZATIONAL SIGNET`
    OrgSignet,
    /// `USER SIGNET`
    UserSignet,
    /// `SIGNET SIGNING REQUEST`
    SigningRequest,
    /// `ORGANIZATIONAL KEY`
    OrgKey,
    /// `USER KEY`
    UserKey,
    /// `ENCRYPTED ORGANIZATIONAL KEY`
    EncryptedOrgKey,
    /// `ENCRYPTED USER KEY`
    EncryptedUserKey,
    /// `ENCRYPTED MESSAGE`
    EncryptedMessage,
}

impl Label {
    const ALL: [Label; 8] = [
        Label::OrgSignet,
        Label::UserSignet,
        Label::SigningRequest,
        Label::OrgKey,
        Label::UserKey,
        Label::EncryptedOrgKey,
        Label::EncryptedUserKey,
        Label::EncryptedMessage,
    ];

    /// The label text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Label::OrgSignet => "ORGANIZATIONAL SIGNET",
            Label::UserSignet => "USER SIGNET",
            Label::SigningRequest => "SIGNET SIGNING REQUEST",
            Label::OrgKey => "ORGANIZATIONAL KEY",
            Label::UserKey => "USER KEY",
            Label::EncryptedOrgKey => "ENCRYPTED ORGANIZATIONAL KEY",
            Label::EncryptedUserKey => "ENCRYPTED USER KEY",
            Label::EncryptedMessage => "ENCRYPTED MESSAGE",
        }
    }

    /// The label for a label text (exact, upper case).
    pub fn from_text(text: &str) -> Result<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == text).ok_or_else(|| Error::ArmorUnknownLabel(text.to_string()))
    }

    /// The label written for an object type, if it has one.
    pub const fn for_magic(magic: Magic) -> Option<Label> {
        Some(match magic {
            Magic::OrgSignet => Label::OrgSignet,
            Magic::UserSignet => Label::UserSignet,
            Magic::SigningRequest => Label::SigningRequest,
            Magic::OrgKey => Label::OrgKey,
            Magic::UserKey => Label::UserKey,
            Magic::EncryptedOrgKey => Label::EncryptedOrgKey,
            Magic::EncryptedUserKey => Label::EncryptedUserKey,
            Magic::Message | Magic::Tracing => Label::EncryptedMessage,
        })
    }

    /// Whether an object of type `magic` may travel under this label.
    ///
    /// The label must be the one [`Label::for_magic`] gives, with one exception kept for
    /// interoperability: libdime armors signing requests as `ORGANIZATIONAL SIGNET`.
    pub fn fits(self, magic: Magic) -> bool {
        Label::for_magic(magic) == Some(self) || (self == Label::OrgSignet && magic == Magic::SigningRequest)
    }
}

/// OpenPGP CRC-24 (RFC 4880 §6.1).
pub fn crc24(bytes: &[u8]) -> u32 {
    const INIT: u32 = 0xB7_04CE;
    const POLY: u32 = 0x186_4CFB;
    let mut crc = INIT;
    for byte in bytes {
        crc ^= u32::from(*byte) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= POLY;
            }
        }
    }
    crc & 0xFF_FFFF
}

/// Armors `bytes` under `label`.
pub fn encode(label: Label, bytes: &[u8]) -> String {
    // Key files travel through here: intermediate text is wiped like the bytes it encodes.
    let body = Zeroizing::new(base64::encode_padded(bytes));
    let crc = crc24(bytes).to_be_bytes();
    let mut out = String::with_capacity(body.len() + body.len() / LINE_WIDTH + 100);
    out.push_str("-----BEGIN ");
    out.push_str(label.as_str());
    out.push_str("-----\n");
    // The body is ASCII, so splitting on byte offsets is safe.
    for line in body.as_bytes().chunks(LINE_WIDTH) {
        out.push_str(core::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push('=');
    out.push_str(&base64::encode_padded(&crc[1..]));
    out.push_str("\n-----END ");
    out.push_str(label.as_str());
    out.push_str("-----\n");
    out
}

/// Decoded armor: its label and the bytes it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armored {
    /// The label of the BEGIN and END lines.
    pub label: Label,
    /// The decoded bytes, checksum verified.
    pub data: Vec<u8>,
}

fn boundary<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?.strip_prefix(kind)?.strip_prefix(' ')?.strip_suffix("-----")
}

fn is_body_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
}

/// Reads one armored block. Line numbers in errors are 1-based, counted from the BEGIN line.
pub fn decode(text: &str, limits: &ObjectLimits) -> Result<Armored> {
    if text.len() > limits.max_armor {
        return Err(Error::TooLarge { what: "armored text", size: text.len(), limit: limits.max_armor });
    }
    let mut lines = text.trim().split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let begin = lines.next().and_then(|l| boundary(l, "BEGIN")).ok_or(Error::ArmorMissingBegin)?;
    let label = Label::from_text(begin)?;
    let mut body = Zeroizing::new(String::new());
    let mut crc_line = None;
    let mut end = None;
    for (index, line) in lines.by_ref().enumerate() {
        let number = index + 2;
        if let Some(end_label) = boundary(line, "END") {
            end = Some(end_label);
            break;
        }
        if line.trim().is_empty() {
            return Err(Error::ArmorBlankLine { line: number });
        }
        if crc_line.is_some() || line.len() > MAX_LINE_WIDTH || !line.bytes().all(is_body_char) {
            return Err(Error::ArmorBadLine { line: number });
        }
        match line.strip_prefix('=') {
            Some(crc) => crc_line = Some((number, crc)),
            None => body.push_str(line),
        }
    }
    let end = end.ok_or(Error::ArmorMissingEnd)?;
    if end != begin {
        return Err(Error::ArmorLabelMismatch { begin: begin.to_string(), end: end.to_string() });
    }
    if lines.next().is_some() {
        return Err(Error::ArmorTrailingText);
    }
    let (crc_number, crc_text) = crc_line.ok_or(Error::ArmorMissingCrc)?;
    if crc_text.len() != 4 {
        return Err(Error::ArmorBadLine { line: crc_number });
    }
    let crc = base64::decode_padded(crc_text, "armor checksum")?;
    let stated = crate::codec::get_uint(&crc);
    let data = base64::decode_padded(&body, "armor body")?;
    let computed = crc24(&data);
    if stated != computed {
        return Err(Error::ArmorBadCrc { stated, computed });
    }
    Ok(Armored { label, data })
}

/// How [`read_object`] found the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// ASCII armor with this label.
    Armored(Label),
    /// Bare padded base64 (as in the reference test files).
    Base64,
    /// Raw binary.
    Binary,
}

/// Reads an object given as armor, bare base64 or binary, telling them apart by content:
/// armor starts with `-----BEGIN`, bare base64 is all base64 characters and white space, and
/// anything else is binary (every DIME magic number starts with a byte that is not printable).
///
/// For armor, the label must fit the magic number of the decoded object.
pub fn read_object(bytes: &[u8], limits: &ObjectLimits) -> Result<(Form, Vec<u8>)> {
    let trimmed = bytes.trim_ascii();
    if trimmed.starts_with(b"-----BEGIN ") {
        let text = core::str::from_utf8(bytes).map_err(|_| Error::ArmorBadLine { line: 0 })?;
        let armored = decode(text, limits)?;
        let magic = crate::header::Header::peek(&armored.data)?.magic;
        if !armored.label.fits(magic) {
            return Err(Error::ArmorLabelMagic { label: armored.label.as_str(), magic });
        }
        return Ok((Form::Armored(armored.label), armored.data));
    }
    if !trimmed.is_empty() && trimmed.iter().all(|c| is_body_char(*c) || c.is_ascii_whitespace()) {
        if bytes.len() > limits.max_armor {
            return Err(Error::TooLarge { what: "base64 text", size: bytes.len(), limit: limits.max_armor });
        }
        let joined: Zeroizing<String> =
            Zeroizing::new(trimmed.iter().filter(|c| !c.is_ascii_whitespace()).map(|c| *c as char).collect());
        return Ok((Form::Base64, base64::decode_padded(&joined, "base64 object")?));
    }
    if bytes.len() > limits.max_object {
        return Err(Error::TooLarge { what: "object", size: bytes.len(), limit: limits.max_object });
    }
    Ok((Form::Binary, bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const L: ObjectLimits = ObjectLimits { max_object: 1 << 20, max_fields: 100, max_armor: 1 << 20 };

    #[test]
    fn crc24_known_values() {
        assert_eq!(crc24(b""), 0xB704CE);
        assert_eq!(crc24(b"123456789"), 0x21CF02);
    }

    #[test]
    fn writes_64_columns_and_no_blank_line() {
        let text = encode(Label::UserKey, &[7u8; 96]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN USER KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 64);
        assert!(lines[3].starts_with('=') && lines[3].len() == 5);
        assert_eq!(lines[4], "-----END USER KEY-----");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn each_fault_has_its_error() {
        let good = encode(Label::OrgKey, b"hello world, this is DIME");
        assert_eq!(decode(&good, &L).unwrap().data, b"hello world, this is DIME");
        assert_eq!(decode(&good.replace('\n', "\r\n"), &L).unwrap().label, Label::OrgKey);
        assert_eq!(decode("nothing", &L), Err(Error::ArmorMissingBegin));
        assert_eq!(
            decode(&good.replace("ORGANIZATIONAL KEY", "PGP KEY"), &L),
            Err(Error::ArmorUnknownLabel("PGP KEY".into()))
        );
        assert_eq!(decode(&good.replacen("-----\n", "-----\n\n", 1), &L), Err(Error::ArmorBlankLine { line: 2 }));
        let no_crc: String = good.lines().filter(|l| !l.starts_with('=')).map(|l| format!("{l}\n")).collect();
        assert_eq!(decode(&no_crc, &L), Err(Error::ArmorMissingCrc));
        let lines: Vec<&str> = good.lines().collect();
        let bad_crc = good.replace(lines[2], "=AAAA");
        assert!(matches!(decode(&bad_crc, &L), Err(Error::ArmorBadCrc { stated: 0, .. })));
        assert_eq!(decode(&good.replace(lines[1], "!!!!"), &L), Err(Error::ArmorBadLine { line: 2 }));
        let cut = good.replace("-----END ORGANIZATIONAL KEY-----\n", "");
        assert_eq!(decode(&cut, &L), Err(Error::ArmorMissingEnd));
        assert_eq!(decode(&format!("{good}junk"), &L), Err(Error::ArmorTrailingText));
        assert_eq!(
            decode(&good.replace("END ORGANIZATIONAL KEY", "END USER KEY"), &L),
            Err(Error::ArmorLabelMismatch { begin: "ORGANIZATIONAL KEY".into(), end: "USER KEY".into() })
        );
        assert_eq!(decode(&good.replace(lines[1], "QQ"), &L), Err(Error::Base64 { what: "armor body" }));
    }

    #[test]
    fn read_object_tells_forms_apart() {
        let obj = crate::header::Header::wrap(Magic::UserKey, &[1, 32]).unwrap();
        assert_eq!(read_object(&obj, &L).unwrap(), (Form::Binary, obj.clone()));
        let b64 = format!("{}\n", base64::encode_padded(&obj));
        assert_eq!(read_object(b64.as_bytes(), &L).unwrap(), (Form::Base64, obj.clone()));
        let armored = encode(Label::UserKey, &obj);
        assert_eq!(read_object(armored.as_bytes(), &L).unwrap(), (Form::Armored(Label::UserKey), obj.clone()));
        let mislabeled = encode(Label::OrgKey, &obj);
        assert_eq!(
            read_object(mislabeled.as_bytes(), &L),
            Err(Error::ArmorLabelMagic { label: "ORGANIZATIONAL KEY", magic: Magic::UserKey })
        );
    }

    proptest! {
        #[test]
        fn armor_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..500), which in 0usize..8) {
            let label = Label::ALL[which];
            let text = encode(label, &bytes);
            prop_assert!(text.lines().all(|l| !l.is_empty() && l.len() <= 64 || l.starts_with("-----")));
            prop_assert_eq!(decode(&text, &L).unwrap(), Armored { label, data: bytes });
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = decode(&text, &L);
            let _ = read_object(text.as_bytes(), &L);
        }
    }
}
