//! `dime key inspect`: what a key file is and which public keys it holds, never its secrets.

use core::fmt::Write as _;

use dime_core::armor;
use dime_core::base64;
use dime_core::header::{Header, Magic};
use dime_core::limits::ObjectLimits;
use dime_signet::{KeyFile, KeyOwner};
use serde_json::{Value, json};

use crate::Outcome;
use crate::cli::KeyInspectArgs;
use crate::error::CliError;
use crate::files::{object_limit, read_secret};

/// What `inspect` found: a plain key file with its public keys, or a sealed one.
enum Report {
    Plain(Box<KeyFile>),
    Sealed(KeyOwner),
}

impl Report {
    fn owner(&self) -> KeyOwner {
        match self {
            Report::Plain(keys) => keys.owner,
            Report::Sealed(owner) => *owner,
        }
    }

    fn json(&self) -> Value {
        let kind = owner_name(self.owner());
        match self {
            Report::Plain(keys) => {
                let encryption = keys.encryption.public().ok();
                json!({
                    "kind": kind,
                    "sealed": false,
                    "signing_key": keys.signing_public().to_base64(),
                    "encryption_key": encryption.as_ref().map(|key| base64::encode_unpadded(&key.encode())),
                    "encryption_algorithm": encryption.as_ref().map(|key| key.algorithm()),
                })
            }
            Report::Sealed(_) => json!({
                "kind": kind,
                "sealed": true,
                "signing_key": null,
                "encryption_key": null,
                "encryption_algorithm": null,
            }),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "kind: {}", owner_name(self.owner()));
        match self {
            Report::Plain(keys) => {
                out.push_str("sealed: no\n");
                let _ = writeln!(out, "signing key: {}", keys.signing_public().to_base64());
                match keys.encryption.public() {
                    Ok(key) => {
                        let _ = writeln!(
                            out,
                            "encryption key: {} ({})",
                            base64::encode_unpadded(&key.encode()),
                            key.algorithm()
                        );
                    }
                    Err(_) => out.push_str("encryption key: (not a valid key)\n"),
                }
            }
            Report::Sealed(_) => out.push_str("sealed: yes (the keys are encrypted; nothing more is shown)\n"),
        }
        out
    }
}

/// `org` or `user`, as `signet inspect` names kinds.
fn owner_name(owner: KeyOwner) -> &'static str {
    match owner {
        KeyOwner::Org => "org",
        KeyOwner::User => "user",
    }
}

/// Shows a key file's kind and public keys.
pub fn inspect(args: &KeyInspectArgs) -> Result<Outcome, CliError> {
    let bytes = read_secret(&args.file, object_limit())?;
    let malformed = |source: dime_core::Error| CliError::Malformed { path: args.file.clone(), source: source.into() };
    let (_, object) = armor::read_object(&bytes, &ObjectLimits::default()).map_err(malformed)?;
    let object = zeroize::Zeroizing::new(object);
    let report = match Header::peek(&object).map_err(malformed)?.magic {
        Magic::EncryptedOrgKey => Report::Sealed(KeyOwner::Org),
        Magic::EncryptedUserKey => Report::Sealed(KeyOwner::User),
        Magic::OrgKey | Magic::UserKey => Report::Plain(Box::new(
            KeyFile::parse(&object).map_err(|source| CliError::Malformed { path: args.file.clone(), source })?,
        )),
        other => {
            return Err(CliError::WrongObject { path: args.file.clone(), expected: "a key file", found: other.noun() });
        }
    };
    Ok(Outcome::ok(if args.json { format!("{:#}\n", report.json()) } else { report.text() }))
}
