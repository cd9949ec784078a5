//! `SEARCH` and `UID SEARCH` on the server: the criteria are evaluated against the messages
//! the client knows (the session's index: sequence numbers and UIDs) with their flags,
//! internal dates and sizes as the store holds them now, read a page at a time; never against
//! content the server cannot read (`docs/dmap.md` §5).

use super::ServerSession;
use super::index::Walk;
use crate::codec::search::Candidate;
use crate::codec::writer::Writer;
use crate::codec::{Code, SearchCriteria, StatusKind, Tag};
use crate::store::Store;

/// The charsets `SEARCH CHARSET` accepts (text keys match nothing, so only naming matters).
const CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

impl<S: Store> ServerSession<S> {
    /// Answers `* SEARCH ...` with the matching sequence numbers (UIDs for `UID SEARCH`). The
    /// store's listing is read a page at a time and joined with the index by UID (both in UID
    /// order); messages that arrived since the last report are not searched, those expunged
    /// meanwhile match nothing. The answer (at most 11 octets per message) is queued in pieces
    /// of at most the output chunk.
    pub(super) async fn search(&mut self, tag: &Tag, uid: bool, criteria: &SearchCriteria) {
        let name = if uid { "UID SEARCH" } else { "SEARCH" };
        if let Some(charset) = &criteria.charset
            && !CHARSETS.contains(&charset.as_str())
        {
            let code = Code::Other("BADCHARSET".into(), Some(format!("({})", CHARSETS.join(" "))));
            return self.done(tag, name, StatusKind::No, Some(code), "Unsupported charset");
        }
        let Some(mailbox) = self.selected.as_ref().map(|s| s.mailbox.clone()) else { return };
        let user = self.current_user();
        let chunk = self.config.limits.output_chunk.max(16);
        let mut walk = Walk::new(self.config.limits.index_page);
        let mut pieces = Vec::new();
        let mut w = Writer::new(0);
        w.text("* SEARCH");
        loop {
            let page = match walk.next(&self.store, &user, &mailbox).await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(error) => return self.store_error(tag, name, error),
            };
            let Some(selected) = &self.selected else { return };
            let index = &selected.index;
            let (count, max_uid) = (index.len(), index.max_uid());
            for info in &page.messages {
                let Some(seq) = index.seq(info.uid) else { continue };
                let size = super::fetch::served_size(info.size);
                let candidate = Candidate { seq, count, max_uid, info, size };
                if criteria.keys.iter().all(|key| key.matches(&candidate)) {
                    w.sp().number(if uid { info.uid } else { seq });
                }
                if w.len() + 12 > chunk {
                    pieces.push(core::mem::take(&mut w).into_bytes());
                }
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
