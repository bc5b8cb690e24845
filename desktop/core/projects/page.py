"""What a project's page shows: who worked there (XP share), top tools, commits and test
runs, the current streak and recent sessions, read from the event log of the last year."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desktop.core.projects.activity import TOOL_DONE, Ledger, Tally, add, tally_events, tally_xp
from desktop.core.projects.identity import ProjectKey, ProjectResolver
from desktop.store.activity import ActivityRepo
from desktop.store.db import Database

PAGE_DAYS = 365
RECENT_SESSIONS = 10
TOP_TOOLS = 8


@dataclass(frozen=True)
class PersonaShare:
    """A persona who worked in the project, with its XP there and its share of the total."""

    id: int
    name: str
    xp: int
    share: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "xp": self.xp, "share": round(self.share, 3)}


@dataclass
class SessionLine:
    """One Claude session in the project: who, when, and how much."""

    session_id: str
    persona_id: int | None
    persona_name: str
    started: float
    last: float
    turns: int = 0
    tool_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "persona": {"id": self.persona_id, "name": self.persona_name},
            "started": datetime.fromtimestamp(self.started).astimezone().isoformat(),
            "last": datetime.fromtimestamp(self.last).astimezone().isoformat(),
            "turns": self.turns,
            "tool_calls": self.tool_calls,
        }


@dataclass
class ProjectStats:
    """Everything the page shows of one project (the live git state comes from the tracker)."""

    key: ProjectKey
    totals: Tally = field(default_factory=Tally)
    personas: list[PersonaShare] = field(default_factory=list)
    tools: Counter[str] = field(default_factory=Counter)
    sessions: dict[str, SessionLine] = field(default_factory=dict)
    xp_days: set[str] = field(default_factory=set)
    streak_days: int = 0

    @property
    def recent_sessions(self) -> list[SessionLine]:
        return sorted(self.sessions.values(), key=lambda s: -s.last)[:RECENT_SESSIONS]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.key.to_json(),
            "days": PAGE_DAYS,
            "totals": self.totals.to_json(),
            "personas": [p.to_json() for p in self.personas],
            "top_tools": [{"tool": t, "calls": n} for t, n in self.tools.most_common(TOP_TOOLS)],
            "streak_days": self.streak_days,
            "recent_sessions": [s.to_json() for s in self.recent_sessions],
        }


def streak(days: set[str], today: datetime) -> int:
    """Consecutive days with XP up to today (or up to yesterday, while today has none yet)."""
    day = today.date()
    if day.isoformat() not in days:
        day -= timedelta(days=1)
    count = 0
    while day.isoformat() in days:
        count += 1
        day -= timedelta(days=1)
    return count


def project_stats(
    db: Database, now: datetime, resolve: ProjectResolver | None = None
) -> dict[ProjectKey, ProjectStats]:
    """Stats of every project with events in the last PAGE_DAYS days, in one read."""
    resolve = resolve or ProjectResolver()
    since = (now - timedelta(days=PAGE_DAYS)).timestamp()
    until = now.timestamp()
    ledger = Ledger()
    with db.session() as s:
        repo = ActivityRepo(s)
        persona_of = repo.personas()
        names = repo.persona_names()
        events = repo.events(since, until)
        awards = repo.awards(until)
    tally_events(ledger, events, persona_of, resolve, until)
    tally_xp(ledger, awards, since, resolve)
    out: dict[ProjectKey, ProjectStats] = {}

    def stats_of(key: ProjectKey) -> ProjectStats:
        if key not in out:
            out[key] = ProjectStats(key)
        return out[key]

    per_persona: dict[ProjectKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (key, persona), tally in ledger.cells.items():
        add(stats_of(key).totals, tally)
        if persona is not None and tally.xp:
            per_persona[key][persona] += tally.xp
    for row in events:
        key = resolve(row.cwd)
        stats = stats_of(key)
        if row.event_name in TOOL_DONE and row.tool_name:
            stats.tools[row.tool_name] += 1
        line = stats.sessions.get(row.session_id)
        if line is None:
            pid, name = persona_of.get(row.session_id, (None, "unknown"))
            line = stats.sessions[row.session_id] = SessionLine(
                row.session_id, pid, name, row.stamp, row.stamp
            )
        line.last = row.stamp
        line.turns += row.event_name == "Stop"
        line.tool_calls += row.event_name in TOOL_DONE
    zone = now.tzinfo
    for award in awards:
        if award.amount > 0:
            day = datetime.fromtimestamp(award.stamp, zone).date().isoformat()
            stats_of(resolve(award.cwd)).xp_days.add(day)
    for key, stats in out.items():
        shares = per_persona.get(key, {})
        total = sum(shares.values())
        stats.personas = sorted(
            (
                PersonaShare(pid, names.get(pid, "unknown"), xp, xp / total if total else 0.0)
                for pid, xp in shares.items()
            ),
            key=lambda p: (-p.xp, p.name),
        )
        stats.streak_days = streak(stats.xp_days, now)
    return out
