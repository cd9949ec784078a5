//! The selected mailbox as the session last reported it: for each sequence number the
//! message's UID and a 4-byte fingerprint of its flags, 8 bytes a message (`docs/dmap.md`
//! §12.3). Flags, sizes and dates are read from the store a page at a time
//! ([`Store::page`](crate::store::Store::page), [`Store::messages`](crate::store::Store::messages))
//! when a command needs them, and never kept.
//!
//! [`Merge`] compares the index with the store's listing, page by page, and yields the updates
//! the client must be told (`EXPUNGE`, `FETCH (FLAGS ...)`, `EXISTS`): one pass over both, in
//! UID order, linear in the mailbox.

use crate::codec::{Data, FetchItem, Flag, SequenceSet};
use crate::error::Result;
use crate::store::{MessageInfo, MessagePage, Store};

/// What the session remembers of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    uid: u32,
    /// [`fingerprint`] of its flags as last reported.
    flags: u32,
}

impl Entry {
    fn of(info: &MessageInfo) -> Entry {
        Entry { uid: info.uid, flags: fingerprint(&info.flags) }
    }
}

/// A 32-bit fingerprint of a flag list that does not depend on the order: the five system
/// flags as bits 0–4, and bits 5–31 from the sum of the FNV-1a hashes of the other flags'
/// names. A change of system flags always changes it; a change of keywords does unless two
/// keyword sets collide (about 1 in 2²⁷).
pub(crate) fn fingerprint(flags: &[Flag]) -> u32 {
    let (mut system, mut others) = (0u32, 0u32);
    for flag in flags {
        let (kind, name) = match flag {
            Flag::Seen => (1, None),
            Flag::Answered => (2, None),
            Flag::Flagged => (4, None),
            Flag::Deleted => (8, None),
            Flag::Draft => (16, None),
            Flag::Keyword(name) => (0, Some((b'k', name))),
            Flag::Extension(name) => (0, Some((b'x', name))),
        };
        system |= kind;
        if let Some((tag, name)) = name {
            let hash = core::iter::once(tag)
                .chain(name.bytes())
                .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
            others = others.wrapping_add(hash);
        }
    }
    (others & !0x1f) | system
}

/// The selected mailbox's index: sequence number `n` is `entries[n - 1]`, in UID order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Index {
    /// The UIDVALIDITY the client was told.
    pub uid_validity: u32,
    /// The UIDNEXT last read.
    pub uid_next: u32,
    entries: Vec<Entry>,
}

impl Index {
    /// An empty index of a mailbox with these counters.
    pub fn new(uid_validity: u32, uid_next: u32) -> Index {
        Index { uid_validity, uid_next, entries: Vec::new() }
    }

    /// Adds the next message (its UID above every one before).
    pub fn push(&mut self, info: &MessageInfo) {
        if self.entries.last().is_none_or(|last| last.uid < info.uid) {
            self.entries.push(Entry::of(info));
        }
    }

    /// Releases spare capacity once the index is built.
    pub fn shrink(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// The number of messages (the largest sequence number).
    pub fn len(&self) -> u32 {
        self.entries.len() as u32
    }

    /// The largest UID (0 when empty).
    pub fn max_uid(&self) -> u32 {
        self.entries.last().map_or(0, |e| e.uid)
    }

    /// The UID of sequence number `seq`.
    pub fn uid(&self, seq: u32) -> Option<u32> {
        Some(self.entries.get((seq as usize).checked_sub(1)?)?.uid)
    }

    /// The sequence number of `uid`.
    pub fn seq(&self, uid: u32) -> Option<u32> {
        self.entries.binary_search_by_key(&uid, |e| e.uid).ok().map(|i| i as u32 + 1)
    }

    /// Records that the client was told these flags of `uid`.
    pub fn reported(&mut self, uid: u32, flags: &[Flag]) {
        if let Ok(i) = self.entries.binary_search_by_key(&uid, |e| e.uid)
            && let Some(entry) = self.entries.get_mut(i)
        {
            entry.flags = fingerprint(flags);
        }
    }

    /// Whether sequence number `seq` is in `set` (as a UID set with `uid`).
    fn in_set(&self, uid: bool, set: &SequenceSet, seq: u32) -> bool {
        match uid {
            true => self.uid(seq).is_some_and(|u| set.contains(u, self.max_uid())),
            false => set.contains(seq, self.len()),
        }
    }

    /// The first sequence number from `from` on that is in `set`; `len() + 1` when none is.
    pub fn next_match(&self, uid: bool, set: &SequenceSet, from: u32) -> u32 {
        let mut seq = from.max(1);
        while seq <= self.len() && !self.in_set(uid, set, seq) {
            seq += 1;
        }
        seq
    }

    /// Up to `limit` (sequence number, UID) pairs in `set` from `from` on, and the sequence
    /// number to continue from.
    pub fn matches(&self, uid: bool, set: &SequenceSet, from: u32, limit: usize) -> (Vec<(u32, u32)>, u32) {
        let mut out = Vec::new();
        let mut seq = self.next_match(uid, set, from);
        while out.len() < limit
            && let Some(u) = self.uid(seq)
        {
            out.push((seq, u));
            seq = self.next_match(uid, set, seq + 1);
        }
        (out, seq)
    }

    /// The UIDs of every message in `set`, ascending.
    pub fn uids(&self, uid: bool, set: &SequenceSet) -> Vec<u32> {
        (1..=self.len()).filter(|&seq| self.in_set(uid, set, seq)).filter_map(|seq| self.uid(seq)).collect()
    }
}

/// Reads a mailbox page by page ([`Store::page`]) in UID order.
#[derive(Debug)]
pub(crate) struct Walk {
    after: u32,
    limit: usize,
    done: bool,
}

impl Walk {
    /// A walk from the first message, `limit` messages a page (at least 1).
    pub fn new(limit: usize) -> Walk {
        Walk { after: 0, limit: limit.max(1), done: false }
    }

    /// The next page, or `None` after the last.
    pub async fn next<S: Store>(
        &mut self,
        store: &S,
        user: &str,
        mailbox: &crate::codec::Mailbox,
    ) -> Result<Option<MessagePage>> {
        if self.done {
            return Ok(None);
        }
        let page = store.page(user, mailbox, self.after, self.limit).await?;
        match page.messages.last() {
            Some(last) if page.messages.len() >= self.limit && last.uid > self.after => self.after = last.uid,
            _ => self.done = true,
        }
        Ok(Some(page))
    }
}

/// A comparison of an [`Index`] with the store's listing, fed one page at a time in UID
/// order. It builds the new index beside the old one, so the old stays intact until
/// [`Merge::finish`] (a store error or a race part-way leaves nothing changed).
#[derive(Debug)]
pub(crate) struct Merge {
    /// The next old entry to compare.
    read: usize,
    /// Messages the client knows (UID at most the old largest), as they are now.
    kept: Vec<Entry>,
    /// Messages that arrived since.
    arrived: Vec<Entry>,
    /// The old largest UID; 0 when every old message is gone (a new UIDVALIDITY).
    known_max: u32,
    /// Old sequence numbers of messages gone, ascending.
    gone: Vec<u32>,
    /// `FETCH (FLAGS ...)` for kept messages whose flags changed, numbered as after the
    /// expunges.
    changed: Vec<Data>,
    uid_next: u32,
}

impl Merge {
    /// A comparison with `old`; with `reset`, the store's mailbox is a new one (another
    /// UIDVALIDITY) and every old message is gone.
    pub fn new(old: &Index, reset: bool) -> Merge {
        Merge {
            read: 0,
            kept: Vec::with_capacity(if reset { 0 } else { old.entries.len() }),
            arrived: Vec::new(),
            known_max: if reset { 0 } else { old.max_uid() },
            gone: Vec::new(),
            changed: Vec::new(),
            uid_next: old.uid_next,
        }
    }

    /// Compares the next page.
    pub fn page(&mut self, old: &Index, page: &MessagePage) {
        self.uid_next = page.uid_next;
        for info in &page.messages {
            if info.uid > self.known_max {
                if self.arrived.last().is_none_or(|last| last.uid < info.uid) {
                    self.arrived.push(Entry::of(info));
                }
                continue;
            }
            while let Some(entry) = old.entries.get(self.read)
                && entry.uid < info.uid
            {
                self.gone.push(self.read as u32 + 1);
                self.read += 1;
            }
            let Some(entry) = old.entries.get(self.read).filter(|e| e.uid == info.uid) else { continue };
            let now = Entry::of(info);
            self.kept.push(now);
            if now.flags != entry.flags {
                let seq = self.kept.len() as u32;
                self.changed.push(Data::Fetch { seq, items: vec![FetchItem::Flags(info.flags.clone())] });
            }
            self.read += 1;
        }
    }

    /// The new index (with `uid_validity`) and the updates that tell the client, in order:
    /// `EXPUNGE` highest sequence number first (so no number shifts under the client), then
    /// `FETCH (FLAGS ...)`, then `EXISTS` if messages arrived. `reset` output (the expunges of a
    /// replaced mailbox and its `EXISTS`) goes around the caller's `UIDVALIDITY` line.
    pub fn finish(mut self, old: &Index, uid_validity: u32) -> (Index, Updates) {
        let known = old.entries.len();
        self.gone.extend((self.read..known).map(|i| i as u32 + 1));
        let expunged = self.gone.iter().rev().map(|&seq| Data::Expunge(seq)).collect();
        let arrived = !self.arrived.is_empty();
        self.kept.append(&mut self.arrived);
        let mut index = Index { uid_validity, uid_next: self.uid_next, entries: self.kept };
        index.shrink();
        let exists = arrived.then(|| Data::Exists(index.len()));
        (index, Updates { expunged, changed: self.changed, exists })
    }
}

/// What a [`Merge`] found, in the order it is sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Updates {
    /// `EXPUNGE`s, highest sequence number first.
    pub expunged: Vec<Data>,
    /// `FETCH (FLAGS ...)`s.
    pub changed: Vec<Data>,
    /// `EXISTS`, if messages arrived.
    pub exists: Option<Data>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DateTime;

    fn info(uid: u32, flags: Vec<Flag>) -> MessageInfo {
        MessageInfo { uid, flags, internal_date: DateTime::UNIX_EPOCH, size: 0 }
    }

    fn index(messages: &[MessageInfo]) -> Index {
        let mut index = Index::new(1, messages.last().map_or(1, |m| m.uid + 1));
        messages.iter().for_each(|m| index.push(m));
        index
    }

    fn merge(old: &Index, fresh: &[MessageInfo], limit: usize) -> (Index, Updates) {
        let mut merge = Merge::new(old, false);
        for page in fresh.chunks(limit) {
            let page = MessagePage { uid_validity: 1, uid_next: 99, messages: page.to_vec() };
            merge.page(old, &page);
        }
        merge.finish(old, 1)
    }

    #[test]
    fn a_merge_reports_expunges_flags_and_arrivals_in_order() {
        let old = index(&(1..=5).map(|uid| info(uid, vec![])).collect::<Vec<_>>());
        let fresh = [info(1, vec![]), info(3, vec![Flag::Seen]), info(5, vec![]), info(6, vec![]), info(7, vec![])];
        for limit in [1, 2, 5] {
            let (new, updates) = merge(&old, &fresh, limit);
            assert_eq!(updates.expunged, vec![Data::Expunge(4), Data::Expunge(2)]);
            assert_eq!(updates.changed, vec![Data::Fetch { seq: 2, items: vec![FetchItem::Flags(vec![Flag::Seen])] }]);
            assert_eq!(updates.exists, Some(Data::Exists(5)));
            assert_eq!((1..=5).map(|s| new.uid(s).unwrap()).collect::<Vec<_>>(), [1, 3, 5, 6, 7]);
            assert_eq!(new.uid_next, 99);
        }
    }

    #[test]
    fn trailing_expunges_and_a_reset_expunge_everything_known() {
        let old = index(&(1..=4).map(|uid| info(uid, vec![])).collect::<Vec<_>>());
        let (new, updates) = merge(&old, &[info(1, vec![])], 3);
        assert_eq!(updates.expunged, vec![Data::Expunge(4), Data::Expunge(3), Data::Expunge(2)]);
        assert_eq!((new.len(), updates.exists), (1, None));
        let mut reset = Merge::new(&old, true);
        reset.page(
            &old,
            &MessagePage { uid_validity: 7, uid_next: 3, messages: vec![info(1, vec![]), info(2, vec![])] },
        );
        let (new, updates) = reset.finish(&old, 7);
        assert_eq!(updates.expunged.len(), 4);
        assert_eq!(updates.changed, vec![]);
        assert_eq!(updates.exists, Some(Data::Exists(2)));
        assert_eq!((new.uid_validity, new.len()), (7, 2));
    }

    #[test]
    fn fingerprints_ignore_order_and_see_every_change() {
        let k = |n: &str| Flag::Keyword(n.into());
        assert_eq!(fingerprint(&[Flag::Seen, k("a"), k("b")]), fingerprint(&[k("b"), Flag::Seen, k("a")]));
        let lists = [
            vec![],
            vec![Flag::Seen],
            vec![Flag::Deleted],
            vec![k("a")],
            vec![k("b")],
            vec![Flag::Extension("a".into())],
        ];
        for (i, a) in lists.iter().enumerate() {
            for b in &lists[i + 1..] {
                assert_ne!(fingerprint(a), fingerprint(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn matches_come_in_pages_of_sequence_numbers() {
        let old = index(&[2, 4, 6, 8, 10].map(|uid| info(uid, vec![])));
        use crate::codec::SeqBound::{Largest, Value};
        let set = SequenceSet::new(vec![(Value(2), Largest)]).unwrap();
        let (first, next) = old.matches(false, &set, 1, 2);
        assert_eq!((first, next), (vec![(2, 4), (3, 6)], 4));
        let (rest, next) = old.matches(false, &set, next, 10);
        assert_eq!((rest, next), (vec![(4, 8), (5, 10)], 6));
        let uids = SequenceSet::new(vec![(Value(5), Value(8))]).unwrap();
        assert_eq!(old.uids(true, &uids), vec![6, 8]);
        assert_eq!(old.next_match(true, &uids, 1), 3);
        assert_eq!(old.seq(8), Some(4));
        assert_eq!(old.seq(7), None);
    }
}
