//! The committed C header must be exactly what cbindgen generates from the current sources.

use std::path::Path;

#[test]
fn header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    // `with_src` parses the crate's own files (following `mod` declarations) without running
    // `cargo metadata`, so the test needs neither the network nor the cargo lock.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");

    let path = crate_dir.join("include/dime.h");
    if std::env::var_os("DIME_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write include/dime.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "dime-ffi/include/dime.h is out of date with the Rust sources (first difference at line {}).\n\
             Regenerate it with `DIME_BLESS=1 cargo test -p dime-ffi --test header` and commit it.",
            first + 1
        );
    }
}
