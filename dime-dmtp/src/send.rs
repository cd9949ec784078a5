//! Sending as an origin organisation: its keys and signet, an author's keys and signet, and what
//! turns a content into a delivery (compose for the author, countersign as the origin).
//!
//! No I/O here; `dns::Resolver::send` (feature `dns`) resolves the recipient, calls
//! [`Sender::delivery`] and delivers on the connection it used for the lookups.

use dime_message::{Actor, Addressing, ComposeOptions, Content, Envelope, Limits, OsRandom, compose};
use dime_signet::{Anchor, BoundSignet, KeyFile, KeyOwner, Signet};

use crate::client::Delivery;
use crate::error::DmtpError;

/// An origin organisation sending for one of its users: both key files and both signets, bound
/// to the organisation's domain by its own key (the organisation trusts the key it holds).
#[derive(Debug, Clone)]
pub struct Sender {
    org_keys: KeyFile,
    org: BoundSignet,
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
        if org_keys.owner != KeyOwner::Org || !org_keys.matches(org_signet) {
            return Err(DmtpError::KeyMismatch { what: "organisation" });
        }
        if author_keys.owner != KeyOwner::User || !author_keys.matches(author_signet) {
            return Err(DmtpError::KeyMismatch { what: "author" });
        }
        let domain =
            org_signet.unverified_identifier().and_then(|id| core::str::from_utf8(id).ok()).unwrap_or_default();
        let poks = [org_keys.signing_public()];
        let org = org_signet.bind(&Anchor::trusted(domain, &poks)).map_err(crate::resolve::binding_error)?;
        let author = org.bind_user(author_signet, None).map_err(crate::resolve::binding_error)?;
        Ok(Sender { org_keys, org, author_keys, author })
    }

    /// The origin organisation's bound signet.
    pub fn origin(&self) -> &BoundSignet {
        &self.org
    }

    /// The author's bound signet.
    pub fn author(&self) -> &BoundSignet {
        &self.author
    }

    /// The delivery of one message to `recipient` of the organisation of `destination` (both
    /// bound, e.g. by the resolver from DNS down): `content` gets the addressing (for
    /// [`Content::text`]), the object is composed with the author's key, opened as the origin
    /// (which checks the author's signatures) and countersigned with the organisation's key.
    ///
    /// Errors: [`DmtpError::Message`] from composing, opening or countersigning, or from
    /// `content`; [`DmtpError::SignetKind`] when `destination` is no org signet.
    pub fn delivery(
        &self,
        destination: &BoundSignet,
        recipient: &BoundSignet,
        content: impl FnOnce(&Addressing<'_>) -> Result<Content, dime_message::MessageError>,
    ) -> Result<Delivery, DmtpError> {
        let to = Addressing { author: &self.author, origin: &self.org, destination, recipient };
        let content = content(&to)?;
        let object = compose(&self.author_keys.signing, &to, &content, &ComposeOptions::default(), &mut OsRandom)?;
        let relayed = Envelope::open(&object, &Limits::default(), Actor::Origin, &self.org_keys.encryption)?
            .open_as_origin(&self.author)?
            .countersign(&self.org_keys.signing)?;
        Delivery::new(&self.org, destination, relayed)
    }
}
