//! `hybrid.json`: ML-KEM-768 samples, the hybrid KEK table, hybrid signets and key files, and
//! all-hybrid, mixed and countersigned message objects (decision D8).

use dime::core::kem::{KemPublicKey, KemSecretKey};
use dime::core::keys::{EncryptionPublicKey, EncryptionSecretKey, SigningSecretKey};
use dime::message::hybrid::{Kinds, kek_bytes};
use dime::message::{
    Actor, ActorKeys, Addressing, CommonHeaders, ComposeOptions, Content, Envelope, Message, MessageLimits, Part,
    PqPolicy, SeededRandom, compose,
};
use dime::signet::{Context, FingerprintKind, KeyFile, KeyOwner, Signet, SignetBuilder, SignetKind, issue};
use serde_json::{Value, json};

use super::{encryption, hex, signing};

/// A 64-byte ML-KEM seed `d ‖ z`: byte `i` is `n + i`.
fn kem_seed(n: u8) -> [u8; 64] {
    core::array::from_fn(|i| n.wrapping_add(i as u8))
}

fn kem(n: u8) -> KemSecretKey {
    KemSecretKey::from_seed(&kem_seed(n))
}

fn x25519(key: &EncryptionSecretKey) -> [u8; 32] {
    match key.public().expect("X25519 public key") {
        EncryptionPublicKey::X25519(raw) => raw,
        EncryptionPublicKey::Secp256k1(_) => unreachable!("the vectors use X25519 keys"),
    }
}

/// Every vector of this file.
pub fn vectors() -> Value {
    json!({
        "description": "Hybrid keyslots, ML-KEM-768 + X25519 (decision D8): docs/message-format.md §4.1, docs/signet.md §3.1 and §7. ML-KEM seeds are 64 bytes, byte i = n + i, written kem_seed(n); X25519 and Ed25519 keys use the NN*32 seeds of the other files",
        "ml_kem_768": kem_samples(),
        "kek_table": [kek_table(0x0F), kek_table(0x09)],
        "signets": signet_vectors(),
        "keyfile": keyfile_vector(),
        "messages": message_vectors(),
    })
}

fn kem_samples() -> Value {
    let samples: Vec<Value> = [(0x00u8, 0x40u8), (0x80, 0xC0)]
        .iter()
        .map(|(seed, m)| {
            let secret = kem(*seed);
            let message: [u8; 32] = [*m; 32];
            let (c, k) = secret.public().encapsulate_deterministic(&message);
            let mut forged = *c;
            forged[0] ^= 0x01;
            let rejected = secret.decapsulate(&forged).expect("decapsulate");
            json!({
                "seed_hex": hex(&kem_seed(*seed)),
                "ek_hex": hex(secret.public().as_bytes()),
                "encapsulation": {
                    "m_hex": hex(&message),
                    "ciphertext_hex": hex(c.as_ref()),
                    "shared_secret_hex": hex(k.as_ref()),
                    "decapsulated_hex": hex(secret.decapsulate(c.as_ref()).expect("decapsulate").as_ref()),
                },
                "implicit_rejection": {
                    "note": "the ciphertext above with bit 0 of byte 0 flipped: decapsulation yields J(z ‖ c), not an error",
                    "ciphertext_hex": hex(&forged),
                    "shared_secret_hex": hex(rejected.as_ref()),
                },
            })
        })
        .collect();
    let ek = *kem(0x00).public().as_bytes();
    let mut at_q = ek;
    // The first coefficient is b0 + 256 (b1 mod 16): 0xD01 = 3329 = q.
    at_q[0] = 0x01;
    at_q[1] = (at_q[1] & 0xF0) | 0x0D;
    let mut last = ek;
    // The last coefficient (bytes 1149-1151) is ⌊b1 / 16⌋ + 16 b2: 0xFFF.
    last[1150] |= 0xF0;
    last[1151] = 0xFF;
    let invalid: Vec<Value> = [
        ("first coefficient equal to q (3329)", at_q.to_vec()),
        ("last coefficient 4095", last.to_vec()),
        ("1183 bytes", ek[..1183].to_vec()),
    ]
    .into_iter()
    .map(|(what, bytes)| {
        let error = KemPublicKey::decode(&bytes).err().map(|e| e.to_string()).unwrap_or_default();
        json!({ "what": what, "ek_hex": hex(&bytes), "error": error })
    })
    .collect();
    json!({ "keygen_encaps_decaps": samples, "invalid_encapsulation_keys": invalid })
}

/// One KEK per actor for `kinds`: X25519 secrets 0x31..0x34 (A, O, D, R), ephemeral secret
/// 0x30*32, ML-KEM keys kem_seed(0x41..0x44) and encapsulation randomness 0x51..0x54 (*32).
fn kek_table(kinds: u8) -> Value {
    let kinds = Kinds::from_byte(kinds).expect("kinds");
    let ephemeral = encryption(0x30);
    let e = x25519(&ephemeral);
    let rows: Vec<Value> = Actor::ALL
        .into_iter()
        .zip(0u8..)
        .map(|(actor, i)| {
            let secret = encryption(0x31 + i);
            let public = x25519(&secret);
            let shared = ephemeral.agree(&EncryptionPublicKey::X25519(public)).expect("agreement");
            let mut row = json!({
                "actor": actor.name(),
                "x25519_secret_seed": format!("{:02x}*32", 0x31 + i),
                "public_hex": hex(&public),
                "x25519_shared_hex": hex(shared.as_ref()),
            });
            let kek = if kinds.has(actor) {
                let kem_key = kem(0x41 + i);
                let m = [0x51 + i; 32];
                let (c, k) = kem_key.public().encapsulate_deterministic(&m);
                row["kem_seed"] = json!(format!("kem_seed({:02x})", 0x41 + i));
                row["m_hex"] = json!(hex(&m));
                row["ciphertext_hex"] = json!(hex(c.as_ref()));
                row["kem_shared_hex"] = json!(hex(k.as_ref()));
                kek_bytes(&shared, Some((&k, c.as_ref(), kem_key.public())), actor, kinds, &e, &public)
            } else {
                kek_bytes(&shared, None, actor, kinds, &e, &public)
            };
            row["kek_hex"] = json!(hex(kek.as_ref()));
            row
        })
        .collect();
    json!({
        "kinds": kinds.byte(),
        "ephemeral_secret_seed": "30*32",
        "ephemeral_public_hex": hex(&e),
        "actors": rows,
    })
}

fn fingerprints(signet: &Signet) -> Value {
    let mut out = serde_json::Map::new();
    for kind in FingerprintKind::ALL {
        if let Some(fp) = signet.fingerprint(kind) {
            out.insert(kind.name().into(), json!(fp.to_string()));
        }
    }
    Value::Object(out)
}

fn signet_case(name: &str, signet: &Signet, state: &str) -> Value {
    json!({
        "name": name,
        "state": state,
        "binary_hex": hex(signet.as_bytes()),
        "hybrid_ek_hex": signet.hybrid_encryption_key().map(|k| hex(k.as_bytes())),
        "fingerprints": fingerprints(signet),
    })
}

/// Org POK 0x61, X25519 0x62, ML-KEM kem_seed(0x63); user signing 0x64, X25519 0x65, ML-KEM
/// kem_seed(0x66).
fn signet_vectors() -> Value {
    let pok = signing(0x61);
    let org_kem = kem(0x63);
    let org_enc = encryption(0x62).public().expect("X25519");
    let org = issue::new_org_signet_with(&pok, &org_enc, Some(org_kem.public()), "example.org").expect("org");
    let user_sign = signing(0x64);
    let user_kem = kem(0x66);
    let request =
        issue::new_request_with(&user_sign, &encryption(0x65).public().expect("X25519"), Some(user_kem.public()), None)
            .expect("request");
    let builder = SignetBuilder::from_request(&request).expect("from request").sign_crypto(&pok).expect("crypto");
    let crypto = builder.clone().build().expect("crypto signet");
    let builder = builder.sign_full(&pok).expect("full");
    let full = builder.clone().build().expect("full signet");
    let id =
        builder.identifier("alice@example.org").expect("identifier").sign_id(&pok).expect("id").build().expect("id");
    let poks = [pok.public()];
    let context = Context { poks: Some(&poks), org: Some(&org), previous: None };
    let state = |s: &Signet| s.validate(&context).state.name();
    json!({
        "org": signet_case("org-hybrid-id (field 251 Hybrid-Encryption-Key)", &org, state(&org)),
        "user": [
            signet_case("ssr-hybrid (field-3 fragments)", &request, request.validate(&Context::default()).state.name()),
            signet_case("user-hybrid-crypto", &crypto, state(&crypto)),
            signet_case("user-hybrid-full", &full, state(&full)),
            signet_case("user-hybrid-id", &id, state(&id)),
        ],
        "org_crypto_only": {
            "note": "an org signet cut after its crypto signature keeps no 251 field, so it has no hybrid key",
            "binary_hex": hex(org.split(dime::signet::Split::Crypto).expect("split").as_bytes()),
        },
        "kind": SignetKind::User.name(),
    })
}

fn keyfile_vector() -> Value {
    let keys =
        KeyFile { owner: KeyOwner::User, signing: signing(0x64), encryption: encryption(0x65), kem: Some(kem(0x66)) };
    json!({
        "note": "user key file: Ed25519 seed 64*32, X25519 secret 65*32, field 16 = kem_seed(66)",
        "binary_hex": hex(&keys.to_bytes().expect("key file")),
        "armored": keys.to_armor().expect("armor").as_str(),
        "ek_hex": hex(kem(0x66).public().as_bytes()),
    })
}

fn keys(p: &Party) -> ActorKeys<'_> {
    ActorKeys { encryption: &p.enc, kem: p.kem.as_ref(), signet: None }
}

struct Party {
    sign: SigningSecretKey,
    enc: EncryptionSecretKey,
    kem: Option<KemSecretKey>,
    signet: Signet,
}

/// Origin example.org (POK 0x71, X25519 0x72, ML-KEM kem_seed(0x73) when hybrid), author
/// alice@example.org (0x74, 0x75, kem_seed(0x76)), destination example.net (0x81, 0x82,
/// kem_seed(0x83)), recipient bob@example.net (0x84, 0x85, kem_seed(0x86)).
fn parties(mask: u8) -> [Party; 4] {
    let org = |seed: u8, domain: &str, hybrid: bool| {
        let kem = hybrid.then(|| kem(seed + 2));
        let enc = encryption(seed + 1);
        let sign = signing(seed);
        let signet =
            issue::new_org_signet_with(&sign, &enc.public().expect("X25519"), kem.as_ref().map(|k| k.public()), domain)
                .expect("org");
        Party { sign, enc, kem, signet }
    };
    let user = |seed: u8, org: &Party, address: &str, hybrid: bool| {
        let kem = hybrid.then(|| kem(seed + 2));
        let enc = encryption(seed + 1);
        let sign = signing(seed);
        let request =
            issue::new_request_with(&sign, &enc.public().expect("X25519"), kem.as_ref().map(|k| k.public()), None)
                .expect("request");
        let signet = issue::issue_user_signet(&request, None, &org.signet, &org.sign, address, &[]).expect("user");
        Party { sign, enc, kem, signet }
    };
    let origin = org(0x71, "example.org", mask & 0x02 != 0);
    let destination = org(0x81, "example.net", mask & 0x04 != 0);
    let author = user(0x74, &origin, "alice@example.org", mask & 0x01 != 0);
    let recipient = user(0x84, &destination, "bob@example.net", mask & 0x08 != 0);
    [author, origin, destination, recipient]
}

fn message_vectors() -> Value {
    let content = Content {
        headers: CommonHeaders {
            date: "Fri, 4 Dec 2026 16:00:00 +0000".into(),
            to: "bob@example.net".into(),
            from: "alice@example.org".into(),
            subject: "Harvest now, decrypt never".into(),
            ..CommonHeaders::default()
        },
        display: vec![
            Part::new("text/plain; charset=utf-8", None, b"Hello, post-quantum Bob.".to_vec()).expect("part"),
        ],
        ..Content::default()
    };
    [
        ("all-hybrid", 0x0Fu8, 0xA1u8),
        ("mixed (author and recipient hybrid)", 0x09, 0xA2),
        ("classical author to hybrid recipient", 0x0E, 0xA3),
    ]
    .iter()
    .map(|(name, mask, seed)| {
        let [author, origin, destination, recipient] = parties(*mask);
        let to = Addressing {
            author: &author.signet,
            origin: &origin.signet,
            destination: &destination.signet,
            recipient: &recipient.signet,
        };
        let mut options = ComposeOptions::default();
        options.pq = PqPolicy::Prefer;
        let object =
            compose(&author.sign, &to, &content, &options, &mut SeededRandom::new([*seed; 32])).expect("compose");

        let countersigned = Envelope::origin(&object, &MessageLimits::default(), keys(&origin))
            .and_then(|e| e.open(&author.signet))
            .and_then(|v| v.countersign(&origin.sign))
            .expect("countersign");
        let opened = Envelope::recipient(&countersigned, &MessageLimits::default(), keys(&recipient))
            .and_then(|e| e.open(&recipient.signet, &author.signet, &origin.signet))
            .expect("open as recipient");
        let kinds = Message::parse(&object, &MessageLimits::default()).and_then(|m| m.kinds()).expect("kinds");
        json!({
            "name": name,
            "hybrid_parties": format!("{mask:#04x}"),
            "random_seed_hex": hex(&[*seed; 32]),
            "kinds": kinds.byte(),
            "protection": opened.protection.describe(),
            "signets": {
                "author_hex": hex(author.signet.as_bytes()),
                "origin_hex": hex(origin.signet.as_bytes()),
                "destination_hex": hex(destination.signet.as_bytes()),
                "recipient_hex": hex(recipient.signet.as_bytes()),
            },
            "object_hex": hex(&object),
            "countersigned_hex": hex(&countersigned),
        })
    })
    .collect()
}
