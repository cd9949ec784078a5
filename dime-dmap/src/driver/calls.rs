//! Typed calls of the async [`Client`]: one method per command, answers as values instead of
//! untagged [`Data`] to dig through, in the manner of async-imap.

use std::time::Duration;

use dime_signet::{Anchor, BoundSignet, KeyFile, Signet};
use tokio::io::{AsyncRead, AsyncWrite};

use super::Client;
use crate::client::ClientEvent;
use crate::codec::{
    Code, CommandBody, Data, FetchAttr, FetchItem, Flag, Mailbox, SequenceSet, StatusKind, StoreMode, Tag,
};
use crate::error::{DmapError, Result};
use crate::store::KeyfileRecord;

/// A mailbox as `LIST` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListedMailbox {
    /// The mailbox.
    pub mailbox: Mailbox,
    /// Name attributes such as `\HasNoChildren` (with the backslash).
    pub attributes: Vec<String>,
    /// The hierarchy delimiter, `None` for a flat namespace.
    pub delimiter: Option<u8>,
}

/// The selected mailbox as `SELECT` (or `EXAMINE`) describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailboxStatus {
    /// Messages in the mailbox (`EXISTS`).
    pub exists: u32,
    /// Messages new to this session (`RECENT`; DMAP always says 0).
    pub recent: u32,
    /// The flags defined in the mailbox (`FLAGS`).
    pub flags: Vec<Flag>,
    /// The flags a `STORE` makes permanent (`PERMANENTFLAGS`).
    pub permanent_flags: Vec<Flag>,
    /// The sequence number of the first unseen message (`UNSEEN`).
    pub unseen: Option<u32>,
    /// `UIDVALIDITY`.
    pub uid_validity: Option<u32>,
    /// `UIDNEXT`.
    pub uid_next: Option<u32>,
    /// Whether the mailbox was opened read-only (`EXAMINE`, or `READ-ONLY`).
    pub read_only: bool,
}

/// One message of a [`Client::fetch`]: its UID, flags, size and object bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetched {
    /// The message sequence number.
    pub seq: u32,
    /// The UID.
    pub uid: u32,
    /// The flags (after the fetch: it does not set `\Seen`).
    pub flags: Vec<Flag>,
    /// The object's size in bytes.
    pub size: u32,
    /// The encrypted object (open it with dime-message).
    pub object: Vec<u8>,
}

impl Fetched {
    /// Gathers one `FETCH` response; every item must be present.
    fn from_items(seq: u32, items: Vec<FetchItem>) -> Result<Fetched> {
        let (mut uid, mut flags, mut size, mut object) = (None, None, None, None);
        for item in items {
            match item {
                FetchItem::Uid(n) => uid = Some(n),
                FetchItem::Flags(f) => flags = Some(f),
                FetchItem::BinarySize { part, size: n } if part.is_empty() => size = Some(n),
                FetchItem::Binary { part, data } if part.is_empty() => object = data,
                _ => {}
            }
        }
        let missing = DmapError::Unexpected("FETCH answer without UID, FLAGS, BINARY.SIZE[] or BINARY[]");
        match (uid, flags, size, object) {
            (Some(uid), Some(flags), Some(size), Some(object)) => Ok(Fetched { seq, uid, flags, size, object }),
            _ => Err(missing),
        }
    }
}

/// A change to the selected mailbox that the server reported during `IDLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdleUpdate {
    /// The mailbox now holds this many messages (`* n EXISTS`).
    Exists(u32),
    /// The message with this sequence number was expunged; later numbers shift down by one.
    Expunge(u32),
    /// The flags of a message changed (`* n FETCH (FLAGS ...)`).
    Flags {
        /// The message sequence number.
        seq: u32,
        /// The flags now.
        flags: Vec<Flag>,
    },
}

impl IdleUpdate {
    fn from_data(data: Data) -> Option<IdleUpdate> {
        match data {
            Data::Exists(n) => Some(IdleUpdate::Exists(n)),
            Data::Expunge(n) => Some(IdleUpdate::Expunge(n)),
            Data::Fetch { seq, items } => items.into_iter().find_map(|item| match item {
                FetchItem::Flags(flags) => Some(IdleUpdate::Flags { seq, flags }),
                _ => None,
            }),
            _ => None,
        }
    }
}

/// What anchors the signets [`Client::signet`] returns: never the server's word alone
/// (`docs/dmap.md` §10).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum SignetTrust<'a> {
    /// The POKs of the domain's `_dx` management record, looked up with this DNS client and
    /// accepted under this policy (cargo feature `dns`).
    #[cfg(feature = "dns")]
    Dns {
        /// The DNS client.
        client: &'a dime_signet::dns::DnsClient,
        /// The DNSSEC policy the record must meet.
        policy: &'a dime_signet::RecordPolicy,
    },
    /// Keys the caller trusts for the domain by its own means.
    Anchor(Anchor<'a>),
}

/// An `IDLE` in progress ([`Client::idle`]): wait for updates, then end it with
/// [`Idle::done`]. Re-issue `IDLE` at least every 29 minutes (RFC 2177); the server logs out a
/// connection idle for 30.
#[derive(Debug)]
pub struct Idle<'c, IO> {
    client: &'c mut Client<IO>,
    tag: Tag,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Idle<'_, IO> {
    /// The next update, or `None` when `timeout` passes without one.
    ///
    /// Errors: [`DmapError::Closed`] when the server ends the connection (its autologout
    /// `BYE`, say); [`DmapError::Rejected`] when it ends the `IDLE` with `NO` or `BAD`;
    /// transport errors.
    pub async fn wait(&mut self, timeout: Duration) -> Result<Option<IdleUpdate>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let Some(event) = self.client.step_until(Some(deadline)).await? else { return Ok(None) };
            match event {
                ClientEvent::Data(data) => {
                    if let Some(update) = IdleUpdate::from_data(data) {
                        return Ok(Some(update));
                    }
                }
                ClientEvent::Done { status, .. } if status.tag.as_ref() == Some(&self.tag) => {
                    return Err(DmapError::Rejected { kind: status.kind, code: status.code, text: status.text });
                }
                ClientEvent::Failed(error) => return Err(error),
                _ => {}
            }
        }
    }

    /// Sends `DONE` and waits for the `IDLE` to complete; gives the updates that arrived in the
    /// meantime, in order.
    ///
    /// Errors: [`DmapError::Rejected`] for a `NO` or `BAD` completion; transport errors.
    pub async fn done(self) -> Result<Vec<IdleUpdate>> {
        self.client.session.idle_done()?;
        let done = self.client.complete(&self.tag, None).await?;
        Ok(done.data.into_iter().filter_map(IdleUpdate::from_data).collect())
    }
}

fn nonexistent(error: &DmapError) -> bool {
    matches!(error, DmapError::Rejected { kind: StatusKind::No, code: Some(Code::Nonexistent), .. })
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Client<IO> {
    /// The mailboxes matching `pattern` (`*` and `%` are wildcards) under `reference`
    /// (`LIST reference pattern`).
    ///
    /// Errors: as [`Client::run`].
    pub async fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListedMailbox>> {
        let body = CommandBody::List { reference: reference.into(), pattern: pattern.into() };
        let done = self.run(body).await?;
        Ok(done
            .data
            .into_iter()
            .filter_map(|data| match data {
                Data::List { attributes, delimiter, mailbox } => Some(ListedMailbox { mailbox, attributes, delimiter }),
                _ => None,
            })
            .collect())
    }

    /// Selects `mailbox` for reading and writing (`SELECT`).
    ///
    /// Errors: as [`Client::run`] (`NO [NONEXISTENT]` for a mailbox that does not exist).
    pub async fn select(&mut self, mailbox: &Mailbox) -> Result<MailboxStatus> {
        self.open_mailbox(CommandBody::Select(mailbox.clone())).await
    }

    /// Selects `mailbox` read-only (`EXAMINE`).
    ///
    /// Errors: as [`Client::select`].
    pub async fn examine(&mut self, mailbox: &Mailbox) -> Result<MailboxStatus> {
        self.open_mailbox(CommandBody::Examine(mailbox.clone())).await
    }

    async fn open_mailbox(&mut self, body: CommandBody) -> Result<MailboxStatus> {
        let examine = matches!(body, CommandBody::Examine(_));
        let done = self.run(body).await?;
        let mut status = MailboxStatus { read_only: examine, ..MailboxStatus::default() };
        for data in done.data {
            match data {
                Data::Exists(n) => status.exists = n,
                Data::Recent(n) => status.recent = n,
                Data::Flags(flags) => status.flags = flags,
                _ => {}
            }
        }
        let codes = done.statuses.into_iter().chain(core::iter::once(done.status)).filter_map(|s| s.code);
        for code in codes {
            match code {
                Code::PermanentFlags { flags, .. } => status.permanent_flags = flags,
                Code::Unseen(n) => status.unseen = Some(n),
                Code::UidValidity(n) => status.uid_validity = Some(n),
                Code::UidNext(n) => status.uid_next = Some(n),
                Code::ReadOnly => status.read_only = true,
                Code::ReadWrite => status.read_only = false,
                _ => {}
            }
        }
        Ok(status)
    }

    /// The messages of `set` (sequence numbers) with UID, flags, size and object bytes, in the
    /// server's order. Does not set `\Seen` (`BODY.PEEK[]`).
    ///
    /// Errors: as [`Client::run`]; [`DmapError::Unexpected`] when an answer lacks an item.
    pub async fn fetch(&mut self, set: &SequenceSet) -> Result<Vec<Fetched>> {
        self.fetch_items(false, set).await
    }

    /// [`Client::fetch`] by UID (`UID FETCH`).
    ///
    /// Errors: as [`Client::fetch`].
    pub async fn uid_fetch(&mut self, set: &SequenceSet) -> Result<Vec<Fetched>> {
        self.fetch_items(true, set).await
    }

    async fn fetch_items(&mut self, uid: bool, set: &SequenceSet) -> Result<Vec<Fetched>> {
        let items = vec![
            FetchAttr::Uid,
            FetchAttr::Flags,
            // The octets (RFC 3516): BODY[] is the armored form (docs/dmap.md §5).
            FetchAttr::BinarySize { part: Vec::new() },
            FetchAttr::Binary { peek: true, part: Vec::new(), partial: None },
        ];
        let done = self.run(CommandBody::Fetch { uid, set: set.clone(), items }).await?;
        done.data
            .into_iter()
            .filter_map(|data| match data {
                Data::Fetch { seq, items } => Some(Fetched::from_items(seq, items)),
                _ => None,
            })
            .collect()
    }

    /// Changes the flags of the messages of `set` (sequence numbers): replaces, adds or
    /// removes `flags`. Gives the flags each message has afterwards, as `(seq, flags)`.
    ///
    /// Errors: as [`Client::run`].
    pub async fn store(&mut self, set: &SequenceSet, mode: StoreMode, flags: &[Flag]) -> Result<Vec<(u32, Vec<Flag>)>> {
        let body = CommandBody::Store { uid: false, set: set.clone(), mode, silent: false, flags: flags.to_vec() };
        let done = self.run(body).await?;
        Ok(done
            .data
            .into_iter()
            .filter_map(|data| match IdleUpdate::from_data(data) {
                Some(IdleUpdate::Flags { seq, flags }) => Some((seq, flags)),
                _ => None,
            })
            .collect())
    }

    /// Removes the messages flagged `\Deleted` (`EXPUNGE`); gives the sequence numbers the
    /// server reported, in its order (each relative to the mailbox after the previous one).
    ///
    /// Errors: as [`Client::run`].
    pub async fn expunge(&mut self) -> Result<Vec<u32>> {
        let done = self.run(CommandBody::Expunge).await?;
        Ok(done
            .data
            .into_iter()
            .filter_map(|data| match data {
                Data::Expunge(n) => Some(n),
                _ => None,
            })
            .collect())
    }

    /// Hands an encrypted message object to the server to relay (`SUBMIT`); gives the queue id.
    ///
    /// Errors: as [`Client::run`]; [`DmapError::Unexpected`] when the answer has no
    /// `SUBMITTED` code.
    pub async fn submit(&mut self, object: Vec<u8>) -> Result<String> {
        let done = self.run(CommandBody::Submit { object }).await?;
        match done.status.code {
            Some(Code::Submitted(id)) => Ok(id),
            _ => Err(DmapError::Unexpected("SUBMIT completed without a SUBMITTED code")),
        }
    }

    /// The signet of `address` (`user@domain`, or `domain` for the organization's), validated
    /// and bound: the org signet (`SIGNET domain`) bound by `trust`, then for a user the user
    /// signet (`SIGNET address`) bound by it to exactly `address`. The server's answer is never
    /// trusted by itself.
    ///
    /// Errors: [`DmapError::Rejected`] with `NO [NONEXISTENT]` when the server has no such
    /// signet (`NO [UNAVAILABLE]` when it could not resolve it); [`DmapError::Signet`] when a
    /// signet does not parse or bind ([`dime_signet::SignetError::NotBound`],
    /// [`dime_signet::SignetError::OutsideAnchor`] for an anchor of another domain,
    /// [`dime_signet::SignetError::WrongIdentifier`]); `DmapError::Dns` for the record's
    /// lookup (feature `dns`).
    pub async fn signet(&mut self, address: &str, trust: SignetTrust<'_>) -> Result<BoundSignet> {
        let domain = address.rsplit_once('@').map_or(address, |(_, domain)| domain);
        let org = Signet::parse(&self.signet_bytes(domain).await?)?;
        let org = match trust {
            #[cfg(feature = "dns")]
            SignetTrust::Dns { client, policy } => {
                let host = dime_signet::record::HostName::new(domain).map_err(dime_signet::dns::DnsError::from)?;
                client.bind_org(&org, &host, policy).await?
            }
            SignetTrust::Anchor(anchor) => org.bind(&anchor)?,
        };
        if !address.contains('@') {
            return Ok(org);
        }
        let user = Signet::parse(&self.signet_bytes(address).await?)?;
        Ok(org.bind_address(&user, address, None)?)
    }

    /// The bytes of `* SIGNET` answering `SIGNET address`.
    async fn signet_bytes(&mut self, address: &str) -> Result<Vec<u8>> {
        let done = self.run(CommandBody::SignetLookup { address: address.into() }).await?;
        done.data
            .into_iter()
            .find_map(|data| match data {
                Data::Signet { signet, .. } => Some(signet),
                _ => None,
            })
            .ok_or(DmapError::Unexpected("SIGNET completed without a signet"))
    }

    /// The user's key file, fetched (`KEYFILE FETCH`) and opened with the keys of this
    /// session's STACIE login (`docs/dmap.md` §7.4); `None` when none is stored.
    ///
    /// Errors: [`DmapError::WrongState`] before a STACIE login through this client;
    /// [`dime_core::Error::StacieDecrypt`] (as [`DmapError::Core`]) for an envelope the keys do
    /// not open; as [`Client::run`].
    pub async fn keyfile(&mut self) -> Result<Option<KeyFile>> {
        if self.login.is_none() {
            return Err(DmapError::WrongState { command: "KEYFILE FETCH", state: "not logged in with STACIE" });
        }
        let done = match self.run(CommandBody::KeyfileFetch).await {
            Err(error) if nonexistent(&error) => return Ok(None),
            other => other?,
        };
        let record = done
            .data
            .into_iter()
            .find_map(|data| match data {
                Data::Keyfile { shard, envelope } => Some(KeyfileRecord { shard, envelope }),
                _ => None,
            })
            .ok_or(DmapError::Unexpected("KEYFILE FETCH completed without a key file"))?;
        let login = self.login.as_ref().ok_or(DmapError::Unexpected("login keys vanished"))?;
        crate::keyfile::open(&login.keys, &login.salt, &record).map(Some)
    }

    /// Seals `keyfile` under this session's STACIE keys and stores it (`KEYFILE STORE`).
    ///
    /// Errors: [`DmapError::WrongState`] before a STACIE login through this client; as
    /// [`Client::run`].
    pub async fn store_keyfile(&mut self, keyfile: &KeyFile) -> Result<()> {
        let login = self
            .login
            .as_ref()
            .ok_or(DmapError::WrongState { command: "KEYFILE STORE", state: "not logged in with STACIE" })?;
        let record = crate::keyfile::seal(&login.keys, &login.salt, keyfile)?;
        self.run(CommandBody::KeyfileStore { shard: record.shard, envelope: record.envelope }).await?;
        Ok(())
    }

    /// Starts `IDLE` on the selected mailbox and waits until the server accepts it.
    ///
    /// Errors: [`DmapError::Rejected`] when the server refuses; transport errors.
    pub async fn idle(&mut self) -> Result<Idle<'_, IO>> {
        let tag = self.session.idle()?;
        loop {
            match self.step().await? {
                ClientEvent::Idling => return Ok(Idle { client: self, tag }),
                ClientEvent::Done { status, .. } if status.tag.as_ref() == Some(&tag) => {
                    return Err(DmapError::Rejected { kind: status.kind, code: status.code, text: status.text });
                }
                ClientEvent::Failed(error) => return Err(error),
                _ => {}
            }
        }
    }
}
