//! Test support shared by the dime-rs crates' integration tests; not published. One home for
//! fixtures that several crates' tests need, so that each exists once.
//!
//! [`Recorder`] captures `tracing` events as text lines, for the tests of the drivers' and the
//! listener's events:
//!
//! ```
//! use dime_testkit::Recorder;
//!
//! let recorder = Recorder::default();
//! let _guard = tracing::subscriber::set_default(recorder.clone());
//! tracing::info!(code = 554, "refused");
//! assert_eq!(recorder.find("INFO refused").as_deref(), Some("INFO refused code=554"));
//! ```
//!
//! The `dns` module (feature `dns`) is an in-process DNS authority on loopback; [`crash`] runs
//! a child test process and kills it with SIGKILL, for crash-safety tests.

pub mod crash;
#[cfg(feature = "dns")]
pub mod dns;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A `tracing` subscriber that records each event as `LEVEL message key=value …`, the fields
/// in the order they were given (values in their `Debug` form). Clones share the lines.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    /// Every event recorded so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|lines| lines.clone()).unwrap_or_default()
    }

    /// The first event starting with `prefix`.
    pub fn find(&self, prefix: &str) -> Option<String> {
        self.lines().into_iter().find(|line| line.starts_with(prefix))
    }

    /// Waits (up to 5 s, polling every 10 ms) until an event starting with `prefix` was
    /// recorded, for events a server logs after its peer saw the answer.
    ///
    /// # Panics
    /// When no such event came, listing the events that did.
    pub async fn wait_for(&self, prefix: &str) -> String {
        for _ in 0..500 {
            if let Some(line) = self.find(prefix) {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {prefix:?} event in {:#?}", self.lines());
    }
}

/// Writes one event's fields into a line: the message first, then ` name=value` each.
struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn core::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = String::new();
        event.record(&mut Line(&mut line));
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!("{} {line}", event.metadata().level()));
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
