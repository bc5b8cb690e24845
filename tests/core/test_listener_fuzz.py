"""The real listener, fuzzed: 10,000 generated requests over raw loopback sockets.

Malformed JSON, wrong types, huge and empty bodies, odd unicode, bad and foreign headers,
a missing or wrong secret: the listener must answer every one without a 5xx, keep running,
and store nothing for a request it rejects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.hooks.installer import HOOK_EVENTS
from desktop.core.hooks.listener import MAX_BODY, SECRET_HEADER, HookListener
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.store.db import Database

SECRET = "fuzz-secret-Zq8"
BATCH = 4
EXAMPLES = 2500  # x BATCH = 10,000 requests


@dataclass
class Server:
    """The listener running on its own loop thread, and a way to count stored events."""

    port: int
    database: Path

    def stored(self) -> int:
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT count(*) FROM hook_event").fetchone()[0])
        finally:
            conn.close()


@pytest.fixture
def server(
    db: Database, ingest: EventIngest, personas: PersonaService, registry: PaneRegistry
) -> Iterator[Server]:
    loop = asyncio.new_event_loop()
    listener = HookListener(ingest, personas, registry, secret=SECRET, port=0)
    loop.run_until_complete(listener.start())

    def run_loop() -> None:
        # As in the app, the loop's thread is the one that writes to the database.
        db.writer_thread = threading.get_ident()
        loop.run_forever()

    thread = threading.Thread(target=run_loop, daemon=True)
    thread.start()
    yield Server(listener.port, db.path)
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.run_until_complete(listener.stop())
    loop.close()


# --- what a request is made of -------------------------------------------------------------

# Lone surrogates (as \udXXX escapes or raw), NUL, bidi and combining marks, emoji.
ODD_CHARS = ["\u202e", "\u0301", "\ufeff", "😀", "\x00", "\ud800", "\udfff", "Ω", "\x7f"]
ODD_TEXT = st.lists(st.characters(codec="utf-8") | st.sampled_from(ODD_CHARS), max_size=40).map(
    "".join
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
    max_leaves=12,
)
IDENTITY = st.one_of(
    st.text(min_size=1, max_size=60),
    ODD_TEXT,
    st.just(""),
    st.just("s" * 201),
    JSON_VALUES,
)


def encode_json(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as \\udXXX escapes, as a JS client would send them.
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 99))
    if kind < 45:  # a payload, right or with wrong types
        right = draw(st.integers(0, 9)) < 7
        payload: dict[str, Any] = {
            "session_id": draw(st.uuids().map(str) if right else IDENTITY),
            "hook_event_name": draw(st.sampled_from(HOOK_EVENTS) if right else IDENTITY),
        }
        payload.update(draw(st.dictionaries(ODD_TEXT, JSON_VALUES, max_size=4)))
        if draw(st.integers(0, 9)) == 0:
            payload.pop(draw(st.sampled_from(["session_id", "hook_event_name"])))
        if draw(st.booleans()):
            return encode_json(payload)
        # Raw UTF-8, lone surrogates and all (not valid UTF-8 then).
        return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if kind < 60:
        return encode_json(draw(JSON_VALUES))
    if kind < 75:
        return draw(st.binary(max_size=200))
    if kind < 82:
        return b""
    if kind < 90:
        return draw(st.sampled_from([b"[", b"{", b'{"a":'])) * draw(st.integers(1, 200_000))
    if kind < 96:
        return draw(ODD_TEXT).encode("utf-8", "surrogatepass")
    filler = b"x" * (MAX_BODY + draw(st.integers(1, 2048)))
    return b'{"session_id":"s","hook_event_name":"Stop","x":"' + filler + b'"}'


@dataclass(frozen=True)
class Request:
    """One generated request."""

    raw: bytes
    stores: bool  # asks to store an event
    framed: bool  # well-formed HTTP, so it must get a reply


GARBAGE = st.one_of(
    st.text(max_size=30),
    st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
)
PLAUSIBLE = {
    "X-Hook-Stamp": st.floats(allow_nan=True).map(repr) | st.just("1795000000,5"),
    "X-Tmux-Pane": st.integers(-5, 10**12).map(lambda n: f"%{n}"),
    "X-Claude-Pid": st.integers(-5, 10**12).map(str),
    "X-Hook-Id": st.from_regex(r"\A[A-Za-z0-9._:-]{0,140}\Z"),
    "Content-Type": st.sampled_from(["application/json", "text/plain", "application/x-www-form"]),
}


@st.composite
def header_text(draw: st.DrawFn, plausible: st.SearchStrategy[str]) -> str | bytes | None:
    """Mostly absent or plausible; sometimes printable nonsense; now and then raw garbage."""
    pick = draw(st.integers(0, 19))
    if pick == 0:
        return draw(GARBAGE)
    if pick < 4:
        return draw(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
    if pick < 12:
        return draw(plausible)
    return None


def header_value(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """A raw HTTP request, as people and programs might send one."""
    method = draw(st.sampled_from(["POST"] * 16 + ["GET", "PUT", "DELETE", "OPTIONS"]))
    event = draw(st.sampled_from(HOOK_EVENTS) | st.text(max_size=20))
    hook_path = f"/hooks/{quote(event, safe='')}"
    path = draw(
        st.sampled_from([hook_path] * 5 + ["/event", "/api/health", "/api/personas/1"])
        if draw(st.integers(0, 9))
        else st.text(max_size=20).map(lambda t: "/" + quote(t))
    )
    body = draw(bodies())
    headers: list[tuple[bytes, bytes]] = []
    host = draw(
        st.sampled_from(["127.0.0.1:{port}"] * 14 + ["localhost:{port}", "[::1]:{port}"])
        if draw(st.integers(0, 4))
        else st.sampled_from(["127.0.0.1:1", "evil.example", "localhost", None])
    )
    if host is not None:
        headers.append((b"Host", host.encode()))
    secret = (
        SECRET
        if draw(st.integers(0, 9)) < 6
        else draw(header_text(st.sampled_from([SECRET + "x", "", " " + SECRET, SECRET.upper()])))
    )
    if secret is not None:
        headers.append((SECRET_HEADER.encode(), header_value(secret)))
    if draw(st.integers(0, 19)) == 0:
        headers.append((b"Origin", b"http://evil.example"))
    for name, plausible in PLAUSIBLE.items():
        value = draw(header_text(plausible))
        if value is not None:
            headers.append((name.encode(), header_value(value)))
    if draw(st.integers(0, 4)) == 0:
        headers.append((draw(st.from_regex(r"\AX-[A-Za-z-]{1,12}\Z")).encode(), b"v"))
    sized = draw(st.integers(0, 9)) > 0
    if sized:
        headers.append((b"Content-Length", str(len(body)).encode()))
    head = f"{method} {path} HTTP/1.1\r\n".encode()
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    head += b"\r\n"
    return Request(
        raw=head + body,
        stores=method == "POST" and (path.startswith("/hooks/") or path == "/event"),
        # Broken HTTP (a body with no length, control bytes in a header, no Host) may be
        # answered by closing the connection: the server cannot tell where it ends.
        framed=(sized or not body)
        and host is not None
        and all(_header_ok(value) for _, value in headers),
    )


def _header_ok(value: bytes) -> bool:
    return all(b == 9 or 32 <= b <= 126 or b >= 128 for b in value)


# --- sending -------------------------------------------------------------------------------


def send(port: int, raw: bytes) -> tuple[int | None, bytes]:
    """Send one raw request; the status code and body of the reply (None: no reply).

    The connection stays open until the whole reply (by its Content-Length) is read: a
    server that closes while request bytes are unread resets the connection, and the
    reset can destroy a reply already sent (a TCP matter, not the server's).
    """
    raw = raw.replace(b"{port}", str(port).encode())
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(raw)
        with contextlib.suppress(ConnectionResetError):
            while not _complete(reply) and (chunk := conn.recv(65536)):
                reply += chunk
    if not reply:
        return None, b""
    status_line, _, rest = reply.partition(b"\r\n")
    assert re.match(rb"HTTP/1\.[01] \d{3} ", status_line), reply[:200]
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _complete(reply: bytes) -> bool:
    head, sep, body = reply.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    return length is not None and len(body) >= int(length.group(1))


def test_ten_thousand_generated_requests(server: Server) -> None:
    sent = 0
    statuses: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(requests(), min_size=BATCH, max_size=BATCH))
    def batch(reqs: list[Request]) -> None:
        nonlocal sent
        for req in reqs:
            before = server.stored()
            status, body = send(server.port, req.raw)
            sent += 1
            after = server.stored()
            context = (status, body[:300], req.raw[:300])
            if status is None:
                assert not req.framed, context
                assert after == before, context
                continue
            statuses[status] = statuses.get(status, 0) + 1
            assert status < 500, context
            if status != 200 or not req.stores:
                assert after == before, context
            else:
                assert after - before == int(json.loads(body)["stored"]), context

    batch()

    assert sent >= 10_000
    status, _ = send(server.port, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")
    assert status == 200
    # The run reached every kind of answer, stored events included.
    assert {200, 400, 401, 403, 413, 422} <= statuses.keys(), statuses
