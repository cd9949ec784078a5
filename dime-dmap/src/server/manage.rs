//! Mailbox management on the server: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LSUB
//! (`docs/dmap.md` §5).

use super::ServerSession;
use super::list::{Listing, depth, hierarchy_size};
use crate::codec::{Code, Mailbox, StatusKind, Tag};
use crate::error::DmapError;
use crate::store::{Store, renamed};

/// Longest mailbox name a client may create, in octets.
pub const MAX_MAILBOX_NAME: usize = 1024;

/// The name a new mailbox gets: `name` without one trailing delimiter, or why it is refused.
/// A name is refused when it is empty, starts with the delimiter, holds an empty level
/// (`a//b`), a wildcard (`*`, `%`), or is longer than [`MAX_MAILBOX_NAME`] octets.
pub fn new_name(name: &Mailbox) -> Result<Mailbox, &'static str> {
    let text = name.as_str();
    let text = text.strip_suffix('/').unwrap_or(text);
    let bad = text.is_empty()
        || text.len() > MAX_MAILBOX_NAME
        || text.split('/').any(str::is_empty)
        || text.contains(['*', '%']);
    if bad { Err("Invalid mailbox name") } else { Ok(Mailbox::new(text)) }
}

/// Why one of `names` is refused: more than `max_depth` levels, or longer than
/// [`MAX_MAILBOX_NAME`] octets (a renamed inferior `from/x` becomes `to/x`, so a RENAME can
/// lengthen and deepen names it does not name). The texts are `docs/dmap.md` §9's.
fn over_name_limits(names: &[Mailbox], max_depth: usize) -> Option<String> {
    if names.iter().any(|m| depth(m.as_str()) > max_depth) {
        return Some(format!("Mailbox names may have at most {max_depth} levels"));
    }
    if names.iter().any(|m| m.as_str().len() > MAX_MAILBOX_NAME) {
        return Some(format!("Mailbox names may have at most {MAX_MAILBOX_NAME} octets"));
    }
    None
}

/// The superiors of `name` (`a` and `a/b` for `a/b/c`), outermost first.
fn superiors(name: &Mailbox) -> Vec<Mailbox> {
    let text = name.as_str();
    text.match_indices('/').map(|(i, _)| Mailbox::new(&text[..i])).collect()
}

impl<S: Store> ServerSession<S> {
    /// The user's mailboxes, or the store's refusal already answered.
    async fn existing(&mut self, tag: &Tag, name: &'static str) -> Option<Vec<Mailbox>> {
        match self.store.mailboxes(&self.current_user()).await {
            Ok(mailboxes) => Some(mailboxes),
            Err(error) => {
                self.store_error(tag, name, error);
                None
            }
        }
    }

    /// Creates each missing superior of `name`; whether all exist afterwards.
    async fn create_superiors(
        &mut self,
        tag: &Tag,
        command: &'static str,
        name: &Mailbox,
        existing: &[Mailbox],
    ) -> bool {
        let user = self.current_user();
        for superior in superiors(name).iter().filter(|s| !existing.contains(s)) {
            match self.store.create_mailbox(&user, superior).await {
                Ok(()) | Err(DmapError::MailboxExists) => {}
                Err(error) => {
                    self.store_error(tag, command, error);
                    return false;
                }
            }
        }
        true
    }

    /// Refuses (and answers) a command that gives the account the mailboxes `after` (any
    /// order), of which `new` are new names, when a new name would pass
    /// [`SessionLimits::max_mailbox_depth`] levels or [`MAX_MAILBOX_NAME`] octets or the
    /// hierarchy would pass [`SessionLimits::max_mailboxes`] names (placeholders count:
    /// `docs/dmap.md` §5).
    ///
    /// [`SessionLimits::max_mailboxes`]: crate::SessionLimits::max_mailboxes
    /// [`SessionLimits::max_mailbox_depth`]: crate::SessionLimits::max_mailbox_depth
    fn over_mailbox_limits(
        &mut self,
        tag: &Tag,
        command: &'static str,
        mut after: Vec<Mailbox>,
        new: &[Mailbox],
    ) -> bool {
        let limits = self.config.limits;
        let text = if let Some(text) = over_name_limits(new, limits.max_mailbox_depth) {
            text
        } else {
            after.sort();
            after.dedup();
            if hierarchy_size(&after) <= limits.max_mailboxes {
                return false;
            }
            format!("An account may have at most {} mailboxes", limits.max_mailboxes)
        };
        self.done(tag, command, StatusKind::No, Some(Code::Limit), &text);
        true
    }

    pub(super) async fn create(&mut self, tag: &Tag, mailbox: &Mailbox) {
        let name = "CREATE";
        let mailbox = match new_name(mailbox) {
            Ok(mailbox) => mailbox,
            Err(text) => return self.done(tag, name, StatusKind::No, Some(Code::Cannot), text),
        };
        let Some(existing) = self.existing(tag, name).await else { return };
        if existing.contains(&mailbox) {
            return self.store_error(tag, name, DmapError::MailboxExists);
        }
        let mut after = existing.clone();
        after.push(mailbox.clone());
        if self.over_mailbox_limits(tag, name, after, core::slice::from_ref(&mailbox)) {
            return;
        }
        if !self.create_superiors(tag, name, &mailbox, &existing).await {
            return;
        }
        match self.store.create_mailbox(&self.current_user(), &mailbox).await {
            Ok(()) => self.ok(tag, name),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn delete(&mut self, tag: &Tag, mailbox: &Mailbox) {
        let name = "DELETE";
        match self.store.delete_mailbox(&self.current_user(), mailbox).await {
            Ok(()) => self.ok(tag, name),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn rename(&mut self, tag: &Tag, from: &Mailbox, to: &Mailbox) {
        let name = "RENAME";
        let to = match new_name(to) {
            Ok(to) => to,
            Err(text) => return self.done(tag, name, StatusKind::No, Some(Code::Cannot), text),
        };
        let Some(existing) = self.existing(tag, name).await else { return };
        if !existing.contains(from) {
            return self.store_error(tag, name, DmapError::NoSuchMailbox);
        }
        if existing.contains(&to) {
            return self.store_error(tag, name, DmapError::MailboxExists);
        }
        // Renaming INBOX moves its messages to `to` and leaves an empty INBOX and its
        // inferiors; any other mailbox takes its inferiors along.
        let new: Vec<Mailbox> = match *from == Mailbox::inbox() {
            true => vec![to.clone()],
            false => existing.iter().filter_map(|m| renamed(m, from, &to)).collect(),
        };
        let kept = existing.iter().filter(|m| *from == Mailbox::inbox() || renamed(m, from, &to).is_none());
        let after: Vec<Mailbox> = kept.chain(&new).cloned().collect();
        if self.over_mailbox_limits(tag, name, after, &new) {
            return;
        }
        if renamed(&to, from, from).is_none() && !self.create_superiors(tag, name, &to, &existing).await {
            return;
        }
        match self.store.rename_mailbox(&self.current_user(), from, &to).await {
            Ok(()) => {
                // The selected mailbox keeps being selected under its new name; a renamed INBOX
                // stays selected as the (now empty) INBOX.
                if let Some(selected) = &mut self.selected
                    && *from != Mailbox::inbox()
                    && let Some(new) = renamed(&selected.mailbox, from, &to)
                {
                    selected.mailbox = new;
                }
                if *from == Mailbox::inbox() {
                    // The INBOX left behind is a new mailbox: a client that has it selected
                    // learns its UIDVALIDITY now, other sessions on their next update.
                    self.sync_mailbox().await;
                    self.changed(&Mailbox::inbox());
                }
                self.ok(tag, name);
            }
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn subscribe(&mut self, tag: &Tag, mailbox: &Mailbox, subscribed: bool) {
        let name = if subscribed { "SUBSCRIBE" } else { "UNSUBSCRIBE" };
        let user = self.current_user();
        if subscribed {
            let Some(existing) = self.existing(tag, name).await else { return };
            if !existing.contains(mailbox) {
                return self.store_error(tag, name, DmapError::NoSuchMailbox);
            }
            let current = match self.store.subscriptions(&user).await {
                Ok(current) => current,
                Err(error) => return self.store_error(tag, name, error),
            };
            let limits = self.config.limits;
            if let Some(text) = over_name_limits(core::slice::from_ref(mailbox), limits.max_mailbox_depth) {
                return self.done(tag, name, StatusKind::No, Some(Code::Limit), &text);
            }
            let mut after = current;
            after.push(mailbox.clone());
            after.sort();
            after.dedup();
            // Placeholders count, as for mailboxes: they are names LSUB may answer.
            if hierarchy_size(&after) > limits.max_mailboxes {
                let text = format!("An account may have at most {} subscriptions", limits.max_mailboxes);
                return self.done(tag, name, StatusKind::No, Some(Code::Limit), &text);
            }
        }
        match self.store.set_subscribed(&user, mailbox, subscribed).await {
            Ok(()) => self.ok(tag, name),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn lsub(&mut self, tag: &Tag, reference: &str, pattern: &str) {
        let name = "LSUB";
        let user = self.current_user();
        let subscribed = match self.store.subscriptions(&user).await {
            Ok(subscribed) => subscribed,
            Err(error) => return self.store_error(tag, name, error),
        };
        let Some(existing) = self.existing(tag, name).await else { return };
        // Produced as the driver drains them, placeholders included (`list`).
        self.listing(Listing::lsub(subscribed, existing, format!("{reference}{pattern}")));
        self.ok(tag, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_names() {
        assert_eq!(new_name(&Mailbox::new("a/b/")), Ok(Mailbox::new("a/b")));
        assert_eq!(new_name(&Mailbox::new("inbox/")), Ok(Mailbox::inbox()));
        for bad in ["", "/", "/a", "a//b", "a/*", "%", "a//"] {
            assert_eq!(new_name(&Mailbox::new(bad)), Err("Invalid mailbox name"), "{bad:?}");
        }
        assert!(new_name(&Mailbox::new(&"x".repeat(MAX_MAILBOX_NAME + 1))).is_err());
        assert_eq!(superiors(&Mailbox::new("a/b/c")), vec![Mailbox::new("a"), Mailbox::new("a/b")]);
    }
}
