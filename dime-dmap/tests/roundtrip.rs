//! Property tests: every command and response the codec can build survives
//! build → write → (fragment at random points) → parse unchanged.

use dime_dmap::codec::{
    Code, Command, CommandBody, Data, DateTime, FetchAttr, FetchItem, Flag, Fragment, FragmentLimits, Fragmentizer,
    Mailbox, ParseLimits, Response, SearchCriteria, SearchDate, SearchKey, Section, SectionText, SeqBound, SequenceSet,
    Status, StatusAttr, StatusKind, StoreMode, Tag, TextField,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use zeroize::Zeroizing;

fn tag() -> impl Strategy<Value = Tag> {
    "[A-Za-z0-9.\\]-]{1,12}".prop_map(|t| Tag::new(&t).unwrap())
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![Just("inbox".to_string()), "[a-zA-Z0-9/ .]{0,20}", "\\PC{0,12}"].prop_map(|m| Mailbox::new(m.as_str()))
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..300)
}

fn atom() -> impl Strategy<Value = String> {
    "[A-Za-z$][A-Za-z0-9_.-]{0,10}"
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        prop_oneof![Just("Recent"), Just("Important"), Just("X-Custom")].prop_map(|e| Flag::Extension(e.into())),
    ]
}

fn date() -> impl Strategy<Value = DateTime> {
    (-62_000_000_000i64..253_000_000_000, -1439i16..=1439)
        .prop_map(|(unix, offset)| DateTime::new(unix, offset).unwrap())
}

fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    let bound = prop_oneof![(1u32..).prop_map(SeqBound::Value), Just(SeqBound::Largest)];
    vec((bound.clone(), bound), 1..5).prop_map(|ranges| SequenceSet::new(ranges).unwrap())
}

fn status_attr() -> impl Strategy<Value = StatusAttr> {
    prop_oneof![
        Just(StatusAttr::Messages),
        Just(StatusAttr::Recent),
        Just(StatusAttr::UidNext),
        Just(StatusAttr::UidValidity),
        Just(StatusAttr::Unseen)
    ]
}

fn fetch_attr() -> impl Strategy<Value = FetchAttr> {
    prop_oneof![
        Just(FetchAttr::Uid),
        Just(FetchAttr::Flags),
        Just(FetchAttr::InternalDate),
        Just(FetchAttr::Rfc822Size),
        Just(FetchAttr::Rfc822),
        (any::<bool>(), option::of((any::<u32>(), 1u32..)))
            .prop_map(|(peek, partial)| FetchAttr::Body { peek, partial }),
        Just(FetchAttr::Rfc822Header),
        Just(FetchAttr::Rfc822Text),
        Just(FetchAttr::Envelope),
        Just(FetchAttr::BodyStructure),
        Just(FetchAttr::BodyShort),
        (any::<bool>(), section(), option::of((any::<u32>(), 1u32..)))
            .prop_map(|(peek, section, partial)| FetchAttr::Section { peek, section, partial }),
        (any::<bool>(), vec(1u32.., 0..3), option::of((any::<u32>(), 1u32..)))
            .prop_map(|(peek, part, partial)| FetchAttr::Binary { peek, part, partial }),
        vec(1u32.., 0..3).prop_map(|part| FetchAttr::BinarySize { part }),
    ]
}

/// Any section but `[]` (which is `FetchAttr::Body`).
fn section() -> impl Strategy<Value = Section> {
    let text = prop_oneof![
        Just(SectionText::Header),
        Just(SectionText::Text),
        (any::<bool>(), vec("[A-Za-z-]{1,10}", 1..3))
            .prop_map(|(not, fields)| SectionText::HeaderFields { not, fields }),
    ];
    prop_oneof![
        (vec(1u32.., 1..3), option::of(prop_oneof![text.clone(), Just(SectionText::Mime)]))
            .prop_map(|(part, text)| Section { part, text }),
        text.prop_map(|text| Section { part: vec![], text: Some(text) }),
    ]
}

/// The flags a search key names: system flags and keywords.
fn search_flag() -> impl Strategy<Value = Flag> {
    prop_oneof![Just(Flag::Seen), Just(Flag::Deleted), Just(Flag::Draft), atom().prop_map(Flag::Keyword)]
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::New),
        Just(SearchKey::Old),
        Just(SearchKey::Recent),
        search_flag().prop_map(SearchKey::Flag),
        search_flag().prop_map(SearchKey::NotFlag),
        (-700_000i64..2_900_000).prop_map(|d| SearchKey::On(SearchDate(d))),
        (-700_000i64..2_900_000).prop_map(|d| SearchKey::Since(SearchDate(d))),
        (-700_000i64..2_900_000).prop_map(|d| SearchKey::Sent("SENTBEFORE", SearchDate(d))),
        any::<u32>().prop_map(SearchKey::Larger),
        any::<u32>().prop_map(SearchKey::Smaller),
        sequence_set().prop_map(SearchKey::Uid),
        sequence_set().prop_map(SearchKey::Sequence),
        bytes().prop_map(|v| SearchKey::Text(TextField::Subject, v)),
        (bytes(), bytes()).prop_map(|(f, v)| SearchKey::Text(TextField::Header(f), v)),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..3).prop_map(SearchKey::And),
        ]
    })
}

fn search_criteria() -> impl Strategy<Value = SearchCriteria> {
    (option::of(Just("UTF-8".to_string())), vec(search_key(), 1..4))
        .prop_map(|(charset, keys)| SearchCriteria { charset, keys })
}

fn text() -> impl Strategy<Value = String> {
    "([ -Z\\\\^-~][ -~]{0,30})?"
}

fn body() -> impl Strategy<Value = CommandBody> {
    prop_oneof![
        Just(CommandBody::Capability),
        Just(CommandBody::Noop),
        Just(CommandBody::Logout),
        Just(CommandBody::StartTls),
        Just(CommandBody::Expunge),
        Just(CommandBody::Close),
        Just(CommandBody::Idle),
        Just(CommandBody::KeyfileFetch),
        Just(CommandBody::Check),
        mailbox().prop_map(CommandBody::Create),
        mailbox().prop_map(CommandBody::Delete),
        mailbox().prop_map(CommandBody::Subscribe),
        mailbox().prop_map(CommandBody::Unsubscribe),
        (mailbox(), mailbox()).prop_map(|(from, to)| CommandBody::Rename { from, to }),
        ("\\PC{0,10}", "[a-zA-Z%*/]{0,10}").prop_map(|(reference, pattern)| CommandBody::Lsub { reference, pattern }),
        (any::<bool>(), sequence_set(), mailbox()).prop_map(|(uid, set, mailbox)| CommandBody::Copy {
            uid,
            set,
            mailbox
        }),
        (any::<bool>(), sequence_set(), mailbox()).prop_map(|(uid, set, mailbox)| CommandBody::Move {
            uid,
            set,
            mailbox
        }),
        sequence_set().prop_map(CommandBody::UidExpunge),
        option::of(vec(("[a-z]{1,8}", option::of("[ -~]{0,12}")), 0..4)).prop_map(CommandBody::Id),
        vec(atom(), 1..4).prop_map(CommandBody::Enable),
        (any::<bool>(), search_criteria()).prop_map(|(uid, criteria)| CommandBody::Search { uid, criteria }),
        ("[A-Z][A-Z0-9-]{0,10}", option::of(bytes()))
            .prop_map(|(mechanism, initial)| CommandBody::Authenticate { mechanism, initial }),
        (bytes(), bytes()).prop_map(|(u, p)| CommandBody::Login { username: u, password: Zeroizing::new(p) }),
        ("\\PC{0,10}", "[a-zA-Z%*/]{0,10}").prop_map(|(reference, pattern)| CommandBody::List { reference, pattern }),
        mailbox().prop_map(CommandBody::Select),
        mailbox().prop_map(CommandBody::Examine),
        (mailbox(), vec(status_attr(), 1..5)).prop_map(|(mailbox, items)| CommandBody::Status { mailbox, items }),
        (any::<bool>(), sequence_set(), vec(fetch_attr(), 1..5)).prop_map(|(uid, set, items)| CommandBody::Fetch {
            uid,
            set,
            items
        }),
        (
            any::<bool>(),
            sequence_set(),
            prop_oneof![Just(StoreMode::Replace), Just(StoreMode::Add), Just(StoreMode::Remove)],
            any::<bool>(),
            vec(flag(), 0..4)
        )
            .prop_map(|(uid, set, mode, silent, flags)| CommandBody::Store { uid, set, mode, silent, flags }),
        (mailbox(), vec(flag(), 0..3), option::of(date()), bytes())
            .prop_map(|(mailbox, flags, date, object)| CommandBody::Append { mailbox, flags, date, object }),
        bytes().prop_map(|object| CommandBody::Submit { object }),
        bytes().prop_map(|request| CommandBody::SignetRequest { request }),
        "\\PC{0,20}".prop_map(|address| CommandBody::SignetLookup { address }),
        (vec(any::<u8>(), 64), bytes())
            .prop_map(|(shard, envelope)| CommandBody::KeyfileStore { shard: shard.try_into().unwrap(), envelope }),
    ]
}

fn code() -> impl Strategy<Value = Code> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::Parse),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::TryCreate),
        Just(Code::AuthenticationFailed),
        Just(Code::PrivacyRequired),
        Just(Code::Unavailable),
        Just(Code::Cannot),
        Just(Code::Nonexistent),
        Just(Code::TooBig),
        Just(Code::Limit),
        Just(Code::ClientBug),
        vec(atom(), 0..4).prop_map(Code::Capability),
        (vec(flag(), 0..4), any::<bool>()).prop_map(|(flags, keywords)| Code::PermanentFlags { flags, keywords }),
        (1u32..).prop_map(Code::UidNext),
        (1u32..).prop_map(Code::UidValidity),
        (1u32..).prop_map(Code::Unseen),
        atom().prop_map(Code::Submitted),
        Just(Code::AlreadyExists),
        (1u32.., 1u32..).prop_map(|(v, u)| Code::AppendUid(v, u)),
        (1u32.., "[1-9][0-9]{0,3}(:[1-9][0-9]{0,3})?(,[1-9][0-9]{0,3})?", "[1-9][0-9]{0,3}(:[1-9]{1,3})?")
            .prop_map(|(v, s, d)| Code::CopyUid(v, s, d)),
        ("X-[A-Z]{1,8}", option::of("[a-z0-9 ]{0,8}[a-z0-9]")).prop_map(|(name, rest)| Code::Other(name, rest)),
    ]
}

fn fetch_item() -> impl Strategy<Value = FetchItem> {
    prop_oneof![
        (1u32..).prop_map(FetchItem::Uid),
        vec(flag(), 0..4).prop_map(FetchItem::Flags),
        date().prop_map(FetchItem::InternalDate),
        any::<u32>().prop_map(FetchItem::Rfc822Size),
        (option::of(any::<u32>()), option::of(bytes())).prop_map(|(origin, data)| FetchItem::Body { origin, data }),
        option::of(bytes()).prop_map(FetchItem::Rfc822),
        option::of(bytes()).prop_map(FetchItem::Rfc822Header),
        option::of(bytes()).prop_map(FetchItem::Rfc822Text),
        Just(FetchItem::EnvelopeUnknown),
        (any::<bool>(), any::<u32>()).prop_map(|(extensible, size)| FetchItem::Structure { extensible, size }),
        (section(), option::of(any::<u32>()), option::of(bytes()))
            .prop_map(|(section, origin, data)| FetchItem::Section { section, origin, data }),
        (vec(1u32.., 0..3), option::of(bytes())).prop_map(|(part, data)| FetchItem::Binary { part, data }),
        (vec(1u32.., 0..3), any::<u32>()).prop_map(|(part, size)| FetchItem::BinarySize { part, size }),
    ]
}

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        vec(atom(), 0..5).prop_map(Data::Capability),
        (vec(atom().prop_map(|a| format!("\\{a}")), 0..3), option::of(0x20u8..0x7F), mailbox())
            .prop_map(|(attributes, delimiter, mailbox)| Data::List { attributes, delimiter, mailbox }),
        (mailbox(), vec((status_attr(), any::<u32>()), 0..5))
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        vec(flag(), 0..5).prop_map(Data::Flags),
        (vec(atom().prop_map(|a| format!("\\{a}")), 0..3), option::of(0x20u8..0x7F), mailbox())
            .prop_map(|(attributes, delimiter, mailbox)| Data::Lsub { attributes, delimiter, mailbox }),
        vec(1u32.., 0..6).prop_map(Data::Search),
        vec(("[a-z]{1,8}", "[ -~]{0,12}"), 0..4).prop_map(Data::Id),
        vec(atom(), 0..4).prop_map(Data::Enabled),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        any::<u32>().prop_map(Data::Expunge),
        (any::<u32>(), vec(fetch_item(), 1..4)).prop_map(|(seq, items)| Data::Fetch { seq, items }),
        ("\\PC{0,20}", bytes()).prop_map(|(address, signet)| Data::Signet { address, signet }),
        (vec(any::<u8>(), 64), bytes())
            .prop_map(|(shard, envelope)| Data::Keyfile { shard: shard.try_into().unwrap(), envelope }),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    let tagged_kind = prop_oneof![Just(StatusKind::Ok), Just(StatusKind::No), Just(StatusKind::Bad)];
    let any_kind = prop_oneof![
        Just(StatusKind::Ok),
        Just(StatusKind::No),
        Just(StatusKind::Bad),
        Just(StatusKind::PreAuth),
        Just(StatusKind::Bye)
    ];
    prop_oneof![
        (tag(), tagged_kind, option::of(code()), text()).prop_map(|(tag, kind, code, text)| Response::Status(Status {
            tag: Some(tag),
            kind,
            code,
            text
        })),
        (any_kind, option::of(code()), text()).prop_map(|(kind, code, text)| Response::Status(Status {
            tag: None,
            kind,
            code,
            text
        })),
        data().prop_map(Response::Data),
        "[ -~]{0,40}".prop_map(|t| Response::Continue(t.into_bytes())),
    ]
}

/// Runs `wire` through a fragmentizer in pieces cut at `cuts`; returns the one message.
fn fragment(wire: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut f = Fragmentizer::new(FragmentLimits { max_line: 1 << 16, max_literal: 1 << 16, max_message: 1 << 20 });
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    points.sort_unstable();
    points.push(wire.len());
    let mut start = 0;
    let mut messages = Vec::new();
    for point in points {
        f.enqueue(&wire[start..point]);
        start = point;
        while let Some(fragment) = f.progress() {
            match fragment {
                Fragment::Message(m) => messages.push(m),
                Fragment::Announced { fits: true, .. } => f.accept_literal(),
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(messages.len(), 1, "exactly one message");
    messages.pop().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn commands_round_trip(tag in tag(), body in body(), cuts in vec(any::<usize>(), 0..4), non_sync in prop_oneof![Just(0usize), Just(4096)]) {
        let command = Command { tag, body };
        let wire = command.write(non_sync).into_bytes();
        let message = fragment(&wire, &cuts);
        prop_assert_eq!(&message, &wire);
        prop_assert_eq!(Command::parse(&message, &ParseLimits::default()).unwrap(), command);
    }

    #[test]
    fn responses_round_trip(response in response(), cuts in vec(any::<usize>(), 0..4)) {
        let wire = response.to_bytes();
        let message = fragment(&wire, &cuts);
        prop_assert_eq!(&message, &wire);
        prop_assert_eq!(Response::parse(&message).unwrap(), response);
    }

    #[test]
    fn command_parts_join_to_the_whole(tag in tag(), body in body()) {
        let command = Command { tag, body };
        let parts = command.write(0).into_parts();
        prop_assert_eq!(parts.concat(), command.to_bytes());
        // Every part but the last ends with a synchronizing announcement.
        for part in &parts[..parts.len() - 1] {
            let announced = part.ends_with(b"}\r\n");
            prop_assert!(announced);
        }
    }

    #[test]
    fn parsers_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        let _ = Command::parse(&bytes, &ParseLimits::default());
        let _ = Response::parse(&bytes);
    }
}
