//! Crash safety of `RedbOutbox`, as `tests/crash.rs` checks the mail store: a child process
//! queues deliveries and records failed and successful attempts through dime-dmtp's `Outbox`,
//! printing `> op` before each call and `< result` after it returned (the acknowledgement). The
//! parent kills it with SIGKILL at a random point, reopens the file, and checks that every
//! acknowledged change is there, that the change in flight is wholly there or wholly absent,
//! that every object is whole, and that no id is ever handed out twice. The seed is printed.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::client::Delivery;
use dime_dmtp::outbox::{EntryId, Outbox, OutboxStore, RetryPolicy};
use dime_dmtp::wire::TxId;
use dime_signet::record::HostName;
use dime_store::RedbOutbox;
use dime_testkit::crash::{self, Rng};

const CHILD_DB: &str = "DIME_OUTBOX_CRASH_DB";
const CHILD_SEED: &str = "DIME_OUTBOX_CRASH_SEED";
const ROUNDS: usize = 10;

/// The object of write number `i`: `i ‖ a pattern of i`, so a torn object is recognised.
fn object(i: u64) -> Vec<u8> {
    let len = 8 + (i.wrapping_mul(2_654_435_761) % 4000) as usize;
    let mut out = i.to_be_bytes().to_vec();
    out.extend((8..len).map(|k| (i as usize).wrapping_add(k).wrapping_mul(31) as u8));
    out
}

fn object_number(bytes: &[u8]) -> Option<u64> {
    let i = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    (object(i) == bytes).then_some(i)
}

fn delivery(i: u64) -> Delivery {
    Delivery {
        origin: HostName::new("example.org").unwrap(),
        origin_fingerprint: Fingerprint::of(b"example.org"),
        destination: HostName::new("example.net").unwrap(),
        destination_fingerprint: Fingerprint::of(b"example.net"),
        object: object(i).into(),
        hash: None,
        return_type: None,
        data_type: None,
    }
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_400_000 + seconds)
}

/// The child's side: runs only when the parent re-invokes this binary with the environment
/// set, and writes until it is killed.
#[test]
fn outbox_crash_writer() {
    let Some((path, seed)) = crash::child(CHILD_DB, CHILD_SEED) else { return };
    let mut rng = Rng::new(seed);
    let mut outbox = Outbox::open(RedbOutbox::open(path).unwrap(), RetryPolicy::new()).unwrap();
    let mut queued: Vec<EntryId> = outbox.store().states().unwrap().into_iter().map(|(id, _)| id).collect();
    for n in 0..100_000u64 {
        let i = seed.wrapping_mul(1_000_003).wrapping_add(n);
        match rng.below(10) {
            0..=5 => {
                println!("> E {i}");
                let id = outbox.enqueue(&delivery(i), at(0)).unwrap();
                println!("< E {}", id.0);
                queued.push(id);
            }
            6..=7 if !queued.is_empty() => {
                let id = queued[rng.below(queued.len() as u64) as usize];
                println!("> R {}", id.0);
                outbox.finish(id, Err(DmtpError::Timeout { phase: dime_dmtp::TimeoutPhase::Data }), at(1)).unwrap();
                println!("< R");
            }
            _ if !queued.is_empty() => {
                let id = queued.swap_remove(rng.below(queued.len() as u64) as usize);
                println!("> D {}", id.0);
                outbox.finish(id, Ok(TxId::random().unwrap()), at(1)).unwrap();
                println!("< D");
            }
            _ => {}
        }
    }
}

/// Entry id → (write number, failures).
type Model = BTreeMap<u64, (u64, u32)>;

#[derive(Debug, Clone, Copy)]
enum Op {
    Enqueue(u64),
    Retry(u64),
    Deliver(u64),
}

fn actual(path: &std::path::Path) -> (Model, u64) {
    let store = RedbOutbox::open(path).unwrap();
    let mut model = Model::new();
    for (id, state) in store.states().unwrap() {
        let delivery = store.delivery(id).unwrap().unwrap_or_else(|| panic!("{id:?} has a state and no delivery"));
        let i = object_number(&delivery.object).unwrap_or_else(|| panic!("{id:?} holds a torn object"));
        model.insert(id.0, (i, state.failures));
    }
    (model, store.next_id().unwrap())
}

#[test]
fn acknowledged_outbox_changes_survive_sigkill() {
    let mut rng = Rng::new(crash::seed("outbox crash test"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.redb");
    let mut model = Model::new();
    let mut ever: u64 = 0; // the number above every id acknowledged so far
    let (mut acknowledged, mut landed, mut lost) = (0u64, 0, 0);

    for round in 0..ROUNDS {
        let child_seed = rng.next_u64().to_string();
        let env = [(CHILD_DB, path.to_str().unwrap()), (CHILD_SEED, child_seed.as_str())];
        let (kill_after, delay) = (1 + rng.below(40), Duration::from_micros(rng.below(3000)));
        let mut in_flight: Option<Op> = None;
        acknowledged += crash::kill_after("outbox_crash_writer", &env, kill_after, delay, |words| {
            match words {
                [">", "E", i] => in_flight = Some(Op::Enqueue(i.parse().unwrap())),
                [">", "R", id] => in_flight = Some(Op::Retry(id.parse().unwrap())),
                [">", "D", id] => in_flight = Some(Op::Deliver(id.parse().unwrap())),
                ["<", rest @ ..] => {
                    match (in_flight.take().expect("an acknowledgement without a change"), rest) {
                        (Op::Enqueue(i), [_, id]) => {
                            let id: u64 = id.parse().unwrap();
                            assert!(id >= ever, "round {round}: id {id} handed out again");
                            ever = id + 1;
                            model.insert(id, (i, 0));
                        }
                        (Op::Retry(id), _) => model.get_mut(&id).expect("retry of an unknown id").1 += 1,
                        (Op::Deliver(id), _) => assert!(model.remove(&id).is_some(), "delivery of an unknown id"),
                        (op, rest) => panic!("{op:?} acknowledged as {rest:?}"),
                    }
                    return true;
                }
                _ => {}
            }
            false
        });

        let (found, next_id) = actual(&path);
        assert!(next_id >= ever, "round {round}: the store forgot ids up to {ever}");
        if found == model {
            lost += usize::from(in_flight.is_some());
        } else {
            let op = in_flight.unwrap_or_else(|| panic!("round {round}: store differs, nothing in flight"));
            let mut expected = model.clone();
            match op {
                Op::Enqueue(i) => {
                    let new: Vec<u64> = found.keys().filter(|id| !model.contains_key(id)).copied().collect();
                    assert_eq!(new.len(), 1, "round {round}: {new:?}");
                    assert!(new[0] >= ever, "round {round}: id {} handed out again", new[0]);
                    ever = new[0] + 1;
                    expected.insert(new[0], (i, 0));
                }
                Op::Retry(id) => expected.get_mut(&id).unwrap().1 += 1,
                Op::Deliver(id) => {
                    expected.remove(&id);
                }
            }
            assert_eq!(found, expected, "round {round}: neither before nor after {op:?}");
            landed += 1;
        }
        model = found;
        ever = ever.max(next_id);
    }
    println!("{ROUNDS} kills, {acknowledged} acknowledged changes, in flight: {landed} landed, {lost} lost");
    assert!(acknowledged >= ROUNDS as u64);
}
