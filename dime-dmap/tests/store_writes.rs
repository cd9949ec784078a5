//! `STORE` writes flags a page at a time (`Store::set_flags_many`), not one store write per
//! message: with a store that syncs every write, a `STORE 1:*` over a large mailbox would
//! otherwise run past the store deadline (`docs/dmap.md` §8.1).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::hooked::{Hook, Hooked};
use common::{PASSWORD, USER, b64, config, decode_challenge, store};
use dime_core::stacie::{Password, Username};
use dime_dmap::Interrupt;
use dime_dmap::codec::{Flag, Mailbox};
use dime_dmap::server::ServerSession;
use dime_dmap::store::{Store, block_on};

/// Records the flag-writing store calls.
struct Writes(Arc<Mutex<Vec<&'static str>>>);

impl Hook for Writes {
    async fn before(&self, method: &'static str, _: &str) {
        if method.starts_with("set_flags") {
            self.0.lock().unwrap().push(method);
        }
    }
}

fn drain<S: Store>(session: &mut ServerSession<S>) -> String {
    let mut out = Vec::new();
    loop {
        match session.next() {
            Err(Interrupt::Output(bytes)) => out.extend_from_slice(&bytes),
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(_) => break,
            Ok(_) => {}
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn store_writes_each_page_of_flags_at_once() {
    let inner = store();
    for i in 0..2u8 {
        block_on(inner.append(USER, &Mailbox::inbox(), &[], None, common::object(10 + i))).unwrap();
    }
    let writes = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config();
    cfg.limits.index_page = 2;
    let now = Instant::now();
    let mut session = ServerSession::new(cfg, Hooked { inner, hook: Writes(writes.clone()) }, now);
    drain(&mut session);
    session.enqueue_input(now, format!("L AUTHENTICATE STACIE {}\r\n", b64(USER.as_bytes())).as_bytes());
    let challenge = decode_challenge(&drain(&mut session));
    let token =
        challenge.answer(&Username::new(USER.as_bytes()).unwrap(), &Password::new(PASSWORD.as_bytes()).unwrap());
    session.enqueue_input(now, format!("{}\r\nS SELECT INBOX\r\n", b64(token.as_bytes())).as_bytes());
    assert!(drain(&mut session).ends_with("S OK [READ-WRITE] SELECT completed\r\n"));

    session.enqueue_input(now, b"F STORE 1:* +FLAGS.SILENT (\\Flagged)\r\n");
    assert!(drain(&mut session).ends_with("F OK STORE completed\r\n"));
    // Five messages, pages of two: three writes, none of them per message.
    assert_eq!(*writes.lock().unwrap(), ["set_flags_many"; 3]);
    let view = block_on(session.store().mailbox(USER, &Mailbox::inbox())).unwrap();
    assert!(view.messages.iter().all(|m| m.flags.contains(&Flag::Flagged)));
}
