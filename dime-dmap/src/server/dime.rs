//! The DIME extension commands on the server (`docs/dmap.md` §5.3): SUBMIT, SSR, SIGNET and
//! KEYFILE.

use dime_core::stacie::RealmEnvelope;
use dime_signet::{Signet, SignetKind, SignetState};

use super::{Event, Phase, ServerSession};
use crate::codec::writer::is_atom;
use crate::codec::{Code, Data, Response, StatusKind, Tag};
use crate::error::DmapError;
use crate::store::{KeyfileRecord, SignetAnswer, Store};

const SIGNET: &str = "SIGNET";

impl<S: Store> ServerSession<S> {
    pub(super) fn current_user(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    pub(super) async fn submit(&mut self, tag: &Tag, object: Vec<u8>) {
        let name = "SUBMIT";
        let accepted = match &self.config.submit {
            Some(hook) => (hook.0)(self.current_user(), object).await,
            None => self.store.submit(&self.current_user(), object).await,
        };
        match accepted {
            // A queue id that is not an atom cannot be written in the code; leave it out.
            Ok(id) if is_atom(id.as_bytes()) => {
                self.done(tag, name, StatusKind::Ok, Some(Code::Submitted(id)), "Object accepted for relay");
            }
            Ok(_) => self.done(tag, name, StatusKind::Ok, None, "Object accepted for relay"),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn signet_request(&mut self, tag: &Tag, request: &[u8]) {
        let name = "SSR";
        let parsed = Signet::parse(request).and_then(|signet| {
            if signet.kind() == SignetKind::Request {
                Ok(signet)
            } else {
                Err(dime_signet::SignetError::WrongKind { expected: SignetKind::Request, found: signet.kind() })
            }
        });
        let request = match parsed {
            Ok(request) => request,
            Err(error) => {
                let text = format!("Not a signet signing request: {error}");
                return self.done(tag, name, StatusKind::No, Some(Code::Parse), &text);
            }
        };
        match self.store.issue_signet(&self.current_user(), &request).await {
            Ok((address, signet)) => {
                self.respond(Response::Data(Data::Signet { address, signet: signet.as_bytes().to_vec() }));
                self.ok(tag, name);
            }
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn signet_lookup(&mut self, tag: Tag, address: String) {
        match self.store.signet(&address).await {
            Ok(SignetAnswer::Found(signet)) => self.signet_found(&tag, address, &signet),
            Ok(SignetAnswer::NotFound) => self.signet_not_found(&tag),
            Ok(SignetAnswer::Elsewhere) => {
                self.event(Event::SignetLookup { address: address.clone() });
                self.phase = Phase::Resolving { tag, address };
            }
            Err(error) => self.store_error(&tag, SIGNET, error),
        }
    }

    /// Answers the lookup handed out with [`Event::SignetLookup`]: the signet, `None` when the
    /// other organisation has none, or the error that stopped the resolution (answered
    /// `NO [UNAVAILABLE]` with its text, or as `docs/dmap.md` §9 says for store errors). The
    /// session then reads commands again.
    ///
    /// Errors: [`DmapError::NotWaiting`] when no lookup is out; nothing changes.
    pub fn signet_resolved(&mut self, answer: Result<Option<Signet>, DmapError>) -> Result<(), DmapError> {
        let (tag, address) = match core::mem::replace(&mut self.phase, Phase::Command) {
            Phase::Resolving { tag, address } => (tag, address),
            other => {
                self.phase = other;
                return Err(DmapError::NotWaiting("a signet lookup"));
            }
        };
        match answer {
            Ok(Some(signet)) => self.signet_found(&tag, address, &signet),
            Ok(None) => self.signet_not_found(&tag),
            Err(error) => self.store_error(&tag, SIGNET, error),
        }
        Ok(())
    }

    /// Serves `signet` for `address` only when it can stand for it: it reaches `id` (its
    /// identifier is signed) and names `address` (ASCII case ignored). Anything else, a `full`
    /// signet or one without or with another identifier, is answered as no signet. The client
    /// still binds what it gets against the organization's record.
    fn signet_found(&mut self, tag: &Tag, address: String, signet: &Signet) {
        let names_it = signet.structural_state().0 == SignetState::Id
            && signet.unverified_identifier().is_some_and(|id| id.eq_ignore_ascii_case(address.as_bytes()));
        if !names_it {
            return self.signet_not_found(tag);
        }
        self.respond(Response::Data(Data::Signet { address, signet: signet.as_bytes().to_vec() }));
        self.ok(tag, SIGNET);
    }

    fn signet_not_found(&mut self, tag: &Tag) {
        self.done(tag, SIGNET, StatusKind::No, Some(Code::Nonexistent), "No signet for that address");
    }

    pub(super) async fn keyfile_store(&mut self, tag: &Tag, shard: [u8; 64], envelope: Vec<u8>) {
        let name = "KEYFILE STORE";
        // The server cannot open the envelope; it checks the framing it can see.
        if let Err(error) = RealmEnvelope::parse(&envelope) {
            let text = format!("Not a realm envelope: {error}");
            return self.done(tag, name, StatusKind::No, Some(Code::Parse), &text);
        }
        match self.store.store_keyfile(&self.current_user(), KeyfileRecord { shard, envelope }).await {
            Ok(()) => self.ok(tag, name),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) async fn keyfile_fetch(&mut self, tag: &Tag) {
        let name = "KEYFILE FETCH";
        match self.store.keyfile(&self.current_user()).await {
            Ok(Some(record)) => {
                self.respond(Response::Data(Data::Keyfile { shard: record.shard, envelope: record.envelope }));
                self.ok(tag, name);
            }
            Ok(None) => self.done(tag, name, StatusKind::No, Some(Code::Nonexistent), "No key file stored"),
            Err(error) => self.store_error(tag, name, error),
        }
    }
}
