//! Opening: each actor's view, its checks, and the origin's countersignature.

use dime_core::keys::{Signature, SigningPublicKey, SigningSecretKey};
use dime_signet::{FingerprintKind, Signet};
use zeroize::Zeroize;

use crate::actor::Actor;
use crate::chunk::{ChunkHeader, ChunkType, HEADER_LEN, RawChunk, SEAL_OVERHEAD, SIGNATURE_BODY_LEN};
use crate::compose::Content;
use crate::crypto::{ChunkKey, Kek, digest};
use crate::error::{MessageError, Result, Signature as Which};
use crate::hybrid::{ActorKeys, Kinds, Protection};
use crate::object_hash::{HashedObject, ObjectHash};
use crate::segment::{DescriptorSplit, Part, PartInfo, StandardReader, open_standard};
use crate::text::{CommonHeaders, DestinationEnvelope, OriginEnvelope, check_envelopes};
use crate::tree::{Entry, TREE, author_full_input, decode_tree, list_input, origin_coverage, origin_input};
use crate::wire::{Message, MessageLimits, write_framing};

/// The actor an [`Envelope`] was opened for, as a type: each names the one `open` its actor may
/// call. [`role::Any`] is an actor known only at run time (inspection; [`Envelope::into_role`]
/// turns it into one of the others).
///
/// An envelope keyed for one actor cannot be opened as another:
///
/// ```compile_fail,E0061
/// # fn demo(bytes: &[u8], secret: &dime_core::keys::EncryptionSecretKey, author: &dime_signet::Signet) {
/// let origin = dime_message::Envelope::origin(bytes, &Default::default(), secret).unwrap();
/// let opened = origin.open(author, author, author); // the recipient's open takes three signets
/// # }
/// ```
pub mod role {
    use crate::actor::Actor;

    /// An actor as a type.
    pub trait Role: sealed::Sealed {
        /// The actor, `None` for [`Any`].
        const ACTOR: Option<Actor>;
    }

    mod sealed {
        pub trait Sealed {}
    }

    macro_rules! roles {
        ($($(#[$doc:meta])* $name:ident => $actor:expr;)*) => {$(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct $name;
            impl sealed::Sealed for $name {}
            impl Role for $name {
                const ACTOR: Option<Actor> = $actor;
            }
        )*};
    }

    roles! {
        /// The author, reading its own sent message.
        Author => Some(Actor::Author);
        /// The origin organization, checking and countersigning.
        Origin => Some(Actor::Origin);
        /// The destination organization, checking before it stores.
        Destination => Some(Actor::Destination);
        /// The recipient, reading everything.
        Recipient => Some(Actor::Recipient);
        /// An actor chosen at run time: the envelope can be inspected, not opened.
        Any => None;
    }
}

use role::Role;

/// A message opened for structure and key: parsed, every digest computed, and the KEK of the
/// actor `R` derived. Nothing has been decrypted or verified yet; `open` does that, once, with
/// what that actor needs:
///
/// ```text
/// Envelope::recipient(bytes, &limits, &secret)?.open(&own, &author, &origin)? -> Opened
/// Envelope::author(bytes, &limits, &secret)?.open(&author, Some(&origin))? -> Opened
/// Envelope::origin(bytes, &limits, &secret)?.open(&author)?               -> OriginView
/// Envelope::destination(bytes, &limits, &secret)?.open(&origin)?          -> DestinationView
/// ```
pub struct Envelope<'a, R = role::Any> {
    message: Message<'a>,
    actor: Actor,
    kek: Kek,
    entries: Vec<Entry>,
    types: Vec<ChunkType>,
    kinds: Kinds,
    /// The reader's current signet, for the downgrade check.
    own: Option<Signet>,
    role: core::marker::PhantomData<fn() -> R>,
}

impl<R> core::fmt::Debug for Envelope<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Envelope").field("actor", &self.actor).field("chunks", &self.entries.len()).finish()
    }
}

fn signing_key(signet: &Signet, role: Actor) -> Result<SigningPublicKey> {
    signet.signing_key().ok_or(MessageError::SignetIncomplete { role, what: "signing key" })
}

fn check_fingerprint(signet: &Signet, role: Actor, named: &dime_core::Fingerprint) -> Result<()> {
    let fp = signet
        .fingerprint(FingerprintKind::Crypto)
        .ok_or(MessageError::SignetIncomplete { role, what: "crypto fingerprint" })?;
    if fp == *named { Ok(()) } else { Err(MessageError::SignetMismatch { role }) }
}

/// §8: the destination chunk names the recipient's own signet: its crypto fingerprint, and its
/// identifier byte for byte as the recipient address.
pub(crate) fn check_recipient(recipient: &Signet, named: &DestinationEnvelope) -> Result<()> {
    check_fingerprint(recipient, Actor::Recipient, &named.recipient_signet)?;
    let id = recipient
        .unverified_identifier()
        .ok_or(MessageError::SignetIncomplete { role: Actor::Recipient, what: "identifier" })?;
    if id == named.recipient.as_bytes() {
        Ok(())
    } else {
        Err(MessageError::RecipientMismatch {
            named: named.recipient.clone(),
            signet: String::from_utf8_lossy(id).into_owned(),
        })
    }
}

fn verify(key: &SigningPublicKey, input: &[u8], sig: &Signature, which: Which) -> Result<()> {
    key.verify(input, sig).map_err(|_| MessageError::BadSignature(which))
}

fn signature_of(index: usize, plain: &[u8]) -> Result<Signature> {
    Signature::from_slice(plain).map_err(|_| MessageError::BadPlaintext { index, what: "signature length" })
}

/// What the checks read: the chunks' types and digests, the chunks the checks decrypt, and the
/// actor's key. The in-memory [`Envelope`] holds every chunk; the streaming verifiers
/// ([`crate::relay`]) hold only the few chunks they read.
pub(crate) trait Source {
    /// The actor whose key this is.
    fn actor(&self) -> Actor;
    /// The actor's key.
    fn kek(&self) -> &Kek;
    /// Chunk `index`, if held.
    fn raw(&self, index: usize) -> Option<RawChunk<'_>>;
    /// Every chunk's type, in wire order.
    fn types(&self) -> &[ChunkType];
    /// Every chunk's digests, in wire order.
    fn entries(&self) -> &[Entry];
    /// Whether the origin signatures are sealed.
    fn is_countersigned(&self) -> bool;

    /// Index of the first chunk of a type (every required type is present after parsing).
    fn index_of(&self, t: ChunkType) -> usize {
        self.types().iter().position(|x| *x == t).unwrap_or(0)
    }
}

fn chunk<S: Source + ?Sized>(src: &S, index: usize) -> Result<RawChunk<'_>> {
    src.raw(index).ok_or(MessageError::MissingChunk { expected: "chunk" })
}

/// The chunk key of chunk `index` for the source's actor.
fn key<S: Source + ?Sized>(src: &S, index: usize) -> Result<ChunkKey> {
    let chunk = chunk(src, index)?;
    let t = chunk.chunk_type();
    let actor = src.actor();
    let slot = chunk.slot(actor).ok_or(MessageError::NotVisible { index, chunk_type: t.byte(), actor })?;
    ChunkKey::unwrap(src.kek(), index, t, actor, slot)
}

/// Decrypts chunk `index`.
pub(crate) fn decrypt<S: Source + ?Sized>(src: &S, index: usize) -> Result<Vec<u8>> {
    let key = key(src, index)?;
    let chunk = chunk(src, index)?;
    if chunk.body().is_empty() {
        return Err(MessageError::NotCountersigned);
    }
    key.open(index, chunk.header_bytes(), chunk.body())
}

fn decrypt_standard<S: Source + ?Sized>(src: &S, t: ChunkType) -> Result<Vec<u8>> {
    let index = src.index_of(t);
    let plain = decrypt(src, index)?;
    Ok(open_standard(index, &plain)?.to_vec())
}

/// Decrypts and decodes the destination chunk.
pub(crate) fn destination_envelope<S: Source + ?Sized>(src: &S) -> Result<DestinationEnvelope> {
    DestinationEnvelope::decode(&decrypt_standard(src, ChunkType::Destination)?)
}

/// Checks the author's fingerprint, the tree list against the object, and the tree and full
/// signatures. Returns the origin envelope.
pub(crate) fn verify_author<S: Source + ?Sized>(src: &S, author: &Signet) -> Result<OriginEnvelope> {
    let origin = OriginEnvelope::decode(&decrypt_standard(src, ChunkType::Origin)?)?;
    check_fingerprint(author, Actor::Author, &origin.author_signet)?;
    let key = signing_key(author, Actor::Author)?;
    let tree_index = src.index_of(ChunkType::Tree);
    let (listed, tree_sig) = decode_tree(tree_index, &decrypt(src, tree_index)?)?;
    let entries = src.entries();
    let present = entries.get(..tree_index).unwrap_or_default();
    if listed.len() != present.len() {
        return Err(MessageError::TreeCount { listed: listed.len(), present: present.len() });
    }
    if let Some(i) = listed.iter().zip(present).position(|(l, p)| !l.ct_eq(p)) {
        return Err(MessageError::DigestMismatch { index: i });
    }
    verify(&key, &list_input(TREE, &listed), &tree_sig, Which::Tree)?;
    let full_index = tree_index + 1;
    let full_sig = signature_of(full_index, &decrypt(src, full_index)?)?;
    let missing = || MessageError::MissingChunk { expected: "signature" };
    let entry = |i: usize| entries.get(i).ok_or_else(missing);
    let slots = |t| entry(src.index_of(t)).map(|e| &e.slots);
    let input = author_full_input(
        entry(tree_index)?,
        [
            slots(ChunkType::AuthorFull)?,
            slots(ChunkType::OriginMetaBounce)?,
            slots(ChunkType::OriginDisplayBounce)?,
            slots(ChunkType::OriginFull)?,
        ],
    );
    verify(&key, &input, &full_sig, Which::AuthorFull)?;
    Ok(origin)
}

/// Checks the three origin signatures against the object with the origin's POK.
pub(crate) fn verify_origin<S: Source + ?Sized>(src: &S, origin: &Signet) -> Result<()> {
    if !src.is_countersigned() {
        return Err(MessageError::NotCountersigned);
    }
    let key = signing_key(origin, Actor::Origin)?;
    let entries = src.entries();
    for (t, which) in [
        (ChunkType::OriginMetaBounce, Which::OriginMetaBounce),
        (ChunkType::OriginDisplayBounce, Which::OriginDisplayBounce),
        (ChunkType::OriginFull, Which::OriginFull),
    ] {
        let index = src.index_of(t);
        let sig = signature_of(index, &decrypt(src, index)?)?;
        let covered = origin_coverage(t, src.types().iter().copied());
        let own = entries.get(index).ok_or(MessageError::MissingChunk { expected: "signature" })?;
        let input = origin_input(t, entries.get(..covered).unwrap_or_default(), &own.slots);
        verify(&key, &input, &sig, which)?;
    }
    Ok(())
}

/// Checks the destination's view: the origin's fingerprint and its three signatures.
pub(crate) fn verify_destination<S: Source + ?Sized>(src: &S, origin: &Signet) -> Result<DestinationEnvelope> {
    let envelope = destination_envelope(src)?;
    check_fingerprint(origin, Actor::Origin, &envelope.origin_signet)?;
    verify_origin(src, origin)?;
    Ok(envelope)
}

/// The origin's sealed signature chunks: (index, header and sealed body).
pub(crate) type SealedSignatures = Vec<(usize, Vec<u8>)>;

/// The origin's three signature chunks (header and sealed body, keyslots excluded), by index:
/// each signs its coverage as it stands once the earlier ones are sealed.
/// Also returns every chunk's digests as they stand after the sealing.
pub(crate) fn seal_origin<S: Source + ?Sized>(
    src: &S,
    pok: &SigningSecretKey,
) -> Result<(SealedSignatures, Vec<Entry>)> {
    let mut entries = src.entries().to_vec();
    let mut sealed_chunks = Vec::with_capacity(3);
    for t in [ChunkType::OriginMetaBounce, ChunkType::OriginDisplayBounce, ChunkType::OriginFull] {
        let index = src.index_of(t);
        let key = key(src, index)?;
        let covered = origin_coverage(t, src.types().iter().copied());
        let own_slots = entries.get(index).map_or([0; crate::crypto::DIGEST_LEN], |e| e.slots);
        let sig = pok.sign(&origin_input(t, entries.get(..covered).unwrap_or_default(), &own_slots));
        let header = ChunkHeader { chunk_type: t, flags: 0, body_len: SIGNATURE_BODY_LEN as u32 }.encode();
        let mut bytes = Vec::with_capacity(HEADER_LEN + SIGNATURE_BODY_LEN);
        bytes.extend_from_slice(&header);
        key.seal_into(&header, &[sig.as_bytes()], 0, &mut bytes)?;
        if let Some(entry) = entries.get_mut(index) {
            entry.sealed = digest(&bytes);
        }
        sealed_chunks.push((index, bytes));
    }
    Ok((sealed_chunks, entries))
}

impl<R> Source for Envelope<'_, R> {
    fn actor(&self) -> Actor {
        self.actor
    }

    fn kek(&self) -> &Kek {
        &self.kek
    }

    fn raw(&self, index: usize) -> Option<RawChunk<'_>> {
        self.message.chunks().get(index).copied()
    }

    fn types(&self) -> &[ChunkType] {
        &self.types
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn is_countersigned(&self) -> bool {
        self.message.is_countersigned()
    }
}

/// Parses `bytes` and derives `actor`'s key from `keys`: an `&EncryptionSecretKey` for a
/// classical actor, or [`ActorKeys`] with the ML-KEM key (a `&KeyFile` converts) when the
/// actor's slot may be hybrid.
fn keyed<'a, 'k, R>(
    bytes: &'a [u8],
    limits: &MessageLimits,
    actor: Actor,
    keys: impl Into<ActorKeys<'k>>,
) -> Result<Envelope<'a, R>> {
    let keys = keys.into();
    let message = Message::parse(bytes, limits)?;
    let body = message.find(ChunkType::Ephemeral).map(RawChunk::body).unwrap_or_default();
    let (kek, kinds) = crate::hybrid::actor_kek(&keys, actor, body)?;
    let entries = crate::par::map(message.chunks(), Entry::of);
    let types = message.chunks().iter().map(RawChunk::chunk_type).collect();
    Ok(Envelope {
        message,
        actor,
        kek,
        entries,
        types,
        kinds,
        own: keys.signet.cloned(),
        role: core::marker::PhantomData,
    })
}

impl<'a> Envelope<'a, role::Any> {
    /// Parses `bytes` and derives the key of `actor`, chosen at run time, from `keys`: for
    /// inspecting what that actor can decrypt. To verify and read, open it for its actor's
    /// type ([`Envelope::recipient`] and the others), or convert it with
    /// [`Envelope::into_role`].
    pub fn for_actor<'k>(
        bytes: &'a [u8],
        limits: &MessageLimits,
        actor: Actor,
        keys: impl Into<ActorKeys<'k>>,
    ) -> Result<Self> {
        keyed(bytes, limits, actor, keys)
    }

    /// This envelope as one opened for `R`'s actor.
    ///
    /// Errors: [`MessageError::Input`] when it was opened for another actor.
    pub fn into_role<R: Role>(self) -> Result<Envelope<'a, R>> {
        if R::ACTOR != Some(self.actor) {
            return Err(MessageError::Input("the envelope was opened for another actor"));
        }
        let Envelope { message, actor, kek, entries, types, kinds, own, .. } = self;
        Ok(Envelope { message, actor, kek, entries, types, kinds, own, role: core::marker::PhantomData })
    }
}

impl<'a> Envelope<'a, role::Author> {
    /// Parses `bytes` and derives the author's key from `keys` (see [`Envelope::for_actor`]).
    pub fn author<'k>(bytes: &'a [u8], limits: &MessageLimits, keys: impl Into<ActorKeys<'k>>) -> Result<Self> {
        keyed(bytes, limits, Actor::Author, keys)
    }

    /// The author's view: verifies its own signatures (and the origin's, when `origin` is given)
    /// and decrypts everything.
    pub fn open(self, author: &Signet, origin: Option<&Signet>) -> Result<Opened> {
        let origin_envelope = verify_author(&self, author)?;
        let countersigned = match origin {
            Some(origin) => {
                verify_origin(&self, origin)?;
                true
            }
            None => false,
        };
        let destination = self.destination_envelope()?;
        self.opened(origin_envelope, destination, countersigned)
    }
}

impl<'a> Envelope<'a, role::Origin> {
    /// Parses `bytes` and derives the origin's key from `keys` (see [`Envelope::for_actor`]).
    pub fn origin<'k>(bytes: &'a [u8], limits: &MessageLimits, keys: impl Into<ActorKeys<'k>>) -> Result<Self> {
        keyed(bytes, limits, Actor::Origin, keys)
    }

    /// The origin's view: the author and destination; verifies the author's signatures. The
    /// object must not be countersigned yet.
    pub fn open(self, author: &Signet) -> Result<OriginView<'a>> {
        if self.message.is_countersigned() {
            return Err(MessageError::AlreadyCountersigned);
        }
        let envelope = verify_author(&self, author)?;
        Ok(OriginView { envelope, inner: self })
    }
}

impl<'a> Envelope<'a, role::Destination> {
    /// Parses `bytes` and derives the destination's key from `keys` (see [`Envelope::for_actor`]).
    pub fn destination<'k>(bytes: &'a [u8], limits: &MessageLimits, keys: impl Into<ActorKeys<'k>>) -> Result<Self> {
        keyed(bytes, limits, Actor::Destination, keys)
    }

    /// The destination's view: the recipient and origin; verifies the origin's signatures.
    pub fn open(self, origin: &Signet) -> Result<DestinationView> {
        let envelope = verify_destination(&self, origin)?;
        Ok(DestinationView { tracing: self.message.tracing().map(<[u8]>::to_vec), envelope })
    }
}

impl<'a> Envelope<'a, role::Recipient> {
    /// Parses `bytes` and derives the recipient's key from `keys` (see [`Envelope::for_actor`]).
    pub fn recipient<'k>(bytes: &'a [u8], limits: &MessageLimits, keys: impl Into<ActorKeys<'k>>) -> Result<Self> {
        keyed(bytes, limits, Actor::Recipient, keys)
    }

    /// The recipient's view: verifies every signature and decrypts everything. `own` is the
    /// recipient's own signet (the one whose encryption key opened this envelope): the
    /// destination chunk must name it, by crypto fingerprint (`SignetMismatch`) and by its
    /// identifier as the recipient address (`RecipientMismatch`), so the recipient is never
    /// shown another recipient's name (`docs/message-format.md` §8).
    ///
    /// What the author address means: the envelope's `Author` is text the author wrote; the
    /// author's signatures verify with `author`'s key and the envelope names `author`'s crypto
    /// fingerprint, so the address is exactly as true as the binding of `author` to it. Pass a
    /// signet bound to that address at `id` (`dime_signet::BoundSignet`, via the author's
    /// organization and its `_dx` record); this function checks no binding itself. The origin's
    /// countersignature (checked here with `origin`'s POK) adds that the author's organization
    /// relayed this very object (every chunk and the keyslots of its full signature), which
    /// shows it was submitted through the origin, typically by an authenticated account; it
    /// does not bind the author's address, which only the author's `id` signet does.
    pub fn open(self, own: &Signet, author: &Signet, origin: &Signet) -> Result<Opened> {
        let origin_envelope = verify_author(&self, author)?;
        let destination = self.destination_envelope()?;
        check_fingerprint(origin, Actor::Origin, &destination.origin_signet)?;
        verify_origin(&self, origin)?;
        check_recipient(own, &destination)?;
        crate::hybrid::check_downgrade(
            self.own.as_ref(),
            Actor::Recipient,
            &destination.recipient_signet,
            author.is_hybrid(),
            self.kinds,
        )?;
        self.opened(origin_envelope, destination, true)
    }
}

impl<'a, R> Envelope<'a, R> {
    /// Which keyslots of the object are hybrid.
    pub fn kinds(&self) -> Kinds {
        self.kinds
    }

    /// The object's post-quantum protection.
    pub fn protection(&self) -> Protection {
        self.kinds.protection()
    }

    /// The parsed message.
    pub fn message(&self) -> &Message<'a> {
        &self.message
    }

    /// The actor this envelope was opened for.
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Decrypts chunk `index` and returns its plaintext: the exact error says why it cannot
    /// (`NotVisible` when the actor holds no keyslot for it).
    pub fn decrypt(&self, index: usize) -> Result<Vec<u8>> {
        decrypt(self, index)
    }

    /// The origin chunk (4): the author's address and signet fingerprint, and the destination
    /// organization's domain and signet fingerprint (`docs/message-format.md` §6.1).
    pub fn origin_envelope(&self) -> Result<OriginEnvelope> {
        OriginEnvelope::decode(&decrypt_standard(self, ChunkType::Origin)?)
    }

    /// The destination chunk (5): the recipient's address and signet fingerprint, and the
    /// origin organization's domain and signet fingerprint (`docs/message-format.md` §6.1).
    pub fn destination_envelope(&self) -> Result<DestinationEnvelope> {
        destination_envelope(self)
    }

    /// Decrypts the headers and every part.
    fn content(&self) -> Result<Content> {
        let headers = CommonHeaders::decode(&decrypt_standard(self, ChunkType::Common)?)?;
        let other = match self.message.find(ChunkType::Other) {
            Some(_) => decrypt_standard(self, ChunkType::Other)?,
            None => Vec::new(),
        };
        let (display, attachments) = self.parts()?;
        Ok(Content { headers, other_headers: other, display, attachments })
    }

    /// Decrypts every part segment, in wire order, and joins the segments of each part. The first
    /// error in wire order is the one reported. In order, each segment's data is decrypted straight
    /// onto the end of its part; with `parallel`, when the segments are worth spreading
    /// (`par::worth_spreading`), they are decrypted side by side into buffers of their own, then
    /// joined.
    fn parts(&self) -> Result<(Vec<Part>, Vec<Part>)> {
        let mut segments = Vec::new();
        let mut first = true;
        for c in self.message.chunks().iter().filter(|c| c.chunk_type().is_part()) {
            segments.push((c, first));
            first = !c.header.spanning();
        }
        let (mut display, mut attachments) = (Vec::new(), Vec::new());
        let mut current: Option<Part> = None;
        let mut place = |chunk: &RawChunk<'_>, part: Part, current: &mut Option<Part>| {
            if chunk.header.spanning() {
                *current = Some(part);
            } else if chunk.chunk_type() == ChunkType::Display {
                display.push(part);
            } else {
                attachments.push(part);
            }
        };
        if crate::par::worth_spreading(segments.iter().map(|(c, _)| c.body().len())) {
            let opened = crate::par::map(&segments, |(c, first)| {
                let mut data = Vec::new();
                self.open_segment(c, *first, &mut data).map(|info| (info, data))
            });
            for ((chunk, _), opened) in segments.iter().zip(opened) {
                let part = match (opened?, current.take()) {
                    ((Some(info), data), _) => Part { info, data },
                    ((None, data), Some(mut part)) => {
                        part.data.extend_from_slice(&data);
                        part
                    }
                    ((None, _), None) => return Err(MessageError::MissingChunk { expected: "part segment" }),
                };
                place(chunk, part, &mut current);
            }
        } else {
            for (chunk, first) in &segments {
                let part = match current.take().filter(|_| !first) {
                    Some(mut part) => {
                        self.open_segment(chunk, false, &mut part.data)?;
                        part
                    }
                    None => {
                        let mut data = Vec::new();
                        match self.open_segment(chunk, true, &mut data)? {
                            Some(info) => Part { info, data },
                            None => return Err(MessageError::MissingChunk { expected: "part segment" }),
                        }
                    }
                };
                place(chunk, part, &mut current);
            }
        }
        Ok((display, attachments))
    }

    /// Decrypts one part segment and appends its data to `data`: after the descriptor, which
    /// it returns, when `first`. Nothing is appended unless the segment decrypts.
    fn open_segment(&self, chunk: &RawChunk<'_>, first: bool, data: &mut Vec<u8>) -> Result<Option<PartInfo>> {
        let index = chunk.index;
        let key = key(self, index)?;
        if chunk.body().is_empty() {
            return Err(MessageError::NotCountersigned);
        }
        let plain_len = chunk.body().len().saturating_sub(SEAL_OVERHEAD);
        data.reserve(plain_len);
        let start = data.len();
        let mut reader = StandardReader::new(plain_len);
        let mut split = first.then(DescriptorSplit::default);
        let opened = key.open_with(index, chunk.header_bytes(), chunk.body(), &mut |window| {
            reader.feed(window, &mut |bytes| match &mut split {
                Some(split) => split.push(bytes, data),
                None => data.extend_from_slice(bytes),
            })
        });
        if let Err(e) = opened {
            // Not authentic: wipe what was appended.
            if let Some(appended) = data.get_mut(start..) {
                appended.zeroize();
            }
            data.truncate(start);
            return Err(e);
        }
        reader.finish(index)?;
        split.map(DescriptorSplit::finish).transpose()
    }

    /// Decrypts the content into what the author or recipient reads, once the signatures
    /// checked out.
    fn opened(&self, origin: OriginEnvelope, destination: DestinationEnvelope, countersigned: bool) -> Result<Opened> {
        check_envelopes(&origin, &destination)?;
        let Content { headers, other_headers, display, attachments } = self.content()?;
        Ok(Opened {
            tracing: self.message.tracing().map(<[u8]>::to_vec),
            origin,
            destination,
            headers,
            other_headers,
            display,
            attachments,
            countersigned,
            protection: self.kinds.protection(),
        })
    }
}

/// Everything the author or recipient reads in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The tracing prefix, opaque.
    pub tracing: Option<Vec<u8>>,
    /// The origin chunk: author and destination organization.
    pub origin: OriginEnvelope,
    /// The destination chunk: recipient and origin organization.
    pub destination: DestinationEnvelope,
    /// The common headers.
    pub headers: CommonHeaders,
    /// The other headers (empty when the object has none).
    pub other_headers: Vec<u8>,
    /// Display parts in order.
    pub display: Vec<Part>,
    /// Attachments in order.
    pub attachments: Vec<Part>,
    /// Whether the origin's signatures were verified.
    pub countersigned: bool,
    /// The object's post-quantum protection (decision D8).
    pub protection: Protection,
}

/// What the destination learns: the recipient and the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationView {
    /// The tracing prefix, opaque.
    pub tracing: Option<Vec<u8>>,
    /// The destination chunk.
    pub envelope: DestinationEnvelope,
}

/// What the origin learns (the author and the destination), and its countersignature.
pub struct OriginView<'a> {
    /// The origin chunk.
    pub envelope: OriginEnvelope,
    inner: Envelope<'a, role::Origin>,
}

impl core::fmt::Debug for OriginView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OriginView").field("envelope", &self.envelope).finish()
    }
}

impl OriginView<'_> {
    /// The tracing prefix, opaque.
    pub fn tracing(&self) -> Option<&[u8]> {
        self.inner.message.tracing()
    }

    /// Seals the meta-bounce, display-bounce and full signatures with the organization's POK
    /// and returns the relayed object (tracing prefix unchanged).
    pub fn countersign(&self, pok: &SigningSecretKey) -> Result<Vec<u8>> {
        Ok(self.countersign_hashed(pok)?.object)
    }

    /// [`OriginView::countersign`] with the relayed object's object hash (D9, what DMTP's `DATA`
    /// carries), made from the chunk digests the open computed and those of the sealed
    /// signatures: no pass over the object.
    pub fn countersign_hashed(&self, pok: &SigningSecretKey) -> Result<HashedObject> {
        let env = &self.inner;
        let chunks = env.message.chunks();
        let (sealed_chunks, entries) = seal_origin(env, pok)?;
        let first = sealed_chunks.first().map_or(chunks.len(), |(i, _)| *i);
        let keep = chunks.get(..first).unwrap_or_default();
        let kept_len: usize = keep.iter().map(|c| c.sealed.len() + c.slots.len()).sum();
        let added: usize =
            sealed_chunks.iter().map(|(i, b)| b.len() + chunks.get(*i).map_or(0, |c| c.slots.len())).sum();
        let mut out = Vec::with_capacity(kept_len + added + 64);
        write_framing(&mut out, env.message.tracing(), kept_len + added)?;
        let framing_len = out.len();
        let chunk_bytes = env.message.chunk_bytes();
        out.extend_from_slice(chunk_bytes.get(..kept_len).unwrap_or_default());
        for (index, bytes) in sealed_chunks {
            out.extend_from_slice(&bytes);
            out.extend_from_slice(chunks.get(index).map_or(&[][..], |c| c.slots));
        }
        let hash = ObjectHash::of_digests(out.get(..framing_len).unwrap_or_default(), &entries);
        Ok(HashedObject { object: out, hash })
    }
}
