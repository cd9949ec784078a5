//! Binding: the only way from a signet to the address or domain it stands for.
//!
//! Field 254, the identifier, is covered by one signature only, the identifiable signature
//! (255), and a signature only means something when its key is anchored: listed in the
//! organization's `_dx` management record, or trusted by the caller explicitly. A
//! [`BoundSignet`] is a signet validated to `id` against such an [`Anchor`], with its identifier
//! checked against the anchored domain: an org signet by [`Signet::bind`], then the user signets
//! it issued by [`BoundSignet::bind_user`]. Nothing else in this crate hands out an identifier as
//! text, so code that needs "the signet of bob@example.net" takes a `BoundSignet` and cannot be
//! given an unanchored or lower-state signet by mistake:
//!
//! ```compile_fail,E0308
//! // A parsed (or merely validated) signet is not a binding.
//! fn encrypt_to(recipient: &dime_signet::BoundSignet) {}
//! let signet = dime_signet::Signet::parse(&[]).unwrap();
//! encrypt_to(&signet);
//! ```
//!
//! ```compile_fail,E0308
//! // Binding without an anchor does not compile: the anchor is not optional.
//! let signet = dime_signet::Signet::parse(&[]).unwrap();
//! let bound = signet.bind(None);
//! ```
//!
//! ```compile_fail,E0451
//! // Nor can a binding be made up from a signet and a name of one's choosing.
//! let signet = dime_signet::Signet::parse(&[]).unwrap();
//! let identifier = String::from("ceo@example.org");
//! let source = dime_signet::AnchorSource::Trusted;
//! let bound = dime_signet::BoundSignet { signet, identifier, source };
//! ```

use dime_core::Fingerprint;
use dime_core::keys::SigningPublicKey;

use crate::error::{Result, SignetError};
use crate::kind::{SignetKind, ids};
use crate::record::ManagementRecord;
use crate::signet::{FingerprintKind, Signet};
use crate::validate::{Context, SignetState};

/// Where an [`Anchor`]'s keys come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnchorSource {
    /// The `pok` values of the domain's `_dx` management record.
    Record,
    /// Keys the caller trusts for the domain by its own means (configured, pinned, issued).
    Trusted,
}

impl AnchorSource {
    /// A lower-case name (`record`, `trusted`).
    pub const fn name(self) -> &'static str {
        match self {
            AnchorSource::Record => "record",
            AnchorSource::Trusted => "trusted",
        }
    }
}

/// The primary organizational keys (POKs) trusted for one domain: what turns a signet's
/// signatures into a statement about an address.
#[derive(Debug, Clone, Copy)]
pub struct Anchor<'a> {
    domain: &'a str,
    poks: &'a [SigningPublicKey],
    source: AnchorSource,
}

impl<'a> Anchor<'a> {
    /// The POKs of `domain`'s management record (the `_dx.<domain>` TXT record).
    pub fn record(domain: &'a str, record: &'a ManagementRecord) -> Anchor<'a> {
        Anchor { domain, poks: record.poks(), source: AnchorSource::Record }
    }

    /// POKs the caller trusts for `domain` without a record: pinned or configured keys, or an
    /// organization's own key when it checks what it issued.
    pub fn trusted(domain: &'a str, poks: &'a [SigningPublicKey]) -> Anchor<'a> {
        Anchor { domain, poks, source: AnchorSource::Trusted }
    }

    /// The domain the keys are trusted for.
    pub fn domain(&self) -> &'a str {
        self.domain
    }

    /// The trusted POKs.
    pub fn poks(&self) -> &'a [SigningPublicKey] {
        self.poks
    }

    /// Where the keys come from.
    pub fn source(&self) -> AnchorSource {
        self.source
    }
}

/// A signet validated to `id` against an [`Anchor`]: an org signet bound to the anchored
/// domain ([`Signet::bind`]), or a user signet bound to an address in it through its bound
/// organization ([`BoundSignet::bind_user`]). Nothing else makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundSignet {
    signet: Signet,
    identifier: String,
    source: AnchorSource,
}

impl BoundSignet {
    /// The identifier the organization vouches for with its identifiable signature: the domain
    /// of an org signet, the address of a user signet.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The signet.
    pub fn signet(&self) -> &Signet {
        &self.signet
    }

    /// The signet, giving up the binding.
    pub fn into_signet(self) -> Signet {
        self.signet
    }

    /// Where the anchor's keys came from.
    pub fn anchor_source(&self) -> AnchorSource {
        self.source
    }

    /// The crypto fingerprint (up to the crypto signature: org field 4, user field 6), which
    /// message envelopes name. A bound signet is an org or user signet, so it always has one.
    pub fn crypto_fingerprint(&self) -> Fingerprint {
        self.signet.prefix_fingerprint(FingerprintKind::Crypto, self.signet.kind().crypto_signature_id())
    }

    /// The full fingerprint (up to the full signature, 253), which `MAIL FROM`, `RCPT TO` and
    /// `VRFY` name.
    pub fn full_fingerprint(&self) -> Fingerprint {
        self.signet.prefix_fingerprint(FingerprintKind::Full, ids::FULL_SIGNATURE)
    }

    /// The id fingerprint (the whole payload).
    pub fn id_fingerprint(&self) -> Fingerprint {
        self.signet.prefix_fingerprint(FingerprintKind::Id, ids::ID_SIGNATURE)
    }
}

impl AsRef<Signet> for BoundSignet {
    fn as_ref(&self) -> &Signet {
        &self.signet
    }
}

/// A bound signet is still a signet: keys, fingerprints and bytes read through.
impl core::ops::Deref for BoundSignet {
    type Target = Signet;

    fn deref(&self) -> &Signet {
        &self.signet
    }
}

/// Whether `identifier` belongs to `domain`: the domain itself for an org signet, an address
/// `local@domain` with a non-empty local part for a user signet (domains compared ignoring
/// ASCII case).
fn belongs(kind: SignetKind, identifier: &str, domain: &str) -> bool {
    match kind {
        SignetKind::Org => identifier.eq_ignore_ascii_case(domain),
        _ => identifier.rsplit_once('@').is_some_and(|(local, d)| !local.is_empty() && d.eq_ignore_ascii_case(domain)),
    }
}

/// Validates `signet` with `context` to `id` and binds it to its identifier, which must belong
/// to `domain`. A custody signature with no previous signet to check it against does not stop
/// the binding: custody is checked last, so everything else verified.
fn bind(signet: &Signet, context: &Context<'_>, domain: &str, source: AnchorSource) -> Result<BoundSignet> {
    let validation = signet.validate(context);
    let state = match (validation.state, &validation.problem) {
        (SignetState::BrokenCustody, Some(SignetError::CustodyWithoutPrevious)) => signet.structural_state().0,
        (state, _) => state,
    };
    if state != SignetState::Id {
        let cause = if state == validation.state { validation.problem.map(Box::new) } else { None };
        return Err(SignetError::NotBound { state, cause });
    }
    // `id` requires field 254, so it is present.
    let raw = signet.unverified_identifier().unwrap_or_default();
    let identifier = core::str::from_utf8(raw).map_err(|_| SignetError::IdentifierNotText)?;
    if !belongs(signet.kind(), identifier, domain) {
        return Err(SignetError::OutsideAnchor { identifier: identifier.to_string(), domain: domain.to_string() });
    }
    Ok(BoundSignet { signet: signet.clone(), identifier: identifier.to_string(), source })
}

impl Signet {
    /// Binds an organizational signet to the anchor's domain: its POK must be one of the
    /// anchor's keys, every signature up to 255 must verify with it (so the identifier is
    /// covered by a checked signature), and the identifier must be the anchor's domain
    /// (ignoring ASCII case).
    ///
    /// Errors: [`SignetError::WrongKind`] for a user signet or request (bind those with
    /// [`BoundSignet::bind_user`]), [`SignetError::NotBound`] (with the validation's reason)
    /// below `id`, [`SignetError::IdentifierNotText`], [`SignetError::OutsideAnchor`].
    pub fn bind(&self, anchor: &Anchor<'_>) -> Result<BoundSignet> {
        if self.kind() != SignetKind::Org {
            return Err(SignetError::WrongKind { expected: SignetKind::Org, found: self.kind() });
        }
        let context = Context { poks: Some(anchor.poks), org: None, previous: None };
        bind(self, &context, anchor.domain, anchor.source)
    }
}

impl BoundSignet {
    /// Binds `user`, a user signet issued by this (bound) organization, to its address: its own
    /// signature and every organizational signature up to 255 must verify (by the POK or a
    /// secondary key allowed to sign signets), and its identifier must be an address in this
    /// organization's domain. With `previous`, its custody signature must verify against it;
    /// without, a custody signature is not checked (the organization's signatures vouch for
    /// the binding; walking the history is the caller's choice).
    ///
    /// Errors: [`SignetError::WrongKind`] unless `self` is an org signet and `user` a user
    /// signet, [`SignetError::NotBound`] (with the validation's reason) below `id`,
    /// [`SignetError::IdentifierNotText`], [`SignetError::OutsideAnchor`].
    pub fn bind_user(&self, user: &Signet, previous: Option<&Signet>) -> Result<BoundSignet> {
        if self.signet.kind() != SignetKind::Org {
            return Err(SignetError::WrongKind { expected: SignetKind::Org, found: self.signet.kind() });
        }
        if user.kind() != SignetKind::User {
            return Err(SignetError::WrongKind { expected: SignetKind::User, found: user.kind() });
        }
        let poks: Vec<SigningPublicKey> = self.signet.signing_key().into_iter().collect();
        let context = Context { poks: Some(&poks), org: Some(&self.signet), previous };
        bind(user, &context, &self.identifier, self.source)
    }

    /// [`BoundSignet::bind_user`] for exactly `address`: the user signet must also be bound to
    /// that address (ignoring ASCII case), not merely to some address of this organization.
    /// This is how a client checks "the signet of bob@example.org" it was handed.
    ///
    /// Errors: those of [`BoundSignet::bind_user`], and [`SignetError::WrongIdentifier`] for a
    /// signet bound to another address.
    pub fn bind_address(&self, user: &Signet, address: &str, previous: Option<&Signet>) -> Result<BoundSignet> {
        let bound = self.bind_user(user, previous)?;
        if !bound.identifier.eq_ignore_ascii_case(address) {
            return Err(SignetError::WrongIdentifier { expected: address.to_string(), found: bound.identifier });
        }
        Ok(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_belong_to_their_domain() {
        assert!(belongs(SignetKind::Org, "Example.ORG", "example.org"));
        assert!(!belongs(SignetKind::Org, "sub.example.org", "example.org"));
        assert!(belongs(SignetKind::User, "alice@EXAMPLE.org", "example.org"));
        assert!(!belongs(SignetKind::User, "@example.org", "example.org"));
        assert!(!belongs(SignetKind::User, "example.org", "example.org"));
        assert!(!belongs(SignetKind::User, "alice@example.org.evil", "example.org"));
        assert!(!belongs(SignetKind::User, "alice@evil@example.net", "example.org"));
    }
}
