//! The DMTP server session fed arbitrary bytes in arbitrary chunks, with time passing by
//! amounts the input chooses: never panics, answers every event, ends every DATA transaction
//! it begins exactly once (received or aborted), hands out the object's bytes and holds none of
//! them, keeps its memory bounded, and closes when a deadline passes.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dime_dmtp::server::*;
use dime_signet::record::HostName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else { return };
    let mode = match mode % 3 {
        0 => ListenMode::Native,
        1 => ListenMode::Dual { smtp_handoff: false },
        _ => ListenMode::Dual { smtp_handoff: true },
    };
    let host = HostName::new("dx.example.net").unwrap();
    let served = vec![ServedDomain { domain: HostName::new("example.net").unwrap(), fingerprints: vec![] }];
    let mut config = ServerConfig::new(host, mode, served);
    config.limits.max_message_size = 4096;
    config.limits.max_pending_data = 512;
    config.limits.idle_timeout = Duration::from_secs(30);
    config.limits.data_timeout = Duration::from_secs(10);
    let window = config.limits.max_pending_data;
    let mut now = Instant::now();
    let mut session = ServerSession::new(Arc::new(config), now);
    if mode == ListenMode::Native {
        session.tls_established(now).unwrap();
    }
    // Bytes of the object being received, and whether a transaction is open.
    let (mut open, mut spooled) = (false, 0u64);
    for chunk in data.chunks(37) {
        // The chunk's first byte lets time pass (0-15 s) before the chunk arrives: deadlines fire
        // in every state, in the middle of DATA too.
        let Some((&wait, mut rest)) = chunk.split_first() else { continue };
        now += Duration::from_secs(u64::from(wait % 16));
        if session.poll_timeout().is_some_and(|deadline| now >= deadline) {
            session.handle_timeout(now);
        }
        for _ in 0..1000 {
            let taken = if session.is_closed() { rest.len() } else { session.enqueue_input(now, rest) };
            rest = &rest[taken..];
            while session.poll_transmit().is_some() {}
            let mut queued = 0;
            while let Some(event) = session.poll() {
                let answer = match event {
                    ServerEvent::StartTls => {
                        session.tls_established(now).unwrap();
                        continue;
                    }
                    ServerEvent::SmtpHandoff { .. } => continue,
                    ServerEvent::MessageBegin { .. } => {
                        assert!(!open, "a DATA transaction began inside another");
                        (open, spooled) = (true, 0);
                        continue;
                    }
                    ServerEvent::MessageData { bytes } => {
                        assert!(open && !bytes.is_empty() && bytes.len() <= window);
                        queued += bytes.len();
                        spooled += bytes.len() as u64;
                        continue;
                    }
                    ServerEvent::MessageAborted { .. } => {
                        assert!(open);
                        open = false;
                        continue;
                    }
                    ServerEvent::SignetRequested { id, .. } => (id, Answer::Signet(Some(vec![1, 2, 3]))),
                    ServerEvent::HistoryRequested { id, .. } => (id, Answer::History(vec![vec![4]])),
                    ServerEvent::VerifyRequested { id, .. } => (id, Answer::Verify(Verification::Current)),
                    ServerEvent::StatsRequested { id } => (id, Answer::Stats(vec![("n".into(), 1)])),
                    ServerEvent::MessageReceived(m) => {
                        assert!(open && spooled == m.size);
                        open = false;
                        (m.id, Answer::Message(Ok(())))
                    }
                    _ => continue,
                };
                session.answer(now, answer.0, answer.1).unwrap();
            }
            // One call hands out at most one window of object bytes.
            assert!(queued <= window);
            assert!(session.heap_bytes() < 64 * 1024);
            if rest.is_empty() || session.is_closed() {
                break;
            }
        }
    }
    if let Some(deadline) = session.poll_timeout() {
        session.handle_timeout(deadline);
        assert!(session.is_closed());
        while session.poll().is_some_and(|e| matches!(e, ServerEvent::MessageAborted { .. })) {
            open = false;
        }
    }
    if session.is_closed() {
        assert!(!open, "a closed session left a DATA transaction open");
    }
});
