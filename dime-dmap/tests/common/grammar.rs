//! An independent grammar check: every response a test session receives is cut into messages
//! by our fragmentizer and must then parse, whole, under imap-codec's strict response decoder
//! (RFC 3501 plus RFC 3516 `BINARY`, 4315 `UIDPLUS` codes, 2177 `IDLE`, 6851 `MOVE`).
//!
//! imap-codec accepts a non-synchronizing literal `{n+}` in a response (its literal parser
//! serves both directions), which RFC 7888 allows only from client to server; that is checked
//! here by hand, on every literal announcement.
//!
//! The two DMAP extension responses `* SIGNET` and `* KEYFILE` (`docs/dmap.md` §7) are not
//! IMAP and are left to our own parser.

use dime_dmap::codec::{Fragment, FragmentLimits, Fragmentizer, LiteralMode, Response};
use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder;

/// Cuts `output` (whole responses, as a session hands them out) into messages.
pub fn messages(output: &[u8]) -> Vec<Vec<u8>> {
    let limit = 1 << 30;
    let mut f = Fragmentizer::new(FragmentLimits { max_line: limit, max_literal: limit, max_message: limit });
    f.enqueue(output);
    let mut out = Vec::new();
    while let Some(fragment) = f.progress() {
        match fragment {
            Fragment::Message(m) => out.push(m),
            Fragment::Announced { mode, .. } => {
                assert_eq!(mode, LiteralMode::Sync, "non-synchronizing literal in a response: {}", shown(output));
                f.accept_literal();
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(f.buffered(), 0, "output ends inside a response: {:?}", String::from_utf8_lossy(output));
    out
}

/// Checks every response in `output`; panics with the response that does not parse.
pub fn check(output: &[u8]) {
    for message in messages(output) {
        if message.starts_with(b"* SIGNET ") || message.starts_with(b"* KEYFILE ") {
            Response::parse(&message).unwrap_or_else(|e| panic!("DMAP extension response: {e}"));
            continue;
        }
        match ResponseCodec::default().decode(&message) {
            Ok(([], _)) => {}
            Ok((rest, _)) => panic!("imap-codec left {:?} of {:?}", String::from_utf8_lossy(rest), shown(&message)),
            Err(error) => panic!("imap-codec refuses {:?}: {error:?}", shown(&message)),
        }
    }
}

fn shown(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    text.chars().take(300).collect()
}
