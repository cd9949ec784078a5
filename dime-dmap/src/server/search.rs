//! `SEARCH` and `UID SEARCH` on the server: the criteria are evaluated against the selected
//! mailbox as the session last reported it (flags, internal dates, sizes, UIDs), never against
//! content the server cannot read (`docs/dmap.md` §5).

use super::ServerSession;
use crate::codec::search::Candidate;
use crate::codec::writer::Writer;
use crate::codec::{Code, SearchCriteria, StatusKind, Tag};
use crate::store::Store;

/// The charsets `SEARCH CHARSET` accepts (text keys match nothing, so only naming matters).
const CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

impl<S: Store> ServerSession<S> {
    /// Answers `* SEARCH ...` with the matching sequence numbers (UIDs for `UID SEARCH`). The
    /// answer is bounded by the mailbox view the session already holds (at most 11 octets per
    /// message) and queued in pieces of at most the output chunk.
    pub(super) fn search(&mut self, tag: &Tag, uid: bool, criteria: &SearchCriteria) {
        let name = if uid { "UID SEARCH" } else { "SEARCH" };
        if let Some(charset) = &criteria.charset
            && !CHARSETS.contains(&charset.as_str())
        {
            let code = Code::Other("BADCHARSET".into(), Some(format!("({})", CHARSETS.join(" "))));
            return self.done(tag, name, StatusKind::No, Some(code), "Unsupported charset");
        }
        let Some(selected) = &self.selected else { return };
        let messages = &selected.view.messages;
        let count = messages.len() as u32;
        let max_uid = messages.last().map_or(0, |m| m.uid);
        let chunk = self.config.limits.output_chunk.max(16);
        let mut pieces = Vec::new();
        let mut w = Writer::new(0);
        w.text("* SEARCH");
        for (seq, info) in (1u32..).zip(messages) {
            let size = super::fetch::served_size(info.size);
            let candidate = Candidate { seq, count, max_uid, info, size };
            if criteria.keys.iter().all(|key| key.matches(&candidate)) {
                w.sp().number(if uid { info.uid } else { seq });
            }
            if w.len() + 12 > chunk {
                pieces.push(core::mem::take(&mut w).into_bytes());
            }
        }
        w.text("\r\n");
        pieces.push(w.into_bytes());
        for piece in pieces {
            self.output(piece);
        }
        self.ok(tag, name);
    }
}
