//! AUTHENTICATE STACIE: the right password logs in; a wrong password, a replayed token, a
//! reused nonce and an unknown user all fail with the same bytes; the nonce is spent either way.

mod common;

use common::{Harness, PASSWORD, USER, b64, config, decode_challenge, store};
use dime_core::stacie::{Password, Username};
use dime_dmap::State;
use dime_dmap::server::{Event, ServerSession};

const FAILED: &str = "A NO [AUTHENTICATIONFAILED] Authentication failed\r\n";

fn token_for(user: &str, password: &str, challenge: &dime_dmap::sasl::Challenge) -> Vec<u8> {
    let user = Username::new(user.as_bytes()).unwrap();
    let password = Password::new(password.as_bytes()).unwrap();
    challenge.answer(&user, &password).as_bytes().to_vec()
}

#[test]
fn right_password_logs_in() {
    let mut h = Harness::new();
    let out = h.authenticate("A", USER, PASSWORD);
    assert_eq!(
        out,
        "A OK [CAPABILITY IMAP4rev1 DMAPv1 LITERAL- BINARY IDLE UIDPLUS MOVE ID ENABLE] AUTHENTICATE completed\r\n",
        "capabilities after login drop AUTH=, SASL-IR and LOGINDISABLED"
    );
    assert_eq!(h.state(), State::Authenticated);
    assert_eq!(h.session.user(), Some(USER));
    assert!(h.events.contains(&Event::LoggedIn { user: USER.into() }));
    assert!(!h.session.challenge_pending());
}

#[test]
fn sasl_initial_response_skips_the_empty_continuation() {
    let mut h = Harness::new();
    let out = h.send(format!("A AUTHENTICATE STACIE {}\r\n", b64(USER.as_bytes())).as_bytes());
    let challenge = decode_challenge(&out);
    let out = h.answer(&token_for(USER, PASSWORD, &challenge));
    assert!(out.starts_with("A OK [CAPABILITY"), "{out}");
}

#[test]
fn all_failures_look_alike_and_spend_the_nonce() {
    // Wrong password.
    let mut wrong = Harness::new();
    let challenge = wrong.challenge("A", USER);
    assert!(wrong.session.challenge_pending());
    let out_wrong = wrong.answer(&token_for(USER, "an entirely different passphrase", &challenge));
    assert!(!wrong.session.challenge_pending(), "the nonce is gone after a failure");

    // Unknown user: a decoy challenge, checked the same way.
    let mut unknown = Harness::new();
    let decoy = unknown.challenge("A", "mallory@example.org");
    let out_unknown = unknown.answer(&token_for("mallory@example.org", PASSWORD, &decoy));

    // Replayed token: a token that opened a session before, answered to a new challenge.
    let mut first = Harness::new();
    let old = first.challenge("A", USER);
    let old_token = token_for(USER, PASSWORD, &old);
    assert!(first.answer(&old_token).starts_with("A OK"));
    let mut replay = Harness::new();
    let fresh = replay.challenge("A", USER);
    assert_ne!(fresh.nonce, old.nonce, "every challenge has a fresh nonce");
    let out_replay = replay.answer(&old_token);

    // Reused nonce: after a failed answer, the right token for that same nonce is refused
    // (a new exchange has a new nonce, and the old one was spent).
    let mut reuse = Harness::new();
    let spent = reuse.challenge("A", USER);
    assert_eq!(reuse.answer(&[0; 64]), FAILED);
    let right_for_spent = token_for(USER, PASSWORD, &spent);
    let again = reuse.challenge("A", USER);
    assert_ne!(again.nonce, spent.nonce);
    let out_reuse = reuse.answer(&right_for_spent);
    // And a token sent after the exchange ended is not an answer to anything: it reads as a
    // tag alone on its line, or as no tag when its base64 holds a `+`.
    let late = b64(&right_for_spent);
    let expected = if late.contains('+') {
        "* BAD Missing or invalid tag\r\n".to_string()
    } else {
        format!("{late} BAD Missing command\r\n")
    };
    assert_eq!(reuse.send(format!("{late}\r\n").as_bytes()), expected);

    // A malformed answer (wrong length) fails the same way.
    let mut short = Harness::new();
    short.challenge("A", USER);
    let out_short = short.answer(&[1; 10]);

    for out in [&out_wrong, &out_unknown, &out_replay, &out_reuse, &out_short] {
        assert_eq!(out, FAILED);
    }
    for h in [&wrong, &unknown, &replay, &reuse, &short] {
        assert_eq!(h.state(), State::NotAuthenticated);
        assert!(!h.session.challenge_pending());
    }
}

#[test]
fn unknown_users_get_stable_decoys_shaped_like_real_challenges() {
    let mut a = Harness::new();
    let mut b = Harness::new();
    let first = a.challenge("A", "nobody@example.org");
    let second = b.challenge("A", "nobody@example.org");
    assert_eq!(first.salt, second.salt, "the same name gets the same decoy salt every time");
    assert_eq!(first.bonus, second.bonus);
    assert_ne!(first.nonce, second.nonce);
    let mut c = Harness::new();
    let other = c.challenge("A", "somebody@example.org");
    assert_ne!(other.salt, first.salt);
    // A real user's challenge has the same length and shape.
    let mut d = Harness::new();
    let real = d.challenge("A", USER);
    assert_eq!(real.to_bytes().len(), first.to_bytes().len());
    assert_eq!(real.salt, d.session.store().credentials_for_test());
}

trait CredentialsForTest {
    fn credentials_for_test(&self) -> dime_core::stacie::Salt;
}

impl CredentialsForTest for dime_dmap::store::MemoryStore {
    fn credentials_for_test(&self) -> dime_core::stacie::Salt {
        use dime_dmap::store::Store;
        dime_dmap::store::block_on(self.credentials(USER)).unwrap().unwrap().salt().clone()
    }
}

#[test]
fn cancel_bad_base64_and_bad_names() {
    let mut h = Harness::new();
    assert_eq!(h.send(b"A AUTHENTICATE STACIE\r\n"), "+ \r\n");
    assert_eq!(h.send(b"*\r\n"), "A BAD Authentication cancelled\r\n");
    assert_eq!(h.send(b"A AUTHENTICATE STACIE\r\n"), "+ \r\n");
    assert_eq!(h.send(b"not base64!\r\n"), "A BAD Invalid base64 in the authentication exchange\r\n");
    assert_eq!(h.send(b"A AUTHENTICATE STACIE\r\n"), "+ \r\n");
    assert_eq!(h.send(format!("{}\r\n", b64(b"\xff\xfe")).as_bytes()), "A BAD Invalid user name\r\n");
    assert_eq!(h.send(b"A AUTHENTICATE STACIE =\r\n"), "A BAD Invalid user name\r\n");
    let challenge = h.challenge("A", USER);
    assert_eq!(h.send(b"*\r\n"), "A BAD Authentication cancelled\r\n");
    // The cancelled challenge's nonce is spent too.
    let mut h2 = Harness::new();
    let _ = h2.challenge("A", USER);
    assert_eq!(h2.answer(&token_for(USER, PASSWORD, &challenge)), FAILED);
}

#[test]
fn login_and_other_mechanisms_are_refused() {
    let mut h = Harness::new();
    assert_eq!(
        h.send(b"A LOGIN alice@example.org \"correct horse battery staple\"\r\n"),
        "A NO [CANNOT] LOGIN is disabled, use AUTHENTICATE STACIE\r\n"
    );
    assert_eq!(h.send(b"A AUTHENTICATE PLAIN\r\n"), "A NO [CANNOT] Unsupported mechanism, use STACIE\r\n");
    assert_eq!(
        h.send(b"A AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
        "A NO [CANNOT] Unsupported mechanism, use STACIE\r\n"
    );
    assert_eq!(h.state(), State::NotAuthenticated);
}

#[test]
fn tls_is_required_before_authentication() {
    let mut cfg = config();
    cfg.tls = false;
    cfg.starttls = true;
    let mut h = Harness::with(cfg, store());
    assert_eq!(
        h.send(b"A AUTHENTICATE STACIE\r\n"),
        "A NO [PRIVACYREQUIRED] TLS is required before authentication\r\n"
    );
    let out = h.send(b"C CAPABILITY\r\n");
    assert_eq!(
        out,
        "* CAPABILITY IMAP4rev1 DMAPv1 AUTH=STACIE SASL-IR LOGINDISABLED STARTTLS LITERAL- BINARY IDLE UIDPLUS MOVE ID ENABLE\r\nC OK CAPABILITY completed\r\n"
    );
    // STARTTLS drops what was pipelined behind it, then waits for the handshake.
    assert_eq!(h.send(b"T STARTTLS\r\nX NOOP\r\n"), "T OK Begin TLS negotiation now\r\n");
    assert!(h.events.contains(&Event::StartTls));
    assert_eq!(h.send(b"Y NOOP\r\n"), "", "nothing is read before tls_started");
    h.session.tls_started();
    assert_eq!(h.send(b"Z NOOP\r\n"), "Z OK NOOP completed\r\n");
    assert_eq!(h.send(b"T STARTTLS\r\n"), "T BAD TLS is already active\r\n");
    assert!(h.authenticate("A", USER, PASSWORD).starts_with("A OK"));
}

#[test]
fn starttls_refused_when_not_offered() {
    let mut cfg = config();
    cfg.tls = false;
    let mut h = Harness::with(cfg, store());
    assert_eq!(h.send(b"T STARTTLS\r\n"), "T BAD STARTTLS is not available\r\n");
}

#[test]
fn too_many_failures_end_the_session() {
    let mut h = Harness::new();
    for round in 1..=3 {
        h.challenge("A", USER);
        let out = h.answer(&[0; 64]);
        if round < 3 {
            assert_eq!(out, FAILED);
        } else {
            assert_eq!(out, format!("{FAILED}* BYE Too many failed authentications\r\n"));
        }
    }
    assert!(h.closed);
    assert_eq!(h.state(), State::Logout);
}

#[test]
fn a_session_owns_its_nonce() {
    // Two sessions over one store: answering one session's challenge in the other fails.
    let mut a = Harness::new();
    let mut b = ServerSession::new(config(), store(), std::time::Instant::now());
    while b.next().is_err_and(|i| i != dime_dmap::Interrupt::NeedMoreInput) {}
    let challenge_a = a.challenge("A", USER);
    let token = token_for(USER, PASSWORD, &challenge_a);
    let mut hb = Harness { session: b, events: Vec::new(), closed: false, now: std::time::Instant::now() };
    hb.challenge("A", USER);
    assert_eq!(hb.answer(&token), FAILED);
    assert!(a.answer(&token).starts_with("A OK"));
}

#[test]
fn the_configured_nonce_source_draws_the_challenge_nonce() {
    let mut config = config();
    config.nonce = || Ok(dime_core::stacie::Nonce::from_bytes([0x42; 128]));
    let mut h = Harness::with(config, store());
    let challenge = h.challenge("A", USER);
    assert_eq!(challenge.nonce.as_bytes(), &[0x42; 128]);
    let out = h.answer(&token_for(USER, PASSWORD, &challenge));
    assert!(out.starts_with("A OK [CAPABILITY"), "{out}");
    // A source that fails refuses the login instead of sending a challenge.
    let mut config = common::config();
    config.nonce = || Err(dime_core::Error::Randomness);
    let mut h = Harness::with(config, store());
    let out = h.send(format!("A AUTHENTICATE STACIE {}\r\n", b64(USER.as_bytes())).as_bytes());
    assert_eq!(out, "A NO [UNAVAILABLE] Cannot authenticate now\r\n");
}
