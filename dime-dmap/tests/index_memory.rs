//! A selected session over a mailbox of 100,000 messages holds its paged index, not the
//! mailbox: SELECT and `FETCH 1:* (UID FLAGS RFC822.SIZE)` keep the session's heap under
//! 2 MiB (`docs/dmap.md` §12.3); the session that kept the whole mailbox held 8.4 MiB here.
//! (Its own test binary, so that the counting allocator sees nothing else.)

use std::alloc::System;
use std::time::Instant;

use cap::Cap;
use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::sasl::DecoySecret;
use dime_dmap::server::{ServerConfig, ServerSession};
use dime_dmap::store::{MemoryStore, Store, block_on};
use dime_dmap::{Interrupt, State};

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const USER: &str = "alice@example.org";
const PASSWORD: &str = "correct horse battery staple";
const MESSAGES: u32 = 100_000;
/// What the session may hold above its heap before SELECT: the index (8 bytes a message,
/// 800,000 bytes here), one page of metadata and one piece of output.
const BOUND: usize = 2 << 20;

fn flags(i: u32) -> Vec<Flag> {
    match i % 3 {
        0 => vec![],
        1 => vec![Flag::Seen],
        _ => vec![Flag::Seen, Flag::Keyword("$Label1".into())],
    }
}

/// Drains the session; returns the output's lines (without keeping them) and the last two.
fn drain(session: &mut ServerSession<MemoryStore>, base: usize, peak: &mut usize) -> (usize, Vec<String>) {
    let mut lines = 0;
    let mut tail: Vec<String> = Vec::new();
    loop {
        *peak = (*peak).max(HEAP.allocated().saturating_sub(base));
        match session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => {
                for line in String::from_utf8(bytes).unwrap().split_inclusive("\r\n") {
                    lines += 1;
                    tail.push(line.to_owned());
                    if tail.len() > 2 {
                        tail.remove(0);
                    }
                }
            }
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(_) => return (lines, tail),
        }
    }
}

#[test]
fn select_and_fetch_of_100k_messages_stay_under_2_mib() {
    let store = MemoryStore::new();
    let (user, password) = (Username::new(USER.as_bytes()).unwrap(), Password::new(PASSWORD.as_bytes()).unwrap());
    let (credentials, _) = Credentials::create(&user, &password, 0).unwrap();
    store.add_account(USER, credentials);
    for i in 0..MESSAGES {
        let date = DateTime::new(1_700_000_000 + i64::from(i), 0).unwrap();
        block_on(store.append(USER, &Mailbox::inbox(), &flags(i), Some(date), vec![i as u8; 8])).unwrap();
    }
    let now = Instant::now();
    let mut session =
        ServerSession::new(ServerConfig::new("example.org", DecoySecret::from_bytes([7; 32])), store, now);
    let mut ignored = 0;
    drain(&mut session, 0, &mut ignored);
    session.enqueue_input(
        now,
        format!("a AUTHENTICATE STACIE {}\r\n", dime_core::base64::encode_padded(USER.as_bytes())).as_bytes(),
    );
    let (_, tail) = drain(&mut session, 0, &mut ignored);
    let challenge = dime_core::base64::decode_padded(tail[0].trim_start_matches("+ ").trim_end(), "challenge").unwrap();
    let token = dime_dmap::sasl::Challenge::parse(&challenge).unwrap().answer(&user, &password);
    session.enqueue_input(now, format!("{}\r\n", dime_core::base64::encode_padded(token.as_bytes())).as_bytes());
    drain(&mut session, 0, &mut ignored);
    assert_eq!(session.state(), State::Authenticated);

    let base = HEAP.allocated();
    // Every allocation past the bound fails (and aborts the test), also one inside a store
    // call that the samples between steps would miss.
    HEAP.set_limit(base + BOUND).unwrap();
    let mut peak = 0;
    session.enqueue_input(now, b"s SELECT INBOX\r\n");
    let (_, tail) = drain(&mut session, base, &mut peak);
    assert_eq!(tail.last().unwrap(), "s OK [READ-WRITE] SELECT completed\r\n");
    session.enqueue_input(now, b"f FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n");
    let (lines, tail) = drain(&mut session, base, &mut peak);
    HEAP.set_limit(usize::MAX).unwrap();
    assert_eq!(lines, MESSAGES as usize + 1);
    // RFC822.SIZE is the armored form's length (`docs/dmap.md` §5).
    let size = dime_core::armor::encode(dime_core::armor::Label::EncryptedMessage, &[0; 8]).replace('\n', "\r\n").len();
    assert_eq!(tail[0], format!("* {MESSAGES} FETCH (UID {MESSAGES} FLAGS () RFC822.SIZE {size})\r\n"));
    assert_eq!(tail[1], "f OK FETCH completed\r\n");
    eprintln!("peak heap of SELECT + FETCH 1:* over {MESSAGES} messages: {peak} bytes");
    assert!(peak < BOUND, "the session held {peak} bytes, over {BOUND}");
}
