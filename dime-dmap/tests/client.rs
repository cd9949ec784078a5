//! The client session against the server session, in memory: bytes are pumped between the two
//! state machines exactly as a driver would.

mod common;

use common::{PASSWORD, USER, config, object, store};
use dime_core::stacie::{Password, Username};
use dime_dmap::client::{ClientEvent, ClientSession};
use dime_dmap::codec::{CommandBody, Data, FetchAttr, FetchItem, Mailbox, SequenceSet, StatusKind};
use dime_dmap::server::ServerSession;
use dime_dmap::store::MemoryStore;
use dime_dmap::{DmapError, Interrupt, SessionLimits, State};

struct Pair {
    client: ClientSession,
    server: ServerSession<MemoryStore>,
    /// Bytes written by the client, for inspection.
    sent: Vec<u8>,
}

/// A client session on a connection that (as the memory pair pretends) TLS protects.
fn tls_client() -> ClientSession {
    let mut client = ClientSession::new(SessionLimits::default());
    client.tls_started();
    client
}

impl Pair {
    fn new() -> Pair {
        Pair::with(config())
    }

    fn with(config: dime_dmap::server::ServerConfig) -> Pair {
        let mut pair = Pair {
            client: tls_client(),
            server: ServerSession::new(config, store(), std::time::Instant::now()),
            sent: Vec::new(),
        };
        match pair.events().first() {
            Some(ClientEvent::Greeting(status)) => assert_eq!(status.kind, StatusKind::Ok),
            other => panic!("{other:?}"),
        }
        pair
    }

    /// Moves bytes both ways until neither side has anything to say; returns the client's events.
    fn events(&mut self) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        loop {
            let mut moved = false;
            loop {
                match self.server.next() {
                    Ok(_) => {}
                    Err(Interrupt::Output(bytes)) => {
                        self.client.enqueue_input(&bytes);
                        moved = true;
                    }
                    Err(Interrupt::Store) => dime_dmap::store::block_on(self.server.run_store()),
                    Err(_) => break,
                }
            }
            loop {
                match self.client.next() {
                    Ok(event) => events.push(event),
                    Err(Interrupt::Output(bytes)) => {
                        self.sent.extend_from_slice(&bytes);
                        self.server.enqueue_input(std::time::Instant::now(), &bytes);
                        moved = true;
                    }
                    Err(_) => break,
                }
            }
            if !moved {
                return events;
            }
        }
    }

    fn run(&mut self, body: CommandBody) -> Vec<ClientEvent> {
        self.client.send(body).unwrap();
        self.events()
    }

    fn login(&mut self) {
        self.client.authenticate_stacie(USER).unwrap();
        let events = self.events();
        let Some(ClientEvent::Challenge(challenge)) = events.last() else { panic!("{events:?}") };
        let token =
            challenge.answer(&Username::new(USER.as_bytes()).unwrap(), &Password::new(PASSWORD.as_bytes()).unwrap());
        self.client.answer_challenge(&token).unwrap();
        let events = self.events();
        assert!(
            matches!(&events[..], [ClientEvent::Done { command: "AUTHENTICATE", status }] if status.kind == StatusKind::Ok),
            "{events:?}"
        );
        assert_eq!(self.client.state(), State::Authenticated);
    }
}

#[test]
fn login_list_select_fetch_logout() {
    let mut pair = Pair::new();
    assert!(pair.client.has_capability("AUTH=STACIE"));
    assert!(pair.client.has_capability("SASL-IR"));
    pair.login();
    assert!(!pair.client.has_capability("AUTH=STACIE"), "capabilities refreshed from the OK code");

    let events = pair.run(CommandBody::List { reference: String::new(), pattern: "*".into() });
    let names: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Data(Data::List { mailbox, .. }) => Some(mailbox.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["Archive", "INBOX"]);

    let events = pair.run(CommandBody::Select(Mailbox::inbox()));
    assert!(events.contains(&ClientEvent::Data(Data::Exists(3))));
    assert_eq!(pair.client.state(), State::Selected);
    assert_eq!(pair.client.selected(), Some(&Mailbox::inbox()));

    let items = vec![FetchAttr::Uid, FetchAttr::Binary { peek: true, part: vec![], partial: None }];
    let events = pair.run(CommandBody::Fetch { uid: false, set: SequenceSet::single(2).unwrap(), items });
    assert_eq!(
        events[0],
        ClientEvent::Data(Data::Fetch {
            seq: 2,
            items: vec![FetchItem::Uid(2), FetchItem::Binary { part: vec![], data: Some(object(1)) }]
        })
    );

    let events = pair.run(CommandBody::Logout);
    assert!(
        matches!(&events[..], [ClientEvent::Status(bye), ClientEvent::Done { command: "LOGOUT", .. }] if bye.kind == StatusKind::Bye),
        "{events:?}"
    );
    assert_eq!(pair.client.state(), State::Logout);
    assert_eq!(pair.client.next(), Err(Interrupt::Closed));
    assert_eq!(pair.client.send(CommandBody::Noop), Err(DmapError::Closed));
}

#[test]
fn literals_use_non_sync_form_when_advertised_and_wait_otherwise() {
    let mut pair = Pair::new();
    pair.login();
    // LITERAL- is advertised: small literals go at once as {n+}.
    pair.sent.clear();
    pair.run(CommandBody::Submit { object: b"small".to_vec() });
    assert_eq!(pair.sent, b"A2 SUBMIT {5+}\r\nsmall\r\n");
    // A big literal waits for the continuation; commands given meanwhile are held back.
    pair.sent.clear();
    let big = vec![b'x'; 5000];
    pair.client
        .send(CommandBody::Append { mailbox: Mailbox::inbox(), flags: vec![], date: None, object: big.clone() })
        .unwrap();
    pair.client.send(CommandBody::Noop).unwrap();
    let Err(Interrupt::Output(first)) = pair.client.next() else { panic!() };
    assert_eq!(first, b"A3 APPEND INBOX {5000}\r\n");
    assert_eq!(pair.client.next(), Err(Interrupt::NeedMoreInput), "NOOP is held until the literal is sent");
    pair.server.enqueue_input(std::time::Instant::now(), &first);
    let events = pair.events();
    let done: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Done { command, status } => Some((*command, status.kind)),
            _ => None,
        })
        .collect();
    assert_eq!(done, [("APPEND", StatusKind::Ok), ("NOOP", StatusKind::Ok)]);
    let mut expected = big.clone();
    expected.extend_from_slice(b"\r\nA4 NOOP\r\n");
    assert_eq!(pair.sent, expected);
}

#[test]
fn refused_literal_releases_the_connection() {
    let mut cfg = config();
    cfg.limits.max_literal = 100;
    let mut pair = Pair {
        client: tls_client(),
        server: ServerSession::new(cfg, store(), std::time::Instant::now()),
        sent: Vec::new(),
    };
    pair.events();
    pair.login();
    pair.client.send(CommandBody::Submit { object: vec![1; 5000] }).unwrap();
    pair.client.send(CommandBody::Noop).unwrap();
    let events = pair.events();
    let done: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Done { command, status } => Some((*command, status.kind, status.text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        done,
        [
            ("SUBMIT", StatusKind::No, "Literal of 5000 bytes is over the limit of 100".to_string()),
            ("NOOP", StatusKind::Ok, "NOOP completed".to_string())
        ]
    );
}

#[test]
fn wrong_password_is_reported_and_state_stays() {
    let mut pair = Pair::new();
    pair.client.authenticate_stacie(USER).unwrap();
    let events = pair.events();
    let Some(ClientEvent::Challenge(challenge)) = events.last() else { panic!("{events:?}") };
    let token = challenge
        .answer(&Username::new(USER.as_bytes()).unwrap(), &Password::new(b"the wrong passphrase, but long").unwrap());
    pair.client.answer_challenge(&token).unwrap();
    let events = pair.events();
    let [ClientEvent::Done { status, .. }] = &events[..] else { panic!("{events:?}") };
    assert_eq!(
        (status.kind, status.code.clone()),
        (StatusKind::No, Some(dime_dmap::codec::Code::AuthenticationFailed))
    );
    assert_eq!(pair.client.state(), State::NotAuthenticated);
    assert_eq!(pair.client.answer_challenge(&token), Err(DmapError::Unexpected("no STACIE challenge is waiting")));
}

#[test]
fn idle_and_done() {
    let mut pair = Pair::new();
    pair.login();
    pair.run(CommandBody::Select(Mailbox::inbox()));
    pair.client.idle().unwrap();
    assert_eq!(pair.events(), vec![ClientEvent::Idling]);
    use dime_dmap::store::Store;
    dime_dmap::store::block_on(pair.server.store().append(USER, &Mailbox::inbox(), &[], None, b"new".to_vec()))
        .unwrap();
    pair.server.refresh();
    assert_eq!(pair.events(), vec![ClientEvent::Data(Data::Exists(4))]);
    pair.client.idle_done().unwrap();
    let events = pair.events();
    assert!(matches!(&events[..], [ClientEvent::Done { command: "IDLE", status }] if status.kind == StatusKind::Ok));
    assert_eq!(pair.client.idle_done(), Err(DmapError::Unexpected("no IDLE is running")));
}

#[test]
fn client_rejects_a_broken_server() {
    let mut client = ClientSession::new(SessionLimits::default());
    client.enqueue_input(b"* 1 EXISTS\r\n");
    assert_eq!(client.next(), Ok(ClientEvent::Failed(DmapError::Unexpected("data before the greeting"))));
    assert_eq!(client.next(), Err(Interrupt::Closed));

    let mut client = ClientSession::new(SessionLimits::default());
    client.enqueue_input(b"* OK hi\r\n* FROB\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    assert_eq!(client.next(), Ok(ClientEvent::Failed(DmapError::Syntax { offset: 2, expected: "untagged response" })));

    let mut limits = SessionLimits::default();
    limits.max_literal = 10;
    let mut client = ClientSession::new(limits);
    client.enqueue_input(b"* OK hi\r\n* 1 FETCH (BODY[] {11}\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    assert_eq!(client.next(), Ok(ClientEvent::Failed(DmapError::LiteralTooLarge { size: 11, limit: 10 })));

    let mut client = ClientSession::new(SessionLimits::default());
    client.enqueue_input(b"* OK hi\r\nA9 OK done\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    assert_eq!(
        client.next(),
        Ok(ClientEvent::Failed(DmapError::Unexpected("tagged response for no command in flight")))
    );

    let mut client = ClientSession::new(SessionLimits::default());
    client.enqueue_input(b"* OK hi\r\n+ go\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    assert_eq!(
        client.next(),
        Ok(ClientEvent::Failed(DmapError::Unexpected("continuation request with no command waiting")))
    );
    assert_eq!(
        ClientSession::new(SessionLimits::default()).send(CommandBody::Idle),
        Err(DmapError::WrongState { command: "IDLE", state: "send (use its own method)" })
    );
}

#[test]
fn bad_challenge_is_cancelled() {
    let mut client = tls_client();
    client.enqueue_input(b"* OK [CAPABILITY IMAP4rev1 AUTH=STACIE] hi\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    client.authenticate_stacie("bob").unwrap();
    assert_eq!(client.next(), Err(Interrupt::Output(b"A1 AUTHENTICATE STACIE\r\n".to_vec())));
    client.enqueue_input(b"+ \r\n");
    assert_eq!(client.next(), Err(Interrupt::Output(b"Ym9i\r\n".to_vec())));
    client.enqueue_input(b"+ AAAA\r\n");
    assert_eq!(client.next(), Err(Interrupt::Output(b"*\r\n".to_vec())));
    assert_eq!(
        client.next(),
        Ok(ClientEvent::Failed(DmapError::SaslLength { what: "challenge", len: 3, expected: 260 }))
    );
    client.enqueue_input(b"A1 BAD Authentication cancelled\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Done { command: "AUTHENTICATE", .. })));
    assert_eq!(client.state(), State::NotAuthenticated);
}

#[test]
fn starttls_holds_commands_drops_cleartext_and_forgets_capabilities() {
    let mut cfg = config();
    cfg.tls = false;
    cfg.starttls = true;
    let mut pair = Pair::with(cfg);
    pair.run(CommandBody::Capability);
    assert!(pair.client.has_capability("STARTTLS"));
    assert!(pair.client.has_capability("LOGINDISABLED"));
    let events = pair.run(CommandBody::StartTls);
    assert!(matches!(events.as_slice(), [ClientEvent::Done { .. }, ClientEvent::StartTls]), "{events:?}");
    // A command queued before the handshake waits for it, and what arrives in the clear
    // meanwhile (an injected BYE, here) is dropped.
    let written = pair.sent.len();
    pair.client.send(CommandBody::Capability).unwrap();
    pair.client.enqueue_input(b"* BYE injected in the clear\r\n");
    assert_eq!(pair.events(), vec![]);
    assert_eq!(pair.sent.len(), written, "nothing is written before the handshake");
    pair.server.tls_started();
    pair.client.tls_started();
    assert_eq!(pair.client.capabilities(), &[] as &[String]);
    let events = pair.events();
    assert!(matches!(events.last(), Some(ClientEvent::Done { .. })), "{events:?}");
    assert!(pair.client.has_capability("AUTH=STACIE"));
    assert!(!pair.client.has_capability("STARTTLS"), "{:?}", pair.client.capabilities());
    pair.login();
    assert_eq!(pair.client.state(), State::Authenticated);
}

#[test]
fn stacie_is_refused_without_tls_unless_allowed() {
    let mut client = ClientSession::new(SessionLimits::default());
    client.enqueue_input(b"* OK [CAPABILITY IMAP4rev1 AUTH=STACIE] hi\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    assert_eq!(client.authenticate_stacie("bob"), Err(DmapError::InsecureAuth));
    assert_eq!(
        DmapError::InsecureAuth.to_string(),
        "AUTHENTICATE STACIE refused: the connection is not protected by TLS (see ClientSession::allow_insecure_auth)"
    );
    // Nothing was sent.
    assert_eq!(client.next(), Err(Interrupt::NeedMoreInput));
    client.allow_insecure_auth();
    client.authenticate_stacie("bob").unwrap();
    assert_eq!(client.next(), Err(Interrupt::Output(b"A1 AUTHENTICATE STACIE\r\n".to_vec())));
    // After STARTTLS the session counts as protected.
    let mut client = ClientSession::new(SessionLimits::default());
    client.enqueue_input(b"* OK [CAPABILITY IMAP4rev1 AUTH=STACIE STARTTLS] hi\r\n");
    assert!(matches!(client.next(), Ok(ClientEvent::Greeting(_))));
    assert!(!client.is_tls());
    client.send(CommandBody::StartTls).unwrap();
    client.enqueue_input(b"A1 OK Begin TLS negotiation now\r\n");
    while client.next().is_ok_and(|e| e != ClientEvent::StartTls) {}
    client.tls_started();
    assert!(client.is_tls());
    assert!(client.authenticate_stacie("bob").is_ok());
}
