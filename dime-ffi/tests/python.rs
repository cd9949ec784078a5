//! Runs `tests/python/smoke.py` (ctypes only) against the shared library cargo built for this
//! test run (see `c_program.rs` for where it comes from). Skipped, with a note, only when no
//! `python3` is installed.
#![cfg(unix)]

mod common;

use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;

#[test]
fn python_ctypes_smoke() {
    let lib = common::library(std::env::consts::DLL_SUFFIX);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/smoke.py");
    let result = match Command::new("python3").arg(&script).arg(&lib).output() {
        Ok(result) => result,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!("SKIPPED python_ctypes_smoke: python3 is not installed");
            return;
        }
        Err(e) => panic!("cannot run python3: {e}"),
    };
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "smoke.py failed ({}):\n{stdout}\n{stderr}", result.status);
    assert!(stdout.contains("plaintext: Hello Bob, from Python 🐍\n"), "{stdout}");
    assert!(stdout.ends_with("python smoke: OK\n"), "{stdout}");
}
