//! # dime-message
//!
//! The DIME encrypted message object, suite 2 of dime-rs (`docs/message-format.md`): the
//! libdime 2015 chunk structure with X25519, HKDF-SHA-512, AES-256-GCM, BLAKE3 chunk digests
//! and Ed25519.
//!
//! - The **author** composes one object per recipient ([`compose()`], [`compose_many`], or the
//!   streaming [`MessageWriter`]); every chunk has an author keyslot, so the author reopens it.
//! - The **origin** organization opens its view ([`Envelope::origin`]`(..).open(..)`), which verifies
//!   the author, and countersigns ([`OriginView::countersign`]).
//! - The **destination** organization opens its view ([`Envelope::destination`]`(..).open(..)`), which
//!   verifies the origin, and stores the object unchanged.
//! - Both servers can do the same in bounded memory while the object streams past
//!   ([`OriginVerifier`], [`Countersigner`], [`DestinationVerifier`]).
//! - The **recipient** opens everything ([`Envelope::recipient`]`(..).open(..)` or the streaming
//!   [`StreamOpener`]).
//!
//! The modules [`wire`], [`chunk`], [`tree`], [`segment`] and [`crypto`] are low-level: the
//! object's grammar and cryptography, public for tests, fuzzing and other implementations;
//! what callers need from them is re-exported at the crate root.
//!
//! Nothing here does I/O, and every random value comes from a [`RandomSource`]. With the
//! `parallel` feature (off by default; on in the `dime` facade), the per-chunk work of sealing
//! and opening (AES-GCM, BLAKE3 digests, keyslots) runs on rayon's thread pool; the bytes
//! produced are the same either way.
//!
//! ```
//! use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
//! use dime_message::*;
//! use dime_signet::issue;
//!
//! // Two organizations and a user in each.
//! let org = |domain: &str| -> Result<_, Box<dyn std::error::Error>> {
//!     let pok = SigningSecretKey::generate()?;
//!     let enc = EncryptionSecretKey::generate()?;
//!     let signet = issue::new_org_signet(&pok, &enc.public()?, domain)?;
//!     Ok((pok, enc, signet))
//! };
//! let user = |org: &(SigningSecretKey, EncryptionSecretKey, dime_signet::Signet), address: &str|
//!     -> Result<_, Box<dyn std::error::Error>> {
//!     let sign = SigningSecretKey::generate()?;
//!     let enc = EncryptionSecretKey::generate()?;
//!     let request = issue::new_request(&sign, &enc.public()?, None)?;
//!     let signet = issue::issue_user_signet(&request, None, &org.2, &org.0, address, &[])?;
//!     Ok((sign, enc, signet))
//! };
//! let origin = org("example.org")?;
//! let destination = org("example.net")?;
//! let alice = user(&origin, "alice@example.org")?;
//! let bob = user(&destination, "bob@example.net")?;
//!
//! let content = Content {
//!     headers: CommonHeaders {
//!         date: "Tue, 1 Apr 2025 10:00:00 +0000".into(),
//!         to: "bob@example.net".into(),
//!         from: "alice@example.org".into(),
//!         subject: "Hello".into(),
//!         ..CommonHeaders::default()
//!     },
//!     display: vec![Part::new("text/plain; charset=utf-8", None, b"Hi Bob".to_vec())?],
//!     ..Content::default()
//! };
//! let to = Addressing { author: &alice.2, origin: &origin.2, destination: &destination.2, recipient: &bob.2 };
//! let object = compose(&alice.0, &to, &content, &ComposeOptions::default(), &mut OsRandom)?;
//!
//! let limits = MessageLimits::default();
//! let relayed = Envelope::origin(&object, &limits, &origin.1)?
//!     .open(&alice.2)?
//!     .countersign(&origin.0)?;
//! let stored = Envelope::destination(&relayed, &limits, &destination.1)?
//!     .open(&origin.2)?;
//! assert_eq!(stored.envelope.recipient, "bob@example.net");
//! let opened = Envelope::recipient(&relayed, &limits, &bob.1)?
//!     .open(&bob.2, &alice.2, &origin.2)?;
//! assert_eq!(opened.display[0].data, b"Hi Bob");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod actor;
pub mod chunk;
pub mod compose;
pub mod crypto;
pub mod date;
pub mod error;
mod gcm;
pub mod hybrid;
pub mod inspect;
pub mod object_hash;
pub mod open;
mod par;
pub mod relay;
mod scan;
pub mod segment;
pub mod stream;
pub mod text;
pub mod tree;
pub mod wire;

pub use actor::Actor;
pub use compose::{Addressing, ComposeOptions, Content, SealedContent, compose, compose_hashed, compose_many};
#[cfg(feature = "test-vectors")]
pub use crypto::SeededRandom;
pub use crypto::{OsRandom, RandomSource};
pub use error::{MessageError, Result};
pub use hybrid::{ActorKeys, Kinds, PqPolicy, Protection};
pub use inspect::{ChunkSummary, inspect};
pub use object_hash::{HashedObject, ObjectHash};
pub use open::{DestinationView, Envelope, Opened, OriginView};
pub use relay::{Countersigner, DestinationVerifier, OriginVerifier, VerifiedOrigin};
pub use segment::{Part, PartInfo, PartKind};
pub use stream::{Event, MessageWriter, PartPlan, StreamOpener};

pub use text::{CommonHeaders, DestinationEnvelope, OriginEnvelope};
pub use wire::{Message, MessageLimits};
