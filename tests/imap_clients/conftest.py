"""Fixtures for the real-client tests: the `dime` CLI's world of keys, signets and message objects,
and the `dmap_server` example on a loopback port with a fresh persistent store.

Binaries come from DIME_BIN and DMAP_SERVER_BIN, or the workspace's debug build
(`cargo build -p dime-cli --bin dime -p dime-mail --example dmap_server`).
"""

import os
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIME_BIN = Path(os.environ.get("DIME_BIN", ROOT / "target/debug/dime"))
DMAP_SERVER_BIN = Path(os.environ.get("DMAP_SERVER_BIN", ROOT / "target/debug/examples/dmap_server"))
# How long the example server may take to print its address.
SERVER_START = 30.0
# Distinct message objects; the 100-message mailbox cycles through them.
OBJECTS = 5


def binary(path: Path) -> Path:
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: cargo build -p dime-cli --bin dime -p dime-mail --example dmap_server")
    return path


def dime(*args, check=True) -> subprocess.CompletedProcess:
    """Runs the `dime` CLI; fails the test with its standard error when it fails and `check`."""
    result = subprocess.run([str(binary(DIME_BIN)), *map(str, args)], capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        pytest.fail(f"dime {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
    return result


@dataclass
class World:
    """Keys and signets made with the CLI, and countersigned objects from bob@example.net to the
    example server's account alice@example.org (the recipient)."""

    folder: Path
    signets: Path
    recipient_key: Path
    objects: list = field(default_factory=list)
    subjects: list = field(default_factory=list)

    def open_as_recipient(self, data: bytes, name: str = "fetched.dime") -> subprocess.CompletedProcess:
        """`dime message open --as recipient --json` of `data` (binary or armored): the
        recipient's view, or the failed check."""
        path = self.folder / name
        path.write_bytes(data)
        return dime("message", "open", path, "--as", "recipient", "--key", self.recipient_key,
                    "--signets", self.signets, "--json", check=False)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    folder = tmp_path_factory.mktemp("world")
    signets = folder / "signets"
    signets.mkdir()
    dime("keygen", "org", "example.org", "--out", folder / "org")
    dime("keygen", "org", "example.net", "--out", folder / "net")
    dime("keygen", "user", "alice@example.org", "--out", folder / "alice")
    dime("keygen", "user", "bob@example.net", "--out", folder / "bob")
    dime("signet", "sign", folder / "alice.ssr", "--org-key", folder / "org.key", "--org-signet",
         folder / "org.signet", "--address", "alice@example.org", "--out", signets / "alice.signet")
    dime("signet", "sign", folder / "bob.ssr", "--org-key", folder / "net.key", "--org-signet",
         folder / "net.signet", "--address", "bob@example.net", "--out", signets / "bob.signet")
    shutil.copy(folder / "org.signet", signets / "org.signet")
    shutil.copy(folder / "net.signet", signets / "net.signet")
    made = World(folder, signets, folder / "alice.key")
    for i in range(OBJECTS):
        body = folder / f"body{i}.txt"
        # Different sizes, so that a message fetched for the wrong UID shows.
        body.write_text(f"Message {i}.\n" + "Lorem ipsum dolor sit amet.\n" * (1 + 40 * i))
        subject = f"real-client test {i}"
        authored, relayed = folder / f"m{i}.author", folder / f"m{i}.dime"
        dime("message", "encrypt", "--key", folder / "bob.key", "--from", "Bob <bob@example.net>",
             "--to", "Alice <alice@example.org>", "--subject", subject, "--signets", signets,
             "--body", body, "--binary", "--out", authored)
        dime("message", "open", authored, "--as", "origin", "--key", folder / "net.key", "--signets", signets,
             "--countersign-out", relayed, "--binary")
        made.objects.append(relayed.read_bytes())
        made.subjects.append(subject)
    return made


@dataclass
class Server:
    """A running dmap_server example and what it printed."""

    process: subprocess.Popen
    host: str
    port: int
    ca: str
    user: str
    password: str
    store: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(folder: Path) -> Server:
    env = dict(os.environ, TMPDIR=str(folder), DMAP_STORE=str(folder / "store.redb"))
    # Port 0: the server picks a free loopback port and prints it; 600 s caps a forgotten server.
    process = subprocess.Popen([str(binary(DMAP_SERVER_BIN)), "0", "600"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    printed, deadline = b"", time.monotonic() + SERVER_START
    while b"account: " not in printed or not printed.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"dmap_server did not start: {printed!r} {err!r}")
        ready, _, _ = select.select([process.stdout], [], [], left)
        if ready:
            printed += os.read(process.stdout.fileno(), 4096)
    text = printed.decode()
    host, port = re.search(r"DMAP server on ([0-9.]+):(\d+)", text).groups()
    ca = re.search(r"CA certificate: (.+)", text).group(1).strip()
    user, password = re.search(r"account: (\S+) / (.+)", text).groups()
    return Server(process, host, int(port), ca, user, password.strip(), folder / "store.redb")


@pytest.fixture
def server(tmp_path) -> Server:
    """A fresh example server per test: a new store file, the account and its three seeded
    stand-in objects in INBOX."""
    running = start_server(tmp_path)
    yield running
    running.stop()
    err = running.process.stderr.read().decode(errors="replace")
    assert "panicked" not in err, err


# The IMAP4rev1 commands and FETCH items DMAP did not implement at first (docs/dmap.md §4, §5),
# each probed, in this order, with a valid form on a server of its own: a command is supported
# when it is answered with a tagged OK.
PROBES = {
    "CREATE": b"CREATE probe",
    "RENAME": b"RENAME probe probe2",
    "SUBSCRIBE": b"SUBSCRIBE probe2",
    "LSUB": b'LSUB "" "*"',
    "UNSUBSCRIBE": b"UNSUBSCRIBE probe2",
    "DELETE": b"DELETE probe2",
    "CHECK": b"CHECK",
    "SEARCH": b"SEARCH ALL",
    "UID SEARCH": b"UID SEARCH ALL",
    "COPY": b"COPY 1 INBOX",
    "UID COPY": b"UID COPY 1 INBOX",
    "FETCH ENVELOPE": b"FETCH 1 (ENVELOPE BODYSTRUCTURE)",
}


@dataclass
class Features:
    """What the example server supports: its capabilities after login, and which probed
    commands it knows."""

    capabilities: set
    commands: set


@pytest.fixture(scope="session")
def features(tmp_path_factory) -> Features:
    from clients import imaplib_login, raw

    running = start_server(tmp_path_factory.mktemp("probe"))
    try:
        imap = imaplib_login(running)
        imap.select("INBOX")
        capabilities = {c.upper() for c in imap.capabilities}
        known = set()
        for name, line in PROBES.items():
            if re.match(rb"\S+ OK", raw(imap, line)[-1]):
                known.add(name)
            # Probes answered BAD count towards the server's limit of consecutive BADs.
            assert imap.noop()[0] == "OK"
        imap.logout()
    finally:
        running.stop()
    return Features(capabilities, known)


@pytest.fixture(autouse=True)
def _requirements(request, features):
    """`@pytest.mark.needs(...)`: skips the test until the server advertises every named
    capability (`cap:NAME`) and knows every named command (see PROBES)."""
    marker = request.node.get_closest_marker("needs")
    if marker is None:
        return
    missing = []
    for name in marker.args:
        if name.startswith("cap:"):
            if name[4:].upper() not in features.capabilities:
                missing.append(f"capability {name[4:]}")
        elif name not in PROBES:
            pytest.fail(f"no probe for {name}")
        elif name not in features.commands:
            missing.append(name)
    if missing:
        pytest.skip("the example server does not support yet: " + ", ".join(missing))
