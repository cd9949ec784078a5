"""Smoke test of the dime-ffi C interface from Python, with ctypes only.

Usage: python3 smoke.py PATH/TO/libdime_ffi.so

Generates keys for two organizations and two users, issues and validates their signets,
composes a message from alice to bob, and has the origin countersign it, the destination check
it and bob read it. Exits non-zero on the first failed check. Run by dime-ffi/tests/python.rs.
"""

import ctypes
import sys
from ctypes import POINTER, Structure, byref, c_bool, c_char_p, c_int, c_size_t, c_uint32, c_uint8, c_void_p

DIME_OK = 0
DIME_ERR_NULL = 1
DIME_ERR_INVALID_ARGUMENT = 2
DIME_ERR_WRONG_KIND = 3
DIME_ERR_SIGNET_MISMATCH = 8
DIME_KEY_OWNER_ORG = 1
DIME_KEY_OWNER_USER = 2
DIME_STATE_INVALID = 3
DIME_STATE_ID = 7
DIME_FINGERPRINT_CRYPTO = 2
DIME_PART_DISPLAY = 1
DIME_PQ_PREFER = 0


# Python-owned byte buffers handed to the library; kept alive until the process ends.
_alive = []


def c_bytes(data):
    """A pointer to a copy of `data` that stays valid for the rest of the run."""
    buf = ctypes.create_string_buffer(data, len(data))
    _alive.append(buf)
    return ctypes.cast(buf, POINTER(c_uint8))


class DimeBuffer(Structure):
    _fields_ = [("ptr", POINTER(c_uint8)), ("len", c_size_t)]

    def bytes(self):
        return ctypes.string_at(self.ptr, self.len) if self.len else b""


class DimeStr(Structure):
    _fields_ = [("ptr", POINTER(c_uint8)), ("len", c_size_t)]

    @classmethod
    def of(cls, data):
        if data is None:
            return cls()
        return cls(c_bytes(data), len(data))

    def bytes(self):
        if not self.ptr:
            return None
        return ctypes.string_at(self.ptr, self.len)


class DimeFingerprint(Structure):
    _fields_ = [("bytes", c_uint8 * 64)]


class DimeHeaders(Structure):
    _fields_ = [(name, DimeStr) for name in ("date", "to", "cc", "from_", "organization", "subject")]


class DimePart(Structure):
    _fields_ = [("content_type", DimeStr), ("file_name", DimeStr), ("data", DimeStr)]


class DimeEnvelope(Structure):
    _fields_ = [
        ("author", DimeStr),
        ("author_signet", POINTER(DimeFingerprint)),
        ("origin", DimeStr),
        ("origin_signet", POINTER(DimeFingerprint)),
        ("destination", DimeStr),
        ("destination_signet", POINTER(DimeFingerprint)),
        ("recipient", DimeStr),
        ("recipient_signet", POINTER(DimeFingerprint)),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    handle = c_void_p
    out = POINTER(c_void_p)
    signatures = {
        "dime_version": ([], c_char_p),
        "dime_last_error_message": ([], c_char_p),
        "dime_status_name": ([c_int], c_char_p),
        "dime_buffer_free": ([POINTER(DimeBuffer)], None),
        "dime_keys_generate": ([c_uint32, out], c_int),
        "dime_keys_free": ([handle], None),
        "dime_org_signet_new": ([handle, c_char_p, c_size_t, out], c_int),
        "dime_request_new": ([handle, handle, out], c_int),
        "dime_user_signet_issue": ([handle, handle, handle, handle, c_char_p, c_size_t, out], c_int),
        "dime_signet_validate": ([handle, handle, handle, handle, POINTER(c_uint32), POINTER(c_bool), POINTER(DimeBuffer)], c_int),
        "dime_signet_fingerprint": ([handle, c_uint32, POINTER(DimeFingerprint)], c_int),
        "dime_signet_free": ([handle], None),
        "dime_record_new": ([handle, out], c_int),
        "dime_record_to_text": ([handle, POINTER(DimeBuffer)], c_int),
        "dime_record_parse": ([c_char_p, c_size_t, out], c_int),
        "dime_record_free": ([handle], None),
        "dime_content_new": ([POINTER(DimeHeaders), out], c_int),
        "dime_content_add_part": ([handle, c_uint32, POINTER(DimePart)], c_int),
        "dime_content_free": ([handle], None),
        "dime_message_compose": ([handle] * 6 + [c_uint32, POINTER(DimeBuffer)], c_int),
        "dime_message_open_as_origin": ([POINTER(c_uint8), c_size_t, handle, handle, out], c_int),
        "dime_origin_view_envelope": ([handle, POINTER(DimeEnvelope)], c_int),
        "dime_origin_view_countersign": ([handle, handle, POINTER(DimeBuffer)], c_int),
        "dime_origin_view_free": ([handle], None),
        "dime_message_open_as_destination": ([POINTER(c_uint8), c_size_t, handle, handle, out], c_int),
        "dime_destination_view_envelope": ([handle, POINTER(DimeEnvelope)], c_int),
        "dime_destination_view_free": ([handle], None),
        "dime_message_open_as_recipient": ([POINTER(c_uint8), c_size_t, handle, handle, handle, handle, out], c_int),
        "dime_opened_headers": ([handle, POINTER(DimeHeaders)], c_int),
        "dime_opened_part": ([handle, c_uint32, c_size_t, POINTER(DimePart)], c_int),
        "dime_opened_countersigned": ([handle, POINTER(c_bool)], c_int),
        "dime_opened_free": ([handle], None),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result
    return lib


class Dime:
    def __init__(self, lib):
        self.lib = lib

    def expect(self, expected, status, what):
        if status != expected:
            name = self.lib.dime_status_name(status).decode()
            message = self.lib.dime_last_error_message().decode()
            sys.exit(f"{what}: got {name}, expected {self.lib.dime_status_name(expected).decode()}: {message}")

    def check(self, status, what):
        self.expect(DIME_OK, status, what)

    def make(self, what, function, *args):
        """Calls a constructor that writes a handle through its last argument."""
        handle = c_void_p()
        self.check(function(*args, byref(handle)), what)
        return handle

    def take(self, buffer):
        """Copies a buffer's bytes and frees it."""
        data = buffer.bytes()
        self.lib.dime_buffer_free(byref(buffer))
        return data


def main():
    lib = load(sys.argv[1])
    d = Dime(lib)
    print("dime", lib.dime_version().decode())

    origin_keys = d.make("org keys", lib.dime_keys_generate, DIME_KEY_OWNER_ORG)
    destination_keys = d.make("org keys", lib.dime_keys_generate, DIME_KEY_OWNER_ORG)
    alice_keys = d.make("user keys", lib.dime_keys_generate, DIME_KEY_OWNER_USER)
    bob_keys = d.make("user keys", lib.dime_keys_generate, DIME_KEY_OWNER_USER)
    none = c_void_p()
    d.expect(DIME_ERR_INVALID_ARGUMENT, lib.dime_keys_generate(0, byref(none)), "owner 0")
    d.expect(DIME_ERR_NULL, lib.dime_keys_generate(DIME_KEY_OWNER_ORG, None), "NULL out")

    def org(keys, domain):
        name = domain.encode()
        return d.make("org signet", lib.dime_org_signet_new, keys, name, len(name))

    def user(keys, org_signet, org_keys, address):
        request = d.make("request", lib.dime_request_new, keys, None)
        name = address.encode()
        signet = d.make("user signet", lib.dime_user_signet_issue, request, None, org_signet, org_keys, name, len(name))
        lib.dime_signet_free(request)
        return signet

    def state(signet, org_signet=None, record=None):
        value = c_uint32(99)
        problem = DimeBuffer()
        d.check(lib.dime_signet_validate(signet, org_signet, None, record, byref(value), None, byref(problem)), "validate")
        return value.value, d.take(problem)

    origin = org(origin_keys, "example.org")
    destination = org(destination_keys, "example.net")
    alice = user(alice_keys, origin, origin_keys, "alice@example.org")
    bob = user(bob_keys, destination, destination_keys, "bob@example.net")
    assert state(alice, origin) == (DIME_STATE_ID, b"")
    invalid, problem = state(bob, origin)
    assert invalid == DIME_STATE_INVALID and problem, (invalid, problem)
    d.expect(
        DIME_ERR_WRONG_KIND,
        lib.dime_org_signet_new(alice_keys, b"x.org", 5, byref(none)),
        "org signet from user keys",
    )

    record = d.make("record", lib.dime_record_new, origin_keys)
    text = DimeBuffer()
    d.check(lib.dime_record_to_text(record, byref(text)), "record text")
    text = d.take(text)
    parsed = d.make("record parse", lib.dime_record_parse, text, len(text))
    assert state(origin, None, parsed)[0] == DIME_STATE_ID
    assert state(destination, None, parsed)[0] == DIME_STATE_INVALID
    print("record:", text.decode())
    lib.dime_record_free(parsed)
    lib.dime_record_free(record)

    headers = DimeHeaders(
        date=DimeStr.of(b"Tue, 1 Apr 2025 10:00:00 +0000"),
        to=DimeStr.of(b"bob@example.net"),
        cc=DimeStr.of(None),
        from_=DimeStr.of(b"alice@example.org"),
        organization=DimeStr.of(None),
        subject=DimeStr.of("Grüße aus Python".encode()),
    )
    body = "Hello Bob, from Python 🐍".encode()
    content = d.make("content", lib.dime_content_new, byref(headers))
    part = DimePart(DimeStr.of(b"text/plain; charset=utf-8"), DimeStr.of(None), DimeStr.of(body))
    d.check(lib.dime_content_add_part(content, DIME_PART_DISPLAY, byref(part)), "add part")
    message = DimeBuffer()
    d.expect(
        DIME_ERR_SIGNET_MISMATCH,
        lib.dime_message_compose(bob_keys, alice, origin, destination, bob, content, DIME_PQ_PREFER, byref(message)),
        "compose with bob's keys as alice",
    )
    d.check(
        lib.dime_message_compose(alice_keys, alice, origin, destination, bob, content, DIME_PQ_PREFER, byref(message)),
        "compose",
    )
    lib.dime_content_free(content)
    message_bytes = d.take(message)
    print("compose:", len(message_bytes), "bytes")

    def raw(data):
        return c_bytes(data), len(data)

    ptr, size = raw(message_bytes)
    view = d.make("open as origin", lib.dime_message_open_as_origin, ptr, size, origin_keys, alice)
    envelope = DimeEnvelope()
    d.check(lib.dime_origin_view_envelope(view, byref(envelope)), "origin envelope")
    assert envelope.author.bytes() == b"alice@example.org" and envelope.recipient.bytes() is None
    fingerprint = DimeFingerprint()
    d.check(lib.dime_signet_fingerprint(alice, DIME_FINGERPRINT_CRYPTO, byref(fingerprint)), "fingerprint")
    assert bytes(envelope.author_signet.contents.bytes) == bytes(fingerprint.bytes)
    relayed = DimeBuffer()
    d.check(lib.dime_origin_view_countersign(view, origin_keys, byref(relayed)), "countersign")
    print("origin:", envelope.author.bytes().decode(), "->", envelope.destination.bytes().decode())
    lib.dime_origin_view_free(view)
    relayed_bytes = d.take(relayed)

    ptr, size = raw(relayed_bytes)
    view = d.make("open as destination", lib.dime_message_open_as_destination, ptr, size, destination_keys, origin)
    d.check(lib.dime_destination_view_envelope(view, byref(envelope)), "destination envelope")
    assert envelope.recipient.bytes() == b"bob@example.net" and envelope.author.bytes() is None
    print("destination: for", envelope.recipient.bytes().decode())
    lib.dime_destination_view_free(view)

    opened = d.make("open as recipient", lib.dime_message_open_as_recipient, ptr, size, bob_keys, bob, alice, origin)
    read_headers = DimeHeaders()
    d.check(lib.dime_opened_headers(opened, byref(read_headers)), "headers")
    read_part = DimePart()
    d.check(lib.dime_opened_part(opened, DIME_PART_DISPLAY, 0, byref(read_part)), "part")
    countersigned = c_bool(False)
    d.check(lib.dime_opened_countersigned(opened, byref(countersigned)), "countersigned")
    assert countersigned.value
    assert read_headers.subject.bytes().decode() == "Grüße aus Python"
    plaintext = read_part.data.bytes()
    assert plaintext == body, plaintext
    print("plaintext:", plaintext.decode())
    lib.dime_opened_free(opened)

    for signet in (origin, destination, alice, bob):
        lib.dime_signet_free(signet)
    for keys in (origin_keys, destination_keys, alice_keys, bob_keys):
        lib.dime_keys_free(keys)
    print("python smoke: OK")


if __name__ == "__main__":
    main()
