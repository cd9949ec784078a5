//! Send a message (docs/guide.md): `cargo run --example send --features dns`.
use dime::dmtp::dns::{DnsClient, Dnssec, Resolver, TrustAnchors};
use dime::dmtp::driver::{ClientTls, Roots};
use dime::dmtp::send::Sender;
use dime::signet::{KeyFile, ParseOptions, Signet};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let read = |path: &str| std::fs::read(path);
    let org = Signet::read(&read("example.org.signet")?, &ParseOptions::default())?;
    let alice = Signet::read(&read("alice.signet")?, &ParseOptions::default())?;
    let org_keys = KeyFile::read(&read("example.org.key")?)?;
    let alice_keys = KeyFile::read(&read("alice.key")?)?;
    let sender = Sender::new(org_keys, &org, alice_keys, &alice)?;

    // The name servers of /etc/resolv.conf, DNSSEC checked here from the IANA root keys.
    let dns = DnsClient::from_system_conf(Dnssec::Validate(TrustAnchors::default()))?;
    let resolver = Resolver::with_defaults(dns, ClientTls::new(&Roots::None)?);

    // Resolve bob from _dx.example.net down, compose, countersign, deliver.
    let txid = resolver.send(&sender, &"bob@example.net".parse()?, "Hello", "Hi Bob").await?;
    println!("250 OK [{txid}]");
    Ok(())
}
