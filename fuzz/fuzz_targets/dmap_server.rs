//! The DMAP server session fed arbitrary bytes in arbitrary chunks, starting not
//! authenticated, authenticated or with INBOX selected: never panics, and never buffers more
//! than the limits allow.
#![no_main]

use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::codec::{DateTime, Mailbox};
use dime_dmap::sasl::{Challenge, DecoySecret};
use dime_dmap::server::{Event, ServerConfig, ServerSession};
use dime_dmap::store::{MemoryStore, Store};
use dime_dmap::{Interrupt, Limits};
use libfuzzer_sys::fuzz_target;

const USER: &str = "fuzz@example.org";
const PASSWORD: &[u8] = b"a passphrase long enough for eight rounds";

fn drain(session: &mut ServerSession<MemoryStore>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        match session.next() {
            // Lookups for other organisations' signets are answered "none" at once; the
            // session must be waiting for exactly that answer.
            Ok(Event::SignetLookup { .. }) => session.signet_resolved(Ok(None)).unwrap(),
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => out.extend_from_slice(&bytes),
            Err(_) => return out,
        }
    }
}

fn session(start: u8) -> ServerSession<MemoryStore> {
    let mut store = MemoryStore::new();
    store.serve_domain("example.org");
    let user = Username::new(USER.as_bytes()).unwrap();
    let password = Password::new(PASSWORD).unwrap();
    let (credentials, keys) = Credentials::create(&user, &password, 0).unwrap();
    store.add_account(USER, credentials);
    for i in 0..3u8 {
        store.append(USER, &Mailbox::inbox(), &[], Some(DateTime::UNIX_EPOCH), vec![i; 40]).unwrap();
    }
    let limits = Limits { max_line: 512, max_literal: 4096, max_message: 8192, ..Limits::default() };
    let mut config = ServerConfig::new("example.org", DecoySecret::from_bytes([3; 32]));
    config.limits = limits;
    let mut session = ServerSession::new(config, store);
    drain(&mut session);
    if !start.is_multiple_of(3) {
        session.enqueue_input(b"a AUTHENTICATE STACIE ZnV6ekBleGFtcGxlLm9yZw==\r\n");
        let line = String::from_utf8(drain(&mut session)).unwrap();
        let bytes = dime_core::base64::decode_padded(line.trim_start_matches("+ ").trim_end(), "c").unwrap();
        let token = keys.ephemeral_token(&Challenge::parse(&bytes).unwrap().nonce);
        session.enqueue_input(format!("{}\r\n", dime_core::base64::encode_padded(token.as_bytes())).as_bytes());
        drain(&mut session);
        assert_eq!(session.user(), Some(USER));
    }
    if start % 3 == 2 {
        session.enqueue_input(b"s SELECT INBOX\r\n");
        drain(&mut session);
    }
    session
}

fuzz_target!(|data: &[u8]| {
    let Some((&start, rest)) = data.split_first() else { return };
    let mut session = session(start);
    let chunk = usize::from(start / 3 % 16) + 1;
    for piece in rest.chunks(chunk) {
        session.enqueue_input(piece);
        drain(&mut session);
    }
});
