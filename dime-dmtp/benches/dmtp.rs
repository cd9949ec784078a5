//! DMTP benchmarks, printed as ratios measured in one run:
//!
//! * commands per second through the server state machine (pipelined NOOPs), against line
//!   framing alone over the same bytes;
//! * delivery of a 1 MiB object over loopback TLS (DMTP client and server, hash and all) against
//!   a plain TLS copy of the same bytes with the same TLS configuration (goal: at most 1.2x);
//! * memory per idle session outside the TLS library (goal: under 16 KiB).
//!
//! Run with `cargo bench -p dime-dmtp --features tokio`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dime_core::Fingerprint;
use dime_dmtp::client::{ConnectMode, Delivery, Request};
use dime_dmtp::driver::{ClientTls, Connection, ServerApp, serve, server_tls_config, tls_provider};
use dime_dmtp::server::*;
use dime_dmtp::wire::{Address, Framed, LineReader, MAX_COMMAND_LINE, Name};
use dime_signet::record::HostName;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| f()).collect();
    times.sort();
    times[runs / 2]
}

fn host(name: &str) -> HostName {
    HostName::new(name).unwrap()
}

fn config() -> Arc<ServerConfig> {
    let served = vec![ServedDomain { domain: host("example.net"), fingerprints: vec![] }];
    let mut config = ServerConfig::new(host("dx.example.net"), ListenMode::Native, served);
    config.limits.max_pending_output = usize::MAX;
    Arc::new(config)
}

fn commands_per_second() {
    const N: usize = 100_000;
    let input = b"NOOP\r\n".repeat(N);
    let machine = median(9, || {
        let now = Instant::now();
        let mut session = ServerSession::new(config(), now);
        session.tls_established(now).unwrap();
        let start = Instant::now();
        let mut offset = 0;
        while offset < input.len() {
            offset += session.enqueue_input(now, &input[offset..]);
            while let Some(out) = session.poll_transmit() {
                black_box(out);
            }
        }
        start.elapsed()
    });
    let framing = median(9, || {
        let mut reader = LineReader::new(MAX_COMMAND_LINE);
        let start = Instant::now();
        let mut offset = 0;
        let mut lines = 0;
        while offset < input.len() {
            let (taken, framed) = reader.read(&input[offset..]);
            offset += taken;
            lines += usize::from(framed == Framed::Line);
        }
        black_box(lines);
        start.elapsed()
    });
    let rate = N as f64 / machine.as_secs_f64();
    println!(
        "RATIO server commands: state machine {:.1} ns/command ({rate:.0} commands/s) / line framing {:.1} ns/line = {:.2}x",
        machine.as_nanos() as f64 / N as f64,
        framing.as_nanos() as f64 / N as f64,
        machine.as_secs_f64() / framing.as_secs_f64()
    );
}

struct Sink;

impl ServerApp for Sink {
    fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    fn message(&self, message: ReceivedMessage) -> Result<(), Rejection> {
        black_box(message);
        Ok(())
    }
}

async fn delivery_vs_plain_tls() {
    const SIZE: usize = 1 << 20;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["dx.example.net".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let tls = server_tls_config(vec![leaf.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into())).unwrap();

    // DMTP server.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dmtp_addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, tls.clone(), config(), Arc::new(Sink)));
    // Plain TLS server: reads SIZE bytes, answers one byte.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.clone());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let mut left = SIZE;
                    while left > 0 {
                        let n = stream.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        left -= n.min(left);
                    }
                    if stream.write_all(b"k").await.is_err() {
                        return;
                    }
                }
            });
        }
    });

    let object = Bytes::from(vec![0x5a; SIZE]);
    let fp = Fingerprint([1; 64]);
    let delivery = Delivery {
        origin: host("example.org"),
        origin_fingerprint: fp,
        destination: host("example.net"),
        destination_fingerprint: fp,
        object: object.clone(),
        return_type: None,
        data_type: None,
        hash: None,
    };
    let client_tls = ClientTls::new(roots.clone()).unwrap();
    let mut accept = |_: &dime_dmtp::resolve::PresentedCertificate<'_>| Ok(());
    let mut connection =
        Connection::connect(dmtp_addr, &host("dx.example.net"), ConnectMode::Native, &client_tls, &mut accept)
            .await
            .unwrap();

    let plain_config = rustls::ClientConfig::builder_with_provider(tls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(plain_addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut plain = tokio_rustls::TlsConnector::from(Arc::new(plain_config))
        .connect(ServerName::try_from("dx.example.net").unwrap(), tcp)
        .await
        .unwrap();

    let runs = 31;
    let mut dmtp = Vec::new();
    let mut copy = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        connection.request(Request::Deliver(delivery.clone())).await.unwrap();
        dmtp.push(start.elapsed());
        let start = Instant::now();
        plain.write_all(&object).await.unwrap();
        let mut ack = [0u8; 1];
        plain.read_exact(&mut ack).await.unwrap();
        copy.push(start.elapsed());
    }
    dmtp.sort();
    copy.sort();
    let (d, c) = (dmtp[runs / 2], copy[runs / 2]);
    println!(
        "RATIO 1 MiB delivery over loopback TLS: DMTP {:.0} µs / plain TLS copy {:.0} µs = {:.2}x (goal at most 1.2x)",
        d.as_secs_f64() * 1e6,
        c.as_secs_f64() * 1e6,
        d.as_secs_f64() / c.as_secs_f64()
    );
}

fn idle_session_memory() {
    let now = Instant::now();
    let mut session = ServerSession::new(config(), now);
    session.tls_established(now).unwrap();
    let _ = session.enqueue_input(now, b"EHLO <example.org>\r\nNOOP\r\n");
    while session.poll_transmit().is_some() {}
    let bytes = core::mem::size_of::<ServerSession>() + session.heap_bytes();
    println!(
        "RATIO idle server session: {bytes} bytes (struct {} + heap {}) / 16384 = {:.3}x (goal under 1x)",
        core::mem::size_of::<ServerSession>(),
        session.heap_bytes(),
        bytes as f64 / 16384.0
    );
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        // `cargo test --benches` / `cargo bench -- --test`: only check that everything runs once.
        idle_session_memory();
        return;
    }
    commands_per_second();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(delivery_vs_plain_tls());
    idle_session_memory();
}
