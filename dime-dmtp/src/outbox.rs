//! An optional outbox: deliveries kept in a store ([`OutboxStore`]) and retried with
//! exponential backoff ([`RetryPolicy`]) until delivered, refused for good, or too old, when
//! they come back as a [`Bounce`].
//!
//! The scheduling is sans-IO: every call takes `now` as wall-clock time (`SystemTime`, so a
//! persistent store keeps its meaning across restarts), hands out the deliveries due
//! ([`Outbox::take_due`]) and is told how each attempt ended ([`Outbox::finish`]). With the
//! `tokio` feature, `run` drives an outbox with a delivery function that takes the due
//! deliveries of one destination at a time ([`by_destination`]), usually
//! `dns::Resolver::deliver_batch`, which sends them over one connection.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use crate::client::Delivery;
use crate::error::DmtpError;
use crate::wire::TxId;

/// When to retry and when to give up (`docs/dmtp.md` §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each further failure doubles it. Default 5 min.
    pub first_retry: Duration,
    /// The longest wait between attempts. Default 1 hour.
    pub max_retry: Duration,
    /// How long a delivery may stay queued, from its enqueueing: a transient failure whose next
    /// attempt would fall later bounces. Default 5 days.
    pub lifetime: Duration,
}

impl RetryPolicy {
    /// The defaults.
    pub const fn new() -> RetryPolicy {
        RetryPolicy {
            first_retry: Duration::from_secs(5 * 60),
            max_retry: Duration::from_secs(60 * 60),
            lifetime: Duration::from_secs(5 * 24 * 60 * 60),
        }
    }

    /// With another first wait.
    pub const fn with_first_retry(mut self, wait: Duration) -> RetryPolicy {
        self.first_retry = wait;
        self
    }

    /// With another longest wait.
    pub const fn with_max_retry(mut self, wait: Duration) -> RetryPolicy {
        self.max_retry = wait;
        self
    }

    /// With another lifetime.
    pub const fn with_lifetime(mut self, lifetime: Duration) -> RetryPolicy {
        self.lifetime = lifetime;
        self
    }

    /// The wait after `failures` failed attempts (1 or more): `first_retry · 2^(failures−1)`,
    /// at most `max_retry`.
    pub fn wait(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first_retry.saturating_mul(1u32 << doublings).min(self.max_retry)
    }
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::new()
    }
}

/// Names one queued delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub u64);

/// Where a queued delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryState {
    /// When it was enqueued.
    pub queued: SystemTime,
    /// Attempts that failed so far.
    pub failures: u32,
    /// When it is due next.
    pub due: SystemTime,
    /// Why the last attempt failed.
    pub last_error: Option<DmtpError>,
}

/// Where an outbox keeps its deliveries: the object once, its state on every change.
/// [`MemoryStore`] keeps them in memory; a persistent store makes each call durable before it
/// returns.
pub trait OutboxStore {
    /// Why the store failed.
    type Error: std::error::Error;
    /// Adds a delivery with its first state.
    fn insert(&mut self, id: EntryId, delivery: &Delivery, state: &EntryState) -> Result<(), Self::Error>;
    /// Replaces the state of a delivery.
    fn update(&mut self, id: EntryId, state: &EntryState) -> Result<(), Self::Error>;
    /// Removes a delivery (delivered or bounced).
    fn remove(&mut self, id: EntryId) -> Result<(), Self::Error>;
    /// The delivery of `id`, if kept.
    fn delivery(&self, id: EntryId) -> Result<Option<Delivery>, Self::Error>;
    /// Every kept delivery's id and state (read once, when an [`Outbox`] opens the store).
    fn states(&self) -> Result<Vec<(EntryId, EntryState)>, Self::Error>;
    /// The number above every id ever inserted, so that a reopened outbox never hands out an
    /// id again, even one whose delivery is gone (read once, when an [`Outbox`] opens the
    /// store). The default, for stores that do not outlive the outbox, is the highest kept id
    /// plus one; a persistent store keeps the number itself.
    fn next_id(&self) -> Result<u64, Self::Error> {
        Ok(self.states()?.iter().map(|(id, _)| id.0.saturating_add(1)).max().unwrap_or(0))
    }
}

/// An [`OutboxStore`] in memory: lost when the process ends.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: BTreeMap<EntryId, (Delivery, EntryState)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl OutboxStore for MemoryStore {
    type Error = core::convert::Infallible;

    fn insert(&mut self, id: EntryId, delivery: &Delivery, state: &EntryState) -> Result<(), Self::Error> {
        self.entries.insert(id, (delivery.clone(), state.clone()));
        Ok(())
    }

    fn update(&mut self, id: EntryId, state: &EntryState) -> Result<(), Self::Error> {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.1 = state.clone();
        }
        Ok(())
    }

    fn remove(&mut self, id: EntryId) -> Result<(), Self::Error> {
        self.entries.remove(&id);
        Ok(())
    }

    fn delivery(&self, id: EntryId) -> Result<Option<Delivery>, Self::Error> {
        Ok(self.entries.get(&id).map(|(delivery, _)| delivery.clone()))
    }

    fn states(&self) -> Result<Vec<(EntryId, EntryState)>, Self::Error> {
        Ok(self.entries.iter().map(|(id, (_, state))| (*id, state.clone())).collect())
    }
}

/// A delivery given up: refused for good, or still failing when its lifetime ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The delivery given up (to tell its author).
    pub delivery: Delivery,
    /// The error of the last attempt.
    pub error: DmtpError,
    /// Attempts made.
    pub attempts: u32,
    /// Whether the lifetime ran out (the last error was transient).
    pub expired: bool,
}

/// How one attempt ended for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Delivered: the server's transaction id. The entry is gone.
    Delivered(TxId),
    /// A transient failure: tried again at `at`.
    Retry {
        /// The next attempt.
        at: SystemTime,
        /// Why this one failed.
        error: DmtpError,
    },
    /// Given up. The entry is gone.
    Bounced(Box<Bounce>),
}

/// Deliveries waiting in a store, retried as a [`RetryPolicy`] says.
#[derive(Debug)]
pub struct Outbox<S> {
    store: S,
    policy: RetryPolicy,
    states: BTreeMap<EntryId, EntryState>,
    in_flight: HashSet<EntryId>,
    next_id: u64,
}

impl<S: OutboxStore> Outbox<S> {
    /// An outbox over `store`, taking up what it holds (each entry due as it was).
    ///
    /// Errors: the store's.
    pub fn open(store: S, policy: RetryPolicy) -> Result<Outbox<S>, S::Error> {
        let states: BTreeMap<EntryId, EntryState> = store.states()?.into_iter().collect();
        let kept = states.keys().next_back().map_or(0, |id| id.0.saturating_add(1));
        let next_id = store.next_id()?.max(kept);
        Ok(Outbox { store, policy, states, in_flight: HashSet::new(), next_id })
    }

    /// Queues `delivery`, due at once.
    ///
    /// Errors: the store's (nothing is queued then).
    pub fn enqueue(&mut self, delivery: &Delivery, now: SystemTime) -> Result<EntryId, S::Error> {
        let id = EntryId(self.next_id);
        let state = EntryState { queued: now, failures: 0, due: now, last_error: None };
        self.store.insert(id, delivery, &state)?;
        self.next_id += 1;
        self.states.insert(id, state);
        Ok(id)
    }

    /// How many deliveries are queued (in flight or waiting).
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The state of a queued delivery.
    pub fn state(&self, id: EntryId) -> Option<&EntryState> {
        self.states.get(&id)
    }

    /// When the next delivery not in flight is due, if any.
    pub fn next_due(&self) -> Option<SystemTime> {
        self.states.iter().filter(|(id, _)| !self.in_flight.contains(id)).map(|(_, s)| s.due).min()
    }

    /// The deliveries due at `now`, marked in flight until [`Outbox::finish`] is called for
    /// each (they are not handed out twice).
    ///
    /// Errors: the store's.
    pub fn take_due(&mut self, now: SystemTime) -> Result<Vec<(EntryId, Delivery)>, S::Error> {
        let due: Vec<EntryId> = self
            .states
            .iter()
            .filter(|(id, state)| state.due <= now && !self.in_flight.contains(id))
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::with_capacity(due.len());
        for id in due {
            if let Some(delivery) = self.store.delivery(id)? {
                self.in_flight.insert(id);
                out.push((id, delivery));
            }
        }
        Ok(out)
    }

    /// Records how the attempt on `id` ended at `now`: delivered and removed; a transient error
    /// retried after [`RetryPolicy::wait`], unless that falls past the lifetime; a permanent
    /// error, or an expired one, bounced and removed. `None` for an id not queued.
    ///
    /// Errors: the store's (the entry then stays in flight).
    pub fn finish(
        &mut self,
        id: EntryId,
        result: Result<TxId, DmtpError>,
        now: SystemTime,
    ) -> Result<Option<Finished>, S::Error> {
        let Some(state) = self.states.get(&id) else { return Ok(None) };
        let error = match result {
            Ok(txid) => {
                self.forget(id)?;
                return Ok(Some(Finished::Delivered(txid)));
            }
            Err(error) => error,
        };
        let failures = state.failures.saturating_add(1);
        let at = now + self.policy.wait(failures);
        let expires = state.queued + self.policy.lifetime;
        if error.is_transient() && at <= expires {
            let state = EntryState { failures, due: at, last_error: Some(error.clone()), ..state.clone() };
            self.store.update(id, &state)?;
            self.states.insert(id, state);
            self.in_flight.remove(&id);
            return Ok(Some(Finished::Retry { at, error }));
        }
        let delivery = self.store.delivery(id)?;
        self.forget(id)?;
        Ok(delivery.map(|delivery| {
            let expired = error.is_transient();
            Finished::Bounced(Box::new(Bounce { delivery, error, attempts: failures, expired }))
        }))
    }

    fn forget(&mut self, id: EntryId) -> Result<(), S::Error> {
        self.store.remove(id)?;
        self.states.remove(&id);
        self.in_flight.remove(&id);
        Ok(())
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, closing the outbox (what was in flight is due as recorded when reopened).
    pub fn into_store(self) -> S {
        self.store
    }
}

/// Splits due deliveries into batches, one per destination domain, in the order each
/// destination first appears; within a batch the deliveries keep their order.
pub fn by_destination(due: Vec<(EntryId, Delivery)>) -> Vec<Vec<(EntryId, Delivery)>> {
    let mut batches: Vec<Vec<(EntryId, Delivery)>> = Vec::new();
    for (id, delivery) in due {
        match batches.iter_mut().find(|batch| batch.first().is_some_and(|(_, d)| d.destination == delivery.destination))
        {
            Some(batch) => batch.push((id, delivery)),
            None => batches.push(vec![(id, delivery)]),
        }
    }
    batches
}

/// Runs `outbox` until the task is dropped: takes what is due, hands `deliver` the due
/// deliveries of one destination at a time ([`by_destination`]; `deliver` answers with one
/// result per delivery, in order, usually by sending them over one connection with
/// `dns::Resolver::deliver_batch`), reports each ending to `report`, and sleeps until the next
/// delivery is due or `wake` is notified (`notify_one` it after [`Outbox::enqueue`]). A result
/// `deliver` leaves out counts as [`DmtpError::ConnectionClosed`] (retried). Reads the wall
/// clock.
///
/// Errors: the store's, which end the run.
#[cfg(feature = "tokio")]
pub async fn run<S, F, Fut>(
    outbox: &tokio::sync::Mutex<Outbox<S>>,
    wake: &tokio::sync::Notify,
    mut deliver: F,
    mut report: impl FnMut(EntryId, &Finished),
) -> Result<(), S::Error>
where
    S: OutboxStore,
    F: FnMut(Vec<Delivery>) -> Fut,
    Fut: Future<Output = Vec<Result<TxId, DmtpError>>>,
{
    loop {
        let due = outbox.lock().await.take_due(SystemTime::now())?;
        for batch in by_destination(due) {
            let (ids, deliveries): (Vec<EntryId>, Vec<Delivery>) = batch.into_iter().unzip();
            let mut results = deliver(deliveries).await.into_iter();
            for id in ids {
                let result = results.next().unwrap_or(Err(DmtpError::ConnectionClosed));
                if let Some(finished) = outbox.lock().await.finish(id, result, SystemTime::now())? {
                    report(id, &finished);
                }
            }
        }
        let next = outbox.lock().await.next_due();
        let wait = next.map(|at| at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO));
        match wait {
            Some(wait) => {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TimeoutPhase;
    use dime_core::Fingerprint;
    use dime_signet::record::HostName;

    fn delivery(object: &'static [u8]) -> Delivery {
        let host = |name| HostName::new(name).unwrap();
        Delivery {
            origin: host("example.org"),
            origin_fingerprint: Fingerprint::of(b"example.org"),
            destination: host("example.net"),
            destination_fingerprint: Fingerprint::of(b"example.net"),
            object: bytes::Bytes::from_static(object),
            hash: None,
            return_type: None,
            data_type: None,
        }
    }

    /// Reopened over the same store, an outbox takes up every delivery as its state says and
    /// never reuses an id.
    #[test]
    fn a_reopened_outbox_takes_up_where_it_stopped() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_400_000);
        let mut outbox = Outbox::open(MemoryStore::new(), RetryPolicy::new()).unwrap();
        let first = outbox.enqueue(&delivery(b"one"), t0).unwrap();
        let second = outbox.enqueue(&delivery(b"two"), t0).unwrap();
        assert_eq!(outbox.take_due(t0).unwrap().len(), 2);
        outbox.finish(first, Err(DmtpError::Timeout { phase: TimeoutPhase::Greeting }), t0).unwrap();
        // `second` was in flight when the process stopped.
        let mut outbox = Outbox::open(outbox.into_store(), RetryPolicy::new()).unwrap();
        assert_eq!(outbox.len(), 2);
        assert_eq!(outbox.state(first).map(|s| (s.failures, s.due)), Some((1, t0 + Duration::from_secs(300))));
        assert_eq!(outbox.take_due(t0).unwrap(), vec![(second, delivery(b"two"))]);
        let third = outbox.enqueue(&delivery(b"three"), t0).unwrap();
        assert_eq!(third, EntryId(2));
    }

    #[test]
    fn due_deliveries_are_batched_per_destination_in_order() {
        let to = |domain: &str, object: &'static [u8]| Delivery {
            destination: HostName::new(domain).unwrap(),
            ..delivery(object)
        };
        let due = vec![
            (EntryId(0), to("example.net", b"a")),
            (EntryId(1), to("example.com", b"b")),
            (EntryId(2), to("example.net", b"c")),
            (EntryId(3), to("example.org", b"d")),
            (EntryId(4), to("example.com", b"e")),
        ];
        let batches: Vec<Vec<u64>> =
            by_destination(due).iter().map(|batch| batch.iter().map(|(id, _)| id.0).collect()).collect();
        assert_eq!(batches, vec![vec![0, 2], vec![1, 4], vec![3]]);
        assert!(by_destination(Vec::new()).is_empty());
    }

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let policy = RetryPolicy::new();
        let waits: Vec<u64> = (1..=6).map(|n| policy.wait(n).as_secs()).collect();
        assert_eq!(waits, [300, 600, 1200, 2400, 3600, 3600]);
        assert_eq!(policy.wait(u32::MAX), Duration::from_secs(3600));
    }
}
