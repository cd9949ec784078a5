//! What only a persistent store promises: state survives closing and reopening the file,
//! lookups are keyed, listings come in pages, bulk imports are all-or-nothing.

mod common;

use common::{TempRedb, credentials};
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::store::{KeyfileRecord, Store, block_on};
use dime_store::{StoreError, ops};

const ALICE: &str = "alice@example.org";

fn alice() -> TempRedb {
    let t = TempRedb::new();
    t.store.add_account(ALICE, &credentials(1)).unwrap();
    t
}

#[test]
fn reopening_preserves_every_write() {
    let t = alice();
    let inbox = Mailbox::inbox();
    let sent = Mailbox::new("Sent");
    t.store.add_mailbox(ALICE, &sent).unwrap();
    for i in 0..4u8 {
        block_on(t.store.append(ALICE, &inbox, &[Flag::Keyword(format!("k{i}"))], None, vec![i; 100])).unwrap();
    }
    block_on(t.store.set_flags(ALICE, &inbox, 2, &[Flag::Deleted])).unwrap();
    assert_eq!(block_on(t.store.expunge(ALICE, &inbox)).unwrap(), vec![2]);
    let queued = block_on(t.store.submit(ALICE, vec![9; 5])).unwrap();
    block_on(t.store.store_keyfile(ALICE, KeyfileRecord { shard: [3; 64], envelope: vec![4; 40] })).unwrap();
    let before_inbox = block_on(t.store.mailbox(ALICE, &inbox)).unwrap();
    let before_sent = block_on(t.store.mailbox(ALICE, &sent)).unwrap();

    let t = t.reopen();
    assert_eq!(block_on(t.store.credentials(ALICE)).unwrap(), Some(credentials(1)));
    assert_eq!(block_on(t.store.mailboxes(ALICE)).unwrap(), vec![inbox.clone(), sent.clone()]);
    let after_inbox = block_on(t.store.mailbox(ALICE, &inbox)).unwrap();
    assert_eq!(after_inbox, before_inbox);
    assert_eq!((after_inbox.uid_validity, after_inbox.uid_next), (before_inbox.uid_validity, 5));
    assert_eq!(block_on(t.store.mailbox(ALICE, &sent)).unwrap(), before_sent);
    assert_eq!(block_on(t.store.object(ALICE, &inbox, 3)).unwrap(), vec![2; 100]);
    assert_eq!(block_on(t.store.object(ALICE, &inbox, 2)), Err(dime_dmap::DmapError::NoSuchMessage));
    assert_eq!(
        block_on(t.store.keyfile(ALICE)).unwrap(),
        Some(KeyfileRecord { shard: [3; 64], envelope: vec![4; 40] })
    );
    assert_eq!(t.store.outbox().unwrap().iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![queued.clone()]);
    // Counters continue where they were: no UID, UIDVALIDITY or queue id is handed out twice.
    assert_eq!(block_on(t.store.append(ALICE, &inbox, &[], None, vec![1])).unwrap(), 5);
    assert!(t.store.remove_submission(&queued).unwrap());
    assert!(!t.store.remove_submission(&queued).unwrap());
    assert_ne!(block_on(t.store.submit(ALICE, vec![1])).unwrap(), queued);
    t.store.add_mailbox(ALICE, &Mailbox::new("New")).unwrap();
    let newest = block_on(t.store.mailbox(ALICE, &Mailbox::new("New"))).unwrap().uid_validity;
    assert!(newest > before_sent.uid_validity.max(before_inbox.uid_validity));
    assert_eq!(t.store.verify().unwrap().messages, 4);
}

#[test]
fn replacing_an_account_keeps_its_mail() {
    let t = alice();
    block_on(t.store.append(ALICE, &Mailbox::inbox(), &[], None, vec![1])).unwrap();
    let validity = block_on(t.store.mailbox(ALICE, &Mailbox::inbox())).unwrap().uid_validity;
    t.store.add_account(ALICE, &credentials(7)).unwrap();
    assert_eq!(block_on(t.store.credentials(ALICE)).unwrap(), Some(credentials(7)));
    let view = block_on(t.store.mailbox(ALICE, &Mailbox::inbox())).unwrap();
    assert_eq!((view.uid_validity, view.messages.len()), (validity, 1));
}

#[test]
fn uid_lookups_are_keyed_and_listings_come_in_pages() {
    let t = alice();
    let db = t.store.account_database(ALICE).unwrap();
    let db = &*db;
    let inbox = Mailbox::inbox();
    let date = DateTime::new(1_700_000_000, 0).unwrap();
    let uids = t.store.import(ALICE, &inbox, (0..1000u32).map(|i| (vec![], date, i.to_be_bytes().to_vec()))).unwrap();
    assert_eq!(uids, 1..1001);
    for uid in [1, 2, 3, 5, 8] {
        ops::set_flags(db, ALICE, &inbox, uid, &[Flag::Deleted]).unwrap();
    }
    dime_dmap::store::block_on(t.store.clone().expunge(ALICE, &inbox)).unwrap();
    assert_eq!(ops::message(db, ALICE, &inbox, 777).unwrap().size, 4);
    assert_eq!(ops::object(db, ALICE, &inbox, 777).unwrap(), 776u32.to_be_bytes());
    assert!(matches!(ops::message(db, ALICE, &inbox, 5), Err(StoreError::NoSuchMessage)));
    assert!(matches!(ops::message(db, ALICE, &Mailbox::new("x"), 5), Err(StoreError::NoSuchMailbox)));
    assert!(matches!(ops::message(db, "bob", &inbox, 5), Err(StoreError::NoSuchAccount)));

    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = ops::messages(db, ALICE, &inbox, after, 128).unwrap();
        assert!(page.len() <= 128);
        let Some(last) = page.last() else { break };
        after = last.uid;
        seen.extend(page.iter().map(|m| m.uid));
    }
    let expected: Vec<u32> = (1..=1000).filter(|u| ![1, 2, 3, 5, 8].contains(u)).collect();
    assert_eq!(seen, expected);
    assert!(ops::messages(db, ALICE, &inbox, u32::MAX, 10).unwrap().is_empty());
    assert_eq!(ops::mailbox_state(db, ALICE, &inbox).unwrap().uid_next, 1001);
}

#[test]
fn a_failed_import_stores_nothing() {
    let t = alice();
    let inbox = Mailbox::inbox();
    let date = DateTime::UNIX_EPOCH;
    // The fourth message has a flag name too long to store: the whole batch is refused.
    let long = Flag::Keyword("k".repeat(70_000));
    let batch = (0..5).map(|i| (if i == 3 { vec![long.clone()] } else { vec![] }, date, vec![i]));
    assert!(matches!(t.store.import(ALICE, &inbox, batch), Err(StoreError::Refused("flag name too long"))));
    assert!(matches!(
        t.store.import(ALICE, &Mailbox::new("x"), [(vec![], date, vec![1])]),
        Err(StoreError::NoSuchMailbox)
    ));
    let state = ops::mailbox_state(&t.store.account_database(ALICE).unwrap(), ALICE, &inbox).unwrap();
    assert_eq!(state.uid_next, 1);
    assert_eq!(t.store.verify().unwrap().messages, 0);
}

#[test]
fn a_second_process_cannot_open_the_file_while_it_is_open() {
    let t = alice();
    let again = dime_store::RedbStore::open(t.dir.path().join("mail.redb"));
    assert!(
        matches!(&again, Err(StoreError::Database(e)) if matches!(**e, dime_store::redb::Error::DatabaseAlreadyOpen)),
        "{again:?}"
    );
}

/// Separate accounts never wait for each other: each account has its own file, so bob's APPEND
/// commits while a write transaction on alice's account is open (5 s or it counts as waiting).
#[test]
fn one_accounts_open_write_does_not_hold_up_anothers_append() {
    const BOB: &str = "bob@example.org";
    let t = alice();
    t.store.add_account(BOB, &credentials(2)).unwrap();
    let alice_db = t.store.account_database(ALICE).unwrap();
    let open = alice_db.begin_write().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    let store = t.store.clone();
    std::thread::spawn(move || {
        let _ = done.send(block_on(store.append(BOB, &Mailbox::inbox(), &[], None, b"for bob".to_vec())));
    });
    let appended = finished.recv_timeout(std::time::Duration::from_secs(5));
    assert_eq!(appended, Ok(Ok(1)), "bob's APPEND waited for alice's write transaction");
    drop(open);
    assert_eq!(block_on(t.store.object(BOB, &Mailbox::inbox(), 1)).unwrap(), b"for bob");
    assert_eq!(t.store.verify().unwrap().messages, 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// `Store::page` and `Store::messages` of both stores agree with the whole listing
    /// (`Store::mailbox`) filtered by hand, for any gaps in the UIDs, page and UID list; the
    /// redb store reads dense and sparse UID lists by different paths.
    #[test]
    fn pages_and_uid_lookups_agree_with_the_whole_listing(
        kept in proptest::collection::vec(proptest::bool::ANY, 1..80),
        after in 0u32..90,
        limit in 0usize..40,
        wanted in proptest::collection::btree_set(1u32..90, 0..30),
    ) {
        let t = alice();
        let memory = dime_dmap::store::MemoryStore::new();
        memory.add_account(ALICE, credentials(1));
        let inbox = Mailbox::inbox();
        for (i, &keep) in kept.iter().enumerate() {
            let flags = if keep { vec![Flag::Keyword(format!("k{i}"))] } else { vec![Flag::Deleted] };
            let date = Some(DateTime::new(1_700_000_000 + i as i64, 0).unwrap());
            block_on(t.store.append(ALICE, &inbox, &flags, date, vec![i as u8; i + 1])).unwrap();
            block_on(memory.append(ALICE, &inbox, &flags, date, vec![i as u8; i + 1])).unwrap();
        }
        block_on(t.store.expunge(ALICE, &inbox)).unwrap();
        block_on(memory.expunge(ALICE, &inbox)).unwrap();
        let wanted: Vec<u32> = wanted.into_iter().collect();
        let whole = block_on(t.store.mailbox(ALICE, &inbox)).unwrap();
        proptest::prop_assert_eq!(&whole.messages, &block_on(memory.mailbox(ALICE, &inbox)).unwrap().messages);
        let page: Vec<_> = whole.messages.iter().filter(|m| m.uid > after).take(limit).cloned().collect();
        let picked: Vec<_> = whole.messages.iter().filter(|m| wanted.contains(&m.uid)).cloned().collect();
        let found = block_on(t.store.page(ALICE, &inbox, after, limit)).unwrap();
        proptest::prop_assert_eq!((found.uid_validity, found.uid_next), (whole.uid_validity, whole.uid_next));
        proptest::prop_assert_eq!(&found.messages, &page);
        let found = block_on(memory.page(ALICE, &inbox, after, limit)).unwrap();
        proptest::prop_assert_eq!(found.uid_next, whole.uid_next);
        proptest::prop_assert_eq!(&found.messages, &page);
        proptest::prop_assert_eq!(&block_on(t.store.messages(ALICE, &inbox, &wanted)).unwrap(), &picked);
        proptest::prop_assert_eq!(&block_on(memory.messages(ALICE, &inbox, &wanted)).unwrap(), &picked);
    }
}

#[test]
fn pages_of_a_missing_mailbox_have_the_exact_error() {
    let t = alice();
    let nowhere = Mailbox::new("Nowhere");
    assert_eq!(block_on(t.store.page(ALICE, &nowhere, 0, 10)), Err(dime_dmap::DmapError::NoSuchMailbox));
    assert_eq!(block_on(t.store.messages(ALICE, &nowhere, &[1])), Err(dime_dmap::DmapError::NoSuchMailbox));
}
