//! Memory of an idle server session, counted by a counting global allocator (goal: under
//! 16 KiB per session), with rustls's server connection for comparison. Kept apart from the
//! criterion benchmarks in `dmtp.rs` because counting slows every allocation; the same
//! `cargo bench -p dime-dmtp --features tokio` runs both.

mod fixture;

use std::alloc::System;
use std::time::Instant;

use cap::Cap;
use dime_core::Fingerprint;
use dime_dmtp::object::ObjectHasher;
use dime_dmtp::server::{Answer, ServerEvent, ServerSession};
use fixture::{Tls, client_tls_config, config, tls};
use rustls::pki_types::ServerName;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// Heap bytes of one server session (boxed, so that the struct is counted too) after EHLO and
/// NOOP, and again after it also received a 64 KiB object and answered it; plus what
/// `heap_bytes()` estimates for the first.
fn idle_session_memory() -> (usize, usize, usize) {
    let config = config();
    let now = Instant::now();
    let before = HEAP.allocated();
    let mut session = Box::new(ServerSession::new(config, now));
    session.tls_established(now).unwrap();
    let _ = session.enqueue_input(now, b"EHLO <example.org>\r\nNOOP\r\n");
    while session.poll_transmit().is_some() {}
    let idle = HEAP.allocated() - before;
    let estimate = core::mem::size_of::<ServerSession>() + session.heap_bytes();

    let object = vec![0x5a; 64 * 1024];
    let (fp, hash) = (Fingerprint([1; 64]), ObjectHasher::hash(&object));
    let mut input = format!(
        "MAIL FROM: <example.org> [{fp}] SIZE={}\r\nRCPT TO: <example.net> [{fp}]\r\nDATA [{hash}]\r\n",
        object.len()
    )
    .into_bytes();
    input.extend_from_slice(&object);
    input.extend_from_slice(b"\r\n");
    drop(object);
    let mut rest = &input[..];
    let mut message = None;
    while !rest.is_empty() {
        let taken = session.enqueue_input(now, rest);
        rest = &rest[taken..];
        while let Some(event) = session.poll() {
            if let ServerEvent::MessageReceived(received) = event {
                message = Some(received);
            }
        }
    }
    drop(input);
    let message = message.expect("no message");
    session.answer(now, message.id, Answer::Message(Ok(()))).unwrap();
    drop(message);
    while session.poll_transmit().is_some() {}
    let after_delivery = HEAP.allocated() - before;
    drop(session);
    (idle, estimate, after_delivery)
}

/// Heap bytes of an idle rustls server connection after the handshake (the client side is
/// dropped before counting).
fn tls_connection_memory(tls: &Tls) -> usize {
    let client_config = client_tls_config(&tls.roots);
    let measure = || {
        let before = HEAP.allocated();
        let name = ServerName::try_from("dx.example.net").unwrap();
        let mut client = rustls::ClientConnection::new(client_config.clone(), name).unwrap();
        let mut server = rustls::ServerConnection::new(tls.server.clone()).unwrap();
        let mut wire = Vec::new();
        while client.is_handshaking() || server.is_handshaking() || client.wants_write() || server.wants_write() {
            wire.clear();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            server.read_tls(&mut wire.as_slice()).unwrap();
            server.process_new_packets().unwrap();
            wire.clear();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            client.read_tls(&mut wire.as_slice()).unwrap();
            client.process_new_packets().unwrap();
        }
        drop(client);
        let counted = HEAP.allocated() - before;
        drop(server);
        counted
    };
    measure(); // the first handshake initialises process-wide state
    measure()
}

fn main() {
    let (idle, estimate, after_delivery) = idle_session_memory();
    let tls_bytes = tls_connection_memory(&tls());
    println!(
        "RATIO idle server session: {idle} bytes counted by the allocator / 16384 = {:.3}x (goal under 1x); \
         {after_delivery} bytes after a 64 KiB delivery; heap_bytes() estimate {estimate}; \
         rustls's server connection adds {tls_bytes} bytes",
        idle as f64 / 16384.0
    );
}
