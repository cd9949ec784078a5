//! # dime-core
//!
//! The building blocks every DIME crate shares, each written once: object headers
//! ([`header`]), the field TLV engine ([`field`]), ASCII armor with CRC-24 ([`armor`]), strict
//! base64 ([`base64`]), SHA-512 fingerprints ([`fingerprint`]), Ed25519/X25519/secp256k1 key
//! types ([`keys`]), ML-KEM-768 ([`kem`]) and explicit size [`limits`]. Nothing here does I/O.
//!
//! ```
//! use dime_core::{armor, header::{Header, Magic}, keys::SigningSecretKey, limits::ObjectLimits};
//!
//! let key = SigningSecretKey::from_seed(&[7; 32]);
//! let signature = key.sign(b"hello");
//! key.public().verify(b"hello", &signature)?;
//!
//! let object = Header::wrap(Magic::OrgKey, &[1, 2, 3])?;
//! let text = armor::encode(armor::Label::OrgKey, &object);
//! assert_eq!(armor::decode(&text, &ObjectLimits::default())?.data, object);
//! # Ok::<(), dime_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod armor;
pub mod base64;
pub mod codec;
pub mod error;
pub mod field;
pub mod fingerprint;
pub mod header;
pub mod kem;
pub mod keys;
pub mod limits;
pub mod stacie;

pub use error::{Error, Result};
pub use fingerprint::Fingerprint;
