//! `dime message encrypt`, `open` and `inspect`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use dime_core::Fingerprint;
use dime_message::open::role;
use dime_message::{
    Actor, ActorKeys, Addressing, CommonHeaders, ComposeOptions, Content, DestinationEnvelope, Envelope, Message,
    MessageError, OriginEnvelope, OsRandom, Part, compose,
};
use dime_signet::{
    Anchor, BoundSignet, FingerprintKind, KeyFile, KeyOwner, ParseOptions, Signet, SignetError, SignetKind, SignetState,
};

use crate::Outcome;
use crate::address::Address;
use crate::cli::{EncryptArgs, MessageInspectArgs, OpenArgs, PartSpec};
use crate::error::CliError;
use crate::files::{
    MAX_MESSAGE, NewFile, message_file, message_limits, read_key_file, read_limited, read_message, read_signet,
    safe_file_name, write_all,
};
use crate::folder::{Located, SignetFolder};
use crate::headers::{mailbox_address, now, other_headers};
use crate::views::{View, layout_json, layout_text};

/// Content type of a body given without one.
const DEFAULT_BODY_TYPE: &str = "text/plain; charset=utf-8";
/// Content type of an attachment given without one.
const DEFAULT_ATTACHMENT_TYPE: &str = "application/octet-stream";

/// Where the signets of a message come from: the files named by options, else the folder of
/// `--signets`, read the first time a signet is not given as a file.
struct Signets<'a> {
    dir: Option<&'a Path>,
    folder: Option<SignetFolder>,
}

impl<'a> Signets<'a> {
    fn new(dir: Option<&'a Path>) -> Signets<'a> {
        Signets { dir, folder: None }
    }

    /// The signet of `role`: the file when one is given (it must be of `kind`), else what
    /// `lookup` finds in the folder.
    fn get(
        &mut self,
        role: Actor,
        kind: SignetKind,
        file: Option<&Path>,
        lookup: impl FnOnce(&SignetFolder) -> Result<Located, CliError>,
    ) -> Result<Located, CliError> {
        if let Some(path) = file {
            let options = ParseOptions::default();
            return Ok(Located { path: path.to_path_buf(), signet: read_signet(path, &options, Some(kind))? });
        }
        let dir = self.dir.ok_or(CliError::SignetMissing { role })?;
        let folder = match &mut self.folder {
            Some(folder) => folder,
            empty @ None => empty.insert(SignetFolder::read(dir)?),
        };
        lookup(folder)
    }

    /// The signet of `role` that the message names: crypto fingerprint `fingerprint` and
    /// identifier `identifier`. A file given must be that signet too.
    fn named(
        &mut self,
        role: Actor,
        kind: SignetKind,
        file: Option<&Path>,
        identifier: &str,
        fingerprint: &Fingerprint,
    ) -> Result<Located, CliError> {
        let is_named = |s: &Signet| {
            s.unverified_identifier() == Some(identifier.as_bytes())
                && s.fingerprint(FingerprintKind::Crypto).as_ref() == Some(fingerprint)
        };
        let wanted = format!("for {identifier} with crypto fingerprint {fingerprint}");
        let located = self.get(role, kind, file, |folder| folder.find(role, kind, &wanted, is_named))?;
        if !is_named(&located.signet) {
            return Err(CliError::SignetNotNamed { path: located.path, role, wanted });
        }
        Ok(located)
    }
}

/// The identifier a signet carries, as text, to look its organization up by. It is not yet an
/// address binding: that comes from [`bind_user`].
fn identifier(located: &Located, role: Actor) -> Result<&str, CliError> {
    let text = located.signet.unverified_identifier().and_then(|id| core::str::from_utf8(id).ok());
    text.ok_or_else(|| CliError::MessageRefused {
        path: located.path.clone(),
        source: MessageError::SignetIncomplete { role, what: "identifier" },
    })
}

/// The domain part of a user's identifier.
fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(_, domain)| domain)
}

/// Whether an organization signet's identifier is `domain` (ignoring case): a lookup only.
fn has_domain(signet: &Signet, domain: &str) -> bool {
    signet.unverified_identifier().is_some_and(|id| id.eq_ignore_ascii_case(domain.as_bytes()))
}

/// Whether a user signet's identifier is `address` (the domain ignoring case): a lookup only.
fn has_address(signet: &Signet, address: &Address) -> bool {
    let parsed = signet.unverified_identifier().and_then(|id| core::str::from_utf8(id).ok()).map(str::parse::<Address>);
    matches!(parsed, Some(Ok(found)) if found == *address)
}

/// The CLI error for a signet that does not bind for its role.
fn unbound(located: &Located, role: Actor, error: SignetError) -> CliError {
    let path = located.path.clone();
    match error {
        SignetError::NotBound { state, cause: Some(problem) } => {
            CliError::SignetRejected { path, role, state: state.name(), problem: *problem }
        }
        SignetError::NotBound { state, cause: None } => CliError::SignetUnbound { path, role, state: state.name() },
        SignetError::OutsideAnchor { identifier, domain } if located.signet.kind() == SignetKind::Org => {
            CliError::BoundElsewhere { path, role, bound: identifier, wanted: domain }
        }
        SignetError::OutsideAnchor { identifier, domain } => {
            CliError::ForeignSignet { path, role, address: identifier, domain }
        }
        problem => CliError::SignetRejected { path, role, state: SignetState::Invalid.name(), problem },
    }
}

/// Binds an organization's signet to `domain`. There is no DNS here: the organization signets
/// the user gives (files or the `--signets` folder) are the trust anchors, each trusted for its
/// own POK.
fn bind_org(org: &Located, role: Actor, domain: &str) -> Result<BoundSignet, CliError> {
    let poks: Vec<_> = org.signet.signing_key().into_iter().collect();
    org.signet.bind(&Anchor::trusted(domain, &poks)).map_err(|e| unbound(org, role, e))
}

/// Binds a user's signet to its address through its bound organization: valid to `id`, the
/// address in the organization's domain. A custody signature is not checked (no previous
/// signet is at hand).
fn bind_user(user: &Located, role: Actor, org: &BoundSignet) -> Result<BoundSignet, CliError> {
    org.bind_user(&user.signet, None).map_err(|e| unbound(user, role, e))
}

/// Reads a `--body` or `--attach` file into a part, spending its size from `budget`.
fn part(spec: &PartSpec, default_type: &str, attachment: bool, budget: &mut usize) -> Result<Part, CliError> {
    let path = spec.file.clone();
    let content_type = spec.content_type.as_deref().unwrap_or(default_type);
    let data = read_limited(&path, *budget).map_err(|error| match error {
        CliError::FileTooLarge { path, .. } => CliError::ContentTooLarge { path, limit: MAX_MESSAGE },
        other => other,
    })?;
    *budget -= data.len();
    if !attachment && content_type == DEFAULT_BODY_TYPE && core::str::from_utf8(&data).is_err() {
        return Err(CliError::NotUtf8 { path });
    }
    let name = attachment.then(|| path.file_name().map(|n| n.to_string_lossy().into_owned())).flatten();
    Part::new(content_type, name.as_deref(), data).map_err(|source| CliError::Part { path, source })
}

/// Composes and encrypts a message and writes it.
pub fn encrypt(args: &EncryptArgs) -> Result<Outcome, CliError> {
    let keys = read_key_file(&args.key, KeyOwner::User, "the author")?;
    let mut signets = Signets::new(args.signets.as_deref());
    let author = signets.get(Actor::Author, SignetKind::User, args.author.as_deref(), |folder| {
        let wanted = format!("with the keys of {}", args.key.display());
        folder.find(Actor::Author, SignetKind::User, &wanted, |s| keys.matches(s))
    })?;
    if !keys.matches(&author.signet) {
        return Err(CliError::KeyMismatch { key: args.key.clone(), signet: author.path, role: Actor::Author });
    }
    let origin_domain = domain_of(identifier(&author, Actor::Author)?).to_string();
    let origin = signets.get(Actor::Origin, SignetKind::Org, args.origin.as_deref(), |folder| {
        folder.find(Actor::Origin, SignetKind::Org, &format!("for {origin_domain}"), |s| has_domain(s, &origin_domain))
    })?;
    // The signet encrypted to must be bound to the address in --to, when --to holds one.
    let address = mailbox_address(&args.to);
    let recipient = signets.get(Actor::Recipient, SignetKind::User, args.recipient.as_deref(), |folder| {
        let address = address.as_ref().ok_or_else(|| CliError::NoRecipientAddress { text: args.to.clone() })?;
        folder.find(Actor::Recipient, SignetKind::User, &format!("for {address}"), |s| has_address(s, address))
    })?;
    let destination_domain = match &address {
        Some(address) => address.domain().as_str().to_string(),
        None => domain_of(identifier(&recipient, Actor::Recipient)?).to_string(),
    };
    let destination = signets.get(Actor::Destination, SignetKind::Org, args.destination.as_deref(), |folder| {
        let wanted = format!("for {destination_domain}");
        folder.find(Actor::Destination, SignetKind::Org, &wanted, |s| has_domain(s, &destination_domain))
    })?;
    let origin = bind_org(&origin, Actor::Origin, &origin_domain)?;
    let destination = bind_org(&destination, Actor::Destination, &destination_domain)?;
    let author = bind_user(&author, Actor::Author, &origin)?;
    let bound_recipient = bind_user(&recipient, Actor::Recipient, &destination)?;
    if let Some(address) = address.filter(|a| bound_recipient.identifier().parse::<Address>().ok().as_ref() != Some(a))
    {
        return Err(CliError::BoundElsewhere {
            path: recipient.path,
            role: Actor::Recipient,
            bound: bound_recipient.identifier().to_string(),
            wanted: address.to_string(),
        });
    }
    let recipient = bound_recipient;

    let mut budget = MAX_MESSAGE;
    let mut display = Vec::with_capacity(args.content.body.len());
    for spec in &args.content.body {
        display.push(part(spec, DEFAULT_BODY_TYPE, false, &mut budget)?);
    }
    let mut attachments = Vec::with_capacity(args.content.attach.len());
    for spec in &args.content.attach {
        attachments.push(part(spec, DEFAULT_ATTACHMENT_TYPE, true, &mut budget)?);
    }
    let date = match &args.date {
        Some(date) => date.clone(),
        None => now()?,
    };
    let content = Content {
        headers: CommonHeaders {
            date,
            to: args.to.clone(),
            cc: args.cc.clone(),
            from: args.from.clone(),
            organization: args.organization.clone(),
            subject: args.subject.clone(),
        },
        other_headers: other_headers(&args.header),
        display,
        attachments,
    };
    let to = Addressing { author: &author, origin: &origin, destination: &destination, recipient: &recipient };
    let mut options = ComposeOptions::default();
    options.pq = args.pq.into();
    let object = compose(&keys.signing, &to, &content, &options, &mut OsRandom).map_err(CliError::Compose)?;
    if object.len() > MAX_MESSAGE {
        return Err(CliError::MessageTooLarge { size: object.len(), limit: MAX_MESSAGE });
    }
    let contents = message_file(&object, args.binary);
    write_all(&[NewFile { path: args.out.clone(), contents: &contents, secret: false }], args.force)?;
    let mut stdout = String::new();
    for (role, bound) in [
        (Actor::Author, &author),
        (Actor::Origin, &origin),
        (Actor::Destination, &destination),
        (Actor::Recipient, &recipient),
    ] {
        stdout.push_str(&format!("{role}: {}\n", bound.identifier()));
    }
    stdout.push_str(&format!("bytes: {}\n", object.len()));
    Ok(Outcome::ok(stdout))
}

/// Refuses options the actor does not use, so that none is silently ignored.
fn check_options(args: &OpenArgs) -> Result<(), CliError> {
    let actor = args.actor;
    let reader = matches!(actor, Actor::Author | Actor::Recipient);
    if args.save_attachments.is_some() && !reader {
        return Err(CliError::OptionNotForActor { option: "--save-attachments", actors: "author or recipient" });
    }
    if args.countersign_out.is_some() && actor != Actor::Origin {
        return Err(CliError::OptionNotForActor { option: "--countersign-out", actors: "origin" });
    }
    if args.recipient.is_some() && actor != Actor::Recipient {
        return Err(CliError::OptionNotForActor { option: "--recipient", actors: "recipient" });
    }
    if args.author.is_some() && actor == Actor::Destination {
        return Err(CliError::OptionNotForActor { option: "--author", actors: "author, origin or recipient" });
    }
    Ok(())
}

/// The file names attachments are saved under: the last component of each file name when it is
/// a safe file name ([`safe_file_name`]), otherwise `attachment-N`, made unique (ignoring ASCII
/// case, as Windows and macOS compare names) with a `K-` prefix.
fn attachment_names(attachments: &[Part]) -> Vec<String> {
    let mut used = HashSet::new();
    attachments
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let base = part
                .info
                .file_name
                .as_deref()
                .and_then(safe_file_name)
                .map_or_else(|| format!("attachment-{}", i + 1), str::to_string);
            let mut name = base.clone();
            let mut k = 1;
            while !used.insert(name.to_ascii_lowercase()) {
                k += 1;
                name = format!("{k}-{base}");
            }
            name
        })
        .collect()
}

/// Who needs a key, in error texts.
fn role(actor: Actor) -> &'static str {
    match actor {
        Actor::Author => "the author",
        Actor::Origin => "the origin",
        Actor::Destination => "the destination",
        Actor::Recipient => "the recipient",
    }
}

/// Opens a message as one actor, verifies what it can and shows what it may read.
pub fn open(args: &OpenArgs) -> Result<Outcome, CliError> {
    check_options(args)?;
    let owner = if matches!(args.actor, Actor::Author | Actor::Recipient) { KeyOwner::User } else { KeyOwner::Org };
    let keys = read_key_file(&args.key, owner, role(args.actor))?;
    let bytes = read_message(&args.file)?;
    let envelope = Envelope::for_actor(&bytes, &message_limits(), args.actor, &keys)
        .map_err(|error| CliError::message(&args.file, error))?;
    let mut signets = Signets::new(args.signets.as_deref());
    let stdout = match args.actor {
        Actor::Author | Actor::Recipient => open_as_reader(args, &keys, &bytes, envelope, &mut signets)?,
        Actor::Origin => open_as_origin(args, &keys, envelope, &mut signets)?,
        Actor::Destination => open_as_destination(args, envelope, &mut signets)?,
    };
    Ok(Outcome::ok(stdout))
}

/// The error of the first decryption an actor makes, that of its envelope chunk: when that
/// keyslot does not open, nothing has shown the key to be right, so the key is reported rather
/// than the message.
fn first_decryption(args: &OpenArgs, error: MessageError) -> CliError {
    match error {
        MessageError::KeyslotRejected { .. } => {
            CliError::WrongKey { path: args.file.clone(), key: args.key.clone(), actor: args.actor }
        }
        other => CliError::message(&args.file, other),
    }
}

/// The author's signet: `--author`, or the one the origin envelope names.
fn named_author(args: &OpenArgs, signets: &mut Signets<'_>, envelope: &OriginEnvelope) -> Result<Located, CliError> {
    signets.named(Actor::Author, SignetKind::User, args.author.as_deref(), &envelope.author, &envelope.author_signet)
}

/// The origin's org signet, `--origin` or the one the destination envelope names, bound to the
/// origin domain the envelope names.
fn named_origin(
    args: &OpenArgs,
    signets: &mut Signets<'_>,
    envelope: &DestinationEnvelope,
) -> Result<(Located, BoundSignet), CliError> {
    let origin = signets.named(
        Actor::Origin,
        SignetKind::Org,
        args.origin.as_deref(),
        &envelope.origin,
        &envelope.origin_signet,
    )?;
    let bound = bind_org(&origin, Actor::Origin, &envelope.origin)?;
    Ok((origin, bound))
}

/// The author's or the recipient's view: every signature, everything decrypted, attachments
/// saved on request.
fn open_as_reader(
    args: &OpenArgs,
    keys: &KeyFile,
    bytes: &[u8],
    envelope: Envelope<'_>,
    signets: &mut Signets<'_>,
) -> Result<String, CliError> {
    let failed = |error| CliError::message(&args.file, error);
    let origin_envelope = envelope.origin_envelope().map_err(|e| first_decryption(args, e))?;
    let destination_envelope = envelope.destination_envelope().map_err(failed)?;
    let author = named_author(args, signets, &origin_envelope)?;
    // The author needs the origin's signet only to check a countersignature (or when given).
    let countersigned = envelope.message().is_countersigned();
    // The author address a recipient is shown is the one the author's signet is bound to.
    let origin = if args.actor == Actor::Recipient || countersigned || args.origin.is_some() {
        let (_, origin) = named_origin(args, signets, &destination_envelope)?;
        bind_user(&author, Actor::Author, &origin)?;
        Some(origin)
    } else {
        None
    };
    let opened = match &origin {
        Some(origin) if args.actor == Actor::Recipient => {
            let own = own_signet(args, keys, signets)?;
            // The downgrade check of D8 needs the reader's current signet: the own signet is that
            // when it carries the key file's ML-KEM key; an older one the message names is not.
            let current = ActorKeys::from(keys);
            let current = current.with_signet(&own.signet).unwrap_or(current);
            Envelope::recipient(bytes, &message_limits(), current)
                .and_then(|e| e.open(&own.signet, &author.signet, origin))
        }
        _ => envelope
            .into_role::<role::Author>()
            .and_then(|e| e.open(&author.signet, origin.as_deref().filter(|_| countersigned))),
    }
    .map_err(failed)?;
    let saved: Vec<Option<PathBuf>> = match &args.save_attachments {
        Some(dir) => attachment_names(&opened.attachments).iter().map(|name| Some(dir.join(name))).collect(),
        None => vec![None; opened.attachments.len()],
    };
    // Decrypted content is private: the files are created with mode 0600.
    let files: Vec<NewFile<'_>> = opened
        .attachments
        .iter()
        .zip(&saved)
        .filter_map(|(part, path)| {
            path.as_ref().map(|path| NewFile { path: path.clone(), contents: &part.data, secret: true })
        })
        .collect();
    write_all(&files, args.force)?;
    Ok(View::Full { actor: args.actor, opened: &opened, saved: &saved }.render(args.json))
}

/// The recipient's own signet: `--recipient`, else the user signet in the `--signets` folder
/// whose encryption key is the key file's. Either must have that key; the message must name it,
/// fingerprint and address (`docs/message-format.md` §8).
fn own_signet(args: &OpenArgs, keys: &KeyFile, signets: &mut Signets<'_>) -> Result<Located, CliError> {
    let public = keys.encryption.public().map_err(|e| CliError::message(&args.file, MessageError::Core(e)))?;
    let wanted = "whose encryption key is the key file's";
    let is_own = |s: &Signet| s.encryption_key() == Some(public);
    let own = signets.get(Actor::Recipient, SignetKind::User, args.recipient.as_deref(), |folder| {
        folder.find(Actor::Recipient, SignetKind::User, wanted, is_own)
    })?;
    if !is_own(&own.signet) {
        return Err(CliError::SignetNotNamed { path: own.path, role: Actor::Recipient, wanted: wanted.into() });
    }
    Ok(own)
}

/// The origin's view: the author's signatures checked against a signet its own organization
/// issued; with `--countersign-out`, the relayed message written.
fn open_as_origin(
    args: &OpenArgs,
    keys: &KeyFile,
    envelope: Envelope<'_>,
    signets: &mut Signets<'_>,
) -> Result<String, CliError> {
    let failed = |error| CliError::message(&args.file, error);
    let origin_envelope = envelope.origin_envelope().map_err(|e| first_decryption(args, e))?;
    let author = named_author(args, signets, &origin_envelope)?;
    // The message does not name the origin's signet: it is the one of the organization's key.
    let origin = signets.get(Actor::Origin, SignetKind::Org, args.origin.as_deref(), |folder| {
        let wanted = format!("with the keys of {}", args.key.display());
        folder.find(Actor::Origin, SignetKind::Org, &wanted, |s| keys.matches(s))
    })?;
    if !keys.matches(&origin.signet) {
        return Err(CliError::KeyMismatch { key: args.key.clone(), signet: origin.path, role: Actor::Origin });
    }
    // The organization's own signet, anchored on the key it holds, for the author's domain.
    let bound_origin = bind_org(&origin, Actor::Origin, domain_of(&origin_envelope.author))?;
    bind_user(&author, Actor::Author, &bound_origin)?;
    let view = envelope.into_role::<role::Origin>().and_then(|e| e.open(&author.signet)).map_err(failed)?;
    let relayed = match &args.countersign_out {
        Some(out) => {
            let object = view.countersign(&keys.signing).map_err(failed)?;
            let contents = message_file(&object, args.binary);
            write_all(&[NewFile { path: out.clone(), contents: &contents, secret: false }], args.force)?;
            Some(out.as_path())
        }
        None => None,
    };
    Ok(View::Origin { envelope: &view.envelope, tracing: view.tracing(), relayed }.render(args.json))
}

/// The destination's view: the origin's signatures over the whole message.
fn open_as_destination(args: &OpenArgs, envelope: Envelope<'_>, signets: &mut Signets<'_>) -> Result<String, CliError> {
    let destination_envelope = envelope.destination_envelope().map_err(|e| first_decryption(args, e))?;
    let (_, origin) = named_origin(args, signets, &destination_envelope)?;
    let view = envelope
        .into_role::<role::Destination>()
        .and_then(|e| e.open(&origin))
        .map_err(|e| CliError::message(&args.file, e))?;
    Ok(View::Destination { view: &view }.render(args.json))
}

/// Shows the chunk layout of a message, with no key.
pub fn inspect(args: &MessageInspectArgs) -> Result<Outcome, CliError> {
    let path = args.file.as_path();
    let bytes = read_message(path)?;
    let limits = message_limits();
    let message = Message::parse(&bytes, &limits).map_err(|e| CliError::message(path, e))?;
    let chunks = dime_message::inspect(&bytes, &limits).map_err(|e| CliError::message(path, e))?;
    let stdout =
        if args.json { format!("{:#}\n", layout_json(&message, &chunks)) } else { layout_text(&message, &chunks) };
    Ok(Outcome::ok(stdout))
}

#[cfg(test)]
mod tests {
    use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
    use dime_signet::issue;

    use super::*;

    /// An org signet for `domain` and its POK.
    fn org(domain: &str) -> (Located, SigningSecretKey) {
        let pok = SigningSecretKey::generate().unwrap();
        let signet = issue::new_org_signet(&pok, &EncryptionSecretKey::generate().unwrap().public().unwrap(), domain);
        (Located { path: format!("{domain}.signet").into(), signet: signet.unwrap() }, pok)
    }

    /// A user signet for `address` issued by `org`, rotating from `previous` when given; and the
    /// user's signing key.
    fn user(
        address: &str,
        org: &(Located, SigningSecretKey),
        previous: Option<&(Located, SigningSecretKey)>,
    ) -> (Located, SigningSecretKey) {
        let key = SigningSecretKey::generate().unwrap();
        let encryption = EncryptionSecretKey::generate().unwrap().public().unwrap();
        let request = issue::new_request(&key, &encryption, previous.map(|p| &p.1)).unwrap();
        let signet =
            issue::issue_user_signet(&request, previous.map(|p| &p.0.signet), &org.0.signet, &org.1, address, &[]);
        (Located { path: format!("{address}.signet").into(), signet: signet.unwrap() }, key)
    }

    #[test]
    fn signet_chains_are_bound_for_message_use() {
        let example = org("example.org");
        let alice = user("alice@example.org", &example, None);
        let bound = bind_org(&example.0, Actor::Origin, "example.org").unwrap();
        assert_eq!(bind_user(&alice.0, Actor::Author, &bound).unwrap().identifier(), "alice@example.org");

        // A rotated signet carries a custody signature that no previous signet confirms here:
        // bound, since a message relies on the organization's signatures, not the history.
        let rotated = user("alice@example.org", &example, Some(&alice));
        assert!(bind_user(&rotated.0, Actor::Author, &bound).is_ok());

        // Another organization's key did not sign it.
        let impostor = org("example.org");
        let bound_impostor = bind_org(&impostor.0, Actor::Origin, "example.org").unwrap();
        let error = bind_user(&alice.0, Actor::Author, &bound_impostor).unwrap_err();
        assert!(matches!(
            &error,
            CliError::SignetRejected {
                role: Actor::Author,
                state: "invalid",
                problem: SignetError::BadSignature { id: 6 },
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "alice@example.org.signet: the author signet is invalid: signature field 6 does not verify"
        );

        // An organization that signs for another domain's address.
        let other = org("example.net");
        let stray = user("bob@example.org", &other, None);
        let bound_other = bind_org(&other.0, Actor::Destination, "example.net").unwrap();
        let error = bind_user(&stray.0, Actor::Recipient, &bound_other).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bob@example.org.signet: the recipient bob@example.org is not in the domain example.net of its organization's signet"
        );
        assert_eq!(error.exit_code(), crate::error::EXIT_INVALID);

        // An org signet is bound to its own domain only.
        let error = bind_org(&example.0, Actor::Destination, "example.net").unwrap_err();
        assert_eq!(
            error.to_string(),
            "example.org.signet: the destination signet is bound to example.org, not to example.net"
        );

        // A user signet is no organization signet.
        let error = bind_org(&alice.0, Actor::Origin, "example.org").unwrap_err();
        assert!(matches!(error, CliError::SignetRejected { role: Actor::Origin, .. }));

        // A full signet (no identifier) stands for nobody.
        let full =
            Located { path: "full.signet".into(), signet: alice.0.signet.split(dime_signet::Split::Full).unwrap() };
        let error = bind_user(&full, Actor::Recipient, &bound).unwrap_err();
        assert_eq!(
            error.to_string(),
            "full.signet: the recipient signet is full, not id, so it is bound to no address or domain"
        );
        assert_eq!(error.exit_code(), crate::error::EXIT_INVALID);
    }

    fn attachment(name: Option<&str>) -> Part {
        Part::new("application/octet-stream", name, b"x".to_vec()).unwrap()
    }

    #[test]
    fn attachment_names_stay_inside_the_folder_and_are_unique() {
        let parts = [
            attachment(Some("report.pdf")),
            attachment(Some("../../etc/passwd")),
            attachment(Some("C:\\Windows\\evil.exe")),
            attachment(None),
            attachment(Some("..")),
            attachment(Some("report.pdf")),
            attachment(Some("dir/")),
            attachment(Some("2-report.pdf")),
        ];
        assert_eq!(
            attachment_names(&parts),
            [
                "report.pdf",
                "passwd",
                "evil.exe",
                "attachment-4",
                "attachment-5",
                "2-report.pdf",
                "attachment-7",
                "2-2-report.pdf",
            ]
        );
    }

    /// Names that stay inside the folder on Windows too: a drive prefix, an NTFS stream, a
    /// device name or a trailing dot would leave it or name something else there.
    #[test]
    fn attachment_names_are_plain_file_names_on_every_platform() {
        let names = [
            "C:evil.exe",
            "C:\\Windows\\evil.exe",
            "\\\\server\\share\\x",
            "notes.txt:hidden",
            "a:b",
            "CON",
            "nul.txt",
            "com1",
            "LPT9.log",
            "trailing.",
            "space ",
            "pipe|name",
            "what?.txt",
            "Report.PDF",
            "report.pdf",
            "console.txt",
        ];
        let parts: Vec<Part> = names.iter().map(|name| attachment(Some(name))).collect();
        assert_eq!(
            attachment_names(&parts),
            [
                "attachment-1",
                "evil.exe",
                "x",
                "attachment-4",
                "attachment-5",
                "attachment-6",
                "attachment-7",
                "attachment-8",
                "attachment-9",
                "attachment-10",
                "attachment-11",
                "attachment-12",
                "attachment-13",
                "Report.PDF",
                "2-report.pdf",
                "console.txt",
            ]
        );
        for name in attachment_names(&parts) {
            let joined = Path::new("out").join(&name);
            assert_eq!(joined.parent(), Some(Path::new("out")), "{name}");
        }
    }

    #[test]
    fn domains_and_identifiers() {
        assert_eq!(domain_of("alice@example.org"), "example.org");
        assert_eq!(domain_of("example.org"), "example.org");
    }
}
