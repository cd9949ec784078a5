//! The behaviour every DMAP store shares, run against both `MemoryStore` and `RedbStore`:
//! the same calls must give the same answers and the same exact errors.

mod common;

use common::{TestStore, credentials};
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_dmap::DmapError;
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::store::{Issuer, KeyfileRecord, SignetAnswer, block_on};
use dime_signet::issue;

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";

fn date(n: i64) -> DateTime {
    DateTime::new(1_750_000_000 + n, 120).unwrap()
}

fn with_alice<S: TestStore>(mut store: S) -> S {
    store.add_account(ALICE, credentials(1));
    store
}

fn credentials_of_known_and_unknown_users<S: TestStore>(store: S) {
    let store = with_alice(store);
    assert_eq!(block_on(store.credentials(ALICE)).unwrap(), Some(credentials(1)));
    assert_eq!(block_on(store.credentials(BOB)).unwrap(), None);
}

fn a_new_account_has_an_empty_inbox<S: TestStore>(store: S) {
    let store = with_alice(store);
    assert_eq!(block_on(store.mailboxes(ALICE)).unwrap(), vec![Mailbox::inbox()]);
    let view = block_on(store.mailbox(ALICE, &Mailbox::inbox())).unwrap();
    assert_eq!(view.uid_next, 1);
    assert_ne!(view.uid_validity, 0);
    assert!(view.messages.is_empty());
}

fn mailboxes_are_listed_in_name_order_with_their_own_validity<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    store.add_mailbox(ALICE, &Mailbox::new("Sent"));
    store.add_mailbox(ALICE, &Mailbox::new("Archive"));
    store.add_account(BOB, credentials(2));
    store.add_mailbox(BOB, &Mailbox::new("Bobs"));
    assert_eq!(
        block_on(store.mailboxes(ALICE)).unwrap(),
        vec![Mailbox::new("Archive"), Mailbox::inbox(), Mailbox::new("Sent")]
    );
    assert_eq!(block_on(store.mailboxes(BOB)).unwrap(), vec![Mailbox::new("Bobs"), Mailbox::inbox()]);
    let validities: std::collections::BTreeSet<u32> = ["INBOX", "Sent", "Archive"]
        .iter()
        .map(|name| block_on(store.mailbox(ALICE, &Mailbox::new(name))).unwrap().uid_validity)
        .collect();
    assert_eq!(validities.len(), 3);
}

fn unknown_accounts_and_mailboxes_have_exact_errors<S: TestStore>(store: S) {
    let store = with_alice(store);
    let refused = DmapError::StoreRefused("no such account".into());
    let inbox = Mailbox::inbox();
    let other = Mailbox::new("Nope");
    assert_eq!(block_on(store.mailboxes(BOB)), Err(refused.clone()));
    assert_eq!(block_on(store.mailbox(BOB, &inbox)), Err(refused.clone()));
    assert_eq!(block_on(store.object(BOB, &inbox, 1)), Err(refused.clone()));
    assert_eq!(block_on(store.set_flags(BOB, &inbox, 1, &[])), Err(refused.clone()));
    assert_eq!(block_on(store.expunge(BOB, &inbox)), Err(refused.clone()));
    assert_eq!(block_on(store.append(BOB, &inbox, &[], None, vec![1])), Err(refused.clone()));
    assert_eq!(block_on(store.keyfile(BOB)), Err(refused.clone()));
    assert_eq!(block_on(store.store_keyfile(BOB, KeyfileRecord { shard: [0; 64], envelope: vec![] })), Err(refused));
    assert_eq!(block_on(store.mailbox(ALICE, &other)), Err(DmapError::NoSuchMailbox));
    assert_eq!(block_on(store.object(ALICE, &other, 1)), Err(DmapError::NoSuchMailbox));
    assert_eq!(block_on(store.set_flags(ALICE, &other, 1, &[])), Err(DmapError::NoSuchMailbox));
    assert_eq!(block_on(store.expunge(ALICE, &other)), Err(DmapError::NoSuchMailbox));
    assert_eq!(block_on(store.append(ALICE, &other, &[], None, vec![1])), Err(DmapError::NoSuchMailbox));
    // A refused APPEND leaves nothing behind.
    assert_eq!(block_on(store.mailboxes(ALICE)).unwrap(), vec![Mailbox::inbox()]);
    assert_eq!(block_on(store.mailbox(ALICE, &inbox)).unwrap().uid_next, 1);
}

fn unknown_messages_have_exact_errors<S: TestStore>(store: S) {
    let store = with_alice(store);
    let inbox = Mailbox::inbox();
    assert_eq!(block_on(store.object(ALICE, &inbox, 1)), Err(DmapError::NoSuchMessage));
    assert_eq!(block_on(store.set_flags(ALICE, &inbox, 1, &[Flag::Seen])), Err(DmapError::NoSuchMessage));
    let uid = block_on(store.append(ALICE, &inbox, &[], None, vec![1])).unwrap();
    assert_eq!(block_on(store.object(ALICE, &inbox, uid + 1)), Err(DmapError::NoSuchMessage));
    assert_eq!(block_on(store.object(ALICE, &inbox, 0)), Err(DmapError::NoSuchMessage));
    assert_eq!(block_on(store.set_flags(ALICE, &inbox, u32::MAX, &[])), Err(DmapError::NoSuchMessage));
}

fn appended_messages_keep_uid_order_flags_dates_and_objects<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    let inbox = Mailbox::inbox();
    let keyword = Flag::Keyword("$Label1".into());
    let uids: Vec<u32> = (0..3)
        .map(|i| {
            let flags = if i == 1 { vec![Flag::Seen, keyword.clone()] } else { vec![] };
            block_on(store.append(ALICE, &inbox, &flags, Some(date(i)), vec![i as u8; 10 + i as usize])).unwrap()
        })
        .collect();
    assert_eq!(uids, [1, 2, 3]);
    let view = block_on(store.mailbox(ALICE, &inbox)).unwrap();
    assert_eq!(view.uid_next, 4);
    assert_eq!(view.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), uids);
    assert_eq!(view.messages[1].flags, vec![Flag::Seen, keyword]);
    assert_eq!(view.messages[2].internal_date, date(2));
    assert_eq!(view.messages.iter().map(|m| m.size).collect::<Vec<_>>(), [10, 11, 12]);
    assert_eq!(block_on(store.object(ALICE, &inbox, 2)).unwrap(), vec![1; 11]);
    // Another user's INBOX is untouched.
    store.add_account(BOB, credentials(2));
    assert!(block_on(store.mailbox(BOB, &inbox)).unwrap().messages.is_empty());
    assert_eq!(block_on(store.object(BOB, &inbox, 1)), Err(DmapError::NoSuchMessage));
}

fn append_without_date_uses_now<S: TestStore>(store: S) {
    let store = with_alice(store);
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    block_on(store.append(ALICE, &Mailbox::inbox(), &[], None, vec![7])).unwrap();
    let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let date = block_on(store.mailbox(ALICE, &Mailbox::inbox())).unwrap().messages[0].internal_date;
    assert!((before..=after).contains(&date.unix()), "{date:?}");
}

fn set_flags_replaces_the_flags<S: TestStore>(store: S) {
    let store = with_alice(store);
    let inbox = Mailbox::inbox();
    let uid = block_on(store.append(ALICE, &inbox, &[Flag::Seen, Flag::Flagged], None, vec![1])).unwrap();
    let flags = [Flag::Answered, Flag::Extension("Custom".into()), Flag::Keyword("work".into())];
    block_on(store.set_flags(ALICE, &inbox, uid, &flags)).unwrap();
    assert_eq!(block_on(store.mailbox(ALICE, &inbox)).unwrap().messages[0].flags, flags);
    block_on(store.set_flags(ALICE, &inbox, uid, &[])).unwrap();
    assert!(block_on(store.mailbox(ALICE, &inbox)).unwrap().messages[0].flags.is_empty());
}

fn set_flags_many_writes_all_or_nothing<S: TestStore>(store: S) {
    let store = with_alice(store);
    let inbox = Mailbox::inbox();
    for i in 0..3u8 {
        block_on(store.append(ALICE, &inbox, &[], None, vec![i])).unwrap();
    }
    let changes = [(1, vec![Flag::Seen]), (3, vec![Flag::Flagged, Flag::Keyword("work".into())])];
    block_on(store.set_flags_many(ALICE, &inbox, &changes)).unwrap();
    let flags = |store: &S| -> Vec<Vec<Flag>> {
        block_on(store.mailbox(ALICE, &inbox)).unwrap().messages.into_iter().map(|m| m.flags).collect()
    };
    assert_eq!(flags(&store), [changes[0].1.clone(), vec![], changes[1].1.clone()]);
    // A message that is not there fails the whole call, and nothing changes.
    let with_missing = [(2, vec![Flag::Deleted]), (9, vec![])];
    assert_eq!(block_on(store.set_flags_many(ALICE, &inbox, &with_missing)), Err(DmapError::NoSuchMessage));
    assert_eq!(flags(&store), [changes[0].1.clone(), vec![], changes[1].1.clone()]);
    assert_eq!(block_on(store.set_flags_many(ALICE, &Mailbox::new("Nope"), &[])), Err(DmapError::NoSuchMailbox));
}

fn expunge_removes_deleted_messages_only<S: TestStore>(store: S) {
    let store = with_alice(store);
    let inbox = Mailbox::inbox();
    for i in 0..5u8 {
        dime_dmap::store::block_on(store.append(ALICE, &inbox, &[], Some(date(i.into())), vec![i])).unwrap();
    }
    for uid in [4, 2] {
        block_on(store.set_flags(ALICE, &inbox, uid, &[Flag::Seen, Flag::Deleted])).unwrap();
    }
    assert_eq!(block_on(store.expunge(ALICE, &inbox)).unwrap(), vec![2, 4]);
    let view = block_on(store.mailbox(ALICE, &inbox)).unwrap();
    assert_eq!(view.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), [1, 3, 5]);
    assert_eq!(view.uid_next, 6);
    assert_eq!(block_on(store.object(ALICE, &inbox, 2)), Err(DmapError::NoSuchMessage));
    assert_eq!(block_on(store.object(ALICE, &inbox, 3)).unwrap(), vec![2]);
    assert_eq!(block_on(store.expunge(ALICE, &inbox)).unwrap(), Vec::<u32>::new());
    // UIDs are never reused.
    assert_eq!(block_on(store.append(ALICE, &inbox, &[], None, vec![9])).unwrap(), 6);
}

fn submissions_queue_in_order<S: TestStore>(store: S) {
    let store = with_alice(store);
    assert_eq!(block_on(store.submit(ALICE, vec![])), Err(DmapError::StoreRefused("empty object".into())));
    let first = block_on(store.submit(ALICE, vec![1, 2])).unwrap();
    let second = block_on(store.submit(BOB, vec![3])).unwrap();
    assert_ne!(first, second);
    let outbox = store.outbox();
    assert_eq!(outbox.len(), 2);
    assert_eq!(
        (outbox[0].user.as_str(), outbox[0].id.as_str(), outbox[0].object.as_slice()),
        (ALICE, first.as_str(), &[1, 2][..])
    );
    assert_eq!(
        (outbox[1].user.as_str(), outbox[1].id.as_str(), outbox[1].object.as_slice()),
        (BOB, second.as_str(), &[3][..])
    );
}

fn keyfiles_are_stored_and_replaced<S: TestStore>(store: S) {
    let store = with_alice(store);
    assert_eq!(block_on(store.keyfile(ALICE)).unwrap(), None);
    let first = KeyfileRecord { shard: [1; 64], envelope: vec![1, 2, 3] };
    block_on(store.store_keyfile(ALICE, first.clone())).unwrap();
    assert_eq!(block_on(store.keyfile(ALICE)).unwrap(), Some(first));
    let second = KeyfileRecord { shard: [2; 64], envelope: vec![] };
    block_on(store.store_keyfile(ALICE, second.clone())).unwrap();
    assert_eq!(block_on(store.keyfile(ALICE)).unwrap(), Some(second));
}

fn signets_are_published_and_looked_up<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    let pok = SigningSecretKey::generate().unwrap();
    let org = issue::new_org_signet(&pok, &EncryptionSecretKey::generate().unwrap().public().unwrap(), "example.org")
        .unwrap();
    store.publish_signet("Example.ORG", org.clone());
    assert_eq!(block_on(store.signet("example.org")).unwrap(), SignetAnswer::Found(Box::new(org.clone())));
    assert_eq!(block_on(store.signet("EXAMPLE.org")).unwrap(), SignetAnswer::Found(Box::new(org)));
    // No domain declared: every unpublished signet is simply not found.
    assert_eq!(block_on(store.signet("carol@elsewhere.net")).unwrap(), SignetAnswer::NotFound);
    store.serve_domain("Example.org");
    assert_eq!(block_on(store.signet("carol@example.org")).unwrap(), SignetAnswer::NotFound);
    assert_eq!(block_on(store.signet("carol@elsewhere.net")).unwrap(), SignetAnswer::Elsewhere);
    assert_eq!(block_on(store.signet("elsewhere.net")).unwrap(), SignetAnswer::Elsewhere);
}

fn user_signets_are_issued_and_published<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    let user_key = SigningSecretKey::generate().unwrap();
    let request =
        issue::new_request(&user_key, &EncryptionSecretKey::generate().unwrap().public().unwrap(), None).unwrap();
    assert_eq!(
        block_on(store.issue_signet("alice", &request)),
        Err(DmapError::StoreRefused("this server issues no signets".into()))
    );
    let pok = SigningSecretKey::generate().unwrap();
    let org = issue::new_org_signet(&pok, &EncryptionSecretKey::generate().unwrap().public().unwrap(), "example.org")
        .unwrap();
    store.set_issuer(Issuer { org, key: pok, domain: "example.org".into() });
    let (address, signet) = block_on(store.issue_signet("alice", &request)).unwrap();
    assert_eq!(address, ALICE);
    assert_eq!(signet.signing_key(), Some(user_key.public()));
    assert_eq!(block_on(store.signet("Alice@Example.org")).unwrap(), SignetAnswer::Found(Box::new(signet)));
    // A request that is not a signing request is refused and publishes nothing.
    let (_, issued) = block_on(store.issue_signet(BOB, &request)).unwrap();
    assert!(matches!(block_on(store.issue_signet("carol", &issued)), Err(DmapError::Signet(_))));
    assert_eq!(block_on(store.signet("carol@example.org")).unwrap(), SignetAnswer::NotFound);
}

fn names<S: TestStore>(store: &mut S) -> Vec<String> {
    block_on(store.mailboxes(ALICE)).unwrap().iter().map(|m| m.as_str().to_string()).collect()
}

fn mailboxes_are_created_and_deleted_with_their_messages<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    let work = Mailbox::new("Work");
    block_on(store.create_mailbox(ALICE, &work)).unwrap();
    assert_eq!(block_on(store.create_mailbox(ALICE, &work)), Err(DmapError::MailboxExists));
    assert_eq!(block_on(store.create_mailbox(ALICE, &Mailbox::new("inbox"))), Err(DmapError::MailboxExists));
    assert_eq!(block_on(store.create_mailbox(BOB, &work)), Err(DmapError::StoreRefused("no such account".into())));
    let first = block_on(store.mailbox(ALICE, &work)).unwrap().uid_validity;
    assert_eq!(block_on(store.uid_validity(ALICE, &work)).unwrap(), first);
    assert_eq!(block_on(store.uid_validity(ALICE, &Mailbox::new("Nope"))), Err(DmapError::NoSuchMailbox));
    block_on(store.append(ALICE, &work, &[], Some(date(1)), vec![1, 2])).unwrap();
    block_on(store.create_mailbox(ALICE, &Mailbox::new("Work/Sub"))).unwrap();
    block_on(store.delete_mailbox(ALICE, &work)).unwrap();
    assert_eq!(names(&mut store), ["INBOX", "Work/Sub"], "inferiors stay");
    assert_eq!(block_on(store.delete_mailbox(ALICE, &work)), Err(DmapError::NoSuchMailbox));
    assert_eq!(
        block_on(store.delete_mailbox(ALICE, &Mailbox::inbox())),
        Err(DmapError::StoreRefused("INBOX cannot be deleted".into()))
    );
    // A mailbox created again under the old name is new: no messages, a new UIDVALIDITY.
    block_on(store.create_mailbox(ALICE, &work)).unwrap();
    let view = block_on(store.mailbox(ALICE, &work)).unwrap();
    assert!(view.messages.is_empty());
    assert_eq!(view.uid_next, 1);
    assert!(view.uid_validity > first);
}

fn rename_moves_a_mailbox_and_its_inferiors<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    let (a, b) = (Mailbox::new("a"), Mailbox::new("b"));
    block_on(store.create_mailbox(ALICE, &a)).unwrap();
    block_on(store.create_mailbox(ALICE, &Mailbox::new("a/x"))).unwrap();
    block_on(store.create_mailbox(ALICE, &Mailbox::new("ab"))).unwrap();
    let uid = block_on(store.append(ALICE, &Mailbox::new("a/x"), &[Flag::Seen], Some(date(2)), vec![9; 5])).unwrap();
    let before = block_on(store.mailbox(ALICE, &Mailbox::new("a/x"))).unwrap();
    block_on(store.rename_mailbox(ALICE, &a, &b)).unwrap();
    assert_eq!(names(&mut store), ["INBOX", "ab", "b", "b/x"]);
    assert_eq!(block_on(store.mailbox(ALICE, &Mailbox::new("b/x"))).unwrap(), before);
    assert_eq!(block_on(store.object(ALICE, &Mailbox::new("b/x"), uid)).unwrap(), vec![9; 5]);
    assert_eq!(block_on(store.rename_mailbox(ALICE, &a, &b)), Err(DmapError::NoSuchMailbox));
    assert_eq!(block_on(store.rename_mailbox(ALICE, &b, &Mailbox::new("ab"))), Err(DmapError::MailboxExists));
    assert_eq!(block_on(store.rename_mailbox(ALICE, &b, &Mailbox::inbox())), Err(DmapError::MailboxExists));
    assert_eq!(
        block_on(store.rename_mailbox(ALICE, &b, &Mailbox::new("b/y"))),
        Err(DmapError::StoreRefused("a mailbox cannot be renamed into itself".into()))
    );
    // A refused rename changed nothing.
    assert_eq!(names(&mut store), ["INBOX", "ab", "b", "b/x"]);
}

fn renaming_inbox_moves_its_messages_and_leaves_it_empty<S: TestStore>(store: S) {
    let mut store = with_alice(store);
    let inbox = Mailbox::inbox();
    block_on(store.create_mailbox(ALICE, &Mailbox::new("INBOX/kept"))).unwrap();
    block_on(store.append(ALICE, &inbox, &[], Some(date(1)), vec![1])).unwrap();
    block_on(store.append(ALICE, &inbox, &[Flag::Flagged], Some(date(2)), vec![2])).unwrap();
    let before = block_on(store.mailbox(ALICE, &inbox)).unwrap();
    block_on(store.rename_mailbox(ALICE, &inbox, &Mailbox::new("Old"))).unwrap();
    assert_eq!(names(&mut store), ["INBOX", "INBOX/kept", "Old"]);
    assert_eq!(block_on(store.mailbox(ALICE, &Mailbox::new("Old"))).unwrap(), before);
    let after = block_on(store.mailbox(ALICE, &inbox)).unwrap();
    assert!(after.messages.is_empty());
    assert_ne!(after.uid_validity, before.uid_validity);
}

fn subscriptions_are_names<S: TestStore>(store: S) {
    let store = with_alice(store);
    let work = Mailbox::new("Work");
    block_on(store.create_mailbox(ALICE, &work)).unwrap();
    block_on(store.set_subscribed(ALICE, &work, true)).unwrap();
    block_on(store.set_subscribed(ALICE, &Mailbox::inbox(), true)).unwrap();
    block_on(store.set_subscribed(ALICE, &work, true)).unwrap();
    assert_eq!(block_on(store.subscriptions(ALICE)).unwrap(), vec![Mailbox::inbox(), work.clone()]);
    block_on(store.delete_mailbox(ALICE, &work)).unwrap();
    assert_eq!(block_on(store.subscriptions(ALICE)).unwrap(), vec![Mailbox::inbox(), work.clone()]);
    block_on(store.set_subscribed(ALICE, &work, false)).unwrap();
    block_on(store.set_subscribed(ALICE, &work, false)).unwrap();
    assert_eq!(block_on(store.subscriptions(ALICE)).unwrap(), vec![Mailbox::inbox()]);
    assert_eq!(block_on(store.subscriptions(BOB)), Err(DmapError::StoreRefused("no such account".into())));
}

fn copy_and_move_give_new_uids_and_keep_flags_and_dates<S: TestStore>(store: S) {
    let store = with_alice(store);
    let (inbox, archive) = (Mailbox::inbox(), Mailbox::new("Archive"));
    block_on(store.create_mailbox(ALICE, &archive)).unwrap();
    block_on(store.append(ALICE, &archive, &[], Some(date(0)), vec![0])).unwrap();
    for n in 1..=4u8 {
        dime_dmap::store::block_on(store.append(
            ALICE,
            &inbox,
            &[Flag::Keyword(format!("k{n}"))],
            Some(date(n.into())),
            vec![n; 3],
        ))
        .unwrap();
    }
    assert_eq!(block_on(store.copy(ALICE, &inbox, &[1, 3, 9], &archive)).unwrap(), vec![(1, 2), (3, 3)]);
    let view = block_on(store.mailbox(ALICE, &archive)).unwrap();
    assert_eq!(view.uid_next, 4);
    assert_eq!(view.messages[1].flags, vec![Flag::Keyword("k1".into())]);
    assert_eq!(view.messages[2].internal_date, date(3));
    assert_eq!(block_on(store.object(ALICE, &archive, 3)).unwrap(), vec![3; 3]);
    assert_eq!(block_on(store.mailbox(ALICE, &inbox)).unwrap().messages.len(), 4, "copy leaves the source");
    assert_eq!(block_on(store.move_messages(ALICE, &inbox, &[2, 4], &archive)).unwrap(), vec![(2, 4), (4, 5)]);
    let uids: Vec<u32> = block_on(store.mailbox(ALICE, &inbox)).unwrap().messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [1, 3]);
    assert_eq!(block_on(store.object(ALICE, &inbox, 2)), Err(DmapError::NoSuchMessage));
    assert_eq!(block_on(store.object(ALICE, &archive, 5)).unwrap(), vec![4; 3]);
    assert_eq!(block_on(store.copy(ALICE, &inbox, &[1], &Mailbox::new("Nope"))), Err(DmapError::NoSuchMailbox));
    assert_eq!(
        block_on(store.move_messages(ALICE, &Mailbox::new("Nope"), &[1], &inbox)),
        Err(DmapError::NoSuchMailbox)
    );
    assert_eq!(block_on(store.mailbox(ALICE, &inbox)).unwrap().messages.len(), 2, "a refused move changed nothing");
}

fn uid_expunge_removes_only_named_deleted_messages<S: TestStore>(store: S) {
    let store = with_alice(store);
    let inbox = Mailbox::inbox();
    for n in 1..=4u8 {
        block_on(store.append(ALICE, &inbox, &[Flag::Deleted], None, vec![n])).unwrap();
    }
    block_on(store.set_flags(ALICE, &inbox, 3, &[])).unwrap();
    assert_eq!(block_on(store.expunge_uids(ALICE, &inbox, &[2, 3, 4, 7])).unwrap(), vec![2, 4]);
    let uids: Vec<u32> = block_on(store.mailbox(ALICE, &inbox)).unwrap().messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [1, 3]);
    assert_eq!(block_on(store.expunge_uids(ALICE, &Mailbox::new("Nope"), &[1])), Err(DmapError::NoSuchMailbox));
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $name() {
                super::$name(dime_dmap::store::MemoryStore::new());
            })*
        }
        mod redb {
            $(#[test]
            fn $name() {
                super::$name(super::common::TempRedb::new());
            })*
        }
    };
}

suite!(
    credentials_of_known_and_unknown_users,
    a_new_account_has_an_empty_inbox,
    mailboxes_are_listed_in_name_order_with_their_own_validity,
    unknown_accounts_and_mailboxes_have_exact_errors,
    unknown_messages_have_exact_errors,
    appended_messages_keep_uid_order_flags_dates_and_objects,
    append_without_date_uses_now,
    set_flags_replaces_the_flags,
    set_flags_many_writes_all_or_nothing,
    expunge_removes_deleted_messages_only,
    submissions_queue_in_order,
    keyfiles_are_stored_and_replaced,
    signets_are_published_and_looked_up,
    user_signets_are_issued_and_published,
    mailboxes_are_created_and_deleted_with_their_messages,
    rename_moves_a_mailbox_and_its_inferiors,
    renaming_inbox_moves_its_messages_and_leaves_it_empty,
    subscriptions_are_names,
    copy_and_move_give_new_uids_and_keep_flags_and_dates,
    uid_expunge_removes_only_named_deleted_messages,
);
