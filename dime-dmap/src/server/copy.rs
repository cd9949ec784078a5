//! `COPY`, `MOVE` (RFC 6851) and `UID EXPUNGE` (RFC 4315) on the server, with the `COPYUID`
//! answers of UIDPLUS.

use super::{ServerSession, text};
use crate::codec::{Code, Response, SequenceSet, Status, StatusKind, Tag};
use crate::error::DmapError;
use crate::store::Store;

/// A UID set in its wire form (`1:3,7`), ranges merged, from UIDs in the order given.
pub(crate) fn uid_set(uids: impl IntoIterator<Item = u32>) -> String {
    let mut out = String::new();
    let mut run: Option<(u32, u32)> = None;
    let flush = |out: &mut String, (a, b): (u32, u32)| {
        if !out.is_empty() {
            out.push(',');
        }
        if a == b { out.push_str(&a.to_string()) } else { out.push_str(&format!("{a}:{b}")) }
    };
    for uid in uids {
        run = match run {
            Some((a, b)) if b.checked_add(1) == Some(uid) => Some((a, uid)),
            Some(done) => {
                flush(&mut out, done);
                Some((uid, uid))
            }
            None => Some((uid, uid)),
        };
    }
    if let Some(done) = run {
        flush(&mut out, done);
    }
    out
}

impl<S: Store> ServerSession<S> {
    /// The UIDs (ascending) of the selected messages in `set`.
    fn selected_uids(&self, uid: bool, set: &SequenceSet) -> Vec<u32> {
        self.selected.as_ref().map(|s| s.index.uids(uid, set)).unwrap_or_default()
    }

    /// `COPY`/`MOVE` and their UID forms: all or nothing, at most
    /// [`SessionLimits::max_copy`](crate::SessionLimits) messages, answered with `COPYUID`.
    pub(super) async fn copy(
        &mut self,
        tag: &Tag,
        uid: bool,
        set: &SequenceSet,
        target: &crate::codec::Mailbox,
        moving: bool,
    ) {
        let name = match (uid, moving) {
            (false, false) => "COPY",
            (true, false) => "UID COPY",
            (false, true) => "MOVE",
            (true, true) => "UID MOVE",
        };
        let Some(selected) = self.selected.clone() else { return };
        if moving && selected.read_only {
            return self.done(tag, name, StatusKind::No, Some(Code::ReadOnly), text::READ_ONLY);
        }
        let uids = self.selected_uids(uid, set);
        let limit = self.config.limits.max_copy;
        if uids.len() > limit {
            let text = format!("{name} of {} messages is over the limit of {limit}", uids.len());
            return self.done(tag, name, StatusKind::No, Some(Code::Limit), &text);
        }
        let user = self.current_user();
        let result = match moving {
            false => self.store.copy(&user, &selected.mailbox, &uids, target).await,
            true => self.store.move_messages(&user, &selected.mailbox, &uids, target).await,
        };
        let pairs = match result {
            Ok(pairs) => pairs,
            Err(DmapError::NoSuchMailbox) if self.store.mailboxes(&user).await.is_ok_and(|m| !m.contains(target)) => {
                return self.done(tag, name, StatusKind::No, Some(Code::TryCreate), "No such mailbox");
            }
            Err(error) => return self.store_error(tag, name, error),
        };
        let code = match (pairs.is_empty(), self.store.uid_validity(&user, target).await) {
            (false, Ok(validity)) => {
                Some(Code::CopyUid(validity, uid_set(pairs.iter().map(|p| p.0)), uid_set(pairs.iter().map(|p| p.1))))
            }
            _ => None,
        };
        if !pairs.is_empty() {
            self.changed(target);
        }
        if moving {
            if !pairs.is_empty() {
                self.changed(&selected.mailbox);
            }
            // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges.
            if let Some(code) = code {
                self.respond(Response::Status(Status::untagged(StatusKind::Ok, Some(code), "Moved")));
            }
            self.sync_mailbox().await;
            return self.ok(tag, name);
        }
        if *target == selected.mailbox {
            self.sync_mailbox().await;
        }
        self.done(tag, name, StatusKind::Ok, code, &format!("{name} completed"));
    }

    /// `UID EXPUNGE set`: expunges only the `\Deleted` messages among `set`.
    pub(super) async fn uid_expunge(&mut self, tag: &Tag, set: &SequenceSet) {
        let name = "UID EXPUNGE";
        let Some(selected) = self.selected.clone() else { return };
        if selected.read_only {
            return self.done(tag, name, StatusKind::No, Some(Code::ReadOnly), text::READ_ONLY);
        }
        let uids = self.selected_uids(true, set);
        match self.store.expunge_uids(&self.current_user(), &selected.mailbox, &uids).await {
            Ok(gone) if !gone.is_empty() => self.changed(&selected.mailbox),
            Ok(_) => {}
            Err(error) => return self.store_error(tag, name, error),
        }
        self.sync_mailbox().await;
        self.ok(tag, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_merge_runs_in_order() {
        assert_eq!(uid_set([1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set([5]), "5");
        assert_eq!(uid_set([]), "");
        assert_eq!(uid_set([u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }
}
