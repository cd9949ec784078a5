//! Hybrid keyslots (decision D8): ML-KEM-768 beside X25519 in the key-encryption keys.
//!
//! The ephemeral chunk body is `suite ‖ 0x40 ‖ E` (classical) or
//! `suite ‖ 0x48 ‖ kinds ‖ E ‖ c_X…` (hybrid): bit `actor − 1` of `kinds` (author 0x01, origin
//! 0x02, destination 0x04, recipient 0x08) says that actor's KEK has an ML-KEM part, and one
//! 1,088-byte ciphertext follows per set bit, in author, origin, destination, recipient order.
//!
//! | slot | ikm | info |
//! | --- | --- | --- |
//! | classical object | `s_X` | `"dime-rs/2 kek" ‖ actor ‖ E ‖ P_X` |
//! | classical slot of a hybrid object | `s_X` | `"dime-rs/2 kek" ‖ actor ‖ kinds ‖ E ‖ P_X` |
//! | hybrid slot | `k_X ‖ s_X` | `"dime-rs/2 hybrid kek" ‖ actor ‖ kinds ‖ E ‖ P_X ‖ c_X ‖ ek_X` |
//!
//! Each KEK is `HKDF-SHA-512(salt = none, ikm, info, 32)`; `s_X` is the X25519 secret (all-zero
//! refused), `k_X` the ML-KEM shared secret, `c_X` its ciphertext, `ek_X` the actor's
//! encapsulation key. Keyslots, chunk keys, digests and signatures are unchanged; the ephemeral
//! chunk's digest is in the tree like every chunk's, so `kinds` and every ciphertext are signed.

use dime_core::kem::{CIPHERTEXT_LEN, KemPublicKey, KemSecretKey};
use dime_core::keys::{EncryptionPublicKey, EncryptionSecretKey};
use dime_signet::{FingerprintKind, Signet};
use zeroize::Zeroizing;

use crate::actor::Actor;
use crate::crypto::{Kek, RandomSource, SUITE, decode_ephemeral, x25519_public};
use crate::error::{MessageError, Result};

/// Format byte of a hybrid ephemeral chunk (after the suite byte).
pub const HYBRID_FORMAT: u8 = 0x48;
/// Length of a hybrid ephemeral chunk body before its ciphertexts: `suite ‖ 0x48 ‖ kinds ‖ E`.
pub const HYBRID_FIXED_LEN: usize = 35;
/// HKDF label of a hybrid slot's KEK.
pub const HYBRID_LABEL: &[u8] = b"dime-rs/2 hybrid kek";
/// HKDF label of a classical slot's KEK (shared with classical objects).
pub const CLASSICAL_LABEL: &[u8] = b"dime-rs/2 kek";

/// Which actors' keyslots are hybrid: bit `actor − 1` (author 0x01 … recipient 0x08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Kinds(u8);

impl Kinds {
    /// A classical object: no hybrid slot.
    pub const NONE: Kinds = Kinds(0);
    /// Every actor hybrid.
    pub const ALL: Kinds = Kinds(0x0F);
    /// The two users (author and recipient), whose slots open the content.
    pub const CONTENT: Kinds = Kinds(0x09);

    /// The bit of `actor`.
    pub const fn bit(actor: Actor) -> u8 {
        1 << (actor.byte() - 1)
    }

    /// Kinds from its byte: 0 to 15 ([`MessageError::HybridKinds`] otherwise).
    pub fn from_byte(byte: u8) -> Result<Kinds> {
        if byte & 0xF0 != 0 {
            return Err(MessageError::HybridKinds { kinds: byte });
        }
        Ok(Kinds(byte))
    }

    /// The byte.
    pub const fn byte(self) -> u8 {
        self.0
    }

    /// Whether `actor`'s slot is hybrid.
    pub const fn has(self, actor: Actor) -> bool {
        self.0 & Kinds::bit(actor) != 0
    }

    /// Whether the object is hybrid (any bit set).
    pub const fn is_hybrid(self) -> bool {
        self.0 != 0
    }

    /// The number of hybrid slots, hence of ciphertexts.
    pub const fn count(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The protection this gives the message.
    pub const fn protection(self) -> Protection {
        if self.0 == Kinds::ALL.0 {
            Protection::Full
        } else if self.0 & Kinds::CONTENT.0 == Kinds::CONTENT.0 {
            Protection::Content
        } else {
            Protection::None
        }
    }
}

/// How much of a message resists an attacker who breaks X25519 ("harvest now, decrypt later").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protection {
    /// Some slot that opens the content is classical.
    None,
    /// The author's and the recipient's slots are hybrid: the content is post-quantum protected,
    /// an envelope the organizations read may not be.
    Content,
    /// Every slot is hybrid: fully post-quantum protected.
    Full,
}

impl Protection {
    /// The words tools show: `none`, `content`, `fully post-quantum protected`.
    pub const fn describe(self) -> &'static str {
        match self {
            Protection::None => "none",
            Protection::Content => "content",
            Protection::Full => "fully post-quantum protected",
        }
    }
}

impl core::fmt::Display for Protection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())
    }
}

/// When the composer writes hybrid keyslots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PqPolicy {
    /// Hybrid when both organizations can process hybrid objects (their signet or their
    /// member's is hybrid), each actor's slot hybrid iff its signet is; classical otherwise.
    #[default]
    Prefer,
    /// As `Prefer`, but the author's and the recipient's signets must be hybrid, so the content
    /// is post-quantum protected ([`MessageError::PostQuantumUnavailable`] otherwise).
    RequireContent,
    /// Every signet must be hybrid: fully post-quantum protected.
    Require,
    /// Always classical.
    Never,
}

impl PqPolicy {
    /// The kinds of an object whose parties' signets are hybrid as `hybrid` says (A, O, D, R).
    pub fn kinds(self, hybrid: [bool; 4]) -> Result<Kinds> {
        let all = Actor::ALL.iter().zip(hybrid).filter(|(_, h)| *h).fold(0, |k, (a, _)| k | Kinds::bit(*a));
        let missing = |needed: &[Actor]| needed.iter().copied().find(|a| !hybrid[*a as usize]);
        let required: &[Actor] = match self {
            PqPolicy::Never => return Ok(Kinds::NONE),
            PqPolicy::Prefer => &[],
            PqPolicy::RequireContent => &[Actor::Author, Actor::Recipient],
            PqPolicy::Require => &Actor::ALL,
        };
        if let Some(actor) = missing(required) {
            return Err(MessageError::PostQuantumUnavailable { actor });
        }
        let origin_side = hybrid[0] || hybrid[1];
        let destination_side = hybrid[2] || hybrid[3];
        Ok(if origin_side && destination_side { Kinds(all) } else { Kinds::NONE })
    }
}

/// The body of a hybrid ephemeral chunk, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HybridEphemeral<'a> {
    /// Which slots are hybrid.
    pub kinds: Kinds,
    /// The ephemeral X25519 public key.
    pub ephemeral: [u8; 32],
    ciphertexts: &'a [u8],
}

impl<'a> HybridEphemeral<'a> {
    /// Parses `suite ‖ 0x48 ‖ kinds ‖ E ‖ c…` exactly.
    pub fn parse(body: &'a [u8]) -> Result<HybridEphemeral<'a>> {
        let [suite, format, kinds, rest @ ..] = body else {
            return Err(MessageError::BadEphemeral);
        };
        if *suite != SUITE {
            return Err(MessageError::UnsupportedFormat("the ephemeral chunk names a suite other than 2"));
        }
        if *format != HYBRID_FORMAT {
            return Err(MessageError::BadEphemeral);
        }
        let kinds = Kinds::from_byte(*kinds)?;
        if !kinds.is_hybrid() {
            return Err(MessageError::HybridKinds { kinds: 0 });
        }
        let expected = hybrid_len(kinds);
        if body.len() != expected {
            return Err(MessageError::HybridLength { kinds: kinds.byte(), len: body.len(), expected });
        }
        let (e, ciphertexts) = rest.split_at(32);
        let mut ephemeral = [0u8; 32];
        ephemeral.copy_from_slice(e);
        Ok(HybridEphemeral { kinds, ephemeral, ciphertexts })
    }

    /// `actor`'s ciphertext, if its slot is hybrid.
    pub fn ciphertext(&self, actor: Actor) -> Option<&'a [u8]> {
        if !self.kinds.has(actor) {
            return None;
        }
        let before = Actor::ALL.iter().take_while(|a| **a != actor).filter(|a| self.kinds.has(**a)).count();
        self.ciphertexts.get(before * CIPHERTEXT_LEN..(before + 1) * CIPHERTEXT_LEN)
    }
}

/// The body length of a hybrid ephemeral chunk: `35 + 1088 × slots`.
pub const fn hybrid_len(kinds: Kinds) -> usize {
    HYBRID_FIXED_LEN + CIPHERTEXT_LEN * kinds.count()
}

/// Whether `len` is a possible ephemeral chunk body length: 34 (classical) or `35 + 1088 n`
/// for n = 1 to 4.
pub const fn is_ephemeral_len(len: usize) -> bool {
    len == crate::chunk::EPHEMERAL_LEN
        || (len > HYBRID_FIXED_LEN
            && (len - HYBRID_FIXED_LEN).is_multiple_of(CIPHERTEXT_LEN)
            && (len - HYBRID_FIXED_LEN) / CIPHERTEXT_LEN <= 4)
}

/// The KEK formula of a hybrid object (`message-format.md` §4.1), exposed for vectors and
/// independent checks: `x25519` is `s_X`; `kem` is `(k_X, c_X, ek_X)` for a hybrid slot, `None`
/// for a classical slot of a hybrid object.
pub fn kek_bytes(
    x25519: &[u8; 32],
    kem: Option<(&[u8; 32], &[u8], &KemPublicKey)>,
    actor: Actor,
    kinds: Kinds,
    ephemeral: &[u8; 32],
    public: &[u8; 32],
) -> Zeroizing<[u8; 32]> {
    let ids = [actor.byte(), kinds.byte()];
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA-512's output limit.
    match kem {
        Some((k, c, ek)) => {
            crate::crypto::hkdf(&[k, x25519], &[HYBRID_LABEL, &ids, ephemeral, public, c, ek.as_bytes()], out.as_mut())
        }
        None => crate::crypto::hkdf(&[x25519], &[CLASSICAL_LABEL, &ids, ephemeral, public], out.as_mut()),
    }
    out
}

/// What the author needs of one party: its X25519 key and its hybrid key, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartyKeys<'s> {
    pub x25519: [u8; 32],
    pub hybrid: Option<&'s KemPublicKey>,
}

/// The author's side: the ephemeral chunk body and the four KEKs (A, O, D, R). The ephemeral
/// secret is drawn first, then one ML-KEM randomness `m` per hybrid slot in actor order, so a
/// classical object draws exactly what it did before D8. The four agreements (and the
/// encapsulations) are independent and draw nothing, so they run in parallel with the `parallel`
/// feature; the bytes are the same either way.
pub(crate) fn author_keys(
    parties: [&PartyKeys<'_>; 4],
    policy: PqPolicy,
    rng: &mut dyn RandomSource,
) -> Result<(Vec<u8>, [Kek; 4])> {
    let ephemeral = EncryptionSecretKey::x25519_from_bytes(*rng.secret()?);
    let e = x25519_public(&ephemeral.public()?)?;
    let kinds = policy.kinds(parties.map(|p| p.hybrid.is_some()))?;
    // Each hybrid slot's randomness, drawn in actor order before any work is spread out.
    let mut slots = Vec::with_capacity(4);
    for (actor, party) in Actor::ALL.into_iter().zip(parties) {
        let kem = match party.hybrid.filter(|_| kinds.has(actor)) {
            Some(ek) => Some((ek, rng.secret()?)),
            None => None,
        };
        slots.push((actor, party, kem));
    }
    let derived = crate::par::map(&slots, |(actor, party, kem)| -> Result<(Kek, Option<Box<[u8; CIPHERTEXT_LEN]>>)> {
        if !kinds.is_hybrid() {
            return Ok((Kek::for_author(&ephemeral, &e, *actor, &party.x25519)?, None));
        }
        let shared = ephemeral.agree(&EncryptionPublicKey::X25519(party.x25519))?;
        Ok(match kem {
            Some((ek, m)) => {
                let (c, k) = ek.encapsulate_deterministic(m);
                let kek = Kek::new(&kek_bytes(&shared, Some((&k, c.as_ref(), ek)), *actor, kinds, &e, &party.x25519));
                (kek, Some(c))
            }
            None => (Kek::new(&kek_bytes(&shared, None, *actor, kinds, &e, &party.x25519)), None),
        })
    });
    let mut body = Vec::with_capacity(hybrid_len(kinds));
    body.push(SUITE);
    if kinds.is_hybrid() {
        body.extend_from_slice(&[HYBRID_FORMAT, kinds.byte()]);
        body.extend_from_slice(&e);
    } else {
        body.extend_from_slice(&EncryptionPublicKey::X25519(e).encode());
    }
    let mut keks = Vec::with_capacity(4);
    // The first failure in actor order, as when the agreements ran one after another.
    for result in derived {
        let (kek, ciphertext) = result?;
        if let Some(c) = ciphertext {
            body.extend_from_slice(c.as_ref());
        }
        keks.push(kek);
    }
    let keks: [Kek; 4] = keks.try_into().map_err(|_| MessageError::Input("four actors"))?;
    Ok((body, keks))
}

/// An actor's private keys for opening: the X25519 key, and for a hybrid actor its ML-KEM key and
/// (for the downgrade check) its current signet.
#[derive(Debug, Clone, Copy)]
pub struct ActorKeys<'k> {
    /// The X25519 encryption key.
    pub encryption: &'k EncryptionSecretKey,
    /// The ML-KEM-768 key, needed when the actor's slot is hybrid.
    pub kem: Option<&'k KemSecretKey>,
    /// The reader's current signet: when the envelope names it, it is hybrid and the author's
    /// signet is hybrid too, the reader's slot must be hybrid ([`MessageError::Downgrade`]).
    pub signet: Option<&'k Signet>,
}

impl<'k> From<&'k EncryptionSecretKey> for ActorKeys<'k> {
    fn from(encryption: &'k EncryptionSecretKey) -> ActorKeys<'k> {
        ActorKeys { encryption, kem: None, signet: None }
    }
}

impl<'k> From<&'k dime_signet::KeyFile> for ActorKeys<'k> {
    fn from(keys: &'k dime_signet::KeyFile) -> ActorKeys<'k> {
        ActorKeys { encryption: &keys.encryption, kem: keys.kem.as_ref(), signet: None }
    }
}

impl<'k> ActorKeys<'k> {
    /// The same keys with the reader's current signet, checked to carry the ML-KEM key given
    /// (or none when no ML-KEM key is given): [`MessageError::HybridKeyMismatch`] otherwise.
    pub fn with_signet(self, signet: &'k Signet) -> Result<ActorKeys<'k>> {
        if self.kem.map(KemSecretKey::public) != signet.hybrid_encryption_key() {
            return Err(MessageError::HybridKeyMismatch);
        }
        Ok(ActorKeys { signet: Some(signet), ..self })
    }
}

/// The reader's side: the KEK of `actor` and the object's kinds, from the ephemeral chunk body.
pub(crate) fn actor_kek(keys: &ActorKeys<'_>, actor: Actor, body: &[u8]) -> Result<(Kek, Kinds)> {
    if body.get(1) != Some(&HYBRID_FORMAT) {
        return Ok((Kek::for_actor(keys.encryption, actor, &decode_ephemeral(body)?)?, Kinds::NONE));
    }
    let parsed = HybridEphemeral::parse(body)?;
    let public = crate::crypto::own_x25519_public(keys.encryption)?;
    let shared = keys.encryption.agree(&EncryptionPublicKey::X25519(parsed.ephemeral))?;
    let kek = match parsed.ciphertext(actor) {
        Some(c) => {
            let kem = keys.kem.ok_or(MessageError::HybridKeyRequired { actor })?;
            let k = kem.decapsulate(c)?;
            Kek::new(&kek_bytes(&shared, Some((&k, c, kem.public())), actor, parsed.kinds, &parsed.ephemeral, &public))
        }
        None => Kek::new(&kek_bytes(&shared, None, actor, parsed.kinds, &parsed.ephemeral, &public)),
    };
    Ok((kek, parsed.kinds))
}

/// The downgrade rule (D8): when `named` (the reader's signet fingerprint the envelope names) is
/// the reader's hybrid signet and the author's signet is hybrid, the reader's slot must be
/// hybrid. A classical author signet, or an envelope naming another (older) signet of the
/// reader, is accepted and its protection reported.
pub(crate) fn check_downgrade(
    keys_signet: Option<&Signet>,
    actor: Actor,
    named: &dime_core::Fingerprint,
    author_hybrid: bool,
    kinds: Kinds,
) -> Result<()> {
    let Some(own) = keys_signet else {
        return Ok(());
    };
    let names_own = own.fingerprint(FingerprintKind::Crypto).as_ref() == Some(named);
    if names_own && own.is_hybrid() && author_hybrid && !kinds.has(actor) {
        return Err(MessageError::Downgrade { actor });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_decides_kinds() {
        let all = [true; 4];
        assert_eq!(PqPolicy::Prefer.kinds(all), Ok(Kinds::ALL));
        assert_eq!(PqPolicy::Never.kinds(all), Ok(Kinds::NONE));
        // Author and recipient hybrid, organizations classical: both sides can process it.
        assert_eq!(PqPolicy::Prefer.kinds([true, false, false, true]), Ok(Kinds(0x09)));
        // Only the origin side is hybrid: the destination cannot process hybrid objects.
        assert_eq!(PqPolicy::Prefer.kinds([true, true, false, false]), Ok(Kinds::NONE));
        assert_eq!(PqPolicy::Prefer.kinds([false, true, true, false]), Ok(Kinds(0x06)));
        assert_eq!(
            PqPolicy::RequireContent.kinds([false, true, true, true]),
            Err(MessageError::PostQuantumUnavailable { actor: Actor::Author })
        );
        assert_eq!(PqPolicy::RequireContent.kinds([true, false, false, true]), Ok(Kinds(0x09)));
        assert_eq!(
            PqPolicy::Require.kinds([true, true, false, true]),
            Err(MessageError::PostQuantumUnavailable { actor: Actor::Destination })
        );
        assert_eq!(PqPolicy::Never.kinds([false; 4]), Ok(Kinds::NONE));
    }

    #[test]
    fn kinds_and_protection() {
        assert_eq!(Kinds::from_byte(0x10), Err(MessageError::HybridKinds { kinds: 0x10 }));
        assert_eq!(Kinds::ALL.protection(), Protection::Full);
        assert_eq!(Kinds(0x0B).protection(), Protection::Content);
        assert_eq!(Kinds(0x07).protection(), Protection::None);
        assert_eq!(Kinds::NONE.protection(), Protection::None);
        assert!(Kinds(0x09).has(Actor::Recipient) && !Kinds(0x09).has(Actor::Origin));
    }

    #[test]
    fn ephemeral_lengths() {
        let ok: Vec<usize> = (0..5000).filter(|l| is_ephemeral_len(*l)).collect();
        assert_eq!(ok, [34, 1123, 2211, 3299, 4387]);
    }

    #[test]
    fn parse_rejects_each_malformed_body() {
        let mut body = vec![SUITE, HYBRID_FORMAT, 0x09];
        body.resize(hybrid_len(Kinds(0x09)), 7);
        assert_eq!(HybridEphemeral::parse(&body).unwrap().kinds, Kinds(0x09));
        let with = |i: usize, v: u8| {
            let mut b = body.clone();
            b[i] = v;
            HybridEphemeral::parse(&b).err()
        };
        assert_eq!(with(2, 0), Some(MessageError::HybridKinds { kinds: 0 }));
        assert_eq!(with(2, 0x19), Some(MessageError::HybridKinds { kinds: 0x19 }));
        assert_eq!(with(2, 0x0B), Some(MessageError::HybridLength { kinds: 0x0B, len: 2211, expected: 3299 }));
        assert_eq!(with(1, 0x49), Some(MessageError::BadEphemeral));
        assert!(matches!(with(0, 1), Some(MessageError::UnsupportedFormat(_))));
        assert_eq!(
            HybridEphemeral::parse(&body[..body.len() - 1]).err(),
            Some(MessageError::HybridLength { kinds: 0x09, len: 2210, expected: 2211 })
        );
        let parsed = HybridEphemeral::parse(&body).unwrap();
        assert_eq!(parsed.ciphertext(Actor::Origin), None);
        assert_eq!(parsed.ciphertext(Actor::Recipient).map(<[u8]>::len), Some(CIPHERTEXT_LEN));
    }
}
