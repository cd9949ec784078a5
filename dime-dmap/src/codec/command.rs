//! Low-level: commands: what a client sends. [`Command::parse`] reads one complete message (as the
//! fragmentizer delivers it), [`Command::write`] produces the wire bytes.

use zeroize::Zeroizing;

use super::cursor::{Cursor, utf8};
use super::search::SearchCriteria;
use super::types::{DateTime, FetchAttr, Flag, Mailbox, SequenceSet, StatusAttr, StoreMode, Tag};
use super::writer::Writer;
use crate::error::{DmapError, Result};

/// A tagged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The client's tag.
    pub tag: Tag,
    /// What it asks for.
    pub body: CommandBody,
}

/// The commands DMAP knows. Names in comments are the wire syntax (`docs/dmap.md` §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `STARTTLS`
    StartTls,
    /// `AUTHENTICATE mechanism [SP initial-response]`; the initial response is decoded
    /// (`=` is the empty response).
    Authenticate {
        /// The SASL mechanism name, upper-cased.
        mechanism: String,
        /// The SASL-IR initial response.
        initial: Option<Vec<u8>>,
    },
    /// `LOGIN user password`: parsed only to be refused.
    Login {
        /// The user name given.
        username: Vec<u8>,
        /// The password given, wiped on drop.
        password: Zeroizing<Vec<u8>>,
    },
    /// `LIST reference pattern`
    List {
        /// The reference name.
        reference: String,
        /// The mailbox pattern (`*` and `%` are wildcards).
        pattern: String,
    },
    /// `SELECT mailbox`
    Select(Mailbox),
    /// `EXAMINE mailbox`
    Examine(Mailbox),
    /// `STATUS mailbox (items)`
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The items asked for (at least one).
        items: Vec<StatusAttr>,
    },
    /// `[UID] FETCH set items`
    Fetch {
        /// `UID FETCH`: the set holds UIDs.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// The items.
        items: Vec<FetchAttr>,
    },
    /// `[UID] STORE set [+|-]FLAGS[.SILENT] flags`
    Store {
        /// `UID STORE`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`: no untagged `FETCH` answers.
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
    },
    /// `EXPUNGE`
    Expunge,
    /// `CLOSE`
    Close,
    /// `IDLE`, ended by a `DONE` line.
    Idle,
    /// `APPEND mailbox [flags] [date-time] literal`: stores an encrypted object.
    Append {
        /// The target mailbox.
        mailbox: Mailbox,
        /// Initial flags.
        flags: Vec<Flag>,
        /// Internal date.
        date: Option<DateTime>,
        /// The object bytes.
        object: Vec<u8>,
    },
    /// `SUBMIT literal` (DMAP): an encrypted object for the server to relay.
    Submit {
        /// The object bytes.
        object: Vec<u8>,
    },
    /// `SSR literal` (DMAP): a signet signing request; the server answers with the signed signet.
    SignetRequest {
        /// The binary signing request.
        request: Vec<u8>,
    },
    /// `SIGNET address` (DMAP): look up the current signet of a user or organization.
    SignetLookup {
        /// `user@domain` or `domain`.
        address: String,
    },
    /// `KEYFILE STORE shard literal` (DMAP): store the user's key file sealed in a STACIE realm
    /// envelope, with the realm's 64-byte shard.
    KeyfileStore {
        /// The realm shard (64 bytes, base64 on the wire).
        shard: [u8; 64],
        /// The realm envelope.
        envelope: Vec<u8>,
    },
    /// `KEYFILE FETCH` (DMAP)
    KeyfileFetch,
    /// `CREATE mailbox`
    Create(Mailbox),
    /// `DELETE mailbox`
    Delete(Mailbox),
    /// `RENAME mailbox mailbox`
    Rename {
        /// The existing name.
        from: Mailbox,
        /// The new name.
        to: Mailbox,
    },
    /// `SUBSCRIBE mailbox`
    Subscribe(Mailbox),
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe(Mailbox),
    /// `LSUB reference pattern`
    Lsub {
        /// The reference name.
        reference: String,
        /// The mailbox pattern.
        pattern: String,
    },
    /// `CHECK`
    Check,
    /// `[UID] SEARCH [CHARSET c] keys`
    Search {
        /// `UID SEARCH`: answer UIDs.
        uid: bool,
        /// The criteria.
        criteria: SearchCriteria,
    },
    /// `[UID] COPY set mailbox`
    Copy {
        /// `UID COPY`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// The target mailbox.
        mailbox: Mailbox,
    },
    /// `[UID] MOVE set mailbox` (RFC 6851)
    Move {
        /// `UID MOVE`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// The target mailbox.
        mailbox: Mailbox,
    },
    /// `UID EXPUNGE set` (RFC 4315)
    UidExpunge(SequenceSet),
    /// `ID (field value ...)` or `ID NIL` (RFC 2971): the client's identification.
    Id(Option<Vec<(String, Option<String>)>>),
    /// `ENABLE capability ...` (RFC 5161)
    Enable(Vec<String>),
}

/// Most field-value pairs in an `ID` list (RFC 2971 §3.3).
pub const MAX_ID_FIELDS: usize = 30;

impl CommandBody {
    /// The command's name as written on the wire (two words for `UID` and `KEYFILE` forms).
    pub fn name(&self) -> &'static str {
        match self {
            CommandBody::Capability => "CAPABILITY",
            CommandBody::Noop => "NOOP",
            CommandBody::Logout => "LOGOUT",
            CommandBody::StartTls => "STARTTLS",
            CommandBody::Authenticate { .. } => "AUTHENTICATE",
            CommandBody::Login { .. } => "LOGIN",
            CommandBody::List { .. } => "LIST",
            CommandBody::Select(_) => "SELECT",
            CommandBody::Examine(_) => "EXAMINE",
            CommandBody::Status { .. } => "STATUS",
            CommandBody::Fetch { uid: false, .. } => "FETCH",
            CommandBody::Fetch { uid: true, .. } => "UID FETCH",
            CommandBody::Store { uid: false, .. } => "STORE",
            CommandBody::Store { uid: true, .. } => "UID STORE",
            CommandBody::Expunge => "EXPUNGE",
            CommandBody::Close => "CLOSE",
            CommandBody::Idle => "IDLE",
            CommandBody::Append { .. } => "APPEND",
            CommandBody::Submit { .. } => "SUBMIT",
            CommandBody::SignetRequest { .. } => "SSR",
            CommandBody::SignetLookup { .. } => "SIGNET",
            CommandBody::KeyfileStore { .. } => "KEYFILE STORE",
            CommandBody::KeyfileFetch => "KEYFILE FETCH",
            CommandBody::Create(_) => "CREATE",
            CommandBody::Delete(_) => "DELETE",
            CommandBody::Rename { .. } => "RENAME",
            CommandBody::Subscribe(_) => "SUBSCRIBE",
            CommandBody::Unsubscribe(_) => "UNSUBSCRIBE",
            CommandBody::Lsub { .. } => "LSUB",
            CommandBody::Check => "CHECK",
            CommandBody::Search { uid: false, .. } => "SEARCH",
            CommandBody::Search { uid: true, .. } => "UID SEARCH",
            CommandBody::Copy { uid: false, .. } => "COPY",
            CommandBody::Copy { uid: true, .. } => "UID COPY",
            CommandBody::Move { uid: false, .. } => "MOVE",
            CommandBody::Move { uid: true, .. } => "UID MOVE",
            CommandBody::UidExpunge(_) => "UID EXPUNGE",
            CommandBody::Id(_) => "ID",
            CommandBody::Enable(_) => "ENABLE",
        }
    }
}

/// Limits that apply while parsing a command (sizes were checked by the fragmentizer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Most ranges in a sequence set.
    pub max_sequence_ranges: usize,
    /// Most keys in one `SEARCH`.
    pub max_search_keys: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        (&crate::SessionLimits::default()).into()
    }
}

impl From<&crate::SessionLimits> for ParseLimits {
    fn from(limits: &crate::SessionLimits) -> Self {
        ParseLimits { max_sequence_ranges: limits.max_sequence_ranges, max_search_keys: limits.max_search_keys }
    }
}

impl Command {
    /// Parses one complete command message (ending with CRLF).
    ///
    /// Errors: [`DmapError::Syntax`] (with the offset of the first byte that does not fit),
    /// [`DmapError::UnknownCommand`], [`DmapError::TooManyRanges`], [`DmapError::NotUtf8`].
    pub fn parse(bytes: &[u8], limits: &ParseLimits) -> Result<Command> {
        let mut c = Cursor::new(bytes);
        let tag = Tag::parse(&mut c)?;
        c.sp()?;
        let body = parse_body(&mut c, limits)?;
        c.finish()?;
        Ok(Command { tag, body })
    }

    /// Reads only the tag at the start of `bytes` (to answer a command that cannot be parsed):
    /// a tag followed by a space, or a tag alone on its line (a tagged line with no command).
    pub fn parse_tag(bytes: &[u8]) -> Option<Tag> {
        let mut c = Cursor::new(bytes);
        let tag = Tag::parse(&mut c).ok()?;
        matches!(c.peek(), Some(b' ' | b'\r')).then_some(tag)
    }

    /// Writes the command. Literals up to `non_sync_max` bytes are written as `{n+}` (pass 0
    /// unless the server advertised `LITERAL-` or `LITERAL+`).
    pub fn write(&self, non_sync_max: usize) -> Writer {
        let mut w = Writer::new(non_sync_max);
        w.text(self.tag.as_str()).sp().text(self.body.name());
        match &self.body {
            CommandBody::Capability
            | CommandBody::Noop
            | CommandBody::Logout
            | CommandBody::StartTls
            | CommandBody::Expunge
            | CommandBody::Close
            | CommandBody::Idle
            | CommandBody::Check
            | CommandBody::KeyfileFetch => {}
            CommandBody::Create(mailbox)
            | CommandBody::Delete(mailbox)
            | CommandBody::Subscribe(mailbox)
            | CommandBody::Unsubscribe(mailbox) => {
                w.sp();
                mailbox.write(&mut w);
            }
            CommandBody::Rename { from, to } => {
                w.sp();
                from.write(&mut w);
                w.sp();
                to.write(&mut w);
            }
            CommandBody::Lsub { reference, pattern } => {
                w.sp().astring(reference.as_bytes()).sp().astring(pattern.as_bytes());
            }
            CommandBody::Search { criteria, .. } => {
                w.sp();
                criteria.write(&mut w);
            }
            CommandBody::Copy { set, mailbox, .. } | CommandBody::Move { set, mailbox, .. } => {
                w.sp();
                set.write(&mut w);
                w.sp();
                mailbox.write(&mut w);
            }
            CommandBody::UidExpunge(set) => {
                w.sp();
                set.write(&mut w);
            }
            CommandBody::Id(None) => {
                w.text(" NIL");
            }
            CommandBody::Id(Some(fields)) => {
                let flat: Vec<Option<&str>> =
                    fields.iter().flat_map(|(field, value)| [Some(field.as_str()), value.as_deref()]).collect();
                w.sp().list(&flat, |w, item| {
                    w.nstring(item.map(str::as_bytes));
                });
            }
            CommandBody::Enable(caps) => {
                for cap in caps {
                    w.sp().text(cap);
                }
            }
            CommandBody::Authenticate { mechanism, initial } => {
                w.sp().text(mechanism);
                if let Some(initial) = initial {
                    w.sp();
                    if initial.is_empty() {
                        w.raw(b"=");
                    } else {
                        w.text(&dime_core::base64::encode_padded(initial));
                    }
                }
            }
            CommandBody::Login { username, password } => {
                w.sp().astring(username).sp().astring(password);
            }
            CommandBody::List { reference, pattern } => {
                w.sp().astring(reference.as_bytes()).sp().astring(pattern.as_bytes());
            }
            CommandBody::Select(mailbox) | CommandBody::Examine(mailbox) => {
                w.sp();
                mailbox.write(&mut w);
            }
            CommandBody::Status { mailbox, items } => {
                w.sp();
                mailbox.write(&mut w);
                w.sp().list(items, |w, item| {
                    w.text(item.name());
                });
            }
            CommandBody::Fetch { set, items, .. } => {
                w.sp();
                set.write(&mut w);
                w.sp().list(items, |w, item| item.write(w));
            }
            CommandBody::Store { set, mode, silent, flags, .. } => {
                w.sp();
                set.write(&mut w);
                let sign = match mode {
                    StoreMode::Replace => "",
                    StoreMode::Add => "+",
                    StoreMode::Remove => "-",
                };
                w.sp().text(sign).text(if *silent { "FLAGS.SILENT " } else { "FLAGS " });
                Flag::write_list(&mut w, flags);
            }
            CommandBody::Append { mailbox, flags, date, object } => {
                w.sp();
                mailbox.write(&mut w);
                if !flags.is_empty() {
                    w.sp();
                    Flag::write_list(&mut w, flags);
                }
                if let Some(date) = date {
                    w.sp();
                    date.write(&mut w);
                }
                w.sp().literal(object);
            }
            CommandBody::Submit { object } => {
                w.sp().literal(object);
            }
            CommandBody::SignetRequest { request } => {
                w.sp().literal(request);
            }
            CommandBody::SignetLookup { address } => {
                w.sp().astring(address.as_bytes());
            }
            CommandBody::KeyfileStore { shard, envelope } => {
                w.sp().text(&dime_core::base64::encode_padded(shard)).sp().literal(envelope);
            }
        }
        w.crlf();
        w
    }

    /// The wire bytes of the whole command (literal continuations not waited for).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(0).into_bytes()
    }
}

fn parse_body(c: &mut Cursor<'_>, limits: &ParseLimits) -> Result<CommandBody> {
    let name = c.atom()?.to_ascii_uppercase();
    let body = match name.as_slice() {
        b"CAPABILITY" => CommandBody::Capability,
        b"NOOP" => CommandBody::Noop,
        b"LOGOUT" => CommandBody::Logout,
        b"STARTTLS" => CommandBody::StartTls,
        b"EXPUNGE" => CommandBody::Expunge,
        b"CLOSE" => CommandBody::Close,
        b"IDLE" => CommandBody::Idle,
        b"CHECK" => CommandBody::Check,
        b"CREATE" | b"DELETE" | b"SUBSCRIBE" | b"UNSUBSCRIBE" => {
            c.sp()?;
            let mailbox = Mailbox::parse(c)?;
            match name.as_slice() {
                b"CREATE" => CommandBody::Create(mailbox),
                b"DELETE" => CommandBody::Delete(mailbox),
                b"SUBSCRIBE" => CommandBody::Subscribe(mailbox),
                _ => CommandBody::Unsubscribe(mailbox),
            }
        }
        b"RENAME" => {
            c.sp()?;
            let from = Mailbox::parse(c)?;
            c.sp()?;
            CommandBody::Rename { from, to: Mailbox::parse(c)? }
        }
        b"LSUB" => {
            c.sp()?;
            let reference = utf8(c.astring()?, "reference name")?;
            c.sp()?;
            let pattern = list_mailbox(c)?;
            CommandBody::Lsub { reference, pattern }
        }
        b"SEARCH" => search(c, limits, false)?,
        b"ID" => {
            c.sp()?;
            if c.keyword("NIL") {
                CommandBody::Id(None)
            } else {
                let items = c.list(|c| c.nstring())?;
                let even = items.len().is_multiple_of(2);
                if !even || items.len() > 2 * MAX_ID_FIELDS {
                    return Err(c.error("ID list of at most 30 field-value pairs"));
                }
                let mut fields = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    let [Some(field), value] = pair else { return Err(c.error("ID field name")) };
                    let value = value.clone().map(|v| utf8(v, "ID value")).transpose()?;
                    fields.push((utf8(field.clone(), "ID field")?, value));
                }
                CommandBody::Id(Some(fields))
            }
        }
        b"ENABLE" => {
            let mut caps = Vec::new();
            while c.eat(b' ') {
                caps.push(c.atom_str()?);
            }
            if caps.is_empty() {
                return Err(c.error("capability"));
            }
            CommandBody::Enable(caps)
        }
        b"COPY" => copy(c, limits, false, false)?,
        b"MOVE" => copy(c, limits, false, true)?,
        b"AUTHENTICATE" => {
            c.sp()?;
            let mechanism = c.atom_str()?.to_ascii_uppercase();
            let initial = if c.eat(b' ') { Some(sasl_initial(c)?) } else { None };
            CommandBody::Authenticate { mechanism, initial }
        }
        b"LOGIN" => {
            c.sp()?;
            let username = c.astring()?;
            c.sp()?;
            CommandBody::Login { username, password: Zeroizing::new(c.astring()?) }
        }
        b"LIST" => {
            c.sp()?;
            let reference = utf8(c.astring()?, "reference name")?;
            c.sp()?;
            let pattern = list_mailbox(c)?;
            CommandBody::List { reference, pattern }
        }
        b"SELECT" => {
            c.sp()?;
            CommandBody::Select(Mailbox::parse(c)?)
        }
        b"EXAMINE" => {
            c.sp()?;
            CommandBody::Examine(Mailbox::parse(c)?)
        }
        b"STATUS" => {
            c.sp()?;
            let mailbox = Mailbox::parse(c)?;
            c.sp()?;
            let items = c.list(StatusAttr::parse)?;
            if items.is_empty() {
                return Err(c.error("status item"));
            }
            CommandBody::Status { mailbox, items }
        }
        b"FETCH" => fetch(c, limits, false)?,
        b"STORE" => store(c, limits, false)?,
        b"UID" => {
            c.sp()?;
            let sub = c.atom()?.to_ascii_uppercase();
            match sub.as_slice() {
                b"FETCH" => fetch(c, limits, true)?,
                b"STORE" => store(c, limits, true)?,
                b"SEARCH" => search(c, limits, true)?,
                b"COPY" => copy(c, limits, true, false)?,
                b"MOVE" => copy(c, limits, true, true)?,
                b"EXPUNGE" => {
                    c.sp()?;
                    CommandBody::UidExpunge(SequenceSet::parse(c, limits.max_sequence_ranges)?)
                }
                // A UID form DMAP does not know is an unknown command like any other.
                _ => {
                    let sub = String::from_utf8_lossy(&sub);
                    return Err(DmapError::UnknownCommand(format!("UID {sub}")));
                }
            }
        }
        b"APPEND" => {
            c.sp()?;
            let mailbox = Mailbox::parse(c)?;
            c.sp()?;
            let flags = if c.peek() == Some(b'(') {
                let flags = Flag::parse_list(c)?;
                c.sp()?;
                flags
            } else {
                Vec::new()
            };
            let date = if c.peek() == Some(b'"') {
                let date = DateTime::parse(c)?;
                c.sp()?;
                Some(date)
            } else {
                None
            };
            CommandBody::Append { mailbox, flags, date, object: append_data(c)?.to_vec() }
        }
        b"SUBMIT" => {
            c.sp()?;
            CommandBody::Submit { object: c.literal()?.to_vec() }
        }
        b"SSR" => {
            c.sp()?;
            CommandBody::SignetRequest { request: c.literal()?.to_vec() }
        }
        b"SIGNET" => {
            c.sp()?;
            CommandBody::SignetLookup { address: utf8(c.astring()?, "address")? }
        }
        b"KEYFILE" => {
            c.sp()?;
            if c.keyword("FETCH") {
                CommandBody::KeyfileFetch
            } else if c.keyword("STORE") {
                c.sp()?;
                let shard = c.shard()?;
                c.sp()?;
                CommandBody::KeyfileStore { shard, envelope: c.literal()?.to_vec() }
            } else {
                return Err(c.error("FETCH or STORE after KEYFILE"));
            }
        }
        _ => {
            return Err(DmapError::UnknownCommand(String::from_utf8_lossy(&name).into_owned()));
        }
    };
    Ok(body)
}

/// A SASL initial response: `=` (empty) or base64.
/// APPEND's message: a `literal`, or RFC 3516's `literal8` (`~{n}`), the form a client uses for
/// content with NUL octets once the server advertises `BINARY`.
fn append_data<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8]> {
    if c.peek() == Some(b'~') { c.literal8() } else { c.literal() }
}

fn sasl_initial(c: &mut Cursor<'_>) -> Result<Vec<u8>> {
    let at = c.clone();
    let text = c.atom()?;
    if text == b"=" {
        return Ok(Vec::new());
    }
    core::str::from_utf8(text)
        .ok()
        .and_then(|text| dime_core::base64::decode_padded(text, "initial response").ok())
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| at.error("base64 initial response"))
}

/// `list-mailbox`: an atom that may also hold `%`, `*` and `]`, or a string.
fn list_mailbox(c: &mut Cursor<'_>) -> Result<String> {
    let bytes = match c.peek() {
        Some(b'"' | b'{') => c.string()?,
        _ => {
            c.take_while1(|b| super::cursor::is_astring_char(b) || b == b'%' || b == b'*', "mailbox pattern")?.to_vec()
        }
    };
    utf8(bytes, "mailbox pattern")
}

fn fetch(c: &mut Cursor<'_>, limits: &ParseLimits, uid: bool) -> Result<CommandBody> {
    c.sp()?;
    let set = SequenceSet::parse(c, limits.max_sequence_ranges)?;
    c.sp()?;
    let items = FetchAttr::parse_items(c)?;
    Ok(CommandBody::Fetch { uid, set, items })
}

fn search(c: &mut Cursor<'_>, limits: &ParseLimits, uid: bool) -> Result<CommandBody> {
    c.sp()?;
    let criteria = SearchCriteria::parse(c, limits.max_search_keys, limits.max_sequence_ranges)?;
    Ok(CommandBody::Search { uid, criteria })
}

fn copy(c: &mut Cursor<'_>, limits: &ParseLimits, uid: bool, move_: bool) -> Result<CommandBody> {
    c.sp()?;
    let set = SequenceSet::parse(c, limits.max_sequence_ranges)?;
    c.sp()?;
    let mailbox = Mailbox::parse(c)?;
    Ok(if move_ { CommandBody::Move { uid, set, mailbox } } else { CommandBody::Copy { uid, set, mailbox } })
}

fn store(c: &mut Cursor<'_>, limits: &ParseLimits, uid: bool) -> Result<CommandBody> {
    c.sp()?;
    let set = SequenceSet::parse(c, limits.max_sequence_ranges)?;
    c.sp()?;
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    let silent = if c.keyword("FLAGS.SILENT") {
        true
    } else if c.keyword("FLAGS") {
        false
    } else {
        return Err(c.error("FLAGS or FLAGS.SILENT"));
    };
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        Flag::parse_list(c)?
    } else {
        let mut flags = vec![Flag::parse(c)?];
        while c.eat(b' ') {
            flags.push(Flag::parse(c)?);
        }
        flags
    };
    Ok(CommandBody::Store { uid, set, mode, silent, flags })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Command> {
        Command::parse(text, &ParseLimits::default())
    }

    #[test]
    fn parses_the_imap_forms() {
        let cmd = parse(b"a1 uid fetch 1:*,4 (UID FLAGS BODY.PEEK[]<0.100>)\r\n").unwrap();
        assert_eq!(cmd.tag.as_str(), "a1");
        assert_eq!(
            cmd.body,
            CommandBody::Fetch {
                uid: true,
                set: SequenceSet::new(vec![
                    (crate::codec::SeqBound::Value(1), crate::codec::SeqBound::Largest),
                    (crate::codec::SeqBound::Value(4), crate::codec::SeqBound::Value(4))
                ])
                .unwrap(),
                items: vec![FetchAttr::Uid, FetchAttr::Flags, FetchAttr::Body { peek: true, partial: Some((0, 100)) }],
            }
        );
        let cmd = parse(b"x STORE 2 +FLAGS.SILENT \\Deleted $Junk\r\n").unwrap();
        assert_eq!(
            cmd.body,
            CommandBody::Store {
                uid: false,
                set: SequenceSet::single(2).unwrap(),
                mode: StoreMode::Add,
                silent: true,
                flags: vec![Flag::Deleted, Flag::Keyword("$Junk".into())],
            }
        );
        let cmd = parse(b"x APPEND inbox (\\Seen) \"01-Feb-2024 10:00:00 +0000\" {3}\r\nabc\r\n").unwrap();
        assert!(matches!(cmd.body, CommandBody::Append { ref mailbox, ref object, .. }
            if mailbox.as_str() == "INBOX" && object == b"abc"));
        let cmd = parse(b"x LIST \"\" *\r\n").unwrap();
        assert_eq!(cmd.body, CommandBody::List { reference: String::new(), pattern: "*".into() });
        let cmd = parse(b"x AUTHENTICATE stacie =\r\n").unwrap();
        assert_eq!(cmd.body, CommandBody::Authenticate { mechanism: "STACIE".into(), initial: Some(Vec::new()) });
    }

    #[test]
    fn rejections_are_precise() {
        assert_eq!(parse(b"a1 FROB\r\n"), Err(DmapError::UnknownCommand("FROB".into())));
        assert_eq!(parse(b"a1 NOOP extra\r\n"), Err(DmapError::Syntax { offset: 7, expected: "CRLF" }));
        assert_eq!(parse(b"a1 NOOP\r\nx"), Err(DmapError::Syntax { offset: 9, expected: "end of message" }));
        assert_eq!(parse(b"a1 NOOP\n"), Err(DmapError::Syntax { offset: 7, expected: "CRLF" }));
        assert_eq!(parse(b"* NOOP\r\n"), Err(DmapError::Syntax { offset: 0, expected: "tag" }));
        assert_eq!(parse(b"a1 SELECT\r\n"), Err(DmapError::Syntax { offset: 9, expected: "SP" }));
        assert_eq!(
            parse(b"a1 KEYFILE STORE abc {1}\r\nx\r\n"),
            Err(DmapError::Syntax { offset: 17, expected: "base64 of a 64-byte shard" })
        );
        assert_eq!(
            parse(b"a1 AUTHENTICATE STACIE !!\r\n"),
            Err(DmapError::Syntax { offset: 23, expected: "base64 initial response" })
        );
        assert_eq!(parse(b"a1 SELECT \"\xff\"\r\n"), Err(DmapError::NotUtf8 { what: "mailbox name" }));
        assert_eq!(parse(b"a1 STATUS INBOX ()\r\n"), Err(DmapError::Syntax { offset: 18, expected: "status item" }));
    }
}
