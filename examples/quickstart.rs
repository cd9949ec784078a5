//! The DIME quickstart: what a newcomer runs first.
//!
//! Two organizations publish their keys, issue signets to their users, and a third party
//! validates those signets from DNS down; then a user rotates keys with a chain of custody.
//! Everything runs in memory; the "DNS" is a map from owner name to TXT record.
//!
//! Run with `cargo run --example quickstart`.

use std::collections::HashMap;
use std::error::Error;

use dime::core::keys::SigningPublicKey;
use dime::signet::record::{DnssecStatus, ManagementRecord, RecordPolicy, owner_name};
use dime::signet::{Context, FingerprintKind, KeyFile, KeyOwner, Signet, SignetState, issue};

/// An organization: its keys, its signet and the record it publishes.
struct Org {
    domain: &'static str,
    keys: KeyFile,
    signet: Signet,
}

impl Org {
    fn new(domain: &'static str, dns: &mut HashMap<String, String>) -> Result<Org, Box<dyn Error>> {
        let keys = KeyFile::generate(KeyOwner::Org)?;
        let signet = issue::new_org_signet(&keys.signing, &keys.encryption_public()?, domain)?;
        let record = ManagementRecord::builder(keys.signing_public()).build()?;
        let owner = owner_name(&domain.parse()?);
        println!("[{domain}] generated its POK and org signet; publishes {owner} TXT \"{record}\"");
        dns.insert(owner, record.to_string());
        Ok(Org { domain, keys, signet })
    }

    /// Signs a user's signing request into a user signet.
    fn issue(&self, request: &Signet, previous: Option<&Signet>, address: &str) -> Result<Signet, Box<dyn Error>> {
        let signet = issue::issue_user_signet(request, previous, &self.signet, &self.keys.signing, address, &[])?;
        let rotated = if previous.is_some() { " (key rotation, custody checked)" } else { "" };
        println!(
            "[{}] checked {address}'s signing request and issued a user signet{rotated}: id fingerprint {}",
            self.domain,
            short(&signet, FingerprintKind::Id)
        );
        Ok(signet)
    }
}

/// The first 16 characters of a fingerprint, for display.
fn short(signet: &Signet, kind: FingerprintKind) -> String {
    signet.fingerprint(kind).map(|f| f.to_string()[..16].to_string()).unwrap_or_default()
}

/// A user makes keys and a signing request, optionally proving custody with the previous key.
fn request(address: &str, previous: Option<&KeyFile>) -> Result<(KeyFile, Signet), Box<dyn Error>> {
    let keys = KeyFile::generate(KeyOwner::User)?;
    let ssr = issue::new_request(&keys.signing, &keys.encryption_public()?, previous.map(|k| &k.signing))?;
    println!("[{address}] generated keys and a signing request: ssr fingerprint {}", short(&ssr, FingerprintKind::Ssr));
    Ok((keys, ssr))
}

/// What any third party does: fetch the domain's record, check the org signet against it, then
/// the user signet against the org signet.
fn validate(
    who: &str,
    dns: &HashMap<String, String>,
    domain: &str,
    org: &Signet,
    user: &Signet,
    previous: Option<&Signet>,
) -> Result<SignetState, Box<dyn Error>> {
    let txt = dns.get(&owner_name(&domain.parse()?)).ok_or("no management record")?;
    let record = ManagementRecord::from_dns(&[[txt.as_bytes()]], DnssecStatus::Secure, &RecordPolicy::default())?;
    let poks: Vec<SigningPublicKey> = record.poks().to_vec();
    let org_state = org.validate(&Context { poks: Some(&poks), ..Context::default() });
    let user_validation = user.validate(&Context { poks: Some(&poks), org: Some(org), previous });
    let address = String::from_utf8_lossy(user.identifier().unwrap_or_default()).into_owned();
    let why = user_validation.problem.map(|p| format!(" ({p})")).unwrap_or_default();
    println!(
        "[{who}] validated {address} via {domain}'s record: org signet {}, user signet {}{why}",
        org_state.state, user_validation.state
    );
    Ok(user_validation.state)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut dns = HashMap::new();
    println!("== 1. Organizations publish their keys");
    let example_org = Org::new("example.org", &mut dns)?;
    let example_net = Org::new("example.net", &mut dns)?;

    println!("\n== 2. Users get signets from signing requests");
    let (alice_keys, alice_ssr) = request("alice@example.org", None)?;
    let alice = example_org.issue(&alice_ssr, None, "alice@example.org")?;
    let (_bob_keys, bob_ssr) = request("bob@example.net", None)?;
    let bob = example_net.issue(&bob_ssr, None, "bob@example.net")?;

    println!("\n== 3. Anyone validates a signet from DNS down");
    assert_eq!(validate("bob@example.net", &dns, "example.org", &example_org.signet, &alice, None)?, SignetState::Id);
    assert_eq!(validate("alice@example.org", &dns, "example.net", &example_net.signet, &bob, None)?, SignetState::Id);
    // A signet presented under the wrong organization does not validate.
    let wrong = validate("mallory", &dns, "example.net", &example_net.signet, &alice, None)?;
    assert_eq!(wrong, SignetState::Invalid);

    println!("\n== 4. Alice rotates her keys; the chain of custody links old and new");
    let (_new_keys, rotation) = request("alice@example.org", Some(&alice_keys))?;
    let rotated = example_org.issue(&rotation, Some(&alice), "alice@example.org")?;
    let with = validate("bob@example.net", &dns, "example.org", &example_org.signet, &rotated, Some(&alice))?;
    assert_eq!(with, SignetState::Id);
    let without = validate("bob@example.net", &dns, "example.org", &example_org.signet, &rotated, None)?;
    assert_eq!(without, SignetState::BrokenCustody);

    println!("\n== 5. Signets travel as armored text");
    print!("{}", rotated.to_armor());
    Ok(())
}
