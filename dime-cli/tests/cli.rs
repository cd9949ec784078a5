//! End-to-end tests: run the built `dime` binary in temporary directories.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Run, TempDir, dime};

use dime_core::armor;
use dime_core::base64;
use dime_core::limits::ObjectLimits;
use serde_json::{Value, json};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/signet").join(name)
}

fn testdata_arg(name: &str) -> String {
    testdata(name).to_str().unwrap().to_string()
}

/// The values `derived-values.txt` lists for `file`: (label, value) pairs, e.g. ("fp id(all)", …).
fn derived(file: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(testdata("derived-values.txt")).unwrap();
    let start = format!("{file}:");
    text.lines()
        .skip_while(|l| !l.starts_with(&start))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let (label, value) = l.trim().rsplit_once(' ').unwrap();
            (label.trim().to_string(), value.to_string())
        })
        .collect()
}

fn derived_value(file: &str, label: &str) -> String {
    derived(file).into_iter().find(|(l, _)| l == label).map(|(_, v)| v).unwrap()
}

/// The record text inside the quotes of a zone-file line (single character-string).
fn txt_of_zone_line(line: &str) -> String {
    let (_, rest) = line.split_once(" IN TXT \"").unwrap();
    rest.trim_end().strip_suffix('"').unwrap().to_string()
}

/// The `pok=` value of a record text.
fn pok_of(record: &str) -> String {
    record.split(' ').find_map(|t| t.strip_prefix("pok=")).unwrap().to_string()
}

/// Creates org "example.org" (org.key, org.signet) and returns its record text.
fn make_org(dir: &TempDir) -> String {
    let run = dime(&dir.0, &["keygen", "org", "example.org", "--out", "org"]).expect(0);
    assert!(run.stdout.starts_with("_dx.example.org. IN TXT \""), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1);
    txt_of_zone_line(&run.stdout)
}

/// Creates user keys PREFIX.key / PREFIX.ssr and returns the printed ssr fingerprint.
fn make_user(dir: &TempDir, prefix: &str, previous_key: Option<&str>) -> String {
    let mut args = vec!["keygen", "user", "alice@example.org", "--out", prefix];
    if let Some(previous) = previous_key {
        args.extend(["--previous-key", previous]);
    }
    let run = dime(&dir.0, &args).expect(0);
    assert_eq!(run.line("address"), "alice@example.org");
    run.line("fingerprint ssr").to_string()
}

/// Signs PREFIX.ssr into OUT and returns the printed id fingerprint.
fn sign(dir: &TempDir, ssr: &str, out: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "signet",
        "sign",
        ssr,
        "--org-key",
        "org.key",
        "--org-signet",
        "org.signet",
        "--address",
        "alice@example.org",
        "--out",
        out,
    ];
    args.extend(extra);
    dime(&dir.0, &args)
}

fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn field_triples(value: &Value) -> Vec<(u64, String, u64)> {
    value["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_u64().unwrap(), f["name"].as_str().unwrap().to_string(), f["length"].as_u64().unwrap()))
        .collect()
}

#[test]
fn full_flow_reaches_id_anchored_in_the_printed_record() {
    let dir = TempDir::new("flow");
    let record = make_org(&dir);
    let pok = pok_of(&record);
    assert_eq!(record, format!("ver=1 pok={pok} pol=experimental sub=strict"));
    assert!(dir.read("org.key").starts_with("-----BEGIN ORGANIZATIONAL KEY-----\n"));
    assert!(dir.read("org.signet").starts_with("-----BEGIN ORGANIZATIONAL SIGNET-----\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(dir.join("org.key")).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // The org signet: id state, identifier, no ssr fingerprint; anchored by the printed POK.
    let org = dime(&dir.0, &["signet", "verify", "org.signet", "--pok", &pok, "--json"]).expect(0).json();
    assert_eq!(keys_of(&org), ["bound", "fields", "fingerprints", "identifier", "kind", "problem", "state"]);
    assert_eq!((org["kind"].as_str(), org["state"].as_str()), (Some("org"), Some("id")));
    assert_eq!(org["identifier"], json!("example.org"));
    assert_eq!(org["bound"], json!(true));
    // Without --pok nothing is anchored, so the identifier is not bound.
    let unanchored = dime(&dir.0, &["signet", "verify", "org.signet", "--json"]).expect(0).json();
    assert_eq!((unanchored["state"].as_str(), unanchored["bound"].as_bool()), (Some("id"), Some(false)));
    assert_eq!(keys_of(&org["fingerprints"]), ["crypto", "full", "id"]);
    let ids: Vec<u64> = field_triples(&org).iter().map(|f| f.0).collect();
    // keygen writes hybrid keys by default (D8): the org's ML-KEM key is field 251.
    assert_eq!(ids, [1, 3, 4, 251, 253, 254, 255]);

    let ssr_fp = make_user(&dir, "alice", None);
    assert!(dir.read("alice.key").starts_with("-----BEGIN USER KEY-----\n"));
    assert!(dir.read("alice.ssr").starts_with("-----BEGIN SIGNET SIGNING REQUEST-----\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(dir.join("alice.key")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let ssr = dime(&dir.0, &["signet", "verify", "alice.ssr", "--json"]).expect(0).json();
    assert_eq!((ssr["kind"].as_str(), ssr["state"].as_str()), (Some("ssr"), Some("ssr")));
    assert_eq!(ssr["fingerprints"], json!({ "ssr": ssr_fp }));
    assert_eq!(ssr["identifier"], Value::Null);

    let signed =
        sign(&dir, "alice.ssr", "alice.signet", &["--name", "Alice Example", "--phone", "+1 555", "--phone", "+44 20"])
            .expect(0);
    let id_fp = signed.line("fingerprint id").to_string();
    assert!(dir.read("alice.signet").starts_with("-----BEGIN USER SIGNET-----\n"));

    let run = dime(&dir.0, &["signet", "verify", "alice.signet", "--org", "org.signet", "--pok", &pok, "--json"]);
    let user = run.expect(0).json();
    assert_eq!(keys_of(&user), ["bound", "fields", "fingerprints", "identifier", "kind", "problem", "state"]);
    assert_eq!(user["kind"], json!("user"));
    assert_eq!(user["state"], json!("id"));
    assert_eq!(user["problem"], Value::Null);
    assert_eq!(user["identifier"], json!("alice@example.org"));
    assert_eq!(user["bound"], json!(true));
    assert_eq!(keys_of(&user["fingerprints"]), ["crypto", "full", "id", "ssr"]);
    // The user signet keeps the request's bytes, so its ssr fingerprint is the request's.
    assert_eq!(user["fingerprints"]["ssr"], json!(ssr_fp));
    assert_eq!(user["fingerprints"]["id"], json!(id_fp));
    let expected: Vec<(u64, String, u64)> = [
        (1, "Signing-Key", 33),
        (2, "Encryption-Key", 33),
        // The hybrid key's five fragments (D8).
        (3, "Alternate-Encryption-Key", 239),
        (3, "Alternate-Encryption-Key", 239),
        (3, "Alternate-Encryption-Key", 239),
        (3, "Alternate-Encryption-Key", 239),
        (3, "Alternate-Encryption-Key", 238),
        (5, "User-Signature", 64),
        (6, "Organizational-Signature", 64),
        (16, "Name", 13),
        (21, "Phone-Number", 6),
        (21, "Phone-Number", 6),
        (253, "Full-Signature", 64),
        (254, "Signet-Identifier", 17),
        (255, "Identifiable-Signature", 64),
    ]
    .into_iter()
    .map(|(id, name, len)| (id, name.to_string(), len))
    .collect();
    assert_eq!(field_triples(&user), expected);

    // Text form of the same verification.
    let text = dime(&dir.0, &["signet", "verify", "alice.signet", "--org", "org.signet"]).expect(0);
    assert_eq!(text.line("state"), "id");
    assert_eq!(text.line("fingerprint id"), id_fp);
    assert!(!text.stdout.contains("problem:"));

    // Anchored to another POK, the org signet (and so the user signet) is invalid.
    let other = make_other_pok(&dir);
    let run = dime(&dir.0, &["signet", "verify", "alice.signet", "--org", "org.signet", "--pok", &other, "--json"]);
    let refused = run.expect(1).json();
    assert_eq!(refused["state"], json!("invalid"));
    assert_eq!(
        refused["problem"],
        json!(
            "the organizational signet is not valid: the organizational signet's POK is not in the management record"
        )
    );
}

/// The POK of a second, unrelated organization.
fn make_other_pok(dir: &TempDir) -> String {
    let run = dime(&dir.0, &["keygen", "org", "other.example", "--out", "other"]).expect(0);
    pok_of(&txt_of_zone_line(&run.stdout))
}

#[test]
fn inspect_of_the_magma_user_signet_gives_the_derived_fingerprints() {
    let dir = TempDir::new("inspect");
    let file = "magma-check-user-signet.b64";
    let run = dime(&dir.0, &["signet", "inspect", &testdata_arg(file), "--json"]).expect(0);
    let value = run.json();
    assert_eq!(keys_of(&value), ["bound", "fields", "fingerprints", "identifier", "kind", "state"]);
    assert_eq!(value["kind"], json!("user"));
    assert_eq!(value["state"], json!("id"));
    assert_eq!(value["identifier"], json!("user@example.com"));
    // inspect checks no signature: the identifier is shown but not bound.
    assert_eq!(value["bound"], json!(false));
    assert_eq!(
        value["fingerprints"],
        json!({
            "ssr": derived_value(file, "fp ssr(<=5)"),
            "crypto": derived_value(file, "fp crypto(<=6)"),
            "full": derived_value(file, "fp full(<=253)"),
            "id": derived_value(file, "fp id(all)"),
        })
    );
    let ids: Vec<u64> = field_triples(&value).iter().map(|f| f.0).collect();
    assert_eq!(ids, [1, 2, 5, 6, 16, 253, 254, 255]);

    // --hex: the id fingerprint is SHA-512 of the whole payload.
    let hex = dime(&dir.0, &["signet", "inspect", &testdata_arg(file), "--hex"]).expect(0);
    assert_eq!(hex.line("fingerprint id"), derived_value(file, "sha512(payload) hex"));
    assert_eq!(hex.line("identifier"), "user@example.com");
    assert_eq!(hex.line("bound"), "no");

    // The sandbox org signet stops at the crypto stage: all three fingerprints are equal.
    let org = "magma-sandbox-org.signet";
    let value = dime(&dir.0, &["signet", "inspect", &testdata_arg(org), "--json"]).expect(0).json();
    assert_eq!(value["state"], json!("crypto"));
    assert_eq!(value["identifier"], Value::Null);
    let fp = derived_value(org, "fp crypto(<=4)");
    assert_eq!(value["fingerprints"], json!({ "crypto": fp, "full": fp, "id": fp }));
}

#[test]
fn magma_user_signet_verifies_with_its_org_and_not_without() {
    let dir = TempDir::new("magma");
    let user = testdata_arg("magma-check-user-signet.b64");
    let org = testdata_arg("magma-check-org-signet.b64");
    let pok = derived_value("magma-check-org-signet.b64", "dns pok= value (base64 no pad of 32-byte signing key)");

    let run = dime(&dir.0, &["signet", "verify", &user, "--org", &org, "--pok", &pok, "--json"]).expect(0);
    assert_eq!(run.json()["state"], json!("id"));

    let run = dime(&dir.0, &["signet", "verify", &user, "--json"]).expect(1);
    let value = run.json();
    assert_eq!(value["state"], json!("invalid"));
    assert_eq!(value["problem"], json!("validating a user signet needs the organizational signet"));
    let text = dime(&dir.0, &["signet", "verify", &user]).expect(1);
    assert_eq!(text.line("state"), "invalid");
    assert_eq!(text.line("problem"), "validating a user signet needs the organizational signet");
    assert_eq!(text.stderr, "");

    // --org must be an org signet.
    let run = dime(&dir.0, &["signet", "verify", &user, "--org", &user]).expect(2);
    assert_eq!(run.stderr, format!("dime: {user}: expected an organizational signet, found a user signet\n"));
}

#[test]
fn corrupted_files_are_malformed_and_exit_2() {
    let dir = TempDir::new("corrupt");
    make_org(&dir);
    let armored = dir.read("org.signet");
    // Change one body character: the CRC-24 no longer matches.
    let body_line = armored.lines().nth(1).unwrap();
    let flipped_char = if body_line.starts_with('A') { "B" } else { "A" };
    let corrupted = armored.replacen(body_line, &format!("{flipped_char}{}", &body_line[1..]), 1);
    dir.write("crc.signet", &corrupted);
    let run = dime(&dir.0, &["signet", "verify", "crc.signet", "--json"]).expect(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("dime: crc.signet: malformed: armor: CRC-24 mismatch"), "{run:?}");

    // A truncated binary object.
    let (_, bytes) = armor::read_object(armored.as_bytes(), &ObjectLimits::default()).unwrap();
    dir.write("short.bin", &bytes[..bytes.len() - 10]);
    let run = dime(&dir.0, &["signet", "verify", "short.bin"]).expect(2);
    assert_eq!(
        run.stderr,
        format!(
            "dime: short.bin: malformed: header declares {} payload bytes but only {} follow\n",
            bytes.len() - 5,
            bytes.len() - 15
        )
    );
    let run = dime(&dir.0, &["signet", "inspect", "short.bin"]).expect(2);
    assert!(run.stderr.starts_with("dime: short.bin: malformed: "));

    // A key file is not a signet.
    let run = dime(&dir.0, &["signet", "verify", "org.key"]).expect(2);
    assert_eq!(run.stderr, "dime: org.key: expected a signet or signing request, found an organizational key file\n");

    let run = dime(&dir.0, &["signet", "verify", "missing.signet"]).expect(2);
    assert!(run.stderr.starts_with("dime: missing.signet: "), "{run:?}");
}

#[test]
fn a_bit_flipped_signature_is_invalid_and_exits_1() {
    let dir = TempDir::new("flip");
    let text = fs::read(testdata("magma-check-user-signet.b64")).unwrap();
    let (_, mut bytes) = armor::read_object(&text, &ObjectLimits::default()).unwrap();
    // The last field is the identifiable signature (255).
    *bytes.last_mut().unwrap() ^= 0x01;
    dir.write("flipped.bin", &bytes);
    let org = testdata_arg("magma-check-org-signet.b64");
    let run = dime(&dir.0, &["signet", "verify", "flipped.bin", "--org", &org, "--json"]).expect(1);
    let value = run.json();
    assert_eq!(value["state"], json!("invalid"));
    assert_eq!(value["problem"], json!("signature field 255 does not verify"));
    // The structure still promises id.
    let run = dime(&dir.0, &["signet", "inspect", "flipped.bin", "--json"]).expect(0);
    assert_eq!(run.json()["state"], json!("id"));

    // Bare base64 of the same bytes is read the same way.
    dir.write("flipped.b64", base64::encode_padded(&bytes));
    let run = dime(&dir.0, &["signet", "verify", "flipped.b64", "--org", &org, "--json"]).expect(1);
    assert_eq!(run.json()["problem"], json!("signature field 255 does not verify"));
}

#[test]
fn rotation_needs_the_previous_signet() {
    let dir = TempDir::new("rotate");
    make_org(&dir);
    make_user(&dir, "alice", None);
    sign(&dir, "alice.ssr", "alice.signet", &[]).expect(0);
    make_user(&dir, "alice2", Some("alice.key"));

    let ssr = dime(&dir.0, &["signet", "verify", "alice2.ssr", "--previous", "alice.signet", "--json"]).expect(0);
    let value = ssr.json();
    let ids: Vec<u64> = field_triples(&value).iter().map(|f| f.0).collect();
    // Five field-3 fragments carry the hybrid key (D8).
    assert_eq!(ids, [1, 2, 3, 3, 3, 3, 3, 4, 5]);
    assert_eq!(value["state"], json!("ssr"));

    // Without --previous the organization refuses to sign.
    let run = sign(&dir, "alice2.ssr", "alice2.signet", &[]).expect(1);
    assert_eq!(
        run.stderr,
        "dime: alice2.ssr: the signing request is broken-custody: \
         chain-of-custody signature present but no previous signet given\n"
    );
    assert!(!dir.join("alice2.signet").exists());

    sign(&dir, "alice2.ssr", "alice2.signet", &["--previous", "alice.signet"]).expect(0);
    let args = ["signet", "verify", "alice2.signet", "--org", "org.signet", "--previous", "alice.signet", "--json"];
    let run = dime(&dir.0, &args).expect(0);
    assert_eq!(run.json()["state"], json!("id"));

    let run = dime(&dir.0, &["signet", "verify", "alice2.signet", "--org", "org.signet", "--json"]).expect(1);
    let value = run.json();
    assert_eq!(value["state"], json!("broken-custody"));
    assert_eq!(value["problem"], json!("chain-of-custody signature present but no previous signet given"));

    // A previous signet whose key did not sign the custody signature.
    make_user(&dir, "mallory", None);
    sign(&dir, "mallory.ssr", "mallory.signet", &[]).expect(0);
    let args = ["signet", "verify", "alice2.signet", "--org", "org.signet", "--previous", "mallory.signet", "--json"];
    let value = dime(&dir.0, &args).expect(1).json();
    assert_eq!(value["state"], json!("broken-custody"));
    assert_eq!(value["problem"], json!("chain-of-custody signature does not verify with the previous signing key"));
}

#[test]
fn sign_refuses_bad_inputs() {
    let dir = TempDir::new("signbad");
    make_org(&dir);
    make_user(&dir, "alice", None);

    let run = dime(
        &dir.0,
        &[
            "signet",
            "sign",
            "alice.ssr",
            "--org-key",
            "org.key",
            "--org-signet",
            "org.signet",
            "--address",
            "bob@other.example",
            "--out",
            "x.signet",
        ],
    )
    .expect(2);
    assert_eq!(run.stderr, "dime: address bob@other.example is not in the organization's domain example.org\n");

    // A user key where the org key belongs.
    let run = dime(
        &dir.0,
        &[
            "signet",
            "sign",
            "alice.ssr",
            "--org-key",
            "alice.key",
            "--org-signet",
            "org.signet",
            "--address",
            "alice@example.org",
            "--out",
            "x.signet",
        ],
    )
    .expect(2);
    assert_eq!(
        run.stderr,
        "dime: alice.key: the organization needs an organizational key file, found a user key file\n"
    );

    // Another organization's key is not authorized for this org signet.
    make_other_pok(&dir);
    let run = dime(
        &dir.0,
        &[
            "signet",
            "sign",
            "alice.ssr",
            "--org-key",
            "other.key",
            "--org-signet",
            "org.signet",
            "--address",
            "alice@example.org",
            "--out",
            "x.signet",
        ],
    )
    .expect(2);
    assert_eq!(run.stderr, "dime: the key is not authorized to sign user signets for this organization\n");
    assert!(!dir.join("x.signet").exists());

    // An org signet whose identifiable signature was altered does not sign anything.
    let (_, mut org) = armor::read_object(dir.read("org.signet").as_bytes(), &ObjectLimits::default()).unwrap();
    *org.last_mut().unwrap() ^= 0x80;
    dir.write("bad-org.signet", &org);
    let run = dime(
        &dir.0,
        &[
            "signet",
            "sign",
            "alice.ssr",
            "--org-key",
            "org.key",
            "--org-signet",
            "bad-org.signet",
            "--address",
            "alice@example.org",
            "--out",
            "x.signet",
        ],
    )
    .expect(1);
    assert_eq!(
        run.stderr,
        "dime: bad-org.signet: the organizational signet is invalid: signature field 255 does not verify\n"
    );
    assert!(!dir.join("x.signet").exists());

    let run = dime(&dir.0, &["keygen", "user", "alice", "--out", "a"]).expect(2);
    assert!(
        run.stderr.starts_with("dime: invalid value 'alice' for '<ADDRESS>': invalid address \"alice\""),
        "{run:?}"
    );
}

/// A stand-in DX certificate: one DER SEQUENCE of `len` bytes of content.
fn fake_der(fill: u8, len: u8) -> Vec<u8> {
    let mut der = vec![0x30, 0x81, len];
    der.extend(std::iter::repeat_n(fill, usize::from(len)));
    der
}

fn pem_of(der: &[u8]) -> String {
    let body = base64::encode_padded(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

#[test]
fn record_generate_check_round_trip() {
    let dir = TempDir::new("record");
    let pok = pok_of(&make_org(&dir));
    dir.write("dx1.der", fake_der(1, 200));
    dir.write("dx2.pem", pem_of(&fake_der(2, 150)));
    let args = [
        "record",
        "generate",
        "--org-key",
        "org.key",
        "--tls-cert",
        "dx1.der",
        "--tls-cert",
        "dx2.pem",
        "--dx",
        "DX1.example.org",
        "--dx",
        "dx2.example.org",
        "--expiry",
        "30",
        "--policy",
        "strict",
        "--subdomain",
        "relaxed",
    ];
    let generated = dime(&dir.0, &args).expect(0);
    assert_eq!(generated.stdout.lines().count(), 1);
    let record = generated.stdout.trim_end().to_string();
    let tls: Vec<&str> = record.split(' ').filter_map(|t| t.strip_prefix("tls=")).collect();
    assert_eq!(tls.len(), 2);
    assert_eq!(
        record,
        format!(
            "ver=1 pok={pok} tls={} tls={} dx=dx1.example.org dx=dx2.example.org exp=30 pol=strict sub=relaxed",
            tls[0], tls[1]
        )
    );
    // Ed25519 is deterministic: the same inputs give the same record.
    assert_eq!(dime(&dir.0, &args).expect(0).stdout, generated.stdout);

    let checked = dime(&dir.0, &["record", "check", &record, "--json"]).expect(0).json();
    assert_eq!(
        checked,
        json!({
            "version": 1,
            "pok": [pok],
            "tls": tls,
            "dx": ["dx1.example.org", "dx2.example.org"],
            "expiry_days": 30,
            "policy": "strict",
            "subdomain": "relaxed",
        })
    );
    let text = dime(&dir.0, &["record", "check", &record]).expect(0);
    assert_eq!(text.line("canonical"), record);
    assert_eq!(text.line("expiry"), "30 days");

    // Long names and mixed case are read; the canonical form is written.
    let loose = format!("VERSION=1 primary={pok} policy=Mixed");
    let value = dime(&dir.0, &["record", "check", &loose, "--json"]).expect(0).json();
    assert_eq!(value["policy"], json!("mixed"));
    assert_eq!(value["expiry_days"], Value::Null);
    assert_eq!(value["tls"], json!([]));
    let text = dime(&dir.0, &["record", "check", &loose]).expect(0);
    assert_eq!(text.line("canonical"), format!("ver=1 pok={pok} pol=mixed sub=strict"));

    let zone = dime(&dir.0, &["record", "generate", "--org-key", "org.key", "--zone", "Example.org"]).expect(0);
    assert_eq!(zone.stdout, format!("_dx.example.org. IN TXT \"ver=1 pok={pok} pol=experimental sub=strict\"\n"));
}

#[test]
fn record_check_of_bad_records_exits_2() {
    let dir = TempDir::new("badrecord");
    let pok = pok_of(&make_org(&dir));
    for (record, message) in [
        ("ver=1 pol=mixed".to_string(), "management record has no `pok` field"),
        (format!("ver=2 pok={pok}"), "unsupported management record version 2"),
        (format!("ver=1 pok={pok} pol=lax"), "unknown policy \"lax\""),
        (format!("ver=1 pok={pok} exp=0"), "expiry of 0 days is outside 1..=365"),
        (format!("ver=1 pok={pok} pol=mixed pol=strict"), "field `pol` appears more than once"),
        ("ver=1 pok=abc".to_string(), "`pok` value has 3 characters, expected 43"),
    ] {
        let run = dime(&dir.0, &["record", "check", &record, "--json"]).expect(2);
        assert_eq!(run.stdout, "", "{record}");
        assert_eq!(run.stderr, format!("dime: invalid management record: {message}\n"), "{record}");
    }
    let run = dime(&dir.0, &["record", "generate", "--org-key", "org.key", "--expiry", "400"]).expect(2);
    assert!(run.stderr.starts_with("dime: invalid value '400' for '--expiry <DAYS>': expiry of 400 days"), "{run:?}");
}

#[test]
fn verify_tls_names_the_pok_or_exits_1() {
    let dir = TempDir::new("tls");
    let pok = pok_of(&make_org(&dir));
    dir.write("dx.der", fake_der(7, 180));
    dir.write("dx.pem", format!("subject=CN = dx.example.org\n{}", pem_of(&fake_der(7, 180))));
    dir.write("other.der", fake_der(8, 180));
    let record = dime(&dir.0, &["record", "generate", "--org-key", "org.key", "--tls-cert", "dx.der"]).expect(0);
    let record = record.stdout.trim_end();

    for cert in ["dx.der", "dx.pem"] {
        let run = dime(&dir.0, &["record", "verify-tls", record, cert]).expect(0);
        assert_eq!(run.stdout, format!("pok: {pok}\n"), "{cert}");
    }
    let run = dime(&dir.0, &["record", "verify-tls", record, "other.der"]).expect(1);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "dime: no `tls` signature by a `pok` matches the certificate\n");

    let bare = format!("ver=1 pok={pok}");
    let run = dime(&dir.0, &["record", "verify-tls", &bare, "dx.der"]).expect(1);
    assert_eq!(run.stderr, "dime: management record has no `tls` signature\n");

    // Bad input: not a certificate, a file over the limit, a bad record.
    dir.write("junk.der", b"not a certificate");
    let run = dime(&dir.0, &["record", "verify-tls", record, "junk.der"]).expect(2);
    assert_eq!(run.stderr, "dime: junk.der: certificate is not a single DER SEQUENCE\n");
    dir.write("huge.der", vec![0u8; 256 * 1024 + 1]);
    let run = dime(&dir.0, &["record", "verify-tls", record, "huge.der"]).expect(2);
    assert_eq!(run.stderr, "dime: huge.der: larger than the limit of 262144 bytes\n");
    let run = dime(&dir.0, &["record", "verify-tls", "ver=1", "dx.der"]).expect(2);
    assert_eq!(run.stderr, "dime: invalid management record: management record has no `pok` field\n");
}

#[test]
fn every_command_has_help() {
    let dir = TempDir::new("help");
    for path in [
        &[][..],
        &["keygen"],
        &["keygen", "org"],
        &["keygen", "user"],
        &["signet"],
        &["signet", "sign"],
        &["signet", "inspect"],
        &["signet", "verify"],
        &["record"],
        &["record", "generate"],
        &["record", "check"],
        &["record", "verify-tls"],
    ] {
        let mut args = path.to_vec();
        args.push("--help");
        let run = dime(&dir.0, &args).expect(0);
        let usage = ["Usage: dime", &path.join(" ")].join(" ");
        assert!(run.stdout.contains(usage.trim_end()), "{path:?}: {run:?}");
        assert_eq!(run.stderr, "");
    }
    let run = dime(&dir.0, &["signet", "verify", "--help"]).expect(0);
    assert!(run.stdout.contains("--pok <B64>"));
    let run = dime(&dir.0, &["--version"]).expect(0);
    assert_eq!(run.stdout, format!("dime {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    let run = dime(&dir.0, &["signet", "verify", "--bogus"]).expect(2);
    assert!(run.stderr.starts_with("dime: unexpected argument '--bogus' found"), "{run:?}");
    let run = dime(&dir.0, &["keygen", "org", "example.org"]).expect(2);
    assert!(run.stderr.starts_with("dime: the following required arguments were not provided"), "{run:?}");
    let run = dime(&dir.0, &["keygen", "org", "bad_host.org", "--out", "x"]).expect(2);
    assert!(run.stderr.contains("invalid host name \"bad_host.org\""), "{run:?}");
    let run = dime(&dir.0, &["signet", "verify", "x", "--pok", "AAAA"]).expect(2);
    assert!(run.stderr.contains("signing key decodes to 3 bytes, expected 32"), "{run:?}");
    let run = dime(&dir.0, &["signet"]).expect(2);
    assert!(run.stderr.contains("Usage: dime signet <COMMAND>"), "{run:?}");
    assert_eq!(run.stdout, "");
    let run = dime(&dir.0, &[]).expect(2);
    assert!(run.stderr.contains("Usage: dime <COMMAND>"), "{run:?}");
}

#[test]
fn existing_files_are_not_overwritten_without_force() {
    let dir = TempDir::new("force");
    make_org(&dir);
    let key = dir.read("org.key");
    let signet = dir.read("org.signet");

    let run = dime(&dir.0, &["keygen", "org", "example.org", "--out", "org"]).expect(2);
    assert_eq!(run.stderr, "dime: org.key: already exists (use --force to overwrite)\n");
    assert_eq!(run.stdout, "");
    assert_eq!((dir.read("org.key"), dir.read("org.signet")), (key.clone(), signet.clone()));

    // All or nothing: an existing second file stops the first from being written.
    dir.write("alice.ssr", "keep");
    let run = dime(&dir.0, &["keygen", "user", "alice@example.org", "--out", "alice"]).expect(2);
    assert_eq!(run.stderr, "dime: alice.ssr: already exists (use --force to overwrite)\n");
    assert!(!dir.join("alice.key").exists());
    assert_eq!(dir.read("alice.ssr"), "keep");

    // A directory that does not exist: nothing is left behind.
    let run = dime(&dir.0, &["keygen", "org", "example.org", "--out", "missing/org"]).expect(2);
    assert_eq!(run.stderr, "dime: missing/org.key: No such file or directory (os error 2)\n");
    assert!(!dir.join("missing").exists());

    // When the second file cannot be written, the first is removed again.
    fs::create_dir(dir.join("dir.signet")).unwrap();
    let run = dime(&dir.0, &["keygen", "org", "example.org", "--out", "dir", "--force"]).expect(2);
    assert_eq!(run.stderr, "dime: dir.signet: Is a directory (os error 21)\n");
    assert!(!dir.join("dir.key").exists());

    // sign refuses an existing --out too.
    dime(&dir.0, &["keygen", "user", "alice@example.org", "--out", "alice", "--force"]).expect(0);
    dir.write("alice.signet", "keep");
    let run = sign(&dir, "alice.ssr", "alice.signet", &[]).expect(2);
    assert_eq!(run.stderr, "dime: alice.signet: already exists (use --force to overwrite)\n");
    assert_eq!(dir.read("alice.signet"), "keep");
    sign(&dir, "alice.ssr", "alice.signet", &["--force"]).expect(0);
    assert!(dir.read("alice.signet").starts_with("-----BEGIN USER SIGNET-----\n"));

    // --force replaces the org files, and the key file is 0600 even if it was not before.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.join("org.key"), fs::Permissions::from_mode(0o644)).unwrap();
    }
    dime(&dir.0, &["keygen", "org", "example.org", "--out", "org", "--force"]).expect(0);
    assert_ne!(dir.read("org.key"), key);
    assert_ne!(dir.read("org.signet"), signet);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(dir.join("org.key")).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn key_inspect_shows_kind_and_public_keys_never_secrets() {
    let dir = TempDir::new("keyinspect");
    let record = make_org(&dir);
    dime(&dir.0, &["keygen", "user", "alice@example.org", "--out", "alice"]).expect(0);

    // The org key file's signing key is the POK its record names.
    let run = dime(&dir.0, &["key", "inspect", "org.key"]).expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "kind: org");
    assert_eq!(lines[1], "sealed: no");
    assert_eq!(lines[2], format!("signing key: {}", pok_of(&record)));
    assert!(lines[3].starts_with("encryption key: ") && lines[3].ends_with(" (x25519)"), "{run:?}");
    assert_eq!(lines.len(), 4);

    // No secret leaves: neither the Ed25519 seed nor the X25519 scalar, in any encoding.
    let keys = dime_signet::KeyFile::read(&fs::read(dir.join("alice.key")).unwrap()).unwrap();
    let json_run = dime(&dir.0, &["key", "inspect", "alice.key", "--json"]).expect(0);
    let text_run = dime(&dir.0, &["key", "inspect", "alice.key"]).expect(0);
    let seed = keys.signing.seed();
    let scalar = keys.encryption.encode();
    for secret in [&seed[..], &scalar[1..]] {
        for encoded in [base64::encode_unpadded(secret), secret.iter().map(|b| format!("{b:02x}")).collect()] {
            assert!(!json_run.stdout.contains(&encoded) && !text_run.stdout.contains(&encoded));
        }
    }
    let json: Value = serde_json::from_str(&json_run.stdout).unwrap();
    assert_eq!(
        json,
        json!({
            "kind": "user",
            "sealed": false,
            "signing_key": keys.signing_public().to_base64(),
            "encryption_key": base64::encode_unpadded(&keys.encryption.public().unwrap().encode()),
            "encryption_algorithm": "x25519",
        })
    );

    // A sealed key file shows its kind and nothing of its ciphertext.
    let sealed = dime_core::header::Header::wrap(dime_core::header::Magic::EncryptedUserKey, &[0x5a; 80]).unwrap();
    fs::write(dir.join("sealed.key"), &sealed).unwrap();
    let run = dime(&dir.0, &["key", "inspect", "sealed.key"]).expect(0);
    assert_eq!(run.stdout, "kind: user\nsealed: yes (the keys are encrypted; nothing more is shown)\n");

    // Anything else is named for what it is.
    let run = dime(&dir.0, &["key", "inspect", "org.signet"]).expect(2);
    assert_eq!(run.stderr, "dime: org.signet: expected a key file, found an organizational signet\n");
}
