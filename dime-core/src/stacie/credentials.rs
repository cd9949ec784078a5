//! The two sides of a STACIE account: what a server stores ([`Credentials`]) and what a client
//! derives from the password ([`ClientKeys`]).
//!
//! Login (decision D6): the server sends the salt, the bonus and a fresh nonce; the client
//! derives its keys and answers with [`ClientKeys::ephemeral_token`]; the server calls
//! [`Credentials::verify_login`], which compares in constant time and consumes the nonce.

use core::fmt;

use crate::error::{Error, Result};
use crate::keys::ct_eq;

use super::MAX_BONUS;
use super::derive::{
    self, EphemeralToken, MasterKey, PasswordKey, VerificationToken, ephemeral_token, verification_token,
};
use super::params::{Nonce, Password, Salt, Username};
use super::rounds::Rounds;

/// The keys a client derives from username, password, salt and bonus. The master and
/// password keys are wiped on drop.
pub struct ClientKeys {
    username: Vec<u8>,
    salt: Salt,
    rounds: Rounds,
    master: MasterKey,
    password_key: PasswordKey,
}

impl ClientKeys {
    /// Runs the full derivation: rounds, seed, master key, password key.
    ///
    /// Any bonus is accepted and clamped by the round rule (the server's stored bonus is at
    /// most [`MAX_BONUS`]). This is the expensive step: up to 2^24 rounds for a one-character
    /// password.
    pub fn derive(username: &Username<'_>, password: &Password<'_>, salt: &Salt, bonus: u32) -> ClientKeys {
        let rounds = Rounds::new(password, bonus);
        let seed = derive::seed(password, salt, rounds);
        let master = derive::master_key(&seed, username, password, salt, rounds);
        let password_key = derive::password_key(&master, username, password, salt, rounds);
        ClientKeys { username: username.as_bytes().to_vec(), salt: salt.clone(), rounds, master, password_key }
    }

    /// The round count used.
    pub fn rounds(&self) -> Rounds {
        self.rounds
    }

    /// The master key, root of the realm keys ([`super::RealmKey::derive`]).
    pub fn master_key(&self) -> &MasterKey {
        &self.master
    }

    /// The password key, which proves the password to the server (e.g. for a password change).
    pub fn password_key(&self) -> &PasswordKey {
        &self.password_key
    }

    /// The verification token the server stores for this password.
    pub fn verification_token(&self) -> VerificationToken {
        verification_token(&self.password_key, &self.username(), &self.salt)
    }

    /// The answer to a login challenge with `nonce`.
    pub fn ephemeral_token(&self, nonce: &Nonce) -> EphemeralToken {
        ephemeral_token(&self.verification_token(), &self.username(), &self.salt, nonce)
    }

    fn username(&self) -> Username<'_> {
        Username::from_checked(&self.username)
    }
}

impl fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKeys")
            .field("username", &self.username())
            .field("rounds", &self.rounds.get())
            .finish_non_exhaustive()
    }
}

/// What a server stores for one account: salt, bonus and verification token. It never holds
/// the password or the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    salt: Salt,
    bonus: u32,
    verification_token: VerificationToken,
}

impl Credentials {
    /// New credentials with a fresh random salt, and the client keys derived on the way.
    ///
    /// Errors: [`Error::StacieBonusTooLarge`] above [`MAX_BONUS`], [`Error::Randomness`].
    pub fn create(username: &Username<'_>, password: &Password<'_>, bonus: u32) -> Result<(Credentials, ClientKeys)> {
        check_bonus(bonus)?;
        Credentials::create_with_salt(username, password, Salt::generate()?, bonus)
    }

    /// New credentials with a given salt (e.g. one the server drew), and the client keys.
    ///
    /// Errors: [`Error::StacieBonusTooLarge`] above [`MAX_BONUS`].
    pub fn create_with_salt(
        username: &Username<'_>,
        password: &Password<'_>,
        salt: Salt,
        bonus: u32,
    ) -> Result<(Credentials, ClientKeys)> {
        check_bonus(bonus)?;
        let keys = ClientKeys::derive(username, password, &salt, bonus);
        let credentials = Credentials { verification_token: keys.verification_token(), salt, bonus };
        Ok((credentials, keys))
    }

    /// Credentials loaded from storage.
    ///
    /// Errors: [`Error::StacieBonusTooLarge`] above [`MAX_BONUS`].
    pub fn from_parts(salt: Salt, bonus: u32, verification_token: VerificationToken) -> Result<Credentials> {
        check_bonus(bonus)?;
        Ok(Credentials { salt, bonus, verification_token })
    }

    /// The salt sent to the client at login.
    pub fn salt(&self) -> &Salt {
        &self.salt
    }

    /// The bonus sent to the client at login.
    pub fn bonus(&self) -> u32 {
        self.bonus
    }

    /// The stored verification token.
    pub fn verification_token(&self) -> &VerificationToken {
        &self.verification_token
    }

    /// Checks a client's answer to the challenge with `nonce`, in constant time. The nonce is
    /// consumed: whatever the outcome it cannot be checked against again.
    ///
    /// Errors: [`Error::StacieTokenMismatch`].
    pub fn verify_login(&self, username: &Username<'_>, nonce: Nonce, token: &EphemeralToken) -> Result<()> {
        let expected = ephemeral_token(&self.verification_token, username, &self.salt, &nonce);
        if ct_eq(expected.as_bytes(), token.as_bytes()) { Ok(()) } else { Err(Error::StacieTokenMismatch) }
    }

    /// Checks that `password_key` belongs to the stored password (the proof a client gives
    /// before a password change), in constant time.
    ///
    /// Errors: [`Error::StacieTokenMismatch`].
    pub fn verify_password_key(&self, username: &Username<'_>, password_key: &PasswordKey) -> Result<()> {
        let expected = verification_token(password_key, username, &self.salt);
        if ct_eq(expected.as_bytes(), self.verification_token.as_bytes()) {
            Ok(())
        } else {
            Err(Error::StacieTokenMismatch)
        }
    }

    /// A shallow password change: same salt and bonus, new password. Returns the new
    /// credentials and client keys.
    ///
    /// Realm keys survive it only in the salt-keyed variant: store, for each realm,
    /// [`super::RealmKey::shard_for`] of the old realm key with the new master key.
    pub fn shallow_change(&self, username: &Username<'_>, new_password: &Password<'_>) -> (Credentials, ClientKeys) {
        let keys = ClientKeys::derive(username, new_password, &self.salt, self.bonus);
        let credentials =
            Credentials { salt: self.salt.clone(), bonus: self.bonus, verification_token: keys.verification_token() };
        (credentials, keys)
    }
}

fn check_bonus(bonus: u32) -> Result<()> {
    if bonus > MAX_BONUS {
        return Err(Error::StacieBonusTooLarge { bonus, max: MAX_BONUS });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "a passphrase long enough for 8 rounds";

    fn setup() -> (Username<'static>, Password<'static>) {
        (Username::new(b"bob@example.org").unwrap(), Password::new(PASSWORD.as_bytes()).unwrap())
    }

    #[test]
    fn login_round_trip_and_failures() {
        let (user, password) = setup();
        let (credentials, keys) = Credentials::create(&user, &password, 9).unwrap();
        assert_eq!(keys.rounds().get(), 11, "2^1 for a long password, plus the bonus");
        let nonce = Nonce::from_bytes([1; 128]);
        let token = keys.ephemeral_token(&nonce);
        assert_eq!(credentials.verify_login(&user, nonce, &token), Ok(()));

        // Same token, other nonce.
        assert_eq!(
            credentials.verify_login(&user, Nonce::from_bytes([2; 128]), &token),
            Err(Error::StacieTokenMismatch)
        );
        // Other username.
        let eve = Username::new(b"eve@example.org").unwrap();
        assert_eq!(
            credentials.verify_login(&eve, Nonce::from_bytes([1; 128]), &token),
            Err(Error::StacieTokenMismatch)
        );
        // Wrong password.
        let wrong = Password::new(b"not the passphrase at all, sorry").unwrap();
        let bad = ClientKeys::derive(&user, &wrong, credentials.salt(), credentials.bonus());
        assert_eq!(
            credentials.verify_login(
                &user,
                Nonce::from_bytes([1; 128]),
                &bad.ephemeral_token(&Nonce::from_bytes([1; 128]))
            ),
            Err(Error::StacieTokenMismatch)
        );
        assert_eq!(credentials.verify_password_key(&user, bad.password_key()), Err(Error::StacieTokenMismatch));
        assert_eq!(credentials.verify_password_key(&user, keys.password_key()), Ok(()));
    }

    #[test]
    fn bonus_limit() {
        let (user, password) = setup();
        let salt = Salt::from_bytes([0; 128]);
        assert_eq!(
            Credentials::create(&user, &password, MAX_BONUS + 1).err(),
            Some(Error::StacieBonusTooLarge { bonus: MAX_BONUS + 1, max: MAX_BONUS })
        );
        assert_eq!(
            Credentials::create_with_salt(&user, &password, salt.clone(), u32::MAX).err(),
            Some(Error::StacieBonusTooLarge { bonus: u32::MAX, max: MAX_BONUS })
        );
        assert_eq!(
            Credentials::from_parts(salt.clone(), MAX_BONUS + 1, VerificationToken::from_bytes([0; 64])),
            Err(Error::StacieBonusTooLarge { bonus: MAX_BONUS + 1, max: MAX_BONUS })
        );
        let stored = Credentials::from_parts(salt, MAX_BONUS, VerificationToken::from_bytes([0; 64])).unwrap();
        assert_eq!(stored.bonus(), MAX_BONUS);
    }

    #[test]
    fn shallow_change_keeps_salt_and_bonus() {
        let (user, password) = setup();
        let (old, old_keys) = Credentials::create(&user, &password, 2).unwrap();
        let new_password = Password::new(b"another passphrase, also quite long").unwrap();
        let (new, new_keys) = old.shallow_change(&user, &new_password);
        assert_eq!(new.salt(), old.salt());
        assert_eq!(new.bonus(), 2);
        assert_ne!(new.verification_token(), old.verification_token());
        assert_ne!(new_keys.master_key(), old_keys.master_key());
        assert_eq!(new.verify_password_key(&user, new_keys.password_key()), Ok(()));
    }

    #[test]
    fn debug_hides_secrets() {
        let (user, password) = setup();
        let (credentials, keys) = Credentials::create(&user, &password, 0).unwrap();
        let shown = format!("{keys:?}");
        assert_eq!(shown, "ClientKeys { username: Username(\"bob@example.org\"), rounds: 8, .. }");
        let shown = format!("{credentials:?}");
        assert!(shown.contains("VerificationToken(<redacted>)"), "{shown}");
    }
}
