//! FETCH under hostile item lists: repeats merged, an output budget per command, and large
//! objects streamed in bounded pieces, one message at a time.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::hooked::{Hook, Hooked};
use common::{Harness, USER, config, store};
use dime_dmap::codec::{DateTime, Mailbox};
use dime_dmap::server::ServerSession;
use dime_dmap::store::{Store, block_on};
use dime_dmap::{Interrupt, SessionLimits};

/// Counts `object` calls.
struct Counting(Arc<AtomicUsize>);

impl Hook for Counting {
    async fn before(&self, method: &'static str, _: &str) {
        if method == "object" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

const MIB: usize = 1024 * 1024;

/// The length of the armored form of a 1 MiB object (what `RFC822` returns for it).
fn armored_mib() -> usize {
    common::armored(&vec![0; MIB]).len()
}

/// A session logged in with INBOX selected, holding the three small messages of
/// `common::store` and a fourth of 1 MiB.
fn big_mailbox(limits: SessionLimits) -> (ServerSession<Hooked<Counting>>, Arc<AtomicUsize>) {
    let inner = store();
    let big: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    block_on(inner.append(USER, &Mailbox::inbox(), &[], Some(DateTime::UNIX_EPOCH), big)).unwrap();
    let objects = Arc::new(AtomicUsize::new(0));
    let mut cfg = config();
    cfg.limits = limits;
    let now = Instant::now();
    let mut session = ServerSession::new(cfg, Hooked { inner, hook: Counting(objects.clone()) }, now);
    drain(&mut session);
    session.enqueue_input(now, format!("L AUTHENTICATE STACIE {}\r\n", common::b64(USER.as_bytes())).as_bytes());
    let challenge = common::decode_challenge(&String::from_utf8(drain(&mut session).concat()).unwrap());
    let token = challenge.answer(
        &dime_core::stacie::Username::new(USER.as_bytes()).unwrap(),
        &dime_core::stacie::Password::new(common::PASSWORD.as_bytes()).unwrap(),
    );
    session.enqueue_input(now, format!("{}\r\nS SELECT INBOX\r\n", common::b64(token.as_bytes())).as_bytes());
    let out = String::from_utf8(drain(&mut session).concat()).unwrap();
    assert!(out.ends_with("S OK [READ-WRITE] SELECT completed\r\n"), "{out}");
    objects.store(0, Ordering::Relaxed);
    (session, objects)
}

fn drain<S: Store>(session: &mut ServerSession<S>) -> Vec<Vec<u8>> {
    let mut pieces = Vec::new();
    loop {
        match session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => pieces.push(bytes),
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(_) => return pieces,
        }
    }
}

#[test]
fn repeated_items_are_answered_once() {
    let mut h = Harness::new();
    h.select_inbox();
    let text = common::armored(&common::object(0));
    let literal = format!("{{{}}}\r\n{}", text.len(), String::from_utf8_lossy(&text));
    let out = h.send(b"A FETCH 1 (UID RFC822.SIZE UID BODY.PEEK[] BODY.PEEK[] RFC822.SIZE)\r\n");
    assert_eq!(out, format!("* 1 FETCH (UID 1 RFC822.SIZE 497 BODY[] {literal})\r\nA OK FETCH completed\r\n"));
    // BODY[] and BODY.PEEK[] of one range are one item; \Seen is set because one form sets it.
    let out = h.send(b"A FETCH 1 (BODY.PEEK[] BODY[] BODY.PEEK[])\r\n");
    assert_eq!(out, format!("* 1 FETCH (BODY[] {literal} FLAGS (\\Seen))\r\nA OK FETCH completed\r\n"));
}

/// Issue 9: `FETCH 1 (RFC822 RFC822 ...)` made the server copy the object once per item.
/// Now the store is asked once per message and the copies are never made.
#[test]
fn the_object_is_read_once_per_message_whatever_the_items() {
    let (mut session, objects) = big_mailbox(SessionLimits::default());
    let mut command = b"A FETCH 4 (".to_vec();
    for i in 0..40 {
        command.extend(format!("RFC822 BINARY.PEEK[] BINARY[] BINARY.PEEK[]<{i}.{MIB}> ").as_bytes());
    }
    command.extend(b"UID)\r\n");
    session.enqueue_input(Instant::now(), &command);
    let pieces = drain(&mut session);
    assert_eq!(objects.load(Ordering::Relaxed), 1);
    let chunk = SessionLimits::default().output_chunk;
    assert!(pieces.iter().all(|p| p.len() <= chunk), "a piece over {chunk} bytes");
    // RFC822 (the armored object) and BINARY[] once each, 40 partials of 1 MiB minus their
    // offsets.
    let expected: usize = armored_mib() + MIB + (0..40).map(|i| MIB - i).sum::<usize>();
    let total: usize = pieces.iter().map(Vec::len).sum();
    assert!(total > expected && total < expected + 4096, "{total}");
    assert!(String::from_utf8_lossy(pieces.last().unwrap()).ends_with("A OK FETCH completed\r\n"));
}

#[test]
fn a_large_fetch_is_handed_out_in_pieces_one_message_at_a_time() {
    let (mut session, objects) = big_mailbox(SessionLimits::default());
    session.enqueue_input(Instant::now(), b"A FETCH 1:4 BINARY.PEEK[]\r\n");
    // The first message needs the store: the session says so and waits for the driver to run
    // it; then the first piece is that message's answer, and no other object has been read.
    assert_eq!(session.next(), Err(Interrupt::Store));
    assert_eq!(session.next(), Err(Interrupt::Store), "nothing runs until the driver does");
    assert_eq!(objects.load(Ordering::Relaxed), 0);
    block_on(session.run_store());
    let Err(Interrupt::Output(first)) = session.next() else { panic!("no output") };
    assert!(first.starts_with(b"* 1 FETCH (BINARY[] ~{306}\r\n"));
    assert!(first.ends_with(b")\r\n"));
    assert_eq!(objects.load(Ordering::Relaxed), 1);
    let rest = drain(&mut session);
    assert_eq!(objects.load(Ordering::Relaxed), 4);
    let chunk = SessionLimits::default().output_chunk;
    assert!(rest.len() >= MIB / chunk, "{} pieces", rest.len());
    assert!(rest.iter().all(|p| p.len() <= chunk));
    assert!(rest.concat().ends_with(b")\r\nA OK FETCH completed\r\n"));
}

#[test]
fn a_fetch_over_the_output_budget_is_refused_before_anything_is_sent() {
    let mut limits = SessionLimits::default();
    limits.max_fetch_output = 2 * MIB as u64;
    let (mut session, objects) = big_mailbox(limits);
    session.enqueue_input(Instant::now(), b"A FETCH 4 (RFC822 BINARY.PEEK[] BINARY.PEEK[]<1.10>)\r\n");
    let out = drain(&mut session).concat();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "A NO [LIMIT] FETCH would return {} bytes, over the limit of {}\r\n",
            armored_mib() + MIB + 10,
            2 * MIB
        )
    );
    assert_eq!(objects.load(Ordering::Relaxed), 0);
    session.enqueue_input(Instant::now(), b"B UID FETCH 1:* RFC822\r\n");
    let out = drain(&mut session).concat();
    assert!(out.ends_with(b"B OK UID FETCH completed\r\n"), "{} bytes", out.len());
    session.enqueue_input(Instant::now(), b"C UID FETCH 1:* (RFC822 BINARY.PEEK[])\r\n");
    let out = String::from_utf8_lossy(&drain(&mut session).concat()).into_owned();
    let total = 3 * 497 + armored_mib() + 3 * 306 + MIB;
    assert_eq!(out, format!("C NO [LIMIT] UID FETCH would return {total} bytes, over the limit of {}\r\n", 2 * MIB));
}

#[test]
fn default_fetch_limits() {
    assert_eq!(SessionLimits::default().max_fetch_output, 256 * MIB as u64);
    assert_eq!(SessionLimits::default().output_chunk, 64 * 1024);
}
