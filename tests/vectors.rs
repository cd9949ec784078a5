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
    assert!(checked >= 8);
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

fn vector_set<'a>(all: &'a [(&'static str, serde_json::Value)], name: &str) -> &'a serde_json::Value {
    &all.iter().find(|(n, _)| *n == name).unwrap().1
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn lines<'a>(set: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    let transcript = set["transcripts"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap();
    transcript["lines"].as_array().unwrap()
}

fn texts<'a>(lines: &'a [serde_json::Value], from: &str) -> Vec<&'a str> {
    lines.iter().filter(|l| l["from"] == from).filter_map(|l| l["text"].as_str()).collect()
}

#[test]
fn message_views_show_each_actor_what_it_may_see() {
    let all = generator::all();
    let messages = vector_set(&all, "messages.json");
    let content_types = [33, 34, 67, 131];
    let mut cases = 0;
    for case in messages["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let views = &case["views"];
        for actor in ["author", "recipient"] {
            let view = &views[actor];
            for field in ["headers", "other_headers_hex", "display", "attachments"] {
                assert_eq!(view[field], case["content"][field], "{name}: {actor} {field}");
            }
            assert_eq!(view["cannot_open"], serde_json::json!([]), "{name}: {actor}");
            assert_eq!(view["countersigned"], true);
        }
        // Neither organization holds a key to any content chunk.
        for actor in ["origin", "destination"] {
            let hidden: Vec<&serde_json::Value> =
                views[actor]["cannot_open"].as_array().unwrap().iter().map(|c| &c["index"]).collect();
            for chunk in case["object_chunks"].as_array().unwrap() {
                if content_types.contains(&chunk["type"].as_u64().unwrap()) {
                    assert!(hidden.contains(&&chunk["index"]), "{name}: {actor} reads chunk {}", chunk["index"]);
                }
            }
        }
        assert!(views["origin"].get("headers").is_none() && views["destination"].get("headers").is_none());
        // The origin's signatures are empty as sent and sealed (112 bytes) once countersigned.
        for (chunks, body_len) in [("object_chunks", 0), ("countersigned_chunks", 112)] {
            let sealed: Vec<u64> = case[chunks]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| [248, 249, 255].contains(&c["type"].as_u64().unwrap()))
                .map(|c| c["body_len"].as_u64().unwrap())
                .collect();
            assert_eq!(sealed, [body_len; 3], "{name}: {chunks}");
        }
        // Tracing prefix (magic 1837) or message header (magic 1847) first; every actor sees the prefix.
        let magic = if case["tracing_hex"].is_null() { "0737" } else { "072d" };
        assert!(case["object_hex"].as_str().unwrap().starts_with(magic), "{name}");
        for actor in ["author", "origin", "destination", "recipient"] {
            assert_eq!(views[actor]["tracing_hex"], case["tracing_hex"], "{name}: {actor}");
        }
        cases += 1;
    }
    assert_eq!(cases, 5);
}

#[test]
fn transcripts_carry_the_message_objects_and_the_injected_randomness() {
    use dime::core::Fingerprint;
    use dime::message::{RandomSource, SeededRandom};
    let all = generator::all();
    let messages = vector_set(&all, "messages.json");
    let one_part = messages["cases"].as_array().unwrap().iter().find(|c| c["name"] == "one-part").unwrap();
    let stored = one_part["countersigned_hex"].as_str().unwrap();
    let seeded = |seed: &serde_json::Value, len: usize| {
        let mut bytes = vec![0u8; len];
        SeededRandom::new(unhex(seed.as_str().unwrap()).try_into().unwrap()).fill(&mut bytes).unwrap();
        bytes
    };

    // DMTP: the delivered object is the countersigned one-part object, DATA announces its
    // BLAKE3 hash (D7), and the txid and the STATS nonce are the first bytes of the seeded source.
    let dmtp = vector_set(&all, "dmtp-transcripts.json");
    let transcripts = dmtp["transcripts"].as_array().unwrap();
    let delivery = lines(dmtp, "delivery");
    let object: Vec<&str> = delivery.iter().filter_map(|l| l["hex"].as_str()).collect();
    assert_eq!(object, [stored]);
    let hash = dime::dmtp::object::ObjectHasher::hash(&unhex(stored));
    assert!(texts(delivery, "client").contains(&format!("DATA [{hash}]").as_str()));
    // The README's description of the stream: block 0 is SHA-512(seed || u64_be(0)).
    let seed = unhex(transcripts[0]["server_random_seed_hex"].as_str().unwrap());
    let block0 = Fingerprint::of(&[&seed[..], &0u64.to_be_bytes()].concat());
    assert_eq!(seeded(&transcripts[0]["server_random_seed_hex"], 16), block0.0[..16]);
    let txid = dime::dmtp::wire::TxId(block0.0[..16].try_into().unwrap());
    assert!(texts(delivery, "server").contains(&format!("250 OK [{txid}]").as_str()));
    let nonce = dime::dmtp::wire::Nonce(seeded(&transcripts[1]["server_random_seed_hex"], 32).try_into().unwrap());
    assert!(texts(lines(dmtp, "lookups"), "server").contains(&format!("200 ONCE [{nonce}]").as_str()));
    assert!(texts(lines(dmtp, "lookups"), "client").contains(&format!("STATS [{nonce}]").as_str()));

    // DMAP: FETCH BINARY[] returns the same object; the challenge is salt || bonus || the
    // configured nonce, and the client answers with the STACIE token for that nonce.
    let dmap = vector_set(&all, "dmap-transcripts.json");
    let mailbox = lines(dmap, "mailbox");
    let literals: Vec<&str> =
        mailbox.iter().filter(|l| l["from"] == "server").filter_map(|l| l["hex"].as_str()).collect();
    assert_eq!(literals, [stored]);
    let server = texts(mailbox, "server");
    let challenge = server.iter().find_map(|l| l.strip_prefix("+ ")).unwrap();
    let challenge = dime::core::base64::decode_padded(challenge, "challenge").unwrap();
    let account = &dmap["account"];
    let salt = unhex(account["salt_hex"].as_str().unwrap());
    let nonce: Vec<u8> = (0..128).map(|i| 255 - i as u8).collect();
    assert_eq!(challenge, [&salt[..], &[0, 0, 0, 0], &nonce].concat());
    assert_eq!(unhex(dmap["server"]["challenge_nonce_hex"].as_str().unwrap()), nonce);
    use dime::core::stacie::{ClientKeys, Nonce, Password, Salt, Username};
    let keys = ClientKeys::derive(
        &Username::new(account["username"].as_str().unwrap().as_bytes()).unwrap(),
        &Password::new(account["password"].as_str().unwrap().as_bytes()).unwrap(),
        &Salt::from_slice(&salt).unwrap(),
        0,
    );
    assert_eq!(keys.rounds().get(), 8);
    let token = keys.ephemeral_token(&Nonce::from_slice(&nonce).unwrap());
    let client = texts(mailbox, "client");
    assert_eq!(client[1], dime::core::base64::encode_padded(token.as_bytes()));
    assert!(server.contains(
        &"A1 OK [CAPABILITY IMAP4rev1 DMAPv1 LITERAL- BINARY IDLE UIDPLUS MOVE ID ENABLE] AUTHENTICATE completed"
    ));
    assert!(texts(lines(dmap, "refusals"), "server").contains(&"A4 NO [AUTHENTICATIONFAILED] Authentication failed"));

    // The DIME extensions return the signet the DMTP server serves as bob's second, alice's
    // signet of messages.json, and the key file envelope stored just before.
    let extensions = lines(dmap, "dime-extensions");
    let returned: Vec<&str> =
        extensions.iter().filter(|l| l["from"] == "server").filter_map(|l| l["hex"].as_str()).collect();
    let expected = [
        &dmtp["signets"]["bob@example.net"][1],
        &messages["parties"]["author"]["signet_hex"],
        &dmap["keyfile"]["envelope_hex"],
    ];
    assert_eq!(returned, expected.map(|v| v.as_str().unwrap()));
    let sent: Vec<&str> =
        extensions.iter().filter(|l| l["from"] == "client").filter_map(|l| l["hex"].as_str()).collect();
    let expected =
        [&dmap["submitted_object"]["object_hex"], &dmap["rotation_request_hex"], &dmap["keyfile"]["envelope_hex"]];
    assert_eq!(sent, expected.map(|v| v.as_str().unwrap()));
}

#[test]
fn hybrid_vectors_open_and_refuse_as_they_say() {
    use dime::core::kem::{KemPublicKey, KemSecretKey};
    let hybrid = generator::all().into_iter().find(|(n, _)| *n == "hybrid.json").unwrap().1;
    let bytes = |v: &serde_json::Value| -> Vec<u8> {
        let text = v.as_str().unwrap();
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    };
    for sample in hybrid["ml_kem_768"]["keygen_encaps_decaps"].as_array().unwrap() {
        let seed: [u8; 64] = bytes(&sample["seed_hex"]).try_into().unwrap();
        let secret = KemSecretKey::from_seed(&seed);
        assert_eq!(secret.public().as_bytes().to_vec(), bytes(&sample["ek_hex"]));
        let c = bytes(&sample["encapsulation"]["ciphertext_hex"]);
        let k = bytes(&sample["encapsulation"]["shared_secret_hex"]);
        assert_eq!(secret.decapsulate(&c).unwrap().to_vec(), k);
        let forged = bytes(&sample["implicit_rejection"]["ciphertext_hex"]);
        assert_ne!(secret.decapsulate(&forged).unwrap().to_vec(), k);
    }
    for invalid in hybrid["ml_kem_768"]["invalid_encapsulation_keys"].as_array().unwrap() {
        assert!(KemPublicKey::decode(&bytes(&invalid["ek_hex"])).is_err());
    }
    let expected = [(0x0F, "fully post-quantum protected"), (0x09, "content"), (0x0E, "none")];
    for (message, (kinds, protection)) in hybrid["messages"].as_array().unwrap().iter().zip(expected) {
        assert_eq!(message["kinds"], kinds);
        assert_eq!(message["protection"], protection);
    }
}
