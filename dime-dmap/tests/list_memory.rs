//! The heap one `LIST "" *` holds (issue 12): an account whose deep names lost their
//! superiors (made before the name cap counted placeholders, or by another tool) has far more
//! placeholders than mailboxes. LIST walks the sorted names and produces its answer piece by
//! piece, so what it holds is the mailbox list and one piece, not every placeholder.

mod common;

use std::alloc::System;
use std::time::Instant;

use cap::Cap;
use common::{config, store};
use dime_dmap::Interrupt;
use dime_dmap::codec::Mailbox;
use dime_dmap::store::block_on;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn list_of_many_placeholders_holds_one_piece() {
    let (mailboxes, levels) = (1000, 100);
    let store = store();
    for k in 0..mailboxes {
        let name = format!("t{k:04}/{}", vec!["level"; levels - 1].join("/"));
        store.add_mailbox(common::USER, &Mailbox::new(&name)).unwrap();
    }
    let mut h = common::Harness::with(config(), store);
    h.login();
    h.session.enqueue_input(h.now, b"L LIST \"\" *\r\n");
    let before = HEAP.allocated();
    let (mut peak, mut lines, mut bytes) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    loop {
        peak = peak.max(HEAP.allocated().saturating_sub(before));
        match h.session.next() {
            Err(Interrupt::Output(out)) => {
                lines += out.iter().filter(|&&b| b == b'\n').count();
                bytes += out.len();
            }
            Err(Interrupt::Store) => block_on(h.session.run_store()),
            Err(_) => break,
            Ok(_) => {}
        }
    }
    let placeholders = mailboxes * (levels - 1);
    assert_eq!(lines, mailboxes + placeholders + 1 + 2, "INBOX, Archive, the names, the tagged OK");
    eprintln!(
        "LIST of {} names ({bytes} bytes): peak heap {peak} bytes above the start, {:?}",
        lines - 1,
        started.elapsed()
    );
    // The store's mailbox list (1,000 names of ~600 octets) and a 64 KiB piece, with room to
    // spare; the answer alone is 34 MB.
    assert!(peak < 4 << 20, "peak heap {peak} bytes");
}
