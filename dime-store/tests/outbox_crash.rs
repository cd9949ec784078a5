//! Crash safety of `RedbOutbox`, as `tests/crash.rs` checks the mail store: a child process
//! queues deliveries and records failed and successful attempts through dime-dmtp's `Outbox`,
//! printing `> op` before each call and `< result` after it returned (the acknowledgement). The
//! parent kills it with SIGKILL at a random point, reopens the file, and checks that every
//! acknowledged change is there, that the change in flight is wholly there or wholly absent,
//! that every object is whole, and that no id is ever handed out twice. The seed is printed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::client::Delivery;
use dime_dmtp::outbox::{EntryId, Outbox, OutboxStore, RetryPolicy};
use dime_dmtp::wire::TxId;
use dime_signet::record::HostName;
use dime_store::RedbOutbox;

const CHILD_DB: &str = "DIME_OUTBOX_CRASH_DB";
const CHILD_SEED: &str = "DIME_OUTBOX_CRASH_SEED";
const ROUNDS: usize = 10;

/// xorshift64*: a reproducible stream from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

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
    let (Ok(path), Ok(seed)) = (std::env::var(CHILD_DB), std::env::var(CHILD_SEED)) else { return };
    let seed: u64 = seed.parse().unwrap();
    let mut rng = Rng(seed | 1);
    let mut outbox = Outbox::open(RedbOutbox::open(path).unwrap(), RetryPolicy::new()).unwrap();
    println!();
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
    let seed = std::env::var("DIME_STORE_CRASH_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64);
    println!("outbox crash test seed {seed} (set DIME_STORE_CRASH_TEST_SEED to repeat)");
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.redb");
    let exe = std::env::current_exe().unwrap();
    let mut model = Model::new();
    let mut ever: u64 = 0; // the number above every id acknowledged so far
    let (mut acknowledged, mut landed, mut lost) = (0u64, 0, 0);

    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["outbox_crash_writer", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DB, &path)
            .env(CHILD_SEED, rng.next().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let kill_after = 1 + rng.below(40);
        let (mut acks, mut killed) = (0, false);
        let mut in_flight: Option<Op> = None;
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 || !line.ends_with('\n') {
                break;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
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
                    acks += 1;
                }
                _ => continue,
            }
            if acks == kill_after && !killed {
                std::thread::sleep(Duration::from_micros(rng.below(3000)));
                child.kill().unwrap();
                killed = true;
            }
        }
        let status = child.wait().unwrap();
        assert!(killed, "round {round}: the writer stopped by itself ({status})");
        acknowledged += acks;

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
