//! Size-limited file reads, typed object reads, and all-or-nothing writes of new files.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use dime_core::Error as CoreError;
use dime_core::armor::{self, Label};
use dime_core::header::{Header, Magic};
use dime_core::limits::Limits;
use dime_signet::{KeyFile, KeyOwner, ParseOptions, Signet, SignetError, SignetKind};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Largest message object read or written, in bytes (64 MiB). Messages are handled in memory,
/// so the tool bounds them well below the format's 4 GiB.
pub const MAX_MESSAGE: usize = 64 << 20;

/// Largest signet, request or key file read: the armored form of the largest object.
pub fn object_limit() -> usize {
    let limits = Limits::default();
    limits.max_armor.max(limits.max_object)
}

/// Largest message file read: the armor of a [`MAX_MESSAGE`] object written with CRLF line
/// ends (bare base64 is smaller; binary is [`MAX_MESSAGE`]).
pub fn message_file_limit() -> usize {
    let base64 = MAX_MESSAGE.div_ceil(3) * 4;
    base64 + base64.div_ceil(armor::LINE_WIDTH) * 2 + 256
}

/// The limits a message object is parsed with.
pub fn message_limits() -> dime_message::Limits {
    dime_message::Limits { max_object: MAX_MESSAGE as u64, ..dime_message::Limits::default() }
}

/// Reads a message file (armor, bare base64 or binary) into the object bytes. A file holding
/// another DIME object is named for what it holds.
pub fn read_message(path: &Path) -> Result<Vec<u8>, CliError> {
    let text = read_limited(path, message_file_limit())?;
    let limits = Limits { max_object: MAX_MESSAGE, max_armor: message_file_limit(), ..Limits::default() };
    let (_, bytes) = armor::read_object(&text, &limits).map_err(|e| CliError::message(path, e.into()))?;
    match Header::peek(&bytes).map(|header| header.magic) {
        Ok(Magic::Message | Magic::Tracing) | Err(_) => Ok(bytes),
        Ok(other) => Err(CliError::WrongObject {
            path: path.to_path_buf(),
            expected: "an encrypted message",
            found: other.noun(),
        }),
    }
}

/// A message object as file contents: armored (`ENCRYPTED MESSAGE`), or the raw bytes.
pub fn message_file(object: &[u8], binary: bool) -> Vec<u8> {
    if binary { object.to_vec() } else { armor::encode(Label::EncryptedMessage, object).into_bytes() }
}

/// Reads at most `limit` bytes of `path` into `out`, refusing larger files.
fn read_into(path: &Path, limit: usize, out: &mut Vec<u8>) -> Result<(), CliError> {
    let read_error = |source| CliError::Read { path: path.to_path_buf(), source };
    let too_large = || CliError::FileTooLarge { path: path.to_path_buf(), limit };
    let file = File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if usize::try_from(size).map_or(true, |size| size > limit) {
        return Err(too_large());
    }
    // The size may change while reading (and is 0 for pipes): read one byte past the limit to
    // tell a file at the limit from a larger one.
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(cap).read_to_end(out).map_err(read_error)?;
    if out.len() > limit {
        return Err(too_large());
    }
    Ok(())
}

/// Reads a file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    read_into(path, limit, &mut out)?;
    Ok(out)
}

/// Reads a file that holds secrets into a buffer wiped on drop. The buffer is sized from the
/// file's length up front so that reading does not leave reallocated copies behind.
pub fn read_secret(path: &Path, limit: usize) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let hint = fs::metadata(path).map_or(0, |m| usize::try_from(m.len()).unwrap_or(0)).min(limit);
    let mut out = Zeroizing::new(Vec::with_capacity(hint.saturating_add(1)));
    read_into(path, limit, &mut out)?;
    Ok(out)
}

/// Reads a signet or request (armor, bare base64 or binary) and checks its kind when `expected`
/// is given.
pub fn read_signet(path: &Path, options: &ParseOptions, expected: Option<SignetKind>) -> Result<Signet, CliError> {
    let bytes = read_limited(path, object_limit())?;
    let signet = Signet::read(&bytes, options).map_err(|source| match &source {
        SignetError::Core(CoreError::WrongMagic { found, .. }) => CliError::WrongObject {
            path: path.to_path_buf(),
            expected: expected.map_or("a signet or signing request", kind_noun),
            found: found.noun(),
        },
        _ => CliError::Malformed { path: path.to_path_buf(), source },
    })?;
    match expected {
        Some(kind) if kind != signet.kind() => Err(CliError::WrongObject {
            path: path.to_path_buf(),
            expected: kind_noun(kind),
            found: kind_noun(signet.kind()),
        }),
        _ => Ok(signet),
    }
}

/// Reads a key file (armor, bare base64 or binary) that must belong to `owner`; `role` says who
/// needs it ("the recipient"), for the error when the file holds something else.
pub fn read_key_file(path: &Path, owner: KeyOwner, role: &'static str) -> Result<KeyFile, CliError> {
    let bytes = read_secret(path, object_limit())?;
    let keys = KeyFile::read(&bytes).map_err(|source| match &source {
        SignetError::Core(CoreError::WrongMagic { found, .. }) => {
            CliError::WrongKeyKind { path: path.to_path_buf(), role, expected: owner_noun(owner), found: found.noun() }
        }
        _ => CliError::Malformed { path: path.to_path_buf(), source },
    })?;
    if keys.owner != owner {
        return Err(CliError::WrongKeyKind {
            path: path.to_path_buf(),
            role,
            expected: owner_noun(owner),
            found: owner_noun(keys.owner),
        });
    }
    Ok(keys)
}

/// What a signet kind is called in messages.
fn kind_noun(kind: SignetKind) -> &'static str {
    match kind {
        SignetKind::Org => "an organizational signet",
        SignetKind::User => "a user signet",
        SignetKind::Request => "a signing request",
    }
}

/// What a key file is called in messages.
fn owner_noun(owner: KeyOwner) -> &'static str {
    match owner {
        KeyOwner::Org => "an organizational key file",
        KeyOwner::User => "a user key file",
    }
}

/// `prefix` with `extension` appended (`out/alice` + `key` gives `out/alice.key`).
pub fn with_extension(prefix: &Path, extension: &str) -> PathBuf {
    let mut name = OsString::from(prefix.as_os_str());
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// A file to write.
#[derive(Debug)]
pub struct NewFile<'a> {
    /// Where.
    pub path: PathBuf,
    /// What.
    pub contents: &'a [u8],
    /// Holds private keys: created with mode 0600 on unix.
    pub secret: bool,
}

/// Writes every file, or none: without `force` an existing file is refused before anything is
/// written, and when a write fails the files this call opened are removed again.
pub fn write_all(files: &[NewFile<'_>], force: bool) -> Result<(), CliError> {
    if !force {
        if let Some(existing) = files.iter().find(|f| f.path.symlink_metadata().is_ok()) {
            return Err(CliError::Exists { path: existing.path.clone() });
        }
    }
    let mut opened = 0;
    let result = files.iter().try_for_each(|file| {
        let handle = open(file, force)?;
        opened += 1;
        fill(handle, file)
    });
    if result.is_err() {
        for file in files.iter().take(opened) {
            // Best effort: the error that matters is the one being returned.
            let _ = fs::remove_file(&file.path);
        }
    }
    result
}

/// Creates `file` (or with `force` truncates it), mode 0600 on unix for secrets.
fn open(file: &NewFile<'_>, force: bool) -> Result<File, CliError> {
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if file.secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(&file.path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::Exists { path: file.path.clone() },
        _ => CliError::Write { path: file.path.clone(), source },
    })
}

/// Writes the contents and flushes them to disk.
fn fill(mut handle: File, file: &NewFile<'_>) -> Result<(), CliError> {
    let write_error = |source| CliError::Write { path: file.path.clone(), source };
    // A file replaced with --force keeps its old mode unless it is reset here.
    #[cfg(unix)]
    if file.secret {
        use std::os::unix::fs::PermissionsExt;
        handle.set_permissions(fs::Permissions::from_mode(0o600)).map_err(write_error)?;
    }
    handle.write_all(file.contents).map_err(write_error)?;
    handle.sync_all().map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_is_appended_not_replaced() {
        assert_eq!(with_extension(Path::new("out/acme.org"), "key"), PathBuf::from("out/acme.org.key"));
    }
}
