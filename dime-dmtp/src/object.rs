//! The DATA-phase object: its `DATA [hash]` ([`ObjectHasher`]) and the streaming check that
//! reads a received object as the destination organisation with `dime-message` before the
//! session answers `250 OK [txid]` ([`DestinationCheck`]).
//!
//! The server session never parses or keeps objects; it hands their bytes out as they arrive
//! and reports the object whole with the hash already checked
//! ([`ServerEvent::MessageReceived`](crate::server::ServerEvent::MessageReceived)); the
//! application answers with the verdict. [`DestinationCheck`] is the ready-made verdict for a
//! destination that holds its org encryption key and has resolved the origin's org signet.

use dime_core::Fingerprint;
use dime_core::kem::KemSecretKey;
use dime_core::keys::EncryptionSecretKey;
use dime_message::{ActorKeys, DestinationVerifier, DestinationView, MessageLimits, ObjectHash};
use dime_signet::{BoundSignet, SignetKind};

use crate::error::DmtpError;
use crate::resolve::has_fingerprint;
use crate::server::{ReceivedMessage, Rejection, ServerLimits};

/// The hash of a message object that `DATA [hash]` carries (decision D9, `docs/dmtp.md` §3):
/// BLAKE3 in derive-key mode over the object's framing digest and its chunk digests
/// ([`dime_message::ObjectHash`]), computed piece by piece.
///
/// Whoever makes the chunk digests gets it without a pass of its own:
/// [`dime_message::compose_hashed`], [`dime_message::OriginView::countersign_hashed`] (which
/// [`crate::send::Origin::relay`] and [`crate::send::Sender::delivery`] use), the streaming
/// writer and countersigner, and the server's [`DestinationCheck`]. For an object from
/// anywhere else, feed this the object as it passes by (while it is received or written to
/// storage) and hand the result to [`Delivery::hash`](crate::client::Delivery::hash), so that
/// delivery does not read the whole object once more before its first byte is sent. The
/// result equals [`ObjectHasher::hash`] of the whole.
#[derive(Debug, Clone, Default)]
pub struct ObjectHasher {
    walk: ObjectHash,
}

impl ObjectHasher {
    /// A hasher that has seen nothing.
    pub fn new() -> ObjectHasher {
        ObjectHasher::default()
    }

    /// The `DATA [hash]` of a whole object.
    pub fn hash(object: &[u8]) -> Fingerprint {
        let mut hasher = ObjectHasher::new();
        hasher.update(object);
        hasher.finish()
    }

    /// Adds the next bytes of the object.
    pub fn update(&mut self, bytes: &[u8]) {
        self.walk.update(bytes);
    }

    /// The hash of everything added.
    pub fn finish(self) -> Fingerprint {
        Fingerprint(self.walk.value())
    }
}

/// Writing to the hasher adds the bytes, so it can sit behind `std::io::copy` or a tee.
impl std::io::Write for ObjectHasher {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the destination needs to finish an object's check.
#[derive(Debug, Clone, Copy)]
pub struct DestinationKeys<'a> {
    /// The destination organisation's encryption secret key.
    pub secret: &'a EncryptionSecretKey,
    /// The destination organisation's ML-KEM-768 key, when its org signet is hybrid (decision
    /// D8): an object whose destination slot is hybrid opens only with it.
    pub kem: Option<&'a KemSecretKey>,
    /// The origin organisation's org signet bound to the `MAIL FROM` domain: resolved with
    /// `Resolver::signet` (feature `dns`) or validated with
    /// [`crate::resolve::validate_org`], or bound to keys the server trusts for that domain
    /// ([`dime_signet::Anchor::trusted`]).
    pub origin: &'a BoundSignet,
}

/// The destination's check of one object, fed the object's bytes as they arrive
/// ([`ServerEvent::MessageData`](crate::server::ServerEvent::MessageData)) and finished once the
/// session reports it whole. It runs `dime-message`'s [`DestinationVerifier`], so it holds only
/// the chunks the destination reads and 129 bytes per chunk, never a part's content; an object
/// that would need more than [`ServerLimits::max_check_bytes`] is refused.
///
/// Only [`DestinationCheck::finish`] makes a [`CheckedMessage`], so code that stores objects
/// only for a `CheckedMessage` (as the tokio driver's spool commit does) cannot keep an object
/// that failed the check.
#[derive(Debug)]
pub struct DestinationCheck {
    verifier: DestinationVerifier,
    fed: u64,
    budget: usize,
    failed: Option<DmtpError>,
}

impl DestinationCheck {
    /// A check under a server's limits: objects up to `max_message_size`, at most
    /// `max_check_bytes` held.
    pub fn new(limits: &ServerLimits) -> DestinationCheck {
        let mut object = MessageLimits::default();
        object.max_object = limits.max_message_size;
        DestinationCheck {
            verifier: DestinationVerifier::new(&object),
            fed: 0,
            budget: limits.max_check_bytes,
            failed: None,
        }
    }

    /// Takes the next bytes of the object. Its chunk digests make the object's `DATA` hash in the
    /// same pass ([`DestinationCheck::object_hash`]), also after the check failed.
    ///
    /// Errors: [`DmtpError::InvalidObject`] when the bytes so far cannot start a valid object,
    /// or when checking it would hold more than the budget. The first error is final: every
    /// later call, and [`DestinationCheck::finish`], returns it again.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), DmtpError> {
        self.fed += bytes.len() as u64;
        // After a failure the verifier holds nothing more and only hashes.
        let result = self.verifier.feed(bytes).map_err(|e| DmtpError::InvalidObject { reason: e.to_string() });
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = result.and_then(|()| {
            let held = self.verifier.retained_bytes();
            if held > self.budget {
                self.verifier.abandon();
                return Err(DmtpError::InvalidObject {
                    reason: format!("checking the object would hold {held} bytes, over the budget of {}", self.budget),
                });
            }
            Ok(())
        });
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// The `DATA` hash ([`ObjectHasher`]) of the bytes fed so far, made from the check's chunk
    /// digests: the server compares it with the announced hash, whether the check passed or
    /// not.
    pub fn object_hash(&self) -> Fingerprint {
        Fingerprint(self.verifier.object_hash())
    }

    /// Whether a fed piece already failed the check (then [`DestinationCheck::finish`] fails).
    pub fn is_failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Heap bytes the check holds.
    pub fn retained_bytes(&self) -> usize {
        self.verifier.retained_bytes()
    }

    /// Finishes the check of `message` as the destination: it must be the object fed (its size),
    /// the origin signet must carry the `MAIL FROM` fingerprint, the object must open and verify
    /// under it, its origin must be the `MAIL FROM` domain and its recipient must belong to the
    /// `RCPT TO` domain.
    ///
    /// Errors: [`DmtpError::InvalidObject`] with the reason; answer it with
    /// [`Rejection::InvalidObject`] (see [`verdict`]).
    pub fn finish(self, message: &ReceivedMessage, keys: &DestinationKeys<'_>) -> Result<CheckedMessage, DmtpError> {
        let invalid = |reason: String| DmtpError::InvalidObject { reason };
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.fed != message.size {
            return Err(invalid(format!("{} bytes were checked of an object of {}", self.fed, message.size)));
        }
        let envelope = &message.envelope;
        if keys.origin.signet().kind() != SignetKind::Org
            || !keys.origin.identifier().eq_ignore_ascii_case(envelope.mail_from.domain.as_str())
        {
            return Err(invalid(format!(
                "the origin signet is bound to {:?}, not to the MAIL FROM domain",
                keys.origin.identifier()
            )));
        }
        if !has_fingerprint(keys.origin.signet(), &envelope.mail_from.fingerprint) {
            return Err(invalid("the origin signet does not have the MAIL FROM fingerprint".into()));
        }
        let actor = ActorKeys { encryption: keys.secret, kem: keys.kem, signet: None };
        let view = self.verifier.finish(actor, keys.origin.signet()).map_err(|e| invalid(e.to_string()))?;
        if !view.envelope.origin.eq_ignore_ascii_case(envelope.mail_from.domain.as_str()) {
            return Err(invalid(format!("the object's origin {:?} is not the MAIL FROM domain", view.envelope.origin)));
        }
        let recipient_domain = view.envelope.recipient.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        if !recipient_domain.eq_ignore_ascii_case(envelope.destination.as_str()) {
            return Err(invalid(format!("the recipient {:?} is not at the RCPT TO domain", view.envelope.recipient)));
        }
        Ok(CheckedMessage { message: message.clone(), view })
    }
}

/// A received object that passed [`DestinationCheck::finish`]; nothing else makes one.
#[derive(Debug, Clone)]
pub struct CheckedMessage {
    message: ReceivedMessage,
    view: DestinationView,
}

impl CheckedMessage {
    /// The transaction: id, txid, envelope, hash and size.
    pub fn message(&self) -> &ReceivedMessage {
        &self.message
    }

    /// What the destination read in the object (its envelope chunk and tracing).
    pub fn view(&self) -> &DestinationView {
        &self.view
    }
}

/// The answer for the session: accept when the check passed, [`Rejection::InvalidObject`]
/// otherwise.
pub fn verdict<T>(checked: &Result<T, DmtpError>) -> Result<(), Rejection> {
    checked.as_ref().map(|_| ()).map_err(|_| Rejection::InvalidObject)
}
