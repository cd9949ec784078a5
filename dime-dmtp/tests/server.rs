//! The server session against the state table of `docs/dmtp.md` (protocols.md §4): one test per
//! row (command, state, exact reply, next state), and every error reply of §3.

mod common;

use common::*;
use dime_core::Fingerprint;
use dime_dmtp::object::ObjectHasher;
use dime_dmtp::server::*;
use dime_dmtp::wire::{Name, TxId};

const FP: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn mail(size: u64) -> String {
    format!("MAIL FROM: <example.org> [{FP}] SIZE={size}")
}

fn rcpt() -> String {
    format!("RCPT TO: <example.net> [{FP}]")
}

/// Sends `line` and checks the exact reply and the state after it.
fn row(h: &mut Harness, line: &str, reply: &str, state: SessionState) {
    assert_eq!(h.line(line), reply, "reply to {line:?}");
    assert_eq!(h.session.state(), state, "state after {line:?}");
}

const EHLO_REPLY: &str =
    "250-PIPELINING\r\n250-8BITMIME\r\n250-8BITDIME\r\n250-RETURN\r\n250-SIZE 67108864\r\n250 OK\r\n";

#[test]
fn banners() {
    let mut native = ServerSession::new(std::sync::Arc::new(config(ListenMode::Native)), std::time::Instant::now());
    assert_eq!(native.state(), SessionState::Handshake);
    assert_eq!(native.poll_transmit(), None);
    native.tls_established(std::time::Instant::now()).unwrap();
    assert_eq!(&native.poll_transmit().unwrap()[..], b"220 <dx.example.net> DMTPv1 dime-rs\r\n");
    assert_eq!(native.state(), SessionState::Secure);
    assert_eq!(native.tls_established(std::time::Instant::now()), Err(dime_dmtp::DmtpError::WrongState));

    let mut dual = ServerSession::new(
        std::sync::Arc::new(config(ListenMode::Dual { smtp_handoff: true })),
        std::time::Instant::now(),
    );
    assert_eq!(&dual.poll_transmit().unwrap()[..], b"220 <dx.example.net> ESMTP DMTPv1 dime-rs\r\n");
    let mut dual = ServerSession::new(
        std::sync::Arc::new(config(ListenMode::Dual { smtp_handoff: false })),
        std::time::Instant::now(),
    );
    assert_eq!(&dual.poll_transmit().unwrap()[..], b"220 <dx.example.net> DMTPv1 dime-rs\r\n");
}

// ---- PLAIN (dual mode before STARTTLS) --------------------------------------------------------

#[test]
fn plain_starttls_goes_secure_without_fallback() {
    let mut h = Harness::dual(true);
    row(
        &mut h,
        "STARTTLS <dx.example.net> MODE=DMTPv1",
        "220-SENDING CERTIFICATE FOR DOMAIN <dx.example.net>\r\n220 READY\r\n",
        SessionState::StartingTls,
    );
    assert_eq!(h.events, vec![ServerEvent::StartTls]);
    // Plaintext bytes before the handshake are dropped unread.
    assert_eq!(h.send(b"NOOP\r\n"), "");
    h.session.tls_established(h.now).unwrap();
    assert_eq!(h.output(), "250 OK DMTPv1\r\n");
    assert_eq!(h.session.state(), SessionState::Secure);
    row(&mut h, "EHLO example.org", "554 DMTP SESSION CANNOT FALLBACK AFTER ESTABLISHMENT.\r\n", SessionState::Secure);
    row(&mut h, "STARTTLS <dx.example.net>", "454 SESSION IS ALREADY ENCRYPTED.\r\n", SessionState::Secure);
    row(&mut h, "MODE", "200 OK DMTPv1\r\n", SessionState::Secure);
    // A served domain is also a valid STARTTLS name.
    let mut h = Harness::dual(false);
    row(
        &mut h,
        "STARTTLS <example.net>",
        "220-SENDING CERTIFICATE FOR DOMAIN <example.net>\r\n220 READY\r\n",
        SessionState::StartingTls,
    );
}

#[test]
fn plain_starttls_errors() {
    let mut h = Harness::dual(false);
    row(&mut h, "STARTTLS <other.example.com>", "554 CERTIFICATE NOT FOUND FOR DOMAIN.\r\n", SessionState::Plain);
    row(&mut h, "STARTTLS dx.example.net", "501 BAD STARTTLS SYNTAX.\r\n", SessionState::Plain);
    row(&mut h, "STARTTLS <dx.example.net> MODE=SMTP", "501 BAD STARTTLS SYNTAX.\r\n", SessionState::Plain);
    row(&mut h, "STARTTLS <dx_example.net>", "501 INVALID STARTTLS DOMAIN.\r\n", SessionState::Plain);
}

#[test]
fn plain_mode() {
    row(&mut Harness::dual(true), "MODE", "200 OK ESMTP DMTPv1\r\n", SessionState::Plain);
    row(&mut Harness::dual(false), "MODE", "200 OK DMTPv1\r\n", SessionState::Plain);
}

#[test]
fn plain_quit() {
    let mut h = Harness::dual(false);
    row(&mut h, "QUIT", "221 BYE\r\n", SessionState::Closed);
    assert!(h.session.is_closed());
}

#[test]
fn plain_smtp_is_handed_off_or_refused() {
    for line in ["EHLO mail.example.org", "HELO mail.example.org", "STARTTLS", "EHLO <user@example.org>"] {
        let mut h = Harness::dual(true);
        row(&mut h, line, "", SessionState::HandedOff);
        assert_eq!(h.events, vec![ServerEvent::SmtpHandoff { line: format!("{line}\r\n").into_bytes() }]);
        assert!(h.session.is_closed());

        let mut h = Harness::dual(false);
        row(&mut h, line, "554 <dx.example.net> SMTP SERVICE NOT AVAILABLE\r\n", SessionState::Plain);
        assert_eq!(h.session.violations(), 1);
    }
}

#[test]
fn plain_other_verbs_need_starttls() {
    for line in [
        "EHLO <example.org>",
        "NOOP",
        "RSET",
        "HELP",
        "VERB",
        "STATS",
        "SGNT <example.net>",
        &mail(1),
        &rcpt(),
        &format!("DATA [{FP}]"),
        "NOOP x",
    ] {
        let mut h = Harness::dual(false);
        row(&mut h, line, "503 DMTP COMMAND REQUIRES STARTTLS FIRST.\r\n", SessionState::Plain);
        assert_eq!(h.session.violations(), 1);
    }
    row(&mut Harness::dual(false), "XYZZY", "500 INVALID COMMAND\r\n", SessionState::Plain);
}

// ---- SECURE / GREETED / MAIL / RCPT / DATA-IN ------------------------------------------------

#[test]
fn secure_ehlo_greets() {
    let mut h = Harness::native();
    row(&mut h, "EHLO <example.org>", EHLO_REPLY, SessionState::Greeted);
    let mut h = Harness::native();
    row(&mut h, "EHLO <example_org>", "501 INVALID EHLO DOMAIN.\r\n", SessionState::Secure);
    row(&mut h, "EHLO", "501 BAD EHLO SYNTAX.\r\n", SessionState::Secure);
    row(&mut h, "EHLO <example.org> extra", "501 BAD EHLO SYNTAX.\r\n", SessionState::Secure);
}

fn at(state: SessionState) -> Harness {
    let mut h = Harness::native();
    if state != SessionState::Secure {
        h.line("EHLO <example.org>");
    }
    if matches!(state, SessionState::Mail | SessionState::Rcpt) {
        h.line(&mail(3));
    }
    if state == SessionState::Rcpt {
        h.line(&rcpt());
    }
    assert_eq!(h.session.state(), state);
    h
}

#[test]
fn no_ehlo_needed_for_lookups_and_state_is_kept() {
    let store = Store::with(&Org::new("example.net"), &[]);
    for state in [SessionState::Secure, SessionState::Greeted, SessionState::Mail, SessionState::Rcpt] {
        for (line, reply) in [
            ("MODE", "200 OK DMTPv1\r\n".to_string()),
            ("NOOP", "250 OK\r\n".into()),
            ("VERB", "200 OK\r\n".into()),
            ("HELP QUIT", "214-QUIT\r\n214-QUIT - CLOSE THE SESSION\r\n214 OK\r\n".into()),
            ("SGNT <nobody@example.net>", "".into()),
        ] {
            let mut h = at(state);
            row(&mut h, line, &reply, state);
            for event in std::mem::take(&mut h.events) {
                store.answer(&mut h.session, h.now, event);
            }
            if line.starts_with("SGNT") {
                assert_eq!(h.output(), "450 SIGNET NOT FOUND.\r\n");
                assert_eq!(h.session.state(), state);
            }
        }
        let mut h = at(state);
        let reply = h.line("STATS");
        assert!(reply.starts_with("200 ONCE [") && reply.ends_with("]\r\n") && reply.len() == 56, "{reply}");
        assert_eq!(h.session.state(), state);
        let expected = if state == SessionState::Secure { SessionState::Secure } else { SessionState::Greeted };
        row(&mut at(state), "RSET", "250 OK\r\n", expected);
    }
}

#[test]
fn secure_transaction_verbs_need_ehlo() {
    let mut h = Harness::native();
    row(&mut h, &mail(1), "503 MAIL FROM REJECTED - PLEASE PROVIDE AN EHLO AND TRY AGAIN\r\n", SessionState::Secure);
    row(&mut h, &rcpt(), "503 RCPT TO REJECTED - PLEASE PROVIDE AN EHLO AND TRY AGAIN\r\n", SessionState::Secure);
    row(
        &mut h,
        &format!("DATA [{FP}]"),
        "503 DATA REJECTED - PLEASE PROVIDE AN EHLO AND TRY AGAIN\r\n",
        SessionState::Secure,
    );
    // The sequence is checked before the syntax.
    row(
        &mut h,
        "MAIL FROM: junk",
        "503 MAIL FROM REJECTED - PLEASE PROVIDE AN EHLO AND TRY AGAIN\r\n",
        SessionState::Secure,
    );
}

#[test]
fn greeted_mail_from() {
    row(&mut at(SessionState::Greeted), &mail(67_108_864), "250 OK\r\n", SessionState::Mail);
    row(
        &mut at(SessionState::Greeted),
        &format!("{} RETURN=FULL DATA=8BIT", mail(0)),
        "250 OK\r\n",
        SessionState::Mail,
    );
    let mut h = at(SessionState::Greeted);
    row(&mut h, &mail(67_108_865), "552 SIZE LIMIT EXCEEDED - THE LIMIT IS 67108864 BYTES\r\n", SessionState::Greeted);
    row(&mut h, "MAIL FROM: <example.org>", "501 BAD MAIL FROM SYNTAX.\r\n", SessionState::Greeted);
    row(
        &mut h,
        &format!("MAIL FROM: <example.org> [{FP}] SIZE=x1"),
        "501 BAD MAIL FROM SYNTAX.\r\n",
        SessionState::Greeted,
    );
    row(
        &mut h,
        &format!("MAIL FROM: <example.org> [{FP}] SIZE=01"),
        "501 INVALID MAIL FROM PARAMETER.\r\n",
        SessionState::Greeted,
    );
    row(
        &mut h,
        &format!("{} BODY=8BITMIME", mail(1)),
        "501 UNSUPPORTED MAIL FROM PARAMETER.\r\n",
        SessionState::Greeted,
    );
}

#[test]
fn mail_again_resets_the_transaction() {
    let mut h = at(SessionState::Rcpt);
    row(&mut h, &mail(5), "250 OK\r\n", SessionState::Mail);
    // The old RCPT TO is gone: DATA needs a new one.
    row(
        &mut h,
        &format!("DATA [{FP}]"),
        "503 DATA REJECTED - PLEASE PROVIDE A RCPT TO AND TRY AGAIN\r\n",
        SessionState::Mail,
    );
}

#[test]
fn mail_rcpt_to() {
    row(&mut at(SessionState::Mail), &rcpt(), "250 OK\r\n", SessionState::Rcpt);
    let mut h = at(SessionState::Mail);
    row(
        &mut h,
        &format!("RCPT TO: <example.com> [{FP}]"),
        "551 RELAY ACCESS DENIED - <example.com> IS NOT SERVED HERE\r\n",
        SessionState::Mail,
    );
    row(&mut h, "RCPT TO: <example.net>", "501 BAD RCPT TO SYNTAX.\r\n", SessionState::Mail);
    row(&mut h, &format!("RCPT TO: <example.net> [{}]", &FP[..84]), "501 BAD RCPT TO SYNTAX.\r\n", SessionState::Mail);
    row(
        &mut at(SessionState::Greeted),
        &rcpt(),
        "503 RCPT TO REJECTED - PLEASE PROVIDE A MAIL FROM AND TRY AGAIN\r\n",
        SessionState::Greeted,
    );
    row(
        &mut at(SessionState::Rcpt),
        &rcpt(),
        "503 RCPT TO REJECTED - ONLY ONE DESTINATION PER TRANSACTION\r\n",
        SessionState::Rcpt,
    );
    // A served domain with pinned fingerprints refuses others.
    let pinned = Fingerprint([9; 64]);
    let mut cfg = config(ListenMode::Native);
    cfg.served[0].fingerprints = vec![pinned];
    let mut h = Harness::new(cfg);
    h.line("EHLO <example.org>");
    h.line(&mail(1));
    row(
        &mut h,
        &rcpt(),
        "554 INVALID RECIPIENT - THE FINGERPRINT IS NOT A CURRENT SIGNET OF <example.net>\r\n",
        SessionState::Mail,
    );
    row(&mut h, &format!("RCPT TO: <example.net> [{pinned}]"), "250 OK\r\n", SessionState::Rcpt);
}

/// Input fed as `Bytes` gives the same pieces, the same hash and the same verdict as a slice,
/// and each piece is a slice of the input, not a copy.
#[test]
fn object_pieces_share_bytes_input() {
    let object: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let hash = ObjectHasher::hash(&object);
    let mut h = Harness::native();
    h.line("EHLO <example.org>");
    h.line(&mail(object.len() as u64));
    h.line(&rcpt());
    assert_eq!(h.line(&format!("DATA [{hash}]")), format!("354 CONTINUE [{hash}]\r\n"));
    h.events.clear();
    let mut input = object.clone();
    input.extend_from_slice(b"\r\n");
    let input = bytes::Bytes::from(input);
    let (mut offset, mut pieces) = (0, Vec::new());
    while offset < input.len() {
        let rest = input.slice(offset..);
        let taken = h.session.enqueue_bytes(h.now, &rest);
        assert!(taken > 0, "the session stopped at {offset}");
        while let Some(event) = h.session.poll() {
            if let ServerEvent::MessageData { bytes } = &event {
                assert!(rest.as_ptr_range().contains(&bytes.as_ptr()), "a piece was copied");
                pieces.extend_from_slice(bytes);
            } else {
                h.events.push(event);
            }
        }
        offset += taken;
    }
    assert!(pieces == object, "the pieces are not the object");
    let Some(ServerEvent::MessageReceived(message)) = h.events.pop() else { panic!("{:?}", h.events) };
    assert_eq!((message.hash, message.size), (hash, object.len() as u64));
}

#[test]
fn rcpt_data_and_data_in() {
    let body = b"abc";
    let hash = ObjectHasher::hash(body);
    let mut h = at(SessionState::Rcpt);
    row(&mut h, &format!("DATA [{hash}]"), &format!("354 CONTINUE [{hash}]\r\n"), SessionState::DataIn);
    assert_eq!(h.send(b"abc\r\n"), "");
    assert!(h.session.awaiting_answer());
    assert_eq!(h.session.state(), SessionState::DataIn);
    let (message, object) = h.received();
    assert_eq!(&object[..], body);
    assert_eq!(message.size, 3);
    assert_eq!(message.hash, hash);
    assert_eq!(message.envelope.destination, host("example.net"));
    assert_eq!(message.envelope.mail_from.size, 3);
    // Input waits while the verdict is pending.
    assert_eq!(h.session.enqueue_input(h.now, b"NOOP\r\n"), 0);
    h.session.answer(h.now, message.id, Answer::Message(Ok(()))).unwrap();
    assert_eq!(h.output(), format!("250 OK [{}]\r\n", message.txid));
    assert_eq!(h.session.state(), SessionState::Greeted);
    assert_eq!(message.txid.to_string().parse::<TxId>(), Ok(message.txid));
    // The protocol table lets MF accept DATA in MAIL; dime-rs demands RCPT TO (protocols.md §10).
    row(
        &mut at(SessionState::Mail),
        &format!("DATA [{FP}]"),
        "503 DATA REJECTED - PLEASE PROVIDE A RCPT TO AND TRY AGAIN\r\n",
        SessionState::Mail,
    );
    row(
        &mut at(SessionState::Greeted),
        &format!("DATA [{FP}]"),
        "503 DATA REJECTED - PLEASE PROVIDE A MAIL FROM AND TRY AGAIN\r\n",
        SessionState::Greeted,
    );
    let mut h = at(SessionState::Rcpt);
    row(&mut h, "DATA", "501 BAD DATA SYNTAX.\r\n", SessionState::Rcpt);
    row(&mut h, "DATA [QUFB]", "501 BAD DATA SYNTAX.\r\n", SessionState::Rcpt);
}

/// docs/dmtp.md §3: a value outside its lexical class is a syntax error, a value inside it that
/// is out of range or not canonical is an invalid parameter, whichever value it is.
#[test]
fn replies_follow_the_character_classes() {
    let non_canonical = format!("{}B", &FP[..85]);
    let cases = [
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=-1"), "501 BAD MAIL FROM SYNTAX.\r\n"),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=12a"), "501 BAD MAIL FROM SYNTAX.\r\n"),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE="), "501 BAD MAIL FROM SYNTAX.\r\n"),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=99999999999999999999"), "501 INVALID MAIL FROM PARAMETER.\r\n"),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=007"), "501 INVALID MAIL FROM PARAMETER.\r\n"),
        (format!("MAIL FROM: <example.org> [{FP}==] SIZE=1"), "501 BAD MAIL FROM SYNTAX.\r\n"),
        (format!("MAIL FROM: <example.org> [{}] SIZE=1", &FP[..85]), "501 BAD MAIL FROM SYNTAX.\r\n"),
        (format!("MAIL FROM: <example.org> [{non_canonical}] SIZE=1"), "501 INVALID MAIL FROM PARAMETER.\r\n"),
        (format!("VRFY <example.net> [{FP}==]"), "501 BAD VRFY SYNTAX.\r\n"),
        (format!("VRFY <example.net> [{}]", &FP[..85]), "501 BAD VRFY SYNTAX.\r\n"),
        (format!("VRFY <example.net> [{non_canonical}]"), "501 INVALID VRFY PARAMETER.\r\n"),
    ];
    for (line, reply) in cases {
        let mut h = Harness::greeted();
        assert_eq!(h.line(&line), reply, "{line}");
    }
}

#[test]
fn data_verdicts() {
    let cases = [
        (Answer::Message(Err(Rejection::InvalidObject)), "554 INVALID DMIME DATA RECEIVED.\r\n"),
        (
            Answer::Message(Err(Rejection::AccountLocked)),
            "550 ACCOUNT LOCKED - THE RECIPIENT CANNOT RECEIVE MESSAGES\r\n",
        ),
        (
            Answer::Message(Err(Rejection::RelayDenied)),
            "551 RELAY ACCESS DENIED - THE DESTINATION IS NOT SERVED HERE\r\n",
        ),
        (Answer::Message(Err(Rejection::InvalidRecipient)), "554 INVALID RECIPIENT - NO SUCH USER\r\n"),
        (Answer::Message(Err(Rejection::TemporaryFailure)), "451 INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER\r\n"),
        (Answer::TemporaryFailure, "451 INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER\r\n"),
    ];
    for (answer, reply) in cases {
        let mut h = at(SessionState::Rcpt);
        h.line(&format!("DATA [{}]", ObjectHasher::hash(b"abc")));
        h.send(b"abc\r\n");
        let (message, _) = h.received();
        let wrong = h.session.answer(h.now, message.id, Answer::Signet(None));
        assert_eq!(wrong, Err(dime_dmtp::DmtpError::WrongAnswer { id: message.id.0 }));
        assert_eq!(
            h.session.answer(h.now, AnswerId(99), answer.clone()),
            Err(dime_dmtp::DmtpError::UnknownRequest { id: 99 })
        );
        h.session.answer(h.now, message.id, answer).unwrap();
        assert_eq!(h.output(), reply);
        assert_eq!(h.session.state(), SessionState::Greeted);
        assert_eq!(
            h.session.answer(h.now, message.id, Answer::TemporaryFailure),
            Err(dime_dmtp::DmtpError::UnknownRequest { id: message.id.0 })
        );
    }
}

#[test]
fn smtp_verbs_in_secure_states() {
    for state in [SessionState::Secure, SessionState::Greeted, SessionState::Mail, SessionState::Rcpt] {
        for line in ["HELO example.org", "EHLO example.org", "STARTTLS", "AUTH LOGIN"] {
            row(&mut at(state), line, "554 DMTP SESSION CANNOT FALLBACK AFTER ESTABLISHMENT.\r\n", state);
        }
    }
}

#[test]
fn quit_anywhere() {
    for state in [SessionState::Secure, SessionState::Greeted, SessionState::Mail, SessionState::Rcpt] {
        row(&mut at(state), "QUIT", "221 BYE\r\n", SessionState::Closed);
    }
    row(&mut at(SessionState::Secure), "QUIT now", "501 BAD QUIT SYNTAX.\r\n", SessionState::Secure);
}

#[test]
fn unknown_commands_count_violations_until_421() {
    for state in [SessionState::Secure, SessionState::Greeted, SessionState::Mail, SessionState::Rcpt] {
        let mut h = at(state);
        for i in 1..10 {
            row(&mut h, "XYZZY", "500 INVALID COMMAND\r\n", state);
            assert_eq!(h.session.violations(), i);
        }
        row(
            &mut h,
            "XYZZY",
            "500 INVALID COMMAND\r\n421 TOO MANY PROTOCOL VIOLATIONS - GOOD BYE\r\n",
            SessionState::Closed,
        );
    }
    let mut h = Harness::native();
    row(&mut h, "", "500 INVALID COMMAND\r\n", SessionState::Secure);
    assert_eq!(h.session.violations(), 1);
}

// ---- lookups and the other §3 replies -----------------------------------------------------------

#[test]
fn lookups_answer_exactly() {
    let org = Org::new("example.net");
    let bob = org.user("bob@example.net", 3);
    let store = Store::with(&org, &[&bob]);
    let b64 = |s: &dime_signet::Signet| dime_core::base64::encode_padded(s.as_bytes());
    let fp = |s: &dime_signet::Signet| s.fingerprint(dime_signet::FingerprintKind::Full).unwrap();
    let ask = |line: String| {
        let mut h = Harness::native();
        assert_eq!(h.line(&line), "");
        for event in std::mem::take(&mut h.events) {
            store.answer(&mut h.session, h.now, event);
        }
        h.output()
    };
    assert_eq!(ask("SGNT <example.net>".into()), format!("250 OK [{}]\r\n", b64(&org.signet)));
    assert_eq!(ask("SGNT <bob@example.net>".into()), format!("250 OK [{}]\r\n", b64(bob.current())));
    assert_eq!(
        ask(format!("SGNT <bob@example.net> [{}]", fp(&bob.chain[0]))),
        format!("250 OK [{}]\r\n", b64(&bob.chain[0]))
    );
    assert_eq!(ask("SGNT <carol@example.net>".into()), "450 SIGNET NOT FOUND.\r\n");
    assert_eq!(
        ask(format!("HIST <bob@example.net> [{}]", fp(&bob.chain[1]))),
        format!("250-[{}]\r\n250-[{}]\r\n250 OK\r\n", b64(&bob.chain[1]), b64(&bob.chain[2]))
    );
    assert_eq!(ask(format!("HIST <bob@example.net> [{FP}]")), "450 SIGNET NOT FOUND.\r\n");
    assert_eq!(ask(format!("VRFY <bob@example.net> [{}]", fp(&bob.chain[2]))), "250 CURRENT\r\n");
    assert_eq!(
        ask(format!("VRFY <bob@example.net> [{}]", fp(&bob.chain[0]))),
        format!("250 UPDATE [{}]\r\n", fp(&bob.chain[2]))
    );
    assert_eq!(ask(format!("VRFY <example.net> [{FP}]")), "450 SIGNET NOT FOUND.\r\n");
    let mut h = Harness::native();
    for (line, reply) in [
        ("SGNT".to_string(), "501 BAD SGNT SYNTAX.\r\n"),
        ("SGNT <a@b@example.net>".into(), "501 INVALID SGNT PARAMETER.\r\n"),
        ("HIST <bob@example.net>".into(), "501 BAD HIST SYNTAX.\r\n"),
        (format!("HIST <example.net> [{FP}]"), "501 INVALID HIST PARAMETER.\r\n"),
        ("VRFY <example.net>".into(), "501 BAD VRFY SYNTAX.\r\n"),
        ("VRFY <example.net> [AA]".into(), "501 BAD VRFY SYNTAX.\r\n"),
        ("STATS [AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA]".into(), "450 BAD NONCE.\r\n"),
        ("HELP VERB".into(), "214 NO HELP AVAILABLE FOR COMMAND VERB\r\n"),
        ("HELP FOO".into(), "214 HELP SPECIFIED INVALID COMMAND: FOO\r\n"),
    ] {
        row(&mut h, &line, reply, SessionState::Secure);
    }
    let help = h.line("HELP");
    assert!(
        help.starts_with("214-AVAILABLE COMMANDS\r\n214-STARTTLS\r\n") && help.ends_with("214-QUIT\r\n214 OK\r\n"),
        "{help}"
    );
    assert_eq!(help.lines().count(), 16);
}

#[test]
fn lookup_temporary_failures() {
    for line in
        ["SGNT <example.net>".to_string(), format!("HIST <a@example.net> [{FP}]"), format!("VRFY <example.net> [{FP}]")]
    {
        let mut h = Harness::native();
        h.line(&line);
        let id = match h.events.remove(0) {
            ServerEvent::SignetRequested { id, .. }
            | ServerEvent::HistoryRequested { id, .. }
            | ServerEvent::VerifyRequested { id, .. } => id,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            h.session.answer(h.now, id, Answer::Message(Ok(()))),
            Err(dime_dmtp::DmtpError::WrongAnswer { id: id.0 })
        );
        h.session.answer(h.now, id, Answer::TemporaryFailure).unwrap();
        assert_eq!(h.output(), "451 INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER\r\n");
    }
}

#[test]
fn stats_nonce_exchange() {
    let mut h = Harness::native();
    let reply = h.line("STATS");
    let nonce = &reply["200 ONCE [".len()..reply.len() - 3];
    assert_eq!(h.line(&format!("STATS [{nonce}]")), "");
    let ServerEvent::StatsRequested { id } = h.events.remove(0) else { panic!() };
    h.session.answer(h.now, id, Answer::Stats(vec![("messages".into(), 7), ("sessions".into(), 2)])).unwrap();
    assert_eq!(h.output(), "250-messages 7\r\n250-sessions 2\r\n250 OK\r\n");
    // The nonce is spent, right or wrong.
    assert_eq!(h.line(&format!("STATS [{nonce}]")), "450 BAD NONCE.\r\n");
    let reply = h.line("STATS");
    let nonce = reply["200 ONCE [".len()..reply.len() - 3].to_string();
    h.line("RSET");
    assert_eq!(h.line(&format!("STATS [{nonce}]")), "450 BAD NONCE.\r\n");
    let reply = h.line("STATS");
    let nonce = reply["200 ONCE [".len()..reply.len() - 3].to_string();
    h.line(&format!("STATS [{nonce}]"));
    let ServerEvent::StatsRequested { id } = h.events.remove(0) else { panic!() };
    h.session.answer(h.now, id, Answer::Stats(vec![("two words".into(), 1)])).unwrap();
    assert_eq!(h.output(), "451 INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER\r\n");
}

#[test]
fn idle_and_data_timeouts() {
    let mut h = Harness::native();
    let deadline = h.session.poll_timeout().unwrap();
    h.session.handle_timeout(deadline - SECOND);
    assert_eq!(h.output(), "");
    h.session.handle_timeout(deadline);
    assert_eq!(h.output(), "421 IDLE TIMEOUT - GOOD BYE\r\n");
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(h.session.poll_timeout(), None);

    let mut h = at(SessionState::Rcpt);
    h.line(&format!("DATA [{}]", ObjectHasher::hash(b"abc")));
    h.send(b"ab");
    let deadline = h.session.poll_timeout().unwrap();
    assert_eq!(deadline, h.now + ServerLimits::default().data_timeout);
    h.session.handle_timeout(deadline);
    assert_eq!(h.output(), "421 DATA FAILED - THE CONNECTION TIMED OUT WHILE WAITING FOR DATA - GOOD BYE\r\n");
    assert_eq!(h.session.state(), SessionState::Closed);

    // No deadline while the application owes an answer.
    let mut h = Harness::native();
    h.line("SGNT <example.net>");
    assert!(h.session.awaiting_answer());
    assert_eq!(h.session.poll_timeout(), None);
    let _ = Name::Org(host("example.net"));
}

#[test]
fn an_injected_random_source_gives_the_stats_nonce_and_the_txid() {
    use dime_message::{RandomSource, SeededRandom};
    let mut h = Harness::native();
    h.session = ServerSession::new(std::sync::Arc::new(config(ListenMode::Native)), h.now)
        .with_random(Box::new(SeededRandom::new([9; 32])));
    h.session.tls_established(h.now).unwrap();
    h.output();
    let mut expected = SeededRandom::new([9; 32]);
    let mut nonce = [0u8; 32];
    let mut txid = [0u8; 16];
    expected.fill(&mut nonce).unwrap();
    expected.fill(&mut txid).unwrap();
    assert_eq!(h.line("STATS"), format!("200 ONCE [{}]\r\n", dime_dmtp::wire::Nonce(nonce)));
    h.line("EHLO <example.org>");
    h.line(&mail(3));
    h.line(&rcpt());
    h.line(&format!("DATA [{}]", ObjectHasher::hash(b"abc")));
    h.send(b"abc\r\n");
    let (message, _) = h.received();
    assert_eq!(message.txid, TxId(txid));
}

/// The session feeds the destination's streaming check from the same reads as the DATA hash
/// (decision D7) and hands it out once the object arrived whole.
#[test]
fn the_session_feeds_the_object_check_and_hands_it_out() {
    let mut h = Harness::greeted();
    let object = b"not a message object";
    h.line(&mail(object.len() as u64));
    h.line(&rcpt());
    assert!(h.session.object_check().is_none());
    h.line(&format!("DATA [{}]", ObjectHasher::hash(object)));
    assert!(h.session.object_check().is_some_and(|c| !c.is_failed()));
    h.send(&object[..4]);
    // The bytes so far cannot start a message object: the check failed as they arrived.
    assert!(h.session.object_check().is_some_and(|c| c.is_failed()));
    h.send(&object[4..]);
    h.send(b"\r\n");
    let (message, bytes) = h.received();
    assert_eq!(bytes, object);
    let check = h.session.take_check().expect("the object's check");
    assert!(check.is_failed());
    assert!(h.session.take_check().is_none());
    h.session.answer(h.now, message.id, Answer::Message(Err(Rejection::InvalidObject))).unwrap();
}
