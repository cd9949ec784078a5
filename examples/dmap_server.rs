//! A DMAP server on loopback with one account and a mailbox of a few encrypted objects.
//!
//! ```text
//! cargo run --example dmap_server [-- PORT [SECONDS]]
//! ```
//!
//! The mail lives in a persistent, crash-safe store (`dime_store::RedbStore`) in the file named
//! by `DMAP_STORE`, or a fresh file in the temporary directory; a restart on the same file
//! keeps the account, its mail and the outbox.
//!
//! It listens on 127.0.0.1 (port 0 picks a free one) with implicit TLS under a certificate for
//! `localhost` signed by a throw-away CA, writes the CA to a PEM file, and prints what a client
//! needs: the port, the CA file and the account. Any IMAP client that can run `AUTHENTICATE
//! STACIE` can then log in, list, select INBOX and fetch; `dime-dmap/tests/imaplib_client.py`
//! is one, written with Python's standard library only. With SECONDS it exits after that long.

use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_core::stacie::{Credentials, Password, Username};
use dime_dmap::codec::{DateTime, Flag, Mailbox};
use dime_dmap::driver;
use dime_dmap::sasl::DecoySecret;
use dime_dmap::server::{ServerConfig, ServerSession};
use dime_dmap::store::{Issuer, Store};
use dime_signet::issue;
use dime_store::RedbStore;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

const DOMAIN: &str = "example.org";
const USER: &str = "alice@example.org";
/// 22 or more characters give STACIE's minimum of 8 rounds, so logins are instant.
const PASSWORD: &str = "correct horse battery staple";

/// The store at `path`: on first use the account and three stand-in objects in INBOX; and an
/// issuer for signing requests.
async fn store(path: &std::path::Path) -> Result<RedbStore, Box<dyn std::error::Error>> {
    let mut store = RedbStore::open(path)?;
    if store.credentials(USER).await?.is_none() {
        seed(&store).await?;
    }
    let pok = SigningSecretKey::generate()?;
    let org = issue::new_org_signet(&pok, &EncryptionSecretKey::generate()?.public()?, DOMAIN)?;
    store.publish_signet(DOMAIN, &org)?;
    store.set_issuer(Issuer { org, key: pok, domain: DOMAIN.into() });
    Ok(store)
}

/// The account and three stand-in objects in INBOX.
async fn seed(store: &RedbStore) -> Result<(), Box<dyn std::error::Error>> {
    let (credentials, _) =
        Credentials::create(&Username::new(USER.as_bytes())?, &Password::new(PASSWORD.as_bytes())?, 0)?;
    store.add_account(USER, &credentials)?;
    for (i, flags) in [vec![Flag::Seen], vec![], vec![Flag::Flagged]].into_iter().enumerate() {
        // Opaque bytes as the store sees them: the DIME message magic (1847), a length, a body.
        let body: Vec<u8> = (0..512u32).map(|n| (n as u8).wrapping_mul(17).wrapping_add(i as u8)).collect();
        let mut object = vec![0x07, 0x37];
        object.extend_from_slice(&(body.len() as u32).to_be_bytes());
        object.extend_from_slice(&body);
        let date = DateTime::new(1_750_000_000 + 3600 * i as i64, 0).ok_or("date")?;
        store.append(USER, &Mailbox::inbox(), &flags, Some(date), object).await?;
    }
    Ok(())
}

/// A throw-away CA and a certificate for localhost and 127.0.0.1: (CA PEM, cert PEM, key PEM).
fn identity() -> Result<(String, String, String), rcgen::Error> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "dmap_server example CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca)?;
    Ok((ca.pem(), cert.pem(), key.serialize_pem()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(0);
    if let Some(seconds) = args.next().map(|s| s.parse::<u64>()).transpose()? {
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(seconds));
            std::process::exit(0);
        });
    }

    let (ca_pem, cert, key) = identity()?;
    let ca_file = std::env::temp_dir().join(format!("dmap-example-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca_pem)?;
    // A real server loads its files: `ServerIdentity::from_pem_files("fullchain.pem", "privkey.pem")`.
    let acceptor = driver::acceptor(&driver::ServerIdentity::from_pem(cert.as_bytes(), key.as_bytes())?)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;

    let path = std::env::var_os("DMAP_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("dmap-example-store-{}.redb", std::process::id())));
    // Each session gets a clone: the clones share one database, no lock around it.
    let store = store(&path).await?;
    let decoy = DecoySecret::generate()?;
    println!("DMAP server on {addr} (implicit TLS)");
    println!("store: {}", path.display());
    println!("CA certificate: {}", ca_file.display());
    println!("account: {USER} / {PASSWORD}");
    println!(
        "try: python3 dime-dmap/tests/imaplib_client.py --port {} --ca {} --user {USER} --password '{PASSWORD}' --out /tmp/object.bin",
        addr.port(),
        ca_file.display()
    );
    driver::listen(
        listener,
        acceptor,
        move || ServerSession::new(ServerConfig::new(DOMAIN, decoy.clone()), store.clone(), std::time::Instant::now()),
        // One Notify for every session: an APPEND in one reaches an IDLE in another.
        driver::Hooks { changes: Some(std::sync::Arc::new(tokio::sync::Notify::new())), ..driver::Hooks::default() },
    )
    .await?;
    Ok(())
}
