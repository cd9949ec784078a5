//! The tables of a store file (`docs/dmap.md` §12.1). Message metadata and message objects
//! live in separate tables under the same key, so listing UIDs, flags and sizes never reads an
//! object's pages.

use redb::TableDefinition;

/// User name → STACIE credentials.
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// User name → sealed key file.
pub(crate) const KEYFILES: TableDefinition<&str, &[u8]> = TableDefinition::new("keyfiles");
/// (user, mailbox) → UIDVALIDITY and UIDNEXT.
pub(crate) const MAILBOXES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("mailboxes");
/// (user, mailbox, UID) → flags, internal date and size.
pub(crate) const MESSAGES: TableDefinition<(&str, &str, u32), &[u8]> = TableDefinition::new("messages");
/// (user, mailbox, UID) → the encrypted object.
pub(crate) const OBJECTS: TableDefinition<(&str, &str, u32), &[u8]> = TableDefinition::new("objects");
/// Queue number → a submission waiting for relay.
pub(crate) const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// Lower-case address or domain → a published signet.
pub(crate) const SIGNETS: TableDefinition<&str, &[u8]> = TableDefinition::new("signets");
/// Lower-case domains served here.
pub(crate) const DOMAINS: TableDefinition<&str, ()> = TableDefinition::new("domains");
/// (user, mailbox name) → nothing: the user's subscriptions (names, which outlive mailboxes).
pub(crate) const SUBSCRIPTIONS: TableDefinition<(&str, &str), ()> = TableDefinition::new("subscriptions");
/// Named counters: the last UIDVALIDITY and the last queue number handed out.
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

/// The counter of the last UIDVALIDITY given to a mailbox.
pub(crate) const LAST_VALIDITY: &str = "uid_validity";
/// The counter of the last queue number given to a submission.
pub(crate) const LAST_QUEUE: &str = "queue";
/// Entry number → a queued DMTP delivery (dime-dmtp's outbox, [`crate::RedbOutbox`]).
pub(crate) const DMTP_DELIVERIES: TableDefinition<u64, &[u8]> = TableDefinition::new("dmtp_outbox_deliveries");
/// Entry number → that delivery's state: due time, failures, the last error's text.
pub(crate) const DMTP_STATES: TableDefinition<u64, &[u8]> = TableDefinition::new("dmtp_outbox_states");
/// The [`COUNTERS`] entry above every DMTP outbox entry number ever given.
pub(crate) const DMTP_NEXT_ID: &str = "dmtp_outbox_next_id";
