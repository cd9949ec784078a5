//! Management record (`_dx.<domain>` TXT): parsing, canonical writing, TXT RR handling, `tls=`
//! signatures, PEM input and the DNSSEC policy.

use dime_core::base64;
use dime_core::keys::{Signature, SigningPublicKey, SigningSecretKey};
use dime_signet::record::{
    DnssecStatus, Expiry, FieldName, HostName, MAX_DX, MAX_RECORD_LEN, MAX_TLS, MAX_TOKENS, MAX_TXT_RRS,
    ManagementRecord, Policy, RecordError, RecordPolicy, Subdomain, Syndicates, UnknownField, certificate_from_pem,
    is_dime_record, owner_name, sign_tls_certificate, tls_certificate_digest,
};
use proptest::prelude::*;

/// The magma sandbox org key's Ed25519 seed (`testdata/signet/magma-sandbox-org.key`, field 1).
const SANDBOX_SEED: &str = "b6b730a4b6474f6daf2d9702d3822f4d24c9ee0db634c9857779cb80131db030";
/// Its public key as a `pok=` value (`testdata/signet/derived-values.txt`).
const SANDBOX_POK: &str = "h44kA4AXy2gFnlF+osucG2t4SOBeu8CA3WWxo6RLfIA";
/// The magma check org signet's POK (`testdata/signet/derived-values.txt`).
const CHECK_POK: &str = "POBPl5Z0Jtq3/8QK8FkWKAlkRyny2J0dXqY3xh0i3ms";
/// The two example records of `signet.md` §2.6 (TXT RDATA, without the quotes).
const EXAMPLE_1: &str = "ver=1 pok=h44kA4AXy2gFnlF+osucG2t4SOBeu8CA3WWxo6RLfIA tls=ooYv26aWxb9ik4jScV/sFZyJ9l70YSHToSwChtY+0twZJiDopBnXUwY/B9wAvXwwUQc5b85ry+rB681oc9ydCg pol=experimental sub=strict";
const EXAMPLE_2: &str = "ver=1;pok=h44kA4AXy2gFnlF+osucG2t4SOBeu8CA3WWxo6RLfIA;pok=POBPl5Z0Jtq3/8QK8FkWKAlkRyny2J0dXqY3xh0i3ms;dx=dx1.example.com;dx=dx2.example.com;exp=14;pol=mixed;sub=relaxed";
/// 32 bytes (y = 2, little-endian) that are not the encoding of an Ed25519 point.
const NOT_A_POINT: &str = "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn sandbox_key() -> SigningSecretKey {
    let seed: [u8; 32] = hex::decode(SANDBOX_SEED).unwrap().try_into().unwrap();
    SigningSecretKey::from_seed(&seed)
}

fn key(n: u8) -> SigningSecretKey {
    SigningSecretKey::from_seed(&[n; 32])
}

/// A stand-in DER certificate: one SEQUENCE of `len` bytes of `fill`-derived content.
fn der_blob(len: u16, fill: u8) -> Vec<u8> {
    let mut der = vec![0x30, 0x82];
    der.extend(len.to_be_bytes());
    der.extend((0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(fill)));
    der
}

fn pem(der: &[u8]) -> String {
    let body = base64::encode_padded(der);
    let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(core::str::from_utf8(line).unwrap());
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    text
}

fn parse(text: &str) -> Result<ManagementRecord, RecordError> {
    text.parse()
}

fn minimal(extra: &str) -> String {
    format!("ver=1 pok={SANDBOX_POK} {extra}")
}

#[test]
fn example_1_parses_and_is_canonical() {
    let record = parse(EXAMPLE_1).unwrap();
    assert_eq!(record.poks(), &[sandbox_key().public()]);
    assert_eq!(record.poks()[0].to_base64(), SANDBOX_POK);
    assert_eq!(record.tls().len(), 1);
    assert_eq!(
        base64::encode_unpadded(record.tls()[0].as_bytes()),
        "ooYv26aWxb9ik4jScV/sFZyJ9l70YSHToSwChtY+0twZJiDopBnXUwY/B9wAvXwwUQc5b85ry+rB681oc9ydCg"
    );
    assert_eq!(record.version().number(), 1);
    assert_eq!(record.policy(), Policy::Experimental);
    assert_eq!(record.subdomain(), Subdomain::Strict);
    assert!(record.dx().is_empty() && record.unknown().is_empty());
    assert_eq!((record.expiry(), record.syndicates()), (None, None));
    assert_eq!(record.to_string(), EXAMPLE_1);
    // The example's tls value signs magma's sandbox certificate, which is not ours.
    assert_eq!(record.verify_tls_certificate(&der_blob(400, 1)), Err(RecordError::TlsCertificateMismatch));
}

#[test]
fn example_2_parses_and_is_canonical_with_spaces() {
    let record = parse(EXAMPLE_2).unwrap();
    let check = SigningPublicKey::from_base64(CHECK_POK).unwrap();
    assert_eq!(record.poks(), &[sandbox_key().public(), check]);
    let hosts: Vec<&str> = record.dx().iter().map(HostName::as_str).collect();
    assert_eq!(hosts, ["dx1.example.com", "dx2.example.com"]);
    assert_eq!(record.expiry().map(Expiry::days), Some(14));
    assert_eq!(record.policy(), Policy::Mixed);
    assert_eq!(record.subdomain(), Subdomain::Relaxed);
    assert!(record.tls().is_empty());
    assert_eq!(record.to_string(), EXAMPLE_2.replace(';', " "));
    assert_eq!(record.verify_tls_certificate(&der_blob(10, 0)), Err(RecordError::NoTlsSignatures));
}

#[test]
fn tls_signature_by_sandbox_pok_verifies() {
    let pok = sandbox_key();
    assert_eq!(pok.public().to_base64(), SANDBOX_POK);
    let der = der_blob(600, 3);
    let signature = sign_tls_certificate(&pok, &der);
    // The signed message is the SHA-512 digest of the DER, signed with pure Ed25519.
    assert_eq!(pok.public().verify(&tls_certificate_digest(&der), &signature), Ok(()));
    assert_ne!(pok.public().verify(&der, &signature), Ok(()));
    let text = format!("ver=1 pok={SANDBOX_POK} tls={}", base64::encode_unpadded(signature.as_bytes()));
    let record = parse(&text).unwrap();
    assert_eq!(record.verify_tls_certificate(&der), Ok(&pok.public()));
}

/// An independent vector: computed with Python's `cryptography` package (Ed25519 over
/// `hashlib.sha512(der).digest()`), not with this crate.
#[test]
fn tls_value_matches_independent_vector() {
    let der = [0x30, 0x03, 0x02, 0x01, 0x05];
    let expected = "ZLBXKFiTWXX1OZ/eHpDjeAkBxW7lNKS3UPRYaHBGJaHL9WqhCtI5k2PwtoRixx48P8paZuvE3FC67HnmsVG8BA";
    let signature = sign_tls_certificate(&sandbox_key(), &der);
    assert_eq!(base64::encode_unpadded(signature.as_bytes()), expected);
    let record = parse(&format!("ver=1 pok={SANDBOX_POK} tls={expected}")).unwrap();
    assert_eq!(record.verify_tls_certificate(&der), Ok(&sandbox_key().public()));
    assert_eq!(
        record.verify_tls_certificate(&[0x30, 0x03, 0x02, 0x01, 0x06]),
        Err(RecordError::TlsCertificateMismatch)
    );
}

#[test]
fn tls_verifier_tries_every_signature_with_every_pok() {
    let (a, b, c) = (key(1), key(2), key(3));
    let der = der_blob(300, 9);
    // libdime's iterator bug: after the first tls value had used up the POK list, later tls
    // values were tried against no POK at all. Here the match is the last pair.
    let record = ManagementRecord::builder(a.public())
        .pok(b.public())
        .tls(sign_tls_certificate(&c, &der))
        .tls(sign_tls_certificate(&b, &der))
        .build()
        .unwrap();
    assert_eq!(record.verify_tls_certificate(&der), Ok(&b.public()));
    let reparsed = parse(&record.to_string()).unwrap();
    assert_eq!(reparsed.verify_tls_certificate(&der), Ok(&b.public()));
}

#[test]
fn tls_verifier_refuses_other_certificate_and_non_pok_signer() {
    let pok = sandbox_key();
    let der = der_blob(300, 1);
    let record = ManagementRecord::builder(pok.public()).tls(sign_tls_certificate(&pok, &der)).build().unwrap();
    assert_eq!(record.verify_tls_certificate(&der_blob(300, 2)), Err(RecordError::TlsCertificateMismatch));
    let stranger = ManagementRecord::builder(pok.public()).tls(sign_tls_certificate(&key(5), &der)).build().unwrap();
    assert_eq!(stranger.verify_tls_certificate(&der), Err(RecordError::TlsCertificateMismatch));
    assert_eq!(record.verify_tls_certificate(&der), Ok(&pok.public()));
}

#[test]
fn builder_sign_certificate_adds_its_pok() {
    let (first, signer) = (key(1), key(2));
    let der = der_blob(200, 4);
    let record = ManagementRecord::builder(first.public())
        .sign_certificate(&signer, &der)
        .sign_certificate(&signer, &der_blob(200, 5))
        .dx(HostName::new("dx.example.com").unwrap())
        .expiry(Expiry::from_days(30).unwrap())
        .policy(Policy::Strict)
        .subdomain(Subdomain::Explicit)
        .build()
        .unwrap();
    assert_eq!(record.poks(), &[first.public(), signer.public()]);
    assert!(record.has_pok(&signer.public()) && !record.has_pok(&key(3).public()));
    assert_eq!(record.tls().len(), 2);
    assert_eq!(record.verify_tls_certificate(&der), Ok(&signer.public()));
    let text = record.to_string();
    assert!(text.ends_with(" dx=dx.example.com exp=30 pol=strict sub=explicit"), "{text}");
    assert_eq!(parse(&text), Ok(record));
}

#[test]
fn rejections_with_exact_errors() {
    let pok = SANDBOX_POK;
    let tls = base64::encode_unpadded(&[7; 64]);
    let padded = format!("ver=1 pok={pok}=");
    let two = "ver=1 pok=abc=def".to_string();
    let cases: Vec<(String, RecordError)> = vec![
        ("ver=1 pol=strict".into(), RecordError::MissingPok),
        ("".into(), RecordError::MissingPok),
        (format!("ver=2 pok={pok}"), RecordError::UnsupportedVersion { version: 2 }),
        (format!("ver=x pok={pok}"), RecordError::InvalidNumber { field: "ver" }),
        (format!("ver=01 pok={pok}"), RecordError::InvalidNumber { field: "ver" }),
        (format!("ver=1 pok={}", &pok[..42]), RecordError::PokLength { len: 42 }),
        (format!("ver=1 pok={pok}A"), RecordError::PokLength { len: 44 }),
        (padded, RecordError::ExtraSplitter { offset: 6 }),
        (two, RecordError::ExtraSplitter { offset: 6 }),
        (format!("ver=1 pok={}!", &pok[..42]), RecordError::InvalidBase64 { field: "pok" }),
        (
            // Non-zero trailing bits: not canonical base64.
            format!("ver=1 pok={}B", &pok[..42]),
            RecordError::InvalidBase64 { field: "pok" },
        ),
        (format!("ver=1 pok={NOT_A_POINT}"), RecordError::InvalidPok),
        (minimal(&format!("tls={}", &tls[..85])), RecordError::TlsLength { len: 85 }),
        (minimal(&format!("tls={tls}A")), RecordError::TlsLength { len: 87 }),
        (minimal(&format!("tls={}*", &tls[..85])), RecordError::InvalidBase64 { field: "tls" }),
        (minimal("pol=loose"), RecordError::UnknownPolicy { value: "loose".into() }),
        (minimal("sub=lenient"), RecordError::UnknownSubdomain { value: "lenient".into() }),
        (minimal("strict"), RecordError::MissingSplitter { offset: minimal("strict").find("strict").unwrap() }),
        (format!("ver=1\tpok={pok}"), RecordError::InvalidByte { offset: 5, byte: b'\t' }),
        (format!("ver=1 pok={pok}\n"), RecordError::InvalidByte { offset: 53, byte: b'\n' }),
        (format!("ver=1 ver=1 pok={pok}"), RecordError::DuplicateField { field: "ver" }),
        (format!("version=1 pok={pok} VER=1"), RecordError::DuplicateField { field: "ver" }),
        (minimal("pol=mixed policy=mixed"), RecordError::DuplicateField { field: "pol" }),
        (minimal("sub=strict sub=strict"), RecordError::DuplicateField { field: "sub" }),
        (minimal("exp=1 expiry=2"), RecordError::DuplicateField { field: "exp" }),
        (minimal("syn=a syn=b"), RecordError::DuplicateField { field: "syn" }),
        // Duplicates and limits are found before the value is looked at.
        (minimal("pol=mixed pol=loose"), RecordError::DuplicateField { field: "pol" }),
        (format!("ver=1 pok={pok} Version=x"), RecordError::DuplicateField { field: "ver" }),
        (
            format!("ver=1 {}pok=short", format!("pok={pok} ").repeat(8)),
            RecordError::TooManyValues { field: "pok", limit: 8 },
        ),
        (minimal("exp=0"), RecordError::ExpiryOutOfRange { days: 0, max: 365 }),
        (minimal("exp=366"), RecordError::ExpiryOutOfRange { days: 366, max: 365 }),
        (minimal("exp=1d"), RecordError::InvalidNumber { field: "exp" }),
        (minimal("dx=dx_1.example.com"), RecordError::InvalidHostName { host: "dx_1.example.com".into() }),
        (minimal("dx=192.0.2.7"), RecordError::InvalidHostName { host: "192.0.2.7".into() }),
        (minimal("syn="), RecordError::InvalidValue { name: "syn".into() }),
        (minimal("9x=1"), RecordError::InvalidName { name: "9x".into() }),
        (minimal("=1"), RecordError::InvalidName { name: String::new() }),
        (format!("ver=1 {}", format!("pok={pok} ").repeat(9)), RecordError::TooManyValues { field: "pok", limit: 8 }),
        (
            minimal(&format!("tls={tls} ").repeat(MAX_TLS + 1)),
            RecordError::TooManyValues { field: "tls", limit: MAX_TLS },
        ),
        (minimal(&"dx=a.example ".repeat(MAX_DX + 1)), RecordError::TooManyValues { field: "dx", limit: MAX_DX }),
        (minimal(&"x=1 ".repeat(MAX_TOKENS - 1)), RecordError::TooManyTokens { limit: MAX_TOKENS }),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(&text), Err(expected), "{text:?}");
    }
}

#[test]
fn size_limits_on_text_and_canonical_form() {
    let base = minimal("pol=mixed sub=strict x=");
    let fill = MAX_RECORD_LEN - base.len();
    let exact = format!("{base}{}", "v".repeat(fill));
    assert_eq!(exact.len(), MAX_RECORD_LEN);
    assert_eq!(parse(&exact).map(|r| r.to_string()), Ok(exact.clone()));
    let over = format!("{exact}v");
    assert_eq!(parse(&over), Err(RecordError::TooLarge { len: MAX_RECORD_LEN + 1, limit: MAX_RECORD_LEN }));
    // Within the limit as received, but the canonical form adds `ver=1 ` and the defaults.
    let short = format!("pok={SANDBOX_POK} x={}", "v".repeat(MAX_RECORD_LEN - 50));
    assert_eq!(short.len(), MAX_RECORD_LEN);
    let canonical_len = short.len() + "ver=1 ".len() + " pol=experimental sub=strict".len();
    assert_eq!(parse(&short), Err(RecordError::TooLarge { len: canonical_len, limit: MAX_RECORD_LEN }));
    // The same for tokens: 62 received, 65 once ver, pol and sub are written.
    let tokens = format!("pok={SANDBOX_POK} {}", "x=1 ".repeat(MAX_TOKENS - 3));
    assert_eq!(parse(&tokens), Err(RecordError::TooManyTokens { limit: MAX_TOKENS }));
}

#[test]
fn builder_enforces_limits() {
    let pok = key(1).public();
    let sig = Signature([1; 64]);
    let host = HostName::new("dx.example.com").unwrap();
    let mut builder = ManagementRecord::builder(pok);
    for _ in 0..MAX_TLS {
        builder = builder.tls(sig);
    }
    assert!(builder.clone().build().is_ok());
    assert_eq!(builder.tls(sig).build(), Err(RecordError::TooManyValues { field: "tls", limit: MAX_TLS }));
    let mut builder = ManagementRecord::builder(pok);
    for _ in 0..=MAX_DX {
        builder = builder.dx(host.clone());
    }
    assert_eq!(builder.build(), Err(RecordError::TooManyValues { field: "dx", limit: MAX_DX }));
    let mut builder = ManagementRecord::builder(pok);
    for _ in 0..7 {
        builder = builder.pok(pok);
    }
    assert!(builder.clone().build().is_ok());
    assert_eq!(builder.pok(pok).build(), Err(RecordError::TooManyValues { field: "pok", limit: 8 }));
    let field = UnknownField::new("x", "1").unwrap();
    let mut builder = ManagementRecord::builder(pok);
    for _ in 0..MAX_TOKENS - 4 {
        builder = builder.unknown(field.clone());
    }
    assert!(builder.clone().build().is_ok());
    assert_eq!(builder.unknown(field).build(), Err(RecordError::TooManyTokens { limit: MAX_TOKENS }));
    let big = UnknownField::new("x", &"v".repeat(MAX_RECORD_LEN)).unwrap();
    let len = ManagementRecord::builder(pok).build().unwrap().to_string().len() + 3 + MAX_RECORD_LEN;
    assert_eq!(
        ManagementRecord::builder(pok).unknown(big).build(),
        Err(RecordError::TooLarge { len, limit: MAX_RECORD_LEN })
    );
}

#[test]
fn names_and_enumerations_ignore_case() {
    let text = format!(
        "VER=1 PRIMARY={SANDBOX_POK} Policy=STRICT SubDomain=Explicit DELIVER=DX.Example.COM EXPIRY=7 Syndicates=Sy.N"
    );
    let record = parse(&text).unwrap();
    assert_eq!(record.policy(), Policy::Strict);
    assert_eq!(record.subdomain(), Subdomain::Explicit);
    assert_eq!(record.syndicates().map(Syndicates::as_str), Some("Sy.N"));
    assert_eq!(
        record.to_string(),
        format!("ver=1 pok={SANDBOX_POK} syn=Sy.N dx=dx.example.com exp=7 pol=strict sub=explicit")
    );
    for field in FieldName::ALL {
        assert_eq!(FieldName::lookup(&field.long().to_uppercase()), Some(field));
    }
}

#[test]
fn semicolons_and_runs_of_separators() {
    let text = format!(";; ver=1;pok={SANDBOX_POK} ;; ;pol=mixed;");
    let record = parse(&text).unwrap();
    assert_eq!(record.policy(), Policy::Mixed);
    assert_eq!(record.to_string(), format!("ver=1 pok={SANDBOX_POK} pol=mixed sub=strict"));
}

#[test]
fn defaults_and_absent_version() {
    let record = parse(&format!("pok={SANDBOX_POK}")).unwrap();
    assert_eq!(record.version().number(), 1);
    assert_eq!((record.policy(), record.subdomain()), (Policy::Experimental, Subdomain::Strict));
    assert_eq!(record.to_string(), format!("ver=1 pok={SANDBOX_POK} pol=experimental sub=strict"));
}

#[test]
fn unknown_names_are_kept_and_written_last() {
    let text = format!("Future=Abc/+ ver=1 x-Other_2=1 pok={SANDBOX_POK} future=again");
    let record = parse(&text).unwrap();
    let unknown: Vec<(&str, &str)> = record.unknown().iter().map(|f| (f.name(), f.value())).collect();
    assert_eq!(unknown, [("future", "Abc/+"), ("x-other_2", "1"), ("future", "again")]);
    assert_eq!(
        record.to_string(),
        format!("ver=1 pok={SANDBOX_POK} pol=experimental sub=strict future=Abc/+ x-other_2=1 future=again")
    );
}

#[test]
fn owner_name_prefixes_dx() {
    let domain = HostName::new("Example.COM").unwrap();
    assert_eq!(owner_name(&domain), "_dx.example.com");
    assert_eq!(HostName::new("example.com."), Err(RecordError::InvalidHostName { host: "example.com.".into() }));
}

#[test]
fn txt_strings_are_joined_without_separator() {
    let (head, tail) = EXAMPLE_1.split_at(100);
    let (a, b) = head.split_at(13); // splits inside the pok value
    let record = ManagementRecord::from_txt_strings(&[a, b, tail]).unwrap();
    assert_eq!(record.to_string(), EXAMPLE_1);
    assert_eq!(
        ManagementRecord::from_txt_strings(&[&[b'a'; 256][..]]),
        Err(RecordError::CharacterStringTooLong { len: 256 })
    );
    let long = vec![vec![b'x'; 255]; 17];
    assert_eq!(
        ManagementRecord::from_txt_strings(&long),
        Err(RecordError::TooLarge { len: 17 * 255, limit: MAX_RECORD_LEN })
    );
    assert_eq!(
        ManagementRecord::from_txt_strings(&[b"ver=1 pok=\xff".as_slice()]),
        Err(RecordError::InvalidByte { offset: 10, byte: 0xff })
    );
}

#[test]
fn txt_rrset_picks_the_one_dime_record() {
    let spf = vec!["v=spf1 -all".to_string()];
    let verification = vec!["site-verification=abc123".to_string()];
    let dime = vec![EXAMPLE_2[..60].to_string(), EXAMPLE_2[60..].to_string()];
    let record = ManagementRecord::from_txt_records(&[spf.clone(), dime.clone(), verification.clone()]).unwrap();
    assert_eq!(record, parse(EXAMPLE_2).unwrap());
    assert_eq!(
        ManagementRecord::from_txt_records(&[spf.clone(), verification.clone()]),
        Err(RecordError::NoDimeRecord { ignored: 2 })
    );
    let empty: [Vec<String>; 0] = [];
    assert_eq!(ManagementRecord::from_txt_records(&empty), Err(RecordError::NoDimeRecord { ignored: 0 }));
    let other = vec![EXAMPLE_1.to_string()];
    assert_eq!(
        ManagementRecord::from_txt_records(&[dime.clone(), spf.clone(), other]),
        Err(RecordError::MultipleDimeRecords { count: 2 })
    );
    // A broken DIME record is recognised and refused, not skipped.
    let broken = vec!["ver=2 pok=x".to_string()];
    assert!(is_dime_record(&broken));
    assert_eq!(
        ManagementRecord::from_txt_records(&[spf.clone(), broken]),
        Err(RecordError::UnsupportedVersion { version: 2 })
    );
    let many = vec![spf; MAX_TXT_RRS + 1];
    assert_eq!(
        ManagementRecord::from_txt_records(&many),
        Err(RecordError::TooManyTxtRecords { count: MAX_TXT_RRS + 1, limit: MAX_TXT_RRS })
    );
}

#[test]
fn dnssec_policy_table() {
    let strict = RecordPolicy::default();
    let mut permissive = RecordPolicy::default();
    permissive.allow_insecure = true;
    assert_eq!(permissive, RecordPolicy::PERMISSIVE);
    let table = [
        (strict, DnssecStatus::Secure, Ok(())),
        (strict, DnssecStatus::Insecure, Err(RecordError::DnssecInsecure)),
        (strict, DnssecStatus::Bogus, Err(RecordError::DnssecBogus)),
        (permissive, DnssecStatus::Secure, Ok(())),
        (permissive, DnssecStatus::Insecure, Ok(())),
        (permissive, DnssecStatus::Bogus, Err(RecordError::DnssecBogus)),
    ];
    for (policy, status, expected) in table {
        assert_eq!(policy.check(status), expected, "{policy:?} {status:?}");
    }
}

#[test]
fn from_dns_checks_dnssec_before_parsing() {
    let good = [vec![EXAMPLE_1]];
    let broken = [vec!["ver=1 pok=x"]];
    let permissive = RecordPolicy::PERMISSIVE;
    assert_eq!(ManagementRecord::from_dns(&broken, DnssecStatus::Bogus, &permissive), Err(RecordError::DnssecBogus));
    assert_eq!(
        ManagementRecord::from_dns(&good, DnssecStatus::Insecure, &RecordPolicy::default()),
        Err(RecordError::DnssecInsecure)
    );
    assert_eq!(
        ManagementRecord::from_dns(&good, DnssecStatus::Insecure, &permissive).map(|r| r.to_string()),
        Ok(EXAMPLE_1.to_string())
    );
    assert_eq!(
        ManagementRecord::from_dns(&broken, DnssecStatus::Secure, &RecordPolicy::default()),
        Err(RecordError::PokLength { len: 1 })
    );
}

#[test]
fn pem_certificates_decode_to_der() {
    let der = der_blob(700, 11);
    assert_eq!(certificate_from_pem(&pem(&der)), Ok(der.clone()));
    let crlf = format!("leaf cert\r\n{}", pem(&der).replace('\n', "\r\n"));
    assert_eq!(certificate_from_pem(&crlf), Ok(der.clone()));
    let chain = format!("{}{}", pem(&der), pem(&der_blob(100, 1)));
    assert_eq!(certificate_from_pem(&chain), Ok(der.clone()));
    // The signature made from the PEM file verifies the DER the TLS stack hands over.
    let pok = key(8);
    let record = ManagementRecord::builder(pok.public())
        .sign_certificate(&pok, &certificate_from_pem(&pem(&der)).unwrap())
        .build()
        .unwrap();
    assert_eq!(record.verify_tls_certificate(&der), Ok(&pok.public()));

    let text = pem(&der);
    let cases = [
        (text.replace("BEGIN", "START"), RecordError::PemMissingBegin),
        (text.replace("-----END CERTIFICATE-----\n", ""), RecordError::PemMissingEnd),
        (text.replace("END CERTIFICATE", "END KEY"), RecordError::PemMissingEnd),
        (text.replacen('M', "*", 1), RecordError::PemBase64),
        (pem(&[0x31, 0x00]), RecordError::CertificateNotDer),
        (pem(&[0x30, 0x05, 0x00]), RecordError::CertificateNotDer),
    ];
    for (input, expected) in cases {
        assert_eq!(certificate_from_pem(&input), Err(expected), "{input}");
    }
    let mut too_big = vec![0x30, 0x83, 0x01, 0x00, 0x00];
    too_big.extend(vec![0; 0x1_0000]);
    assert_eq!(
        certificate_from_pem(&pem(&too_big)),
        Err(RecordError::CertificateTooLarge { len: too_big.len(), limit: 64 * 1024 })
    );
    let padding = " ".repeat(256 * 1024);
    assert_eq!(
        certificate_from_pem(&(padding + &text)),
        Err(RecordError::CertificateTooLarge { len: 256 * 1024 + text.len(), limit: 256 * 1024 })
    );
}

// ----- property tests ---------------------------------------------------------------------

fn host_strategy() -> impl Strategy<Value = HostName> {
    (proptest::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", 0..3), "[a-zA-Z][a-zA-Z0-9]{0,5}")
        .prop_map(|(mut labels, last)| {
            labels.push(last);
            HostName::new(&labels.join(".")).unwrap()
        })
}

prop_compose! {
    fn record_strategy()(
        seeds in proptest::collection::vec(any::<[u8; 32]>(), 1..=4),
        tls in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 64), 0..6),
        syn in proptest::option::of("[a-zA-Z0-9+/:,.!-]{1,20}"),
        dx in proptest::collection::vec(host_strategy(), 0..4),
        exp in proptest::option::of(1u32..=365),
        policy in proptest::sample::select(Policy::ALL.to_vec()),
        subdomain in proptest::sample::select(Subdomain::ALL.to_vec()),
        unknown in proptest::collection::vec(("[a-zA-Z][a-zA-Z0-9_-]{0,10}", "[!-:<>-~]{1,20}"), 0..4),
    ) -> ManagementRecord {
        let mut poks = seeds.iter().map(|s| SigningSecretKey::from_seed(s).public());
        let mut builder = ManagementRecord::builder(poks.next().unwrap());
        for pok in poks {
            builder = builder.pok(pok);
        }
        for sig in tls {
            builder = builder.tls(Signature::from_slice(&sig).unwrap());
        }
        if let Some(syn) = syn {
            builder = builder.syndicates(Syndicates::new(&syn).unwrap());
        }
        for host in dx {
            builder = builder.dx(host);
        }
        if let Some(days) = exp {
            builder = builder.expiry(Expiry::from_days(days).unwrap());
        }
        for (name, value) in unknown {
            if let Ok(field) = UnknownField::new(&name, &value) {
                builder = builder.unknown(field);
            }
        }
        builder.policy(policy).subdomain(subdomain).build().unwrap()
    }
}

/// A small deterministic generator driving the non-canonical rendering.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn case(&mut self, text: &str) -> String {
        text.chars().map(|c| if self.coin() { c.to_ascii_uppercase() } else { c }).collect()
    }
}

/// Writes `record` the way another writer might: long or short names in any case, any order
/// across fields (order within a repeatable field kept), runs of ` ` and `;`, and `ver`, `pol`
/// and `sub` left out where that means the same.
fn render_loosely(record: &ManagementRecord, seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut tokens: Vec<(usize, String, String)> = Vec::new();
    let known = |rng: &mut Rng, field: FieldName, value: String| {
        let name = if rng.coin() { field.long() } else { field.short() };
        (field as usize, rng.case(name), value)
    };
    if rng.coin() {
        tokens.push(known(&mut rng, FieldName::Version, "1".into()));
    }
    for pok in record.poks() {
        tokens.push(known(&mut rng, FieldName::Pok, pok.to_base64()));
    }
    for tls in record.tls() {
        tokens.push(known(&mut rng, FieldName::Tls, base64::encode_unpadded(tls.as_bytes())));
    }
    if let Some(syn) = record.syndicates() {
        tokens.push(known(&mut rng, FieldName::Syndicates, syn.to_string()));
    }
    for host in record.dx() {
        let host = rng.case(host.as_str());
        tokens.push(known(&mut rng, FieldName::Deliver, host));
    }
    if let Some(exp) = record.expiry() {
        tokens.push(known(&mut rng, FieldName::Expiry, exp.to_string()));
    }
    if record.policy() != Policy::default() || rng.coin() {
        let value = rng.case(record.policy().as_str());
        tokens.push(known(&mut rng, FieldName::Policy, value));
    }
    if record.subdomain() != Subdomain::default() || rng.coin() {
        let value = rng.case(record.subdomain().as_str());
        tokens.push(known(&mut rng, FieldName::Subdomain, value));
    }
    for field in record.unknown() {
        let name = rng.case(field.name());
        tokens.push((99, name, field.value().to_string()));
    }
    // Shuffle, then put each field's values back in their original relative order.
    let mut order: Vec<(u64, usize)> = (0..tokens.len()).map(|i| (rng.next(), i)).collect();
    order.sort();
    let mut shuffled: Vec<(usize, String, String)> = order.iter().map(|&(_, i)| tokens[i].clone()).collect();
    for kind in [FieldName::Pok as usize, FieldName::Tls as usize, FieldName::Deliver as usize, 99] {
        let mut originals = tokens.iter().filter(|t| t.0 == kind).map(|t| (t.1.clone(), t.2.clone()));
        for slot in shuffled.iter_mut().filter(|t| t.0 == kind) {
            (slot.1, slot.2) = originals.next().unwrap();
        }
    }
    let mut text = String::new();
    for (_, name, value) in shuffled {
        for _ in 0..=(rng.next() % 3) {
            text.push(if rng.coin() { ' ' } else { ';' });
        }
        text.push_str(&format!("{name}={value}"));
    }
    if rng.coin() {
        text.push(';');
    }
    text
}

proptest! {
    #[test]
    fn canonical_round_trip(record in record_strategy()) {
        let text = record.to_string();
        prop_assert!(text.len() <= MAX_RECORD_LEN);
        let parsed: ManagementRecord = text.parse().unwrap();
        prop_assert_eq!(&parsed, &record);
        prop_assert_eq!(parsed.to_string(), text.clone());
        let strings: Vec<&[u8]> = text.as_bytes().chunks(255).collect();
        prop_assert_eq!(ManagementRecord::from_txt_strings(&strings).unwrap(), record);
    }

    #[test]
    fn loose_writing_parses_to_the_same_record(record in record_strategy(), seed in any::<u64>()) {
        let text = render_loosely(&record, seed);
        prop_assert_eq!(text.parse::<ManagementRecord>(), Ok(record));
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = text.parse::<ManagementRecord>();
    }

    #[test]
    fn record_like_text_never_panics(text in "[a-zA-Z0-9=; +/\t.-]{0,400}") {
        if let Ok(record) = text.parse::<ManagementRecord>() {
            prop_assert_eq!(record.to_string().parse::<ManagementRecord>(), Ok(record));
        }
    }

    #[test]
    fn arbitrary_txt_rrsets_never_panic(
        rrs in proptest::collection::vec(
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..4),
            0..4,
        ),
        der in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = ManagementRecord::from_txt_records(&rrs);
        let _ = certificate_from_pem(&String::from_utf8_lossy(&der));
        if let Ok(record) = ManagementRecord::from_txt_records(&rrs) {
            let _ = record.verify_tls_certificate(&der);
        }
    }
}
