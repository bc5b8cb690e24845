"""The remote side's feed loop on a real pipe: it ends when the reading end goes away."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

from desktop.core.remote.feed import run_feed
from desktop.paths import DataPaths
from tests.support.app_process import free_port


def test_a_quiet_feed_ends_soon_after_its_link_is_gone(tmp_path: Path) -> None:
    # No app runs on this port and no event is stored: nothing ever changes on this host.
    paths = DataPaths(tmp_path / "data")
    read_fd, write_fd = os.pipe()
    out = os.fdopen(write_fd, "wb")
    result: list[int] = []
    feed = threading.Thread(
        target=lambda: result.append(
            run_feed(paths, free_port(), 0, out, interval=0.02, heartbeat=0.1)
        ),
        daemon=True,
    )
    feed.start()
    reader = os.fdopen(read_fd, "rb")
    hello = json.loads(reader.readline())
    panes = json.loads(reader.readline())
    assert hello["type"] == "hello" and panes["type"] == "panes" and panes["problem"]
    assert json.loads(reader.readline()) == {"type": "alive"}  # quiet, yet it writes
    reader.close()  # the link drops
    feed.join(30)
    with contextlib.suppress(BrokenPipeError):  # what the feed had buffered has nowhere to go
        out.close()
    assert not feed.is_alive() and result == [0]
