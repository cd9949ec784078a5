//! dime-rs against OpenPGP doing the same job (issue 10): sign and encrypt 1 MiB to four
//! recipients ("seal"), then decrypt as one of them and verify the signature ("open"), every
//! implementation measured in one criterion run on the same bytes:
//!
//! - **dime-message** (this repository): `compose` for the four actors of an object (author,
//!   origin, destination, recipient: four keyslots, two author signatures) and the recipient's
//!   `open` of the origin-countersigned object (author's and origin's signatures verified). Each
//!   twice: on a one-thread rayon pool (`dime_1_thread`, the single-threaded figure) and on
//!   rayon's global pool (`dime_parallel`, every core; the `parallel` feature);
//! - **rpgp 0.21.0** (crate `pgp`): v4 keys (EdDSA legacy signing, ECDH Curve25519 encryption,
//!   SEIPDv1 AES-256) and v6 keys (RFC 9580 Ed25519 and X25519, SEIPDv2 AES-256-GCM, 4 MiB AEAD
//!   chunks), each with SHA-256 and with SHA-512 signatures;
//! - **sequoia-openpgp 2.4.2**, pure-Rust backend (`crypto-rust`): its default certificate
//!   (cipher suite Cv25519) in the v4 profile (`Profile::RFC4880`) and the v6 profile
//!   (`Profile::RFC9580`), with its default message settings (AES-256, SHA-512 signatures,
//!   SEIPDv2 with OCB and 4 KiB chunks: its v4 certificates advertise SEIPDv2 too; the bench
//!   prints the encryption layer it finds).
//!
//! No compression anywhere. It also seals and opens 64 MiB with dime, single-threaded and
//! parallel, for the throughput per core.
//!
//! After the run it prints a summary computed from criterion's medians of this run (read back
//! from criterion's `estimates.json`; an estimate older than the run is ignored): every OpenPGP
//! time as a multiple of dime's, the fastest OpenPGP profile against dime with the issue's goals
//! (at least 2.5x single-threaded, at least 4x parallel), and the 64 MiB throughput per core.
//! Nothing timed is asserted. The versions printed are read from this package's `Cargo.lock`.
//!
//! `cargo bench --profile bench -- --warm-up-time 1 --measurement-time 5` (see README.md).

use std::hint::black_box;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use dime_core::keys::{EncryptionSecretKey, SigningSecretKey};
use dime_message::{
    Addressing, CommonHeaders, ComposeOptions, Content, Envelope, MessageLimits, OsRandom, Part, compose,
};
use dime_signet::{Signet, issue};
use rayon::ThreadPool;

const MIB: usize = 1 << 20;

/// Deterministic, incompressible-looking bytes (no implementation compresses anyway).
fn bytes(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt) ^ (i >> 8) as u8).collect()
}

/// The version of `name` this package was built with, from its `Cargo.lock`.
fn locked_version(name: &str) -> &'static str {
    let lock = include_str!("../Cargo.lock");
    let entry = format!("name = \"{name}\"\nversion = \"");
    lock.find(&entry).map(|at| &lock[at + entry.len()..]).and_then(|rest| rest.split('"').next()).unwrap_or("unknown")
}

mod dime {
    //! The dime side: two organizations, an author and a recipient, all through public API.

    use super::*;

    struct Party {
        sign: SigningSecretKey,
        enc: EncryptionSecretKey,
        signet: Signet,
    }

    fn org(seed: u8, domain: &str) -> Party {
        let sign = SigningSecretKey::from_seed(&[seed; 32]);
        let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
        let signet = issue::new_org_signet(&sign, &enc.public().unwrap(), domain).unwrap();
        Party { sign, enc, signet }
    }

    fn user(seed: u8, org: &Party, address: &str) -> Party {
        let sign = SigningSecretKey::from_seed(&[seed; 32]);
        let enc = EncryptionSecretKey::x25519_from_bytes([seed.wrapping_add(100); 32]);
        let request = issue::new_request(&sign, &enc.public().unwrap(), None).unwrap();
        let signet = issue::issue_user_signet(&request, None, &org.signet, &org.sign, address, &[]).unwrap();
        Party { sign, enc, signet }
    }

    /// The four actors of one object and the content they exchange.
    pub struct Dime {
        origin: Party,
        destination: Party,
        author: Party,
        recipient: Party,
        content: Content,
    }

    impl Dime {
        /// Four actors exchanging `data` as one attachment.
        pub fn new(data: Vec<u8>) -> Dime {
            let origin = org(1, "darkmail.info");
            let destination = org(2, "lavabit.com");
            let author = user(3, &origin, "ivan@darkmail.info");
            let recipient = user(4, &destination, "ryan@lavabit.com");
            let content = Content {
                headers: CommonHeaders {
                    date: "Fri, 04 Dec 2026 12:00:00 +0000".into(),
                    to: "Ryan <ryan@lavabit.com>".into(),
                    cc: None,
                    from: "Ivan <ivan@darkmail.info>".into(),
                    organization: None,
                    subject: "1 MiB to four actors".into(),
                },
                other_headers: Vec::new(),
                display: Vec::new(),
                attachments: vec![Part::new("application/octet-stream", Some("data.bin"), data).unwrap()],
            };
            Dime { origin, destination, author, recipient, content }
        }

        /// Encrypts to the four actors and signs as the author.
        pub fn seal(&self) -> Vec<u8> {
            let to = Addressing {
                author: &self.author.signet,
                origin: &self.origin.signet,
                destination: &self.destination.signet,
                recipient: &self.recipient.signet,
            };
            compose(&self.author.sign, &to, &self.content, &ComposeOptions::default(), &mut OsRandom).unwrap()
        }

        /// The origin's countersignature, which the recipient's open verifies.
        pub fn relay(&self, object: &[u8]) -> Vec<u8> {
            Envelope::origin(object, &MessageLimits::default(), &self.origin.enc)
                .unwrap()
                .open(&self.author.signet)
                .unwrap()
                .countersign(&self.origin.sign)
                .unwrap()
        }

        /// Decrypts as the recipient, verifies both signatures and returns the attachment.
        pub fn open(&self, relayed: &[u8]) -> Vec<u8> {
            let mut opened = Envelope::recipient(relayed, &MessageLimits::default(), &self.recipient.enc)
                .unwrap()
                .open(&self.recipient.signet, &self.author.signet, &self.origin.signet)
                .unwrap();
            opened.attachments.swap_remove(0).data
        }
    }
}

mod rpgp {
    //! rpgp (crate `pgp`): a signing primary key with an X25519 encryption subkey per party.

    use pgp::composed::{
        EncryptionCaps, KeyType, Message, MessageBuilder, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
        SubkeyParamsBuilder,
    };
    use pgp::crypto::aead::{AeadAlgorithm, ChunkSize};
    use pgp::crypto::ecc_curve::ECCCurve;
    use pgp::crypto::sym::SymmetricKeyAlgorithm;
    use pgp::types::{KeyVersion, Password};

    pub use pgp::crypto::hash::HashAlgorithm;

    /// An OpenPGP key: a signing primary and an X25519 encryption subkey, in v4 (legacy curve
    /// 25519) or v6 (RFC 9580) form.
    fn key(v6: bool, name: &str) -> SignedSecretKey {
        let (version, primary, sub) = if v6 {
            (KeyVersion::V6, KeyType::Ed25519, KeyType::X25519)
        } else {
            (KeyVersion::V4, KeyType::Ed25519Legacy, KeyType::ECDH(ECCCurve::Curve25519Legacy))
        };
        SecretKeyParamsBuilder::default()
            .version(version)
            .key_type(primary)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(name.into())
            .passphrase(None)
            .subkey(
                SubkeyParamsBuilder::default()
                    .version(version)
                    .key_type(sub)
                    .can_encrypt(EncryptionCaps::All)
                    .passphrase(None)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
            .generate(rand::thread_rng())
            .unwrap()
    }

    /// One rpgp profile: key version and signature hash.
    pub struct Rpgp {
        v6: bool,
        hash: HashAlgorithm,
        signer: SignedSecretKey,
        recipients: Vec<SignedSecretKey>,
        publics: Vec<SignedPublicKey>,
        data: Vec<u8>,
    }

    impl Rpgp {
        pub fn new(v6: bool, hash: HashAlgorithm, data: Vec<u8>) -> Rpgp {
            let signer = key(v6, "author <a@example.org>");
            let recipients: Vec<_> = (0..4).map(|i| key(v6, &format!("r{i} <r{i}@example.net>"))).collect();
            let publics = recipients.iter().map(|k| k.to_public_key()).collect();
            Rpgp { v6, hash, signer, recipients, publics, data }
        }

        /// Signs (with `hash`) and encrypts to the four keys, without compression.
        pub fn seal(&self) -> Vec<u8> {
            let builder = MessageBuilder::from_bytes("", self.data.clone());
            let mut rng = rand::thread_rng();
            if self.v6 {
                let mut b =
                    builder.seipd_v2(&mut rng, SymmetricKeyAlgorithm::AES256, AeadAlgorithm::Gcm, ChunkSize::C4MiB);
                for k in &self.publics {
                    b.encrypt_to_key(&mut rng, &k.public_subkeys[0]).unwrap();
                }
                b.sign(&*self.signer, Password::empty(), self.hash);
                b.to_vec(&mut rng).unwrap()
            } else {
                let mut b = builder.seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
                for k in &self.publics {
                    b.encrypt_to_key(&mut rng, &k.public_subkeys[0]).unwrap();
                }
                b.sign(&*self.signer, Password::empty(), self.hash);
                b.to_vec(&mut rng).unwrap()
            }
        }

        /// Decrypts as the last recipient, verifies the signature and returns the data.
        pub fn open(&self, sealed: &[u8]) -> Vec<u8> {
            let key = &self.recipients[3];
            let mut msg = Message::from_bytes(sealed).unwrap().decrypt(&Password::empty(), key).unwrap();
            let data = msg.as_data_vec().unwrap();
            msg.verify(&self.signer.to_public_key()).unwrap();
            data
        }
    }
}

mod sequoia {
    //! sequoia-openpgp: `CertBuilder::general_purpose` certificates and the streaming API with
    //! its defaults.

    use super::*;
    use sequoia_openpgp::cert::prelude::*;
    use sequoia_openpgp::crypto::SessionKey;
    use sequoia_openpgp::packet::{PKESK, SKESK};
    use sequoia_openpgp::parse::Parse;
    use sequoia_openpgp::parse::stream::{
        DecryptionHelper, DecryptorBuilder, MessageLayer, MessageStructure, VerificationHelper,
    };
    use sequoia_openpgp::policy::StandardPolicy;
    use sequoia_openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Signer};
    use sequoia_openpgp::types::{AEADAlgorithm, SymmetricAlgorithm};
    use sequoia_openpgp::{Error, KeyHandle, Result};

    pub use sequoia_openpgp::Profile;

    /// One sequoia profile: v4 (`RFC4880`) or v6 (`RFC9580`) certificates.
    pub struct Sequoia {
        policy: StandardPolicy<'static>,
        signer: Cert,
        recipients: Vec<Cert>,
        data: Vec<u8>,
    }

    fn cert(profile: Profile, name: &str) -> Cert {
        CertBuilder::general_purpose(Some(name)).set_profile(profile).unwrap().generate().unwrap().0
    }

    impl Sequoia {
        pub fn new(profile: Profile, data: Vec<u8>) -> Sequoia {
            let signer = cert(profile, "author <a@example.org>");
            let recipients = (0..4).map(|i| cert(profile, &format!("r{i} <r{i}@example.net>"))).collect();
            Sequoia { policy: StandardPolicy::new(), signer, recipients, data }
        }

        /// Encrypts to the four certificates' transport encryption keys and signs, with
        /// sequoia's default algorithms.
        pub fn seal(&self) -> Vec<u8> {
            let p = &self.policy;
            let keypair = self
                .signer
                .keys()
                .unencrypted_secret()
                .with_policy(p, None)
                .alive()
                .revoked(false)
                .for_signing()
                .next()
                .unwrap()
                .key()
                .clone()
                .into_keypair()
                .unwrap();
            let recipients = self.recipients.iter().flat_map(|c| {
                c.keys().with_policy(p, None).supported().alive().revoked(false).for_transport_encryption()
            });
            let mut sink = Vec::with_capacity(self.data.len() + 64 * 1024);
            let message = Message::new(&mut sink);
            let message = Encryptor::for_recipients(message, recipients).build().unwrap();
            let message = Signer::new(message, keypair).unwrap().build().unwrap();
            let mut literal = LiteralWriter::new(message).build().unwrap();
            literal.write_all(&self.data).unwrap();
            literal.finalize().unwrap();
            sink
        }

        /// Decrypts as the last recipient, verifies the signature and returns the data.
        pub fn open(&self, sealed: &[u8]) -> Vec<u8> {
            self.open_with_layer(sealed).0
        }

        /// Opens and names the encryption layer as sequoia reports it, e.g. "AES-256 with OCB".
        pub fn encryption(&self, sealed: &[u8]) -> String {
            match self.open_with_layer(sealed).1 {
                Some((sym, Some(aead))) => format!("{sym} with {aead}"),
                Some((sym, None)) => format!("{sym}"),
                None => "not encrypted".into(),
            }
        }

        fn open_with_layer(&self, sealed: &[u8]) -> (Vec<u8>, Option<Layer>) {
            let helper =
                Helper { policy: &self.policy, recipient: &self.recipients[3], signer: &self.signer, layer: None };
            let mut reader =
                DecryptorBuilder::from_bytes(sealed).unwrap().with_policy(&self.policy, None, helper).unwrap();
            let mut data = Vec::with_capacity(self.data.len());
            reader.read_to_end(&mut data).unwrap();
            (data, reader.into_helper().layer)
        }
    }

    /// The symmetric and AEAD algorithms of an encryption layer.
    type Layer = (SymmetricAlgorithm, Option<AEADAlgorithm>);

    struct Helper<'a> {
        policy: &'a StandardPolicy<'static>,
        recipient: &'a Cert,
        signer: &'a Cert,
        layer: Option<Layer>,
    }

    impl VerificationHelper for Helper<'_> {
        fn get_certs(&mut self, _ids: &[KeyHandle]) -> Result<Vec<Cert>> {
            Ok(vec![self.signer.clone()])
        }

        /// Accepts the message only with a good signature.
        fn check(&mut self, structure: MessageStructure) -> Result<()> {
            let mut good = false;
            for layer in structure {
                match layer {
                    MessageLayer::Encryption { sym_algo, aead_algo } => self.layer = Some((sym_algo, aead_algo)),
                    MessageLayer::SignatureGroup { results } => good |= results.iter().any(|r| r.is_ok()),
                    MessageLayer::Compression { .. } => {}
                }
            }
            if good {
                return Ok(());
            }
            Err(Error::InvalidOperation("no good signature".into()).into())
        }
    }

    impl DecryptionHelper for Helper<'_> {
        /// Decrypts the session key from the PKESK addressed to the recipient's key.
        fn decrypt(
            &mut self,
            pkesks: &[PKESK],
            _skesks: &[SKESK],
            sym_algo: Option<SymmetricAlgorithm>,
            decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
        ) -> Result<Option<Cert>> {
            let key = self
                .recipient
                .keys()
                .unencrypted_secret()
                .with_policy(self.policy, None)
                .for_transport_encryption()
                .next()
                .unwrap()
                .key()
                .clone();
            let handle = key.key_handle();
            let mut pair = key.into_keypair()?;
            for pkesk in pkesks {
                if pkesk.recipient().is_some_and(|r| r.aliases(&handle))
                    && pkesk.decrypt(&mut pair, sym_algo).is_some_and(|(algo, sk)| decrypt(algo, &sk))
                {
                    return Ok(Some(self.recipient.clone()));
                }
            }
            Err(Error::InvalidOperation("no PKESK for the recipient".into()).into())
        }
    }
}

/// The OpenPGP profiles compared, in the order printed: (criterion name, description).
const PROFILES: [(&str, &str); 6] = [
    ("rpgp_v4_sha256", "rpgp v4, SEIPDv1 AES-256, SHA-256 signature"),
    ("rpgp_v4_sha512", "rpgp v4, SEIPDv1 AES-256, SHA-512 signature"),
    ("rpgp_v6_sha256", "rpgp v6, SEIPDv2 AES-256-GCM, SHA-256 signature"),
    ("rpgp_v6_sha512", "rpgp v6, SEIPDv2 AES-256-GCM, SHA-512 signature"),
    ("sequoia_v4", "sequoia default v4 (RFC 4880 profile)"),
    ("sequoia_v6", "sequoia default v6 (RFC 9580 profile)"),
];

/// dime on one thread and on every core.
const DIME_1: &str = "dime_1_thread";
const DIME_PAR: &str = "dime_parallel";

/// Seals the comparison's data.
type Seal<'a> = Box<dyn Fn() -> Vec<u8> + 'a>;
/// Opens a sealed message and returns the data.
type Open<'a> = Box<dyn Fn(&[u8]) -> Vec<u8> + 'a>;

/// Something that seals and opens the 1 MiB of the comparison.
struct Contender<'a> {
    name: &'static str,
    seal: Seal<'a>,
    open: Open<'a>,
    /// A sealed message, as `open` takes it (for dime: countersigned by the origin).
    sealed: Vec<u8>,
}

impl<'a> Contender<'a> {
    fn new(
        name: &'static str,
        seal: impl Fn() -> Vec<u8> + 'a,
        open: impl Fn(&[u8]) -> Vec<u8> + 'a,
        prepare: impl FnOnce(Vec<u8>) -> Vec<u8>,
    ) -> Contender<'a> {
        let sealed = prepare(seal());
        Contender { name, seal: Box::new(seal), open: Box::new(open), sealed }
    }
}

/// Runs `f` on `pool` when given, else on the caller's thread (which uses the global pool).
fn on<R: Send>(pool: Option<&ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// A criterion group that reports throughput for `bytes` per iteration.
fn group<'c>(c: &'c mut Criterion, name: &str, bytes: usize) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g
}

fn main() {
    let started = SystemTime::now();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let data = bytes(MIB, 1);

    let d = dime::Dime::new(data.clone());
    let rpgp: Vec<_> = [
        (false, rpgp::HashAlgorithm::Sha256),
        (false, rpgp::HashAlgorithm::Sha512),
        (true, rpgp::HashAlgorithm::Sha256),
        (true, rpgp::HashAlgorithm::Sha512),
    ]
    .into_iter()
    .map(|(v6, hash)| rpgp::Rpgp::new(v6, hash, data.clone()))
    .collect();
    let sq: Vec<_> = [sequoia::Profile::RFC4880, sequoia::Profile::RFC9580]
        .into_iter()
        .map(|profile| sequoia::Sequoia::new(profile, data.clone()))
        .collect();

    let mut contenders = vec![
        Contender::new(
            DIME_1,
            || on(Some(&one_thread), || d.seal()),
            |m| on(Some(&one_thread), || d.open(m)),
            |m| d.relay(&m),
        ),
        Contender::new(DIME_PAR, || on(None, || d.seal()), |m| on(None, || d.open(m)), |m| d.relay(&m)),
    ];
    for (p, (name, _)) in rpgp.iter().zip(&PROFILES[..4]) {
        contenders.push(Contender::new(name, || p.seal(), |m| p.open(m), |m| m));
    }
    for (s, (name, _)) in sq.iter().zip(&PROFILES[4..]) {
        contenders.push(Contender::new(name, || s.seal(), |m| s.open(m), |m| m));
    }
    // Every contender does the whole job before anything is timed.
    for c in &contenders {
        assert!((c.open)(&c.sealed) == data, "{} does not round-trip", c.name);
    }

    println!("== dime-rs against OpenPGP: seal (sign + encrypt to 4) and open (decrypt + verify) 1 MiB ==");
    println!(
        "versions: dime-message {} (this repository), pgp (rpgp) {}, sequoia-openpgp {} (crypto-rust)",
        locked_version("dime-message"),
        locked_version("pgp"),
        locked_version("sequoia-openpgp"),
    );
    println!("rayon global pool: {} threads", rayon::current_num_threads());
    for (s, (name, _)) in sq.iter().zip(&PROFILES[4..]) {
        println!("{name}: encryption layer {}", s.encryption(&s.seal()));
    }

    let mut c = Criterion::default().sample_size(20).configure_from_args();
    let mut g = group(&mut c, "seal_1mib", MIB);
    for x in &contenders {
        g.bench_function(x.name, |b| b.iter(|| black_box((x.seal)())));
    }
    g.finish();
    let mut g = group(&mut c, "open_1mib", MIB);
    for x in &contenders {
        g.bench_function(x.name, |b| b.iter(|| black_box((x.open)(&x.sealed))));
    }
    g.finish();
    drop(contenders);

    // 64 MiB with dime: throughput per core.
    let big = dime::Dime::new(bytes(64 * MIB, 3));
    let relayed = big.relay(&big.seal());
    let mut g = group(&mut c, "dime_64mib", 64 * MIB);
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g.bench_function("seal_1_thread", |b| b.iter(|| black_box(on(Some(&one_thread), || big.seal()))));
    g.bench_function("seal_parallel", |b| b.iter(|| black_box(big.seal())));
    g.bench_function("open_1_thread", |b| b.iter(|| black_box(on(Some(&one_thread), || big.open(&relayed)))));
    g.bench_function("open_parallel", |b| b.iter(|| black_box(big.open(&relayed))));
    g.finish();
    c.final_summary();

    summary(started);
}

/// Where criterion writes its estimates (its own order: `CRITERION_HOME`, `CARGO_TARGET_DIR`,
/// this package's `target/`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("criterion")
}

/// The median of `group/function` measured in this run (estimates written after `since`).
fn median(group: &str, function: &str, since: SystemTime) -> Option<Duration> {
    let path = criterion_dir().join(group).join(function).join("new").join("estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64().map(|ns| Duration::from_secs_f64(ns / 1e9))
}

fn verdict(ratio: f64, goal: f64) -> &'static str {
    if ratio >= goal { "met" } else { "MISSED" }
}

/// Prints the ratios and throughputs from this run's medians; silent about anything not
/// measured (e.g. `cargo bench -- --test`, or a filter).
fn summary(since: SystemTime) {
    let cores = rayon::current_num_threads();
    println!("\n== summary from this run's criterion medians ==");
    for (group, job) in [("seal_1mib", "seal"), ("open_1mib", "open")] {
        let (Some(one), Some(par)) = (median(group, DIME_1, since), median(group, DIME_PAR, since)) else {
            println!("{job}: dime not measured in this run");
            continue;
        };
        println!("{job} 1 MiB: dime 1 thread {one:.2?}, dime parallel ({cores} threads) {par:.2?}");
        let mut fastest: Option<(&str, Duration)> = None;
        for (name, description) in PROFILES {
            let Some(t) = median(group, name, since) else { continue };
            println!(
                "  {description}: {t:.2?} = {:.2}x dime 1 thread, {:.2}x dime parallel",
                t.as_secs_f64() / one.as_secs_f64(),
                t.as_secs_f64() / par.as_secs_f64()
            );
            if fastest.is_none_or(|(_, f)| t < f) {
                fastest = Some((description, t));
            }
        }
        if let Some((description, t)) = fastest {
            let single = t.as_secs_f64() / one.as_secs_f64();
            let parallel = t.as_secs_f64() / par.as_secs_f64();
            println!("  fastest OpenPGP for {job}: {description}, {t:.2?}");
            println!(
                "  RATIO {job} fastest OpenPGP / dime 1 thread = {single:.2}x (goal >= 2.5: {})",
                verdict(single, 2.5)
            );
            println!(
                "  RATIO {job} fastest OpenPGP / dime parallel = {parallel:.2}x (goal >= 4 on {cores} cores: {})",
                verdict(parallel, 4.0)
            );
        }
    }
    let size = (64 * MIB) as f64;
    for (function, threads) in
        [("seal_1_thread", 1), ("seal_parallel", cores), ("open_1_thread", 1), ("open_parallel", cores)]
    {
        if let Some(t) = median("dime_64mib", function, since) {
            let gbs = size / t.as_secs_f64() / 1e9;
            println!(
                "THROUGHPUT dime {function} 64 MiB: {t:.2?}, {gbs:.3} GB/s, {:.3} GB/s per core (threads: {threads})",
                gbs / threads as f64
            );
        }
    }
}
