"""The Python STACIE helper (stacie.py) against the vectors dime-core reproduces byte for byte
(dime-core/tests/stacie_vectors.rs and the conformance files under vectors/)."""

import json
import re
from pathlib import Path

import pytest

import stacie

ROOT = Path(__file__).resolve().parents[2]
# Above this the pure-Python chains take seconds; the round rule alone is checked for those.
DERIVE_MAX_ROUNDS = 200_000


def load(path: str):
    with open(ROOT / path, encoding="utf-8") as file:
        return json.load(file)


def hex_of(value) -> bytes:
    return bytes.fromhex(value["hex"] if isinstance(value, dict) else value)


CONFORMANCE = load("vectors/stacie.json")
REFERENCE = load("testdata/stacie/reference-derivations.json")["cases"]
ROUNDS = load("testdata/stacie/rounds.json")["cases"]


@pytest.mark.parametrize("case", CONFORMANCE["cases"], ids=lambda c: c["username"])
def test_conformance_vectors(case):
    salt, nonce, shard = (bytes.fromhex(CONFORMANCE[k]) for k in ("salt_hex", "nonce_hex", "shard_hex"))
    password = case["password"].encode()
    assert stacie.rounds(password, case["bonus"]) == case["rounds"]
    if case["rounds"] > DERIVE_MAX_ROUNDS:
        pytest.skip(f"{case['rounds']} rounds: round rule checked, derivation too slow in Python")
    keys = stacie.ClientKeys(case["username"].encode(), password, salt, case["bonus"])
    assert keys.master_key.hex() == case["master_key_hex"]
    assert keys.password_key.hex() == case["password_key_hex"]
    assert keys.verification_token.hex() == case["verification_token_hex"]
    assert keys.ephemeral_token(nonce).hex() == case["ephemeral_token_hex"]
    assert keys.realm_key(b"mail", shard, salt_keyed=False).hex() == case["realm_mail_shard_keyed_hex"]
    assert keys.realm_key(b"mail", shard, salt_keyed=True).hex() == case["realm_mail_salt_keyed_hex"]


@pytest.mark.parametrize("case", REFERENCE, ids=lambda c: c["name"])
def test_reference_derivations(case):
    given, expected = case["vector"]["inputs"], case["vector"]["outputs"]
    password = bytes.fromhex(given["password_utf8_hex"])
    username = bytes.fromhex(given["username_utf8_hex"])
    assert stacie.rounds(password, given["bonus"]) == expected["rounds"]
    if expected["rounds"] > DERIVE_MAX_ROUNDS:
        pytest.skip(f"{expected['rounds']} rounds")
    salt, nonce, shard = hex_of(given["salt"]), hex_of(given["nonce"]), hex_of(given["shard"])
    keys = stacie.ClientKeys(username, password, salt, given["bonus"])
    assert keys.seed == hex_of(expected["seed"])
    assert keys.master_key == hex_of(expected["master_key"])
    assert keys.password_key == hex_of(expected["password_key"])
    assert keys.verification_token == hex_of(expected["verification_token"])
    assert keys.ephemeral_token(nonce) == hex_of(expected["ephemeral_login_token"])
    realm = keys.realm_key(given["realm"].encode(), shard, salt_keyed=False)
    assert realm == hex_of(expected["realm_key"])
    assert realm[:16] == hex_of(expected["realm_vector_key"])
    assert realm[16:32] == hex_of(expected["realm_tag_key"])
    assert realm[32:] == hex_of(expected["realm_cipher_key"])


@pytest.mark.parametrize("case", ROUNDS, ids=lambda c: f"{c['password_hex'][:16]}+{c['bonus']}")
def test_round_rule(case):
    password = bytes.fromhex(case["password_hex"])
    if case["rounds"] == 0:
        with pytest.raises(stacie.StacieError, match="not UTF-8"):
            stacie.rounds(password, case["bonus"])
    else:
        assert stacie.rounds(password, case["bonus"]) == case["rounds"]


def test_salt_keyed_realm_and_shallow_change():
    file = load("testdata/stacie/realm-salt-variant.json")
    given, expected = file["inputs"], file["outputs"]
    salt, shard = hex_of(given["salt"]), hex_of(given["shard"])
    realm = stacie.realm_key(hex_of(given["master_key"]), given["realm"].encode(), shard, salt)
    assert realm == hex_of(expected["realm_key"])
    change = file["shallow_password_change_example"]
    new_shard = hex_of(change["new_shard"])
    assert stacie.realm_key(hex_of(change["new_master_key"]), given["realm"].encode(), new_shard, salt) == realm


def test_seed_streams_the_same_bytes_as_one_message():
    import hashlib
    import hmac

    salt = bytes(range(128))
    for password in (b"x", b"seven77", "pässwörd".encode()):
        for count in (1, 8, 9362, 9363, 70_001):
            whole = hmac.new(salt, password * count, hashlib.sha512).digest()
            assert stacie.seed(password, salt, count) == whole, (password, count)


@pytest.mark.parametrize(
    "password, message",
    [
        (b"", "empty password"),
        (b"\xc3\x80\xc3", "not UTF-8"),
        (b"\xed\xa0\x80abc", "not UTF-8"),  # an encoded surrogate
        (b"\xc0\xafabc", "not UTF-8"),  # an overlong '/'
        ("\ufeff\u200b\u00ad".encode(), "only default-ignorable"),
        (b"a" * 1025, "over 1024"),
    ],
)
def test_refused_passwords(password, message):
    with pytest.raises(stacie.StacieError, match=message):
        stacie.rounds(password, 0)


@pytest.mark.parametrize(
    "what, call",
    [
        ("salt", lambda: stacie.ClientKeys(b"u", b"p" * 22, bytes(127), 0)),
        ("nonce", lambda: stacie.ephemeral_token(bytes(64), b"u", bytes(128), bytes(64))),
        ("verification token", lambda: stacie.ephemeral_token(bytes(63), b"u", bytes(128), bytes(128))),
        ("shard", lambda: stacie.realm_key(bytes(64), b"mail", bytes(63), bytes(128))),
        ("challenge", lambda: stacie.parse_challenge(bytes(259))),
    ],
)
def test_wrong_lengths(what, call):
    with pytest.raises(stacie.StacieError, match=f"^{what} is"):
        call()


def test_empty_username_and_bad_realm_label():
    with pytest.raises(stacie.StacieError, match="empty username"):
        stacie.ClientKeys(b"", b"p" * 22, bytes(128), 0)
    for label in (b"", b"m a", b"x" * 256, "mäil".encode()):
        with pytest.raises(stacie.StacieError, match="invalid realm label"):
            stacie.realm_key(bytes(64), label, bytes(64), bytes(128))


def test_authobject_steps():
    case = CONFORMANCE["cases"][0]
    salt, nonce = bytes.fromhex(CONFORMANCE["salt_hex"]), bytes.fromhex(CONFORMANCE["nonce_hex"])
    mech = stacie.Stacie(case["username"], case["password"])
    assert mech(b"") == case["username"].encode()
    challenge = salt + case["bonus"].to_bytes(4, "big") + nonce
    assert mech(challenge).hex() == case["ephemeral_token_hex"]
    with pytest.raises(stacie.StacieError, match="third"):
        mech(b"")
    with pytest.raises(stacie.StacieError, match="empty first continuation"):
        stacie.Stacie("u", "p")(b"x")
    with pytest.raises(stacie.StacieError, match="^challenge is 261 bytes"):
        fresh = stacie.Stacie("u", "p" * 22)
        fresh(b"")
        fresh(challenge + b"!")


def test_dmap_transcript_logins():
    """The authobject answers the recorded STACIE challenges of vectors/dmap-transcripts.json
    with exactly the client's recorded line: the accepted login with the password, the refused
    one with the wrong password."""
    import base64

    file = load("vectors/dmap-transcripts.json")
    account = file["account"]
    seen = {}
    for transcript in file["transcripts"]:
        lines = [line for line in transcript["lines"] if "text" in line]
        for i, line in enumerate(lines):
            sasl_ir = re.fullmatch(r"(\S+) AUTHENTICATE STACIE (\S+)", line["text"])
            if line["from"] != "client" or not sasl_ir:
                continue
            tag, user = sasl_ir.group(1), base64.b64decode(sasl_ir.group(2))
            assert user == account["username"].encode()
            challenge = lines[i + 1]["text"]
            answer, outcome = lines[i + 2]["text"], lines[i + 3]["text"]
            assert challenge.startswith("+ ") and outcome.startswith(tag + " ")
            accepted = outcome.startswith(tag + " OK ")
            password = account["password"] if accepted else account["wrong_password"]
            mech = stacie.Stacie(account["username"], password)
            assert mech(b"") == user
            assert base64.b64encode(mech(base64.b64decode(challenge[2:]))).decode() == answer
            assert mech.keys.rounds == account["rounds"]
            seen[accepted] = True
    assert seen == {True: True, False: True}
