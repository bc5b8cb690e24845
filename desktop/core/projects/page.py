"""What a project's page shows: who worked there (XP share), top tools, commits and test
runs, the current streak and recent sessions, read from the event log of the last year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from desktop.core.clock import offset_spans
from desktop.core.projects.activity import Ledger, tally_events
from desktop.core.projects.identity import ProjectKey, ProjectResolver
from desktop.core.projects.views import (
    PAGE_DAYS,
    WORK_DAYS,
    PersonaShare,
    ProjectStats,
    SessionLine,
)
from desktop.core.usage.prices import Price, price_for
from desktop.store.activity import ActivityRepo


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
    repo: ActivityRepo,
    now: datetime,
    resolve: ProjectResolver | None = None,
    prices: Mapping[str, Price] | None = None,
) -> dict[ProjectKey, ProjectStats]:
    """Stats of every project with events in the last PAGE_DAYS days.

    Counts come summed by SQLite per folder and session (a year of a busy log is hundreds of
    thousands of events); only the time working and waiting, which needs each event in
    order, is walked event by event, over the last WORK_DAYS days.
    """
    resolve = resolve or ProjectResolver()
    since = (now - timedelta(days=PAGE_DAYS)).timestamp()
    recent = (now - timedelta(days=WORK_DAYS)).timestamp()
    until = now.timestamp()
    persona_of = repo.personas()
    names = repo.persona_names()
    places = repo.session_counts(since, until)
    tools = repo.tool_counts(since, until)
    xp = repo.xp_by_place(since, until)
    # Each stamp's day with the offset it had (a year spans DST changes), not today's offset.
    zone = now.tzinfo or UTC
    xp_days = [
        found
        for start, end, offset in offset_spans(zone, since, until)
        for found in repo.xp_days(start, end, offset)
    ]
    tokens = repo.tokens_by_session(since, until)
    events = repo.events(recent, until)
    out: dict[ProjectKey, ProjectStats] = {}

    def stats_of(cwd: str) -> ProjectStats:
        key = resolve(cwd)
        if key not in out:
            out[key] = ProjectStats(key)
        return out[key]

    home: dict[str, tuple[int, str]] = {}  # session -> (events... as turns+calls, cwd)
    for place in places:
        stats = stats_of(place.cwd)
        totals = stats.totals
        totals.turns += place.turns
        totals.tool_calls += place.tool_calls
        totals.commits += place.commits
        totals.test_runs += place.test_runs
        line = stats.sessions.get(place.session_id)
        if line is None:
            pid, name = persona_of.get(place.session_id, (None, "unknown"))
            line = stats.sessions[place.session_id] = SessionLine(
                place.session_id, pid, name, place.first, place.last
            )
        line.started = min(line.started, place.first)
        line.last = max(line.last, place.last)
        line.turns += place.turns
        line.tool_calls += place.tool_calls
        weight = place.turns + place.tool_calls
        if weight >= home.get(place.session_id, (-1, ""))[0]:
            home[place.session_id] = (weight, place.cwd)
    for cwd, tool, calls in tools:
        stats_of(cwd).tools[tool] += calls
    per_persona: dict[ProjectKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for cwd, persona, amount in xp:
        stats = stats_of(cwd)
        stats.totals.xp += amount
        per_persona[stats.key][persona] += amount
    for cwd, day in xp_days:
        stats_of(cwd).xp_days.add(day)
    for reply in tokens:
        # A session's tokens count where it did most of its work.
        stats = stats_of(home.get(reply.session_id, (0, ""))[1])
        counts = reply[3:7]
        stats.totals.tokens += sum(counts)
        stats.totals.cost_usd += price_for(reply.model, prices).cost(*counts)
    ledger = Ledger()
    tally_events(ledger, events, persona_of, resolve, until)
    for (key, _persona), tally in ledger.cells.items():
        if key in out:
            out[key].totals.working_s += tally.working_s
            out[key].totals.waiting_s += tally.waiting_s
    for key, stats in out.items():
        shares = per_persona.get(key, {})
        total = sum(shares.values())
        stats.personas = sorted(
            (
                PersonaShare(pid, names.get(pid, "unknown"), amount, amount / total)
                for pid, amount in shares.items()
                if amount > 0 and total > 0
            ),
            key=lambda p: (-p.xp, p.name),
        )
        stats.streak_days = streak(stats.xp_days, now)
    return out
