//! Builds `tests/c/full_flow.c`, and the C program of `docs/guide.md` ("Use the C interface"),
//! with the system C compiler against the library cargo built for this test run, runs them, and
//! checks what they printed.
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

/// `tests/c/full_flow.c`.
fn full_flow() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/full_flow.c")
}

/// Compiles the program `source` with `extra` arguments (the library and linker flags); `Err`
/// carries the compiler's complaint.
fn compile(source: &Path, output: &Path, extra: &[&str]) -> Result<(), String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let result = Command::new(compiler())
        .args(["-std=c11", "-g", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(manifest.join("include"))
        .arg(source)
        .args(extra)
        .arg("-o")
        .arg(output)
        .output()
        .map_err(|e| format!("cannot run the C compiler `{}`: {e}", compiler()))?;
    if result.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&result.stderr).into_owned()) }
}

/// Runs a built program and checks that its output has a line starting with each of
/// `expected`, in order, and ends with the last.
fn run_and_check(program: &Path, expected: &[&str]) {
    let result = Command::new(program).output().expect("run the C program");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{} failed ({}):\n{stdout}\n{stderr}", program.display(), result.status);
    let lines: Vec<&str> = stdout.lines().collect();
    let mut at = 0;
    for expected in expected {
        let found = lines[at..].iter().position(|line| line.starts_with(expected));
        let Some(offset) = found else {
            panic!("{}: no line starting {expected:?} after line {at}:\n{stdout}", program.display());
        };
        at += offset + 1;
    }
    let last = expected.last().expect("expected lines");
    assert!(lines.last().is_some_and(|line| line.starts_with(last)), "{} did not end with {last:?}", program.display());
}

#[test]
fn c_program_links_the_cdylib() {
    build_dynamic(&full_flow(), &out_dir().join("full_flow_dynamic"));
    run_and_check(&out_dir().join("full_flow_dynamic"), EXPECTED);
}

/// Builds `source` into `program` against the cdylib, under AddressSanitizer and UBSan when the
/// compiler has them.
fn build_dynamic(source: &Path, program: &Path) {
    let lib = library(std::env::consts::DLL_SUFFIX);
    let dir = lib.parent().expect("library directory").to_str().expect("UTF-8 path").to_owned();
    let rpath = format!("-Wl,-rpath,{dir}");
    // With AddressSanitizer and UBSan when the compiler has them: use-after-free, overflows
    // and leaks in the C program's handling of handles and buffers then fail the test.
    let sanitized = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"];
    let plain: [&str; 0] = [];
    let built = [&sanitized[..], &plain[..]].into_iter().find_map(|flags| {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend([lib.to_str().expect("UTF-8 path"), rpath.as_str()]);
        match compile(source, program, &args) {
            Ok(()) => Some(flags.is_empty()),
            Err(why) if flags.is_empty() => panic!("the C program does not build:\n{why}"),
            Err(_) => None,
        }
    });
    if built == Some(true) {
        eprintln!("note: the C compiler has no AddressSanitizer; the program runs without it");
    }
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
    if let Err(why) = compile(&full_flow(), &program, &args) {
        panic!("the C program does not link against the static library:\n{why}");
    }
    run_and_check(&program, EXPECTED);
}

/// The marker in `docs/guide.md` before the C program's code block.
const GUIDE_MARKER: &str = "<!-- guide-c:";

/// The C program of `docs/guide.md`: the ```` ```c ```` block after [`GUIDE_MARKER`].
fn guide_program(guide: &str) -> Result<&str, &'static str> {
    let after = guide.split_once(GUIDE_MARKER).ok_or("no guide-c marker")?.1;
    let block = after.split_once("\n```c\n").ok_or("no ```c block after the marker")?.1;
    Ok(block.split_once("\n```\n").ok_or("the ```c block does not end")?.0)
}

/// The guide's C program (generate keys, compose, countersign, open as the recipient, report a
/// failure) compiles warning-free against `dime.h`, runs clean under the sanitizers and prints
/// what the guide says it prints.
#[test]
fn the_guides_c_program_builds_and_runs() {
    if Command::new(compiler()).arg("--version").output().is_err() {
        eprintln!("skipped: no C compiler `{}` (set CC) to build the guide's C program", compiler());
        return;
    }
    let guide = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/guide.md"))
        .expect("read docs/guide.md");
    let program = guide_program(&guide).unwrap_or_else(|why| panic!("docs/guide.md: {why}"));
    let source = out_dir().join("guide.c");
    std::fs::write(&source, format!("{program}\n")).expect("write guide.c");
    let binary = out_dir().join("guide");
    build_dynamic(&source, &binary);
    run_and_check(&binary, &["Hello: Hi Bob, this is Alice.", "as alice: DIME_ERR_DECRYPT ("]);
}

#[test]
fn the_guide_program_is_found_between_its_marker_and_the_end_of_its_block() {
    let guide = "text\n<!-- guide-c: x -->\n```c\nint main(void) { return 0; }\n```\nmore\n```c\nnot this\n```\n";
    assert_eq!(guide_program(guide), Ok("int main(void) { return 0; }"));
    assert_eq!(guide_program("```c\nx\n```\n"), Err("no guide-c marker"));
    assert_eq!(guide_program("<!-- guide-c: -->\n```c\nx"), Err("the ```c block does not end"));
}
