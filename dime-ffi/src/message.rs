//! Messages: compose as the author, open as each actor, countersign as the origin.
//!
//! Each `dime_message_open_as_*` function parses the object, derives the actor's key, verifies
//! what that actor can verify and decrypts what it may read, in one call; the handle it gives
//! holds only verified data.

use dime_core::Fingerprint;
use dime_message::{
    ActorKeys, Addressing, ComposeOptions, DestinationEnvelope, Envelope, MessageLimits, Opened, OriginEnvelope,
    OriginView, OsRandom, PqPolicy, compose, compose_many,
};
use dime_signet::KeyOwner;

use crate::boundary::{self, call};
use crate::buffer::{DimeBuffer, DimeFingerprint, DimeStr};
use crate::content::{DimeContent, DimeHeaders, DimePart, DimePartKind, part_list};
use crate::error::Error;
use crate::keys::DimeKeys;
use crate::signet::{DimeSignet, bind_as_given};
use crate::status::DimeStatus;

/// Who is named on a message's path, as far as the actor who opened it may see: each address
/// (or domain) with the crypto fingerprint of its signet. What the actor cannot see is absent
/// (`ptr` NULL, fingerprint NULL). The views live as long as the handle they were read from.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimeEnvelope {
    /// The author's address (origin, author and recipient views).
    pub author: DimeStr,
    /// The author signet's crypto fingerprint, or NULL.
    pub author_signet: *const DimeFingerprint,
    /// The origin organization's domain (destination, author and recipient views).
    pub origin: DimeStr,
    /// The origin signet's crypto fingerprint, or NULL.
    pub origin_signet: *const DimeFingerprint,
    /// The destination organization's domain (origin, author and recipient views).
    pub destination: DimeStr,
    /// The destination signet's crypto fingerprint, or NULL.
    pub destination_signet: *const DimeFingerprint,
    /// The recipient's address (destination, author and recipient views).
    pub recipient: DimeStr,
    /// The recipient signet's crypto fingerprint, or NULL.
    pub recipient_signet: *const DimeFingerprint,
}

impl DimeEnvelope {
    const ABSENT: DimeEnvelope = DimeEnvelope {
        author: DimeStr::ABSENT,
        author_signet: core::ptr::null(),
        origin: DimeStr::ABSENT,
        origin_signet: core::ptr::null(),
        destination: DimeStr::ABSENT,
        destination_signet: core::ptr::null(),
        recipient: DimeStr::ABSENT,
        recipient_signet: core::ptr::null(),
    };
}

/// The fingerprints of one view, in C layout, kept in the handle so the envelope can point at
/// them.
#[derive(Debug, Default)]
struct Fingerprints {
    author: Option<DimeFingerprint>,
    origin: Option<DimeFingerprint>,
    destination: Option<DimeFingerprint>,
    recipient: Option<DimeFingerprint>,
}

/// Both envelope chunks of a view (each absent when the actor cannot read it), and their
/// fingerprints.
#[derive(Debug)]
struct Names {
    origin_chunk: Option<OriginEnvelope>,
    destination_chunk: Option<DestinationEnvelope>,
    fingerprints: Fingerprints,
}

impl Names {
    fn new(origin_chunk: Option<OriginEnvelope>, destination_chunk: Option<DestinationEnvelope>) -> Names {
        let fp = |f: &Fingerprint| Some(DimeFingerprint::from(*f));
        let fingerprints = Fingerprints {
            author: origin_chunk.as_ref().and_then(|o| fp(&o.author_signet)),
            destination: origin_chunk.as_ref().and_then(|o| fp(&o.destination_signet)),
            origin: destination_chunk.as_ref().and_then(|d| fp(&d.origin_signet)),
            recipient: destination_chunk.as_ref().and_then(|d| fp(&d.recipient_signet)),
        };
        Names { origin_chunk, destination_chunk, fingerprints }
    }

    fn view(&self) -> DimeEnvelope {
        let text = |s: Option<&String>| DimeStr::of_opt(s.map(String::as_str));
        let fp = |f: &Option<DimeFingerprint>| f.as_ref().map_or(core::ptr::null(), |f| f as *const DimeFingerprint);
        let (o, d, f) = (self.origin_chunk.as_ref(), self.destination_chunk.as_ref(), &self.fingerprints);
        DimeEnvelope {
            author: text(o.map(|o| &o.author)),
            author_signet: fp(&f.author),
            origin: text(d.map(|d| &d.origin)),
            origin_signet: fp(&f.origin),
            destination: text(o.map(|o| &o.destination)),
            destination_signet: fp(&f.destination),
            recipient: text(d.map(|d| &d.recipient)),
            recipient_signet: fp(&f.recipient),
        }
    }
}

/// When a composed message gets hybrid (ML-KEM-768 + X25519) keyslots (decision D8): one of the
/// `DIME_PQ_*` constants.
pub type DimePq = u32;
/// Hybrid when both organizations can process hybrid messages (their signet or their member's
/// is hybrid), each keyslot hybrid iff its actor's signet is; classical otherwise. The default.
pub const DIME_PQ_PREFER: DimePq = 0;
/// As `DIME_PQ_PREFER`, but the author's and the recipient's signets must be hybrid, so the
/// content is post-quantum protected (`DIME_ERR_SIGNET_MISMATCH` otherwise).
pub const DIME_PQ_REQUIRE_CONTENT: DimePq = 1;
/// Every signet must be hybrid: fully post-quantum protected (`DIME_ERR_SIGNET_MISMATCH`
/// otherwise).
pub const DIME_PQ_REQUIRE: DimePq = 2;
/// Always classical keyslots.
pub const DIME_PQ_NEVER: DimePq = 3;

/// The policy of a `DIME_PQ_*` constant (`DIME_ERR_INVALID_ARGUMENT` for any other value).
fn pq_policy(pq: DimePq) -> Result<PqPolicy, Error> {
    Ok(match pq {
        DIME_PQ_PREFER => PqPolicy::Prefer,
        DIME_PQ_REQUIRE_CONTENT => PqPolicy::RequireContent,
        DIME_PQ_REQUIRE => PqPolicy::Require,
        DIME_PQ_NEVER => PqPolicy::Never,
        value => return Err(Error::UnknownConstant { what: "post-quantum policy", value }),
    })
}

/// The compose options of a `DIME_PQ_*` constant, every other option at its default.
fn compose_options(pq: DimePq) -> Result<ComposeOptions, Error> {
    let mut options = ComposeOptions::default();
    options.pq = pq_policy(pq)?;
    Ok(options)
}

/// Composes one message object from `author` to `recipient` and writes it into `out`.
///
/// `author_keys` are the author's user keys; the four signets are the author's, the author's
/// organization (origin), the recipient's organization (destination) and the recipient's.
/// Composing binds the author's and the recipient's signets to their addresses through the
/// org signets given, taken as given (each trusted on its own POK): both must validate to `id`
/// with an address in their organization's domain, so a `full` signet, one without identifier
/// or one whose identifier its organization did not sign is refused. Anchor the org signets in
/// DNS first (`dime_signet_bind` with their management records). `pq` (a `DIME_PQ_*` constant)
/// says when the keyslots are hybrid. Randomness comes from the operating system.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (org keys; a signet of the wrong kind),
/// `DIME_ERR_BAD_SIGNATURE` (a signature of the author's or recipient's signet up to 255 does
/// not verify with its organization's keys), `DIME_ERR_SIGNET_MISMATCH` (the keys are not the
/// author signet's; a signet below `id`, without identifier, or outside its organization's
/// domain; a signet without the ML-KEM key `pq` requires), `DIME_ERR_UNSUPPORTED` (a secp256k1
/// encryption key), `DIME_ERR_RANDOMNESS`, `DIME_ERR_INVALID_ARGUMENT` (also an unknown `pq`).
///
/// # Safety
/// Every handle must be NULL or live; `out` NULL or point to a writable `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_message_compose(
    author_keys: *const DimeKeys,
    author: *const DimeSignet,
    origin: *const DimeSignet,
    destination: *const DimeSignet,
    recipient: *const DimeSignet,
    content: *const DimeContent,
    pq: DimePq,
    out: *mut DimeBuffer,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above (every handle NULL or live).
        let keys = unsafe { boundary::get(author_keys, "author_keys") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let author = unsafe { boundary::get(author, "author") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let origin = unsafe { boundary::get(origin, "origin") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let destination = unsafe { boundary::get(destination, "destination") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let recipient = unsafe { boundary::get(recipient, "recipient") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let content = unsafe { boundary::get(content, "content") }?;
        let keys = keys.expect(KeyOwner::User, "author_keys")?;
        bind_as_given(&author.signet, &origin.signet)?;
        bind_as_given(&recipient.signet, &destination.signet)?;
        let to = Addressing {
            author: &author.signet,
            origin: &origin.signet,
            destination: &destination.signet,
            recipient: &recipient.signet,
        };
        let options = compose_options(pq)?;
        let object = compose(&keys.signing, &to, &content.content, &options, &mut OsRandom)?;
        *out = DimeBuffer::from_vec(object);
        Ok(())
    })
}

/// Composes one message object per recipient from one author, encrypting the content once:
/// recipient `i` is `recipients[i]` at organization `destinations[i]`, and its object is
/// written into `out[i]`. Each object has its own keys, keyslots and signatures, exactly as
/// `dime_message_compose` would make it; only the content's encryption is shared. `count` may
/// be 0 (then the arrays may be NULL and nothing is written).
///
/// On any error every `out[i]` is left empty, and nothing needs freeing. Validate the signets
/// first, as for `dime_message_compose`; every recipient is bound as there.
///
/// Errors: as `dime_message_compose`; `DIME_ERR_NULL` also for a NULL array or a NULL entry.
///
/// # Safety
/// Every handle must be NULL or live; `destinations` and `recipients` NULL or point to `count`
/// handles each; `out` NULL or point to `count` writable `DimeBuffer`s. Free each buffer
/// written with `dime_buffer_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_message_compose_many(
    author_keys: *const DimeKeys,
    author: *const DimeSignet,
    origin: *const DimeSignet,
    destinations: *const *const DimeSignet,
    recipients: *const *const DimeSignet,
    count: usize,
    content: *const DimeContent,
    pq: DimePq,
    out: *mut DimeBuffer,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out_array(out, count, "out", || DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above (every handle NULL or live).
        let keys = unsafe { boundary::get(author_keys, "author_keys") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let author = unsafe { boundary::get(author, "author") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let origin = unsafe { boundary::get(origin, "origin") }?;
        // SAFETY: the caller's contract above (`count` handles, each NULL or live).
        let destinations = unsafe { boundary::handles(destinations, count, "destinations") }?;
        // SAFETY: the caller's contract above (`count` handles, each NULL or live).
        let recipients = unsafe { boundary::handles(recipients, count, "recipients") }?;
        // SAFETY: the caller's contract above (every handle NULL or live).
        let content = unsafe { boundary::get(content, "content") }?;
        let keys = keys.expect(KeyOwner::User, "author_keys")?;
        bind_as_given(&author.signet, &origin.signet)?;
        for (destination, recipient) in destinations.iter().zip(&recipients) {
            bind_as_given(&recipient.signet, &destination.signet)?;
        }
        let pairs: Vec<_> = destinations.iter().zip(&recipients).map(|(d, r)| (&d.signet, &r.signet)).collect();
        let objects = compose_many(
            &keys.signing,
            &author.signet,
            &origin.signet,
            &pairs,
            &content.content,
            &compose_options(pq)?,
            &mut OsRandom,
        )?;
        for (slot, object) in out.iter_mut().zip(objects) {
            *slot = DimeBuffer::from_vec(object);
        }
        Ok(())
    })
}

type OriginViewOf<'a> = OriginView<'a>;

self_cell::self_cell!(
    /// The origin's view together with the message bytes it borrows.
    struct OriginCell {
        owner: Box<[u8]>,
        #[covariant]
        dependent: OriginViewOf,
    }
);

/// What the origin organization learns from a message its user submitted (the author and the
/// destination), verified against the author's signet, ready to be countersigned. Opaque; free
/// with `dime_origin_view_free`.
pub struct DimeOriginView {
    cell: OriginCell,
    names: Names,
}

/// What the destination organization learns from a relayed message (the recipient and the
/// origin), with the origin's countersignature verified. Opaque; free with
/// `dime_destination_view_free`.
pub struct DimeDestinationView {
    names: Names,
}

/// A message opened by its author or recipient: every signature verified, everything
/// decrypted. Opaque; free with `dime_opened_free`.
pub struct DimeOpened {
    opened: Opened,
    names: Names,
}

/// The message bytes and the actor's keys, checked.
///
/// # Safety
/// As for the `dime_message_open_as_*` functions.
unsafe fn open_inputs<'a>(
    message: *const u8,
    len: usize,
    keys: *const DimeKeys,
    owner: KeyOwner,
    name: &'static str,
) -> Result<(&'a [u8], &'a dime_signet::KeyFile), Error> {
    // SAFETY: forwarded from this function's contract.
    let keys = unsafe { boundary::get(keys, name)? }.expect(owner, name)?;
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { boundary::bytes(message, len, "message")? };
    Ok((bytes, keys))
}

/// Opens a message as the origin organization: decrypts the origin chunk and verifies the
/// author's tree and full signatures with `author` (the author's user signet). The view holds a
/// copy of the message for `dime_origin_view_countersign`.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (user keys), `DIME_ERR_MALFORMED`,
/// `DIME_ERR_TOO_LARGE`, `DIME_ERR_DECRYPT` (not the origin's keys, or tampering),
/// `DIME_ERR_SIGNET_MISMATCH` (`author` is not the signet the message names),
/// `DIME_ERR_BAD_SIGNATURE`, `DIME_ERR_STATE` (already countersigned), `DIME_ERR_UNSUPPORTED`.
///
/// # Safety
/// `message` must be NULL (only with `len` 0) or point to `len` readable bytes;
/// `origin_keys` and `author` NULL or live handles; `out` NULL or writable storage for a
/// handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_message_open_as_origin(
    message: *const u8,
    len: usize,
    origin_keys: *const DimeKeys,
    author: *const DimeSignet,
    out: *mut *mut DimeOriginView,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let (bytes, keys) = unsafe { open_inputs(message, len, origin_keys, KeyOwner::Org, "origin_keys")? };
        // SAFETY: the caller's contract above.
        let author = unsafe { boundary::get(author, "author")? };
        let cell = OriginCell::try_new(Box::from(bytes), |bytes| {
            Envelope::origin(bytes, &MessageLimits::default(), keys)?.open(&author.signet)
        })?;
        let names = Names::new(Some(cell.borrow_dependent().envelope.clone()), None);
        *out = boundary::into_handle(DimeOriginView { cell, names });
        Ok(())
    })
}

/// Writes what the origin sees of the path (author and destination) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `view` must be NULL or a live handle; `out` NULL or point to a writable `DimeEnvelope`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_origin_view_envelope(view: *const DimeOriginView, out: *mut DimeEnvelope) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeEnvelope::ABSENT)? };
        // SAFETY: the caller's contract above.
        *out = unsafe { boundary::get(view, "view")? }.names.view();
        Ok(())
    })
}

/// Countersigns the message with the origin's POK (from `origin_keys`) and writes the relayed
/// object, ready for the destination, into `out`.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (user keys), `DIME_ERR_DECRYPT`.
///
/// # Safety
/// `view` and `origin_keys` must be NULL or live handles; `out` NULL or point to a writable
/// `DimeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_origin_view_countersign(
    view: *const DimeOriginView,
    origin_keys: *const DimeKeys,
    out: *mut DimeBuffer,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeBuffer::EMPTY)? };
        // SAFETY: the caller's contract above.
        let view = unsafe { boundary::get(view, "view")? };
        // SAFETY: the caller's contract above.
        let keys = unsafe { boundary::get(origin_keys, "origin_keys")? }.expect(KeyOwner::Org, "origin_keys")?;
        *out = DimeBuffer::from_vec(view.cell.borrow_dependent().countersign(&keys.signing)?);
        Ok(())
    })
}

/// Frees an origin view. NULL does nothing.
///
/// # Safety
/// `view` must be NULL or a handle from this library that has not been freed; it must not be
/// used afterwards, nor any view read from it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_origin_view_free(view: *mut DimeOriginView) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(view) });
}

/// Opens a relayed message as the destination organization: decrypts the destination chunk and
/// verifies the origin's countersignature with `origin` (the origin organization's signet).
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (user keys), `DIME_ERR_MALFORMED`,
/// `DIME_ERR_TOO_LARGE`, `DIME_ERR_DECRYPT`, `DIME_ERR_SIGNET_MISMATCH`,
/// `DIME_ERR_BAD_SIGNATURE`, `DIME_ERR_STATE` (not countersigned), `DIME_ERR_UNSUPPORTED`.
///
/// # Safety
/// `message` must be NULL (only with `len` 0) or point to `len` readable bytes;
/// `destination_keys` and `origin` NULL or live handles; `out` NULL or writable storage for a
/// handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_message_open_as_destination(
    message: *const u8,
    len: usize,
    destination_keys: *const DimeKeys,
    origin: *const DimeSignet,
    out: *mut *mut DimeDestinationView,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let (bytes, keys) = unsafe { open_inputs(message, len, destination_keys, KeyOwner::Org, "destination_keys")? };
        // SAFETY: the caller's contract above.
        let origin = unsafe { boundary::get(origin, "origin")? };
        let view = Envelope::destination(bytes, &MessageLimits::default(), keys)?.open(&origin.signet)?;
        *out = boundary::into_handle(DimeDestinationView { names: Names::new(None, Some(view.envelope)) });
        Ok(())
    })
}

/// Writes what the destination sees of the path (origin and recipient) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `view` must be NULL or a live handle; `out` NULL or point to a writable `DimeEnvelope`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_destination_view_envelope(
    view: *const DimeDestinationView,
    out: *mut DimeEnvelope,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeEnvelope::ABSENT)? };
        // SAFETY: the caller's contract above.
        *out = unsafe { boundary::get(view, "view")? }.names.view();
        Ok(())
    })
}

/// Frees a destination view. NULL does nothing.
///
/// # Safety
/// `view` must be NULL or a handle from this library that has not been freed; it must not be
/// used afterwards, nor any view read from it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_destination_view_free(view: *mut DimeDestinationView) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(view) });
}

/// Opens a delivered message as its recipient: verifies the author's signatures with `author`
/// and the origin's countersignature with `origin`, checks that the message names `recipient`
/// (the recipient's own signet, whose encryption key `recipient_keys` holds) by fingerprint and
/// address, and decrypts everything. When `recipient` is the signet of `recipient_keys`' ML-KEM
/// key (the reader's current signet) it also makes the downgrade check of decision D8.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_WRONG_KIND` (org keys), `DIME_ERR_MALFORMED`,
/// `DIME_ERR_TOO_LARGE`, `DIME_ERR_DECRYPT`, `DIME_ERR_SIGNET_MISMATCH` (also when the message
/// names another recipient address than `recipient`'s), `DIME_ERR_BAD_SIGNATURE`,
/// `DIME_ERR_STATE` (not countersigned), `DIME_ERR_UNSUPPORTED`, `DIME_ERR_DOWNGRADE` (the
/// recipient's keyslot is classical although `recipient` and `author` are hybrid).
///
/// # Safety
/// `message` must be NULL (only with `len` 0) or point to `len` readable bytes;
/// `recipient_keys`, `recipient`, `author` and `origin` NULL or live handles; `out` NULL or
/// writable storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_message_open_as_recipient(
    message: *const u8,
    len: usize,
    recipient_keys: *const DimeKeys,
    recipient: *const DimeSignet,
    author: *const DimeSignet,
    origin: *const DimeSignet,
    out: *mut *mut DimeOpened,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let (bytes, keys) = unsafe { open_inputs(message, len, recipient_keys, KeyOwner::User, "recipient_keys")? };
        // SAFETY: the caller's contract above.
        let recipient = unsafe { boundary::get(recipient, "recipient") }?;
        // SAFETY: the caller's contract above.
        let author = unsafe { boundary::get(author, "author") }?;
        // SAFETY: the caller's contract above.
        let origin = unsafe { boundary::get(origin, "origin") }?;
        // The downgrade check applies when `recipient` is the keys' current signet; an older
        // (classical) signet the message names is not, and opens without it (D8's stale look-alike).
        let keys = ActorKeys::from(keys);
        let keys = keys.with_signet(&recipient.signet).unwrap_or(keys);
        let opened = Envelope::recipient(bytes, &MessageLimits::default(), keys)?.open(
            &recipient.signet,
            &author.signet,
            &origin.signet,
        )?;
        *out = boundary::into_handle(DimeOpened::new(opened));
        Ok(())
    })
}

/// Opens a message as its author (e.g. from the sent folder): verifies the author's own
/// signatures with `author` and, when `origin` is not NULL, the origin's countersignature, and
/// decrypts everything.
///
/// Errors: as `dime_message_open_as_recipient`; `DIME_ERR_STATE` when `origin` is given but the
/// message is not countersigned.
///
/// # Safety
/// `message` must be NULL (only with `len` 0) or point to `len` readable bytes; `author_keys`
/// and `author` NULL or live handles; `origin` NULL or a live handle; `out` NULL or writable
/// storage for a handle pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_message_open_as_author(
    message: *const u8,
    len: usize,
    author_keys: *const DimeKeys,
    author: *const DimeSignet,
    origin: *const DimeSignet,
    out: *mut *mut DimeOpened,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", core::ptr::null_mut())? };
        // SAFETY: the caller's contract above.
        let (bytes, keys) = unsafe { open_inputs(message, len, author_keys, KeyOwner::User, "author_keys")? };
        // SAFETY: the caller's contract above.
        let author = unsafe { boundary::get(author, "author") }?;
        // SAFETY: the caller's contract above.
        let origin = unsafe { boundary::get_optional(origin) };
        let opened = Envelope::author(bytes, &MessageLimits::default(), keys)?
            .open(&author.signet, origin.map(|o| &o.signet))?;
        *out = boundary::into_handle(DimeOpened::new(opened));
        Ok(())
    })
}

impl DimeOpened {
    fn new(opened: Opened) -> DimeOpened {
        let names = Names::new(Some(opened.origin.clone()), Some(opened.destination.clone()));
        DimeOpened { opened, names }
    }
}

/// Writes the whole path (author, origin, destination, recipient) into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or point to a writable `DimeEnvelope`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_envelope(opened: *const DimeOpened, out: *mut DimeEnvelope) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeEnvelope::ABSENT)? };
        // SAFETY: the caller's contract above.
        *out = unsafe { boundary::get(opened, "opened")? }.names.view();
        Ok(())
    })
}

/// Writes views of the common headers into `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or point to a writable `DimeHeaders`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_headers(opened: *const DimeOpened, out: *mut DimeHeaders) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeHeaders::ABSENT)? };
        // SAFETY: the caller's contract above.
        *out = DimeHeaders::of(&unsafe { boundary::get(opened, "opened")? }.opened.headers);
        Ok(())
    })
}

/// Writes a view of the other headers (opaque bytes; empty when the message has none) into
/// `out`.
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or point to a writable `DimeStr`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_other_headers(opened: *const DimeOpened, out: *mut DimeStr) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimeStr::ABSENT)? };
        // SAFETY: the caller's contract above.
        *out = DimeStr::of(&unsafe { boundary::get(opened, "opened")? }.opened.other_headers);
        Ok(())
    })
}

/// Writes the number of display parts or attachments (`DIME_PART_*`) into `out`.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (unknown kind).
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_part_count(
    opened: *const DimeOpened,
    kind: DimePartKind,
    out: *mut usize,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", 0)? };
        // SAFETY: the caller's contract above.
        let opened = &unsafe { boundary::get(opened, "opened")? }.opened;
        *out = part_list(kind, &opened.display, &opened.attachments)?.len();
        Ok(())
    })
}

/// Writes views of display part or attachment `index` (`DIME_PART_*`, counting from 0) into
/// `out`.
///
/// Errors: `DIME_ERR_NULL`, `DIME_ERR_INVALID_ARGUMENT` (unknown kind, index past the end).
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or point to a writable `DimePart`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_part(
    opened: *const DimeOpened,
    kind: DimePartKind,
    index: usize,
    out: *mut DimePart,
) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DimePart::ABSENT)? };
        // SAFETY: the caller's contract above.
        let opened = &unsafe { boundary::get(opened, "opened")? }.opened;
        let list = part_list(kind, &opened.display, &opened.attachments)?;
        let part = list.get(index).ok_or(Error::PartIndex { index, count: list.len() })?;
        *out = DimePart::of(part);
        Ok(())
    })
}

/// Writes into `out` whether the origin's countersignature was verified (always for the
/// recipient; for the author only when an origin signet was given).
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_countersigned(opened: *const DimeOpened, out: *mut bool) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", false)? };
        // SAFETY: the caller's contract above.
        *out = unsafe { boundary::get(opened, "opened")? }.opened.countersigned;
        Ok(())
    })
}

/// How much of a message resists an attacker who breaks X25519 (decision D8), as
/// `dime_opened_protection` reports it.
pub type DimeProtection = u32;
/// Some keyslot that opens the content is classical.
pub const DIME_PROTECTION_NONE: DimeProtection = 0;
/// The author's and the recipient's keyslots are hybrid (ML-KEM-768 + X25519): the content is
/// post-quantum protected.
pub const DIME_PROTECTION_CONTENT: DimeProtection = 1;
/// Every keyslot is hybrid: fully post-quantum protected.
pub const DIME_PROTECTION_FULL: DimeProtection = 2;

/// Writes into `out` the message's post-quantum protection (`DIME_PROTECTION_*`).
///
/// Errors: `DIME_ERR_NULL`.
///
/// # Safety
/// `opened` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_protection(opened: *const DimeOpened, out: *mut DimeProtection) -> DimeStatus {
    call(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { boundary::out(out, "out", DIME_PROTECTION_NONE)? };
        // SAFETY: the caller's contract above.
        *out = match unsafe { boundary::get(opened, "opened")? }.opened.protection {
            dime_message::Protection::None => DIME_PROTECTION_NONE,
            dime_message::Protection::Content => DIME_PROTECTION_CONTENT,
            dime_message::Protection::Full => DIME_PROTECTION_FULL,
        };
        Ok(())
    })
}

/// Frees an opened message. NULL does nothing.
///
/// # Safety
/// `opened` must be NULL or a handle from this library that has not been freed; it must not be
/// used afterwards, nor any view read from it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dime_opened_free(opened: *mut DimeOpened) {
    // SAFETY: the caller's contract above.
    boundary::call_void(|| unsafe { boundary::free(opened) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::tests::last_error;
    use crate::buffer::dime_buffer_free;
    use crate::buffer::tests::{contents, view};
    use crate::content::tests::content;
    use crate::content::{
        DIME_PART_ATTACHMENT, DIME_PART_DISPLAY, dime_content_add_part, dime_content_free, dime_content_new,
    };
    use crate::issue::{dime_org_signet_new, dime_request_new, dime_user_signet_issue};
    use crate::keys::tests::keys;
    use crate::keys::{DIME_KEY_OWNER_ORG, DIME_KEY_OWNER_USER, dime_keys_free};
    use crate::signet::{DIME_FINGERPRINT_CRYPTO, dime_signet_fingerprint, dime_signet_free};
    use core::ptr::{null, null_mut};

    /// Two organizations with one user each, as handles.
    struct World {
        origin_keys: *mut DimeKeys,
        destination_keys: *mut DimeKeys,
        alice_keys: *mut DimeKeys,
        bob_keys: *mut DimeKeys,
        origin: *mut DimeSignet,
        destination: *mut DimeSignet,
        alice: *mut DimeSignet,
        bob: *mut DimeSignet,
        content: *mut DimeContent,
    }

    fn org(keys: *const DimeKeys, domain: &str) -> *mut DimeSignet {
        let mut out = null_mut();
        // SAFETY: live handle and locals.
        assert_eq!(unsafe { dime_org_signet_new(keys, domain.as_ptr(), domain.len(), &mut out) }, DimeStatus::DIME_OK);
        out
    }

    fn user(
        keys: *const DimeKeys,
        org: *const DimeSignet,
        org_keys: *const DimeKeys,
        address: &str,
    ) -> *mut DimeSignet {
        let (mut request, mut out) = (null_mut(), null_mut());
        // SAFETY: live handles and locals.
        unsafe {
            assert_eq!(dime_request_new(keys, null(), &mut request), DimeStatus::DIME_OK);
            let status =
                dime_user_signet_issue(request, null(), org, org_keys, address.as_ptr(), address.len(), &mut out);
            assert_eq!(status, DimeStatus::DIME_OK);
            dime_signet_free(request);
        }
        out
    }

    fn hybrid_keys(owner: crate::keys::DimeKeyOwner) -> *mut DimeKeys {
        let mut out = null_mut();
        // SAFETY: a local out pointer.
        assert_eq!(unsafe { crate::keys::dime_keys_generate_hybrid(owner, &mut out) }, DimeStatus::DIME_OK);
        out
    }

    impl World {
        fn new() -> World {
            World::with_keys(keys)
        }

        /// Every party with hybrid (ML-KEM-768 + X25519) keys.
        fn hybrid() -> World {
            World::with_keys(hybrid_keys)
        }

        fn with_keys(keys: fn(crate::keys::DimeKeyOwner) -> *mut DimeKeys) -> World {
            let (origin_keys, destination_keys) = (keys(DIME_KEY_OWNER_ORG), keys(DIME_KEY_OWNER_ORG));
            let (alice_keys, bob_keys) = (keys(DIME_KEY_OWNER_USER), keys(DIME_KEY_OWNER_USER));
            let origin = org(origin_keys, "example.org");
            let destination = org(destination_keys, "example.net");
            let alice = user(alice_keys, origin, origin_keys, "alice@example.org");
            let bob = user(bob_keys, destination, destination_keys, "bob@example.net");
            World {
                origin_keys,
                destination_keys,
                alice_keys,
                bob_keys,
                origin,
                destination,
                alice,
                bob,
                content: content(b"Hi Bob"),
            }
        }

        fn compose(&self) -> Vec<u8> {
            self.compose_with(DIME_PQ_PREFER)
        }

        fn compose_with(&self, pq: DimePq) -> Vec<u8> {
            let mut out = DimeBuffer::EMPTY;
            // SAFETY: live handles and locals.
            let status = unsafe {
                dime_message_compose(
                    self.alice_keys,
                    self.alice,
                    self.origin,
                    self.destination,
                    self.bob,
                    self.content,
                    pq,
                    &mut out,
                )
            };
            assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
            let bytes = contents(&out);
            // SAFETY: a buffer from the library.
            unsafe { dime_buffer_free(&mut out) };
            bytes
        }

        fn open_origin(
            &self,
            message: &[u8],
            keys: *const DimeKeys,
            author: *const DimeSignet,
        ) -> (DimeStatus, *mut DimeOriginView) {
            let mut out = null_mut();
            // SAFETY: live handles and locals.
            let status =
                unsafe { dime_message_open_as_origin(message.as_ptr(), message.len(), keys, author, &mut out) };
            (status, out)
        }

        fn relay(&self, message: &[u8]) -> Vec<u8> {
            let (status, view) = self.open_origin(message, self.origin_keys, self.alice);
            assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
            let mut out = DimeBuffer::EMPTY;
            // SAFETY: live handles and locals.
            unsafe {
                assert_eq!(dime_origin_view_countersign(view, self.origin_keys, &mut out), DimeStatus::DIME_OK);
                dime_origin_view_free(view);
            }
            let bytes = contents(&out);
            // SAFETY: a buffer from the library.
            unsafe { dime_buffer_free(&mut out) };
            bytes
        }

        fn open_destination(
            &self,
            message: &[u8],
            keys: *const DimeKeys,
            origin: *const DimeSignet,
        ) -> (DimeStatus, *mut DimeDestinationView) {
            let mut out = null_mut();
            // SAFETY: live handles and locals.
            let status =
                unsafe { dime_message_open_as_destination(message.as_ptr(), message.len(), keys, origin, &mut out) };
            (status, out)
        }

        fn open_recipient(
            &self,
            message: &[u8],
            keys: *const DimeKeys,
            recipient: *const DimeSignet,
            author: *const DimeSignet,
            origin: *const DimeSignet,
        ) -> (DimeStatus, *mut DimeOpened) {
            let mut out = null_mut();
            // SAFETY: live handles and locals.
            let status = unsafe {
                dime_message_open_as_recipient(
                    message.as_ptr(),
                    message.len(),
                    keys,
                    recipient,
                    author,
                    origin,
                    &mut out,
                )
            };
            (status, out)
        }

        fn fingerprint(&self, signet: *const DimeSignet) -> DimeFingerprint {
            let mut fp = DimeFingerprint::ZERO;
            // SAFETY: live handle and local.
            let status = unsafe { dime_signet_fingerprint(signet, DIME_FINGERPRINT_CRYPTO, &mut fp) };
            assert_eq!(status, DimeStatus::DIME_OK);
            fp
        }
    }

    impl Drop for World {
        fn drop(&mut self) {
            // SAFETY: every handle is freed once.
            unsafe {
                for k in [self.origin_keys, self.destination_keys, self.alice_keys, self.bob_keys] {
                    dime_keys_free(k);
                }
                for s in [self.origin, self.destination, self.alice, self.bob] {
                    dime_signet_free(s);
                }
                dime_content_free(self.content);
            }
        }
    }

    /// The fingerprint behind an envelope pointer, `None` when NULL.
    fn fp(ptr: *const DimeFingerprint) -> Option<DimeFingerprint> {
        // SAFETY: NULL or a pointer into a live handle.
        unsafe { ptr.as_ref() }.copied()
    }

    #[test]
    fn every_actor_sees_its_part() {
        let w = World::new();
        let message = w.compose();
        let mut envelope = DimeEnvelope::ABSENT;

        let (status, origin_view) = w.open_origin(&message, w.origin_keys, w.alice);
        assert_eq!(status, DimeStatus::DIME_OK);
        // SAFETY: live handle and local.
        assert_eq!(unsafe { dime_origin_view_envelope(origin_view, &mut envelope) }, DimeStatus::DIME_OK);
        assert_eq!(view(envelope.author).as_deref(), Some(&b"alice@example.org"[..]));
        assert_eq!(fp(envelope.author_signet), Some(w.fingerprint(w.alice)));
        assert_eq!(view(envelope.destination).as_deref(), Some(&b"example.net"[..]));
        assert_eq!(fp(envelope.destination_signet), Some(w.fingerprint(w.destination)));
        assert_eq!((envelope.origin, envelope.recipient), (DimeStr::ABSENT, DimeStr::ABSENT));
        assert!(envelope.origin_signet.is_null() && envelope.recipient_signet.is_null());
        // SAFETY: freed once.
        unsafe { dime_origin_view_free(origin_view) };

        let relayed = w.relay(&message);
        let (status, destination_view) = w.open_destination(&relayed, w.destination_keys, w.origin);
        assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
        // SAFETY: live handle and local.
        assert_eq!(unsafe { dime_destination_view_envelope(destination_view, &mut envelope) }, DimeStatus::DIME_OK);
        assert_eq!(view(envelope.recipient).as_deref(), Some(&b"bob@example.net"[..]));
        assert_eq!(fp(envelope.recipient_signet), Some(w.fingerprint(w.bob)));
        assert_eq!(view(envelope.origin).as_deref(), Some(&b"example.org"[..]));
        assert_eq!(fp(envelope.origin_signet), Some(w.fingerprint(w.origin)));
        assert_eq!((envelope.author, envelope.destination), (DimeStr::ABSENT, DimeStr::ABSENT));
        // SAFETY: freed once.
        unsafe { dime_destination_view_free(destination_view) };

        let (status, opened) = w.open_recipient(&relayed, w.bob_keys, w.bob, w.alice, w.origin);
        assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
        let (mut headers, mut part, mut count, mut countersigned, mut other) =
            (DimeHeaders::ABSENT, DimePart::ABSENT, 9, false, DimeStr::ABSENT);
        // SAFETY: live handle and locals.
        unsafe {
            assert_eq!(dime_opened_headers(opened, &mut headers), DimeStatus::DIME_OK);
            assert_eq!(view(headers.subject).as_deref(), Some("Grüße".as_bytes()));
            assert_eq!(view(headers.cc), None);
            assert_eq!(view(headers.organization).as_deref(), Some(&b"Example"[..]));
            assert_eq!(dime_opened_part_count(opened, DIME_PART_DISPLAY, &mut count), DimeStatus::DIME_OK);
            assert_eq!(count, 1);
            assert_eq!(dime_opened_part_count(opened, DIME_PART_ATTACHMENT, &mut count), DimeStatus::DIME_OK);
            assert_eq!(count, 0);
            assert_eq!(dime_opened_part(opened, DIME_PART_DISPLAY, 0, &mut part), DimeStatus::DIME_OK);
            assert_eq!(view(part.data).as_deref(), Some(&b"Hi Bob"[..]));
            assert_eq!(view(part.content_type).as_deref(), Some(&b"text/plain; charset=utf-8"[..]));
            assert_eq!(view(part.file_name), None);
            assert_eq!(dime_opened_countersigned(opened, &mut countersigned), DimeStatus::DIME_OK);
            assert!(countersigned);
            assert_eq!(dime_opened_other_headers(opened, &mut other), DimeStatus::DIME_OK);
            assert_eq!(view(other).as_deref(), Some(&b""[..]));
            assert_eq!(dime_opened_envelope(opened, &mut envelope), DimeStatus::DIME_OK);
            assert_eq!(view(envelope.author).as_deref(), Some(&b"alice@example.org"[..]));
            assert_eq!(view(envelope.recipient).as_deref(), Some(&b"bob@example.net"[..]));
            assert_eq!(fp(envelope.origin_signet), Some(w.fingerprint(w.origin)));
            assert_eq!(fp(envelope.destination_signet), Some(w.fingerprint(w.destination)));
            dime_opened_free(opened);
        }
    }

    #[test]
    fn hybrid_keys_give_fully_protected_messages() {
        for (w, expected) in [(World::hybrid(), DIME_PROTECTION_FULL), (World::new(), DIME_PROTECTION_NONE)] {
            let relayed = w.relay(&w.compose());
            let (status, opened) = w.open_recipient(&relayed, w.bob_keys, w.bob, w.alice, w.origin);
            assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
            let mut protection = 9;
            // SAFETY: live handle and local; freed once.
            unsafe {
                assert_eq!(dime_opened_protection(opened, &mut protection), DimeStatus::DIME_OK);
                assert_eq!(dime_opened_protection(opened, null_mut()), DimeStatus::DIME_ERR_NULL);
                dime_opened_free(opened);
            }
            assert_eq!(protection, expected);
        }
    }

    #[test]
    fn the_pq_policy_decides_the_keyslots_and_the_recipient_refuses_a_downgrade() {
        let w = World::hybrid();
        let protection = |relayed: &[u8]| {
            let (status, opened) = w.open_recipient(relayed, w.bob_keys, w.bob, w.alice, w.origin);
            let mut protection = 9;
            // SAFETY: a live handle or NULL, and a local; freed once.
            unsafe {
                if status == DimeStatus::DIME_OK {
                    assert_eq!(dime_opened_protection(opened, &mut protection), DimeStatus::DIME_OK);
                }
                dime_opened_free(opened);
            }
            (status, protection)
        };
        for pq in [DIME_PQ_PREFER, DIME_PQ_REQUIRE_CONTENT, DIME_PQ_REQUIRE] {
            assert_eq!(protection(&w.relay(&w.compose_with(pq))), (DimeStatus::DIME_OK, DIME_PROTECTION_FULL));
        }
        // A classical message between hybrid parties, to the recipient's current hybrid signet.
        let (status, _) = protection(&w.relay(&w.compose_with(DIME_PQ_NEVER)));
        assert_eq!(status, DimeStatus::DIME_ERR_DOWNGRADE);
        assert_eq!(
            last_error(),
            "post-quantum downgrade: the recipient's keyslot is classical although both its signet and the author's are hybrid"
        );
        // The policy is checked against the signets, and an unknown value is refused.
        let classical = World::new();
        for (pq, status) in [
            (DIME_PQ_REQUIRE, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (DIME_PQ_REQUIRE_CONTENT, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (4, DimeStatus::DIME_ERR_INVALID_ARGUMENT),
        ] {
            let mut out = DimeBuffer::EMPTY;
            // SAFETY: live handles and a local.
            let got = unsafe {
                dime_message_compose(
                    classical.alice_keys,
                    classical.alice,
                    classical.origin,
                    classical.destination,
                    classical.bob,
                    classical.content,
                    pq,
                    &mut out,
                )
            };
            assert_eq!((got, out), (status, DimeBuffer::EMPTY), "pq {pq}: {}", last_error());
        }
        assert_eq!(last_error(), "unknown post-quantum policy 4");
    }

    #[test]
    fn author_reopens_with_and_without_countersignature() {
        let w = World::new();
        let message = w.compose();
        let relayed = w.relay(&message);
        for (bytes, origin, status, countersigned) in [
            (&message, null(), DimeStatus::DIME_OK, false),
            (&relayed, w.origin as *const DimeSignet, DimeStatus::DIME_OK, true),
            (&message, w.origin as *const DimeSignet, DimeStatus::DIME_ERR_STATE, false),
        ] {
            let (mut opened, mut flag) = (null_mut(), !countersigned);
            // SAFETY: live handles and locals.
            unsafe {
                let got = dime_message_open_as_author(
                    bytes.as_ptr(),
                    bytes.len(),
                    w.alice_keys,
                    w.alice,
                    origin,
                    &mut opened,
                );
                assert_eq!(got, status, "{}", last_error());
                if status == DimeStatus::DIME_OK {
                    assert_eq!(dime_opened_countersigned(opened, &mut flag), DimeStatus::DIME_OK);
                    assert_eq!(flag, countersigned);
                } else {
                    assert!(opened.is_null());
                    assert_eq!(last_error(), "the object is not countersigned by the origin");
                }
                dime_opened_free(opened);
            }
        }
    }

    #[test]
    fn compose_many_gives_each_recipient_its_own_object() {
        let w = World::new();
        let carol_keys = keys(DIME_KEY_OWNER_USER);
        let carol = user(carol_keys, w.destination, w.destination_keys, "carol@example.net");
        let destinations = [w.destination.cast_const(), w.destination.cast_const()];
        let recipients = [w.bob.cast_const(), carol.cast_const()];
        let mut out = [DimeBuffer::EMPTY, DimeBuffer::EMPTY];
        // SAFETY: live handles, arrays of two, and locals.
        let status = unsafe {
            dime_message_compose_many(
                w.alice_keys,
                w.alice,
                w.origin,
                destinations.as_ptr(),
                recipients.as_ptr(),
                2,
                w.content,
                DIME_PQ_PREFER,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
        let objects: Vec<Vec<u8>> = out.iter().map(contents).collect();
        let readers = [(w.bob_keys, w.bob, carol_keys, carol), (carol_keys, carol, w.bob_keys, w.bob)];
        for (object, (reader, own, stranger, theirs)) in objects.iter().zip(readers) {
            let relayed = w.relay(object);
            let (status, opened) = w.open_recipient(&relayed, reader, own, w.alice, w.origin);
            assert_eq!(status, DimeStatus::DIME_OK, "{}", last_error());
            // SAFETY: a live handle, freed once.
            unsafe { dime_opened_free(opened) };
            let (status, opened) = w.open_recipient(&relayed, stranger, theirs, w.alice, w.origin);
            assert_eq!((status, opened), (DimeStatus::DIME_ERR_DECRYPT, null_mut()));
        }
        assert_ne!(objects[0], objects[1]);
        // SAFETY: buffers and handles from the library, freed once.
        unsafe {
            for buffer in &mut out {
                dime_buffer_free(buffer);
            }
            dime_signet_free(carol);
            dime_keys_free(carol_keys);
        }
    }

    #[test]
    fn compose_many_rejects_nulls_and_leaves_every_output_empty() {
        let w = World::new();
        let pair = [w.destination.cast_const(), null()];
        let recipients = [w.bob.cast_const(), w.bob.cast_const()];
        let many = |keys, destinations, recipients, count, out| {
            // SAFETY: live handles; arrays of at least `count` entries or NULL.
            unsafe {
                dime_message_compose_many(
                    keys,
                    w.alice,
                    w.origin,
                    destinations,
                    recipients,
                    count,
                    w.content,
                    DIME_PQ_PREFER,
                    out,
                )
            }
        };
        let destinations = [w.destination.cast_const(); 2];
        let mut out = [DimeBuffer::EMPTY, DimeBuffer::EMPTY];
        let cases = [
            (null(), recipients.as_ptr(), "argument `destinations` is NULL"),
            (pair.as_ptr(), recipients.as_ptr(), "argument `destinations` is NULL"),
            (destinations.as_ptr(), null(), "argument `recipients` is NULL"),
        ];
        for (destinations, recipients, message) in cases {
            assert_eq!(many(w.alice_keys, destinations, recipients, 2, out.as_mut_ptr()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(last_error(), message);
            assert_eq!(out, [DimeBuffer::EMPTY, DimeBuffer::EMPTY]);
        }
        assert_eq!(
            many(w.alice_keys, destinations.as_ptr(), recipients.as_ptr(), 2, null_mut()),
            DimeStatus::DIME_ERR_NULL
        );
        assert_eq!(last_error(), "argument `out` is NULL");
        assert_eq!(
            many(w.origin_keys, destinations.as_ptr(), recipients.as_ptr(), 2, out.as_mut_ptr()),
            DimeStatus::DIME_ERR_WRONG_KIND
        );
        assert_eq!(out, [DimeBuffer::EMPTY, DimeBuffer::EMPTY]);
        // No recipients: nothing to write, and NULL arrays are fine.
        assert_eq!(many(w.alice_keys, null(), null(), 0, null_mut()), DimeStatus::DIME_OK);
    }

    /// `signet` cut to `full`, then 254 = `identifier` and, with `key`, a 255 by that key.
    fn relabelled(
        signet: &dime_signet::Signet,
        identifier: &str,
        key: Option<&dime_core::keys::SigningSecretKey>,
    ) -> Vec<u8> {
        use dime_signet::{Split, ids};
        let mut payload = signet.split(Split::Full).unwrap().payload().to_vec();
        if !identifier.is_empty() {
            payload.extend_from_slice(&[ids::IDENTIFIER, u8::try_from(identifier.len()).unwrap()]);
            payload.extend_from_slice(identifier.as_bytes());
        }
        if let Some(key) = key {
            let signature = key.sign(&payload);
            payload.push(ids::ID_SIGNATURE);
            payload.extend_from_slice(signature.as_bytes());
        }
        dime_core::header::Header::wrap(signet.kind().magic(), &payload).unwrap()
    }

    fn parse(bytes: &[u8]) -> (DimeStatus, *mut DimeSignet) {
        let mut out = null_mut();
        // SAFETY: a live local.
        let status = unsafe { crate::signet::dime_signet_parse(bytes.as_ptr(), bytes.len(), &mut out) };
        (status, out)
    }

    #[test]
    fn compose_refuses_a_relabelled_recipient() {
        let w = World::new();
        let eve = user(w.bob_keys, w.destination, w.destination_keys, "eve@example.net");
        // SAFETY: a live handle.
        let eve_signet = unsafe { &(*eve).signet }.clone();
        let compose = |recipient| {
            let mut out = DimeBuffer::EMPTY;
            // SAFETY: live handles and locals.
            let status = unsafe {
                dime_message_compose(
                    w.alice_keys,
                    w.alice,
                    w.origin,
                    w.destination,
                    recipient,
                    w.content,
                    DIME_PQ_PREFER,
                    &mut out,
                )
            };
            let error = last_error();
            assert_eq!(status == DimeStatus::DIME_OK, out != DimeBuffer::EMPTY);
            // SAFETY: a buffer from the library, or empty.
            unsafe { dime_buffer_free(&mut out) };
            (status, error)
        };
        // 254 = ceo appended to Eve's full signet, no 255: not a signet.
        let (status, _) = parse(&relabelled(&eve_signet, "ceo@example.net", None));
        assert_eq!(status, DimeStatus::DIME_ERR_MALFORMED);
        assert!(last_error().contains("field 254 (identifier) at payload offset 265 is not followed by field 255"));
        // With a 255 by Eve's own key: parses, but composing refuses it.
        let eve_key = dime_core::keys::SigningSecretKey::from_seed(&[9; 32]);
        let (status, forged) = parse(&relabelled(&eve_signet, "ceo@example.net", Some(&eve_key)));
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(
            compose(forged),
            (
                DimeStatus::DIME_ERR_BAD_SIGNATURE,
                "the signet is invalid, not id, so it is bound to no identifier: signature field 255 does not verify"
                    .to_string()
            )
        );
        // A full signet without identifier stands for no address.
        let (status, bare) = parse(&relabelled(&eve_signet, "", None));
        assert_eq!(status, DimeStatus::DIME_OK);
        assert_eq!(
            compose(bare),
            (
                DimeStatus::DIME_ERR_SIGNET_MISMATCH,
                "the signet is full, not id, so it is bound to no identifier".into()
            )
        );
        // Eve's own signet still composes (to Eve).
        assert_eq!(compose(eve).0, DimeStatus::DIME_OK);
        // SAFETY: handles from the library.
        unsafe {
            dime_signet_free(forged);
            dime_signet_free(bare);
            dime_signet_free(eve);
        }
    }

    #[test]
    fn compose_rejects_wrong_keys_and_nulls() {
        let w = World::new();
        let mut out = DimeBuffer::EMPTY;
        // SAFETY: live handles and locals, NULL.
        unsafe {
            let compose = |keys, author, origin, destination, recipient, content, out| {
                dime_message_compose(keys, author, origin, destination, recipient, content, DIME_PQ_PREFER, out)
            };
            assert_eq!(
                compose(w.origin_keys, w.alice, w.origin, w.destination, w.bob, w.content, &mut out),
                DimeStatus::DIME_ERR_WRONG_KIND
            );
            assert_eq!(
                compose(w.bob_keys, w.alice, w.origin, w.destination, w.bob, w.content, &mut out),
                DimeStatus::DIME_ERR_SIGNET_MISMATCH
            );
            assert_eq!(last_error(), "the author's signing key does not match the author signet");
            assert_eq!(out, DimeBuffer::EMPTY);
            for args in [
                (null_mut(), w.alice, w.origin, w.destination, w.bob, w.content),
                (w.alice_keys, null_mut(), w.origin, w.destination, w.bob, w.content),
                (w.alice_keys, w.alice, null_mut(), w.destination, w.bob, w.content),
                (w.alice_keys, w.alice, w.origin, null_mut(), w.bob, w.content),
                (w.alice_keys, w.alice, w.origin, w.destination, null_mut(), w.content),
                (w.alice_keys, w.alice, w.origin, w.destination, w.bob, null_mut()),
            ] {
                let (k, a, o, d, r, c) = args;
                assert_eq!(compose(k, a, o, d, r, c, &mut out), DimeStatus::DIME_ERR_NULL);
            }
            assert_eq!(
                compose(w.alice_keys, w.alice, w.origin, w.destination, w.bob, w.content, null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
        }
    }

    #[test]
    fn origin_rejections() {
        let w = World::new();
        let message = w.compose();
        let relayed = w.relay(&message);
        for (bytes, keys, author, status) in [
            (&message, w.alice_keys, w.alice, DimeStatus::DIME_ERR_WRONG_KIND),
            (&message, w.destination_keys, w.alice, DimeStatus::DIME_ERR_DECRYPT),
            (&message, w.origin_keys, w.bob, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (&relayed, w.origin_keys, w.alice, DimeStatus::DIME_ERR_STATE),
            (&b"garbage".to_vec(), w.origin_keys, w.alice, DimeStatus::DIME_ERR_MALFORMED),
            (&message, null_mut(), w.alice, DimeStatus::DIME_ERR_NULL),
            (&message, w.origin_keys, null_mut(), DimeStatus::DIME_ERR_NULL),
        ] {
            let (got, view) = w.open_origin(bytes, keys, author);
            assert_eq!(got, status, "{}", last_error());
            assert!(view.is_null());
        }
        let (_, view) = w.open_origin(&message, w.origin_keys, w.alice);
        let mut out = DimeBuffer::EMPTY;
        let mut envelope = DimeEnvelope::ABSENT;
        // SAFETY: live handles and locals, NULL.
        unsafe {
            assert_eq!(
                dime_message_open_as_origin(null(), 3, w.origin_keys, w.alice, &mut null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
            assert_eq!(
                dime_message_open_as_origin(message.as_ptr(), message.len(), w.origin_keys, w.alice, null_mut()),
                DimeStatus::DIME_ERR_NULL
            );
            assert_eq!(dime_origin_view_countersign(view, w.alice_keys, &mut out), DimeStatus::DIME_ERR_WRONG_KIND);
            assert_eq!(dime_origin_view_countersign(null(), w.origin_keys, &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_origin_view_countersign(view, null(), &mut out), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_origin_view_countersign(view, w.origin_keys, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(out, DimeBuffer::EMPTY);
            assert_eq!(dime_origin_view_envelope(null(), &mut envelope), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_origin_view_envelope(view, null_mut()), DimeStatus::DIME_ERR_NULL);
            dime_origin_view_free(view);
            dime_origin_view_free(null_mut());
        }
    }

    #[test]
    fn destination_rejections() {
        let w = World::new();
        let message = w.compose();
        let relayed = w.relay(&message);
        let mut tampered = relayed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        for (bytes, keys, origin, status) in [
            (&message, w.destination_keys, w.origin, DimeStatus::DIME_ERR_STATE),
            (&relayed, w.bob_keys, w.origin, DimeStatus::DIME_ERR_WRONG_KIND),
            (&relayed, w.origin_keys, w.origin, DimeStatus::DIME_ERR_DECRYPT),
            (&relayed, w.destination_keys, w.destination, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (&tampered, w.destination_keys, w.origin, DimeStatus::DIME_ERR_BAD_SIGNATURE),
            (&relayed, null_mut(), w.origin, DimeStatus::DIME_ERR_NULL),
            (&relayed, w.destination_keys, null_mut(), DimeStatus::DIME_ERR_NULL),
        ] {
            let (got, view) = w.open_destination(bytes, keys, origin);
            assert_eq!(got, status, "{}", last_error());
            assert!(view.is_null());
        }
        // The last byte is in the recipient keyslot of the origin full-signature chunk: the
        // destination cannot open it, but the countersignature covers it.
        assert_eq!(w.open_destination(&tampered, w.destination_keys, w.origin).0, DimeStatus::DIME_ERR_BAD_SIGNATURE);
        assert_eq!(last_error(), "origin full signature does not verify");
        let mut envelope = DimeEnvelope::ABSENT;
        // SAFETY: NULL pointers and a live local.
        unsafe {
            assert_eq!(
                dime_message_open_as_destination(
                    relayed.as_ptr(),
                    relayed.len(),
                    w.destination_keys,
                    w.origin,
                    null_mut()
                ),
                DimeStatus::DIME_ERR_NULL
            );
            assert_eq!(dime_destination_view_envelope(null(), &mut envelope), DimeStatus::DIME_ERR_NULL);
            dime_destination_view_free(null_mut());
        }
    }

    #[test]
    fn recipient_rejections() {
        let w = World::new();
        let message = w.compose();
        let relayed = w.relay(&message);
        for (bytes, keys, recipient, author, origin, status) in [
            (&message, w.bob_keys, w.bob, w.alice, w.origin, DimeStatus::DIME_ERR_STATE),
            (&relayed, w.destination_keys, w.bob, w.alice, w.origin, DimeStatus::DIME_ERR_WRONG_KIND),
            (&relayed, w.alice_keys, w.bob, w.alice, w.origin, DimeStatus::DIME_ERR_DECRYPT),
            (&relayed, w.bob_keys, w.bob, w.bob, w.origin, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (&relayed, w.bob_keys, w.bob, w.alice, w.destination, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (&relayed, w.bob_keys, w.alice, w.alice, w.origin, DimeStatus::DIME_ERR_SIGNET_MISMATCH),
            (&relayed, null_mut(), w.bob, w.alice, w.origin, DimeStatus::DIME_ERR_NULL),
            (&relayed, w.bob_keys, null_mut(), w.alice, w.origin, DimeStatus::DIME_ERR_NULL),
            (&relayed, w.bob_keys, w.bob, null_mut(), w.origin, DimeStatus::DIME_ERR_NULL),
            (&relayed, w.bob_keys, w.bob, w.alice, null_mut(), DimeStatus::DIME_ERR_NULL),
        ] {
            let (got, opened) = w.open_recipient(bytes, keys, recipient, author, origin);
            assert_eq!(got, status, "{}", last_error());
            assert!(opened.is_null());
        }
    }

    #[test]
    fn opened_accessor_rejections() {
        let w = World::new();
        let relayed = w.relay(&w.compose());
        let (_, opened) = w.open_recipient(&relayed, w.bob_keys, w.bob, w.alice, w.origin);
        let (mut part, mut count, mut flag) = (DimePart::ABSENT, 5, true);
        let (mut headers, mut envelope, mut other) = (DimeHeaders::ABSENT, DimeEnvelope::ABSENT, DimeStr::ABSENT);
        // SAFETY: live handle and locals, NULL.
        unsafe {
            assert_eq!(
                dime_opened_part(opened, DIME_PART_DISPLAY, 1, &mut part),
                DimeStatus::DIME_ERR_INVALID_ARGUMENT
            );
            assert_eq!(last_error(), "part index 1 is past the last of 1 parts");
            assert_eq!(part, DimePart::ABSENT);
            assert_eq!(dime_opened_part(opened, 3, 0, &mut part), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(dime_opened_part_count(opened, 0, &mut count), DimeStatus::DIME_ERR_INVALID_ARGUMENT);
            assert_eq!(count, 0);
            assert_eq!(dime_opened_part(null(), DIME_PART_DISPLAY, 0, &mut part), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_part(opened, DIME_PART_DISPLAY, 0, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_part_count(null(), DIME_PART_DISPLAY, &mut count), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_part_count(opened, DIME_PART_DISPLAY, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_countersigned(null(), &mut flag), DimeStatus::DIME_ERR_NULL);
            assert!(!flag);
            assert_eq!(dime_opened_countersigned(opened, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_headers(null(), &mut headers), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_headers(opened, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_envelope(null(), &mut envelope), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_envelope(opened, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_other_headers(null(), &mut other), DimeStatus::DIME_ERR_NULL);
            assert_eq!(dime_opened_other_headers(opened, null_mut()), DimeStatus::DIME_ERR_NULL);
            assert_eq!(
                dime_message_open_as_recipient(
                    relayed.as_ptr(),
                    relayed.len(),
                    w.bob_keys,
                    w.bob,
                    w.alice,
                    w.origin,
                    null_mut()
                ),
                DimeStatus::DIME_ERR_NULL
            );
            assert_eq!(
                dime_message_open_as_author(
                    relayed.as_ptr(),
                    relayed.len(),
                    w.alice_keys,
                    null(),
                    null(),
                    &mut null_mut()
                ),
                DimeStatus::DIME_ERR_NULL
            );
            dime_opened_free(opened);
            dime_opened_free(null_mut());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Headers and a body go through compose, relay and open unchanged; content the format
        /// cannot carry is refused when the content is built, with its exact status.
        #[test]
        fn content_round_trips_through_every_actor(
            subject in "\\PC{0,40}",
            cc in proptest::option::of("[a-z]{1,8}@example\\.net"),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..2000),
        ) {
            let w = World::new();
            let headers = DimeHeaders {
                subject: DimeStr::of(subject.as_bytes()),
                cc: DimeStr::of_opt(cc.as_deref()),
                ..crate::content::tests::headers()
            };
            let part = DimePart { content_type: DimeStr::of(b"text/plain"), file_name: DimeStr::ABSENT, data: DimeStr::of(&body) };
            let (mut content, mut message) = (null_mut(), DimeBuffer::EMPTY);
            // SAFETY: live handles and locals.
            unsafe {
                proptest::prop_assert_eq!(dime_content_new(&headers, &mut content), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(dime_content_add_part(content, DIME_PART_DISPLAY, &part), DimeStatus::DIME_OK);
                let status = dime_message_compose(w.alice_keys, w.alice, w.origin, w.destination, w.bob, content, DIME_PQ_PREFER, &mut message);
                proptest::prop_assert_eq!(status, DimeStatus::DIME_OK);
                dime_content_free(content);
            }
            let relayed = w.relay(&contents(&message));
            // SAFETY: a buffer from the library, freed once.
            unsafe { dime_buffer_free(&mut message) };
            let (status, opened) = w.open_recipient(&relayed, w.bob_keys, w.bob, w.alice, w.origin);
            proptest::prop_assert_eq!(status, DimeStatus::DIME_OK);
            let (mut read, mut read_part) = (DimeHeaders::ABSENT, DimePart::ABSENT);
            // SAFETY: a live handle and locals, freed once.
            unsafe {
                proptest::prop_assert_eq!(dime_opened_headers(opened, &mut read), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(dime_opened_part(opened, DIME_PART_DISPLAY, 0, &mut read_part), DimeStatus::DIME_OK);
                proptest::prop_assert_eq!(view(read.subject), Some(subject.into_bytes()));
                proptest::prop_assert_eq!(view(read.cc), cc.map(String::into_bytes));
                proptest::prop_assert_eq!(view(read_part.data), Some(body));
                dime_opened_free(opened);
            }
        }

        /// Any single flipped bit anywhere in a relayed message is refused by the recipient,
        /// with a status and never a panic.
        #[test]
        fn recipient_refuses_any_flipped_bit(position in proptest::num::usize::ANY, bit in 0u8..8) {
            let w = World::new();
            let mut relayed = w.relay(&w.compose());
            let at = position % relayed.len();
            relayed[at] ^= 1 << bit;
            let (status, opened) = w.open_recipient(&relayed, w.bob_keys, w.bob, w.alice, w.origin);
            proptest::prop_assert!(opened.is_null());
            proptest::prop_assert!(
                !matches!(status, DimeStatus::DIME_OK | DimeStatus::DIME_ERR_PANIC | DimeStatus::DIME_ERR_NULL),
                "flip at {} gave {:?}", at, status
            );
        }
    }
}
