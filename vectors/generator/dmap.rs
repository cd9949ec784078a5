//! `dmap-transcripts.json`: DMAP conversations between the sans-IO client and server sessions in
//! memory, the server over an in-memory store.

use dime::core::stacie::{
    ClientKeys, Credentials, Nonce, Password, RealmKey, RealmLabel, RealmVariant, Salt, Shard, Username, envelope,
};
use dime::dmap::Interrupt;
use dime::dmap::client::{ClientEvent, ClientSession};
use dime::dmap::codec::{CommandBody, DateTime, FetchAttr, Mailbox, SequenceSet};
use dime::dmap::keyfile::{REALM, SERIAL};
use dime::dmap::sasl::DecoySecret;
use dime::dmap::server::{ServerConfig, ServerSession};
use dime::dmap::store::{Issuer, MemoryStore, Store, block_on};
use dime::dmap::{SessionLimits, State};
use dime::message::{CommonHeaders, Content, Part};
use dime::signet::{KeyFile, KeyOwner};
use serde_json::{Value, json};

use super::messages::{ONE_PART_SEED, World, content_json, one_part_content};
use super::transcript::Transcript;
use super::{encryption, hex, signing};

const USER: &str = "bob@example.net";
const PASSWORD: &str = "correct horse battery staple";
const WRONG_PASSWORD: &str = "correct horse battery stable";

/// Salt byte `i` = `3i + 1` (as in stacie.json).
fn salt() -> Salt {
    Salt::from_bytes(core::array::from_fn(|i| (i * 3 + 1) as u8))
}

/// The server's challenge nonce: byte `i` = `255 - i` (as in stacie.json).
fn nonce() -> dime::core::Result<Nonce> {
    Ok(Nonce::from_bytes(core::array::from_fn(|i| 255 - i as u8)))
}

/// The key-file realm shard: byte `i` = `5i + 2` (as in stacie.json).
fn shard() -> [u8; 64] {
    core::array::from_fn(|i| (i * 5 + 2) as u8)
}

const VECTOR_SHARD: [u8; 16] = [0x5a; 16];

/// The reply bob submits for relay.
fn reply_content() -> Content {
    Content {
        headers: CommonHeaders {
            date: "Tue, 1 Apr 2025 11:00:00 +0000".into(),
            to: "Alice <alice@example.org>".into(),
            cc: None,
            from: "Bob <bob@example.net>".into(),
            organization: None,
            subject: "Re: One display part".into(),
        },
        other_headers: Vec::new(),
        display: vec![Part::new("text/plain; charset=utf-8", None, &b"Got it, thanks.\r\n"[..]).expect("part")],
        attachments: Vec::new(),
    }
}

/// The random-source seed byte of the reply.
const REPLY_SEED: u8 = 0x71;

/// Everything the conversations use.
struct Fixture {
    world: World,
    /// The countersigned one-part object of messages.json, in bob's INBOX.
    stored: Vec<u8>,
    /// bob's reply, submitted for relay.
    reply: Vec<u8>,
    /// bob's rotation request (`World::rotation_request`).
    rotation: Vec<u8>,
    keyfile_envelope: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        let world = World::new();
        let stored = world.countersign(&world.compose(&one_part_content(), 1 << 20, ONE_PART_SEED));
        let reply = world.compose_reply(&reply_content(), REPLY_SEED);
        let rotation = world.rotation_request().as_bytes().to_vec();
        let keys = ClientKeys::derive(&username(), &password(PASSWORD), &salt(), 0);
        let label = RealmLabel::new(REALM).expect("realm label");
        let realm =
            RealmKey::derive(keys.master_key(), &label, &Shard::from_bytes(shard()), RealmVariant::SaltKeyed(&salt()));
        let keyfile =
            KeyFile { owner: KeyOwner::User, signing: signing(0x23), encryption: encryption(0x24), kem: None };
        let bytes = keyfile.to_bytes().expect("key file");
        let keyfile_envelope =
            envelope::encrypt_with_vector_shard(&realm, SERIAL, &VECTOR_SHARD, &bytes).expect("realm envelope");
        Fixture { world, stored, reply, rotation, keyfile_envelope }
    }

    fn server(&self) -> ServerSession<MemoryStore> {
        let store = MemoryStore::new();
        let (credentials, _) =
            Credentials::create_with_salt(&username(), &password(PASSWORD), salt(), 0).expect("credentials");
        store.add_account(USER, credentials);
        let date = DateTime::new(1_743_501_600, 0).expect("date");
        block_on(store.append(USER, &Mailbox::inbox(), &[], Some(date), self.stored.clone())).expect("append");
        store.add_mailbox(USER, &Mailbox::new("Archive")).expect("mailbox");
        let d = &self.world.destination;
        store.set_issuer(Issuer { org: d.signet.clone(), key: signing(d.seed), domain: "example.net".into() });
        store.publish_signet(USER, self.world.recipient.signet.clone());
        store.publish_signet("alice@example.org", self.world.author.signet.clone());
        let mut config = ServerConfig::new("example.net", DecoySecret::from_bytes([7; 32]));
        config.nonce = nonce;
        ServerSession::new(config, store, std::time::Instant::now())
    }
}

fn username() -> Username<'static> {
    Username::new(USER.as_bytes()).expect("user name")
}

fn password(text: &'static str) -> Password<'static> {
    Password::new(text.as_bytes()).expect("password")
}

/// One step of a conversation: what the client does once the previous step is answered.
enum Step {
    Send(CommandBody),
    Login(&'static str),
}

/// A client and a server session in memory, recorded.
struct Pair {
    client: ClientSession,
    server: ServerSession<MemoryStore>,
    t: Transcript,
    /// The password the next STACIE challenge is answered with.
    password: &'static str,
}

impl Pair {
    /// Moves bytes both ways until neither side has anything more to say.
    fn settle(&mut self) {
        loop {
            let mut moved = false;
            loop {
                match self.server.next() {
                    Ok(_) => {}
                    Err(Interrupt::Output(bytes)) => {
                        self.t.write("server", &bytes);
                        self.client.enqueue_input(&bytes);
                        moved = true;
                    }
                    Err(Interrupt::Store) => block_on(self.server.run_store()),
                    Err(Interrupt::NeedMoreInput | Interrupt::AwaitingAnswer | Interrupt::Closed) => break,
                }
            }
            loop {
                match self.client.next() {
                    Ok(ClientEvent::Challenge(challenge)) => {
                        let token = challenge.answer(&username(), &password(self.password));
                        self.client.answer_challenge(&token).expect("a challenge is waiting");
                    }
                    Ok(ClientEvent::Failed(error)) => panic!("the client failed: {error}"),
                    Ok(_) => {}
                    Err(Interrupt::Output(bytes)) => {
                        self.t.write("client", &bytes);
                        self.server.enqueue_input(std::time::Instant::now(), &bytes);
                        moved = true;
                    }
                    Err(
                        Interrupt::NeedMoreInput | Interrupt::AwaitingAnswer | Interrupt::Store | Interrupt::Closed,
                    ) => {
                        break;
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }
}

/// Runs `steps` one after the other, each once the one before is answered; returns the
/// transcript and the client's final state.
fn converse(fixture: &Fixture, steps: Vec<Step>) -> (Vec<Value>, State) {
    // The fixture's server runs with TLS active, as over implicit TLS.
    let mut client = ClientSession::new(SessionLimits::default());
    client.tls_started();
    let mut pair = Pair { client, server: fixture.server(), t: Transcript::default(), password: PASSWORD };
    pair.settle();
    for step in steps {
        match step {
            Step::Send(body) => {
                pair.client.send(body).expect("send");
            }
            Step::Login(password) => {
                pair.password = password;
                pair.client.authenticate_stacie(USER).expect("authenticate");
            }
        }
        pair.settle();
    }
    let state = pair.client.state();
    (pair.t.into_lines(), state)
}

fn transcript(name: &str, note: &str, lines: Vec<Value>) -> Value {
    json!({ "name": name, "note": note, "lines": lines })
}

/// The `dmap-transcripts.json` vector set.
pub fn vectors() -> Value {
    let fixture = Fixture::new();
    let inbox = || Mailbox::inbox();
    // BINARY[]: the object's octets (BODY[] serves its armored form, docs/dmap.md §5).
    let body = || vec![FetchAttr::Binary { peek: false, part: Vec::new(), partial: None }];
    let mut out = Vec::new();

    let (lines, state) = converse(
        &fixture,
        vec![
            Step::Send(CommandBody::Capability),
            Step::Send(CommandBody::Login { username: USER.as_bytes().to_vec(), password: b"secret".to_vec().into() }),
            Step::Send(CommandBody::Select(inbox())),
            Step::Login(WRONG_PASSWORD),
            Step::Send(CommandBody::Logout),
        ],
    );
    assert_eq!(state, State::Logout);
    out.push(transcript(
        "refusals",
        "greeting, CAPABILITY; LOGIN is refused; SELECT before authentication is refused; AUTHENTICATE STACIE with a wrong password fails; LOGOUT",
        lines,
    ));

    let (lines, state) = converse(
        &fixture,
        vec![
            Step::Login(PASSWORD),
            Step::Send(CommandBody::Capability),
            Step::Send(CommandBody::List { reference: String::new(), pattern: "*".into() }),
            Step::Send(CommandBody::Fetch { uid: false, set: SequenceSet::single(1).expect("set"), items: body() }),
            Step::Send(CommandBody::Select(inbox())),
            Step::Send(CommandBody::Fetch { uid: false, set: SequenceSet::single(1).expect("set"), items: body() }),
            Step::Send(CommandBody::Logout),
        ],
    );
    assert_eq!(state, State::Logout);
    out.push(transcript(
        "mailbox",
        "AUTHENTICATE STACIE (with SASL-IR), CAPABILITY after login, LIST, FETCH before SELECT (refused in the authenticated state), SELECT INBOX, FETCH 1 BINARY[] of the stored object (the countersigned one-part object of messages.json), LOGOUT",
        lines,
    ));

    let (lines, state) = converse(
        &fixture,
        vec![
            Step::Login(PASSWORD),
            Step::Send(CommandBody::Submit { object: fixture.reply.clone() }),
            Step::Send(CommandBody::SignetRequest { request: fixture.rotation.clone() }),
            Step::Send(CommandBody::SignetLookup { address: "alice@example.org".into() }),
            Step::Send(CommandBody::SignetLookup { address: "carol@example.net".into() }),
            Step::Send(CommandBody::KeyfileFetch),
            Step::Send(CommandBody::KeyfileStore { shard: shard(), envelope: fixture.keyfile_envelope.clone() }),
            Step::Send(CommandBody::KeyfileFetch),
            Step::Send(CommandBody::Logout),
        ],
    );
    assert_eq!(state, State::Logout);
    out.push(transcript(
        "dime-extensions",
        "AUTHENTICATE STACIE; SUBMIT of bob's reply; SSR of bob's rotation request, which the server signs with example.net's POK (custody from his published signet); SIGNET of alice and of an unknown address; KEYFILE FETCH with nothing stored; KEYFILE STORE; KEYFILE FETCH; LOGOUT",
        lines,
    ));

    json!({
        "description": "DMAP conversations (docs/dmap.md) between dime-rs's sans-IO client and server sessions in memory. The connection is TLS from its start (implicit TLS), so each transcript starts after the handshake with the greeting. Each line is one CRLF-terminated text line without its CRLF, or the bytes of a literal in hex (written after the line that announces it with {n} or {n+}, and followed by the rest of that line). The client sends each command once the one before is answered",
        "server": {
            "domain": "example.net",
            "decoy_secret_hex": hex(&[7; 32]),
            "challenge_nonce_hex": nonce().map(|n| hex(n.as_bytes())).unwrap_or_default(),
        },
        "account": {
            "username": USER,
            "password": PASSWORD,
            "wrong_password": WRONG_PASSWORD,
            "salt_hex": hex(salt().as_bytes()),
            "bonus": 0,
            "rounds": ClientKeys::derive(&username(), &password(PASSWORD), &salt(), 0).rounds().get(),
            "inbox": [{ "uid": 1, "flags": [], "internal_date_unix": 1_743_501_600, "object": "countersigned_hex of the one-part case of messages.json" }],
            "mailboxes": ["INBOX", "Archive"],
            "published_signets": { "bob@example.net": "the recipient's signet of messages.json", "alice@example.org": "the author's signet of messages.json" },
            "issuer": "example.net's org signet and POK (seed 21*32) of messages.json",
        },
        "submitted_object": {
            "note": "bob's reply to alice, composed as in messages.json with the roles turned: author bob@example.net, origin example.net, destination example.org, recipient alice@example.org",
            "random_seed_hex": hex(&[REPLY_SEED; 32]),
            "content": content_json(&reply_content()),
            "object_hex": hex(&fixture.reply),
        },
        "rotation_request_hex": hex(&fixture.rotation),
        "keyfile": {
            "note": "bob's user key file (Ed25519 seed 23*32, X25519 secret 24*32) sealed in a STACIE realm envelope: realm label dmap-keyfile, salt-keyed realm key from bob's master key, the shard below, serial 1, vector shard 5a*16",
            "shard_hex": hex(&shard()),
            "envelope_hex": hex(&fixture.keyfile_envelope),
        },
        "transcripts": out,
    })
}
