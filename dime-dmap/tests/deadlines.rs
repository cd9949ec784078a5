//! Time: the server session's deadlines (`docs/dmap.md` §8.1), driven on a simulated clock.

mod common;

use std::time::Duration;

use common::{Harness, USER, config, store};
use dime_dmap::State;
use dime_dmap::store::Store;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn an_unauthenticated_session_ends_after_the_login_timeout_whatever_it_sends() {
    let mut h = Harness::new();
    let start = h.now;
    assert_eq!(h.session.poll_timeout(), Some(start + MINUTE));
    assert_eq!(h.advance(30 * SECOND), "");
    // Commands do not buy an anonymous peer more time.
    assert_eq!(h.send(b"a NOOP\r\n"), "a OK NOOP completed\r\n");
    assert_eq!(h.session.poll_timeout(), Some(start + MINUTE));
    assert_eq!(h.advance(29 * SECOND), "");
    assert!(!h.closed);
    assert_eq!(h.advance(SECOND), "* BYE Autologout; authentication took too long\r\n");
    assert!(h.closed);
    assert_eq!(h.session.state(), State::Logout);
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn an_authenticated_session_is_logged_out_after_thirty_idle_minutes() {
    let mut h = Harness::new();
    h.login();
    // Logging in lifts the login deadline: the idle timer counts from the last byte.
    assert_eq!(h.session.poll_timeout(), Some(h.now + 30 * MINUTE));
    assert_eq!(h.advance(29 * MINUTE), "");
    assert_eq!(h.send(b"a NOOP\r\n"), "a OK NOOP completed\r\n");
    assert_eq!(h.advance(29 * MINUTE), "");
    assert!(!h.closed);
    assert_eq!(h.advance(MINUTE), "* BYE Autologout; idle for too long\r\n");
    assert!(h.closed);
}

#[test]
fn idle_is_logged_out_after_thirty_minutes_too() {
    let mut h = Harness::new();
    h.select_inbox();
    assert_eq!(h.send(b"i IDLE\r\n"), "+ idling\r\n");
    assert_eq!(h.advance(30 * MINUTE - SECOND), "");
    assert_eq!(h.advance(SECOND), "* BYE Autologout; idle for too long\r\n");
}

#[test]
fn an_unterminated_literal_ends_after_the_command_timeout() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"a APPEND INBOX {100}\r\n"), "+ Ready for literal data\r\n");
    assert_eq!(h.send(&[7u8; 10]), "");
    assert_eq!(h.session.poll_timeout(), Some(h.now + MINUTE));
    assert_eq!(h.advance(50 * SECOND), "");
    // Each byte received restarts the command timer.
    assert_eq!(h.send(&[7u8; 10]), "");
    assert_eq!(h.advance(59 * SECOND), "");
    assert_eq!(h.advance(SECOND), "* BYE Autologout; command not completed in time\r\n");
    assert!(h.closed);
    assert_eq!(
        dime_dmap::store::block_on(h.session.store().mailbox(USER, &dime_dmap::codec::Mailbox::inbox()))
            .unwrap()
            .messages
            .len(),
        3
    );
}

#[test]
fn a_partial_line_ends_after_the_command_timeout() {
    let mut h = Harness::new();
    h.login();
    assert_eq!(h.send(b"a NOO"), "");
    assert_eq!(h.advance(MINUTE), "* BYE Autologout; command not completed in time\r\n");
}

#[test]
fn an_unanswered_authenticate_ends_after_the_command_timeout() {
    let mut cfg = config();
    cfg.limits.login_timeout = 10 * MINUTE;
    let mut h = Harness::with(cfg, store());
    h.challenge("a", USER);
    assert_eq!(h.session.poll_timeout(), Some(h.now + MINUTE));
    assert_eq!(h.advance(MINUTE - SECOND), "");
    assert_eq!(h.advance(SECOND), "* BYE Autologout; command not completed in time\r\n");
    assert!(h.closed);
}

#[test]
fn timeouts_come_from_the_limits() {
    let mut cfg = config();
    cfg.limits.login_timeout = 5 * SECOND;
    let mut h = Harness::with(cfg, store());
    assert_eq!(h.session.poll_timeout(), Some(h.now + 5 * SECOND));
    // Called early, handle_timeout does nothing.
    let now = h.now;
    h.session.handle_timeout(now);
    assert_eq!(h.drain(), "");
    assert_eq!(h.advance(5 * SECOND), "* BYE Autologout; authentication took too long\r\n");
}

#[test]
fn default_timeouts() {
    let limits = dime_dmap::SessionLimits::default();
    assert_eq!(limits.login_timeout, MINUTE);
    assert_eq!(limits.idle_timeout, 30 * MINUTE);
    assert_eq!(limits.command_timeout, MINUTE);
}

#[test]
fn a_timeout_past_the_clock_s_range_never_comes() {
    let mut cfg = config();
    cfg.limits.login_timeout = Duration::MAX;
    cfg.limits.command_timeout = Duration::MAX;
    let mut h = Harness::with(cfg, store());
    assert_eq!(h.session.poll_timeout(), None);
    assert_eq!(h.send(b"a NOO"), "");
    assert_eq!(h.session.poll_timeout(), None);
    assert_eq!(h.advance(Duration::from_secs(365 * 24 * 3600)), "");
    assert!(!h.closed);
}
