//! Mailbox commands on the server: LIST, SELECT, EXAMINE, STATUS, FETCH, STORE, EXPUNGE,
//! CLOSE, APPEND, and the untagged updates sent on NOOP and during IDLE.

use super::{DELIMITER, Selected, ServerSession, text};
use crate::codec::{
    Code, Data, DateTime, FetchAttr, FetchItem, Flag, Mailbox, Response, SequenceSet, Status, StatusAttr, StatusKind,
    StoreMode, Tag,
};
use crate::store::{MailboxView, MessageInfo, Store};

impl<S: Store> ServerSession<S> {
    fn user_name(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    pub(super) fn list(&mut self, tag: &Tag, reference: &str, pattern: &str) {
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
        let mailboxes = match self.store.mailboxes(&user) {
            Ok(mailboxes) => mailboxes,
            Err(error) => return self.store_error(tag, name, error),
        };
        let full = format!("{reference}{pattern}");
        for mailbox in mailboxes.into_iter().filter(|m| matches(full.as_bytes(), m.as_str().as_bytes())) {
            self.respond(Response::Data(Data::List {
                attributes: vec!["\\HasNoChildren".into()],
                delimiter: Some(DELIMITER),
                mailbox,
            }));
        }
        self.ok(tag, name);
    }

    pub(super) fn select(&mut self, tag: &Tag, mailbox: Mailbox, read_only: bool) {
        let name = if read_only { "EXAMINE" } else { "SELECT" };
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
        self.selected = None;
        let user = self.user_name();
        let view = match self.store.mailbox(&user, &mailbox) {
            Ok(view) => view,
            Err(error) => return self.store_error(tag, name, error),
        };
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

    pub(super) fn mailbox_status(&mut self, tag: &Tag, mailbox: &Mailbox, items: &[StatusAttr]) {
        let name = "STATUS";
        let user = self.user_name();
        let view = match self.store.mailbox(&user, mailbox) {
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

    /// Sequence numbers (1-based) of the selected messages in `set`.
    fn matching(&self, uid: bool, set: &SequenceSet) -> Vec<u32> {
        let Some(selected) = &self.selected else { return Vec::new() };
        let messages = &selected.view.messages;
        let largest = if uid { messages.last().map_or(0, |m| m.uid) } else { messages.len() as u32 };
        (1..=messages.len() as u32)
            .zip(messages)
            .filter(|(seq, message)| set.contains(if uid { message.uid } else { *seq }, largest))
            .map(|(seq, _)| seq)
            .collect()
    }

    fn message(&self, seq: u32) -> Option<MessageInfo> {
        self.selected.as_ref()?.view.messages.get((seq as usize).checked_sub(1)?).cloned()
    }

    pub(super) fn fetch(&mut self, tag: &Tag, uid: bool, set: &SequenceSet, items: &[FetchAttr]) {
        let name = if uid { "UID FETCH" } else { "FETCH" };
        let Some(selected) = self.selected.clone() else { return };
        let user = self.user_name();
        for seq in self.matching(uid, set) {
            let Some(mut info) = self.message(seq) else { continue };
            let mut out = Vec::new();
            if uid && !items.contains(&FetchAttr::Uid) {
                out.push(FetchItem::Uid(info.uid));
            }
            let mut flags_changed = false;
            for item in items {
                match *item {
                    FetchAttr::Uid => out.push(FetchItem::Uid(info.uid)),
                    FetchAttr::Flags => out.push(FetchItem::Flags(info.flags.clone())),
                    FetchAttr::InternalDate => out.push(FetchItem::InternalDate(info.internal_date)),
                    FetchAttr::Rfc822Size => out.push(FetchItem::Rfc822Size(info.size)),
                    FetchAttr::Body { peek, partial } => {
                        let object = match self.store.object(&user, &selected.mailbox, info.uid) {
                            Ok(object) => object,
                            Err(error) => return self.store_error(tag, name, error),
                        };
                        let (origin, data) = match partial {
                            Some((start, count)) => {
                                let start_at = (start as usize).min(object.len());
                                let end = start_at.saturating_add(count as usize).min(object.len());
                                (Some(start), object.get(start_at..end).unwrap_or_default().to_vec())
                            }
                            None => (None, object),
                        };
                        out.push(FetchItem::Body { origin, data: Some(data) });
                        flags_changed |= !peek && self.mark_seen(&mut info);
                    }
                    FetchAttr::Rfc822 => {
                        let object = match self.store.object(&user, &selected.mailbox, info.uid) {
                            Ok(object) => object,
                            Err(error) => return self.store_error(tag, name, error),
                        };
                        out.push(FetchItem::Rfc822(Some(object)));
                        flags_changed |= self.mark_seen(&mut info);
                    }
                }
            }
            if flags_changed && !items.contains(&FetchAttr::Flags) {
                out.push(FetchItem::Flags(info.flags.clone()));
            }
            self.respond(Response::Data(Data::Fetch { seq, items: out }));
        }
        self.ok(tag, name);
    }

    /// Sets `\Seen` on a message of a read-write mailbox; whether the flags changed.
    fn mark_seen(&mut self, info: &mut MessageInfo) -> bool {
        let Some(selected) = &self.selected else { return false };
        if selected.read_only || info.flags.contains(&Flag::Seen) {
            return false;
        }
        let mut flags = info.flags.clone();
        flags.push(Flag::Seen);
        let (user, mailbox) = (self.user_name(), selected.mailbox.clone());
        if self.store.set_flags(&user, &mailbox, info.uid, &flags).is_err() {
            return false;
        }
        info.flags = flags.clone();
        self.set_cached_flags(info.uid, flags);
        true
    }

    fn set_cached_flags(&mut self, uid: u32, flags: Vec<Flag>) {
        if let Some(selected) = &mut self.selected
            && let Some(message) = selected.view.messages.iter_mut().find(|m| m.uid == uid)
        {
            message.flags = flags;
        }
    }

    pub(super) fn store_flags(
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
            if let Err(error) = self.store.set_flags(&user, &selected.mailbox, info.uid, &new) {
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
        self.ok(tag, name);
    }

    pub(super) fn expunge(&mut self, tag: &Tag) {
        let name = "EXPUNGE";
        let Some(selected) = self.selected.clone() else { return };
        if selected.read_only {
            return self.done(tag, name, StatusKind::No, Some(Code::ReadOnly), text::READ_ONLY);
        }
        if let Err(error) = self.store.expunge(&self.user_name(), &selected.mailbox) {
            return self.store_error(tag, name, error);
        }
        self.sync_mailbox();
        self.ok(tag, name);
    }

    pub(super) fn close_mailbox(&mut self, tag: &Tag) {
        let name = "CLOSE";
        if let Some(selected) = self.selected.take()
            && !selected.read_only
        {
            // CLOSE expunges silently; a store failure still closes the mailbox.
            let _ = self.store.expunge(&self.user_name(), &selected.mailbox);
        }
        self.ok(tag, name);
    }

    pub(super) fn append(
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
        match self.store.append(&self.user_name(), mailbox, flags, date, object) {
            Ok(_) => {
                if self.selected.as_ref().is_some_and(|s| &s.mailbox == mailbox) {
                    self.sync_mailbox();
                }
                self.ok(tag, name);
            }
            Err(crate::error::DmapError::NoSuchMailbox) => {
                self.done(tag, name, StatusKind::No, Some(Code::TryCreate), "No such mailbox");
            }
            Err(error) => self.store_error(tag, name, error),
        }
    }

    /// Compares the store's view of the selected mailbox with what the client was told, and
    /// sends the differences: `EXPUNGE` (highest sequence number first, so no number shifts
    /// under the client), `FETCH (FLAGS ...)` for changed flags, then `EXISTS`.
    pub(super) fn sync_mailbox(&mut self) {
        let Some(selected) = self.selected.clone() else { return };
        let Ok(fresh) = self.store.mailbox(&self.user_name(), &selected.mailbox) else { return };
        let mut current: MailboxView = selected.view.clone();
        for seq in (1..=current.messages.len()).rev() {
            let Some(old) = current.messages.get(seq - 1) else { continue };
            if !fresh.messages.iter().any(|m| m.uid == old.uid) {
                current.messages.remove(seq - 1);
                self.respond(Response::Data(Data::Expunge(seq as u32)));
            }
        }
        let known_max = current.messages.last().map_or(0, |m| m.uid);
        for (seq, message) in (1u32..).zip(current.messages.iter_mut()) {
            if let Some(now) = fresh.messages.iter().find(|m| m.uid == message.uid)
                && now.flags != message.flags
            {
                message.flags = now.flags.clone();
                let items = vec![FetchItem::Flags(now.flags.clone())];
                self.respond(Response::Data(Data::Fetch { seq, items }));
            }
        }
        let before = current.messages.len();
        current.messages.extend(fresh.messages.iter().filter(|m| m.uid > known_max).cloned());
        if current.messages.len() != before {
            self.respond(Response::Data(Data::Exists(current.messages.len() as u32)));
        }
        current.uid_next = fresh.uid_next;
        current.uid_validity = fresh.uid_validity;
        if let Some(selected) = &mut self.selected {
            selected.view = current;
        }
    }
}

/// Whether `name` matches a LIST pattern: `*` matches any run of characters, `%` any run
/// without the hierarchy delimiter. Dynamic programming over the pattern, so the work is
/// bounded by `pattern.len() × name.len()` whatever the pattern.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    // reachable[j]: the pattern prefix read so far can match name[..j].
    let mut reachable = vec![false; name.len() + 1];
    reachable[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
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
        reachable = next;
    }
    reachable[name.len()]
}

#[cfg(test)]
mod tests {
    use super::matches;

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
    }
}
