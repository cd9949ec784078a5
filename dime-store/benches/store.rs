//! The persistent store under load, each figure against a baseline measured in the same run:
//!
//! * `fetch_100k`: the metadata a `FETCH 1:* (UID FLAGS RFC822.SIZE)` needs, for a mailbox of
//!   100,000 messages, turned into the FETCH response lines (written to a 64 KiB buffer that
//!   is emptied when full, as a socket write would): from `MemoryStore::mailbox` (baseline),
//!   from `RedbStore`'s whole `MailboxView` (what the session asks for today), and from
//!   `ops::messages` pages of 1,024 (what a streaming FETCH uses).
//! * peak heap of each of those three, each measured in a fresh process (the bench re-runs
//!   itself) with a counting allocator, so nothing else is counted; redb's page cache is on
//!   the heap, so the paged listing is measured once more with the cache set to 1 MiB;
//! * `append`: one APPEND of a 4 KiB object with durability on (fsync per commit), against
//!   `MemoryStore::append`.
//!
//! * through the DMAP session (issue 12): `fetch_100k/session_redb`, `FETCH 1:* (UID FLAGS
//!   RFC822.SIZE)` answered by a selected `ServerSession` over the `RedbStore` (its paged
//!   index, `docs/dmap.md` §12.3), against `redb_paged` (the store-level listing, the
//!   baseline); its peak heap (SELECT + FETCH, in a fresh process as above, also with the
//!   1 MiB page cache); and
//!   `append/session_redb`, one `APPEND` of a 4 KiB object through the session with durability
//!   on, against `redb_durable` (the store call alone), in messages/s and MB/s.
//!
//! `cargo bench -p dime-store` prints `RESULT` lines after criterion's own output.

use std::alloc::System;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use cap::Cap;
use criterion::{Criterion, Throughput};
use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::sasl::{Challenge, DecoySecret};
use dime_dmap::server::{ServerConfig, ServerSession};
use dime_dmap::store::{MemoryStore, MessageInfo, Store, block_on};
use dime_dmap::{Interrupt, State};
use dime_store::{RedbStore, ops};

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const USER: &str = "bench@example.org";
/// 22 or more characters: 8 STACIE rounds, so the session logs in fast.
const PASSWORD: &str = "a long passphrase for eight rounds";
const MESSAGES: u32 = 100_000;
const OBJECT: usize = 256;
const PAGE: usize = 1024;
const PEAK_ENV: &str = "DIME_STORE_BENCH_PEAK";

fn credentials() -> Credentials {
    let (user, password) = (Username::new(USER.as_bytes()).unwrap(), Password::new(PASSWORD.as_bytes()).unwrap());
    Credentials::create(&user, &password, 0).unwrap().0
}

/// Everything the session has to say now; returns the bytes, kept only with `keep`.
fn drain<S: Store>(session: &mut ServerSession<S>, keep: bool) -> (usize, Vec<u8>) {
    let (mut count, mut kept) = (0, Vec::new());
    loop {
        match session.next() {
            Ok(_) => {}
            Err(Interrupt::Output(bytes)) => {
                count += bytes.len();
                if keep {
                    kept.extend_from_slice(&bytes);
                }
            }
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(_) => return (count, kept),
        }
    }
}

/// A session over `store` logged in as the bench user (STACIE, as a client does it).
fn logged_in<S: Store>(store: S) -> ServerSession<S> {
    let now = Instant::now();
    let config = ServerConfig::new("example.org", DecoySecret::from_bytes([1; 32]));
    let mut session = ServerSession::new(config, store, now);
    drain(&mut session, false);
    let start = format!("a AUTHENTICATE STACIE {}\r\n", dime_core::base64::encode_padded(USER.as_bytes()));
    session.enqueue_input(now, start.as_bytes());
    let text = String::from_utf8(drain(&mut session, true).1).unwrap();
    let challenge = dime_core::base64::decode_padded(text.trim_start_matches("+ ").trim_end(), "challenge").unwrap();
    let (user, password) = (Username::new(USER.as_bytes()).unwrap(), Password::new(PASSWORD.as_bytes()).unwrap());
    let token = Challenge::parse(&challenge).unwrap().answer(&user, &password);
    session.enqueue_input(now, format!("{}\r\n", dime_core::base64::encode_padded(token.as_bytes())).as_bytes());
    drain(&mut session, false);
    assert_eq!(session.state(), State::Authenticated);
    session
}

/// Selects INBOX; returns the response bytes.
fn select<S: Store>(session: &mut ServerSession<S>) -> usize {
    session.enqueue_input(Instant::now(), b"s SELECT INBOX\r\n");
    let (count, out) = drain(session, true);
    assert!(out.ends_with(b"s OK [READ-WRITE] SELECT completed\r\n"));
    count
}

/// `FETCH 1:* (UID FLAGS RFC822.SIZE)` through a selected session; returns the response bytes.
fn fetch_session<S: Store>(session: &mut ServerSession<S>) -> usize {
    session.enqueue_input(Instant::now(), b"f FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n");
    drain(session, false).0
}

/// One `APPEND` of `object` through the session (a synchronizing literal, sent at once).
fn append_session<S: Store>(session: &mut ServerSession<S>, object: &[u8]) {
    let mut wire = format!("p APPEND INBOX {{{}}}\r\n", object.len()).into_bytes();
    wire.extend_from_slice(object);
    wire.extend_from_slice(b"\r\n");
    session.enqueue_input(Instant::now(), &wire);
    let (_, out) = drain(session, true);
    assert!(out.windows(3).any(|w| w == b"p O"), "{}", String::from_utf8_lossy(&out));
}

fn flags(i: u32) -> Vec<Flag> {
    match i % 4 {
        0 => vec![],
        1 => vec![Flag::Seen],
        2 => vec![Flag::Seen, Flag::Answered],
        _ => vec![Flag::Flagged, Flag::Keyword("$Label1".into())],
    }
}

fn message(i: u32) -> (Vec<Flag>, DateTime, Vec<u8>) {
    (flags(i), DateTime::new(1_700_000_000 + i64::from(i), 0).unwrap(), vec![i as u8; OBJECT])
}

/// Fills a new store with the mailbox in one transaction; returns how long it took.
fn fill(path: &Path) -> Duration {
    let start = Instant::now();
    let store = RedbStore::open(path).unwrap();
    store.add_account(USER, &credentials()).unwrap();
    let uids = store.import(USER, &Mailbox::inbox(), (0..MESSAGES).map(message)).unwrap();
    assert_eq!(uids, 1..MESSAGES + 1);
    start.elapsed()
}

fn memory_store() -> MemoryStore {
    let store = MemoryStore::new();
    store.add_account(USER, credentials());
    for i in 0..MESSAGES {
        let (flags, date, object) = message(i);
        block_on(store.append(USER, &Mailbox::inbox(), &flags, Some(date), object)).unwrap();
    }
    store
}

/// The FETCH response lines for `messages`, written through a buffer flushed at 64 KiB;
/// returns the bytes written.
struct Responses {
    buffer: String,
    written: usize,
    seq: u32,
}

impl Responses {
    fn new() -> Responses {
        Responses { buffer: String::with_capacity(64 * 1024 + 256), written: 0, seq: 0 }
    }

    fn add(&mut self, messages: &[MessageInfo]) {
        for m in messages {
            self.seq += 1;
            let flags: Vec<String> = m.flags.iter().map(Flag::name).collect();
            let _ = write!(
                self.buffer,
                "* {} FETCH (UID {} FLAGS ({}) RFC822.SIZE {})\r\n",
                self.seq,
                m.uid,
                flags.join(" "),
                m.size
            );
            if self.buffer.len() >= 64 * 1024 {
                self.written += black_box(self.buffer.len());
                self.buffer.clear();
            }
        }
    }

    fn done(self) -> usize {
        self.written + self.buffer.len()
    }
}

fn fetch_memory(store: &mut MemoryStore) -> usize {
    let mut out = Responses::new();
    out.add(&block_on(store.mailbox(USER, &Mailbox::inbox())).unwrap().messages);
    out.done()
}

fn fetch_view(store: &mut RedbStore) -> usize {
    let mut out = Responses::new();
    out.add(&block_on(store.mailbox(USER, &Mailbox::inbox())).unwrap().messages);
    out.done()
}

fn fetch_paged(store: &RedbStore) -> usize {
    let mut out = Responses::new();
    let mut after = 0;
    loop {
        let page = ops::messages(&store.account_database(USER).unwrap(), USER, &Mailbox::inbox(), after, PAGE).unwrap();
        let Some(last) = page.last() else { break };
        after = last.uid;
        out.add(&page);
    }
    out.done()
}

/// The child's side of the peak measurement: runs one listing and prints the highest heap
/// use above what the process held before it.
fn peak_child(mode: &str, path: &str) {
    let mut memory = (mode == "memory").then(memory_store);
    let mut store = match mode {
        "memory" => None,
        // redb's page cache is heap too: with a 1 MiB cache the paged listing's peak shows
        // what the listing itself holds.
        "paged_cache_1m" | "session_cache_1m" => Some(RedbStore::open_with_cache(path, 1 << 20).unwrap()),
        _ => Some(RedbStore::open(path).unwrap()),
    };
    if mode.starts_with("session") {
        // SELECT and FETCH through the session: its index, one page, one output piece.
        let mut session = logged_in(store.take().unwrap());
        let base = HEAP.allocated();
        select(&mut session);
        let bytes = fetch_session(&mut session);
        println!("PEAK {} {bytes}", HEAP.max_allocated().saturating_sub(base));
        std::io::stdout().flush().unwrap();
        return;
    }
    let base = HEAP.allocated();
    let bytes = match (mode, memory.as_mut(), store.as_mut()) {
        ("memory", Some(m), _) => fetch_memory(m),
        ("view", _, Some(s)) => fetch_view(s),
        ("paged" | "paged_cache_1m", _, Some(s)) => fetch_paged(s),
        _ => panic!("unknown mode {mode}"),
    };
    println!("PEAK {} {bytes}", HEAP.max_allocated().saturating_sub(base));
    std::io::stdout().flush().unwrap();
}

/// Peak heap of one listing in a fresh process: (peak bytes, response bytes).
fn peak(mode: &str, path: &Path) -> (usize, usize) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(PEAK_ENV, format!("{mode} {}", path.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("PEAK ")).unwrap_or_else(|| panic!("no peak from {mode}: {text}"));
    let mut words = line.split_whitespace().skip(1).map(|w| w.parse().unwrap());
    (words.next().unwrap(), words.next().unwrap())
}

fn main() {
    if let Ok(spec) = std::env::var(PEAK_ENV) {
        let (mode, path) = spec.split_once(' ').unwrap();
        return peak_child(mode, path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fetch.redb");
    let fill_time = fill(&path);
    // The shared file and the account files in `<file>.accounts/`.
    let accounts = std::fs::read_dir(dir.path().join("fetch.redb.accounts")).unwrap();
    let file_size = std::fs::metadata(&path).unwrap().len()
        + accounts.map(|entry| entry.unwrap().metadata().unwrap().len()).sum::<u64>();
    let peaks: Vec<(&str, (usize, usize))> =
        ["memory", "view", "paged", "paged_cache_1m", "session", "session_cache_1m"]
            .iter()
            .map(|m| (*m, peak(m, &path)))
            .collect();

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("fetch_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(MESSAGES)));
    let mut memory = memory_store();
    group.bench_function("memory_view", |b| b.iter(|| fetch_memory(&mut memory)));
    drop(memory);
    let mut store = RedbStore::open(&path).unwrap();
    group.bench_function("redb_view", |b| b.iter(|| fetch_view(&mut store)));
    group.bench_function("redb_paged", |b| b.iter(|| fetch_paged(&store)));
    let mut session = logged_in(store.clone());
    select(&mut session);
    group.bench_function("session_redb", |b| b.iter(|| fetch_session(&mut session)));
    group.finish();
    drop(session);
    drop(store);

    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    let object = vec![0x5a; 4096];
    let memory = MemoryStore::new();
    memory.add_account(USER, credentials());
    group.bench_function("memory", |b| {
        b.iter(|| block_on(memory.append(USER, &Mailbox::inbox(), &[], None, object.clone())).unwrap())
    });
    drop(memory);
    let durable = RedbStore::open(dir.path().join("append.redb")).unwrap();
    durable.add_account(USER, &credentials()).unwrap();
    group.bench_function("redb_durable", |b| {
        b.iter(|| block_on(durable.append(USER, &Mailbox::inbox(), &[], None, object.clone())).unwrap())
    });
    let mut appender = logged_in(durable.clone());
    group.bench_function("session_redb", |b| b.iter(|| append_session(&mut appender, &object)));
    group.finish();
    c.final_summary();

    // Back-to-back timings for the ratios, so machine load affects both sides alike.
    let time = |f: &mut dyn FnMut() -> usize| {
        let mut runs: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed()
            })
            .collect();
        runs.sort();
        runs[2]
    };
    let mut memory = memory_store();
    let memory_time = time(&mut || fetch_memory(&mut memory));
    drop(memory);
    let mut store = RedbStore::open(&path).unwrap();
    let view_time = time(&mut || fetch_view(&mut store));
    let paged_time = time(&mut || fetch_paged(&store));
    let mut session = logged_in(store.clone());
    select(&mut session);
    let session_time = time(&mut || fetch_session(&mut session));
    drop(session);
    drop(store);
    // Store call and session APPEND alternately, 100 rounds of 2 each side.
    let appends = 100;
    let (mut store_time, mut session_append_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..appends {
        let start = Instant::now();
        block_on(durable.append(USER, &Mailbox::inbox(), &[], None, object.clone())).unwrap();
        block_on(durable.append(USER, &Mailbox::inbox(), &[], None, object.clone())).unwrap();
        store_time += start.elapsed();
        let start = Instant::now();
        append_session(&mut appender, &object);
        append_session(&mut appender, &object);
        session_append_time += start.elapsed();
    }
    let append_rate = f64::from(2 * appends) / store_time.as_secs_f64();
    let session_rate = f64::from(2 * appends) / session_append_time.as_secs_f64();

    println!(
        "RESULT fill: {MESSAGES} messages of {OBJECT} bytes in one transaction: {:.2} s, files {:.1} MiB",
        fill_time.as_secs_f64(),
        file_size as f64 / (1 << 20) as f64
    );
    for (mode, (bytes, response)) in &peaks {
        println!(
            "RESULT peak heap fetch_100k/{mode}: {:.2} MiB for {response} response bytes",
            *bytes as f64 / (1 << 20) as f64
        );
    }
    println!(
        "RESULT fetch_100k (median of 5): memory_view {:.1} ms, redb_view {:.1} ms ({:.2}x), redb_paged {:.1} ms ({:.2}x)",
        memory_time.as_secs_f64() * 1e3,
        view_time.as_secs_f64() * 1e3,
        view_time.as_secs_f64() / memory_time.as_secs_f64(),
        paged_time.as_secs_f64() * 1e3,
        paged_time.as_secs_f64() / memory_time.as_secs_f64(),
    );
    println!(
        "RESULT fetch_100k through the session (median of 5): session_redb {:.1} ms, {:.2}x redb_paged (the store-level baseline)",
        session_time.as_secs_f64() * 1e3,
        session_time.as_secs_f64() / paged_time.as_secs_f64(),
    );
    println!("RESULT append with durability on (4 KiB objects, fsync per commit): {append_rate:.0} per second");
    println!(
        "RESULT append through the session with durability on (4 KiB objects): {session_rate:.0} messages/s, {:.2} MB/s, {:.2}x the store call's time",
        session_rate * object.len() as f64 / 1e6,
        append_rate / session_rate,
    );
}
