"""Remote hosts' events in the store: append a feed batch once, read a host's cursor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from desktop.store.db import driver_execute, driver_executemany
from desktop.store.models import utcnow
from desktop.store.repos import sql_time

_INSERT = (
    "INSERT OR IGNORE INTO remote_event (host, remote_id, event_name, session_id, pane_id, "
    "claude_pid, stamp, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class RemoteEventRepo:
    """The remote_event table: one row per (host, remote event id), never two."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def cursor(self, host: str) -> int:
        """The highest remote event id stored for `host` (0: none yet)."""
        row = driver_execute(
            self.s, "SELECT MAX(remote_id) FROM remote_event WHERE host = ?", (host,)
        ).fetchone()
        return int(row[0] or 0)

    def append(self, host: str, events: Sequence[dict[str, Any]]) -> int:
        """Store the events after the host's cursor, in the order given; answer how many."""
        after = self.cursor(host)
        received = sql_time(utcnow())
        rows = [
            (
                host,
                int(e["id"]),
                str(e["event_name"]),
                str(e["session_id"]),
                e.get("pane_id"),
                e.get("claude_pid"),
                float(e["stamp"]),
                received,
            )
            for e in events
            if int(e["id"]) > after
        ]
        if not rows:
            return 0
        return int(driver_executemany(self.s, _INSERT, rows).rowcount)

    def count(self, host: str) -> int:
        row = driver_execute(
            self.s, "SELECT COUNT(*) FROM remote_event WHERE host = ?", (host,)
        ).fetchone()
        return int(row[0])
