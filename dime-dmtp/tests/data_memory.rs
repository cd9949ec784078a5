//! A 64 MiB delivery through a server session (sans-IO, no sockets) keeps the session's heap
//! under 1 MiB: the object leaves in data events as it arrives and nothing of it is kept. (Its
//! own test binary, so that the counting allocator sees nothing else.)

use std::alloc::System;
use std::sync::Arc;
use std::time::Instant;

use cap::Cap;
use dime_core::Fingerprint;
use dime_dmtp::object::ObjectHasher;
use dime_dmtp::server::*;
use dime_signet::record::HostName;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const SIZE: usize = 64 << 20;
const READ: usize = 64 << 10;

/// The `i`th read of the object: deterministic bytes, made into a reused buffer.
fn piece(i: usize, buf: &mut [u8]) {
    for (j, b) in buf.iter_mut().enumerate() {
        *b = ((i * READ + j) % 251) as u8;
    }
}

#[test]
fn a_64_mib_object_passes_through_the_session_in_under_1_mib() {
    let host = |name: &str| HostName::new(name).unwrap();
    let served = vec![ServedDomain { domain: host("example.net"), fingerprints: vec![] }];
    let config = Arc::new(ServerConfig::new(host("dx.example.net"), ListenMode::Native, served));
    let now = Instant::now();

    // The hash, computed first in the same pieces (the test's own buffers are counted apart).
    let mut buf = vec![0u8; READ];
    let mut hasher = ObjectHasher::new();
    for i in 0..SIZE / READ {
        piece(i, &mut buf);
        hasher.update(&buf);
    }
    let hash = hasher.finish();
    let fp = Fingerprint([1; 64]);
    let commands = format!(
        "EHLO <example.org>\r\nMAIL FROM: <example.org> [{fp}] SIZE={SIZE}\r\nRCPT TO: <example.net> [{fp}]\r\nDATA [{hash}]\r\n"
    );

    let before = HEAP.allocated();
    let mut session = Box::new(ServerSession::new(config, now));
    session.tls_established(now).unwrap();
    let mut peak = 0;
    let mut spooled = 0usize;
    let mut spool = ObjectHasher::new();
    let mut received = None;
    let mut aborted = None;
    let mut drain = |session: &mut ServerSession, peak: &mut usize| {
        *peak = (*peak).max(HEAP.allocated().saturating_sub(before));
        while session.poll_transmit().is_some() {}
        while let Some(event) = session.poll() {
            match event {
                ServerEvent::MessageData { bytes } => {
                    spooled += bytes.len();
                    spool.update(&bytes);
                }
                ServerEvent::MessageReceived(message) => received = Some(message),
                ServerEvent::MessageAborted { failure } => aborted = Some(failure),
                _ => {}
            }
        }
    };
    let mut feed = |session: &mut ServerSession, mut input: &[u8], peak: &mut usize| {
        while !input.is_empty() {
            let taken = session.enqueue_input(now, input);
            input = &input[taken..];
            drain(session, peak);
        }
    };
    feed(&mut session, commands.as_bytes(), &mut peak);
    for i in 0..SIZE / READ {
        piece(i, &mut buf);
        feed(&mut session, &buf, &mut peak);
    }
    feed(&mut session, b"\r\n", &mut peak);
    assert_eq!(aborted, None);
    let message = received.expect("no MessageReceived");
    assert_eq!(message.size, SIZE as u64);
    assert_eq!(message.hash, hash);
    assert_eq!(spooled, SIZE);
    assert_eq!(spool.finish(), hash, "the pieces are not the object");
    session.answer(now, message.id, Answer::Message(Ok(()))).unwrap();
    assert!(session.poll_transmit().is_some_and(|reply| reply.starts_with(b"250 OK [")));

    // Goal: under 1 MiB of session heap whatever the object size. A session that kept the
    // object would need 64 MiB.
    assert!(peak < 1 << 20, "peak session heap {peak} bytes for a {SIZE}-byte object");
    eprintln!("peak session heap while receiving {SIZE} bytes: {peak} bytes");
}
