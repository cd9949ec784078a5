//! The answers of LIST and LSUB (RFC 3501 §6.3.8, §6.3.9; `docs/dmap.md` §5): the names of an
//! account's hierarchy with the `\Noselect` placeholders of their implied superiors, produced
//! as the driver drains the output instead of all at once.
//!
//! A superior of a listed name that is not listed itself (`a` and `a/b` of `a/b/c` after
//! `DELETE a`) is a placeholder. Placeholders are never collected into a set: names are walked
//! in sorted order, where every name below `p/` follows the first one without a gap, so a
//! placeholder is new exactly when it is not among the placeholders given for the names just
//! before. The walk keeps those in a stack of at most one entry per level of the current name.

use super::DELIMITER;
use super::mailbox::{matches, simplified};
use crate::codec::{Data, Mailbox, Response};

/// The superiors of `name` (`a` and `a/b` for `a/b/c`), outermost first, as slices of it.
fn superiors(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('/').map(move |(i, _)| name.get(..i).unwrap_or_default())
}

/// How many levels `name` has (`a/b/c`: 3).
pub(super) fn depth(name: &str) -> usize {
    name.split('/').count()
}

/// Whether `name` is in `sorted` (mailbox order; `INBOX` in any case is `INBOX`).
fn contains(sorted: &[Mailbox], name: &str) -> bool {
    let name = if name.eq_ignore_ascii_case("INBOX") { "INBOX" } else { name };
    sorted.binary_search_by(|m| m.as_str().cmp(name)).is_ok()
}

/// The placeholders given for the names walked so far that may still come up again: superiors
/// of the last name walked, outermost first.
#[derive(Debug, Default)]
struct Given(Vec<String>);

impl Given {
    /// The superiors of `name` that are not in `names`, that `wanted` accepts and that were not
    /// given for an earlier name, outermost first; records them as given. `names` is sorted and
    /// the names are walked in its order.
    fn new_superiors<'a>(&mut self, names: &[Mailbox], name: &'a str, wanted: impl Fn(&str) -> bool) -> Vec<&'a str> {
        // Names below `p/` are contiguous: a given `p` that is not a superior of `name` never
        // comes up again.
        self.0.retain(|p| name.strip_prefix(p.as_str()).is_some_and(|rest| rest.starts_with('/')));
        let fresh: Vec<&str> =
            superiors(name).filter(|p| !contains(names, p) && !self.0.iter().any(|g| g == p) && wanted(p)).collect();
        self.0.extend(fresh.iter().map(|p| (*p).to_owned()));
        fresh
    }
}

/// How many names the hierarchy of `sorted` (sorted, without repeats) has: each name and each
/// superior that is not a name itself, once. Work O(n × depth × log n), memory one level stack.
pub(super) fn hierarchy_size(sorted: &[Mailbox]) -> usize {
    let mut given = Given::default();
    sorted.iter().map(|m| 1 + given.new_superiors(sorted, m.as_str(), |_| true).len()).sum()
}

/// LIST or LSUB.
#[derive(Debug)]
enum Kind {
    /// `names` are the mailboxes.
    List,
    /// `names` are the subscriptions; `mailboxes` (sorted) tell which have a mailbox.
    Lsub { mailboxes: Vec<Mailbox> },
}

/// A LIST or LSUB answer in progress: [`Listing::piece`] produces its next responses.
#[derive(Debug)]
pub(crate) struct Listing {
    kind: Kind,
    /// Sorted, without repeats.
    names: Vec<Mailbox>,
    /// Reference and pattern concatenated.
    pattern: Vec<u8>,
    /// The next name to walk.
    next: usize,
    given: Given,
}

impl Listing {
    /// The LIST answer for `mailboxes` (any order) and `pattern` (reference and pattern
    /// concatenated).
    pub(super) fn list(mut mailboxes: Vec<Mailbox>, pattern: String) -> Listing {
        mailboxes.sort();
        mailboxes.dedup();
        Listing {
            kind: Kind::List,
            names: mailboxes,
            pattern: simplified(pattern.as_bytes()),
            next: 0,
            given: Given::default(),
        }
    }

    /// The LSUB answer for `subscribed` and `mailboxes` (any order).
    pub(super) fn lsub(mut subscribed: Vec<Mailbox>, mut mailboxes: Vec<Mailbox>, pattern: String) -> Listing {
        subscribed.sort();
        subscribed.dedup();
        mailboxes.sort();
        let kind = Kind::Lsub { mailboxes };
        Listing { kind, names: subscribed, pattern: simplified(pattern.as_bytes()), next: 0, given: Given::default() }
    }

    /// Whether every response has been produced.
    pub(crate) fn done(&self) -> bool {
        self.next >= self.names.len()
    }

    /// The next responses: whole names walked until `budget` bytes are reached or passed (by
    /// at most one name's answers: the name and its new placeholders, one line each), or
    /// until the end. Empty when nothing is left.
    pub(crate) fn piece(&mut self, budget: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < budget.max(1) && !self.done() {
            for data in self.step() {
                out.extend_from_slice(&Response::Data(data).to_bytes());
            }
        }
        out
    }

    /// The answers of the next name: its new placeholders, then itself, where the pattern
    /// matches them.
    fn step(&mut self) -> Vec<Data> {
        let Some(name) = self.names.get(self.next) else { return Vec::new() };
        self.next += 1;
        let pattern = &self.pattern;
        let matched = |m: &str| matches(pattern, m.as_bytes());
        let names = &self.names;
        let mut answers = Vec::new();
        match &self.kind {
            Kind::List => {
                for p in self.given.new_superiors(names, name.as_str(), matched) {
                    let attributes = vec!["\\Noselect".into(), "\\HasChildren".into()];
                    answers.push(Data::List { attributes, delimiter: Some(DELIMITER), mailbox: Mailbox::new(p) });
                }
                if matched(name.as_str()) {
                    let children = if has_children(names, name) { "\\HasChildren" } else { "\\HasNoChildren" };
                    let attributes = vec![children.to_string()];
                    answers.push(Data::List { attributes, delimiter: Some(DELIMITER), mailbox: name.clone() });
                }
            }
            Kind::Lsub { mailboxes } => {
                if matched(name.as_str()) {
                    let selectable = mailboxes.binary_search(name).is_ok();
                    let attributes = if selectable { Vec::new() } else { vec!["\\Noselect".into()] };
                    answers.push(Data::Lsub { attributes, delimiter: Some(DELIMITER), mailbox: name.clone() });
                } else {
                    // RFC 3501 §6.3.9: when `%` stops the pattern above a subscribed name, its
                    // superior that the pattern matches is listed as `\Noselect` if it is not
                    // subscribed itself.
                    for p in self.given.new_superiors(names, name.as_str(), matched) {
                        let attributes = vec!["\\Noselect".into()];
                        answers.push(Data::Lsub { attributes, delimiter: Some(DELIMITER), mailbox: Mailbox::new(p) });
                    }
                }
            }
        }
        answers
    }
}

/// Whether a name of `sorted` lies below `name` (`name/...`). Names below it follow it
/// directly or after names that sort between (`name-x`); a binary search finds the first.
fn has_children(sorted: &[Mailbox], name: &Mailbox) -> bool {
    let prefix = format!("{}/", name.as_str());
    let at = sorted.partition_point(|m| m.as_str() < prefix.as_str());
    sorted.get(at).is_some_and(|m| m.as_str().starts_with(&prefix))
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy;

    use super::*;

    fn names(list: &[&str]) -> Vec<Mailbox> {
        let mut names: Vec<Mailbox> = list.iter().map(|n| Mailbox::new(n)).collect();
        names.sort();
        names
    }

    fn all(mut listing: Listing) -> String {
        let mut out = Vec::new();
        while !listing.done() {
            out.extend(listing.piece(1));
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hierarchy_sizes() {
        assert_eq!(hierarchy_size(&names(&[])), 0);
        assert_eq!(hierarchy_size(&names(&["INBOX", "a/b/c"])), 4);
        assert_eq!(hierarchy_size(&names(&["a", "a-x", "a/b", "a/c/d", "b/x"])), 7);
        assert_eq!(hierarchy_size(&names(&["a/b/c", "a/b/d", "a-b/c"])), 6);
    }

    #[test]
    fn placeholders_come_once_before_their_first_inferior() {
        let listing = Listing::list(names(&["a/b/c", "a-x", "a/b/d", "a/e"]), "*".into());
        assert_eq!(
            all(listing),
            "* LIST (\\HasNoChildren) \"/\" a-x\r\n\
             * LIST (\\Noselect \\HasChildren) \"/\" a\r\n* LIST (\\Noselect \\HasChildren) \"/\" a/b\r\n\
             * LIST (\\HasNoChildren) \"/\" a/b/c\r\n* LIST (\\HasNoChildren) \"/\" a/b/d\r\n\
             * LIST (\\HasNoChildren) \"/\" a/e\r\n"
        );
    }

    /// The lines of a listing, sorted (the walk's order differs from name order only where a
    /// placeholder comes before its first inferior).
    fn lines(listing: Listing) -> Vec<String> {
        let mut lines: Vec<String> = all(listing).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    }

    /// What LIST answered before the walk: every name and placeholder in a set.
    fn list_reference(mailboxes: &[Mailbox], pattern: &str) -> Vec<String> {
        let mut all: std::collections::BTreeMap<String, bool> =
            mailboxes.iter().map(|m| (m.as_str().to_owned(), true)).collect();
        for m in mailboxes {
            for p in superiors(m.as_str()) {
                all.entry(Mailbox::new(p).as_str().to_owned()).or_insert(false);
            }
        }
        let mut lines: Vec<String> = all
            .iter()
            .filter(|(name, _)| matches(pattern.as_bytes(), name.as_bytes()))
            .map(|(name, &real)| {
                let children = mailboxes.iter().any(|m| m.as_str().starts_with(&format!("{name}/")));
                let mut attributes = vec![if children { "\\HasChildren" } else { "\\HasNoChildren" }];
                if !real {
                    attributes.insert(0, "\\Noselect");
                }
                let data = Data::List {
                    attributes: attributes.into_iter().map(String::from).collect(),
                    delimiter: Some(DELIMITER),
                    mailbox: Mailbox::new(name),
                };
                String::from_utf8(Response::Data(data).to_bytes()).unwrap().trim_end().to_owned()
            })
            .collect();
        lines.sort();
        lines
    }

    /// What LSUB answered before the walk (RFC 3501 §6.3.9 placeholders in a set).
    fn lsub_reference(subscribed: &[Mailbox], mailboxes: &[Mailbox], pattern: &str) -> Vec<String> {
        let matched = |m: &str| matches(pattern.as_bytes(), m.as_bytes());
        let mut answers: std::collections::BTreeSet<(String, bool)> = subscribed
            .iter()
            .filter(|m| matched(m.as_str()))
            .map(|m| (m.as_str().to_owned(), mailboxes.contains(m)))
            .collect();
        for m in subscribed.iter().filter(|m| !matched(m.as_str())) {
            for p in superiors(m.as_str()).map(Mailbox::new) {
                if matched(p.as_str()) && !subscribed.contains(&p) {
                    answers.insert((p.as_str().to_owned(), false));
                }
            }
        }
        let mut lines: Vec<String> = answers
            .into_iter()
            .map(|(name, selectable)| {
                let attributes = if selectable { Vec::new() } else { vec!["\\Noselect".into()] };
                let data = Data::Lsub { attributes, delimiter: Some(DELIMITER), mailbox: Mailbox::new(&name) };
                String::from_utf8(Response::Data(data).to_bytes()).unwrap().trim_end().to_owned()
            })
            .collect();
        lines.sort();
        lines
    }

    fn name() -> impl proptest::strategy::Strategy<Value = Mailbox> {
        proptest::string::string_regex("(INBOX|[ab-]{1,2})(/[ab-]{1,2}){0,3}").unwrap().prop_map(|n| Mailbox::new(&n))
    }

    proptest::proptest! {
        /// The walk answers exactly what the set-based computation answered, each line once.
        #[test]
        fn the_walk_answers_what_the_sets_did(
            mailboxes in proptest::collection::btree_set(name(), 0..12),
            subscribed in proptest::collection::btree_set(name(), 0..8),
            pattern in "[ab/%*-]{0,5}",
        ) {
            let mailboxes: Vec<Mailbox> = mailboxes.into_iter().collect();
            let subscribed: Vec<Mailbox> = subscribed.into_iter().collect();
            let listed = lines(Listing::list(mailboxes.clone(), pattern.clone()));
            proptest::prop_assert_eq!(&listed, &list_reference(&mailboxes, &pattern));
            let lsub = lines(Listing::lsub(subscribed.clone(), mailboxes.clone(), pattern.clone()));
            proptest::prop_assert_eq!(&lsub, &lsub_reference(&subscribed, &mailboxes, &pattern));
            let mut names: Vec<Mailbox> = mailboxes.clone();
            names.sort();
            let total = lines(Listing::list(mailboxes, "*".into())).len();
            proptest::prop_assert_eq!(hierarchy_size(&names), total);
        }
    }

    /// The walk holds one piece at a time: 1,000 names of 8 levels (7,000 placeholders) come
    /// in pieces no larger than the budget and one name's answers, and add up to all of them.
    #[test]
    fn a_large_listing_comes_in_bounded_pieces() {
        let list: Vec<String> = (0..1000).map(|k| format!("t{k}/{}", ["level"; 7].join("/"))).collect();
        let list: Vec<&str> = list.iter().map(String::as_str).collect();
        let mut listing = Listing::list(names(&list), "*".into());
        let (budget, one_name) = (4096, 8 * 100);
        let (mut lines, mut pieces) = (0, 0);
        while !listing.done() {
            let piece = listing.piece(budget);
            assert!(piece.len() < budget + one_name, "piece of {} bytes", piece.len());
            lines += piece.split(|&b| b == b'\n').count() - 1;
            pieces += 1;
        }
        assert_eq!(lines, 8000);
        assert!(pieces > 100, "{pieces} pieces");
    }
}
