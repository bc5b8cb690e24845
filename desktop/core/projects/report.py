"""The daily report: per project and per persona, what happened over the last N days.

The same numbers serve `claude-rpg report`, GET /api/report and the window's Today view;
Markdown is one rendering of them (what "Copy as Markdown" puts on the clipboard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desktop.core.projects.activity import (
    Ledger,
    Tally,
    add,
    tally_earned,
    tally_events,
    tally_xp,
)
from desktop.core.projects.identity import ProjectKey, ProjectResolver
from desktop.store.activity import ActivityRepo
from desktop.store.db import Database

MAX_DAYS = 366


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


def span(days: int, now: datetime) -> tuple[datetime, datetime]:
    """From the start of the day `days - 1` days before `now`'s day, to `now` (its zone)."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    return start, now


def _order(line: Line) -> tuple[int, int, str]:
    return (-line.tally.xp, -line.tally.turns, str(line.key.get("name", "")).lower())


def build_report(
    db: Database, days: int, now: datetime, resolve: ProjectResolver | None = None
) -> Report:
    """Read the log for the last `days` days (1 = today) and tally it."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}, not {days}")
    resolve = resolve or ProjectResolver()
    since, until = span(days, now)
    t0, t1 = since.timestamp(), until.timestamp()
    ledger = Ledger()
    with db.session() as s:
        repo = ActivityRepo(s)
        persona_of = repo.personas()
        names = repo.persona_names()
        tally_events(ledger, repo.events(t0, t1), persona_of, resolve, t1)
        tally_xp(ledger, repo.awards(t1), t0, resolve)
        tally_earned(ledger, repo.badges(t0, t1), repo.challenges_completed(t0, t1), resolve)

    def persona_key(pid: int | None) -> dict[str, Any]:
        return {"id": pid, "name": names.get(pid, "unknown") if pid is not None else "unknown"}

    by_project: dict[ProjectKey, list[Line]] = {}
    by_persona: dict[int | None, list[Line]] = {}
    totals = Tally()
    for (project, persona), tally in ledger.cells.items():
        if tally.empty:
            continue
        add(totals, tally)
        by_project.setdefault(project, []).append(Line(persona_key(persona), tally))
        by_persona.setdefault(persona, []).append(Line(project.to_json(), tally))

    def rolled(key: dict[str, Any], parts: list[Line]) -> Line:
        total = Tally()
        for part in parts:
            add(total, part.tally)
        return Line(key, total, tuple(sorted(parts, key=_order)))

    projects = [rolled(p.to_json(), parts) for p, parts in by_project.items()]
    personas = [rolled(persona_key(p), parts) for p, parts in by_persona.items()]
    return Report(
        days,
        since,
        until,
        totals,
        tuple(sorted(projects, key=_order)),
        tuple(sorted(personas, key=_order)),
    )


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
)


def cells(tally: Tally) -> list[str]:
    """A tally as table cells (times as durations)."""
    out = []
    for name, _title in COLUMNS:
        value = getattr(tally, name)
        out.append(duration(value) if name.endswith("_s") else str(value))
    return out


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
