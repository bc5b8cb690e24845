"""The project pages' and the report's data as the API and the widgets read it (no store).

Tallies per project and persona, a report's lines, a project's stats and view, and the
report's Markdown (what the Today view's "Copy as Markdown" copies).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from desktop.core.model import PaneState
from desktop.core.projects.identity import ProjectKey
from desktop.core.projects.tracker import KnownProject

PAGE_DAYS = 365
WORK_DAYS = 7  # the project page's time working / waiting covers this many days
RECENT_SESSIONS = 10
TOP_TOOLS = 8


@dataclass
class Tally:
    """What happened in a span of time, for one project, one persona, or both."""

    turns: int = 0
    tool_calls: int = 0
    commits: int = 0
    test_runs: int = 0
    xp: int = 0
    level_ups: int = 0
    badges: int = 0
    challenges: int = 0
    working_s: float = 0.0
    waiting_s: float = 0.0
    tokens: int = 0  # input, output and cache tokens of Claude's replies (transcripts)
    cost_usd: float = 0.0  # their estimated cost at list prices

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["working_s"] = round(self.working_s, 1)
        data["waiting_s"] = round(self.waiting_s, 1)
        data["cost_usd"] = round(self.cost_usd, 6)
        return data

    @property
    def empty(self) -> bool:
        return self == Tally()


def add(total: Tally, part: Tally) -> None:
    """Add `part` into `total`."""
    for name, value in asdict(part).items():
        setattr(total, name, getattr(total, name) + value)


@dataclass(frozen=True)
class Line:
    """One row of the report: a project or a persona, with its tally and its parts."""

    key: dict[str, Any]
    tally: Tally
    parts: tuple[Line, ...] = ()

    def to_json(self, parts_name: str) -> dict[str, Any]:
        data = {**self.key, **self.tally.to_json()}
        if parts_name:
            data[parts_name] = [p.to_json("") for p in self.parts]
        return data


@dataclass(frozen=True)
class Report:
    """What the report says for [since, until)."""

    days: int
    since: datetime
    until: datetime
    totals: Tally
    projects: tuple[Line, ...]
    personas: tuple[Line, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "totals": self.totals.to_json(),
            "projects": [p.to_json("personas") for p in self.projects],
            "personas": [p.to_json("projects") for p in self.personas],
        }


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
            "work_days": WORK_DAYS,
            "totals": self.totals.to_json(),
            "personas": [p.to_json() for p in self.personas],
            "top_tools": [{"tool": t, "calls": n} for t, n in self.tools.most_common(TOP_TOOLS)],
            "streak_days": self.streak_days,
            "recent_sessions": [s.to_json() for s in self.recent_sessions],
        }


@dataclass(frozen=True)
class ProjectView:
    """One project as its page shows it: the log's stats, and the live state when shown now."""

    stats: ProjectStats
    live: KnownProject | None
    panes: tuple[PaneState, ...]

    @property
    def id(self) -> str:
        return self.stats.key.id or ""

    @property
    def name(self) -> str:
        return self.stats.key.name

    def to_json(self, full: bool = True) -> dict[str, Any]:
        stats = self.stats.to_json()
        data: dict[str, Any] = {
            **self.stats.key.to_json(),
            "live": self.live is not None,
            "worktrees": self.live.to_json()["worktrees"] if self.live else [],
            "panes": [
                {"pane_id": p.pane_id, "target": p.target, "cwd": p.cwd, "status": p.status.value}
                for p in self.panes
            ],
            "personas": _live_personas(self.panes),
            "totals": stats["totals"],
            "streak_days": stats["streak_days"],
        }
        if full:
            data["team"] = stats["personas"]
            data["top_tools"] = stats["top_tools"]
            data["recent_sessions"] = stats["recent_sessions"]
            data["days"] = stats["days"]
        return data


def _live_personas(panes: tuple[PaneState, ...]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for pane in panes:
        if pane.persona is not None:
            seen[pane.persona.id] = {"id": pane.persona.id, "name": pane.persona.name}
    return list(seen.values())


def duration(seconds: float) -> str:
    """1h 05m, 12m, 40s."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m"
    return f"{s}s"


COLUMNS: tuple[tuple[str, str], ...] = (
    ("turns", "turns"),
    ("tool_calls", "tool calls"),
    ("commits", "commits"),
    ("test_runs", "tests"),
    ("xp", "XP"),
    ("level_ups", "level-ups"),
    ("badges", "badges"),
    ("challenges", "challenges"),
    ("working_s", "working"),
    ("waiting_s", "waiting for you"),
    ("tokens", "tokens"),
    ("cost_usd", "cost (est.)"),
)


def cells(tally: Tally) -> list[str]:
    """A tally as table cells (times as durations)."""
    out = []
    for name, _title in COLUMNS:
        value = getattr(tally, name)
        if name.endswith("_s"):
            out.append(duration(value))
        elif name == "cost_usd":
            out.append(f"${value:,.2f}")
        elif name == "tokens":
            out.append(f"{value:,}")
        else:
            out.append(str(value))
    return out


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def _md_escape(text: str) -> str:
    """A name as Markdown text: its characters, never markup (a folder can be called *x*)."""
    return " ".join(text.split()).translate(_MD_SPECIAL)


def _table(first: str, rows: list[tuple[str, Tally]]) -> list[str]:
    head = [first, *(title for _name, title in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, tally in rows:
        lines.append("| " + " | ".join([_md_escape(label), *cells(tally)]) + " |")
    return lines


def to_markdown(report: Report) -> str:
    """The report as Markdown: totals, then a table per project and per persona."""
    day = report.since.date().isoformat()
    last = report.until.date().isoformat()
    title = (
        f"# claude-rpg report: {day}"
        if report.days == 1
        else (f"# claude-rpg report: {day} to {last} ({report.days} days)")
    )
    out = [title, ""]
    if not report.projects:
        out += ["Nothing happened in this time.", ""]
        return "\n".join(out)
    out += [*_table("", [("total", report.totals)]), ""]
    out += ["## By project", ""]
    out += [*_table("project", [(p.key["name"], p.tally) for p in report.projects]), ""]
    for project in report.projects:
        out += [f"### {_md_escape(project.key['name'])}", ""]
        out += [*_table("persona", [(p.key["name"], p.tally) for p in project.parts]), ""]
    out += ["## By persona", ""]
    out += [*_table("persona", [(p.key["name"], p.tally) for p in report.personas]), ""]
    return "\n".join(out)
