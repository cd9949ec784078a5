//! Load on both servers over loopback, bounded in count and time: server heap with idle
//! connections, stalled handshakes, pre-login DMAP clients sending chained literals, and
//! concurrent 64 MiB DMTP deliveries; and whether the listener accepts again after the process
//! ran out of descriptors.
//!
//! The servers run in this process under a counting allocator; every client runs in a child
//! process (this binary again, `DIME_LOAD_CLIENT` set), so the figures are server heap only.
//! `DIME_LOAD_QUICK=1` divides the counts by ten (and the objects by eight) for a quick run.
//! Run with `cargo bench --bench load`.

use std::alloc::System;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cap::Cap;
use dime::dmap::driver as dmap;
use dime::dmap::server::{ServerConfig as DmapConfig, ServerSession as DmapSession};
use dime::dmap::store::MemoryStore;
use dime::dmtp::client::{ConnectMode, Delivery};
use dime::dmtp::driver::{self as dmtp, EdgeConfig, Handle, Listener, NoSpool, ServerApp};
use dime::dmtp::object::{CheckedMessage, DestinationCheck};
use dime::dmtp::server::{
    ListenMode, ReceivedMessage, Rejection, ServedDomain, ServerConfig, TransferEnvelope, Verification,
};
use dime::dmtp::wire::{Address, Name};
use dime_core::Fingerprint;
use dime_signet::record::HostName;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const DX: &str = "dx.example.net";
const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Stores nothing: a delivered object is dropped as soon as it is accepted.
struct Discard;

impl ServerApp for Discard {
    async fn signet(&self, _: &Name, _: Option<&Fingerprint>) -> Option<Vec<u8>> {
        None
    }
    async fn history(&self, _: &Address, _: &Fingerprint, _: Option<&Fingerprint>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    async fn verify(&self, _: &Name, _: &Fingerprint) -> Verification {
        Verification::NotFound
    }
    type Spool = NoSpool;
    async fn open_spool(&self, _: &TransferEnvelope) -> Result<NoSpool, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
    async fn check(&self, _: &ReceivedMessage, _: DestinationCheck) -> Result<CheckedMessage, Rejection> {
        Err(Rejection::TemporaryFailure)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

fn counts() -> (usize, usize, usize, usize) {
    // (idle and stalled connections, pre-login clients, deliveries, object MiB)
    if std::env::var_os("DIME_LOAD_QUICK").is_some() { (100, 20, 8, 8) } else { (1000, 200, 8, 64) }
}

fn main() {
    if let Ok(role) = std::env::var("DIME_LOAD_CLIENT") {
        client_main(&role);
        return;
    }
    let started = Instant::now();
    let (connections, prelogin, deliveries, object_mib) = counts();
    // Each connection costs the server one descriptor; leave room for the client children's.
    let limit = raise_descriptor_limit(4 * connections as u64 + 256);
    println!("load: descriptor soft limit {limit}");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![DX.to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    let ca_hex = hex(ca.der());
    // Every client comes from 127.0.0.1: lift the per-source cap for the run.
    let edge = EdgeConfig::new().with_max_per_source(usize::MAX);

    let (dmtp_addr, dmtp_handle) = runtime.block_on(async {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = Listener::new(tcp, edge);
        let handle = listener.handle();
        let identity =
            dmtp::ServerIdentity::new(vec![leaf.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into()))
                .unwrap();
        let tls = dmtp::acceptor(&identity).unwrap();
        let served = vec![ServedDomain { domain: HostName::new("example.net").unwrap(), fingerprints: vec![] }];
        let config = Arc::new(ServerConfig::new(HostName::new(DX).unwrap(), ListenMode::Native, served));
        tokio::spawn(dmtp::serve(listener, tls, config, Arc::new(Discard)));
        (addr, handle)
    });
    let (dmap_addr, dmap_handle) = runtime.block_on(async {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = Listener::new(tcp, edge);
        let handle = listener.handle();
        let identity =
            dmap::ServerIdentity::new(vec![leaf.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into()))
                .unwrap();
        let acceptor = dmap::acceptor(&identity).unwrap();
        let store = Arc::new(MemoryStore::new());
        let decoy = dime::dmap::sasl::DecoySecret::from_bytes([7; 32]);
        let make =
            move || DmapSession::new(DmapConfig::new("example.net", decoy.clone()), store.clone(), Instant::now());
        tokio::spawn(dmap::listen(listener, acceptor, make, dmap::Hooks::default()));
        (addr, handle)
    });

    let run = |role: &str, addr: SocketAddr, count: usize, handle: &Handle, what: &str, goal: usize| {
        let (heap, open) = hold(role, addr, count, &ca_hex, handle);
        let per = heap / count.max(1);
        let verdict = if per < goal { "meets" } else { "MISSES" };
        println!(
            "load: {what}: {count} connections ({open} open at the server), server heap {} KiB, {:.1} KiB each; {verdict} the goal of {} KiB",
            heap / KIB,
            per as f64 / KIB as f64,
            goal / KIB
        );
    };
    run("idle-dmtp", dmtp_addr, connections, &dmtp_handle, "DMTP idle after the banner (TLS up)", 32 * KIB);
    run("idle-dmap", dmap_addr, connections, &dmap_handle, "DMAP idle after the greeting (TLS up)", 32 * KIB);
    run("stall", dmtp_addr, connections, &dmtp_handle, "DMTP stalled handshakes (no ClientHello)", 32 * KIB);
    run("stall", dmap_addr, connections, &dmap_handle, "DMAP stalled handshakes (no ClientHello)", 32 * KIB);
    run("literals", dmap_addr, prelogin, &dmap_handle, "DMAP pre-login clients sending chained literals", 64 * KIB);

    // Deliveries: sample the server heap while they run; the peak over the baseline counts.
    let baseline = HEAP.allocated();
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(baseline));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(HEAP.allocated(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(500));
            }
        })
    };
    let begun = Instant::now();
    let mut child = spawn_client("deliver", dmtp_addr, deliveries, &ca_hex, &[("DIME_LOAD_OBJECT_MIB", object_mib)]);
    let outcome = read_line(child.stdout.as_mut().unwrap());
    let _ = child.wait();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let grown = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    let verdict = if grown < 16 * MIB { "meets" } else { "MISSES" };
    println!(
        "load: DMTP {deliveries} concurrent deliveries of {object_mib} MiB: {} in {:.1} s, peak server heap {:.1} MiB above idle; {verdict} the goal of 16 MiB",
        outcome.trim(),
        begun.elapsed().as_secs_f64(),
        grown as f64 / MIB as f64
    );

    descriptor_exhaustion(&runtime, dmtp_addr, &dmtp_handle);
    println!("load: finished in {:.1} s", started.elapsed().as_secs_f64());
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// Raises the soft RLIMIT_NOFILE to `wanted` (at most the hard limit); gives the new limit.
fn raise_descriptor_limit(wanted: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= wanted {
        return current;
    }
    let target = limit.maximum.map_or(wanted, |hard| hard.min(wanted));
    match setrlimit(Resource::Nofile, Rlimit { current: Some(target), maximum: limit.maximum }) {
        Ok(()) => target,
        Err(_) => current,
    }
}

fn spawn_client(role: &str, addr: SocketAddr, count: usize, ca_hex: &str, extra: &[(&str, usize)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env("DIME_LOAD_CLIENT", role)
        .env("DIME_LOAD_ADDR", addr.to_string())
        .env("DIME_LOAD_COUNT", count.to_string())
        .env("DIME_LOAD_CA", ca_hex)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (name, value) in extra {
        command.env(name, value.to_string());
    }
    command.spawn().unwrap()
}

fn read_line(stdout: &mut ChildStdout) -> String {
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    line
}

/// Has a child open `count` connections in `role`, then measures the server heap they hold and
/// the server's open count; lets the child go and waits for the server to let go of them.
fn hold(role: &str, addr: SocketAddr, count: usize, ca_hex: &str, handle: &Handle) -> (usize, usize) {
    let baseline = HEAP.allocated();
    let mut child = spawn_client(role, addr, count, ca_hex, &[]);
    let ready = read_line(child.stdout.as_mut().unwrap());
    assert!(ready.starts_with("ready"), "client {role} failed: {ready:?}");
    std::thread::sleep(Duration::from_millis(300));
    let heap = HEAP.allocated().saturating_sub(baseline);
    let open = handle.stats().open;
    drop(child.stdin.take());
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(15);
    while handle.stats().open > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    (heap, open)
}

/// Lowers the descriptor limit to what is open plus a few, takes all of them, connects once
/// (the server's accept fails with EMFILE), frees them, and checks the listener accepted it.
fn descriptor_exhaustion(runtime: &tokio::runtime::Runtime, addr: SocketAddr, handle: &Handle) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let saved = getrlimit(Resource::Nofile);
    let open = std::fs::read_dir("/proc/self/fd").map(|d| d.count() as u64).unwrap_or(0);
    let before = handle.stats();
    setrlimit(Resource::Nofile, Rlimit { current: Some(open + 8), maximum: saved.maximum }).unwrap();
    let mut fillers = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        fillers.push(file);
    }
    fillers.pop();
    let client = std::net::TcpStream::connect(addr);
    std::thread::sleep(Duration::from_millis(300));
    let starved = handle.stats();
    fillers.clear();
    let deadline = Instant::now() + Duration::from_secs(5);
    while handle.stats().accepted == before.accepted && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let after = handle.stats();
    setrlimit(Resource::Nofile, saved).unwrap();
    drop(client);
    let _ = runtime;
    println!(
        "load: descriptor exhaustion: {} accept errors survived while starved; the listener {} afterwards",
        starved.transient_errors - before.transient_errors,
        if after.accepted > before.accepted { "accepted again" } else { "DID NOT accept again" }
    );
}

// ---- the client child ------------------------------------------------------------------------

fn client_main(role: &str) {
    let addr: SocketAddr = std::env::var("DIME_LOAD_ADDR").unwrap().parse().unwrap();
    let count: usize = std::env::var("DIME_LOAD_COUNT").unwrap().parse().unwrap();
    let ca = unhex(&std::env::var("DIME_LOAD_CA").unwrap());
    let roots = dmtp::Roots::Certificates(vec![CertificateDer::from(ca)]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(
        rustls::ClientConfig::builder_with_provider(dmtp::tls_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots.load().unwrap())
            .with_no_client_auth(),
    ));
    runtime.block_on(async move {
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        match role {
            "deliver" => {
                let mib: usize = std::env::var("DIME_LOAD_OBJECT_MIB").unwrap().parse().unwrap();
                let outcome = deliver(addr, count, mib * MIB, roots).await;
                println!("{outcome}");
                return;
            }
            _ => {
                for _ in 0..count {
                    let tcp = TcpStream::connect(addr).await.unwrap();
                    match role {
                        "stall" => held.push(Box::new(tcp)),
                        "idle-dmtp" | "idle-dmap" | "literals" => {
                            let name = ServerName::try_from(DX).unwrap();
                            let mut tls = AsyncBufReader::new(connector.connect(name, tcp).await.unwrap());
                            let last = if role == "idle-dmtp" { "220 " } else { "* OK" };
                            let mut line = String::new();
                            while !line.starts_with(last) {
                                line.clear();
                                if tls.read_line(&mut line).await.unwrap() == 0 {
                                    break;
                                }
                            }
                            if role == "literals" {
                                chain_literals(&mut tls).await;
                            }
                            held.push(Box::new(tls));
                        }
                        _ => panic!("unknown client role {role}"),
                    }
                }
            }
        }
        println!("ready");
        std::io::stdout().flush().unwrap();
        // Hold everything until the parent closes our stdin.
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
        drop(held);
    });
}

/// Sends an unterminated `LOGIN` whose arguments are 64 chained 4 KiB non-synchronizing
/// literals (256 KiB in all), as a client with no account that wants to pin server memory.
async fn chain_literals<S: AsyncRead + tokio::io::AsyncWrite + Unpin>(stream: &mut S) {
    let chunk = vec![b'x'; 4096];
    let _ = stream.write_all(b"a LOGIN {4096+}\r\n").await;
    for _ in 0..64 {
        if stream.write_all(&chunk).await.is_err() || stream.write_all(b" {4096+}\r\n").await.is_err() {
            break;
        }
    }
    let _ = stream.flush().await;
    // Let the server read what it will; drain any answer without blocking for long.
    let mut sink = [0u8; 512];
    let _ = tokio::time::timeout(Duration::from_millis(20), stream.read(&mut sink)).await;
}

async fn deliver(addr: SocketAddr, count: usize, size: usize, roots: dmtp::Roots) -> String {
    let tls = dmtp::ClientTls::new(&roots).unwrap();
    let object = bytes::Bytes::from((0..size).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let hash = dime::dmtp::object::ObjectHasher::hash(&object);
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let (tls, object) = (tls.clone(), object.clone());
            tokio::spawn(async move {
                let delivery = Delivery {
                    origin: HostName::new("example.org").unwrap(),
                    origin_fingerprint: Fingerprint::of(b"example.org"),
                    destination: HostName::new("example.net").unwrap(),
                    destination_fingerprint: Fingerprint::of(b"example.net"),
                    object,
                    hash: Some(hash),
                    return_type: None,
                    data_type: None,
                };
                let dx = HostName::new(DX).unwrap();
                dmtp::deliver(addr, &dx, ConnectMode::Native, &tls, &mut |_| Ok(()), delivery).await
            })
        })
        .collect();
    let mut delivered = 0;
    let mut failed = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(_)) => delivered += 1,
            Ok(Err(error)) => failed.push(error.to_string()),
            Err(error) => failed.push(error.to_string()),
        }
    }
    if failed.is_empty() {
        format!("{delivered} delivered")
    } else {
        format!("{delivered} delivered, failed: {failed:?}")
    }
}
