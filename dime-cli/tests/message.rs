//! End-to-end tests of `dime message`: two organizations and a user in each, made with the
//! binary itself, then a message through encrypt, every actor's open, the origin's
//! countersignature and inspect.

mod common;

use std::fs;

use common::{Run, TempDir, dime};
use dime_core::armor::{self, Form, Label};
use dime_core::base64;
use dime_core::limits::ObjectLimits;
use serde_json::{Value, json};

const DATE: &str = "Tue, 1 Apr 2025 10:00:00 +0000";
const SUBJECT: &str = "Quarterly report";
const BODY: &str = "Hello Bob,\r\nthe report is attached.\r\n";
const HTML: &str = "<p>Hello Bob</p>\n";
/// Attachment bytes that are not UTF-8.
const DATA: &[u8] = &[0xff, 0x00, 0xfe, 0x01, 0x80, 0x7f];

/// Org example.org (origin.key, origin.signet) with alice@example.org (alice.key, alice.signet),
/// org example.net (destination.*) with bob@example.net (bob.*), the four signets also in
/// `signets/`, and the content files.
fn world(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    for (domain, org) in [("example.org", "origin"), ("example.net", "destination")] {
        dime(&dir.0, &["keygen", "org", domain, "--out", org]).expect(0);
    }
    for (address, user, org) in [("alice@example.org", "alice", "origin"), ("bob@example.net", "bob", "destination")] {
        dime(&dir.0, &["keygen", "user", address, "--out", user]).expect(0);
        let ssr = format!("{user}.ssr");
        let (org_key, org_signet, out) = (format!("{org}.key"), format!("{org}.signet"), format!("{user}.signet"));
        let args =
            ["signet", "sign", &ssr, "--org-key", &org_key, "--org-signet", &org_signet, "--address", address, "--out"];
        let mut args = args.to_vec();
        args.push(&out);
        dime(&dir.0, &args).expect(0);
    }
    fs::create_dir(dir.join("signets")).unwrap();
    for signet in ["origin", "destination", "alice", "bob"] {
        fs::copy(dir.join(&format!("{signet}.signet")), dir.join(&format!("signets/{signet}.signet"))).unwrap();
    }
    dir.write("body.txt", BODY);
    dir.write("page.html", HTML);
    dir.write("data.bin", DATA);
    dir.write("notes.txt", "notes");
    dir
}

/// Encrypts the standard message from alice to bob into `out`, signets from the folder. An
/// option of `extra` that the standard message has replaces its value; others are added.
fn encrypt(dir: &TempDir, out: &str, extra: &[&str]) -> Run {
    let mut single = [
        ("--key", "alice.key"),
        ("--signets", "signets"),
        ("--from", "Alice <alice@example.org>"),
        ("--to", "Bob <bob@example.net>"),
        ("--cc", "carol@example.com"),
        ("--subject", SUBJECT),
        ("--date", DATE),
        ("--out", out),
    ];
    let mut added = Vec::new();
    let mut rest = extra.iter();
    while let Some(arg) = rest.next() {
        match single.iter_mut().find(|(option, _)| option == arg) {
            Some(entry) => entry.1 = rest.next().unwrap(),
            None => added.push(*arg),
        }
    }
    let mut args = vec!["message", "encrypt"];
    args.extend(single.iter().flat_map(|(option, value)| [*option, *value]));
    args.extend(["--header", "X-Priority: 1", "--header", "X-Mailer:dime"]);
    args.extend(["--body", "body.txt", "--body", "page.html", "text/html"]);
    args.extend(["--attach", "data.bin", "--attach", "notes.txt", "text/plain"]);
    args.extend(added);
    dime(&dir.0, &args)
}

/// Opens `file` as `actor` with its key and the signets folder, plus `extra`.
fn open(dir: &TempDir, file: &str, actor: &str, extra: &[&str]) -> Run {
    let key = match actor {
        "author" => "alice.key",
        "origin" => "origin.key",
        "destination" => "destination.key",
        _ => "bob.key",
    };
    let mut args = vec!["message", "open", file, "--as", actor, "--key", key, "--signets", "signets"];
    args.extend(extra);
    dime(&dir.0, &args)
}

/// The object inside a message file.
fn object(dir: &TempDir, file: &str) -> Vec<u8> {
    armor::read_object(&fs::read(dir.join(file)).unwrap(), &ObjectLimits::default()).unwrap().1
}

fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// The crypto fingerprint `dime signet inspect` gives for a signet file.
fn crypto_fingerprint(dir: &TempDir, signet: &str) -> String {
    let run = dime(&dir.0, &["signet", "inspect", signet, "--json"]).expect(0);
    run.json()["fingerprints"]["crypto"].as_str().unwrap().to_string()
}

/// The JSON of each party as the views show it.
fn parties(dir: &TempDir) -> (Value, Value, Value, Value) {
    let party = |key: &str, name: &str, signet: &str| json!({ key: name, "signet": crypto_fingerprint(dir, signet) });
    (
        party("address", "alice@example.org", "alice.signet"),
        party("domain", "example.org", "origin.signet"),
        party("domain", "example.net", "destination.signet"),
        party("address", "bob@example.net", "bob.signet"),
    )
}

const FULL_KEYS: [&str; 12] = [
    "actor",
    "attachments",
    "author",
    "countersigned",
    "destination",
    "display",
    "headers",
    "origin",
    "other_headers",
    "protection",
    "recipient",
    "tracing",
];

/// Checks everything the author and the recipient read.
fn assert_full_view(value: &Value, dir: &TempDir, actor: &str, countersigned: bool, saved: [Value; 2]) {
    let (author, origin, destination, recipient) = parties(dir);
    assert_eq!(keys_of(value), FULL_KEYS);
    assert_eq!(value["actor"], json!(actor));
    assert_eq!(value["countersigned"], json!(countersigned));
    assert_eq!(value["tracing"], Value::Null);
    assert_eq!(value["author"], author);
    assert_eq!(value["origin"], origin);
    assert_eq!(value["destination"], destination);
    assert_eq!(value["recipient"], recipient);
    assert_eq!(
        value["headers"],
        json!({
            "date": DATE,
            "from": "Alice <alice@example.org>",
            "to": "Bob <bob@example.net>",
            "cc": "carol@example.com",
            "organization": null,
            "subject": SUBJECT,
        })
    );
    assert_eq!(value["other_headers"], json!(["X-Priority: 1", "X-Mailer: dime"]));
    assert_eq!(
        value["display"],
        json!([
            { "content_type": "text/plain; charset=utf-8", "file_name": null, "length": BODY.len(), "text": BODY },
            { "content_type": "text/html", "file_name": null, "length": HTML.len(), "text": HTML },
        ])
    );
    let [data_saved, notes_saved] = saved;
    assert_eq!(
        value["attachments"],
        json!([
            { "content_type": "application/octet-stream", "file_name": "data.bin", "length": DATA.len(), "saved_to": data_saved },
            { "content_type": "text/plain", "file_name": "notes.txt", "length": 5, "saved_to": notes_saved },
        ])
    );
}

/// The chunk names of the standard message, in order.
const CHUNK_NAMES: [&str; 14] = [
    "ephemeral",
    "origin",
    "destination",
    "common headers",
    "other headers",
    "display",
    "display",
    "attachment",
    "attachment",
    "tree signature",
    "author full signature",
    "origin meta-bounce signature",
    "origin display-bounce signature",
    "origin full signature",
];

fn column<'a>(layout: &'a Value, key: &str) -> Vec<&'a Value> {
    layout["chunks"].as_array().unwrap().iter().map(|c| &c[key]).collect()
}

#[test]
fn every_actor_sees_exactly_its_view() {
    let dir = world("flow");
    let run = encrypt(&dir, "msg.dime", &[]).expect(0);
    let bytes = object(&dir, "msg.dime");
    assert_eq!(
        run.stdout,
        format!(
            "author: alice@example.org\norigin: example.org\ndestination: example.net\n\
             recipient: bob@example.net\nbytes: {}\n",
            bytes.len()
        )
    );
    assert!(dir.read("msg.dime").starts_with("-----BEGIN ENCRYPTED MESSAGE-----\n"));

    // The layout, without a key: the chunk types in order, contiguous, placeholders unsealed.
    let layout = dime(&dir.0, &["message", "inspect", "msg.dime", "--json"]).expect(0).json();
    assert_eq!(keys_of(&layout), ["chunks", "countersigned", "hybrid_keyslots", "length", "protection", "tracing"]);
    // keygen writes hybrid keys by default (D8): every keyslot is hybrid.
    assert_eq!(layout["hybrid_keyslots"], json!(15));
    assert_eq!(layout["protection"], json!("fully post-quantum protected"));
    assert_eq!(layout["length"], json!(bytes.len()));
    assert_eq!(layout["countersigned"], json!(false));
    assert_eq!(layout["tracing"], Value::Null);
    assert_eq!(column(&layout, "name"), CHUNK_NAMES.map(|n| json!(n)).iter().collect::<Vec<_>>());
    let types: Vec<u64> = column(&layout, "type").iter().map(|t| t.as_u64().unwrap()).collect();
    assert_eq!(types, [2, 4, 5, 33, 34, 67, 67, 131, 131, 225, 226, 248, 249, 255]);
    let chunks = layout["chunks"].as_array().unwrap();
    for (i, pair) in chunks.windows(2).enumerate() {
        let end = pair[0]["offset"].as_u64().unwrap() + pair[0]["length"].as_u64().unwrap();
        assert_eq!(pair[1]["offset"].as_u64().unwrap(), end, "chunk {}", i + 1);
        assert_eq!(pair[1]["index"], json!(i + 1));
    }
    let last = chunks.last().unwrap();
    assert_eq!(last["offset"].as_u64().unwrap() + last["length"].as_u64().unwrap(), bytes.len() as u64);
    assert_eq!(
        chunks[0],
        json!({
            // Hybrid for all four (D8): 35 + 4 × 1,088 bytes.
            "index": 0, "offset": 6, "type": 2, "name": "ephemeral", "flags": 0, "body_length": 4387,
            "keyslots": [], "length": 4393,
        })
    );
    assert_eq!(chunks[1]["keyslots"], json!(["author", "origin", "recipient"]));
    assert_eq!(chunks[2]["keyslots"], json!(["author", "destination", "recipient"]));
    assert_eq!(chunks[5]["keyslots"], json!(["author", "recipient"]));
    assert_eq!(chunks[13]["keyslots"], json!(["author", "origin", "destination", "recipient"]));
    assert_eq!(column(&layout, "body_length")[11..], [&json!(0), &json!(0), &json!(0)]);

    // The author reads its own copy before the origin has countersigned it.
    let value = open(&dir, "msg.dime", "author", &["--json"]).expect(0).json();
    assert_full_view(&value, &dir, "author", false, [Value::Null, Value::Null]);

    // The origin: the author and the destination organization, nothing else.
    let run = open(&dir, "msg.dime", "origin", &["--json", "--countersign-out", "relayed.dime"]).expect(0);
    let value = run.json();
    let (author, origin, destination, recipient) = parties(&dir);
    assert_eq!(
        value,
        json!({
            "actor": "origin",
            "countersigned": false,
            "tracing": null,
            "author": author,
            "destination": destination,
            "relayed": "relayed.dime",
        })
    );
    for hidden in ["bob", SUBJECT, "Priority", "data.bin", "Hello"] {
        assert!(!run.stdout.contains(hidden), "the origin sees {hidden:?}: {run:?}");
    }
    assert!(dir.read("relayed.dime").starts_with("-----BEGIN ENCRYPTED MESSAGE-----\n"));

    // Relaying sealed the three origin signatures and left the author's chunks alone.
    let relayed_layout = dime(&dir.0, &["message", "inspect", "relayed.dime", "--json"]).expect(0).json();
    assert_eq!(relayed_layout["countersigned"], json!(true));
    assert_eq!(column(&relayed_layout, "body_length")[11..], [&json!(112), &json!(112), &json!(112)]);
    assert_eq!(relayed_layout["chunks"].as_array().unwrap()[..11], chunks[..11]);
    let relayed = object(&dir, "relayed.dime");
    let author_part = chunks[11]["offset"].as_u64().unwrap() as usize;
    assert_eq!(relayed[6..author_part], bytes[6..author_part]);

    // The destination: the origin organization and the recipient, nothing else.
    let run = open(&dir, "relayed.dime", "destination", &["--json"]).expect(0);
    assert_eq!(
        run.json(),
        json!({
            "actor": "destination",
            "countersigned": true,
            "tracing": null,
            "origin": origin,
            "recipient": recipient,
        })
    );
    for hidden in ["alice", SUBJECT, "Priority", "data.bin", "Hello"] {
        assert!(!run.stdout.contains(hidden), "the destination sees {hidden:?}: {run:?}");
    }

    // The recipient reads everything and saves the attachments, private to the user.
    fs::create_dir(dir.join("inbox")).unwrap();
    let run = open(&dir, "relayed.dime", "recipient", &["--json", "--save-attachments", "inbox"]).expect(0);
    assert_full_view(&run.json(), &dir, "recipient", true, [json!("inbox/data.bin"), json!("inbox/notes.txt")]);
    assert_eq!(fs::read(dir.join("inbox/data.bin")).unwrap(), DATA);
    assert_eq!(dir.read("inbox/notes.txt"), "notes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(dir.join("inbox/data.bin")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Saving again does not overwrite without --force.
    let run = open(&dir, "relayed.dime", "recipient", &["--save-attachments", "inbox"]).expect(2);
    assert_eq!(run.stderr, "dime: inbox/data.bin: already exists (use --force to overwrite)\n");
    open(&dir, "relayed.dime", "recipient", &["--save-attachments", "inbox", "--force"]).expect(0);

    // The author's relayed copy: the countersignature is checked too.
    let value = open(&dir, "relayed.dime", "author", &["--json"]).expect(0).json();
    assert_full_view(&value, &dir, "author", true, [Value::Null, Value::Null]);
}

#[test]
fn text_views_list_what_each_actor_sees() {
    let dir = world("text");
    encrypt(&dir, "msg.dime", &[]).expect(0);
    let run = open(&dir, "msg.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(0);
    let lines: Vec<&str> = run.stdout.lines().map(|l| l.split(": ").next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "actor",
            "countersigned",
            "author",
            "author signet",
            "destination",
            "destination signet",
            "tracing",
            "relayed"
        ]
    );
    assert_eq!(run.line("author signet"), crypto_fingerprint(&dir, "alice.signet"));
    assert_eq!(run.line("relayed"), "relayed.dime");

    let run = open(&dir, "relayed.dime", "destination", &[]).expect(0);
    assert_eq!(
        run.stdout,
        format!(
            "actor: destination\ncountersigned: yes\norigin: example.org\norigin signet: {}\n\
             recipient: bob@example.net\nrecipient signet: {}\ntracing: (none)\n",
            crypto_fingerprint(&dir, "origin.signet"),
            crypto_fingerprint(&dir, "bob.signet")
        )
    );

    let run = open(&dir, "relayed.dime", "recipient", &[]).expect(0);
    assert_eq!(run.line("countersigned"), "yes");
    assert_eq!(run.line("author"), "alice@example.org");
    assert_eq!(run.line("subject"), SUBJECT);
    assert_eq!(run.line("cc"), "carol@example.com");
    assert!(!run.stdout.contains("organization:"));
    assert_eq!(run.line("header"), "X-Priority: 1");
    assert_eq!(run.line("display 1"), "text/plain; charset=utf-8, 37 bytes");
    assert_eq!(run.line("display 2"), "text/html, 17 bytes");
    assert_eq!(run.line("attachment 1"), "application/octet-stream, data.bin, 6 bytes");
    assert_eq!(run.line("attachment 2"), "text/plain, notes.txt, 5 bytes");
    // The display texts follow the list, each after a blank line, with LF line ends.
    let (_, texts) = run.stdout.split_once("\n\n").unwrap();
    assert_eq!(texts, "Hello Bob,\nthe report is attached.\n\n<p>Hello Bob</p>\n");
}

#[test]
fn signets_given_as_files_and_every_input_form() {
    let dir = world("files");
    let args = [
        "message",
        "encrypt",
        "--key",
        "alice.key",
        "--author",
        "alice.signet",
        "--origin",
        "origin.signet",
        "--destination",
        "destination.signet",
        "--recipient",
        "bob.signet",
        "--from",
        "alice@example.org",
        "--to",
        "Bob and Carol",
        "--subject",
        "",
        "--out",
        "msg.bin",
        "--binary",
    ];
    dime(&dir.0, &args).expect(0);
    let bytes = fs::read(dir.join("msg.bin")).unwrap();
    assert_eq!(bytes[..2], [0x07, 0x37], "magic 1847");

    let signets = ["--author", "alice.signet", "--origin", "origin.signet"];
    let relay = ["message", "open", "msg.bin", "--as", "origin", "--key", "origin.key", "--countersign-out"];
    let mut relay = relay.to_vec();
    relay.extend(["relayed.bin", "--binary", "--json"]);
    relay.extend(signets);
    dime(&dir.0, &relay).expect(0);
    let relayed = fs::read(dir.join("relayed.bin")).unwrap();
    // The three sealed origin signatures: 112 bytes each.
    assert_eq!(relayed.len(), bytes.len() + 3 * 112);

    // Binary, bare base64 and armor all open the same way.
    dir.write("relayed.b64", base64::encode_padded(&relayed));
    dir.write("relayed.asc", armor::encode(Label::EncryptedMessage, &relayed));
    let (form, _) = armor::read_object(dir.read("relayed.asc").as_bytes(), &ObjectLimits::default()).unwrap();
    assert_eq!(form, Form::Armored(Label::EncryptedMessage));
    let mut views = Vec::new();
    for file in ["relayed.bin", "relayed.b64", "relayed.asc"] {
        let mut args = vec!["message", "open", file, "--as", "recipient", "--key", "bob.key", "--json"];
        args.extend(signets);
        args.extend(["--recipient", "bob.signet"]);
        let value = dime(&dir.0, &args).expect(0).json();
        assert_eq!(value["headers"]["to"], json!("Bob and Carol"));
        assert_eq!(value["headers"]["subject"], json!(""));
        assert_eq!(value["display"], json!([]));
        assert_eq!(value["attachments"], json!([]));
        assert_eq!(value["other_headers"], json!([]));
        views.push(value);
    }
    assert!(views.windows(2).all(|w| w[0] == w[1]));
    // The recipient's own signet is needed, and must hold the key file's encryption key.
    let mut args = vec!["message", "open", "relayed.bin", "--as", "recipient", "--key", "bob.key"];
    args.extend(signets);
    let run = dime(&dir.0, &args).expect(2);
    assert_eq!(run.stderr, "dime: the recipient signet is needed: give --recipient FILE or --signets DIR\n");
    args.extend(["--recipient", "alice.signet"]);
    let run = dime(&dir.0, &args).expect(2);
    assert_eq!(
        run.stderr,
        "dime: alice.signet: not the recipient signet the message names (whose encryption key is the key file's)\n"
    );

    // The destination needs only the origin's signet.
    let args = ["message", "open", "relayed.b64", "--as", "destination", "--key", "destination.key"];
    let mut args = args.to_vec();
    args.extend(["--origin", "origin.signet"]);
    dime(&dir.0, &args).expect(0);

    // Without --date the Date header is now, in RFC 5322 form.
    let value = open(&dir, "relayed.bin", "recipient", &["--json"]).expect(0).json();
    let date = value["headers"]["date"].as_str().unwrap();
    let parts: Vec<&str> = date.split(' ').collect();
    assert_eq!(parts.len(), 6, "{date}");
    assert!(["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"].contains(&parts[0]), "{date}");
    assert_eq!((parts[4].len(), parts[5]), (8, "+0000"), "{date}");
}

/// A copy of `file`'s object with byte `at` flipped, written binary to `out`.
fn tamper(dir: &TempDir, file: &str, at: usize, out: &str) {
    let mut bytes = object(dir, file);
    bytes[at] ^= 0x01;
    dir.write(out, bytes);
}

/// The offset of chunk `index` in a message file.
fn chunk_offset(dir: &TempDir, file: &str, index: usize) -> usize {
    let layout = dime(&dir.0, &["message", "inspect", file, "--json"]).expect(0).json();
    layout["chunks"][index]["offset"].as_u64().unwrap() as usize
}

#[test]
fn tampered_messages_exit_1_with_the_failed_check() {
    let dir = world("tamper");
    encrypt(&dir, "msg.dime", &[]).expect(0);
    open(&dir, "msg.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(0);
    // A ciphertext byte of the first display part (chunk 5), past its header and commitment.
    let display = chunk_offset(&dir, "relayed.dime", 5) + 6 + 40;
    tamper(&dir, "relayed.dime", display, "display.bin");
    let cases = [
        ("recipient", "chunk 5 does not match the signed digest list"),
        ("author", "chunk 5 does not match the signed digest list"),
        ("destination", "origin display-bounce signature does not verify"),
    ];
    for (actor, reason) in cases {
        let run = open(&dir, "display.bin", actor, &["--json"]).expect(1);
        assert_eq!(run.stdout, "", "{actor}");
        assert_eq!(run.stderr, format!("dime: display.bin: rejected: {reason}\n"), "{actor}");
    }
    // The last byte is a keyslot of the origin's full signature.
    let last = object(&dir, "relayed.dime").len() - 1;
    tamper(&dir, "relayed.dime", last, "last.bin");
    for (actor, reason) in [("recipient", "author full"), ("destination", "origin full")] {
        let run = open(&dir, "last.bin", actor, &[]).expect(1);
        assert_eq!(run.stderr, format!("dime: last.bin: rejected: {reason} signature does not verify\n"));
    }
    // A sealed origin signature: its key commitment no longer matches.
    let sealed = chunk_offset(&dir, "relayed.dime", 11) + 6 + 10;
    tamper(&dir, "relayed.dime", sealed, "sealed.bin");
    let run = open(&dir, "sealed.bin", "destination", &[]).expect(1);
    assert_eq!(run.stderr, "dime: sealed.bin: rejected: chunk 11: key commitment mismatch\n");

    // The origin refuses to countersign a tampered message and writes nothing.
    tamper(&dir, "msg.dime", display, "unsent.bin");
    let run = open(&dir, "unsent.bin", "origin", &["--countersign-out", "out.dime"]).expect(1);
    assert_eq!(run.stderr, "dime: unsent.bin: rejected: chunk 5 does not match the signed digest list\n");
    assert!(!dir.join("out.dime").exists());
    // Attachments are not saved from a message that does not verify.
    fs::create_dir(dir.join("inbox")).unwrap();
    open(&dir, "display.bin", "recipient", &["--save-attachments", "inbox"]).expect(1);
    assert_eq!(fs::read_dir(dir.join("inbox")).unwrap().count(), 0);

    // A message the origin never countersigned is refused by the recipient and destination.
    for actor in ["recipient", "destination"] {
        let run = open(&dir, "msg.dime", actor, &[]).expect(1);
        assert_eq!(run.stderr, "dime: msg.dime: rejected: the object is not countersigned by the origin\n");
    }

    // Broken armor or structure is malformed input (exit 2), like the other commands.
    let armored = dir.read("relayed.dime");
    let body_line = armored.lines().nth(1).unwrap();
    let flipped = if body_line.starts_with('A') { "B" } else { "A" };
    dir.write("crc.dime", armored.replacen(body_line, &format!("{flipped}{}", &body_line[1..]), 1));
    let run = open(&dir, "crc.dime", "recipient", &[]).expect(2);
    assert!(run.stderr.starts_with("dime: crc.dime: malformed message: armor: CRC-24 mismatch"), "{run:?}");
    let bytes = object(&dir, "relayed.dime");
    dir.write("short.bin", &bytes[..bytes.len() - 1]);
    let run = dime(&dir.0, &["message", "inspect", "short.bin"]).expect(2);
    assert_eq!(
        run.stderr,
        format!(
            "dime: short.bin: malformed message: message header declares {} bytes but {} follow\n",
            bytes.len() - 6,
            bytes.len() - 7
        )
    );
}

#[test]
fn a_wrong_key_exits_2_naming_the_key() {
    let dir = world("wrongkey");
    encrypt(&dir, "msg.dime", &[]).expect(0);
    open(&dir, "msg.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(0);
    let run = dime(
        &dir.0,
        &["message", "open", "relayed.dime", "--as", "recipient", "--key", "alice.key", "--signets", "signets"],
    )
    .expect(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "dime: relayed.dime: alice.key does not open the recipient keyslot \
         (the message is not for this recipient key, or it was altered)\n"
    );
    let run =
        dime(&dir.0, &["message", "open", "relayed.dime", "--as", "destination", "--key", "origin.key"]).expect(2);
    assert_eq!(
        run.stderr,
        "dime: relayed.dime: origin.key does not open the destination keyslot \
         (the message is not for this destination key, or it was altered)\n"
    );
    // The right key for another role.
    let run = dime(&dir.0, &["message", "open", "relayed.dime", "--as", "author", "--key", "bob.key"]).expect(2);
    assert_eq!(
        run.stderr,
        "dime: relayed.dime: bob.key does not open the author keyslot \
         (the message is not for this author key, or it was altered)\n"
    );
    // A key file of the wrong kind for the actor.
    let run = dime(&dir.0, &["message", "open", "relayed.dime", "--as", "recipient", "--key", "destination.key"]);
    assert_eq!(
        run.expect(2).stderr,
        "dime: destination.key: the recipient needs a user key file, found an organizational key file\n"
    );
    // A file that is no key file at all is named for what it holds, in words.
    let run = dime(&dir.0, &["message", "open", "relayed.dime", "--as", "destination", "--key", "relayed.dime"]);
    assert_eq!(
        run.expect(2).stderr,
        "dime: relayed.dime: the destination needs an organizational key file, found an encrypted message\n"
    );
    // The origin's key must be the one of the origin signet it checks the author against.
    dime(&dir.0, &["keygen", "org", "example.org", "--out", "impostor"]).expect(0);
    let args = ["message", "open", "msg.dime", "--as", "origin", "--key", "impostor.key", "--origin", "origin.signet"];
    let run = dime(&dir.0, &args).expect(2);
    assert_eq!(
        run.stderr,
        "dime: msg.dime: impostor.key does not open the origin keyslot \
         (the message is not for this origin key, or it was altered)\n"
    );
    let args = ["message", "open", "msg.dime", "--as", "origin", "--key", "origin.key", "--origin", "impostor.signet"];
    let mut args = args.to_vec();
    args.extend(["--author", "alice.signet"]);
    let run = dime(&dir.0, &args).expect(2);
    assert_eq!(run.stderr, "dime: origin.key: not the key of the origin signet impostor.signet\n");
}

#[test]
fn open_refuses_what_the_actor_does_not_do() {
    let dir = world("refuse");
    encrypt(&dir, "msg.dime", &[]).expect(0);
    open(&dir, "msg.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(0);

    let run = open(&dir, "relayed.dime", "origin", &["--countersign-out", "again.dime"]).expect(2);
    assert_eq!(run.stderr, "dime: relayed.dime: the object is already countersigned\n");
    assert!(!dir.join("again.dime").exists());
    let run = open(&dir, "msg.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(2);
    assert_eq!(run.stderr, "dime: relayed.dime: already exists (use --force to overwrite)\n");

    for (actor, extra, message) in [
        ("recipient", &["--countersign-out", "x"][..], "--countersign-out is only used with --as origin"),
        (
            "destination",
            &["--save-attachments", "."][..],
            "--save-attachments is only used with --as author or recipient",
        ),
        ("origin", &["--save-attachments", "."][..], "--save-attachments is only used with --as author or recipient"),
        (
            "destination",
            &["--author", "alice.signet"][..],
            "--author is only used with --as author, origin or recipient",
        ),
    ] {
        let run = open(&dir, "relayed.dime", actor, extra).expect(2);
        assert_eq!(run.stderr, format!("dime: {message}\n"), "{actor} {extra:?}");
    }
    let run = open(&dir, "relayed.dime", "recipient", &["--binary"]).expect(2);
    assert!(run.stderr.contains("the following required arguments were not provided"), "{run:?}");
    let run = open(&dir, "relayed.dime", "reader", &[]).expect(2);
    assert!(run.stderr.starts_with("dime: invalid value 'reader' for '--as <ACTOR>'"), "{run:?}");
    assert!(run.stderr.contains("[possible values: author, origin, destination, recipient]"), "{run:?}");

    // Other objects are named for what they are.
    let run = dime(&dir.0, &["message", "inspect", "bob.signet"]).expect(2);
    assert_eq!(run.stderr, "dime: bob.signet: expected an encrypted message, found a user signet\n");
    let run = open(&dir, "origin.key", "destination", &[]).expect(2);
    assert_eq!(run.stderr, "dime: origin.key: expected an encrypted message, found an organizational key file\n");
}

#[test]
fn signets_are_found_validated_or_refused() {
    let dir = world("signets");
    // Nothing to find the signets in.
    let args = ["message", "encrypt", "--key", "alice.key", "--from", "a", "--to", "bob@example.net"];
    let mut args = args.to_vec();
    args.extend(["--subject", "s", "--out", "x.dime"]);
    let run = dime(&dir.0, &args).expect(2);
    assert_eq!(run.stderr, "dime: the author signet is needed: give --author FILE or --signets DIR\n");
    let run = open(&dir, "x.dime", "recipient", &[]);
    assert!(run.stderr.starts_with("dime: x.dime: "), "{run:?}");

    // The recipient is found by the address in --to.
    let run = encrypt(&dir, "x.dime", &["--to", "Carol <carol@example.net>"]).expect(2);
    assert_eq!(run.stderr, "dime: signets: no recipient signet for carol@example.net\n");
    let run = encrypt(&dir, "x.dime", &["--to", "Bob"]).expect(2);
    assert_eq!(
        run.stderr,
        "dime: --to \"Bob\" holds no address to find the recipient signet by (give --recipient FILE)\n"
    );
    assert!(!dir.join("x.dime").exists());

    // A second, different signet for the same address is ambiguous.
    let args = ["signet", "sign", "bob.ssr", "--org-key", "destination.key", "--org-signet", "destination.signet"];
    let mut args = args.to_vec();
    args.extend(["--address", "bob@example.net", "--name", "Bob", "--out", "signets/bob2.signet"]);
    dime(&dir.0, &args).expect(0);
    let run = encrypt(&dir, "x.dime", &[]).expect(2);
    assert_eq!(
        run.stderr,
        "dime: signets/bob.signet and signets/bob2.signet both match the recipient signet for bob@example.net\n"
    );
    // A file given explicitly settles it.
    encrypt(&dir, "x.dime", &["--recipient", "bob.signet"]).expect(0);
    fs::remove_file(dir.join("signets/bob2.signet")).unwrap();

    // A malformed signet file in the folder is an error, not skipped.
    dir.write("signets/broken.signet", "-----BEGIN USER SIGNET-----\n");
    let run = encrypt(&dir, "y.dime", &[]).expect(2);
    assert!(run.stderr.starts_with("dime: signets/broken.signet: malformed: "), "{run:?}");
    fs::remove_file(dir.join("signets/broken.signet")).unwrap();

    // A user signet issued by another key for the same domain does not validate.
    dime(&dir.0, &["keygen", "org", "example.org", "--out", "impostor"]).expect(0);
    let args = ["signet", "sign", "alice.ssr", "--org-key", "impostor.key", "--org-signet", "impostor.signet"];
    let mut args = args.to_vec();
    args.extend(["--address", "alice@example.org", "--out", "forged.signet"]);
    dime(&dir.0, &args).expect(0);
    let run = encrypt(&dir, "y.dime", &["--author", "forged.signet"]).expect(1);
    assert_eq!(run.stderr, "dime: forged.signet: the author signet is invalid: signature field 6 does not verify\n");
    assert!(!dir.join("y.dime").exists());

    // When opening, a signet file must be the one the message names.
    open(&dir, "x.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(0);
    let run = open(&dir, "relayed.dime", "recipient", &["--author", "forged.signet"]).expect(2);
    assert_eq!(
        run.stderr,
        format!(
            "dime: forged.signet: not the author signet the message names \
             (for alice@example.org with crypto fingerprint {})\n",
            crypto_fingerprint(&dir, "alice.signet")
        )
    );
    // And the folder must hold it.
    fs::remove_file(dir.join("signets/origin.signet")).unwrap();
    let run = open(&dir, "relayed.dime", "destination", &[]).expect(2);
    assert_eq!(
        run.stderr,
        format!(
            "dime: signets: no origin signet for example.org with crypto fingerprint {}\n",
            crypto_fingerprint(&dir, "origin.signet")
        )
    );
}

#[test]
fn a_rotated_author_is_picked_by_its_key() {
    let dir = world("rotate");
    dime(&dir.0, &["keygen", "user", "alice@example.org", "--out", "alice2", "--previous-key", "alice.key"]).expect(0);
    let args = ["signet", "sign", "alice2.ssr", "--org-key", "origin.key", "--org-signet", "origin.signet"];
    let mut args = args.to_vec();
    args.extend(["--address", "alice@example.org", "--previous", "alice.signet", "--out", "signets/alice2.signet"]);
    dime(&dir.0, &args).expect(0);

    // Both of alice's signets are in the folder; the new key picks the new one, whose custody
    // signature is not needed to write a message.
    encrypt(&dir, "msg.dime", &["--key", "alice2.key"]).expect(0);
    open(&dir, "msg.dime", "origin", &["--countersign-out", "relayed.dime"]).expect(0);
    let value = open(&dir, "relayed.dime", "recipient", &["--json"]).expect(0).json();
    assert_eq!(value["author"]["signet"], json!(crypto_fingerprint(&dir, "signets/alice2.signet")));
    assert_ne!(value["author"]["signet"], json!(crypto_fingerprint(&dir, "alice.signet")));
    // The old key still picks the old signet.
    encrypt(&dir, "old.dime", &["--key", "alice.key"]).expect(0);
    let value = open(&dir, "old.dime", "author", &["--json"]).expect(0).json();
    assert_eq!(value["author"]["signet"], json!(crypto_fingerprint(&dir, "alice.signet")));

    // The author's relayed copy needs the origin's signet to check the countersignature.
    let args = ["message", "open", "relayed.dime", "--as", "author", "--key", "alice2.key", "--author"];
    let mut args = args.to_vec();
    args.push("signets/alice2.signet");
    let run = dime(&dir.0, &args).expect(2);
    assert_eq!(run.stderr, "dime: the origin signet is needed: give --origin FILE or --signets DIR\n");
}

#[test]
fn encrypt_refuses_bad_content_and_keys() {
    let dir = world("content");
    let run = encrypt(&dir, "x.dime", &["--body", "data.bin"]).expect(2);
    assert_eq!(run.stderr, "dime: data.bin: not UTF-8 text (give its content type after the file name)\n");
    let run = encrypt(&dir, "x.dime", &["--attach", "notes.txt", "text/\u{7f}"]).expect(2);
    assert_eq!(run.stderr, "dime: notes.txt: part descriptor: content type is not 1 to 255 printable ASCII bytes\n");
    let run = encrypt(&dir, "x.dime", &["--attach", "missing.bin"]).expect(2);
    assert!(run.stderr.starts_with("dime: missing.bin: "), "{run:?}");
    let run = encrypt(&dir, "x.dime", &["--header", "Subject: again"]).expect(2);
    assert!(run.stderr.contains("Subject is a common header: use --subject"), "{run:?}");
    let run = encrypt(&dir, "x.dime", &["--header", "X-Bad: a\u{1b}b"]).expect(2);
    assert!(run.stderr.contains("the value holds a control character"), "{run:?}");
    let run = encrypt(&dir, "x.dime", &["--subject", "line\nbreak"]).expect(2);
    assert_eq!(run.stderr, "dime: cannot compose the message: common headers: control character in a value\n");
    assert!(!dir.join("x.dime").exists());

    // Content over the message limit is refused before it is read (sparse files).
    let limit = 64 << 20;
    fs::File::create(dir.join("huge.bin")).unwrap().set_len(limit + 1).unwrap();
    let run = encrypt(&dir, "x.dime", &["--attach", "huge.bin"]).expect(2);
    assert_eq!(run.stderr, format!("dime: huge.bin: the message content would exceed the limit of {limit} bytes\n"));
    fs::File::create(dir.join("half.bin")).unwrap().set_len(limit / 2 + 1).unwrap();
    let run = encrypt(&dir, "x.dime", &["--attach", "half.bin", "--attach", "half.bin"]).expect(2);
    assert_eq!(run.stderr, format!("dime: half.bin: the message content would exceed the limit of {limit} bytes\n"));
    // A binary object over the limit, and a file larger than any armored message.
    let run = dime(&dir.0, &["message", "inspect", "huge.bin"]).expect(2);
    assert_eq!(
        run.stderr,
        format!("dime: huge.bin: malformed message: object is {} bytes, over the limit of {limit}\n", limit + 1)
    );
    fs::File::create(dir.join("vast.bin")).unwrap().set_len(2 * limit).unwrap();
    let run = dime(&dir.0, &["message", "inspect", "vast.bin"]).expect(2);
    assert!(run.stderr.starts_with("dime: vast.bin: larger than the limit of "), "{run:?}");

    // The key must be the author's.
    let run = encrypt(&dir, "x.dime", &["--key", "bob.key", "--author", "alice.signet"]).expect(2);
    assert_eq!(run.stderr, "dime: bob.key: not the key of the author signet alice.signet\n");
    // With the folder, the key picks the author: bob's key writes as bob, a key without a
    // signet there writes as nobody.
    let run = encrypt(&dir, "x.dime", &["--key", "bob.key"]).expect(0);
    assert!(run.stdout.starts_with("author: bob@example.net\norigin: example.net\n"), "{run:?}");
    fs::remove_file(dir.join("x.dime")).unwrap();
    dime(&dir.0, &["keygen", "user", "mallory@example.org", "--out", "mallory"]).expect(0);
    let run = encrypt(&dir, "x.dime", &["--key", "mallory.key"]).expect(2);
    assert_eq!(run.stderr, "dime: signets: no author signet with the keys of mallory.key\n");
    let run = encrypt(&dir, "x.dime", &["--key", "origin.key"]).expect(2);
    assert_eq!(run.stderr, "dime: origin.key: the author needs a user key file, found an organizational key file\n");

    // An existing output file is kept unless --force.
    dir.write("x.dime", "keep");
    let run = encrypt(&dir, "x.dime", &[]).expect(2);
    assert_eq!(run.stderr, "dime: x.dime: already exists (use --force to overwrite)\n");
    assert_eq!(dir.read("x.dime"), "keep");
    encrypt(&dir, "x.dime", &["--force"]).expect(0);
    assert!(dir.read("x.dime").starts_with("-----BEGIN ENCRYPTED MESSAGE-----\n"));
}

#[test]
fn inspect_text_shows_the_layout() {
    let dir = world("inspect");
    encrypt(&dir, "msg.dime", &[]).expect(0);
    let run = dime(&dir.0, &["message", "inspect", "msg.dime"]).expect(0);
    assert_eq!(run.line("length"), object(&dir, "msg.dime").len().to_string());
    assert_eq!(run.line("tracing"), "(none)");
    assert_eq!(run.line("countersigned"), "no");
    let rows: Vec<Vec<&str>> =
        run.stdout.lines().skip_while(|l| *l != "chunks:").skip(2).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), CHUNK_NAMES.len());
    assert_eq!(run.line("protection"), "fully post-quantum protected (hybrid keyslots 0x0f)");
    assert_eq!(rows[0], ["0", "6", "2", "ephemeral", "0x00", "4387", "4393", "-"]);
    assert_eq!(rows[3][..4], ["3", rows[3][1], "33", "common"]);
    assert_eq!(*rows[13].last().unwrap(), "author,origin,destination,recipient");
    // Nothing secret is printed: the text names no address.
    assert!(!run.stdout.contains("example"), "{run:?}");
}

#[test]
fn every_message_command_has_help() {
    let dir = TempDir::new("message-help");
    for (path, options) in [
        (&["message"][..], &["encrypt", "open", "inspect"][..]),
        (
            &["message", "encrypt"][..],
            &[
                "--key <FILE>",
                "--signets <DIR>",
                "--recipient <FILE>",
                "--header <NAME: VALUE>",
                "--body <FILE> [TYPE]",
                "--attach <FILE> [TYPE]",
                "--binary",
            ][..],
        ),
        (
            &["message", "open"][..],
            &[
                "--as <ACTOR>",
                "[possible values: author, origin, destination, recipient]",
                "--countersign-out <FILE>",
                "--save-attachments <DIR>",
                "--json",
            ][..],
        ),
        (&["message", "inspect"][..], &["--json"][..]),
    ] {
        let mut args = path.to_vec();
        args.push("--help");
        let run = dime(&dir.0, &args).expect(0);
        assert!(run.stdout.contains(&format!("Usage: dime {}", path.join(" "))), "{path:?}: {run:?}");
        for option in options {
            assert!(run.stdout.contains(option), "{path:?} lacks {option:?}: {}", run.stdout);
        }
        assert_eq!(run.stderr, "");
    }
    let run = dime(&dir.0, &["message"]).expect(2);
    assert!(run.stderr.contains("Usage: dime message <COMMAND>"), "{run:?}");
}

#[test]
fn the_pq_policy_decides_the_keyslots_and_open_shows_the_protection() {
    let dir = world("pq");
    // Hybrid keys everywhere (keygen's default): `prefer` and `require` are fully protected.
    encrypt(&dir, "hybrid.dime", &["--pq", "require"]).expect(0);
    let run = open(&dir, "hybrid.dime", "author", &[]).expect(0);
    assert_eq!(run.line("protection"), "fully post-quantum protected");
    // `never` writes classical keyslots: inspect and open say so.
    encrypt(&dir, "classical.dime", &["--pq", "never"]).expect(0);
    let layout = dime(&dir.0, &["message", "inspect", "classical.dime", "--json"]).expect(0).json();
    assert_eq!((layout["hybrid_keyslots"].clone(), layout["protection"].clone()), (json!(0), json!("none")));
    let run = open(&dir, "classical.dime", "author", &["--json"]).expect(0);
    assert_eq!(run.json()["protection"], json!("none"));
    // Between hybrid parties the recipient refuses a classical message as a downgrade (D8).
    open(&dir, "classical.dime", "origin", &["--countersign-out", "classical-relayed.dime"]).expect(0);
    let run = open(&dir, "classical-relayed.dime", "recipient", &[]).expect(1);
    assert_eq!(
        run.stderr,
        "dime: classical-relayed.dime: rejected: post-quantum downgrade: the recipient's keyslot is classical \
         although both its signet and the author's are hybrid\n"
    );
    open(&dir, "hybrid.dime", "origin", &["--countersign-out", "hybrid-relayed.dime"]).expect(0);
    let run = open(&dir, "hybrid-relayed.dime", "recipient", &[]).expect(0);
    assert_eq!(run.line("protection"), "fully post-quantum protected");
    let run = encrypt(&dir, "x.dime", &["--pq", "sometimes"]).expect(2);
    assert!(run.stderr.contains("sometimes"), "{run:?}");

    // `keygen --classical` leaves the ML-KEM key out; `require-content` then refuses.
    dime(&dir.0, &["keygen", "user", "alice@example.org", "--out", "alice", "--classical", "--force"]).expect(0);
    let args = ["signet", "sign", "alice.ssr", "--org-key", "origin.key", "--org-signet", "origin.signet"];
    let more = ["--address", "alice@example.org", "--out", "signets/alice.signet", "--force"];
    dime(&dir.0, &[&args[..], &more[..]].concat()).expect(0);
    let run = encrypt(&dir, "x.dime", &["--pq", "require-content"]);
    assert!(run.stderr.contains("post-quantum policy needs a hybrid signet for the author"), "{run:?}");
    encrypt(&dir, "mixed.dime", &[]).expect(0);
    let layout = dime(&dir.0, &["message", "inspect", "mixed.dime", "--json"]).expect(0).json();
    assert_eq!((layout["hybrid_keyslots"].clone(), layout["protection"].clone()), (json!(0x0E), json!("none")));
}

/// D8's two rules: a hybrid request is issued only under an organization with a hybrid key, and
/// an organization that published one does not replace its signet with a classical one.
#[test]
fn hybrid_keys_follow_the_organization() {
    let dir = world("pq-rules");
    // A classical organization refuses a hybrid request (keygen's default) and issues a classical one.
    dime(&dir.0, &["keygen", "org", "example.com", "--out", "plain", "--classical"]).expect(0);
    dime(&dir.0, &["keygen", "user", "carol@example.com", "--out", "carol"]).expect(0);
    let sign = ["signet", "sign", "carol.ssr", "--org-key", "plain.key", "--org-signet", "plain.signet"];
    let more = ["--address", "carol@example.com", "--out", "carol.signet"];
    let run = dime(&dir.0, &[&sign[..], &more[..]].concat());
    assert_eq!(
        run.stderr, "dime: the request carries a hybrid encryption key, but the organization's signet has none\n",
        "{run:?}"
    );
    assert_ne!(run.code, 0);
    dime(&dir.0, &["keygen", "user", "carol@example.com", "--out", "carol", "--classical", "--force"]).expect(0);
    dime(&dir.0, &[&sign[..], &more[..]].concat()).expect(0);
    // The hybrid origin may not be replaced by a classical signet; by a hybrid one it may.
    let run = dime(&dir.0, &["keygen", "org", "example.org", "--out", "origin", "--classical", "--force"]);
    assert_eq!(
        run.stderr, "dime: the organization's previous signet has a hybrid encryption key, and the new one has none\n",
        "{run:?}"
    );
    dime(&dir.0, &["keygen", "org", "example.org", "--out", "origin", "--force"]).expect(0);
}
