"""Reads behind the project pages and the daily report: events, XP, badges and challenges
over a span of time, each with the session's working folder (a project is found from it).

Read-only, in plain SQL on the session's connection: a report reads thousands of rows and
needs none of the ORM's objects.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from sqlmodel import Session

from desktop.store.db import driver_execute


class EventRow(NamedTuple):
    """One logged hook event, as much as the report needs of it."""

    id: int
    event_name: str
    session_id: str
    stamp: float
    tool_name: str
    cwd: str
    is_commit: bool
    is_test_run: bool
    outcome: str  # ok, failed, interrupted ("" for events that are no tool call)
    source: str  # SessionStart's source, Notification's type, PostCompact's trigger
    notification_type: str
    trigger: str


class AwardSum(NamedTuple):
    """The XP one event paid one persona."""

    event_id: int
    persona_id: int
    amount: int
    stamp: float
    cwd: str


class ReplyTokens(NamedTuple):
    """One assistant reply's tokens (read from its session's transcript), and when."""

    session_id: str
    ts: float
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int


class Earned(NamedTuple):
    """A badge earned or a challenge completed: by whom, when, and where if known."""

    persona_id: int
    key: str
    stamp: float
    cwd: str


# The compact event log keeps the facts in columns and a small JSON record
# (desktop/core/history/record.py says which).
_EVENTS = (
    "SELECT id, event_name, session_id, stamp, COALESCE(tool_name, ''), COALESCE(cwd, ''),"
    " record FROM hook_event WHERE stamp >= ? AND stamp < ? ORDER BY stamp, id"
)


_SESSION_COUNTS = """
SELECT COALESCE(cwd, ''), session_id, MIN(stamp), MAX(stamp),
    SUM(event_name = 'Stop'),
    SUM(event_name IN ('PostToolUse', 'PostToolUseFailure')),
    SUM(CASE WHEN event_name = 'PostToolUse' AND tool_name = 'Bash'
        THEN COALESCE(json_extract(record, '$.is_commit'), 0) ELSE 0 END),
    SUM(CASE WHEN event_name IN ('PostToolUse', 'PostToolUseFailure') AND tool_name = 'Bash'
        THEN COALESCE(json_extract(record, '$.is_test_run'), 0) ELSE 0 END)
FROM hook_event WHERE stamp >= ? AND stamp < ?
GROUP BY 1, 2
"""


class PlaceCounts(NamedTuple):
    """What one session did in one folder: when, and how much."""

    cwd: str
    session_id: str
    first: float
    last: float
    turns: int
    tool_calls: int
    commits: int
    test_runs: int


def _text(data: dict[str, object], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _from_record(row: tuple[object, ...]) -> EventRow:
    record = json.loads(str(row[6]) or "{}")
    return EventRow(
        int(row[0]),  # type: ignore[call-overload]
        str(row[1]),
        str(row[2]),
        float(row[3]),  # type: ignore[arg-type]
        str(row[4]),
        str(row[5]),
        bool(record.get("is_commit")),
        bool(record.get("is_test_run")),
        _text(record, "outcome"),
        _text(record, "source"),
        _text(record, "notification_type"),
        _text(record, "trigger"),
    )


Execute = Callable[[str, Sequence[Any]], list[Any]]


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection of its own, for reading the log on a thread that is not the
    loop (WAL lets it read while the loop writes)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class ActivityRepo:
    """What happened between two times, for reports and project pages."""

    def __init__(self, execute: Execute) -> None:
        self._run = execute

    @classmethod
    def on_session(cls, s: Session) -> ActivityRepo:
        """Reads on the session's own connection (the loop thread)."""
        return cls(lambda sql, params: driver_execute(s, sql, params).fetchall())

    @classmethod
    def on_connection(cls, conn: sqlite3.Connection) -> ActivityRepo:
        """Reads on a connection of their own (see read_only)."""
        return cls(lambda sql, params: conn.execute(sql, params).fetchall())

    def events(self, since: float, until: float) -> list[EventRow]:
        """Every event with since <= stamp < until, in stamp order."""
        rows = self._run(_EVENTS, (since, until))
        return [_from_record(r) for r in rows]

    def awards(self, since: float, until: float) -> list[AwardSum]:
        """The XP each event with since <= stamp < until paid each persona, in event order."""
        sql = (
            "SELECT a.event_id, a.persona_id, SUM(a.amount), e.stamp, COALESCE(e.cwd, '')"
            " FROM xp_award a JOIN hook_event e ON e.id = a.event_id"
            " WHERE e.stamp >= ? AND e.stamp < ?"
            " GROUP BY a.event_id, a.persona_id ORDER BY e.stamp, a.event_id"
        )
        rows = self._run(sql, (since, until))
        return [AwardSum(int(r[0]), int(r[1]), int(r[2]), float(r[3]), r[4] or "") for r in rows]

    def xp_before(self, since: float) -> dict[int, int]:
        """Each persona's XP from events before `since` (where its levels started from).

        Every XP point is a ledger row, so this is the persona's XP less what it earned since:
        the read covers the span and the persona table, not the years of log before it.
        """
        sql = (
            "SELECT p.id, p.xp - COALESCE(w.earned, 0) FROM persona p LEFT JOIN"
            " (SELECT a.persona_id, SUM(a.amount) AS earned FROM hook_event e"
            " JOIN xp_award a ON a.event_id = e.id WHERE e.stamp >= ? GROUP BY a.persona_id) w"
            " ON w.persona_id = p.id"
        )
        return {int(r[0]): int(r[1]) for r in self._run(sql, (since,)) if r[1]}

    def session_counts(self, since: float, until: float) -> list[PlaceCounts]:
        """Per folder and session: first and last event, turns, tool calls, commits, tests."""
        rows = self._run(_SESSION_COUNTS, (since, until))
        return [
            PlaceCounts(
                str(r[0]),
                str(r[1]),
                float(r[2]),
                float(r[3]),
                int(r[4] or 0),
                int(r[5] or 0),
                int(r[6] or 0),
                int(r[7] or 0),
            )
            for r in rows
        ]

    def tool_counts(self, since: float, until: float) -> list[tuple[str, str, int]]:
        """Per folder and tool: how many calls finished."""
        sql = (
            "SELECT COALESCE(cwd, ''), tool_name, COUNT(*) FROM hook_event"
            " WHERE stamp >= ? AND stamp < ? AND tool_name IS NOT NULL AND tool_name != ''"
            " AND event_name IN ('PostToolUse', 'PostToolUseFailure') GROUP BY 1, 2"
        )
        rows = self._run(sql, (since, until))
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def xp_by_place(self, since: float, until: float) -> list[tuple[str, int, int]]:
        """Per folder and persona: the XP earned there."""
        sql = (
            "SELECT COALESCE(e.cwd, ''), a.persona_id, SUM(a.amount) FROM xp_award a"
            " JOIN hook_event e ON e.id = a.event_id WHERE e.stamp >= ? AND e.stamp < ?"
            " GROUP BY 1, 2"
        )
        rows = self._run(sql, (since, until))
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    def xp_days(self, since: float, until: float, utc_offset_s: float) -> list[tuple[str, str]]:
        """(folder, local day) for every day with XP earned in that folder."""
        sql = (
            "SELECT DISTINCT COALESCE(e.cwd, ''), date(e.stamp + ?, 'unixepoch') FROM xp_award a"
            " JOIN hook_event e ON e.id = a.event_id"
            " WHERE e.stamp >= ? AND e.stamp < ? AND a.amount > 0"
        )
        rows = self._run(sql, (utc_offset_s, since, until))
        return [(str(r[0]), str(r[1])) for r in rows]

    def tokens_by_session(self, since: float, until: float) -> list[ReplyTokens]:
        """Per session and model: the summed tokens of replies in the time (ts: the last)."""
        sql = (
            "SELECT session_id, MAX(ts), model, SUM(input_tokens), SUM(output_tokens),"
            " SUM(cache_read_tokens), SUM(cache_creation_tokens) FROM usage_reply"
            " WHERE ts >= ? AND ts < ? GROUP BY session_id, model"
        )
        rows = self._run(sql, (since, until))
        return [ReplyTokens(*row) for row in rows]

    def badges(self, since: float, until: float) -> list[Earned]:
        sql = (
            "SELECT b.persona_id, b.badge_key, e.stamp, COALESCE(e.cwd, '')"
            " FROM badge b JOIN hook_event e ON e.id = b.event_id"
            " WHERE e.stamp >= ? AND e.stamp < ? ORDER BY e.stamp"
        )
        rows = self._run(sql, (since, until))
        return [Earned(int(r[0]), str(r[1]), float(r[2]), r[3] or "") for r in rows]

    def challenges_completed(self, since: float, until: float) -> list[Earned]:
        """Completed challenges (no folder: a challenge spans the persona's work)."""
        sql = (
            "SELECT persona_id, title, CAST(strftime('%s', completed_at) AS REAL) AS done"
            " FROM challenge WHERE completed_at IS NOT NULL AND done >= ? AND done < ?"
            " ORDER BY done"
        )
        rows = self._run(sql, (since, until))
        return [Earned(int(r[0]), str(r[1]), float(r[2]), "") for r in rows]

    def replies(self, since: float, until: float) -> list[ReplyTokens]:
        """The token usage of every reply with since <= ts < until (empty before insight)."""
        sql = (
            "SELECT session_id, ts, model, input_tokens, output_tokens, cache_read_tokens,"
            " cache_creation_tokens FROM usage_reply WHERE ts >= ? AND ts < ? ORDER BY ts"
        )
        rows = self._run(sql, (since, until))
        return [ReplyTokens(*row) for row in rows]

    def personas(self) -> dict[str, tuple[int, str]]:
        """Every session id -> (persona id, persona name)."""
        sql = (
            "SELECT ps.session_id, p.id, p.name FROM persona_session ps"
            " JOIN persona p ON p.id = ps.persona_id"
            " UNION SELECT p.session_id, p.id, p.name FROM persona p"
        )
        return {str(r[0]): (int(r[1]), str(r[2])) for r in self._run(sql, ())}

    def persona_names(self) -> dict[int, str]:
        rows = self._run("SELECT id, name FROM persona", ())
        return {int(r[0]): str(r[1]) for r in rows}
