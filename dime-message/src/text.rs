//! The text chunks: origin and destination envelopes and the common headers.

use dime_core::Fingerprint;

use crate::error::{MessageError, Result};

/// Longest value of one common header, in bytes.
pub const MAX_HEADER_VALUE: usize = 16_384;
/// Longest address or domain inside `<>`.
pub const MAX_ADDRESS: usize = 255;

/// What the origin chunk (4) says: who writes, and to which organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginEnvelope {
    /// The author's address.
    pub author: String,
    /// Crypto fingerprint of the author's signet.
    pub author_signet: Fingerprint,
    /// The destination organization's domain.
    pub destination: String,
    /// Crypto fingerprint of the destination organization's signet.
    pub destination_signet: Fingerprint,
}

/// What the destination chunk (5) says: who reads, and from which organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationEnvelope {
    /// The recipient's address.
    pub recipient: String,
    /// Crypto fingerprint of the recipient's signet.
    pub recipient_signet: Fingerprint,
    /// The origin organization's domain.
    pub origin: String,
    /// Crypto fingerprint of the origin organization's signet.
    pub origin_signet: Fingerprint,
}

const ORIGIN_LABELS: [&str; 4] = ["Author", "Author-Signet", "Destination", "Destination-Signet"];
const DESTINATION_LABELS: [&str; 4] = ["Recipient", "Recipient-Signet", "Origin", "Origin-Signet"];

fn bad(what: &'static str, problem: &'static str) -> MessageError {
    MessageError::BadText { what, problem }
}

fn check_address(what: &'static str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= MAX_ADDRESS
        && value.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    if ok { Ok(()) } else { Err(bad(what, "address is not 1 to 255 printable ASCII characters")) }
}

fn encode_envelope(
    what: &'static str,
    labels: &[&str; 4],
    first: &str,
    first_fp: &Fingerprint,
    second: &str,
    second_fp: &Fingerprint,
) -> Result<Vec<u8>> {
    check_address(what, first)?;
    check_address(what, second)?;
    Ok(format!(
        "{}: <{first}>\r\n{}: [{first_fp}]\r\n{}: <{second}>\r\n{}: [{second_fp}]\r\n",
        labels[0], labels[1], labels[2], labels[3]
    )
    .into_bytes())
}

/// Splits `data` into CRLF-terminated lines `Label: value`, checking each label in turn.
fn lines<'a>(what: &'static str, data: &'a [u8]) -> Result<Vec<(&'a str, &'a str)>> {
    let text = core::str::from_utf8(data).map_err(|_| bad(what, "not UTF-8"))?;
    let body = text.strip_suffix("\r\n").ok_or(bad(what, "missing final CRLF"))?;
    body.split("\r\n").map(|line| line.split_once(": ").ok_or(bad(what, "line without \": \""))).collect()
}

fn decode_envelope(
    what: &'static str,
    labels: &[&str; 4],
    data: &[u8],
) -> Result<(String, Fingerprint, String, Fingerprint)> {
    let lines = lines(what, data)?;
    if lines.len() != 4 {
        return Err(bad(what, "not exactly four lines"));
    }
    let mut values = [""; 4];
    for ((label, value), (want, slot)) in lines.iter().zip(labels.iter().zip(values.iter_mut())) {
        if label != want {
            return Err(bad(what, "unexpected label"));
        }
        *slot = value;
    }
    let address = |v: &str| -> Result<String> {
        let inner = v.strip_prefix('<').and_then(|v| v.strip_suffix('>')).ok_or(bad(what, "address not in <>"))?;
        check_address(what, inner)?;
        Ok(inner.to_owned())
    };
    let fingerprint = |v: &str| -> Result<Fingerprint> {
        v.strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .ok_or(bad(what, "fingerprint not in []"))?
            .parse()
            .map_err(|_| bad(what, "fingerprint is not 86 base64 characters"))
    };
    Ok((address(values[0])?, fingerprint(values[1])?, address(values[2])?, fingerprint(values[3])?))
}

impl OriginEnvelope {
    /// The chunk data (§6.1).
    pub fn encode(&self) -> Result<Vec<u8>> {
        encode_envelope(
            "origin envelope",
            &ORIGIN_LABELS,
            &self.author,
            &self.author_signet,
            &self.destination,
            &self.destination_signet,
        )
    }

    /// Parses the chunk data strictly.
    pub fn decode(data: &[u8]) -> Result<OriginEnvelope> {
        let (author, author_signet, destination, destination_signet) =
            decode_envelope("origin envelope", &ORIGIN_LABELS, data)?;
        Ok(OriginEnvelope { author, author_signet, destination, destination_signet })
    }
}

impl DestinationEnvelope {
    /// The chunk data (§6.1).
    pub fn encode(&self) -> Result<Vec<u8>> {
        encode_envelope(
            "destination envelope",
            &DESTINATION_LABELS,
            &self.recipient,
            &self.recipient_signet,
            &self.origin,
            &self.origin_signet,
        )
    }

    /// Parses the chunk data strictly.
    pub fn decode(data: &[u8]) -> Result<DestinationEnvelope> {
        let (recipient, recipient_signet, origin, origin_signet) =
            decode_envelope("destination envelope", &DESTINATION_LABELS, data)?;
        Ok(DestinationEnvelope { recipient, recipient_signet, origin, origin_signet })
    }
}

/// The cross-check of `docs/message-format.md` §8: the recipient address the author wrote in the
/// destination chunk must lie in the destination domain it wrote in the origin chunk (the part
/// after the address's last `@`, compared ASCII case-insensitively).
pub fn check_envelopes(origin: &OriginEnvelope, destination: &DestinationEnvelope) -> Result<()> {
    let recipient = destination.recipient.as_str();
    let domain = recipient.rsplit_once('@').map_or(recipient, |(_, domain)| domain);
    if domain.eq_ignore_ascii_case(&origin.destination) {
        Ok(())
    } else {
        Err(MessageError::EnvelopeMismatch { recipient: recipient.to_owned(), destination: origin.destination.clone() })
    }
}

/// The common headers (33): Date, To, CC, From, Organization, Subject.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommonHeaders {
    /// `Date` (required).
    pub date: String,
    /// `To` (required).
    pub to: String,
    /// `CC` (optional).
    pub cc: Option<String>,
    /// `From` (required).
    pub from: String,
    /// `Organization` (optional).
    pub organization: Option<String>,
    /// `Subject` (required).
    pub subject: String,
}

const COMMON: &str = "common headers";
const COMMON_LABELS: [(&str, bool); 6] =
    [("Date", true), ("To", true), ("CC", false), ("From", true), ("Organization", false), ("Subject", true)];

fn check_value(value: &str) -> Result<()> {
    if value.len() > MAX_HEADER_VALUE {
        return Err(bad(COMMON, "value longer than 16384 bytes"));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(COMMON, "control character in a value"));
    }
    Ok(())
}

impl CommonHeaders {
    fn values(&self) -> [Option<&str>; 6] {
        [
            Some(&self.date),
            Some(&self.to),
            self.cc.as_deref(),
            Some(&self.from),
            self.organization.as_deref(),
            Some(&self.subject),
        ]
    }

    /// The chunk data (§6.2).
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = String::new();
        for ((label, _), value) in COMMON_LABELS.iter().zip(self.values()) {
            if let Some(value) = value {
                check_value(value)?;
                out.push_str(label);
                out.push_str(": ");
                out.push_str(value);
                out.push_str("\r\n");
            }
        }
        Ok(out.into_bytes())
    }

    /// Parses the chunk data strictly: canonical order, required labels, no others.
    pub fn decode(data: &[u8]) -> Result<CommonHeaders> {
        let mut found: [Option<String>; 6] = Default::default();
        let mut next = 0;
        for (label, value) in lines(COMMON, data)? {
            let at = COMMON_LABELS.iter().position(|(l, _)| *l == label).ok_or(bad(COMMON, "unknown label"))?;
            if at < next {
                return Err(bad(COMMON, "label repeated or out of order"));
            }
            check_value(value)?;
            if let Some(slot) = found.get_mut(at) {
                *slot = Some(value.to_owned());
            }
            next = at + 1;
        }
        let [date, to, cc, from, organization, subject] = found;
        let need = |v: Option<String>| v.ok_or(bad(COMMON, "a required label is missing"));
        Ok(CommonHeaders {
            date: need(date)?,
            to: need(to)?,
            cc,
            from: need(from)?,
            organization,
            subject: need(subject)?,
        })
    }
}
