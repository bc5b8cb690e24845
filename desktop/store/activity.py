"""Reads behind the project pages and the daily report: events, XP, badges and challenges
over a span of time, each with the session's working folder (a project is found from it).

Read-only, in plain SQL on the session's connection: a report reads thousands of rows and
needs none of the ORM's objects.
"""

from __future__ import annotations

import json
from typing import NamedTuple

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


class ActivityRepo:
    """What happened between two times, for reports and project pages."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def events(self, since: float, until: float) -> list[EventRow]:
        """Every event with since <= stamp < until, in stamp order."""
        rows = driver_execute(self.s, _EVENTS, (since, until)).fetchall()
        return [_from_record(r) for r in rows]

    def awards(self, until: float) -> list[AwardSum]:
        """The XP each event paid each persona, before `until`, in event order (all of it: a
        level-up needs the total before)."""
        sql = (
            "SELECT a.event_id, a.persona_id, SUM(a.amount), e.stamp, COALESCE(e.cwd, '')"
            " FROM xp_award a JOIN hook_event e ON e.id = a.event_id WHERE e.stamp < ?"
            " GROUP BY a.event_id, a.persona_id ORDER BY e.stamp, a.event_id"
        )
        rows = driver_execute(self.s, sql, (until,)).fetchall()
        return [AwardSum(int(r[0]), int(r[1]), int(r[2]), float(r[3]), r[4] or "") for r in rows]

    def badges(self, since: float, until: float) -> list[Earned]:
        sql = (
            "SELECT b.persona_id, b.badge_key, e.stamp, COALESCE(e.cwd, '')"
            " FROM badge b JOIN hook_event e ON e.id = b.event_id"
            " WHERE e.stamp >= ? AND e.stamp < ? ORDER BY e.stamp"
        )
        rows = driver_execute(self.s, sql, (since, until)).fetchall()
        return [Earned(int(r[0]), str(r[1]), float(r[2]), r[3] or "") for r in rows]

    def challenges_completed(self, since: float, until: float) -> list[Earned]:
        """Completed challenges (no folder: a challenge spans the persona's work)."""
        sql = (
            "SELECT persona_id, title, CAST(strftime('%s', completed_at) AS REAL) AS done"
            " FROM challenge WHERE completed_at IS NOT NULL AND done >= ? AND done < ?"
            " ORDER BY done"
        )
        rows = driver_execute(self.s, sql, (since, until)).fetchall()
        return [Earned(int(r[0]), str(r[1]), float(r[2]), "") for r in rows]

    def replies(self, since: float, until: float) -> list[ReplyTokens]:
        """The token usage of every reply with since <= ts < until (empty before insight)."""
        sql = (
            "SELECT session_id, ts, model, input_tokens, output_tokens, cache_read_tokens,"
            " cache_creation_tokens FROM usage_reply WHERE ts >= ? AND ts < ? ORDER BY ts"
        )
        rows = driver_execute(self.s, sql, (since, until)).fetchall()
        return [ReplyTokens(*row) for row in rows]

    def personas(self) -> dict[str, tuple[int, str]]:
        """Every session id -> (persona id, persona name)."""
        sql = (
            "SELECT ps.session_id, p.id, p.name FROM persona_session ps"
            " JOIN persona p ON p.id = ps.persona_id"
            " UNION SELECT p.session_id, p.id, p.name FROM persona p"
        )
        return {str(r[0]): (int(r[1]), str(r[2])) for r in driver_execute(self.s, sql).fetchall()}

    def persona_names(self) -> dict[int, str]:
        rows = driver_execute(self.s, "SELECT id, name FROM persona").fetchall()
        return {int(r[0]): str(r[1]) for r in rows}
