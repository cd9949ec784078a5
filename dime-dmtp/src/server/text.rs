//! The exact replies the server sends, one function or constant per reply of `docs/dmtp.md`.

use dime_core::{Fingerprint, base64};

use crate::error::DmtpError;
use crate::wire::{Nonce, Reply, ReplyCode, TxId, Verb};

/// `250 OK`.
pub fn ok() -> Reply {
    Reply::new(ReplyCode::OK, "OK")
}

/// The banner: `220 <host> DMTPv1 dime-rs`, with `ESMTP` before `DMTPv1` when the listener also
/// hands sessions to SMTP.
pub fn banner(host: &str, esmtp: bool) -> Reply {
    let esmtp = if esmtp { "ESMTP " } else { "" };
    Reply::new(ReplyCode::READY, format!("<{host}> {esmtp}DMTPv1 dime-rs"))
}

/// The STARTTLS go-ahead.
pub fn starttls_go(host: &str) -> Reply {
    Reply::multi(ReplyCode::READY, [format!("SENDING CERTIFICATE FOR DOMAIN <{host}>"), "READY".into()])
}

/// The first reply inside TLS after STARTTLS.
pub fn starttls_done() -> Reply {
    Reply::new(ReplyCode::OK, "OK DMTPv1")
}

/// `MODE`: `200 OK DMTPv1`, or `200 OK ESMTP DMTPv1` in dual mode before TLS with SMTP hand-off on.
pub fn mode(esmtp: bool) -> Reply {
    Reply::new(ReplyCode::OK_INFO, if esmtp { "OK ESMTP DMTPv1" } else { "OK DMTPv1" })
}

/// The EHLO capabilities.
pub fn ehlo(size_limit: u64) -> Reply {
    Reply::multi(
        ReplyCode::OK,
        [
            "PIPELINING".to_string(),
            "8BITMIME".into(),
            "8BITDIME".into(),
            "RETURN".into(),
            format!("SIZE {size_limit}"),
            "OK".into(),
        ],
    )
}

/// `503 DMTP COMMAND REQUIRES STARTTLS FIRST.`
pub fn requires_starttls() -> Reply {
    Reply::new(ReplyCode::BAD_SEQUENCE, "DMTP COMMAND REQUIRES STARTTLS FIRST.")
}

/// `454 SESSION IS ALREADY ENCRYPTED.`
pub fn already_encrypted() -> Reply {
    Reply::new(ReplyCode::TLS_UNAVAILABLE, "SESSION IS ALREADY ENCRYPTED.")
}

/// `554 CERTIFICATE NOT FOUND FOR DOMAIN.`
pub fn no_certificate() -> Reply {
    Reply::new(ReplyCode::FAILED, "CERTIFICATE NOT FOUND FOR DOMAIN.")
}

/// `554 <host> SMTP SERVICE NOT AVAILABLE`.
pub fn smtp_unavailable(host: &str) -> Reply {
    Reply::new(ReplyCode::FAILED, format!("<{host}> SMTP SERVICE NOT AVAILABLE"))
}

/// `554 DMTP SESSION CANNOT FALLBACK AFTER ESTABLISHMENT.`
pub fn no_fallback() -> Reply {
    Reply::new(ReplyCode::FAILED, "DMTP SESSION CANNOT FALLBACK AFTER ESTABLISHMENT.")
}

/// `503 <VERB> REJECTED - PLEASE PROVIDE AN EHLO AND TRY AGAIN` (and `A MAIL FROM`, `A RCPT TO`).
pub fn sequence(verb: Verb, missing: Verb) -> Reply {
    let article = if missing == Verb::Ehlo { "AN" } else { "A" };
    Reply::new(
        ReplyCode::BAD_SEQUENCE,
        format!("{} REJECTED - PLEASE PROVIDE {article} {} AND TRY AGAIN", verb.name(), missing.name()),
    )
}

/// `503 RCPT TO REJECTED - ONLY ONE DESTINATION PER TRANSACTION`.
pub fn second_rcpt() -> Reply {
    Reply::new(ReplyCode::BAD_SEQUENCE, "RCPT TO REJECTED - ONLY ONE DESTINATION PER TRANSACTION")
}

/// `552 SIZE LIMIT EXCEEDED - THE LIMIT IS <n> BYTES`.
pub fn too_large(limit: u64) -> Reply {
    Reply::new(ReplyCode::SIZE_LIMIT, format!("SIZE LIMIT EXCEEDED - THE LIMIT IS {limit} BYTES"))
}

/// `551 RELAY ACCESS DENIED - <domain> IS NOT SERVED HERE`.
pub fn not_served(domain: &str) -> Reply {
    Reply::new(ReplyCode::RELAY_DENIED, format!("RELAY ACCESS DENIED - <{domain}> IS NOT SERVED HERE"))
}

/// `554 INVALID RECIPIENT - THE FINGERPRINT IS NOT A CURRENT SIGNET OF <domain>`.
pub fn wrong_destination_signet(domain: &str) -> Reply {
    Reply::new(ReplyCode::FAILED, format!("INVALID RECIPIENT - THE FINGERPRINT IS NOT A CURRENT SIGNET OF <{domain}>"))
}

/// `354 CONTINUE [hash]`.
pub fn data_go(hash: &Fingerprint) -> Reply {
    Reply::new(ReplyCode::CONTINUE, format!("CONTINUE [{hash}]"))
}

/// `421 DATA FAILED - THE CONNECTION TIMED OUT WHILE WAITING FOR DATA - GOOD BYE`.
pub fn data_timeout() -> Reply {
    Reply::new(ReplyCode::CLOSING, "DATA FAILED - THE CONNECTION TIMED OUT WHILE WAITING FOR DATA - GOOD BYE")
}

/// `421 IDLE TIMEOUT - GOOD BYE`.
pub fn idle_timeout() -> Reply {
    Reply::new(ReplyCode::CLOSING, "IDLE TIMEOUT - GOOD BYE")
}

/// `421 TOO MANY PROTOCOL VIOLATIONS - GOOD BYE`.
pub fn too_many_violations() -> Reply {
    Reply::new(ReplyCode::CLOSING, "TOO MANY PROTOCOL VIOLATIONS - GOOD BYE")
}

/// `451 DATA CORRUPTED - THE MESSAGE HASH DOES NOT MATCH`.
pub fn hash_mismatch() -> Reply {
    Reply::new(ReplyCode::LOCAL_ERROR, "DATA CORRUPTED - THE MESSAGE HASH DOES NOT MATCH")
}

/// `554 DATA LONGER THAN SIZE - TRANSACTION ABORTED`.
pub fn data_too_long() -> Reply {
    Reply::new(ReplyCode::FAILED, "DATA LONGER THAN SIZE - TRANSACTION ABORTED")
}

/// `250 OK [txid]`.
pub fn accepted(txid: &TxId) -> Reply {
    Reply::new(ReplyCode::OK, format!("OK [{txid}]"))
}

/// `451 INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER`.
pub fn internal_error() -> Reply {
    Reply::new(ReplyCode::LOCAL_ERROR, "INTERNAL SERVER ERROR - PLEASE TRY AGAIN LATER")
}

/// `250 OK [<padded base64 signet>]`.
pub fn signet(bytes: &[u8]) -> Reply {
    Reply::new(ReplyCode::OK, format!("OK [{}]", base64::encode_padded(bytes)))
}

/// `250-[<signet>]` per element, then `250 OK`.
pub fn history(chain: &[Vec<u8>]) -> Reply {
    let lines = chain.iter().map(|s| format!("[{}]", base64::encode_padded(s))).chain(["OK".to_string()]);
    Reply::multi(ReplyCode::OK, lines)
}

/// `450 SIGNET NOT FOUND.`
pub fn signet_not_found() -> Reply {
    Reply::new(ReplyCode::NOT_FOUND, "SIGNET NOT FOUND.")
}

/// `250 CURRENT`.
pub fn current() -> Reply {
    Reply::new(ReplyCode::OK, "CURRENT")
}

/// `250 UPDATE [fp]`.
pub fn update(fingerprint: &Fingerprint) -> Reply {
    Reply::new(ReplyCode::OK, format!("UPDATE [{fingerprint}]"))
}

/// `200 ONCE [nonce]`.
pub fn nonce(nonce: &Nonce) -> Reply {
    Reply::new(ReplyCode::OK_INFO, format!("ONCE [{nonce}]"))
}

/// `450 BAD NONCE.`
pub fn bad_nonce() -> Reply {
    Reply::new(ReplyCode::NOT_FOUND, "BAD NONCE.")
}

/// `250-<name> <value>` per statistic, then `250 OK`.
pub fn stats(values: &[(String, u64)]) -> Reply {
    let lines = values.iter().map(|(name, value)| format!("{name} {value}")).chain(["OK".to_string()]);
    Reply::multi(ReplyCode::OK, lines)
}

/// `200 OK` (VERB).
pub fn verb() -> Reply {
    Reply::new(ReplyCode::OK_INFO, "OK")
}

/// `221 BYE`.
pub fn bye() -> Reply {
    Reply::new(ReplyCode::BYE, "BYE")
}

/// `500 INVALID COMMAND`.
pub fn unknown() -> Reply {
    Reply::new(ReplyCode::UNKNOWN, "INVALID COMMAND")
}

/// `500 LINE TOO LONG`.
pub fn line_too_long() -> Reply {
    Reply::new(ReplyCode::UNKNOWN, "LINE TOO LONG")
}

/// `500 LINES MUST END WITH CRLF`.
pub fn bare_lf() -> Reply {
    Reply::new(ReplyCode::UNKNOWN, "LINES MUST END WITH CRLF")
}

/// One line of help per verb.
pub fn help_text(verb: Verb) -> Option<&'static str> {
    Some(match verb {
        Verb::StartTls => "STARTTLS <HOST> MODE=DMTPV1 - START TLS ON A DUAL-MODE CONNECTION",
        Verb::Ehlo => "EHLO <DOMAIN> - NAME THE ORIGIN ORGANIZATION",
        Verb::Mode => "MODE - SHOW THE PROTOCOL MODE",
        Verb::MailFrom => "MAIL FROM: <DOMAIN> [FINGERPRINT] SIZE=N [RETURN=FULL|DISPLAY|HEADER] [DATA=7BIT|8BIT]",
        Verb::RcptTo => "RCPT TO: <DOMAIN> [FINGERPRINT] - NAME THE DESTINATION ORGANIZATION",
        Verb::Data => "DATA [HASH] - SEND EXACTLY SIZE BYTES AND A CRLF AFTER THE 354 REPLY",
        Verb::Sgnt => "SGNT <DOMAIN OR ADDRESS> [FINGERPRINT] - FETCH A SIGNET",
        Verb::Hist => "HIST <ADDRESS> [START] [END] - FETCH A CHAIN OF CUSTODY",
        Verb::Vrfy => "VRFY <DOMAIN OR ADDRESS> [FINGERPRINT] - CHECK WHETHER A SIGNET IS CURRENT",
        Verb::Stats => "STATS, THEN STATS [NONCE] - FETCH SERVER STATISTICS",
        Verb::Rset => "RSET - ABORT THE TRANSACTION",
        Verb::Noop => "NOOP - DO NOTHING",
        Verb::Help => "HELP [COMMAND] - SHOW HELP",
        Verb::Quit => "QUIT - CLOSE THE SESSION",
        Verb::Verb => return None,
    })
}

/// `HELP`: `214-AVAILABLE COMMANDS`, one line per verb, `214 OK`.
pub fn help_all() -> Reply {
    let lines = core::iter::once("AVAILABLE COMMANDS".to_string())
        .chain(Verb::ALL.iter().filter(|v| **v != Verb::Verb).map(|v| v.name().to_string()))
        .chain(["OK".to_string()]);
    Reply::multi(ReplyCode::HELP, lines)
}

/// `HELP <topic>`.
pub fn help_topic(topic: &str) -> Reply {
    match Verb::lookup(topic) {
        Some(verb) => match help_text(verb) {
            Some(text) => Reply::multi(ReplyCode::HELP, [verb.name().to_string(), text.to_string(), "OK".into()]),
            None => Reply::new(ReplyCode::HELP, format!("NO HELP AVAILABLE FOR COMMAND {}", verb.name())),
        },
        None => Reply::new(ReplyCode::HELP, format!("HELP SPECIFIED INVALID COMMAND: {topic}")),
    }
}

/// The reply for a command that did not parse.
pub fn for_parse_error(error: &DmtpError) -> Reply {
    match error {
        DmtpError::CommandSyntax { verb } => {
            Reply::new(ReplyCode::BAD_ARGUMENTS, format!("BAD {} SYNTAX.", verb.name()))
        }
        DmtpError::InvalidParameter { verb } => {
            Reply::new(ReplyCode::BAD_ARGUMENTS, format!("INVALID {} PARAMETER.", verb.name()))
        }
        DmtpError::InvalidDomain { verb } => {
            Reply::new(ReplyCode::BAD_ARGUMENTS, format!("INVALID {} DOMAIN.", verb.name()))
        }
        DmtpError::UnsupportedParameter { verb } => {
            Reply::new(ReplyCode::BAD_ARGUMENTS, format!("UNSUPPORTED {} PARAMETER.", verb.name()))
        }
        _ => unknown(),
    }
}
