//! Validation: the structural state of a signet and the signature checks that confirm it.

use core::fmt;

use dime_core::keys::{Signature, SigningPublicKey};

use crate::error::SignetError;
use crate::kind::{SignetKind, ids};
use crate::signet::{ParseOptions, Signet};
use crate::sok::Permissions;

/// What validation concluded, weakest first. Only [`SignetState::Ssr`] and above are usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignetState {
    /// The bytes are not a signet.
    Malformed,
    /// A stage's signature is present but a field it requires is missing, or no stage is complete.
    Incomplete,
    /// The chain of custody to the previous signet does not hold.
    BrokenCustody,
    /// A signature does not verify, or the signer is not authorized.
    Invalid,
    /// A signing request whose own signature (and custody, if any) verifies.
    Ssr,
    /// Valid up to the crypto signature (org 4, user 6).
    Crypto,
    /// Valid up to the full signature (253).
    Full,
    /// Valid up to the identifiable signature (255).
    Id,
}

impl SignetState {
    /// The lower-case word for the state (`malformed`, `incomplete`, `broken-custody`,
    /// `invalid`, `ssr`, `crypto`, `full`, `id`).
    pub const fn name(self) -> &'static str {
        match self {
            SignetState::Malformed => "malformed",
            SignetState::Incomplete => "incomplete",
            SignetState::BrokenCustody => "broken-custody",
            SignetState::Invalid => "invalid",
            SignetState::Ssr => "ssr",
            SignetState::Crypto => "crypto",
            SignetState::Full => "full",
            SignetState::Id => "id",
        }
    }

    /// Whether the signet may be used (`ssr` and above).
    pub fn is_valid(self) -> bool {
        self >= SignetState::Ssr
    }
}

impl fmt::Display for SignetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What validation may rely on besides the signet itself.
///
/// A state reached without `poks` says only that the signatures verify with the signet's own
/// keys: it vouches for no address or domain. Use [`Signet::bind`] with an
/// [`Anchor`](crate::Anchor) for that.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The `pok` values of the organization's management record. `None` checks an org signet
    /// against its own POK only (not anchored in DNS); `Some` demands that its POK is listed.
    pub poks: Option<&'a [SigningPublicKey]>,
    /// The organization's signet, needed to validate a user signet.
    pub org: Option<&'a Signet>,
    /// The previous user signet, for a signet or request that rotates keys.
    pub previous: Option<&'a Signet>,
}

/// The outcome of validation: the state reached and, below `ssr`, or when the state is lower
/// than the structure promised, the reason.
///
/// The state is about signatures. Whether the organization behind the signet is the one its
/// domain publishes is [`Validation::anchored`]; only a [`BoundSignet`](crate::BoundSignet)
/// stands for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validation {
    /// The state.
    pub state: SignetState,
    /// Whether the organization's key was checked against [`Context::poks`] (a management
    /// record's POKs or keys the caller trusts): the org signet itself, or a user signet's
    /// organization. `false` means the signatures are only consistent with each other: `Id`
    /// then says nothing about who holds the signet.
    pub anchored: bool,
    /// Why the state is not higher, when something failed.
    pub problem: Option<SignetError>,
}

impl Validation {
    fn ok(state: SignetState, anchored: bool) -> Validation {
        Validation { state, anchored, problem: None }
    }

    fn fail(state: SignetState, problem: SignetError) -> Validation {
        Validation { state, anchored: false, problem: Some(problem) }
    }
}

/// Parses and validates in one step: a parse failure is [`SignetState::Malformed`] with the
/// parse error as the problem.
pub fn validate_bytes(bytes: &[u8], options: &ParseOptions, context: &Context<'_>) -> Validation {
    match Signet::parse_with(bytes, options) {
        Ok(signet) => signet.validate(context),
        Err(error) => Validation::fail(SignetState::Malformed, error),
    }
}

impl Signet {
    /// The state the fields promise, before any signature is checked, and the id of the first
    /// missing required field when that makes the signet incomplete.
    pub fn structural_state(&self) -> (SignetState, Option<u8>) {
        let kind = self.kind();
        let stages: &[(u8, SignetState)] = match kind {
            SignetKind::Request => &[(ids::USER_SIGNATURE, SignetState::Ssr)],
            _ => &[
                (ids::ID_SIGNATURE, SignetState::Id),
                (ids::FULL_SIGNATURE, SignetState::Full),
                (kind.crypto_signature_id(), SignetState::Crypto),
            ],
        };
        for (signature, state) in stages {
            if self.has(*signature) {
                let missing = kind.fields().into_iter().find(|s| s.required && s.id < *signature && !self.has(s.id));
                return match missing {
                    Some(spec) => (SignetState::Incomplete, Some(spec.id)),
                    None => (*state, None),
                };
            }
        }
        let first_signature = stages.last().map_or(0, |(id, _)| *id);
        (SignetState::Incomplete, Some(first_signature))
    }

    /// Checks that signature field `id` verifies over the bytes before it with one of `keys`.
    fn verify_signature(&self, id: u8, keys: &[SigningPublicKey]) -> Result<(), SignetError> {
        let bad = SignetError::BadSignature { id };
        let message = self.signed_prefix(id).ok_or(SignetError::MissingField { id })?;
        let signature = self.field(id).and_then(|f| Signature::from_slice(f.data).ok()).ok_or(bad.clone())?;
        if keys.iter().any(|key| key.verify(message, &signature).is_ok()) { Ok(()) } else { Err(bad) }
    }

    /// Verifies each stage signature up to the one `state` promises.
    fn verify_stages(&self, state: SignetState, keys: &[SigningPublicKey]) -> Result<(), SignetError> {
        let stages = [
            (self.kind().crypto_signature_id(), SignetState::Crypto),
            (ids::FULL_SIGNATURE, SignetState::Full),
            (ids::ID_SIGNATURE, SignetState::Id),
        ];
        stages.iter().filter(|(_, s)| *s <= state).try_for_each(|(id, _)| self.verify_signature(*id, keys))
    }

    /// Checks field 4 against the previous signet's signing key.
    fn check_custody(&self, previous: Option<&Signet>) -> Result<(), SignetError> {
        match (self.has(ids::CUSTODY_SIGNATURE), previous) {
            (false, None) => Ok(()),
            (true, None) => Err(SignetError::CustodyWithoutPrevious),
            (false, Some(_)) => Err(SignetError::CustodyMissing),
            (true, Some(previous)) => {
                if previous.kind() != SignetKind::User {
                    return Err(SignetError::WrongKind { expected: SignetKind::User, found: previous.kind() });
                }
                let key = previous.signing_key().ok_or(SignetError::MissingField { id: ids::SIGNING_KEY })?;
                self.verify_signature(ids::CUSTODY_SIGNATURE, &[key]).map_err(|_| SignetError::CustodyBroken)
            }
        }
    }

    /// The keys allowed to sign user signets for the organization `org`: its POK and every
    /// secondary key with the signet permission.
    fn user_signers(org: &Signet) -> Vec<SigningPublicKey> {
        let soks = org.secondary_keys().iter().filter(|k| k.permissions.allows(Permissions::SIGNETS));
        org.signing_key().into_iter().chain(soks.map(|k| k.key)).collect()
    }

    /// Validates every signature the signet carries, including a user's own signature (5) and
    /// the chain-of-custody signature (4) against `context.previous`.
    ///
    /// The state is about signatures only; [`Signet::bind`] is what ties a signet to the
    /// address or domain in its identifier.
    pub fn validate(&self, context: &Context<'_>) -> Validation {
        let (state, missing) = self.structural_state();
        if state < SignetState::Ssr {
            let id = missing.unwrap_or(0);
            return Validation::fail(state, SignetError::MissingField { id });
        }
        let invalid = |e| Validation::fail(SignetState::Invalid, e);
        let Some(own_key) = self.signing_key() else {
            return invalid(SignetError::MissingField { id: ids::SIGNING_KEY });
        };
        match self.kind() {
            SignetKind::Org => {
                if context.poks.is_some_and(|poks| !poks.contains(&own_key)) {
                    return invalid(SignetError::PokNotInRecord);
                }
                if let Err(e) = self.verify_stages(state, &[own_key]) {
                    return invalid(e);
                }
            }
            SignetKind::User | SignetKind::Request => {
                if let Err(e) = self.verify_signature(ids::USER_SIGNATURE, &[own_key]) {
                    return invalid(e);
                }
                if self.kind() == SignetKind::User {
                    let Some(org) = context.org else {
                        return invalid(SignetError::OrgSignetRequired);
                    };
                    if org.kind() != SignetKind::Org {
                        return invalid(SignetError::WrongKind { expected: SignetKind::Org, found: org.kind() });
                    }
                    let org_context = Context { poks: context.poks, org: None, previous: None };
                    let org_validation = org.validate(&org_context);
                    if org_validation.state < SignetState::Crypto {
                        let reason =
                            org_validation.problem.map_or_else(|| org_validation.state.to_string(), |p| p.to_string());
                        return invalid(SignetError::OrgSignetInvalid(reason));
                    }
                    if let Err(e) = self.verify_stages(state, &Signet::user_signers(org)) {
                        return invalid(e);
                    }
                }
                if let Err(e) = self.check_custody(context.previous) {
                    return Validation::fail(SignetState::BrokenCustody, e);
                }
            }
        }
        // Requests are signed by their holder alone: nothing anchors them.
        let anchored = context.poks.is_some() && self.kind() != SignetKind::Request;
        Validation::ok(state, anchored)
    }
}
