//! The DATA-phase object: its `DATA [hash]` ([`ObjectHasher`]) and the check that opens a
//! received object as the destination organisation with `dime-message` before the session
//! answers `250 OK [txid]`.
//!
//! The server session never parses objects itself; it emits
//! [`ServerEvent::MessageReceived`](crate::server::ServerEvent::MessageReceived) with the hash
//! already checked, and the application answers with the verdict. [`check_as_destination`] is
//! the ready-made verdict for a destination that holds its org encryption key and has resolved
//! the origin's org signet.

use dime_core::Fingerprint;
use dime_core::keys::EncryptionSecretKey;
use dime_message::{Actor, DestinationView, Envelope, Limits};
use dime_signet::Signet;

use crate::error::DmtpError;
use crate::resolve::has_fingerprint;
use crate::server::{ReceivedMessage, Rejection};

/// The hash of a message object that `DATA [hash]` carries (decision D7): the first 64 bytes of
/// BLAKE3's extended output over the object (its first 32 bytes are BLAKE3-256), computed piece
/// by piece.
///
/// Feed it the object as it passes by (while it is composed, received or written to storage) and
/// hand the result to [`Delivery::hash`](crate::client::Delivery::hash), so that delivery does
/// not read the whole object once more before its first byte is sent. The server session uses
/// it to hash the object as it arrives. The result equals [`ObjectHasher::hash`] of the whole.
#[derive(Debug, Clone, Default)]
pub struct ObjectHasher {
    blake3: blake3::Hasher,
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
        self.blake3.update(bytes);
    }

    /// The hash of everything added.
    pub fn finish(self) -> Fingerprint {
        let mut out = [0u8; 64];
        self.blake3.finalize_xof().fill(&mut out);
        Fingerprint(out)
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

/// What the destination needs to open an object.
#[derive(Debug, Clone, Copy)]
pub struct DestinationKeys<'a> {
    /// The destination organisation's encryption secret key.
    pub secret: &'a EncryptionSecretKey,
    /// The origin organisation's signet, resolved and validated (e.g. with
    /// [`crate::resolve::validate_org`]) for the `MAIL FROM` domain.
    pub origin: &'a Signet,
    /// Object limits.
    pub limits: Limits,
}

/// Opens `message` as the destination: the origin signet must carry the `MAIL FROM`
/// fingerprint, the object must open and verify under it, its origin must be the `MAIL FROM`
/// domain and its recipient must belong to the `RCPT TO` domain.
///
/// Errors: [`DmtpError::InvalidObject`] with the reason; answer it with
/// [`Rejection::InvalidObject`] (see [`verdict`]).
pub fn check_as_destination(
    message: &ReceivedMessage,
    keys: &DestinationKeys<'_>,
) -> Result<DestinationView, DmtpError> {
    let invalid = |reason: String| DmtpError::InvalidObject { reason };
    let envelope = &message.envelope;
    if !has_fingerprint(keys.origin, &envelope.mail_from.fingerprint) {
        return Err(invalid("the origin signet does not have the MAIL FROM fingerprint".into()));
    }
    let view = Envelope::open(&message.object, &keys.limits, Actor::Destination, keys.secret)
        .and_then(|opened| opened.open_as_destination(keys.origin))
        .map_err(|e| invalid(e.to_string()))?;
    if !view.envelope.origin.eq_ignore_ascii_case(envelope.mail_from.domain.as_str()) {
        return Err(invalid(format!("the object's origin {:?} is not the MAIL FROM domain", view.envelope.origin)));
    }
    let recipient_domain = view.envelope.recipient.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if !recipient_domain.eq_ignore_ascii_case(envelope.destination.as_str()) {
        return Err(invalid(format!("the recipient {:?} is not at the RCPT TO domain", view.envelope.recipient)));
    }
    Ok(view)
}

/// The answer for the session: accept when the check passed, [`Rejection::InvalidObject`]
/// otherwise.
pub fn verdict<T>(checked: &Result<T, DmtpError>) -> Result<(), Rejection> {
    checked.as_ref().map(|_| ()).map_err(|_| Rejection::InvalidObject)
}
