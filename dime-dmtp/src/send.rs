//! Sending as an origin organisation: its keys and signet ([`Origin`]), an author's keys and
//! signet ([`Sender`]), and what turns a content or a submitted object into a delivery (compose
//! for the author, open as the origin, countersign).
//!
//! No I/O here; `dns::Resolver::send` and `dns::Resolver::relay` (feature `dns`) resolve the
//! recipient and deliver on the connection they used for the lookups.

use dime_core::Fingerprint;
use dime_message::{Addressing, ComposeOptions, Content, Envelope, MessageError, MessageLimits, OsRandom, compose};
use dime_signet::{Anchor, BoundSignet, KeyFile, KeyOwner, Signet};

use crate::client::Delivery;
use crate::error::DmtpError;
use crate::resolve::binding_error;

/// An origin organisation: its key file and its org signet, bound to the domain it names by
/// the POK in the key file (the organisation trusts the key it holds).
#[derive(Debug, Clone)]
pub struct Origin {
    keys: KeyFile,
    signet: BoundSignet,
}

impl Origin {
    /// The organisation of `signet`, whose keys are `keys`.
    ///
    /// Errors: [`DmtpError::KeyMismatch`] when `keys` is no org key file or does not hold the
    /// signet's keys; [`DmtpError::SignetKind`], [`DmtpError::SignetState`] when the signet
    /// does not bind.
    pub fn new(keys: KeyFile, signet: &Signet) -> Result<Origin, DmtpError> {
        if keys.owner != KeyOwner::Org || !keys.matches(signet) {
            return Err(DmtpError::KeyMismatch { what: "organisation" });
        }
        let domain = signet.unverified_identifier().and_then(|id| core::str::from_utf8(id).ok()).unwrap_or_default();
        let poks = [keys.signing_public()];
        let signet = signet.bind(&Anchor::trusted(domain, &poks)).map_err(binding_error)?;
        Ok(Origin { keys, signet })
    }

    /// The organisation's bound signet.
    pub fn signet(&self) -> &BoundSignet {
        &self.signet
    }

    /// Binds the signet of one of this organisation's users (the submitting author, say).
    ///
    /// Errors: [`DmtpError::SignetKind`], [`DmtpError::SignetState`],
    /// [`DmtpError::IdentifierMismatch`].
    pub fn bind_user(&self, user: &Signet) -> Result<BoundSignet, DmtpError> {
        self.signet.bind_user(user, None).map_err(binding_error)
    }

    /// Relaying a submitted object: opens it as this origin (which verifies the author's
    /// signatures under `author`), checks that its author is `author` and that the destination
    /// signet it names is `destination`'s, and countersigns it. The delivery carries the
    /// object's `DATA` hash, made from the chunk digests of the open and the countersignature
    /// ([`Delivery::hash`]), so the client does not hash the object again.
    ///
    /// Errors: [`DmtpError::Message`] when the object does not open or verify;
    /// [`DmtpError::IdentifierMismatch`] for another author or destination domain;
    /// [`DmtpError::FingerprintMismatch`] for another destination signet.
    pub fn relay(&self, author: &BoundSignet, object: &[u8], destination: &BoundSignet) -> Result<Delivery, DmtpError> {
        let view = self.open(object, author)?;
        let named = &view.envelope;
        if !named.author.eq_ignore_ascii_case(author.identifier()) {
            let found = named.author.clone();
            return Err(DmtpError::IdentifierMismatch { expected: author.identifier().to_owned(), found });
        }
        if !named.destination.eq_ignore_ascii_case(destination.identifier()) {
            let found = named.destination.clone();
            return Err(DmtpError::IdentifierMismatch { expected: destination.identifier().to_owned(), found });
        }
        if named.destination_signet != destination.crypto_fingerprint() {
            return Err(DmtpError::FingerprintMismatch);
        }
        // The countersignature's digests give the DATA hash (D9): the client never hashes it.
        let relayed = view.countersign_hashed(&self.keys.signing)?;
        let mut delivery = Delivery::new(&self.signet, destination, relayed.object)?;
        delivery.hash = Some(Fingerprint(relayed.hash));
        Ok(delivery)
    }

    /// The destination domain a submitted object names, read as this origin (nothing verified
    /// beyond the author's signatures under `author`): where [`Origin::relay`] must send it.
    ///
    /// Errors: [`DmtpError::Message`].
    pub fn destination_of(&self, author: &BoundSignet, object: &[u8]) -> Result<String, DmtpError> {
        Ok(self.open(object, author)?.envelope.destination)
    }

    fn open<'a>(&self, object: &'a [u8], author: &Signet) -> Result<dime_message::OriginView<'a>, DmtpError> {
        Ok(Envelope::origin(object, &MessageLimits::default(), &self.keys)?.open(author)?)
    }
}

/// An origin organisation sending for one of its users: the [`Origin`], and the author's key
/// file and signet bound through it.
#[derive(Debug, Clone)]
pub struct Sender {
    origin: Origin,
    author_keys: KeyFile,
    author: BoundSignet,
}

impl Sender {
    /// The sender for the author of `author_signet`, a user of the organisation of
    /// `org_signet`, with their key files. The org signet is bound to the domain it names by the
    /// POK in `org_keys`, the author's signet through it.
    ///
    /// Errors: [`DmtpError::KeyMismatch`] when a key file is of the wrong owner or does not
    /// hold the keys of its signet; [`DmtpError::SignetKind`], [`DmtpError::SignetState`],
    /// [`DmtpError::IdentifierMismatch`] when a signet does not bind.
    pub fn new(
        org_keys: KeyFile,
        org_signet: &Signet,
        author_keys: KeyFile,
        author_signet: &Signet,
    ) -> Result<Sender, DmtpError> {
        let origin = Origin::new(org_keys, org_signet)?;
        if author_keys.owner != KeyOwner::User || !author_keys.matches(author_signet) {
            return Err(DmtpError::KeyMismatch { what: "author" });
        }
        let author = origin.bind_user(author_signet)?;
        Ok(Sender { origin, author_keys, author })
    }

    /// The origin organisation.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The author's bound signet.
    pub fn author(&self) -> &BoundSignet {
        &self.author
    }

    /// The delivery of one message to `recipient` of the organisation of `destination` (both
    /// bound, e.g. by the resolver from DNS down): `content` gets the addressing (for
    /// [`Content::text`]), the object is composed with the author's key, then relayed by the
    /// origin ([`Origin::relay`]: opened, the author's signatures checked, countersigned, the
    /// `DATA` hash made from the chunk digests).
    ///
    /// Errors: [`DmtpError::Message`] from composing, opening or countersigning, or from
    /// `content`; [`DmtpError::SignetKind`] when `destination` is no org signet.
    pub fn delivery(
        &self,
        destination: &BoundSignet,
        recipient: &BoundSignet,
        content: impl FnOnce(&Addressing<'_>) -> Result<Content, MessageError>,
    ) -> Result<Delivery, DmtpError> {
        let to = Addressing { author: &self.author, origin: self.origin.signet(), destination, recipient };
        let content = content(&to)?;
        let object = compose(&self.author_keys.signing, &to, &content, &ComposeOptions::default(), &mut OsRandom)?;
        self.origin.relay(&self.author, &object, destination)
    }
}
