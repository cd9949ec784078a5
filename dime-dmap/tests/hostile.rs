//! Hostile input: garbage before authentication, overlong lines, thousands of pipelined
//! commands. Exact answers, and nothing buffered without bound.

mod common;

use common::Harness;
use dime_dmap::Interrupt;

#[test]
fn garbage_before_authentication_gets_bad_then_bye() {
    let mut h = Harness::new();
    assert_eq!(h.send(b"\x00\xff\xfe garbage\r\n"), "* BAD Missing or invalid tag\r\n");
    assert_eq!(h.send(b"\r\n"), "* BAD Missing or invalid tag\r\n");
    assert_eq!(h.send(b"GET / HTTP/1.1\r\n"), "GET BAD Unknown command\r\n");
    assert_eq!(h.send(b"a1 SELECT\r\n"), "a1 BAD Invalid arguments: syntax error at byte 9: expected SP\r\n");
    assert_eq!(h.send(b"a2 FETCH 1 FLAGS\r\n"), "a2 BAD FETCH is not allowed in the not authenticated state\r\n");
    for _ in 0..4 {
        assert_eq!(h.send(b"+++\r\n"), "* BAD Missing or invalid tag\r\n");
    }
    // Ten consecutive BADs end the session.
    assert_eq!(h.send(b"x\r\n"), "x BAD Missing command\r\n* BYE Too many invalid commands\r\n");
    assert!(h.closed);
    assert_eq!(h.send(b"a3 NOOP\r\n"), "");
}

#[test]
fn a_good_command_resets_the_error_count() {
    let mut h = Harness::new();
    for _ in 0..50 {
        assert_eq!(h.send(b"junk\r\n"), "junk BAD Missing command\r\n");
        assert_eq!(h.send(b"ok NOOP\r\n"), "ok OK NOOP completed\r\n");
    }
    assert!(!h.closed);
}

#[test]
fn overlong_line_is_answered_and_skipped_without_buffering() {
    let mut h = Harness::new();
    let limit = dime_dmap::SessionLimits::default().max_line;
    let mut line = b"t1 SELECT ".to_vec();
    line.extend(std::iter::repeat_n(b'a', limit));
    h.session.enqueue_input(h.now, &line);
    assert_eq!(h.drain(), format!("t1 BAD [TOOBIG] Line is longer than {limit} bytes\r\n"));
    for _ in 0..1000 {
        h.session.enqueue_input(h.now, &[b'b'; 1024]);
        assert_eq!(h.drain(), "");
    }
    assert_eq!(h.send(b"bbb\r\nt2 NOOP\r\n"), "t2 OK NOOP completed\r\n");
}

#[test]
fn ten_thousand_pipelined_commands() {
    let mut h = Harness::new();
    h.select_inbox();
    let mut wire = Vec::new();
    for i in 0..10_000 {
        wire.extend_from_slice(format!("p{i} NOOP\r\n").as_bytes());
    }
    h.session.enqueue_input(h.now, &wire);
    let mut answered = 0;
    let mut largest_output = 0;
    let mut out = Vec::new();
    loop {
        match h.session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => {
                largest_output = largest_output.max(bytes.len());
                answered += bytes.windows(4).filter(|w| w == b" OK ").count();
                out.extend_from_slice(&bytes);
            }
            Err(Interrupt::NeedMoreInput) => break,
            Err(Interrupt::Store) => dime_dmap::store::block_on(h.session.run_store()),
            Err(interrupt @ (Interrupt::Closed | Interrupt::AwaitingAnswer)) => panic!("{interrupt:?}"),
        }
    }
    assert_eq!(answered, 10_000);
    assert!(largest_output <= 64, "one command's answer per step, not the whole backlog: {largest_output}");
    assert!(out.ends_with(b"p9999 OK NOOP completed\r\n"));
    assert!(out.starts_with(b"p0 OK NOOP completed\r\np1 OK NOOP completed\r\n"));
}

#[test]
fn pipelined_commands_after_a_bad_one_still_run() {
    let mut h = Harness::new();
    h.login();
    let out = h.send(b"a LIST\r\nb NOOP\r\nc LIST \"\" INBOX\r\n");
    assert_eq!(
        out,
        "a BAD Invalid arguments: syntax error at byte 6: expected SP\r\nb OK NOOP completed\r\n* LIST (\\HasNoChildren) \"/\" INBOX\r\nc OK LIST completed\r\n"
    );
}

#[test]
fn random_bytes_never_panic_and_stay_bounded() {
    // A deterministic xorshift stream of bytes, fed in uneven chunks.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut h = Harness::new();
    for round in 0..2000 {
        let len = (round * 7) % 97 + 1;
        let chunk: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        h.session.enqueue_input(h.now, &chunk);
        h.drain();
        if h.closed {
            break;
        }
    }
    assert!(h.closed, "garbage ends in BYE");
}
