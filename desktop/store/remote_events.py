"""Remote hosts' events in the store: append a feed batch once, read a host's cursor.

A remote event's id is only unique within the store (database) that gave it: a host whose
database was reset numbers from 1 again. So rows are keyed (host, store, remote_id), a
cursor belongs to a host's store, and `remote_store` says which store a host has now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from desktop.store.db import driver_execute, driver_executemany
from desktop.store.models import utcnow
from desktop.store.repos import sql_time

_INSERT = (
    "INSERT OR IGNORE INTO remote_event (host, store, remote_id, event_name, session_id, "
    "pane_id, claude_pid, stamp, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Rows stored before stores had ids (or from a remote that sends none) carry this store.
UNNAMED = ""


class RemoteEventRepo:
    """The remote_event table: one row per (host, store, remote event id), never two."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def cursor(self, host: str, store: str = UNNAMED) -> int:
        """The highest remote event id stored for `host`'s `store` (0: none yet)."""
        row = driver_execute(
            self.s,
            "SELECT MAX(remote_id) FROM remote_event WHERE host = ? AND store = ?",
            (host, store),
        ).fetchone()
        return int(row[0] or 0)

    def current_store(self, host: str) -> str | None:
        """The store `host` had when last heard from; None before its first store id."""
        row = driver_execute(
            self.s, "SELECT store FROM remote_store WHERE host = ?", (host,)
        ).fetchone()
        return str(row[0]) if row is not None else None

    def set_store(self, host: str, store: str) -> None:
        """`host` has `store` now. The first store id a host names is the one its unnamed
        rows came from (they were stored from that database before it had an id), so they
        take it: the catch-up goes on from their cursor instead of starting again."""
        if self.current_store(host) is None:
            driver_execute(
                self.s,
                "UPDATE remote_event SET store = ? WHERE host = ? AND store = ?",
                (store, host, UNNAMED),
            )
        driver_execute(
            self.s,
            "INSERT INTO remote_store (host, store, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (host) DO UPDATE SET store = excluded.store, seen_at = excluded.seen_at",
            (host, store, sql_time(utcnow())),
        )

    def append(self, host: str, events: Sequence[dict[str, Any]], store: str = UNNAMED) -> int:
        """Store the events after the store's cursor, in the order given; answer how many."""
        after = self.cursor(host, store)
        received = sql_time(utcnow())
        rows = [
            (
                host,
                store,
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
