"""The client side of STACIE (docs/stacie.md) and of DMAP's `AUTHENTICATE STACIE` (docs/dmap.md §6),
with Python's standard library only (hashlib, hmac).

`test_stacie.py` proves it equal to dime-core on the repository's vectors (vectors/stacie.json,
testdata/stacie/). Any IMAP library that takes a SASL callback can log in to a DMAP server with it:

    imap.authenticate("STACIE", Stacie(user, password))      # imaplib
    client.sasl_login("STACIE", Stacie(user, password))      # imapclient
"""

import hashlib
import hmac

SALT_LEN = 128
NONCE_LEN = 128
SHARD_LEN = 64
KEY_LEN = 64
MAX_ROUNDS = 1 << 24
MAX_INPUT = 1024
# The DMAP challenge: salt, be32(bonus), nonce.
CHALLENGE_LEN = SALT_LEN + 4 + NONCE_LEN

# Unicode Default_Ignorable_Code_Point, the 17 merged ranges of docs/stacie.md §2.
IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


class StacieError(ValueError):
    """An input STACIE refuses (docs/stacie.md §8)."""


def _ignorable(code_point: int) -> bool:
    return any(lo <= code_point <= hi for lo, hi in IGNORABLE)


def _check_len(what: str, value: bytes, expected: int) -> None:
    if len(value) != expected:
        raise StacieError(f"{what} is {len(value)} bytes, expected {expected}")


def rounds(password: bytes, bonus: int) -> int:
    """The round count of §2: clamp(8, 2^24, 2^(24 - clamp(1, 23, L)) + bonus)."""
    if not password:
        raise StacieError("empty password")
    if len(password) > MAX_INPUT:
        raise StacieError(f"password of {len(password)} bytes is over {MAX_INPUT}")
    try:
        text = password.decode("utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise StacieError(f"password is not UTF-8: {error}") from None
    characters = sum(1 for c in text if not _ignorable(ord(c)))
    if characters == 0:
        raise StacieError("password holds only default-ignorable code points")
    exponent = 24 - min(23, max(1, characters))
    return min(MAX_ROUNDS, max(8, (1 << exponent) + bonus))


def seed(password: bytes, salt: bytes, count: int) -> bytes:
    """§3.1: HMAC-SHA-512 under the salt of `count` copies of the password, streamed."""
    _check_len("salt", salt, SALT_LEN)
    mac = hmac.new(salt, digestmod=hashlib.sha512)
    # Whole copies in batches of about 64 KiB: the same bytes as one long message.
    batch = password * max(1, (1 << 16) // len(password))
    per_batch = len(batch) // len(password)
    left = count
    while left >= per_batch:
        mac.update(batch)
        left -= per_batch
    mac.update(password * left)
    return mac.digest()


def chain(count: int, fields: bytes) -> bytes:
    """§3.2: h_i = SHA-512(h_{i-1} || fields || be24(i)), h_{-1} empty."""
    previous = b""
    sha512 = hashlib.sha512
    for i in range(count):
        previous = sha512(previous + fields + i.to_bytes(3, "big")).digest()
    return previous


class ClientKeys:
    """Everything a client derives from user name, password, salt and bonus (§3.3)."""

    def __init__(self, username: bytes, password: bytes, salt: bytes, bonus: int):
        if not username:
            raise StacieError("empty username")
        if len(username) > MAX_INPUT:
            raise StacieError(f"username of {len(username)} bytes is over {MAX_INPUT}")
        _check_len("salt", salt, SALT_LEN)
        self.username, self.salt = username, salt
        self.rounds = rounds(password, bonus)
        self.seed = seed(password, salt, self.rounds)
        self.master_key = chain(self.rounds, self.seed + username + salt + password)
        self.password_key = chain(self.rounds, self.master_key + username + salt + password)
        self.verification_token = chain(8, self.password_key + username + salt)

    def ephemeral_token(self, nonce: bytes) -> bytes:
        """The answer to one login challenge: T(verification_token, nonce)."""
        return ephemeral_token(self.verification_token, self.username, self.salt, nonce)

    def realm_key(self, label: bytes, shard: bytes, salt_keyed: bool) -> bytes:
        """§4: SHA-512(master || label || X) XOR shard, X = the salt (salt-keyed) or the shard."""
        return realm_key(self.master_key, label, shard, self.salt if salt_keyed else shard)


def ephemeral_token(verification_token: bytes, username: bytes, salt: bytes, nonce: bytes) -> bytes:
    """§3.3, also what the server computes from its stored verification token."""
    _check_len("verification token", verification_token, KEY_LEN)
    _check_len("nonce", nonce, NONCE_LEN)
    return chain(8, verification_token + username + salt + nonce)


def realm_key(master_key: bytes, label: bytes, shard: bytes, x: bytes) -> bytes:
    """§4's realm key; split it as [0:16] vector, [16:32] tag, [32:64] cipher key."""
    _check_len("shard", shard, SHARD_LEN)
    if not 1 <= len(label) <= 255 or any(not 0x21 <= b <= 0x7E for b in label):
        raise StacieError(f"invalid realm label {label!r}")
    digest = hashlib.sha512(master_key + label + x).digest()
    return bytes(a ^ b for a, b in zip(digest, shard))


def parse_challenge(challenge: bytes):
    """DMAP's STACIE challenge (docs/dmap.md §6.2) as (salt, bonus, nonce)."""
    _check_len("challenge", challenge, CHALLENGE_LEN)
    return challenge[:SALT_LEN], int.from_bytes(challenge[SALT_LEN:SALT_LEN + 4], "big"), challenge[SALT_LEN + 4:]


class Stacie:
    """A SASL authobject for imaplib's `authenticate` (and imapclient's, which forwards to it).

    imaplib calls it with each decoded server challenge and base64-encodes what it returns. The
    first step answers the empty continuation with the user name; the second answers the
    260-byte challenge with the ephemeral token. Anything else is a protocol error.
    """

    def __init__(self, username: str, password: str):
        self.username, self.password = username.encode("utf-8"), password.encode("utf-8")
        self.steps = 0
        self.keys = None

    def __call__(self, challenge: bytes) -> bytes:
        self.steps += 1
        if self.steps == 1:
            if challenge:
                raise StacieError(f"expected an empty first continuation, got {len(challenge)} bytes")
            return self.username
        if self.steps == 2:
            salt, bonus, nonce = parse_challenge(challenge)
            self.keys = ClientKeys(self.username, self.password, salt, bonus)
            return self.keys.ephemeral_token(nonce)
        raise StacieError("the server asked for a third STACIE step")
