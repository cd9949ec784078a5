"""Connecting Python's imaplib and imapclient to the example DMAP server, and the few things
neither library does for a DMAP server out of the box."""

import base64
import imaplib
import re
import ssl

from imapclient import IMAPClient

from stacie import Stacie

HOST = "127.0.0.1"
TIMEOUT = 30


def tls(server) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.ca)


def imaplib_connect(server) -> imaplib.IMAP4_SSL:
    """A TLS connection (not logged in) verified against the server's throw-away CA."""
    return imaplib.IMAP4_SSL(HOST, server.port, ssl_context=tls(server), timeout=TIMEOUT)


def imaplib_login(server) -> imaplib.IMAP4_SSL:
    imap = imaplib_connect(server)
    typ, data = imap.authenticate("STACIE", Stacie(server.user, server.password))
    assert typ == "OK", (typ, data)
    return imap


def imapclient_connect(server) -> IMAPClient:
    return IMAPClient(HOST, port=server.port, ssl=True, ssl_context=tls(server), timeout=TIMEOUT)


def imapclient_login(server) -> IMAPClient:
    client = imapclient_connect(server)
    client.sasl_login("STACIE", Stacie(server.user, server.password))
    return client


def append_binary(imap: imaplib.IMAP4, mailbox: str, data: bytes, flags: str = "", date=None):
    """APPEND `data` unchanged. `imaplib.IMAP4.append` (and imapclient's `append`, which calls it)
    rewrites every CR, LF and CRLF to CRLF because it expects RFC 5322 text, which alters a
    binary DIME object; this sends the same synchronizing literal without that rewrite."""
    imap.literal = data
    return imap._simple_command("APPEND", mailbox, f"({flags})" if flags else None,
                                imaplib.Time2Internaldate(date) if date else None)


def raw(imap: imaplib.IMAP4, line: bytes) -> list:
    """Sends one tagged command line as is and returns every line up to its tagged answer
    (literals are returned inline): for commands imaplib refuses to send (IDLE on Python < 3.14,
    or deliberately incomplete ones)."""
    tag = imap._new_tag()
    imap.send(tag + b" " + line + b"\r\n")
    lines = []
    while True:
        got = imap.readline()
        if not got:
            raise EOFError(f"connection closed after {lines!r}")
        literal = re.search(rb"~?\{(\d+)\}\r\n$", got)
        if literal:
            got += imap.read(int(literal.group(1)))
        lines.append(got)
        if got.startswith(tag + b" "):
            return lines


def unarmor(text: str) -> bytes:
    """The object inside DIME ASCII armor (docs/signet.md): the base64 lines between BEGIN and
    END, without the `=` checksum line."""
    body = text.split("-----BEGIN ", 1)[1].split("\n", 1)[1].split("-----END ", 1)[0]
    return base64.b64decode("".join(line for line in body.split() if not line.startswith("=")))


FETCH_ITEM = re.compile(rb"(\d+) \(UID (\d+) FLAGS \(([^)]*)\) RFC822\.SIZE (\d+)\)")


def parse_fast(lines) -> dict:
    """`n (UID u FLAGS (...) RFC822.SIZE s)` lines (as imaplib returns them) by sequence number."""
    parsed = {}
    for line in lines:
        match = FETCH_ITEM.fullmatch(line)
        assert match, line
        seq, uid, flags, size = match.groups()
        parsed[int(seq)] = (int(uid), set(flags.decode().split()), int(size))
    return parsed
