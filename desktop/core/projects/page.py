"""What a project's page shows: who worked there (XP share), top tools, commits and test
runs, the current streak and recent sessions, read from the event log of the last year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from desktop.core.projects.activity import TOOL_DONE, Ledger, tally_events, tally_tokens, tally_xp
from desktop.core.projects.identity import ProjectKey, ProjectResolver
from desktop.core.projects.views import PAGE_DAYS, PersonaShare, ProjectStats, SessionLine, add
from desktop.core.usage.prices import Price
from desktop.store.activity import ActivityRepo
from desktop.store.db import Database


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
    db: Database,
    now: datetime,
    resolve: ProjectResolver | None = None,
    prices: Mapping[str, Price] | None = None,
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
        replies = repo.replies(since, until)
    tally_events(ledger, events, persona_of, resolve, until)
    tally_xp(ledger, awards, since, resolve)
    tally_tokens(ledger, replies, persona_of, prices)
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
