//! The DMTP client session fed arbitrary replies: never panics, and every submitted request
//! ends exactly once when the connection closes.
#![no_main]

use std::time::Instant;

use bytes::Bytes;
use dime_core::Fingerprint;
use dime_dmtp::client::*;
use dime_dmtp::wire::Name;
use dime_signet::record::HostName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else { return };
    let host = HostName::new("dx.example.net").unwrap();
    let mode = if mode & 1 == 0 { ConnectMode::Native } else { ConnectMode::Dual };
    let now = Instant::now();
    let mut config = ClientConfig::new(host.clone(), mode);
    config.reply_limits.line = 4096;
    let mut client = ClientSession::new(config, now);
    if mode == ConnectMode::Native {
        client.tls_established(now).unwrap();
    }
    let fp = Fingerprint([7; 64]);
    let requests = vec![
        Request::Deliver(Delivery {
            origin: host.clone(),
            origin_fingerprint: fp,
            destination: host.clone(),
            destination_fingerprint: fp,
            object: Bytes::from_static(b"object"),
            return_type: None,
            data_type: None,
            hash: None,
        }),
        Request::Signet { name: Name::Org(host.clone()), fingerprint: None },
        Request::History { address: "a@example.net".parse().unwrap(), start: fp, end: None },
        Request::Verify { name: Name::Org(host), fingerprint: fp },
        Request::Stats,
        Request::Noop,
        Request::Quit,
    ];
    let count = requests.len();
    for request in requests {
        client.submit(now, request);
    }
    let mut completed = 0;
    for chunk in data.chunks(23) {
        while client.poll_transmit().is_some() {}
        while let Some(event) = client.poll() {
            match event {
                ClientEvent::StartTls => client.tls_established(now).unwrap(),
                ClientEvent::Completed { .. } => completed += 1,
                _ => {}
            }
        }
        let _ = client.enqueue_input(now, chunk);
    }
    client.connection_closed();
    while let Some(event) = client.poll() {
        if let ClientEvent::Completed { .. } = event {
            completed += 1;
        }
    }
    assert_eq!(completed, count);
});
