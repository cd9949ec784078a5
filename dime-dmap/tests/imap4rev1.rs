//! The IMAP4rev1 commands DMAP implements beyond its own (issue 12): each with the exact
//! responses a stock client receives.

mod common;

use common::{Harness, USER};
use dime_dmap::codec::Mailbox;
use dime_dmap::server::Event;
use dime_dmap::store::{Store, block_on};

#[test]
fn a_tagged_line_without_a_command_is_answered_tagged() {
    let mut h = Harness::new();
    assert_eq!(h.send(b"A1\r\n"), "A1 BAD Missing command\r\n");
    h.login();
    assert_eq!(h.send(b"A2\r\n"), "A2 BAD Missing command\r\n");
}

#[test]
fn uid_with_an_unknown_command_is_an_unknown_command() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(h.send(b"A UID FROB 1\r\n"), "A BAD Unknown command\r\n");
    assert_eq!(h.send(b"A UID FROB\r\n"), "A BAD Unknown command\r\n");
    assert_eq!(h.send(b"A FROB\r\n"), "A BAD Unknown command\r\n");
}

#[test]
fn an_empty_partial_fetch_is_a_synchronizing_empty_literal() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(
        h.send(b"A FETCH 1 BODY.PEEK[]<600.10>\r\n"),
        "* 1 FETCH (BODY[]<600> {0}\r\n)\r\nA OK FETCH completed\r\n"
    );
}

#[test]
fn create_delete_rename_and_list() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A CREATE Work/Projects/\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(
        h.send(b"B LIST \"\" *\r\n"),
        "* LIST (\\HasNoChildren) \"/\" Archive\r\n* LIST (\\HasNoChildren) \"/\" INBOX\r\n\
         * LIST (\\HasChildren) \"/\" Work\r\n* LIST (\\HasNoChildren) \"/\" Work/Projects\r\nB OK LIST completed\r\n"
    );
    assert_eq!(h.send(b"C CREATE Work\r\n"), "C NO [ALREADYEXISTS] Mailbox already exists\r\n");
    assert_eq!(h.send(b"C CREATE inbox\r\n"), "C NO [ALREADYEXISTS] Mailbox already exists\r\n");
    assert_eq!(h.send(b"C CREATE \"a//b\"\r\n"), "C NO [CANNOT] Invalid mailbox name\r\n");
    assert_eq!(h.send(b"C CREATE \"a*\"\r\n"), "C NO [CANNOT] Invalid mailbox name\r\n");
    assert_eq!(h.send(b"D RENAME Work Play\r\n"), "D OK RENAME completed\r\n");
    assert_eq!(
        h.send(b"E LIST \"\" Play*\r\n"),
        "* LIST (\\HasChildren) \"/\" Play\r\n* LIST (\\HasNoChildren) \"/\" Play/Projects\r\nE OK LIST completed\r\n"
    );
    assert_eq!(h.send(b"F RENAME Work X\r\n"), "F NO [NONEXISTENT] No such mailbox\r\n");
    assert_eq!(h.send(b"F RENAME Play Archive\r\n"), "F NO [ALREADYEXISTS] Mailbox already exists\r\n");
    assert_eq!(h.send(b"F RENAME Play INBOX\r\n"), "F NO [ALREADYEXISTS] Mailbox already exists\r\n");
    assert_eq!(h.send(b"G DELETE Play/Projects\r\n"), "G OK DELETE completed\r\n");
    assert_eq!(h.send(b"G DELETE Play/Projects\r\n"), "G NO [NONEXISTENT] No such mailbox\r\n");
    assert_eq!(h.send(b"G DELETE INBOX\r\n"), "G NO [CANNOT] INBOX cannot be deleted\r\n");
    // RENAME INBOX moves its messages into the new mailbox and leaves INBOX empty.
    assert_eq!(h.send(b"H RENAME INBOX Old/In\r\n"), "H OK RENAME completed\r\n");
    assert_eq!(h.send(b"I STATUS Old/In (MESSAGES)\r\n"), "* STATUS Old/In (MESSAGES 3)\r\nI OK STATUS completed\r\n");
    assert_eq!(h.send(b"I STATUS INBOX (MESSAGES)\r\n"), "* STATUS INBOX (MESSAGES 0)\r\nI OK STATUS completed\r\n");
}

/// A renamed INBOX is a new, empty mailbox under the old name: a session with it selected is
/// told every message it knew is gone and the new UIDVALIDITY on its next response (RFC 3501
/// §2.3.1.1, §6.3.5), whether it renamed INBOX itself or another session did.
#[test]
fn inbox_renamed_while_selected_announces_the_new_uidvalidity() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(
        h.send(b"R RENAME INBOX Old\r\n"),
        "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n* 1 EXPUNGE\r\n* OK [UIDVALIDITY 3] UIDs valid\r\nR OK RENAME completed\r\n"
    );
    assert_eq!(h.session.selected(), Some(&Mailbox::inbox()));
    assert_eq!(h.send(b"N NOOP\r\n"), "N OK NOOP completed\r\n", "told once");
    assert!(
        h.events.iter().any(|e| matches!(e, Event::MailboxChanged { mailbox, .. } if *mailbox == Mailbox::inbox()))
    );
    assert_eq!(h.send(b"A APPEND INBOX {1+}\r\nx\r\n"), "* 1 EXISTS\r\nA OK [APPENDUID 3 1] APPEND completed\r\n");

    // Another session renames INBOX: this one learns of it with its next NOOP.
    block_on(h.session.store().rename_mailbox(USER, &Mailbox::inbox(), &Mailbox::new("Older"))).unwrap();
    assert_eq!(h.send(b"M NOOP\r\n"), "* 1 EXPUNGE\r\n* OK [UIDVALIDITY 4] UIDs valid\r\nM OK NOOP completed\r\n");
    assert_eq!(h.send(b"F FETCH 1:* UID\r\n"), "F OK FETCH completed\r\n");
}

/// A superior that does not exist itself (left by `DELETE a` while `a/b` exists) is listed as
/// a `\Noselect` placeholder and cannot be selected.
#[test]
fn implied_parents_are_listed_noselect() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A CREATE a/b/c\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(h.send(b"B DELETE a\r\n"), "B OK DELETE completed\r\n");
    assert_eq!(h.send(b"B DELETE a/b\r\n"), "B OK DELETE completed\r\n");
    assert_eq!(
        h.send(b"C LIST \"\" a*\r\n"),
        "* LIST (\\Noselect \\HasChildren) \"/\" a\r\n* LIST (\\Noselect \\HasChildren) \"/\" a/b\r\n\
         * LIST (\\HasNoChildren) \"/\" a/b/c\r\nC OK LIST completed\r\n"
    );
    assert_eq!(h.send(b"D LIST \"\" %\r\n").lines().filter(|l| l.contains(" a")).count(), 1);
    assert_eq!(h.send(b"E SELECT a\r\n"), "E NO [NONEXISTENT] No such mailbox\r\n");
    assert_eq!(h.send(b"F CREATE a\r\n"), "F OK CREATE completed\r\n");
    assert_eq!(h.send(b"G LIST \"\" a\r\n"), "* LIST (\\HasChildren) \"/\" a\r\nG OK LIST completed\r\n");
}

#[test]
fn the_mailbox_cap_holds() {
    let mut cfg = common::config();
    cfg.limits.max_mailboxes = 3;
    let mut h = Harness::with(cfg, common::store());
    h.login();
    assert_eq!(h.send(b"A CREATE One\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(h.send(b"A CREATE Two\r\n"), "A NO [LIMIT] An account may have at most 3 mailboxes\r\n");
    assert_eq!(h.send(b"A CREATE x/y\r\n"), "A NO [LIMIT] An account may have at most 3 mailboxes\r\n");
}

/// Issue 12: deleting the superiors of deep names left placeholders that counted nowhere, so
/// `max_mailboxes` mailboxes could make one LIST answer hundreds of thousands of names. The
/// placeholders count towards the cap now.
#[test]
fn placeholders_count_towards_the_mailbox_cap() {
    let mut cfg = common::config();
    cfg.limits.max_mailboxes = 20;
    let mut h = Harness::with(cfg, common::store());
    h.login();
    // INBOX and Archive, then each round one mailbox five levels deep and four placeholders.
    for k in 0..3 {
        assert_eq!(h.send(format!("A CREATE t{k}/a/b/c/d\r\n").as_bytes()), "A OK CREATE completed\r\n");
        for superior in ["", "/a", "/a/b", "/a/b/c"] {
            let out = h.send(format!("B DELETE t{k}{superior}\r\n").as_bytes());
            assert_eq!(out, "B OK DELETE completed\r\n");
        }
    }
    assert_eq!(h.send(b"C CREATE t3/a/b/c/d\r\n"), "C NO [LIMIT] An account may have at most 20 mailboxes\r\n");
    assert_eq!(h.send(b"C CREATE t3\r\n"), "C OK CREATE completed\r\n");
    assert_eq!(h.send(b"D RENAME t3 t3/x/y/z\r\n"), "D NO [LIMIT] An account may have at most 20 mailboxes\r\n");
    let listed = h.send(b"E LIST \"\" *\r\n");
    assert_eq!(listed.lines().filter(|l| l.starts_with("* LIST")).count(), 18, "{listed}");
    assert_eq!(listed.lines().filter(|l| l.starts_with("* LIST (\\Noselect")).count(), 12, "{listed}");
}

/// Names deeper than `max_mailbox_depth` are refused by CREATE, by RENAME (also when only an
/// inferior it renames would pass it), and by SUBSCRIBE (of a mailbox made outside DMAP).
#[test]
fn mailbox_depth_is_capped() {
    let mut cfg = common::config();
    cfg.limits.max_mailbox_depth = 4;
    let store = common::store();
    store.add_mailbox(common::USER, &Mailbox::new("old/1/2/3/4")).unwrap();
    let mut h = Harness::with(cfg, store);
    h.login();
    let refused = "NO [LIMIT] Mailbox names may have at most 4 levels\r\n";
    assert_eq!(h.send(b"A CREATE a/b/c/d\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(h.send(b"B CREATE a/b/c/d/e\r\n"), format!("B {refused}"));
    assert_eq!(h.send(b"C RENAME a/b x/y/z\r\n"), format!("C {refused}"));
    assert_eq!(h.send(b"D RENAME a/b x/y\r\n"), "D OK RENAME completed\r\n");
    assert_eq!(h.send(b"E SUBSCRIBE old/1/2/3/4\r\n"), format!("E {refused}"));
    assert_eq!(h.send(b"F SUBSCRIBE x/y/c/d\r\n"), "F OK SUBSCRIBE completed\r\n");
    // A renamed inferior may not grow past the name length either.
    let long = "n".repeat(1020);
    assert_eq!(h.send(b"G CREATE m/kkkkkkkkkk\r\n"), "G OK CREATE completed\r\n");
    assert_eq!(
        h.send(format!("H RENAME m {long}\r\n").as_bytes()),
        "H NO [LIMIT] Mailbox names may have at most 1024 octets\r\n"
    );
}

/// The subscriptions' hierarchy is capped like the mailboxes': placeholders LSUB may answer
/// count.
#[test]
fn subscription_placeholders_count_towards_the_cap() {
    let mut cfg = common::config();
    cfg.limits.max_mailboxes = 5;
    let mut h = Harness::with(cfg, common::store());
    h.login();
    assert_eq!(h.send(b"A CREATE p/q/r\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(h.send(b"B SUBSCRIBE p/q/r\r\n"), "B OK SUBSCRIBE completed\r\n");
    // Subscriptions outlive their mailboxes: INBOX, Archive, p, p/q and s are five names.
    assert_eq!(h.send(b"A DELETE p/q/r\r\n"), "A OK DELETE completed\r\n");
    assert_eq!(h.send(b"A CREATE s\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(h.send(b"B SUBSCRIBE s\r\n"), "B OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"B SUBSCRIBE INBOX\r\n"), "B OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"C SUBSCRIBE Archive\r\n"), "C NO [LIMIT] An account may have at most 5 subscriptions\r\n");
    assert_eq!(
        h.send(b"D LSUB \"\" %\r\n"),
        "* LSUB () \"/\" INBOX\r\n* LSUB (\\Noselect) \"/\" p\r\n* LSUB () \"/\" s\r\nD OK LSUB completed\r\n"
    );
}

#[test]
fn subscriptions_and_lsub() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A SUBSCRIBE Archive\r\n"), "A OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"A SUBSCRIBE INBOX\r\n"), "A OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"A SUBSCRIBE Nope\r\n"), "A NO [NONEXISTENT] No such mailbox\r\n");
    assert_eq!(
        h.send(b"B LSUB \"\" *\r\n"),
        "* LSUB () \"/\" Archive\r\n* LSUB () \"/\" INBOX\r\nB OK LSUB completed\r\n"
    );
    assert_eq!(h.send(b"C DELETE Archive\r\n"), "C OK DELETE completed\r\n");
    assert_eq!(h.send(b"D LSUB \"\" A%\r\n"), "* LSUB (\\Noselect) \"/\" Archive\r\nD OK LSUB completed\r\n");
    assert_eq!(h.send(b"E UNSUBSCRIBE Archive\r\n"), "E OK UNSUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"F LSUB \"\" *\r\n"), "* LSUB () \"/\" INBOX\r\nF OK LSUB completed\r\n");
}

#[test]
fn lsub_lists_an_unsubscribed_superior_reached_by_percent_as_noselect() {
    // RFC 3501 §6.3.9: `foo/bar` subscribed, `foo` not: `LSUB "" %` answers `foo` as \Noselect.
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A CREATE foo/bar/baz\r\n"), "A OK CREATE completed\r\n");
    assert_eq!(h.send(b"A SUBSCRIBE foo/bar\r\n"), "A OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"A SUBSCRIBE foo/bar/baz\r\n"), "A OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"B LSUB \"\" f%\r\n"), "* LSUB (\\Noselect) \"/\" foo\r\nB OK LSUB completed\r\n");
    // `foo/bar` is subscribed itself, so `foo/%` lists it as it is and adds nothing.
    assert_eq!(h.send(b"C LSUB \"\" foo/%\r\n"), "* LSUB () \"/\" foo/bar\r\nC OK LSUB completed\r\n");
    // `*` reaches the subscribed names themselves: no placeholder.
    assert_eq!(
        h.send(b"D LSUB \"\" foo*\r\n"),
        "* LSUB () \"/\" foo/bar\r\n* LSUB () \"/\" foo/bar/baz\r\nD OK LSUB completed\r\n"
    );
    // A superior that exists as a mailbox but is not subscribed is still \Noselect in LSUB.
    assert_eq!(h.send(b"E UNSUBSCRIBE foo/bar\r\n"), "E OK UNSUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"F LSUB \"\" foo/%\r\n"), "* LSUB (\\Noselect) \"/\" foo/bar\r\nF OK LSUB completed\r\n");
    // Once `foo` is subscribed it is listed as itself, once.
    assert_eq!(h.send(b"G SUBSCRIBE foo\r\n"), "G OK SUBSCRIBE completed\r\n");
    assert_eq!(h.send(b"H LSUB \"\" %\r\n"), "* LSUB () \"/\" foo\r\nH OK LSUB completed\r\n");
}

#[test]
fn check_is_a_checkpoint_in_the_selected_state() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"A CHECK\r\n"), "A BAD CHECK is not allowed in the authenticated state\r\n");
    assert_eq!(h.send(b"S SELECT INBOX\r\n").lines().last(), Some("S OK [READ-WRITE] SELECT completed"));
    assert_eq!(h.send(b"A CHECK\r\n"), "A OK CHECK completed\r\n");
}

#[test]
fn search_every_key_kind() {
    let mut h = Harness::new();
    h.select_inbox();
    // Messages 1..3 (UIDs 1..3), dated 14-Nov-2023 23:13, 23:14, 23:15 at +0100, 306 octets (RFC822.SIZE 497); 2 is seen.
    let search = |h: &mut Harness, keys: &str| h.send(format!("A SEARCH {keys}\r\n").as_bytes());
    assert_eq!(search(&mut h, "ALL"), "* SEARCH 1 2 3\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "UNSEEN"), "* SEARCH 1 3\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "SEEN"), "* SEARCH 2\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "NOT SEEN 2:3"), "* SEARCH 3\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "OR 1 UID 3"), "* SEARCH 1 3\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "(SEEN) (OLD)"), "* SEARCH 2\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "ON 14-Nov-2023 LARGER 496 SMALLER 498"), "* SEARCH 1 2 3\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "BEFORE 14-Nov-2023"), "* SEARCH\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "SINCE 15-Nov-2023"), "* SEARCH\r\nA OK SEARCH completed\r\n");
    // Keys on content the server cannot read match nothing; their negation matches all.
    assert_eq!(search(&mut h, "FROM alice"), "* SEARCH\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "NOT SUBJECT x"), "* SEARCH 1 2 3\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "NEW"), "* SEARCH\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "CHARSET UTF-8 TEXT x"), "* SEARCH\r\nA OK SEARCH completed\r\n");
    assert_eq!(search(&mut h, "CHARSET KOI8-R TEXT x"), "A NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n");
    assert_eq!(h.send(b"B UID SEARCH 2:*\r\n"), "* SEARCH 2 3\r\nB OK UID SEARCH completed\r\n");
    assert_eq!(
        h.send(b"B SEARCH FROB\r\n"),
        "B BAD Invalid arguments: syntax error at byte 9: expected search key\r\n"
    );
    let deep = format!("C SEARCH {}ALL\r\n", "NOT ".repeat(40));
    assert_eq!(
        h.send(deep.as_bytes()),
        "C BAD Invalid arguments: search has more than 256 keys or nests deeper than 32\r\n"
    );
}

#[test]
fn copy_and_uid_copy_answer_copyuid() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(h.send(b"A COPY 1,3 Archive\r\n"), "A OK [COPYUID 2 1,3 1:2] COPY completed\r\n");
    assert_eq!(h.send(b"B UID COPY 2:* Archive\r\n"), "B OK [COPYUID 2 2:3 3:4] UID COPY completed\r\n");
    assert_eq!(h.send(b"C COPY 9 Archive\r\n"), "C OK COPY completed\r\n");
    assert_eq!(h.send(b"D COPY 1 Nope\r\n"), "D NO [TRYCREATE] No such mailbox\r\n");
    assert_eq!(
        h.send(b"E STATUS Archive (MESSAGES UIDNEXT)\r\n"),
        "* STATUS Archive (MESSAGES 4 UIDNEXT 5)\r\nE OK STATUS completed\r\n"
    );
    // Copying into the selected mailbox reports the new messages.
    assert_eq!(h.send(b"F COPY 1 INBOX\r\n"), "* 4 EXISTS\r\nF OK [COPYUID 1 1 4] COPY completed\r\n");
}

#[test]
fn copy_is_capped() {
    let mut cfg = common::config();
    cfg.limits.max_copy = 2;
    let mut h = Harness::with(cfg, common::store());
    h.select_inbox();
    assert_eq!(h.send(b"A COPY 1:* Archive\r\n"), "A NO [LIMIT] COPY of 3 messages is over the limit of 2\r\n");
    assert_eq!(
        h.send(b"A STATUS Archive (MESSAGES)\r\n"),
        "* STATUS Archive (MESSAGES 0)\r\nA OK STATUS completed\r\n"
    );
}

#[test]
fn move_and_uid_expunge() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(h.send(b"A MOVE 2 Archive\r\n"), "* OK [COPYUID 2 2 1] Moved\r\n* 2 EXPUNGE\r\nA OK MOVE completed\r\n");
    assert_eq!(
        h.send(b"B UID MOVE 3 Archive\r\n"),
        "* OK [COPYUID 2 3 2] Moved\r\n* 2 EXPUNGE\r\nB OK UID MOVE completed\r\n"
    );
    assert_eq!(h.send(b"C APPEND INBOX (\\Deleted) {1}\r\n"), "+ Ready for literal data\r\n");
    assert_eq!(h.send(b"x\r\n"), "* 2 EXISTS\r\nC OK [APPENDUID 1 4] APPEND completed\r\n");
    assert_eq!(h.send(b"D STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"), "D OK STORE completed\r\n");
    // Only the named UID goes, though both are \Deleted.
    assert_eq!(h.send(b"E UID EXPUNGE 4\r\n"), "* 2 EXPUNGE\r\nE OK UID EXPUNGE completed\r\n");
    assert_eq!(h.send(b"F UID SEARCH ALL\r\n"), "* SEARCH 1\r\nF OK UID SEARCH completed\r\n");
    assert_eq!(h.send(b"G EXAMINE INBOX\r\n").lines().last(), Some("G OK [READ-ONLY] EXAMINE completed"));
    assert_eq!(h.send(b"H MOVE 1 Archive\r\n"), "H NO [READ-ONLY] Mailbox is read-only\r\n");
    assert_eq!(h.send(b"H UID EXPUNGE 1\r\n"), "H NO [READ-ONLY] Mailbox is read-only\r\n");
}

#[test]
fn fetch_items_of_an_object_the_server_cannot_read() {
    let mut h = Harness::new();
    h.select_inbox();
    let text = common::armored(&common::object(0));
    let lit = |bytes: &[u8]| format!("{{{}}}\r\n{}", bytes.len(), String::from_utf8_lossy(bytes));
    let nils = "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    assert_eq!(
        h.send(b"A FETCH 1 ALL\r\n"),
        format!(
            "* 1 FETCH (FLAGS () INTERNALDATE \"14-Nov-2023 23:13:20 +0100\" RFC822.SIZE 497 {nils})\r\nA OK FETCH completed\r\n"
        )
    );
    assert_eq!(
        h.send(b"A FETCH 1 FULL\r\n"),
        format!(
            "* 1 FETCH (FLAGS () INTERNALDATE \"14-Nov-2023 23:13:20 +0100\" RFC822.SIZE 497 {nils} \
             BODY (\"APPLICATION\" \"X-DIME-MESSAGE\" NIL NIL NIL \"7BIT\" 497))\r\nA OK FETCH completed\r\n"
        )
    );
    assert_eq!(
        h.send(b"A FETCH 1 (BODYSTRUCTURE BINARY.SIZE[] BINARY.SIZE[1] BINARY.SIZE[2])\r\n"),
        "* 1 FETCH (BODYSTRUCTURE (\"APPLICATION\" \"X-DIME-MESSAGE\" NIL NIL NIL \"7BIT\" 497 NIL) \
         BINARY.SIZE[] 306 BINARY.SIZE[1] 306 BINARY.SIZE[2] 0)\r\nA OK FETCH completed\r\n"
    );
    // The header is empty; the text, part 1 and RFC822.TEXT are the armored object; parts
    // the message does not have are NIL. PEEK forms leave \Seen alone.
    assert_eq!(
        h.send(b"A FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[1.MIME] RFC822.HEADER BODY.PEEK[2] BODY.PEEK[1.TEXT])\r\n"),
        "* 1 FETCH (BODY[HEADER] \"\" BODY[HEADER.FIELDS (FROM SUBJECT)] \"\" BODY[1.MIME] \"\" RFC822.HEADER \"\" \
         BODY[2] NIL BODY[1.TEXT] NIL)\r\nA OK FETCH completed\r\n"
    );
    assert_eq!(
        h.send(b"A FETCH 1 (BODY.PEEK[TEXT] BODY.PEEK[1]<0.5>)\r\n"),
        format!("* 1 FETCH (BODY[TEXT] {} BODY[1]<0> {})\r\nA OK FETCH completed\r\n", lit(&text), lit(&text[..5]))
    );
    // RFC822.TEXT reads the message: \Seen is set and reported.
    assert_eq!(
        h.send(b"A FETCH 1 RFC822.TEXT\r\n"),
        format!("* 1 FETCH (RFC822.TEXT {} FLAGS (\\Seen))\r\nA OK FETCH completed\r\n", lit(&text))
    );
    let out = h.send_bytes(b"A FETCH 3 BINARY[]\r\n");
    let expected = [b"* 3 FETCH (BINARY[] ~{306}\r\n".as_slice(), &common::object(2), b" FLAGS (\\Seen))\r\n"].concat();
    assert_eq!(out, [expected.as_slice(), b"A OK FETCH completed\r\n"].concat());
    assert_eq!(
        h.send(b"A FETCH 1 BODY[MIME]\r\n"),
        "A BAD Invalid arguments: syntax error at byte 15: expected section (HEADER, HEADER.FIELDS, TEXT, MIME or a part number)\r\n"
    );
}

/// The grammar check itself refuses what the old writer produced (by hand: imap-codec
/// accepts `{n+}` in responses).
#[test]
#[should_panic(expected = "non-synchronizing literal in a response")]
fn the_grammar_check_refuses_a_non_synchronizing_literal_from_a_server() {
    common::grammar::check(b"* 1 FETCH (BODY[]<400> {0+}\r\n)\r\n");
}

#[test]
fn the_grammar_check_accepts_binary_literals_and_uidplus_codes() {
    common::grammar::check(b"* 1 FETCH (BINARY[] ~{3}\r\n\0\x01\x02)\r\n* OK [COPYUID 2 1:3 4:6] Moved\r\n");
}

#[test]
fn id_and_enable() {
    let mut h = Harness::new();
    assert_eq!(h.send(b"A ID NIL\r\n"), "* ID (\"name\" \"dime-rs\")\r\nA OK ID completed\r\n");
    assert_eq!(
        h.send(b"B ID (\"name\" \"imaplib\" \"version\" NIL)\r\n"),
        "* ID (\"name\" \"dime-rs\")\r\nB OK ID completed\r\n"
    );
    assert_eq!(
        h.send(b"C ID (\"name\")\r\n"),
        "C BAD Invalid arguments: syntax error at byte 13: expected ID list of at most 30 field-value pairs\r\n"
    );
    assert_eq!(h.send(b"D ENABLE CONDSTORE\r\n"), "D BAD ENABLE is not allowed in the not authenticated state\r\n");
    h.login();
    assert_eq!(h.send(b"E ENABLE CONDSTORE UTF8=ACCEPT\r\n"), "* ENABLED\r\nE OK ENABLE completed\r\n");
    assert_eq!(h.send(b"S SELECT INBOX\r\n").lines().last(), Some("S OK [READ-WRITE] SELECT completed"));
    assert_eq!(h.send(b"F ENABLE CONDSTORE\r\n"), "F BAD ENABLE is not allowed in the selected state\r\n");
}

/// One session as a stock client drives it, every command of issue 12 in turn; every response
/// goes through the independent grammar check of the harness.
#[test]
fn a_stock_client_session_uses_every_command() {
    let mut h = Harness::new();
    let ok = |h: &mut Harness, tag: &str, command: &str| {
        let out = h.send(format!("{tag} {command}\r\n").as_bytes());
        let last = out.trim_end_matches("\r\n").rsplit("\r\n").next().unwrap_or_default().to_string();
        assert!(last.starts_with(&format!("{tag} OK")), "{command}: {out}");
        out
    };
    ok(&mut h, "a1", "CAPABILITY");
    ok(&mut h, "a2", "ID (\"name\" \"test\")");
    h.login();
    ok(&mut h, "a3", "ENABLE UTF8=ACCEPT");
    ok(&mut h, "a4", "CREATE Lists/Rust/");
    ok(&mut h, "a5", "SUBSCRIBE Lists/Rust");
    assert!(ok(&mut h, "a6", "LIST \"\" %").contains("* LIST (\\HasChildren) \"/\" Lists\r\n"));
    assert!(ok(&mut h, "a7", "LSUB \"\" Lists/*").contains("* LSUB () \"/\" Lists/Rust\r\n"));
    ok(&mut h, "a8", "STATUS Lists/Rust (MESSAGES UIDNEXT UIDVALIDITY)");
    ok(&mut h, "a9", "SELECT INBOX");
    assert!(ok(&mut h, "b1", "UID SEARCH UNSEEN NOT FROM x").starts_with("* SEARCH 1 3\r\n"));
    ok(&mut h, "b2", "SEARCH CHARSET UTF-8 OR SEEN LARGER 100");
    ok(&mut h, "b3", "FETCH 1:* FULL");
    ok(&mut h, "b4", "UID FETCH 1:* (UID FLAGS BODYSTRUCTURE ENVELOPE RFC822.SIZE BINARY.SIZE[])");
    ok(&mut h, "b5", "FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)] BODY.PEEK[TEXT]<0.64> RFC822.HEADER)");
    ok(&mut h, "b6", "FETCH 2 (BINARY.PEEK[] BODY.PEEK[1])");
    assert!(ok(&mut h, "b7", "UID COPY 1:2 Lists/Rust").contains("[COPYUID "));
    assert!(ok(&mut h, "b8", "COPY 3 Lists/Rust").contains("[COPYUID "));
    assert!(ok(&mut h, "b9", "UID MOVE 3 Archive").contains("* 3 EXPUNGE\r\n"));
    ok(&mut h, "c1", "MOVE 2 Archive");
    ok(&mut h, "c2", "STORE 1 +FLAGS (\\Deleted \\Seen)");
    ok(&mut h, "c3", "UID EXPUNGE 1");
    ok(&mut h, "c4", "CHECK");
    ok(&mut h, "c5", "EXPUNGE");
    assert_eq!(h.send(b"c6 IDLE\r\n"), "+ idling\r\n");
    assert_eq!(h.send(b"DONE\r\n"), "c6 OK IDLE terminated\r\n");
    assert!(
        ok(&mut h, "c7", "APPEND INBOX (\\Flagged) \"01-Dec-2026 10:00:00 +0000\" {3+}\r\nabc").contains("[APPENDUID ")
    );
    ok(&mut h, "c8", "NOOP");
    ok(&mut h, "c9", "RENAME Lists Archive/Lists");
    ok(&mut h, "d1", "UNSUBSCRIBE Lists/Rust");
    ok(&mut h, "d2", "DELETE Archive/Lists/Rust");
    ok(&mut h, "d3", "EXAMINE Archive");
    ok(&mut h, "d4", "CLOSE");
    ok(&mut h, "d5", "LOGOUT");
}

#[test]
fn append_takes_a_binary_literal_and_binary_returns_it_unchanged() {
    let mut h = Harness::new();
    h.select_inbox();
    // RFC 3516 `literal8`: NUL, CR and LF octets arrive and are stored as they are.
    let object = [0x07u8, 0x37, 0x00, 0x00, 0x00, 0x03, 0x00, b'\r', b'\n'];
    assert_eq!(h.send(b"A APPEND INBOX ~{9}\r\n"), "+ Ready for literal data\r\n");
    let mut line = object.to_vec();
    line.extend_from_slice(b"\r\n");
    assert_eq!(h.send(&line), "* 4 EXISTS\r\nA OK [APPENDUID 1 4] APPEND completed\r\n");
    let out = h.send_bytes(b"B UID FETCH 4 BINARY.PEEK[]\r\n");
    let expected =
        [b"* 4 FETCH (UID 4 BINARY[] ~{9}\r\n".as_slice(), &object, b")\r\nB OK UID FETCH completed\r\n"].concat();
    assert_eq!(out, expected);
    // A `~` that does not open a literal8 is a syntax error, not a literal.
    assert!(h.send(b"C APPEND INBOX ~9\r\n").starts_with("C BAD "), "{}", h.send(b"D NOOP\r\n"));
}
