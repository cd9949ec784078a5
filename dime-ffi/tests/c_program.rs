//! Builds `tests/c/full_flow.c` with the system C compiler against the library cargo built for
//! this test run, runs it, and checks what it printed.
//!
//! Where the library comes from: cargo compiles `dime-ffi`'s library target once with every
//! crate type of its manifest (rlib, cdylib, staticlib) before it builds any integration test,
//! and leaves `libdime_ffi.so`/`.a` next to the test executables in `target/<profile>/deps/`
//! (a plain `cargo build` also copies them up to `target/<profile>/`). So the test looks beside
//! its own executable: the library is always the one built from the same sources, profile and
//! flags as the test, and no second cargo runs inside the test (which would contend for the
//! build lock and could rebuild with other flags).
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::library;

const EXPECTED: &[&str] = &[
    "dime 0.1.0",
    "error message: unknown key owner 7",
    "keys: generated 2 organizations and 2 users",
    "compose many: ",
    "origin: alice@example.org -> example.net, countersigned",
    "destination: for bob@example.net from example.org",
    "recipient: subject \"Greetings\"",
    "plaintext: Hello Bob, this is Alice.",
    "attachment: data.bin, 5 bytes",
    "error message: part index 1 is past the last of 1 parts",
    "full flow: OK",
];

/// A directory for the compiled programs.
fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dime-ffi");
    std::fs::create_dir_all(&dir).expect("create the test output directory");
    dir
}

fn compiler() -> String {
    std::env::var("CC").ok().filter(|cc| !cc.is_empty()).unwrap_or_else(|| "cc".to_owned())
}

/// Compiles the program with `extra` arguments (the library and linker flags); `Err` carries
/// the compiler's complaint.
fn compile(output: &Path, extra: &[&str]) -> Result<(), String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let result = Command::new(compiler())
        .args(["-std=c11", "-g", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(manifest.join("include"))
        .arg(manifest.join("tests/c/full_flow.c"))
        .args(extra)
        .arg("-o")
        .arg(output)
        .output()
        .map_err(|e| format!("cannot run the C compiler `{}`: {e}", compiler()))?;
    if result.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&result.stderr).into_owned()) }
}

/// Runs a built program and checks its output line by line.
fn run_and_check(program: &Path) {
    let result = Command::new(program).output().expect("run the C program");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{} failed ({}):\n{stdout}\n{stderr}", program.display(), result.status);
    let lines: Vec<&str> = stdout.lines().collect();
    let mut at = 0;
    for expected in EXPECTED {
        let found = lines[at..].iter().position(|line| line.starts_with(expected));
        let Some(offset) = found else {
            panic!("{}: no line starting {expected:?} after line {at}:\n{stdout}", program.display());
        };
        at += offset + 1;
    }
    assert_eq!(lines.last(), Some(&"full flow: OK"));
}

#[test]
fn c_program_links_the_cdylib() {
    let lib = library(std::env::consts::DLL_SUFFIX);
    let dir = lib.parent().expect("library directory").to_str().expect("UTF-8 path").to_owned();
    let rpath = format!("-Wl,-rpath,{dir}");
    let program = out_dir().join("full_flow_dynamic");
    // With AddressSanitizer and UBSan when the compiler has them: use-after-free, overflows
    // and leaks in the C program's handling of handles and buffers then fail the test.
    let sanitized = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"];
    let plain: [&str; 0] = [];
    let built = [&sanitized[..], &plain[..]].into_iter().find_map(|flags| {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend([lib.to_str().expect("UTF-8 path"), rpath.as_str()]);
        match compile(&program, &args) {
            Ok(()) => Some(flags.is_empty()),
            Err(why) if flags.is_empty() => panic!("the C program does not build:\n{why}"),
            Err(_) => None,
        }
    });
    if built == Some(true) {
        eprintln!("note: the C compiler has no AddressSanitizer; the program runs without it");
    }
    run_and_check(&program);
}

#[test]
fn c_program_links_the_staticlib() {
    let lib: PathBuf = library(".a");
    let program = out_dir().join("full_flow_static");
    // The system libraries Rust's standard library needs on Linux and the BSDs (what
    // `rustc --print native-static-libs` lists there); macOS needs none beyond the defaults.
    let system: &[&str] = if cfg!(target_os = "macos") { &[] } else { &["-lpthread", "-ldl", "-lm"] };
    let mut args = vec![lib.to_str().expect("UTF-8 path")];
    args.extend(system);
    if let Err(why) = compile(&program, &args) {
        panic!("the C program does not link against the static library:\n{why}");
    }
    run_and_check(&program);
}
