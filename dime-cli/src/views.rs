//! Text and JSON rendering of what each actor sees in a message, and of its chunk layout.

use core::fmt::Write as _;
use std::path::{Path, PathBuf};

use dime_core::Fingerprint;
use dime_core::base64;
use dime_message::{Actor, ChunkSummary, DestinationEnvelope, DestinationView, Message, Opened, OriginEnvelope, Part};
use serde_json::{Map, Value, json};

use crate::output::printable;

/// What one actor sees of an opened message.
#[derive(Debug, Clone, Copy)]
pub enum View<'a> {
    /// The author or the recipient: everything.
    Full {
        /// Which of the two.
        actor: Actor,
        /// The message.
        opened: &'a Opened,
        /// Where each attachment was saved, in order.
        saved: &'a [Option<PathBuf>],
    },
    /// The origin: the author and the destination organization.
    Origin {
        /// The origin chunk.
        envelope: &'a OriginEnvelope,
        /// The tracing prefix.
        tracing: Option<&'a [u8]>,
        /// Where the countersigned message was written.
        relayed: Option<&'a Path>,
    },
    /// The destination: the origin organization and the recipient.
    Destination {
        /// The destination's view.
        view: &'a DestinationView,
    },
}

/// A party of the message: its role, its address (users) or domain (organizations) and the
/// crypto fingerprint of its signet.
struct Party<'a> {
    role: Actor,
    name: &'a str,
    signet: &'a Fingerprint,
}

impl Party<'_> {
    /// The key naming `name`: `address` for users, `domain` for organizations.
    fn name_key(&self) -> &'static str {
        match self.role {
            Actor::Author | Actor::Recipient => "address",
            Actor::Origin | Actor::Destination => "domain",
        }
    }

    fn json(&self) -> Value {
        json!({ self.name_key(): self.name, "signet": self.signet.to_string() })
    }

    fn text(&self, out: &mut String) {
        let _ = writeln!(out, "{}: {}", self.role, printable(self.name));
        let _ = writeln!(out, "{} signet: {}", self.role, self.signet);
    }
}

fn author(envelope: &OriginEnvelope) -> Party<'_> {
    Party { role: Actor::Author, name: &envelope.author, signet: &envelope.author_signet }
}

fn destination(envelope: &OriginEnvelope) -> Party<'_> {
    Party { role: Actor::Destination, name: &envelope.destination, signet: &envelope.destination_signet }
}

fn origin(envelope: &DestinationEnvelope) -> Party<'_> {
    Party { role: Actor::Origin, name: &envelope.origin, signet: &envelope.origin_signet }
}

fn recipient(envelope: &DestinationEnvelope) -> Party<'_> {
    Party { role: Actor::Recipient, name: &envelope.recipient, signet: &envelope.recipient_signet }
}

/// Text with control characters escaped, except line feeds and tabs; CRLF becomes LF.
fn printable_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        out
    })
}

/// The lines of the other-headers chunk (UTF-8, invalid bytes replaced; CRLF separated).
fn other_header_lines(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let text = text.strip_suffix("\r\n").unwrap_or(&text);
    if text.is_empty() { Vec::new() } else { text.split("\r\n").map(str::to_string).collect() }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn tracing_json(tracing: Option<&[u8]>) -> Value {
    tracing.map(base64::encode_padded).into()
}

fn tracing_text(tracing: Option<&[u8]>, out: &mut String) {
    match tracing {
        Some(data) => _ = writeln!(out, "tracing: {} bytes: {}", data.len(), base64::encode_padded(data)),
        None => out.push_str("tracing: (none)\n"),
    }
}

/// A display part: descriptor, length, and the content as `text` (when UTF-8) or `base64`.
fn display_json(part: &Part) -> Value {
    let mut entry = Map::new();
    entry.insert("content_type".into(), part.info.content_type.clone().into());
    entry.insert("file_name".into(), part.info.file_name.clone().into());
    entry.insert("length".into(), part.data.len().into());
    match core::str::from_utf8(&part.data) {
        Ok(text) => entry.insert("text".into(), text.into()),
        Err(_) => entry.insert("base64".into(), base64::encode_padded(&part.data).into()),
    };
    Value::Object(entry)
}

/// `content type[, file name], N bytes` of a part.
fn part_summary(part: &Part) -> String {
    let mut out = printable(&part.info.content_type);
    if let Some(name) = &part.info.file_name {
        let _ = write!(out, ", {}", printable(name));
    }
    let _ = write!(out, ", {} bytes", part.data.len());
    out
}

impl View<'_> {
    /// The JSON or text form.
    pub fn render(&self, json: bool) -> String {
        if json { format!("{:#}\n", self.json()) } else { self.text() }
    }

    /// The JSON object (keys in `docs/cli.md`): only what the actor sees is present.
    pub fn json(&self) -> Value {
        match *self {
            View::Full { actor, opened, saved } => {
                let h = &opened.headers;
                let attachments: Vec<Value> = opened
                    .attachments
                    .iter()
                    .zip(saved.iter().map(|p| p.as_ref().map(|p| p.display().to_string())))
                    .map(|(part, saved_to)| {
                        json!({
                            "content_type": part.info.content_type,
                            "file_name": part.info.file_name,
                            "length": part.data.len(),
                            "saved_to": saved_to,
                        })
                    })
                    .collect();
                json!({
                    "actor": actor.name(),
                    "countersigned": opened.countersigned,
                    "protection": opened.protection.describe(),
                    "tracing": tracing_json(opened.tracing.as_deref()),
                    "author": author(&opened.origin).json(),
                    "origin": origin(&opened.destination).json(),
                    "destination": destination(&opened.origin).json(),
                    "recipient": recipient(&opened.destination).json(),
                    "headers": {
                        "date": h.date,
                        "from": h.from,
                        "to": h.to,
                        "cc": h.cc,
                        "organization": h.organization,
                        "subject": h.subject,
                    },
                    "other_headers": other_header_lines(&opened.other_headers),
                    "display": opened.display.iter().map(display_json).collect::<Vec<_>>(),
                    "attachments": attachments,
                })
            }
            View::Origin { envelope, tracing, relayed } => json!({
                "actor": Actor::Origin.name(),
                "countersigned": false,
                "tracing": tracing_json(tracing),
                "author": author(envelope).json(),
                "destination": destination(envelope).json(),
                "relayed": relayed.map(|p| p.display().to_string()),
            }),
            View::Destination { view } => json!({
                "actor": Actor::Destination.name(),
                "countersigned": true,
                "tracing": tracing_json(view.tracing.as_deref()),
                "origin": origin(&view.envelope).json(),
                "recipient": recipient(&view.envelope).json(),
            }),
        }
    }

    /// The text form: `name: value` lines, then the text of each UTF-8 display part after a
    /// blank line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        match *self {
            View::Full { actor, opened, saved } => {
                let _ = writeln!(out, "actor: {actor}");
                let _ = writeln!(out, "countersigned: {}", yes_no(opened.countersigned));
                let _ = writeln!(out, "protection: {}", opened.protection);
                author(&opened.origin).text(&mut out);
                origin(&opened.destination).text(&mut out);
                destination(&opened.origin).text(&mut out);
                recipient(&opened.destination).text(&mut out);
                tracing_text(opened.tracing.as_deref(), &mut out);
                let h = &opened.headers;
                let optional = |value: &Option<String>| value.as_deref().map(printable);
                for (name, value) in [
                    ("date", Some(printable(&h.date))),
                    ("from", Some(printable(&h.from))),
                    ("to", Some(printable(&h.to))),
                    ("cc", optional(&h.cc)),
                    ("organization", optional(&h.organization)),
                    ("subject", Some(printable(&h.subject))),
                ] {
                    if let Some(value) = value {
                        let _ = writeln!(out, "{name}: {value}");
                    }
                }
                for line in other_header_lines(&opened.other_headers) {
                    let _ = writeln!(out, "header: {}", printable(&line));
                }
                for (i, part) in opened.display.iter().enumerate() {
                    let binary = if core::str::from_utf8(&part.data).is_ok() { "" } else { " (not text: see --json)" };
                    let _ = writeln!(out, "display {}: {}{binary}", i + 1, part_summary(part));
                }
                for (i, (part, saved)) in opened.attachments.iter().zip(saved).enumerate() {
                    let _ = write!(out, "attachment {}: {}", i + 1, part_summary(part));
                    if let Some(path) = saved {
                        let _ = write!(out, ", saved to {}", path.display());
                    }
                    out.push('\n');
                }
                for part in &opened.display {
                    if let Ok(text) = core::str::from_utf8(&part.data) {
                        let _ = write!(out, "\n{}", printable_text(text));
                        if !text.ends_with('\n') {
                            out.push('\n');
                        }
                    }
                }
            }
            View::Origin { envelope, tracing, relayed } => {
                out.push_str("actor: origin\ncountersigned: no\n");
                author(envelope).text(&mut out);
                destination(envelope).text(&mut out);
                tracing_text(tracing, &mut out);
                match relayed {
                    Some(path) => _ = writeln!(out, "relayed: {}", path.display()),
                    None => out.push_str("relayed: (not written)\n"),
                }
            }
            View::Destination { view } => {
                out.push_str("actor: destination\ncountersigned: yes\n");
                origin(&view.envelope).text(&mut out);
                recipient(&view.envelope).text(&mut out);
                tracing_text(view.tracing.as_deref(), &mut out);
            }
        }
        out
    }
}

/// The JSON object of a chunk layout: `length`, `tracing`, `countersigned`, `chunks`.
pub fn layout_json(message: &Message<'_>, chunks: &[ChunkSummary]) -> Value {
    let chunks: Vec<Value> = chunks
        .iter()
        .map(|c| {
            json!({
                "index": c.index,
                "offset": c.offset,
                "type": c.chunk_type.byte(),
                "name": c.chunk_type.name(),
                "flags": c.flags,
                "body_length": c.body_len,
                "keyslots": c.keyslots.iter().map(|a| a.name()).collect::<Vec<_>>(),
                "length": c.len,
            })
        })
        .collect();
    json!({
        "length": message.as_bytes().len(),
        "tracing": tracing_json(message.tracing()),
        "countersigned": message.is_countersigned(),
        "protection": message.kinds().map(|k| k.protection().describe()).unwrap_or("none"),
        "hybrid_keyslots": message.kinds().map(|k| k.byte()).unwrap_or(0),
        "chunks": chunks,
    })
}

/// The text form of a chunk layout: `name: value` lines, then one table row per chunk.
pub fn layout_text(message: &Message<'_>, chunks: &[ChunkSummary]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "length: {}", message.as_bytes().len());
    tracing_text(message.tracing(), &mut out);
    let _ = writeln!(out, "countersigned: {}", yes_no(message.is_countersigned()));
    let kinds = message.kinds().unwrap_or_default();
    let _ = writeln!(out, "protection: {} (hybrid keyslots {:#04x})", kinds.protection(), kinds.byte());
    out.push_str("chunks:\n");
    let _ = writeln!(
        out,
        "  {:>5} {:>10} {:>4} {:<32} {:<5} {:>10} {:>10}  keyslots",
        "index", "offset", "type", "name", "flags", "body", "length"
    );
    for c in chunks {
        let keyslots: Vec<&str> = c.keyslots.iter().map(|a| a.name()).collect();
        let _ = writeln!(
            out,
            "  {:>5} {:>10} {:>4} {:<32} {:#04x}  {:>10} {:>10}  {}",
            c.index,
            c.offset,
            c.chunk_type.byte(),
            c.chunk_type.name(),
            c.flags,
            c.body_len,
            c.len,
            if keyslots.is_empty() { "-".to_string() } else { keyslots.join(",") }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_lines_and_tabs_and_escapes_the_rest() {
        assert_eq!(printable_text("a\r\nb\tc\u{1b}[2J\\t\r\n"), "a\nb\tc\\u{1b}[2J\\t\n");
    }

    #[test]
    fn other_headers_split_into_lines() {
        assert_eq!(other_header_lines(b""), Vec::<String>::new());
        assert_eq!(other_header_lines(b"X-A: 1\r\nX-B: 2\r\n"), ["X-A: 1", "X-B: 2"]);
        assert_eq!(other_header_lines(b"opaque \xff"), ["opaque \u{fffd}"]);
    }
}
