//! `RedbOutbox`: dime-dmtp's outbox on a redb file. What an acknowledged `enqueue` wrote, and
//! every state change after it, is there when the file is opened again; a delivered or bounced
//! entry is gone; ids are never reused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::client::Delivery;
use dime_dmtp::outbox::{EntryId, Finished, Outbox, OutboxStore, RetryPolicy};
use dime_dmtp::wire::TxId;
use dime_signet::record::HostName;
use dime_store::RedbOutbox;

fn delivery(object: &'static [u8]) -> Delivery {
    Delivery {
        origin: HostName::new("example.org").unwrap(),
        origin_fingerprint: Fingerprint::of(b"example.org"),
        destination: HostName::new("example.net").unwrap(),
        destination_fingerprint: Fingerprint::of(b"example.net"),
        object: bytes::Bytes::from_static(object),
        hash: Some(Fingerprint::of(object)),
        return_type: None,
        data_type: None,
    }
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_400_000 + seconds)
}

#[test]
fn queued_deliveries_and_their_states_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.redb");

    let mut outbox = Outbox::open(RedbOutbox::open(&path).unwrap(), RetryPolicy::new()).unwrap();
    let first = outbox.enqueue(&delivery(b"\0first object"), at(0)).unwrap();
    let second = outbox.enqueue(&delivery(b"second object"), at(0)).unwrap();
    let third = outbox.enqueue(&delivery(b"third object"), at(0)).unwrap();
    assert_eq!(outbox.take_due(at(0)).unwrap().len(), 3);
    let retry = outbox.finish(first, Err(DmtpError::Timeout { phase: dime_dmtp::TimeoutPhase::Data }), at(10)).unwrap();
    assert!(matches!(retry, Some(Finished::Retry { .. })), "{retry:?}");
    let txid = TxId::random().unwrap();
    assert!(matches!(outbox.finish(third, Ok(txid), at(10)), Ok(Some(Finished::Delivered(_)))));
    // The process ends with `second` in flight.
    drop(outbox);

    let store = RedbOutbox::open(&path).unwrap();
    assert_eq!(
        store.last_error(first).unwrap().as_deref(),
        Some("timed out waiting for the reply to the message data")
    );
    assert_eq!(store.last_error(second).unwrap(), None);
    assert_eq!(store.delivery(third).unwrap(), None, "a delivered entry came back");
    let mut outbox = Outbox::open(store, RetryPolicy::new()).unwrap();
    assert_eq!(outbox.len(), 2);
    let state = outbox.state(first).unwrap();
    assert_eq!((state.queued, state.failures, state.due), (at(0), 1, at(10 + 300)));
    // In flight when the process ended: due as recorded, handed out again whole.
    assert_eq!(outbox.take_due(at(11)).unwrap(), vec![(second, delivery(b"second object"))]);
    assert_eq!(outbox.take_due(at(310)).unwrap(), vec![(first, delivery(b"\0first object"))]);
    let refused = DmtpError::MessageTooLarge { size: 13, limit: 1 };
    assert!(matches!(outbox.finish(first, Err(refused), at(311)), Ok(Some(Finished::Bounced(_)))));
    assert_eq!(outbox.enqueue(&delivery(b"fourth"), at(312)).unwrap(), EntryId(3), "an id was reused");
    drop(outbox);

    let outbox = Outbox::open(RedbOutbox::open(&path).unwrap(), RetryPolicy::new()).unwrap();
    let mut ids: Vec<EntryId> = outbox.store().states().unwrap().into_iter().map(|(id, _)| id).collect();
    ids.sort();
    assert_eq!(ids, vec![second, EntryId(3)]);
}

#[test]
fn the_outbox_shares_a_file_with_the_mail_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dime_store::RedbStore::open(dir.path().join("mail.redb")).unwrap();
    let mut outbox = RedbOutbox::from_database(store.database().clone()).unwrap();
    let state = dime_dmtp::outbox::EntryState { queued: at(0), failures: 0, due: at(0), last_error: None };
    outbox.insert(EntryId(7), &delivery(b"object"), &state).unwrap();
    assert_eq!(outbox.delivery(EntryId(7)).unwrap(), Some(delivery(b"object")));
    assert_eq!(outbox.states().unwrap(), vec![(EntryId(7), state)]);
    outbox.remove(EntryId(7)).unwrap();
    assert!(outbox.states().unwrap().is_empty());
}
