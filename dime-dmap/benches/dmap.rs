//! DMAP benchmarks, reported as ratios measured in one run:
//!
//! * `stacie`: `ClientKeys::derive` against a loop doing the same HMAC-SHA-512 and SHA-512 work
//!   with `hmac`/`sha2` directly (goal: at most 1.1x);
//! * `session`: commands per second through the server state machine (parse, execute against
//!   the memory store, encode the answer), against parsing the same commands alone.
//!
//! `cargo bench -p dime-dmap` prints `RATIO ...` lines after criterion's own output.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use dime_core::stacie::{ClientKeys, Credentials, Password, Rounds, Salt, Username};
use dime_dmap::codec::{Command, DateTime, Mailbox, ParseLimits};
use dime_dmap::sasl::DecoySecret;
use dime_dmap::server::{ServerConfig, ServerSession};
use dime_dmap::store::{MemoryStore, Store, block_on};
use dime_dmap::{Interrupt, State};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha512};

const USER: &[u8] = b"user@example.tld";
/// magma's unit-test password: 12 characters, 4,096 + 128 = 4,224 rounds with bonus 128.
const PASSWORD: &[u8] = b"SiliconSally";
const BONUS: u32 = 128;

/// The SHA-512 work of `ClientKeys::derive`, written directly: the HMAC seed over `rounds`
/// copies of the password, then the two chains of `rounds` hashes each.
fn raw_derive(salt: &[u8; 128], rounds: u32, copies: &[u8]) -> [u8; 64] {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(salt).unwrap();
    mac.update(copies);
    let seed: [u8; 64] = mac.finalize().into_bytes().into();
    let master = raw_chain(rounds, &seed, salt);
    raw_chain(rounds, &master, salt)
}

fn raw_chain(rounds: u32, base: &[u8; 64], salt: &[u8; 128]) -> [u8; 64] {
    let mut buffer = Vec::with_capacity(64 + 64 + USER.len() + 128 + PASSWORD.len() + 3);
    buffer.extend_from_slice(&[0; 64]);
    buffer.extend_from_slice(base);
    buffer.extend_from_slice(USER);
    buffer.extend_from_slice(salt);
    buffer.extend_from_slice(PASSWORD);
    buffer.extend_from_slice(&[0; 3]);
    let mut out = [0u8; 64];
    for round in 0..rounds {
        let len = buffer.len();
        buffer[len - 3..].copy_from_slice(&round.to_be_bytes()[1..]);
        let start = if round == 0 { 64 } else { 0 };
        out = Sha512::digest(&buffer[start..]).into();
        buffer[..64].copy_from_slice(&out);
    }
    out
}

fn stacie(c: &mut Criterion) {
    let salt = Salt::from_bytes([0x5A; 128]);
    let user = Username::new(USER).unwrap();
    let password = Password::new(PASSWORD).unwrap();
    let rounds = Rounds::new(&password, BONUS).get();
    let copies = PASSWORD.repeat(rounds as usize);
    let mut group = c.benchmark_group("stacie");
    group.sample_size(30);
    group.bench_function("raw_sha512", |b| b.iter(|| raw_derive(black_box(salt.as_bytes()), rounds, &copies)));
    group.bench_function("client_keys_derive", |b| {
        b.iter(|| ClientKeys::derive(black_box(&user), &password, &salt, BONUS).password_key().as_bytes()[0])
    });
    group.finish();
}

/// A selected session over a store with 10 messages.
fn session() -> ServerSession<MemoryStore> {
    session_with(10, 1000)
}

/// A selected session over a store with `messages` messages of `size` bytes.
fn session_with(messages: usize, size: usize) -> ServerSession<MemoryStore> {
    let store = MemoryStore::new();
    let name = "bench@example.org";
    let user = Username::new(name.as_bytes()).unwrap();
    let password = Password::new(b"a long passphrase for eight rounds").unwrap();
    let (credentials, keys) = Credentials::create(&user, &password, 0).unwrap();
    store.add_account(name, credentials);
    for i in 0..messages {
        block_on(store.append(name, &Mailbox::inbox(), &[], Some(DateTime::UNIX_EPOCH), vec![i as u8; size])).unwrap();
    }
    let now = Instant::now();
    let config = ServerConfig::new("example.org", DecoySecret::from_bytes([1; 32]));
    let mut session = ServerSession::new(config, store, now);
    drain(&mut session);
    session.enqueue_input(now, b"a AUTHENTICATE STACIE YmVuY2hAZXhhbXBsZS5vcmc=\r\n");
    let out = drain(&mut session);
    let text = String::from_utf8(out).unwrap();
    let challenge = dime_core::base64::decode_padded(text.trim_start_matches("+ ").trim_end(), "c").unwrap();
    let challenge = dime_dmap::sasl::Challenge::parse(&challenge).unwrap();
    let token = keys.ephemeral_token(&challenge.nonce);
    session.enqueue_input(now, format!("{}\r\n", dime_core::base64::encode_padded(token.as_bytes())).as_bytes());
    session.enqueue_input(now, b"s SELECT INBOX\r\n");
    drain(&mut session);
    assert_eq!(session.state(), State::Selected);
    session
}

fn drain(session: &mut ServerSession<MemoryStore>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        match session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => out.extend_from_slice(&bytes),
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(_) => return out,
        }
    }
}

const BATCH: usize = 1000;

fn commands() -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..BATCH {
        let line = match i % 4 {
            0 => format!("n{i} NOOP\r\n"),
            1 => format!("f{i} FETCH 1:5 (UID FLAGS RFC822.SIZE)\r\n"),
            2 => format!("s{i} STORE 3 +FLAGS.SILENT (\\Flagged)\r\n"),
            _ => format!("t{i} STATUS INBOX (MESSAGES UNSEEN)\r\n"),
        };
        wire.extend_from_slice(line.as_bytes());
    }
    wire
}

fn session_bench(c: &mut Criterion) {
    let wire = commands();
    let messages: Vec<&[u8]> = wire.split_inclusive(|&b| b == b'\n').collect();
    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(Command::parse(black_box(message), &ParseLimits::default()).unwrap());
            }
        })
    });
    let mut server = session();
    group.bench_function("server_session", |b| {
        b.iter(|| {
            server.enqueue_input(Instant::now(), black_box(&wire));
            black_box(drain(&mut server).len())
        })
    });
    group.finish();
}

/// Mailbox sizes of the refresh benchmark.
const SMALL_MAILBOX: usize = 1_000;
const LARGE_MAILBOX: usize = 16_000;

/// `NOOP` with one flag changed since the last refresh, in a mailbox of 1,000 and of 16,000
/// messages: linear work gives a ratio near 16, the old quadratic search near 256.
fn refresh_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("refresh");
    for messages in [SMALL_MAILBOX, LARGE_MAILBOX] {
        let mut server = session_with(messages, 16);
        let mut flagged = false;
        group.bench_function(format!("noop_{messages}"), |b| {
            b.iter(|| {
                flagged = !flagged;
                let flags = if flagged { vec![dime_dmap::codec::Flag::Flagged] } else { Vec::new() };
                block_on(server.store().set_flags("bench@example.org", &Mailbox::inbox(), 1, &flags)).unwrap();
                server.enqueue_input(Instant::now(), b"n NOOP\r\n");
                black_box(drain(&mut server).len())
            })
        });
    }
    group.finish();
}

/// The mean of `group/function` from this run, in nanoseconds.
fn mean_ns(group: &str, function: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    let path = dir.join("criterion").join(group).join(function).join("new").join("estimates.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// The median over `pairs` of derive-time / raw-time, each pair measured back to back, so a
/// change of machine load during the run affects both sides of every pair alike.
fn interleaved_stacie_ratio(pairs: usize) -> f64 {
    let salt = Salt::from_bytes([0x5A; 128]);
    let user = Username::new(USER).unwrap();
    let password = Password::new(PASSWORD).unwrap();
    let rounds = Rounds::new(&password, BONUS).get();
    let copies = PASSWORD.repeat(rounds as usize);
    let mut ratios: Vec<f64> = (0..pairs)
        .map(|i| {
            let time = |derive: bool| {
                let start = std::time::Instant::now();
                if derive {
                    black_box(ClientKeys::derive(&user, &password, &salt, BONUS).password_key().as_bytes()[0]);
                } else {
                    black_box(raw_derive(salt.as_bytes(), rounds, &copies));
                }
                start.elapsed().as_secs_f64()
            };
            // Alternate which side goes first.
            if i % 2 == 0 {
                let d = time(true);
                d / time(false)
            } else {
                let r = time(false);
                time(true) / r
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn report() {
    if !std::env::args().any(|a| a == "--test") {
        println!(
            "RATIO stacie (median of 41 back-to-back pairs): client_keys_derive / raw_sha512 = {:.3}x (goal <= 1.1x)",
            interleaved_stacie_ratio(41)
        );
    }
    if let (Some(derive), Some(raw)) = (mean_ns("stacie", "client_keys_derive"), mean_ns("stacie", "raw_sha512")) {
        println!(
            "RATIO stacie: client_keys_derive {:.1} µs / raw_sha512 {:.1} µs = {:.3}x (goal <= 1.1x)",
            derive / 1e3,
            raw / 1e3,
            derive / raw
        );
    }
    let (small, large) = (format!("noop_{SMALL_MAILBOX}"), format!("noop_{LARGE_MAILBOX}"));
    if let (Some(small_ns), Some(large_ns)) = (mean_ns("refresh", &small), mean_ns("refresh", &large)) {
        println!(
            "RATIO refresh: NOOP in {LARGE_MAILBOX} messages {:.1} µs / in {SMALL_MAILBOX} {:.1} µs = {:.1}x (linear {}x, quadratic {}x)",
            large_ns / 1e3,
            small_ns / 1e3,
            large_ns / small_ns,
            LARGE_MAILBOX / SMALL_MAILBOX,
            (LARGE_MAILBOX / SMALL_MAILBOX).pow(2)
        );
    }
    if let (Some(full), Some(parse)) = (mean_ns("session", "server_session"), mean_ns("session", "parse_only")) {
        let per_second = BATCH as f64 / (full / 1e9);
        println!(
            "RATIO session: server_session {:.1} µs / parse_only {:.1} µs per {BATCH} commands = {:.2}x; {:.0} commands/s through the server state machine",
            full / 1e3,
            parse / 1e3,
            full / parse,
            per_second
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    stacie(&mut c);
    session_bench(&mut c);
    refresh_bench(&mut c);
    c.final_summary();
    report();
}
