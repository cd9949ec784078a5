//! The DIME extension commands on the server (`docs/dmap.md` §5.3): SUBMIT, SSR, SIGNET and
//! KEYFILE.

use dime_core::stacie::Envelope;
use dime_signet::{Signet, SignetKind};

use super::ServerSession;
use crate::codec::writer::is_atom;
use crate::codec::{Code, Data, Response, StatusKind, Tag};
use crate::store::{KeyfileRecord, Store};

impl<S: Store> ServerSession<S> {
    fn current_user(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    pub(super) fn submit(&mut self, tag: &Tag, object: Vec<u8>) {
        let name = "SUBMIT";
        match self.store.submit(&self.current_user(), object) {
            // A queue id that is not an atom cannot be written in the code; leave it out.
            Ok(id) if is_atom(id.as_bytes()) => {
                self.done(tag, name, StatusKind::Ok, Some(Code::Submitted(id)), "Object accepted for relay");
            }
            Ok(_) => self.done(tag, name, StatusKind::Ok, None, "Object accepted for relay"),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) fn signet_request(&mut self, tag: &Tag, request: &[u8]) {
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
        match self.store.issue_signet(&self.current_user(), &request) {
            Ok((address, signet)) => {
                self.respond(Response::Data(Data::Signet { address, signet: signet.as_bytes().to_vec() }));
                self.ok(tag, name);
            }
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) fn signet_lookup(&mut self, tag: &Tag, address: &str) {
        let name = "SIGNET";
        match self.store.signet(address) {
            Ok(Some(signet)) => {
                let data = Data::Signet { address: address.into(), signet: signet.as_bytes().to_vec() };
                self.respond(Response::Data(data));
                self.ok(tag, name);
            }
            Ok(None) => self.done(tag, name, StatusKind::No, Some(Code::Nonexistent), "No signet for that address"),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) fn keyfile_store(&mut self, tag: &Tag, shard: [u8; 64], envelope: Vec<u8>) {
        let name = "KEYFILE STORE";
        // The server cannot open the envelope; it checks the framing it can see.
        if let Err(error) = Envelope::parse(&envelope) {
            let text = format!("Not a realm envelope: {error}");
            return self.done(tag, name, StatusKind::No, Some(Code::Parse), &text);
        }
        match self.store.store_keyfile(&self.current_user(), KeyfileRecord { shard, envelope }) {
            Ok(()) => self.ok(tag, name),
            Err(error) => self.store_error(tag, name, error),
        }
    }

    pub(super) fn keyfile_fetch(&mut self, tag: &Tag) {
        let name = "KEYFILE FETCH";
        match self.store.keyfile(&self.current_user()) {
            Ok(Some(record)) => {
                self.respond(Response::Data(Data::Keyfile { shard: record.shard, envelope: record.envelope }));
                self.ok(tag, name);
            }
            Ok(None) => self.done(tag, name, StatusKind::No, Some(Code::Nonexistent), "No key file stored"),
            Err(error) => self.store_error(tag, name, error),
        }
    }
}
