//! Low-level: commands (the server session parses them, the client session writes them): the typed
//! form of every DMTP verb, its nom parser and its serializer.
//!
//! [`Command::parse`] reads one line without its CRLF; [`Command::encode`] writes one with it.
//! They are exact inverses: `Command::parse(&line_of(c)) == Ok(c)` for every command `c`.

use core::fmt;

use bytes::{BufMut, BytesMut};
use dime_core::Fingerprint;
use dime_signet::record::HostName;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while1};
use nom::character::complete::char;
use nom::combinator::{all_consuming, opt};
use nom::multi::many1;
use nom::sequence::{delimited, preceded, separated_pair};
use nom::{IResult, Parser};

use super::args::{Address, Name, Nonce};
use crate::error::DmtpError;

/// The DMTP verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `STARTTLS <host> [MODE=DMTPv1]` (dual mode only).
    StartTls,
    /// `EHLO <domain>`.
    Ehlo,
    /// `MODE`.
    Mode,
    /// `MAIL FROM: <domain> [fp] SIZE=n ...`.
    MailFrom,
    /// `RCPT TO: <domain> [fp]`.
    RcptTo,
    /// `DATA [hash]`.
    Data,
    /// `SGNT <name> [fp]`.
    Sgnt,
    /// `HIST <address> [start] [end]`.
    Hist,
    /// `VRFY <name> [fp]`.
    Vrfy,
    /// `STATS` / `STATS [nonce]`.
    Stats,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `HELP [topic]`.
    Help,
    /// `VERB` (the reference server's debug toggle; no effect here).
    Verb,
    /// `QUIT`.
    Quit,
}

impl Verb {
    /// Every verb, in the order HELP lists them.
    pub const ALL: [Verb; 15] = [
        Verb::StartTls,
        Verb::Ehlo,
        Verb::Mode,
        Verb::MailFrom,
        Verb::RcptTo,
        Verb::Data,
        Verb::Sgnt,
        Verb::Hist,
        Verb::Vrfy,
        Verb::Stats,
        Verb::Rset,
        Verb::Noop,
        Verb::Help,
        Verb::Verb,
        Verb::Quit,
    ];

    /// The verb as written on the wire, upper case (`MAIL FROM`, `RCPT TO` without the colon).
    pub const fn name(self) -> &'static str {
        match self {
            Verb::StartTls => "STARTTLS",
            Verb::Ehlo => "EHLO",
            Verb::Mode => "MODE",
            Verb::MailFrom => "MAIL FROM",
            Verb::RcptTo => "RCPT TO",
            Verb::Data => "DATA",
            Verb::Sgnt => "SGNT",
            Verb::Hist => "HIST",
            Verb::Vrfy => "VRFY",
            Verb::Stats => "STATS",
            Verb::Rset => "RSET",
            Verb::Noop => "NOOP",
            Verb::Help => "HELP",
            Verb::Verb => "VERB",
            Verb::Quit => "QUIT",
        }
    }

    /// The verb whose first word is `word` (any case): `MAIL` and `RCPT` name `MAIL FROM` and
    /// `RCPT TO`.
    pub fn lookup(word: &str) -> Option<Verb> {
        let first = |v: &Verb| v.name().split(' ').next().unwrap_or_default().eq_ignore_ascii_case(word);
        Verb::ALL.iter().copied().find(first)
    }
}

/// Verbs only SMTP has: in dual mode before STARTTLS they ask for the SMTP service.
pub const SMTP_ONLY_VERBS: [&str; 10] =
    ["HELO", "EXPN", "AUTH", "BDAT", "ETRN", "TURN", "ATRN", "SEND", "SOML", "SAML"];

/// The `RETURN=` parameter of `MAIL FROM`: how much of the message a bounce carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnType {
    /// `FULL`.
    Full,
    /// `DISPLAY`.
    Display,
    /// `HEADER`.
    Header,
}

/// The `DATA=` parameter of `MAIL FROM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `7BIT`.
    SevenBit,
    /// `8BIT`.
    EightBit,
}

/// The arguments of `MAIL FROM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailFrom {
    /// The origin organisation's domain.
    pub domain: HostName,
    /// The origin organisation's signet fingerprint.
    pub fingerprint: Fingerprint,
    /// The exact size of the message object in bytes.
    pub size: u64,
    /// `RETURN=`, if given.
    pub return_type: Option<ReturnType>,
    /// `DATA=`, if given.
    pub data_type: Option<DataType>,
}

/// A help topic: one word of 1 to 16 ASCII letters, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HelpTopic(String);

impl HelpTopic {
    /// Checks a topic word.
    pub fn new(word: &str) -> Result<HelpTopic, DmtpError> {
        if (1..=16).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(HelpTopic(word.to_string()))
        } else {
            Err(DmtpError::InvalidParameter { verb: Verb::Help })
        }
    }

    /// The word as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One DMTP command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `STARTTLS <host>` with `MODE=DMTPv1` when `mode` is set.
    StartTls {
        /// The DX host whose certificate the client wants.
        host: HostName,
        /// Whether `MODE=DMTPv1` follows.
        mode: bool,
    },
    /// `EHLO <domain>`: the origin organisation's domain.
    Ehlo {
        /// The domain.
        domain: HostName,
    },
    /// `MODE`.
    Mode,
    /// `MAIL FROM: ...`.
    MailFrom(MailFrom),
    /// `RCPT TO: <domain> [fp]`.
    RcptTo {
        /// The destination organisation's domain.
        domain: HostName,
        /// Its signet fingerprint.
        fingerprint: Fingerprint,
    },
    /// `DATA [hash]`: the BLAKE3 hash of the message object ([`crate::object::ObjectHasher`]).
    Data {
        /// The hash.
        hash: Fingerprint,
    },
    /// `SGNT <name> [fp]`.
    Sgnt {
        /// Whose signet.
        name: Name,
        /// Which version, if not the current one.
        fingerprint: Option<Fingerprint>,
    },
    /// `HIST <address> [start] [end]`.
    Hist {
        /// The user.
        address: Address,
        /// The first signet of the chain wanted.
        start: Fingerprint,
        /// The last one (the current signet when absent).
        end: Option<Fingerprint>,
    },
    /// `VRFY <name> [fp]`.
    Vrfy {
        /// Whose signet.
        name: Name,
        /// The fingerprint the client holds.
        fingerprint: Fingerprint,
    },
    /// `STATS` (asks for a nonce) or `STATS [nonce]` (asks for the statistics).
    Stats {
        /// The nonce from the server's `200 ONCE`.
        nonce: Option<Nonce>,
    },
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `HELP` or `HELP <topic>`.
    Help {
        /// The topic.
        topic: Option<HelpTopic>,
    },
    /// `VERB`.
    Verb,
    /// `QUIT`.
    Quit,
}

type Res<'a, T> = IResult<&'a str, T>;

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '<' | '>' | '[' | ']')
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

/// `<name>`: the text between angle brackets.
fn angle(i: &str) -> Res<'_, &str> {
    delimited(char('<'), take_while1(is_name_char), char('>')).parse(i)
}

/// `[base64]`.
fn square(i: &str) -> Res<'_, &str> {
    delimited(char('['), take_while1(is_base64_char), char(']')).parse(i)
}

/// ` [base64]`, the usual argument after a name.
fn sp_square(i: &str) -> Res<'_, &str> {
    preceded(char(' '), square).parse(i)
}

/// ` KEY=VALUE`.
fn param(i: &str) -> Res<'_, (&str, &str)> {
    preceded(
        char(' '),
        separated_pair(
            take_while1(|c: char| c.is_ascii_alphabetic()),
            char('='),
            take_while1(|c: char| c.is_ascii_alphanumeric()),
        ),
    )
    .parse(i)
}

/// Runs a grammar over the whole argument text; a mismatch is a syntax error of `verb`.
fn grammar<'a, O>(
    verb: Verb,
    args: &'a str,
    parser: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
) -> Result<O, DmtpError> {
    all_consuming(parser).parse(args).map(|(_, out)| out).map_err(|_| DmtpError::CommandSyntax { verb })
}

/// Characters of unpadded base64 of a fingerprint or hash (64 bytes).
const FINGERPRINT_CHARS: usize = 86;

/// A `[...]` value of exactly `chars` base64 characters: any other length is outside the
/// lexical class (a syntax error); the right length that does not decode canonically is an
/// invalid value.
fn bracket_class(verb: Verb, text: &str, chars: usize) -> Result<(), DmtpError> {
    if text.len() == chars { Ok(()) } else { Err(DmtpError::CommandSyntax { verb }) }
}

fn fingerprint(verb: Verb, text: &str) -> Result<Fingerprint, DmtpError> {
    bracket_class(verb, text, FINGERPRINT_CHARS)?;
    text.parse().map_err(|_| DmtpError::InvalidParameter { verb })
}

fn host(verb: Verb, text: &str, fault: fn(Verb) -> DmtpError) -> Result<HostName, DmtpError> {
    if !text.chars().all(is_domain_char) {
        return Err(fault(verb));
    }
    HostName::new(text).map_err(|_| fault(verb))
}

fn invalid_parameter(verb: Verb) -> DmtpError {
    DmtpError::InvalidParameter { verb }
}

fn invalid_domain(verb: Verb) -> DmtpError {
    DmtpError::InvalidDomain { verb }
}

fn name(verb: Verb, text: &str) -> Result<Name, DmtpError> {
    text.parse().map_err(|_| DmtpError::InvalidParameter { verb })
}

/// `SIZE=`: lexically `1*DIGIT` (anything else is a syntax error); a value with a leading zero
/// or above 2^64 - 1 is invalid.
fn size(text: &str) -> Result<u64, DmtpError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DmtpError::CommandSyntax { verb: Verb::MailFrom });
    }
    match text.parse::<u64>() {
        Ok(n) if text == "0" || !text.starts_with('0') => Ok(n),
        _ => Err(DmtpError::InvalidParameter { verb: Verb::MailFrom }),
    }
}

fn mail_from(args: &str) -> Result<MailFrom, DmtpError> {
    let verb = Verb::MailFrom;
    let (domain, fp, params) = grammar(verb, args, (preceded(tag(" "), angle), sp_square, many1(param)))?;
    // Every value's lexical class before any value's meaning.
    bracket_class(verb, fp, FINGERPRINT_CHARS)?;
    for (key, value) in &params {
        if key.eq_ignore_ascii_case("SIZE") && !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DmtpError::CommandSyntax { verb });
        }
    }
    let domain = host(verb, domain, invalid_parameter)?;
    let fingerprint = fingerprint(verb, fp)?;
    let (mut size_value, mut return_type, mut data_type) = (None, None, None);
    for (key, value) in params {
        let duplicate = DmtpError::InvalidParameter { verb };
        if key.eq_ignore_ascii_case("SIZE") {
            if size_value.replace(size(value)?).is_some() {
                return Err(duplicate);
            }
        } else if key.eq_ignore_ascii_case("RETURN") {
            let parsed = match value.to_ascii_uppercase().as_str() {
                "FULL" => ReturnType::Full,
                "DISPLAY" => ReturnType::Display,
                "HEADER" => ReturnType::Header,
                _ => return Err(DmtpError::InvalidParameter { verb }),
            };
            if return_type.replace(parsed).is_some() {
                return Err(duplicate);
            }
        } else if key.eq_ignore_ascii_case("DATA") {
            let parsed = match value.to_ascii_uppercase().as_str() {
                "7BIT" => DataType::SevenBit,
                "8BIT" => DataType::EightBit,
                _ => return Err(DmtpError::InvalidParameter { verb }),
            };
            if data_type.replace(parsed).is_some() {
                return Err(duplicate);
            }
        } else {
            return Err(DmtpError::UnsupportedParameter { verb });
        }
    }
    let size = size_value.ok_or(DmtpError::CommandSyntax { verb })?;
    Ok(MailFrom { domain, fingerprint, size, return_type, data_type })
}

/// The verb token and the rest of the line (empty, or starting with a space).
fn verb_token(line: &str) -> Res<'_, &str> {
    alt((tag_no_case("MAIL FROM:"), tag_no_case("RCPT TO:"), take_while1(|c: char| c != ' '))).parse(line)
}

fn no_args(verb: Verb, args: &str, command: Command) -> Result<Command, DmtpError> {
    if args.is_empty() { Ok(command) } else { Err(DmtpError::CommandSyntax { verb }) }
}

impl Command {
    /// Parses one command line, given without its CRLF.
    ///
    /// Verbs are case-insensitive; arguments follow the grammar of `docs/dmtp.md` exactly
    /// (single spaces, brackets). Errors say how the server must answer:
    /// [`DmtpError::EmptyLine`], [`DmtpError::UnknownVerb`], [`DmtpError::SmtpCommand`],
    /// [`DmtpError::CommandSyntax`], [`DmtpError::InvalidParameter`],
    /// [`DmtpError::InvalidDomain`] and [`DmtpError::UnsupportedParameter`].
    pub fn parse(line: &[u8]) -> Result<Command, DmtpError> {
        if line.is_empty() {
            return Err(DmtpError::EmptyLine);
        }
        let first = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
        let word = line.get(..first).unwrap_or_default();
        if !word.iter().all(|b| b.is_ascii_graphic()) {
            return Err(DmtpError::UnknownVerb);
        }
        let Ok(text) = core::str::from_utf8(line) else {
            return match core::str::from_utf8(word).ok().and_then(Verb::lookup) {
                Some(verb) => Err(DmtpError::CommandSyntax { verb }),
                None => Err(DmtpError::UnknownVerb),
            };
        };
        let (args, token) = verb_token(text).map_err(|_| DmtpError::UnknownVerb)?;
        let upper = token.to_ascii_uppercase();
        let verb = match upper.as_str() {
            "MAIL FROM:" => Verb::MailFrom,
            "RCPT TO:" => Verb::RcptTo,
            "MAIL" | "RCPT" => {
                return Err(DmtpError::CommandSyntax { verb: Verb::lookup(token).unwrap_or(Verb::MailFrom) });
            }
            other if SMTP_ONLY_VERBS.contains(&other) => return Err(DmtpError::SmtpCommand),
            other => match Verb::lookup(other) {
                Some(verb) if !other.contains(':') => verb,
                _ => return Err(DmtpError::UnknownVerb),
            },
        };
        if !text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(DmtpError::CommandSyntax { verb });
        }
        Command::parse_args(verb, args)
    }

    fn parse_args(verb: Verb, args: &str) -> Result<Command, DmtpError> {
        match verb {
            Verb::StartTls => {
                if args.is_empty() {
                    return Err(DmtpError::SmtpCommand);
                }
                let (target, mode) = grammar(
                    verb,
                    args,
                    (preceded(tag(" "), angle), opt(preceded(tag(" "), tag_no_case("MODE=DMTPv1")))),
                )?;
                Ok(Command::StartTls { host: host(verb, target, invalid_domain)?, mode: mode.is_some() })
            }
            Verb::Ehlo => {
                let argument = args.strip_prefix(' ').unwrap_or(args);
                if !argument.is_empty() && (!argument.starts_with('<') || argument.contains('@')) {
                    return Err(DmtpError::SmtpCommand);
                }
                let domain = grammar(verb, args, preceded(tag(" "), angle))?;
                Ok(Command::Ehlo { domain: host(verb, domain, invalid_domain)? })
            }
            Verb::MailFrom => mail_from(args).map(Command::MailFrom),
            Verb::RcptTo => {
                let (domain, fp) = grammar(verb, args, (preceded(tag(" "), angle), sp_square))?;
                Ok(Command::RcptTo {
                    domain: host(verb, domain, invalid_parameter)?,
                    fingerprint: fingerprint(verb, fp)?,
                })
            }
            Verb::Data => {
                let hash = grammar(verb, args, sp_square)?;
                Ok(Command::Data { hash: fingerprint(verb, hash)? })
            }
            Verb::Sgnt => {
                let (target, fp) = grammar(verb, args, (preceded(tag(" "), angle), opt(sp_square)))?;
                let fingerprint = fp.map(|fp| fingerprint(verb, fp)).transpose()?;
                Ok(Command::Sgnt { name: name(verb, target)?, fingerprint })
            }
            Verb::Hist => {
                let (target, start, end) = grammar(verb, args, (preceded(tag(" "), angle), sp_square, opt(sp_square)))?;
                let address = match name(verb, target)? {
                    Name::User(address) => address,
                    Name::Org(_) => return Err(DmtpError::InvalidParameter { verb }),
                };
                let end = end.map(|fp| fingerprint(verb, fp)).transpose()?;
                Ok(Command::Hist { address, start: fingerprint(verb, start)?, end })
            }
            Verb::Vrfy => {
                let (target, fp) = grammar(verb, args, (preceded(tag(" "), angle), sp_square))?;
                Ok(Command::Vrfy { name: name(verb, target)?, fingerprint: fingerprint(verb, fp)? })
            }
            Verb::Stats => {
                let nonce = grammar(verb, args, opt(sp_square))?;
                if let Some(text) = nonce {
                    bracket_class(verb, text, 43)?;
                }
                let nonce = nonce.map(|n| n.parse().map_err(|_| DmtpError::InvalidParameter { verb })).transpose()?;
                Ok(Command::Stats { nonce })
            }
            Verb::Help => {
                let topic =
                    grammar(verb, args, opt(preceded(tag(" "), take_while1(|c: char| c.is_ascii_alphabetic()))))?;
                Ok(Command::Help { topic: topic.map(HelpTopic::new).transpose()? })
            }
            Verb::Mode => no_args(verb, args, Command::Mode),
            Verb::Rset => no_args(verb, args, Command::Rset),
            Verb::Noop => no_args(verb, args, Command::Noop),
            Verb::Verb => no_args(verb, args, Command::Verb),
            Verb::Quit => no_args(verb, args, Command::Quit),
        }
    }

    /// The verb of this command.
    pub fn verb(&self) -> Verb {
        match self {
            Command::StartTls { .. } => Verb::StartTls,
            Command::Ehlo { .. } => Verb::Ehlo,
            Command::Mode => Verb::Mode,
            Command::MailFrom(_) => Verb::MailFrom,
            Command::RcptTo { .. } => Verb::RcptTo,
            Command::Data { .. } => Verb::Data,
            Command::Sgnt { .. } => Verb::Sgnt,
            Command::Hist { .. } => Verb::Hist,
            Command::Vrfy { .. } => Verb::Vrfy,
            Command::Stats { .. } => Verb::Stats,
            Command::Rset => Verb::Rset,
            Command::Noop => Verb::Noop,
            Command::Help { .. } => Verb::Help,
            Command::Verb => Verb::Verb,
            Command::Quit => Verb::Quit,
        }
    }

    /// Appends the command line and its CRLF to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(self.to_string().as_bytes());
        out.put_slice(b"\r\n");
    }
}

impl fmt::Display for Command {
    /// The command line without its CRLF, in canonical form (upper-case verbs, single spaces).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::StartTls { host, mode } => {
                write!(f, "STARTTLS <{host}>")?;
                if *mode {
                    f.write_str(" MODE=DMTPv1")?;
                }
                Ok(())
            }
            Command::Ehlo { domain } => write!(f, "EHLO <{domain}>"),
            Command::Mode => f.write_str("MODE"),
            Command::MailFrom(m) => {
                write!(f, "MAIL FROM: <{}> [{}] SIZE={}", m.domain, m.fingerprint, m.size)?;
                if let Some(r) = m.return_type {
                    f.write_str(match r {
                        ReturnType::Full => " RETURN=FULL",
                        ReturnType::Display => " RETURN=DISPLAY",
                        ReturnType::Header => " RETURN=HEADER",
                    })?;
                }
                if let Some(d) = m.data_type {
                    f.write_str(match d {
                        DataType::SevenBit => " DATA=7BIT",
                        DataType::EightBit => " DATA=8BIT",
                    })?;
                }
                Ok(())
            }
            Command::RcptTo { domain, fingerprint } => write!(f, "RCPT TO: <{domain}> [{fingerprint}]"),
            Command::Data { hash } => write!(f, "DATA [{hash}]"),
            Command::Sgnt { name, fingerprint } => {
                write!(f, "SGNT <{name}>")?;
                if let Some(fp) = fingerprint {
                    write!(f, " [{fp}]")?;
                }
                Ok(())
            }
            Command::Hist { address, start, end } => {
                write!(f, "HIST <{address}> [{start}]")?;
                if let Some(end) = end {
                    write!(f, " [{end}]")?;
                }
                Ok(())
            }
            Command::Vrfy { name, fingerprint } => write!(f, "VRFY <{name}> [{fingerprint}]"),
            Command::Stats { nonce: None } => f.write_str("STATS"),
            Command::Stats { nonce: Some(nonce) } => write!(f, "STATS [{nonce}]"),
            Command::Rset => f.write_str("RSET"),
            Command::Noop => f.write_str("NOOP"),
            Command::Help { topic: None } => f.write_str("HELP"),
            Command::Help { topic: Some(topic) } => write!(f, "HELP {}", topic.as_str()),
            Command::Verb => f.write_str("VERB"),
            Command::Quit => f.write_str("QUIT"),
        }
    }
}
