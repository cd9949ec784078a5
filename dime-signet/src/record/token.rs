//! The token layer: record text to `name=value` tokens, with no meaning attached.
//!
//! A token ends at a space or a `;`; runs of separators are ignored. Every token holds exactly
//! one `=`. Names are `ALPHA *(ALPHA / DIGIT / "-" / "_")`, at most [`MAX_NAME_LEN`] long;
//! values are one or more visible ASCII characters other than `;` and `=`.

use super::error::RecordError;
use super::{MAX_RECORD_LEN, MAX_TOKENS};

/// Longest field name accepted.
pub const MAX_NAME_LEN: usize = 32;

/// One `name=value` token, borrowed from the record text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The value as written.
    pub value: &'a str,
}

/// Whether `byte` separates tokens.
pub(crate) const fn is_separator(byte: u8) -> bool {
    byte == b' ' || byte == b';'
}

/// Whether `byte` may appear in a value.
const fn is_value_byte(byte: u8) -> bool {
    byte >= 0x21 && byte <= 0x7e && byte != b';' && byte != b'='
}

/// Whether `name` is a syntactically valid field name (any case).
pub(crate) fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= MAX_NAME_LEN
                && first.is_ascii_alphabetic()
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        }
        None => false,
    }
}

/// Whether `value` is a valid, non-empty value.
pub(crate) fn is_valid_value(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(is_value_byte)
}

/// Checks the size limit and that every byte is printable ASCII, then gives the text.
pub(crate) fn check_text(bytes: &[u8]) -> Result<&str, RecordError> {
    if bytes.len() > MAX_RECORD_LEN {
        return Err(RecordError::TooLarge { len: bytes.len(), limit: MAX_RECORD_LEN });
    }
    if let Some((offset, &byte)) = bytes.iter().enumerate().find(|&(_, &b)| !(0x20..=0x7e).contains(&b)) {
        return Err(RecordError::InvalidByte { offset, byte });
    }
    // Printable ASCII is valid UTF-8; the error arm cannot be reached.
    core::str::from_utf8(bytes).map_err(|e| RecordError::InvalidByte {
        offset: e.valid_up_to(),
        byte: bytes.get(e.valid_up_to()).copied().unwrap_or(0),
    })
}

/// Splits checked record text into tokens, refusing the first malformed one.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token<'_>>, RecordError> {
    let mut tokens = Vec::new();
    let mut offset = 0;
    for piece in text.split([' ', ';']) {
        let start = offset;
        offset += piece.len() + 1;
        if piece.is_empty() {
            continue;
        }
        if tokens.len() == MAX_TOKENS {
            return Err(RecordError::TooManyTokens { limit: MAX_TOKENS });
        }
        tokens.push(split_token(piece, start)?);
    }
    Ok(tokens)
}

/// Splits one token at its only `=` and checks name and value.
fn split_token(piece: &str, offset: usize) -> Result<Token<'_>, RecordError> {
    let (name, value) = piece.split_once('=').ok_or(RecordError::MissingSplitter { offset })?;
    if value.contains('=') {
        return Err(RecordError::ExtraSplitter { offset });
    }
    if !is_valid_name(name) {
        return Err(RecordError::InvalidName { name: name.to_string() });
    }
    if !is_valid_value(value) {
        return Err(RecordError::InvalidValue { name: name.to_string() });
    }
    Ok(Token { name, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&str, &str)> {
        tokenize(text).unwrap().into_iter().map(|t| (t.name, t.value)).collect()
    }

    #[test]
    fn separators_and_runs() {
        assert_eq!(names(" ;a=1;; b=2 ;"), vec![("a", "1"), ("b", "2")]);
        assert_eq!(names(""), vec![]);
        assert_eq!(names(" ;; "), vec![]);
    }

    #[test]
    fn token_faults_carry_the_token_offset() {
        assert_eq!(tokenize("a=1  bc"), Err(RecordError::MissingSplitter { offset: 5 }));
        assert_eq!(tokenize("a=1;b=c=d"), Err(RecordError::ExtraSplitter { offset: 4 }));
        assert_eq!(tokenize("=x"), Err(RecordError::InvalidName { name: String::new() }));
        assert_eq!(tokenize("1a=x"), Err(RecordError::InvalidName { name: "1a".into() }));
        assert_eq!(tokenize("a="), Err(RecordError::InvalidValue { name: "a".into() }));
    }

    #[test]
    fn name_and_value_grammar() {
        assert!(is_valid_name("x-y_2"));
        assert!(is_valid_name(&"a".repeat(MAX_NAME_LEN)));
        assert!(!is_valid_name(&"a".repeat(MAX_NAME_LEN + 1)));
        assert!(!is_valid_name("a.b"));
        assert!(is_valid_value("a+/b"));
        assert!(!is_valid_value(""));
        assert!(!is_valid_value("a b"));
        assert!(!is_valid_value("a;b"));
        assert!(!is_valid_value("a=b"));
    }

    #[test]
    fn text_checks() {
        assert_eq!(check_text(b"a=1\tb=2"), Err(RecordError::InvalidByte { offset: 3, byte: b'\t' }));
        assert_eq!(check_text("a=\u{e9}".as_bytes()), Err(RecordError::InvalidByte { offset: 2, byte: 0xc3 }));
        let long = vec![b'a'; MAX_RECORD_LEN + 1];
        assert_eq!(check_text(&long), Err(RecordError::TooLarge { len: MAX_RECORD_LEN + 1, limit: MAX_RECORD_LEN }));
        assert_eq!(check_text(&long[1..]).map(str::len), Ok(MAX_RECORD_LEN));
        let many = "a=1 ".repeat(MAX_TOKENS + 1);
        assert_eq!(tokenize(&many), Err(RecordError::TooManyTokens { limit: MAX_TOKENS }));
        assert_eq!(tokenize(&"a=1 ".repeat(MAX_TOKENS)).map(|t| t.len()), Ok(MAX_TOKENS));
    }
}
