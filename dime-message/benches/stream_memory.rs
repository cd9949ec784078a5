//! Streams a 256 MiB attachment through the writer and straight into the reader, and reports
//! the peak heap, counted by a counting global allocator. Goal: under 16 MiB.
//!
//! `cargo bench -p dime-message --bench stream_memory` (`DIME_STREAM_MIB=n` for another size,
//! `DIME_STREAM_HYBRID=1` for an all-hybrid object, D8).

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::System;
use std::time::Instant;

use cap::Cap;
use common::*;
use dime_message::*;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const PIECE: usize = 64 * 1024;

fn writer<'k>(world: &'k World, len: u64, out: &mut Vec<u8>) -> MessageWriter<'k, SeededRandom> {
    let plan = vec![PartPlan {
        kind: PartKind::Attachment,
        info: PartInfo::new("application/octet-stream", Some("big.bin")).unwrap(),
        len,
    }];
    MessageWriter::new(
        &world.author.sign,
        &world.to(),
        &headers(),
        b"",
        plan,
        &ComposeOptions::default(),
        SeededRandom::new([42; 32]),
        out,
    )
    .unwrap()
}

fn main() {
    let mib: u64 = std::env::var("DIME_STREAM_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let len = mib << 20;
    let world = if std::env::var_os("DIME_STREAM_HYBRID").is_some() { World::hybrid() } else { World::new() };
    let piece = bytes(PIECE, 3);
    let baseline = HEAP.allocated();

    // Pass 1: compose, keeping only the signature section (what `finish` emits), as a server
    // would keep it for a later partial fetch.
    let started = Instant::now();
    let mut out = Vec::new();
    let mut w = writer(&world, len, &mut out);
    let mut written = 0u64;
    while written < len {
        let n = PIECE.min((len - written) as usize);
        out.clear();
        w.write(&piece[..n], &mut out).unwrap();
        written += n as u64;
    }
    out.clear();
    w.finish(&mut out).unwrap();
    let section = out;
    let compose_time = started.elapsed();

    // Pass 2: the same object again (same seed), fed piece by piece into the author's reader.
    let started = Instant::now();
    let reader = StreamOpener::new(
        Actor::Author,
        world.author.enc.clone(),
        &world.author.signet,
        &world.author.signet,
        &world.origin.signet,
        &section,
        &MessageLimits::default(),
    )
    .unwrap();
    let mut reader = match &world.author.kem {
        Some(kem) => reader.with_hybrid(kem.clone(), Some(&world.author.signet)).unwrap(),
        None => reader,
    };
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut released = 0u64;
    let mut w = writer(&world, len, &mut out);
    let mut feed = |out: &mut Vec<u8>, events: &mut Vec<Event>, reader: &mut StreamOpener| {
        reader.feed(out, events).unwrap();
        out.clear();
        for e in events.drain(..) {
            if let Event::PartData(d) = e {
                released += d.len() as u64;
            }
        }
    };
    feed(&mut out, &mut events, &mut reader);
    let mut written = 0u64;
    while written < len {
        let n = PIECE.min((len - written) as usize);
        w.write(&piece[..n], &mut out).unwrap();
        feed(&mut out, &mut events, &mut reader);
        written += n as u64;
    }
    w.finish(&mut out).unwrap();
    feed(&mut out, &mut events, &mut reader);
    let reader_protection = reader.protection();
    reader.finish().unwrap();
    let both_time = started.elapsed();
    assert_eq!(released, len);

    let peak = HEAP.max_allocated() - baseline;
    assert_eq!(reader_protection, if world.is_hybrid() { Some(Protection::Full) } else { Some(Protection::None) });
    println!("streamed {mib} MiB ({}): compose {compose_time:.2?}, compose+open {both_time:.2?}", world.name());
    println!(
        "PEAK HEAP {:.2} MiB (goal < 16 MiB): {}",
        peak as f64 / (1 << 20) as f64,
        if peak < 16 << 20 { "ok" } else { "OVER" }
    );
}
