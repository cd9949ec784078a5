//! Criterion benches of the message object, and the ratios the issue asks for, each measured
//! in the same run, the two sides timed in alternating blocks of calls:
//!
//! - the four-actor flow, compose and recipient open on 1 MiB against their primitive floor
//!   (4 X25519, one AES-256-GCM pass, one BLAKE3 pass, the signatures; decision D7);
//! - throughput per core for a 64 MiB message (compose, recipient open) and a destination
//!   verifying a 64 MiB object it cannot read (goal: at least 2 GB/s per core);
//! - a destination checking a 64 MiB object and computing its DMTP `DATA` hash: from the check's
//!   chunk digests (D9, one hash pass) against BLAKE3 over the object beside them (two passes);
//! - one message to 100 recipients against 100 separate compositions.
//!
//! - hybrid keyslots (D8): compose and recipient open, 1 MiB and a short message, four hybrid
//!   actors against classical, with the ML-KEM operations they add timed in the same run; the
//!   object sizes; `compose_many` to 100 hybrid recipients.
//!
//! The comparison with OpenPGP (rpgp and sequoia-openpgp) is the standalone package
//! `benches/openpgp-compare`, outside the workspace.
//!
//! `cargo bench -p dime-message --bench message` measures the sans-IO core single-threaded;
//! `DIME_BENCH_ONLY=hybrid` runs only the hybrid section; `DIME_BENCH_ONLY=floor` only the
//! ratios against the primitive floors, classical and hybrid; `profile-compose`,
//! `profile-open`, `profile-hybrid-compose` and `profile-hybrid-open` loop over one 1 MiB
//! compose or recipient open, for `perf record`, and `profile-hybrid-floor` over the hybrid
//! compose's floor as many times, so that two profiles compare symbol by symbol;
//! `DIME_BENCH_ONLY=big` only the 64 MiB throughputs; `DIME_BENCH_ONLY=data-hash` only the
//! destination's check with DMTP's `DATA` hash of 64 MiB, one hash pass (D9) against two;
//! `--features parallel` measures it chunk-parallel. Set `DIME_BENCH_QUICK=1` for fewer rounds.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use common::*;
use criterion::Criterion;
use dime_core::kem::KemSecretKey;
use dime_core::keys::{EncryptionSecretKey, Signature, SigningSecretKey};
use dime_message::*;
use dime_signet::issue;

const MIB: usize = 1 << 20;

fn one_mib_content() -> Content {
    let mut c = content(0, 0, 0);
    c.attachments.push(Part::new("application/octet-stream", Some("data.bin"), bytes(MIB, 1)).unwrap());
    c
}

/// The whole path: compose, origin opens and countersigns, destination and recipient open.
fn flow(world: &World, content: &Content) -> usize {
    let object = compose(&world.author.sign, &world.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let relayed = world.relay(&object);
    world.open_destination(&relayed).unwrap();
    let opened = world.open_recipient(&relayed).unwrap();
    opened.attachments[0].data.len()
}

/// The primitives the flow cannot avoid: 4 X25519 for the author and one per reader, one
/// AES-256-GCM pass to seal and one to open, one BLAKE3 pass per actor (each must check every
/// byte), 2 author signatures, 3 origin signatures, and the verifications (2 + 3 + 5). The
/// signatures are over inputs of the sizes a real 1 MiB object signs (its digest lists).
struct Floor {
    secret: [u8; 32],
    publics: [[u8; 32]; 4],
    data: Vec<u8>,
    key: SigningSecretKey,
    /// The tree, author-full and three origin inputs, each with its signature.
    signed: Vec<(Vec<u8>, Signature)>,
}

impl Floor {
    /// The floor of the flow that made `relayed`, a countersigned object.
    fn new(relayed: &[u8]) -> Floor {
        let publics = [[3u8; 32], [4; 32], [5; 32], [6; 32]]
            .map(|s| x25519_dalek::x25519(s, x25519_dalek::X25519_BASEPOINT_BYTES));
        let key = SigningSecretKey::from_seed(&[9; 32]);
        let signed = signed_inputs(relayed).into_iter().map(|input| (input.clone(), key.sign(&input))).collect();
        Floor { secret: [7; 32], publics, data: bytes(MIB, 2), key, signed }
    }

    fn x25519(&self, n: usize) {
        for p in self.publics.iter().cycle().take(n) {
            black_box(x25519_dalek::x25519(self.secret, *p));
        }
    }

    fn gcm(&self, buf: &mut [u8]) {
        let cipher = Aes256Gcm::new(&[1u8; 32].into());
        black_box(cipher.encrypt_inout_detached(&[0u8; 12].into(), b"", buf.into()).unwrap());
    }

    fn hash(&self, buf: &[u8]) {
        black_box(blake3::hash(buf));
    }

    /// Signs the author's two inputs (`Author`) or the origin's three.
    fn sign(&self, who: Actor) {
        for (input, _) in self.signatures(who) {
            black_box(self.key.sign(input));
        }
    }

    /// Verifies the author's two signatures, the origin's three, or all five (`Recipient`).
    fn verify(&self, who: Actor) {
        for (input, sig) in self.signatures(who) {
            let _ = black_box(self.key.public().verify(input, sig));
        }
    }

    fn signatures(&self, who: Actor) -> &[(Vec<u8>, Signature)] {
        match who {
            Actor::Author => &self.signed[..2],
            Actor::Origin => &self.signed[2..],
            _ => &self.signed,
        }
    }

    fn compose(&self, buf: &mut [u8]) {
        self.x25519(4);
        self.gcm(buf);
        self.hash(buf);
        self.sign(Actor::Author);
    }

    /// The origin's open and countersignature of `object`.
    fn origin(&self, object: &[u8]) {
        self.x25519(1);
        self.hash(object);
        self.verify(Actor::Author);
        self.sign(Actor::Origin);
    }

    /// The destination's open of `object`.
    fn destination(&self, object: &[u8]) {
        self.x25519(1);
        self.hash(object);
        self.verify(Actor::Origin);
    }

    /// The recipient's open of `object` but for its one GCM pass, which the caller adds.
    fn recipient_checks(&self, object: &[u8]) {
        self.x25519(1);
        self.hash(object);
        self.verify(Actor::Recipient);
    }

    fn flow(&self) {
        let mut buf = self.data.clone();
        self.compose(&mut buf);
        self.origin(&buf);
        self.destination(&buf);
        self.recipient_checks(&buf);
        self.gcm(&mut buf);
    }
}

/// The five signed inputs of a countersigned object: the tree list, the author's full input and
/// the origin's three (meta-bounce, display-bounce, full), as `dime_message::tree` builds them.
fn signed_inputs(relayed: &[u8]) -> Vec<Vec<u8>> {
    use dime_message::chunk::ChunkType;
    use dime_message::tree::{Entry, TREE, author_full_input, list_input, origin_coverage, origin_input};
    let message = Message::parse(relayed, &MessageLimits::default()).unwrap();
    let entries: Vec<Entry> = message.chunks().iter().map(Entry::of).collect();
    let types: Vec<ChunkType> = message.chunks().iter().map(|c| c.chunk_type()).collect();
    let tree = types.iter().position(|t| *t == ChunkType::Tree).unwrap();
    let slots = |i: usize| &entries[i].slots;
    let mut inputs = vec![
        list_input(TREE, &entries[..tree]),
        author_full_input(&entries[tree], [slots(tree + 1), slots(tree + 2), slots(tree + 3), slots(tree + 4)]),
    ];
    for (i, t) in
        [ChunkType::OriginMetaBounce, ChunkType::OriginDisplayBounce, ChunkType::OriginFull].into_iter().enumerate()
    {
        let covered = origin_coverage(t, types.iter().copied());
        inputs.push(origin_input(t, &entries[..covered], slots(tree + 2 + i)));
    }
    inputs
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Minor page faults of this process so far (Linux; `None` elsewhere).
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Field 10, counted after the parenthesised command name, which may hold spaces.
    stat.get(stat.rfind(')')? + 2..)?.split(' ').nth(7)?.parse().ok()
}

/// Runs `a` and `b` in alternating blocks and prints the ratio of their median times per call,
/// with each side's minor page faults per call.
///
/// A block is as many calls as take about 20 ms, so that each side is timed in its steady
/// state, as criterion times it. Single alternating calls are not: there, every 1 MiB compose
/// faulted about 27 fresh pages back in from the kernel after the floor's turn (glibc had
/// trimmed the freed output), a cost of the allocator that the in-place floor, which allocates
/// nothing, never pays.
fn ratio(name: &str, rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> f64 {
    let once = Instant::now();
    a();
    let calls =
        (Duration::from_millis(20).as_secs_f64() / once.elapsed().as_secs_f64()).ceil().clamp(1.0, 1000.0) as u32;
    b();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let (mut fa, mut fb) = (0, 0);
    let block = |f: &mut dyn FnMut(), times: &mut Vec<Duration>, faults: &mut u64| {
        let before = minor_faults();
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        times.push(t.elapsed() / calls);
        *faults += minor_faults().zip(before).map_or(0, |(after, before)| after - before);
    };
    for _ in 0..rounds {
        block(&mut a, &mut ta, &mut fa);
        block(&mut b, &mut tb, &mut fb);
    }
    let per_call = |faults: u64| faults as f64 / (rounds as f64 * f64::from(calls));
    let least = |t: &[Duration]| t.iter().min().copied().unwrap_or_default();
    let (la, lb) = (least(&ta), least(&tb));
    let (ma, mb) = (median(ta), median(tb));
    let r = ma.as_secs_f64() / mb.as_secs_f64();
    let fastest = la.as_secs_f64() / lb.as_secs_f64();
    // The ratio of the fastest blocks is the one least disturbed by other work on the machine.
    println!(
        "RATIO {name}: {r:.3}  ({ma:.2?} / {mb:.2?} per call, median of {rounds} blocks of {calls}; fastest blocks \
         {fastest:.3}; minor faults per call {:.1} / {:.1})",
        per_call(fa),
        per_call(fb)
    );
    r
}

fn recipients(world: &World, n: usize) -> Vec<User> {
    (0..n).map(|i| user(10 + (i % 200) as u8, &world.destination, &format!("user{i}@lavabit.com"))).collect()
}

fn criterion_benches(c: &mut Criterion, world: &World, content: &Content) {
    let mut g = c.benchmark_group("message_1mib");
    g.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    g.throughput(criterion::Throughput::Bytes(MIB as u64));
    let object = compose(&world.author.sign, &world.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let relayed = world.relay(&object);
    g.bench_function("compose", |b| {
        b.iter(|| compose(&world.author.sign, &world.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap())
    });
    g.bench_function("origin_open_countersign", |b| b.iter(|| world.relay(&object)));
    g.bench_function("destination_open", |b| b.iter(|| world.open_destination(&relayed).unwrap()));
    g.bench_function("recipient_open", |b| b.iter(|| world.open_recipient(&relayed).unwrap()));
    g.bench_function("four_actor_flow", |b| b.iter(|| flow(world, content)));
    let floor = Floor::new(&relayed);
    g.bench_function("primitive_floor_flow", |b| b.iter(|| floor.flow()));
    g.finish();
}

/// Median time of `rounds` runs of `f`.
fn time(rounds: usize, mut f: impl FnMut()) -> Duration {
    f();
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// Worker threads the per-chunk work may use (1 without the `parallel` feature).
fn cores() -> usize {
    if cfg!(feature = "parallel") { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { 1 }
}

/// Prints a throughput figure for `bytes` in `t`, in total and per core.
fn throughput(name: &str, bytes: usize, t: Duration) -> f64 {
    let gbs = bytes as f64 / t.as_secs_f64() / 1e9;
    let per_core = gbs / cores() as f64;
    println!("THROUGHPUT {name}: {gbs:.3} GB/s, {per_core:.3} GB/s per core ({} cores, {t:.2?})", cores());
    per_core
}

/// 64 MiB in 1 MiB segments: compose, recipient open and destination verification.
fn big(world: &World, quick: bool) {
    let rounds = if quick { 3 } else { 5 };
    let size = 64 * MIB;
    let mut content = content(0, 0, 0);
    content.attachments.push(Part::new("application/octet-stream", Some("big.bin"), bytes(size, 3)).unwrap());
    let compose_big =
        || compose(&world.author.sign, &world.to(), &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let relayed = world.relay(&compose_big());
    throughput(
        "compose 64 MiB",
        size,
        time(rounds, || {
            black_box(compose_big());
        }),
    );
    throughput(
        "recipient open 64 MiB",
        size,
        time(rounds, || {
            black_box(world.open_recipient(&relayed).unwrap());
        }),
    );
    throughput(
        "destination verify 64 MiB (goal >= 2 GB/s per core)",
        relayed.len(),
        time(rounds, || {
            black_box(world.open_destination(&relayed).unwrap());
        }),
    );
    let mut verifier_time = || {
        let mut v = DestinationVerifier::new(&MessageLimits::default());
        for piece in relayed.chunks(64 << 10) {
            v.feed(piece).unwrap();
        }
        black_box(v.finish(&world.destination.enc, &world.origin.signet).unwrap());
    };
    throughput(
        "streaming destination verify 64 MiB, 64 KiB pieces (goal >= 2 GB/s per core)",
        relayed.len(),
        time(rounds, &mut verifier_time),
    );
    throughput(
        "BLAKE3 alone over 64 MiB (one thread)",
        relayed.len(),
        time(rounds, || {
            black_box(blake3::hash(&relayed));
        }),
    );
}

/// A destination receiving a 64 MiB object over DMTP: its streaming check and the `DATA` hash.
/// Before D9 the hash was BLAKE3 over the whole object beside the check's chunk digests (each
/// byte hashed twice); with D9 the check's chunk digests make the hash (each byte hashed once).
/// Both arms feed the same 64 KiB pieces and finish the check; the ratio is before / D9.
fn data_hash(world: &World, quick: bool) {
    let rounds = if quick { 5 } else { 9 };
    let mut content = content(0, 0, 0);
    content.attachments.push(Part::new("application/octet-stream", Some("big.bin"), bytes(64 * MIB, 3)).unwrap());
    let object = compose(&world.author.sign, &world.to(), &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let relayed = world.relay(&object);
    let expected = ObjectHash::of(&relayed);
    let check = |before: bool| {
        let mut v = DestinationVerifier::new(&MessageLimits::default());
        let mut whole = blake3::Hasher::new();
        for piece in relayed.chunks(64 << 10) {
            if before {
                whole.update(piece);
            }
            v.feed(piece).unwrap();
        }
        let hash = if before {
            let mut out = [0u8; 64];
            whole.finalize_xof().fill(&mut out);
            out
        } else {
            v.object_hash()
        };
        black_box(v.finish(&world.destination.enc, &world.origin.signet).unwrap());
        hash
    };
    assert_eq!(check(false), expected);
    ratio(
        "destination check + DATA hash of 64 MiB: two hash passes (before D9) / one pass (D9)",
        rounds,
        || {
            black_box(check(true));
        },
        || {
            black_box(check(false));
        },
    );
}

/// Four hybrid parties (ML-KEM-768 + X25519) beside the classical `World` of the same seeds.
struct Hybrid {
    keys: Vec<(SigningSecretKey, EncryptionSecretKey, KemSecretKey, dime_signet::Signet)>,
}

impl Hybrid {
    fn new() -> Hybrid {
        let party = |seed: u8| {
            let sign = SigningSecretKey::from_seed(&[seed; 32]);
            let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
            let kem = KemSecretKey::from_seed(&[seed; 64]);
            (sign, enc, kem)
        };
        let (opok, oenc, okem) = party(1);
        let origin =
            issue::new_org_signet_with(&opok, &oenc.public().unwrap(), Some(okem.public()), "darkmail.info").unwrap();
        let (dpok, denc, dkem) = party(2);
        let destination =
            issue::new_org_signet_with(&dpok, &denc.public().unwrap(), Some(dkem.public()), "lavabit.com").unwrap();
        let user = |seed: u8, pok: &SigningSecretKey, org: &dime_signet::Signet, address: &str| {
            let (sign, enc, kem) = party(seed);
            let request = issue::new_request_with(&sign, &enc.public().unwrap(), Some(kem.public()), None).unwrap();
            let signet = issue::issue_user_signet(&request, None, org, pok, address, &[]).unwrap();
            (sign, enc, kem, signet)
        };
        let author = user(3, &opok, &origin, "ivan@darkmail.info");
        let recipient = user(4, &dpok, &destination, "ryan@lavabit.com");
        Hybrid { keys: vec![author, (opok, oenc, okem, origin), (dpok, denc, dkem, destination), recipient] }
    }

    fn to(&self) -> Addressing<'_> {
        Addressing {
            author: &self.keys[0].3,
            origin: &self.keys[1].3,
            destination: &self.keys[2].3,
            recipient: &self.keys[3].3,
        }
    }

    fn actor(&self, i: usize) -> ActorKeys<'_> {
        ActorKeys { encryption: &self.keys[i].1, kem: Some(&self.keys[i].2), signet: Some(&self.keys[i].3) }
    }

    fn compose(&self, content: &Content) -> Vec<u8> {
        compose(&self.keys[0].0, &self.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap()
    }

    fn relay(&self, object: &[u8]) -> Vec<u8> {
        Envelope::origin(object, &MessageLimits::default(), self.actor(1))
            .unwrap()
            .open(&self.keys[0].3)
            .unwrap()
            .countersign(&self.keys[1].0)
            .unwrap()
    }

    fn open_recipient(&self, object: &[u8]) -> Opened {
        Envelope::recipient(object, &MessageLimits::default(), self.actor(3))
            .unwrap()
            .open(&self.keys[3].3, &self.keys[0].3, &self.keys[1].3)
            .unwrap()
    }

    /// The ML-KEM part of a hybrid compose's floor: four encapsulations (to the recipient's key).
    fn encapsulate4(&self) {
        for _ in 0..4 {
            black_box(self.keys[3].2.public().encapsulate().unwrap());
        }
    }
}

/// Hybrid against classical in one run: compose and recipient open of 1 MiB and of a short
/// message, the ML-KEM operations timed beside them, the sizes and `compose_many` to 100.
fn hybrid(world: &World, rounds: usize, quick: bool) {
    println!("\n== hybrid keyslots (D8), four hybrid actors against classical ==");
    let h = Hybrid::new();
    let kem = &h.keys[3].2;
    let (c, _) = kem.public().encapsulate().unwrap();
    let encaps4 = time(rounds, || h.encapsulate4());
    let decaps = time(rounds, || {
        black_box(kem.decapsulate(c.as_ref()).unwrap());
    });
    println!("ML-KEM-768: 4 encapsulations {encaps4:.2?}, 1 decapsulation {decaps:.2?}");
    let short = content(1, 0, 200);
    for (name, content) in [("1 MiB", one_mib_content()), ("short", short)] {
        let classical =
            || compose(&world.author.sign, &world.to(), &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
        let object = h.compose(&content);
        let plain = classical();
        assert_eq!(Message::parse(&object, &MessageLimits::default()).unwrap().kinds().unwrap(), Kinds::ALL);
        println!(
            "size {name}: hybrid {} bytes, classical {} bytes (+{})",
            object.len(),
            plain.len(),
            object.len() - plain.len()
        );
        let tc = time(rounds, || {
            black_box(classical());
        });
        let r = ratio(
            &format!("hybrid compose {name} / classical compose"),
            rounds,
            || {
                black_box(h.compose(&content));
            },
            || {
                black_box(classical());
            },
        );
        let bound = (tc + encaps4).as_secs_f64() * 1.10 / tc.as_secs_f64();
        println!(
            "  goal: <= (classical + 4 encapsulations) x 1.10 = {bound:.3} x classical: {}",
            if r <= bound { "met" } else { "MISSED" }
        );
        let relayed = h.relay(&object);
        let plain_relayed = world.relay(&plain);
        assert_eq!(h.open_recipient(&relayed).protection, Protection::Full);
        let to = time(rounds, || {
            black_box(world.open_recipient(&plain_relayed).unwrap());
        });
        let r = ratio(
            &format!("hybrid recipient open {name} / classical open"),
            rounds,
            || {
                black_box(h.open_recipient(&relayed));
            },
            || {
                black_box(world.open_recipient(&plain_relayed).unwrap());
            },
        );
        let bound = (to + decaps).as_secs_f64() * 1.10 / to.as_secs_f64();
        println!(
            "  goal: <= (classical + 1 decapsulation) x 1.10 = {bound:.3} x classical: {}",
            if r <= bound { "met" } else { "MISSED" }
        );
    }
    hybrid_floors(world, &h, rounds);

    let content = one_mib_content();
    // compose_many to 100 hybrid recipients (the recipients' signets share one ML-KEM key).
    let many: Vec<_> = (0..100).map(|_| (&h.keys[2].3, &h.keys[3].3)).collect();
    let t = time(if quick { 1 } else { 3 }, || {
        black_box(
            compose_many(
                &h.keys[0].0,
                &h.keys[0].3,
                &h.keys[1].3,
                &many,
                &content,
                &ComposeOptions::default(),
                &mut OsRandom,
            )
            .unwrap(),
        );
    });
    println!("compose_many 1 MiB to 100 hybrid recipients: {t:.2?}");
}

/// The four-actor flow, compose and recipient open of 1 MiB against their primitive floors.
fn floors(world: &World, content: &Content, rounds: usize) {
    let relayed = world
        .relay(&compose(&world.author.sign, &world.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap());
    // 1. The four-actor flow against its primitive floor.
    let floor = Floor::new(&relayed);
    ratio(
        "four-actor flow 1 MiB / primitive floor (goal <= 1.15)",
        rounds,
        || {
            black_box(flow(world, content));
        },
        || floor.flow(),
    );
    let mut buf = floor.data.clone();
    ratio(
        "compose 1 MiB / its floor (4 X25519, GCM, BLAKE3, 2 signatures; goal <= 1.10)",
        rounds,
        || {
            black_box(
                compose(&world.author.sign, &world.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap(),
            );
        },
        || floor.compose(&mut buf),
    );
    let object = compose(&world.author.sign, &world.to(), content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    ratio(
        "origin open + countersign 1 MiB / its floor (X25519, BLAKE3, 2 verifications, 3 signatures)",
        rounds,
        || {
            black_box(world.relay(&object));
        },
        || floor.origin(&object),
    );
    ratio(
        "destination open 1 MiB / its floor (X25519, BLAKE3, 3 verifications)",
        rounds,
        || {
            black_box(world.open_destination(&relayed).unwrap());
        },
        || floor.destination(&relayed),
    );
    ratio(
        "recipient open 1 MiB / its floor (X25519, BLAKE3, GCM, 5 verifications; goal <= 1.10)",
        rounds,
        || {
            black_box(world.open_recipient(&relayed).unwrap());
        },
        || {
            floor.recipient_checks(&relayed);
            floor.gcm(&mut buf);
        },
    );
}

/// The floors with ML-KEM in them, each measured beside its side in the same run: hybrid against
/// classical plus the ML-KEM operations it adds, and against the primitive floor plus them.
fn hybrid_floors(world: &World, h: &Hybrid, rounds: usize) {
    let kem = &h.keys[3].2;
    let (c, _) = kem.public().encapsulate().unwrap();
    let content = one_mib_content();
    let object = h.compose(&content);
    let relayed = h.relay(&object);
    let plain_relayed = world
        .relay(&compose(&world.author.sign, &world.to(), &content, &ComposeOptions::default(), &mut OsRandom).unwrap());
    let decapsulate = || {
        black_box(kem.decapsulate(c.as_ref()).unwrap());
    };
    ratio(
        "hybrid compose 1 MiB / (classical compose + 4 encapsulations) (goal <= 1.10)",
        rounds,
        || {
            black_box(h.compose(&content));
        },
        || {
            black_box(
                compose(&world.author.sign, &world.to(), &content, &ComposeOptions::default(), &mut OsRandom).unwrap(),
            );
            h.encapsulate4();
        },
    );
    ratio(
        "hybrid recipient open 1 MiB / (classical open + 1 decapsulation) (goal <= 1.10)",
        rounds,
        || {
            black_box(h.open_recipient(&relayed));
        },
        || {
            black_box(world.open_recipient(&plain_relayed).unwrap());
            decapsulate();
        },
    );
    let floor = Floor::new(&relayed);
    let mut buf = floor.data.clone();
    ratio(
        "hybrid compose 1 MiB / (primitive floor + 4 encapsulations) (goal <= 1.10)",
        rounds,
        || {
            black_box(h.compose(&content));
        },
        || {
            floor.compose(&mut buf);
            h.encapsulate4();
        },
    );
    ratio(
        "hybrid recipient open 1 MiB / (primitive floor + 1 decapsulation) (goal <= 1.10)",
        rounds,
        || {
            black_box(h.open_recipient(&relayed));
        },
        || {
            floor.recipient_checks(&relayed);
            floor.gcm(&mut buf);
            decapsulate();
        },
    );
}

fn main() {
    let quick = std::env::var_os("DIME_BENCH_QUICK").is_some();
    let rounds = if quick { 7 } else { 21 };
    if std::env::var("DIME_BENCH_ONLY").is_ok_and(|v| v == "hybrid") {
        hybrid(&World::new(), rounds, quick);
        return;
    }
    if std::env::var("DIME_BENCH_ONLY").is_ok_and(|v| v == "floor") {
        let world = World::new();
        floors(&world, &one_mib_content(), rounds);
        hybrid_floors(&world, &Hybrid::new(), rounds);
        return;
    }
    if std::env::var("DIME_BENCH_ONLY").is_ok_and(|v| v == "profile-hybrid-floor") {
        let h = Hybrid::new();
        let floor = Floor::new(&h.relay(&h.compose(&one_mib_content())));
        let mut buf = floor.data.clone();
        for _ in 0..2000 {
            floor.compose(&mut buf);
            h.encapsulate4();
        }
        return;
    }
    if let Ok(what @ ("profile-hybrid-compose" | "profile-hybrid-open")) = std::env::var("DIME_BENCH_ONLY").as_deref() {
        let h = Hybrid::new();
        let content = one_mib_content();
        let relayed = h.relay(&h.compose(&content));
        for _ in 0..2000 {
            if what == "profile-hybrid-compose" {
                black_box(h.compose(&content));
            } else {
                black_box(h.open_recipient(&relayed));
            }
        }
        return;
    }
    // For `perf record`: compose or recipient open of 1 MiB in a loop, nothing else.
    if let Ok(what @ ("profile-compose" | "profile-open")) = std::env::var("DIME_BENCH_ONLY").as_deref() {
        let world = World::new();
        let content = one_mib_content();
        let compose_1mib =
            || compose(&world.author.sign, &world.to(), &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
        let relayed = world.relay(&compose_1mib());
        for _ in 0..2000 {
            if what == "profile-compose" {
                black_box(compose_1mib());
            } else {
                black_box(world.open_recipient(&relayed).unwrap());
            }
        }
        return;
    }
    if std::env::var("DIME_BENCH_ONLY").is_ok_and(|v| v == "big") {
        big(&World::new(), quick);
        return;
    }
    if std::env::var("DIME_BENCH_ONLY").is_ok_and(|v| v == "data-hash") {
        data_hash(&World::new(), quick);
        return;
    }
    let world = World::new();
    let content = one_mib_content();

    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &world, &content);

    println!("\n== ratios (same run, alternating blocks) ==");
    floors(&world, &content, rounds);

    // 2. 64 MiB: throughput per core, and a destination verifying what it cannot read; the
    // destination's check with the DATA hash in one pass (D9) against two.
    big(&world, quick);
    data_hash(&world, quick);

    // 3. One message to 100 recipients against 100 compositions.
    let users = recipients(&world, 100);
    let pairs: Vec<_> = users.iter().map(|u| (&world.destination.signet, &u.signet)).collect();
    let many = || {
        black_box(
            compose_many(
                &world.author.sign,
                &world.author.signet,
                &world.origin.signet,
                &pairs,
                &content,
                &ComposeOptions::default(),
                &mut OsRandom,
            )
            .unwrap(),
        );
    };
    let separate = || {
        for u in &users {
            let to = Addressing { recipient: &u.signet, ..world.to() };
            black_box(compose(&world.author.sign, &to, &content, &ComposeOptions::default(), &mut OsRandom).unwrap());
        }
    };
    ratio("100 separate compositions / compose_many to 100 (1 MiB)", if quick { 3 } else { 5 }, separate, many);

    // 4. Hybrid keyslots.
    hybrid(&world, rounds, quick);
    c.final_summary();
}
