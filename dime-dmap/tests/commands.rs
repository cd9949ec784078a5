//! What each command answers, byte for byte, on the memory store.

mod common;

use common::{Harness, USER, object};
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_core::stacie::{ClientKeys, Password, Username};
use dime_dmap::codec::{Flag, Mailbox, Response};
use dime_dmap::server::Event;
use dime_dmap::store::{Issuer, Store, block_on};
use dime_dmap::{DmapError, Interrupt};
use dime_signet::{KeyFile, KeyOwner, Signet, SignetKind, issue};

fn literal(bytes: &[u8]) -> String {
    format!("{{{}}}\r\n{}", bytes.len(), String::from_utf8_lossy(bytes))
}

#[test]
fn list_and_status() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(
        h.send(b"A LIST \"\" *\r\n"),
        "* LIST (\\HasNoChildren) \"/\" Archive\r\n* LIST (\\HasNoChildren) \"/\" INBOX\r\nA OK LIST completed\r\n"
    );
    assert_eq!(h.send(b"A LIST \"\" \"\"\r\n"), "* LIST (\\Noselect) \"/\" \"\"\r\nA OK LIST completed\r\n");
    assert_eq!(h.send(b"A LIST \"\" IN%\r\n"), "* LIST (\\HasNoChildren) \"/\" INBOX\r\nA OK LIST completed\r\n");
    assert_eq!(h.send(b"A LIST \"\" Nothing*\r\n"), "A OK LIST completed\r\n");
    assert_eq!(
        h.send(b"A STATUS inbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n"),
        "* STATUS INBOX (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY 1 UNSEEN 2)\r\nA OK STATUS completed\r\n"
    );
    assert_eq!(h.send(b"A STATUS Nowhere (MESSAGES)\r\n"), "A NO [NONEXISTENT] No such mailbox\r\n");
}

#[test]
fn select_answers() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(
        h.send(b"A SELECT INBOX\r\n"),
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * 3 EXISTS\r\n\
         * 0 RECENT\r\n\
         * OK [UNSEEN 1] First unseen\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags that persist\r\n\
         * OK [UIDVALIDITY 1] UIDs valid\r\n\
         * OK [UIDNEXT 4] Predicted next UID\r\n\
         A OK [READ-WRITE] SELECT completed\r\n"
    );
    let out = h.send(b"B EXAMINE Archive\r\n");
    assert!(out.contains("* OK [PERMANENTFLAGS ()] Flags that persist\r\n"), "{out}");
    assert!(out.ends_with("B OK [READ-ONLY] EXAMINE completed\r\n"));
    assert_eq!(h.session.selected(), Some(&Mailbox::new("Archive")));
}

#[test]
fn fetch_items_and_seen() {
    let mut h = Harness::new();
    h.select_inbox();
    let obj = object(0);
    assert_eq!(
        h.send(b"A FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE)\r\n"),
        "* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"14-Nov-2023 23:13:20 +0100\" RFC822.SIZE 497)\r\nA OK FETCH completed\r\n"
    );
    // BODY.PEEK[] serves the armored object (RFC822.SIZE is its length) and leaves \Seen
    // alone; BINARY.PEEK[] serves the raw octets as a literal8; BODY[] sets \Seen and reports
    // the flags.
    let out = h.send(b"A FETCH 1 BODY.PEEK[]\r\n");
    assert_eq!(out, format!("* 1 FETCH (BODY[] {})\r\nA OK FETCH completed\r\n", literal(&common::armored(&obj))));
    assert_eq!(common::armored(&obj).len(), 497);
    let out = h.send_bytes(b"A FETCH 1 BINARY.PEEK[]\r\n");
    assert_eq!(
        out,
        [format!("* 1 FETCH (BINARY[] ~{{{}}}\r\n", obj.len()).as_bytes(), &obj, b")\r\nA OK FETCH completed\r\n"]
            .concat()
    );
    let out = h.send_bytes(b"A FETCH 1 BODY[]\r\n");
    let (data, done) = common::split_tagged(&out, "A");
    assert_eq!(done, b"A OK FETCH completed\r\n");
    // The bytes parse back exactly, and \Seen is reported.
    match Response::parse(data).unwrap() {
        Response::Data(dime_dmap::codec::Data::Fetch { items, .. }) => {
            assert_eq!(items[0], dime_dmap::codec::FetchItem::Body { origin: None, data: Some(common::armored(&obj)) });
            assert_eq!(items[1], dime_dmap::codec::FetchItem::Flags(vec![Flag::Seen]));
        }
        other => panic!("{other:?}"),
    }
    // Partial fetch and FAST.
    let out = h.send(b"A FETCH 2 BODY.PEEK[]<2.4>\r\n");
    assert_eq!(
        out,
        format!("* 2 FETCH (BODY[]<2> {})\r\nA OK FETCH completed\r\n", literal(&common::armored(&object(1))[2..6]))
    );
    let out = h.send_bytes(b"A FETCH 2 BINARY.PEEK[]<2.4>\r\n");
    assert_eq!(out, [b"* 2 FETCH (BINARY[] ~{4}\r\n", &object(1)[2..6], b")\r\nA OK FETCH completed\r\n"].concat());
    let out = h.send(b"A FETCH 3 FAST\r\n");
    assert_eq!(
        out,
        "* 3 FETCH (FLAGS () INTERNALDATE \"14-Nov-2023 23:15:20 +0100\" RFC822.SIZE 497)\r\nA OK FETCH completed\r\n"
    );
    // UID FETCH always includes the UID; unknown UIDs are skipped.
    assert_eq!(
        h.send(b"A UID FETCH 2:9 FLAGS\r\n"),
        "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n* 3 FETCH (UID 3 FLAGS ())\r\nA OK UID FETCH completed\r\n"
    );
    assert_eq!(h.send(b"A UID FETCH 7 FLAGS\r\n"), "A OK UID FETCH completed\r\n");
    assert_eq!(
        h.send(b"A FETCH 1 FROB\r\n"),
        "A BAD Invalid arguments: syntax error at byte 10: expected fetch item\r\n"
    );
}

#[test]
fn store_and_expunge() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(
        h.send(b"A STORE 1:2 +FLAGS (\\Deleted)\r\n"),
        "* 1 FETCH (FLAGS (\\Deleted))\r\n* 2 FETCH (FLAGS (\\Seen \\Deleted))\r\nA OK STORE completed\r\n"
    );
    assert_eq!(
        h.send(b"A UID STORE 2 -FLAGS (\\Deleted)\r\n"),
        "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\nA OK UID STORE completed\r\n"
    );
    assert_eq!(h.send(b"A STORE 3 FLAGS.SILENT (\\Deleted $Later)\r\n"), "A OK STORE completed\r\n");
    assert_eq!(h.send(b"A STORE 1 +FLAGS \\Recent\r\n"), "A BAD Flag \\Recent cannot be stored\r\n");
    assert_eq!(h.send(b"A EXPUNGE\r\n"), "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nA OK EXPUNGE completed\r\n");
    assert_eq!(h.send(b"A FETCH 1:* UID\r\n"), "* 1 FETCH (UID 2)\r\nA OK FETCH completed\r\n");
    // CLOSE expunges silently.
    h.send(b"A STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
    assert_eq!(h.send(b"A CLOSE\r\n"), "A OK CLOSE completed\r\n");
    assert_eq!(block_on(h.session.store().mailbox(USER, &Mailbox::inbox())).unwrap().messages.len(), 0);
}

#[test]
fn append_and_idle_report_new_mail() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(
        h.send(b"A APPEND INBOX (\\Flagged) \"01-Feb-2024 10:00:00 +0000\" {3+}\r\nnew\r\n"),
        "* 4 EXISTS\r\nA OK [APPENDUID 1 4] APPEND completed\r\n"
    );
    assert_eq!(h.send(b"A APPEND Nowhere {1+}\r\nx\r\n"), "A NO [TRYCREATE] No such mailbox\r\n");
    assert_eq!(
        h.send(b"A FETCH 4 (FLAGS INTERNALDATE)\r\n"),
        "* 4 FETCH (FLAGS (\\Flagged) INTERNALDATE \"01-Feb-2024 10:00:00 +0000\")\r\nA OK FETCH completed\r\n"
    );
    // IDLE: another session's changes arrive on refresh.
    assert_eq!(h.send(b"I IDLE\r\n"), "+ idling\r\n");
    h.session.refresh();
    assert_eq!(h.drain(), "", "nothing changed");
    let store = h.session.store();
    block_on(store.append(USER, &Mailbox::inbox(), &[], None, object(5))).unwrap();
    block_on(store.set_flags(USER, &Mailbox::inbox(), 1, &[Flag::Answered])).unwrap();
    block_on(store.set_flags(USER, &Mailbox::inbox(), 2, &[Flag::Deleted])).unwrap();
    block_on(store.expunge(USER, &Mailbox::inbox())).unwrap();
    h.session.refresh();
    assert_eq!(h.drain(), "* 2 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Answered))\r\n* 4 EXISTS\r\n");
    assert_eq!(h.send(b"DONE\r\n"), "I OK IDLE terminated\r\n");
    // Outside IDLE, refresh waits for NOOP.
    block_on(h.session.store().append(USER, &Mailbox::inbox(), &[], None, object(6))).unwrap();
    h.session.refresh();
    assert_eq!(h.drain(), "");
    assert_eq!(h.send(b"N NOOP\r\n"), "* 5 EXISTS\r\nN OK NOOP completed\r\n");
}

#[test]
fn submit_goes_to_the_outbox() {
    let mut h = Harness::new();
    h.login();
    let obj = object(3);
    let mut wire = format!("A SUBMIT {{{}}}\r\n", obj.len()).into_bytes();
    assert_eq!(h.send(&wire), "+ Ready for literal data\r\n");
    wire = obj.clone();
    wire.extend_from_slice(b"\r\n");
    assert_eq!(h.send(&wire), "A OK [SUBMITTED Q1] Object accepted for relay\r\n");
    assert_eq!(h.send(b"B SUBMIT {0}\r\n"), "+ Ready for literal data\r\n");
    assert_eq!(h.send(b"\r\n"), "B NO [CANNOT] empty object\r\n");
    let outbox = h.session.store().outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!((outbox[0].user.as_str(), outbox[0].id.as_str(), &outbox[0].object), (USER, "Q1", &obj));
}

/// A submit hook in the configuration takes `SUBMIT` instead of the store (issue 11): it gets
/// the user and the object and names the queue id; its errors are answered like the store's.
#[test]
fn a_submit_hook_takes_submissions_instead_of_the_store() {
    use std::sync::{Arc, Mutex};
    type Taken = Mutex<Vec<(String, Vec<u8>)>>;
    let taken: Arc<Taken> = Arc::default();
    let mut config = common::config();
    let sink = taken.clone();
    config.submit = Some(dime_dmap::server::SubmitHook::new(move |user, object| {
        let sink = sink.clone();
        Box::pin(async move {
            if object.starts_with(b"refuse") {
                return Err(DmapError::StoreRefused("the relay queue is full".into()));
            }
            let mut sink = sink.lock().unwrap();
            sink.push((user, object));
            Ok(format!("R{}", sink.len()))
        })
    }));
    let mut h = Harness::with(config, common::store());
    h.login();
    let obj = object(3);
    let mut wire = format!("A SUBMIT {{{}+}}\r\n", obj.len()).into_bytes();
    wire.extend_from_slice(&obj);
    wire.extend_from_slice(b"\r\n");
    assert_eq!(h.send(&wire), "A OK [SUBMITTED R1] Object accepted for relay\r\n");
    assert_eq!(h.send(b"B SUBMIT {6+}\r\nrefuse\r\n"), "B NO [CANNOT] the relay queue is full\r\n");
    assert_eq!(*taken.lock().unwrap(), vec![(USER.to_string(), obj)]);
    assert!(h.session.store().outbox().is_empty(), "the store saw no submission");
}

fn issuer() -> (Issuer, SigningSecretKey) {
    let pok = SigningSecretKey::from_seed(&[42; 32]);
    let org = issue::new_org_signet(&pok, &EncryptionSecretKey::generate().unwrap().public().unwrap(), "example.org")
        .unwrap();
    (Issuer { org, key: pok.clone(), domain: "example.org".into() }, pok)
}

#[test]
fn signing_request_and_lookup() {
    let mut h = Harness::new();
    let (issuer, pok) = issuer();
    let org = issuer.org.clone();
    h.session.store().set_issuer(issuer);
    h.login();
    let user_key = SigningSecretKey::from_seed(&[5; 32]);
    let request =
        issue::new_request(&user_key, &EncryptionSecretKey::generate().unwrap().public().unwrap(), None).unwrap();
    let mut wire = format!("A SSR {{{}+}}\r\n", request.as_bytes().len()).into_bytes();
    wire.extend_from_slice(request.as_bytes());
    wire.extend_from_slice(b"\r\n");
    let out = h.send_bytes(&wire);
    let (data, done) = common::split_tagged(&out, "A");
    assert_eq!(done, b"A OK SSR completed\r\n");
    let Response::Data(dime_dmap::codec::Data::Signet { address, signet }) = Response::parse(data).unwrap() else {
        panic!("{out:?}")
    };
    assert_eq!(address, USER);
    let signet = Signet::parse(&signet).unwrap();
    assert_eq!(signet.kind(), SignetKind::User);
    let poks = [pok.public()];
    let context = dime_signet::Context { poks: Some(&poks), org: Some(&org), previous: None };
    assert_eq!(signet.validate(&context).state, dime_signet::SignetState::Id);
    // Looked up afterwards, the same bytes.
    let out = h.send_bytes(b"B SIGNET Alice@Example.org\r\n");
    let (data, done) = common::split_tagged(&out, "B");
    assert_eq!(done, b"B OK SIGNET completed\r\n");
    assert_eq!(
        Response::parse(data).unwrap(),
        Response::Data(dime_dmap::codec::Data::Signet {
            address: "Alice@Example.org".into(),
            signet: signet.as_bytes().to_vec()
        })
    );
    // A second request without the custody signature is refused by the issuer.
    let out = h.send(&wire);
    assert!(out.starts_with("A NO [CANNOT] Signet refused: "), "{out}");
    // Not a signing request at all.
    assert_eq!(
        h.send(b"C SSR {4+}\r\nabcd\r\n"),
        "C NO [PARSE] Not a signet signing request: unknown magic number 24930\r\n"
    );
    let org_bytes = org.as_bytes().to_vec();
    let mut wire = format!("D SSR {{{}+}}\r\n", org_bytes.len()).into_bytes();
    wire.extend_from_slice(&org_bytes);
    wire.extend_from_slice(b"\r\n");
    assert!(h.send(&wire).starts_with("D NO [PARSE] Not a signet signing request: "));
}

#[test]
fn keyfile_round_trip_through_the_server() {
    let mut h = Harness::new();
    h.login();
    let user = Username::new(USER.as_bytes()).unwrap();
    let password = Password::new(common::PASSWORD.as_bytes()).unwrap();
    let salt = block_on(h.session.store().credentials(USER)).unwrap().unwrap().salt().clone();
    let keys = ClientKeys::derive(&user, &password, &salt, 0);
    let keyfile = KeyFile::generate(KeyOwner::User).unwrap();
    let record = dime_dmap::keyfile::seal(&keys, &salt, &keyfile).unwrap();
    let mut wire =
        format!("A KEYFILE STORE {} {{{}+}}\r\n", common::b64(&record.shard), record.envelope.len()).into_bytes();
    wire.extend_from_slice(&record.envelope);
    wire.extend_from_slice(b"\r\n");
    assert_eq!(h.send(&wire), "A OK KEYFILE STORE completed\r\n");
    let out = h.send_bytes(b"B KEYFILE FETCH\r\n");
    let (data, done) = common::split_tagged(&out, "B");
    assert_eq!(done, b"B OK KEYFILE FETCH completed\r\n");
    let Response::Data(dime_dmap::codec::Data::Keyfile { shard, envelope }) = Response::parse(data).unwrap() else {
        panic!("{out:?}")
    };
    let fetched = dime_dmap::store::KeyfileRecord { shard, envelope };
    assert_eq!(fetched, record);
    assert_eq!(dime_dmap::keyfile::open(&keys, &salt, &fetched).unwrap(), keyfile);
    // Another password cannot open it.
    let other = ClientKeys::derive(&user, &Password::new(b"a different long passphrase!!").unwrap(), &salt, 0);
    assert_eq!(
        dime_dmap::keyfile::open(&other, &salt, &fetched).err(),
        Some(dime_dmap::DmapError::Core(dime_core::Error::StacieDecrypt))
    );
    // The server checks the envelope's framing.
    let mut bad = format!("C KEYFILE STORE {} {{10+}}\r\n", common::b64(&[0; 64])).into_bytes();
    bad.extend_from_slice(&[0; 10]);
    bad.extend_from_slice(b"\r\n");
    assert_eq!(
        h.send(&bad),
        "C NO [PARSE] Not a realm envelope: STACIE realm envelope has 10 bytes, the minimum is 50\r\n"
    );
}

#[test]
fn store_failures_have_their_own_answers() {
    // Messages that vanish under a FETCH.
    let mut h = Harness::new();
    h.select_inbox();
    block_on(h.session.store().set_flags(USER, &Mailbox::inbox(), 1, &[Flag::Deleted])).unwrap();
    block_on(h.session.store().expunge(USER, &Mailbox::inbox())).unwrap();
    assert_eq!(h.send(b"A FETCH 1 BODY.PEEK[]\r\n"), "A NO [NONEXISTENT] No such message\r\n");
    assert_eq!(h.send(b"B STORE 1 +FLAGS (\\Seen)\r\n"), "B NO [NONEXISTENT] No such message\r\n");
    assert_eq!(h.send(b"C NOOP\r\n"), "* 1 EXPUNGE\r\nC OK NOOP completed\r\n");
}

/// A signet the store says another organisation holds is handed to the driver; the command
/// completes with whatever the driver answers, and nothing behind it runs meanwhile.
#[test]
fn signet_lookups_for_other_organisations_wait_for_the_driver() {
    let store = common::store();
    store.serve_domain("example.org");
    let mut h = Harness::with(common::config(), store);
    h.login();
    let pok = SigningSecretKey::generate().unwrap();
    let remote =
        issue::new_org_signet(&pok, &EncryptionSecretKey::generate().unwrap().public().unwrap(), "example.net")
            .unwrap();

    // Served here but unknown: answered at once.
    assert_eq!(h.send(b"A SIGNET carol@example.org\r\n"), "A NO [NONEXISTENT] No signet for that address\r\n");

    // Elsewhere: an event and no reply; the pipelined NOOP waits too.
    h.events.clear();
    assert_eq!(h.send(b"B SIGNET Example.NET\r\nC NOOP\r\n"), "");
    assert_eq!(h.events, vec![Event::SignetLookup { address: "Example.NET".into() }]);
    assert_eq!(h.session.next(), Err(Interrupt::AwaitingAnswer));
    assert_eq!(h.send(b"D NOOP\r\n"), "");
    assert_eq!(h.session.next(), Err(Interrupt::AwaitingAnswer));
    h.session.signet_resolved(Ok(Some(remote.clone()))).unwrap();
    let out = h.drain_bytes();
    let (data, rest) = common::split_tagged(&out, "B");
    assert_eq!(
        Response::parse(data).unwrap(),
        Response::Data(dime_dmap::codec::Data::Signet {
            address: "Example.NET".into(),
            signet: remote.as_bytes().to_vec()
        })
    );
    assert_eq!(
        String::from_utf8_lossy(rest),
        "B OK SIGNET completed\r\nC OK NOOP completed\r\nD OK NOOP completed\r\n"
    );

    // A signet that does not name the address asked for is not served: the remote answer for
    // bob was the organization's signet, and a full signet names nobody.
    assert_eq!(h.send(b"B2 SIGNET bob@example.net\r\n"), "");
    h.session.signet_resolved(Ok(Some(remote.clone()))).unwrap();
    assert_eq!(h.drain(), "B2 NO [NONEXISTENT] No signet for that address\r\n");
    assert_eq!(h.send(b"B3 SIGNET example.net\r\n"), "");
    h.session.signet_resolved(Ok(Some(remote.split(dime_signet::Split::Full).unwrap()))).unwrap();
    assert_eq!(h.drain(), "B3 NO [NONEXISTENT] No signet for that address\r\n");

    // The other organisation has no such signet, or could not be reached.
    assert_eq!(h.send(b"E SIGNET dave@example.net\r\n"), "");
    h.session.signet_resolved(Ok(None)).unwrap();
    assert_eq!(h.drain(), "E NO [NONEXISTENT] No signet for that address\r\n");
    assert_eq!(h.send(b"F SIGNET example.net\r\n"), "");
    h.session.signet_resolved(Err(DmapError::StoreUnavailable("DNS: no answer".into()))).unwrap();
    assert_eq!(h.drain(), "F NO [UNAVAILABLE] DNS: no answer\r\n");

    // An answer nobody asked for is refused and changes nothing.
    assert_eq!(h.session.signet_resolved(Ok(Some(remote))), Err(DmapError::NotWaiting("a signet lookup")));
    assert_eq!(h.send(b"G NOOP\r\n"), "G OK NOOP completed\r\n");
}
