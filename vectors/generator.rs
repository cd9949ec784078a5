//! The conformance-vector generator: builds every vector set from fixed seeds, so the same
//! code both writes `vectors/*.json` (`cargo run --example vectors`) and proves, in
//! `tests/vectors.rs`, that the crates reproduce the committed files byte for byte.
//!
//! Every random input (keys, salts, nonces, shards) is a fixed pattern named in the vector
//! itself, so another implementation can rebuild each object from its inputs.

use dime::core::armor::{self, Label};
use dime::core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime::core::stacie::{
    self, ClientKeys, Nonce, Password, RealmKey, RealmLabel, RealmVariant, Salt, Shard, Username,
};
use dime::signet::record::{Expiry, HostName, ManagementRecord, Policy, Subdomain, sign_tls_certificate};
use dime::signet::{
    Context, FingerprintKind, KeyFile, KeyOwner, ParseOptions, Permissions, SecondaryKey, Signet, SignetBuilder,
    SignetKind, Split, ids, issue, validate_bytes,
};
use serde_json::{Value, json};

#[path = "generator/dmap.rs"]
mod dmap;
#[path = "generator/dmtp.rs"]
mod dmtp;
#[path = "generator/hybrid.rs"]
mod hybrid;
#[path = "generator/messages.rs"]
mod messages;
#[path = "generator/transcript.rs"]
mod transcript;

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte seed made of one repeated byte: the vectors' only source of keys.
fn seed(n: u8) -> [u8; 32] {
    [n; 32]
}

fn signing(n: u8) -> SigningSecretKey {
    SigningSecretKey::from_seed(&seed(n))
}

fn encryption(n: u8) -> EncryptionSecretKey {
    EncryptionSecretKey::x25519_from_bytes(seed(n))
}

/// Every vector file: (file name, contents).
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("armor.json", armor_vectors()),
        ("keyfiles.json", keyfile_vectors()),
        ("signets.json", signet_vectors()),
        ("records.json", record_vectors()),
        ("stacie.json", stacie_vectors()),
        ("messages.json", messages::vectors()),
        ("dmtp-transcripts.json", dmtp::vectors()),
        ("dmap-transcripts.json", dmap::vectors()),
        ("hybrid.json", hybrid::vectors()),
    ]
}

/// The file text written for a vector set: pretty JSON and a final newline.
pub fn render(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn armor_vectors() -> Value {
    let cases: Vec<Value> = [
        (Label::UserKey, 0usize),
        (Label::OrgSignet, 1),
        (Label::UserSignet, 47),
        (Label::SigningRequest, 48),
        (Label::EncryptedMessage, 49),
        (Label::OrgKey, 200),
    ]
    .iter()
    .map(|(label, len)| {
        let data: Vec<u8> = (0..*len).map(|i| (i * 7 + 3) as u8).collect();
        json!({
            "label": label.as_str(),
            "data_hex": hex(&data),
            "crc24": format!("{:06x}", armor::crc24(&data)),
            "armored": armor::encode(*label, &data),
        })
    })
    .collect();
    json!({
        "description": "ASCII armor: data (byte i = 7i+3 mod 256) armored under a label, 64 columns, LF, CRC-24 line",
        "cases": cases,
    })
}

fn keyfile_json(name: &str, keys: &KeyFile, note: &str) -> Value {
    let bytes = keys.to_bytes().unwrap_or_default();
    json!({
        "name": name,
        "note": note,
        "owner": match keys.owner { KeyOwner::Org => "org", KeyOwner::User => "user" },
        "signing_seed_hex": hex(keys.signing.seed().as_ref()),
        "encryption_private_hex": hex(&keys.encryption.encode()),
        "signing_public_hex": hex(keys.signing_public().as_bytes()),
        "encryption_public_hex": keys.encryption_public().map(|k| hex(&k.encode())).unwrap_or_default(),
        "binary_hex": hex(&bytes),
        "armored": keys.to_armor().map(|a| a.to_string()).unwrap_or_default(),
    })
}

fn keyfile_vectors() -> Value {
    let org = KeyFile { owner: KeyOwner::Org, signing: signing(1), encryption: encryption(2), kem: None };
    let user = KeyFile { owner: KeyOwner::User, signing: signing(3), encryption: encryption(4), kem: None };
    let mut scalar = [0u8; 32];
    scalar[31] = 0x45;
    let legacy = KeyFile {
        owner: KeyOwner::User,
        signing: signing(5),
        encryption: EncryptionSecretKey::decode(&scalar).expect("0x45 is a valid secp256k1 scalar"),
        kem: None,
    };
    json!({
        "description": "Key files (org 1952, user 2013): field 1 = Ed25519 seed, then the encryption private key (org field 3, user field 2); public keys derived",
        "cases": [
            keyfile_json("org", &org, "Ed25519 seed 01*32, X25519 secret 02*32"),
            keyfile_json("user", &user, "Ed25519 seed 03*32, X25519 secret 04*32"),
            keyfile_json("user-secp256k1", &legacy, "Ed25519 seed 05*32, secp256k1 scalar 0x45 (reference-style key, carried but not used for encryption)"),
        ],
    })
}

/// One signet vector: its bytes, armor, fields, fingerprints and validated state.
fn signet_json(name: &str, note: &str, signet: &Signet, context: &Context<'_>, context_note: &str) -> Value {
    let validation = signet.validate(context);
    let fields: Vec<Value> = signet
        .fields()
        .map(|f| {
            json!({
                "id": f.id,
                "name": signet.kind().lookup(f.id).map(|s| s.name),
                "offset": f.start,
                "length": f.data.len(),
            })
        })
        .collect();
    let mut fingerprints = serde_json::Map::new();
    for kind in FingerprintKind::ALL {
        if let Some(fp) = signet.fingerprint(kind) {
            fingerprints.insert(kind.name().into(), Value::String(fp.to_string()));
        }
    }
    json!({
        "name": name,
        "note": note,
        "kind": signet.kind().name(),
        "binary_hex": hex(signet.as_bytes()),
        "armored": signet.to_armor(),
        "fields": fields,
        "fingerprints": fingerprints,
        "validate_with": context_note,
        "state": validation.state.name(),
        "problem": validation.problem.map(|p| p.to_string()),
    })
}

fn signet_vectors() -> Value {
    let pok = signing(1);
    let poks = [pok.public()];
    let sok = signing(6);
    let org = SignetBuilder::new(SignetKind::Org)
        .signing_key(&pok.public())
        .and_then(|b| b.secondary_key(&SecondaryKey { permissions: Permissions::SIGNETS, key: sok.public() }))
        .and_then(|b| b.encryption_key(&encryption(2).public()?))
        .and_then(|b| b.sign_crypto(&pok))
        .and_then(|b| b.text(ids::NAME, "Example Organization"))
        .and_then(|b| b.text(ids::PHONE, "+1 555 0100"))
        .and_then(|b| b.text(ids::PHONE, "+1 555 0101"))
        .and_then(|b| b.text(206, "dmap.example.org"))
        .and_then(|b| b.undefined(b"x-note", b"conformance"))
        .and_then(|b| b.sign_full(&pok))
        .and_then(|b| b.identifier("example.org"))
        .and_then(|b| b.sign_id(&pok))
        .and_then(|b| b.build())
        .expect("fixed org signet builds");
    let org_only = Context { poks: Some(&poks), ..Context::default() };
    let request = issue::new_request(&signing(3), &encryption(4).public().unwrap(), None).expect("request");
    let user = issue::issue_user_signet(
        &request,
        None,
        &org,
        &pok,
        "alice@example.org",
        &[(ids::NAME, "Alice Ünïcode".as_bytes()), (94, b"Engineer")],
    )
    .expect("user signet");
    let by_sok = issue::issue_user_signet(&request, None, &org, &sok, "alice@example.org", &[]).expect("by SOK");
    let rotation =
        issue::new_request(&signing(5), &encryption(7).public().unwrap(), Some(&signing(3))).expect("rotation");
    let rotated =
        issue::issue_user_signet(&rotation, Some(&user), &org, &pok, "alice@example.org", &[]).expect("rotated");
    let user_ctx = Context { poks: Some(&poks), org: Some(&org), previous: None };
    let rotated_ctx = Context { poks: Some(&poks), org: Some(&org), previous: Some(&user) };
    let mut tampered = user.as_bytes().to_vec();
    if let Some(last) = tampered.last_mut() {
        *last ^= 0x01;
    }
    let tampered = Signet::parse(&tampered).expect("a flipped signature bit still parses");
    let cases = vec![
        signet_json(
            "org-id",
            "POK seed 01*32, SOK seed 06*32 (may sign signets), X25519 secret 02*32",
            &org,
            &org_only,
            "pok = POK",
        ),
        signet_json(
            "org-full",
            "org-id split after field 253",
            &org.split(Split::Full).unwrap(),
            &org_only,
            "pok = POK",
        ),
        signet_json(
            "org-crypto",
            "org-id split after field 4",
            &org.split(Split::Crypto).unwrap(),
            &org_only,
            "pok = POK",
        ),
        signet_json("ssr", "user signing seed 03*32, X25519 secret 04*32", &request, &Context::default(), "nothing"),
        signet_json("user-id", "ssr issued by the POK of org-id", &user, &user_ctx, "pok = POK, org = org-id"),
        signet_json(
            "user-full",
            "user-id split after field 253",
            &user.split(Split::Full).unwrap(),
            &user_ctx,
            "pok = POK, org = org-id",
        ),
        signet_json(
            "user-crypto",
            "user-id split after field 6",
            &user.split(Split::Crypto).unwrap(),
            &user_ctx,
            "pok = POK, org = org-id",
        ),
        signet_json("user-id-by-sok", "ssr issued by the SOK of org-id", &by_sok, &user_ctx, "pok = POK, org = org-id"),
        signet_json(
            "ssr-rotation",
            "new signing seed 05*32, X25519 secret 07*32, custody signed by seed 03*32",
            &rotation,
            &Context { previous: Some(&user), ..Context::default() },
            "previous = user-id",
        ),
        signet_json(
            "user-rotated",
            "ssr-rotation issued by the POK",
            &rotated,
            &rotated_ctx,
            "pok = POK, org = org-id, previous = user-id",
        ),
        signet_json(
            "user-rotated-no-previous",
            "user-rotated validated without its previous signet",
            &rotated,
            &user_ctx,
            "pok = POK, org = org-id",
        ),
        signet_json(
            "user-id-wrong-record",
            "user-id validated against a record listing another POK",
            &user,
            &Context { poks: Some(&[signing(9).public()]), org: Some(&org), previous: None },
            "pok = seed 09*32, org = org-id",
        ),
        signet_json(
            "user-id-tampered",
            "user-id with the last bit of field 255 flipped",
            &tampered,
            &user_ctx,
            "pok = POK, org = org-id",
        ),
    ];
    let malformed: Vec<Value> = [
        ("truncated-header", user.as_bytes()[..4].to_vec()),
        ("trailing-byte", [user.as_bytes(), &[0]].concat()),
        ("out-of-order", { let mut p = user.payload().to_vec(); p.extend_from_slice(&[16, 1, b'x']); dime::core::header::Header::wrap(dime::core::header::Magic::UserSignet, &p).unwrap() }),
    ]
    .into_iter()
    .map(|(name, bytes)| {
        let v = validate_bytes(&bytes, &ParseOptions::default(), &user_ctx);
        json!({ "name": name, "binary_hex": hex(&bytes), "state": v.state.name(), "problem": v.problem.map(|p| p.to_string()) })
    })
    .collect();
    json!({
        "description": "Signets at every state, built from fixed seeds (see each note), with fields, fingerprints (unpadded base64) and the state validation gives in the named context; malformed inputs with their error text",
        "cases": cases,
        "malformed": malformed,
    })
}

fn record_vectors() -> Value {
    let pok = signing(1);
    let second = signing(8);
    let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02];
    let full = ManagementRecord::builder(pok.public())
        .pok(second.public())
        .tls(sign_tls_certificate(&pok, &der))
        .dx(HostName::new("dx1.example.org").unwrap())
        .dx(HostName::new("dx2.example.org").unwrap())
        .expiry(Expiry::from_days(14).unwrap())
        .policy(Policy::Mixed)
        .subdomain(Subdomain::Relaxed)
        .build()
        .expect("fixed record builds");
    let minimal = ManagementRecord::builder(pok.public()).build().expect("minimal record");
    let valid: Vec<Value> = [
        ("minimal", minimal.to_string()),
        ("full", full.to_string()),
        (
            "loose-form",
            full.to_string()
                .replace(' ', ";;")
                .replace("ver=1", "VERSION=1")
                .replace("pol=mixed", "Policy=MIXED")
                .replace("sub=relaxed", "subdomain=Relaxed")
                .replace("dx=", "deliver="),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        let parsed: ManagementRecord = text.parse().expect("valid record vectors parse");
        json!({
            "name": name,
            "text": text,
            "canonical": parsed.to_string(),
            "pok": parsed.poks().iter().map(|k| k.to_base64()).collect::<Vec<_>>(),
            "tls_count": parsed.tls().len(),
            "dx": parsed.dx().iter().map(|h| h.as_str().to_string()).collect::<Vec<_>>(),
            "expiry_days": parsed.expiry().map(|e| e.days()),
            "policy": parsed.policy().as_str(),
            "subdomain": parsed.subdomain().as_str(),
        })
    })
    .collect();
    let pok_b64 = pok.public().to_base64();
    let invalid: Vec<Value> = [
        ("no-pok", "ver=1 pol=strict".to_string()),
        ("version-2", format!("ver=2 pok={pok_b64}")),
        ("pok-42-chars", format!("ver=1 pok={}", &pok_b64[..42])),
        ("pok-padded", format!("ver=1 pok={pok_b64}=")),
        ("unknown-policy", format!("ver=1 pok={pok_b64} pol=loose")),
        ("token-without-equals", format!("ver=1 pok={pok_b64} strict")),
        ("two-splitters", format!("ver=1 pok=abc={pok_b64}")),
        ("tab-separator", format!("ver=1\tpok={pok_b64}")),
        ("duplicate-version", format!("ver=1 ver=1 pok={pok_b64}")),
    ]
    .into_iter()
    .map(|(name, text)| {
        let error = text.parse::<ManagementRecord>().err().map(|e| e.to_string());
        json!({ "name": name, "text": text, "error": error })
    })
    .collect();
    json!({
        "description": "Management records: valid texts with their canonical form and parsed values; invalid texts with the error dime-rs reports. The tls value is the POK's (seed 01*32) signature over SHA-512 of tls_certificate_der_hex.",
        "tls_certificate_der_hex": hex(&der),
        "valid": valid,
        "invalid": invalid,
    })
}

fn stacie_vectors() -> Value {
    let salt_bytes: Vec<u8> = (0..128u32).map(|i| (i * 3 + 1) as u8).collect();
    let nonce_bytes: Vec<u8> = (0..128u32).map(|i| (255 - i) as u8).collect();
    let shard_bytes: Vec<u8> = (0..64u32).map(|i| (i * 5 + 2) as u8).collect();
    let cases: Vec<Value> = [
        ("alice@example.org", "correct horse battery staple", 0u32),
        ("bob@example.net", "pässwörd with ümlauts, long enough", 16),
        ("carol@example.org", "twenty-two characters!", 0),
        ("dave@example.org", "SiliconSally", 128),
    ]
    .iter()
    .filter_map(|(user, pass, bonus)| {
        let username = Username::new(user.as_bytes()).ok()?;
        let password = Password::new(pass.as_bytes()).ok()?;
        let salt = Salt::from_slice(&salt_bytes).ok()?;
        let nonce = Nonce::from_slice(&nonce_bytes).ok()?;
        let shard = Shard::from_slice(&shard_bytes).ok()?;
        let keys = ClientKeys::derive(&username, &password, &salt, *bonus);
        let label = RealmLabel::new("mail").ok()?;
        let legacy = RealmKey::derive(keys.master_key(), &label, &shard, RealmVariant::ShardKeyed);
        let salted = RealmKey::derive(keys.master_key(), &label, &shard, RealmVariant::SaltKeyed(&salt));
        let envelope = stacie::envelope::encrypt_with_vector_shard(&salted, 1, &[0x5a; 16], b"realm secret").ok()?;
        Some(json!({
            "username": user,
            "password": pass,
            "bonus": bonus,
            "rounds": keys.rounds().get(),
            "master_key_hex": hex(keys.master_key().as_bytes()),
            "password_key_hex": hex(keys.password_key().as_bytes()),
            "verification_token_hex": hex(keys.verification_token().as_bytes()),
            "ephemeral_token_hex": hex(keys.ephemeral_token(&nonce).as_bytes()),
            "realm_mail_shard_keyed_hex": hex(legacy.as_bytes()),
            "realm_mail_salt_keyed_hex": hex(salted.as_bytes()),
            "envelope_plaintext": "realm secret",
            "envelope_serial": 1,
            "envelope_vector_shard_hex": hex(&[0x5a; 16]),
            "envelope_hex": hex(&envelope),
        }))
    })
    .collect();
    json!({
        "description": "STACIE (docs/stacie.md): salt byte i = 3i+1, nonce byte i = 255-i, mail realm shard byte i = 5i+2; envelopes under the salt-keyed mail realm key",
        "salt_hex": hex(&salt_bytes),
        "nonce_hex": hex(&nonce_bytes),
        "shard_hex": hex(&shard_bytes),
        "cases": cases,
    })
}
