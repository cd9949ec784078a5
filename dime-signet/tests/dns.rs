//! The `_dx` record from real DNS packets (an in-process hickory authority on loopback) and the
//! signets it anchors: bound from DNS down, and each refusal with its exact error.

mod common;

use std::time::Duration;

use common::*;
use dime_signet::dns::{DnsClient, DnsError, Dnssec};
use dime_signet::record::{DnssecStatus, HostName, RecordPolicy};
use dime_signet::{AnchorSource, RecordError, SignetError, issue};
use dime_testkit::dns as authority;

fn record_text(org: &Org) -> String {
    format!("ver=1 pok={}", dime_core::base64::encode_unpadded(org.pok.public().as_bytes()))
}

/// example.org publishes the org's record; example.com publishes nothing at `_dx`.
async fn dns(org: &Org) -> DnsClient {
    let text = record_text(org);
    let zones = vec![("example.org", vec![authority::txt("_dx.example.org", &text)]), ("example.com", vec![])];
    let addr = authority::start(zones, None).await;
    DnsClient::new(&[addr], Dnssec::Off).unwrap()
}

#[tokio::test]
async fn a_user_signet_is_bound_from_the_domains_record_down() {
    let org = org();
    let (_, alice) = user(&org);
    let dns = dns(&org).await;
    let domain = HostName::new("example.org").unwrap();

    let answer = dns.management_record(&domain, &RecordPolicy::PERMISSIVE).await.unwrap();
    assert_eq!(answer.record.poks(), &org.poks[..]);
    assert_eq!((answer.dnssec, answer.ttl), (DnssecStatus::Insecure, Duration::from_secs(300)));

    let bound_org = dns.bind_org(&org.signet, &domain, &RecordPolicy::PERMISSIVE).await.unwrap();
    assert_eq!((bound_org.identifier(), bound_org.anchor_source()), ("example.org", AnchorSource::Record));
    let bound = bound_org.bind_address(&alice, "Alice@Example.org", None).unwrap();
    assert_eq!((bound.identifier(), bound.signet()), ("alice@example.org", &alice));
}

#[tokio::test]
async fn an_unsigned_record_is_refused_by_the_default_policy() {
    let org = org();
    let dns = dns(&org).await;
    let domain = HostName::new("example.org").unwrap();
    let error = dns.bind_org(&org.signet, &domain, &RecordPolicy::default()).await.unwrap_err();
    assert!(matches!(error, DnsError::Record(RecordError::DnssecInsecure)), "{error:?}");
}

#[tokio::test]
async fn a_domain_without_a_record_is_no_record_and_not_transient() {
    let org = org();
    let dns = dns(&org).await;
    let error = dns.management_record(&HostName::new("example.com").unwrap(), &RecordPolicy::PERMISSIVE).await;
    let error = error.unwrap_err();
    assert!(matches!(&error, DnsError::NoRecord { kind: "TXT", name } if name == "_dx.example.com"), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(error.to_string(), "DNS has no TXT record at _dx.example.com");
}

#[tokio::test]
async fn an_org_signet_whose_pok_the_record_does_not_name_is_not_bound() {
    let org = org();
    let dns = dns(&org).await;
    // The same domain, another POK: an impostor's org signet.
    let impostor_key = signing(9);
    let impostor = issue::new_org_signet(&impostor_key, &encryption(2), "example.org").unwrap();
    let domain = HostName::new("example.org").unwrap();
    let error = dns.bind_org(&impostor, &domain, &RecordPolicy::PERMISSIVE).await.unwrap_err();
    assert!(matches!(error, DnsError::Signet(SignetError::NotBound { .. })), "{error:?}");
}

#[tokio::test]
async fn a_signet_of_another_address_is_refused_for_the_one_asked() {
    let org = org();
    let (_, alice) = user(&org);
    let dns = dns(&org).await;
    let domain = HostName::new("example.org").unwrap();
    let bound_org = dns.bind_org(&org.signet, &domain, &RecordPolicy::PERMISSIVE).await.unwrap();
    assert_eq!(
        bound_org.bind_address(&alice, "bob@example.org", None),
        Err(SignetError::WrongIdentifier { expected: "bob@example.org".into(), found: "alice@example.org".into() })
    );
}
