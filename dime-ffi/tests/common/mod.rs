//! Shared by the integration tests that load the built library from outside Rust.

use std::path::PathBuf;

/// The library cargo built for this test run with the file name ending `suffix` (`.so`,
/// `.dylib`, `.a`): beside the test executable in `target/<profile>/deps/`, or one level up
/// where `cargo build` copies it.
pub fn library(suffix: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable's directory");
    let name = format!("{}dime_ffi{suffix}", if suffix == ".a" { "lib" } else { std::env::consts::DLL_PREFIX });
    let candidates = [deps.join(&name), deps.parent().map(|p| p.join(&name)).unwrap_or_default()];
    candidates.iter().find(|p| p.is_file()).cloned().unwrap_or_else(|| {
        panic!(
            "{name} not found beside the test executable ({}); cargo builds it with the library \
             target, so check the crate-type list in dime-ffi/Cargo.toml",
            deps.display()
        )
    })
}
