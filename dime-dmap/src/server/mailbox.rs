//! Mailbox commands on the server: LIST, SELECT, EXAMINE, STATUS, FETCH, STORE, EXPUNGE,
//! CLOSE, APPEND, and the untagged updates sent on NOOP and during IDLE.

use super::list::Listing;
use super::{DELIMITER, Selected, ServerSession, text};
use crate::codec::{
    Code, Data, DateTime, FetchItem, Flag, Mailbox, Response, SequenceSet, Status, StatusAttr, StatusKind, StoreMode,
    Tag,
};
use crate::store::{MailboxView, MessageInfo, Store};

impl<S: Store> ServerSession<S> {
    fn user_name(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    pub(super) async fn list(&mut self, tag: &Tag, reference: &str, pattern: &str) {
        let name = "LIST";
        if pattern.is_empty() {
            // `LIST "" ""` asks for the hierarchy delimiter.
            self.respond(Response::Data(Data::List {
                attributes: vec!["\\Noselect".into()],
                delimiter: Some(DELIMITER),
                mailbox: Mailbox::new(""),
            }));
            self.ok(tag, name);
            return;
        }
        let user = self.user_name();
        let mailboxes = match self.store.mailboxes(&user).await {
            Ok(mailboxes) => mailboxes,
            Err(error) => return self.store_error(tag, name, error),
        };
        // The answers are produced as the driver drains them (`list`); the superiors of
        // existing mailboxes that do not exist themselves (left by a DELETE of `a` while `a/b`
        // exists) are listed as `\Noselect` placeholders (RFC 3501 §6.3.4).
        self.listing(Listing::list(mailboxes, format!("{reference}{pattern}")));
        self.ok(tag, name);
    }

    pub(super) async fn select(&mut self, tag: &Tag, mailbox: Mailbox, read_only: bool) {
        let name = if read_only { "EXAMINE" } else { "SELECT" };
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
        self.selected = None;
        let user = self.user_name();
        let mut view = match self.store.mailbox(&user, &mailbox).await {
            Ok(view) => view,
            Err(error) => return self.store_error(tag, name, error),
        };
        // Sequence numbers follow UIDs; the session finds messages by UID with binary search.
        by_uid(&mut view.messages);
        let count = view.messages.len() as u32;
        self.respond(Response::Data(Data::Flags(Flag::SYSTEM.to_vec())));
        self.respond(Response::Data(Data::Exists(count)));
        self.respond(Response::Data(Data::Recent(0)));
        if let Some(first) = view.messages.iter().position(|m| !m.flags.contains(&Flag::Seen)) {
            self.untagged_ok(Code::Unseen(first as u32 + 1), "First unseen");
        }
        let permanent = if read_only {
            Code::PermanentFlags { flags: Vec::new(), keywords: false }
        } else {
            Code::PermanentFlags { flags: Flag::SYSTEM.to_vec(), keywords: true }
        };
        self.untagged_ok(permanent, "Flags that persist");
        self.untagged_ok(Code::UidValidity(view.uid_validity.max(1)), "UIDs valid");
        self.untagged_ok(Code::UidNext(view.uid_next.max(1)), "Predicted next UID");
        self.selected = Some(Selected { mailbox, read_only, view });
        let code = if read_only { Code::ReadOnly } else { Code::ReadWrite };
        self.done(tag, name, StatusKind::Ok, Some(code), &format!("{name} completed"));
    }

    fn untagged_ok(&mut self, code: Code, text: &str) {
        self.respond(Response::Status(Status::untagged(StatusKind::Ok, Some(code), text)));
    }

    pub(super) async fn mailbox_status(&mut self, tag: &Tag, mailbox: &Mailbox, items: &[StatusAttr]) {
        let name = "STATUS";
        let user = self.user_name();
        let view = match self.store.mailbox(&user, mailbox).await {
            Ok(view) => view,
            Err(error) => return self.store_error(tag, name, error),
        };
        let values = items
            .iter()
            .map(|&item| {
                let value = match item {
                    StatusAttr::Messages => view.messages.len() as u32,
                    StatusAttr::Recent => 0,
                    StatusAttr::UidNext => view.uid_next,
                    StatusAttr::UidValidity => view.uid_validity,
                    StatusAttr::Unseen => {
                        view.messages.iter().filter(|m| !m.flags.contains(&Flag::Seen)).count() as u32
                    }
                };
                (item, value)
            })
            .collect();
        self.respond(Response::Data(Data::Status { mailbox: mailbox.clone(), items: values }));
        self.ok(tag, name);
    }

    /// Sets `\Seen` on a message of a read-write mailbox; whether the flags changed.
    pub(super) async fn mark_seen(&mut self, info: &mut MessageInfo) -> bool {
        let Some(selected) = &self.selected else { return false };
        if selected.read_only || info.flags.contains(&Flag::Seen) {
            return false;
        }
        let mut flags = info.flags.clone();
        flags.push(Flag::Seen);
        let (user, mailbox) = (self.user_name(), selected.mailbox.clone());
        if self.store.set_flags(&user, &mailbox, info.uid, &flags).await.is_err() {
            return false;
        }
        info.flags = flags.clone();
        self.set_cached_flags(info.uid, flags);
        true
    }

    fn set_cached_flags(&mut self, uid: u32, flags: Vec<Flag>) {
        if let Some(selected) = &mut self.selected
            && let Ok(i) = selected.view.messages.binary_search_by_key(&uid, |m| m.uid)
            && let Some(message) = selected.view.messages.get_mut(i)
        {
            message.flags = flags;
        }
    }

    pub(super) async fn store_flags(
        &mut self,
        tag: &Tag,
        uid: bool,
        set: &SequenceSet,
        mode: StoreMode,
        silent: bool,
        flags: &[Flag],
    ) {
        let name = if uid { "UID STORE" } else { "STORE" };
        let Some(selected) = self.selected.clone() else { return };
        if selected.read_only {
            return self.done(tag, name, StatusKind::No, Some(Code::ReadOnly), text::READ_ONLY);
        }
        if let Some(flag) = flags.iter().find(|f| matches!(f, Flag::Extension(_))) {
            let text = format!("Flag {} cannot be stored", flag.name());
            return self.done(tag, name, StatusKind::Bad, None, &text);
        }
        let user = self.user_name();
        for seq in self.matching(uid, set) {
            let Some(info) = self.message(seq) else { continue };
            let mut new: Vec<Flag> = match mode {
                StoreMode::Replace => Vec::new(),
                StoreMode::Add | StoreMode::Remove => info.flags.clone(),
            };
            match mode {
                StoreMode::Replace | StoreMode::Add => {
                    for flag in flags {
                        if !new.contains(flag) {
                            new.push(flag.clone());
                        }
                    }
                }
                StoreMode::Remove => new.retain(|f| !flags.contains(f)),
            }
            if let Err(error) = self.store.set_flags(&user, &selected.mailbox, info.uid, &new).await {
                return self.store_error(tag, name, error);
            }
            self.set_cached_flags(info.uid, new.clone());
            if !silent {
                let mut items = vec![FetchItem::Flags(new)];
                if uid {
                    items.insert(0, FetchItem::Uid(info.uid));
                }
                self.respond(Response::Data(Data::Fetch { seq, items }));
            }
        }
        self.changed(&selected.mailbox);
        self.ok(tag, name);
    }

    pub(super) async fn expunge(&mut self, tag: &Tag) {
        let name = "EXPUNGE";
        let Some(selected) = self.selected.clone() else { return };
        if selected.read_only {
            return self.done(tag, name, StatusKind::No, Some(Code::ReadOnly), text::READ_ONLY);
        }
        if let Err(error) = self.store.expunge(&self.user_name(), &selected.mailbox).await {
            return self.store_error(tag, name, error);
        }
        self.sync_mailbox().await;
        self.changed(&selected.mailbox);
        self.ok(tag, name);
    }

    pub(super) async fn close_mailbox(&mut self, tag: &Tag) {
        let name = "CLOSE";
        if let Some(selected) = self.selected.take()
            && !selected.read_only
        {
            // CLOSE expunges silently; a store failure still closes the mailbox.
            if self.store.expunge(&self.user_name(), &selected.mailbox).await.is_ok_and(|gone| !gone.is_empty()) {
                self.changed(&selected.mailbox);
            }
        }
        self.ok(tag, name);
    }

    pub(super) async fn append(
        &mut self,
        tag: &Tag,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        object: Vec<u8>,
    ) {
        let name = "APPEND";
        if let Some(flag) = flags.iter().find(|f| matches!(f, Flag::Extension(_))) {
            let text = format!("Flag {} cannot be stored", flag.name());
            return self.done(tag, name, StatusKind::Bad, None, &text);
        }
        let user = self.user_name();
        match self.store.append(&user, mailbox, flags, date, object).await {
            Ok(uid) => {
                if self.selected.as_ref().is_some_and(|s| &s.mailbox == mailbox) {
                    self.sync_mailbox().await;
                }
                // UIDPLUS: the new message's UID, unless the mailbox vanished meanwhile.
                let code =
                    self.store.uid_validity(&user, mailbox).await.ok().map(|validity| Code::AppendUid(validity, uid));
                self.changed(mailbox);
                self.done(tag, name, StatusKind::Ok, code, "APPEND completed");
            }
            Err(crate::error::DmapError::NoSuchMailbox) => {
                self.done(tag, name, StatusKind::No, Some(Code::TryCreate), "No such mailbox");
            }
            Err(error) => self.store_error(tag, name, error),
        }
    }

    /// Compares the store's view of the selected mailbox with what the client was told, and
    /// sends the differences: `EXPUNGE` (highest sequence number first, so no number shifts
    /// under the client), `FETCH (FLAGS ...)` for changed flags, then `EXISTS`. Both views are
    /// in UID order, so this is one store call and O(n log n) work for n messages.
    ///
    /// A mailbox whose UIDVALIDITY changed (an `INBOX` renamed, by this session or another, is
    /// an empty `INBOX` with a new UIDVALIDITY) is a new mailbox under the same name: every
    /// message the client knew is expunged (highest first), then `* OK [UIDVALIDITY n]`, then
    /// `EXISTS` if the new mailbox has messages (RFC 3501 §2.3.1.1).
    pub(super) async fn sync_mailbox(&mut self) {
        let Some(mailbox) = self.selected.as_ref().map(|s| s.mailbox.clone()) else { return };
        let Ok(mut fresh) = self.store.mailbox(&self.user_name(), &mailbox).await else { return };
        by_uid(&mut fresh.messages);
        let Some(selected) = &mut self.selected else { return };
        if fresh.uid_validity != selected.view.uid_validity {
            let known = selected.view.messages.len() as u32;
            let (validity, count) = (fresh.uid_validity.max(1), fresh.messages.len() as u32);
            selected.view = fresh;
            for seq in (1..=known).rev() {
                self.respond(Response::Data(Data::Expunge(seq)));
            }
            self.untagged_ok(Code::UidValidity(validity), "UIDs valid");
            if count > 0 {
                self.respond(Response::Data(Data::Exists(count)));
            }
            return;
        }
        let refreshed = refresh(&mut selected.view, fresh);
        for data in refreshed.changes {
            self.respond(Response::Data(data));
        }
    }
}

/// Sorts messages by UID and drops repeated UIDs (a store's promise, made certain). Linear for
/// messages already in order.
fn by_uid(messages: &mut Vec<MessageInfo>) {
    messages.sort_by_key(|m| m.uid);
    messages.dedup_by_key(|m| m.uid);
}

/// What [`refresh`] found.
pub(crate) struct Refreshed {
    /// The untagged data that tells the client.
    pub changes: Vec<Data>,
    /// UIDs compared while looking old messages up in the fresh view (the work done; tests
    /// check it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub comparisons: usize,
}

/// Brings `current` (what the client was told, in UID order) up to `fresh` (the store's view,
/// in UID order) and returns the untagged data that tells the client: `EXPUNGE` highest
/// sequence number first, `FETCH (FLAGS ...)` for changed flags, then `EXISTS` if messages
/// arrived. Each old message is looked up in `fresh` by binary search: O(n log n).
pub(crate) fn refresh(current: &mut MailboxView, fresh: MailboxView) -> Refreshed {
    let mut changes = Vec::new();
    let comparisons = core::cell::Cell::new(0usize);
    let find = |uid: u32| {
        fresh
            .messages
            .binary_search_by_key(&uid, |m| {
                comparisons.set(comparisons.get() + 1);
                m.uid
            })
            .ok()
    };
    let found: Vec<Option<usize>> = current.messages.iter().map(|m| find(m.uid)).collect();
    let gone = (1u32..).zip(&found).filter(|(_, f)| f.is_none()).map(|(seq, _)| seq);
    changes.extend(gone.collect::<Vec<_>>().into_iter().rev().map(Data::Expunge));
    let mut kept = found.into_iter();
    current.messages.retain(|_| kept.next().flatten().is_some());
    let known_max = current.messages.last().map_or(0, |m| m.uid);
    for (seq, message) in (1u32..).zip(current.messages.iter_mut()) {
        let Some(now) = find(message.uid).and_then(|i| fresh.messages.get(i)) else { continue };
        if now.flags != message.flags {
            message.flags = now.flags.clone();
            changes.push(Data::Fetch { seq, items: vec![FetchItem::Flags(now.flags.clone())] });
        }
    }
    let first_new = fresh.messages.partition_point(|m| {
        comparisons.set(comparisons.get() + 1);
        m.uid <= known_max
    });
    let before = current.messages.len();
    current.messages.extend(fresh.messages.get(first_new..).unwrap_or_default().iter().cloned());
    if current.messages.len() != before {
        changes.push(Data::Exists(current.messages.len() as u32));
    }
    current.uid_next = fresh.uid_next;
    current.uid_validity = fresh.uid_validity;
    Refreshed { changes, comparisons: comparisons.get() }
}

/// Whether `name` matches a LIST pattern: `*` matches any run of characters, `%` any run
/// without the hierarchy delimiter. Dynamic programming over the pattern, so the work is
/// bounded by `pattern.len() × name.len()` whatever the pattern; a pattern with more literal
/// characters than `name` has is refused at once. Give it a [`simplified`] pattern to keep
/// `pattern.len()` below about twice the name's length.
pub(super) fn matches(pattern: &[u8], name: &[u8]) -> bool {
    if pattern.iter().filter(|&&p| p != b'*' && p != b'%').count() > name.len() {
        return false;
    }
    // reachable[j]: the pattern prefix read so far can match name[..j].
    let mut reachable = vec![false; name.len() + 1];
    let mut next = vec![false; name.len() + 1];
    reachable[0] = true;
    for &p in pattern {
        next.fill(false);
        match p {
            b'*' | b'%' => {
                let mut open = false;
                for j in 0..=name.len() {
                    open |= reachable[j];
                    next[j] = open;
                    if p == b'%' && name.get(j) == Some(&DELIMITER) {
                        open = false;
                    }
                }
            }
            _ => {
                for j in 0..name.len() {
                    next[j + 1] = reachable[j] && name[j] == p;
                }
            }
        }
        core::mem::swap(&mut reachable, &mut next);
    }
    reachable[name.len()]
}

/// `pattern` with every run of wildcards made one: `*` when the run holds a `*`, else `%`
/// (`%%` matches what `%` does, `%*` and `*%` what `*` does). The same names match.
pub(super) fn simplified(pattern: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(pattern.len());
    for &p in pattern {
        match (p, out.last_mut()) {
            (b'*' | b'%', Some(last @ (b'*' | b'%'))) => {
                if p == b'*' {
                    *last = b'*';
                }
            }
            _ => out.push(p),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_patterns() {
        assert!(matches(b"*", b"INBOX"));
        assert!(matches(b"*", b"a/b/c"));
        assert!(matches(b"%", b"INBOX"));
        assert!(!matches(b"%", b"a/b"));
        assert!(matches(b"a/%", b"a/b"));
        assert!(matches(b"IN*X", b"INBOX"));
        assert!(!matches(b"INBOX", b"INBOXES"));
        assert!(matches(b"", b""));
        assert!(!matches(b"x", b""));
        let long = vec![b'*'; 4000];
        assert!(matches(&long, b"abc"), "many stars stay linear per name");
        assert!(!matches(&[b'x'; 8000], b"abc"), "more literals than the name has");
    }

    #[test]
    fn simplified_patterns_match_the_same_names() {
        assert_eq!(simplified(b"a%%b*%c%*d**"), b"a%b*c*d*");
        assert_eq!(simplified(b"%"), b"%");
        let patterns: [&[u8]; 6] = [b"%%", b"a/%*", b"*%/c", b"%/%%", b"a%*%b", b"%%/%"];
        for pattern in patterns {
            for name in [&b"a/b/c"[..], b"a", b"ab/c", b"a/b", b"a/xb", b""] {
                assert_eq!(matches(pattern, name), matches(&simplified(pattern), name), "{pattern:?} {name:?}");
            }
        }
        let long: Vec<u8> = b"%*".iter().copied().cycle().take(8000).collect();
        assert_eq!(simplified(&long), b"*");
    }

    fn info(uid: u32, flags: Vec<Flag>) -> MessageInfo {
        MessageInfo { uid, flags, internal_date: DateTime::UNIX_EPOCH, size: 0 }
    }

    fn view(messages: Vec<MessageInfo>) -> MailboxView {
        MailboxView { uid_validity: 1, uid_next: messages.last().map_or(1, |m| m.uid + 1), messages }
    }

    #[test]
    fn refresh_reports_expunges_flags_and_arrivals() {
        let mut current = view((1..=5).map(|uid| info(uid, vec![])).collect());
        let fresh = view(vec![info(1, vec![]), info(3, vec![Flag::Seen]), info(5, vec![]), info(6, vec![])]);
        let refreshed = refresh(&mut current, fresh.clone());
        assert_eq!(
            refreshed.changes,
            vec![
                Data::Expunge(4),
                Data::Expunge(2),
                Data::Fetch { seq: 2, items: vec![FetchItem::Flags(vec![Flag::Seen])] },
                Data::Exists(4),
            ]
        );
        assert_eq!(current, fresh);
    }

    /// A refresh of a large mailbox does O(n log n) UID comparisons, not the n²/2 of a linear
    /// search per message (5 × 10⁹ here).
    #[test]
    fn refresh_of_a_large_mailbox_is_n_log_n() {
        let n = 100_000u32;
        let mut current = view((1..=n).map(|uid| info(uid, vec![])).collect());
        let mut fresh = current.clone();
        fresh.messages.retain(|m| m.uid % 1000 != 0);
        fresh.messages.push(info(n + 1, vec![]));
        let refreshed = refresh(&mut current, fresh.clone());
        assert_eq!(refreshed.changes.len(), 100 + 1);
        let bound = 2 * n as usize * (n.ilog2() as usize + 2);
        eprintln!("refresh of {n} messages: {} UID comparisons", refreshed.comparisons);
        assert!(refreshed.comparisons <= bound, "{} comparisons, bound {bound}", refreshed.comparisons);
        assert_eq!(current, fresh);
    }
}
