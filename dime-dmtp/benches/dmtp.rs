//! DMTP benchmarks (criterion), reported as ratios of medians measured in the same run:
//!
//! * commands through the server state machine (pipelined NOOPs) against line framing alone
//!   over the same bytes;
//! * delivery of a real 1 MiB DIME object over loopback TLS (composed and countersigned once,
//!   outside the timed loop; DMTP client and server, pipelined, the hash handed over by the
//!   countersignature; the server's destination check hashes every chunk, makes the `DATA` hash
//!   from those digests in the same pass, D9, and verifies the origin's signatures before
//!   `250`) against a plain TLS copy of the same bytes with the same TLS configuration (issue
//!   10's goal: at most 1.5x);
//! * delivery of 1 MiB that is no DIME object (the check refuses it from its first bytes, so
//!   only the transfer and the hash count) against a plain TLS copy, and against a plain TLS
//!   copy whose receiver also computes the `DATA` hash (the object hash, decision D9) of the
//!   bytes as they arrive;
//! * where the time goes: the `DATA` hash of 1 MiB (`ObjectHasher`), ring's SHA-384 through
//!   rustls, copying 1 MiB, the server's DATA phase in memory (the streaming check, whose walk
//!   makes the hash), delivery with the hash computed by the client, one command round trip.
//!
//! The memory of an idle session is counted by `session_memory.rs`, which the same
//! `cargo bench -p dime-dmtp --features tokio` runs (about a minute and a half for both): its
//! counting global allocator would slow every allocation measured here.

mod fixture;
mod ratio;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::{BatchSize, Criterion};
use dime_core::Fingerprint;
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_dmtp::DmtpError;
use dime_dmtp::client::{ConnectMode, Delivery, Outcome, Request};
use dime_dmtp::driver::{ClientTls, Connection, ServerApp, Spool, acceptor, serve};
use dime_dmtp::object::{CheckedMessage, DestinationCheck, DestinationKeys, ObjectHasher};
use dime_dmtp::server::*;
use dime_dmtp::wire::{Address, Framed, LineReader, MAX_COMMAND_LINE, Name};
use dime_message::{
    Addressing, CommonHeaders, ComposeOptions, Content, Envelope, HashedObject, MessageLimits, OsRandom, Part, compose,
};
use dime_signet::{Anchor, BoundSignet, Signet, issue};
use fixture::{client_tls_config, config, host, tls};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// Object size of the delivery benchmarks.
const SIZE: usize = 1 << 20;
/// Bytes per read, as the driver reads them.
const READ: usize = 64 * 1024;
/// NOOPs per iteration of the command benchmark.
const COMMANDS: usize = 10_000;

fn commands(c: &mut Criterion) {
    let input = b"NOOP\r\n".repeat(COMMANDS);
    let mut group = c.benchmark_group("dmtp_commands");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("server_state_machine", |b| {
        let now = Instant::now();
        b.iter_batched(
            || {
                let mut session = ServerSession::new(config(), now);
                session.tls_established(now).unwrap();
                session
            },
            |mut session| {
                let mut offset = 0;
                while offset < input.len() {
                    offset += session.enqueue_input(now, &input[offset..]);
                    while let Some(out) = session.poll_transmit() {
                        black_box(out);
                    }
                }
                session
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("line_framing", |b| {
        b.iter(|| {
            let mut reader = LineReader::new(MAX_COMMAND_LINE);
            let (mut offset, mut lines) = (0, 0);
            while offset < input.len() {
                let (taken, framed) = reader.read(&input[offset..]);
                offset += taken;
                lines += usize::from(framed == Framed::Line);
            }
            black_box(lines)
        })
    });
    group.finish();
}

/// A session in state RCPT, ready for `DATA`.
fn session_at_rcpt(now: Instant) -> ServerSession {
    let mut session = ServerSession::new(config(), now);
    session.tls_established(now).unwrap();
    let fp = Fingerprint([1; 64]);
    let lines = format!(
        "EHLO <example.org>\r\nMAIL FROM: <example.org> [{fp}] SIZE={SIZE}\r\nRCPT TO: <example.net> [{fp}]\r\n"
    );
    assert_eq!(session.enqueue_input(now, lines.as_bytes()), lines.len());
    while session.poll_transmit().is_some() {}
    assert_eq!(session.state(), SessionState::Rcpt);
    session
}

fn data_phase(c: &mut Criterion) {
    let object = vec![0x5a; SIZE];
    let hash = ObjectHasher::hash(&object);
    let data = format!("DATA [{hash}]\r\n");
    let mut group = c.benchmark_group("dmtp_data_phase_1mib");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("object_hash", |b| {
        b.iter(|| {
            let mut hasher = ObjectHasher::new();
            for chunk in object.chunks(READ) {
                hasher.update(black_box(chunk));
            }
            hasher.finish()
        })
    });
    group.bench_function("sha384_ring", |b| {
        let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_256_GCM_SHA384;
        let provider = suite.tls13().unwrap().common.hash_provider;
        b.iter(|| {
            let mut context = provider.start();
            for chunk in object.chunks(READ) {
                context.update(black_box(chunk));
            }
            context.finish()
        })
    });
    group.bench_function("copy", |b| {
        b.iter(|| {
            let mut object_copy: Vec<u8> = Vec::new();
            for chunk in object.chunks(READ) {
                object_copy.extend_from_slice(black_box(chunk));
            }
            object_copy
        })
    });
    group.bench_function("server_session", |b| {
        let now = Instant::now();
        b.iter_batched(
            || session_at_rcpt(now),
            |mut session| {
                session.enqueue_input(now, data.as_bytes());
                for chunk in object.chunks(READ) {
                    assert_eq!(session.enqueue_input(now, chunk), chunk.len());
                    // The application takes each piece (to its spool) as it arrives.
                    while let Some(event) = session.poll() {
                        black_box(event);
                    }
                }
                session.enqueue_input(now, b"\r\n");
                let Some(ServerEvent::MessageReceived(message)) = session.poll() else { panic!("no message") };
                session.answer(now, message.id, Answer::Message(Ok(()))).unwrap();
                // Dropped here, as the driver's application would: the next object reuses the memory.
                black_box(message);
                session
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A destination that keeps nothing. With `keys` (its organisation's key and the origin's
/// signet, for `example.net`) it checks every object as the destination; without them it
/// refuses every object once its bytes are in (the transfer and the `DATA` hash alone).
struct Destination {
    keys: Option<(EncryptionSecretKey, BoundSignet)>,
}

impl ServerApp for Destination {
    async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    type Spool = Discard;
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<Discard, Rejection> {
        Ok(Discard)
    }
    async fn check(&self, message: &ReceivedMessage, check: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        let Some((secret, origin)) = &self.keys else {
            black_box(check);
            return Err(Rejection::InvalidObject);
        };
        let keys = DestinationKeys { secret, kem: None, origin };
        check.finish(message, &keys).map_err(|_| Rejection::InvalidObject)
    }
}

/// A real object of about `size` bytes (one attachment), composed by alice@example.org for
/// bob@example.net and countersigned by example.org, with its `DATA` hash; the destination's
/// secret key and the origin's signet bound to example.org, to check it.
fn real_object(size: usize) -> (HashedObject, EncryptionSecretKey, BoundSignet) {
    let org = |domain: &str| {
        let pok = SigningSecretKey::generate().unwrap();
        let enc = EncryptionSecretKey::generate().unwrap();
        let signet = issue::new_org_signet(&pok, &enc.public().unwrap(), domain).unwrap();
        (pok, enc, signet)
    };
    let user = |org: &(SigningSecretKey, EncryptionSecretKey, Signet), address: &str| {
        let sign = SigningSecretKey::generate().unwrap();
        let enc = EncryptionSecretKey::generate().unwrap();
        let request = issue::new_request(&sign, &enc.public().unwrap(), None).unwrap();
        let signet = issue::issue_user_signet(&request, None, &org.2, &org.0, address, &[]).unwrap();
        (sign, signet)
    };
    let origin = org("example.org");
    let destination = org("example.net");
    let alice = user(&origin, "alice@example.org");
    let bob = user(&destination, "bob@example.net");
    let content = Content {
        headers: CommonHeaders {
            date: "Fri, 4 Dec 2026 22:00:00 +0000".into(),
            to: "bob@example.net".into(),
            from: "alice@example.org".into(),
            subject: "1 MiB over DMTP".into(),
            ..CommonHeaders::default()
        },
        attachments: vec![Part::new("application/octet-stream", Some("data.bin"), vec![0x5a; size]).unwrap()],
        ..Content::default()
    };
    let to = Addressing { author: &alice.1, origin: &origin.2, destination: &destination.2, recipient: &bob.1 };
    let composed = compose(&alice.0, &to, &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let relayed = Envelope::origin(&composed, &MessageLimits::default(), &origin.1)
        .unwrap()
        .open(&alice.1)
        .unwrap()
        .countersign_hashed(&origin.0)
        .unwrap();
    let bound = origin.2.bind(&Anchor::trusted("example.org", &[origin.0.public()])).unwrap();
    (relayed, destination.1, bound)
}

/// Drops every byte.
struct Discard;

impl Spool for Discard {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Rejection> {
        black_box(bytes);
        Ok(())
    }
    async fn commit(self, _: CheckedMessage) -> Result<(), Rejection> {
        Ok(())
    }
    async fn abort(self) {}
}

/// A plain TLS server: reads `size` bytes (hashing them as they arrive when `hash`), answers
/// one byte, and again.
async fn plain_tls_server(tls: Arc<rustls::ServerConfig>, hash: bool, size: usize) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; READ];
                loop {
                    let mut hasher = ObjectHasher::new();
                    let mut left = size;
                    while left > 0 {
                        let n = stream.read(&mut buf[..READ.min(left)]).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        if hash {
                            hasher.update(&buf[..n]);
                        }
                        left -= n;
                    }
                    let ack = if hash { hasher.finish().0[0] } else { b'k' };
                    if stream.write_all(&[ack]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

async fn plain_tls_client(
    addr: std::net::SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let name = ServerName::try_from("dx.example.net").unwrap();
    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.unwrap()
}

fn delivery(c: &mut Criterion, runtime: &Runtime) {
    let tls = tls();
    // Composed once: the timed loop only delivers it.
    let (relayed, secret, origin) = real_object(SIZE);
    let origin_fingerprint = origin.full_fingerprint();
    let (dmtp_addr, checked_addr, copy_addr, object_copy_addr, hash_addr) = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dmtp_addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, acceptor(&tls.identity).unwrap(), config(), Arc::new(Destination { keys: None })));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let checked_addr = listener.local_addr().unwrap();
        let app = Arc::new(Destination { keys: Some((secret, origin)) });
        tokio::spawn(serve(listener, acceptor(&tls.identity).unwrap(), config(), app));
        (
            dmtp_addr,
            checked_addr,
            plain_tls_server(tls.server.clone(), false, SIZE).await,
            plain_tls_server(tls.server.clone(), false, relayed.object.len()).await,
            plain_tls_server(tls.server.clone(), true, SIZE).await,
        )
    });
    let object = Bytes::from(vec![0x5a; SIZE]);
    let fp = Fingerprint([1; 64]);
    let computed = Delivery {
        origin: host("example.org"),
        origin_fingerprint: fp,
        destination: host("example.net"),
        destination_fingerprint: fp,
        object: object.clone(),
        hash: None,
        return_type: None,
        data_type: None,
    };
    let supplied = Delivery { hash: Some(ObjectHasher::hash(&object)), ..computed.clone() };
    let real = Delivery {
        origin_fingerprint,
        object: Bytes::from(relayed.object.clone()),
        hash: Some(Fingerprint(relayed.hash)),
        ..computed.clone()
    };
    let client_tls = ClientTls::new(&tls.roots).unwrap();
    let mut accept = |_: &dime_dmtp::resolve::PresentedCertificate<'_>| Ok(());
    let plain_config = client_tls_config(&tls.roots);
    let (mut connection, mut checked, mut copy, mut object_copy, mut hashed) = runtime.block_on(async {
        let dx = host("dx.example.net");
        let connection =
            Connection::connect(dmtp_addr, &dx, ConnectMode::Native, &client_tls, &mut accept).await.unwrap();
        let checked =
            Connection::connect(checked_addr, &dx, ConnectMode::Native, &client_tls, &mut accept).await.unwrap();
        (
            connection,
            checked,
            plain_tls_client(copy_addr, plain_config.clone()).await,
            plain_tls_client(object_copy_addr, plain_config.clone()).await,
            plain_tls_client(hash_addr, plain_config).await,
        )
    });

    let mut group = c.benchmark_group("dmtp_delivery_1mib");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    let mut deliver = |b: &mut criterion::Bencher<'_>, delivery: &Delivery| {
        b.iter(|| {
            // The object is no DIME object: it travels whole (the hash is checked), and the
            // driver's streaming check refuses it from its first bytes, so this measures the
            // transfer and the hash, not the destination's signature checks.
            let outcome = runtime.block_on(connection.request(Request::Deliver(delivery.clone())));
            let refused = matches!(&outcome, Err(DmtpError::Rejected { reply, .. }) if reply.code().value() == 554);
            assert!(refused, "{outcome:?}");
        })
    };
    // The real object, checked and accepted (`250`) by the destination.
    group.bench_function("dmtp_real_object", |b| {
        b.iter(|| {
            let outcome = runtime.block_on(checked.request(Request::Deliver(real.clone())));
            assert!(matches!(outcome, Ok(Outcome::Delivered(_))), "{outcome:?}");
        })
    });
    group.bench_function("dmtp_hash_supplied", |b| deliver(b, &supplied));
    group.bench_function("dmtp_hash_computed", |b| deliver(b, &computed));
    // One command and its reply on the same connection: the price of each round trip.
    group.bench_function("dmtp_noop_round_trip", |b| {
        b.iter(|| assert_eq!(runtime.block_on(connection.request(Request::Noop)), Ok(Outcome::Done)))
    });
    let plain =
        |b: &mut criterion::Bencher<'_>, stream: &mut tokio_rustls::client::TlsStream<TcpStream>, object: &[u8]| {
            b.iter(|| {
                runtime.block_on(async {
                    stream.write_all(object).await.unwrap();
                    let mut ack = [0u8; 1];
                    stream.read_exact(&mut ack).await.unwrap();
                    ack
                })
            })
        };
    group.bench_function("tls_copy_real_object", |b| plain(b, &mut object_copy, &relayed.object));
    group.bench_function("tls_copy", |b| plain(b, &mut copy, &object));
    group.bench_function("tls_copy_hashed", |b| plain(b, &mut hashed, &object));
    group.finish();
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    commands(&mut c);
    data_phase(&mut c);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    delivery(&mut c, &runtime);
    c.final_summary();

    println!();
    if let Some(x) = ratio::report(
        "dmtp_commands",
        "server_state_machine",
        "line_framing",
        &format!("{COMMANDS} pipelined NOOPs; informational"),
        started,
    ) {
        let per_command =
            ratio::median_ns("dmtp_commands", "server_state_machine", started).unwrap_or(f64::NAN) / COMMANDS as f64;
        println!(
            "      {per_command:.1} ns per command = {:.0} commands/s through the server state machine ({x:.1}x bare framing)",
            1e9 / per_command
        );
    }
    let group = "dmtp_delivery_1mib";
    ratio::report(
        group,
        "dmtp_real_object",
        "tls_copy_real_object",
        "a real object, checked by the destination; issue 10's goal: at most 1.5x",
        started,
    );
    ratio::report(group, "dmtp_hash_supplied", "tls_copy", "no DIME object, refused by the check", started);
    ratio::report(
        group,
        "dmtp_hash_supplied",
        "tls_copy_hashed",
        "against the floor: the receiver hashes (the object hash, D9)",
        started,
    );
    ratio::report(
        group,
        "tls_copy_hashed",
        "tls_copy",
        "what the receiver-side DATA hash (the object hash, D9) costs a bare copy",
        started,
    );
    ratio::report(group, "dmtp_hash_computed", "dmtp_hash_supplied", "the client hashing before DATA", started);
    ratio::report(group, "dmtp_noop_round_trip", "tls_copy", "one command round trip", started);
    let group = "dmtp_data_phase_1mib";
    ratio::report(
        group,
        "server_session",
        "object_hash",
        "the server's DATA phase (hash and streaming check) against hashing alone",
        started,
    );
    ratio::report(group, "copy", "object_hash", "copying the object into its own buffer against hashing it", started);
    ratio::report(group, "sha384_ring", "object_hash", "ring's SHA-384 against the BLAKE3 DATA hash", started);
}
