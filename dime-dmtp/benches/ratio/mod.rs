//! Reads criterion's estimates back after a run and prints one benchmark's time as a ratio of
//! another's, both measured in the same run. This is the workspace's `benches/ratio.rs` with two
//! changes: it reads the median rather than the mean (the bench machine is shared, and a few
//! iterations slowed by other processes move the mean far more than the median), and it
//! reports nothing measured before this run started.

use std::path::PathBuf;
use std::time::SystemTime;

/// Where criterion writes, found the way criterion finds it: `CRITERION_HOME`, else
/// `CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"))
        .join("criterion")
}

/// The median of `group/function` in nanoseconds, if it was measured after `since`.
pub fn median_ns(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir().join(group).join(function).join("new").join("estimates.json");
    if std::fs::metadata(&path).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// Prints `RATIO name: measured / baseline = ratio (goal)` and gives the ratio; silent when
/// either was not measured in this run (e.g. `cargo bench -- --test`).
pub fn report(group: &str, measured: &str, baseline: &str, goal: &str, since: SystemTime) -> Option<f64> {
    let (m, b) = (median_ns(group, measured, since)?, median_ns(group, baseline, since)?);
    println!(
        "RATIO {group}: {measured} {:.1} µs / {baseline} {:.1} µs = {:.3}x ({goal})",
        m / 1000.0,
        b / 1000.0,
        m / b
    );
    Some(m / b)
}
