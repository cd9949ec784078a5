//! The `AUTHENTICATE STACIE` exchange (decision D6): the messages both sides send inside the
//! base64 continuations, the client's answer, and the decoy credentials a server shows for
//! users it does not know.
//!
//! ```text
//! C: tag AUTHENTICATE STACIE [SP base64(username)]      (initial response with SASL-IR)
//! S: "+ "                                               (only without initial response)
//! C: base64(username)
//! S: "+ " base64(salt[128] || be32(bonus) || nonce[128])
//! C: base64(ephemeral_token[64])
//! S: tag OK ... | tag NO [AUTHENTICATIONFAILED] Authentication failed
//! ```

use dime_core::stacie::{
    ClientKeys, Credentials, EphemeralToken, MAX_BONUS, Nonce, Password, Salt, Username, VerificationToken,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::error::{DmapError, Result};

/// The SASL mechanism name.
pub const MECHANISM: &str = "STACIE";
/// Bytes of the server's challenge: salt, bonus, nonce.
pub const CHALLENGE_LEN: usize = 128 + 4 + 128;
/// Bytes of the client's answer: one ephemeral token.
pub const TOKEN_LEN: usize = 64;

/// The server's challenge: the account's salt and bonus and a fresh nonce.
#[derive(Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The user's salt.
    pub salt: Salt,
    /// The user's bonus rounds.
    pub bonus: u32,
    /// The nonce of this login.
    pub nonce: Nonce,
}

impl Challenge {
    /// `salt || be32(bonus) || nonce`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(CHALLENGE_LEN);
        out.extend_from_slice(self.salt.as_bytes());
        out.extend_from_slice(&self.bonus.to_be_bytes());
        out.extend_from_slice(self.nonce.as_bytes());
        out
    }

    /// Reads a decoded challenge.
    ///
    /// Errors: [`DmapError::SaslLength`] unless exactly [`CHALLENGE_LEN`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Challenge> {
        let wrong = || DmapError::SaslLength { what: "challenge", len: bytes.len(), expected: CHALLENGE_LEN };
        let (salt, rest) = bytes.split_first_chunk::<128>().ok_or_else(wrong)?;
        let (bonus, nonce) = rest.split_first_chunk::<4>().ok_or_else(wrong)?;
        let nonce = <[u8; 128]>::try_from(nonce).map_err(|_| wrong())?;
        Ok(Challenge {
            salt: Salt::from_bytes(*salt),
            bonus: u32::from_be_bytes(*bonus),
            nonce: Nonce::from_bytes(nonce),
        })
    }

    /// The client's answer: derives the STACIE keys (the expensive step) and the ephemeral
    /// token for this nonce.
    pub fn answer(&self, username: &Username<'_>, password: &Password<'_>) -> EphemeralToken {
        ClientKeys::derive(username, password, &self.salt, self.bonus).ephemeral_token(&self.nonce)
    }
}

/// Reads the client's decoded answer.
///
/// Errors: [`DmapError::SaslLength`] unless exactly [`TOKEN_LEN`] bytes.
pub fn parse_token(bytes: &[u8]) -> Result<EphemeralToken> {
    EphemeralToken::from_slice(bytes).map_err(|_| DmapError::SaslLength {
        what: "token",
        len: bytes.len(),
        expected: TOKEN_LEN,
    })
}

/// A server secret from which decoy credentials for unknown users are derived, so that the
/// challenge for a name the server does not know looks like, and stays as stable as, the one
/// for a real account. Wiped on drop.
#[derive(Clone)]
pub struct DecoySecret(Zeroizing<[u8; 32]>);

impl core::fmt::Debug for DecoySecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DecoySecret(<redacted>)")
    }
}

impl DecoySecret {
    /// A fresh random secret. A server that restarts should load a stored one instead, or the
    /// decoy salt of a name changes across restarts while a real salt does not.
    ///
    /// Errors: [`dime_core::Error::Randomness`].
    pub fn generate() -> Result<DecoySecret> {
        Ok(DecoySecret(dime_core::keys::random_secret::<32>()?))
    }

    /// A secret from stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> DecoySecret {
        DecoySecret(Zeroizing::new(bytes))
    }

    /// The decoy credentials of `username`: `HMAC-SHA-512(secret, label || 0x00 || username)`
    /// gives the salt (two labels, one block each), the bonus (first 4 bytes, modulo
    /// `max_bonus + 1`, `max_bonus` capped at 2^24) and a verification token that no password
    /// is known to match.
    ///
    /// Errors: none in practice; the `Result` carries `dime-core`'s checks.
    pub fn credentials(&self, username: &[u8], max_bonus: u32) -> Result<Credentials> {
        let mut salt = [0u8; 128];
        let (first, second) = salt.split_at_mut(64);
        first.copy_from_slice(self.mac(b"DMAP decoy salt 1", username)?.as_slice());
        second.copy_from_slice(self.mac(b"DMAP decoy salt 2", username)?.as_slice());
        let bonus_bytes = self.mac(b"DMAP decoy bonus", username)?;
        let raw = bonus_bytes.first_chunk::<4>().map_or(0, |b| u32::from_be_bytes(*b));
        let bonus = raw % (max_bonus.min(MAX_BONUS) + 1);
        let token = VerificationToken::from_slice(self.mac(b"DMAP decoy token", username)?.as_slice())?;
        Ok(Credentials::from_parts(Salt::from_bytes(salt), bonus, token)?)
    }

    fn mac(&self, label: &[u8], username: &[u8]) -> Result<Zeroizing<[u8; 64]>> {
        let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(self.0.as_slice())
            .map_err(|_| dime_core::Error::StacieLength { what: "decoy secret", len: 32, expected: 32 })?;
        mac.update(label);
        mac.update(&[0]);
        mac.update(username);
        let mut out = Zeroizing::new([0u8; 64]);
        out.copy_from_slice(mac.finalize().into_bytes().as_slice());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_round_trip_and_lengths() {
        let challenge = Challenge { salt: Salt::from_bytes([1; 128]), bonus: 77, nonce: Nonce::from_bytes([2; 128]) };
        let bytes = challenge.to_bytes();
        assert_eq!(bytes.len(), CHALLENGE_LEN);
        assert_eq!(bytes[128..132], [0, 0, 0, 77]);
        assert_eq!(Challenge::parse(&bytes).unwrap(), challenge);
        assert_eq!(
            Challenge::parse(&bytes[1..]),
            Err(DmapError::SaslLength { what: "challenge", len: 259, expected: 260 })
        );
        assert_eq!(parse_token(&[0; 63]).err(), Some(DmapError::SaslLength { what: "token", len: 63, expected: 64 }));
        assert_eq!(parse_token(&[5; 64]).unwrap().as_bytes(), &[5; 64]);
    }

    #[test]
    fn decoys_are_stable_per_name_and_secret() {
        let secret = DecoySecret::from_bytes([9; 32]);
        let a = secret.credentials(b"ghost", 1000).unwrap();
        assert_eq!(a, secret.credentials(b"ghost", 1000).unwrap());
        assert_ne!(a.salt(), secret.credentials(b"ghosts", 1000).unwrap().salt());
        assert_ne!(a.salt(), DecoySecret::from_bytes([8; 32]).credentials(b"ghost", 1000).unwrap().salt());
        assert!(a.bonus() <= 1000);
        assert_eq!(secret.credentials(b"ghost", 0).unwrap().bonus(), 0);
        assert!(secret.credentials(b"ghost", u32::MAX).unwrap().bonus() <= MAX_BONUS);
        assert_eq!(format!("{secret:?}"), "DecoySecret(<redacted>)");
    }
}
