//! The users' side: a DMAP client logged in with STACIE, and DNS to validate signets from the
//! management record down.

use dime::dmap::codec::{CommandBody, Data};
use dime::dmap::driver::{self as dmap_driver, Client};
use dime::dmtp::dns::DnsClient;
use dime::dmtp::resolve::{validate_org, validate_user};
use dime::dmtp::wire::Address;
use dime::signet::record::HostName;
use dime::signet::{
    BoundSignet, Context, KeyFile, KeyOwner, ManagementRecord, RecordPolicy, Signet, SignetState, issue,
};
use tokio::io::{AsyncRead, AsyncWrite};

use super::FlowError;
use super::dns::Dns;
use super::org::Organisation;
use super::pki::Ca;

/// A user logged in to their organisation's DMAP server.
pub(super) struct Account<IO> {
    pub(super) address: String,
    pub(super) client: Client<IO>,
    dns: DnsClient,
}

/// Logs in to `org`'s DMAP server over TLS with `AUTHENTICATE STACIE`.
pub(super) async fn login(
    org: &Organisation,
    address: &str,
    password: &str,
    ca: &Ca,
    dns: &Dns,
) -> Result<Account<impl AsyncRead + AsyncWrite + Unpin + use<>>, FlowError> {
    let connector = dmap_driver::connector(&dmap_driver::Roots::Certificates(vec![ca.der().into()]))?;
    let host = format!("dmap.{}", org.published.domain);
    let mut client =
        Client::connect_tls(org.published.dmap, &host, &connector, dime::dmap::SessionLimits::default()).await?;
    client.authenticate_stacie(address, password.as_bytes()).await?;
    Ok(Account { address: address.into(), client, dns: dns.client() })
}

/// The first `* SIGNET` data of a completion.
fn signet_data(data: Vec<Data>, command: &'static str) -> Result<Vec<u8>, FlowError> {
    data.into_iter()
        .find_map(|d| match d {
            Data::Signet { signet, .. } => Some(signet),
            _ => None,
        })
        .ok_or(FlowError::NoData(command))
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Account<IO> {
    /// New keys, an SSR (signed with `previous` for a rotation), `SSR` over DMAP.
    pub(super) async fn enroll(&mut self, previous: Option<&KeyFile>) -> Result<(KeyFile, Signet), FlowError> {
        let keys = KeyFile::generate(KeyOwner::User)?;
        let request = issue::new_request(&keys.signing, &keys.encryption_public()?, previous.map(|k| &k.signing))?;
        let done = self.client.run(CommandBody::SignetRequest { request: request.as_bytes().to_vec() }).await?;
        let signet = Signet::parse(&signet_data(done.data, "SSR")?)?;
        if !keys.matches(&signet) {
            return Err(FlowError::ForeignKeys(self.address.clone()));
        }
        Ok((keys, signet))
    }

    /// `SIGNET address` over DMAP.
    async fn lookup(&mut self, address: &str) -> Result<Vec<u8>, FlowError> {
        let done = self.client.run(CommandBody::SignetLookup { address: address.into() }).await?;
        signet_data(done.data, "SIGNET")
    }

    /// The org signet of `domain` bound to it (its record read from DNS, the signet through
    /// DMAP) and the record.
    pub(super) async fn org(&mut self, domain: &HostName) -> Result<(ManagementRecord, BoundSignet), FlowError> {
        let answer = self.dns.management_record(domain, &RecordPolicy::default()).await?;
        let org = validate_org(&self.lookup(domain.as_str()).await?, domain, &answer.record)?;
        Ok((answer.record, org))
    }

    /// Binds `user`'s signet to the address from DNS down: the record's POK, the org signet, the
    /// user signet (given, or looked up through DMAP), each at `id`. Gives the bound org signet,
    /// the bound user signet and the state it reached.
    pub(super) async fn validate(
        &mut self,
        address: &str,
        given: Option<&Signet>,
    ) -> Result<(BoundSignet, BoundSignet, SignetState), FlowError> {
        let parsed: Address = address.parse()?;
        let (record, org) = self.org(parsed.domain()).await?;
        let bytes = match given {
            Some(signet) => signet.as_bytes().to_vec(),
            None => self.lookup(address).await?,
        };
        let user = validate_user(&bytes, &parsed, &org, None)?;
        let state =
            user.validate(&Context { poks: Some(record.poks()), org: Some(org.signet()), previous: None }).state;
        Ok((org, user, state))
    }
}
