//! `SEARCH` criteria (RFC 3501 §6.4.4): every search key, parsed into a tree and written back.
//!
//! Parsing is bounded: at most [`ParseLimits::max_search_keys`](super::ParseLimits) keys in
//! one command and nesting (`NOT`, `OR`, parentheses) at most [`MAX_SEARCH_DEPTH`] deep, so
//! neither the parser's recursion nor a search's work per message grows with a hostile line.

use super::cursor::Cursor;
use super::types::{MONTHS, SequenceSet, days_from_civil, days_in_month};
use super::writer::Writer;
use crate::error::{DmapError, Result};

/// Deepest nesting of `NOT`, `OR` and parentheses in one search.
pub const MAX_SEARCH_DEPTH: usize = 32;

/// A calendar date of a search key (`1-Feb-1994`), as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SearchDate(pub i64);

impl SearchDate {
    /// Reads `date` (RFC 3501): `d-Mon-yyyy`, optionally quoted.
    pub fn parse(c: &mut Cursor<'_>) -> Result<SearchDate> {
        let start = c.clone();
        let bad = || start.error("date \"d-Mon-yyyy\"");
        let quoted = c.eat(b'"');
        let text = c.take_while1(|b| b.is_ascii_alphanumeric() || b == b'-', "date").map_err(|_| bad())?;
        if quoted {
            c.expect(b'"', "closing quote")?;
        }
        let text = core::str::from_utf8(text).map_err(|_| bad())?;
        let mut parts = text.split('-');
        let (Some(day), Some(month), Some(year), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let day: u32 = day.parse().ok().filter(|_| (1..=2).contains(&day.len())).ok_or_else(bad)?;
        let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month)).ok_or_else(bad)? as u32 + 1;
        let year: u32 = year.parse().ok().filter(|_| year.len() == 4).ok_or_else(bad)?;
        if year == 0 || day == 0 || day > days_in_month(year, month) {
            return Err(bad());
        }
        Ok(SearchDate(days_from_civil(i64::from(year), month, day)))
    }

    /// Writes `d-Mon-yyyy`.
    pub fn write(&self, w: &mut Writer) {
        let (year, month, day) = super::types::civil_from_days(self.0);
        let name = MONTHS.get(month as usize - 1).copied().unwrap_or("Jan");
        w.text(&format!("{day}-{name}-{year:04}"));
    }
}

/// A key that searches text in the message's headers or body, which the server cannot read:
/// it matches no message (`docs/dmap.md` §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextField {
    /// `BCC`
    Bcc,
    /// `BODY`
    Body,
    /// `CC`
    Cc,
    /// `FROM`
    From,
    /// `SUBJECT`
    Subject,
    /// `TEXT`
    Text,
    /// `TO`
    To,
    /// `HEADER field-name`
    Header(Vec<u8>),
}

/// One search key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchKey {
    /// `ALL`
    All,
    /// `ANSWERED`, `DELETED`, `DRAFT`, `FLAGGED`, `SEEN`, `KEYWORD k`: the flag is set.
    Flag(super::types::Flag),
    /// `UNANSWERED`, `UNDELETED`, `UNDRAFT`, `UNFLAGGED`, `UNSEEN`, `UNKEYWORD k`: it is not.
    NotFlag(super::types::Flag),
    /// `NEW` (recent and unseen; DMAP has no recent messages, so none).
    New,
    /// `OLD` (not recent: every message).
    Old,
    /// `RECENT` (none).
    Recent,
    /// `BEFORE date`: internal date earlier than the day.
    Before(SearchDate),
    /// `ON date`: internal date on the day.
    On(SearchDate),
    /// `SINCE date`: internal date on or after the day.
    Since(SearchDate),
    /// `SENTBEFORE`/`SENTON`/`SENTSINCE date`: the `Date:` header, which the server cannot
    /// read (no message). The name is kept to write the key back.
    Sent(&'static str, SearchDate),
    /// `LARGER n`: size above n octets.
    Larger(u32),
    /// `SMALLER n`: size below n octets.
    Smaller(u32),
    /// `UID set`
    Uid(SequenceSet),
    /// A sequence set of message numbers.
    Sequence(SequenceSet),
    /// A text key (`FROM x`, `HEADER f x`, ...): no message.
    Text(TextField, Vec<u8>),
    /// `NOT key`
    Not(Box<SearchKey>),
    /// `OR key key`
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `(key ...)` or the top-level list: every key holds.
    And(Vec<SearchKey>),
}

/// The criteria of a `SEARCH`: an optional `CHARSET` and the keys (all must hold).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchCriteria {
    /// The charset named with `CHARSET`, upper-cased.
    pub charset: Option<String>,
    /// The keys; a message matches when all do.
    pub keys: Vec<SearchKey>,
}

struct KeyParser {
    keys: usize,
    max_keys: usize,
    max_ranges: usize,
}

impl SearchCriteria {
    /// Reads `[CHARSET astring SP] search-key *(SP search-key)` up to the end of the line.
    ///
    /// Errors: [`DmapError::Syntax`], [`DmapError::TooManyRanges`],
    /// [`DmapError::TooManySearchKeys`] (more than `max_keys` keys, or nesting deeper than
    /// [`MAX_SEARCH_DEPTH`]).
    pub fn parse(c: &mut Cursor<'_>, max_keys: usize, max_ranges: usize) -> Result<SearchCriteria> {
        let charset = if c.keyword("CHARSET") {
            c.sp()?;
            let name = c.astring()?;
            c.sp()?;
            Some(String::from_utf8_lossy(&name).to_ascii_uppercase())
        } else {
            None
        };
        let mut parser = KeyParser { keys: 0, max_keys, max_ranges };
        let mut keys = vec![parser.key(c, 0)?];
        while c.peek() == Some(b' ') {
            c.sp()?;
            keys.push(parser.key(c, 0)?);
        }
        Ok(SearchCriteria { charset, keys })
    }

    /// Writes the criteria.
    pub fn write(&self, w: &mut Writer) {
        if let Some(charset) = &self.charset {
            w.text("CHARSET ").astring(charset.as_bytes()).sp();
        }
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                w.sp();
            }
            key.write(w);
        }
    }
}

impl KeyParser {
    fn key(&mut self, c: &mut Cursor<'_>, depth: usize) -> Result<SearchKey> {
        use super::types::Flag;
        self.keys += 1;
        if self.keys > self.max_keys || depth > MAX_SEARCH_DEPTH {
            return Err(DmapError::TooManySearchKeys { limit: self.max_keys, depth: MAX_SEARCH_DEPTH });
        }
        if c.peek() == Some(b'(') {
            let keys = c.list(|c| self.key(c, depth + 1))?;
            if keys.is_empty() {
                return Err(c.error("search key"));
            }
            return Ok(SearchKey::And(keys));
        }
        if c.peek().is_some_and(|b| b.is_ascii_digit() || b == b'*') {
            return Ok(SearchKey::Sequence(SequenceSet::parse(c, self.max_ranges)?));
        }
        let at = c.clone();
        let name = c.atom()?.to_ascii_uppercase();
        let key = match name.as_slice() {
            b"ALL" => SearchKey::All,
            b"ANSWERED" => SearchKey::Flag(Flag::Answered),
            b"DELETED" => SearchKey::Flag(Flag::Deleted),
            b"DRAFT" => SearchKey::Flag(Flag::Draft),
            b"FLAGGED" => SearchKey::Flag(Flag::Flagged),
            b"SEEN" => SearchKey::Flag(Flag::Seen),
            b"UNANSWERED" => SearchKey::NotFlag(Flag::Answered),
            b"UNDELETED" => SearchKey::NotFlag(Flag::Deleted),
            b"UNDRAFT" => SearchKey::NotFlag(Flag::Draft),
            b"UNFLAGGED" => SearchKey::NotFlag(Flag::Flagged),
            b"UNSEEN" => SearchKey::NotFlag(Flag::Seen),
            b"NEW" => SearchKey::New,
            b"OLD" => SearchKey::Old,
            b"RECENT" => SearchKey::Recent,
            b"KEYWORD" | b"UNKEYWORD" => {
                c.sp()?;
                let keyword = Flag::Keyword(c.atom_str()?);
                if name == b"KEYWORD" { SearchKey::Flag(keyword) } else { SearchKey::NotFlag(keyword) }
            }
            b"BEFORE" | b"ON" | b"SINCE" | b"SENTBEFORE" | b"SENTON" | b"SENTSINCE" => {
                c.sp()?;
                let date = SearchDate::parse(c)?;
                match name.as_slice() {
                    b"BEFORE" => SearchKey::Before(date),
                    b"ON" => SearchKey::On(date),
                    b"SINCE" => SearchKey::Since(date),
                    b"SENTBEFORE" => SearchKey::Sent("SENTBEFORE", date),
                    b"SENTON" => SearchKey::Sent("SENTON", date),
                    _ => SearchKey::Sent("SENTSINCE", date),
                }
            }
            b"LARGER" => {
                c.sp()?;
                SearchKey::Larger(c.number()?)
            }
            b"SMALLER" => {
                c.sp()?;
                SearchKey::Smaller(c.number()?)
            }
            b"UID" => {
                c.sp()?;
                SearchKey::Uid(SequenceSet::parse(c, self.max_ranges)?)
            }
            b"BCC" | b"BODY" | b"CC" | b"FROM" | b"SUBJECT" | b"TEXT" | b"TO" => {
                c.sp()?;
                let field = match name.as_slice() {
                    b"BCC" => TextField::Bcc,
                    b"BODY" => TextField::Body,
                    b"CC" => TextField::Cc,
                    b"FROM" => TextField::From,
                    b"SUBJECT" => TextField::Subject,
                    b"TEXT" => TextField::Text,
                    _ => TextField::To,
                };
                SearchKey::Text(field, c.astring()?)
            }
            b"HEADER" => {
                c.sp()?;
                let field = c.astring()?;
                c.sp()?;
                SearchKey::Text(TextField::Header(field), c.astring()?)
            }
            b"NOT" => {
                c.sp()?;
                SearchKey::Not(Box::new(self.key(c, depth + 1)?))
            }
            b"OR" => {
                c.sp()?;
                let left = self.key(c, depth + 1)?;
                c.sp()?;
                SearchKey::Or(Box::new(left), Box::new(self.key(c, depth + 1)?))
            }
            _ => return Err(at.error("search key")),
        };
        Ok(key)
    }
}

impl SearchKey {
    /// Writes the key.
    pub fn write(&self, w: &mut Writer) {
        use super::types::Flag;
        let flag_word = |flag: &Flag, set: bool| match flag {
            Flag::Answered => if set { "ANSWERED" } else { "UNANSWERED" }.to_string(),
            Flag::Deleted => if set { "DELETED" } else { "UNDELETED" }.to_string(),
            Flag::Draft => if set { "DRAFT" } else { "UNDRAFT" }.to_string(),
            Flag::Flagged => if set { "FLAGGED" } else { "UNFLAGGED" }.to_string(),
            Flag::Seen => if set { "SEEN" } else { "UNSEEN" }.to_string(),
            other => format!("{} {}", if set { "KEYWORD" } else { "UNKEYWORD" }, other.name()),
        };
        match self {
            SearchKey::All => {
                w.text("ALL");
            }
            SearchKey::Flag(flag) => {
                w.text(&flag_word(flag, true));
            }
            SearchKey::NotFlag(flag) => {
                w.text(&flag_word(flag, false));
            }
            SearchKey::New => {
                w.text("NEW");
            }
            SearchKey::Old => {
                w.text("OLD");
            }
            SearchKey::Recent => {
                w.text("RECENT");
            }
            SearchKey::Before(d) | SearchKey::On(d) | SearchKey::Since(d) | SearchKey::Sent(_, d) => {
                let name = match self {
                    SearchKey::Before(_) => "BEFORE",
                    SearchKey::On(_) => "ON",
                    SearchKey::Since(_) => "SINCE",
                    SearchKey::Sent(name, _) => name,
                    _ => "ALL",
                };
                w.text(name).sp();
                d.write(w);
            }
            SearchKey::Larger(n) => {
                w.text("LARGER ").number(*n);
            }
            SearchKey::Smaller(n) => {
                w.text("SMALLER ").number(*n);
            }
            SearchKey::Uid(set) => {
                w.text("UID ");
                set.write(w);
            }
            SearchKey::Sequence(set) => set.write(w),
            SearchKey::Text(field, value) => {
                let name = match field {
                    TextField::Bcc => "BCC",
                    TextField::Body => "BODY",
                    TextField::Cc => "CC",
                    TextField::From => "FROM",
                    TextField::Subject => "SUBJECT",
                    TextField::Text => "TEXT",
                    TextField::To => "TO",
                    TextField::Header(_) => "HEADER",
                };
                w.text(name).sp();
                if let TextField::Header(field) = field {
                    w.astring(field).sp();
                }
                w.astring(value);
            }
            SearchKey::Not(key) => {
                w.text("NOT ");
                key.write(w);
            }
            SearchKey::Or(a, b) => {
                w.text("OR ");
                a.write(w);
                w.sp();
                b.write(w);
            }
            SearchKey::And(keys) => {
                w.list(keys, |w, key| key.write(w));
            }
        }
    }
}

/// What a search key looks at of one message.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'m> {
    /// Its sequence number.
    pub seq: u32,
    /// The number of messages in the mailbox (what `*` stands for with sequence numbers).
    pub count: u32,
    /// The largest UID in the mailbox (what `*` stands for with `UID`).
    pub max_uid: u32,
    /// Its metadata.
    pub info: &'m crate::store::MessageInfo,
    /// Its size as `RFC822.SIZE` reports it (what `LARGER` and `SMALLER` compare).
    pub size: u32,
}

impl SearchKey {
    /// Whether the message matches (`docs/dmap.md` §5: text and sent-date keys match none;
    /// dates compare the internal date's calendar day in its own zone).
    pub fn matches(&self, m: &Candidate<'_>) -> bool {
        let day = || {
            let date = m.info.internal_date;
            (date.unix() + i64::from(date.offset_minutes()) * 60).div_euclid(86_400)
        };
        match self {
            SearchKey::All | SearchKey::Old => true,
            SearchKey::New | SearchKey::Recent | SearchKey::Sent(..) | SearchKey::Text(..) => false,
            SearchKey::Flag(flag) => m.info.flags.contains(flag),
            SearchKey::NotFlag(flag) => !m.info.flags.contains(flag),
            SearchKey::Before(d) => day() < d.0,
            SearchKey::On(d) => day() == d.0,
            SearchKey::Since(d) => day() >= d.0,
            SearchKey::Larger(n) => m.size > *n,
            SearchKey::Smaller(n) => m.size < *n,
            SearchKey::Uid(set) => set.contains(m.info.uid, m.max_uid),
            SearchKey::Sequence(set) => set.contains(m.seq, m.count),
            SearchKey::Not(key) => !key.matches(m),
            SearchKey::Or(a, b) => a.matches(m) || b.matches(m),
            SearchKey::And(keys) => keys.iter().all(|key| key.matches(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::types::{DateTime, Flag};
    use crate::store::MessageInfo;

    fn parse(text: &str) -> Result<SearchCriteria> {
        SearchCriteria::parse(&mut Cursor::new(text.as_bytes()), 100, 10)
    }

    #[test]
    fn every_key_round_trips() {
        let text = "CHARSET UTF-8 ALL ANSWERED DELETED DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT \
                    UNFLAGGED UNSEEN NEW OLD RECENT KEYWORD $a UNKEYWORD $b BEFORE 1-Feb-1994 ON 29-Feb-2000 \
                    SINCE 31-Dec-1999 SENTBEFORE 1-Jan-2001 SENTON 2-Jan-2001 SENTSINCE 3-Jan-2001 LARGER 10 \
                    SMALLER 20 UID 1:3,7 2:* BCC a BODY b CC c FROM d SUBJECT \"e f\" TEXT g TO h HEADER X-A i \
                    NOT SEEN OR SEEN (FLAGGED DRAFT) (ALL)";
        let criteria = parse(text).unwrap();
        assert_eq!(criteria.keys.len(), 37);
        let mut w = Writer::new(0);
        criteria.write(&mut w);
        assert_eq!(String::from_utf8(w.into_bytes()).unwrap(), text);
        assert_eq!(parse("on \"1-Feb-1994\"").unwrap().keys, vec![SearchKey::On(SearchDate(8797))]);
    }

    #[test]
    fn rejections_are_exact() {
        assert_eq!(parse("FROB"), Err(DmapError::Syntax { offset: 0, expected: "search key" }));
        assert_eq!(parse("ON 30-Feb-2000"), Err(DmapError::Syntax { offset: 3, expected: "date \"d-Mon-yyyy\"" }));
        assert_eq!(parse("()"), Err(DmapError::Syntax { offset: 2, expected: "search key" }));
        let many = vec!["ALL"; 101].join(" ");
        assert_eq!(parse(&many), Err(DmapError::TooManySearchKeys { limit: 100, depth: MAX_SEARCH_DEPTH }));
        let deep = format!("{}ALL", "NOT ".repeat(MAX_SEARCH_DEPTH + 1));
        assert_eq!(parse(&deep), Err(DmapError::TooManySearchKeys { limit: 100, depth: MAX_SEARCH_DEPTH }));
        assert!(parse(&format!("{}ALL", "NOT ".repeat(MAX_SEARCH_DEPTH))).is_ok());
    }

    #[test]
    fn matching() {
        // 2000-02-29 23:30 at +0100 is 22:30 UTC: the day is the 29th in its own zone.
        let date = DateTime::new(951_863_400, 60).unwrap();
        let info = MessageInfo { uid: 7, flags: vec![Flag::Seen], internal_date: date, size: 100 };
        let m = Candidate { seq: 2, count: 3, max_uid: 9, info: &info, size: 100 };
        let yes = |text: &str| parse(text).unwrap().keys.iter().all(|k| k.matches(&m));
        assert!(yes("ON 29-Feb-2000 SINCE 29-Feb-2000 BEFORE 1-Mar-2000 SEEN OLD ALL"));
        assert!(!yes("ON 28-Feb-2000") && !yes("BEFORE 29-Feb-2000") && !yes("SINCE 1-Mar-2000"));
        assert!(yes("LARGER 99 SMALLER 101 UID 7 2 UID 5:* 2:*"));
        assert!(!yes("LARGER 100") && !yes("SMALLER 100") && !yes("UID 8") && !yes("3"));
        assert!(!yes("NEW") && !yes("RECENT") && !yes("UNSEEN") && !yes("FROM x") && !yes("SENTON 29-Feb-2000"));
        assert!(yes("NOT FROM x") && yes("OR FROM x SEEN") && !yes("(SEEN FROM x)"));
    }
}
