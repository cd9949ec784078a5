//! The `--signets DIR` folder: its `*.signet` files, read once, and the lookup of one signet
//! per role.

use std::fs;
use std::path::{Path, PathBuf};

use dime_message::Actor;
use dime_signet::{ParseOptions, Signet, SignetKind};

use crate::error::CliError;
use crate::files::{object_limit, read_limited};

/// Most `*.signet` files a folder may hold.
pub const MAX_FOLDER_FILES: usize = 1024;
/// Most bytes the `*.signet` files of a folder may hold together.
pub const MAX_FOLDER_BYTES: usize = 64 << 20;

/// A signet and the file it came from (named in errors).
#[derive(Debug)]
pub struct Located {
    /// The file.
    pub path: PathBuf,
    /// The signet.
    pub signet: Signet,
}

/// The signets of a folder.
#[derive(Debug)]
pub struct SignetFolder {
    dir: PathBuf,
    signets: Vec<Located>,
}

impl SignetFolder {
    /// Reads every regular file of `dir` (not its subfolders) whose name ends in `.signet`, in
    /// name order. Each must parse strictly as a signet or signing request; other files, key
    /// files among them, are never opened.
    pub fn read(dir: &Path) -> Result<SignetFolder, CliError> {
        let read_error = |source| CliError::Read { path: dir.to_path_buf(), source };
        let too_large =
            || CliError::FolderTooLarge { dir: dir.to_path_buf(), files: MAX_FOLDER_FILES, bytes: MAX_FOLDER_BYTES };
        let mut paths = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.extension().is_some_and(|e| e == "signet") && path.is_file() {
                if paths.len() == MAX_FOLDER_FILES {
                    return Err(too_large());
                }
                paths.push(path);
            }
        }
        paths.sort();
        let options = ParseOptions::default();
        let mut budget = MAX_FOLDER_BYTES;
        let mut signets = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = match read_limited(&path, object_limit().min(budget)) {
                Err(CliError::FileTooLarge { .. }) if budget < object_limit() => return Err(too_large()),
                other => other?,
            };
            budget -= bytes.len();
            let signet =
                Signet::read(&bytes, &options).map_err(|source| CliError::Malformed { path: path.clone(), source })?;
            signets.push(Located { path, signet });
        }
        Ok(SignetFolder { dir: dir.to_path_buf(), signets })
    }

    /// The one signet of `kind` that `matches` accepts, for `role`. Byte-identical copies count
    /// once; two different signets are ambiguous. `wanted` describes the match in errors.
    pub fn find(
        &self,
        role: Actor,
        kind: SignetKind,
        wanted: &str,
        matches: impl Fn(&Signet) -> bool,
    ) -> Result<Located, CliError> {
        let mut found = self.signets.iter().filter(|l| l.signet.kind() == kind && matches(&l.signet));
        let first = found.next().ok_or_else(|| CliError::SignetNotFound {
            dir: self.dir.clone(),
            role,
            wanted: wanted.to_string(),
        })?;
        if let Some(other) = found.find(|l| l.signet.as_bytes() != first.signet.as_bytes()) {
            return Err(CliError::SignetAmbiguous {
                first: first.path.clone(),
                second: other.path.clone(),
                role,
                wanted: wanted.to_string(),
            });
        }
        Ok(Located { path: first.path.clone(), signet: first.signet.clone() })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
    use dime_signet::issue;

    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("dime-cli-folder-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn org(domain: &str) -> Signet {
        let pok = SigningSecretKey::generate().unwrap();
        issue::new_org_signet(&pok, &EncryptionSecretKey::generate().unwrap().public().unwrap(), domain).unwrap()
    }

    fn identifier_is(text: &'static str) -> impl Fn(&Signet) -> bool {
        move |s| s.unverified_identifier() == Some(text.as_bytes())
    }

    #[test]
    fn finds_one_signet_and_reads_only_signet_files() {
        let dir = temp_dir("find");
        let a = org("a.example");
        fs::write(dir.join("a.signet"), a.to_armor()).unwrap();
        fs::write(dir.join("copy.signet"), a.as_bytes()).unwrap();
        fs::write(dir.join("b.signet"), org("b.example").to_armor()).unwrap();
        fs::write(dir.join("notes.txt"), "not a signet").unwrap();
        fs::write(dir.join("org.key"), "not read either").unwrap();
        fs::create_dir(dir.join("sub.signet")).unwrap();
        let folder = SignetFolder::read(&dir).unwrap();

        let found = folder.find(Actor::Origin, SignetKind::Org, "for a.example", identifier_is("a.example")).unwrap();
        assert_eq!(found.path, dir.join("a.signet"));
        assert_eq!(found.signet.as_bytes(), a.as_bytes());

        let error = folder.find(Actor::Origin, SignetKind::User, "for a.example", identifier_is("a.example"));
        assert!(matches!(
            error,
            Err(CliError::SignetNotFound { role: Actor::Origin, ref wanted, .. }) if wanted == "for a.example"
        ));

        fs::write(dir.join("c.signet"), org("a.example").to_armor()).unwrap();
        let folder = SignetFolder::read(&dir).unwrap();
        let error = folder.find(Actor::Origin, SignetKind::Org, "for a.example", identifier_is("a.example"));
        assert!(matches!(
            error,
            Err(CliError::SignetAmbiguous { ref first, ref second, .. })
                if *first == dir.join("a.signet") && *second == dir.join("c.signet")
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_malformed_files_and_crowded_folders() {
        let dir = temp_dir("bad");
        fs::write(dir.join("bad.signet"), "-----BEGIN USER SIGNET-----\n").unwrap();
        let error = SignetFolder::read(&dir).unwrap_err();
        assert!(matches!(error, CliError::Malformed { ref path, .. } if *path == dir.join("bad.signet")));
        fs::remove_file(dir.join("bad.signet")).unwrap();

        for i in 0..=MAX_FOLDER_FILES {
            fs::write(dir.join(format!("{i}.signet")), "x").unwrap();
        }
        let error = SignetFolder::read(&dir).unwrap_err();
        assert!(matches!(error, CliError::FolderTooLarge { files: MAX_FOLDER_FILES, .. }));
        let _ = fs::remove_dir_all(&dir);

        let missing = temp_dir("missing").join("nowhere");
        assert!(matches!(SignetFolder::read(&missing), Err(CliError::Read { ref path, .. }) if *path == missing));
    }
}
