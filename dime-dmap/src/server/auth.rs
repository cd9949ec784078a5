//! `AUTHENTICATE STACIE` on the server (decision D6, `docs/dmap.md` §6).
//!
//! Unknown users get decoy credentials from [`crate::sasl::DecoySecret`], so the challenge and
//! the final answer look the same for a name that exists and one that does not; the token is
//! checked the same way for both and only a known user can pass. The nonce lives in the
//! session only between the challenge and the answer, and is consumed by the check whatever
//! its outcome.

use dime_core::stacie::Username;

use super::{AuthStep, Event, Pending, PendingLogin, Phase, ServerSession, text};
use crate::codec::{Code, Response, StatusKind, Tag};
use crate::sasl::{Challenge, MECHANISM, parse_token};
use crate::store::Store;

pub(super) const NAME: &str = "AUTHENTICATE";

impl<S: Store> ServerSession<S> {
    pub(super) fn authenticate(&mut self, tag: Tag, mechanism: &str, initial: Option<Vec<u8>>) {
        if mechanism != MECHANISM {
            self.done(&tag, NAME, StatusKind::No, Some(Code::Cannot), text::MECHANISM);
            return;
        }
        if self.config.require_tls && !self.tls {
            self.done(&tag, NAME, StatusKind::No, Some(Code::PrivacyRequired), text::PRIVACY);
            return;
        }
        match initial {
            Some(username) => self.auth_username(tag, &username),
            None => {
                self.respond(Response::Continue(Vec::new()));
                self.fragments.set_literals(false);
                self.phase = Phase::Authenticating { tag, step: AuthStep::Username };
            }
        }
    }

    /// One line of the exchange (literal recognition is off while it runs).
    pub(super) fn auth_line(&mut self, tag: Tag, step: AuthStep, line: &[u8]) {
        self.fragments.set_literals(true);
        let Some(body) = line.strip_suffix(b"\r\n") else {
            self.done(&tag, NAME, StatusKind::Bad, None, "Line must end with CRLF");
            return;
        };
        if body == b"*" {
            self.done(&tag, NAME, StatusKind::Bad, None, "Authentication cancelled");
            return;
        }
        let decoded = core::str::from_utf8(body)
            .ok()
            .and_then(|text| dime_core::base64::decode_padded(text, "SASL response").ok());
        let Some(decoded) = decoded else {
            self.done(&tag, NAME, StatusKind::Bad, None, "Invalid base64 in the authentication exchange");
            return;
        };
        match step {
            AuthStep::Username => self.auth_username(tag, &decoded),
            AuthStep::Token(pending) => {
                let PendingLogin { username, credentials, nonce, known } = *pending;
                // Any answer that is not the right token, including one of the wrong size, gets
                // the same failure, and the nonce is spent either way.
                let verified = match parse_token(&decoded) {
                    Ok(token) => Username::new(username.as_bytes())
                        .map(|name| credentials.verify_login(&name, nonce, &token).is_ok())
                        .unwrap_or(false),
                    Err(_) => false,
                };
                if verified && known {
                    self.login(&tag, username);
                } else {
                    self.auth_failed(&tag);
                }
            }
        }
    }

    /// Checks the user name, then leaves the credentials lookup to
    /// [`ServerSession::run_store`].
    fn auth_username(&mut self, tag: Tag, username: &[u8]) {
        let valid = core::str::from_utf8(username).ok().filter(|name| Username::new(name.as_bytes()).is_ok());
        let Some(username) = valid.map(str::to_owned) else {
            self.done(&tag, NAME, StatusKind::Bad, None, "Invalid user name");
            return;
        };
        self.pending = Some(Pending::Credentials { tag, username });
    }

    /// Looks up the user's credentials and sends the challenge.
    pub(super) async fn credentials(&mut self, tag: Tag, username: String) {
        let stored = match self.store.credentials(&username).await {
            Ok(stored) => stored,
            Err(error) => {
                self.store_error(&tag, NAME, error);
                return;
            }
        };
        // The decoy is computed for every name, known or not, so the work done before the
        // challenge does not tell the two apart.
        let Ok(decoy) = self.config.decoy.credentials(username.as_bytes(), self.config.decoy_max_bonus) else {
            self.done(&tag, NAME, StatusKind::No, Some(Code::Unavailable), "Cannot authenticate now");
            return;
        };
        let known = stored.is_some();
        let credentials = stored.unwrap_or(decoy);
        let Ok(nonce) = (self.config.nonce)() else {
            self.done(&tag, NAME, StatusKind::No, Some(Code::Unavailable), "Cannot authenticate now");
            return;
        };
        let challenge = Challenge { salt: credentials.salt().clone(), bonus: credentials.bonus(), nonce };
        let line = dime_core::base64::encode_padded(&challenge.to_bytes());
        self.respond(Response::Continue(line.into_bytes()));
        self.fragments.set_literals(false);
        let step = AuthStep::Token(Box::new(PendingLogin { username, credentials, nonce: challenge.nonce, known }));
        self.phase = Phase::Authenticating { tag, step };
    }

    fn login(&mut self, tag: &Tag, username: String) {
        self.user = Some(username.clone());
        self.auth_failures = 0;
        // The whole-command limit before login gives way to the full message limit.
        self.fragments.set_max_message(self.config.limits.max_message);
        let caps = self.capabilities();
        self.done(tag, NAME, StatusKind::Ok, Some(Code::Capability(caps)), "AUTHENTICATE completed");
        self.event(Event::LoggedIn { user: username });
    }

    fn auth_failed(&mut self, tag: &Tag) {
        self.auth_failures += 1;
        self.done(tag, NAME, StatusKind::No, Some(Code::AuthenticationFailed), text::AUTH_FAILED);
        if self.auth_failures >= self.config.limits.max_auth_failures {
            self.close(text::BYE_AUTH);
        }
    }
}
