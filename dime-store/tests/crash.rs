//! Crash safety: a child process writes a stream of APPENDs, flag changes, expunges and
//! submissions to a store, printing `> op` before each write and `< result` after its commit
//! returns (the acknowledgement a client would get). The parent kills it with SIGKILL at a
//! random point, reopens the file, and checks that every acknowledged write is there, that
//! the one write in flight is either wholly there or wholly absent, and that no message is
//! half-written. Twenty rounds on the same file; the seed is printed for reproduction.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dime_dmap::codec::{Flag, Mailbox};
use dime_store::{RedbStore, ops};
use dime_testkit::crash::{self, Rng};

const USER: &str = "crash@example.org";
const CHILD_DB: &str = "DIME_STORE_CRASH_DB";
const CHILD_SEED: &str = "DIME_STORE_CRASH_SEED";
const ROUNDS: usize = 20;

/// The object for write number `i`: `i ‖ length ‖ a pattern of i`, so a reader can tell a
/// whole object from a torn or mixed-up one.
fn object(i: u64) -> Vec<u8> {
    let len = 16 + (i.wrapping_mul(2_654_435_761) % 3000) as usize;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&i.to_be_bytes());
    out.extend_from_slice(&(len as u64).to_be_bytes());
    out.extend((16..len).map(|k| (i as usize).wrapping_add(k).wrapping_mul(31) as u8));
    out
}

/// The write number of a whole object, or `None` for anything else.
fn object_number(bytes: &[u8]) -> Option<u64> {
    let i = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    (object(i) == bytes).then_some(i)
}

fn flags(bits: u8) -> Vec<Flag> {
    let all = [Flag::Seen, Flag::Flagged, Flag::Deleted, Flag::Keyword("$Label1".into())];
    all.into_iter().enumerate().filter(|(n, _)| bits & (1 << n) != 0).map(|(_, f)| f).collect()
}

fn bits(flags: &[Flag]) -> u8 {
    let all = [Flag::Seen, Flag::Flagged, Flag::Deleted, Flag::Keyword("$Label1".into())];
    all.iter().enumerate().filter(|(_, f)| flags.contains(f)).fold(0, |b, (n, _)| b | 1 << n)
}

const DELETED: u8 = 4;

/// The child's side: runs only when the parent re-invokes this test binary with the
/// environment set, and writes until it is killed.
#[test]
fn crash_writer() {
    let Some((path, seed)) = crash::child(CHILD_DB, CHILD_SEED) else { return };
    let mut rng = Rng::new(seed);
    let store = RedbStore::open(path).unwrap();
    if ops::credentials(store.database(), USER).unwrap().is_none() {
        store.add_account(USER, &common::credentials(1)).unwrap();
    }
    let inbox = Mailbox::inbox();
    use dime_dmap::store::Store;
    let mut live: Vec<u32> =
        dime_dmap::store::block_on(store.mailbox(USER, &inbox)).unwrap().messages.iter().map(|m| m.uid).collect();
    for n in 0..100_000u64 {
        let i = seed.wrapping_mul(1_000_003).wrapping_add(n);
        match rng.below(10) {
            0..=4 => {
                println!("> A {i}");
                let uid = dime_dmap::store::block_on(store.append(USER, &inbox, &[], None, object(i))).unwrap();
                println!("< A {uid}");
                live.push(uid);
            }
            5..=6 if !live.is_empty() => {
                let uid = live[rng.below(live.len() as u64) as usize];
                let bits = rng.below(16) as u8;
                println!("> F {uid} {bits}");
                dime_dmap::store::block_on(store.set_flags(USER, &inbox, uid, &flags(bits))).unwrap();
                println!("< F");
            }
            7 => {
                println!("> X");
                let gone = dime_dmap::store::block_on(store.expunge(USER, &inbox)).unwrap();
                let list: Vec<String> = gone.iter().map(u32::to_string).collect();
                println!("< X {}", list.join(","));
                live.retain(|u| !gone.contains(u));
            }
            _ => {
                println!("> S {i}");
                let id = dime_dmap::store::block_on(store.submit(USER, object(i))).unwrap();
                println!("< S {id}");
            }
        }
    }
}

/// What the store must hold: UID → (write number, flag bits), queue id → write number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Model {
    messages: BTreeMap<u32, (u64, u8)>,
    outbox: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
enum Op {
    Append(u64),
    Flags(u32, u8),
    Expunge,
    Submit(u64),
}

/// Applies an acknowledged write; checks that the acknowledgement is consistent.
fn acknowledge(model: &mut Model, op: &Op, result: &str) {
    match op {
        Op::Append(i) => {
            let uid: u32 = result.parse().unwrap();
            assert!(model.messages.keys().all(|&u| u < uid), "UID {uid} reused");
            model.messages.insert(uid, (*i, 0));
        }
        Op::Flags(uid, bits) => model.messages.get_mut(uid).expect("flags of an unknown UID").1 = *bits,
        Op::Expunge => {
            let gone: Vec<u32> = result.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
            let deleted: Vec<u32> =
                model.messages.iter().filter(|(_, m)| m.1 & DELETED != 0).map(|(u, _)| *u).collect();
            assert_eq!(gone, deleted, "expunge removed other messages than the \\Deleted ones");
            model.messages.retain(|u, _| !gone.contains(u));
        }
        Op::Submit(i) => {
            model.outbox.insert(result.to_string(), *i);
        }
    }
}

/// The model with the write in flight applied, taking any new UID or queue id from `actual`.
fn with_in_flight(model: &Model, op: &Op, actual: &Model) -> Model {
    let mut next = model.clone();
    match op {
        Op::Append(i) => {
            if let Some(uid) = actual.messages.keys().find(|u| !model.messages.contains_key(u)) {
                next.messages.insert(*uid, (*i, 0));
            }
        }
        Op::Flags(uid, bits) => {
            if let Some(m) = next.messages.get_mut(uid) {
                m.1 = *bits;
            }
        }
        Op::Expunge => next.messages.retain(|_, m| m.1 & DELETED == 0),
        Op::Submit(i) => {
            if let Some(id) = actual.outbox.keys().find(|id| !model.outbox.contains_key(*id)) {
                next.outbox.insert(id.clone(), *i);
            }
        }
    }
    next
}

/// Reads the store back, checking that every object is whole and matches its size.
fn actual(path: &std::path::Path) -> Model {
    let store = RedbStore::open(path).unwrap();
    store.verify().unwrap();
    let mut model = Model::default();
    for submission in ops::outbox(store.database()).unwrap() {
        assert_eq!(submission.user, USER);
        let i = object_number(&submission.object).unwrap_or_else(|| panic!("{} holds a torn object", submission.id));
        model.outbox.insert(submission.id, i);
    }
    let Ok(db) = store.account_database(USER) else { return model };
    let Ok(view) = ops::mailbox_view(&db, USER, &Mailbox::inbox()) else { return model };
    for info in view.messages {
        let bytes = ops::object(&db, USER, &Mailbox::inbox(), info.uid).unwrap();
        assert_eq!(info.size as usize, bytes.len(), "size of UID {}", info.uid);
        let i = object_number(&bytes).unwrap_or_else(|| panic!("UID {} holds a torn object", info.uid));
        model.messages.insert(info.uid, (i, bits(&info.flags)));
    }
    model
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let mut rng = Rng::new(crash::seed("crash test"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.redb");
    let started = Instant::now();
    let mut model = Model::default();
    let (mut acknowledged, mut in_flight_landed, mut in_flight_lost) = (0, 0, 0);

    for round in 0..ROUNDS {
        let child_seed = rng.next_u64().to_string();
        let env = [(CHILD_DB, path.to_str().unwrap()), (CHILD_SEED, child_seed.as_str())];
        let (kill_after, delay) = (1 + rng.below(40), Duration::from_micros(rng.below(3000)));
        let mut in_flight: Option<Op> = None;
        acknowledged += crash::kill_after("crash_writer", &env, kill_after, delay, |words| {
            match words {
                [">", "A", i] => in_flight = Some(Op::Append(i.parse().unwrap())),
                [">", "F", uid, bits] => in_flight = Some(Op::Flags(uid.parse().unwrap(), bits.parse().unwrap())),
                [">", "X"] => in_flight = Some(Op::Expunge),
                [">", "S", i] => in_flight = Some(Op::Submit(i.parse().unwrap())),
                ["<", _, rest @ ..] => {
                    let op = in_flight.take().expect("an acknowledgement without a write");
                    acknowledge(&mut model, &op, rest.first().copied().unwrap_or(""));
                    return true;
                }
                _ => {} // the test harness's own lines
            }
            false
        });

        let found = actual(&path);
        if found == model {
            in_flight_lost += usize::from(in_flight.is_some());
        } else {
            let op = in_flight.as_ref().unwrap_or_else(|| panic!("round {round}: store differs, nothing in flight"));
            let expected = with_in_flight(&model, op, &found);
            assert_eq!(found, expected, "round {round}: store is neither before nor after {op:?}");
            in_flight_landed += 1;
        }
        model = found;
    }
    println!(
        "{ROUNDS} kills, {acknowledged} acknowledged writes, in flight: {in_flight_landed} landed, {in_flight_lost} lost; {:?}",
        started.elapsed()
    );
    assert!(acknowledged >= ROUNDS as u64);
    assert!(!model.messages.is_empty() || !model.outbox.is_empty());
}
