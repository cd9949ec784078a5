//! The client's side of `KEYFILE STORE` and `KEYFILE FETCH`: the user's key file sealed in a
//! STACIE realm envelope (decision D6), so the server keeps it without being able to read it.
//!
//! The realm is [`REALM`] in the salt-keyed variant, so the key survives a shallow password
//! change once the client stores the shard [`dime_core::stacie::RealmKey::shard_for`] gives.

use dime_core::stacie::{ClientKeys, RealmKey, RealmLabel, RealmVariant, Salt, Shard, envelope};
use dime_signet::KeyFile;
use zeroize::Zeroizing;

use crate::error::Result;
use crate::store::KeyfileRecord;

/// The realm label of the key file.
pub const REALM: &str = "dmap-keyfile";
/// The envelope serial dime-rs writes (format version 1).
pub const SERIAL: u16 = 1;

/// Seals `keyfile` under a fresh shard: what the client sends with `KEYFILE STORE`.
///
/// Errors: [`dime_core::Error::Randomness`], the key file's encoding errors.
pub fn seal(keys: &ClientKeys, salt: &Salt, keyfile: &KeyFile) -> Result<KeyfileRecord> {
    let shard = Shard::generate()?;
    let realm = realm_key(keys, salt, &shard)?;
    let bytes = keyfile.to_bytes()?;
    let sealed = envelope::encrypt(&realm, SERIAL, &bytes)?;
    Ok(KeyfileRecord { shard: *shard.as_bytes(), envelope: sealed })
}

/// Opens a record fetched with `KEYFILE FETCH`.
///
/// Errors: [`dime_core::Error::StacieDecrypt`] for a wrong password or altered bytes, and the
/// key file's parse errors.
pub fn open(keys: &ClientKeys, salt: &Salt, record: &KeyfileRecord) -> Result<KeyFile> {
    let realm = realm_key(keys, salt, &Shard::from_bytes(record.shard))?;
    let opened = envelope::decrypt(&realm, &record.envelope)?;
    let bytes = Zeroizing::new(opened.data.to_vec());
    Ok(KeyFile::parse(&bytes)?)
}

fn realm_key(keys: &ClientKeys, salt: &Salt, shard: &Shard) -> Result<RealmKey> {
    let label = RealmLabel::new(REALM)?;
    Ok(RealmKey::derive(keys.master_key(), &label, shard, RealmVariant::SaltKeyed(salt)))
}
