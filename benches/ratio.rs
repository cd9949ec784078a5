//! Reads criterion's estimates back after a run and prints one benchmark's mean time as a
//! ratio of another's, both measured in the same run.

use std::path::PathBuf;

/// The mean of `group/function` from this run, in nanoseconds.
fn mean_ns(group: &str, function: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = dir.join("criterion").join(group).join(function).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// Prints `name: measured / baseline = ratio (goal)`; silent when either was not measured
/// (e.g. `cargo bench -- --test`).
pub fn report(group: &str, measured: &str, baseline: &str, goal: &str) {
    if let (Some(m), Some(b)) = (mean_ns(group, measured), mean_ns(group, baseline)) {
        println!(
            "RATIO {group}: {measured} {:.1} µs / {baseline} {:.1} µs = {:.3}x (goal {goal})",
            m / 1000.0,
            b / 1000.0,
            m / b
        );
    }
}
