//! Hostile input: each gets its exact reply, no buffer grows without bound, and the state after
//! an error is the one the table says.

mod common;

use common::*;
use dime_core::Fingerprint;
use dime_dmtp::object::ObjectHasher;
use dime_dmtp::server::*;

const FP: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn ready_for_data(size: usize, hash: &Fingerprint) -> Harness {
    let mut h = Harness::greeted();
    h.line(&format!("MAIL FROM: <example.org> [{FP}] SIZE={size}"));
    h.line(&format!("RCPT TO: <example.net> [{FP}]"));
    assert_eq!(h.line(&format!("DATA [{hash}]")), format!("354 CONTINUE [{hash}]\r\n"));
    h
}

#[test]
fn byte_at_a_time_client() {
    let body = b"hello, byte by byte";
    let hash = ObjectHasher::hash(body);
    let script = format!(
        "EHLO <example.org>\r\nMAIL FROM: <example.org> [{FP}] SIZE={}\r\nRCPT TO: <example.net> [{FP}]\r\nDATA [{hash}]\r\n",
        body.len()
    );
    let mut input = script.into_bytes();
    input.extend_from_slice(body);
    input.extend_from_slice(b"\r\n");
    let mut h = Harness::native();
    let mut out = String::new();
    for byte in &input {
        out.push_str(&h.send(std::slice::from_ref(byte)));
        assert!(h.session.heap_bytes() < 128 * 1024);
    }
    assert_eq!(out, format!("{}250 OK\r\n250 OK\r\n354 CONTINUE [{hash}]\r\n", common_ehlo()));
    let (message, object) = h.received();
    assert_eq!(&object[..], body);
    h.session.answer(h.now, message.id, Answer::Message(Ok(()))).unwrap();
    assert!(h.output().starts_with("250 OK ["));
    for byte in b"QUIT\r\n" {
        out = h.send(std::slice::from_ref(byte));
    }
    assert_eq!(out, "221 BYE\r\n");
}

#[test]
fn the_session_hands_the_object_out_and_keeps_none_of_it() {
    // A SIZE claim reserves nothing: 60 MiB announced, 10 bytes sent.
    let mut h = ready_for_data(60 << 20, &Fingerprint([0; 64]));
    h.send(&[0; 10]);
    assert!(h.session.heap_bytes() < 128 * 1024, "{}", h.session.heap_bytes());

    // An object of an odd size, in odd pieces: each piece leaves in a data event as it arrives,
    // and the session holds nothing of it once its events are drained.
    let size = 300_001;
    let body = object(size);
    let hash = ObjectHasher::hash(&body);
    let mut h = ready_for_data(size, &hash);
    let base = h.session.heap_bytes();
    for piece in body.chunks(7 * 1024 + 3) {
        h.send(piece);
        let Some(ServerEvent::MessageData { bytes }) = h.events.last() else { panic!("no data event") };
        assert_eq!(bytes[..], piece[..]);
        // The destination check now runs inside the session, on the same reads as the hash: it
        // keeps what it has parsed of the object's header (8 bytes here, a non-DIME body, which
        // it refuses at once), bounded by its own budget (tests/data_memory.rs).
        let held = h.session.heap_bytes().saturating_sub(base);
        assert!(held <= 64, "{held} bytes held");
    }
    h.send(b"\r\n");
    let (message, object) = h.received();
    assert_eq!(object, body);
    assert_eq!(message.hash, hash);
}

#[test]
fn a_slow_application_stops_the_input_at_the_data_window() {
    // Nobody drains the data events: the session takes one window of object bytes and waits.
    let size = 1 << 20;
    let body = object(size);
    let mut h = ready_for_data(size, &Fingerprint::of(&body));
    let window = h.session.config().limits.max_pending_data;
    assert_eq!(h.session.enqueue_input(h.now, &body), window);
    assert_eq!(h.session.enqueue_input(h.now, &body[window..]), 0);
    assert!(h.session.heap_bytes() < window + 16 * 1024);
    // Draining the events lets the next window in.
    h.output();
    assert_eq!(h.session.enqueue_input(h.now, &body[window..]), window);
}

#[test]
fn a_slow_application_stops_shared_input_at_the_data_window() {
    // The same window when the driver hands its read buffer over as `Bytes`: the pieces are
    // slices of it, so what the session holds beyond them stays small too.
    let size = 1 << 20;
    let body = object(size);
    let mut h = ready_for_data(size, &Fingerprint::of(&body));
    let window = h.session.config().limits.max_pending_data;
    assert_eq!(h.session.enqueue_bytes(h.now, &body), window);
    assert_eq!(h.session.enqueue_bytes(h.now, &body.slice(window..)), 0);
    assert!(h.session.heap_bytes() < window + 16 * 1024);
    h.output();
    assert_eq!(h.session.enqueue_bytes(h.now, &body.slice(window..)), window);
}

#[test]
fn failed_data_transactions_tell_the_application_to_abort() {
    // A wrong hash, data longer than SIZE, and the data timeout each end in MessageAborted.
    let mut h = ready_for_data(3, &Fingerprint([0; 64]));
    assert_eq!(h.send(b"abc\r\n"), "451 DATA CORRUPTED - THE MESSAGE HASH DOES NOT MATCH\r\n");
    assert!(matches!(h.events.last(), Some(ServerEvent::MessageAborted { failure: DataFailure::HashMismatch })));

    let mut h = ready_for_data(3, &Fingerprint::of(b"abc"));
    h.session.enqueue_input(h.now, b"abcd\r\n");
    assert_eq!(h.output(), "554 DATA LONGER THAN SIZE - TRANSACTION ABORTED\r\n");
    assert!(matches!(h.events.last(), Some(ServerEvent::MessageAborted { failure: DataFailure::TooLong })));

    let mut h = ready_for_data(3, &Fingerprint::of(b"abc"));
    h.send(b"ab");
    let deadline = h.session.poll_timeout().unwrap();
    h.session.handle_timeout(deadline);
    assert_eq!(h.output(), "421 DATA FAILED - THE CONNECTION TIMED OUT WHILE WAITING FOR DATA - GOOD BYE\r\n");
    assert!(matches!(h.events.last(), Some(ServerEvent::MessageAborted { failure: DataFailure::TimedOut })));
    assert!(h.session.is_closed());
}

fn common_ehlo() -> &'static str {
    "250-PIPELINING\r\n250-8BITMIME\r\n250-8BITDIME\r\n250-RETURN\r\n250-SIZE 67108864\r\n250 OK\r\n"
}

#[test]
fn endless_line_is_skipped_in_bounded_memory() {
    let mut h = Harness::greeted();
    let chunk = vec![b'A'; 64 * 1024];
    let mut out = String::new();
    for _ in 0..64 {
        out.push_str(&h.send(&chunk));
        assert!(h.session.heap_bytes() <= 4 * 1024, "{}", h.session.heap_bytes());
    }
    assert_eq!(out, "500 LINE TOO LONG\r\n");
    assert_eq!(h.session.state(), SessionState::Greeted);
    assert_eq!(h.session.violations(), 1);
    // The rest of that line is skipped; the next line is a command again.
    assert_eq!(h.send(b"AAAA\r\nNOOP\r\n"), "250 OK\r\n");
    // Exactly at the limit is fine, one byte over is not.
    let at_limit = format!("NOOP{}", " ".repeat(0));
    assert_eq!(h.line(&at_limit), "250 OK\r\n");
    let long = format!("HELP {}", "A".repeat(505));
    assert_eq!(long.len() + 2, 512);
    assert_eq!(h.line(&long), "501 INVALID HELP PARAMETER.\r\n");
    let longer = format!("HELP {}", "A".repeat(506));
    assert_eq!(h.line(&longer), "500 LINE TOO LONG\r\n");
    assert_eq!(h.session.state(), SessionState::Greeted);
    // A bare LF ends a line and is refused.
    assert_eq!(h.send(b"NOOP\n"), "500 LINES MUST END WITH CRLF\r\n");
}

#[test]
fn data_shorter_than_size_times_out() {
    let body = b"0123456789";
    let mut h = ready_for_data(body.len(), &ObjectHasher::hash(body));
    assert_eq!(h.send(b"01234\r\n"), "");
    assert_eq!(h.session.state(), SessionState::DataIn);
    let deadline = h.session.poll_timeout().unwrap();
    h.session.handle_timeout(deadline);
    assert_eq!(h.output(), "421 DATA FAILED - THE CONNECTION TIMED OUT WHILE WAITING FOR DATA - GOOD BYE\r\n");
    assert_eq!(h.session.state(), SessionState::Closed);
    assert!(matches!(h.events.last(), Some(ServerEvent::MessageAborted { failure: DataFailure::TimedOut })));
    assert!(!h.events.iter().any(|e| matches!(e, ServerEvent::MessageReceived(_))));
}

#[test]
fn data_shorter_than_size_then_commands_is_a_hash_mismatch() {
    let body = b"0123456789";
    let mut h = ready_for_data(body.len(), &ObjectHasher::hash(body));
    // The client sends 4 bytes and goes on with QUIT: those bytes are data to the server.
    assert_eq!(h.send(b"0123\r\nQUI"), "");
    assert_eq!(h.send(b"T\r\n"), "451 DATA CORRUPTED - THE MESSAGE HASH DOES NOT MATCH\r\n");
    assert_eq!(h.session.state(), SessionState::Greeted);
    assert_eq!(h.line("NOOP"), "250 OK\r\n");
}

#[test]
fn data_longer_than_size() {
    let body = b"0123456789";
    let mut h = ready_for_data(body.len(), &ObjectHasher::hash(body));
    assert_eq!(h.send(b"0123456789EXTRA BYTES\r\n"), "554 DATA LONGER THAN SIZE - TRANSACTION ABORTED\r\n");
    assert_eq!(h.session.state(), SessionState::Greeted);
    assert_eq!(h.session.violations(), 1);
    assert!(matches!(h.events.last(), Some(ServerEvent::MessageAborted { failure: DataFailure::TooLong })));
    assert!(!h.events.iter().any(|e| matches!(e, ServerEvent::MessageReceived(_))));
    assert_eq!(h.line("NOOP"), "250 OK\r\n");
    // A CR followed by something else is also "longer".
    let mut h = ready_for_data(body.len(), &ObjectHasher::hash(body));
    assert_eq!(h.send(b"0123456789\rX\r\nNOOP\r\n"), "554 DATA LONGER THAN SIZE - TRANSACTION ABORTED\r\n250 OK\r\n");
}

#[test]
fn wrong_hash() {
    let mut h = ready_for_data(3, &ObjectHasher::hash(b"abc"));
    assert_eq!(h.send(b"abd\r\n"), "451 DATA CORRUPTED - THE MESSAGE HASH DOES NOT MATCH\r\n");
    assert_eq!(h.session.state(), SessionState::Greeted);
    assert!(matches!(h.events.last(), Some(ServerEvent::MessageAborted { failure: DataFailure::HashMismatch })));
    assert!(!h.events.iter().any(|e| matches!(e, ServerEvent::MessageReceived(_))));
    // The transaction is gone.
    assert_eq!(h.line(&format!("DATA [{FP}]")), "503 DATA REJECTED - PLEASE PROVIDE A MAIL FROM AND TRY AGAIN\r\n");
}

#[test]
fn ten_thousand_pipelined_noops() {
    let mut h = Harness::native();
    let input = b"NOOP\r\n".repeat(10_000);
    let mut offset = 0;
    let mut replies = 0;
    let mut max_pending = 0;
    while offset < input.len() {
        let taken = h.session.enqueue_input(h.now, &input[offset..]);
        offset += taken;
        max_pending = max_pending.max(h.session.heap_bytes());
        let out = h.output();
        assert!(out.bytes().all(|_| true));
        replies += out.matches("250 OK\r\n").count();
        assert_eq!(out.len(), out.matches("250 OK\r\n").count() * 8);
        assert!(taken > 0 || !out.is_empty(), "no progress");
    }
    assert_eq!(replies, 10_000);
    assert_eq!(h.session.violations(), 0);
    assert!(max_pending < 256 * 1024, "{max_pending}");
    assert!(ServerLimits::default().max_pending_output < 10_000 * 8, "back-pressure was exercised");
}

#[test]
fn garbage_after_quit_is_ignored() {
    let mut h = Harness::native();
    let taken = h.session.enqueue_input(h.now, b"QUIT\r\nGARBAGE\r\n\x00\xff\r\nNOOP\r\n");
    assert_eq!(taken, 25);
    assert_eq!(h.output(), "221 BYE\r\n");
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(h.send(&[0xAA; 10_000]), "");
    assert_eq!(h.session.violations(), 0);
}

#[test]
fn arbitrary_bytes_never_panic_and_stay_bounded() {
    use proptest::prelude::*;
    proptest!(|(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..700), 0..20))| {
        let mut h = Harness::dual(false);
        for chunk in chunks {
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                let n = h.session.enqueue_input(h.now, rest);
                rest = &rest[n..];
                let _ = h.output();
                if n == 0 { break; }
            }
            prop_assert!(h.session.heap_bytes() < 256 * 1024);
        }
    });
}

/// An object of many small chunks that are each well-formed: the check goes over its budget,
/// frees what it held and refuses the object, but its walk goes on, so the `DATA` hash it
/// gives is still that of every byte (a right hash then gets the check's `554`, not `451`).
#[test]
fn a_check_over_its_budget_still_hashes_every_byte() {
    use dime_dmtp::object::DestinationCheck;
    let header = |t: u8, flags: u8, len: u32| [[t, flags].as_slice(), &len.to_be_bytes()].concat();
    let mut chunks = Vec::new();
    let mut chunk = |t: u8, flags: u8, body: usize, slots: usize| {
        chunks.extend_from_slice(&header(t, flags, body as u32));
        chunks.resize(chunks.len() + body + 48 * slots, t);
    };
    chunk(2, 0, 34, 0);
    chunk(4, 0, 52, 3);
    chunk(5, 0, 52, 3);
    chunk(33, 0, 52, 2);
    // About 4,000 chunks: over the default 256 KiB budget (129 bytes a chunk and growth).
    for _ in 0..4000 {
        chunk(67, 0x80, 52, 2);
    }
    let mut object = [&1847u16.to_be_bytes()[..], &(chunks.len() as u32).to_be_bytes()].concat();
    object.extend_from_slice(&chunks);

    let mut limits = ServerLimits::default();
    limits.max_check_bytes = 16 * 1024;
    let mut check = DestinationCheck::new(&limits);
    let results: Vec<bool> = object.chunks(4096).map(|piece| check.feed(piece).is_ok()).collect();
    assert!(results[0] && !results[results.len() - 1], "{results:?}");
    assert!(check.is_failed());
    assert!(check.retained_bytes() < 1024, "{} bytes held after giving up", check.retained_bytes());
    assert_eq!(check.object_hash(), ObjectHasher::hash(&object));

    // Over the wire: the right hash, then the check's refusal.
    let hash = ObjectHasher::hash(&object);
    let mut h = ready_for_data(object.len(), &hash);
    for piece in object.chunks(60_000) {
        h.send(piece);
    }
    assert_eq!(h.send(b"\r\n"), "", "no 451: the hash matched");
    let check = h.session.take_check().expect("the whole object arrived with its hash");
    assert!(check.is_failed());
}
