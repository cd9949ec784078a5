//! The values that appear inside commands and responses: tags, mailbox names, flags, sequence
//! sets, dates, fetch and status items, response codes. Each type parses itself from a
//! [`Cursor`] and writes itself with a [`Writer`].

use core::fmt;

use super::cursor::{Cursor, is_astring_char, utf8};
use super::section::Section;
use super::writer::{Writer, is_atom};
use crate::error::{DmapError, Result};

/// A command tag: one or more `ASTRING-CHAR`s other than `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(String);

impl Tag {
    /// Checks `tag`.
    pub fn new(tag: &str) -> Result<Tag> {
        let mut cursor = Cursor::new(tag.as_bytes());
        let parsed = Tag::parse(&mut cursor)?;
        if !cursor.rest().is_empty() {
            return Err(cursor.error("end of tag"));
        }
        Ok(parsed)
    }

    /// Reads a tag.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Tag> {
        let bytes = c.take_while1(|b| is_astring_char(b) && b != b'+', "tag")?;
        Ok(Tag(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mailbox name. `INBOX` is matched case-insensitively and always held as `INBOX`; other
/// names are UTF-8 and case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mailbox(String);

impl Mailbox {
    /// The name, with `INBOX` normalised.
    pub fn new(name: &str) -> Mailbox {
        if name.eq_ignore_ascii_case("INBOX") { Mailbox("INBOX".into()) } else { Mailbox(name.into()) }
    }

    /// The inbox.
    pub fn inbox() -> Mailbox {
        Mailbox("INBOX".into())
    }

    /// Reads a `mailbox` (an astring).
    pub fn parse(c: &mut Cursor<'_>) -> Result<Mailbox> {
        Ok(Mailbox::new(&utf8(c.astring()?, "mailbox name")?))
    }

    /// Writes the name as an astring.
    pub fn write(&self, w: &mut Writer) {
        w.astring(self.0.as_bytes());
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `\Seen`
    Seen,
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Draft`
    Draft,
    /// A keyword (an atom without a backslash).
    Keyword(String),
    /// Another `\`-flag, e.g. `\Recent` in a response (the name without the backslash).
    Extension(String),
}

impl Flag {
    /// The five system flags a client may set.
    pub const SYSTEM: [Flag; 5] = [Flag::Answered, Flag::Flagged, Flag::Deleted, Flag::Seen, Flag::Draft];

    /// Reads a flag.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Flag> {
        if c.eat(b'\\') {
            let name = c.atom_str()?;
            let flag = match name.to_ascii_lowercase().as_str() {
                "seen" => Flag::Seen,
                "answered" => Flag::Answered,
                "flagged" => Flag::Flagged,
                "deleted" => Flag::Deleted,
                "draft" => Flag::Draft,
                _ => Flag::Extension(name),
            };
            Ok(flag)
        } else {
            Ok(Flag::Keyword(c.atom_str()?))
        }
    }

    /// Reads a parenthesized flag list.
    pub fn parse_list(c: &mut Cursor<'_>) -> Result<Vec<Flag>> {
        c.list(Flag::parse)
    }

    /// The wire form.
    pub fn name(&self) -> String {
        match self {
            Flag::Seen => "\\Seen".into(),
            Flag::Answered => "\\Answered".into(),
            Flag::Flagged => "\\Flagged".into(),
            Flag::Deleted => "\\Deleted".into(),
            Flag::Draft => "\\Draft".into(),
            Flag::Keyword(k) => k.clone(),
            Flag::Extension(e) => format!("\\{e}"),
        }
    }

    /// Checks that a keyword or extension name is an atom (for flags built by hand).
    pub fn is_valid(&self) -> bool {
        match self {
            Flag::Keyword(name) | Flag::Extension(name) => is_atom(name.as_bytes()),
            _ => true,
        }
    }

    /// Writes a parenthesized flag list. Flags that are not valid atoms ([`Flag::is_valid`],
    /// possible only for flags an application built by hand) are left out, so the line stays
    /// well-formed.
    pub fn write_list(w: &mut Writer, flags: &[Flag]) {
        let valid: Vec<&Flag> = flags.iter().filter(|flag| flag.is_valid()).collect();
        w.list(&valid, |w, flag| {
            w.text(&flag.name());
        });
    }
}

/// One end of a sequence range: a number or `*` (the largest number in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqBound {
    /// A message sequence number or UID.
    Value(u32),
    /// `*`.
    Largest,
}

impl SeqBound {
    fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqBound::Value(v) => v,
            SeqBound::Largest => largest,
        }
    }
}

/// A sequence set: ranges of message sequence numbers or UIDs (`1:3,7,9:*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceSet(Vec<(SeqBound, SeqBound)>);

impl SequenceSet {
    /// A set of the given ranges (a single number is `(n, n)`). At least one range.
    pub fn new(ranges: Vec<(SeqBound, SeqBound)>) -> Result<SequenceSet> {
        let bad = ranges.iter().flat_map(|(a, b)| [a, b]).any(|b| *b == SeqBound::Value(0));
        if ranges.is_empty() || bad {
            return Err(DmapError::Syntax { offset: 0, expected: "non-empty sequence set of non-zero numbers" });
        }
        Ok(SequenceSet(ranges))
    }

    /// One number.
    pub fn single(n: u32) -> Result<SequenceSet> {
        SequenceSet::new(vec![(SeqBound::Value(n), SeqBound::Value(n))])
    }

    /// `1:*`.
    pub fn all() -> SequenceSet {
        SequenceSet(vec![(SeqBound::Value(1), SeqBound::Largest)])
    }

    /// The ranges.
    pub fn ranges(&self) -> &[(SeqBound, SeqBound)] {
        &self.0
    }

    /// Reads a sequence set of at most `max_ranges` ranges.
    pub fn parse(c: &mut Cursor<'_>, max_ranges: usize) -> Result<SequenceSet> {
        let mut ranges = Vec::new();
        loop {
            if ranges.len() == max_ranges {
                return Err(DmapError::TooManyRanges { limit: max_ranges });
            }
            let start = Self::bound(c)?;
            let end = if c.eat(b':') { Self::bound(c)? } else { start };
            ranges.push((start, end));
            if !c.eat(b',') {
                return Ok(SequenceSet(ranges));
            }
        }
    }

    fn bound(c: &mut Cursor<'_>) -> Result<SeqBound> {
        if c.eat(b'*') { Ok(SeqBound::Largest) } else { c.nz_number().map(SeqBound::Value) }
    }

    /// Whether `n` is in the set, `*` standing for `largest`. Ranges may be written either
    /// way round (`5:2` is `2:5`).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|&(a, b)| {
            let (a, b) = (a.resolve(largest), b.resolve(largest));
            (a.min(b)..=a.max(b)).contains(&n)
        })
    }

    /// Writes the set.
    pub fn write(&self, w: &mut Writer) {
        for (i, (a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                w.raw(b",");
            }
            Self::write_bound(w, *a);
            if a != b {
                w.raw(b":");
                Self::write_bound(w, *b);
            }
        }
    }

    fn write_bound(w: &mut Writer, bound: SeqBound) {
        match bound {
            SeqBound::Value(v) => w.number(v),
            SeqBound::Largest => w.raw(b"*"),
        };
    }
}

pub(crate) const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// An IMAP `date-time` (`"17-Jul-1996 02:44:25 -0700"`): an instant and the zone offset it is
/// shown in. Years 1 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    unix: i64,
    offset_minutes: i16,
}

/// Seconds from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, as Unix times.
const MIN_UNIX: i64 = -62_135_596_800;
const MAX_UNIX: i64 = 253_402_300_799;

impl DateTime {
    /// 1970-01-01 00:00:00 +0000.
    pub const UNIX_EPOCH: DateTime = DateTime { unix: 0, offset_minutes: 0 };

    /// A date from Unix seconds and a zone offset in minutes (−1439 to 1439) such that the
    /// local date lies in years 1 to 9999.
    pub fn new(unix: i64, offset_minutes: i16) -> Option<DateTime> {
        let local = unix.checked_add(i64::from(offset_minutes) * 60)?;
        let fits = offset_minutes.abs() < 24 * 60 && (MIN_UNIX..=MAX_UNIX).contains(&local);
        fits.then_some(DateTime { unix, offset_minutes })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(&self) -> i64 {
        self.unix
    }

    /// The zone offset in minutes east of UTC.
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// Reads a quoted `date-time`.
    pub fn parse(c: &mut Cursor<'_>) -> Result<DateTime> {
        let start = c.clone();
        let bad = || start.error("date-time \"dd-Mon-yyyy hh:mm:ss +zzzz\"");
        c.expect(b'"', "date-time")?;
        let day = if c.eat(b' ') { digits(c, 1) } else { digits(c, 2) }.ok_or_else(bad)?;
        c.expect(b'-', "-")?;
        let month_name = c.rest().get(..3).ok_or_else(bad)?;
        let month =
            MONTHS.iter().position(|m| m.as_bytes().eq_ignore_ascii_case(month_name)).ok_or_else(bad)? as u32 + 1;
        c.prefix(MONTHS[month as usize - 1]);
        c.expect(b'-', "-")?;
        let year = digits(c, 4).ok_or_else(bad)?;
        c.sp()?;
        let hour = digits(c, 2).ok_or_else(bad)?;
        c.expect(b':', ":")?;
        let minute = digits(c, 2).ok_or_else(bad)?;
        c.expect(b':', ":")?;
        let second = digits(c, 2).ok_or_else(bad)?;
        c.sp()?;
        let sign: i64 = if c.eat(b'+') {
            1
        } else if c.eat(b'-') {
            -1
        } else {
            return Err(bad());
        };
        let zone_hours = digits(c, 2).ok_or_else(bad)?;
        let zone_minutes = digits(c, 2).ok_or_else(bad)?;
        c.expect(b'"', "closing quote")?;
        let valid = year >= 1
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60
            && zone_hours < 24
            && zone_minutes < 60;
        if !valid {
            return Err(bad());
        }
        let offset = sign * i64::from(zone_hours * 60 + zone_minutes);
        let local =
            days_from_civil(i64::from(year), month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
        DateTime::new(local - offset * 60, offset as i16).ok_or_else(bad)
    }

    /// Writes the quoted `date-time`.
    pub fn write(&self, w: &mut Writer) {
        w.text(&self.to_string());
    }
}

impl fmt::Display for DateTime {
    /// The quoted wire form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.unix + i64::from(self.offset_minutes) * 60;
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        let month_name = MONTHS.get(month as usize - 1).copied().unwrap_or("Jan");
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let offset = self.offset_minutes.unsigned_abs();
        write!(
            f,
            "\"{day:02}-{month_name}-{year:04} {:02}:{:02}:{:02} {sign}{:02}{:02}\"",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60,
            offset / 60,
            offset % 60
        )
    }
}

fn digits(c: &mut Cursor<'_>, n: usize) -> Option<u32> {
    let bytes = c.rest().get(..n)?;
    if !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    for _ in 0..n {
        c.eat(c.peek()?);
    }
    Some(bytes.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

pub(crate) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A `STATUS` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusAttr {
    /// `MESSAGES`
    Messages,
    /// `RECENT`
    Recent,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`
    Unseen,
}

impl StatusAttr {
    const ALL: [StatusAttr; 5] =
        [StatusAttr::Messages, StatusAttr::Recent, StatusAttr::UidNext, StatusAttr::UidValidity, StatusAttr::Unseen];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            StatusAttr::Messages => "MESSAGES",
            StatusAttr::Recent => "RECENT",
            StatusAttr::UidNext => "UIDNEXT",
            StatusAttr::UidValidity => "UIDVALIDITY",
            StatusAttr::Unseen => "UNSEEN",
        }
    }

    /// Reads one item name.
    pub fn parse(c: &mut Cursor<'_>) -> Result<StatusAttr> {
        StatusAttr::ALL.into_iter().find(|a| c.keyword(a.name())).ok_or_else(|| c.error("status item"))
    }
}

/// A `FETCH` data item a client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttr {
    /// `UID`
    Uid,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822.SIZE`: the size of what `RFC822` returns.
    Rfc822Size,
    /// `BODY[]` or `BODY.PEEK[]`, optionally `<start.count>`: the whole message as served
    /// (`docs/dmap.md` §5: the armored object). Without `PEEK` it sets `\Seen`.
    Body {
        /// `BODY.PEEK[]`.
        peek: bool,
        /// `<start.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BODY[section]` or `BODY.PEEK[section]` for any section but `[]`.
    Section {
        /// `BODY.PEEK[...]`.
        peek: bool,
        /// The section.
        section: Section,
        /// `<start.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY[part]` or `BINARY.PEEK[part]` (RFC 3516): the decoded content, raw octets.
    Binary {
        /// `BINARY.PEEK[...]`.
        peek: bool,
        /// The part path (empty: the whole message).
        part: Vec<u32>,
        /// `<start.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY.SIZE[part]` (RFC 3516)
    BinarySize {
        /// The part path.
        part: Vec<u32>,
    },
    /// `RFC822`: the whole message, sets `\Seen`.
    Rfc822,
    /// `RFC822.HEADER` (as `BODY.PEEK[HEADER]`).
    Rfc822Header,
    /// `RFC822.TEXT` (as `BODY[TEXT]`).
    Rfc822Text,
    /// `ENVELOPE`
    Envelope,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `BODY` (the body structure without extension data).
    BodyShort,
}

impl FetchAttr {
    /// The `FAST` macro.
    pub const FAST: [FetchAttr; 3] = [FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size];
    /// The `ALL` macro.
    pub const ALL: [FetchAttr; 4] =
        [FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size, FetchAttr::Envelope];
    /// The `FULL` macro.
    pub const FULL: [FetchAttr; 5] =
        [FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size, FetchAttr::Envelope, FetchAttr::BodyShort];

    /// Reads the argument of `FETCH`: a macro, one item, or a parenthesized list.
    pub fn parse_items(c: &mut Cursor<'_>) -> Result<Vec<FetchAttr>> {
        if c.keyword("FAST") {
            return Ok(FetchAttr::FAST.to_vec());
        }
        if c.keyword("ALL") {
            return Ok(FetchAttr::ALL.to_vec());
        }
        if c.keyword("FULL") {
            return Ok(FetchAttr::FULL.to_vec());
        }
        if c.peek() == Some(b'(') {
            let items = c.list(FetchAttr::parse)?;
            if items.is_empty() {
                return Err(c.error("fetch item"));
            }
            return Ok(items);
        }
        Ok(vec![FetchAttr::parse(c)?])
    }

    /// Reads one item.
    pub fn parse(c: &mut Cursor<'_>) -> Result<FetchAttr> {
        let simple = [
            ("UID", FetchAttr::Uid),
            ("FLAGS", FetchAttr::Flags),
            ("INTERNALDATE", FetchAttr::InternalDate),
            ("RFC822.SIZE", FetchAttr::Rfc822Size),
            ("RFC822.HEADER", FetchAttr::Rfc822Header),
            ("RFC822.TEXT", FetchAttr::Rfc822Text),
            ("RFC822", FetchAttr::Rfc822),
            ("ENVELOPE", FetchAttr::Envelope),
            ("BODYSTRUCTURE", FetchAttr::BodyStructure),
        ];
        if let Some((_, item)) = simple.into_iter().find(|(name, _)| c.keyword(name)) {
            return Ok(item);
        }
        if bracketed(c, "BINARY.SIZE") {
            return Ok(FetchAttr::BinarySize { part: Section::parse_binary(c)? });
        }
        for (prefix, peek) in [("BINARY.PEEK", true), ("BINARY", false)] {
            if bracketed(c, prefix) {
                let part = Section::parse_binary(c)?;
                return Ok(FetchAttr::Binary { peek, part, partial: Self::partial(c)? });
            }
        }
        for (prefix, peek) in [("BODY.PEEK", true), ("BODY", false)] {
            if bracketed(c, prefix) {
                let section = Section::parse(c)?;
                let partial = Self::partial(c)?;
                return Ok(match section.is_whole() {
                    true => FetchAttr::Body { peek, partial },
                    false => FetchAttr::Section { peek, section, partial },
                });
            }
        }
        if c.keyword("BODY") {
            return Ok(FetchAttr::BodyShort);
        }
        Err(c.error("fetch item"))
    }

    fn partial(c: &mut Cursor<'_>) -> Result<Option<(u32, u32)>> {
        if !c.eat(b'<') {
            return Ok(None);
        }
        let start = c.number()?;
        c.expect(b'.', ".")?;
        let count = c.nz_number()?;
        c.expect(b'>', ">")?;
        Ok(Some((start, count)))
    }

    fn write_partial(w: &mut Writer, partial: &Option<(u32, u32)>) {
        if let Some((start, count)) = partial {
            w.text(&format!("<{start}.{count}>"));
        }
    }

    /// Writes the item.
    pub fn write(&self, w: &mut Writer) {
        match self {
            FetchAttr::Uid => w.text("UID"),
            FetchAttr::Flags => w.text("FLAGS"),
            FetchAttr::InternalDate => w.text("INTERNALDATE"),
            FetchAttr::Rfc822Size => w.text("RFC822.SIZE"),
            FetchAttr::Rfc822 => w.text("RFC822"),
            FetchAttr::Rfc822Header => w.text("RFC822.HEADER"),
            FetchAttr::Rfc822Text => w.text("RFC822.TEXT"),
            FetchAttr::Envelope => w.text("ENVELOPE"),
            FetchAttr::BodyStructure => w.text("BODYSTRUCTURE"),
            FetchAttr::BodyShort => w.text("BODY"),
            FetchAttr::Body { peek, partial } => {
                w.text(if *peek { "BODY.PEEK[]" } else { "BODY[]" });
                Self::write_partial(w, partial);
                w
            }
            FetchAttr::Section { peek, section, partial } => {
                w.text(if *peek { "BODY.PEEK" } else { "BODY" });
                section.write(w);
                Self::write_partial(w, partial);
                w
            }
            FetchAttr::Binary { peek, part, partial } => {
                w.text(if *peek { "BINARY.PEEK[" } else { "BINARY[" });
                Section::write_part(w, part);
                w.raw(b"]");
                Self::write_partial(w, partial);
                w
            }
            FetchAttr::BinarySize { part } => {
                w.text("BINARY.SIZE[");
                Section::write_part(w, part);
                w.raw(b"]")
            }
        };
    }
}

/// Consumes `name` (case-insensitively) when a `[` follows it, leaving the `[`.
fn bracketed(c: &mut Cursor<'_>, name: &str) -> bool {
    let rest = c.rest();
    let fits =
        rest.len() > name.len() && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes()) && rest[name.len()] == b'[';
    fits && c.prefix(name)
}

/// A `FETCH` data item in a response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItem {
    /// `UID n`
    Uid(u32),
    /// `FLAGS (...)`
    Flags(Vec<Flag>),
    /// `INTERNALDATE "..."`
    InternalDate(DateTime),
    /// `RFC822.SIZE n`
    Rfc822Size(u32),
    /// `BODY[]<origin> nstring`: the whole message (from `origin` for a partial fetch).
    Body {
        /// The start offset of a partial fetch.
        origin: Option<u32>,
        /// The bytes, or `NIL`.
        data: Option<Vec<u8>>,
    },
    /// `BODY[section]<origin> nstring` for a section other than `[]`.
    Section {
        /// The section.
        section: Section,
        /// The start offset of a partial fetch.
        origin: Option<u32>,
        /// The bytes, or `NIL`.
        data: Option<Vec<u8>>,
    },
    /// `BINARY[part] (~{n} / nstring)` (RFC 3516): raw octets, written as `~{n}`. RFC 3516's
    /// grammar has no origin here, also for a partial fetch (`docs/dmap.md` §5).
    Binary {
        /// The part path.
        part: Vec<u32>,
        /// The octets, or `NIL`.
        data: Option<Vec<u8>>,
    },
    /// `BINARY.SIZE[part] n`
    BinarySize {
        /// The part path.
        part: Vec<u32>,
        /// The decoded size.
        size: u32,
    },
    /// `RFC822 nstring`
    Rfc822(Option<Vec<u8>>),
    /// `RFC822.HEADER nstring`
    Rfc822Header(Option<Vec<u8>>),
    /// `RFC822.TEXT nstring`
    Rfc822Text(Option<Vec<u8>>),
    /// `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`: the envelope of an object the
    /// server cannot read (`docs/dmap.md` §5), every field `NIL`.
    EnvelopeUnknown,
    /// `BODYSTRUCTURE` (with `extensible`) or `BODY` of an object as the server serves it: one
    /// `application/x-dime-message` part of `size` octets in 7bit (the armored text).
    Structure {
        /// `BODYSTRUCTURE` rather than `BODY`.
        extensible: bool,
        /// The part's size in octets.
        size: u32,
    },
}

/// The media type an object is served as (`docs/dmap.md` §5).
pub const DIME_MEDIA_TYPE: (&str, &str) = ("APPLICATION", "X-DIME-MESSAGE");

impl FetchItem {
    /// Reads one item (every form the server writes; other servers' `ENVELOPE` and
    /// `BODYSTRUCTURE` values are refused).
    pub fn parse(c: &mut Cursor<'_>) -> Result<FetchItem> {
        if c.keyword("UID") {
            c.sp()?;
            Ok(FetchItem::Uid(c.nz_number()?))
        } else if c.keyword("FLAGS") {
            c.sp()?;
            Ok(FetchItem::Flags(Flag::parse_list(c)?))
        } else if c.keyword("INTERNALDATE") {
            c.sp()?;
            Ok(FetchItem::InternalDate(DateTime::parse(c)?))
        } else if c.keyword("RFC822.SIZE") {
            c.sp()?;
            Ok(FetchItem::Rfc822Size(c.number()?))
        } else if c.keyword("RFC822.HEADER") {
            c.sp()?;
            Ok(FetchItem::Rfc822Header(c.nstring()?))
        } else if c.keyword("RFC822.TEXT") {
            c.sp()?;
            Ok(FetchItem::Rfc822Text(c.nstring()?))
        } else if c.keyword("RFC822") {
            c.sp()?;
            Ok(FetchItem::Rfc822(c.nstring()?))
        } else if c.keyword("ENVELOPE") {
            c.sp()?;
            if !c.prefix("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)") {
                return Err(c.error("envelope of NILs"));
            }
            Ok(FetchItem::EnvelopeUnknown)
        } else if let Some(extensible) =
            [true, false].into_iter().find(|&e| c.keyword(if e { "BODYSTRUCTURE" } else { "BODY" }))
        {
            c.sp()?;
            let (kind, subtype) = DIME_MEDIA_TYPE;
            if !c.prefix(&format!("(\"{kind}\" \"{subtype}\" NIL NIL NIL \"7BIT\" ")) {
                return Err(c.error("body structure of a DIME object"));
            }
            let size = c.number()?;
            if extensible && !c.prefix(" NIL") {
                return Err(c.error("body structure of a DIME object"));
            }
            c.expect(b')', ")")?;
            Ok(FetchItem::Structure { extensible, size })
        } else if bracketed(c, "BINARY.SIZE") {
            let part = Section::parse_binary(c)?;
            c.sp()?;
            Ok(FetchItem::BinarySize { part, size: c.number()? })
        } else if bracketed(c, "BINARY") {
            let part = Section::parse_binary(c)?;
            c.sp()?;
            let data = if c.peek() == Some(b'~') { Some(c.literal8()?.to_vec()) } else { c.nstring()? };
            Ok(FetchItem::Binary { part, data })
        } else if bracketed(c, "BODY") {
            let section = Section::parse(c)?;
            let origin = Self::origin(c)?;
            c.sp()?;
            let data = c.nstring()?;
            Ok(match section.is_whole() {
                true => FetchItem::Body { origin, data },
                false => FetchItem::Section { section, origin, data },
            })
        } else {
            Err(c.error("fetch data item"))
        }
    }

    fn origin(c: &mut Cursor<'_>) -> Result<Option<u32>> {
        if !c.eat(b'<') {
            return Ok(None);
        }
        let origin = c.number()?;
        c.expect(b'>', ">")?;
        Ok(Some(origin))
    }

    fn write_origin(w: &mut Writer, origin: &Option<u32>) {
        if let Some(origin) = origin {
            w.text(&format!("<{origin}>"));
        }
    }

    /// Writes the item (literals for message data, `~{n}` for binary).
    pub fn write(&self, w: &mut Writer) {
        match self {
            FetchItem::Uid(uid) => w.text("UID ").number(*uid),
            FetchItem::Flags(flags) => {
                w.text("FLAGS ");
                Flag::write_list(w, flags);
                w
            }
            FetchItem::InternalDate(date) => {
                w.text("INTERNALDATE ");
                date.write(w);
                w
            }
            FetchItem::Rfc822Size(size) => w.text("RFC822.SIZE ").number(*size),
            FetchItem::Body { origin, data } => {
                w.text("BODY[]");
                Self::write_origin(w, origin);
                w.sp();
                write_object(w, data.as_deref())
            }
            FetchItem::Section { section, origin, data } => {
                w.text("BODY");
                section.write(w);
                Self::write_origin(w, origin);
                w.sp();
                write_object(w, data.as_deref())
            }
            FetchItem::Binary { part, data } => {
                w.text("BINARY[");
                Section::write_part(w, part);
                w.text("] ");
                match data {
                    Some(bytes) => w.literal8(bytes),
                    None => w.text("NIL"),
                }
            }
            FetchItem::BinarySize { part, size } => {
                w.text("BINARY.SIZE[");
                Section::write_part(w, part);
                w.text("] ").number(*size)
            }
            FetchItem::Rfc822(data) => {
                w.text("RFC822 ");
                write_object(w, data.as_deref())
            }
            FetchItem::Rfc822Header(data) => {
                w.text("RFC822.HEADER ");
                write_object(w, data.as_deref())
            }
            FetchItem::Rfc822Text(data) => {
                w.text("RFC822.TEXT ");
                write_object(w, data.as_deref())
            }
            FetchItem::EnvelopeUnknown => w.text("ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"),
            FetchItem::Structure { extensible, size } => {
                let (kind, subtype) = DIME_MEDIA_TYPE;
                w.text(if *extensible { "BODYSTRUCTURE " } else { "BODY " });
                w.text(&format!("(\"{kind}\" \"{subtype}\" NIL NIL NIL \"7BIT\" {size}"));
                if *extensible {
                    // body-ext-1part: body-fld-md5 only.
                    w.text(" NIL");
                }
                w.raw(b")")
            }
        };
    }
}

/// Object bytes are always sent as a literal (never quoted), so a client gets them verbatim.
fn write_object<'w>(w: &'w mut Writer, data: Option<&[u8]>) -> &'w mut Writer {
    match data {
        Some(bytes) => w.literal(bytes),
        None => w.text("NIL"),
    }
}

/// How `STORE` changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// The kind of a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
    /// `PREAUTH` (greeting only)
    PreAuth,
    /// `BYE`
    Bye,
}

impl StatusKind {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            StatusKind::Ok => "OK",
            StatusKind::No => "NO",
            StatusKind::Bad => "BAD",
            StatusKind::PreAuth => "PREAUTH",
            StatusKind::Bye => "BYE",
        }
    }
}

/// A response code (`[...]` at the start of a status text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Code {
    /// `ALERT`
    Alert,
    /// `CAPABILITY ...`
    Capability(Vec<String>),
    /// `PARSE`
    Parse,
    /// `PERMANENTFLAGS (...)`; `keywords` adds `\*`.
    PermanentFlags {
        /// Flags that persist.
        flags: Vec<Flag>,
        /// Whether new keywords may be created (`\*`).
        keywords: bool,
    },
    /// `READ-ONLY`
    ReadOnly,
    /// `READ-WRITE`
    ReadWrite,
    /// `TRYCREATE`
    TryCreate,
    /// `UIDNEXT n`
    UidNext(u32),
    /// `UIDVALIDITY n`
    UidValidity(u32),
    /// `UNSEEN n`
    Unseen(u32),
    /// `AUTHENTICATIONFAILED` (RFC 5530)
    AuthenticationFailed,
    /// `PRIVACYREQUIRED` (RFC 5530)
    PrivacyRequired,
    /// `UNAVAILABLE` (RFC 5530)
    Unavailable,
    /// `CANNOT` (RFC 5530)
    Cannot,
    /// `NONEXISTENT` (RFC 5530)
    Nonexistent,
    /// `TOOBIG` (RFC 4469/7889)
    TooBig,
    /// `LIMIT` (RFC 5530)
    Limit,
    /// `CLIENTBUG` (RFC 5530)
    ClientBug,
    /// `ALREADYEXISTS` (RFC 5530)
    AlreadyExists,
    /// `APPENDUID uidvalidity uid` (RFC 4315)
    AppendUid(u32, u32),
    /// `COPYUID uidvalidity source-uids destination-uids` (RFC 4315), each set in its wire
    /// form (`1:3,7`).
    CopyUid(u32, String, String),
    /// `SUBMITTED id` (DMAP): the relay queue id of a submitted object.
    Submitted(String),
    /// Any other code: its atom and the rest up to `]`.
    Other(String, Option<String>),
}

impl Code {
    /// The code's atom.
    pub fn name(&self) -> &str {
        match self {
            Code::Alert => "ALERT",
            Code::Capability(_) => "CAPABILITY",
            Code::Parse => "PARSE",
            Code::PermanentFlags { .. } => "PERMANENTFLAGS",
            Code::ReadOnly => "READ-ONLY",
            Code::ReadWrite => "READ-WRITE",
            Code::TryCreate => "TRYCREATE",
            Code::UidNext(_) => "UIDNEXT",
            Code::UidValidity(_) => "UIDVALIDITY",
            Code::Unseen(_) => "UNSEEN",
            Code::AuthenticationFailed => "AUTHENTICATIONFAILED",
            Code::PrivacyRequired => "PRIVACYREQUIRED",
            Code::Unavailable => "UNAVAILABLE",
            Code::Cannot => "CANNOT",
            Code::Nonexistent => "NONEXISTENT",
            Code::TooBig => "TOOBIG",
            Code::Limit => "LIMIT",
            Code::ClientBug => "CLIENTBUG",
            Code::AlreadyExists => "ALREADYEXISTS",
            Code::AppendUid(..) => "APPENDUID",
            Code::CopyUid(..) => "COPYUID",
            Code::Submitted(_) => "SUBMITTED",
            Code::Other(name, _) => name,
        }
    }

    /// Reads a code between `[` and `]` (the brackets included).
    pub fn parse(c: &mut Cursor<'_>) -> Result<Code> {
        c.expect(b'[', "[")?;
        let name = c.atom_str()?.to_ascii_uppercase();
        let simple = [
            Code::Alert,
            Code::Parse,
            Code::ReadOnly,
            Code::ReadWrite,
            Code::TryCreate,
            Code::AuthenticationFailed,
            Code::PrivacyRequired,
            Code::Unavailable,
            Code::Cannot,
            Code::Nonexistent,
            Code::TooBig,
            Code::Limit,
            Code::ClientBug,
            Code::AlreadyExists,
        ];
        let code = if let Some(code) = simple.into_iter().find(|code| code.name() == name) {
            code
        } else {
            match name.as_str() {
                "CAPABILITY" => {
                    let mut caps = Vec::new();
                    while c.eat(b' ') {
                        caps.push(c.atom_str()?);
                    }
                    Code::Capability(caps)
                }
                "PERMANENTFLAGS" => {
                    c.sp()?;
                    let mut keywords = false;
                    let flags = c.list(|c| {
                        if c.prefix("\\*") {
                            keywords = true;
                            Ok(None)
                        } else {
                            Flag::parse(c).map(Some)
                        }
                    })?;
                    Code::PermanentFlags { flags: flags.into_iter().flatten().collect(), keywords }
                }
                "UIDNEXT" => Code::UidNext(Self::arg_number(c)?),
                "UIDVALIDITY" => Code::UidValidity(Self::arg_number(c)?),
                "UNSEEN" => Code::Unseen(Self::arg_number(c)?),
                "SUBMITTED" => {
                    c.sp()?;
                    Code::Submitted(c.atom_str()?)
                }
                "APPENDUID" => {
                    let validity = Self::arg_number(c)?;
                    Code::AppendUid(validity, Self::arg_number(c)?)
                }
                "COPYUID" => {
                    let validity = Self::arg_number(c)?;
                    c.sp()?;
                    let set = |c: &mut Cursor<'_>| {
                        let bytes = c.take_while1(|b| b.is_ascii_digit() || b == b':' || b == b',', "uid-set")?;
                        Ok::<_, DmapError>(String::from_utf8_lossy(bytes).into_owned())
                    };
                    let source = set(c)?;
                    c.sp()?;
                    Code::CopyUid(validity, source, set(c)?)
                }
                _ => {
                    let rest = if c.eat(b' ') {
                        let bytes = c.take_while1(|b| b != b']' && b != b'\r' && b != b'\n', "code text")?;
                        Some(utf8(bytes.to_vec(), "response code")?)
                    } else {
                        None
                    };
                    Code::Other(name, rest)
                }
            }
        };
        c.expect(b']', "]")?;
        Ok(code)
    }

    fn arg_number(c: &mut Cursor<'_>) -> Result<u32> {
        c.sp()?;
        c.nz_number()
    }

    /// Writes the code with its brackets.
    pub fn write(&self, w: &mut Writer) {
        w.raw(b"[").text(self.name());
        match self {
            Code::Capability(caps) => {
                for cap in caps {
                    w.sp().text(cap);
                }
            }
            Code::PermanentFlags { flags, keywords } => {
                w.sp().raw(b"(");
                for (i, flag) in flags.iter().enumerate() {
                    if i > 0 {
                        w.sp();
                    }
                    w.text(&flag.name());
                }
                if *keywords {
                    if !flags.is_empty() {
                        w.sp();
                    }
                    w.raw(b"\\*");
                }
                w.raw(b")");
            }
            Code::UidNext(n) | Code::UidValidity(n) | Code::Unseen(n) => {
                w.sp().number(*n);
            }
            Code::Submitted(id) => {
                w.sp().text(id);
            }
            Code::AppendUid(validity, uid) => {
                w.sp().number(*validity).sp().number(*uid);
            }
            Code::CopyUid(validity, source, destination) => {
                w.sp().number(*validity).sp().text(source).sp().text(destination);
            }
            Code::Other(_, Some(rest)) => {
                w.sp().text(rest);
            }
            _ => {}
        }
        w.raw(b"]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_known_values() {
        let date = DateTime::parse(&mut Cursor::new(b"\"17-Jul-1996 02:44:25 -0700\"")).unwrap();
        assert_eq!(date.unix(), 837_596_665);
        assert_eq!(date.offset_minutes(), -420);
        assert_eq!(date.to_string(), "\"17-Jul-1996 02:44:25 -0700\"");
        let date = DateTime::parse(&mut Cursor::new(b"\" 1-jan-1970 00:00:00 +0000\"")).unwrap();
        assert_eq!(date.unix(), 0);
        assert_eq!(date.to_string(), "\"01-Jan-1970 00:00:00 +0000\"");
        let leap = DateTime::parse(&mut Cursor::new(b"\"29-Feb-2000 23:59:59 +0100\"")).unwrap();
        assert_eq!(leap.unix(), 951_865_199);
    }

    #[test]
    fn dates_rejected() {
        for text in [
            &b"\"29-Feb-1900 00:00:00 +0000\""[..],
            b"\"31-Apr-2020 00:00:00 +0000\"",
            b"\"01-Foo-2020 00:00:00 +0000\"",
            b"\"01-Jan-2020 24:00:00 +0000\"",
            b"\"01-Jan-2020 00:60:00 +0000\"",
            b"\"01-Jan-2020 00:00:00 +0060\"",
            b"\"01-Jan-2020 00:00:00 0000\"",
            b"\"01-Jan-0000 00:00:00 +0000\"",
        ] {
            assert_eq!(
                DateTime::parse(&mut Cursor::new(text)),
                Err(DmapError::Syntax { offset: 0, expected: "date-time \"dd-Mon-yyyy hh:mm:ss +zzzz\"" }),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(DateTime::new(0, 1440), None);
        assert_eq!(DateTime::new(MAX_UNIX, 1), None);
    }

    #[test]
    fn sequence_sets() {
        let set = SequenceSet::parse(&mut Cursor::new(b"1:3,7,9:*"), 10).unwrap();
        let members: Vec<u32> = (1..=12).filter(|&n| set.contains(n, 12)).collect();
        assert_eq!(members, [1, 2, 3, 7, 9, 10, 11, 12]);
        let reversed = SequenceSet::parse(&mut Cursor::new(b"5:2"), 10).unwrap();
        assert!(reversed.contains(3, 9));
        assert_eq!(SequenceSet::parse(&mut Cursor::new(b"1,2,3"), 2), Err(DmapError::TooManyRanges { limit: 2 }));
        assert_eq!(
            SequenceSet::parse(&mut Cursor::new(b"0:3"), 2),
            Err(DmapError::Syntax { offset: 0, expected: "non-zero number" })
        );
        assert!(SequenceSet::new(vec![]).is_err());
    }

    #[test]
    fn invalid_flags_are_not_written() {
        let mut w = Writer::new(0);
        Flag::write_list(&mut w, &[Flag::Seen, Flag::Keyword("a b)".into()), Flag::Keyword("$ok".into())]);
        assert_eq!(w.into_bytes(), b"(\\Seen $ok)");
    }

    #[test]
    fn tags() {
        assert_eq!(Tag::new("a1").unwrap().as_str(), "a1");
        assert_eq!(Tag::new("a+1"), Err(DmapError::Syntax { offset: 1, expected: "end of tag" }));
        assert_eq!(Tag::new(""), Err(DmapError::Syntax { offset: 0, expected: "tag" }));
        assert_eq!(Tag::new("*"), Err(DmapError::Syntax { offset: 0, expected: "tag" }));
    }
}
