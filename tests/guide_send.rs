//! The guide's "Send a message" program is `examples/send.rs` word for word, compiled here with
//! the test build (the example itself needs `--features dns`), and at most 25 lines.

#[allow(dead_code)]
#[path = "../examples/send.rs"]
mod send;

#[test]
fn the_guide_sends_from_key_files_to_250_ok_in_at_most_25_lines() {
    let guide = include_str!("../docs/guide.md");
    let program = include_str!("../examples/send.rs");
    assert!(
        guide.contains(&format!("```rust,no_run\n{program}```")),
        "docs/guide.md does not show examples/send.rs as it is"
    );
    let lines = program.lines().count();
    assert!(lines <= 25, "the send program has {lines} lines");
    assert!(program.contains("KeyFile::read") && program.contains("250 OK"));
}
