"""Remote hosts' personas in the store: each host's rows as it sent them, keyed by
(host, session_id); the desktop never computes their XP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session

from desktop.store.db import driver_execute, driver_executemany
from desktop.store.models import utcnow
from desktop.store.repos import sql_time, sql_time_value


class RemotePersonaRow(NamedTuple):
    """One remote persona: its host, its id there, and what that host says of it."""

    host: str
    remote_id: int
    session_id: str
    name: str
    avatar_seed: str
    created_at: datetime
    xp: int
    level: int


_COLUMNS = "host, remote_id, session_id, name, avatar_seed, created_at, xp, level"
_INSERT = (
    f"INSERT INTO remote_persona ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (host, session_id) DO NOTHING"
)
# A row that changed nothing is not written again.
_UPSERT = (
    f"INSERT INTO remote_persona ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (host, session_id) DO UPDATE SET remote_id = excluded.remote_id,"
    " name = excluded.name, avatar_seed = excluded.avatar_seed, xp = excluded.xp,"
    " level = excluded.level, updated_at = excluded.updated_at"
    " WHERE remote_id != excluded.remote_id OR name != excluded.name"
    " OR avatar_seed != excluded.avatar_seed OR xp != excluded.xp OR level != excluded.level"
)


def _row(found: Sequence[Any]) -> RemotePersonaRow:
    host, remote_id, session_id, name, seed, created_at, xp, level = found
    return RemotePersonaRow(
        host, remote_id, session_id, name, seed, sql_time_value(created_at), xp, level
    )


class RemotePersonaRepo:
    """The remote_persona table: one row per (host, session_id), updated as the host says."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def upsert(self, rows: Sequence[RemotePersonaRow], replace: bool = True) -> int:
        """Store the rows; one already there is updated (`replace`) or kept. Answer how many
        rows were new or changed."""
        if not rows:
            return 0
        now = sql_time(utcnow())
        values = [(*r[:5], sql_time(r.created_at), r.xp, r.level, now) for r in rows]
        return int(driver_executemany(self.s, _UPSERT if replace else _INSERT, values).rowcount)

    def get(self, host: str, remote_id: int) -> RemotePersonaRow | None:
        """The persona the host knows by `remote_id` (the newest row, should the host's store
        have been reset and its ids used again)."""
        found = driver_execute(
            self.s,
            f"SELECT {_COLUMNS} FROM remote_persona WHERE host = ? AND remote_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (host, remote_id),
        ).fetchone()
        return _row(found) if found is not None else None

    def find(self, host: str, session_id: str) -> RemotePersonaRow | None:
        """The persona keyed (host, session_id)."""
        found = driver_execute(
            self.s,
            f"SELECT {_COLUMNS} FROM remote_persona WHERE host = ? AND session_id = ?",
            (host, session_id),
        ).fetchone()
        return _row(found) if found is not None else None

    def newest(
        self, limit: int, host: str | None = None, before: int | None = None
    ) -> list[RemotePersonaRow]:
        """The newest `limit` remote personas (of `host`, with its ids below `before`, if
        given), oldest of them first."""
        sql = f"SELECT {_COLUMNS} FROM remote_persona"
        args: list[object] = []
        if host is not None:
            sql += " WHERE host = ?"
            args.append(host)
            if before is not None:
                sql += " AND remote_id < ?"
                args.append(before)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = driver_execute(self.s, sql, (*args, limit)).fetchall()
        return [_row(r) for r in reversed(rows)]

    def top(self, limit: int) -> list[RemotePersonaRow]:
        """The `limit` remote personas with the most XP (ties: the first stored first)."""
        rows = driver_execute(
            self.s,
            f"SELECT {_COLUMNS} FROM remote_persona ORDER BY xp DESC, id LIMIT ?",
            (limit,),
        ).fetchall()
        return [_row(r) for r in rows]
