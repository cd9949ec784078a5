//! Streaming for the servers: the origin and the destination check an object fed in arbitrary
//! pieces, in memory that grows with the number of chunks but not with their size, and reach the
//! same verdict, or the same error, as [`Envelope::origin`](crate::Envelope::origin)`(..).open(..)`
//! and [`Envelope::destination`](crate::Envelope::destination)`(..).open(..)`.
//!
//! Keys and signets are given only at `finish`: every check runs once the whole object has been
//! read, in the in-memory order (`docs/message-format.md` §10).
//!
//! ```
//! # use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
//! # use dime_message::*;
//! # use dime_signet::issue;
//! # let org = |domain: &str| -> Result<_, Box<dyn std::error::Error>> {
//! #     let pok = SigningSecretKey::generate()?;
//! #     let enc = EncryptionSecretKey::generate()?;
//! #     let signet = issue::new_org_signet(&pok, &enc.public()?, domain)?;
//! #     Ok((pok, enc, signet))
//! # };
//! # let user = |org: &(SigningSecretKey, EncryptionSecretKey, dime_signet::Signet), address: &str|
//! #     -> Result<_, Box<dyn std::error::Error>> {
//! #     let sign = SigningSecretKey::generate()?;
//! #     let enc = EncryptionSecretKey::generate()?;
//! #     let request = issue::new_request(&sign, &enc.public()?, None)?;
//! #     let signet = issue::issue_user_signet(&request, None, &org.2, &org.0, address, &[])?;
//! #     Ok((sign, enc, signet))
//! # };
//! # let origin = org("example.org")?;
//! # let destination = org("example.net")?;
//! # let alice = user(&origin, "alice@example.org")?;
//! # let bob = user(&destination, "bob@example.net")?;
//! # let to = Addressing { author: &alice.2, origin: &origin.2, destination: &destination.2, recipient: &bob.2 };
//! # let headers = CommonHeaders { to: "bob@example.net".into(), from: "alice@example.org".into(), ..Default::default() };
//! # let display = vec![Part::new("text/plain", None, vec![b'x'; 10_000])?];
//! # let content = Content { headers, display, ..Content::default() };
//! # let object = compose(&alice.0, &to, &content, &ComposeOptions::default(), &mut OsRandom)?;
//! let limits = MessageLimits::default();
//! // The origin relays while it reads: `relayed` grows as pieces arrive.
//! let mut relay = Countersigner::new(&limits);
//! let mut relayed = Vec::new();
//! for piece in object.chunks(1000) {
//!     relay.feed(piece, &mut relayed)?;
//! }
//! let checked = relay.finish(&origin.1, &alice.2, &origin.0, &mut relayed)?;
//! assert_eq!(checked.envelope.author, "alice@example.org");
//!
//! // The destination checks the relayed object as it stores it.
//! let mut verifier = DestinationVerifier::new(&limits);
//! for piece in relayed.chunks(1000) {
//!     verifier.feed(piece)?;
//! }
//! let view = verifier.finish(&destination.1, &origin.2)?;
//! assert_eq!(view.envelope.recipient, "bob@example.net");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use dime_core::keys::SigningSecretKey;
use dime_signet::Signet;

use crate::actor::Actor;
use crate::chunk::{ChunkType, RawChunk, SIGNATURE_BODY_LEN};
use crate::crypto::Kek;
use crate::error::{MessageError, Result};
use crate::hybrid::ActorKeys;
use crate::object_hash::{OBJECT_HASH_LEN, ObjectHash};
use crate::open::{DestinationView, Source, seal_origin, verify_author, verify_destination};
use crate::scan::{Scanned, Scanner};
use crate::text::OriginEnvelope;
use crate::tree::Entry;
use crate::wire::{MessageLimits, write_framing};

/// A scanned object with an actor's key: what the shared checks of [`crate::open`] read.
struct Keyed {
    scanned: Scanned,
    actor: Actor,
    kek: Kek,
}

impl Keyed {
    /// Derives `actor`'s key from the held ephemeral chunk, as [`crate::Envelope::open`] does.
    fn new(scanned: Scanned, actor: Actor, keys: ActorKeys<'_>) -> Result<Keyed> {
        let ephemeral = scanned
            .held
            .iter()
            .find(|h| h.header.chunk_type == ChunkType::Ephemeral)
            .map(|h| h.raw().body())
            .unwrap_or_default();
        let (kek, _) = crate::hybrid::actor_kek(&keys, actor, ephemeral)?;
        Ok(Keyed { scanned, actor, kek })
    }
}

impl Source for Keyed {
    fn actor(&self) -> Actor {
        self.actor
    }

    fn kek(&self) -> &Kek {
        &self.kek
    }

    fn raw(&self, index: usize) -> Option<RawChunk<'_>> {
        self.scanned.held.iter().find(|h| h.index == index).map(crate::scan::Held::raw)
    }

    fn types(&self) -> &[ChunkType] {
        &self.scanned.types
    }

    fn entries(&self) -> &[Entry] {
        &self.scanned.entries
    }

    fn is_countersigned(&self) -> bool {
        self.scanned.countersigned
    }
}

/// The chunks the destination reads: the ephemeral key, its envelope and the origin's signatures.
fn destination_holds(t: ChunkType) -> bool {
    matches!(t, ChunkType::Ephemeral | ChunkType::Destination) || t.is_origin_signature()
}

/// The chunks the origin reads: the ephemeral key, its envelope, the author's signatures and
/// the placeholders it seals.
fn origin_holds(t: ChunkType) -> bool {
    matches!(t, ChunkType::Ephemeral | ChunkType::Origin | ChunkType::Tree | ChunkType::AuthorFull)
        || t.is_origin_signature()
}

/// The destination's streaming check. Feed the object's bytes in order, in any pieces; at
/// [`finish`](Self::finish) it verifies the origin's signatures exactly as
/// [`Envelope::destination`](crate::Envelope::destination)`(..).open(..)` does.
///
/// Memory: the ephemeral, destination and origin signature chunks, 65 bytes per chunk (its
/// type and digests) and at most one chunk header; never a part's content.
///
/// An error from [`feed`](Self::feed) is final. It is the error the in-memory path reports for
/// the same bytes, except when the declared length is also wrong: the in-memory parser checks
/// the length first, which a stream can only do at the end.
#[derive(Debug)]
pub struct DestinationVerifier {
    scanner: Scanner,
}

impl DestinationVerifier {
    /// A verifier applying `limits` to everything it reads.
    pub fn new(limits: &MessageLimits) -> DestinationVerifier {
        DestinationVerifier { scanner: Scanner::new(limits, destination_holds) }
    }

    /// Takes the next bytes of the object. After an error every later call returns it again,
    /// but the object hash still takes the bytes.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        self.scanner.feed(data)
    }

    /// Bytes the verifier holds (buffer capacities included).
    pub fn retained_bytes(&self) -> usize {
        self.scanner.retained()
    }

    /// Stops checking: frees what the check holds, and every later [`feed`](Self::feed) and
    /// [`finish`](Self::finish) fails; the object hash still takes the bytes (for a server that
    /// gives up on an object, e.g. over its memory budget, but must still compare its hash).
    pub fn abandon(&mut self) {
        self.scanner.stop(MessageError::Stream("the check was abandoned"));
    }

    /// The object hash (D9, DMTP's `DATA [hash]`) of the bytes fed so far, as if they were the
    /// whole object: made from the chunk digests the check computes anyway, so each byte is
    /// hashed once. Valid whether or not the check failed.
    pub fn object_hash(&self) -> [u8; OBJECT_HASH_LEN] {
        self.scanner.object_hash()
    }

    /// Ends the object: checks it is complete, derives the destination's key from `secret` and
    /// verifies the origin (fingerprint and its three signatures) against `origin`.
    pub fn finish<'k>(self, secret: impl Into<ActorKeys<'k>>, origin: &Signet) -> Result<DestinationView> {
        let held = Keyed::new(self.scanner.finish()?, Actor::Destination, secret.into())?;
        let envelope = verify_destination(&held, origin)?;
        Ok(DestinationView { tracing: held.scanned.tracing, envelope })
    }
}

/// The origin's streaming check. Feed the object's bytes in order, in any pieces; at
/// [`finish`](Self::finish) it verifies the author exactly as
/// [`Envelope::origin`](crate::Envelope::origin)`(..).open(..)` does.
///
/// Memory: the ephemeral, origin, tree, author signature and origin placeholder chunks (the tree
/// holds 64 bytes per chunk), 65 bytes per chunk and at most one chunk header; never a part's
/// content. Errors from [`feed`](Self::feed) are final, as for [`DestinationVerifier`].
#[derive(Debug)]
pub struct OriginVerifier {
    scanner: Scanner,
}

impl OriginVerifier {
    /// A verifier applying `limits` to everything it reads.
    pub fn new(limits: &MessageLimits) -> OriginVerifier {
        OriginVerifier { scanner: Scanner::new(limits, origin_holds) }
    }

    /// Takes the next bytes of the object.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        self.scanner.feed(data)
    }

    /// Bytes the verifier holds (buffer capacities included).
    pub fn retained_bytes(&self) -> usize {
        self.scanner.retained()
    }

    /// Ends the object: checks it is complete and not yet countersigned, derives the origin's
    /// key from `secret` and verifies the author against `author`.
    pub fn finish<'k>(self, secret: impl Into<ActorKeys<'k>>, author: &Signet) -> Result<VerifiedOrigin> {
        let object_hash = self.scanner.object_hash();
        let scanned = self.scanner.finish()?;
        let held = Keyed::new(scanned, Actor::Origin, secret.into())?;
        if held.scanned.countersigned {
            return Err(MessageError::AlreadyCountersigned);
        }
        let envelope = verify_author(&held, author)?;
        Ok(VerifiedOrigin { envelope, object_hash, held })
    }
}

/// What the origin learns from a streamed object: the author and destination.
pub struct VerifiedOrigin {
    /// The origin chunk.
    pub envelope: OriginEnvelope,
    /// The object hash (D9) of the object this produced: the one read ([`OriginVerifier`]), or
    /// the countersigned one written ([`Countersigner`]).
    pub object_hash: [u8; OBJECT_HASH_LEN],
    held: Keyed,
}

impl core::fmt::Debug for VerifiedOrigin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifiedOrigin").field("envelope", &self.envelope).finish()
    }
}

impl VerifiedOrigin {
    /// The tracing prefix, opaque.
    pub fn tracing(&self) -> Option<&[u8]> {
        self.held.scanned.tracing.as_deref()
    }

    /// The three sealed origin signature chunks, keyslots included: the bytes that replace the
    /// placeholders at the end of the object; and every chunk's digests after the sealing.
    fn sealed_tail(&self, pok: &SigningSecretKey) -> Result<(Vec<u8>, Vec<Entry>)> {
        let mut out = Vec::new();
        let (sealed, entries) = seal_origin(&self.held, pok)?;
        for (index, bytes) in sealed {
            let raw = self.held.raw(index).ok_or(MessageError::MissingChunk { expected: "signature" })?;
            out.extend_from_slice(&bytes);
            out.extend_from_slice(raw.slots);
        }
        Ok((out, entries))
    }
}

/// Bytes the sealed signatures add to an object: three bodies that were empty.
const COUNTERSIGNATURE_GROWTH: u64 = 3 * SIGNATURE_BODY_LEN as u64;

/// The origin's streaming relay: checks the author as [`OriginVerifier`] does and writes the
/// countersigned object as it reads, byte for byte what
/// [`OriginView::countersign`](crate::OriginView::countersign) returns.
///
/// Each [`feed`](Self::feed) passes on every byte known to precede the origin placeholders
/// (the framing, rewritten for the new length, as soon as it is read); the placeholders are
/// held back and replaced by the sealed signatures at [`finish`](Self::finish). The output is
/// only valid once `finish` succeeded: on any error the caller discards what was written.
///
/// Memory: that of [`OriginVerifier`] plus the bytes not yet passed on: at most a partial chunk
/// header and the placeholders.
#[derive(Debug)]
pub struct Countersigner {
    verifier: OriginVerifier,
    pending: Vec<u8>,
    /// The rewritten framing, once written (for the output's object hash).
    framing: Option<Vec<u8>>,
    passed: u64,
}

impl Countersigner {
    /// A relay applying `limits` to everything it reads.
    pub fn new(limits: &MessageLimits) -> Countersigner {
        Countersigner { verifier: OriginVerifier::new(limits), pending: Vec::new(), framing: None, passed: 0 }
    }

    /// Takes the next bytes of the object and appends to `out` those that can be passed on.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let was_framed = self.framing.is_some();
        self.verifier.feed(data)?;
        let scanner = &self.verifier.scanner;
        let Some((tracing, chunks_len)) = scanner.framing() else {
            return Ok(());
        };
        let fresh = if was_framed {
            data
        } else {
            // The framing is rewritten; of this piece, only what follows it is chunk bytes.
            // Written whole or not at all; an object too large to grow is refused here.
            let grown = u64::from(chunks_len) + COUNTERSIGNATURE_GROWTH;
            let mut framing = Vec::new();
            write_framing(&mut framing, tracing, usize::try_from(grown).unwrap_or(usize::MAX))?;
            out.extend_from_slice(&framing);
            self.framing = Some(framing);
            let chunk_bytes = usize::try_from(scanner.consumed()).unwrap_or(usize::MAX);
            data.get(data.len().saturating_sub(chunk_bytes)..).unwrap_or_default()
        };
        // Pass on what is settled, held-back bytes first; hold back the rest (at most a partial
        // chunk header and the placeholders).
        let ready = usize::try_from(scanner.settled().saturating_sub(self.passed)).unwrap_or(usize::MAX);
        let from_pending = ready.min(self.pending.len());
        out.extend_from_slice(self.pending.get(..from_pending).unwrap_or_default());
        self.pending.drain(..from_pending);
        let (now, later) = fresh.split_at((ready - from_pending).min(fresh.len()));
        out.extend_from_slice(now);
        self.pending.extend_from_slice(later);
        self.passed += (from_pending + now.len()) as u64;
        Ok(())
    }

    /// Bytes the relay holds (buffer capacities included).
    pub fn retained_bytes(&self) -> usize {
        self.verifier.retained_bytes() + self.pending.capacity()
    }

    /// Ends the object: verifies the author as [`OriginVerifier::finish`] does, then appends
    /// the sealed origin signatures (with their keyslots) to `out`. The result's
    /// `object_hash` is that of the countersigned object, made from the digests: no pass over
    /// `out`.
    pub fn finish<'k>(
        self,
        secret: impl Into<ActorKeys<'k>>,
        author: &Signet,
        pok: &SigningSecretKey,
        out: &mut Vec<u8>,
    ) -> Result<VerifiedOrigin> {
        let mut verified = self.verifier.finish(secret, author)?;
        let (tail, entries) = verified.sealed_tail(pok)?;
        out.extend_from_slice(&tail);
        verified.object_hash = ObjectHash::of_digests(self.framing.as_deref().unwrap_or_default(), &entries);
        Ok(verified)
    }
}
