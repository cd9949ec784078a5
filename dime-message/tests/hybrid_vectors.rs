//! The committed hybrid vectors (`vectors/hybrid.json`, written by the facade's generator with
//! `parallel` on) are composed byte for byte by this crate as built: run once with the default
//! features (agreements and encapsulations one after another) and once with `--features
//! parallel` (spread over rayon), both must reproduce them.

use dime_core::keys::SigningSecretKey;
use dime_message::*;
use dime_signet::Signet;

const HYBRID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/hybrid.json");

/// The generator's content for the hybrid message vectors.
fn content() -> Content {
    Content {
        headers: CommonHeaders {
            date: "Fri, 4 Dec 2026 16:00:00 +0000".into(),
            to: "bob@example.net".into(),
            from: "alice@example.org".into(),
            subject: "Harvest now, decrypt never".into(),
            ..CommonHeaders::default()
        },
        display: vec![Part::new("text/plain; charset=utf-8", None, b"Hello, post-quantum Bob.".to_vec()).unwrap()],
        ..Content::default()
    }
}

#[test]
fn hybrid_message_vectors_are_composed_byte_for_byte() {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(HYBRID).unwrap()).unwrap();
    let messages = json["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    // The author's signing key is seed 0x74 in every vector (`vectors/generator/hybrid.rs`).
    let author_key = SigningSecretKey::from_seed(&[0x74; 32]);
    let mut kinds_seen = Vec::new();
    for message in messages {
        let signet =
            |role: &str| Signet::parse(&hex::decode(message["signets"][role].as_str().unwrap()).unwrap()).unwrap();
        let [author, origin, destination, recipient] =
            ["author_hex", "origin_hex", "destination_hex", "recipient_hex"].map(signet);
        let to = Addressing { author: &author, origin: &origin, destination: &destination, recipient: &recipient };
        let seed: [u8; 32] = hex::decode(message["random_seed_hex"].as_str().unwrap()).unwrap().try_into().unwrap();
        let mut options = ComposeOptions::default();
        options.pq = PqPolicy::Prefer;
        let object = compose(&author_key, &to, &content(), &options, &mut SeededRandom::new(seed)).unwrap();
        let expected = hex::decode(message["object_hex"].as_str().unwrap()).unwrap();
        assert!(object == expected, "{}: the composed object differs from the vector", message["name"]);
        kinds_seen.push(Message::parse(&object, &MessageLimits::default()).unwrap().kinds().unwrap().byte());
    }
    // All slots hybrid, and hybrid objects with classical slots (the classical object's path is
    // pinned by `tests/vectors.rs`).
    assert_eq!(kinds_seen, [0x0F, 0x09, 0x0E]);
}
