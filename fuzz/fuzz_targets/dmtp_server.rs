//! The DMTP server session fed arbitrary bytes in arbitrary chunks: never panics, answers every
//! event, and keeps its memory bounded (the DATA buffer is bounded by SIZE, here 4 KiB).
#![no_main]

use std::sync::Arc;
use std::time::Instant;

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
    let now = Instant::now();
    let mut session = ServerSession::new(Arc::new(config), now);
    if mode == ListenMode::Native {
        session.tls_established(now).unwrap();
    }
    for chunk in data.chunks(37) {
        let mut rest = chunk;
        for _ in 0..1000 {
            let taken = session.enqueue_input(now, rest);
            rest = &rest[taken..];
            while session.poll_transmit().is_some() {}
            while let Some(event) = session.poll() {
                let answer = match event {
                    ServerEvent::StartTls => {
                        session.tls_established(now).unwrap();
                        continue;
                    }
                    ServerEvent::SmtpHandoff { .. } => continue,
                    ServerEvent::SignetRequested { id, .. } => (id, Answer::Signet(Some(vec![1, 2, 3]))),
                    ServerEvent::HistoryRequested { id, .. } => (id, Answer::History(vec![vec![4]])),
                    ServerEvent::VerifyRequested { id, .. } => (id, Answer::Verify(Verification::Current)),
                    ServerEvent::StatsRequested { id } => (id, Answer::Stats(vec![("n".into(), 1)])),
                    ServerEvent::MessageReceived(m) => (m.id, Answer::Message(Ok(()))),
                };
                session.answer(now, answer.0, answer.1).unwrap();
            }
            assert!(session.heap_bytes() < 256 * 1024);
            if rest.is_empty() || session.is_closed() {
                break;
            }
        }
    }
    if let Some(deadline) = session.poll_timeout() {
        session.handle_timeout(deadline);
        assert!(session.is_closed());
    }
});
