//! The STACIE derivations: seed, master key, password key, verification token and ephemeral
//! login token.
//!
//! All concatenations are plain byte concatenations without lengths or separators:
//!
//! ```text
//! seed     = HMAC-SHA-512(key = salt, message = password repeated `rounds` times)
//! master   = K(seed)          password_key = K(master)
//! K(base)  : h_0 = SHA-512(base || username || salt || password || be24(0))
//!            h_i = SHA-512(h_(i-1) || base || username || salt || password || be24(i))
//!            result h_(rounds-1)
//! verification_token = T(password_key)
//! ephemeral_token    = T(verification_token, nonce)
//! T(base[, nonce]) : the same chain with `nonce` (or nothing) in place of the password and
//!                    always 8 rounds
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use super::params::{Nonce, Password, Salt, Username};
use super::rounds::Rounds;
use super::{KEY_LEN, TOKEN_ROUNDS};

secret_bytes!(
    /// The 64-byte seed extracted from the password with HMAC-SHA-512.
    Seed,
    KEY_LEN,
    "seed"
);

secret_bytes!(
    /// The 64-byte master key: the root of the user's realm keys. It never leaves the client.
    MasterKey,
    KEY_LEN,
    "master key"
);

secret_bytes!(
    /// The 64-byte password key: proves knowledge of the password (for a password change).
    PasswordKey,
    KEY_LEN,
    "password key"
);

secret_bytes!(
    /// The 64-byte verification token the server stores. Whoever holds it can answer login
    /// challenges, so it is kept as secret as a password hash.
    VerificationToken,
    KEY_LEN,
    "verification token"
);

secret_bytes!(
    /// The 64-byte single-use login token: the verification token bound to a server nonce.
    EphemeralToken,
    KEY_LEN,
    "ephemeral token"
);

/// Bytes of password fed to HMAC per update call, at most: whole copies of the password are
/// batched so short passwords do not cost one call per copy.
const SEED_BATCH: usize = 4096;

/// Extracts the seed: HMAC-SHA-512 keyed with the salt over `rounds` copies of the password,
/// streamed without building the repeated message.
pub fn seed(password: &Password<'_>, salt: &Salt, rounds: Rounds) -> Seed {
    let mut mac = <Hmac<Sha512> as KeyInit>::new(salt.as_bytes().into());
    let bytes = password.as_bytes();
    let copies_per_batch = SEED_BATCH.checked_div(bytes.len()).unwrap_or(1).max(1);
    let batch = Zeroizing::new(bytes.repeat(copies_per_batch));
    let copies = rounds.get() as usize;
    for _ in 0..copies / copies_per_batch {
        mac.update(&batch);
    }
    for _ in 0..copies % copies_per_batch {
        mac.update(bytes);
    }
    // The MAC output wipes itself on drop; copy from it without an intermediate array.
    let tag = mac.finalize();
    let mut out = Seed([0u8; KEY_LEN]);
    out.0.copy_from_slice(tag.as_bytes());
    out
}

/// The master key: `K(seed)`.
pub fn master_key(
    seed: &Seed,
    username: &Username<'_>,
    password: &Password<'_>,
    salt: &Salt,
    rounds: Rounds,
) -> MasterKey {
    let mut key = MasterKey([0; KEY_LEN]);
    key_chain(&seed.0, username, password, salt, rounds, &mut key.0);
    key
}

/// The password key: `K(master_key)`.
pub fn password_key(
    master: &MasterKey,
    username: &Username<'_>,
    password: &Password<'_>,
    salt: &Salt,
    rounds: Rounds,
) -> PasswordKey {
    let mut key = PasswordKey([0; KEY_LEN]);
    key_chain(&master.0, username, password, salt, rounds, &mut key.0);
    key
}

/// The verification token: `T(password_key)`, no nonce.
pub fn verification_token(password_key: &PasswordKey, username: &Username<'_>, salt: &Salt) -> VerificationToken {
    let mut token = VerificationToken([0; KEY_LEN]);
    chain(TOKEN_ROUNDS, &[&password_key.0, username.as_bytes(), salt.as_bytes()], &mut token.0);
    token
}

/// The ephemeral login token: `T(verification_token, nonce)`.
pub fn ephemeral_token(
    verification_token: &VerificationToken,
    username: &Username<'_>,
    salt: &Salt,
    nonce: &Nonce,
) -> EphemeralToken {
    let mut token = EphemeralToken([0; KEY_LEN]);
    chain(TOKEN_ROUNDS, &[&verification_token.0, username.as_bytes(), salt.as_bytes(), nonce.as_bytes()], &mut token.0);
    token
}

/// `K(base)`: the key chain over `base || username || salt || password`.
fn key_chain(
    base: &[u8; KEY_LEN],
    username: &Username<'_>,
    password: &Password<'_>,
    salt: &Salt,
    rounds: Rounds,
    out: &mut [u8; KEY_LEN],
) {
    chain(rounds.get(), &[base, username.as_bytes(), salt.as_bytes(), password.as_bytes()], out);
}

/// The hash chain shared by K and T: round `i` hashes `previous || fields || be24(i)`, where
/// round 0 has no previous hash. Writes the last hash to `out` (`rounds` is at least 1).
///
/// One buffer holds `previous || fields || counter`; each round overwrites the previous hash
/// and the counter in place and hashes the buffer with one update call, so the loop allocates
/// nothing and feeds SHA-512 whole blocks.
fn chain(rounds: u32, fields: &[&[u8]], out: &mut [u8; KEY_LEN]) {
    let body: usize = fields.iter().map(|field| field.len()).sum();
    let mut buffer = Zeroizing::new(Vec::with_capacity(KEY_LEN + body + 3));
    buffer.resize(KEY_LEN, 0);
    for field in fields {
        buffer.extend_from_slice(field);
    }
    buffer.extend_from_slice(&[0; 3]);

    for round in 0..rounds {
        let [_, high, middle, low] = round.to_be_bytes();
        if let Some(counter) = buffer.last_chunk_mut::<3>() {
            *counter = [high, middle, low];
        }
        let mut hasher = Sha512::new();
        if round == 0 {
            hasher.update(buffer.get(KEY_LEN..).unwrap_or_default());
        } else {
            hasher.update(buffer.as_slice());
        }
        if let Some(previous) = buffer.first_chunk_mut::<KEY_LEN>() {
            hasher.finalize_into(previous.into());
        }
    }

    if let Some(last) = buffer.first_chunk::<KEY_LEN>() {
        out.copy_from_slice(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain written out naively, one allocation per round, to check the buffered one.
    fn naive_chain(rounds: u32, fields: &[&[u8]]) -> Vec<u8> {
        let mut previous: Vec<u8> = Vec::new();
        for round in 0..rounds {
            let mut input = previous.clone();
            for field in fields {
                input.extend_from_slice(field);
            }
            input.extend_from_slice(&round.to_be_bytes()[1..]);
            previous = Sha512::digest(&input).to_vec();
        }
        previous
    }

    #[test]
    fn chain_matches_naive_form() {
        let fields: [&[u8]; 3] = [&[1; 64], b"user", &[2; 128]];
        for rounds in [1, 2, 8, 300] {
            let mut out = [0; KEY_LEN];
            chain(rounds, &fields, &mut out);
            assert_eq!(out.as_slice(), naive_chain(rounds, &fields).as_slice());
        }
    }

    #[test]
    fn rounds_prepend_previous_hash_and_append_counter() {
        let mut one = [0; KEY_LEN];
        chain(1, &[b"abc"], &mut one);
        let h0 = Sha512::digest(b"abc\0\0\0");
        assert_eq!(one.as_slice(), h0.as_slice());
        let mut two = [0; KEY_LEN];
        chain(2, &[b"abc"], &mut two);
        let mut input = h0.to_vec();
        input.extend_from_slice(b"abc\0\0\x01");
        assert_eq!(two.as_slice(), Sha512::digest(&input).as_slice());
    }

    #[test]
    fn seed_batches_like_one_long_message() {
        let salt = Salt::from_bytes([9; 128]);
        for text in ["A", "abc", &"z".repeat(30)] {
            let password = Password::new(text.as_bytes()).unwrap();
            let rounds = Rounds::new(&password, 5000);
            let message = text.repeat(rounds.get() as usize);
            let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(salt.as_bytes()).unwrap();
            mac.update(message.as_bytes());
            assert_eq!(seed(&password, &salt, rounds).as_bytes().as_slice(), mac.finalize().into_bytes().as_slice());
        }
    }

    #[test]
    fn debug_is_redacted_and_lengths_are_exact() {
        let key = MasterKey::from_bytes([0xAB; 64]);
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
        assert_eq!(
            MasterKey::from_slice(&[0; 63]),
            Err(crate::Error::StacieLength { what: "master key", len: 63, expected: 64 })
        );
        assert_eq!(
            EphemeralToken::from_slice(&[0; 65]),
            Err(crate::Error::StacieLength { what: "ephemeral token", len: 65, expected: 64 })
        );
        assert_eq!(
            VerificationToken::from_slice(&[]),
            Err(crate::Error::StacieLength { what: "verification token", len: 0, expected: 64 })
        );
        assert_eq!(EphemeralToken::from_slice(&[5; 64]).unwrap().as_bytes(), &[5; 64]);
    }
}
