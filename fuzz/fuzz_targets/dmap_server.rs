//! The DMAP server session fed arbitrary bytes in arbitrary chunks, starting not
//! authenticated, authenticated or with INBOX selected, on a clock that the input moves on
//! (by nothing, a second, 59 seconds or 31 minutes before each chunk): never panics, never
//! buffers more than the limits allow, hands out no output piece larger than a few lines (an
//! object literal comes in `output_chunk` pieces, a FETCH over its budget is refused), always
//! has a deadline while open, and closes with an autologout `BYE` once that deadline passes.
#![no_main]

use std::time::{Duration, Instant};

use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::codec::{DateTime, Mailbox};
use dime_dmap::sasl::{Challenge, DecoySecret};
use dime_dmap::server::{Event, ServerConfig, ServerSession};
use dime_dmap::store::{MemoryStore, Store, block_on};
use dime_dmap::{Interrupt, SessionLimits, State};
use libfuzzer_sys::fuzz_target;

const USER: &str = "fuzz@example.org";
const PASSWORD: &[u8] = b"a passphrase long enough for eight rounds";

/// Largest output piece: an object literal comes in pieces of `output_chunk` (64) bytes; a
/// single response line stays under two line limits.
const MAX_PIECE: usize = 4 * 512;

fn drain(session: &mut ServerSession<MemoryStore>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        match session.next() {
            // Lookups for other organisations' signets are answered "none" at once; the
            // session must be waiting for exactly that answer.
            Ok(Event::SignetLookup { .. }) => session.signet_resolved(Ok(None)).unwrap(),
            Ok(_) => {}
            // Store work is run at once, as a driver would await it.
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(Interrupt::Output(bytes)) => {
                assert!(bytes.len() <= MAX_PIECE, "an output piece of {} bytes", bytes.len());
                out.extend_from_slice(&bytes);
            }
            Err(_) => return out,
        }
    }
}

fn session(start: u8, now: Instant) -> ServerSession<MemoryStore> {
    let store = MemoryStore::new();
    store.serve_domain("example.org");
    let user = Username::new(USER.as_bytes()).unwrap();
    let password = Password::new(PASSWORD).unwrap();
    let (credentials, keys) = Credentials::create(&user, &password, 0).unwrap();
    store.add_account(USER, credentials);
    for i in 0..3u8 {
        block_on(store.append(USER, &Mailbox::inbox(), &[], Some(DateTime::UNIX_EPOCH), vec![i; 300])).unwrap();
    }
    let mut limits = SessionLimits::default();
    limits.max_line = 512;
    limits.max_literal = 4096;
    limits.max_message = 8192;
    limits.max_prelogin_command = 1024;
    limits.max_fetch_output = 2000;
    limits.output_chunk = 64;
    let mut config = ServerConfig::new("example.org", DecoySecret::from_bytes([3; 32]));
    config.limits = limits;
    let mut session = ServerSession::new(config, store, now);
    drain(&mut session);
    if !start.is_multiple_of(3) {
        session.enqueue_input(now, b"a AUTHENTICATE STACIE ZnV6ekBleGFtcGxlLm9yZw==\r\n");
        let line = String::from_utf8(drain(&mut session)).unwrap();
        let bytes = dime_core::base64::decode_padded(line.trim_start_matches("+ ").trim_end(), "c").unwrap();
        let token = keys.ephemeral_token(&Challenge::parse(&bytes).unwrap().nonce);
        session.enqueue_input(now, format!("{}\r\n", dime_core::base64::encode_padded(token.as_bytes())).as_bytes());
        drain(&mut session);
        assert_eq!(session.user(), Some(USER));
    }
    if start % 3 == 2 {
        session.enqueue_input(now, b"s SELECT INBOX\r\n");
        drain(&mut session);
    }
    session
}

fuzz_target!(|data: &[u8]| {
    let Some((&start, rest)) = data.split_first() else { return };
    let mut now = Instant::now();
    let mut session = session(start, now);
    let chunk = usize::from(start / 3 % 16) + 1;
    for piece in rest.chunks(chunk) {
        // The first byte of each chunk also says how far the clock moves before it arrives.
        let step = [0, 1, 59, 31 * 60][usize::from(piece[0] % 4)];
        now += Duration::from_secs(step);
        let deadline = session.poll_timeout();
        session.handle_timeout(now);
        let said = drain(&mut session);
        if let Some(deadline) = deadline.filter(|&d| now >= d) {
            assert!(deadline > now - Duration::from_secs(step), "a deadline passed unnoticed");
            assert_eq!(session.state(), State::Logout);
            assert!(said.starts_with(b"* BYE Autologout; "), "{:?}", String::from_utf8_lossy(&said));
            return;
        }
        session.enqueue_input(now, piece);
        drain(&mut session);
        if session.state() != State::Logout {
            // An open session always has a deadline (no signet lookup stays out here).
            let deadline = session.poll_timeout().expect("an open session without a deadline");
            assert!(deadline > now && deadline <= now + Duration::from_secs(30 * 60));
        }
    }
});
