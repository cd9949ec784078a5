//! Streaming throughput (criterion): a 64 MiB attachment through the [`MessageWriter`] (content
//! written in 64 KiB pieces, output drained as it comes) and through the recipient's
//! [`StreamOpener`] (the relayed object fed in 64 KiB pieces), against the primitive floor in
//! the same run: one AES-256-GCM pass and one BLAKE3 pass over 64 MiB, one after the other on
//! one thread. With `--features parallel` the writer seals segment n while it hashes segment
//! n − 1, and the opener hashes each chunk while it decrypts it, so both may beat the
//! single-threaded floor.
//!
//! `cargo bench -p dime-message --bench stream [--features parallel]`; `DIME_STREAM_MIB=n` for
//! another size. Prints `THROUGHPUT` lines in MB/s (10^6 bytes) and `RATIO` lines against the
//! floor.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use common::*;
use criterion::Criterion;
use dime_message::*;

const PIECE: usize = 64 * 1024;

fn plan(len: u64) -> Vec<PartPlan> {
    vec![PartPlan {
        kind: PartKind::Attachment,
        info: PartInfo::new("application/octet-stream", Some("big.bin")).unwrap(),
        len,
    }]
}

/// Streams `data` through a writer; returns the bytes it emitted (not kept).
fn write(world: &World, data: &[u8], keep: bool) -> (usize, Vec<u8>) {
    let mut out = Vec::new();
    let mut kept = Vec::new();
    let mut w = MessageWriter::new(
        &world.author.sign,
        &world.to(),
        &headers(),
        b"",
        plan(data.len() as u64),
        &ComposeOptions::default(),
        SeededRandom::new([42; 32]),
        &mut out,
    )
    .unwrap();
    let mut emitted = 0;
    let mut take = |out: &mut Vec<u8>| {
        emitted += out.len();
        if keep {
            kept.extend_from_slice(out);
        }
        out.clear();
    };
    for piece in data.chunks(PIECE) {
        w.write(piece, &mut out).unwrap();
        take(&mut out);
    }
    w.finish(&mut out).unwrap();
    take(&mut out);
    (emitted, kept)
}

fn median_ns(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/criterion")
        .join(group)
        .join(function)
        .join("new/estimates.json");
    if std::fs::metadata(&path).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    let started = SystemTime::now();
    let mib: usize = std::env::var("DIME_STREAM_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let size = mib << 20;
    let world = World::new();
    let data = bytes(size, 3);
    let (_, object) = write(&world, &data, true);
    let relayed = world.relay(&object);
    let section = Message::parse(&relayed, &MessageLimits::default()).unwrap().signature_section().to_vec();

    let mut c = Criterion::default().configure_from_args();
    let group_name = format!("stream_{mib}mib");
    let mut group = c.benchmark_group(&group_name);
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("writer", |b| b.iter(|| black_box(write(&world, &data, false).0)));
    group.bench_function("opener", |b| {
        b.iter(|| {
            let mut reader = world.recipient_opener(&section).unwrap();
            let mut events = Vec::new();
            let mut released = 0;
            for piece in relayed.chunks(PIECE) {
                reader.feed(piece, &mut events).unwrap();
                for e in events.drain(..) {
                    if let Event::PartData(d) = e {
                        released += d.len();
                    }
                }
            }
            reader.finish().unwrap();
            assert_eq!(released, size);
        })
    });
    let key = Aes256Gcm::new(&[7u8; 32].into());
    let mut buf = data.clone();
    group.bench_function("floor_gcm_then_blake3", |b| {
        b.iter(|| {
            for segment in buf.chunks_mut(1 << 20) {
                let tag = key.encrypt_inout_detached(&Default::default(), b"", segment.into()).unwrap();
                black_box(tag);
                black_box(blake3::hash(segment));
            }
        })
    });
    group.finish();
    c.final_summary();

    let mode = if cfg!(feature = "parallel") { "parallel" } else { "sequential" };
    println!();
    for name in ["writer", "opener", "floor_gcm_then_blake3"] {
        if let Some(ns) = median_ns(&group_name, name, started) {
            println!("THROUGHPUT {name} {mib} MiB ({mode}): {:.0} MB/s", size as f64 / ns * 1e3);
        }
    }
    let floor = median_ns(&group_name, "floor_gcm_then_blake3", started);
    for name in ["writer", "opener"] {
        if let (Some(m), Some(f)) = (median_ns(&group_name, name, started), floor) {
            println!("RATIO {name} / floor_gcm_then_blake3 ({mode}) = {:.3}x", m / f);
        }
    }
}
