//! Body sections (RFC 3501 `section`, RFC 3516 `section-binary`): which part of a message a
//! `BODY[...]` or `BINARY[...]` fetch names.

use super::cursor::Cursor;
use super::writer::Writer;
use crate::error::Result;

/// What follows the part number (or stands alone) in a section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (f ...)`, or `HEADER.FIELDS.NOT (f ...)` with `not`.
    HeaderFields {
        /// `.NOT`: every field but these.
        not: bool,
        /// The field names as given (at least one).
        fields: Vec<String>,
    },
    /// `TEXT`
    Text,
    /// `MIME` (only after a part number).
    Mime,
}

/// A section: a part path (`1.2`, empty for the whole message) and what of it.
/// `Section::default()` is `[]`, the whole message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section {
    /// The part numbers, outermost first (none: the message itself).
    pub part: Vec<u32>,
    /// What of the part; `None` is all of it.
    pub text: Option<SectionText>,
}

impl Section {
    /// Whether this is `[]`.
    pub fn is_whole(&self) -> bool {
        self.part.is_empty() && self.text.is_none()
    }

    /// Reads `"[" [section-spec] "]"`.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Section> {
        c.expect(b'[', "[")?;
        let mut section = Section::default();
        if c.eat(b']') {
            return Ok(section);
        }
        while c.peek().is_some_and(|b| b.is_ascii_digit()) {
            section.part.push(c.nz_number()?);
            if !c.eat(b'.') {
                c.expect(b']', "]")?;
                return Ok(section);
            }
        }
        let not = c.keyword("HEADER.FIELDS.NOT");
        let text = if not || c.keyword("HEADER.FIELDS") {
            c.sp()?;
            let fields = c.list(|c| Ok(String::from_utf8_lossy(&c.astring()?).into_owned()))?;
            if fields.is_empty() {
                return Err(c.error("header field name"));
            }
            SectionText::HeaderFields { not, fields }
        } else if c.keyword("HEADER") {
            SectionText::Header
        } else if c.keyword("TEXT") {
            SectionText::Text
        } else if !section.part.is_empty() && c.keyword("MIME") {
            SectionText::Mime
        } else {
            return Err(c.error("section (HEADER, HEADER.FIELDS, TEXT, MIME or a part number)"));
        };
        section.text = Some(text);
        c.expect(b']', "]")?;
        Ok(section)
    }

    /// Reads a `section-binary`: `"[" [part] "]"`.
    pub fn parse_binary(c: &mut Cursor<'_>) -> Result<Vec<u32>> {
        c.expect(b'[', "[")?;
        let mut part = Vec::new();
        if c.eat(b']') {
            return Ok(part);
        }
        loop {
            part.push(c.nz_number()?);
            if !c.eat(b'.') {
                c.expect(b']', "]")?;
                return Ok(part);
            }
        }
    }

    /// Writes `[...]`.
    pub fn write(&self, w: &mut Writer) {
        w.raw(b"[");
        Self::write_part(w, &self.part);
        if let Some(text) = &self.text {
            if !self.part.is_empty() {
                w.raw(b".");
            }
            match text {
                SectionText::Header => {
                    w.text("HEADER");
                }
                SectionText::Text => {
                    w.text("TEXT");
                }
                SectionText::Mime => {
                    w.text("MIME");
                }
                SectionText::HeaderFields { not, fields } => {
                    w.text(if *not { "HEADER.FIELDS.NOT " } else { "HEADER.FIELDS " });
                    w.list(fields, |w, field| {
                        w.astring(field.as_bytes());
                    });
                }
            }
        }
        w.raw(b"]");
    }

    /// Writes a part path (`1.2`) without brackets.
    pub fn write_part(w: &mut Writer, part: &[u32]) {
        for (i, n) in part.iter().enumerate() {
            if i > 0 {
                w.raw(b".");
            }
            w.number(*n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DmapError;

    fn round_trip(text: &str) -> Section {
        let section = Section::parse(&mut Cursor::new(text.as_bytes())).unwrap();
        let mut w = Writer::new(0);
        section.write(&mut w);
        assert_eq!(String::from_utf8(w.into_bytes()).unwrap(), text);
        section
    }

    #[test]
    fn sections_round_trip() {
        assert!(round_trip("[]").is_whole());
        assert_eq!(round_trip("[HEADER]").text, Some(SectionText::Header));
        assert_eq!(round_trip("[TEXT]").text, Some(SectionText::Text));
        assert_eq!(round_trip("[1]").part, vec![1]);
        assert_eq!(round_trip("[1.2.MIME]"), Section { part: vec![1, 2], text: Some(SectionText::Mime) });
        assert_eq!(
            round_trip("[HEADER.FIELDS.NOT (SUBJECT FROM)]").text,
            Some(SectionText::HeaderFields { not: true, fields: vec!["SUBJECT".into(), "FROM".into()] })
        );
        assert_eq!(
            round_trip("[2.HEADER.FIELDS (DATE)]"),
            Section {
                part: vec![2],
                text: Some(SectionText::HeaderFields { not: false, fields: vec!["DATE".into()] })
            }
        );
    }

    #[test]
    fn bad_sections() {
        let parse = |text: &str| Section::parse(&mut Cursor::new(text.as_bytes()));
        let expected = "section (HEADER, HEADER.FIELDS, TEXT, MIME or a part number)";
        assert_eq!(parse("[MIME]"), Err(DmapError::Syntax { offset: 1, expected }));
        assert_eq!(parse("[FOO]"), Err(DmapError::Syntax { offset: 1, expected }));
        assert_eq!(parse("[0]"), Err(DmapError::Syntax { offset: 1, expected: "non-zero number" }));
        assert_eq!(parse("[HEADER.FIELDS ()]"), Err(DmapError::Syntax { offset: 17, expected: "header field name" }));
    }
}
