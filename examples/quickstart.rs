//! The DIME quickstart: what a newcomer runs first.
//!
//! Two organisations, example.org and example.net, publish their keys in DNS and run their
//! servers; their users get signets; alice@example.org sends an encrypted message with an
//! attachment to bob@example.net, and every actor says what it did and what it could see.
//! Everything runs in this process on loopback: a DNS authority, two DX (DMTP) servers and two
//! DMAP servers. The flow itself is in `quickstart/flow.rs`, which `tests/quickstart.rs` runs too.
//!
//! Run with `cargo run --example quickstart`.

#[path = "quickstart/flow.rs"]
mod flow;

use std::sync::Arc;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let report = flow::run(Arc::new(|line: &str| println!("{line}"))).await?;
    println!(
        "done in {:.2} s: {} organisations, {} users, one message of {} bytes; nothing left 127.0.0.1",
        started.elapsed().as_secs_f64(),
        report.organisations.len(),
        [&report.alice, &report.bob].len(),
        report.author.object_len
    );
    Ok(())
}
