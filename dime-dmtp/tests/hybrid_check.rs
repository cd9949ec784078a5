//! The destination's object check (`DestinationCheck`, fed from the server session's data
//! events) on a classical and on an all-hybrid object (decision D8): both pass with the
//! destination's keys, and a hybrid destination slot needs the destination's ML-KEM key.

use std::sync::Arc;
use std::time::Instant;

use dime_core::kem::KemSecretKey;
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_dmtp::DmtpError;
use dime_dmtp::object::{DestinationCheck, DestinationKeys, ObjectHasher};
use dime_dmtp::server::*;
use dime_message::{Addressing, ComposeOptions, Content, Envelope, MessageLimits, Part, SeededRandom, compose};
use dime_signet::record::HostName;
use dime_signet::{Anchor, BoundSignet, FingerprintKind, Signet, issue};

struct Party {
    sign: SigningSecretKey,
    enc: EncryptionSecretKey,
    kem: Option<KemSecretKey>,
    signet: Signet,
}

fn party(seed: u8, org: Option<&Party>, name: &str, hybrid: bool) -> Party {
    let sign = SigningSecretKey::from_seed(&[seed; 32]);
    let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
    let kem = hybrid.then(|| KemSecretKey::from_seed(&[seed; 64]));
    let ek = kem.as_ref().map(KemSecretKey::public);
    let signet = match org {
        None => issue::new_org_signet_with(&sign, &enc.public().unwrap(), ek, name).unwrap(),
        Some(org) => {
            let request = issue::new_request_with(&sign, &enc.public().unwrap(), ek, None).unwrap();
            issue::issue_user_signet(&request, None, &org.signet, &org.sign, name, &[]).unwrap()
        }
    };
    Party { sign, enc, kem, signet }
}

/// An org party's signet bound to `domain` through its own key.
fn bound(org: &Party, domain: &str) -> BoundSignet {
    org.signet.bind(&Anchor::trusted(domain, &[org.sign.public()])).unwrap()
}

/// A countersigned object from ivan@darkmail.info to ryan@lavabit.com, and the parties.
fn object(hybrid: bool) -> (Vec<u8>, Party, Party) {
    let origin = party(1, None, "darkmail.info", hybrid);
    let destination = party(2, None, "lavabit.com", hybrid);
    let author = party(3, Some(&origin), "ivan@darkmail.info", hybrid);
    let recipient = party(4, Some(&destination), "ryan@lavabit.com", hybrid);
    let to = Addressing {
        author: &author.signet,
        origin: &origin.signet,
        destination: &destination.signet,
        recipient: &recipient.signet,
    };
    let content = Content {
        display: vec![Part::new("text/plain; charset=utf-8", None, b"hello".to_vec()).unwrap()],
        ..Content::default()
    };
    let object =
        compose(&author.sign, &to, &content, &ComposeOptions::default(), &mut SeededRandom::new([5; 32])).unwrap();
    let keys = dime_message::ActorKeys { encryption: &origin.enc, kem: origin.kem.as_ref(), signet: None };
    let relayed = Envelope::origin(&object, &MessageLimits::default(), keys)
        .unwrap()
        .open(&author.signet)
        .unwrap()
        .countersign(&origin.sign)
        .unwrap();
    (relayed, origin, destination)
}

/// Delivers `object` to a sans-IO server session in 1,000-byte reads, feeding a
/// `DestinationCheck` from the session's data events, and returns the check with the message.
fn receive(object: &[u8], origin: &Signet) -> (DestinationCheck, ReceivedMessage) {
    let host = |name: &str| HostName::new(name).unwrap();
    let served = vec![ServedDomain { domain: host("lavabit.com"), fingerprints: vec![] }];
    let config = Arc::new(ServerConfig::new(host("dx.lavabit.com"), ListenMode::Native, served));
    let now = Instant::now();
    let fp = origin.fingerprint(FingerprintKind::Full).unwrap();
    let hash = ObjectHasher::hash(object);
    let size = object.len();
    let commands = format!(
        "EHLO <darkmail.info>\r\nMAIL FROM: <darkmail.info> [{fp}] SIZE={size}\r\nRCPT TO: <lavabit.com> [{fp}]\r\nDATA [{hash}]\r\n"
    );
    let mut session = ServerSession::new(config.clone(), now);
    session.tls_established(now).unwrap();
    let mut check = DestinationCheck::new(&config.limits);
    let mut received = None;
    let input = [commands.as_bytes(), object, b"\r\n"].concat();
    for mut piece in input.chunks(1000) {
        while !piece.is_empty() {
            let taken = session.enqueue_input(now, piece);
            piece = &piece[taken..];
            while session.poll_transmit().is_some() {}
            while let Some(event) = session.poll() {
                match event {
                    ServerEvent::MessageData { bytes } => check.feed(&bytes).unwrap(),
                    ServerEvent::MessageReceived(message) => received = Some(message),
                    ServerEvent::MessageAborted { failure } => panic!("aborted: {failure:?}"),
                    _ => {}
                }
            }
        }
    }
    (check, received.expect("no MessageReceived"))
}

#[test]
fn the_destination_check_reads_classical_and_hybrid_objects() {
    for hybrid in [false, true] {
        let (object, origin, destination) = object(hybrid);
        let (check, message) = receive(&object, &origin.signet);
        let origin = bound(&origin, "darkmail.info");
        let keys = DestinationKeys { secret: &destination.enc, kem: destination.kem.as_ref(), origin: &origin };
        let checked = check.finish(&message, &keys).unwrap();
        assert_eq!(checked.view().envelope.recipient, "ryan@lavabit.com", "hybrid {hybrid}");
    }
}

#[test]
fn a_hybrid_destination_slot_needs_the_ml_kem_key() {
    let (object, origin, destination) = object(true);
    let (check, message) = receive(&object, &origin.signet);
    let origin = bound(&origin, "darkmail.info");
    let keys = DestinationKeys { secret: &destination.enc, kem: None, origin: &origin };
    let reason = dime_message::MessageError::HybridKeyRequired { actor: dime_message::Actor::Destination }.to_string();
    assert_eq!(check.finish(&message, &keys).unwrap_err(), DmtpError::InvalidObject { reason });
}

#[test]
fn the_origin_signet_must_be_an_org_signet_bound_to_the_mail_from_domain() {
    let (object, origin, destination) = object(false);
    let (check, message) = receive(&object, &origin.signet);
    // Another domain's org signet over the same keys, bound to that domain: refused for what
    // it is bound to, before any fingerprint or signature is looked at.
    let other = issue::new_org_signet(&origin.sign, &origin.enc.public().unwrap(), "lavabit.com").unwrap();
    let other = bound(&Party { signet: other, ..party(1, None, "darkmail.info", false) }, "lavabit.com");
    let keys = DestinationKeys { secret: &destination.enc, kem: None, origin: &other };
    let reason = "the origin signet is bound to \"lavabit.com\", not to the MAIL FROM domain".to_string();
    assert_eq!(check.finish(&message, &keys).unwrap_err(), DmtpError::InvalidObject { reason });
    // A user signet bound to an address is not an origin either.
    let (check, message) = receive(&object, &origin.signet);
    let org = bound(&origin, "darkmail.info");
    let user = party(9, Some(&origin), "ivan@darkmail.info", false);
    let user = org.bind_address(&user.signet, "ivan@darkmail.info", None).unwrap();
    let keys = DestinationKeys { secret: &destination.enc, kem: None, origin: &user };
    let reason = "the origin signet is bound to \"ivan@darkmail.info\", not to the MAIL FROM domain".to_string();
    assert_eq!(check.finish(&message, &keys).unwrap_err(), DmtpError::InvalidObject { reason });
}
