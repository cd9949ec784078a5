//! `FETCH` and `UID FETCH` on the server, answered one message at a time.
//!
//! A `FETCH` becomes a [`FetchJob`]: its items with repeats merged, and the sequence numbers it
//! matched. Before anything is sent the job adds up the object bytes it would return (from the
//! sizes the store reported) and refuses the command with `NO [LIMIT]` when that passes
//! [`Limits::max_fetch_output`](crate::Limits). Then [`ServerSession::next`] answers one message
//! per step, and only once the previous message's output was taken: the message's object is
//! read from the store once, whatever number of items return it, and its bytes are queued
//! without copying, to be handed out in pieces of at most
//! [`Limits::output_chunk`](crate::Limits). So a session holds at most one object and one piece
//! of output for a `FETCH`, however many messages or items it names.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{Phase, ServerSession};
use crate::codec::writer::Writer;
use crate::codec::{Code, FetchAttr, FetchItem, SequenceSet, StatusKind, Tag};
use crate::store::{MessageInfo, Store};

/// A `FETCH` in progress.
#[derive(Debug)]
pub(crate) struct FetchJob {
    tag: Tag,
    uid: bool,
    items: Vec<FetchAttr>,
    /// Sequence numbers still to answer.
    pending: VecDeque<u32>,
    /// Object bytes returned so far.
    sent: u64,
}

impl FetchJob {
    fn name(&self) -> &'static str {
        if self.uid { "UID FETCH" } else { "FETCH" }
    }
}

/// The items of a `FETCH` with repeats merged, in the order first asked for: an item asked for
/// twice is answered once, and `BODY[]` and `BODY.PEEK[]` of the same range are one item (that
/// sets `\Seen` if either form does).
pub(crate) fn merge_repeats(items: &[FetchAttr]) -> Vec<FetchAttr> {
    let mut merged: Vec<FetchAttr> = Vec::with_capacity(items.len());
    for &item in items {
        if let FetchAttr::Body { peek: other, partial: p } = item {
            let same = merged.iter_mut().find_map(|m| match m {
                FetchAttr::Body { peek, partial } if *partial == p => Some(peek),
                _ => None,
            });
            if let Some(peek) = same {
                *peek &= other;
                continue;
            }
        }
        if !merged.contains(&item) {
            merged.push(item);
        }
    }
    merged
}

/// The object bytes `item` returns for an object of `size` bytes: where they start and how many.
fn object_range(item: FetchAttr, size: usize) -> Option<(usize, usize)> {
    match item {
        FetchAttr::Rfc822 | FetchAttr::Body { partial: None, .. } => Some((0, size)),
        FetchAttr::Body { partial: Some((start, count)), .. } => {
            let start = (start as usize).min(size);
            Some((start, (count as usize).min(size - start)))
        }
        _ => None,
    }
}

impl<S: Store> ServerSession<S> {
    /// Sequence numbers (1-based) of the selected messages in `set`.
    pub(super) fn matching(&self, uid: bool, set: &SequenceSet) -> Vec<u32> {
        let Some(selected) = &self.selected else { return Vec::new() };
        let messages = &selected.view.messages;
        let largest = if uid { messages.last().map_or(0, |m| m.uid) } else { messages.len() as u32 };
        (1..=messages.len() as u32)
            .zip(messages)
            .filter(|(seq, message)| set.contains(if uid { message.uid } else { *seq }, largest))
            .map(|(seq, _)| seq)
            .collect()
    }

    pub(super) fn message(&self, seq: u32) -> Option<MessageInfo> {
        self.selected.as_ref()?.view.messages.get((seq as usize).checked_sub(1)?).cloned()
    }

    /// Starts a `FETCH`: checks its output budget, then leaves the answers to
    /// [`ServerSession::fetch_step`].
    pub(super) fn fetch(&mut self, tag: Tag, uid: bool, set: &SequenceSet, items: &[FetchAttr]) {
        let items = merge_repeats(items);
        let pending: VecDeque<u32> = self.matching(uid, set).into();
        let total: u64 = pending
            .iter()
            .filter_map(|&seq| self.message(seq))
            .flat_map(|info| items.iter().filter_map(move |&item| object_range(item, info.size as usize)))
            .map(|(_, count)| count as u64)
            .sum();
        let job = FetchJob { tag, uid, items, pending, sent: 0 };
        let limit = self.config.limits.max_fetch_output;
        if total > limit {
            return self.fetch_over_budget(&job, total);
        }
        self.phase = Phase::Fetching(Box::new(job));
    }

    fn fetch_over_budget(&mut self, job: &FetchJob, total: u64) {
        let limit = self.config.limits.max_fetch_output;
        let text = format!("{} would return {total} bytes, over the limit of {limit}", job.name());
        self.done(&job.tag, job.name(), StatusKind::No, Some(Code::Limit), &text);
    }

    /// Answers the next message of the running `FETCH`, or completes it.
    pub(super) fn fetch_step(&mut self) {
        let Phase::Fetching(mut job) = core::mem::replace(&mut self.phase, Phase::Command) else { return };
        let name = job.name();
        let Some(seq) = job.pending.pop_front() else {
            return self.ok(&job.tag, name);
        };
        let Some(mut info) = self.message(seq) else {
            self.phase = Phase::Fetching(job);
            return;
        };
        let wants_object = job.items.iter().any(|&item| object_range(item, 0).is_some());
        let object = match wants_object {
            false => Arc::new(Vec::new()),
            true => {
                let (user, mailbox) = match &self.selected {
                    Some(selected) => (self.user.clone().unwrap_or_default(), selected.mailbox.clone()),
                    None => return self.ok(&job.tag, name),
                };
                match self.store.object(&user, &mailbox, info.uid) {
                    Ok(object) => Arc::new(object),
                    Err(error) => return self.store_error(&job.tag, name, error),
                }
            }
        };
        // The store's sizes were counted before the command started; count what it returns.
        let bytes: u64 =
            job.items.iter().filter_map(|&item| object_range(item, object.len())).map(|(_, n)| n as u64).sum();
        job.sent = job.sent.saturating_add(bytes);
        if job.sent > self.config.limits.max_fetch_output {
            return self.fetch_over_budget(&job, job.sent);
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
        let mut flags_changed = false;
        for &item in &job.items {
            separate(&mut w);
            let small = match item {
                FetchAttr::Uid => FetchItem::Uid(info.uid),
                FetchAttr::Flags => FetchItem::Flags(info.flags.clone()),
                FetchAttr::InternalDate => FetchItem::InternalDate(info.internal_date),
                FetchAttr::Rfc822Size => FetchItem::Rfc822Size(info.size),
                FetchAttr::Body { peek, partial } => {
                    let (start, count) = object_range(item, object.len()).unwrap_or_default();
                    match partial {
                        Some((origin, _)) => w.text(&format!("BODY[]<{origin}> ")),
                        None => w.text("BODY[] "),
                    };
                    w.text(&format!("{{{count}}}\r\n"));
                    self.output(core::mem::take(&mut w).into_bytes());
                    self.output_literal(&object, start, start + count);
                    flags_changed |= !peek && self.mark_seen(&mut info);
                    continue;
                }
                FetchAttr::Rfc822 => {
                    w.text(&format!("RFC822 {{{}}}\r\n", object.len()));
                    self.output(core::mem::take(&mut w).into_bytes());
                    self.output_literal(&object, 0, object.len());
                    flags_changed |= self.mark_seen(&mut info);
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
        ];
        assert_eq!(
            merge_repeats(&items),
            vec![
                FetchAttr::Rfc822,
                FetchAttr::Uid,
                body(false, None),
                body(true, Some((0, 10))),
                body(true, Some((1, 10)))
            ]
        );
    }

    #[test]
    fn partial_ranges_stay_inside_the_object() {
        assert_eq!(object_range(FetchAttr::Body { peek: true, partial: Some((5, 100)) }, 8), Some((5, 3)));
        assert_eq!(object_range(FetchAttr::Body { peek: true, partial: Some((50, 100)) }, 8), Some((8, 0)));
        assert_eq!(object_range(FetchAttr::Rfc822, 8), Some((0, 8)));
        assert_eq!(object_range(FetchAttr::Uid, 8), None);
    }
}
