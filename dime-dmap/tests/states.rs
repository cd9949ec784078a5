//! Every command in every state: allowed (and the state after it), or refused with the exact
//! response and the state unchanged.

mod common;

use common::{Harness, USER};
use dime_dmap::State;
use dime_dmap::server::Event;

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The last line of the answer, and the state after it.
    Ok(&'static str, State),
    /// Refused with `T BAD <name> is not allowed in the <state> state`.
    WrongState,
}

use Expect::{Ok as Allowed, WrongState};

fn start(state: State) -> Harness {
    let mut h = Harness::new();
    match state {
        State::NotAuthenticated => {}
        State::Authenticated => h.login(),
        State::Selected => h.select_inbox(),
        State::Logout => unreachable!(),
    }
    h.events.clear();
    h
}

#[test]
fn every_command_in_every_state() {
    use State::{Authenticated as A, NotAuthenticated as N, Selected as S};
    let request = dime_signet::issue::new_request(
        &dime_core::keys::SigningSecretKey::from_seed(&[1; 32]),
        &dime_core::keys::EncryptionSecretKey::generate().unwrap().public().unwrap(),
        None,
    )
    .unwrap();
    let ssr = [
        format!("T SSR {{{}+}}\r\n", request.as_bytes().len()).into_bytes(),
        request.as_bytes().to_vec(),
        b"\r\n".to_vec(),
    ]
    .concat();
    let shard = common::b64(&[3; 64]);
    let keyfile = [format!("T KEYFILE STORE {shard} {{50+}}\r\n").into_bytes(), vec![0; 50], b"\r\n".to_vec()].concat();
    type Row = (&'static str, Vec<u8>, [Expect; 3]);
    let rows: Vec<Row> = vec![
        (
            "CAPABILITY",
            b"T CAPABILITY\r\n".to_vec(),
            [
                Allowed("T OK CAPABILITY completed", N),
                Allowed("T OK CAPABILITY completed", A),
                Allowed("T OK CAPABILITY completed", S),
            ],
        ),
        (
            "NOOP",
            b"T NOOP\r\n".to_vec(),
            [Allowed("T OK NOOP completed", N), Allowed("T OK NOOP completed", A), Allowed("T OK NOOP completed", S)],
        ),
        (
            "LOGOUT",
            b"T LOGOUT\r\n".to_vec(),
            [
                Allowed("T OK LOGOUT completed", State::Logout),
                Allowed("T OK LOGOUT completed", State::Logout),
                Allowed("T OK LOGOUT completed", State::Logout),
            ],
        ),
        ("STARTTLS", b"T STARTTLS\r\n".to_vec(), [Allowed("T BAD TLS is already active", N), WrongState, WrongState]),
        ("AUTHENTICATE", b"T AUTHENTICATE STACIE\r\n".to_vec(), [Allowed("+ ", N), WrongState, WrongState]),
        (
            "LOGIN",
            b"T LOGIN alice secret\r\n".to_vec(),
            [Allowed("T NO [CANNOT] LOGIN is disabled, use AUTHENTICATE STACIE", N), WrongState, WrongState],
        ),
        (
            "LIST",
            b"T LIST \"\" *\r\n".to_vec(),
            [WrongState, Allowed("T OK LIST completed", A), Allowed("T OK LIST completed", S)],
        ),
        (
            "SELECT",
            b"T SELECT INBOX\r\n".to_vec(),
            [
                WrongState,
                Allowed("T OK [READ-WRITE] SELECT completed", S),
                Allowed("T OK [READ-WRITE] SELECT completed", S),
            ],
        ),
        (
            "EXAMINE",
            b"T EXAMINE INBOX\r\n".to_vec(),
            [
                WrongState,
                Allowed("T OK [READ-ONLY] EXAMINE completed", S),
                Allowed("T OK [READ-ONLY] EXAMINE completed", S),
            ],
        ),
        (
            "STATUS",
            b"T STATUS INBOX (MESSAGES)\r\n".to_vec(),
            [WrongState, Allowed("T OK STATUS completed", A), Allowed("T OK STATUS completed", S)],
        ),
        ("FETCH", b"T FETCH 1 FLAGS\r\n".to_vec(), [WrongState, WrongState, Allowed("T OK FETCH completed", S)]),
        (
            "UID FETCH",
            b"T UID FETCH 1 FLAGS\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK UID FETCH completed", S)],
        ),
        (
            "STORE",
            b"T STORE 1 +FLAGS (\\Flagged)\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK STORE completed", S)],
        ),
        (
            "UID STORE",
            b"T UID STORE 1 -FLAGS.SILENT (\\Flagged)\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK UID STORE completed", S)],
        ),
        ("EXPUNGE", b"T EXPUNGE\r\n".to_vec(), [WrongState, WrongState, Allowed("T OK EXPUNGE completed", S)]),
        ("CLOSE", b"T CLOSE\r\n".to_vec(), [WrongState, WrongState, Allowed("T OK CLOSE completed", A)]),
        ("IDLE", b"T IDLE\r\n".to_vec(), [WrongState, Allowed("+ idling", A), Allowed("+ idling", S)]),
        (
            "APPEND",
            b"T APPEND Archive {3+}\r\nabc\r\n".to_vec(),
            [
                WrongState,
                Allowed("T OK [APPENDUID 2 1] APPEND completed", A),
                Allowed("T OK [APPENDUID 2 1] APPEND completed", S),
            ],
        ),
        (
            "SUBMIT",
            b"T SUBMIT {3+}\r\nabc\r\n".to_vec(),
            [
                WrongState,
                Allowed("T OK [SUBMITTED Q1] Object accepted for relay", A),
                Allowed("T OK [SUBMITTED Q1] Object accepted for relay", S),
            ],
        ),
        (
            "SSR",
            ssr,
            [
                WrongState,
                Allowed("T NO [CANNOT] this server issues no signets", A),
                Allowed("T NO [CANNOT] this server issues no signets", S),
            ],
        ),
        (
            "SIGNET",
            b"T SIGNET bob@example.org\r\n".to_vec(),
            [
                WrongState,
                Allowed("T NO [NONEXISTENT] No signet for that address", A),
                Allowed("T NO [NONEXISTENT] No signet for that address", S),
            ],
        ),
        (
            "KEYFILE STORE",
            keyfile,
            [WrongState, Allowed("T OK KEYFILE STORE completed", A), Allowed("T OK KEYFILE STORE completed", S)],
        ),
        (
            "KEYFILE FETCH",
            b"T KEYFILE FETCH\r\n".to_vec(),
            [
                WrongState,
                Allowed("T NO [NONEXISTENT] No key file stored", A),
                Allowed("T NO [NONEXISTENT] No key file stored", S),
            ],
        ),
        (
            "ID",
            b"T ID NIL\r\n".to_vec(),
            [Allowed("T OK ID completed", N), Allowed("T OK ID completed", A), Allowed("T OK ID completed", S)],
        ),
        ("ENABLE", b"T ENABLE X\r\n".to_vec(), [WrongState, Allowed("T OK ENABLE completed", A), WrongState]),
        (
            "CREATE",
            b"T CREATE New\r\n".to_vec(),
            [WrongState, Allowed("T OK CREATE completed", A), Allowed("T OK CREATE completed", S)],
        ),
        (
            "DELETE",
            b"T DELETE Archive\r\n".to_vec(),
            [WrongState, Allowed("T OK DELETE completed", A), Allowed("T OK DELETE completed", S)],
        ),
        (
            "RENAME",
            b"T RENAME Archive Old\r\n".to_vec(),
            [WrongState, Allowed("T OK RENAME completed", A), Allowed("T OK RENAME completed", S)],
        ),
        (
            "SUBSCRIBE",
            b"T SUBSCRIBE INBOX\r\n".to_vec(),
            [WrongState, Allowed("T OK SUBSCRIBE completed", A), Allowed("T OK SUBSCRIBE completed", S)],
        ),
        (
            "UNSUBSCRIBE",
            b"T UNSUBSCRIBE INBOX\r\n".to_vec(),
            [WrongState, Allowed("T OK UNSUBSCRIBE completed", A), Allowed("T OK UNSUBSCRIBE completed", S)],
        ),
        (
            "LSUB",
            b"T LSUB \"\" *\r\n".to_vec(),
            [WrongState, Allowed("T OK LSUB completed", A), Allowed("T OK LSUB completed", S)],
        ),
        ("CHECK", b"T CHECK\r\n".to_vec(), [WrongState, WrongState, Allowed("T OK CHECK completed", S)]),
        ("SEARCH", b"T SEARCH ALL\r\n".to_vec(), [WrongState, WrongState, Allowed("T OK SEARCH completed", S)]),
        (
            "UID SEARCH",
            b"T UID SEARCH ALL\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK UID SEARCH completed", S)],
        ),
        (
            "COPY",
            b"T COPY 1 Archive\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK [COPYUID 2 1 1] COPY completed", S)],
        ),
        (
            "UID COPY",
            b"T UID COPY 1 Archive\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK [COPYUID 2 1 1] UID COPY completed", S)],
        ),
        ("MOVE", b"T MOVE 1 Archive\r\n".to_vec(), [WrongState, WrongState, Allowed("T OK MOVE completed", S)]),
        (
            "UID MOVE",
            b"T UID MOVE 1 Archive\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK UID MOVE completed", S)],
        ),
        (
            "UID EXPUNGE",
            b"T UID EXPUNGE 1\r\n".to_vec(),
            [WrongState, WrongState, Allowed("T OK UID EXPUNGE completed", S)],
        ),
    ];
    for (name, wire, expectations) in rows {
        for (state, expect) in [N, A, S].into_iter().zip(expectations) {
            let mut h = start(state);
            let out = h.send(&wire);
            let last = out.trim_end_matches("\r\n").rsplit("\r\n").next().unwrap_or_default().to_string();
            match expect {
                Allowed(line, after) => {
                    assert_eq!(last, line, "{name} in {state:?}: {out}");
                    assert_eq!(h.state(), after, "{name} in {state:?}");
                }
                WrongState => {
                    let refusal = format!("T BAD {name} is not allowed in the {} state\r\n", state.name());
                    assert_eq!(out, refusal, "{name} in {state:?}");
                    assert_eq!(h.state(), state, "{name} in {state:?} leaves the state as it was");
                    assert_eq!(
                        h.events,
                        vec![Event::CommandDone {
                            tag: dime_dmap::codec::Tag::new("T").unwrap(),
                            command: name_static(name),
                            kind: dime_dmap::codec::StatusKind::Bad
                        }]
                    );
                }
            }
        }
    }
}

fn name_static(name: &str) -> &'static str {
    [
        "ID",
        "ENABLE",
        "CREATE",
        "DELETE",
        "RENAME",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "LSUB",
        "CHECK",
        "SEARCH",
        "UID SEARCH",
        "COPY",
        "UID COPY",
        "MOVE",
        "UID MOVE",
        "UID EXPUNGE",
        "CAPABILITY",
        "NOOP",
        "LOGOUT",
        "STARTTLS",
        "AUTHENTICATE",
        "LOGIN",
        "LIST",
        "SELECT",
        "EXAMINE",
        "STATUS",
        "FETCH",
        "UID FETCH",
        "STORE",
        "UID STORE",
        "EXPUNGE",
        "CLOSE",
        "IDLE",
        "APPEND",
        "SUBMIT",
        "SSR",
        "SIGNET",
        "KEYFILE STORE",
        "KEYFILE FETCH",
    ]
    .into_iter()
    .find(|n| *n == name)
    .unwrap()
}

#[test]
fn logout_ends_the_session_and_ignores_later_input() {
    let mut h = start(State::Selected);
    assert_eq!(h.send(b"T LOGOUT\r\n"), "* BYE DMAP server logging out\r\nT OK LOGOUT completed\r\n");
    assert!(h.closed);
    assert_eq!(h.send(b"U NOOP\r\n"), "");
    assert_eq!(h.session.next(), Err(dime_dmap::Interrupt::Closed));
}

#[test]
fn failed_select_leaves_no_mailbox_selected() {
    let mut h = start(State::Selected);
    assert_eq!(h.send(b"T SELECT Nowhere\r\n"), "T NO [NONEXISTENT] No such mailbox\r\n");
    assert_eq!(h.state(), State::Authenticated);
    assert_eq!(h.session.selected(), None);
}

#[test]
fn idle_ends_with_done_or_bad() {
    let mut h = start(State::Selected);
    assert_eq!(h.send(b"T IDLE\r\n"), "+ idling\r\n");
    assert_eq!(h.send(b"done\r\n"), "T OK IDLE terminated\r\n");
    assert_eq!(h.send(b"U IDLE\r\n"), "+ idling\r\n");
    assert_eq!(h.send(b"U NOOP\r\n"), "U BAD Expected DONE\r\n");
    assert_eq!(h.state(), State::Selected);
}

#[test]
fn examine_is_read_only() {
    let mut h = start(State::Authenticated);
    h.send(b"E EXAMINE INBOX\r\n");
    assert_eq!(h.send(b"T STORE 1 +FLAGS (\\Seen)\r\n"), "T NO [READ-ONLY] Mailbox is read-only\r\n");
    assert_eq!(h.send(b"T EXPUNGE\r\n"), "T NO [READ-ONLY] Mailbox is read-only\r\n");
    // BODY[] on a read-only mailbox does not set \Seen.
    let out = h.send(b"T FETCH 1 (FLAGS BODY[])\r\n");
    assert!(out.starts_with("* 1 FETCH (FLAGS () BODY[] {497}\r\n"), "{out}");
    let _ = USER;
}
