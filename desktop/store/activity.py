"""Reads behind the project pages and the daily report: events, XP, badges and challenges
over a span of time, each with the session's working folder (a project is found from it).

Read-only, in plain SQL on the session's connection: a report reads thousands of rows and
needs none of the ORM's objects.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from sqlmodel import Session

from desktop.core.progression.shell import makes_commit, runs_tests
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


def _has_column(s: Session, table: str, column: str) -> bool:
    rows = driver_execute(s, f"PRAGMA table_info({table})").fetchall()
    return any(row[1] == column for row in rows)


# The compact event log keeps the facts in columns and a small JSON record.
_COMPACT_EVENTS = (
    "SELECT id, event_name, session_id, stamp, COALESCE(tool_name, ''), COALESCE(cwd, ''),"
    " record FROM hook_event WHERE stamp >= ? AND stamp < ? ORDER BY stamp, id"
)
# The verbatim log (before the compact one) keeps the whole payload.
_VERBATIM_EVENTS = (
    "SELECT id, event_name, session_id, stamp, payload FROM hook_event"
    " WHERE stamp >= ? AND stamp < ? ORDER BY stamp, id"
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


def _from_payload(row: tuple[object, ...]) -> EventRow:
    payload = json.loads(str(row[4]))
    tool_input = payload.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    command = command if isinstance(command, str) else ""
    event_name = str(row[1])
    outcome = {"PostToolUse": "ok", "PostToolUseFailure": "failed"}.get(event_name, "")
    if outcome == "failed" and payload.get("is_interrupt") is True:
        outcome = "interrupted"
    bash = _text(payload, "tool_name") == "Bash"
    return EventRow(
        int(row[0]),  # type: ignore[call-overload]
        event_name,
        str(row[2]),
        float(row[3]),  # type: ignore[arg-type]
        _text(payload, "tool_name"),
        _text(payload, "cwd"),
        bash and makes_commit(command),
        bash and runs_tests(command),
        outcome,
        _text(payload, "source"),
        _text(payload, "notification_type"),
        _text(payload, "trigger"),
    )


class ActivityRepo:
    """What happened between two times, for reports and project pages."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._compact = _has_column(session, "hook_event", "record")

    def events(self, since: float, until: float) -> list[EventRow]:
        """Every event with since <= stamp < until, in stamp order."""
        if self._compact:
            rows = driver_execute(self.s, _COMPACT_EVENTS, (since, until)).fetchall()
            return [_from_record(r) for r in rows]
        rows = driver_execute(self.s, _VERBATIM_EVENTS, (since, until)).fetchall()
        return [_from_payload(r) for r in rows]

    def _cwd_sql(self) -> str:
        return "COALESCE(e.cwd, '')" if self._compact else "json_extract(e.payload, '$.cwd')"

    def awards(self, until: float) -> list[AwardSum]:
        """The XP each event paid each persona, before `until`, in event order (all of it: a
        level-up needs the total before)."""
        sql = (
            f"SELECT a.event_id, a.persona_id, SUM(a.amount), e.stamp, {self._cwd_sql()}"
            " FROM xp_award a JOIN hook_event e ON e.id = a.event_id WHERE e.stamp < ?"
            " GROUP BY a.event_id, a.persona_id ORDER BY e.stamp, a.event_id"
        )
        rows = driver_execute(self.s, sql, (until,)).fetchall()
        return [AwardSum(int(r[0]), int(r[1]), int(r[2]), float(r[3]), r[4] or "") for r in rows]

    def badges(self, since: float, until: float) -> list[Earned]:
        sql = (
            f"SELECT b.persona_id, b.badge_key, e.stamp, {self._cwd_sql()}"
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
        if not _has_column(self.s, "usage_reply", "ts"):
            return []
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
