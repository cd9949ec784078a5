//! The IMAP4rev1 commands DMAP implements beyond its own (issue 12): each with the exact
//! responses a stock client receives.

mod common;

use common::Harness;

#[test]
fn a_tagged_line_without_a_command_is_answered_tagged() {
    let mut h = Harness::new();
    assert_eq!(h.send(b"A1\r\n"), "A1 BAD Missing command\r\n");
    h.login();
    assert_eq!(h.send(b"A2\r\n"), "A2 BAD Missing command\r\n");
}

#[test]
fn uid_with_an_unknown_command_is_an_unknown_command() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(h.send(b"A UID FROB 1\r\n"), "A BAD Unknown command\r\n");
    assert_eq!(h.send(b"A UID FROB\r\n"), "A BAD Unknown command\r\n");
    assert_eq!(h.send(b"A FROB\r\n"), "A BAD Unknown command\r\n");
}

#[test]
fn an_empty_partial_fetch_is_a_synchronizing_empty_literal() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(
        h.send(b"A FETCH 1 BODY.PEEK[]<400.10>\r\n"),
        "* 1 FETCH (BODY[]<400> {0}\r\n)\r\nA OK FETCH completed\r\n"
    );
}
