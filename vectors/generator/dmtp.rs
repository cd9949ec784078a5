//! `dmtp-transcripts.json`: DMTP conversations between the sans-IO client and server sessions
//! (or a scripted client where the client session would never say such a thing), in memory.

use std::sync::Arc;
use std::time::Instant;

use dime::core::Fingerprint;
use dime::dmtp::client::{ClientConfig, ClientEvent, ClientSession, ConnectMode, Delivery, Outcome, Request};
use dime::dmtp::object::{DestinationCheck, DestinationKeys, verdict};
use dime::dmtp::resolve::has_fingerprint;
use dime::dmtp::server::{
    Answer, ListenMode, ServedDomain, ServerConfig, ServerEvent, ServerLimits, ServerSession, Verification,
};
use dime::dmtp::wire::{Address, Name};
use dime::message::SeededRandom;
use dime::signet::record::HostName;
use dime::signet::{Anchor, FingerprintKind, Signet};
use serde_json::{Value, json};

use super::hex;
use super::messages::{ONE_PART_SEED, World, one_part_content};
use super::transcript::Transcript;

const DX: &str = "dx.example.net";

fn host(name: &str) -> HostName {
    HostName::new(name).expect("host name")
}

fn full(signet: &Signet) -> Fingerprint {
    signet.fingerprint(FingerprintKind::Full).expect("full fingerprint")
}

/// The destination's server: its org and users' signets, and the check of received objects.
struct App {
    world: World,
    /// bob@example.net's signets, oldest first.
    bob: Vec<Signet>,
    accepted: u64,
    /// The destination's check of the object arriving.
    check: Option<DestinationCheck>,
}

impl App {
    fn new() -> App {
        let world = World::new();
        let bob = vec![world.recipient.signet.clone(), world.rotated_recipient()];
        App { world, bob, accepted: 0, check: None }
    }

    fn versions(&self, name: &Name) -> Vec<Signet> {
        match name {
            Name::Org(domain) if domain.as_str() == "example.net" => vec![self.world.destination.signet.clone()],
            Name::Org(domain) if domain.as_str() == "example.org" => vec![self.world.origin.signet.clone()],
            Name::User(address) if address.to_string() == "bob@example.net" => self.bob.clone(),
            _ => Vec::new(),
        }
    }

    fn answer(&mut self, event: ServerEvent) -> Option<(dime::dmtp::server::AnswerId, Answer)> {
        Some(match event {
            ServerEvent::SignetRequested { id, name, fingerprint } => {
                let versions = self.versions(&name);
                let found = match fingerprint {
                    None => versions.last(),
                    Some(fp) => versions.iter().find(|s| has_fingerprint(s, &fp)),
                };
                (id, Answer::Signet(found.map(|s| s.as_bytes().to_vec())))
            }
            ServerEvent::HistoryRequested { id, address, start, end } => {
                let versions = self.versions(&Name::User(address));
                let first = versions.iter().position(|s| has_fingerprint(s, &start));
                let last = match end {
                    None => versions.len().checked_sub(1),
                    Some(end) => versions.iter().position(|s| has_fingerprint(s, &end)),
                };
                let chain = match (first, last) {
                    (Some(first), Some(last)) if first <= last => {
                        versions[first..=last].iter().map(|s| s.as_bytes().to_vec()).collect()
                    }
                    _ => Vec::new(),
                };
                (id, Answer::History(chain))
            }
            ServerEvent::VerifyRequested { id, name, fingerprint } => {
                let versions = self.versions(&name);
                let verification = match versions.iter().position(|s| has_fingerprint(s, &fingerprint)) {
                    Some(i) if i + 1 == versions.len() => Verification::Current,
                    Some(_) => Verification::Update(full(versions.last().expect("a current signet"))),
                    None => Verification::NotFound,
                };
                (id, Answer::Verify(verification))
            }
            ServerEvent::StatsRequested { id } => (id, Answer::Stats(vec![("messages".into(), self.accepted)])),
            ServerEvent::MessageBegin { .. } => {
                self.check = Some(DestinationCheck::new(&ServerLimits::default()));
                return None;
            }
            ServerEvent::MessageData { bytes } => {
                // A failure is kept by the check and reported by `finish`.
                let _ = self.check.as_mut().map(|check| check.feed(&bytes));
                return None;
            }
            ServerEvent::MessageAborted { .. } => {
                self.check = None;
                return None;
            }
            ServerEvent::MessageReceived(message) => {
                let pok = [self.world.origin.pok.public()];
                let origin = self
                    .world
                    .origin
                    .signet
                    .bind(&Anchor::trusted(self.world.origin.domain, &pok))
                    .expect("the origin's signet binds");
                let keys = DestinationKeys { secret: &self.world.destination.enc, kem: None, origin: &origin };
                let check = self.check.take().expect("MessageBegin came first");
                let checked = verdict(&check.finish(&message, &keys));
                self.accepted += u64::from(checked.is_ok());
                (message.id, Answer::Message(checked))
            }
            ServerEvent::StartTls | ServerEvent::SmtpHandoff { .. } => return None,
            other => panic!("an event the generator does not expect: {other:?}"),
        })
    }

    fn config(&self, mode: ListenMode) -> Arc<ServerConfig> {
        let served = vec![ServedDomain {
            domain: host("example.net"),
            fingerprints: vec![full(&self.world.destination.signet)],
        }];
        Arc::new(ServerConfig::new(host(DX), mode, served))
    }

    fn delivery(&self, object: Vec<u8>, hash: Option<Fingerprint>) -> Delivery {
        Delivery {
            origin: host("example.org"),
            origin_fingerprint: full(&self.world.origin.signet),
            destination: host("example.net"),
            destination_fingerprint: full(&self.world.destination.signet),
            object: object.into(),
            hash,
            return_type: None,
            data_type: None,
        }
    }
}

/// Drains the server after input: records its writes, answers its events, runs the TLS
/// handshake it asks for. Returns the bytes it wrote.
fn drain_server(server: &mut ServerSession, app: &mut App, t: &mut Transcript, now: Instant) -> Vec<u8> {
    let mut written = Vec::new();
    loop {
        let mut step = false;
        while let Some(bytes) = server.poll_transmit() {
            t.write("server", &bytes);
            written.extend_from_slice(&bytes);
            step = true;
        }
        while let Some(event) = server.poll() {
            step = true;
            if event == ServerEvent::StartTls {
                t.tls();
                server.tls_established(now).expect("server TLS");
            } else if let Some((id, answer)) = app.answer(event) {
                server.answer(now, id, answer).expect("answer");
            }
        }
        if !step {
            return written;
        }
    }
}

fn server(app: &App, mode: ListenMode, seed: u8, now: Instant) -> ServerSession {
    ServerSession::new(app.config(mode), now).with_random(Box::new(SeededRandom::new([seed; 32])))
}

/// Runs `requests` through a client session against a server session until both are quiet;
/// returns the transcript and the client's outcomes in request order.
fn converse(
    app: &mut App,
    mode: ListenMode,
    seed: u8,
    requests: Vec<Request>,
) -> (Vec<Value>, Vec<Result<Outcome, String>>) {
    let now = Instant::now();
    let mut server = server(app, mode, seed, now);
    let client_mode = if mode == ListenMode::Native { ConnectMode::Native } else { ConnectMode::Dual };
    let mut client = ClientSession::new(ClientConfig::new(host(DX), client_mode), now);
    let mut t = Transcript::default();
    if mode == ListenMode::Native {
        server.tls_established(now).expect("server TLS");
        client.tls_established(now).expect("client TLS");
    }
    let ids: Vec<_> = requests.into_iter().map(|r| client.submit(now, r)).collect();
    let mut outcomes = Vec::new();
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    for _ in 0..10_000 {
        let mut progress = false;
        while let Some(bytes) = client.poll_transmit() {
            t.write("client", &bytes);
            to_server.extend_from_slice(&bytes);
            progress = true;
        }
        while let Some(event) = client.poll() {
            match event {
                ClientEvent::StartTls => client.tls_established(now).expect("client TLS"),
                ClientEvent::Completed { id, result } => outcomes.push((id, result.map_err(|e| e.to_string()))),
                ClientEvent::Ready => {}
                other => panic!("an event the generator does not expect: {other:?}"),
            }
            progress = true;
        }
        let written = drain_server(&mut server, app, &mut t, now);
        progress |= !written.is_empty();
        to_client.extend_from_slice(&written);
        if !to_server.is_empty() {
            let n = server.enqueue_input(now, &to_server);
            to_server.drain(..n);
            progress |= n > 0;
        }
        if !to_client.is_empty() {
            let n = client.enqueue_input(now, &to_client);
            to_client.drain(..n);
            progress |= n > 0;
        }
        if !progress {
            let results = ids
                .iter()
                .map(|id| {
                    outcomes.iter().find(|(done, _)| done == id).map(|(_, r)| r.clone()).expect("request completed")
                })
                .collect();
            return (t.into_lines(), results);
        }
    }
    panic!("the DMTP pair did not settle");
}

/// Feeds a scripted client's writes to a server session one at a time.
fn script(app: &mut App, mode: ListenMode, seed: u8, writes: &[&[u8]]) -> Vec<Value> {
    let now = Instant::now();
    let mut server = server(app, mode, seed, now);
    let mut t = Transcript::default();
    if mode == ListenMode::Native {
        server.tls_established(now).expect("server TLS");
    }
    drain_server(&mut server, app, &mut t, now);
    for write in writes {
        t.write("client", write);
        let taken = server.enqueue_input(now, write);
        assert_eq!(taken, write.len(), "the server took the whole write");
        drain_server(&mut server, app, &mut t, now);
    }
    t.into_lines()
}

fn transcript(name: &str, note: &str, mode: ListenMode, seed: u8, lines: Vec<Value>) -> Value {
    json!({
        "name": name,
        "note": note,
        "mode": match mode { ListenMode::Native => "native", ListenMode::Dual { .. } => "dual" },
        "server_random_seed_hex": hex(&[seed; 32]),
        "lines": lines,
    })
}

/// The `dmtp-transcripts.json` vector set.
pub fn vectors() -> Value {
    let mut app = App::new();
    let object = app.world.countersign(&app.world.compose(&one_part_content(), 1 << 20, ONE_PART_SEED));
    let bob: Address = "bob@example.net".parse().expect("address");
    let (v1, v2) = (full(&app.bob[0]), full(&app.bob[1]));
    let native = ListenMode::Native;
    let mut out = Vec::new();

    let requests = vec![Request::Deliver(app.delivery(object.clone(), None)), Request::Quit];
    let (lines, results) = converse(&mut app, native, 0x61, requests);
    assert!(matches!(results[0], Ok(Outcome::Delivered(_))), "{results:?}");
    out.push(transcript(
        "delivery",
        "the countersigned one-part object of messages.json, accepted after check_as_destination; MAIL FROM, RCPT TO and DATA are pipelined",
        native,
        0x61,
        lines,
    ));

    let requests = vec![
        Request::Signet { name: Name::Org(host("example.net")), fingerprint: None },
        Request::Signet { name: Name::User(bob.clone()), fingerprint: None },
        Request::Signet { name: Name::User(bob.clone()), fingerprint: Some(v1) },
        Request::Signet { name: "carol@example.net".parse().expect("name"), fingerprint: None },
        Request::History { address: bob.clone(), start: v1, end: None },
        Request::Verify { name: Name::User(bob.clone()), fingerprint: v2 },
        Request::Verify { name: Name::User(bob.clone()), fingerprint: v1 },
        Request::Stats,
        Request::Noop,
        Request::Quit,
    ];
    let (lines, results) = converse(&mut app, native, 0x62, requests);
    assert!(results[3].is_err() && results.iter().enumerate().all(|(i, r)| i == 3 || r.is_ok()), "{results:?}");
    out.push(transcript(
        "lookups",
        "SGNT of the org, of bob's current signet and of his first (by full fingerprint), of an unknown user (450); HIST from the first; VRFY of the current (CURRENT) and the first (UPDATE); STATS with its nonce (messages: the objects this server accepted so far, the delivery transcript's one); NOOP; QUIT. bob's first signet is the recipient of messages.json, the second a rotation to signing seed 25*32, X25519 secret 26*32",
        native,
        0x62,
        lines,
    ));

    let dual = ListenMode::Dual { smtp_handoff: false };
    let (lines, results) = converse(&mut app, dual, 0x63, vec![Request::Noop, Request::Quit]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    out.push(transcript(
        "dual-mode-starttls",
        "port 25: plaintext banner, STARTTLS with MODE=DMTPv1, the TLS handshake, the confirmation inside TLS",
        dual,
        0x63,
        lines,
    ));

    let wrong = dime::dmtp::object::ObjectHasher::hash(b"not the object");
    let requests = vec![Request::Deliver(app.delivery(object, Some(wrong))), Request::Quit];
    let (lines, results) = converse(&mut app, native, 0x64, requests);
    assert!(results[0].is_err(), "{results:?}");
    out.push(transcript(
        "wrong-hash",
        "DATA announces the object hash (D9) of \"not the object\"; the server hashes what arrives and refuses it with 451",
        native,
        0x64,
        lines,
    ));

    let fp = full(&app.world.origin.signet);
    let dest = full(&app.world.destination.signet);
    let lines = script(
        &mut app,
        native,
        0x65,
        &[
            format!("MAIL FROM: <example.org> [{fp}] SIZE=10\r\n").as_bytes(),
            b"EHLO <example.org>\r\n",
            format!("RCPT TO: <example.net> [{dest}]\r\n").as_bytes(),
            format!("DATA [{wrong}]\r\n").as_bytes(),
            format!("MAIL FROM: <example.org> [{fp}] SIZE=10\r\n").as_bytes(),
            format!("DATA [{wrong}]\r\n").as_bytes(),
            format!("RCPT TO: <example.net> [{dest}]\r\n").as_bytes(),
            format!("RCPT TO: <example.net> [{dest}]\r\n").as_bytes(),
            b"QUIT\r\n",
        ],
    );
    out.push(transcript(
        "bad-sequence",
        "scripted client: MAIL FROM before EHLO; after EHLO, RCPT TO and DATA before MAIL FROM; after MAIL FROM, DATA before RCPT TO; a second RCPT TO",
        native,
        0x65,
        lines,
    ));

    let lines = script(
        &mut app,
        native,
        0x66,
        &[b"XYZZY\r\n", b"HELO example.org\r\n", b"EHLO example.org\r\n", b"NOOP\r\n", b"QUIT\r\n"],
    );
    out.push(transcript(
        "unknown-command",
        "scripted client: an unknown verb (500); SMTP-style HELO and EHLO without <> inside an established DMTP session (554, no fallback); each counts as a violation",
        native,
        0x66,
        lines,
    ));

    let lines = script(
        &mut app,
        dual,
        0x67,
        &[b"EHLO <example.org>\r\n", b"STARTTLS <dx.example.org> MODE=DMTPv1\r\n", b"QUIT\r\n"],
    );
    out.push(transcript(
        "dual-mode-refusals",
        "scripted client on port 25: EHLO before STARTTLS, STARTTLS naming another host",
        dual,
        0x67,
        lines,
    ));

    json!({
        "description": "DMTP conversations (docs/dmtp.md) between dime-rs's sans-IO client and server sessions in memory, or a scripted client against the server. Server dx.example.net serves example.net (the destination of messages.json) and accepts only its full fingerprint in RCPT TO; it draws transaction ids and STATS nonces from SeededRandom(server_random_seed_hex), as messages.json describes it. Each line is one CRLF-terminated text line without its CRLF, or raw bytes in hex (a message object, which is followed by the CRLF that ends DATA as an empty text line); tls-handshake marks where TLS starts. The [hash] of DATA and 354 is the object hash of docs/dmtp.md §3 (decision D9: BLAKE3 derive-key over the framing digest and the chunk digests)",
        "signets": {
            "example.org": hex(app.world.origin.signet.as_bytes()),
            "example.net": hex(app.world.destination.signet.as_bytes()),
            "bob@example.net": app.bob.iter().map(|s| hex(s.as_bytes())).collect::<Vec<_>>(),
        },
        "transcripts": out,
    })
}
