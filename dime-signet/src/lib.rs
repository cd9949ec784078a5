//! # dime-signet
//!
//! Signets are DIME's certificates: signed bundles of an organization's or a user's public keys
//! and optional information. This crate builds, signs, parses, fingerprints and validates them
//! (organizational signets, user signets and signing requests), reads and writes key files, and
//! parses, writes and checks the `_dx` management record that anchors an organization's primary
//! key in DNS.
//!
//! Parsing ([`Signet::parse`]) checks structure only; [`Signet::validate`] checks every
//! signature and yields a [`SignetState`]. A state says which signatures verify, not whom the
//! signet belongs to: the address or domain a signet stands for comes only from
//! [`Signet::bind`] and [`BoundSignet::bind_user`], which validate to `id` against an
//! [`Anchor`] (the domain's management record or keys the caller trusts) and return a
//! [`BoundSignet`].
//!
//! ```
//! use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
//! use dime_signet::{issue, Anchor, Context, SignetState};
//!
//! // The organization, anchored by its POK.
//! let pok = SigningSecretKey::generate()?;
//! let org = issue::new_org_signet(&pok, &EncryptionSecretKey::generate()?.public()?, "example.org")?;
//!
//! // A user asks for a signet, the organization issues it.
//! let user_key = SigningSecretKey::generate()?;
//! let request = issue::new_request(&user_key, &EncryptionSecretKey::generate()?.public()?, None)?;
//! let user = issue::issue_user_signet(&request, None, &org, &pok, "alice@example.org", &[])?;
//!
//! let poks = [pok.public()];
//! let context = Context { poks: Some(&poks), org: Some(&org), previous: None };
//! assert_eq!(user.validate(&context).state, SignetState::Id);
//!
//! // Bound to its address, anchored on the organization's key.
//! let anchor = Anchor::trusted("example.org", &poks);
//! let bound_org = org.bind(&anchor)?;
//! assert_eq!(bound_org.bind_user(&user, None)?.identifier(), "alice@example.org");
//! # Ok::<(), dime_signet::SignetError>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod bind;
pub mod builder;
#[cfg(feature = "dns")]
pub mod dns;
pub mod error;
pub mod hybrid;
pub mod issue;
pub mod keyfile;
pub mod kind;
pub mod record;
pub mod signet;
pub mod sok;
pub mod validate;

pub use bind::{Anchor, AnchorSource, BoundSignet};
pub use builder::SignetBuilder;
pub use error::{Result, SignetError};
pub use keyfile::{KeyFile, KeyOwner};
pub use kind::{FieldSpec, Repeat, SignetKind, ids};
pub use record::{DnssecStatus, ManagementRecord, RecordError, RecordPolicy};
pub use signet::{FingerprintKind, ParseOptions, Signet, Split};
pub use sok::{Permissions, SecondaryKey};
pub use validate::{Context, SignetState, Validation, validate_bytes};
