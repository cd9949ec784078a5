//! Size-limited file reads, typed object reads, and all-or-nothing writes of new files.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use dime_core::Error as CoreError;
use dime_core::armor::{self, Label};
use dime_core::header::{Header, Magic};
use dime_core::limits::ObjectLimits;
use dime_signet::{KeyFile, KeyOwner, ParseOptions, Signet, SignetError, SignetKind};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Largest message object read or written, in bytes (64 MiB). Messages are handled in memory,
/// so the tool bounds them well below the format's 4 GiB.
pub const MAX_MESSAGE: usize = 64 << 20;

/// Largest signet, request or key file read: the armored form of the largest object.
pub fn object_limit() -> usize {
    let limits = ObjectLimits::default();
    limits.max_armor.max(limits.max_object)
}

/// Largest message file read: the armor of a [`MAX_MESSAGE`] object written with CRLF line
/// ends (bare base64 is smaller; binary is [`MAX_MESSAGE`]).
pub fn message_file_limit() -> usize {
    let base64 = MAX_MESSAGE.div_ceil(3) * 4;
    base64 + base64.div_ceil(armor::LINE_WIDTH) * 2 + 256
}

/// The limits a message object is parsed with.
pub fn message_limits() -> dime_message::MessageLimits {
    let mut limits = dime_message::MessageLimits::default();
    limits.max_object = MAX_MESSAGE as u64;
    limits
}

/// Reads a message file (armor, bare base64 or binary) into the object bytes. A file holding
/// another DIME object is named for what it holds.
pub fn read_message(path: &Path) -> Result<Vec<u8>, CliError> {
    let text = read_limited(path, message_file_limit())?;
    let mut limits = ObjectLimits::default();
    limits.max_object = MAX_MESSAGE;
    limits.max_armor = message_file_limit();
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

/// Writes every file, or none.
///
/// Without `force` an existing file (or link) is refused before anything is written, each file
/// is created exclusively, and when a write fails the files this call created are removed again.
///
/// With `force` nothing is opened at a target path: every file is first written in full to a new
/// temporary file in its target's directory ([`create_temporary`]), and only then renamed over
/// its target, so a symbolic link at a target is replaced, never followed. When a write fails
/// every temporary file is removed and no target is touched; when a rename fails (which needs a
/// target that is a directory, or a race), the files placed before it that did not exist before
/// are removed again, while those that replaced an older file stay replaced.
pub fn write_all(files: &[NewFile<'_>], force: bool) -> Result<(), CliError> {
    if force {
        return replace_all(files);
    }
    if let Some(existing) = files.iter().find(|f| f.path.symlink_metadata().is_ok()) {
        return Err(CliError::Exists { path: existing.path.clone() });
    }
    let mut created = 0;
    let result = files.iter().try_for_each(|file| {
        let handle = create_new(&file.path, file.secret).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => CliError::Exists { path: file.path.clone() },
            _ => CliError::Write { path: file.path.clone(), source },
        })?;
        created += 1;
        fill(handle, file)
    });
    if result.is_err() {
        for file in files.iter().take(created) {
            // Best effort: the error that matters is the one being returned.
            let _ = fs::remove_file(&file.path);
        }
    }
    result
}

/// The `--force` half of [`write_all`]: temporary files first, then renames.
fn replace_all(files: &[NewFile<'_>]) -> Result<(), CliError> {
    let mut staged: Vec<PathBuf> = Vec::with_capacity(files.len());
    let written = files.iter().try_for_each(|file| {
        let (temporary, handle) = create_temporary(&file.path, file.secret)?;
        staged.push(temporary);
        fill(handle, file)
    });
    if let Err(error) = written {
        for temporary in &staged {
            let _ = fs::remove_file(temporary);
        }
        return Err(error);
    }
    // Whether each target existed, asked before the first rename: only new files are removed
    // again when a later rename fails.
    let existed: Vec<bool> = files.iter().map(|f| f.path.symlink_metadata().is_ok()).collect();
    for (i, (file, temporary)) in files.iter().zip(&staged).enumerate() {
        if let Err(source) = fs::rename(temporary, &file.path) {
            for temporary in &staged[i..] {
                let _ = fs::remove_file(temporary);
            }
            for (placed, _) in files[..i].iter().zip(&existed).filter(|(_, existed)| !**existed) {
                let _ = fs::remove_file(&placed.path);
            }
            return Err(CliError::Write { path: file.path.clone(), source });
        }
    }
    Ok(())
}

/// Creates `path` exclusively: an existing file or link there (even a dangling one) is an
/// `AlreadyExists` error, never opened. Mode 0600 on unix for secrets, from the start.
fn create_new(path: &Path, secret: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    options.open(path)
}

/// Most names tried for one temporary file before giving up.
const TEMPORARY_TRIES: u32 = 64;

/// A new temporary file in the directory of `target`, named `.NAME.PID-N.tmp` after the
/// target's last component, created exclusively ([`create_new`]). Errors name the target.
fn create_temporary(target: &Path, secret: bool) -> Result<(PathBuf, File), CliError> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let write_error = |source| CliError::Write { path: target.to_path_buf(), source };
    let name = target
        .file_name()
        .ok_or_else(|| write_error(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")))?;
    let directory = target.parent().unwrap_or(Path::new(""));
    let mut last = None;
    for _ in 0..TEMPORARY_TRIES {
        let mut temporary = OsString::from(".");
        temporary.push(name);
        temporary.push(format!(".{}-{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let path = directory.join(temporary);
        match create_new(&path, secret) {
            Ok(handle) => return Ok((path, handle)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => last = Some(error),
            Err(error) => return Err(write_error(error)),
        }
    }
    Err(write_error(last.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into())))
}

/// Writes the contents and flushes them to disk.
fn fill(mut handle: File, file: &NewFile<'_>) -> Result<(), CliError> {
    let write_error = |source| CliError::Write { path: file.path.clone(), source };
    handle.write_all(file.contents).map_err(write_error)?;
    handle.sync_all().map_err(write_error)
}

/// Longest attachment file name kept, in bytes (most file systems' limit for one component).
pub const MAX_FILE_NAME: usize = 255;

/// The last component of `name` (after the last `/` or `\`) when it is a plain file name on
/// every platform, so that joined to a folder it names a file directly inside that folder:
/// not empty, `.` or `..`; no `:` (a Windows drive prefix such as `C:x`, or an NTFS stream such
/// as `x:stream`); no control character and none of `< > " | ? *`; not ending in `.` or a space
/// (Windows drops them); not a Windows device name (`CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`,
/// `LPT0`–`LPT9`, `CONIN$`, `CONOUT$`, in any case, with or without an extension); at most
/// [`MAX_FILE_NAME`] bytes. Anything else gives `None`. The same rules hold on every platform,
/// so a message saves under the same names everywhere.
pub fn safe_file_name(name: &str) -> Option<&str> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let forbidden = |c: char| c.is_control() || matches!(c, ':' | '<' | '>' | '"' | '|' | '?' | '*');
    let stem = last.split('.').next().unwrap_or(last).trim_end_matches(' ');
    let device = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].iter().any(|d| stem.eq_ignore_ascii_case(d))
        || (stem.len() == 4
            && ["COM", "LPT"].iter().any(|d| stem.get(..3).is_some_and(|s| s.eq_ignore_ascii_case(d)))
            && stem.as_bytes()[3].is_ascii_digit());
    let plain = !matches!(last, "" | "." | "..")
        && last.len() <= MAX_FILE_NAME
        && !last.contains(forbidden)
        && !last.ends_with(['.', ' '])
        && !device;
    // What the platform's own path rules make of it: exactly one plain component.
    let mut components = Path::new(last).components();
    let single = matches!(components.next(), Some(std::path::Component::Normal(_))) && components.next().is_none();
    (plain && single).then_some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_is_appended_not_replaced() {
        assert_eq!(with_extension(Path::new("out/acme.org"), "key"), PathBuf::from("out/acme.org.key"));
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dime-cli-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The names in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    /// `--force` replaces a symbolic link at the target with the new file: the file it points
    /// to, outside the output folder, keeps its contents and mode.
    #[cfg(unix)]
    #[test]
    fn force_replaces_a_link_and_never_writes_through_it() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = temp_dir("link");
        let outside = temp_dir("outside").join("victim");
        fs::write(&outside, "keep").unwrap();
        fs::set_permissions(&outside, fs::Permissions::from_mode(0o644)).unwrap();
        let out = dir.join("out");
        fs::create_dir(&out).unwrap();
        symlink(&outside, out.join("org.key")).unwrap();
        symlink(dir.join("nowhere"), out.join("org.signet")).unwrap();

        let files = [
            NewFile { path: out.join("org.key"), contents: b"secret", secret: true },
            NewFile { path: out.join("org.signet"), contents: b"public", secret: false },
        ];
        // Without --force a link, even a dangling one, is an existing file.
        assert!(matches!(write_all(&files, false), Err(CliError::Exists { path }) if path == out.join("org.key")));
        write_all(&files, true).unwrap();

        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");
        assert_eq!(fs::metadata(&outside).unwrap().permissions().mode() & 0o777, 0o644);
        assert!(!dir.join("nowhere").exists());
        for (name, contents) in [("org.key", "secret"), ("org.signet", "public")] {
            let path = out.join(name);
            assert!(path.symlink_metadata().unwrap().file_type().is_file(), "{name} is still a link");
            assert_eq!(fs::read_to_string(&path).unwrap(), contents);
        }
        assert_eq!(fs::metadata(out.join("org.key")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(listing(&out), ["org.key", "org.signet"]);
    }

    /// A failed `--force` leaves no temporary file, and removes a new file it had placed.
    #[test]
    fn failed_force_writes_leave_nothing_behind() {
        let dir = temp_dir("failed");
        fs::create_dir(dir.join("b")).unwrap();
        let files = [
            NewFile { path: dir.join("a"), contents: b"a", secret: false },
            NewFile { path: dir.join("b"), contents: b"b", secret: false },
        ];
        let error = write_all(&files, true).unwrap_err();
        assert!(matches!(&error, CliError::Write { path, .. } if *path == dir.join("b")), "{error:?}");
        assert_eq!(listing(&dir), ["b"]);
        // A folder that does not exist: the error names the target, not a temporary file.
        let missing = dir.join("missing").join("c");
        let files = [NewFile { path: missing.clone(), contents: b"c", secret: false }];
        let error = write_all(&files, true).unwrap_err();
        assert!(
            matches!(&error, CliError::Write { path, source } if *path == missing && source.kind() == std::io::ErrorKind::NotFound),
            "{error:?}"
        );
        assert_eq!(listing(&dir), ["b"]);
    }

    #[test]
    fn safe_file_names() {
        for (name, safe) in [
            ("report.pdf", Some("report.pdf")),
            ("dir/sub/report.pdf", Some("report.pdf")),
            ("dir\\report.pdf", Some("report.pdf")),
            ("C:report.pdf", None),
            ("C:", None),
            ("report.pdf:stream", None),
            ("report.pdf::$DATA", None),
            ("/", None),
            ("..", None),
            ("a/..", None),
            ("Aux.tar.gz", None),
            ("COM7", None),
            ("conout$", None),
            ("com", Some("com")),
            ("COM10", Some("COM10")),
            ("lpt", Some("lpt")),
            ("caf\u{e9}", Some("caf\u{e9}")),
            ("ab\u{e9}", Some("ab\u{e9}")),
            ("a\u{7f}", None),
            ("x.", None),
            ("x ", None),
            ("a*b", None),
        ] {
            assert_eq!(safe_file_name(name), safe, "{name:?}");
        }
        let long = "x".repeat(MAX_FILE_NAME);
        assert_eq!(safe_file_name(&long), Some(long.as_str()));
        assert_eq!(safe_file_name(&format!("{long}x")), None);
    }
}
