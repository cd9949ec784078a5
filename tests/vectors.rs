//! The committed conformance vectors are exactly what the crates produce from the same fixed
//! inputs. After a deliberate format change, regenerate them with `cargo run --example vectors`.

#[path = "../vectors/generator.rs"]
mod generator;

#[test]
fn committed_vectors_are_reproduced_exactly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut checked = 0;
    for (name, value) in generator::all() {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("vectors/{name}: {e}"));
        assert!(
            committed == generator::render(&value),
            "vectors/{name} differs from what the crates produce; run `cargo run --example vectors` if the change is intended"
        );
        checked += 1;
    }
    assert!(checked >= 5);
}

#[test]
fn vectors_say_what_they_promise() {
    // Spot checks that the generated values mean what their names say, independently of the
    // generator: every valid signet case validates to a usable state unless its name says otherwise.
    let signets = generator::all().into_iter().find(|(n, _)| *n == "signets.json").unwrap().1;
    for case in signets["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let state = case["state"].as_str().unwrap();
        let expected = match name {
            "user-rotated-no-previous" => "broken-custody",
            "user-id-wrong-record" | "user-id-tampered" => "invalid",
            "ssr" | "ssr-rotation" => "ssr",
            n if n.ends_with("-crypto") => "crypto",
            n if n.ends_with("-full") => "full",
            _ => "id",
        };
        assert_eq!(state, expected, "{name}");
    }
    for case in signets["malformed"].as_array().unwrap() {
        assert_eq!(case["state"], "malformed");
    }
}
