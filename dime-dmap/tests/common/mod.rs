//! Helpers shared by the integration tests: a server session over a memory store, driven
//! byte for byte as a client would.
#![allow(dead_code)]

pub mod conn;
pub mod grammar;
pub mod hooked;

use std::time::{Duration, Instant};

use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::sasl::{Challenge, DecoySecret};
use dime_dmap::server::{Event, ServerConfig, ServerSession};
use dime_dmap::store::{MemoryStore, Store, block_on};
use dime_dmap::{Interrupt, State};

pub const USER: &str = "alice@example.org";
/// 22 or more characters: 8 STACIE rounds, so logins are fast.
pub const PASSWORD: &str = "correct horse battery staple";

pub fn config() -> ServerConfig {
    ServerConfig::new("example.org", DecoySecret::from_bytes([7; 32]))
}

/// A store with alice and three messages in INBOX (the second one seen).
pub fn store() -> MemoryStore {
    let store = MemoryStore::new();
    let user = Username::new(USER.as_bytes()).unwrap();
    let password = Password::new(PASSWORD.as_bytes()).unwrap();
    let (credentials, _) = Credentials::create(&user, &password, 0).unwrap();
    store.add_account(USER, credentials);
    for (i, flags) in [vec![], vec![Flag::Seen], vec![]].into_iter().enumerate() {
        let date = DateTime::new(1_700_000_000 + i as i64 * 60, 60).unwrap();
        block_on(store.append(USER, &Mailbox::inbox(), &flags, Some(date), object(i as u8))).unwrap();
    }
    store.add_mailbox(USER, &Mailbox::new("Archive")).unwrap();
    store
}

/// A stand-in encrypted object: the DIME message magic and length, then filler bytes
/// (including CR, LF and NUL, which a literal must carry untouched).
pub fn object(n: u8) -> Vec<u8> {
    let body: Vec<u8> = (0..300u32).map(|i| (i as u8).wrapping_mul(31).wrapping_add(n)).collect();
    let mut out = vec![0x07, 0x37];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// The armored form `BODY[]` and `RFC822` serve an object in (`docs/dmap.md` §5).
pub fn armored(object: &[u8]) -> Vec<u8> {
    dime_core::armor::encode(dime_core::armor::Label::EncryptedMessage, object).replace('\n', "\r\n").into_bytes()
}

/// A server session and the events it produced, on a simulated clock.
pub struct Harness {
    pub session: ServerSession<MemoryStore>,
    pub events: Vec<Event>,
    pub closed: bool,
    /// The simulated time: every input is given at `now`; [`Harness::advance`] moves it.
    pub now: Instant,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(config(), store())
    }

    pub fn with(config: ServerConfig, store: MemoryStore) -> Harness {
        let now = Instant::now();
        let mut harness =
            Harness { session: ServerSession::new(config, store, now), events: Vec::new(), closed: false, now };
        let greeting = harness.drain();
        assert!(greeting.starts_with("* OK [CAPABILITY IMAP4rev1 DMAPv1 AUTH=STACIE"), "{greeting}");
        harness
    }

    /// Everything the session has to say now, as text.
    pub fn drain(&mut self) -> String {
        String::from_utf8_lossy(&self.drain_bytes()).into_owned()
    }

    /// Everything the session has to say now; each response must also parse under the
    /// independent grammar of [`grammar::check`].
    pub fn drain_bytes(&mut self) -> Vec<u8> {
        let out = self.drain_pieces().concat();
        grammar::check(&out);
        out
    }

    /// Everything the session has to say now, as the pieces it handed out.
    pub fn drain_pieces(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            match self.session.next() {
                Ok(event) => self.events.push(event),
                Err(Interrupt::Output(bytes)) => out.push(bytes),
                Err(Interrupt::Store) => block_on(self.session.run_store()),
                Err(Interrupt::NeedMoreInput | Interrupt::AwaitingAnswer) => return out,
                Err(Interrupt::Closed) => {
                    self.closed = true;
                    return out;
                }
            }
        }
    }

    /// Moves the simulated clock on, lets the session handle its deadline, and returns what it
    /// said.
    pub fn advance(&mut self, by: Duration) -> String {
        self.now += by;
        self.session.handle_timeout(self.now);
        self.drain()
    }

    /// Sends bytes and returns the answer.
    pub fn send(&mut self, bytes: &[u8]) -> String {
        self.session.enqueue_input(self.now, bytes);
        self.drain()
    }

    /// Sends bytes and returns the answer as bytes (for binary literals).
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.session.enqueue_input(self.now, bytes);
        self.drain_bytes()
    }

    pub fn state(&self) -> State {
        self.session.state()
    }

    /// Logs alice in.
    pub fn login(&mut self) {
        let out = self.authenticate("L1", USER, PASSWORD);
        assert!(out.starts_with("L1 OK [CAPABILITY"), "{out}");
        assert_eq!(self.state(), State::Authenticated);
    }

    /// Logs in and selects INBOX.
    pub fn select_inbox(&mut self) {
        self.login();
        let out = self.send(b"S1 SELECT INBOX\r\n");
        assert!(out.ends_with("S1 OK [READ-WRITE] SELECT completed\r\n"), "{out}");
    }

    /// Runs the whole STACIE exchange as a client would; returns the final answer.
    pub fn authenticate(&mut self, tag: &str, user: &str, password: &str) -> String {
        let challenge = self.challenge(tag, user);
        let token =
            challenge.answer(&Username::new(user.as_bytes()).unwrap(), &Password::new(password.as_bytes()).unwrap());
        self.answer(token.as_bytes())
    }

    /// Starts AUTHENTICATE STACIE and returns the decoded challenge.
    pub fn challenge(&mut self, tag: &str, user: &str) -> Challenge {
        let out = self.send(format!("{tag} AUTHENTICATE STACIE\r\n").as_bytes());
        assert_eq!(out, "+ \r\n");
        let out = self.send(format!("{}\r\n", b64(user.as_bytes())).as_bytes());
        decode_challenge(&out)
    }

    pub fn answer(&mut self, token: &[u8]) -> String {
        self.send(format!("{}\r\n", b64(token)).as_bytes())
    }
}

pub fn b64(bytes: &[u8]) -> String {
    dime_core::base64::encode_padded(bytes)
}

pub fn decode_challenge(line: &str) -> Challenge {
    let text = line.strip_prefix("+ ").and_then(|l| l.strip_suffix("\r\n")).unwrap_or_else(|| panic!("{line}"));
    Challenge::parse(&dime_core::base64::decode_padded(text, "challenge").unwrap()).unwrap()
}

/// Splits an answer into its untagged part and the tagged line that starts with `tag`.
pub fn split_tagged<'a>(out: &'a [u8], tag: &str) -> (&'a [u8], &'a [u8]) {
    let marker = format!("\r\n{tag} ");
    let at = out.windows(marker.len()).rposition(|w| w == marker.as_bytes()).expect("tagged line") + 2;
    (&out[..at], &out[at..])
}

/// A TLS acceptor for `localhost` with a fresh self-signed certificate, for tests whose clients
/// never look at it (they connect in the clear, the sessions allowing it).
#[cfg(feature = "tokio")]
pub fn self_signed_acceptor() -> dime_dmap::driver::TlsAcceptor {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
    let identity = dime_dmap::driver::ServerIdentity::new(
        vec![cert.der().clone()],
        rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    )
    .unwrap();
    dime_dmap::driver::acceptor(&identity).unwrap()
}
