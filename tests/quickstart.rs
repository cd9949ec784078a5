//! The quickstart flow (`examples/quickstart/flow.rs`, the same code `cargo run --example
//! quickstart` runs), checked actor by actor through the views it returns.

#[path = "../examples/quickstart/flow.rs"]
mod flow;

use std::sync::{Arc, Mutex};

use dime::core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime::message::{Actor, Addressing, ComposeOptions, Envelope, MessageError, MessageLimits, OsRandom, compose};
use dime::signet::{Context, Signet, SignetState, issue};
use flow::{ALICE, BOB, DESTINATION, FlowError, ORIGIN, Sight};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_actor_sees_exactly_its_part() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let report = flow::run(Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_string()))).await.unwrap();
    for line in lines.lock().unwrap().iter() {
        println!("{line}");
    }
    let sent = flow::letter().unwrap();

    // Both organisations published a record with a tls= pin, and their org signets validate
    // against it.
    let domains: Vec<&str> = report.organisations.iter().map(|o| o.domain.as_str()).collect();
    assert_eq!(domains, [ORIGIN, DESTINATION]);
    for org in &report.organisations {
        assert_eq!(org.record.tls().len(), 1, "{} pins its DX certificate", org.domain);
        let context = Context { poks: Some(org.record.poks()), ..Context::default() };
        assert_eq!(org.signet.validate(&context).state, SignetState::Id);
        assert_eq!(org.signet.unverified_identifier(), Some(org.domain.as_bytes()));
    }

    // The users' signets came from SSRs over DMAP and validate from DNS down.
    for (user, address) in [(&report.alice, ALICE), (&report.bob, BOB)] {
        assert_eq!(user.address, address);
        assert_eq!(user.signet.unverified_identifier(), Some(address.as_bytes()));
        assert_eq!(user.state, SignetState::Id);
    }

    // The author resolved bob through her server and submitted.
    assert_eq!(report.author.sent, sent);
    assert_eq!(report.author.recipient_state, SignetState::Id);
    assert!(!report.author.queue_id.is_empty());

    // The origin: the author and the destination domain; no recipient, subject or content.
    let origin = &report.origin;
    assert_eq!(origin.submitter, ALICE);
    assert_eq!(origin.sight.author.as_deref(), Some(ALICE));
    assert_eq!(origin.sight.destination.as_deref(), Some(DESTINATION));
    assert_eq!(origin.sight.recipient, None);
    assert_eq!(origin.sight.origin, None);
    assert_eq!(origin.sight.subject, None);
    assert_eq!(origin.sight.content_opened, 0);
    assert_eq!(origin.sight.content_chunks, sent.display.len() + sent.attachments.len());

    // The destination: the origin domain and the recipient; no author, subject or content.
    let destination = &report.destination;
    assert_eq!(destination.mail_from, ORIGIN);
    assert_eq!(destination.sight.origin.as_deref(), Some(ORIGIN));
    assert_eq!(destination.sight.recipient.as_deref(), Some(BOB));
    assert_eq!(destination.sight.author, None);
    assert_eq!(destination.sight.destination, None);
    assert_eq!(destination.sight.subject, None);
    assert_eq!(destination.sight.content_opened, 0);
    // The txid the origin got back is the one the destination answered.
    assert_eq!(origin.txid, destination.txid);
    // What the destination stored is the countersigned object, longer than what alice composed.
    assert!(destination.stored.len() > report.author.object_len);

    // The recipient: DMAP gave back the stored bytes, and everything opens and verifies.
    let bob = &report.recipient;
    assert_eq!(bob.fetched, bob.stored);
    assert_eq!(bob.fetched, destination.stored);
    assert!(bob.opened.countersigned, "the origin's signatures were verified");
    assert_eq!(bob.author_state, SignetState::Id);
    assert_eq!(bob.opened.headers, sent.headers);
    assert_eq!(bob.opened.headers.subject, "Quarterly numbers");
    assert_eq!(bob.opened.display, sent.display);
    assert_eq!(bob.opened.attachments, sent.attachments);
    assert_eq!(bob.opened.attachments[0].info.file_name.as_deref(), Some("numbers.csv"));
    assert_eq!(bob.opened.origin.author, ALICE);
    assert_eq!(bob.opened.destination.recipient, BOB);
    assert_eq!(bob.opened.destination.origin, ORIGIN);
    assert_eq!(bob.sight.subject.as_deref(), Some("Quarterly numbers"));
    assert_eq!(bob.sight.content_opened, bob.sight.content_chunks);

    // Alice's rotation keeps a chain of custody.
    assert_eq!(report.rotation.with_previous, SignetState::Id);
    assert_eq!(report.rotation.without_previous, SignetState::BrokenCustody);
}

/// No server hook blocks a thread (DMTP answers and DMAP signet lookups are awaited), so the
/// whole flow also runs on one thread.
#[tokio::test(flavor = "current_thread")]
async fn the_flow_runs_on_a_single_threaded_runtime() {
    let report = flow::run(Arc::new(|_: &str| {})).await.unwrap();
    assert_eq!(report.recipient.fetched, report.destination.stored);
    assert_eq!(report.author.recipient_state, SignetState::Id);
}

/// Keys and signets without any server: two organisations and a user in each.
struct Party {
    sign: SigningSecretKey,
    enc: EncryptionSecretKey,
    signet: Signet,
}

fn org(domain: &str) -> Party {
    let sign = SigningSecretKey::generate().unwrap();
    let enc = EncryptionSecretKey::generate().unwrap();
    let signet = issue::new_org_signet(&sign, &enc.public().unwrap(), domain).unwrap();
    Party { sign, enc, signet }
}

fn user(org: &Party, address: &str) -> Party {
    let sign = SigningSecretKey::generate().unwrap();
    let enc = EncryptionSecretKey::generate().unwrap();
    let request = issue::new_request(&sign, &enc.public().unwrap(), None).unwrap();
    let signet = issue::issue_user_signet(&request, None, &org.signet, &org.sign, address, &[]).unwrap();
    Party { sign, enc, signet }
}

#[test]
fn the_probe_reads_what_each_key_opens_and_stops_on_a_wrong_key() {
    let (origin, destination) = (org(ORIGIN), org(DESTINATION));
    let (alice, bob) = (user(&origin, ALICE), user(&destination, BOB));
    let to = Addressing {
        author: &alice.signet,
        origin: &origin.signet,
        destination: &destination.signet,
        recipient: &bob.signet,
    };
    let content = flow::letter().unwrap();
    let object = compose(&alice.sign, &to, &content, &ComposeOptions::default(), &mut OsRandom).unwrap();
    let sight = |actor, key: &EncryptionSecretKey| {
        Sight::of(&Envelope::for_actor(&object, &MessageLimits::default(), actor, key).unwrap())
    };
    let subject = Some(content.headers.subject.clone());
    let everything = Sight {
        author: Some(ALICE.into()),
        destination: Some(DESTINATION.into()),
        recipient: Some(BOB.into()),
        origin: Some(ORIGIN.into()),
        subject,
        content_opened: 2,
        content_chunks: 2,
    };
    assert_eq!(sight(Actor::Author, &alice.enc).unwrap(), everything);
    assert_eq!(sight(Actor::Recipient, &bob.enc).unwrap(), everything);
    assert_eq!(
        sight(Actor::Origin, &origin.enc).unwrap(),
        Sight {
            author: Some(ALICE.into()),
            destination: Some(DESTINATION.into()),
            content_chunks: 2,
            ..Sight::default()
        }
    );
    assert_eq!(
        sight(Actor::Destination, &destination.enc).unwrap(),
        Sight { recipient: Some(BOB.into()), origin: Some(ORIGIN.into()), content_chunks: 2, ..Sight::default() }
    );
    // A key that is not the actor's is an error, not "hidden".
    let error = sight(Actor::Origin, &destination.enc).unwrap_err();
    assert!(
        matches!(error, FlowError::Message(MessageError::KeyslotRejected { index: 1, actor: Actor::Origin })),
        "{error:?}"
    );
}
