//! Low-level: responses: what a server sends. [`Response::parse`] reads one complete message,
//! [`Response::write`] produces the wire bytes.

use super::cursor::{Cursor, utf8};
use super::types::{Code, FetchItem, Flag, Mailbox, StatusAttr, StatusKind, Tag};
use super::writer::Writer;
use crate::error::Result;

/// One server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// A status response: tagged (`tag OK ...`) or untagged (`* OK ...`, `* BYE ...`).
    Status(Status),
    /// Untagged data (`* ...`).
    Data(Data),
    /// A continuation request (`+ text`); the text is raw (base64 during `AUTHENTICATE`).
    Continue(Vec<u8>),
}

/// A status response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The tag, `None` for `*`.
    pub tag: Option<Tag>,
    /// OK, NO, BAD, PREAUTH or BYE.
    pub kind: StatusKind,
    /// The response code.
    pub code: Option<Code>,
    /// The human-readable text (not starting with `[`).
    pub text: String,
}

impl Status {
    /// A tagged status.
    pub fn tagged(tag: Tag, kind: StatusKind, code: Option<Code>, text: &str) -> Status {
        Status { tag: Some(tag), kind, code, text: text.into() }
    }

    /// An untagged status.
    pub fn untagged(kind: StatusKind, code: Option<Code>, text: &str) -> Status {
        Status { tag: None, kind, code, text: text.into() }
    }
}

/// Untagged data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `* CAPABILITY ...`
    Capability(Vec<String>),
    /// `* LIST (attributes) delimiter mailbox`
    List {
        /// Name attributes such as `\HasNoChildren` (with the backslash).
        attributes: Vec<String>,
        /// The hierarchy delimiter, `None` for NIL.
        delimiter: Option<u8>,
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `* LSUB (attributes) delimiter mailbox`
    Lsub {
        /// Name attributes (`\Noselect` for a subscribed name with no mailbox).
        attributes: Vec<String>,
        /// The hierarchy delimiter, `None` for NIL.
        delimiter: Option<u8>,
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `* SEARCH n ...`: message numbers or UIDs.
    Search(Vec<u32>),
    /// `* ID (field value ...)` (RFC 2971): the server's identification.
    Id(Vec<(String, String)>),
    /// `* ENABLED cap ...` (RFC 5161)
    Enabled(Vec<String>),
    /// `* STATUS mailbox (item value ...)`
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The values.
        items: Vec<(StatusAttr, u32)>,
    },
    /// `* FLAGS (...)`
    Flags(Vec<Flag>),
    /// `* n EXISTS`
    Exists(u32),
    /// `* n RECENT`
    Recent(u32),
    /// `* n EXPUNGE`
    Expunge(u32),
    /// `* n FETCH (...)`
    Fetch {
        /// The message sequence number.
        seq: u32,
        /// The items.
        items: Vec<FetchItem>,
    },
    /// `* SIGNET address literal` (DMAP): a signet, as issued or looked up.
    Signet {
        /// The address the signet belongs to.
        address: String,
        /// The binary signet.
        signet: Vec<u8>,
    },
    /// `* KEYFILE shard literal` (DMAP): the stored key-file realm shard and envelope.
    Keyfile {
        /// The realm shard.
        shard: [u8; 64],
        /// The realm envelope.
        envelope: Vec<u8>,
    },
}

impl Response {
    /// Parses one complete response message (ending with CRLF).
    ///
    /// Errors: [`crate::DmapError::Syntax`], [`crate::DmapError::NotUtf8`].
    pub fn parse(bytes: &[u8]) -> Result<Response> {
        let mut c = Cursor::new(bytes);
        let response = if c.eat(b'+') {
            let text =
                if c.eat(b' ') { c.take_while1(|b| b != b'\r' && b != b'\n', "text").unwrap_or_default() } else { &[] };
            Response::Continue(text.to_vec())
        } else if c.eat(b'*') {
            c.sp()?;
            untagged(&mut c)?
        } else {
            let tag = Tag::parse(&mut c)?;
            c.sp()?;
            let kind = status_kind(&mut c)?;
            if !matches!(kind, StatusKind::Ok | StatusKind::No | StatusKind::Bad) {
                return Err(c.error("OK, NO or BAD after a tag"));
            }
            Response::Status(status_rest(&mut c, Some(tag), kind)?)
        };
        c.finish()?;
        Ok(response)
    }

    /// Writes the response.
    pub fn write(&self, w: &mut Writer) {
        match self {
            Response::Continue(text) => {
                w.raw(b"+ ").raw(text);
            }
            Response::Status(status) => {
                w.text(status.tag.as_ref().map_or("*", Tag::as_str)).sp().text(status.kind.name());
                if let Some(code) = &status.code {
                    w.sp();
                    code.write(w);
                }
                if !status.text.is_empty() {
                    // Texts can come from the application (store errors): a CR or LF in them
                    // must not end the line and start a forged response.
                    let safe: String =
                        status.text.chars().map(|ch| if matches!(ch, '\r' | '\n' | '\0') { ' ' } else { ch }).collect();
                    w.sp().text(&safe);
                }
            }
            Response::Data(data) => {
                w.raw(b"* ");
                data.write(w);
            }
        }
        w.crlf();
    }

    /// The wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(0);
        self.write(&mut w);
        w.into_bytes()
    }
}

impl Data {
    fn write(&self, w: &mut Writer) {
        match self {
            Data::Capability(caps) => {
                w.text("CAPABILITY");
                for cap in caps {
                    w.sp().text(cap);
                }
            }
            Data::List { attributes, delimiter, mailbox } | Data::Lsub { attributes, delimiter, mailbox } => {
                w.text(if matches!(self, Data::List { .. }) { "LIST " } else { "LSUB " }).list(attributes, |w, a| {
                    w.text(a);
                });
                w.sp();
                match delimiter {
                    Some(d) => w.string(&[*d]),
                    None => w.text("NIL"),
                };
                w.sp();
                mailbox.write(w);
            }
            Data::Status { mailbox, items } => {
                w.text("STATUS ");
                mailbox.write(w);
                w.sp().list(items, |w, (attr, value)| {
                    w.text(attr.name()).sp().number(*value);
                });
            }
            Data::Id(fields) => {
                w.text("ID ").list(fields, |w, (field, value)| {
                    w.string(field.as_bytes()).sp().string(value.as_bytes());
                });
            }
            Data::Enabled(caps) => {
                w.text("ENABLED");
                for cap in caps {
                    w.sp().text(cap);
                }
            }
            Data::Search(numbers) => {
                w.text("SEARCH");
                for n in numbers {
                    w.sp().number(*n);
                }
            }
            Data::Flags(flags) => {
                w.text("FLAGS ");
                Flag::write_list(w, flags);
            }
            Data::Exists(n) => {
                w.number(*n).text(" EXISTS");
            }
            Data::Recent(n) => {
                w.number(*n).text(" RECENT");
            }
            Data::Expunge(n) => {
                w.number(*n).text(" EXPUNGE");
            }
            Data::Fetch { seq, items } => {
                w.number(*seq).text(" FETCH ").list(items, |w, item| item.write(w));
            }
            Data::Signet { address, signet } => {
                w.text("SIGNET ").astring(address.as_bytes()).sp().literal(signet);
            }
            Data::Keyfile { shard, envelope } => {
                w.text("KEYFILE ").text(&dime_core::base64::encode_padded(shard)).sp().literal(envelope);
            }
        }
    }
}

fn status_kind(c: &mut Cursor<'_>) -> Result<StatusKind> {
    [StatusKind::Ok, StatusKind::No, StatusKind::Bad, StatusKind::PreAuth, StatusKind::Bye]
        .into_iter()
        .find(|kind| c.keyword(kind.name()))
        .ok_or_else(|| c.error("OK, NO, BAD, PREAUTH or BYE"))
}

fn status_rest(c: &mut Cursor<'_>, tag: Option<Tag>, kind: StatusKind) -> Result<Status> {
    let mut code = None;
    let mut text = String::new();
    if c.eat(b' ') {
        if c.peek() == Some(b'[') {
            code = Some(Code::parse(c)?);
            if c.eat(b' ') {
                text = c.text()?;
            }
        } else {
            text = c.text()?;
        }
    }
    Ok(Status { tag, kind, code, text })
}

fn untagged(c: &mut Cursor<'_>) -> Result<Response> {
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        let n = c.number()?;
        c.sp()?;
        let data = if c.keyword("EXISTS") {
            Data::Exists(n)
        } else if c.keyword("RECENT") {
            Data::Recent(n)
        } else if c.keyword("EXPUNGE") {
            Data::Expunge(n)
        } else if c.keyword("FETCH") {
            c.sp()?;
            Data::Fetch { seq: n, items: c.list(FetchItem::parse)? }
        } else {
            return Err(c.error("EXISTS, RECENT, EXPUNGE or FETCH"));
        };
        return Ok(Response::Data(data));
    }
    // `status_kind` consumes nothing when it fails.
    if let Ok(kind) = status_kind(c) {
        return Ok(Response::Status(status_rest(c, None, kind)?));
    }
    let data = if c.keyword("CAPABILITY") {
        let mut caps = Vec::new();
        while c.eat(b' ') {
            caps.push(c.atom_str()?);
        }
        Data::Capability(caps)
    } else if let Some(lsub) = [false, true].into_iter().find(|&lsub| c.keyword(if lsub { "LSUB" } else { "LIST" })) {
        c.sp()?;
        let attributes = c.list(|c| {
            c.expect(b'\\', "\\")?;
            Ok(format!("\\{}", c.atom_str()?))
        })?;
        c.sp()?;
        let delimiter = if c.keyword("NIL") {
            None
        } else {
            let at = c.clone();
            match c.string()?.as_slice() {
                [d] => Some(*d),
                _ => return Err(at.error("one-character delimiter")),
            }
        };
        c.sp()?;
        let mailbox = Mailbox::parse(c)?;
        if lsub { Data::Lsub { attributes, delimiter, mailbox } } else { Data::List { attributes, delimiter, mailbox } }
    } else if c.keyword("STATUS") {
        c.sp()?;
        let mailbox = Mailbox::parse(c)?;
        c.sp()?;
        let items = c.list(|c| {
            let attr = StatusAttr::parse(c)?;
            c.sp()?;
            Ok((attr, c.number()?))
        })?;
        Data::Status { mailbox, items }
    } else if c.keyword("FLAGS") {
        c.sp()?;
        Data::Flags(Flag::parse_list(c)?)
    } else if c.keyword("ENABLED") {
        let mut caps = Vec::new();
        while c.eat(b' ') {
            caps.push(c.atom_str()?);
        }
        Data::Enabled(caps)
    } else if c.keyword("ID") {
        c.sp()?;
        let items = c.list(|c| utf8(c.string()?, "ID"))?;
        if !items.len().is_multiple_of(2) {
            return Err(c.error("ID field-value pairs"));
        }
        Data::Id(items.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
    } else if c.keyword("SEARCH") {
        let mut numbers = Vec::new();
        while c.eat(b' ') {
            numbers.push(c.nz_number()?);
        }
        Data::Search(numbers)
    } else if c.keyword("SIGNET") {
        c.sp()?;
        let address = utf8(c.astring()?, "address")?;
        c.sp()?;
        Data::Signet { address, signet: c.literal()?.to_vec() }
    } else if c.keyword("KEYFILE") {
        c.sp()?;
        let shard = c.shard()?;
        c.sp()?;
        Data::Keyfile { shard, envelope: c.literal()?.to_vec() }
    } else {
        return Err(c.error("untagged response"));
    };
    Ok(Response::Data(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DmapError;

    #[test]
    fn parses_server_lines() {
        assert_eq!(
            Response::parse(b"* OK [CAPABILITY IMAP4rev1 DMAPv1] ready\r\n").unwrap(),
            Response::Status(Status::untagged(
                StatusKind::Ok,
                Some(Code::Capability(vec!["IMAP4rev1".into(), "DMAPv1".into()])),
                "ready"
            ))
        );
        assert_eq!(
            Response::parse(b"* 1 FETCH (UID 7 BODY[] {3}\r\nabc)\r\n").unwrap(),
            Response::Data(Data::Fetch {
                seq: 1,
                items: vec![FetchItem::Uid(7), FetchItem::Body { origin: None, data: Some(b"abc".to_vec()) }]
            })
        );
        assert_eq!(Response::parse(b"+ \r\n").unwrap(), Response::Continue(Vec::new()));
        assert_eq!(Response::parse(b"+\r\n").unwrap(), Response::Continue(Vec::new()));
        assert_eq!(
            Response::parse(b"* LIST (\\HasNoChildren) \"/\" INBOX\r\n").unwrap(),
            Response::Data(Data::List {
                attributes: vec!["\\HasNoChildren".into()],
                delimiter: Some(b'/'),
                mailbox: Mailbox::inbox()
            })
        );
    }

    #[test]
    fn status_text_cannot_inject_a_line() {
        let status = Status::tagged(Tag::new("a").unwrap(), StatusKind::No, None, "x\r\n* OK forged\0");
        assert_eq!(Response::Status(status).to_bytes(), b"a NO x  * OK forged \r\n");
    }

    #[test]
    fn rejections() {
        assert_eq!(
            Response::parse(b"a1 BYE x\r\n"),
            Err(DmapError::Syntax { offset: 6, expected: "OK, NO or BAD after a tag" })
        );
        assert_eq!(Response::parse(b"* FROB\r\n"), Err(DmapError::Syntax { offset: 2, expected: "untagged response" }));
        assert_eq!(
            Response::parse(b"* 3 FOO\r\n"),
            Err(DmapError::Syntax { offset: 4, expected: "EXISTS, RECENT, EXPUNGE or FETCH" })
        );
        assert_eq!(
            Response::parse(b"* LIST () \"ab\" x\r\n"),
            Err(DmapError::Syntax { offset: 10, expected: "one-character delimiter" })
        );
    }
}
