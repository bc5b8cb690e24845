"""The remote side's feed loop on a real pipe: it ends when the reading end goes away."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import BinaryIO

from desktop.core.remote.feed import run_feed
from desktop.paths import DataPaths
from desktop.store.db import Database
from tests.support.app_process import free_port


def feed_on_pipe(
    paths: DataPaths, heartbeat: float
) -> tuple[threading.Thread, BinaryIO, BinaryIO, list[int]]:
    """run_feed in a thread writing to a real pipe: (thread, its end, our end, its result)."""
    read_fd, write_fd = os.pipe()
    out = os.fdopen(write_fd, "wb")
    result: list[int] = []
    feed = threading.Thread(
        target=lambda: result.append(
            run_feed(paths, free_port(), 0, out, interval=0.02, heartbeat=heartbeat)
        ),
        daemon=True,
    )
    feed.start()
    return feed, out, os.fdopen(read_fd, "rb"), result


def test_a_quiet_feed_ends_soon_after_its_link_is_gone(tmp_path: Path) -> None:
    # No app runs on this port and no event is stored: nothing ever changes on this host.
    paths = DataPaths(tmp_path / "data")
    feed, out, reader, result = feed_on_pipe(paths, heartbeat=0.1)
    hello = json.loads(reader.readline())
    panes = json.loads(reader.readline())
    assert hello["type"] == "hello" and panes["type"] == "panes" and panes["problem"]
    assert json.loads(reader.readline()) == {"type": "alive"}  # quiet, yet it writes
    reader.close()  # the link drops
    feed.join(30)
    with contextlib.suppress(BrokenPipeError):  # what the feed had buffered has nowhere to go
        out.close()
    assert not feed.is_alive() and result == [0]


def test_a_feed_names_its_store_and_restarts_when_the_database_is_made_anew(
    tmp_path: Path,
) -> None:
    paths = DataPaths(tmp_path / "data")
    paths.root.mkdir()
    Database(paths.database).close()
    first = store_of(paths.database)
    feed, out, reader, done = feed_on_pipe(paths, heartbeat=0.05)
    assert json.loads(reader.readline())["store"] == first
    # The app stopped, its database deleted, the app started again: a new store.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.database}{suffix}").unlink(missing_ok=True)
    Database(paths.database).close()
    second = store_of(paths.database)
    assert second != first
    # A feed that missed it would write "alive" lines for ever: read a bounded number.
    lines: list[dict[str, object]] = []
    for _ in range(200):
        lines.append(json.loads(reader.readline()))
        if lines[-1]["type"] == "restart":
            break
    assert lines[-1] == {"type": "restart", "reason": "the database was replaced"}
    feed.join(30)
    out.close()
    reader.close()
    assert done == [0]


def store_of(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return str(conn.execute("SELECT value FROM store_meta").fetchone()[0])
