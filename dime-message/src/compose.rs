//! Composing: content sealed once, then one object per recipient.

use std::time::SystemTime;

use dime_core::Fingerprint;
use dime_core::keys::SigningSecretKey;
use dime_signet::{FingerprintKind, Signet};

use crate::actor::Actor;
use crate::chunk::{ChunkHeader, ChunkType, HEADER_LEN, KEYSLOT_LEN, SEAL_OVERHEAD, SIGNATURE_BODY_LEN};
use crate::crypto::{ChunkDigest, ChunkKey, DIGEST_LEN, Kek, RandomSource, digest, x25519_public};
use crate::error::{MessageError, Result};
use crate::hybrid::{PartyKeys, PqPolicy};
use crate::object_hash::{HashedObject, OBJECT_HASH_LEN, ObjectHash};
use crate::segment::{DEFAULT_SEGMENT, Part, PartKind, check_segment, plaintext_len, seal_standard_digest};
use crate::text::{CommonHeaders, DestinationEnvelope, OriginEnvelope};
use crate::tree::{Entry, TREE, author_full_input, encode_tree, list_input};
use crate::wire::{MESSAGE_HEADER_LEN, tree_body_len, write_framing};

/// The four signets a message is addressed with. The composer uses their identifiers, crypto
/// fingerprints and keys and checks no signature: bind them first
/// (`dime_signet::Signet::bind`, `BoundSignet::bind_user`, which deref to `&Signet`), so that
/// each identifier written into the envelopes is one its organization signed at `id`.
#[derive(Debug, Clone, Copy)]
pub struct Addressing<'a> {
    /// The author's user signet.
    pub author: &'a Signet,
    /// The author's organization signet.
    pub origin: &'a Signet,
    /// The recipient's organization signet.
    pub destination: &'a Signet,
    /// The recipient's user signet.
    pub recipient: &'a Signet,
}

/// Writer choices.
///
/// Start from [`ComposeOptions::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComposeOptions {
    /// Data bytes per part segment (4 KiB to 16 MiB; default 1 MiB).
    pub segment_size: usize,
    /// When to write hybrid (ML-KEM-768 + X25519) keyslots (default [`PqPolicy::Prefer`]).
    pub pq: PqPolicy,
}

impl Default for ComposeOptions {
    fn default() -> Self {
        ComposeOptions { segment_size: DEFAULT_SEGMENT, pq: PqPolicy::default() }
    }
}

/// What a message says: headers, display parts and attachments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    /// The common headers.
    pub headers: CommonHeaders,
    /// Other headers, opaque (omitted from the object when empty).
    pub other_headers: Vec<u8>,
    /// Display parts, in order.
    pub display: Vec<Part>,
    /// Attachments, in order.
    pub attachments: Vec<Part>,
}

impl Content {
    /// The common case: one `text/plain; charset=utf-8` display part, `Date` written from
    /// `date` ([`crate::date::rfc5322`]; pass the time the message is written, e.g.
    /// `SystemTime::now()`), `From` the author's and `To` the recipient's identifier as
    /// `to` names them, and `subject`.
    ///
    /// Errors: [`MessageError::SignetIncomplete`] when the author or recipient signet has no
    /// identifier, [`MessageError::BadText`] for a date outside the years 1900 to 9999 or a
    /// subject with a control character or over 16 KiB.
    pub fn text(to: &Addressing<'_>, date: SystemTime, subject: &str, body: &str) -> Result<Content> {
        let address = |signet: &Signet, role| {
            signet
                .unverified_identifier()
                .and_then(|id| core::str::from_utf8(id).ok())
                .map(str::to_owned)
                .ok_or(MessageError::SignetIncomplete { role, what: "identifier" })
        };
        let headers = CommonHeaders {
            date: crate::date::rfc5322(date)?,
            to: address(to.recipient, Actor::Recipient)?,
            from: address(to.author, Actor::Author)?,
            subject: subject.to_owned(),
            ..CommonHeaders::default()
        };
        headers.encode()?;
        let display = vec![Part::new("text/plain; charset=utf-8", None, body.as_bytes().to_vec())?];
        Ok(Content { headers, display, ..Content::default() })
    }
}

/// A signet's role data: address, crypto fingerprint, X25519 and hybrid keys.
pub(crate) struct Party<'s> {
    pub address: String,
    pub fingerprint: Fingerprint,
    pub keys: PartyKeys<'s>,
}

impl<'s> Party<'s> {
    pub fn of(signet: &'s Signet, role: Actor) -> Result<Party<'s>> {
        let incomplete = |what| MessageError::SignetIncomplete { role, what };
        let address = signet
            .unverified_identifier()
            .and_then(|id| core::str::from_utf8(id).ok())
            .ok_or(incomplete("identifier"))?
            .to_owned();
        let fingerprint = signet.fingerprint(FingerprintKind::Crypto).ok_or(incomplete("crypto fingerprint"))?;
        let x25519 = x25519_public(&signet.encryption_key().ok_or(incomplete("encryption key"))?)?;
        let keys = PartyKeys { x25519, hybrid: signet.hybrid_encryption_key() };
        Ok(Party { address, fingerprint, keys })
    }
}

/// One sealed chunk without keyslots: its bytes, key and digest.
pub(crate) struct SealedChunk {
    pub chunk_type: ChunkType,
    pub bytes: Vec<u8>,
    pub key: ChunkKey,
    pub digest: ChunkDigest,
}

impl SealedChunk {
    /// Seals a standard chunk under a fresh key.
    pub fn standard(t: ChunkType, spanning: bool, pieces: &[&[u8]], rng: &mut dyn RandomSource) -> Result<SealedChunk> {
        SealedChunk::with_key(t, spanning, pieces, ChunkKey::generate(rng)?)
    }

    /// Seals a standard chunk under `key`.
    fn with_key(t: ChunkType, spanning: bool, pieces: &[&[u8]], key: ChunkKey) -> Result<SealedChunk> {
        let mut bytes = Vec::new();
        let digest = seal_standard_digest(&mut bytes, t, spanning, &key, pieces)?;
        Ok(SealedChunk { chunk_type: t, bytes, key, digest })
    }
}

/// One content chunk to seal: its type, flag, data pieces and key (drawn in wire order, so the
/// sealing itself may run in any order).
struct Job<'a> {
    chunk_type: ChunkType,
    spanning: bool,
    pieces: [&'a [u8]; 2],
    key: ChunkKey,
}

impl Job<'_> {
    /// Bytes of the sealed chunk with its keyslots.
    fn sealed_len(&self) -> usize {
        let data = self.pieces.iter().map(|p| p.len()).sum();
        HEADER_LEN + SEAL_OVERHEAD + plaintext_len(data, !self.spanning) + self.chunk_type.slots_len()
    }

    fn seal(&self) -> Result<SealedChunk> {
        SealedChunk::with_key(self.chunk_type, self.spanning, &self.pieces, self.key.clone())
    }
}

/// The segments of one part (descriptor ‖ data) as jobs, keys drawn in order.
fn part_jobs<'a>(
    kind: PartKind,
    descriptor: &'a [u8],
    data: &'a [u8],
    segment: usize,
    rng: &mut dyn RandomSource,
    jobs: &mut Vec<Job<'a>>,
) -> Result<()> {
    let first = data.len().min(segment.saturating_sub(descriptor.len()));
    let (head, mut rest) = data.split_at(first);
    let chunk_type = kind.chunk_type();
    jobs.push(Job {
        chunk_type,
        spanning: !rest.is_empty(),
        pieces: [descriptor, head],
        key: ChunkKey::generate(rng)?,
    });
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(rest.len().min(segment));
        jobs.push(Job { chunk_type, spanning: !tail.is_empty(), pieces: [piece, &[]], key: ChunkKey::generate(rng)? });
        rest = tail;
    }
    Ok(())
}

/// The content's encoded headers and part descriptors, which the jobs borrow.
struct Encoded<'c> {
    headers: Vec<u8>,
    other: &'c [u8],
    parts: Vec<(PartKind, Vec<u8>, &'c [u8])>,
}

impl<'c> Encoded<'c> {
    fn new(content: &'c Content, options: &ComposeOptions) -> Result<Encoded<'c>> {
        check_segment(options.segment_size)?;
        let headers = content.headers.encode()?;
        let parts = content
            .display
            .iter()
            .map(|p| (PartKind::Display, p))
            .chain(content.attachments.iter().map(|p| (PartKind::Attachment, p)))
            .map(|(kind, p)| Ok((kind, p.info.encode()?, p.data.as_slice())))
            .collect::<Result<_>>()?;
        Ok(Encoded { headers, other: &content.other_headers, parts })
    }

    /// The content chunks in wire order, their keys drawn in that order.
    fn jobs(&self, segment: usize, rng: &mut dyn RandomSource) -> Result<Vec<Job<'_>>> {
        let mut jobs = vec![Job {
            chunk_type: ChunkType::Common,
            spanning: false,
            pieces: [&self.headers, &[]],
            key: ChunkKey::generate(rng)?,
        }];
        if !self.other.is_empty() {
            jobs.push(Job {
                chunk_type: ChunkType::Other,
                spanning: false,
                pieces: [self.other, &[]],
                key: ChunkKey::generate(rng)?,
            });
        }
        for (kind, descriptor, data) in &self.parts {
            part_jobs(*kind, descriptor, data, segment, rng, &mut jobs)?;
        }
        Ok(jobs)
    }
}

/// Content sealed once: the common headers, other headers, display parts and attachments as
/// encrypted chunks. Addressing it to a recipient adds only the envelope, keyslots and
/// signatures, so N recipients cost one content encryption and one content hash.
pub struct SealedContent {
    chunks: Vec<SealedChunk>,
    pq: PqPolicy,
}

impl core::fmt::Debug for SealedContent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealedContent").field("chunks", &self.chunks.len()).finish()
    }
}

impl SealedContent {
    /// Encrypts and hashes the content.
    pub fn seal(content: &Content, options: &ComposeOptions, rng: &mut dyn RandomSource) -> Result<SealedContent> {
        let encoded = Encoded::new(content, options)?;
        SealedContent::of_jobs(&encoded.jobs(options.segment_size, rng)?, options)
    }

    /// Seals the jobs, side by side with `parallel`.
    fn of_jobs(jobs: &[Job<'_>], options: &ComposeOptions) -> Result<SealedContent> {
        let chunks = crate::par::map(jobs, Job::seal).into_iter().collect::<Result<Vec<_>>>()?;
        Ok(SealedContent { chunks, pq: options.pq })
    }

    /// Builds the object for one recipient: a fresh ephemeral key, the envelope, keyslots for
    /// every chunk, the tree and full signatures and the origin's placeholders.
    pub fn address(
        &self,
        author_key: &SigningSecretKey,
        to: &Addressing<'_>,
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>> {
        Ok(self.address_hashed(author_key, to, rng)?.object)
    }

    /// [`SealedContent::address`] with the object's object hash (D9), made from the chunk
    /// digests the signatures needed: no pass over the object.
    pub fn address_hashed(
        &self,
        author_key: &SigningSecretKey,
        to: &Addressing<'_>,
        rng: &mut dyn RandomSource,
    ) -> Result<HashedObject> {
        let content_len: usize = self.chunks.iter().map(|c| c.bytes.len() + c.chunk_type.slots_len()).sum();
        let mut w = ObjectWriter::new(author_key, to, self.pq, rng, content_len as u64, self.chunks.len(), usize::MAX)?;
        for c in &self.chunks {
            w.push(c)?;
        }
        let (object, hash) = w.finish(rng)?;
        Ok(HashedObject { object, hash })
    }
}

/// Composes one message object.
pub fn compose(
    author_key: &SigningSecretKey,
    to: &Addressing<'_>,
    content: &Content,
    options: &ComposeOptions,
    rng: &mut dyn RandomSource,
) -> Result<Vec<u8>> {
    Ok(compose_hashed(author_key, to, content, options, rng)?.object)
}

/// [`compose`] with the object's object hash (D9, what DMTP's `DATA` carries), computed from
/// the chunk digests the signatures needed while the object was built: no pass over it.
pub fn compose_hashed(
    author_key: &SigningSecretKey,
    to: &Addressing<'_>,
    content: &Content,
    options: &ComposeOptions,
    rng: &mut dyn RandomSource,
) -> Result<HashedObject> {
    let encoded = Encoded::new(content, options)?;
    let jobs = encoded.jobs(options.segment_size, rng)?;
    if crate::par::worth_spreading(jobs.iter().map(Job::sealed_len)) {
        // Chunks sealed side by side into their own buffers, then copied into the object.
        return SealedContent::of_jobs(&jobs, options)?.address_hashed(author_key, to, rng);
    }
    // In order: each chunk is sealed straight into the object, with its digest in the same
    // pass; the keys are the ones `SealedContent` would have used.
    let content_len: usize = jobs.iter().map(Job::sealed_len).sum();
    let mut w = ObjectWriter::new(author_key, to, options.pq, rng, content_len as u64, jobs.len(), usize::MAX)?;
    for job in &jobs {
        w.seal(job.chunk_type, job.spanning, &job.pieces, &job.key)?;
    }
    let (object, hash) = w.finish(rng)?;
    Ok(HashedObject { object, hash })
}

/// Composes one object per recipient, encrypting the content once. `recipients` pairs each
/// recipient's organization signet with the recipient's signet.
pub fn compose_many(
    author_key: &SigningSecretKey,
    author: &Signet,
    origin: &Signet,
    recipients: &[(&Signet, &Signet)],
    content: &Content,
    options: &ComposeOptions,
    rng: &mut dyn RandomSource,
) -> Result<Vec<Vec<u8>>> {
    let sealed = SealedContent::seal(content, options, rng)?;
    recipients
        .iter()
        .map(|(destination, recipient)| {
            let to = Addressing { author, origin, destination, recipient };
            sealed.address(author_key, &to, rng)
        })
        .collect()
}

/// Size of the chunks after the last content chunk, for `count` chunks before the tree.
pub(crate) fn tail_len(count: usize) -> usize {
    let tree = HEADER_LEN + tree_body_len(count) + ChunkType::Tree.slots_len();
    let full = HEADER_LEN + SIGNATURE_BODY_LEN + ChunkType::AuthorFull.slots_len();
    let placeholders = 3 * (HEADER_LEN + ChunkType::OriginFull.slots_len());
    tree + full + placeholders
}

/// Appends the keyslots for chunk `index` of type `t` to `out`, one per actor that reads it.
fn slots(keks: &[Kek; 4], index: usize, t: ChunkType, key: &ChunkKey, out: &mut Vec<u8>) -> Result<()> {
    for actor in t.actors() {
        key.wrap(&keks[*actor as usize], index, t, *actor, out)?;
    }
    Ok(())
}

/// Writes one object: framing and envelope first, then content chunks as they come, then the
/// signatures. Output accumulates in `out` and may be drained between calls.
pub(crate) struct ObjectWriter<'k> {
    author_key: &'k SigningSecretKey,
    keks: [Kek; 4],
    entries: Vec<Entry>,
    pub out: Vec<u8>,
    expected: usize,
    /// The message header written first, for the object hash.
    framing: Vec<u8>,
}

impl<'k> ObjectWriter<'k> {
    /// Starts an object whose content chunks (keyslots included) total `content_len` bytes in
    /// `content_chunks` chunks; the output buffer reserves at most `capacity_limit` bytes.
    pub fn new(
        author_key: &'k SigningSecretKey,
        to: &Addressing<'_>,
        pq: PqPolicy,
        rng: &mut dyn RandomSource,
        content_len: u64,
        content_chunks: usize,
        capacity_limit: usize,
    ) -> Result<ObjectWriter<'k>> {
        let author = Party::of(to.author, Actor::Author)?;
        let origin = Party::of(to.origin, Actor::Origin)?;
        let destination = Party::of(to.destination, Actor::Destination)?;
        let recipient = Party::of(to.recipient, Actor::Recipient)?;
        if to.author.signing_key() != Some(author_key.public()) {
            return Err(MessageError::AuthorKeyMismatch);
        }
        let (ephemeral, keks) =
            crate::hybrid::author_keys([&author.keys, &origin.keys, &destination.keys, &recipient.keys], pq, rng)?;
        let origin_chunk = SealedChunk::standard(
            ChunkType::Origin,
            false,
            &[&OriginEnvelope {
                author: author.address,
                author_signet: author.fingerprint,
                destination: destination.address,
                destination_signet: destination.fingerprint,
            }
            .encode()?],
            rng,
        )?;
        let destination_chunk = SealedChunk::standard(
            ChunkType::Destination,
            false,
            &[&DestinationEnvelope {
                recipient: recipient.address,
                recipient_signet: recipient.fingerprint,
                origin: origin.address,
                origin_signet: origin.fingerprint,
            }
            .encode()?],
            rng,
        )?;
        let count = 3 + content_chunks;
        let front = HEADER_LEN
            + ephemeral.len()
            + [&origin_chunk, &destination_chunk]
                .iter()
                .map(|c| c.bytes.len() + c.chunk_type.slots_len())
                .sum::<usize>();
        let total = front as u64 + content_len + tail_len(count) as u64;
        let total = usize::try_from(total).ok().filter(|t| *t <= u32::MAX as usize).ok_or(MessageError::TooLarge {
            what: "object",
            size: total,
            limit: u64::from(u32::MAX),
        })?;
        let mut w = ObjectWriter {
            author_key,
            keks,
            entries: Vec::with_capacity(count),
            out: Vec::with_capacity(total.min(capacity_limit)),
            expected: count,
            framing: Vec::with_capacity(MESSAGE_HEADER_LEN),
        };
        write_framing(&mut w.framing, None, total)?;
        w.out.extend_from_slice(&w.framing);
        let start = w.out.len();
        w.out.extend_from_slice(
            &ChunkHeader { chunk_type: ChunkType::Ephemeral, flags: 0, body_len: ephemeral.len() as u32 }.encode(),
        );
        w.out.extend_from_slice(&ephemeral);
        w.entries.push(Entry { sealed: digest(&w.out[start..]), slots: digest(&[]) });
        w.push(&origin_chunk)?;
        w.push(&destination_chunk)?;
        Ok(w)
    }

    /// Appends keyslots for chunk `index` of type `t` to `out`.
    fn slots(&self, index: usize, t: ChunkType, key: &ChunkKey, out: &mut Vec<u8>) -> Result<()> {
        slots(&self.keks, index, t, key, out)
    }

    /// Appends a sealed chunk with its keyslots.
    pub fn push(&mut self, c: &SealedChunk) -> Result<()> {
        self.out.extend_from_slice(&c.bytes);
        self.push_slots(c.chunk_type, &c.key, c.digest)
    }

    /// Seals a standard chunk straight into the output, its digest taken in the same pass, and
    /// appends its keyslots.
    pub fn seal(&mut self, t: ChunkType, spanning: bool, pieces: &[&[u8]], key: &ChunkKey) -> Result<()> {
        let sealed = seal_standard_digest(&mut self.out, t, spanning, key, pieces)?;
        self.push_slots(t, key, sealed)
    }

    /// Appends the keyslots of the chunk just written, whose digest is `sealed`.
    fn push_slots(&mut self, t: ChunkType, key: &ChunkKey, sealed: ChunkDigest) -> Result<()> {
        let index = self.entries.len();
        let start = self.out.len();
        slots(&self.keks, index, t, key, &mut self.out)?;
        self.entries.push(Entry { sealed, slots: digest(self.out.get(start..).unwrap_or_default()) });
        Ok(())
    }

    /// Writes the tree, the author's full signature and the placeholders; returns the output not
    /// yet drained and the whole object's object hash (D9), made from the chunk digests the
    /// signatures needed.
    pub fn finish(mut self, rng: &mut dyn RandomSource) -> Result<(Vec<u8>, [u8; OBJECT_HASH_LEN])> {
        if self.entries.len() != self.expected {
            return Err(MessageError::Stream("content chunks missing"));
        }
        let count = self.entries.len();
        // Tree.
        let signature = self.author_key.sign(&list_input(TREE, &self.entries));
        let tree_key = ChunkKey::generate(rng)?;
        let mut tree = Vec::new();
        let plain = encode_tree(&self.entries, &signature);
        let header =
            ChunkHeader { chunk_type: ChunkType::Tree, flags: 0, body_len: tree_body_len(count) as u32 }.encode();
        tree.extend_from_slice(&header);
        tree_key.seal_into(&header, &[&plain], 0, &mut tree)?;
        let tree_sealed = digest(&tree);
        let slots_at = tree.len();
        self.slots(count, ChunkType::Tree, &tree_key, &mut tree)?;
        let tree_entry = Entry { sealed: tree_sealed, slots: digest(&tree[slots_at..]) };
        // Placeholders: keys made here, sealed only by the origin.
        let mut placeholders = Vec::new();
        let mut placeholder_entries = [Entry { sealed: [0u8; DIGEST_LEN], slots: [0u8; DIGEST_LEN] }; 3];
        let types = [ChunkType::OriginMetaBounce, ChunkType::OriginDisplayBounce, ChunkType::OriginFull];
        for (i, (t, e)) in types.iter().zip(placeholder_entries.iter_mut()).enumerate() {
            let key = ChunkKey::generate(rng)?;
            let header = ChunkHeader { chunk_type: *t, flags: 0, body_len: 0 }.encode();
            placeholders.extend_from_slice(&header);
            let at = placeholders.len();
            self.slots(count + 2 + i, *t, &key, &mut placeholders)?;
            *e = Entry { sealed: digest(&header), slots: digest(&placeholders[at..]) };
        }
        // Author full signature: its keyslots are made first, so it signs them too.
        let full_key = ChunkKey::generate(rng)?;
        let mut full_slots = Vec::with_capacity(3 * KEYSLOT_LEN);
        self.slots(count + 1, ChunkType::AuthorFull, &full_key, &mut full_slots)?;
        let [p0, p1, p2] = &placeholder_entries;
        let full_slots_digest = digest(&full_slots);
        let full_sig = self
            .author_key
            .sign(&author_full_input(&tree_entry, [&full_slots_digest, &p0.slots, &p1.slots, &p2.slots]));
        let header =
            ChunkHeader { chunk_type: ChunkType::AuthorFull, flags: 0, body_len: SIGNATURE_BODY_LEN as u32 }.encode();
        let mut full = Vec::with_capacity(HEADER_LEN + SIGNATURE_BODY_LEN + 3 * KEYSLOT_LEN);
        full.extend_from_slice(&header);
        full_key.seal_into(&header, &[full_sig.as_bytes()], 0, &mut full)?;
        let full_entry = Entry { sealed: digest(&full), slots: full_slots_digest };
        full.extend_from_slice(&full_slots);
        self.out.extend_from_slice(&tree);
        self.out.extend_from_slice(&full);
        self.out.extend_from_slice(&placeholders);
        self.entries.extend([tree_entry, full_entry, *p0, *p1, *p2]);
        let hash = ObjectHash::of_digests(&self.framing, &self.entries);
        Ok((self.out, hash))
    }
}
