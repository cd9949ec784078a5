//! Delivery in memory, counted in round trips: MAIL FROM, RCPT TO and DATA pipelined when the
//! server offers PIPELINING, one at a time otherwise; refusals in the middle of a batch; a hash
//! the caller supplies; the incremental object hasher.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use common::*;
use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::client::*;
use dime_dmtp::object::ObjectHasher;
use dime_dmtp::server::{ListenMode, ServerConfig, ServerSession, SessionState};
use dime_dmtp::wire::{Reply, ReplyCode, Verb};
use proptest::prelude::*;

/// A client and a server session driven in lock step: each flight is everything the client
/// transmits before it must wait for the server, so the number of flights is the number of
/// round trips the client waited for.
struct Lockstep {
    client: ClientSession,
    server: ServerSession,
    store: Store,
    now: Instant,
    /// Rewrites what the server sends (e.g. to hide PIPELINING) before the client reads it.
    edit: fn(String) -> String,
    events: Vec<ClientEvent>,
}

fn unchanged(text: String) -> String {
    text
}

fn without_pipelining(text: String) -> String {
    text.replace("250-PIPELINING\r\n", "")
}

impl Lockstep {
    fn new(config: ServerConfig) -> Lockstep {
        let now = Instant::now();
        let mut server = ServerSession::new(Arc::new(config), now);
        server.tls_established(now).unwrap();
        let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), ConnectMode::Native), now);
        client.tls_established(now).unwrap();
        Lockstep { client, server, store: Store::default(), now, edit: unchanged, events: Vec::new() }
    }

    fn native() -> Lockstep {
        Lockstep::new(config(ListenMode::Native))
    }

    /// Runs until neither side has anything left to say; returns the client's flights.
    fn run(&mut self) -> Vec<Vec<Bytes>> {
        let mut flights = Vec::new();
        loop {
            let flight: Vec<Bytes> = std::iter::from_fn(|| self.client.poll_transmit()).collect();
            self.events.extend(std::iter::from_fn(|| self.client.poll()));
            let replies = (self.edit)(self.serve(flight.concat()));
            if !flight.is_empty() {
                flights.push(flight);
            }
            if replies.is_empty() {
                return flights;
            }
            assert_eq!(self.client.enqueue_input(self.now, replies.as_bytes()), replies.len());
        }
    }

    /// Gives the server `input` whole, answering its events; returns its replies.
    fn serve(&mut self, mut input: Vec<u8>) -> String {
        let mut replies = Vec::new();
        loop {
            let taken = self.server.enqueue_input(self.now, &input);
            input.drain(..taken);
            let mut answered = false;
            while let Some(event) = self.server.poll() {
                self.store.answer(&mut self.server, self.now, event);
                answered = true;
            }
            while let Some(bytes) = self.server.poll_transmit() {
                replies.extend_from_slice(&bytes);
            }
            if input.is_empty() || (taken == 0 && !answered) {
                assert!(input.is_empty(), "the server took every byte");
                return String::from_utf8(replies).unwrap();
            }
        }
    }

    fn deliver(&mut self, delivery: Delivery) -> RequestId {
        self.client.submit(self.now, Request::Deliver(delivery))
    }

    fn outcome(&self, id: RequestId) -> Result<Outcome, DmtpError> {
        outcome(&self.events, id)
    }
}

fn delivery(destination: &str, len: usize) -> Delivery {
    Delivery {
        origin: host("example.org"),
        origin_fingerprint: Fingerprint([1; 64]),
        destination: host(destination),
        destination_fingerprint: Fingerprint([2; 64]),
        object: object(len),
        hash: None,
        return_type: None,
        data_type: None,
    }
}

/// The command lines of one transmit.
fn lines(bytes: &Bytes) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert!(text.ends_with("\r\n"), "a transmit of whole lines");
    lines.iter().map(|l| l.to_string()).collect()
}

fn verbs(bytes: &Bytes) -> Vec<String> {
    lines(bytes).iter().map(|l| l.split([' ', ':']).next().unwrap().to_string()).collect()
}

fn rejected(verb: Verb, code: u16, text: &str) -> Result<Outcome, DmtpError> {
    Err(DmtpError::Rejected { verb, reply: Reply::new(ReplyCode::new(code).unwrap(), text) })
}

#[test]
fn pipelined_delivery_takes_three_round_trips_then_two() {
    let mut pair = Lockstep::native();
    let first = pair.deliver(delivery("example.net", 1000));
    let flights = pair.run();
    assert_eq!(flights.len(), 3, "EHLO; MAIL FROM + RCPT TO + DATA; the object");
    assert_eq!(flights[0].len(), 1);
    assert_eq!(verbs(&flights[0][0]), ["EHLO"]);
    assert_eq!(flights[1].len(), 1, "the three commands leave in one transmit");
    assert_eq!(verbs(&flights[1][0]), ["MAIL", "RCPT", "DATA"]);
    let hash = ObjectHasher::hash(&object(1000));
    assert_eq!(lines(&flights[1][0])[2], format!("DATA [{hash}]"));
    assert_eq!(flights[2], [object(1000), Bytes::from_static(b"\r\n")]);
    let received = pair.store.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(pair.outcome(first), Ok(Outcome::Delivered(received[0].txid)));
    assert_eq!(received[0].hash, hash);

    // The same origin again: no EHLO, one batch, the object.
    let second = pair.deliver(delivery("example.net", 10));
    let flights = pair.run();
    assert_eq!(flights.len(), 2);
    assert_eq!(verbs(&flights[0][0]), ["MAIL", "RCPT", "DATA"]);
    assert!(matches!(pair.outcome(second), Ok(Outcome::Delivered(_))));
    assert_eq!(pair.server.state(), SessionState::Greeted);
    assert_eq!(pair.server.violations(), 0);
    assert!(pair.client.is_idle() && !pair.client.is_closed());
}

#[test]
fn without_pipelining_each_command_waits_for_its_reply() {
    let mut pair = Lockstep::native();
    pair.edit = without_pipelining;
    let first = pair.deliver(delivery("example.net", 1000));
    let flights = pair.run();
    let firsts: Vec<Vec<String>> = flights[..4].iter().map(|f| verbs(&f[0])).collect();
    assert_eq!(firsts[..4], [["EHLO"], ["MAIL"], ["RCPT"], ["DATA"]]);
    assert_eq!(flights.len(), 5);
    assert!(matches!(pair.outcome(first), Ok(Outcome::Delivered(_))));
    let second = pair.deliver(delivery("example.net", 10));
    assert_eq!(pair.run().len(), 4);
    assert!(matches!(pair.outcome(second), Ok(Outcome::Delivered(_))));
    assert_eq!(pair.store.received.lock().unwrap().len(), 2);
}

#[test]
fn refused_rcpt_in_a_batch_is_the_error_and_the_next_batch_resets() {
    let mut pair = Lockstep::native();
    let relay = pair.deliver(delivery("example.com", 10));
    pair.run();
    assert_eq!(
        pair.outcome(relay),
        rejected(Verb::RcptTo, 551, "RELAY ACCESS DENIED - <example.com> IS NOT SERVED HERE")
    );
    // The table: RCPT TO refused leaves MAIL; the pipelined DATA got its 503 (a violation).
    assert_eq!(pair.server.state(), SessionState::Mail);
    assert_eq!(pair.server.violations(), 1);
    assert!(pair.client.is_idle() && !pair.client.is_closed());

    let next = pair.deliver(delivery("example.net", 10));
    let flights = pair.run();
    assert_eq!(flights.len(), 2);
    assert_eq!(verbs(&flights[0][0]), ["RSET", "MAIL", "RCPT", "DATA"]);
    assert!(matches!(pair.outcome(next), Ok(Outcome::Delivered(_))));
    assert_eq!(pair.server.state(), SessionState::Greeted);
    // Once a DATA verdict closed the transaction, no more RSET.
    pair.deliver(delivery("example.net", 10));
    assert_eq!(verbs(&pair.run()[0][0]), ["MAIL", "RCPT", "DATA"]);
}

/// The server refuses MAIL FROM over its real limit while the EHLO reply claims a larger one.
fn understated_limit() -> Lockstep {
    let mut config = config(ListenMode::Native);
    config.limits.max_message_size = 5;
    let mut pair = Lockstep::new(config);
    pair.edit = |text| text.replace("250-SIZE 5\r\n", "250-SIZE 1000\r\n");
    pair
}

#[test]
fn refused_mail_in_a_batch_is_the_error_and_leaves_the_session_greeted() {
    let mut pair = understated_limit();
    let big = pair.deliver(delivery("example.net", 6));
    let flights = pair.run();
    assert_eq!(verbs(&flights[1][0]), ["MAIL", "RCPT", "DATA"]);
    assert_eq!(pair.outcome(big), rejected(Verb::MailFrom, 552, "SIZE LIMIT EXCEEDED - THE LIMIT IS 5 BYTES"));
    // RCPT TO and DATA were refused with 503s (two violations); no transaction is open.
    assert_eq!(pair.server.state(), SessionState::Greeted);
    assert_eq!(pair.server.violations(), 2);
    assert!(pair.client.is_idle() && !pair.client.is_closed());
    let small = pair.deliver(delivery("example.net", 5));
    let flights = pair.run();
    assert_eq!(verbs(&flights[0][0]), ["MAIL", "RCPT", "DATA"]);
    assert!(matches!(pair.outcome(small), Ok(Outcome::Delivered(_))));
}

#[test]
fn refused_mail_after_an_open_transaction_cannot_start_data() {
    let mut pair = understated_limit();
    let relay = pair.deliver(delivery("example.com", 5));
    pair.run();
    assert!(matches!(pair.outcome(relay), Err(DmtpError::Rejected { verb: Verb::RcptTo, .. })));
    assert_eq!(pair.server.state(), SessionState::Mail);
    // Without the RSET the server would keep the old MAIL FROM, accept RCPT TO and answer the
    // batch's DATA with 354 for a transaction the client gave up.
    let big = pair.deliver(delivery("example.net", 6));
    let flights = pair.run();
    assert_eq!(verbs(&flights[0][0]), ["RSET", "MAIL", "RCPT", "DATA"]);
    assert_eq!(flights.len(), 1);
    assert_eq!(pair.outcome(big), rejected(Verb::MailFrom, 552, "SIZE LIMIT EXCEEDED - THE LIMIT IS 5 BYTES"));
    assert_eq!(pair.server.state(), SessionState::Greeted);
    assert!(pair.client.is_idle() && !pair.client.is_closed());
    assert!(pair.store.received.lock().unwrap().is_empty());
}

#[test]
fn a_supplied_hash_is_sent_as_given_and_checked_by_the_server() {
    let mut pair = Lockstep::native();
    let mut good = delivery("example.net", 300);
    let mut hasher = ObjectHasher::new();
    for piece in good.object.chunks(7) {
        hasher.update(piece);
    }
    good.hash = Some(hasher.finish());
    let good_id = pair.deliver(good.clone());
    pair.run();
    assert!(matches!(pair.outcome(good_id), Ok(Outcome::Delivered(_))));
    assert_eq!(pair.store.received.lock().unwrap()[0].hash, ObjectHasher::hash(&good.object));

    // A wrong hash goes out as given (the client does not recompute it) and the server refuses.
    let wrong = Fingerprint([9; 64]);
    let bad_id = pair.deliver(Delivery { hash: Some(wrong), ..good });
    let flights = pair.run();
    assert_eq!(lines(&flights[0][0])[2], format!("DATA [{wrong}]"));
    assert_eq!(pair.outcome(bad_id), rejected(Verb::Data, 451, "DATA CORRUPTED - THE MESSAGE HASH DOES NOT MATCH"));
    assert_eq!(pair.server.state(), SessionState::Greeted);
    assert_eq!(pair.store.received.lock().unwrap().len(), 1);
    // The object was refused after it was read whole: no transaction is left, so no RSET.
    pair.deliver(delivery("example.net", 1));
    assert_eq!(verbs(&pair.run()[0][0]), ["MAIL", "RCPT", "DATA"]);
}

/// Feeds a client scripted server replies, one chunk after each transmit; returns its events
/// and everything it transmitted after the chunks.
fn scripted(requests: Vec<Request>, server: &[&str]) -> (Vec<RequestId>, Vec<ClientEvent>, Vec<Bytes>, bool) {
    let now = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new(host("dx.example.net"), ConnectMode::Native), now);
    client.tls_established(now).unwrap();
    let ids = requests.into_iter().map(|r| client.submit(now, r)).collect();
    for chunk in server {
        while client.poll_transmit().is_some() {}
        assert_eq!(client.enqueue_input(now, chunk.as_bytes()), chunk.len());
    }
    let events = std::iter::from_fn(|| client.poll()).collect();
    let sent = std::iter::from_fn(|| client.poll_transmit()).collect();
    (ids, events, sent, client.is_closed())
}

const BANNER: &str = "220 <dx.example.net> DMTPv1 x\r\n";
const EHLO: &str = "250-PIPELINING\r\n250-SIZE 1000\r\n250 OK\r\n";

#[test]
fn closing_reply_in_a_batch_keeps_the_first_refusal() {
    let requests = vec![Request::Deliver(delivery("example.net", 3)), Request::Noop];
    // MAIL FROM accepted, then the server closes.
    let (ids, events, _, closed) = scripted(requests.clone(), &[BANNER, EHLO, "250 OK\r\n421 GOING DOWN\r\n"]);
    assert_eq!(outcome(&events, ids[0]), rejected(Verb::RcptTo, 421, "GOING DOWN"));
    assert_eq!(outcome(&events, ids[1]), rejected(Verb::RcptTo, 421, "GOING DOWN"));
    assert!(closed);
    // MAIL FROM refused, then the server closes: the delivery keeps the refusal.
    let (ids, events, _, closed) = scripted(requests, &[BANNER, EHLO, "452 LATER\r\n421 GOING DOWN\r\n"]);
    assert_eq!(outcome(&events, ids[0]), rejected(Verb::MailFrom, 452, "LATER"));
    assert_eq!(outcome(&events, ids[1]), rejected(Verb::RcptTo, 421, "GOING DOWN"));
    assert!(closed);
}

#[test]
fn data_accepted_after_a_refusal_closes_without_sending_the_object() {
    let hash = ObjectHasher::hash(&object(3));
    let requests = vec![Request::Deliver(delivery("example.net", 3)), Request::Noop];
    let batch = format!("250 OK\r\n551 NOT HERE\r\n354 CONTINUE [{hash}]\r\n");
    let (ids, events, sent, closed) = scripted(requests, &[BANNER, EHLO, &batch]);
    assert_eq!(outcome(&events, ids[0]), rejected(Verb::RcptTo, 551, "NOT HERE"));
    assert_eq!(
        outcome(&events, ids[1]),
        Err(DmtpError::UnexpectedReply {
            verb: Verb::Data,
            reply: Reply::new(ReplyCode::CONTINUE, format!("CONTINUE [{hash}]"))
        })
    );
    assert!(closed);
    assert!(sent.is_empty(), "no object bytes after the refusal");
}

#[test]
fn odd_replies_in_a_batch_are_typed() {
    let hash = ObjectHasher::hash(&object(3));
    let deliver = || vec![Request::Deliver(delivery("example.net", 3)), Request::Noop];
    // 354 to MAIL FROM, then the 503s a confused server might send.
    let (ids, events, _, closed) = scripted(deliver(), &[BANNER, EHLO, "354 GO\r\n503 A\r\n503 B\r\n", "250 OK\r\n"]);
    assert_eq!(
        outcome(&events, ids[0]),
        Err(DmtpError::UnexpectedReply { verb: Verb::MailFrom, reply: Reply::new(ReplyCode::CONTINUE, "GO") })
    );
    assert_eq!(outcome(&events, ids[1]), Ok(Outcome::Done), "the session goes on after the batch");
    assert!(!closed);
    // 250 to DATA instead of 354.
    let (ids, events, sent, _) = scripted(deliver(), &[BANNER, EHLO, "250 OK\r\n250 OK\r\n250 OK\r\n"]);
    assert_eq!(
        outcome(&events, ids[0]),
        Err(DmtpError::UnexpectedReply { verb: Verb::Data, reply: Reply::new(ReplyCode::OK, "OK") })
    );
    assert_eq!(sent.iter().map(verbs).collect::<Vec<_>>(), [["NOOP"]]);
    // The 354 must echo the hash sent.
    let other = Fingerprint([0; 64]);
    let batch = format!("250 OK\r\n250 OK\r\n354 CONTINUE [{other}]\r\n");
    let (ids, events, sent, closed) = scripted(deliver(), &[BANNER, EHLO, &batch]);
    assert_eq!(outcome(&events, ids[0]), Err(DmtpError::HashEchoMismatch));
    assert!(closed && sent.is_empty());
    // The right echo: the object and its CRLF go out.
    let batch = format!("250 OK\r\n250 OK\r\n354 CONTINUE [{hash}]\r\n");
    let (_, _, sent, closed) = scripted(deliver(), &[BANNER, EHLO, &batch]);
    assert_eq!(sent, [object(3), Bytes::from_static(b"\r\n")]);
    assert!(!closed);
}

#[test]
fn an_object_over_the_advertised_size_is_refused_before_mail_from() {
    let requests = vec![Request::Deliver(delivery("example.net", 1001)), Request::Noop];
    let (ids, events, sent, _) = scripted(requests, &[BANNER, EHLO]);
    assert_eq!(outcome(&events, ids[0]), Err(DmtpError::MessageTooLarge { size: 1001, limit: 1000 }));
    assert_eq!(sent.iter().map(verbs).collect::<Vec<_>>(), [["NOOP"]]);
}

proptest! {
    #[test]
    fn object_hasher_equals_one_pass(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cuts in proptest::collection::vec(0usize..2048, 0..8)) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut hasher = ObjectHasher::new();
        let mut writer = ObjectHasher::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            hasher.update(&bytes[start..cut]);
            writer.write_all(&bytes[start..cut]).unwrap();
            start = cut;
        }
        prop_assert_eq!(hasher.finish(), ObjectHasher::hash(&bytes));
        prop_assert_eq!(writer.finish(), ObjectHasher::hash(&bytes));
    }
}
