//! Literals: synchronizing and non-synchronizing, split across reads at every byte, over the
//! limits, and unterminated.

mod common;

use common::{Harness, config, object, store};
use dime_dmap::codec::Mailbox;
use dime_dmap::store::{Store, block_on};

const CONTINUE: &str = "+ Ready for literal data\r\n";

#[test]
fn synchronizing_literal_waits_for_the_continuation() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A APPEND Archive (\\Seen) {5}\r\n"), CONTINUE);
    assert_eq!(h.send(b"hel"), "");
    assert_eq!(h.send(b"lo\r\n"), "A OK [APPENDUID 2 1] APPEND completed\r\n");
    let view = block_on(h.session.store().mailbox(common::USER, &Mailbox::new("Archive"))).unwrap();
    assert_eq!(view.messages.len(), 1);
    assert_eq!(block_on(h.session.store().object(common::USER, &Mailbox::new("Archive"), 1)).unwrap(), b"hello");
}

#[test]
fn non_synchronizing_literal_needs_no_continuation() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A SUBMIT {4+}\r\nobj1\r\n"), "A OK [SUBMITTED Q1] Object accepted for relay\r\n");
    assert_eq!(h.session.store().outbox()[0].object, b"obj1");
}

#[test]
fn a_command_split_at_every_byte_gives_the_same_answers() {
    let big = object(9);
    let mut wire = format!("A APPEND INBOX {{{}}}\r\n", big.len()).into_bytes();
    wire.extend_from_slice(&big);
    wire.extend_from_slice(b"\r\nB SUBMIT {3+}\r\nx\r\n\r\nC NOOP\r\n");
    let expected = {
        let mut h = Harness::new();
        h.login();
        h.send(&wire)
    };
    assert_eq!(
        expected,
        format!("{CONTINUE}* 4 EXISTS\r\nA OK [APPENDUID 1 4] APPEND completed\r\nB OK [SUBMITTED Q1] Object accepted for relay\r\nC OK NOOP completed\r\n")
            .replace("* 4 EXISTS\r\n", ""),
        "no mailbox selected, so no EXISTS"
    );
    for split in 1..wire.len() {
        let mut h = Harness::new();
        h.login();
        let mut out = h.send(&wire[..split]);
        out.push_str(&h.send(&wire[split..]));
        assert_eq!(out, expected, "split at {split}");
        assert_eq!(h.session.store().outbox()[0].object, b"x\r\n");
    }
    // And byte by byte.
    let mut h = Harness::new();
    h.login();
    let mut out = String::new();
    for byte in &wire {
        out.push_str(&h.send(std::slice::from_ref(byte)));
    }
    assert_eq!(out, expected);
}

#[test]
fn literal_over_the_limit_is_refused_before_any_data() {
    let mut h = Harness::new();
    h.login();
    let limit = dime_dmap::SessionLimits::default().max_literal;
    let out = h.send(format!("A APPEND INBOX {{{}}}\r\n", limit + 1).as_bytes());
    assert_eq!(out, format!("A NO [TOOBIG] Literal of {} bytes is over the limit of {limit}\r\n", limit + 1));
    // The client sends no data after a refusal; the next line is a new command.
    assert_eq!(h.send(b"B NOOP\r\n"), "B OK NOOP completed\r\n");
    let out = h.send(b"C APPEND INBOX {4294967295}\r\n");
    assert_eq!(out, format!("C NO [TOOBIG] Literal of 4294967295 bytes is over the limit of {limit}\r\n"));
}

#[test]
fn literals_before_login_are_capped_at_a_line() {
    let mut h = Harness::new();
    let out = h.send(b"A LOGIN {9000}\r\n");
    assert_eq!(out, "A NO [TOOBIG] Command is over the limit of 8192 bytes before authentication\r\n");
    assert_eq!(h.send(b"A LOGIN {5}\r\n"), CONTINUE);
    assert_eq!(h.send(b"alice {3}\r\n"), CONTINUE);
    assert_eq!(h.send(b"pwd\r\n"), "A NO [CANNOT] LOGIN is disabled, use AUTHENTICATE STACIE\r\n");
}

/// Issue 9: a chain of small non-synchronizing literals used to let a client with no account
/// make one command of up to 32 MiB. Before login the whole command is capped at 8 KiB.
#[test]
fn a_chain_of_non_synchronizing_literals_before_login_is_capped() {
    let mut h = Harness::new();
    let mut wire = b"A LOGIN {4000+}\r\n".to_vec();
    wire.extend([b'a'; 4000]);
    wire.extend(b" {4000+}\r\n");
    wire.extend([b'b'; 4000]);
    // 8,026 bytes so far; 200 more would pass 8,192.
    wire.extend(b" {200+}\r\n");
    wire.extend([b'c'; 200]);
    let before = h.session.store().outbox().len();
    let out = h.send(&wire);
    assert_eq!(
        out,
        "A BAD [TOOBIG] Command is over the limit of 8192 bytes before authentication\r\n\
         * BYE Non-synchronizing literal over the limit\r\n"
    );
    assert!(h.closed);
    assert_eq!(h.session.store().outbox().len(), before);
}

#[test]
fn a_synchronizing_literal_that_passes_the_command_cap_before_login_is_refused() {
    let mut h = Harness::new();
    assert_eq!(h.send(b"A LOGIN {4000}\r\n"), CONTINUE);
    let mut wire = vec![b'a'; 4000];
    wire.extend(b" {4200}\r\n");
    assert_eq!(h.send(&wire), "A NO [TOOBIG] Command is over the limit of 8192 bytes before authentication\r\n");
    assert_eq!(h.send(b"B NOOP\r\n"), "B OK NOOP completed\r\n");
}

#[test]
fn lines_between_literals_count_towards_the_command_cap_before_login() {
    let mut h = Harness::new();
    let mut wire = b"A LOGIN {4000+}\r\n".to_vec();
    wire.extend([b'a'; 4000]);
    // The line after the literal is short, but it carries the command past 8 KiB.
    wire.extend([b' '; 4500]);
    wire.extend(b"x\r\nB NOOP\r\n");
    assert_eq!(
        h.send(&wire),
        "A BAD [TOOBIG] Command is over the limit of 8192 bytes before authentication\r\nB OK NOOP completed\r\n"
    );
}

#[test]
fn after_login_the_command_cap_gives_way_to_the_message_limit() {
    let mut h = Harness::new();
    h.login();
    let mut wire = b"A SUBMIT {4000+}\r\n".to_vec();
    wire.extend([7u8; 4000]);
    wire.extend(b"\r\n");
    let out = h.send(&wire);
    assert!(out.starts_with("A OK [SUBMITTED"), "{out}");
    let mut wire = b"B APPEND INBOX {20000}\r\n".to_vec();
    assert_eq!(h.send(&wire), CONTINUE);
    wire = vec![9u8; 20000];
    wire.extend(b"\r\n");
    assert_eq!(h.send(&wire), "B OK [APPENDUID 1 4] APPEND completed\r\n");
}

#[test]
fn oversized_non_synchronizing_literal_ends_the_session() {
    let mut h = Harness::new();
    h.login();
    let out = h.send(b"A SUBMIT {4097+}\r\n");
    assert_eq!(
        out,
        "A BAD [TOOBIG] Non-synchronizing literal of 4097 bytes is over the limit of 4096\r\n* BYE Non-synchronizing literal over the limit\r\n"
    );
    assert!(h.closed);
    // Whatever follows is not read.
    assert_eq!(h.send(&[b'x'; 5000]), "");
}

#[test]
fn unterminated_literal_buffers_only_what_was_announced() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A APPEND INBOX {100}\r\n"), CONTINUE);
    assert_eq!(h.send(&[b'z'; 99]), "", "still waiting for one byte");
    // The client goes quiet (or the connection drops): no answer, nothing executed.
    assert_eq!(block_on(h.session.store().mailbox(common::USER, &Mailbox::inbox())).unwrap().messages.len(), 3);
    // The literal's last byte arrives, then CRLF ends the command.
    assert_eq!(h.send(b"z\r\n"), "A OK [APPENDUID 1 4] APPEND completed\r\n");
}

#[test]
fn literal_without_the_final_crlf_is_a_syntax_error() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(
        h.send(b"A SUBMIT {3+}\r\nabc NOOP\r\n"),
        "A BAD Invalid arguments: syntax error at byte 18: expected CRLF\r\n"
    );
}

#[test]
fn literals_in_strings_everywhere() {
    let mut cfg = config();
    cfg.limits.max_literal = 1000;
    let mut h = Harness::with(cfg, store());
    h.login();
    let out = h.send(b"A SELECT {5+}\r\nINBOX\r\n");
    assert!(out.ends_with("A OK [READ-WRITE] SELECT completed\r\n"), "{out}");
    let out = h.send(b"B STATUS {7+}\r\nArchive (MESSAGES UIDNEXT)\r\n");
    assert_eq!(out, "* STATUS Archive (MESSAGES 0 UIDNEXT 1)\r\nB OK STATUS completed\r\n");
}
