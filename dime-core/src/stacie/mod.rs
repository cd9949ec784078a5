//! STACIE: Safely Turning Authentication Credentials Into Entropy.
//!
//! STACIE turns a username, a password and a per-user salt into a master key (which never
//! leaves the client), a password key (which proves the password for a password change), a
//! verification token (which the server stores) and, per login, an ephemeral token bound to a
//! fresh server nonce. From the master key it also derives per-realm keys that seal small
//! secrets (e.g. a key file) in realm envelopes the server can store but not read.
//!
//! The algorithm follows magma's C implementation, with the choices of decision D6 where the
//! references are loose; `docs/stacie.md` describes it normatively.
//!
//! | module | what |
//! | --- | --- |
//! | [`params`] | validated inputs: [`Username`], [`Password`], [`Salt`], [`Nonce`], [`Shard`] |
//! | [`ignorable`] | Unicode's Default_Ignorable_Code_Point table used to count password characters |
//! | [`rounds`] | the round rule ([`Rounds`]) |
//! | [`derive`](mod@derive) | the seed, master key, password key and tokens |
//! | [`realm`] | realm keys in both variants and their vector/tag/cipher split |
//! | [`envelope`] | the realm envelope: AES-256-GCM with a 16-byte IV and strict framing |
//! | [`credentials`] | what a server stores ([`Credentials`]) and what a client holds ([`ClientKeys`]) |
//!
//! Registration, a login and its check:
//!
//! ```
//! use dime_core::stacie::{ClientKeys, Credentials, Nonce, Password, Username};
//!
//! let username = Username::new(b"alice@example.org")?;
//! let password = Password::new("correct horse battery staple".as_bytes())?;
//!
//! // Registration: the server keeps `credentials` (salt, bonus, verification token).
//! let (credentials, _keys) = Credentials::create(&username, &password, 0)?;
//!
//! // Login: the server sends salt, bonus and a fresh nonce; the client answers with a token.
//! let nonce = Nonce::generate()?;
//! let keys = ClientKeys::derive(&username, &password, credentials.salt(), credentials.bonus());
//! let token = keys.ephemeral_token(&nonce);
//!
//! // The server checks the token in constant time; the nonce is spent either way.
//! credentials.verify_login(&username, nonce, &token)?;
//! # Ok::<(), dime_core::Error>(())
//! ```

/// Defines a fixed-size secret: wiped on drop, compared in constant time, never printed.
macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Takes ownership of raw bytes.
            pub fn from_bytes(bytes: [u8; $len]) -> Self {
                $name(bytes)
            }

            /// Copies exactly [`Self::LEN`] bytes.
            pub fn from_slice(bytes: &[u8]) -> $crate::error::Result<Self> {
                if bytes.len() != $len {
                    return Err($crate::error::Error::StacieLength {
                        what: $what,
                        len: bytes.len(),
                        expected: $len,
                    });
                }
                // Built in place so no unwiped copy is left on the stack.
                let mut out = $name([0u8; $len]);
                out.0.copy_from_slice(bytes);
                Ok(out)
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                $crate::keys::ct_eq(&self.0, &other.0)
            }
        }

        impl Eq for $name {}
    };
}

/// Defines a fixed-size public value (stored and sent in the clear): printed as base64.
macro_rules! public_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(PartialEq, Eq)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Takes ownership of raw bytes.
            pub fn from_bytes(bytes: [u8; $len]) -> Self {
                $name(bytes)
            }

            /// Copies exactly [`Self::LEN`] bytes.
            pub fn from_slice(bytes: &[u8]) -> $crate::error::Result<Self> {
                <[u8; $len]>::try_from(bytes).map($name).map_err(|_| {
                    $crate::error::Error::StacieLength {
                        what: $what,
                        len: bytes.len(),
                        expected: $len,
                    }
                })
            }

            /// Fresh bytes from the operating system's generator.
            pub fn generate() -> $crate::error::Result<Self> {
                Ok($name(*$crate::keys::random_secret::<$len>()?))
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(
                    f,
                    concat!(stringify!($name), "({})"),
                    $crate::base64::encode_unpadded(&self.0)
                )
            }
        }
    };
}

pub mod credentials;
pub mod derive;
pub mod envelope;
pub mod ignorable;
pub mod params;
pub mod realm;
pub mod rounds;

pub use credentials::{ClientKeys, Credentials};
pub use derive::{EphemeralToken, MasterKey, PasswordKey, Seed, VerificationToken};
pub use envelope::{Opened, RealmEnvelope};
pub use params::{Nonce, Password, Salt, Shard, Username};
pub use realm::{CipherKey, RealmKey, RealmLabel, RealmVariant, TagKey, VectorKey};
pub use rounds::Rounds;

/// Bytes of a user salt.
pub const SALT_LEN: usize = 128;
/// Bytes of a login nonce.
pub const NONCE_LEN: usize = 128;
/// Bytes of a realm shard.
pub const SHARD_LEN: usize = 64;
/// Bytes of every key and token (one SHA-512 output).
pub const KEY_LEN: usize = 64;
/// Fewest key rounds.
pub const MIN_ROUNDS: u32 = 8;
/// Most key rounds (2^24).
pub const MAX_ROUNDS: u32 = 1 << 24;
/// Largest bonus accepted when credentials are created (2^24).
pub const MAX_BONUS: u32 = 1 << 24;
/// Rounds of the token function.
pub const TOKEN_ROUNDS: u32 = 8;
/// Longest password accepted, in bytes (a dime-rs limit that bounds the work of one derivation).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Longest username accepted, in bytes (a dime-rs limit).
pub const MAX_USERNAME_LEN: usize = 1024;
