//! The nom codec: round trips of every command and reply, exact parse errors, and limits.

use bytes::BytesMut;
use dime_core::Fingerprint;
use dime_dmtp::DmtpError;
use dime_dmtp::wire::*;
use dime_signet::record::HostName;
use proptest::prelude::*;

fn host() -> impl Strategy<Value = HostName> {
    "[a-z][a-z0-9-]{0,6}[a-z0-9](\\.[a-z][a-z0-9]{0,8}){0,2}\\.[a-z]{2,5}".prop_map(|s| HostName::new(&s).unwrap())
}

fn fingerprint() -> impl Strategy<Value = Fingerprint> {
    prop::collection::vec(any::<u8>(), 64).prop_map(|v| Fingerprint(v.try_into().unwrap()))
}

fn address() -> impl Strategy<Value = Address> {
    ("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[A-Za-z0-9_]{1,5}){0,2}", host())
        .prop_map(|(l, h)| Address::new(&l, h).unwrap())
}

fn name() -> impl Strategy<Value = Name> {
    prop_oneof![host().prop_map(Name::Org), address().prop_map(Name::User)]
}

fn command() -> impl Strategy<Value = Command> {
    let mail =
        (host(), fingerprint(), any::<u64>(), 0..4usize, 0..3usize).prop_map(|(domain, fingerprint, size, r, d)| {
            Command::MailFrom(MailFrom {
                domain,
                fingerprint,
                size,
                return_type: [None, Some(ReturnType::Full), Some(ReturnType::Display), Some(ReturnType::Header)][r],
                data_type: [None, Some(DataType::SevenBit), Some(DataType::EightBit)][d],
            })
        });
    prop_oneof![
        (host(), any::<bool>()).prop_map(|(host, mode)| Command::StartTls { host, mode }),
        host().prop_map(|domain| Command::Ehlo { domain }),
        Just(Command::Mode),
        mail,
        (host(), fingerprint()).prop_map(|(domain, fingerprint)| Command::RcptTo { domain, fingerprint }),
        fingerprint().prop_map(|hash| Command::Data { hash }),
        (name(), prop::option::of(fingerprint())).prop_map(|(name, fingerprint)| Command::Sgnt { name, fingerprint }),
        (address(), fingerprint(), prop::option::of(fingerprint())).prop_map(|(address, start, end)| Command::Hist {
            address,
            start,
            end
        }),
        (name(), fingerprint()).prop_map(|(name, fingerprint)| Command::Vrfy { name, fingerprint }),
        prop::option::of(any::<[u8; 32]>().prop_map(Nonce)).prop_map(|nonce| Command::Stats { nonce }),
        Just(Command::Rset),
        Just(Command::Noop),
        prop::option::of("[A-Za-z]{1,16}".prop_map(|t| HelpTopic::new(&t).unwrap()))
            .prop_map(|topic| Command::Help { topic }),
        Just(Command::Verb),
        Just(Command::Quit),
    ]
}

fn wire(command: &Command) -> Vec<u8> {
    let mut out = BytesMut::new();
    command.encode(&mut out);
    out.to_vec()
}

proptest! {
    #[test]
    fn command_round_trip(command in command()) {
        let bytes = wire(&command);
        prop_assert!(bytes.len() <= MAX_COMMAND_LINE);
        prop_assert!(bytes.ends_with(b"\r\n"));
        let line = &bytes[..bytes.len() - 2];
        prop_assert_eq!(Command::parse(line), Ok(command.clone()));
        // Verbs are case-insensitive: a lower-case verb parses to the same command.
        let text = String::from_utf8(line.to_vec()).unwrap();
        let verb_len = match command.verb() { Verb::MailFrom => 10, Verb::RcptTo => 8, v => v.name().len() };
        let lowered = format!("{}{}", text[..verb_len].to_ascii_lowercase(), &text[verb_len..]);
        prop_assert_eq!(Command::parse(lowered.as_bytes()), Ok(command));
    }

    #[test]
    fn reply_round_trip(code in 200u16..600, lines in prop::collection::vec("[ -~]{0,40}", 1..6)) {
        let reply = Reply::multi(ReplyCode::new(code).unwrap(), lines.clone());
        let bytes = reply.to_bytes();
        let mut decoder = ReplyDecoder::new(ReplyLimits::default());
        let (taken, decoded) = decoder.decode(&bytes);
        prop_assert_eq!(taken, bytes.len());
        prop_assert_eq!(decoded, Some(Ok(reply.clone())));
        prop_assert_eq!(reply.lines(), &lines[..]);
        // Byte at a time gives the same reply.
        let mut decoder = ReplyDecoder::new(ReplyLimits::default());
        let mut got = None;
        for byte in bytes.iter() {
            let (n, item) = decoder.decode(std::slice::from_ref(byte));
            prop_assert_eq!(n, 1);
            if item.is_some() { got = item; }
        }
        prop_assert_eq!(got, Some(Ok(reply)));
    }

    #[test]
    fn parser_never_panics(line in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Command::parse(&line);
        let _ = ReplyLine::parse(&line);
    }
}

const FP: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn parse(line: &str) -> Result<Command, DmtpError> {
    Command::parse(line.as_bytes())
}

#[test]
fn canonical_lines_are_exact_inverses() {
    for line in [
        "STARTTLS <dx.example.net> MODE=DMTPv1".to_string(),
        "STARTTLS <dx.example.net>".into(),
        "EHLO <example.org>".into(),
        "MODE".into(),
        format!("MAIL FROM: <example.org> [{FP}] SIZE=42 RETURN=DISPLAY DATA=8BIT"),
        format!("MAIL FROM: <example.org> [{FP}] SIZE=0"),
        format!("RCPT TO: <example.net> [{FP}]"),
        format!("DATA [{FP}]"),
        "SGNT <example.net>".into(),
        format!("SGNT <bob@example.net> [{FP}]"),
        format!("HIST <bob@example.net> [{FP}] [{FP}]"),
        format!("HIST <bob@example.net> [{FP}]"),
        format!("VRFY <example.net> [{FP}]"),
        "STATS".into(),
        "STATS [AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA]".into(),
        "RSET".into(),
        "NOOP".into(),
        "HELP".into(),
        "HELP SGNT".into(),
        "VERB".into(),
        "QUIT".into(),
    ] {
        let command = parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(command.to_string(), line);
    }
    // Parameters in another order and case parse to the canonical form.
    let any_order = parse(&format!("mail from: <Example.ORG> [{FP}] data=7bit Size=5")).unwrap();
    assert_eq!(any_order.to_string(), format!("MAIL FROM: <example.org> [{FP}] SIZE=5 DATA=7BIT"));
}

#[test]
fn every_parse_error() {
    use DmtpError::*;
    let cases: Vec<(String, DmtpError)> = vec![
        ("".into(), EmptyLine),
        (" NOOP".into(), UnknownVerb),
        ("FOO".into(), UnknownVerb),
        ("NOOPX".into(), UnknownVerb),
        ("\u{1}NOOP".into(), UnknownVerb),
        ("HELO example.org".into(), SmtpCommand),
        ("EHLO example.org".into(), SmtpCommand),
        ("EHLO <a@example.org>".into(), SmtpCommand),
        ("STARTTLS".into(), SmtpCommand),
        ("AUTH PLAIN".into(), SmtpCommand),
        ("EHLO".into(), CommandSyntax { verb: Verb::Ehlo }),
        ("EHLO <example.org> x".into(), CommandSyntax { verb: Verb::Ehlo }),
        ("EHLO  <example.org>".into(), SmtpCommand),
        ("EHLO <exa_mple.org>".into(), InvalidDomain { verb: Verb::Ehlo }),
        ("STARTTLS dx.example.org".into(), CommandSyntax { verb: Verb::StartTls }),
        ("STARTTLS <dx.example.org> MODE=SMTP".into(), CommandSyntax { verb: Verb::StartTls }),
        ("STARTTLS <dx!example.org>".into(), InvalidDomain { verb: Verb::StartTls }),
        ("MAIL".into(), CommandSyntax { verb: Verb::MailFrom }),
        ("MAIL FROM:<example.org>".into(), CommandSyntax { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}]"), CommandSyntax { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}] RETURN=FULL"), CommandSyntax { verb: Verb::MailFrom }),
        ("MAIL FROM: <example.org> [AAAA] SIZE=1".to_string(), CommandSyntax { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <bad_domain> [{FP}] SIZE=1"), InvalidParameter { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=01"), InvalidParameter { verb: Verb::MailFrom }),
        (
            format!("MAIL FROM: <example.org> [{FP}] SIZE=99999999999999999999"),
            InvalidParameter { verb: Verb::MailFrom },
        ),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=1 SIZE=2"), InvalidParameter { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=1 RETURN=ALL"), InvalidParameter { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=1 DATA=9BIT"), InvalidParameter { verb: Verb::MailFrom }),
        (
            format!("MAIL FROM: <example.org> [{FP}] SIZE=1 BODY=8BITMIME"),
            UnsupportedParameter { verb: Verb::MailFrom },
        ),
        ("RCPT TO: <example.net>".into(), CommandSyntax { verb: Verb::RcptTo }),
        (format!("RCPT TO: <example.net> [{FP}] x"), CommandSyntax { verb: Verb::RcptTo }),
        (format!("RCPT TO: <bob@example.net> [{FP}]"), InvalidParameter { verb: Verb::RcptTo }),
        ("DATA".into(), CommandSyntax { verb: Verb::Data }),
        ("DATA [AAAA]".into(), CommandSyntax { verb: Verb::Data }),
        ("SGNT".into(), CommandSyntax { verb: Verb::Sgnt }),
        ("SGNT example.net".into(), CommandSyntax { verb: Verb::Sgnt }),
        ("SGNT <a@b@example.net>".into(), InvalidParameter { verb: Verb::Sgnt }),
        ("SGNT <example.net> [x]".into(), CommandSyntax { verb: Verb::Sgnt }),
        ("HIST <bob@example.net>".into(), CommandSyntax { verb: Verb::Hist }),
        (format!("HIST <example.net> [{FP}]"), InvalidParameter { verb: Verb::Hist }),
        ("VRFY <example.net>".into(), CommandSyntax { verb: Verb::Vrfy }),
        ("VRFY <example.net> [QQ]".into(), CommandSyntax { verb: Verb::Vrfy }),
        ("STATS x".into(), CommandSyntax { verb: Verb::Stats }),
        ("STATS [AAAA]".into(), CommandSyntax { verb: Verb::Stats }),
        // docs/dmtp.md §3 character classes: outside the lexical class is syntax, inside it but
        // out of range or not canonical is an invalid parameter.
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=-1"), CommandSyntax { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=12a"), CommandSyntax { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE="), CommandSyntax { verb: Verb::MailFrom }),
        (
            format!("MAIL FROM: <example.org> [{FP}] SIZE=18446744073709551616"),
            InvalidParameter { verb: Verb::MailFrom },
        ),
        (format!("MAIL FROM: <example.org> [{FP}] SIZE=18446744073709551615x"), CommandSyntax { verb: Verb::MailFrom }),
        (format!("MAIL FROM: <bad_domain> [{FP}] SIZE=1x"), CommandSyntax { verb: Verb::MailFrom }),
        (format!("DATA [{FP}==]"), CommandSyntax { verb: Verb::Data }),
        (format!("DATA [{}]", &FP[..85]), CommandSyntax { verb: Verb::Data }),
        (format!("DATA [{}B]", &FP[..85]), InvalidParameter { verb: Verb::Data }),
        (format!("RCPT TO: <example.net> [{FP}A]"), CommandSyntax { verb: Verb::RcptTo }),
        ("HELP 1".into(), CommandSyntax { verb: Verb::Help }),
        ("HELP ABCDEFGHIJKLMNOPQ".into(), InvalidParameter { verb: Verb::Help }),
        ("NOOP x".into(), CommandSyntax { verb: Verb::Noop }),
        ("RSET x".into(), CommandSyntax { verb: Verb::Rset }),
        ("QUIT now".into(), CommandSyntax { verb: Verb::Quit }),
        ("MODE x".into(), CommandSyntax { verb: Verb::Mode }),
        ("VERB x".into(), CommandSyntax { verb: Verb::Verb }),
        ("NOOP\r".into(), UnknownVerb),
    ];
    for (line, error) in cases {
        assert_eq!(parse(&line), Err(error), "{line:?}");
    }
    assert_eq!(Command::parse(b"NOOP \xff"), Err(DmtpError::CommandSyntax { verb: Verb::Noop }));
    assert_eq!(Command::parse(b"N\xffOOP"), Err(DmtpError::UnknownVerb));
}
