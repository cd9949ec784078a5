//! Streaming: a writer that emits chunks as segments fill, and a reader that authenticates every
//! chunk against the signed digest list before it releases plaintext.
//!
//! Both overlap a chunk's AES-GCM with a BLAKE3 digest (on two threads with the `parallel`
//! feature, one after the other without it; the bytes are the same): the writer hashes sealed
//! segment n − 1 while it seals segment n, the reader hashes each chunk while it decrypts it and
//! releases the plaintext only once the digest matched.

use dime_core::Fingerprint;
use dime_core::kem::KemSecretKey;
use dime_core::keys::{EncryptionSecretKey, SigningPublicKey, SigningSecretKey};
use dime_signet::{FingerprintKind, Signet};

use crate::actor::Actor;
use crate::chunk::{ChunkHeader, ChunkType, HEADER_LEN, RawChunk};
use crate::compose::{Addressing, ComposeOptions, ObjectWriter, SealedChunk};
use crate::crypto::{ChunkKey, Kek, RandomSource, digest};
use crate::error::{MessageError, Result, Signature as Which};
use crate::hybrid::{ActorKeys, Kinds, Protection};
use crate::object_hash::OBJECT_HASH_LEN;
use crate::segment::{PartInfo, PartKind, check_segment, open_standard, seal_standard, segment_sizes};
use crate::text::{CommonHeaders, DestinationEnvelope, OriginEnvelope};
use crate::tree::{Entry, ORIGIN_DISPLAY, ORIGIN_META, TREE, author_full_input, decode_tree, list_input, origin_input};
use crate::wire::{Grammar, MessageLimits, check_body_len, check_flags, check_limit, read_framing, read_header};

/// A part the writer will stream: its kind, descriptor and exact content length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPlan {
    /// Display part or attachment.
    pub kind: PartKind,
    /// Content type and file name.
    pub info: PartInfo,
    /// Exact number of content bytes that will be written.
    pub len: u64,
}

struct Current {
    kind: PartKind,
    remaining: u64,
    buf: Vec<u8>,
}

/// A sealed chunk whose digest is still to come: the writer computes it while it seals the
/// next chunk, then adds the keyslots and emits the chunk.
struct Unhashed {
    chunk_type: ChunkType,
    bytes: Vec<u8>,
    key: ChunkKey,
}

impl Unhashed {
    fn hashed(self) -> SealedChunk {
        let digest = digest(&self.bytes);
        SealedChunk { chunk_type: self.chunk_type, bytes: self.bytes, key: self.key, digest }
    }
}

/// Composes one object as a stream. Part lengths are declared up front, so the object's length
/// is known before its first byte; content is then written in any pieces, and sealed chunks
/// come out one segment behind: a chunk is emitted once the next one is sealed (its digest is
/// computed meanwhile), the last one with the write that completes the last part, so that
/// [`finish`](Self::finish) emits the signature section alone. Memory: the segment being filled
/// and two sealed segments.
pub struct MessageWriter<'k, R: RandomSource> {
    obj: ObjectWriter<'k>,
    rng: R,
    parts: std::vec::IntoIter<PartPlan>,
    current: Option<Current>,
    segment: usize,
    /// The last chunk sealed, not yet hashed nor emitted.
    pending: Option<Unhashed>,
}

impl<R: RandomSource> core::fmt::Debug for MessageWriter<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageWriter").field("segment", &self.segment).finish()
    }
}

/// Moves the output in `from` to the end of `to`. An empty `to` takes `from`'s buffer whole and
/// its own is dropped rather than kept: the writer holds no spare segment-sized buffer between
/// calls, so its memory stays the segment being filled and the sealed segment not yet emitted.
fn drain(from: &mut Vec<u8>, to: &mut Vec<u8>) {
    if to.is_empty() {
        *to = core::mem::take(from);
    } else {
        to.extend_from_slice(from);
        from.clear();
    }
}

impl<'k, R: RandomSource> MessageWriter<'k, R> {
    /// Starts an object; the framing, envelope and header chunks are appended to `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        author_key: &'k SigningSecretKey,
        to: &Addressing<'_>,
        headers: &CommonHeaders,
        other_headers: &[u8],
        parts: Vec<PartPlan>,
        options: &ComposeOptions,
        mut rng: R,
        out: &mut Vec<u8>,
    ) -> Result<MessageWriter<'k, R>> {
        check_segment(options.segment_size)?;
        let mut front = vec![SealedChunk::standard(ChunkType::Common, false, &[&headers.encode()?], &mut rng)?];
        if !other_headers.is_empty() {
            front.push(SealedChunk::standard(ChunkType::Other, false, &[other_headers], &mut rng)?);
        }
        let mut content_len: u64 = front.iter().map(|c| (c.bytes.len() + c.chunk_type.slots_len()) as u64).sum();
        let mut chunks = front.len();
        for plan in &parts {
            let total = plan.info.encode()?.len() as u64 + plan.len;
            let slots = plan.kind.chunk_type().slots_len() as u64;
            for (size, _) in segment_sizes(total, options.segment_size) {
                content_len += size as u64 + slots;
                chunks += 1;
            }
        }
        let mut obj =
            ObjectWriter::new(author_key, to, options.pq, &mut rng, content_len, chunks, options.segment_size + 4096)?;
        for c in &front {
            obj.push(c)?;
        }
        let mut w = MessageWriter {
            obj,
            rng,
            parts: parts.into_iter(),
            current: None,
            segment: options.segment_size,
            pending: None,
        };
        w.advance()?;
        drain(&mut w.obj.out, out);
        Ok(w)
    }

    /// Seals `data` as the next chunk while the previous one is hashed, then emits the previous
    /// one. Keys are drawn in chunk order, so the bytes do not depend on the overlap.
    fn seal(&mut self, kind: PartKind, data: &[u8], spanning: bool) -> Result<()> {
        let chunk_type = kind.chunk_type();
        let key = ChunkKey::generate(&mut self.rng)?;
        let previous = self.pending.take();
        let (sealed, hashed) = crate::par::join(
            || -> Result<Vec<u8>> {
                let mut bytes = Vec::new();
                seal_standard(&mut bytes, chunk_type, spanning, &key, &[data])?;
                Ok(bytes)
            },
            || previous.map(Unhashed::hashed),
        );
        if let Some(c) = hashed {
            self.emit(&c)?;
        }
        self.pending = Some(Unhashed { chunk_type, bytes: sealed?, key });
        Ok(())
    }

    /// Hashes and emits the last chunk sealed.
    fn flush(&mut self) -> Result<()> {
        match self.pending.take() {
            Some(c) => self.emit(&c.hashed()),
            None => Ok(()),
        }
    }

    /// Adds a chunk and its keyslots to the output, reserving exactly the room they need: the
    /// write that completes the content emits the last two chunks together, and growing the
    /// buffer by doubling would hold two whole segments.
    fn emit(&mut self, c: &SealedChunk) -> Result<()> {
        self.obj.out.reserve_exact(c.bytes.len() + c.chunk_type.slots_len());
        self.obj.push(c)
    }

    /// Moves to the next part that expects content, sealing empty parts on the way.
    fn advance(&mut self) -> Result<()> {
        while self.current.is_none() {
            let Some(plan) = self.parts.next() else {
                // The content is complete: what `finish` adds is the signature section alone.
                return self.flush();
            };
            let buf = plan.info.encode()?;
            if plan.len == 0 {
                self.seal(plan.kind, &buf, false)?;
            } else {
                self.current = Some(Current { kind: plan.kind, remaining: plan.len, buf });
            }
        }
        Ok(())
    }

    /// Writes content of the current part (parts follow each other in plan order); sealed
    /// chunks are appended to `out`.
    pub fn write(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        while !data.is_empty() {
            let segment = self.segment;
            let cur = self.current.as_mut().ok_or(MessageError::Stream("more content than the plan declares"))?;
            let room = segment - cur.buf.len();
            let n = (data.len() as u64).min(cur.remaining).min(room as u64) as usize;
            let (piece, rest) = data.split_at(n);
            cur.buf.extend_from_slice(piece);
            cur.remaining -= n as u64;
            data = rest;
            let kind = cur.kind;
            if cur.remaining == 0 {
                let buf = core::mem::take(&mut cur.buf);
                self.current = None;
                self.seal(kind, &buf, false)?;
                self.advance()?;
            } else if cur.buf.len() == segment {
                let mut buf = core::mem::take(&mut cur.buf);
                self.seal(kind, &buf, true)?;
                buf.clear();
                if let Some(cur) = self.current.as_mut() {
                    cur.buf = buf;
                }
            }
            drain(&mut self.obj.out, out);
        }
        Ok(())
    }

    /// Ends the object: every planned part must be complete. The signature chunks are
    /// appended to `out`. Returns the whole object's object hash (D9, what DMTP's `DATA`
    /// carries), made from the chunk digests the signatures needed: no pass over the output.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<[u8; OBJECT_HASH_LEN]> {
        if self.current.is_some() {
            return Err(MessageError::Stream("a part has less content than planned"));
        }
        let (mut tail, hash) = self.obj.finish(&mut self.rng)?;
        drain(&mut tail, out);
        Ok(hash)
    }
}

/// What a [`StreamOpener`] releases, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The tracing prefix (opaque).
    Tracing(Vec<u8>),
    /// Both envelope chunks, after the author's and the origin's fingerprints were checked.
    Envelope {
        /// The origin chunk.
        origin: Box<OriginEnvelope>,
        /// The destination chunk.
        destination: Box<DestinationEnvelope>,
    },
    /// The common headers.
    Headers(CommonHeaders),
    /// The other headers.
    OtherHeaders(Vec<u8>),
    /// A part begins.
    PartStart {
        /// Display part or attachment.
        kind: PartKind,
        /// Its descriptor.
        info: PartInfo,
    },
    /// Authenticated content of the current part.
    PartData(Vec<u8>),
    /// The current part is complete.
    PartEnd,
    /// The whole object has been read and checked.
    End,
}

/// A chunk of the signature section: its header, bytes and digests.
struct TailChunk {
    header: ChunkHeader,
    start: usize,
    entry: Entry,
}

enum State {
    Framing,
    Chunks,
    Tail { matched: usize },
    Done,
}

/// Opens an object as a stream for the recipient (or the author). It needs the signature
/// section first (the bytes from the tree chunk to the end, [`crate::Message::signature_section`]),
/// then takes the object's bytes in order in any pieces. It verifies every signature as soon as
/// the ephemeral chunk arrives and releases each chunk's plaintext only after the chunk matched
/// the signed digest list. Memory: one chunk.
pub struct StreamOpener {
    actor: Actor,
    secret: EncryptionSecretKey,
    kem: Option<KemSecretKey>,
    /// The reader's current signet, for the downgrade check.
    own: Option<Signet>,
    author_hybrid: bool,
    kinds: Kinds,
    reader: Signet,
    author_key: SigningPublicKey,
    author_fp: Fingerprint,
    origin_key: SigningPublicKey,
    origin_fp: Fingerprint,
    tail: Vec<u8>,
    tail_chunks: Vec<TailChunk>,
    limits: MessageLimits,
    state: State,
    buf: Vec<u8>,
    grammar: Grammar,
    index: usize,
    declared: u64,
    consumed: u64,
    kek: Option<Kek>,
    listed: Vec<Entry>,
    bounces_checked: (bool, bool),
    origin_envelope: Option<OriginEnvelope>,
    span_open: bool,
}

impl core::fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamOpener").field("actor", &self.actor).field("index", &self.index).finish()
    }
}

fn identity(signet: &Signet, role: Actor) -> Result<(SigningPublicKey, Fingerprint)> {
    let key = signet.signing_key().ok_or(MessageError::SignetIncomplete { role, what: "signing key" })?;
    let fp = signet
        .fingerprint(FingerprintKind::Crypto)
        .ok_or(MessageError::SignetIncomplete { role, what: "crypto fingerprint" })?;
    Ok((key, fp))
}

const TAIL_TYPES: [ChunkType; 5] = [
    ChunkType::Tree,
    ChunkType::AuthorFull,
    ChunkType::OriginMetaBounce,
    ChunkType::OriginDisplayBounce,
    ChunkType::OriginFull,
];

impl StreamOpener {
    /// A reader for `actor` (author or recipient) with its encryption key and its own signet
    /// (`reader`, whose encryption key `secret` is), the author's and the origin's signets, and
    /// the signature section of the object. The recipient's destination chunk must name
    /// `reader` by fingerprint and address (`docs/message-format.md` §8); the author's `reader`
    /// is `author`.
    pub fn new(
        actor: Actor,
        secret: EncryptionSecretKey,
        reader: &Signet,
        author: &Signet,
        origin: &Signet,
        signature_section: &[u8],
        limits: &MessageLimits,
    ) -> Result<StreamOpener> {
        if !matches!(actor, Actor::Author | Actor::Recipient) {
            return Err(MessageError::Input("only the author and the recipient stream plaintext"));
        }
        let (author_key, author_fp) = identity(author, Actor::Author)?;
        let (origin_key, origin_fp) = identity(origin, Actor::Origin)?;
        if actor == Actor::Author && identity(reader, Actor::Author)?.1 != author_fp {
            return Err(MessageError::SignetMismatch { role: Actor::Author });
        }
        let mut tail_chunks = Vec::with_capacity(5);
        let mut at = 0;
        let mut count = 0;
        for (i, t) in TAIL_TYPES.into_iter().enumerate() {
            let head =
                signature_section.get(at..at + HEADER_LEN).ok_or(MessageError::MissingChunk { expected: t.name() })?;
            let header = read_header(count + i, head)?;
            if header.chunk_type != t {
                return Err(MessageError::UnexpectedChunk {
                    index: count + i,
                    found: header.chunk_type.byte(),
                    expected: t.name(),
                });
            }
            check_limit(&header, limits)?;
            check_flags(count + i, &header)?;
            check_body_len(count + i, &header)?;
            if t == ChunkType::Tree {
                count = (header.body_len as usize - crate::wire::tree_body_len(0)) / crate::tree::ENTRY_LEN;
            }
            let end = at + header.chunk_len();
            let body_end = at + HEADER_LEN + header.body_len as usize;
            let sealed = signature_section.get(at..body_end);
            let slots = signature_section.get(body_end..end);
            let (Some(sealed), Some(slots)) = (sealed, slots) else {
                return Err(MessageError::Truncated {
                    what: "signature section",
                    available: signature_section.len(),
                    needed: end,
                });
            };
            let raw = RawChunk { index: count + i, header, offset: at, sealed, slots };
            tail_chunks.push(TailChunk { header, start: at, entry: Entry::of(&raw) });
            at = end;
        }
        if at != signature_section.len() {
            return Err(MessageError::LengthMismatch { declared: at, available: signature_section.len() });
        }
        let sealed: Vec<bool> = tail_chunks.iter().skip(2).map(|c| c.header.body_len != 0).collect();
        let first = sealed.first().copied().unwrap_or(false);
        if sealed.iter().any(|s| *s != first) {
            return Err(MessageError::MixedCountersignature);
        }
        if actor == Actor::Recipient && !first {
            return Err(MessageError::NotCountersigned);
        }
        Ok(StreamOpener {
            actor,
            secret,
            kem: None,
            own: None,
            author_hybrid: author.is_hybrid(),
            kinds: Kinds::NONE,
            reader: reader.clone(),
            author_key,
            author_fp,
            origin_key,
            origin_fp,
            tail: signature_section.to_vec(),
            tail_chunks,
            limits: *limits,
            state: State::Framing,
            buf: Vec::new(),
            grammar: Grammar::new(),
            index: 0,
            declared: 0,
            consumed: 0,
            kek: None,
            listed: Vec::new(),
            bounces_checked: (false, false),
            origin_envelope: None,
            span_open: false,
        })
    }

    /// Adds the reader's ML-KEM key, needed when its slot is hybrid, and its current signet for
    /// the downgrade check (the signet must carry that key: [`MessageError::HybridKeyMismatch`]).
    pub fn with_hybrid(mut self, kem: KemSecretKey, own: Option<&Signet>) -> Result<StreamOpener> {
        if own.is_some_and(|own| own.hybrid_encryption_key() != Some(kem.public())) {
            return Err(MessageError::HybridKeyMismatch);
        }
        self.kem = Some(kem);
        self.own = own.cloned();
        Ok(self)
    }

    /// The object's post-quantum protection, known once the ephemeral chunk has been read.
    pub fn protection(&self) -> Option<Protection> {
        self.kek.as_ref().map(|_| self.kinds.protection())
    }

    fn countersigned(&self) -> bool {
        self.tail_chunks.get(2).is_some_and(|c| c.header.body_len != 0)
    }

    /// Bytes still needed to complete the unit being buffered.
    fn want(&self) -> usize {
        match self.state {
            State::Framing => {
                let b = &self.buf;
                if b.len() < 6 {
                    6 - b.len()
                } else if b[..2] == 1837u16.to_be_bytes() {
                    let t = u32::from_be_bytes([b[2], b[3], b[4], b[5]]) as usize;
                    (12 + t.min(self.limits.max_tracing)).saturating_sub(b.len()).max(1)
                } else {
                    1
                }
            }
            State::Chunks => {
                if self.buf.len() < HEADER_LEN {
                    HEADER_LEN - self.buf.len()
                } else {
                    let t = self.buf[0];
                    let len = u32::from_be_bytes([self.buf[2], self.buf[3], self.buf[4], self.buf[5]]);
                    let slots = ChunkType::from_byte(t).map_or(0, ChunkType::slots_len);
                    (HEADER_LEN + len as usize + slots).saturating_sub(self.buf.len())
                }
            }
            State::Tail { .. } | State::Done => 0,
        }
    }

    /// Takes the next bytes of the object; released plaintext is appended to `events`.
    pub fn feed(&mut self, mut data: &[u8], events: &mut Vec<Event>) -> Result<()> {
        while !data.is_empty() {
            match self.state {
                State::Done => {
                    return Err(MessageError::LengthMismatch {
                        declared: self.declared as usize,
                        available: self.declared as usize + data.len(),
                    });
                }
                State::Tail { matched } => {
                    let expect = self.tail.get(matched..).unwrap_or_default();
                    let n = expect.len().min(data.len());
                    if data[..n] != expect[..n] {
                        return Err(MessageError::DigestMismatch { index: self.index });
                    }
                    data = &data[n..];
                    self.consumed += n as u64;
                    if matched + n == self.tail.len() {
                        self.state = State::Done;
                        events.push(Event::End);
                    } else {
                        self.state = State::Tail { matched: matched + n };
                    }
                }
                _ => {
                    let n = self.want().min(data.len());
                    self.buf.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    self.step(events)?;
                }
            }
        }
        Ok(())
    }

    /// Processes the buffer if it holds a complete unit.
    fn step(&mut self, events: &mut Vec<Event>) -> Result<()> {
        match self.state {
            State::Framing => {
                if let Some(framing) = read_framing(&self.buf, &self.limits)? {
                    self.declared = u64::from(framing.chunks_len);
                    if let Some(tracing) = framing.tracing {
                        events.push(Event::Tracing(tracing.to_vec()));
                    }
                    self.buf.clear();
                    self.state = State::Chunks;
                }
            }
            State::Chunks => {
                if self.buf.len() == HEADER_LEN {
                    let header = read_header(self.index, &self.buf)?;
                    check_limit(&header, &self.limits)?;
                    self.grammar.next(self.index, &header, &self.limits)?;
                    if self.index > 0 && self.index == self.listed.len() {
                        // The signature section starts here; compare it byte for byte.
                        self.check_bounces(None, self.index)?;
                        let buf = core::mem::take(&mut self.buf);
                        self.state = State::Tail { matched: 0 };
                        return self.feed(&buf, events);
                    }
                    if self.index > 0 {
                        self.check_bounces(Some(header.chunk_type), self.index)?;
                    }
                }
                if self.buf.len() >= HEADER_LEN && self.want() == 0 {
                    let buf = core::mem::take(&mut self.buf);
                    self.chunk(&buf, events)?;
                    self.consumed += buf.len() as u64;
                    if self.consumed > self.declared {
                        return Err(MessageError::LengthMismatch {
                            declared: self.declared as usize,
                            available: self.consumed as usize,
                        });
                    }
                    self.buf = buf;
                    self.buf.clear();
                    self.index += 1;
                }
            }
            State::Tail { .. } | State::Done => {}
        }
        Ok(())
    }

    /// Verifies the bounce signatures that cover everything before `index`, once the stream
    /// has passed the end of what they cover.
    fn check_bounces(&mut self, next: Option<ChunkType>, index: usize) -> Result<()> {
        if !self.countersigned() {
            return Ok(());
        }
        if !self.bounces_checked.0 && next.is_none_or(|t| t > ChunkType::Other) {
            self.verify_origin_sig(2, ORIGIN_META, index, Which::OriginMetaBounce)?;
            self.bounces_checked.0 = true;
        }
        if !self.bounces_checked.1 && next.is_none_or(|t| t > ChunkType::Display) {
            self.verify_origin_sig(3, ORIGIN_DISPLAY, index, Which::OriginDisplayBounce)?;
            self.bounces_checked.1 = true;
        }
        Ok(())
    }

    fn verify_origin_sig(&self, tail: usize, label: &[u8], covered: usize, which: Which) -> Result<()> {
        let sig = self.tail_signature(tail)?;
        let entries = self.listed.get(..covered).unwrap_or_default();
        self.origin_key.verify(&list_input(label, entries), &sig).map_err(|_| MessageError::BadSignature(which))
    }

    /// Decrypts tail chunk `i` (0 = tree) with this actor's key.
    fn tail_plain(&self, i: usize) -> Result<Vec<u8>> {
        let kek = self.kek.as_ref().ok_or(MessageError::Stream("no key yet"))?;
        let c = self.tail_chunks.get(i).ok_or(MessageError::MissingChunk { expected: "signature" })?;
        let index = self.count() + i;
        let t = c.header.chunk_type;
        let body_end = c.start + HEADER_LEN + c.header.body_len as usize;
        let slot_at = t
            .slot_of(self.actor)
            .map(|s| body_end + s * crate::chunk::KEYSLOT_LEN)
            .ok_or(MessageError::NotVisible { index, chunk_type: t.byte(), actor: self.actor })?;
        let slot = self.tail.get(slot_at..slot_at + crate::chunk::KEYSLOT_LEN).unwrap_or_default();
        let key = ChunkKey::unwrap(kek, index, t, self.actor, slot)?;
        let header = self.tail.get(c.start..c.start + HEADER_LEN).unwrap_or_default();
        let body = self.tail.get(c.start + HEADER_LEN..body_end).unwrap_or_default();
        key.open(index, header, body)
    }

    fn tail_signature(&self, i: usize) -> Result<dime_core::keys::Signature> {
        let index = self.count() + i;
        dime_core::keys::Signature::from_slice(&self.tail_plain(i)?)
            .map_err(|_| MessageError::BadPlaintext { index, what: "signature length" })
    }

    /// Number of chunks before the tree, from the tree's length.
    fn count(&self) -> usize {
        self.tail_chunks.first().map_or(0, |c| {
            (c.header.body_len as usize).saturating_sub(crate::wire::tree_body_len(0)) / crate::tree::ENTRY_LEN
        })
    }

    /// Derives the key and checks every signature against the tree list.
    fn start(&mut self, ephemeral: &[u8]) -> Result<()> {
        let keys = ActorKeys { encryption: &self.secret, kem: self.kem.as_ref(), signet: None };
        let (kek, kinds) = crate::hybrid::actor_kek(&keys, self.actor, ephemeral)?;
        self.kek = Some(kek);
        self.kinds = kinds;
        let count = self.count();
        let (listed, tree_sig) = decode_tree(count, &self.tail_plain(0)?)?;
        self.author_key
            .verify(&list_input(TREE, &listed), &tree_sig)
            .map_err(|_| MessageError::BadSignature(Which::Tree))?;
        let e = |i: usize| self.tail_chunks.get(i).map(|c| c.entry);
        let (Some(tree), Some(full), Some(meta), Some(display), Some(last)) = (e(0), e(1), e(2), e(3), e(4)) else {
            return Err(MessageError::MissingChunk { expected: "signature" });
        };
        let input = author_full_input(&tree, [&full.slots, &meta.slots, &display.slots, &last.slots]);
        self.author_key
            .verify(&input, &self.tail_signature(1)?)
            .map_err(|_| MessageError::BadSignature(Which::AuthorFull))?;
        if self.countersigned() {
            let mut all = listed.clone();
            all.extend([tree, full, meta, display]);
            self.origin_key
                .verify(&origin_input(ChunkType::OriginFull, &all, &last.slots), &self.tail_signature(4)?)
                .map_err(|_| MessageError::BadSignature(Which::OriginFull))?;
        }
        self.listed = listed;
        Ok(())
    }

    /// Handles one complete chunk before the signature section.
    fn chunk(&mut self, bytes: &[u8], events: &mut Vec<Event>) -> Result<()> {
        let index = self.index;
        let header = read_header(index, bytes.get(..HEADER_LEN).unwrap_or_default())?;
        let body_end = HEADER_LEN + header.body_len as usize;
        let raw = RawChunk {
            index,
            header,
            offset: 0,
            sealed: bytes.get(..body_end).unwrap_or_default(),
            slots: bytes.get(body_end..).unwrap_or_default(),
        };
        let t = header.chunk_type;
        if index == 0 {
            self.start(raw.body())?;
        }
        let listed =
            self.listed.get(index).ok_or(MessageError::TreeCount { listed: self.listed.len(), present: index + 1 })?;
        if t == ChunkType::Ephemeral {
            return if listed.ct_eq(&Entry::of(&raw)) { Ok(()) } else { Err(MessageError::DigestMismatch { index }) };
        }
        // The chunk is decrypted while its digests are computed; nothing of the decryption is
        // used, not even its error, unless the digests match the signed list.
        let (kek, actor) = (self.kek.as_ref(), self.actor);
        let open = || -> Result<Vec<u8>> {
            let kek = kek.ok_or(MessageError::Stream("no key yet"))?;
            let slot = raw.slot(actor).ok_or(MessageError::NotVisible { index, chunk_type: t.byte(), actor })?;
            ChunkKey::unwrap(kek, index, t, actor, slot)?.open(index, raw.header_bytes(), raw.body())
        };
        let (entry, opened) = crate::par::join(|| Entry::of(&raw), open);
        if !listed.ct_eq(&entry) {
            return Err(MessageError::DigestMismatch { index });
        }
        let mut plain = opened?;
        let data_len = open_standard(index, &plain)?.len();
        plain.truncate(4 + data_len);
        plain.drain(..4);
        match t {
            ChunkType::Origin => {
                let env = OriginEnvelope::decode(&plain)?;
                if env.author_signet != self.author_fp {
                    return Err(MessageError::SignetMismatch { role: Actor::Author });
                }
                self.origin_envelope = Some(env);
            }
            ChunkType::Destination => {
                let destination = DestinationEnvelope::decode(&plain)?;
                if destination.origin_signet != self.origin_fp {
                    return Err(MessageError::SignetMismatch { role: Actor::Origin });
                }
                if self.actor == Actor::Recipient {
                    crate::hybrid::check_downgrade(
                        self.own.as_ref(),
                        self.actor,
                        &destination.recipient_signet,
                        self.author_hybrid,
                        self.kinds,
                    )?;
                }
                let origin = self.origin_envelope.take().ok_or(MessageError::MissingChunk { expected: "origin" })?;
                if self.actor == Actor::Recipient {
                    crate::open::check_recipient(&self.reader, &destination)?;
                }
                crate::text::check_envelopes(&origin, &destination)?;
                events.push(Event::Envelope { origin: Box::new(origin), destination: Box::new(destination) });
            }
            ChunkType::Common => events.push(Event::Headers(CommonHeaders::decode(&plain)?)),
            ChunkType::Other => events.push(Event::OtherHeaders(plain)),
            _ => {
                let kind = if t == ChunkType::Display { PartKind::Display } else { PartKind::Attachment };
                let continuing = self.span_open;
                let data = if continuing {
                    plain
                } else {
                    let (info, content) = PartInfo::decode(&plain)?;
                    let skip = plain.len() - content.len();
                    events.push(Event::PartStart { kind, info });
                    plain.drain(..skip);
                    plain
                };
                if !data.is_empty() {
                    events.push(Event::PartData(data));
                }
                self.span_open = header.spanning();
                if !header.spanning() {
                    events.push(Event::PartEnd);
                }
            }
        }
        Ok(())
    }

    /// Ends the stream: the whole object must have arrived.
    pub fn finish(self) -> Result<()> {
        match self.state {
            State::Done if self.consumed == self.declared => Ok(()),
            State::Done => Err(MessageError::LengthMismatch {
                declared: self.declared as usize,
                available: self.consumed as usize,
            }),
            _ => Err(MessageError::Stream("the object ends early")),
        }
    }
}
