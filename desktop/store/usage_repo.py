"""Token usage tables: one row per assistant reply, turns, per-session context, read cursors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlmodel import Session

from desktop.store.db import driver_execute, driver_executemany


class ReplyRow(NamedTuple):
    """One assistant reply's usage, as stored."""

    session_id: str
    reply_key: str
    ts: float
    model: str
    sidechain: bool
    agent_id: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int


class CursorRow(NamedTuple):
    """Where the app stopped reading a transcript file."""

    path: str
    session_id: str
    sidechain: bool
    device: int
    inode: int
    offset: int
    tail_crc: int


class SessionRow(NamedTuple):
    """What the app knows of a session's model and context."""

    session_id: str
    session_model: str
    model: str
    context_tokens: int
    context_ts: float


class TokenSums(NamedTuple):
    """Summed tokens of a group of replies (one model, one side of the thread...)."""

    group: str
    model: str
    sidechain: bool
    replies: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int


# Replies written twice (streaming, replays in a side conversation) count once: the newest
# figures win, and a reply seen on the main thread stays a main-thread reply.
_UPSERT_REPLY = """
INSERT INTO usage_reply (session_id, reply_key, ts, model, sidechain, agent_id, input_tokens,
    output_tokens, cache_read_tokens, cache_creation_tokens)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (session_id, reply_key) DO UPDATE SET
    model = excluded.model,
    input_tokens = excluded.input_tokens,
    output_tokens = excluded.output_tokens,
    cache_read_tokens = excluded.cache_read_tokens,
    cache_creation_tokens = excluded.cache_creation_tokens,
    sidechain = MIN(sidechain, excluded.sidechain),
    agent_id = CASE WHEN MIN(sidechain, excluded.sidechain) = 0 THEN '' ELSE agent_id END
"""

_SUMS = """
SELECT {group}, r.model, r.sidechain, COUNT(*), SUM(r.input_tokens), SUM(r.output_tokens),
    SUM(r.cache_read_tokens), SUM(r.cache_creation_tokens)
FROM usage_reply r {join}
WHERE {where}
GROUP BY 1, r.model, r.sidechain
ORDER BY 1
"""
_PERSONA_JOIN = "JOIN persona_session ps ON ps.session_id = r.session_id"
_LOCAL_DAY = "date(r.ts, 'unixepoch', 'localtime')"


class UsageRepo:
    """Reads and writes of the usage tables, on the session's own connection."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # --- writes (the loop thread) --------------------------------------------------------

    def upsert_replies(self, rows: Iterable[ReplyRow]) -> None:
        driver_executemany(self.s, _UPSERT_REPLY, [tuple(r) for r in rows])

    def add_turns(self, session_id: str, turns: Iterable[tuple[str, float]]) -> None:
        driver_executemany(
            self.s,
            "INSERT OR IGNORE INTO usage_turn (session_id, line_uuid, ts) VALUES (?, ?, ?)",
            [(session_id, uuid, ts) for uuid, ts in turns],
        )

    def save_cursor(self, row: CursorRow) -> None:
        driver_execute(
            self.s,
            "INSERT OR REPLACE INTO transcript_cursor (path, session_id, sidechain, device, inode,"
            " file_offset, tail_crc) VALUES (?, ?, ?, ?, ?, ?, ?)",
            tuple(row),
        )

    def save_session(self, row: SessionRow) -> None:
        driver_execute(
            self.s,
            "INSERT OR REPLACE INTO usage_session (session_id, session_model, model,"
            " context_tokens, context_ts) VALUES (?, ?, ?, ?, ?)",
            tuple(row),
        )

    def clear_readings(self) -> None:
        """Forget every reading (for a rebuild): the cursors go back to the files' starts."""
        for table in ("usage_reply", "usage_turn"):
            driver_execute(self.s, f"DELETE FROM {table}")
        driver_execute(
            self.s,
            "UPDATE transcript_cursor SET device = 0, inode = 0, file_offset = 0, tail_crc = 0",
        )
        driver_execute(self.s, "UPDATE usage_session SET model = '', context_tokens = 0")

    # --- reads ---------------------------------------------------------------------------

    def cursors(self) -> list[CursorRow]:
        rows = driver_execute(
            self.s,
            "SELECT path, session_id, sidechain, device, inode, file_offset, tail_crc"
            " FROM transcript_cursor ORDER BY session_id, sidechain, path",
        )
        return [CursorRow(r[0], r[1], bool(r[2]), *r[3:]) for r in rows]

    def sessions(self) -> list[SessionRow]:
        rows = driver_execute(
            self.s,
            "SELECT session_id, session_model, model, context_tokens, context_ts"
            " FROM usage_session",
        )
        return [SessionRow(*r) for r in rows]

    def _sums(self, group: str, join: str, where: str, params: Sequence[Any]) -> list[TokenSums]:
        sql = _SUMS.format(group=group, join=join, where=where)
        return [
            TokenSums(str(r[0]), r[1], bool(r[2]), *r[3:])
            for r in driver_execute(self.s, sql, params)
        ]

    def persona_sums(self, persona_id: int) -> list[TokenSums]:
        """A persona's replies summed per session, model and thread side."""
        return self._sums("r.session_id", _PERSONA_JOIN, "ps.persona_id = ?", (persona_id,))

    def persona_days(self, persona_id: int, since: float) -> list[TokenSums]:
        """A persona's replies since `since` summed per local day, model and thread side."""
        return self._sums(
            _LOCAL_DAY, _PERSONA_JOIN, "ps.persona_id = ? AND r.ts >= ?", (persona_id, since)
        )

    def days(self, since: float) -> list[TokenSums]:
        """Every reply since `since`, summed per local day, model and thread side."""
        return self._sums(_LOCAL_DAY, "", "r.ts >= ?", (since,))

    def all_sums(self) -> list[TokenSums]:
        """Every reply summed per session, model and thread side."""
        return self._sums("r.session_id", "", "1", ())

    def persona_counts(self, persona_id: int) -> tuple[int, int]:
        """(turns, subagents) of a persona's sessions."""
        turns = driver_execute(
            self.s,
            "SELECT COUNT(*) FROM usage_turn t JOIN persona_session ps"
            " ON ps.session_id = t.session_id WHERE ps.persona_id = ?",
            (persona_id,),
        ).fetchone()[0]
        agents = driver_execute(
            self.s,
            "SELECT COUNT(DISTINCT r.session_id || ':' || r.agent_id) FROM usage_reply r"
            " JOIN persona_session ps ON ps.session_id = r.session_id"
            " WHERE ps.persona_id = ? AND r.sidechain = 1",
            (persona_id,),
        ).fetchone()[0]
        return int(turns), int(agents)

    def turn_days(self, since: float, persona_id: int | None = None) -> dict[str, int]:
        """Turns per local day since `since` (of one persona, or of all)."""
        day = "date(t.ts, 'unixepoch', 'localtime')"
        if persona_id is None:
            sql = f"SELECT {day}, COUNT(*) FROM usage_turn t WHERE t.ts >= ? GROUP BY 1"
            params: tuple[Any, ...] = (since,)
        else:
            sql = (
                f"SELECT {day}, COUNT(*) FROM usage_turn t JOIN persona_session ps"
                " ON ps.session_id = t.session_id WHERE t.ts >= ? AND ps.persona_id = ?"
                " GROUP BY 1"
            )
            params = (since, persona_id)
        return {str(r[0]): int(r[1]) for r in driver_execute(self.s, sql, params)}
