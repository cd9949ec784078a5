//! Writes the conformance vectors in `vectors/` from fixed seeds.
//!
//! Run with `cargo run --example vectors`; `cargo test --test vectors` checks that the committed
//! files are exactly what the crates produce.

#[path = "../vectors/generator.rs"]
mod generator;

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    for (name, value) in generator::all() {
        let path = dir.join(name);
        std::fs::write(&path, generator::render(&value))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
