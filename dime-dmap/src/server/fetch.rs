//! `FETCH` and `UID FETCH` on the server, answered one message at a time.
//!
//! A `FETCH` becomes a [`FetchJob`]: its items with repeats merged, its sequence set, and a
//! cursor into the session's index. When an item returns object data, the command first reads
//! the matched messages' sizes from the store, a page at a time, adds up the object bytes it
//! would return (the armored length computed from the sizes) and refuses the command with
//! `NO [LIMIT]` when that passes [`SessionLimits::max_fetch_output`](crate::SessionLimits).
//! Then the job reads the metadata (flags, size, date) of the next
//! [`SessionLimits::index_page`](crate::SessionLimits) matched messages from the store
//! ([`Store::messages`]) whenever its page is used up, and [`ServerSession::next`] answers one
//! message per step, only once the previous message's output was taken: the message's object
//! is read from the store once (and armored once, if an item returns the armored form),
//! whatever number of items return it, and its bytes are queued without copying, to be handed
//! out in pieces of at most [`SessionLimits::output_chunk`](crate::SessionLimits). So a session
//! holds at most one page of metadata, one object, its armored form and one piece of output
//! for a `FETCH`, however many messages or items it names. A matched message another
//! session expunged after the index was read ends the command with `NO [NONEXISTENT]` once
//! the messages before it are answered (the next change report expunges it).

use std::collections::VecDeque;
use std::sync::Arc;

use super::{Pending, Phase, ServerSession};
use crate::codec::writer::Writer;
use crate::codec::{Code, CommandBody, FetchAttr, FetchItem, SectionText, SequenceSet, StatusKind, Tag};
use crate::store::{MessageInfo, Store};

/// A `FETCH` in progress.
#[derive(Debug)]
pub(crate) struct FetchJob {
    tag: Tag,
    uid: bool,
    items: Vec<FetchAttr>,
    set: SequenceSet,
    /// The sequence number the next page starts from (past `last` when all are read).
    next: u32,
    /// The largest sequence number (the index does not change while a `FETCH` runs).
    last: u32,
    /// Matched messages read from the store and not yet answered, with their sequence
    /// numbers.
    page: VecDeque<(u32, MessageInfo)>,
    /// A matched message after the page is no longer in the store: the command ends with
    /// `NO [NONEXISTENT]` once the page is answered.
    vanished: bool,
    /// Object bytes returned so far.
    sent: u64,
}

impl FetchJob {
    pub(super) fn tag(&self) -> &Tag {
        &self.tag
    }

    pub(super) fn name(&self) -> &'static str {
        if self.uid { "UID FETCH" } else { "FETCH" }
    }

    /// Whether the next step reads the next page of metadata from the store.
    pub(super) fn needs_page(&self) -> bool {
        self.page.is_empty() && self.next <= self.last && !self.vanished
    }

    /// Whether the next step needs the store: the next page, or the next message's object (an
    /// item returns message data or sets `\Seen`). Items of the metadata alone (`UID`,
    /// `FLAGS`, `RFC822.SIZE`, ...) are answered from the page, without a store call per
    /// message.
    pub(super) fn needs_store(&self) -> bool {
        self.needs_page() || (!self.page.is_empty() && self.items.iter().any(|item| Content::of(item).is_some()))
    }

    /// Whether an item sets `\Seen` (RFC 3501 §6.4.5: a non-`PEEK` body item; `RFC822.HEADER`
    /// does not).
    fn marks_seen(&self) -> bool {
        self.items.iter().any(|item| {
            Content::of(item).is_some() && !without_peek(item).1 && !matches!(item, FetchAttr::Rfc822Header)
        })
    }
}

/// What the store gave for the next message of a `FETCH`.
pub(super) struct Loaded {
    /// The message with its flags as they are now.
    info: MessageInfo,
    /// Its object (empty when no item returns it).
    object: Arc<Vec<u8>>,
    /// `\Seen` was set by this fetch.
    seen: bool,
}

/// The items of a `FETCH` with repeats merged, in the order first asked for: an item asked for
/// twice is answered once, and the `PEEK` and plain forms of the same `BODY[...]` or
/// `BINARY[...]` (same section, same range) are one item, which sets `\Seen` if either form
/// does.
pub(crate) fn merge_repeats(items: &[FetchAttr]) -> Vec<FetchAttr> {
    let mut merged: Vec<FetchAttr> = Vec::with_capacity(items.len());
    for item in items {
        let (key, peek) = without_peek(item);
        if let Some(same) = merged.iter_mut().find(|m| without_peek(m).0 == key) {
            if !peek {
                *same = key;
            }
            continue;
        }
        merged.push(item.clone());
    }
    merged
}

/// The item in its plain form, and whether it was the `PEEK` form.
fn without_peek(item: &FetchAttr) -> (FetchAttr, bool) {
    let mut plain = item.clone();
    let peek = match &mut plain {
        FetchAttr::Body { peek, .. } | FetchAttr::Section { peek, .. } | FetchAttr::Binary { peek, .. } => {
            core::mem::take(peek)
        }
        _ => false,
    };
    (plain, peek)
}

/// What a message-data item returns of an object the server cannot read (`docs/dmap.md` §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// The armored object, as the message text.
    Armored,
    /// The object's octets (`BINARY`).
    Raw,
    /// An empty header.
    Empty,
    /// A section the message does not have.
    Nil,
}

impl Content {
    fn of(item: &FetchAttr) -> Option<Content> {
        let whole_part = |part: &[u32]| part.is_empty() || part == [1];
        Some(match item {
            FetchAttr::Body { .. } | FetchAttr::Rfc822 | FetchAttr::Rfc822Text => Content::Armored,
            FetchAttr::Rfc822Header => Content::Empty,
            FetchAttr::Binary { part, .. } if whole_part(part) => Content::Raw,
            FetchAttr::Binary { .. } => Content::Nil,
            FetchAttr::Section { section, .. } => match (section.part.as_slice(), &section.text) {
                ([], Some(SectionText::Text)) | ([1], None) => Content::Armored,
                ([], Some(SectionText::Header | SectionText::HeaderFields { .. })) | ([1], Some(SectionText::Mime)) => {
                    Content::Empty
                }
                _ => Content::Nil,
            },
            _ => return None,
        })
    }

    /// Its length for an object of `size` octets (`None` for NIL).
    fn len(self, size: usize) -> Option<usize> {
        match self {
            Content::Armored => Some(armored_len(size)),
            Content::Raw => Some(size),
            Content::Empty => Some(0),
            Content::Nil => None,
        }
    }
}

/// The armor label objects are served under.
const LABEL: dime_core::armor::Label = dime_core::armor::Label::EncryptedMessage;

/// The armored form of an object as `BODY[]` and `RFC822` serve it: dime-core's armor under
/// `ENCRYPTED MESSAGE`, lines ended with CRLF.
pub(crate) fn armored(object: &[u8]) -> Vec<u8> {
    dime_core::armor::encode(LABEL, object).replace('\n', "\r\n").into_bytes()
}

/// The length of [`armored`] for an object of `size` octets, computed without the object:
/// BEGIN line (33 + CRLF), base64 in lines of 64 (each + CRLF), `=` and 4 CRC characters
/// (+ CRLF), END line (31 + CRLF).
pub(crate) fn armored_len(size: usize) -> usize {
    let label = LABEL.as_str().len();
    let base64 = size.div_ceil(3) * 4;
    let lines = base64.div_ceil(dime_core::armor::LINE_WIDTH);
    (16 + label + 2) + base64 + 2 * lines + (5 + 2) + (14 + label + 2)
}

/// [`armored_len`] as `RFC822.SIZE` reports it.
pub(crate) fn served_size(size: u32) -> u32 {
    u32::try_from(armored_len(size as usize)).unwrap_or(u32::MAX)
}

/// The octets `item` returns for an object of `size` octets (`served` in armored form): where
/// they start and how many. `None` for items that return no message data, or NIL.
fn object_range(item: &FetchAttr, size: usize) -> Option<(usize, usize)> {
    let len = Content::of(item)?.len(size)?;
    let partial = match item {
        FetchAttr::Body { partial, .. } | FetchAttr::Section { partial, .. } | FetchAttr::Binary { partial, .. } => {
            *partial
        }
        _ => None,
    };
    Some(match partial {
        None => (0, len),
        Some((start, count)) => {
            let start = (start as usize).min(len);
            (start, (count as usize).min(len - start))
        }
    })
}

impl<S: Store> ServerSession<S> {
    /// Starts a `FETCH`: one whose items return object data first has its output budget
    /// checked ([`ServerSession::fetch_budget`], store work); the answers are left to
    /// [`ServerSession::fetch_step`].
    pub(super) fn fetch(&mut self, tag: Tag, uid: bool, set: SequenceSet, items: &[FetchAttr]) {
        let items = merge_repeats(items);
        if items.iter().any(|item| object_range(item, 0).is_some()) {
            self.pending = Some(Pending::Command(tag, CommandBody::Fetch { uid, set, items }));
            return;
        }
        self.start_fetch(tag, uid, set, items);
    }

    fn start_fetch(&mut self, tag: Tag, uid: bool, set: SequenceSet, items: Vec<FetchAttr>) {
        let (next, last) = match &self.selected {
            Some(selected) => (selected.index.next_match(uid, &set, 1), selected.index.len()),
            None => (1, 0),
        };
        let job = FetchJob { tag, uid, items, set, next, last, page: VecDeque::new(), vanished: false, sent: 0 };
        self.phase = Phase::Fetching(Box::new(job));
    }

    /// Adds up the object bytes a `FETCH` would return, reading the matched messages' sizes a
    /// page at a time, and refuses it when that passes the budget; starts it otherwise.
    pub(super) async fn fetch_budget(&mut self, tag: Tag, uid: bool, set: SequenceSet, items: Vec<FetchAttr>) {
        let name = if uid { "UID FETCH" } else { "FETCH" };
        let Some(mailbox) = self.selected.as_ref().map(|s| s.mailbox.clone()) else { return };
        let user = self.user.clone().unwrap_or_default();
        let limit = self.config.limits.index_page.max(1);
        let (mut total, mut from) = (0u64, 1);
        loop {
            let Some(selected) = &self.selected else { return };
            let (page, next) = selected.index.matches(uid, &set, from, limit);
            if page.is_empty() {
                break;
            }
            from = next;
            let uids: Vec<u32> = page.into_iter().map(|(_, u)| u).collect();
            let infos = match self.store.messages(&user, &mailbox, &uids).await {
                Ok(infos) => infos,
                Err(error) => return self.store_error(&tag, name, error),
            };
            let sizes = infos.iter().flat_map(|info| items.iter().filter_map(|i| object_range(i, info.size as usize)));
            total = sizes.fold(total, |sum, (_, count)| sum.saturating_add(count as u64));
        }
        if total > self.config.limits.max_fetch_output {
            return self.fetch_over_budget(&tag, name, total);
        }
        self.start_fetch(tag, uid, set, items);
    }

    fn fetch_over_budget(&mut self, tag: &Tag, name: &'static str, total: u64) {
        let limit = self.config.limits.max_fetch_output;
        let text = format!("{name} would return {total} bytes, over the limit of {limit}");
        self.done(tag, name, StatusKind::No, Some(Code::Limit), &text);
    }

    /// Reads the metadata of the running `FETCH`'s next page of matched messages.
    pub(super) async fn fetch_page(&mut self) {
        let Phase::Fetching(job) = &self.phase else { return };
        let limit = self.config.limits.index_page.max(1);
        let (matched, next, mailbox) = match &self.selected {
            Some(selected) => {
                let (matched, next) = selected.index.matches(job.uid, &job.set, job.next, limit);
                (matched, next, selected.mailbox.clone())
            }
            None => (Vec::new(), job.last + 1, crate::codec::Mailbox::inbox()),
        };
        let uids: Vec<u32> = matched.iter().map(|&(_, u)| u).collect();
        let infos = match uids.is_empty() {
            true => Ok(Vec::new()),
            false => self.store.messages(&self.user.clone().unwrap_or_default(), &mailbox, &uids).await,
        };
        let Phase::Fetching(job) = &mut self.phase else { return };
        job.next = next;
        match infos {
            Ok(infos) => {
                // Both in UID order; the page ends before the first message the store no longer
                // has.
                let mut infos = infos.into_iter().peekable();
                for (seq, uid) in matched {
                    match infos.next_if(|info| info.uid == uid) {
                        Some(info) => job.page.push_back((seq, info)),
                        None => {
                            job.vanished = true;
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                let Phase::Fetching(job) = core::mem::replace(&mut self.phase, Phase::Command) else { return };
                self.store_error(&job.tag, job.name(), error);
            }
        }
    }

    /// Reads what the next message of the running `FETCH` needs from the store (its object,
    /// and `\Seen` set when an item reads it), then answers it.
    pub(super) async fn fetch_load(&mut self) {
        let Phase::Fetching(job) = &self.phase else { return };
        let (Some((_, info)), Some(selected)) = (job.page.front(), &self.selected) else {
            return self.fetch_step(None);
        };
        let mut info = info.clone();
        let (wants_object, marks_seen) =
            (job.items.iter().any(|item| object_range(item, 0).is_some()), job.marks_seen());
        let (user, mailbox) = (self.user.clone().unwrap_or_default(), selected.mailbox.clone());
        let object = match wants_object {
            false => Arc::new(Vec::new()),
            true => match self.store.object(&user, &mailbox, info.uid).await {
                Ok(object) => Arc::new(object),
                Err(error) => {
                    let Phase::Fetching(job) = core::mem::replace(&mut self.phase, Phase::Command) else { return };
                    return self.store_error(&job.tag, job.name(), error);
                }
            },
        };
        let seen = marks_seen && self.mark_seen(&mut info).await;
        self.fetch_step(Some(Loaded { info, object, seen }));
    }

    /// Answers the next message of the running `FETCH` (with what [`ServerSession::fetch_load`]
    /// read, when it needs the store), or completes it.
    pub(super) fn fetch_step(&mut self, loaded: Option<Loaded>) {
        let Phase::Fetching(mut job) = core::mem::replace(&mut self.phase, Phase::Command) else { return };
        let name = job.name();
        let Some((seq, info)) = job.page.pop_front() else {
            if job.needs_page() {
                self.phase = Phase::Fetching(job);
                return;
            }
            if job.vanished {
                return self.store_error(&job.tag, name, crate::error::DmapError::NoSuchMessage);
            }
            return self.ok(&job.tag, name);
        };
        let (info, object, flags_changed) = match loaded {
            Some(Loaded { info, object, seen }) => (info, object, seen),
            None => (info, Arc::new(Vec::new()), false),
        };
        let text = match job.items.iter().any(|item| Content::of(item) == Some(Content::Armored)) {
            true => Arc::new(armored(&object)),
            false => Arc::new(Vec::new()),
        };
        // The store's sizes were counted before the command started; count what it returns.
        let bytes: u64 =
            job.items.iter().filter_map(|item| object_range(item, object.len())).map(|(_, n)| n as u64).sum();
        job.sent = job.sent.saturating_add(bytes);
        if job.sent > self.config.limits.max_fetch_output {
            return self.fetch_over_budget(&job.tag, name, job.sent);
        }
        if flags_changed || job.items.contains(&FetchAttr::Flags) {
            self.reported(info.uid, &info.flags);
        }
        let mut w = Writer::new(0);
        w.text("* ").number(seq).text(" FETCH (");
        let mut first = true;
        let mut separate = |w: &mut Writer| {
            if !core::mem::take(&mut first) {
                w.sp();
            }
        };
        if job.uid && !job.items.contains(&FetchAttr::Uid) {
            separate(&mut w);
            FetchItem::Uid(info.uid).write(&mut w);
        }
        let served = served_size(info.size);
        for item in &job.items {
            separate(&mut w);
            let small = match item {
                FetchAttr::Uid => FetchItem::Uid(info.uid),
                FetchAttr::Flags => FetchItem::Flags(info.flags.clone()),
                FetchAttr::InternalDate => FetchItem::InternalDate(info.internal_date),
                FetchAttr::Rfc822Size => FetchItem::Rfc822Size(served),
                FetchAttr::Envelope => FetchItem::EnvelopeUnknown,
                FetchAttr::BodyStructure => FetchItem::Structure { extensible: true, size: served },
                FetchAttr::BodyShort => FetchItem::Structure { extensible: false, size: served },
                FetchAttr::BinarySize { part } => {
                    let size = if part.is_empty() || part == &[1] { info.size } else { 0 };
                    FetchItem::BinarySize { part: part.clone(), size }
                }
                data_item => {
                    let content = Content::of(data_item).unwrap_or(Content::Nil);
                    // RFC 3516's grammar gives `BINARY[...]` no origin, also when partial.
                    let origin = match data_item {
                        FetchAttr::Body { partial, .. } | FetchAttr::Section { partial, .. } => {
                            partial.map(|(start, _)| start)
                        }
                        _ => None,
                    };
                    match data_item {
                        FetchAttr::Body { .. } => w.text("BODY[]"),
                        FetchAttr::Section { section, .. } => {
                            w.text("BODY");
                            section.write(&mut w);
                            &mut w
                        }
                        FetchAttr::Binary { part, .. } => {
                            w.text("BINARY[");
                            crate::codec::Section::write_part(&mut w, part);
                            w.text("]")
                        }
                        FetchAttr::Rfc822Header => w.text("RFC822.HEADER"),
                        FetchAttr::Rfc822Text => w.text("RFC822.TEXT"),
                        _ => w.text("RFC822"),
                    };
                    if let Some(origin) = origin {
                        w.text(&format!("<{origin}>"));
                    }
                    w.sp();
                    let source = if content == Content::Raw { &object } else { &text };
                    match (content, object_range(data_item, object.len())) {
                        (Content::Nil, _) | (_, None) => {
                            w.text("NIL");
                        }
                        (Content::Empty, _) => {
                            w.text("\"\"");
                        }
                        (_, Some((start, count))) => {
                            let tilde = if content == Content::Raw { "~" } else { "" };
                            w.text(&format!("{tilde}{{{count}}}\r\n"));
                            self.output(core::mem::take(&mut w).into_bytes());
                            self.output_literal(source, start, start + count);
                        }
                    }
                    continue;
                }
            };
            small.write(&mut w);
        }
        if flags_changed && !job.items.contains(&FetchAttr::Flags) {
            separate(&mut w);
            FetchItem::Flags(info.flags.clone()).write(&mut w);
        }
        w.text(")\r\n");
        self.output(w.into_bytes());
        self.phase = Phase::Fetching(job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_merged_in_first_order() {
        let body = |peek, partial| FetchAttr::Body { peek, partial };
        let items = [
            FetchAttr::Rfc822,
            FetchAttr::Uid,
            FetchAttr::Rfc822,
            body(true, None),
            body(false, None),
            body(true, Some((0, 10))),
            body(true, Some((0, 10))),
            body(true, Some((1, 10))),
            FetchAttr::Uid,
            FetchAttr::Binary { peek: true, part: vec![], partial: None },
            FetchAttr::Binary { peek: false, part: vec![], partial: None },
        ];
        assert_eq!(
            merge_repeats(&items),
            vec![
                FetchAttr::Rfc822,
                FetchAttr::Uid,
                body(false, None),
                body(true, Some((0, 10))),
                body(true, Some((1, 10))),
                FetchAttr::Binary { peek: false, part: vec![], partial: None },
            ]
        );
    }

    #[test]
    fn partial_ranges_stay_inside_what_is_served() {
        let binary = |partial| FetchAttr::Binary { peek: true, part: vec![], partial };
        assert_eq!(object_range(&binary(Some((5, 100))), 8), Some((5, 3)));
        assert_eq!(object_range(&binary(Some((50, 100))), 8), Some((8, 0)));
        assert_eq!(object_range(&FetchAttr::Rfc822, 8), Some((0, armored_len(8))));
        assert_eq!(object_range(&FetchAttr::Rfc822Header, 8), Some((0, 0)));
        assert_eq!(object_range(&binary(None), 8), Some((0, 8)));
        assert_eq!(object_range(&FetchAttr::Binary { peek: true, part: vec![2], partial: None }, 8), None);
        assert_eq!(object_range(&FetchAttr::Uid, 8), None);
    }

    #[test]
    fn armored_length_is_known_from_the_size() {
        for size in (0..400).chain([4095, 4096, 65_536, 1_000_001]) {
            let object: Vec<u8> = (0..size).map(|i| (i % 256) as u8).collect();
            assert_eq!(armored(&object).len(), armored_len(size), "size {size}");
        }
        let text = String::from_utf8(armored(b"\0\x01")).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED MESSAGE-----\r\nAAE=\r\n="), "{text}");
        assert!(text.ends_with("\r\n-----END ENCRYPTED MESSAGE-----\r\n"), "{text}");
    }
}
