"""The daily report: per project and per persona, what happened over the last N days.

The same numbers serve `claude-rpg report`, GET /api/report and the window's Today view;
Markdown is one rendering of them (what "Copy as Markdown" puts on the clipboard).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from desktop.core.projects.activity import (
    Ledger,
    tally_earned,
    tally_events,
    tally_tokens,
    tally_xp,
)
from desktop.core.projects.identity import ProjectKey, ProjectResolver
from desktop.core.projects.views import Line, Report, Tally, add
from desktop.core.usage.prices import Price
from desktop.store.activity import ActivityRepo
from desktop.store.db import Database

MAX_DAYS = 366


def span(days: int, now: datetime) -> tuple[datetime, datetime]:
    """From the start of the day `days - 1` days before `now`'s day, to `now` (its zone).

    Midnight with that day's own offset: on the day DST starts or ends, and for a week that
    spans the change, it differs from `now`'s offset by an hour.
    """
    first = now.date() - timedelta(days=days - 1)
    return datetime.combine(first, time(), tzinfo=now.tzinfo), now


def _order(line: Line) -> tuple[int, int, str]:
    return (-line.tally.xp, -line.tally.turns, str(line.key.get("name", "")).lower())


def build_report(
    db: Database,
    days: int,
    now: datetime,
    resolve: ProjectResolver | None = None,
    prices: Mapping[str, Price] | None = None,
) -> Report:
    """Read the log for the last `days` days (1 = today) and tally it."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}, not {days}")
    resolve = resolve or ProjectResolver()
    since, until = span(days, now)
    t0, t1 = since.timestamp(), until.timestamp()
    ledger = Ledger()
    with db.session() as s:
        repo = ActivityRepo.on_session(s)
        persona_of = repo.personas()
        names = repo.persona_names()
        tally_events(ledger, repo.events(t0, t1), persona_of, resolve, t1)
        tally_xp(ledger, repo.xp_before(t0), repo.awards(t0, t1), resolve)
        tally_earned(ledger, repo.badges(t0, t1), repo.challenges_completed(t0, t1), resolve)
        tally_tokens(ledger, repo.replies(t0, t1), persona_of, prices)

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
