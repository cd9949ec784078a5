//! Message headers as given on the command line: `--header 'Name: value'` lines, the address
//! inside a To value, and the default Date.

use core::fmt;
use core::str::FromStr;
use std::time::SystemTime;

use crate::address::Address;
use crate::error::CliError;

/// Longest header line, `Name: value` (RFC 5322 §2.1.1: lines are at most 998 characters, and
/// lines given here are never folded).
pub const MAX_HEADER_LINE: usize = 998;

/// The headers the common-headers chunk carries; `--header` refuses them (they have options).
const COMMON: [(&str, &str); 6] = [
    ("Date", "--date"),
    ("To", "--to"),
    ("CC", "--cc"),
    ("From", "--from"),
    ("Organization", "--organization"),
    ("Subject", "--subject"),
];

/// One header of the other-headers chunk: an RFC 5322 field name and an unfolded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLine {
    name: String,
    value: String,
}

/// Whether `byte` may appear in a field name (RFC 5322 §3.6.8 `ftext`).
fn is_ftext(byte: u8) -> bool {
    matches!(byte, 33..=57 | 59..=126)
}

impl FromStr for HeaderLine {
    type Err = CliError;

    /// Parses `Name: value`: the name is `ftext`, the value is trimmed of white space and may not
    /// hold control characters; the common headers are refused.
    fn from_str(text: &str) -> Result<HeaderLine, CliError> {
        let invalid = |problem| CliError::InvalidHeader { header: text.to_string(), problem };
        if text.len() > MAX_HEADER_LINE {
            return Err(invalid("longer than 998 bytes"));
        }
        let (name, value) = text.split_once(':').ok_or_else(|| invalid("expected `Name: value`"))?;
        if name.is_empty() || !name.bytes().all(is_ftext) {
            return Err(invalid("the name must be printable ASCII without spaces or `:`"));
        }
        if let Some((_, option)) = COMMON.iter().find(|(common, _)| common.eq_ignore_ascii_case(name)) {
            return Err(CliError::CommonHeader { name: name.to_string(), option });
        }
        let value = value.trim_matches([' ', '\t']);
        if value.chars().any(char::is_control) {
            return Err(invalid("the value holds a control character"));
        }
        Ok(HeaderLine { name: name.to_string(), value: value.to_string() })
    }
}

impl fmt::Display for HeaderLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.value)
    }
}

/// The other-headers chunk data: each line followed by CRLF (empty when there is none).
pub fn other_headers(lines: &[HeaderLine]) -> Vec<u8> {
    lines.iter().flat_map(|line| format!("{line}\r\n").into_bytes()).collect()
}

/// The address of a mailbox value: the text inside its last `<…>` (nothing may follow it), or
/// the whole value; `None` when that is not one `local@domain` address.
pub fn mailbox_address(text: &str) -> Option<Address> {
    let inner = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            if !text.get(close + 1..)?.trim().is_empty() {
                return None;
            }
            text.get(open + 1..close)?
        }
        (None, None) => text,
        _ => return None,
    };
    inner.trim().parse().ok()
}

/// The Date header for now (`dime_message::date::rfc5322`).
pub fn now() -> Result<String, CliError> {
    dime_message::date::rfc5322(SystemTime::now()).map_err(|_| CliError::Clock)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn header_lines_parse_trim_and_refuse() {
        let line: HeaderLine = "X-Priority:   1 (high)\t".parse().unwrap();
        assert_eq!(line.to_string(), "X-Priority: 1 (high)");
        assert_eq!(other_headers(&[line.clone(), "X-B:".parse().unwrap()]), b"X-Priority: 1 (high)\r\nX-B: \r\n");
        assert_eq!(other_headers(&[]), b"");
        for (bad, problem) in [
            ("no colon", "expected `Name: value`"),
            (": value", "the name must be printable ASCII without spaces or `:`"),
            ("X Y: z", "the name must be printable ASCII without spaces or `:`"),
            ("X-Ü: z", "the name must be printable ASCII without spaces or `:`"),
            ("X-A: b\r\nBcc: evil", "the value holds a control character"),
            ("X-A: b\u{7f}", "the value holds a control character"),
        ] {
            let error = bad.parse::<HeaderLine>().unwrap_err();
            assert!(
                matches!(&error, CliError::InvalidHeader { header, problem: p } if header == bad && *p == problem),
                "{bad:?}: {error:?}"
            );
        }
        let long = format!("X-Long: {}", "a".repeat(MAX_HEADER_LINE));
        assert!(matches!(
            long.parse::<HeaderLine>(),
            Err(CliError::InvalidHeader { problem: "longer than 998 bytes", .. })
        ));
        let error = "subject: hi".parse::<HeaderLine>().unwrap_err();
        assert_eq!(error.to_string(), "subject is a common header: use --subject");
    }

    #[test]
    fn mailbox_addresses() {
        let address = |text| mailbox_address(text).map(|a| a.to_string());
        assert_eq!(address("bob@example.net"), Some("bob@example.net".into()));
        assert_eq!(address(" Bob Example <Bob@Example.NET> "), Some("Bob@example.net".into()));
        assert_eq!(address("\"a <b>\" <bob@example.net>"), Some("bob@example.net".into()));
        for bad in ["Bob", "<bob@example.net> trailing", "bob@example.net>", "<bob@example.net", "a@b.org, c@d.org"] {
            assert_eq!(address(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_default_date_is_the_library_date_of_now() {
        let before = dime_message::date::rfc5322(SystemTime::now()).unwrap();
        let date = now().unwrap();
        let after = dime_message::date::rfc5322(SystemTime::now()).unwrap();
        assert!(date == before || date == after, "{date}");
        assert!(date.ends_with(" +0000") && date.len() == "Tue, 01 Apr 2025 10:00:00 +0000".len(), "{date}");
    }

    proptest! {
        #[test]
        fn header_lines_round_trip(name in "[!-9;-~]{1,40}", value in "[ -~]{0,60}") {
            prop_assume!(!COMMON.iter().any(|(common, _)| common.eq_ignore_ascii_case(&name)));
            let line = HeaderLine { name, value: value.trim().to_string() };
            prop_assert_eq!(line.to_string().parse::<HeaderLine>().unwrap(), line);
        }

        #[test]
        fn the_address_inside_a_display_name_is_found(name in "[a-zA-Z .\"]{0,20}", local in "[a-z0-9]{1,10}") {
            let text = format!("{name} <{local}@example.org>");
            prop_assert_eq!(mailbox_address(&text).map(|a| a.to_string()), Some(format!("{local}@example.org")));
        }
    }
}
