//! Mailbox commands on the server: LIST, SELECT, EXAMINE, STATUS, FETCH, STORE, EXPUNGE,
//! CLOSE, APPEND, and the untagged updates sent on NOOP and during IDLE.

use super::index::{Index, Merge, Walk};
use super::list::Listing;
use super::{DELIMITER, Selected, ServerSession, text};
use crate::codec::{
    Code, Data, DateTime, FetchItem, Flag, Mailbox, Response, SequenceSet, Status, StatusAttr, StatusKind, StoreMode,
    Tag,
};
use crate::store::{MessageInfo, Store};

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
        // The index is built page by page; only UIDs and flag fingerprints are kept. A page
        // of another UIDVALIDITY (the mailbox replaced meanwhile) starts the listing again.
        let mut attempts = 0;
        let (index, first_unseen) = loop {
            let mut walk = Walk::new(self.config.limits.index_page);
            let mut index: Option<Index> = None;
            let mut first_unseen = None;
            let replaced = loop {
                let page = match walk.next(&self.store, &user, &mailbox).await {
                    Ok(Some(page)) => page,
                    Ok(None) => break false,
                    Err(error) => return self.store_error(tag, name, error),
                };
                let index = index.get_or_insert_with(|| Index::new(page.uid_validity, page.uid_next));
                if page.uid_validity != index.uid_validity {
                    break true;
                }
                index.uid_next = page.uid_next;
                for info in &page.messages {
                    index.push(info);
                    if first_unseen.is_none() && !info.flags.contains(&Flag::Seen) {
                        first_unseen = index.seq(info.uid);
                    }
                }
            };
            attempts += 1;
            if !replaced || attempts == 3 {
                let mut index = index.unwrap_or_default();
                index.shrink();
                break (index, first_unseen);
            }
        };
        self.respond(Response::Data(Data::Flags(Flag::SYSTEM.to_vec())));
        self.respond(Response::Data(Data::Exists(index.len())));
        self.respond(Response::Data(Data::Recent(0)));
        if let Some(first) = first_unseen {
            self.untagged_ok(Code::Unseen(first), "First unseen");
        }
        let permanent = if read_only {
            Code::PermanentFlags { flags: Vec::new(), keywords: false }
        } else {
            Code::PermanentFlags { flags: Flag::SYSTEM.to_vec(), keywords: true }
        };
        self.untagged_ok(permanent, "Flags that persist");
        self.untagged_ok(Code::UidValidity(index.uid_validity.max(1)), "UIDs valid");
        self.untagged_ok(Code::UidNext(index.uid_next.max(1)), "Predicted next UID");
        self.selected = Some(Selected { mailbox, read_only, index });
        let code = if read_only { Code::ReadOnly } else { Code::ReadWrite };
        self.done(tag, name, StatusKind::Ok, Some(code), &format!("{name} completed"));
    }

    fn untagged_ok(&mut self, code: Code, text: &str) {
        self.respond(Response::Status(Status::untagged(StatusKind::Ok, Some(code), text)));
    }

    pub(super) async fn mailbox_status(&mut self, tag: &Tag, mailbox: &Mailbox, items: &[StatusAttr]) {
        let name = "STATUS";
        let user = self.user_name();
        // Counted page by page; nothing of the mailbox is kept.
        let (mut messages, mut unseen, mut counters) = (0u32, 0u32, None);
        let mut walk = Walk::new(self.config.limits.index_page);
        loop {
            match walk.next(&self.store, &user, mailbox).await {
                Ok(Some(page)) => {
                    messages = messages.saturating_add(page.messages.len() as u32);
                    let unread = page.messages.iter().filter(|m| !m.flags.contains(&Flag::Seen)).count();
                    unseen = unseen.saturating_add(unread as u32);
                    counters = Some((page.uid_validity, page.uid_next));
                }
                Ok(None) => break,
                Err(error) => return self.store_error(tag, name, error),
            }
        }
        let (uid_validity, uid_next) = counters.unwrap_or_default();
        let values = items
            .iter()
            .map(|&item| {
                let value = match item {
                    StatusAttr::Messages => messages,
                    StatusAttr::Recent => 0,
                    StatusAttr::UidNext => uid_next,
                    StatusAttr::UidValidity => uid_validity,
                    StatusAttr::Unseen => unseen,
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
        info.flags = flags;
        true
    }

    /// Records that the client was told `flags` of `uid`, so no change report repeats them.
    pub(super) fn reported(&mut self, uid: u32, flags: &[Flag]) {
        if let Some(selected) = &mut self.selected {
            selected.index.reported(uid, flags);
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
        let limit = self.config.limits.index_page.max(1);
        // A page of the matched messages at a time: their flags now, then one write each.
        let mut from = 1;
        loop {
            let (page, next) = match &self.selected {
                Some(s) => s.index.matches(uid, set, from, limit),
                None => return,
            };
            if page.is_empty() {
                break;
            }
            from = next;
            let uids: Vec<u32> = page.iter().map(|&(_, u)| u).collect();
            let infos = match self.store.messages(&user, &selected.mailbox, &uids).await {
                Ok(infos) => infos,
                Err(error) => return self.store_error(tag, name, error),
            };
            // Both in UID order; a message the store no longer has ends the command. The page's
            // new flags are written together, one store write per page.
            let mut infos = infos.into_iter().peekable();
            let (mut seqs, mut writes) = (Vec::with_capacity(page.len()), Vec::with_capacity(page.len()));
            for (seq, wanted) in page {
                let Some(info) = infos.next_if(|info| info.uid == wanted) else {
                    return self.store_error(tag, name, crate::error::DmapError::NoSuchMessage);
                };
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
                seqs.push(seq);
                writes.push((info.uid, new));
            }
            if let Err(error) = self.store.set_flags_many(&user, &selected.mailbox, &writes).await {
                return self.store_error(tag, name, error);
            }
            for (seq, (message, new)) in seqs.into_iter().zip(writes) {
                self.reported(message, &new);
                if !silent {
                    let mut items = vec![FetchItem::Flags(new)];
                    if uid {
                        items.insert(0, FetchItem::Uid(message));
                    }
                    self.respond(Response::Data(Data::Fetch { seq, items }));
                }
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

    /// Compares the store's listing of the selected mailbox, page by page, with what the client
    /// was told, and sends the differences: `EXPUNGE` (highest sequence number first, so no
    /// number shifts under the client), `FETCH (FLAGS ...)` for changed flags, then `EXISTS`.
    /// Both are in UID order, so this is one pass over the mailbox ([`Merge`]).
    ///
    /// A mailbox whose UIDVALIDITY changed (an `INBOX` renamed, by this session or another, is
    /// an empty `INBOX` with a new UIDVALIDITY) is a new mailbox under the same name: every
    /// message the client knew is expunged (highest first), then `* OK [UIDVALIDITY n]`, then
    /// `EXISTS` if the new mailbox has messages (RFC 3501 §2.3.1.1). A store error reports
    /// nothing and changes nothing.
    pub(super) async fn sync_mailbox(&mut self) {
        let Some(selected) = &self.selected else { return };
        let (mailbox, user) = (selected.mailbox.clone(), self.user_name());
        // A UIDVALIDITY that changes part-way starts the comparison again, as a reset.
        for _ in 0..3 {
            let Some(selected) = &self.selected else { return };
            let old = &selected.index;
            let mut walk = Walk::new(self.config.limits.index_page);
            let mut merge: Option<(Merge, u32)> = None;
            let replaced = loop {
                let page = match walk.next(&self.store, &user, &mailbox).await {
                    Ok(Some(page)) => page,
                    Ok(None) => break false,
                    Err(_) => return,
                };
                let (merge, validity) = merge
                    .get_or_insert_with(|| (Merge::new(old, page.uid_validity != old.uid_validity), page.uid_validity));
                if page.uid_validity != *validity {
                    break true;
                }
                merge.page(old, &page);
            };
            if replaced {
                continue;
            }
            let Some((merge, validity)) = merge else { return };
            let (index, updates) = merge.finish(old, validity);
            let renewed = index.uid_validity != old.uid_validity;
            if let Some(selected) = &mut self.selected {
                selected.index = index;
            }
            for data in updates.expunged {
                self.respond(Response::Data(data));
            }
            if renewed {
                self.untagged_ok(Code::UidValidity(validity.max(1)), "UIDs valid");
            }
            for data in updates.changed.into_iter().chain(updates.exists) {
                self.respond(Response::Data(data));
            }
            return;
        }
    }
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
}
