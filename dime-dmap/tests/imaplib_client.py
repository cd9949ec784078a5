#!/usr/bin/env python3
"""A real IMAP client against the DMAP server: Python's standard imaplib over TLS.

It logs in with AUTHENTICATE STACIE, computing the client side of STACIE here with hashlib and
hmac only (docs/stacie.md), lists, selects INBOX, fetches message 1's bytes, writes them to
--out, and logs out. Run by dime-dmap/tests/imaplib.rs, which starts the server and passes the
port, the CA certificate and the account.
"""

import argparse
import base64
import hashlib
import hmac
import imaplib
import ssl
import sys

# Unicode Default_Ignorable_Code_Point ranges (docs/stacie.md section 2).
IGNORABLE = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
]


def characters(password: str) -> int:
    return sum(1 for c in password if not any(lo <= ord(c) <= hi for lo, hi in IGNORABLE))


def rounds(password: str, bonus: int) -> int:
    exponent = 24 - min(23, max(1, characters(password)))
    return min(1 << 24, max(8, (1 << exponent) + bonus))


def chain(count: int, fields: bytes) -> bytes:
    previous = b""
    for i in range(count):
        previous = hashlib.sha512(previous + fields + i.to_bytes(3, "big")).digest()
    return previous


def ephemeral_token(username: str, password: str, salt: bytes, bonus: int, nonce: bytes) -> bytes:
    user, secret = username.encode(), password.encode()
    n = rounds(password, bonus)
    seed = hmac.new(salt, secret * n, hashlib.sha512).digest()
    master = chain(n, seed + user + salt + secret)
    password_key = chain(n, master + user + salt + secret)
    verification = chain(8, password_key + user + salt)
    return chain(8, verification + user + salt + nonce)


class Stacie:
    """The imaplib authobject: called with each decoded server challenge."""

    def __init__(self, username: str, password: str):
        self.username, self.password, self.step = username, password, 0

    def __call__(self, challenge: bytes) -> bytes:
        self.step += 1
        if self.step == 1:
            assert challenge == b"", challenge
            return self.username.encode()
        assert len(challenge) == 260, len(challenge)
        salt, bonus, nonce = challenge[:128], int.from_bytes(challenge[128:132], "big"), challenge[132:]
        return ephemeral_token(self.username, self.password, salt, bonus, nonce)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.ca)
    imap = imaplib.IMAP4_SSL(args.host, args.port, ssl_context=context, timeout=30)
    assert "AUTH=STACIE" in imap.capabilities, imap.capabilities
    assert "DMAPV1" in imap.capabilities, imap.capabilities
    assert "LOGINDISABLED" in imap.capabilities, imap.capabilities

    # LOGIN is refused with NO.
    try:
        imap.login(args.user, args.password)
        raise AssertionError("LOGIN was accepted")
    except imaplib.IMAP4.error as error:
        assert "AUTHENTICATE STACIE" in str(error), error

    typ, data = imap.authenticate("STACIE", Stacie(args.user, args.password))
    assert typ == "OK", (typ, data)
    assert imap.state == "AUTH"

    typ, data = imap.list()
    assert typ == "OK", (typ, data)
    names = [line.decode().rsplit(" ", 1)[-1] for line in data]
    assert "INBOX" in names, names

    typ, data = imap.select("INBOX")
    assert typ == "OK", (typ, data)
    count = int(data[0])

    # BODY[] is the armored object (RFC822.SIZE is its length); BINARY[] the raw octets.
    typ, data = imap.fetch("1", "(UID RFC822.SIZE BODY.PEEK[])")
    assert typ == "OK", (typ, data)
    header, armored = data[0]
    assert b"BODY[] {%d}" % len(armored) in header, header
    assert b"RFC822.SIZE %d" % len(armored) in header, header
    lines = armored.decode("ascii").split("\r\n")
    assert lines[0] == "-----BEGIN ENCRYPTED MESSAGE-----", lines[0]
    typ, data = imap.fetch("1", "(BINARY.PEEK[] BINARY.SIZE[])")
    assert typ == "OK", (typ, data)
    header, body = data[0]
    assert b"BINARY[] ~{%d}" % len(body) in header, header
    assert body == base64.b64decode("".join(l for l in lines[1:] if l and not l.startswith(("=", "-----")))), "armor"
    with open(args.out, "wb") as out:
        out.write(body)

    typ, data = imap.logout()
    assert typ == "BYE", (typ, data)
    print(f"imaplib: logged in, {count} messages in INBOX, fetched {len(body)} bytes, logged out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
