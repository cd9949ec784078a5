//! What a `RedbStore` keeps open: at most `RedbOptions::max_open_accounts` account files (the
//! least recently used idle one closes, and opens again on demand), and nothing at all for a
//! user it does not know, so a login attempt before authentication never creates or opens an
//! account file.

mod common;

use std::time::Instant;

use common::credentials;
use dime_dmap::Interrupt;
use dime_dmap::codec::Mailbox;
use dime_dmap::sasl::DecoySecret;
use dime_dmap::server::{ServerConfig, ServerSession};
use dime_dmap::store::{Store, block_on};
use dime_store::{RedbOptions, RedbStore, StoreError};

fn user(n: usize) -> String {
    format!("user{n}@example.org")
}

/// The account files on disk.
fn account_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("mail.redb.accounts")).unwrap().count()
}

#[test]
fn open_account_files_stay_at_the_cap_and_keep_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = RedbOptions::default();
    options.max_open_accounts = 4;
    let store = RedbStore::open_with(dir.path().join("mail.redb"), options).unwrap();
    for n in 0..10 {
        store.add_account(&user(n), &credentials(n as u8)).unwrap();
        block_on(store.append(&user(n), &Mailbox::inbox(), &[], None, vec![n as u8; 10])).unwrap();
        assert!(store.open_accounts() <= 4, "{} open after {} accounts", store.open_accounts(), n + 1);
    }
    assert_eq!(store.open_accounts(), 4);
    assert_eq!(account_files(dir.path()), 10);
    // Every account is reopened on demand with its data, twice round.
    for _ in 0..2 {
        for n in 0..10 {
            let view = block_on(store.mailbox(&user(n), &Mailbox::inbox())).unwrap();
            assert_eq!(view.messages.len(), 1, "{}", user(n));
            assert_eq!(block_on(store.object(&user(n), &Mailbox::inbox(), 1)).unwrap(), vec![n as u8; 10]);
            assert_eq!(store.open_accounts(), 4);
        }
    }
    assert_eq!(store.verify().unwrap().messages, 10);
    assert_eq!(store.open_accounts(), 4);
}

/// A file in use (its database held, as during a store call) is never the one closed; when
/// every open file is in use the cap gives way and comes back once they are free.
#[test]
fn files_in_use_are_not_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = RedbOptions::default();
    options.max_open_accounts = 2;
    let store = RedbStore::open_with(dir.path().join("mail.redb"), options).unwrap();
    for n in 0..4 {
        store.add_account(&user(n), &credentials(n as u8)).unwrap();
    }
    let held = store.account_database(&user(0)).unwrap();
    for n in 1..4 {
        block_on(store.append(&user(n), &Mailbox::inbox(), &[], None, vec![1])).unwrap();
        block_on(store.mailboxes(&user(0))).unwrap();
    }
    assert_eq!(store.open_accounts(), 2);
    let also_held = store.account_database(&user(1)).unwrap();
    assert_eq!(store.open_accounts(), 2);
    block_on(store.mailboxes(&user(2))).unwrap();
    assert_eq!(store.open_accounts(), 3, "both open files are in use: one more opens");
    drop((held, also_held));
    block_on(store.mailboxes(&user(3))).unwrap();
    assert_eq!(store.open_accounts(), 2);
}

/// Issue 12: a pre-authentication lookup of an unknown or arbitrary user name must not create
/// (or open) an account file.
#[test]
fn unknown_users_create_and_open_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path().join("mail.redb")).unwrap();
    store.add_account(&user(0), &credentials(1)).unwrap();
    let before = (account_files(dir.path()), store.open_accounts());
    assert_eq!(before, (1, 1));
    for name in ["nobody@example.org", "x", "../../etc/passwd", &"a".repeat(1000)] {
        assert_eq!(block_on(store.credentials(name)).unwrap(), None);
        assert!(block_on(store.mailboxes(name)).is_err());
        assert!(matches!(store.account_database(name), Err(StoreError::NoSuchAccount)));
    }
    assert_eq!((account_files(dir.path()), store.open_accounts()), before);

    // The same through a DMAP session: AUTHENTICATE STACIE for a name nobody has gets its
    // (decoy) challenge without a file being touched.
    let mut config = ServerConfig::new("example.org", DecoySecret::from_bytes([7; 32]));
    config.require_tls = false;
    let mut session = ServerSession::new(config, store.clone(), Instant::now());
    let name = dime_core::base64::encode_padded(b"stranger@example.org");
    session.enqueue_input(Instant::now(), format!("A AUTHENTICATE STACIE {name}\r\n").as_bytes());
    let mut said = Vec::new();
    loop {
        match session.next() {
            Err(Interrupt::Output(bytes)) => said.extend(bytes),
            Err(Interrupt::Store) => block_on(session.run_store()),
            Err(_) => break,
            Ok(_) => {}
        }
    }
    assert!(String::from_utf8_lossy(&said).contains("\r\n+ "), "{}", String::from_utf8_lossy(&said));
    assert_eq!((account_files(dir.path()), store.open_accounts()), before);
}
