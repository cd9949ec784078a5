//! Crash-safety tests by SIGKILL. The test binary re-invokes one of its own tests as a child
//! writer, with the environment telling it where to write; the writer prints `> op` before
//! each write and `< result` once the write returned (the acknowledgement a client would get).
//! [`kill_after`] reads those lines and kills the child at a chosen acknowledgement; the test
//! then reopens the files and checks what survived. [`Rng`] and [`seed`] make every run
//! reproducible from the seed it prints.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The variable that fixes a crash test's seed.
pub const SEED_VAR: &str = "DIME_STORE_CRASH_TEST_SEED";

/// xorshift64*: a reproducible stream from a printed seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A stream from `seed` (any value; zero is made odd).
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The parent's seed: [`SEED_VAR`] when set, else the clock. Prints it, prefixed with `what`,
/// so a failing run can be repeated.
pub fn seed(what: &str) -> u64 {
    let seed = std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64));
    println!("{what} seed {seed} (set {SEED_VAR} to repeat)");
    seed
}

/// The child's side: `Some((path, seed))` when this process is a writer started by
/// [`kill_after`] with `path_var` and `seed_var` set, `None` in a normal test run (the writer
/// test then returns at once). Ends the test harness's own `test … ` line, so every line the
/// writer prints starts clean.
///
/// # Panics
/// When the seed is not a number.
pub fn child(path_var: &str, seed_var: &str) -> Option<(String, u64)> {
    let (Ok(path), Ok(seed)) = (std::env::var(path_var), std::env::var(seed_var)) else { return None };
    println!();
    Some((path, seed.parse().expect("the writer's seed")))
}

/// Runs the test `writer` of this test binary as a child with `env`, hands each whole line it
/// prints, split into words, to `line`, which says whether the line was an acknowledgement;
/// `delay` after the `acks`-th acknowledgement the child is killed with SIGKILL. A last line
/// the kill cut short is not handed on. Gives the number of acknowledgements read.
///
/// # Panics
/// When the child cannot be started or ends by itself before it was killed.
pub fn kill_after(
    writer: &str,
    env: &[(&str, &str)],
    acks: u64,
    delay: Duration,
    mut line: impl FnMut(&[&str]) -> bool,
) -> u64 {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([writer, "--exact", "--nocapture", "--test-threads=1"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the writer process");
    let mut out = BufReader::new(child.stdout.take().expect("the writer's stdout"));
    let (mut seen, mut killed) = (0, false);
    let mut text = String::new();
    loop {
        text.clear();
        if out.read_line(&mut text).unwrap_or(0) == 0 || !text.ends_with('\n') {
            break; // EOF, or the last line the kill cut short: not an acknowledgement.
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        if line(&words) {
            seen += 1;
            if seen == acks && !killed {
                std::thread::sleep(delay);
                child.kill().expect("SIGKILL");
                killed = true;
            }
        }
    }
    let status = child.wait().expect("the writer's status");
    assert!(killed, "{writer} stopped by itself ({status}) after {seen} acknowledgements");
    seen
}
